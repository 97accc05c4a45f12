#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::panic)]

//! The walk's cost does not depend on how the stream is split: a maximal
//! header fed one byte at a time is scanned once and decoded once.

use std::string::String;
use std::vec::Vec;

use migseal_format::envelope::{
    CHUNK_HEAD_MAX_LEN, DeviceIdentity, Header, IdentList, MAX_CONFIG_LEN, MAX_HEADER_LEN, MAX_NONCE_LEN,
    SEAL_RECORD_LEN, SessionNonce, ShellConfig, StateVersion,
};
use migseal_format::{Ident, MAX_IDENT_LEN, MAX_SUBJECT_LEN, Subject};

use super::*;
use crate::{Dalek, Sealer, SealingKey};

const CHUNKS: usize = 3;

/// A sealed image whose header record is as large as the format's field
/// bounds allow with 32 features (about 3.7 KiB), with three chunks.
fn maximal_image() -> Vec<u8> {
    let long = |c: char| -> String { core::iter::repeat_n(c, MAX_IDENT_LEN).collect() };
    let (vendor, api, kind, codec, cfg) = (long('v'), long('a'), long('t'), long('c'), long('k'));
    let features: Vec<String> =
        (0..32).map(|i| std::format!("{i:02}{}", "f".repeat(MAX_IDENT_LEN - 2))).collect();
    let features: Vec<Ident<'_>> = features.iter().map(|f| Ident::new(f).unwrap()).collect();
    let config = [7u8; MAX_CONFIG_LEN];
    let nonce = [9u8; MAX_NONCE_LEN];
    let subject: String = "s".repeat(MAX_SUBJECT_LEN);
    let key = SealingKey::from_seed(&[3; 32]);
    let header = Header {
        identity: DeviceIdentity {
            vendor: Ident::new(&vendor).unwrap(),
            device_api: Ident::new(&api).unwrap(),
            device_type: Ident::new(&kind).unwrap(),
        },
        state_version: StateVersion::new(1, 0),
        features: IdentList::from_slice(&features, 32).unwrap(),
        config: Some(ShellConfig::new(Ident::new(&cfg).unwrap(), &config).unwrap()),
        codec: Ident::new(&codec).unwrap(),
        security_version: u64::MAX,
        session: Some(SessionNonce::new(&nonce).unwrap()),
        subject: Some(Subject::new(&subject).unwrap()),
        key_id: key.key_id(&Dalek),
    };
    let mut image = std::vec![0u8; MAX_HEADER_LEN];
    let (mut sealer, n) = Sealer::new(key, Dalek, &header, &mut image).unwrap();
    image.truncate(n);
    for i in 0..CHUNKS {
        let data = std::vec![u8::try_from(i).unwrap(); 300 + i];
        image.extend_from_slice(sealer.chunk(&data).unwrap().as_bytes());
        image.extend_from_slice(&data);
    }
    image.extend_from_slice(&sealer.finish().unwrap());
    image
}

/// Walks `image` in fragments of `size` bytes; returns the walk's work and
/// the header record's length.
fn walk(image: &[u8], size: usize) -> (Work, usize) {
    let limits = Limits::DEFAULT;
    let mut w = Walker::new();
    let mut header_len = 0;
    for piece in image.chunks(size) {
        let mut rest = piece;
        while !rest.is_empty() {
            let step = w.advance(&limits, rest).unwrap();
            if let Some(Event::Header { record }) = step.event {
                header_len = record.bytes().len();
            }
            rest = &rest[step.consumed..];
        }
    }
    w.end_of_stream().unwrap();
    assert_eq!(w.chunk_count(), u64::try_from(CHUNKS).unwrap());
    (w.work, header_len)
}

#[test]
fn the_maximal_header_is_about_3_7_kib() {
    let (_, header_len) = walk(&maximal_image(), usize::MAX);
    assert!((3700..=MAX_HEADER_LEN).contains(&header_len), "{header_len}");
}

