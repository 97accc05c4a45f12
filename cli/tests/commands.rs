//! Every command and every exit code of `migseal`, end to end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;

const MTTY2_DEVICE: &str = "spec/vectors/devices/mtty-2.cbor";
const DEFAULT_POLICY: &str = "spec/vectors/policies/default.json";

// ---- the README's two commands -------------------------------------------

#[test]
fn readme_first_command_verifies_the_sample() {
    let o = run(&[
        "verify",
        "spec/vectors/images/mtty-2-single-chunk.migseal",
        "--policy",
        DEFAULT_POLICY,
        "--device",
        MTTY2_DEVICE,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("VERIFIED spec/vectors/images/mtty-2-single-chunk.migseal\n"), "{text}");
    assert!(text.contains("linux / vfio-pci / mtty-2"), "{text}");
    assert!(text.contains("version 1.0, codec mtty, security version 3"), "{text}");
    assert!(text.contains("96 bytes in 1 chunk"), "{text}");
    assert!(stderr(&o).is_empty(), "no progress bar when stderr is not a terminal");
}

#[test]
fn readme_second_command_refuses_cross_vendor() {
    let o = run(&[
        "verify",
        "spec/vectors/images/cross-vendor.migseal",
        "--policy",
        DEFAULT_POLICY,
        "--device",
        MTTY2_DEVICE,
    ]);
    assert_eq!(code(&o), 13);
    let text = stdout(&o);
    assert!(
        text.starts_with("REFUSED spec/vectors/images/cross-vendor.migseal (exit 13: incompatible device)\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "error 500 (vendor-mismatch) at byte 0: state is for vendor nvidia, this device is vendor linux"
        ),
        "{text}"
    );
    assert!(text.contains("choose a destination with a nvidia device"), "{text}");
}

// ---- help and usage (exit 2) ---------------------------------------------

#[test]
fn help_documents_the_exit_codes() {
    let o = run(&["--help"]);
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    for line in [
        "   0  success",
        "   2  usage",
        "   3  I/O",
        "   4  invalid input file",
        "  10  malformed",
        "  11  stream",
        "  12  trust",
        "  13  incompatible",
        "  14  signature",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    let o = run(&["descriptor", "--help"]);
    assert!(stdout(&o).contains("DIR/mdev_type/device_api"), "{}", stdout(&o));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["verify", "x.migseal"][..],
        &["frobnicate"][..],
        &["descriptor"][..],
        &["descriptor", "--from-json", "a", "--from-cbor", "b"][..],
        &["seal", "-", "--key", "k", "--chunk-size", "0", "--out", "/dev/null"][..],
    ] {
        let o = run(args);
        assert_eq!(code(&o), 2, "{args:?}: {}{}", stdout(&o), stderr(&o));
    }
}

// ---- I/O (exit 3) and invalid input files (exit 4) -----------------------

#[test]
fn unreadable_files_exit_3_and_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.migseal");
    let m = missing.to_str().unwrap();
    let d = dir.path().to_str().unwrap();
    for args in [
        vec!["verify", m, "--policy", DEFAULT_POLICY, "--device", MTTY2_DEVICE],
        vec![
            "verify",
            "spec/vectors/images/mtty-2-single-chunk.migseal",
            "--policy",
            m,
            "--device",
            MTTY2_DEVICE,
        ],
        vec![
            "verify",
            "spec/vectors/images/mtty-2-single-chunk.migseal",
            "--policy",
            DEFAULT_POLICY,
            "--device",
            m,
        ],
        vec!["verify", d, "--policy", DEFAULT_POLICY, "--device", MTTY2_DEVICE],
        vec!["inspect", m],
        vec!["compat", m, MTTY2_DEVICE],
        vec!["descriptor", "--from-cbor", m],
        vec!["seal", "-", "--key", m, "--out", "/dev/null"],
    ] {
        let o = run(&args);
        assert_eq!(code(&o), 3, "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.starts_with("migseal: ") && (e.contains(m) || e.contains(d)), "{args:?}: {e}");
    }
    let o = run(&["--json", "inspect", m]);
    assert_eq!(code(&o), 3);
    let j = json(&o);
    assert_eq!(j["verdict"], "error");
    assert_eq!(j["exit"], 3);
}

#[test]
fn malformed_policy_files_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "syntax.json",
            "{\n  \"trusted\": [\n    {\"public_key\": \"ab\" \"vendor\": \"x\"}\n  ]\n}\n",
            ":3:",
        ),
        ("unknown.json", "{\n  \"trusted\": [],\n  \"revoked_keys\": []\n}\n", ":3:"),
        (
            "hex.json",
            "{\"trusted\": [{\"public_key\": \"zz\", \"vendor\": \"linux\"}]}",
            "trusted[0].public_key",
        ),
        (
            "vendor.json",
            "{\"trusted\": [{\"public_key\": \"bef9e2724ddda2873b99c664ff47fc706979b62f3ba4e3c3bfcc111a11c95bdd\", \"vendor\": \"l nux\"}]}",
            "trusted[0].vendor",
        ),
        ("empty.json", "", ":1:"),
    ];
    for (name, text, expect) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let p = path.to_str().unwrap();
        let o = run(&[
            "verify",
            "spec/vectors/images/mtty-2-single-chunk.migseal",
            "--policy",
            p,
            "--device",
            MTTY2_DEVICE,
        ]);
        assert_eq!(code(&o), 4, "{name}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(p) && e.contains(expect), "{name}: {e}");
    }
}

