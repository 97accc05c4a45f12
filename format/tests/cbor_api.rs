//! The public CBOR layer's answers that no envelope test reaches: which
//! code each refused initial byte gets, where the event walker and the
//! reader stand, and the reader's sticky failure. Written to kill the
//! mutants cargo-mutants found alive (MUTANTS.md); each test names the
//! behaviour it pins.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use migseal_format::cbor::{Encoder, Event, Events, Head, Reader, SliceSink, parse_head};
use migseal_format::{Detail, ErrorCode};

fn code(bytes: &[u8]) -> ErrorCode {
    parse_head(bytes, 0).unwrap_err().code()
}

#[test]
fn simple_values_false_true_null_are_one_byte_heads() {
    assert_eq!(parse_head(&[0xf4], 0).unwrap(), (Head::False, 1));
    assert_eq!(parse_head(&[0xf5], 0).unwrap(), (Head::True, 1));
    assert_eq!(parse_head(&[0xf6], 0).unwrap(), (Head::Null, 1));
    let events: Vec<Event<'_>> = Events::new(&[0x83, 0xf4, 0xf5, 0xf6]).map(Result::unwrap).collect();
    assert_eq!(events, [Event::Array(3), Event::Bool(false), Event::Bool(true), Event::Null]);
}

#[test]
fn reserved_additional_information_28_to_30_is_its_own_code_in_every_major_type() {
    for major in 0u8..=7 {
        for info in 28u8..=30 {
            let initial = (major << 5) | info;
            let e = parse_head(&[initial, 0, 0, 0, 0, 0, 0, 0, 0], 7).unwrap_err();
            assert_eq!(e.code(), ErrorCode::ReservedAdditionalInfo, "initial byte {initial:#04x}");
            assert_eq!(e.offset(), 7);
            assert_eq!(e.detail(), Detail::Byte(initial));
        }
    }
    // The neighbours keep theirs: 31 is an indefinite length for byte
    // strings..maps and a stray break in major type 7.
    assert_eq!(code(&[0x5f]), ErrorCode::IndefiniteLength);
    assert_eq!(code(&[0xbf]), ErrorCode::IndefiniteLength);
    assert_eq!(code(&[0xff]), ErrorCode::StrayBreak);
    assert_eq!(code(&[0xf9, 0, 0]), ErrorCode::FloatNotAllowed);
}

#[test]
fn the_event_walker_reports_the_offset_of_the_next_head() {
    // [1, h'aabb', "c"]: heads at 0, 1, 2 (+2 bytes of content), 5.
    let input = [0x83, 0x01, 0x42, 0xaa, 0xbb, 0x61, b'c'];
    let mut events = Events::new(&input);
    let mut offsets = vec![events.offset()];
    while let Some(event) = events.next() {
        event.unwrap();
        offsets.push(events.offset());
    }
    assert_eq!(offsets, [0, 1, 2, 5, 7]);
}

#[test]
fn the_reader_counts_the_bytes_not_read_yet() {
    let input = [0x82, 0x18, 0x2a, 0x41, 0xff];
    let mut r = Reader::new(&input);
    assert_eq!(r.remaining_len(), 5);
    assert_eq!(r.read_array(2).unwrap(), 2);
    assert_eq!(r.remaining_len(), 4);
    assert_eq!(r.read_uint(100).unwrap(), 42);
    assert_eq!(r.remaining_len(), 2);
    assert_eq!(r.read_bytes(1).unwrap(), [0xff]);
    assert_eq!(r.remaining_len(), 0);
    assert!(r.at_end());
}

#[test]
fn the_reader_keeps_the_error_that_stopped_it() {
    let input = [0x18, 0x2a, 0x01];
    let mut r = Reader::new(&input);
    assert_eq!(r.failure(), None);
    let e = r.read_uint(10).unwrap_err();
    assert_eq!(e.code(), ErrorCode::IntegerOutOfRange);
    assert_eq!(r.failure(), Some(e));
    // Sticky: the next read repeats the same error instead of reading on.
    assert_eq!(r.read_uint(10).unwrap_err(), e);
    assert_eq!(r.failure(), Some(e));
}

#[test]
fn the_reader_reads_true_and_false_as_themselves_and_nothing_else_as_a_boolean() {
    let mut r = Reader::new(&[0xf5, 0xf4, 0xf6]);
    assert!(r.read_bool().unwrap());
    assert!(!r.read_bool().unwrap());
    let e = r.read_bool().unwrap_err();
    assert_eq!((e.code(), e.offset()), (ErrorCode::UnexpectedType, 2));
}

#[test]
fn a_slice_sink_is_empty_until_something_is_written() {
    let mut buf = [0u8; 4];
    let e = Encoder::new(SliceSink::new(&mut buf));
    let sink = e.finish().unwrap();
    assert!(sink.is_empty());
    assert_eq!(sink.len(), 0);
    let mut buf = [0u8; 4];
    let mut e = Encoder::new(SliceSink::new(&mut buf));
    e.uint(7).unwrap();
    let sink = e.finish().unwrap();
    assert!(!sink.is_empty());
    assert_eq!(sink.len(), 1);
}

#[test]
fn the_encoder_names_a_repeated_key_a_duplicate_and_a_smaller_one_unsorted() {
    let mut buf = [0u8; 16];
    let mut e = Encoder::new(SliceSink::new(&mut buf));
    e.map(2).unwrap().uint(1).unwrap().null().unwrap();
    let err = e.uint(1).unwrap_err();
    assert_eq!((err.code(), err.offset()), (ErrorCode::DuplicateMapKey, 3));

    let mut buf = [0u8; 16];
    let mut e = Encoder::new(SliceSink::new(&mut buf));
    e.map(2).unwrap().uint(2).unwrap().null().unwrap();
    let err = e.uint(1).unwrap_err();
    assert_eq!((err.code(), err.offset()), (ErrorCode::MapKeysUnsorted, 3));
}

#[test]
fn an_encoder_debugs_as_its_depth_and_failure_not_its_buffer() {
    let mut buf = [0u8; 16];
    let mut e = Encoder::new(SliceSink::new(&mut buf));
    e.array(2).unwrap().bytes(&[0xab; 3]).unwrap();
    assert_eq!(format!("{e:?}"), "Encoder { depth: 1, failed: None }");
}

#[test]
fn a_map_whose_item_count_overflows_is_misuse_naming_the_largest_pair_count() {
    let mut buf = [0u8; 16];
    let mut e = Encoder::new(SliceSink::new(&mut buf));
    let n = u64::MAX / 2 + 1;
    let err = e.map(n).unwrap_err();
    assert_eq!(err.code(), ErrorCode::EncoderMisuse);
    assert_eq!(err.detail(), Detail::Limit { limit: u64::MAX / 2, found: n });
    // Sticky: the encoder refuses everything after.
    assert_eq!(e.uint(1).unwrap_err(), err);
}