#[test]
fn bytewise_feeding_decodes_the_header_once_and_costs_a_bounded_amount_more() {
    let image = maximal_image();
    let (whole, header_len) = walk(&image, usize::MAX);
    let (bytewise, _) = walk(&image, 1);
    let (pages, _) = walk(&image, 4096);
    assert_eq!(whole.header_decodes, 1);
    assert_eq!(bytewise.header_decodes, 1, "the header record is decoded once, when complete");
    assert_eq!(pages.header_decodes, 1);
    assert_eq!(whole.header_scans, 1);
    // Bytes inside a string the scan already waits for are only gathered:
    // the scan runs at the item heads and where a string completes, not
    // once per call (this header is mostly long strings).
    let scans = usize::try_from(bytewise.header_scans).unwrap();
    assert!(scans > 1 && scans * 4 < header_len, "{scans} scans for {header_len} one-byte calls");

    // Whole: the header record, two heads per record-type check, the chunk
    // heads and the seal, each handed over once.
    let per_head = CHUNK_HEAD_MAX_LEN * 2;
    let whole_bound = header_len + 18 + CHUNKS * per_head + SEAL_RECORD_LEN + 20;
    assert!(usize::try_from(whole.decoder_bytes).unwrap() <= whole_bound, "{whole:?}");
    // Bytewise: the same, plus the record-type checks of the first calls
    // (until the type is known: two bytes) and the chunk heads re-read per
    // byte (at most 20 bytes, so at most 20 × 20 each), never the gathered
    // header again: that would be about header_len² / 2 = 7 MB.
    let extra = 2 * 18 + CHUNKS * (2 * CHUNK_HEAD_MAX_LEN * CHUNK_HEAD_MAX_LEN + 20);
    let bytewise_bound = whole_bound + extra;
    assert!(
        usize::try_from(bytewise.decoder_bytes).unwrap() <= bytewise_bound,
        "{bytewise:?} > {bytewise_bound}"
    );
    assert!(bytewise.decoder_bytes < u64::try_from(header_len * header_len / 16).unwrap());
    std::println!("header {header_len} B; whole {whole:?}; 4 KiB {pages:?}; bytewise {bytewise:?}");
}

/// A deviation deep inside the header is refused in the call that brings
/// its byte, at its offset, as when the image comes whole: the scan does
/// not wait for the record to complete.
#[test]
fn a_deviation_in_the_header_is_refused_as_soon_as_its_byte_arrives() {
    let mut image = maximal_image();
    // The 1 KiB shell config's byte string head (59 04 00), made reserved.
    let at = image.windows(3).position(|w| w == [0x59, 0x04, 0x00]).unwrap();
    assert!(at > 1000, "deep inside the header: {at}");
    image[at] = 0x5c;
    let limits = Limits::DEFAULT;
    let whole = Walker::new().advance(&limits, &image).unwrap_err();
    assert_eq!(whole.offset(), u64::try_from(at).unwrap());
    let mut w = Walker::new();
    for (i, byte) in image.chunks(1).enumerate() {
        match w.advance(&limits, byte) {
            Ok(step) => assert!(i < at && step.event.is_none(), "byte {i} accepted"),
            Err(e) => {
                assert_eq!((i, e), (at, whole), "refused by the byte that deviates, as whole");
                return;
            }
        }
    }
    panic!("never refused");
}

/// A header over the limit is refused once the limit's worth of bytes is
/// held, however it arrives, and nothing past the limit is gathered.
#[test]
fn a_header_over_the_limit_is_refused_at_the_limit() {
    let image = maximal_image();
    let limits = Limits { max_header_len: 1000, ..Limits::DEFAULT };
    for size in [1, 7, 4096] {
        let mut w = Walker::new();
        let mut fed = 0;
        let e = loop {
            let piece = &image[fed..(fed + size).min(image.len())];
            match w.advance(&limits, piece) {
                Ok(step) => {
                    assert_eq!(step.consumed, piece.len());
                    fed += piece.len();
                }
                Err(e) => break e,
            }
        };
        assert_eq!(e.code(), Error::new(ErrorKind::HeaderTooLarge { limit: 1000 }, 0).code());
        assert_eq!(e.offset(), 0);
        assert!(fed < 1000 && fed + size >= 1000, "refused by the piece that reaches the limit ({size})");
        assert_eq!(w.header.bytes().len(), 1000, "gathered exactly the limit ({size})");
    }
}

/// Every call returns a [`Step`], and a writer feeding one byte at a time
/// makes a call per byte: the step must stay a few words wide, with the
/// header and the seal borrowed from the walker rather than copied into
/// it (a 208-byte `Header` by value made every step 232 bytes, moved
/// several times per call).
#[test]
fn a_step_is_a_few_words_wide() {
    assert!(core::mem::size_of::<Step<'_, '_>>() <= 64, "{}", core::mem::size_of::<Step<'_, '_>>());
}

/// The header event hands out the record the walker decoded: its bytes
/// are the stream's first record, and its header is that record's.
#[test]
fn the_header_event_borrows_the_decoded_record() {
    let image = maximal_image();
    let header_len = migseal_format::cbor::skip_item(&image, 0, &[]).unwrap();
    let mut w = Walker::new();
    let step = w.advance(&Limits::DEFAULT, &image).unwrap();
    let Some(Event::Header { record }) = step.event else { panic!("the first event is the header") };
    assert_eq!(record.bytes(), &image[..header_len]);
    assert_eq!(record.header().unwrap(), Header::decode_record(&image[..header_len], 0).unwrap());
}