#[test]
fn malformed_descriptor_and_key_files_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let bad_json = dir.path().join("d.json");
    std::fs::write(&bad_json, "{\"role\": \"destination\", \"vendor\": \"linux\",\n \"colour\": 1}").unwrap();
    let o =
        run(&["compat", "spec/vectors/descriptors/source-with-features.cbor", bad_json.to_str().unwrap()]);
    assert_eq!(code(&o), 4);
    assert!(stderr(&o).contains("d.json:2:"), "{}", stderr(&o));

    let key = dir.path().join("k");
    std::fs::write(&key, "not a key\n").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = run_stdin(&["seal", "-", "--key", key.to_str().unwrap(), "--out", "/dev/null"], b"x");
    assert_eq!(code(&o), 4);
    let e = stderr(&o);
    assert!(e.contains("not a migseal key file") && !e.contains("not a key\n"), "{e}");
}

// ---- keygen ----------------------------------------------------------------

#[test]
fn keygen_writes_a_0600_secret_and_never_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("vendor.key");
    let k = key.to_str().unwrap();
    let o = run(&["keygen", "--out", k]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let meta = std::fs::metadata(&key).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let secret = std::fs::read_to_string(&key).unwrap();
    let public = std::fs::read_to_string(dir.path().join("vendor.key.pub")).unwrap();
    assert!(secret.starts_with("migseal secret key (ed25519)\n"), "{secret}");
    assert!(public.starts_with("migseal public key (ed25519)\n"), "{public}");
    let (secret_hex, pub_hex) = (public_hex(&secret).to_owned(), public_hex(&public).to_owned());
    assert_eq!((secret_hex.len(), pub_hex.len()), (64, 64));
    assert!(!stdout(&o).contains(&secret_hex) && !stderr(&o).contains(&secret_hex));
    assert!(stdout(&o).contains(&pub_hex));
    // Only the key files are in the directory (no temporary left).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);

    let again = run(&["keygen", "--out", k]);
    assert_eq!(code(&again), 3);
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), secret, "refused: unchanged");

    let forced = run(&["--json", "keygen", "--out", k, "--force"]);
    assert_eq!(code(&forced), 0);
    let j = json(&forced);
    assert_ne!(std::fs::read_to_string(&key).unwrap(), secret);
    assert_eq!(
        j["public_key"].as_str().unwrap(),
        public_hex(&std::fs::read_to_string(dir.path().join("vendor.key.pub")).unwrap())
    );
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
}

