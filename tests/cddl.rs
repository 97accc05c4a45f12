//! `spec/migseal.cddl` describes what the implementation accepts.
//!
//! Every record of every valid image and every valid descriptor in
//! `spec/vectors` matches the schema (validated by the `cddl` crate, an
//! independent RFC 8610 implementation). Invalid vectors whose fault CDDL
//! can express (a wrong type, shape, key, identifier, role, algorithm…) are
//! refused by the schema too. Faults CDDL cannot express (encoding form,
//! list order, limits, policy, signatures) are out of its reach, as the
//! schema's preamble says, and are not checked here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/vectors");

/// Codes whose cause is a schema violation (§9): CDDL must refuse these.
const SCHEMA_CODES: &[u64] =
    &[113, 114, 200, 201, 202, 203, 204, 205, 206, 209, 210, 211, 212, 213, 214, 215];

/// The schema as the `cddl` crate needs it. RFC 8610 §3.8.3 gives
/// `.regexp` XSD semantics, where a pattern matches the whole string; the
/// crate uses Rust's `regex`, which matches anywhere, so each pattern is
/// anchored here explicitly. Nothing else changes.
fn schema() -> String {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/migseal.cddl")).unwrap();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find(".regexp \"") {
        let start = at + ".regexp \"".len();
        let end = start + rest[start..].find('"').unwrap();
        out.push_str(&rest[..start]);
        out.push_str(&format!("^(?:{})$", &rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Splits a CBOR sequence into its items (stops at the first item that is
/// not well-formed CBOR).
fn items(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let before = bytes;
        let mut reader = bytes;
        if ciborium::de::from_reader::<ciborium::Value, _>(&mut reader).is_err() {
            break;
        }
        let used = before.len() - reader.len();
        out.push(&before[..used]);
        bytes = reader;
    }
    out
}

fn matches(schema: &str, item: &[u8]) -> Result<(), String> {
    cddl::validate_cbor_from_slice(schema, item, None).map_err(|e| e.to_string())
}

struct Vector {
    name: String,
    kind: String,
    file: String,
    code: Option<u64>,
}

fn vectors() -> Vec<Vector> {
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(VECTORS).join("index.json")).unwrap())
            .unwrap();
    index["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Vector {
            name: v["name"].as_str().unwrap().to_owned(),
            kind: v["kind"].as_str().unwrap().to_owned(),
            file: v["file"].as_str().unwrap().to_owned(),
            code: v["expect"]["code"].as_u64(),
        })
        .filter(|v| v.kind == "image" || v.kind == "descriptor")
        .collect()
}

#[test]
fn the_schema_parses() {
    cddl::cddl_from_str(&schema(), true).unwrap();
}

#[test]
fn every_valid_record_and_descriptor_matches_the_schema() {
    let schema = schema();
    let mut checked = 0;
    for v in vectors().iter().filter(|v| v.code.is_none()) {
        let bytes = std::fs::read(Path::new(VECTORS).join(&v.file)).unwrap();
        let items = items(&bytes);
        assert!(!items.is_empty(), "{}: no CBOR item", v.name);
        for (i, item) in items.iter().enumerate() {
            matches(&schema, item).unwrap_or_else(|e| panic!("{} item {i} refused by the CDDL: {e}", v.name));
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} items checked");
}

/// Images whose records are all accepted by the verifier, but where the
/// verifier refuses on policy or crypto grounds, still match the schema.
#[test]
fn records_refused_only_by_policy_still_match_the_schema() {
    let schema = schema();
    for v in
        vectors().iter().filter(|v| v.kind == "image" && v.code.is_some_and(|c| (400..=699).contains(&c)))
    {
        let bytes = std::fs::read(Path::new(VECTORS).join(&v.file)).unwrap();
        for item in items(&bytes) {
            matches(&schema, item).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        }
    }
}

#[test]
fn every_schema_fault_in_the_vectors_is_refused_by_the_schema() {
    let schema = schema();
    let mut checked = Vec::new();
    for v in vectors().iter().filter(|v| v.code.is_some_and(|c| SCHEMA_CODES.contains(&c))) {
        let bytes = std::fs::read(Path::new(VECTORS).join(&v.file)).unwrap();
        let items = items(&bytes);
        let refused = items.iter().any(|item| matches(&schema, item).is_err());
        // A faulty record the stream cuts short is no complete item, so
        // there is nothing the schema could judge (the spec's precedence,
        // §8.6, still names its fault).
        let whole = items.iter().map(|i| i.len()).sum::<usize>() == bytes.len();
        if !refused && !whole {
            continue;
        }
        assert!(refused, "{} (code {:?}) matches the CDDL, which should refuse it", v.name, v.code);
        checked.push(v.name.clone());
    }
    assert!(checked.len() >= 8, "only {checked:?}");
}

/// The shipped destination descriptor with map key `key` set to `value`
/// (or removed when `value` is `None`), re-encoded.
fn descriptor_with(key: i64, value: Option<ciborium::Value>) -> Vec<u8> {
    let bytes = std::fs::read(Path::new(VECTORS).join("devices/mtty-2.cbor")).unwrap();
    let mut decoded: ciborium::Value = ciborium::de::from_reader(&bytes[..]).unwrap();
    let map = decoded.as_map_mut().unwrap();
    map.retain(|(k, _)| k != &ciborium::Value::from(key));
    if let Some(value) = value {
        map.push((ciborium::Value::from(key), value));
        map.sort_by_key(|(k, _)| k.as_integer().map(i128::from));
    }
    let mut out = Vec::new();
    ciborium::ser::into_writer(&decoded, &mut out).unwrap();
    out
}

#[test]
fn the_schema_refuses_hand_made_deviations() {
    use ciborium::Value::{Array, Bytes, Integer, Text};
    let schema = schema();
    let shipped = std::fs::read(Path::new(VECTORS).join("devices/mtty-2.cbor")).unwrap();
    assert_eq!(descriptor_with(9, Some(Integer(1.into()))), shipped, "the re-encoding is faithful");
    matches(&schema, &shipped).unwrap();
    let text = |s: &str| Some(Text(s.to_owned()));
    let refused: Vec<(&str, Vec<u8>)> = vec![
        ("vendor starting with a dot", descriptor_with(2, text(".linux"))),
        ("vendor with a space", descriptor_with(2, text("li nux"))),
        ("65-byte vendor", descriptor_with(2, text(&"a".repeat(65)))),
        ("empty vendor", descriptor_with(2, text(""))),
        ("role 2", descriptor_with(9, Some(Integer(2.into())))),
        ("format version 2", descriptor_with(1, Some(Integer(2.into())))),
        ("no codecs", descriptor_with(8, None)),
        ("empty codec list", descriptor_with(8, Some(Array(vec![])))),
        ("unknown key 10", descriptor_with(10, Some(Integer(0.into())))),
        ("empty config data", descriptor_with(7, Some(Array(vec![Text("k".into()), Bytes(vec![])])))),
        (
            "config data over 1024 bytes",
            descriptor_with(7, Some(Array(vec![Text("k".into()), Bytes(vec![0; 1025])]))),
        ),
    ];
    for (what, bytes) in refused {
        assert!(matches(&schema, &bytes).is_err(), "the CDDL accepts a descriptor with {what}");
    }
    let config = descriptor_with(7, Some(Array(vec![Text("vfio-ap-matrix".into()), Bytes(vec![0; 96])])));
    matches(&schema, &config).unwrap();
}
