//! `fuzz/migseal.dict` parses as a libFuzzer dictionary and holds the
//! format's fixed byte strings, computed here from the format crate so the
//! dictionary cannot drift from the encoder.

use std::path::Path;

use migseal_format::cbor::Encoder;
use migseal_format::envelope::{CONTENT_TYPE, ChunkHead, Seal, header_key};

/// The entries of a libFuzzer dictionary: `name="value"` lines with `\xNN`,
/// `\\` and `\"` escapes.
fn entries(text: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (_, quoted) = line.split_once('=').unwrap_or_else(|| panic!("line {}: no '='", n + 1));
        let body = quoted
            .strip_prefix('"')
            .and_then(|q| q.strip_suffix('"'))
            .unwrap_or_else(|| panic!("line {}: value not quoted", n + 1));
        let mut bytes = Vec::new();
        let mut it = body.bytes();
        while let Some(b) = it.next() {
            if b != b'\\' {
                bytes.push(b);
                continue;
            }
            match it.next() {
                Some(b'x') => {
                    let hex: Vec<u8> = it.by_ref().take(2).collect();
                    let s = std::str::from_utf8(&hex).unwrap();
                    bytes.push(
                        u8::from_str_radix(s, 16).unwrap_or_else(|_| panic!("line {}: bad \\x", n + 1)),
                    );
                }
                Some(c @ (b'\\' | b'"')) => bytes.push(c),
                other => panic!("line {}: unknown escape {other:?}", n + 1),
            }
        }
        assert!(!bytes.is_empty(), "line {}: empty value", n + 1);
        out.push(bytes);
    }
    out
}

#[test]
fn the_dictionary_holds_the_formats_fixed_strings() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../migseal.dict")).unwrap();
    let dict = entries(&text);
    let has = |what: &str, bytes: &[u8]| {
        assert!(dict.iter().any(|e| e == bytes), "migseal.dict lacks {what}: {bytes:02x?}");
    };

    let seal = Seal { key_id: [0; 32], signature: [0; 64] }.encode_record();
    has("the seal record start", &seal[..10]);
    let (chunk, _) = ChunkHead::encode(0, 1).unwrap();
    has("the first chunk head", &chunk[..3]);

    let mut e = Encoder::new(Vec::new());
    e.text(CONTENT_TYPE).unwrap();
    has("the COSE content type", &e.finish().unwrap());
    let mut e = Encoder::new(Vec::new());
    e.text("Signature1").unwrap();
    has("the Sig_structure context", &e.finish().unwrap());
    let mut e = Encoder::new(Vec::new());
    e.uint(header_key::KEY_ID).unwrap().bytes(&[0; 32]).unwrap();
    has("the key-id key and head", &e.finish().unwrap()[..3]);
    for k in 1..=header_key::KEY_ID {
        assert!(
            dict.iter().any(|e| e.first() == Some(&u8::try_from(k).unwrap())),
            "no entry starts with key {k}"
        );
    }
}
