//! Every export, called through its JavaScript types under Node
//! (`wasm-bindgen-test`): argument forms, result objects, and the
//! properties of thrown `MigsealError`s. The CI step `wasm` runs it
//! (`cargo xtask ci --only wasm`); natively the file is empty.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::float_arithmetic,
    missing_docs
)]

use js_sys::{JSON, Reflect, Uint8Array};
use migseal_wasm::bindings::{
    StreamVerifier, check_compat, descriptor_to_cbor, descriptor_to_json, inspect, memory_bytes,
    validate_cbor, verify,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const IMAGE: &[u8] = include_bytes!("../../spec/vectors/images/mtty-2-six-chunks.migseal");
const CROSS_VENDOR: &[u8] = include_bytes!("../../spec/vectors/images/cross-vendor.migseal");
const TAMPERED: &[u8] = include_bytes!("../../spec/vectors/images/header-changed-after-sealing.migseal");
const DEVICE: &[u8] = include_bytes!("../../spec/vectors/devices/mtty-2.cbor");
const POLICY: &str = include_str!("../../spec/vectors/policies/default.json");
const WEAK_POLICY: &str = include_str!("../../spec/vectors/policies/weak-key.json");

const DEVICE_JSON: &str = r#"{"role": "destination", "vendor": "linux", "device_api": "vfio-pci",
    "device_type": "mtty-2", "versions": ["1.0-1.3"], "codecs": ["mtty"]}"#;

fn get(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |v, key| Reflect::get(&v, &key.into()).unwrap())
}

fn num(v: &JsValue, path: &str) -> f64 {
    get(v, path).as_f64().unwrap_or_else(|| panic!("{path} is not a number"))
}

fn text(v: &JsValue, path: &str) -> String {
    get(v, path).as_string().unwrap_or_else(|| panic!("{path} is not a string"))
}

fn object(json: &str) -> JsValue {
    JSON::parse(json).unwrap()
}

fn bytes(b: &[u8]) -> JsValue {
    Uint8Array::from(b).into()
}

/// A thrown value is a real `Error` named `MigsealError`.
fn assert_migseal_error(e: &JsValue, code: Option<f64>, input: &str) {
    assert!(e.is_instance_of::<js_sys::Error>(), "thrown value is an Error");
    assert_eq!(text(e, "name"), "MigsealError");
    assert_eq!(get(e, "code").as_f64(), code, "code of {}", text(e, "message"));
    assert_eq!(text(e, "input"), input);
}

#[wasm_bindgen_test]
fn check_compat_takes_objects_strings_and_bytes() {
    let source = object(&DEVICE_JSON.replace("destination", "source").replace("1.0-1.3", "0.9-1.0"));
    for destination in [object(DEVICE_JSON), DEVICE_JSON.into(), bytes(DEVICE), bytes(DEVICE_JSON.as_bytes())]
    {
        let r = check_compat(source.clone(), destination).unwrap();
        assert_eq!(get(&r, "compatible").as_bool(), Some(true));
        assert_eq!(text(&r, "chosen_version"), "1.0");
        assert_eq!(Reflect::get(&get(&r, "reasons"), &"length".into()).unwrap().as_f64(), Some(0.0));
    }
}

#[wasm_bindgen_test]
fn check_compat_lists_every_reason() {
    let source = object(
        r#"{"role": "source", "vendor": "nvidia", "device_api": "vfio-pci", "device_type": "nvidia-35",
            "versions": ["2.0"], "codecs": ["nvidia-vgpu"]}"#,
    );
    let r = check_compat(source, bytes(DEVICE)).unwrap();
    assert_eq!(get(&r, "compatible").as_bool(), Some(false));
    assert_eq!(text(&r, "verdict"), "incompatible");
    assert_eq!(num(&r, "reason_count"), 4.0);
    assert_eq!(num(&r, "reasons.0.code"), 500.0);
    assert_eq!(text(&r, "reasons.0.name"), "vendor-mismatch");
    assert!(text(&r, "reasons.0.message").contains("cross-vendor migration is impossible"));
    assert_eq!(num(&r, "reasons.1.code"), 502.0);
    assert_eq!(num(&r, "reasons.2.code"), 503.0);
    assert_eq!(num(&r, "reasons.3.code"), 506.0);
}

#[wasm_bindgen_test]
fn check_compat_throws_for_invalid_descriptors() {
    let e = check_compat(JsValue::NULL, bytes(DEVICE)).unwrap_err();
    assert_migseal_error(&e, None, "source");
    assert!(text(&e, "message").contains("found null"), "{}", text(&e, "message"));
    let e = check_compat(object(DEVICE_JSON), "{\"role\": 1}".into()).unwrap_err();
    assert_migseal_error(&e, None, "destination");
    let e = check_compat(bytes(&DEVICE[..DEVICE.len() - 1]), bytes(DEVICE)).unwrap_err();
    assert_eq!(text(&e, "input"), "source");
    assert!(get(&e, "code").as_f64().is_some_and(|c| (100.0..300.0).contains(&c)));
    assert!(get(&e, "offset").as_f64().is_some());
}

