//! The framing walk at the end of a stream: wherever an image is cut, the
//! walk says "incomplete" at exactly the bytes it consumed, names where it
//! stopped, and never reports a seal it did not read; a seal record whose
//! arrived bytes already deviate is refused for that deviation, not as
//! merely cut off (spec §8.4). Fed one byte at a time, as a kernel reading
//! a socket might, a valid image walks to its seal.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions
)]

mod common;

use migseal_format::envelope::SEAL_RECORD_LEN;
use migseal_verifier::framing::Walker;
use migseal_verifier::{ErrorKind, Limits};

/// Feeds `bytes` to a fresh walker in fragments of `step` bytes.
fn walk(bytes: &[u8], step: usize) -> Walker {
    let mut w = Walker::new();
    for fragment in bytes.chunks(step) {
        let mut rest = fragment;
        while !rest.is_empty() {
            let s = w.advance(&Limits::DEFAULT, rest).unwrap();
            assert!(s.consumed > 0);
            rest = &rest[s.consumed..];
        }
    }
    w
}

#[test]
fn a_valid_image_fed_byte_by_byte_walks_to_its_seal() {
    let (image, _) = common::image(2);
    let w = walk(&image, 1);
    assert!(w.is_sealed());
    assert_eq!(w.end_of_stream(), Ok(()));
    assert_eq!((w.offset(), w.chunk_count(), w.payload_len()), (image.len() as u64, 2, 2048));
    assert_eq!(w.failure(), None);
    assert!(format!("{w:?}").starts_with("Walker {"), "{w:?}");
}

#[test]
fn every_cut_is_incomplete_at_its_length_naming_where_it_stopped() {
    let (image, _) = common::image(1);
    let header_len = migseal_format::cbor::skip_item(&image, 0, &[]).unwrap();
    let seal_start = image.len() - SEAL_RECORD_LEN;
    let data_start = seal_start - 1024;
    for cut in 0..image.len() {
        for step in [1, 64, usize::MAX] {
            let w = walk(&image[..cut], step);
            assert!(!w.is_sealed(), "cut at {cut}");
            assert_eq!(w.offset(), cut as u64, "cut at {cut}: offset is the bytes consumed");
            assert_eq!(w.failure(), None);
            let e = w.end_of_stream().unwrap_err();
            assert_eq!((e.code(), e.offset()), (306, cut as u64), "cut at {cut}: {e}");
            let ErrorKind::Incomplete { state } = *e.kind() else { panic!("{e:?}") };
            let expected = if cut < header_len {
                Some("inside its header record")
            } else if (data_start + 1..seal_start).contains(&cut) {
                Some("inside a chunk")
            } else if cut >= seal_start + 4 {
                Some("inside its seal record")
            } else {
                None // between records, or inside a record's head
            };
            if let Some(expected) = expected {
                assert_eq!(state, expected, "cut at {cut}");
            }
        }
    }
}

/// The walk's refusal of `bytes` fed whole: from `advance`, or at the end.
fn refusal(bytes: &[u8]) -> migseal_verifier::Error {
    let mut w = Walker::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        match w.advance(&Limits::DEFAULT, rest) {
            Ok(s) => rest = &rest[s.consumed..],
            Err(e) => return e,
        }
    }
    w.end_of_stream().unwrap_err()
}

#[test]
fn a_cut_seal_record_that_already_deviates_is_refused_for_the_deviation() {
    let (image, _) = common::image(1);
    let seal_start = image.len() - SEAL_RECORD_LEN;
    // The seal record's protected-header byte string length: damaged, the
    // record is malformed whatever follows.
    let mut damaged = image.clone();
    damaged[seal_start + 4] ^= 0x01;
    let whole = walk(&damaged[..seal_start], usize::MAX);
    assert_eq!(whole.end_of_stream().unwrap_err().code(), 306, "nothing of the seal arrived yet");
    // The refusal the complete damaged record gets.
    let full_error = refusal(&damaged);
    assert_ne!(full_error.code(), 306, "{full_error}");
    let cut = walk(&damaged[..image.len() - 8], usize::MAX);
    let e = cut.end_of_stream().unwrap_err();
    assert_eq!((e.code(), e.offset()), (full_error.code(), full_error.offset()), "{e} vs {full_error}");
}

#[test]
fn a_refusal_is_the_walks_failure_and_sticks() {
    let (mut image, _) = common::image(1);
    image[0] = 0x00; // not an array: no record starts like this
    let mut w = Walker::new();
    let e = w.advance(&Limits::DEFAULT, &image).unwrap_err();
    assert_eq!(w.failure(), Some(e));
    assert_eq!(w.end_of_stream(), Err(e));
    assert_eq!(w.advance(&Limits::DEFAULT, b"\x82").unwrap_err(), e);
    // Even a call with nothing to walk: the refusal is the answer.
    assert_eq!(w.advance(&Limits::DEFAULT, &[]).unwrap_err(), e);
}

/// The walk's refusal of `bytes` under `limits`, or `None` if it reaches
/// the seal.
fn under(limits: &Limits, bytes: &[u8]) -> Option<migseal_verifier::Error> {
    let mut w = Walker::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        match w.advance(limits, rest) {
            Ok(s) => rest = &rest[s.consumed..],
            Err(e) => return Some(e),
        }
    }
    w.end_of_stream().err()
}

#[test]
fn limits_equal_to_the_image_pass_and_one_less_refuses_at_the_chunk() {
    let (image, _) = common::image(2);
    let header_len = migseal_format::cbor::skip_item(&image, 0, &[]).unwrap() as u64;
    let second_chunk = header_len + 6 + 1024; // one 6-byte head and 1 KiB before it
    let exact = Limits { max_chunk_len: 1024, max_chunks: 2, max_total_len: 2048, ..Limits::DEFAULT };
    assert_eq!(under(&exact, &image), None, "limits at the image's own sizes");
    let e = under(&Limits { max_chunk_len: 1023, ..exact }, &image).unwrap();
    assert_eq!((e.code(), e.offset()), (303, header_len), "{e}");
    let e = under(&Limits { max_chunks: 1, ..exact }, &image).unwrap();
    assert_eq!((e.code(), e.offset()), (304, second_chunk), "{e}");
    let e = under(&Limits { max_total_len: 2047, ..exact }, &image).unwrap();
    assert_eq!((e.code(), e.offset()), (305, second_chunk), "{e}");
}

#[test]
fn a_stream_that_cannot_be_an_image_is_refused_at_once_not_awaited() {
    // Two bytes say "a record of type 5": refused before more arrive.
    let mut w = Walker::new();
    let e = w.advance(&Limits::DEFAULT, &[0x82, 0x05]).unwrap_err();
    assert_eq!(e.code(), 200, "{e}");
    // A header record whose next item is a stray break.
    let mut w = Walker::new();
    let e = w.advance(&Limits::DEFAULT, &[0x82, 0x00, 0xff]).unwrap_err();
    assert_eq!((e.code(), e.offset()), (115, 2), "{e}");
    // A chunk head whose sequence number is not in its shortest form.
    let (image, _) = common::image(1);
    let header_len = migseal_format::cbor::skip_item(&image, 0, &[]).unwrap();
    let mut bytes = image[..header_len].to_vec();
    bytes.extend_from_slice(&[0x83, 0x01, 0x18, 0x00]);
    let e = refusal(&bytes);
    assert_eq!((e.code(), e.offset()), (101, header_len as u64 + 2), "{e}");
}