// ---- seal, verify, inspect round trips -----------------------------------

#[test]
fn seal_from_stdin_then_verify_from_stdin_streams_the_payload() {
    let dir = tempfile::tempdir().unwrap();
    let (key, policy) = key_and_policy(dir.path());
    let payload = filler(7, 300_000);
    let mut args = vec!["seal", "-", "--key", key.to_str().unwrap(), "--chunk-size", "65536"];
    args.extend_from_slice(MTTY2);
    let sealed = run_stdin(&args, &payload);
    assert_eq!(code(&sealed), 0, "{}", stderr(&sealed));
    assert!(stderr(&sealed).contains("in 5 chunks"), "{}", stderr(&sealed));

    let out = dir.path().join("state.bin");
    let o = run_stdin(
        &[
            "--json",
            "verify",
            "-",
            "--policy",
            policy.to_str().unwrap(),
            "--device",
            MTTY2_DEVICE,
            "--payload-out",
            out.to_str().unwrap(),
        ],
        &sealed.stdout,
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let j = json(&o);
    assert_eq!(j["chunk_count"], 5);
    assert_eq!(j["payload_len"], 300_000);
    assert_eq!(j["image"], "<stdin>");
    assert_eq!(std::fs::read(&out).unwrap(), payload);
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);

    let inspected = run_stdin(&["inspect", "-"], &sealed.stdout);
    assert_eq!(code(&inspected), 0);
    let text = stdout(&inspected);
    assert!(text.starts_with("UNVERIFIED <stdin>"), "{text}");
    assert!(text.contains("5 chunks carrying 300000 payload bytes, 37856 to 65536 bytes each"), "{text}");
    assert!(text.contains("structure      complete"), "{text}");
}

#[test]
fn a_refused_image_leaves_no_payload_behind() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("state.bin");
    for image in [
        "images/seal-from-other-image.migseal",
        "images/truncated-mid-chunk.migseal",
        "images/rollback.migseal",
    ] {
        let o = run(&[
            "verify",
            &v(image),
            "--policy",
            DEFAULT_POLICY,
            "--device",
            MTTY2_DEVICE,
            "--payload-out",
            out.to_str().unwrap(),
        ]);
        assert_ne!(code(&o), 0);
        assert!(stdout(&o).contains("Nothing was written to"), "{}", stdout(&o));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{image}: something was left behind");
    }
}