#[wasm_bindgen_test]
fn inspect_reads_the_header_of_a_prefix() {
    let r = inspect(&IMAGE[..512.min(IMAGE.len())]).unwrap();
    assert_eq!(text(&r, "verdict"), "unverified");
    assert_eq!(text(&r, "header.vendor"), "linux");
    assert_eq!(text(&r, "header.device_type"), "mtty-2");
    assert_eq!(text(&r, "header.key_id").len(), 64);
    assert_eq!(text(&r, "source_descriptor.role"), "source");
    // The implied source descriptor goes straight into checkCompat.
    let c = check_compat(get(&r, "source_descriptor"), bytes(DEVICE)).unwrap();
    assert_eq!(get(&c, "compatible").as_bool(), Some(true));
    let e = inspect(&IMAGE[..10]).unwrap_err();
    assert_migseal_error(&e, Some(306.0), "image");
    assert_eq!(text(&e, "codeName"), "incomplete");
}

#[wasm_bindgen_test]
fn verify_returns_the_verdict() {
    let r = verify(IMAGE, POLICY.into(), bytes(DEVICE)).unwrap();
    assert_eq!(text(&r, "verdict"), "verified");
    // The vector's payload in 16-byte chunks.
    assert_eq!(num(&r, "chunk_count"), (num(&r, "payload_len") / 16.0).ceil());
    assert_eq!(num(&r, "image_len"), f64::from(u32::try_from(IMAGE.len()).unwrap()));
    assert_eq!(text(&r, "header.codec"), "mtty");
    assert_eq!(text(&r, "image_digest").len(), 64);
    // The policy as an object and the device as JSON give the same verdict.
    let again = verify(IMAGE, object(POLICY), object(DEVICE_JSON)).unwrap();
    assert_eq!(JSON::stringify(&again).unwrap(), JSON::stringify(&r).unwrap());
}

#[wasm_bindgen_test]
fn verify_throws_the_stable_code() {
    let e = verify(CROSS_VENDOR, POLICY.into(), bytes(DEVICE)).unwrap_err();
    assert_migseal_error(&e, Some(500.0), "image");
    assert_eq!(text(&e, "codeName"), "vendor-mismatch");
    assert_eq!(num(&e, "offset"), 0.0);
    assert!(num(&e, "errno") > 0.0);
    assert!(text(&e, "message").starts_with("error 500 (vendor-mismatch) at byte 0:"));
    let e = verify(TAMPERED, POLICY.into(), bytes(DEVICE)).unwrap_err();
    assert_migseal_error(&e, Some(600.0), "image");
    let e = verify(IMAGE, WEAK_POLICY.into(), bytes(DEVICE)).unwrap_err();
    assert_migseal_error(&e, Some(409.0), "policy");
    let e = verify(IMAGE, "{\"trusted\": 3}".into(), bytes(DEVICE)).unwrap_err();
    assert_migseal_error(&e, None, "policy");
    assert_eq!(text(&e, "message"), "policy file: trusted: expected an array, found number");
}

