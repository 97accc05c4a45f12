//! Every codec vector in spec/vectors/codecs: the image verifies against
//! its device and policy, and only then is its payload decoded — through
//! the verifier's own `VerifiedPayload` — with the indexed result: the
//! decoded-state fixture, or the stable code, name and byte offset. Valid
//! payloads re-encode to the same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use migseal::format::envelope::Descriptor;
use migseal::policy_file::PolicyFile;
use migseal::verifier::verify_image;
use migseal_codecs::{Registry, describe};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors")
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn index() -> Vec<Value> {
    let doc: Value = serde_json::from_slice(&read("codecs/index.json")).unwrap();
    assert_eq!(doc["format"], "migseal-codec-vectors-v1");
    doc["vectors"].as_array().unwrap().clone()
}

/// Verifies the image and decodes its payload: `Ok(state JSON, re-encoded
/// payload)` or `Err((code, name, offset))`.
fn verify_and_decode(v: &Value) -> Result<(Value, Vec<u8>), (u64, String, u64)> {
    let image = read(v["image"].as_str().unwrap());
    let device_bytes = read(v["device"].as_str().unwrap());
    let device = Descriptor::decode(&device_bytes).unwrap();
    let policy =
        PolicyFile::from_json(&String::from_utf8(read(v["policy"].as_str().unwrap())).unwrap()).unwrap();
    policy
        .with_policy(|p| {
            let verified = verify_image(&image, p, &device).unwrap_or_else(|e| panic!("{}: {e}", v["name"]));
            let mut buf = vec![0u8; usize::try_from(verified.payload_len()).unwrap()];
            let payload = verified.collect_payload(&mut buf).unwrap();
            assert_eq!(
                payload.bytes(),
                read(v["payload"].as_str().unwrap()),
                "the .bin is the image's payload"
            );
            match Registry::decode(payload) {
                Ok(d) => Ok((describe::to_json(&d), Registry::encode_to_vec(&d).unwrap())),
                Err(e) => Err((u64::from(e.code().code()), e.code().name().to_owned(), e.offset())),
            }
        })
        .unwrap()
}

#[test]
fn every_codec_vector_verifies_then_decodes_as_indexed() {
    let vectors = index();
    assert!(vectors.len() >= 16);
    let (mut ok, mut refused) = (0, 0);
    for v in &vectors {
        let name = v["name"].as_str().unwrap();
        assert_eq!(v["verify"], "ok");
        let got = verify_and_decode(v);
        match v["decode"]["result"].as_str().unwrap() {
            "ok" => {
                let (state, again) = got.unwrap_or_else(|e| panic!("{name}: refused {e:?}"));
                let fixture: Value =
                    serde_json::from_slice(&read(v["decode"]["state"].as_str().unwrap())).unwrap();
                assert_eq!(state, fixture, "{name}: decoded state differs from its fixture");
                assert_eq!(again, read(v["payload"].as_str().unwrap()), "{name}: encode(decode(x)) == x");
                ok += 1;
            }
            "error" => {
                let want = (
                    v["decode"]["code"].as_u64().unwrap(),
                    v["decode"]["name"].as_str().unwrap().to_owned(),
                    v["decode"]["offset"].as_u64().unwrap(),
                );
                assert_eq!(got.err(), Some(want), "{name}");
                refused += 1;
            }
            other => panic!("{name}: bad decode result {other}"),
        }
    }
    assert!(ok >= 5 && refused >= 10, "{ok} valid, {refused} invalid");
}

#[test]
fn each_codec_has_valid_and_invalid_vectors() {
    let vectors = index();
    for prefix in ["mtty-1", "mtty-2", "virtio-net", "vfio-ap"] {
        let of: Vec<&Value> =
            vectors.iter().filter(|v| v["name"].as_str().unwrap().starts_with(prefix)).collect();
        assert!(of.iter().any(|v| v["decode"]["result"] == "ok"), "{prefix} has a valid vector");
        assert!(of.iter().any(|v| v["decode"]["result"] == "error"), "{prefix} has an invalid vector");
    }
}

#[test]
fn the_main_sample_images_carry_real_device_states() {
    // The README's sample image decodes as an mtty-2 state.
    for (image, device, ty) in [
        ("images/mtty-2-single-chunk.migseal", "devices/mtty-2.cbor", "mtty"),
        ("images/mtty-1-multi-chunk.migseal", "devices/mtty-1.cbor", "mtty"),
        ("images/virtio-net-features.migseal", "devices/virtio-net.cbor", "virtio-dev-parts"),
        ("images/vfio-ap-config.migseal", "devices/vfio-ap.cbor", "vfio-ap-matrix"),
    ] {
        let img = read(image);
        let device_bytes = read(device);
        let d = Descriptor::decode(&device_bytes).unwrap();
        let policy =
            PolicyFile::from_json(&String::from_utf8(read("policies/default.json")).unwrap()).unwrap();
        policy
            .with_policy(|p| {
                let verified = verify_image(&img, p, &d).unwrap();
                let mut buf = vec![0u8; usize::try_from(verified.payload_len()).unwrap()];
                let payload = verified.collect_payload(&mut buf).unwrap();
                let decoded = Registry::decode(payload).unwrap_or_else(|e| panic!("{image}: {e}"));
                assert_eq!(describe::to_json(&decoded)["codec"], ty, "{image}");
            })
            .unwrap();
    }
}
