//! Ed25519 edge-case suites through the crypto seam, in the order of spec
//! §5.7: the verifier's own S < L check (601), then the provider
//! ([`Dalek`]): the public key decodes (602) and is not of small order
//! (refused when a trust store takes it, 409), then R decodes, R is not of
//! small order, and the cofactorless equation holds comparing encodings
//! (600).
//!
//! The data are the suites' own files, kept with their licences under
//! `spec/vectors/external/` (see its README): Wycheproof's
//! `ed25519_test.json` and the twelve cases of "Taming the many EdDSAs"
//! (Chalkias, Garillot, Nikolaenko, SSR 2020; `ed25519-speccheck`'s
//! `cases.json`). Every expected verdict below is written from §5.7, not
//! read back from the code under test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use migseal_verifier::{CryptoFailure, Dalek, signature_s_is_canonical, verify_with_public_key};
use serde_json::Value;

/// A verdict as the verifier reports it: accepted, or a spec error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Accept,
    Refuse(u16),
}
use Verdict::{Accept, Refuse};

/// §5.7 applied to one (public key, message, 64-byte signature).
fn verdict(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> Verdict {
    if !signature_s_is_canonical(signature) {
        return Refuse(601);
    }
    match verify_with_public_key(&Dalek, public_key, message, signature) {
        Ok(()) => Accept,
        Err(CryptoFailure::InvalidPublicKey) => Refuse(602),
        Err(CryptoFailure::WeakKey) => Refuse(409),
        Err(CryptoFailure::BadSignature) => Refuse(600),
    }
}

fn load(path: &str) -> Value {
    let full = format!("{}/spec/vectors/external/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&full).expect(&full)).expect(&full)
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}

/// S ≥ L, computed here independently of `signature_s_is_canonical`:
/// compare big-endian hex strings of equal length.
fn s_at_least_l(signature: &[u8]) -> bool {
    const L_BE: &str = "1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed";
    let be: String = signature[32..].iter().rev().map(|b| format!("{b:02x}")).collect();
    be.as_str() >= L_BE
}

/// The "Taming the many EdDSAs" cases, in the order of `cases.json`
/// (indices as in the paper's table and the speccheck README). "small" is
/// order dividing 8; "mixed" has a torsion component but is not small.
const SPECCHECK: [(Verdict, &str); 12] = [
    // Suite: S = 0, small A, small R; cofactored and cofactorless accept.
    // §5.7: A of small order is refused when trusted (409), before any
    // signature is looked at.
    (Refuse(409), "0: small A and small R (S = 0)"),
    // Suite: small A, mixed R; both equations accept. §5.7: small A, 409.
    (Refuse(409), "1: small A only"),
    // Suite: mixed A, small R; both equations accept. §5.7 rule 3: small
    // R, 600.
    (Refuse(600), "2: small R only"),
    // Suite: mixed A and R, both equations accept. §5.7 refuses only
    // small order, not mixed order, and the cofactorless equation holds:
    // accepted, as by every strict verifier in the paper.
    (Accept, "3: mixed A and R, both equations hold"),
    // Suite: holds cofactored only. §5.7 rule 4 is cofactorless: 600.
    (Refuse(600), "4: mixed A and R, cofactored equation only"),
    // Suite: holds cofactored only (fails with a pre-reduced 8k). §5.7
    // rule 4, cofactorless: 600.
    (Refuse(600), "5: mixed A, cofactored equation only (pre-reduced scalar)"),
    // Suite: S > L, built to pass both equations. §5.7 rule 1: 601.
    (Refuse(601), "6: S > L"),
    // Suite: S >> L (high bit set). §5.7 rule 1: 601.
    (Refuse(601), "7: S >> L"),
    // Suite: non-canonical encoding of a small-order R, k over R reduced.
    // §5.7 rule 3 (small R) and rule 4 (encodings differ): 600.
    (Refuse(600), "8: non-canonical small R, hashed reduced"),
    // Suite: as 8, k over R as given. §5.7: 600.
    (Refuse(600), "9: non-canonical small R, hashed as given"),
    // Suite: non-canonical encoding of a small-order A (y ≥ p), k over A
    // reduced. §5.7: A decodes (y reduced mod p, as curve25519-dalek
    // does) to a small-order point, refused when trusted: 409.
    (Refuse(409), "10: non-canonical small A, hashed reduced"),
    // Suite: as 10, k over A as given. §5.7: 409.
    (Refuse(409), "11: non-canonical small A, hashed as given"),
];

#[test]
fn taming_the_many_eddsas_cases_get_the_section_5_7_verdicts() {
    let cases = load("ed25519-speccheck/cases.json");
    let cases = cases.as_array().expect("an array of cases");
    assert_eq!(cases.len(), SPECCHECK.len(), "the study has twelve cases");
    let mut wrong = Vec::new();
    for (case, (expected, what)) in cases.iter().zip(SPECCHECK) {
        let public_key: [u8; 32] = bytes(&case["pub_key"]).try_into().expect("32-byte key");
        let signature: [u8; 64] = bytes(&case["signature"]).try_into().expect("64-byte signature");
        let got = verdict(&public_key, &bytes(&case["message"]), &signature);
        if got != expected {
            wrong.push(format!("case {what}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// §5.7 for a Wycheproof test. Every key in the file is a full-order
/// point, so no case stops at 602 or 409 (checked in the test).
fn wycheproof_expectation(result: &str, flags: &[&str], signature: &[u8]) -> Option<Verdict> {
    if signature.len() != 64 {
        // Truncated, with garbage appended, or compressed: not a
        // signature at all. A seal's signature is a 64-byte string (spec
        // §5.3), so the seal record is refused before the seam; the seam's
        // type cannot even carry it.
        return None;
    }
    Some(match result {
        "valid" => Accept,
        // Suite: invalid, S out of range (malleability, edge values such
        // as L itself). §5.7 rule 1 decides first: 601.
        "invalid" if s_at_least_l(signature) => Refuse(601),
        // Suite: invalid (bad encodings of R, edge-case R and S values,
        // known invalid signatures). §5.7 rules 3 and 4: 600.
        "invalid" => Refuse(600),
        other => panic!("unexpected result {other:?} (flags {flags:?})"),
    })
}

#[test]
fn wycheproof_ed25519_gets_the_section_5_7_verdicts() {
    let suite = load("wycheproof/ed25519_test.json");
    let mut wrong = Vec::new();
    let (mut run, mut not_signatures, mut accepted, mut by_code) =
        (0, 0, 0, std::collections::BTreeMap::new());
    for group in suite["testGroups"].as_array().expect("groups") {
        let public_key: [u8; 32] = bytes(&group["publicKey"]["pk"]).try_into().expect("32-byte key");
        for test in group["tests"].as_array().expect("tests") {
            let id = &test["tcId"];
            let signature = bytes(&test["sig"]);
            let flags: Vec<&str> =
                test["flags"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
            let Some(expected) = wycheproof_expectation(test["result"].as_str().unwrap(), &flags, &signature)
            else {
                assert!(<[u8; 64]>::try_from(signature.as_slice()).is_err());
                not_signatures += 1;
                continue;
            };
            let signature: [u8; 64] = signature.try_into().unwrap();
            let got = verdict(&public_key, &bytes(&test["msg"]), &signature);
            run += 1;
            match got {
                Accept => accepted += 1,
                Refuse(code) => *by_code.entry(code).or_insert(0) += 1,
            }
            if got != expected {
                wrong.push(format!("tcId {id} ({flags:?}): expected {expected:?}, got {got:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The whole file was read: 151 tests, 12 of them not 64 bytes long.
    assert_eq!((run, not_signatures), (139, 12));
    assert_eq!(accepted, 88, "the suite's valid signatures");
    assert_eq!(by_code.get(&602).copied().unwrap_or(0) + by_code.get(&409).copied().unwrap_or(0), 0);
}
