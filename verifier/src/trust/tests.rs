#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::{Dalek, SealingKey};

fn id(s: &str) -> Ident<'_> {
    Ident::new(s).unwrap()
}

fn pk(n: u8) -> [u8; 32] {
    SealingKey::from_seed(&[n; 32]).public_key()
}

#[test]
fn weak_and_invalid_keys_are_refused_when_trusted() {
    let mut store = TrustStore::<Dalek>::new();
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let e = store.trust(&Dalek, identity, id("v"), &[]).unwrap_err();
    assert_eq!((e.kind(), e.code()), (&ErrorKind::WeakKey, 409));
    let mut off_curve = [0u8; 32];
    off_curve[0] = 2;
    assert_eq!(store.trust(&Dalek, off_curve, id("v"), &[]).unwrap_err().code(), 602);
    assert_eq!(store.keys().count(), 0, "nothing was added");
}

#[test]
fn a_trusted_key_is_found_by_its_id_with_its_scope() {
    let mut store = TrustStore::<Dalek>::new();
    let kid = store.trust(&Dalek, pk(1), id("linux"), &[id("mtty-1"), id("mtty-2")]).unwrap();
    assert_eq!(kid, crate::key_id(&Dalek, &pk(1)));
    let key = store.find(&kid).unwrap();
    assert_eq!(key.public_key(), &pk(1));
    assert_eq!(key.vendor(), id("linux"));
    assert!(key.covers_type(id("mtty-2")));
    assert!(!key.covers_type(id("mtty-3")));
    assert!(store.find(&[0; 32]).is_none());
    let all = store.trust(&Dalek, pk(2), id("linux"), &[]).unwrap();
    assert!(store.find(&all).unwrap().covers_type(id("anything")));
}

#[test]
fn capacity_is_enforced_and_leaves_the_store_unchanged() {
    let mut store = TrustStore::<Dalek>::new();
    for n in 0..MAX_TRUSTED_KEYS {
        store.trust(&Dalek, pk(u8::try_from(n).unwrap()), id("v"), &[]).unwrap();
    }
    let e = store.trust(&Dalek, pk(200), id("v"), &[]).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::TrustStoreFull { capacity: 16 });
    assert_eq!(store.keys().count(), MAX_TRUSTED_KEYS);

    let mut store = TrustStore::<Dalek>::new();
    let types = [id("t"); MAX_KEY_TYPES + 1];
    let e = store.trust(&Dalek, pk(1), id("v"), &types).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::TrustStoreFull { capacity: 8 });
    store.trust(&Dalek, pk(1), id("v"), &types[..MAX_KEY_TYPES]).unwrap();
}

#[test]
fn revocation_is_idempotent_and_bounded() {
    let mut store = TrustStore::<Dalek>::new();
    store.revoke([1; 32]).unwrap();
    store.revoke([1; 32]).unwrap();
    assert_eq!(store.revoked().count(), 1);
    assert!(store.is_revoked(&[1; 32]));
    assert!(!store.is_revoked(&[2; 32]));
    for n in 2..=u8::try_from(MAX_REVOKED).unwrap() {
        store.revoke([n; 32]).unwrap();
    }
    assert_eq!(store.revoke([0xff; 32]).unwrap_err().kind(), &ErrorKind::TrustStoreFull { capacity: 32 });
}
