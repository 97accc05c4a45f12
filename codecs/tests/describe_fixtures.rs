//! `describe::to_json` (what `migseal verify --decode` prints) gives, for
//! every valid payload in `spec/vectors/codecs/`, exactly the decoded-state
//! fixture beside it: every codec's fields, names and number formats.
//! The workspace's `tests/codecs_vectors.rs` checks the same through
//! verification; this is the codec crate's own check of its JSON.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::PathBuf;

use migseal_codecs::describe;
use migseal_format::envelope::Descriptor;
use serde_json::Value;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors")
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(vectors().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_valid_codec_vector_describes_as_its_state_fixture() {
    let index: Value = serde_json::from_slice(&read("codecs/index.json")).unwrap();
    let mut checked = Vec::new();
    for v in index["vectors"].as_array().unwrap() {
        if v["decode"]["result"] != "ok" {
            continue;
        }
        let name = v["name"].as_str().unwrap();
        let device_bytes = read(v["device"].as_str().unwrap());
        let device = Descriptor::decode(&device_bytes).unwrap();
        let payload = read(v["payload"].as_str().unwrap());
        let decoded = common::decode(device.identity.device_type.as_str(), &payload)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let fixture: Value = serde_json::from_slice(&read(v["decode"]["state"].as_str().unwrap())).unwrap();
        assert_eq!(describe::to_json(&decoded), fixture, "{name}");
        checked.push(fixture["codec"].as_str().unwrap().to_owned());
    }
    checked.sort();
    checked.dedup();
    assert_eq!(checked, ["mtty", "vfio-ap-matrix", "virtio-dev-parts"], "every codec has a fixture");
}
