//! Error precedence (spec §8.6): inputs that break two rules at once, or
//! end right after a deviation, so that they pin which refusal a verifier
//! reports. Each expectation follows from the one rule of §8.6 — the first
//! deviation decides; at the same byte, the earlier check — and the note
//! in each description says which deviation comes first.

use migseal::policy_file::PolicyFile;
use migseal_format::cbor::Encoder;
use migseal_verifier::Dalek;

use super::fixtures::Fixtures;
use super::{Expect, VectorSet, err};
use crate::samples::record_ranges;

/// One image vector on the mtty-2 device under the default policy.
struct Image {
    name: &'static str,
    bytes: Vec<u8>,
    expect: Expect,
    description: &'static str,
}

/// Adds this group.
#[allow(clippy::too_many_lines, clippy::indexing_slicing)]
pub(super) fn add(set: &mut VectorSet, f: &Fixtures) {
    let Fixtures { linux, mtty2_chunked, dev_mtty2, .. } = f;
    let r = record_ranges(mtty2_chunked);
    let header = &mtty2_chunked[r[0].clone()];
    let chunk0 = &mtty2_chunked[r[1].clone()];
    let seal_at = r[r.len() - 1].start;
    let before_seal = &mtty2_chunked[..seal_at];
    let seal = &mtty2_chunked[seal_at..];
    let cat = |parts: &[&[u8]]| parts.concat();
    let edit = |bytes: &[u8], at: usize, value: u8| {
        let mut out = bytes.to_vec();
        out[at] = value;
        out
    };
    let key_id = linux.key_id(&Dalek);

    let images = vec![
        // §3 rule 1 / §8.2 step 1 / §8.3 step 1: framing before order.
        Image {
            name: "first-record-chunk-of-two",
            bytes: cat(&[&[0x82, 0x01, 0x00], header]),
            expect: err(201, "record-shape"),
            description: "the first record is [1, 0]: a chunk type in a 2-array; its length is wrong for its type (201) before it is out of order (300)",
        },
        Image {
            name: "header-type-in-three-after-header",
            bytes: cat(&[header, &[0x83, 0x00, 0x00, 0x41, 0x00], chunk0]),
            expect: err(201, "record-shape"),
            description: "after the header, [0, 0, h'00']: a header type in a 3-array; its length is wrong for its type (201) before it is out of order (300)",
        },
        // §8.6: a head refused by its own form keeps its code wherever it is.
        Image {
            name: "chunk-seq-float",
            bytes: cat(&[header, &[0x83, 0x01, 0xf9, 0x00, 0x00, 0x41, 0x00]]),
            expect: err(104, "float-not-allowed"),
            description: "a half float where the chunk's sequence number (a uint) is due: 104, not 113",
        },
        Image {
            name: "chunk-seq-simple-value",
            bytes: cat(&[header, &[0x83, 0x01, 0xf7, 0x41, 0x00]]),
            expect: err(105, "simple-value-not-allowed"),
            description: "undefined where the chunk's sequence number is due: 105, not 113",
        },
        Image {
            name: "chunk-seq-non-shortest-bytes",
            bytes: cat(&[header, &[0x83, 0x01, 0x58, 0x01, 0x00, 0x41, 0x00]]),
            expect: err(101, "non-shortest-head"),
            description: "a non-shortest byte-string head where a uint is due: its form (101) before its type (113)",
        },
        Image {
            name: "chunk-data-indefinite",
            bytes: cat(&[header, &[0x83, 0x01, 0x00, 0x5f, 0x41, 0x00, 0xff]]),
            expect: err(102, "indefinite-length"),
            description: "an indefinite byte string as chunk data: 102",
        },
        Image {
            name: "chunk-data-indefinite-array",
            bytes: cat(&[header, &[0x83, 0x01, 0x00, 0x9f, 0xff]]),
            expect: err(102, "indefinite-length"),
            description: "an indefinite array where the chunk's byte string is due: its form (102) before its type (113)",
        },
        Image {
            name: "record-break",
            bytes: cat(&[header, &[0xff], chunk0]),
            expect: err(115, "stray-break"),
            description: "a break byte where a record is due: 115, not 113",
        },
        Image {
            name: "record-reserved-info",
            bytes: cat(&[header, &[0x9c], chunk0]),
            expect: err(103, "reserved-additional-info"),
            description: "an array head with additional information 28 where a record is due: 103",
        },
        Image {
            name: "record-non-shortest-array",
            bytes: cat(&[header, &[0x98, 0x03, 0x01, 0x00, 0x41, 0x00]]),
            expect: err(101, "non-shortest-head"),
            description: "a chunk record whose array head is 98 03: 101",
        },
        Image {
            name: "seal-alg-float",
            bytes: cat(&[before_seal, &edit(seal, 8, 0xf9)]),
            expect: err(104, "float-not-allowed"),
            description: "a half float as the COSE alg: its form (104) before the alg's own code (212)",
        },
        Image {
            name: "seal-alg-tag",
            bytes: cat(&[before_seal, &edit(seal, 8, 0xc1)]),
            expect: err(212, "unsupported-algorithm"),
            description: "a tag as the COSE alg: a well-formed head of another type takes the alg's own code, 212",
        },
        Image {
            name: "seal-payload-float",
            bytes: cat(&[before_seal, &edit(seal, 87, 0xfa)]),
            expect: err(104, "float-not-allowed"),
            description: "a single float as the COSE payload: its form (104) before the payload's own code (214)",
        },
        Image {
            name: "seal-payload-tag",
            bytes: cat(&[before_seal, &seal[..87], &[0xc1, 0xf6], &seal[88..]]),
            expect: err(214, "payload-not-detached"),
            description: "tag 1 around null as the COSE payload: a well-formed head of another type takes the payload's own code, 214",
        },
        // Record heads.
        Image {
            name: "record-tag-head",
            bytes: cat(&[header, &[0xc1], chunk0]),
            expect: err(113, "unexpected-type"),
            description: "a tag where a record is due: a well-formed head of another type, 113 (not 106)",
        },
        Image {
            name: "record-empty-array",
            bytes: cat(&[header, &[0x80], chunk0]),
            expect: err(201, "record-shape"),
            description: "an empty array as a record: no record type has 0 elements, 201 at its head",
        },
        Image {
            name: "record-one-element",
            bytes: cat(&[header, &[0x81, 0x01], chunk0]),
            expect: err(201, "record-shape"),
            description: "[1] as a record: no record type has 1 element, 201 at its head",
        },
        Image {
            name: "record-array-of-four",
            bytes: cat(&[header, &[0x84, 0x05, 0x00, 0x41, 0x00, 0x00]]),
            expect: err(201, "record-shape"),
            description: "[5, ...] in a 4-array: the length no record has (201, byte 0) before the type 5 (200, byte 1)",
        },
        // Steps first: a chunk's heads (§8.3 step 2) before its number (step 3).
        Image {
            name: "chunk-empty-and-out-of-sequence",
            bytes: cat(&[header, &[0x83, 0x01, 0x05, 0x40]]),
            expect: err(210, "empty-chunk"),
            description: "the first chunk is numbered 5 and empty: the heads' step (210) comes before the sequence step (301), although 05 is the earlier byte",
        },
        // A seal cut short: the deviation, if the bytes received show one.
        Image {
            name: "seal-wrong-tag-cut-short",
            bytes: cat(&[before_seal, &edit(seal, 2, 0xc1)[..60]]),
            expect: err(106, "tag-not-allowed"),
            description: "the seal has tag 1 instead of 18 and the stream ends 60 bytes into it: 106, not 306",
        },
        Image {
            name: "seal-untagged-cut-short",
            bytes: cat(&[before_seal, &seal[..2], &seal[3..100]]),
            expect: err(113, "unexpected-type"),
            description: "the seal has no tag (COSE_Sign1 untagged) and the stream ends inside it: 113, not 306",
        },
        Image {
            name: "seal-short-signature-at-end",
            bytes: cat(&[before_seal, &seal[..88], &[0x58, 0x3f], &seal[90..153]]),
            expect: err(206, "invalid-field-length"),
            description: "a 63-byte signature, and the stream ends after it (153 seal bytes): 206 at the signature's head, not 306",
        },
        Image {
            name: "seal-alg-tag-cut-short",
            bytes: cat(&[before_seal, &edit(seal, 8, 0xc1)[..20]]),
            expect: err(212, "unsupported-algorithm"),
            description: "a tag as the COSE alg, and the stream ends inside the protected header: its bytes so far already deviate, 212, not 306",
        },
        Image {
            name: "seal-cut-short",
            bytes: cat(&[before_seal, &seal[..100]]),
            expect: err(306, "incomplete"),
            description: "100 bytes of a valid seal, then the end: no deviation among them, 306",
        },
        // A header field over its limit: a field rule, checked on the complete header.
        Image {
            name: "header-field-over-limit",
            bytes: cat(&[&header_with_vendor(&"v".repeat(65), &key_id), chunk0]),
            expect: err(111, "length-over-limit"),
            description: "a complete header whose vendor has 65 bytes: 111 at the string's head",
        },
        Image {
            name: "header-field-over-limit-unfinished",
            bytes: cat(&[&[0x82, 0x00, 0xa9, 0x01, 0x01, 0x02, 0x7a, 0x00, 0x01, 0x00, 0x00], &[b'v'; 5000]]),
            expect: err(302, "header-too-large"),
            description: "a vendor declaring 65536 bytes, and 5000 bytes follow: the header is not complete within 4096 bytes (302) before its field rules run",
        },
        Image {
            name: "header-field-over-limit-cut-short",
            bytes: cat(&[&[0x82, 0x00, 0xa9, 0x01, 0x01, 0x02, 0x7a, 0x00, 0x01, 0x00, 0x00], &[b'v'; 100]]),
            expect: err(306, "incomplete"),
            description: "a vendor declaring 65536 bytes, and the stream ends 100 bytes later: the header is incomplete (306)",
        },
        // A missing key is decided when a greater key is read.
        Image {
            name: "header-missing-key-then-bad-value",
            bytes: cat(&[&header_without_vendor(&key_id), chunk0]),
            expect: err(202, "missing-field"),
            description: "no vendor (key 2), and the device API (key 3) is 'vfio pci': key 3 shows key 2 is missing (202) before its value is read (205)",
        },
        // Truncation inside a head its initial byte already refuses.
        Image {
            name: "chunk-seq-float-cut-short",
            bytes: cat(&[header, &[0x83, 0x01, 0xfb, 0x3f]]),
            expect: err(104, "float-not-allowed"),
            description: "a double's initial byte where the sequence number is due, and the stream ends inside it: 104",
        },
        // The protected header.
        Image {
            name: "protected-header-short",
            bytes: cat(&[before_seal, &edit(seal, 5, 0x4f)]),
            expect: err(206, "invalid-field-length"),
            description: "the protected header declared as 79 bytes: 206 at its head, so no item inside it can run past its end",
        },
        Image {
            name: "protected-missing-label-then-trailing",
            bytes: cat(&[before_seal, &protected_without_kid(seal)]),
            expect: err(211, "bad-protected-header"),
            description: "protected {1: -19, 3: content type} and 34 bytes after the map: the missing kid when the map ends (211) before the bytes after it (112)",
        },
    ];
    for i in images {
        set.image(i.name, i.bytes, "mtty-2", "default", i.expect, i.description);
    }

    // Descriptors.
    let ok = dev_mtty2.encode();
    let versions = [0x05, 0x81, 0x82, 0x82, 0x01, 0x00, 0x82, 0x01, 0x00];
    let at = ok.windows(versions.len()).position(|w| w == versions).unwrap_or(0);
    let splice = |with: &[u8]| cat(&[&ok[..at], with, &ok[at + versions.len()..]]);
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "versions-overlap-and-inverted",
        splice(&[
            0x05, 0x82, 0x82, 0x82, 0x01, 0x00, 0x82, 0x01, 0x05, 0x82, 0x82, 0x01, 0x02, 0x82, 0x01, 0x01,
        ]),
        err(207, "list-not-sorted"),
        "ranges 1.0-1.5 then 1.2-1.1: the second's min overlaps the first (207) before its max is below its min (208)",
    );
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "versions-empty",
        splice(&[0x05, 0x80]),
        err(215, "invalid-descriptor"),
        "an empty version list: below the list's minimum of one, the descriptor's own code, as for an empty codec list",
    );

    // Generic items: a head refused by its initial byte, truncated after it.
    for (name, hex_text, expect, d) in [
        (
            "truncated-half-float",
            "f93c",
            err(104, "float-not-allowed"),
            "a half float's first argument byte only: the initial byte refuses it",
        ),
        ("truncated-double-float", "fb", err(104, "float-not-allowed"), "a double's initial byte alone"),
        (
            "truncated-simple-two-byte",
            "f8",
            err(105, "simple-value-not-allowed"),
            "f8 without its second byte: every two-byte simple value is refused",
        ),
        (
            "truncated-non-shortest-u16",
            "1900",
            err(100, "truncated"),
            "19 00 and the end: an argument is judged (101) only once all its bytes are there",
        ),
    ] {
        set.simple("cbor", "cbor", "cbor", name, hex::decode(hex_text).unwrap_or_default(), expect, d);
    }

    // A policy whose session no header can carry: refused when loaded
    // (spec §7.5), with the session nonce's own length code.
    let short = PolicyFile { session: Some(hex::encode([7u8; 15])), ..PolicyFile::default() };
    let text = serde_json::to_string_pretty(&short).unwrap_or_default() + "\n";
    set.simple(
        "policy",
        "policies",
        "json",
        "session-too-short",
        text.into_bytes(),
        err(206, "invalid-field-length"),
        "a policy session nonce of 15 bytes, outside 16-64: refused when the policy is loaded, never applied",
    );
}

