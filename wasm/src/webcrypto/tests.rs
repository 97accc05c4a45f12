#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use migseal_verifier::verify_with_public_key;

use super::*;

fn vectors_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors")
}

/// The three passes with a host that hashes with SHA-256 and checks
/// signatures with `host` (cofactorless, no strictness of its own).
fn passes(
    image: &[u8],
    policy: &PolicyFile,
    device: &[u8],
    host: impl Fn(&SealRequest) -> bool,
) -> Result<Value, Failure> {
    let job = Job::new(policy, device.to_vec())?;
    let plan = job.plan(image)?;
    let digests: Vec<Digest> =
        plan.iter().map(|c| Dalek.chunk_digest(&c.prefix, &image[c.offset..c.offset + c.len])).collect();
    let request = job.seal_request(image, &digests)?;
    let accepts = host(&request);
    job.finish(image, &digests, &request, accepts)
}

fn dalek_host(r: &SealRequest) -> bool {
    verify_with_public_key(&Dalek, &r.public_key, &r.message, &r.signature).is_ok()
}

#[test]
fn every_image_vector_gets_the_in_wasm_verdict() {
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(vectors_dir().join("index.json")).unwrap()).unwrap();
    let mut seen = 0;
    for v in index["vectors"].as_array().unwrap().iter().filter(|v| v["kind"] == "image") {
        let read = |key: &str| std::fs::read(vectors_dir().join(v[key].as_str().unwrap())).unwrap();
        let (image, device) = (read("file"), read("device"));
        let policy = PolicyFile::from_json(core::str::from_utf8(&read("policy")).unwrap());
        let Ok(policy) = policy else { continue };
        let expected = crate::verify::verify(&image, &policy, &device);
        let got = passes(&image, &policy, &device, dalek_host);
        assert_eq!(got, expected, "{}", v["name"]);
        seen += 1;
    }
    assert!(seen >= 48, "{seen} image vectors");
}

#[test]
fn the_host_answer_decides_only_the_signature() {
    use crate::fixtures::*;
    let policy = PolicyFile::from_json(DEFAULT_POLICY).unwrap();
    // A host that refuses everything: a good image is refused 600 at the
    // seal, exactly where the verifier refuses a tampered one.
    let f = passes(MTTY2_IMAGE, &policy, MTTY2_DEVICE, |_| false).unwrap_err();
    assert_eq!((f.code, f.name), (Some(600), Some("bad-signature")));
    // Refusals before the seal do not ask the host at all.
    let f = passes(CROSS_VENDOR, &policy, MTTY2_DEVICE, |_| panic!("asked")).unwrap_err();
    assert_eq!(f.code, Some(500));
    // A host that accepts everything still gets the tampered image refused
    // only if the bytes say so: it does not (the equation does), so the
    // host's answer is what counts there.
    assert!(passes(TAMPERED, &policy, MTTY2_DEVICE, |_| true).is_ok());
    assert_eq!(passes(TAMPERED, &policy, MTTY2_DEVICE, dalek_host).unwrap_err().code, Some(600));
}

#[test]
fn small_order_r_is_refused_whatever_the_host_says() {
    let key = migseal_verifier::SealingKey::from_seed(&[7; 32]);
    let public_key = key.public_key();
    let mut signature = [0u8; SIGNATURE_LEN];
    signature[..32].copy_from_slice(&migseal_verifier::webcrypto_checks::SMALL_ORDER_ENCODINGS[0]);
    assert!(!strict_checks_pass(&public_key, &signature));
    assert_eq!(suite_verdict(&public_key, &signature, || true), 600);
    // S = L: 601 before anything else.
    signature[32..].copy_from_slice(
        &hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010").unwrap(),
    );
    assert_eq!(suite_verdict(&public_key, &signature, || true), 601);
    // A small-order key: 409; bytes that are not a point: 602.
    let sig = [0u8; SIGNATURE_LEN];
    assert_eq!(suite_verdict(&[0; 32], &sig, || true), 409);
    let not_a_point =
        hex::decode("0200000000000000000000000000000000000000000000000000000000000000").unwrap();
    assert_eq!(suite_verdict(&not_a_point.try_into().unwrap(), &sig, || true), 602);
}

#[test]
fn every_cut_of_an_image_gets_the_in_wasm_error() {
    use crate::fixtures::*;
    let policy = PolicyFile::from_json(DEFAULT_POLICY).unwrap();
    for cut in 0..MTTY2_SIX_CHUNKS.len() {
        let image = &MTTY2_SIX_CHUNKS[..cut];
        let expected = crate::verify::verify(image, &policy, MTTY2_DEVICE);
        assert_eq!(passes(image, &policy, MTTY2_DEVICE, dalek_host), expected, "cut at {cut}");
    }
}
