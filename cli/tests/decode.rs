//! `migseal verify --decode`: the verified payload decoded by its reference
//! codec; a verified image whose state the codec refuses exits 15 and
//! writes nothing. And `descriptor --sysfs` builds the vfio-ap config with
//! the codec's parser, equal to the shipped device's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{code, json, run, stderr, stdout, v};

#[test]
fn verify_decode_shows_the_mtty_state_of_the_readme_sample() {
    let o = run(&[
        "verify",
        &v("images/mtty-2-single-chunk.migseal"),
        "--policy",
        &v("policies/default.json"),
        "--device",
        &v("devices/mtty-2.cbor"),
        "--decode",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("VERIFIED"), "{out}");
    assert!(out.contains("Decoded device state"), "{out}");
    assert!(out.contains("\"device_type\": \"mtty-2\""), "{out}");
    assert!(out.contains("\"pending\": \"6c6f21\""), "port 0 holds \"lo!\": {out}");

    let o = run(&[
        "--json",
        "verify",
        &v("images/vfio-ap-config.migseal"),
        "--policy",
        &v("policies/default.json"),
        "--device",
        &v("devices/vfio-ap.cbor"),
        "--decode",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let j = json(&o);
    assert_eq!(j["state"]["adapters"], serde_json::json!([5, 6]));
    assert_eq!(j["state"]["domains"], serde_json::json!([4, 71]));
}

#[test]
fn a_verified_image_with_a_malformed_state_exits_15_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("state.bin");
    let o = run(&[
        "--json",
        "verify",
        &v("codecs/mtty-2-fifo-head-overflow.migseal"),
        "--policy",
        &v("policies/default.json"),
        "--device",
        &v("devices/mtty-2.cbor"),
        "--decode",
        "--payload-out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 15, "{}", stdout(&o));
    let j = json(&o);
    assert_eq!(j["verdict"], "state-refused");
    assert_eq!(j["code"], 715);
    assert_eq!(j["name"], "mtty-fifo-index");
    assert_eq!(j["offset"], 48);
    assert!(!out.exists(), "a refused state is not written");
    // Without --decode the same image verifies: the codec is the extra check.
    let o = run(&[
        "verify",
        &v("codecs/mtty-2-fifo-head-overflow.migseal"),
        "--policy",
        &v("policies/default.json"),
        "--device",
        &v("devices/mtty-2.cbor"),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn descriptor_from_vfio_ap_sysfs_equals_the_shipped_device() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ap.cbor");
    let o = run(&[
        "descriptor",
        "--sysfs",
        "cli/tests/fixtures/sysfs/bus/mdev/devices/4b0a5c3e-6f1d-4e2b-9a8c-7d6e5f4a3b2c",
        "--version",
        "1.0",
        "--codec",
        "vfio-ap-matrix",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(v("devices/vfio-ap.cbor")).unwrap());
}