/// The policy and descriptor forms are read as strictly as the CLI reads
/// its files: a typo is an error, not a silently ignored rule.
#[wasm_bindgen_test]
fn policy_and_descriptor_objects_are_read_strictly() {
    let refused = |policy: &str| {
        let e = verify(IMAGE, policy.into(), bytes(DEVICE)).unwrap_err();
        assert_migseal_error(&e, None, "policy");
        text(&e, "message")
    };
    assert_eq!(
        refused(r#"{"trusted": [], "min_securty": []}"#),
        "policy file: unknown field `min_securty`, expected one of `trusted`, `revoked`, `min_security`, `session`, `subject`, `limits`"
    );
    assert_eq!(
        refused(r#"{"trusted": [{"vendor": "linux"}]}"#),
        "policy file: trusted[0]: missing field `public_key`"
    );
    assert_eq!(
        refused(r#"{"min_security": [{"vendor": "linux", "minimum": 1.5}]}"#),
        "policy file: min_security[0].minimum: expected a whole number from 0 to 9007199254740991 (2^53 - 1, the largest a JavaScript number holds exactly), found another number"
    );
    assert!(
        refused(r#"{"limits": {"max_chunks": -1}}"#)
            .starts_with("policy file: limits.max_chunks: expected a whole number")
    );
    assert!(
        refused(r#"{"limits": {"max_chunks": 1e300}}"#)
            .starts_with("policy file: limits.max_chunks: expected a whole number")
    );
    assert!(refused("{\"trusted\": [}").starts_with("policy file: not valid JSON: "));
    assert!(refused("[]").starts_with("policy file: expected an object, found an array"));
    // A limit the policy sets is applied: one chunk of 16 bytes is too many here.
    let e = verify(IMAGE, r#"{"trusted": [{"public_key": "bef9e2724ddda2873b99c664ff47fc706979b62f3ba4e3c3bfcc111a11c95bdd", "vendor": "linux"}], "limits": {"max_chunk_len": 8}}"#.into(), bytes(DEVICE)).unwrap_err();
    assert_migseal_error(&e, Some(303.0), "image");

    let e = descriptor_to_cbor(object(&DEVICE_JSON.replace("\"codecs\"", "\"codec\""))).unwrap_err();
    assert_migseal_error(&e, None, "device");
    assert!(text(&e, "message").starts_with("device: unknown field `codec`"), "{}", text(&e, "message"));
    let e = descriptor_to_cbor(object(&DEVICE_JSON.replace("destination", "target"))).unwrap_err();
    assert_eq!(
        text(&e, "message"),
        "device: role: unknown role `target`, expected `source` or `destination`"
    );
    let e = descriptor_to_cbor(object(&DEVICE_JSON.replace("[\"mtty\"]", "[7]"))).unwrap_err();
    assert_eq!(text(&e, "message"), "device: codecs[0]: expected a string, found number");
}

#[wasm_bindgen_test]
fn validate_cbor_accepts_one_canonical_item() {
    let r = validate_cbor(&[0x82, 0x01, 0x02]).unwrap();
    assert_eq!(get(&r, "valid").as_bool(), Some(true));
    assert_eq!(num(&r, "len"), 3.0);
    let e = validate_cbor(&[0x19, 0x00, 0x01]).unwrap_err();
    assert_migseal_error(&e, get(&e, "code").as_f64(), "bytes");
    assert!(get(&e, "code").as_f64().is_some_and(|c| (100.0..200.0).contains(&c)));
}

#[wasm_bindgen_test]
fn descriptors_convert_both_ways() {
    let cbor = descriptor_to_cbor(object(DEVICE_JSON)).unwrap();
    let json = descriptor_to_json(bytes(&cbor)).unwrap();
    assert_eq!(text(&json, "device_type"), "mtty-2");
    assert_eq!(text(&json, "versions.0.min"), "1.0");
    assert_eq!(descriptor_to_cbor(json).unwrap(), cbor);
    // The shipped destination descriptor round-trips byte for byte.
    let shipped = descriptor_to_json(bytes(DEVICE)).unwrap();
    assert_eq!(descriptor_to_cbor(shipped).unwrap(), DEVICE);
    let e = descriptor_to_json(JsValue::from(7)).unwrap_err();
    assert_migseal_error(&e, None, "device");
}

#[wasm_bindgen_test]
fn stream_verifier_verifies_in_pieces() {
    let whole = verify(IMAGE, POLICY.into(), bytes(DEVICE)).unwrap();
    for size in [1, 13, 4096] {
        let mut v = StreamVerifier::new(POLICY.into(), bytes(DEVICE)).unwrap();
        let mut pushed = 0usize;
        for piece in IMAGE.chunks(size) {
            v.push(piece.to_vec()).unwrap();
            pushed += piece.len();
            assert_eq!(v.bytes_verified(), f64::from(u32::try_from(pushed).unwrap()));
        }
        let verdict = v.finish().unwrap();
        assert_eq!(JSON::stringify(&verdict).unwrap(), JSON::stringify(&whole).unwrap());
    }
}

#[wasm_bindgen_test]
fn stream_verifier_refusals_are_errors_that_stick() {
    let e = StreamVerifier::new(WEAK_POLICY.into(), bytes(DEVICE)).unwrap_err();
    assert_migseal_error(&e, Some(409.0), "policy");
    let mut v = StreamVerifier::new(POLICY.into(), bytes(DEVICE)).unwrap();
    let e = v.push(CROSS_VENDOR.to_vec()).unwrap_err();
    assert_migseal_error(&e, Some(500.0), "image");
    let again = v.push(vec![0]).unwrap_err();
    assert_eq!(num(&again, "code"), 500.0);
    assert_eq!(num(&v.finish().unwrap_err(), "code"), 500.0);
    let mut v = StreamVerifier::new(POLICY.into(), bytes(DEVICE)).unwrap();
    v.push(IMAGE[..IMAGE.len() - 1].to_vec()).unwrap();
    assert_migseal_error(&v.finish().unwrap_err(), Some(306.0), "image");
}

#[wasm_bindgen_test]
fn memory_bytes_is_the_modules_linear_memory() {
    let before = memory_bytes();
    assert!(before >= 65536.0 && before % 65536.0 == 0.0, "{before}");
    // Verifying does not keep what it read.
    for _ in 0..50 {
        verify(IMAGE, POLICY.into(), bytes(DEVICE)).unwrap();
    }
    assert_eq!(memory_bytes(), before);
}
