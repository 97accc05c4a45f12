//! Reader vectors: each is one CBOR item, validated with no tags allowed.

use super::{Expect, VectorSet, err};

/// Adds this group.
pub(super) fn add(set: &mut VectorSet) {
    let table: &[(&str, &str, Expect, &str)] = &[
        ("uint-23", "17", Expect::Ok, "largest immediate"),
        ("uint-24", "1818", Expect::Ok, "smallest one-byte argument"),
        ("uint-max", "1bffffffffffffffff", Expect::Ok, "2^64-1"),
        ("nint-min", "3bffffffffffffffff", Expect::Ok, "-2^64"),
        ("bytes", "4401020304", Expect::Ok, "a byte string"),
        ("text-utf8", "62c3bc", Expect::Ok, "ü"),
        ("array", "83010203", Expect::Ok, "[1, 2, 3]"),
        ("map-sorted", "a201020304", Expect::Ok, "{1: 2, 3: 4}"),
        (
            "map-bytewise-order",
            "a20a002000",
            Expect::Ok,
            "{10: 0, -1: 0}: keys in bytewise order of their encodings",
        ),
        ("simple-values", "83f4f5f6", Expect::Ok, "false, true, null"),
        ("non-shortest-uint", "1817", err(101, "non-shortest-head"), "23 in a one-byte argument"),
        ("non-shortest-zero", "1800", err(101, "non-shortest-head"), "0 in a one-byte argument"),
        ("non-shortest-u16", "1900ff", err(101, "non-shortest-head"), "255 in a two-byte argument"),
        ("non-shortest-u32", "1a0000ffff", err(101, "non-shortest-head"), "65535 in a four-byte argument"),
        ("non-shortest-u64", "1b00000000ffffffff", err(101, "non-shortest-head"), "2^32-1 in eight bytes"),
        (
            "non-shortest-length",
            "5801ff",
            err(101, "non-shortest-head"),
            "a 1-byte string with a one-byte length",
        ),
        ("indefinite-bytes", "5f4101ff", err(102, "indefinite-length"), "an indefinite byte string"),
        ("indefinite-array", "9f01ff", err(102, "indefinite-length"), "an indefinite array"),
        ("indefinite-map", "bf0102ff", err(102, "indefinite-length"), "an indefinite map"),
        ("reserved-ai-28", "1c", err(103, "reserved-additional-info"), "additional information 28"),
        ("half-float", "f93c00", err(104, "float-not-allowed"), "1.0 as a half float"),
        ("double-float", "fb3ff0000000000000", err(104, "float-not-allowed"), "1.0 as a double"),
        ("undefined", "f7", err(105, "simple-value-not-allowed"), "undefined"),
        ("simple-16", "f0", err(105, "simple-value-not-allowed"), "unassigned simple value 16"),
        ("simple-two-byte", "f820", err(105, "simple-value-not-allowed"), "two-byte simple value 32"),
        ("tag-epoch", "c11a514b67b0", err(106, "tag-not-allowed"), "tag 1 (epoch time)"),
        ("tag-bignum", "c249010000000000000000", err(106, "tag-not-allowed"), "tag 2 (bignum)"),
        ("invalid-utf8", "62c328", err(107, "invalid-utf8"), "a broken two-byte sequence"),
        ("map-unsorted", "a203040102", err(108, "map-keys-unsorted"), "{3: 4, 1: 2}"),
        (
            "map-text-keys",
            "a2616201626161 02",
            Expect::Ok,
            "{\"b\": 1, \"aa\": 2}: bytewise order of encodings, not of the strings",
        ),
        ("map-duplicate", "a201020103", err(109, "duplicate-map-key"), "{1: 2, 1: 3}"),
        (
            "nesting-17",
            "818181818181818181818181818181818100",
            err(110, "nesting-too-deep"),
            "17 nested arrays",
        ),
        ("nesting-16", "8181818181818181818181818181818100", Expect::Ok, "16 nested arrays"),
        ("trailing-bytes", "0001", err(112, "trailing-bytes"), "two items"),
        ("stray-break", "ff", err(115, "stray-break"), "a break byte alone"),
        ("truncated-head", "19", err(100, "truncated"), "a two-byte argument missing"),
        ("truncated-string", "44010203", err(100, "truncated"), "3 of 4 declared bytes"),
        (
            "length-2-pow-63",
            "5b8000000000000000",
            err(100, "truncated"),
            "a declared length far beyond the input",
        ),
    ];
    for (name, hex_text, expect, d) in table {
        set.simple(
            "cbor",
            "cbor",
            "cbor",
            name,
            hex::decode(hex_text.replace(' ', "")).unwrap_or_default(),
            expect.clone(),
            d,
        );
    }
}
