//! Descriptor vectors: a destination and a source descriptor, and byte
//! edits of them that must be refused.

use migseal_format::envelope::Role;

use super::{Expect, VectorSet, err};
use crate::samples::DescriptorSpec;

/// Adds this group.
#[allow(clippy::too_many_lines)]
pub(super) fn add(set: &mut VectorSet, dev: &DescriptorSpec) {
    let ok = dev.encode();
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "destination-mtty-2",
        ok.clone(),
        Expect::Ok,
        "the mtty-2 destination descriptor",
    );
    let mut src = dev.clone();
    src.role = Role::Source;
    src.features = vec!["b".into(), "aa".into(), "c".into()];
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "source-with-features",
        src.encode(),
        Expect::Ok,
        "features in canonical order: b, c, aa (length first)",
    );
    // Byte edits of the valid encoding. The layout is a9 01 01 02 65 "linux" ...
    let mut role = ok.clone();
    let n = role.len();
    role[n - 1] = 0x07; // role 7
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "unknown-role",
        role,
        err(215, "invalid-descriptor"),
        "role 7 is neither source (0) nor destination (1)",
    );
    let mut trailing = ok.clone();
    trailing.push(0x00);
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "trailing-bytes",
        trailing,
        err(112, "trailing-bytes"),
        "a byte after the descriptor",
    );
    let mut noncanon = vec![0xb9, 0x00, 0x08];
    noncanon.extend_from_slice(&ok[1..]);
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "non-shortest-map-head",
        noncanon,
        err(101, "non-shortest-head"),
        "the map head written as b9 00 08",
    );
    let mut bad_ident = ok.clone();
    bad_ident[5] = b' '; // "linux" -> "l nux"
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "identifier-with-space",
        bad_ident,
        err(205, "invalid-identifier"),
        "a vendor name with a space",
    );
    let mut upper = ok.clone();
    upper[5] = b'I'; // "lInux": valid, and a different vendor
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "identifier-case-is-kept",
        upper,
        Expect::Ok,
        "no case folding: lInux is a valid, different identifier",
    );
    let mut unsorted = dev.clone();
    unsorted.features = vec!["a".into()];
    let mut bytes = unsorted.encode();
    // features [ "a" ] -> [ "a", "a" ]: a repeated entry
    let pos = bytes.windows(3).position(|w| w == [0x06, 0x81, 0x61]).unwrap_or(0);
    bytes.splice(pos + 1..pos + 2, [0x82, 0x61, b'a']);
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "repeated-feature",
        bytes,
        err(207, "list-not-sorted"),
        "the same feature twice",
    );
}
