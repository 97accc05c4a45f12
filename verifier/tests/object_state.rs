//! What the long-lived objects say about themselves between calls: the
//! verifier's offset, failure and whether it still needs the header's
//! policy; the sealer's piecewise chunk feeding with its length check; and
//! `Debug` output that names the object and its counters but never key
//! material.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::as_conversions)]

mod common;

use migseal_format::Ident;
use migseal_format::envelope::{Header, IdentList, MAX_HEADER_LEN, StateVersion};
use migseal_verifier::{Dalek, KeyIdHex, Name, Sealer, SealingKey};

#[test]
fn the_verifier_reports_offset_header_state_and_failure() {
    let (image, public_key) = common::image(1);
    let header_len = migseal_format::cbor::skip_item(&image, 0, &[]).unwrap();
    common::with_verifier(public_key, |v, policy, device| {
        assert!(v.awaits_header());
        assert_eq!((v.offset(), v.failure()), (0, None));
        v.feed(policy, device, &image[..header_len - 1], |_| {}).unwrap();
        assert!(v.awaits_header(), "one byte short of the header");
        assert_eq!(v.offset(), (header_len - 1) as u64);
        v.feed(policy, device, &image[header_len - 1..header_len], |_| {}).unwrap();
        assert!(!v.awaits_header());
        assert_eq!(v.offset(), header_len as u64);
        // A break byte where the next record must start.
        let e = v.feed(policy, device, b"\xff", |_| {}).unwrap_err();
        assert_eq!(e.offset(), header_len as u64);
        assert_eq!(v.failure(), Some(e));
        let text = format!("{v:?}");
        assert!(text.starts_with("Verifier {") && text.contains("failure: Some("), "{text}");
    });
}

#[test]
fn the_sealer_takes_a_chunk_in_pieces_and_refuses_more_than_declared() {
    let key = SealingKey::from_seed(&[0x5a; 32]);
    let header = Header {
        identity: common::identity(),
        state_version: StateVersion::new(1, 0),
        features: IdentList::EMPTY,
        config: None,
        codec: Ident::new("mtty").unwrap(),
        security_version: 1,
        session: None,
        subject: None,
        key_id: key.key_id(&Dalek),
    };
    let seal = |pieces: &[&[u8]]| {
        let mut out = vec![0u8; MAX_HEADER_LEN];
        let (mut s, n) = Sealer::new(key.clone(), Dalek, &header, &mut out).unwrap();
        out.truncate(n);
        out.extend_from_slice(s.begin_chunk(10).unwrap().as_bytes());
        for p in pieces {
            s.chunk_data(p).unwrap();
            out.extend_from_slice(p);
        }
        let debug = format!("{s:?}");
        assert!(
            debug.starts_with("Sealer {") && debug.contains("chunks: 1") && debug.contains("payload: 10"),
            "{debug}"
        );
        assert!(!debug.contains(&hex::encode([0x5a; 4])), "no key material in {debug}");
        out.extend_from_slice(&s.finish().unwrap());
        out
    };
    let whole = seal(&[b"0123456789"]);
    assert_eq!(seal(&[b"0123", b"456789"]), whole, "pieces seal as the whole chunk");
    assert_eq!(common::verify(&whole, key.public_key()), Ok(10));

    let mut out = vec![0u8; MAX_HEADER_LEN];
    let (mut s, _) = Sealer::new(key.clone(), Dalek, &header, &mut out).unwrap();
    s.begin_chunk(10).unwrap();
    s.chunk_data(b"0123").unwrap();
    assert_eq!(s.chunk_data(b"4567890").unwrap_err().code(), 300, "7 bytes where 6 remain");
    s.chunk_data(b"456789").unwrap();
}

#[test]
fn names_and_key_ids_debug_as_their_text() {
    assert_eq!(format!("{:?}", Name::new("mtty-2")), "\"mtty-2\"");
    let id = KeyIdHex::of(&[0xab; 32]);
    assert_eq!(format!("{id:?}"), format!("{id}"));
    assert!(format!("{id:?}").starts_with("abab"), "{id:?}");
}

#[test]
fn the_verdict_exists_only_after_finish_and_vouches_for_a_staged_payload_of_its_length() {
    let (image, public_key) = common::image(2);
    common::with_verifier(public_key, |v, policy, device| {
        let mut staged = Vec::new();
        v.feed(policy, device, &image, |piece| staged.extend_from_slice(piece.bytes)).unwrap();
        assert!(v.verdict().is_none(), "no verdict before finish");
        let digest = *v.finish().unwrap().image_digest();
        let verdict = v.verdict().expect("a verdict after finish");
        assert_eq!(verdict.image_digest(), &digest);
        let payload = verdict.stored_payload_less_safe(&staged).expect("the staged payload has its length");
        assert_eq!(payload.bytes(), &staged[..]);
        assert!(verdict.stored_payload_less_safe(&staged[1..]).is_none(), "one byte short");
    });
}

#[test]
fn a_trusted_key_debugs_as_its_id_and_scope_not_its_bytes() {
    let key = SealingKey::from_seed(&[0x77; 32]);
    let mut policy = migseal_verifier::Policy::new();
    policy.trust_key(&Dalek, key.public_key(), Ident::new("linux").unwrap(), &[]).unwrap();
    let trusted = policy.trust().keys().next().unwrap();
    let text = format!("{trusted:?}");
    assert!(text.starts_with("TrustedKey {"), "{text}");
    assert!(text.contains(&KeyIdHex::of(&key.key_id(&Dalek)).to_string()), "{text}");
    assert!(text.contains("linux"), "{text}");
    assert!(!text.contains(&hex::encode(key.public_key())), "{text}");
}
