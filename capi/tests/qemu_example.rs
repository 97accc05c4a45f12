//! Builds `examples/qemu_vfio_compat.c` (the call QEMU's VFIO migration
//! code would make when an incoming migration begins) with the system C
//! compiler against this crate's static library, and runs it: a
//! compatible pair, an incompatible pair whose reasons must be the words
//! of the Rust check, and a malformed descriptor.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::{root, static_lib};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use migseal::descriptor_json::{DescriptorJson, RangeJson, RoleJson};
use migseal::format::envelope::Descriptor;
use migseal::verifier::compat;

fn build(dir: &Path) -> PathBuf {
    let out = dir.join("qemu_vfio_compat");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let result = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1"])
        .arg("-I")
        .arg(manifest.join("include"))
        .arg(manifest.join("examples/qemu_vfio_compat.c"))
        .arg(static_lib())
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&out)
        .output()
        .expect("a C compiler (cc) is installed");
    assert!(
        result.status.success(),
        "compiling qemu_vfio_compat.c failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    out
}

/// A source descriptor for mtty-2 emitting `version`, with `features`.
fn source(dir: &Path, name: &str, version: &str, features: &[&str]) -> PathBuf {
    let d = DescriptorJson {
        role: RoleJson::Source,
        vendor: "linux".into(),
        device_api: "vfio-pci".into(),
        device_type: "mtty-2".into(),
        versions: vec![RangeJson::Text(version.into())],
        features: features.iter().map(|f| (*f).to_owned()).collect(),
        config: None,
        codecs: vec!["mtty".into()],
    };
    let path = dir.join(name);
    std::fs::write(&path, d.encode().unwrap()).unwrap();
    path
}

fn run(exe: &Path, source: &Path, destination: &Path) -> Output {
    Command::new(exe).arg("mtty0").arg(source).arg(destination).output().unwrap()
}

#[test]
fn the_qemu_example_calls_the_compat_check() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build(dir.path());
    let mtty2 = root().join("spec/vectors/devices/mtty-2.cbor");
    let mtty1 = root().join("spec/vectors/devices/mtty-1.cbor");

    let good = source(dir.path(), "good.cbor", "1.0", &[]);
    let o = run(&exe, &good, &mtty2);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "mtty0: compatible: state version 1.0 will be used\n");

    // Wrong type and a missing feature: every reason, in the Rust check's words.
    let bad = source(dir.path(), "bad.cbor", "1.0", &["fifo-16"]);
    let o = run(&exe, &bad, &mtty1);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(13), "{stderr}");
    let (s, d) = (std::fs::read(&bad).unwrap(), std::fs::read(&mtty1).unwrap());
    let c = compat::check(&Descriptor::decode(&s).unwrap(), &Descriptor::decode(&d).unwrap());
    assert_eq!(c.total(), 2);
    assert!(stderr.starts_with("mtty0: INCOMPATIBLE: 2 reason(s)\n"), "{stderr}");
    for r in c.reasons() {
        let line = format!("  error {} ({}): {r}\n", r.code().code(), r.code().name());
        assert!(stderr.contains(&line), "missing {line:?} in {stderr}");
    }

    // A malformed destination descriptor: its decode error and offset.
    let trailing = root().join("spec/vectors/descriptors/trailing-bytes.cbor");
    let o = run(&exe, &good, &trailing);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(10), "{stderr}");
    assert!(stderr.contains("the destination descriptor is malformed at byte"), "{stderr}");
    assert!(stderr.contains("error 112 (trailing-bytes)"), "{stderr}");
}
