//! The canonical reader against public CBOR vectors (RFC 8949 edge cases
//! from cbor-wg, RFC 7049 Appendix A, the CDE draft's table), copied into
//! spec/vectors/external. For each item the expected decision comes from
//! an independent oracle: ciborium decodes it, anything migseal excludes
//! (floats, tags, undefined, other simple values) means "refuse", and
//! otherwise the item must equal its canonical re-encoding (map keys sorted
//! bytewise by encoding, RFC 8949 §4.2.1).

use std::path::{Path, PathBuf};

use ciborium::Value;
use migseal::format::cbor::{Encoder, validate};

fn external(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/external").join(name)
}

/// The canonical encoding of `v`, or `None` when migseal excludes it.
fn canonical(v: &Value) -> Option<Vec<u8>> {
    let mut e = Encoder::new(Vec::new());
    encode(v, &mut e)?;
    e.finish().ok()
}

fn encode(v: &Value, e: &mut Encoder<Vec<u8>>) -> Option<()> {
    match v {
        Value::Integer(i) => {
            let n = i128::from(*i);
            if n >= 0 {
                e.uint(u64::try_from(n).ok()?).ok()?;
            } else {
                e.raw_nint(u64::try_from(-1 - n).ok()?).ok()?;
            }
        }
        Value::Bytes(b) => {
            e.bytes(b).ok()?;
        }
        Value::Text(t) => {
            e.text(t).ok()?;
        }
        Value::Bool(b) => {
            e.bool(*b).ok()?;
        }
        Value::Null => {
            e.null().ok()?;
        }
        Value::Array(items) => {
            e.array(items.len() as u64).ok()?;
            for item in items {
                encode(item, e)?;
            }
        }
        Value::Map(pairs) => {
            let mut encoded: Vec<(Vec<u8>, Vec<u8>)> =
                pairs.iter().map(|(k, v)| Some((canonical(k)?, canonical(v)?))).collect::<Option<_>>()?;
            encoded.sort_by(|a, b| a.0.cmp(&b.0));
            e.map(encoded.len() as u64).ok()?;
            // Replay the sorted pairs through the encoder so it checks
            // duplicates itself.
            for (k, v) in &encoded {
                replay(k, e)?;
                replay(v, e)?;
            }
        }
        // Floats, tags and anything else: excluded by migseal v1.
        _ => return None,
    }
    Some(())
}

fn replay(bytes: &[u8], e: &mut Encoder<Vec<u8>>) -> Option<()> {
    for ev in migseal::format::cbor::Events::new(bytes) {
        ev.ok()?.encode(e).ok()?;
    }
    Some(())
}

/// The oracle's decision for `bytes`.
fn oracle_accepts(bytes: &[u8]) -> bool {
    let Ok(v) = ciborium::de::from_reader_with_recursion_limit::<Value, _>(bytes, 100_000) else {
        return false;
    };
    canonical(&v).is_some_and(|c| c == bytes)
}

fn check(label: &str, bytes: &[u8], failures: &mut Vec<String>) -> bool {
    let ours = validate(bytes, &[]);
    let oracle = oracle_accepts(bytes);
    if ours.is_ok() != oracle {
        failures.push(format!("{label} {}: migseal {ours:?}, oracle accepts={oracle}", hex::encode(bytes)));
    }
    ours.is_ok()
}

#[test]
fn rfc7049_appendix_a() {
    let text = std::fs::read_to_string(external("rfc7049-appendix_a.json")).expect("vectors");
    let items: Vec<serde_json::Value> = serde_json::from_str(&text).expect("json");
    let mut failures = Vec::new();
    let mut accepted = 0;
    for item in &items {
        let bytes = hex::decode(item["hex"].as_str().expect("hex")).expect("hex");
        if check("appendix-a", &bytes, &mut failures) {
            accepted += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Sanity: the set is a mix (integers, strings, arrays, maps accepted;
    // floats, tags, indefinite lengths refused).
    assert!(accepted > 30 && accepted < items.len(), "accepted {accepted} of {}", items.len());
}

fn cbor_wg_tests(name: &str) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(external(name)).expect("vectors");
    let doc: Value = ciborium::de::from_reader_with_recursion_limit(bytes.as_slice(), 100_000)
        .expect("cbor-wg file decodes");
    let tests = doc
        .as_map()
        .and_then(|m| m.iter().find(|(k, _)| k.as_text() == Some("tests")))
        .and_then(|(_, v)| v.as_array())
        .expect("tests array");
    tests
        .iter()
        .filter_map(|t| {
            t.as_map()?.iter().find(|(k, _)| k.as_text() == Some("encoded"))?.1.as_bytes().cloned()
        })
        .collect()
}

/// The cbor-wg files nest deeply (their "decoded" values), and ciborium
/// and the oracle recurse: run them on a thread with a large stack.
fn on_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new().stack_size(1 << 30).spawn(f).expect("thread").join().expect("test thread");
}

#[test]
fn cbor_wg_good_items_follow_the_oracle() {
    on_big_stack(good_items);
}

fn good_items() {
    let mut failures = Vec::new();
    let tests = cbor_wg_tests("cbor-wg-good.cbor");
    assert!(tests.len() > 50);
    for bytes in &tests {
        check("cbor-wg good", bytes, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cbor_wg_bad_items_are_all_refused() {
    on_big_stack(bad_items);
}

fn bad_items() {
    let tests = cbor_wg_tests("cbor-wg-bad.cbor");
    assert!(tests.len() > 30);
    for bytes in &tests {
        assert!(validate(bytes, &[]).is_err(), "accepted bad item {}", hex::encode(bytes));
    }
}

#[test]
fn cde_table() {
    let text = std::fs::read_to_string(external("cde-example-table-input.csv")).expect("csv");
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in text.lines() {
        let kind = line.split(',').next().unwrap_or("");
        // The hex is the second-to-last comma-separated field (values may
        // contain quoted commas; the hex and description never do before it).
        let fields: Vec<&str> = line.rsplitn(3, ',').collect();
        let Some(hex_text) = fields.get(1) else { continue };
        let Ok(bytes) = hex::decode(hex_text) else { continue };
        let ours = validate(&bytes, &[]);
        checked += 1;
        let ok = match kind {
            // Integers are accepted up to 64 bits; bignums are tags, refused.
            "int" => ours.is_ok() != hex_text.starts_with('c'),
            "flt" => ours.is_err_and(|e| e.code().code() == 104),
            "bad" => ours.is_err(),
            _ => true,
        };
        if !ok {
            failures.push(format!("{line}: {ours:?}"));
        }
    }
    assert!(checked >= 70, "only {checked} rows parsed: the table format changed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
