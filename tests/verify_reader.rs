//! `verify_reader` gives every image vector its expected verdict, streams
//! the payload through the caller's writer (the same bytes
//! `verify_image` returns), and loads the device in either form.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

use migseal::{Descriptor, PolicyFile, VerifyError, descriptor_cbor, verify_image, verify_reader};

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("spec/vectors")
}

#[test]
fn every_image_vector_gets_its_verdict_through_a_reader() {
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(vectors().join("index.json")).unwrap()).unwrap();
    let mut checked = 0;
    for vector in index["vectors"].as_array().unwrap().iter().filter(|v| v["kind"] == "image") {
        let name = vector["name"].as_str().unwrap();
        let policy_text =
            std::fs::read_to_string(vectors().join(vector["policy"].as_str().unwrap())).unwrap();
        let policy = PolicyFile::from_json(&policy_text).unwrap().to_policy().unwrap();
        let device_bytes =
            descriptor_cbor(&std::fs::read(vectors().join(vector["device"].as_str().unwrap())).unwrap())
                .unwrap();
        let device = Descriptor::decode(&device_bytes).unwrap();
        let image = std::fs::read(vectors().join(vector["file"].as_str().unwrap())).unwrap();
        let mut staged = Vec::new();
        let result = verify_reader(image.as_slice(), &policy, &device, &mut staged);
        match vector["expect"]["code"].as_u64() {
            None => {
                let v = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                let whole = verify_image(&image, &policy, &device).unwrap();
                let payload: Vec<u8> = whole.chunks().flatten().copied().collect();
                assert_eq!(staged, payload, "{name}");
                assert_eq!(v.image_digest(), whole.image_digest(), "{name}");
                assert_eq!(v.image_len(), image.len() as u64, "{name}");
                assert_eq!(v.header().unwrap(), *whole.header(), "{name}");
            }
            Some(code) => {
                let e = result.err().unwrap_or_else(|| panic!("{name}: verified"));
                assert_eq!(e.code(), Some(u16::try_from(code).unwrap()), "{name}: {e}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 48, "{checked}");
}

#[test]
fn a_failing_writer_is_a_write_error() {
    struct Full;
    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let policy_text = std::fs::read_to_string(vectors().join("policies/default.json")).unwrap();
    let policy = PolicyFile::from_json(&policy_text).unwrap().to_policy().unwrap();
    let json =
        br#"{"role": "destination", "vendor": "linux", "device_api": "vfio-pci", "device_type": "mtty-2",
        "versions": ["1.0"], "features": [], "codecs": ["mtty"]}"#;
    let device_bytes = descriptor_cbor(json).unwrap();
    assert_eq!(device_bytes, std::fs::read(vectors().join("devices/mtty-2.cbor")).unwrap());
    let device = Descriptor::decode(&device_bytes).unwrap();
    let image = std::fs::File::open(vectors().join("images/mtty-2-single-chunk.migseal")).unwrap();
    assert!(matches!(verify_reader(image, &policy, &device, Full), Err(VerifyError::Write(_))));
}
