//! For any bytes, `inspect`'s first refusal is the verifier's refusal
//! (`migseal_testkit::oracles::inspect_agrees`): checked on every spec
//! vector image in several fragmentations, and on random damage to them
//! (bit flips, cuts, splices, random bytes). The fuzz target
//! `inspect_equals_verify` runs the same property.

use std::path::Path;

use migseal::format::envelope::Descriptor;
use migseal::policy_file::PolicyFile;
use migseal_testkit::oracles::inspect_agrees;
use proptest::prelude::*;
use serde_json::Value;

fn read(rel: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors");
    std::fs::read(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every image vector with its policy and device.
fn image_vectors() -> Vec<(String, Vec<u8>, String, Vec<u8>)> {
    let index: Value = serde_json::from_slice(&read("index.json")).expect("index.json");
    index["vectors"]
        .as_array()
        .expect("vectors")
        .iter()
        .filter(|v| v["kind"] == "image")
        .map(|v| {
            let text = String::from_utf8(read(v["policy"].as_str().expect("policy"))).expect("utf-8");
            (
                v["name"].as_str().expect("name").to_owned(),
                read(v["file"].as_str().expect("file")),
                text,
                read(v["device"].as_str().expect("device")),
            )
        })
        .collect()
}

fn agrees(image: &[u8], policy_text: &str, device: &[u8], sizes: &[u8]) -> Result<(), String> {
    let Ok(policy) = PolicyFile::from_json(policy_text).and_then(|p| p.to_policy()) else {
        return Ok(()); // a policy vector that is refused itself
    };
    let device = Descriptor::decode(device).expect("vector device decodes");
    inspect_agrees(image, &policy, &device, sizes)
}

#[test]
fn every_vector_image_in_every_fragmentation() {
    let vectors = image_vectors();
    assert!(vectors.len() > 30, "found {} image vectors", vectors.len());
    for (name, image, policy, device) in &vectors {
        for sizes in [&[][..], &[1], &[7, 1, 64], &[20]] {
            agrees(image, policy, device, sizes)
                .unwrap_or_else(|e| panic!("{name}, fragments {sizes:?}: {e}"));
        }
    }
}

/// A damaged copy of a vector image: flips, a cut, a splice of another
/// image's bytes.
fn damaged() -> impl Strategy<Value = (usize, Vec<u8>, Vec<u8>)> {
    let count = image_vectors().len();
    (
        0..count,
        prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        any::<usize>(),
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..40),
        prop::collection::vec(0u8..=64, 0..4),
    )
        .prop_map(|(i, flips, cut, splice, noise, sizes)| {
            let vectors = image_vectors();
            let mut image = vectors[i].1.clone();
            for (at, bits) in flips {
                if !image.is_empty() {
                    let n = image.len();
                    image[at % n] ^= bits;
                }
            }
            if splice && !image.is_empty() {
                let at = cut % image.len();
                image.splice(at..at, noise);
            } else if !image.is_empty() && cut % 3 == 0 {
                image.truncate(cut % image.len());
            }
            (i, image, sizes)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn damaged_vectors_are_refused_alike((i, image, sizes) in damaged()) {
        let vectors = image_vectors();
        let (name, _, policy, device) = &vectors[i];
        if let Err(e) = agrees(&image, policy, device, &sizes) {
            prop_assert!(false, "{name} damaged: {e}");
        }
    }

    #[test]
    fn random_bytes_are_refused_alike(bytes in prop::collection::vec(any::<u8>(), 0..300), sizes in prop::collection::vec(0u8..=16, 0..3)) {
        let vectors = image_vectors();
        let (_, _, policy, device) = &vectors[0];
        if let Err(e) = agrees(&bytes, policy, device, &sizes) {
            prop_assert!(false, "{e}");
        }
    }
}