#[test]
fn seal_takes_header_json_and_source_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    let (key, policy) = key_and_policy(dir.path());
    let k = key.to_str().unwrap();
    let header = dir.path().join("header.json");
    std::fs::write(
        &header,
        r#"{"vendor": "linux", "device_api": "vfio-pci", "device_type": "mtty-2",
            "state_version": "1.0", "codec": "mtty", "security_version": 3}"#,
    )
    .unwrap();
    let input = dir.path().join("state.raw");
    std::fs::write(&input, filler(3, 1000)).unwrap();
    let image = dir.path().join("state.migseal");
    let i = image.to_str().unwrap();
    let o = run(&[
        "seal",
        input.to_str().unwrap(),
        "--key",
        k,
        "--header-json",
        header.to_str().unwrap(),
        "--out",
        i,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("sealed 1000 payload bytes in 1 chunk"), "{}", stdout(&o));
    let ok = run(&["verify", i, "--policy", policy.to_str().unwrap(), "--device", MTTY2_DEVICE]);
    assert_eq!(code(&ok), 0, "{}", stdout(&ok));

    // A flag overrides the file: another device type is refused by the device.
    let o = run(&[
        "seal",
        input.to_str().unwrap(),
        "--key",
        k,
        "--header-json",
        header.to_str().unwrap(),
        "--device-type",
        "mtty-1",
        "--out",
        i,
        "--force",
    ]);
    assert_eq!(code(&o), 0);
    let refused = run(&["verify", i, "--policy", policy.to_str().unwrap(), "--device", MTTY2_DEVICE]);
    assert_eq!(code(&refused), 13);
    assert!(stdout(&refused).contains("error 502 (device-type-mismatch)"), "{}", stdout(&refused));

    // A source descriptor supplies identity, features and codec.
    let source = dir.path().join("source.json");
    std::fs::write(
        &source,
        r#"{"role": "source", "vendor": "linux", "device_api": "vfio-pci", "device_type": "mtty-2",
            "versions": ["1.0"], "codecs": ["mtty"]}"#,
    )
    .unwrap();
    let o = run(&[
        "seal",
        input.to_str().unwrap(),
        "--key",
        k,
        "--descriptor",
        source.to_str().unwrap(),
        "--out",
        i,
        "--force",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let ok = run(&["--json", "verify", i, "--policy", policy.to_str().unwrap(), "--device", MTTY2_DEVICE]);
    assert_eq!(code(&ok), 0);
    assert_eq!(json(&ok)["header"]["security_version"], 1);

    // Missing fields are named with the flag that supplies them.
    let o = run_stdin(&["seal", "-", "--key", k, "--vendor", "linux", "--force", "--out", i], b"x");
    assert_eq!(code(&o), 4);
    assert!(stderr(&o).contains("--device-api"), "{}", stderr(&o));
    // A bad header file names file and line.
    std::fs::write(&header, "{\"vendor\": \"linux\",\n \"vendr\": 1}").unwrap();
    let o = run_stdin(
        &["seal", "-", "--key", k, "--header-json", header.to_str().unwrap(), "--force", "--out", i],
        b"x",
    );
    assert_eq!(code(&o), 4);
    assert!(stderr(&o).contains("header.json:2:"), "{}", stderr(&o));
    // A binary image is not written to a terminal: here stdout is a pipe, so
    // the empty payload seals to stdout.
    let mut args = vec!["seal", "-", "--key", k];
    args.extend_from_slice(MTTY2);
    let o = run_stdin(&args, b"");
    assert_eq!(code(&o), 0);
    let ok = run_stdin(
        &["verify", "-", "--policy", policy.to_str().unwrap(), "--device", MTTY2_DEVICE],
        &o.stdout,
    );
    assert!(stdout(&ok).contains("0 bytes in 0 chunks"), "{}", stdout(&ok));
}

#[test]
fn inspect_labels_everything_unverified_and_stops_at_the_first_error() {
    let o = run(&["inspect", "spec/vectors/images/mtty-1-multi-chunk.migseal"]);
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    assert!(text.starts_with("UNVERIFIED "), "{text}");
    assert!(text.contains("Nothing here is authenticated"), "{text}");
    assert!(text.contains("9 chunks carrying 60 payload bytes"), "{text}");
    assert!(text.contains("(the header's)"), "{text}");

    // An untrusted image inspects fine: inspect trusts nothing and checks no key.
    let o = run(&["--json", "inspect", "spec/vectors/images/untrusted-key.migseal"]);
    assert_eq!(code(&o), 0);
    assert_eq!(json(&o)["verdict"], "unverified");

    let cases = [
        ("chunk-reordered", 301, 11),
        ("truncated-mid-chunk", 306, 11),
        ("trailing-bytes", 112, 10),
        ("not-an-image", 113, 10),
        ("seal-key-id-mismatch", 411, 12),
        ("header-unknown-field", 203, 10),
        ("polymorphic-eddsa-alg", 212, 10),
    ];
    for (name, expected, exit) in cases {
        let image = v(&format!("images/{name}.migseal"));
        let o = run(&["inspect", &image]);
        assert_eq!(code(&o), exit, "{name}");
        assert!(stdout(&o).contains("BROKEN at byte"), "{name}: {}", stdout(&o));
        let j = json(&run(&["--json", "inspect", &image]));
        assert_eq!(j["structure"], "broken");
        assert_eq!(j["error"]["code"], expected, "{name}");
    }
    // The image digest inspect computes is the one verify reports.
    let image = "spec/vectors/images/mtty-2-six-chunks.migseal";
    let i = json(&run(&["--json", "inspect", image]));
    let v = json(&run(&["--json", "verify", image, "--policy", DEFAULT_POLICY, "--device", MTTY2_DEVICE]));
    assert_eq!(i["digests"]["image"], v["image_digest"]);
    assert_eq!(i["chunk_count"], v["chunk_count"]);
}

// ---- compat ---------------------------------------------------------------

#[test]
fn compat_prints_every_reason_and_the_chosen_version() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("virtio-src.json");
    std::fs::write(
        &source,
        r#"{"role": "source", "vendor": "virtio", "device_api": "vfio-pci", "device_type": "virtio-net",
            "versions": [{"min": "1.0", "max": "1.7"}], "features": ["VIRTIO_F_VERSION_1", "VIRTIO_NET_F_MQ"],
            "codecs": ["virtio-dev-parts"]}"#,
    )
    .unwrap();
    let s = source.to_str().unwrap();
    let o = run(&["compat", s, "spec/vectors/devices/virtio-net.cbor"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let text = stdout(&o);
    assert!(text.starts_with("COMPATIBLE\n"), "{text}");
    assert!(text.contains("state version 1.3 will be used"), "{text}");

    let o = run(&["compat", s, MTTY2_DEVICE]);
    assert_eq!(code(&o), 13);
    let text = stdout(&o);
    assert!(text.starts_with("INCOMPATIBLE: 5 reasons (exit 13)"), "{text}");
    for c in [
        "error 500 (vendor-mismatch)",
        "error 502 (device-type-mismatch)",
        "error 504 (feature-missing)",
        "error 506 (codec-unsupported)",
    ] {
        assert!(text.contains(c), "{c}: {text}");
    }
    let j = json(&run(&["--json", "compat", s, MTTY2_DEVICE]));
    assert_eq!(j["verdict"], "incompatible");
    assert_eq!(j["reason_count"], 5);
    assert_eq!(j["reasons"][0]["code"], 500);

    // Two destinations: a role mismatch.
    let o = run(&["--json", "compat", MTTY2_DEVICE, MTTY2_DEVICE]);
    assert_eq!(code(&o), 13);
    assert_eq!(json(&o)["reasons"][0]["name"], "role-mismatch");
    // A malformed descriptor: its code, exit 10.
    let o = run(&["--json", "compat", "spec/vectors/descriptors/trailing-bytes.cbor", MTTY2_DEVICE]);
    assert_eq!(code(&o), 10);
    assert_eq!(json(&o)["code"], 112);
}

// ---- descriptor -------------------------------------------------------------

const SYSFS: &str = "cli/tests/fixtures/sysfs/bus/mdev/devices";

#[test]
fn descriptor_from_sysfs_matches_the_shipped_devices() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mtty.cbor");
    let o = run(&[
        "descriptor",
        "--sysfs",
        &format!("{SYSFS}/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("destination descriptor linux / vfio-pci / mtty-2"), "{}", stdout(&o));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(v("devices/mtty-2.cbor")).unwrap());

    let nv = format!("{SYSFS}/aa6c0f1e-2d3b-4c5a-8e9f-0a1b2c3d4e5f");
    let o = run(&[
        "--json",
        "descriptor",
        "--sysfs",
        &nv,
        "--version",
        "1.0",
        "--codec",
        "nvidia-vgpu",
        "--force",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let j = json(&o);
    assert_eq!(j["sysfs"]["name"], "GRID M60-2Q");
    assert_eq!(j["sysfs"]["pci_vendor"], "0x10de");
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(v("devices/nvidia-35.cbor")).unwrap());

    // Without what sysfs does not say: the flags are named.
    let o = run(&["descriptor", "--sysfs", &nv]);
    assert_eq!(code(&o), 4);
    assert!(stderr(&o).contains("--version"), "{}", stderr(&o));

    // vfio-ap: the matrix becomes the shell configuration.
    let ap = format!("{SYSFS}/4b0a5c3e-6f1d-4e2b-9a8c-7d6e5f4a3b2c");
    let o = run(&[
        "descriptor",
        "--sysfs",
        &ap,
        "--version",
        "1.0",
        "--codec",
        "vfio-ap-matrix",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let j = json(&o);
    assert_eq!(j["vendor"], "ibm");
    assert_eq!(j["device_api"], "vfio-ap");
    assert_eq!(j["device_type"], "vfio_ap-passthrough");
    let data = hex::decode(j["config"]["data_hex"].as_str().unwrap()).unwrap();
    assert_eq!(data.len(), 96);
    assert_eq!(&data[..1], &[0b0000_0110]); // adapters 5, 6
    assert_eq!((data[32], data[40]), (0b0000_1000, 0b0000_0001)); // domains 4, 0x47
    assert_eq!((data[64], data[72]), (0b0000_1000, 0b0000_0001)); // control domains 4, 0x47

    // Not an mdev device directory.
    let o = run(&["descriptor", "--sysfs", "cli/tests/fixtures/sysfs/devices"]);
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    assert!(stderr(&o).contains("mdev_type"), "{}", stderr(&o));
}

#[test]
fn descriptor_converts_between_json_and_cbor() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("dst.json");
    std::fs::write(
        &json_path,
        r#"{"role": "destination", "vendor": "linux", "device_api": "vfio-pci", "device_type": "mtty-2",
            "versions": [{"min": "1.0", "max": "1.0"}], "features": [], "codecs": ["mtty"]}"#,
    )
    .unwrap();
    let out = dir.path().join("dst.cbor");
    let o = run(&["descriptor", "--from-json", json_path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(v("devices/mtty-2.cbor")).unwrap());
    // verify takes the JSON form directly.
    let o = run(&[
        "verify",
        "spec/vectors/images/mtty-2-single-chunk.migseal",
        "--policy",
        DEFAULT_POLICY,
        "--device",
        json_path.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // CBOR to stdout is fine through a pipe.
    let o = run(&["descriptor", "--from-json", json_path.to_str().unwrap()]);
    assert_eq!(o.stdout, std::fs::read(v("devices/mtty-2.cbor")).unwrap());
    // An invalid value is named.
    std::fs::write(&json_path, r#"{"role": "destination", "vendor": "linux", "device_api": "vfio-pci", "device_type": "mtty-2", "versions": ["1.0-0.9"], "codecs": ["mtty"]}"#).unwrap();
    let o = run(&["descriptor", "--from-json", json_path.to_str().unwrap()]);
    assert_eq!(code(&o), 4);
    assert!(stderr(&o).contains("versions[0]"), "{}", stderr(&o));
}

// ---- the remaining verdict classes with a fresh key ------------------------

#[test]
fn every_refusal_class_has_its_exit_code() {
    // 10 malformed, 11 stream, 12 trust, 13 incompatible, 14 signature: one
    // spec vector each, besides the full sweep in tests/vectors.rs.
    for (image, exit) in [
        ("non-canonical-reencoding", 10),
        ("chunk-dropped", 11),
        ("untrusted-key", 12),
        ("wrong-device-type", 13),
        ("malleable-signature", 14),
    ] {
        let o = run(&[
            "verify",
            &v(&format!("images/{image}.migseal")),
            "--policy",
            DEFAULT_POLICY,
            "--device",
            MTTY2_DEVICE,
        ]);
        assert_eq!(code(&o), exit, "{image}: {}", stdout(&o));
    }
    // 1 (internal error) is reserved for bugs and has no trigger.
}