/// `[0, {1: 1, 2: vendor, 3: "vfio-pci", 4: "mtty-2", 5: [1, 0], 6: [],
/// 8: "mtty", 9: 3, 12: key id}]`.
fn header_with_vendor(vendor: &str, key_id: &[u8; 32]) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    let _ = (|| -> migseal_format::Result<()> {
        e.array(2)?.uint(0)?.map(9)?;
        e.uint(1)?.uint(1)?.uint(2)?.text(vendor)?.uint(3)?.text("vfio-pci")?.uint(4)?.text("mtty-2")?;
        e.uint(5)?.array(2)?.uint(1)?.uint(0)?.uint(6)?.array(0)?;
        e.uint(8)?.text("mtty")?.uint(9)?.uint(3)?.uint(12)?.bytes(key_id)?;
        Ok(())
    })();
    e.finish().unwrap_or_default()
}

/// A header without its vendor (key 2) whose device API is not an
/// identifier.
fn header_without_vendor(key_id: &[u8; 32]) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    let _ = (|| -> migseal_format::Result<()> {
        e.array(2)?.uint(0)?.map(8)?;
        e.uint(1)?.uint(1)?.uint(3)?.text("vfio pci")?.uint(4)?.text("mtty-2")?;
        e.uint(5)?.array(2)?.uint(1)?.uint(0)?.uint(6)?.array(0)?;
        e.uint(8)?.text("mtty")?.uint(9)?.uint(3)?.uint(12)?.bytes(key_id)?;
        Ok(())
    })();
    e.finish().unwrap_or_default()
}

/// `seal` with its protected header rewritten as a 2-pair map without the
/// kid, the rest of the 80 bytes left after the map.
#[allow(clippy::indexing_slicing)]
fn protected_without_kid(seal: &[u8]) -> Vec<u8> {
    let mut out = seal.to_vec();
    // Protected content is out[6..86]: a3 01 32 03 78 27 <39 bytes> 04 58 20 <kid>.
    out[6] = 0xa2;
    out
}
