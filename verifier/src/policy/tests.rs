#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

fn id(s: &str) -> Ident<'_> {
    Ident::new(s).unwrap()
}

#[test]
fn the_type_entry_wins_over_the_vendor_entry() {
    let mut p = Policy::<Dalek>::new();
    p.require_min_security(id("linux"), None, 3).unwrap();
    p.require_min_security(id("linux"), Some(id("mtty-2")), 7).unwrap();
    assert_eq!(p.minimum_security(id("linux"), id("mtty-2")), Some(7));
    assert_eq!(p.minimum_security(id("linux"), id("mtty-1")), Some(3));
    assert_eq!(p.minimum_security(id("nvidia"), id("mtty-2")), None);
    // The same vendor and type again replaces, it does not add.
    p.require_min_security(id("linux"), Some(id("mtty-2")), 9).unwrap();
    assert_eq!(p.minimum_security(id("linux"), id("mtty-2")), Some(9));
    assert_eq!(p.min_security.iter().flatten().count(), 2);
}

#[test]
fn min_security_capacity() {
    let mut p = Policy::<Dalek>::new();
    let names: std::vec::Vec<std::string::String> =
        (0..=MAX_MIN_SECURITY).map(|i| std::format!("v{i}")).collect();
    for n in names.iter().take(MAX_MIN_SECURITY) {
        p.require_min_security(id(n), None, 1).unwrap();
    }
    let e = p.require_min_security(id(&names[MAX_MIN_SECURITY]), None, 1).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::TrustStoreFull { capacity: 16 });
}

#[test]
fn session_length_is_the_formats() {
    let mut p = Policy::<Dalek>::new();
    assert!(p.require_session(&[1; 15]).is_err());
    assert!(p.require_session(&[1; 65]).is_err());
    assert_eq!(p.session(), None);
    p.require_session(&[1; 16]).unwrap();
    assert_eq!(p.session(), Some(&[1u8; 16][..]));
    p.require_session(&[2; 64]).unwrap();
    assert_eq!(p.session(), Some(&[2u8; 64][..]));
}

#[test]
fn limits_are_capped_at_the_format_bounds() {
    let mut p = Policy::<Dalek>::new();
    assert_eq!(p.limits(), Limits::DEFAULT);
    p.set_limits(Limits {
        max_header_len: 1 << 20,
        max_chunk_len: u64::MAX,
        max_chunks: 5,
        max_total_len: 6,
    });
    let l = p.limits();
    assert_eq!((l.max_header_len, l.max_chunk_len, l.max_chunks, l.max_total_len), (4096, 1 << 30, 5, 6));
}

#[test]
fn subject_is_copied() {
    let mut p = Policy::<Dalek>::new();
    let text = std::string::String::from("vm-1");
    p.require_subject(Subject::new(&text).unwrap());
    drop(text);
    assert_eq!(p.subject().map(|s| s.as_str()), Some("vm-1"));
}

/// A policy trusting one test key for vendor `linux`, and the key's id.
fn trusting_one_key() -> (Policy<Dalek>, KeyId) {
    let key = crate::SealingKey::from_seed(&[0x42; 32]);
    let mut p = Policy::<Dalek>::new();
    let key_id = p.trust_key(&Dalek, key.public_key(), id("linux"), &[]).unwrap();
    (p, key_id)
}

fn check(
    p: &Policy<Dalek>,
    key_id: KeyId,
    sv: u64,
    session: Option<&[u8]>,
    subject: Option<&str>,
) -> core::result::Result<(), ErrorKind> {
    use migseal_format::envelope::{DeviceIdentity, IdentList, StateVersion};
    let header = Header {
        identity: DeviceIdentity {
            vendor: id("linux"),
            device_api: id("vfio-pci"),
            device_type: id("mtty-2"),
        },
        state_version: StateVersion::new(1, 0),
        features: IdentList::EMPTY,
        config: None,
        codec: id("mtty"),
        security_version: sv,
        session: session.map(|s| SessionNonce::new(s).unwrap()),
        subject: subject.map(|s| Subject::new(s).unwrap()),
        key_id,
    };
    p.check_header(&header).map(|_| ())
}

#[test]
fn a_revoked_key_is_refused_although_trusted() {
    let (mut p, key_id) = trusting_one_key();
    let sv = 1;
    assert_eq!(check(&p, key_id, sv, None, None), Ok(()));
    p.revoke(key_id).unwrap();
    assert_eq!(
        check(&p, key_id, sv, None, None),
        Err(ErrorKind::RevokedKey { key_id: KeyIdHex::of(&key_id) })
    );
}

#[test]
fn the_minimum_security_version_itself_passes_and_one_below_is_refused() {
    let (mut p, key_id) = trusting_one_key();
    p.require_min_security(id("linux"), None, 5).unwrap();
    assert_eq!(check(&p, key_id, 5, None, None), Ok(()), "at the minimum");
    assert_eq!(check(&p, key_id, 6, None, None), Ok(()), "above");
    assert_eq!(
        check(&p, key_id, 4, None, None),
        Err(ErrorKind::SecurityVersionTooLow { found: 4, minimum: 5 })
    );
}

#[test]
fn forgetting_the_session_and_subject_lifts_those_requirements() {
    let (mut p, key_id) = trusting_one_key();
    let sv = 1;
    p.require_session(&[7; 16]).unwrap();
    p.require_subject(Subject::new("vm-1").unwrap());
    assert_eq!(check(&p, key_id, sv, None, Some("vm-1")), Err(ErrorKind::SessionMissing));
    assert_eq!(check(&p, key_id, sv, Some(&[8; 16]), Some("vm-1")), Err(ErrorKind::SessionMismatch));
    assert_eq!(check(&p, key_id, sv, Some(&[7; 16]), Some("vm-1")), Ok(()), "this migration's session");
    assert_eq!(
        check(&p, key_id, sv, Some(&[7; 16]), Some("vm-2")),
        Err(ErrorKind::SubjectMismatch { expected: Name::new("vm-1"), found: Name::new("vm-2") })
    );
    p.forget_session();
    assert_eq!(p.session(), None);
    assert_eq!(check(&p, key_id, sv, None, Some("vm-1")), Ok(()));
    assert_eq!(
        check(&p, key_id, sv, None, None),
        Err(ErrorKind::SubjectMissing { expected: Name::new("vm-1") })
    );
    p.forget_subject();
    assert_eq!(p.subject(), None);
    assert_eq!(check(&p, key_id, sv, None, None), Ok(()));
}
