//! What inspection reports without trusting anything (`migseal inspect`,
//! the browser's `inspect`): the same header, counts, offsets and image
//! digest that verification computes, "incomplete" for a cut image, and
//! the walk's own refusal for a malformed one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::as_conversions)]

mod common;

use migseal_format::envelope::SEAL_RECORD_LEN;
use migseal_verifier::{Dalek, Inspector, Limits, verify_image};

#[test]
fn the_facts_of_a_valid_image_are_the_verifiers() {
    let (image, public_key) = common::image(3);
    let mut ins = Inspector::new(Dalek, Limits::DEFAULT);
    for fragment in image.chunks(100) {
        ins.feed(fragment).unwrap();
    }
    assert_eq!(ins.end_of_stream(), Ok(()));
    let facts = ins.facts();
    assert_eq!((facts.chunks, facts.payload_len, facts.offset), (3, 3072, image.len() as u64));
    assert_eq!(facts.chunk_sizes, Some((1024, 1024)));
    let seal_at = (image.len() - SEAL_RECORD_LEN) as u64;
    assert_eq!(facts.seal.map(|(_, at)| at), Some(seal_at));
    let (header, record) = ins.header().expect("the header was read");
    assert_eq!(header.codec.as_str(), "mtty");
    assert_eq!(record, &image[..record.len()]);
    common::with_verifier(public_key, |_, policy, device| {
        let verified = verify_image(&image, policy, device).unwrap();
        assert_eq!(facts.image_digest.as_ref(), Some(verified.image_digest()));
    });
    assert!(facts.header_digest.is_some() && facts.chain.is_some());
    assert_ne!(facts.header_digest, facts.chain, "three chunks moved the chain on");
}

#[test]
fn a_cut_image_is_incomplete_where_it_stops() {
    let (image, _) = common::image(1);
    let cut = image.len() - 10;
    let mut ins = Inspector::new(Dalek, Limits::DEFAULT);
    ins.feed(&image[..cut]).unwrap();
    let e = ins.end_of_stream().unwrap_err();
    assert_eq!((e.code(), e.offset()), (306, cut as u64));
    assert_eq!(ins.facts().offset, cut as u64);
    assert_eq!(ins.facts().image_digest, None, "no seal, no image digest");
}

#[test]
fn a_malformed_image_is_refused_by_feed_and_the_refusal_sticks() {
    let (mut image, _) = common::image(1);
    image[0] = 0x00;
    let mut ins = Inspector::new(Dalek, Limits::DEFAULT);
    let e = ins.feed(&image).unwrap_err();
    assert_eq!(e.offset(), 0);
    assert_eq!(ins.feed(b"\x82").unwrap_err(), e);
    assert_eq!(ins.end_of_stream(), Err(e));
    assert!(ins.header().is_none());
}
