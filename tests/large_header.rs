//! The header record is buffered and scanned as bytes arrive, each byte
//! once (the scan resumes where it stopped); a near-maximal header fed one
//! byte at a time must still verify.

use migseal::policy_file::{PolicyFile, TrustedKeyEntry};
use migseal::verifier::Verifier;
use migseal_testkit::samples::{HeaderSpec, destination_for, seal_image, test_key};

#[test]
fn a_large_header_fed_bytewise_verifies() {
    let mut spec = HeaderSpec::new("linux", "vfio-pci", "mtty-2", (1, 0), "mtty");
    // 32 features of 64 bytes and a 1 KiB config: close to the 4 KiB bound.
    spec.features = (0..32).map(|i| format!("{i:02}{}", "f".repeat(62))).collect();
    spec.config = Some(("cfg".into(), vec![7; 1024]));
    spec.subject = Some("s".repeat(128));
    let key = test_key("linux");
    let image = seal_image(&spec, &key, b"state", 4096);
    assert!(image.len() > 3300, "header is large: {}", image.len());
    let policy = PolicyFile {
        trusted: vec![TrustedKeyEntry {
            public_key: hex::encode(key.public_key()),
            vendor: "linux".into(),
            device_types: vec![],
        }],
        ..PolicyFile::default()
    };
    let verdict = policy
        .with_policy(|p| {
            destination_for(&spec).with_descriptor(|d| {
                let mut v = Verifier::default();
                for b in image.chunks(1) {
                    v.feed(p, d, b, |_| {}).map_err(|e| e.to_string())?;
                }
                v.finish().map(|_| ()).map_err(|e| e.to_string())
            })
        })
        .expect("policy");
    assert_eq!(verdict, Ok(()));
}
