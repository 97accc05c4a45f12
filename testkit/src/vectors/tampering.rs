//! Stream tampering: records reordered, dropped, cut, re-encoded, resealed.

use super::fixtures::Fixtures;
use super::{VectorSet, err};
use crate::samples::{filler, record_ranges, seal_image};
use migseal_format::envelope::SEAL_RECORD_LEN;

/// Adds this group.
#[allow(clippy::too_many_lines)]
pub(super) fn add(set: &mut VectorSet, f: &Fixtures) {
    let Fixtures { linux, revoked, mtty2, payload_mtty2, mtty2_image, mtty2_chunked, .. } = f;
    // Stream tampering.
    let r = record_ranges(mtty2_chunked);
    let header = &mtty2_chunked[r[0].clone()];
    let chunk = |i: usize| &mtty2_chunked[r[i + 1].clone()];
    let seal = &mtty2_chunked[r[r.len() - 1].clone()];
    let cat = |parts: &[&[u8]]| parts.concat();
    set.image(
        "chunk-reordered",
        cat(&[header, chunk(0), chunk(2), chunk(1), chunk(3), chunk(4), chunk(5), seal]),
        "mtty-2",
        "default",
        err(301, "sequence-gap"),
        "chunks 1 and 2 swapped",
    );
    set.image(
        "chunk-duplicated",
        cat(&[header, chunk(0), chunk(1), chunk(1), chunk(2), chunk(3), chunk(4), chunk(5), seal]),
        "mtty-2",
        "default",
        err(301, "sequence-gap"),
        "chunk 1 twice",
    );
    set.image(
        "chunk-dropped",
        cat(&[header, chunk(0), chunk(2), chunk(3), chunk(4), chunk(5), seal]),
        "mtty-2",
        "default",
        err(301, "sequence-gap"),
        "chunk 1 missing",
    );
    let cut = r[2].start + 7;
    set.image(
        "truncated-mid-chunk",
        mtty2_chunked[..cut].to_vec(),
        "mtty-2",
        "default",
        err(306, "incomplete"),
        "the stream ends inside chunk 1",
    );
    set.image(
        "truncated-before-seal",
        mtty2_chunked[..r[r.len() - 1].start].to_vec(),
        "mtty-2",
        "default",
        err(306, "incomplete"),
        "all chunks, no seal",
    );
    let other = seal_image(mtty2, linux, &filler("other state", 96), 16);
    let other_seal = &other[other.len() - SEAL_RECORD_LEN..];
    set.image(
        "seal-from-other-image",
        cat(&[&mtty2_chunked[..r[r.len() - 1].start], other_seal]),
        "mtty-2",
        "default",
        err(600, "bad-signature"),
        "a valid seal of another image with the same key",
    );
    let mut raised = mtty2.clone();
    raised.security_version = 9;
    let raised_image = seal_image(&raised, linux, payload_mtty2, 16);
    let raised_header = &raised_image[record_ranges(&raised_image)[0].clone()];
    set.image(
        "header-changed-after-sealing",
        cat(&[raised_header, &mtty2_chunked[r[0].end..]]),
        "mtty-2",
        "default",
        err(600, "bad-signature"),
        "security version raised in the header after sealing",
    );
    let nv_seal_image = seal_image(mtty2, revoked, payload_mtty2, 16);
    set.image(
        "seal-key-id-mismatch",
        cat(&[
            &mtty2_chunked[..r[r.len() - 1].start],
            &nv_seal_image[nv_seal_image.len() - SEAL_RECORD_LEN..],
        ]),
        "mtty-2",
        "default",
        err(411, "key-id-mismatch"),
        "the seal names another key than the header",
    );
    set.image(
        "trailing-bytes",
        cat(&[mtty2_chunked, &[0x00]]),
        "mtty-2",
        "default",
        err(112, "trailing-bytes"),
        "one byte after the seal",
    );
    let mut noncanon = cat(&[header]);
    let c0 = chunk(0);
    noncanon.extend_from_slice(&c0[..2]);
    noncanon.extend_from_slice(&[0x18, 0x00]); // seq 0 in a two-byte head
    noncanon.extend_from_slice(&c0[3..]);
    noncanon.extend_from_slice(&mtty2_chunked[r[1].end..]);
    set.image(
        "non-canonical-reencoding",
        noncanon,
        "mtty-2",
        "default",
        err(101, "non-shortest-head"),
        "chunk 0's sequence number re-encoded as 18 00",
    );
    let mut huge = cat(&[header]);
    huge.extend_from_slice(&[0x83, 0x01, 0x00, 0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    set.image(
        "declared-length-2-pow-63",
        huge,
        "mtty-2",
        "default",
        err(111, "length-over-limit"),
        "a chunk declaring 2^63 bytes, refused before any is read",
    );
    let mut malleable = mtty2_image.clone();
    add_group_order(&mut malleable);
    set.image(
        "malleable-signature",
        malleable,
        "mtty-2",
        "default",
        err(601, "non-canonical-signature"),
        "the seal's S replaced by S + L",
    );
    let mut eddsa = mtty2_image.clone();
    let seal_at = eddsa.len() - SEAL_RECORD_LEN;
    eddsa[seal_at + 8] = 0x27; // alg -19 -> -8
    set.image(
        "polymorphic-eddsa-alg",
        eddsa,
        "mtty-2",
        "default",
        err(212, "unsupported-algorithm"),
        "COSE alg -8 (EdDSA) instead of -19 (Ed25519)",
    );
    set.image(
        "unknown-record-type",
        cat(&[header, &[0x82, 0x03, 0x00], chunk(0)]),
        "mtty-2",
        "default",
        err(200, "unknown-record-type"),
        "a record of type 3",
    );
    set.image(
        "chunk-before-header",
        cat(&[chunk(0), header]),
        "mtty-2",
        "default",
        err(300, "record-order"),
        "the stream starts with a chunk",
    );
    set.image(
        "second-header",
        cat(&[header, header, chunk(0)]),
        "mtty-2",
        "default",
        err(300, "record-order"),
        "two header records",
    );
    set.image(
        "empty-chunk",
        cat(&[header, &[0x83, 0x01, 0x00, 0x40]]),
        "mtty-2",
        "default",
        err(210, "empty-chunk"),
        "a chunk record with no bytes",
    );
    set.image(
        "header-too-large",
        mtty2_image.clone(),
        "mtty-2",
        "tiny-header",
        err(302, "header-too-large"),
        "the policy allows 32 header bytes",
    );
    set.image(
        "chunk-too-large",
        seal_image(mtty2, linux, payload_mtty2, 96),
        "mtty-2",
        "small-limits",
        err(303, "chunk-too-large"),
        "a 96-byte chunk, the policy allows 64",
    );
    set.image(
        "too-many-chunks",
        seal_image(mtty2, linux, &payload_mtty2[..50], 10),
        "mtty-2",
        "small-limits",
        err(304, "too-many-chunks"),
        "5 chunks, the policy allows 4",
    );
    set.image(
        "total-too-large",
        seal_image(mtty2, linux, &filler("big", 240), 60),
        "mtty-2",
        "small-limits",
        err(305, "total-too-large"),
        "240 payload bytes, the policy allows 200",
    );
    set.image(
        "not-an-image",
        b"GIF89a\x01\x00\x01\x00".to_vec(),
        "mtty-2",
        "default",
        err(113, "unexpected-type"),
        "garbage is refused at its first byte",
    );
}

/// Adds the group order L to the S half of the seal's signature (the last
/// 32 bytes of the image), little-endian.
fn add_group_order(image: &mut [u8]) {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let n = image.len();
    let s = &mut image[n - 32..];
    let mut carry = 0u16;
    for (b, l) in s.iter_mut().zip(L) {
        let sum = u16::from(*b) + u16::from(l) + carry;
        *b = sum.to_le_bytes()[0];
        carry = sum >> 8;
    }
}
