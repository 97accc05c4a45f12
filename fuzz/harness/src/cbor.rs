//! `cbor_reader`: the canonical CBOR reader on any bytes.
//!
//! Properties:
//! 1. no panic, and every error offset lies within the input;
//! 2. allowing a tag never refuses more, and changes nothing but tag
//!    refusals;
//! 3. every strict prefix of the input is refused as truncated or exactly
//!    as the whole input is (what the streaming verifier relies on when it
//!    re-parses a growing buffer);
//! 4. for an accepted item, three independent walks agree: the event
//!    stream re-encoded through the canonical writer gives the same bytes,
//!    the typed `Reader` consumes exactly the item, and ciborium (an
//!    independent decoder) decodes it and re-encodes the same bytes.

use migseal_format::ErrorCode;
use migseal_format::cbor::{Encoder, Event, Events, Head, Reader, skip_item, validate};
use migseal_format::envelope::TAG_COSE_SIGN1;

use crate::{prefix_consistent, prefix_lengths};

/// Checks every property on `data`.
///
/// # Panics
///
/// When a property does not hold.
pub fn check(data: &[u8]) {
    let len = u64::try_from(data.len()).unwrap_or(u64::MAX);
    let strict = validate(data, &[]);
    let tagged = validate(data, &[TAG_COSE_SIGN1]);
    for r in [&strict, &tagged] {
        if let Err(e) = r {
            assert!(e.offset() <= len, "error offset {} beyond input of {len} bytes: {e}", e.offset());
            crate::typed::assert_format_message(e);
        }
    }
    match (&strict, &tagged) {
        (Ok(()), t) => assert!(t.is_ok(), "allowing tag 18 refused an item the strict reader took: {t:?}"),
        (Err(s), t) if s.code() != ErrorCode::TagNotAllowed => {
            assert_eq!(t, &strict, "allowing tag 18 changed a refusal that is not about tags");
        }
        _ => {}
    }

    let whole = skip_item(data, 0, &[TAG_COSE_SIGN1]);
    for n in prefix_lengths(data.len()) {
        let prefix = skip_item(&data[..n], 0, &[TAG_COSE_SIGN1]);
        match whole {
            Ok(end) if end <= n => {
                assert_eq!(prefix, whole, "the item ends at {end}, inside the prefix of {n}")
            }
            Ok(end) => assert!(
                prefix.as_ref().is_err_and(|e| e.is_truncated()),
                "a strict prefix ({n} of {end} bytes) of a valid item gave {prefix:?}, not truncated"
            ),
            Err(_) => assert!(
                prefix_consistent(&prefix, &whole),
                "prefix of {n} bytes gives {prefix:?}, the whole input {whole:?}"
            ),
        }
    }

    if tagged.is_err() {
        return;
    }
    let mut view = Events::new(data);
    let events: Vec<Event<'_>> = view
        .by_ref()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("the event view refused an accepted item: {e}"));
    assert_eq!(view.offset(), len, "the event view stopped before the item's end");
    let mut enc = Encoder::new(Vec::new());
    for ev in &events {
        ev.encode(&mut enc).unwrap_or_else(|e| panic!("the writer refused event {ev:?}: {e}"));
    }
    let out = enc.finish().unwrap_or_else(|e| panic!("re-encoding left the writer incomplete: {e}"));
    assert_eq!(out, data, "events re-encoded to other bytes");

    assert_eq!(reader_walk(data), events, "the typed reader and the event view disagree");
    let mut r = Reader::new(data);
    assert_eq!(r.read_item(&[TAG_COSE_SIGN1]).ok(), Some(data), "read_item did not return the whole item");
    assert!(r.finish().is_ok(), "read_item left bytes");

    let value: ciborium::Value = ciborium::from_reader(data)
        .unwrap_or_else(|e| panic!("ciborium cannot decode an item migseal accepted: {e:?}"));
    let mut again = Vec::new();
    ciborium::into_writer(&value, &mut again).expect("ciborium writes into a Vec");
    assert_eq!(again, data, "ciborium re-encodes an accepted item differently: {value:?}");
}

/// Walks an accepted item with the typed reader API, as a record decoder
/// would, and returns what it saw in event form.
fn reader_walk(data: &[u8]) -> Vec<Event<'_>> {
    let mut r = Reader::new(data);
    let mut out = Vec::new();
    while !r.at_end() {
        let head = r.peek_head().unwrap_or_else(|e| panic!("peek_head refused an accepted item: {e}"));
        let ev = match head {
            Head::Bytes(_) => Event::Bytes(r.read_bytes(u64::MAX).expect("read_bytes")),
            Head::Text(_) => Event::Text(r.read_text(u64::MAX).expect("read_text")),
            Head::Uint(n) => {
                assert_eq!(r.read_uint(n).expect("read_uint"), n);
                Event::Uint(n)
            }
            Head::Array(n) => {
                assert_eq!(r.read_array(n).expect("read_array"), n);
                Event::Array(n)
            }
            Head::Map(n) => {
                assert_eq!(r.read_map(n).expect("read_map"), n);
                Event::Map(n)
            }
            Head::Tag(t) => {
                r.read_tag(t).expect("read_tag");
                Event::Tag(t)
            }
            Head::True | Head::False => Event::Bool(r.read_bool().expect("read_bool")),
            Head::Null => {
                r.read_null().expect("read_null");
                Event::Null
            }
            Head::Nint(n) => {
                r.read_head().expect("read_head");
                Event::Nint(n)
            }
        };
        out.push(ev);
    }
    r.finish().expect("the walk consumed everything");
    out
}
