//! Issue #15, items 1-8: what an operator meets. Each test reproduces the
//! original failure (a file named `-`, a report inside the data, a panic
//! on a closed pipe, a public key accepted as a secret one, a silently
//! replaced output, a hidden temporary file left by Ctrl-C, a digest named
//! like the file's sha256, a chunk size default verifiers refuse, schema
//! jargon for random bytes) and checks the fix.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

const DEVICE: &str = "spec/vectors/devices/mtty-2.cbor";
const POLICY: &str = "spec/vectors/policies/default.json";
const SAMPLE: &str = "spec/vectors/images/mtty-2-single-chunk.migseal";

/// Runs `migseal ARGS` in `dir` (so a file named `-` would show there).
fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_migseal"));
    c.current_dir(dir).args(args).stdin(Stdio::null()).output().unwrap()
}

fn abs(rel: &str) -> String {
    root().join(rel).display().to_string()
}

/// The sample's payload, as `verify --payload-out FILE` writes it.
fn sample_payload(dir: &Path) -> Vec<u8> {
    let out = dir.join("payload.ref");
    let o = run(&[
        "verify",
        SAMPLE,
        "--policy",
        POLICY,
        "--device",
        DEVICE,
        "--payload-out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    std::fs::read(out).unwrap()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ---- 1. `-` is stdout everywhere; reports go to stderr then ---------------

#[test]
fn payload_out_dash_is_stdout_and_the_verdict_goes_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let payload = sample_payload(dir.path());
    let work = tempfile::tempdir().unwrap();
    let (image, policy, device) = (abs(SAMPLE), abs(POLICY), abs(DEVICE));
    let o = run_in(
        work.path(),
        &["verify", &image, "--policy", &policy, "--device", &device, "--payload-out", "-"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(o.stdout, payload, "stdout carries exactly the payload");
    assert!(stderr(&o).starts_with("VERIFIED "), "{}", stderr(&o));
    assert!(names_in(work.path()).is_empty(), "no file named '-': {:?}", names_in(work.path()));

    let o = run_in(
        work.path(),
        &["--json", "verify", &image, "--policy", &policy, "--device", &device, "--payload-out", "-"],
    );
    assert_eq!(o.stdout, payload);
    assert_eq!(json_stderr(&o)["verdict"], "verified");
    // /dev/stdout is stdout too: the verdict still goes to stderr.
    let o = run_in(
        work.path(),
        &["verify", &image, "--policy", &policy, "--device", &device, "--payload-out", "/dev/stdout"],
    );
    assert_eq!(o.stdout, payload);
    assert!(stderr(&o).starts_with("VERIFIED "), "{}", stderr(&o));

    // A refused image: nothing on stdout, the refusal on stderr.
    let bad = abs("spec/vectors/images/truncated-mid-chunk.migseal");
    let o = run_in(
        work.path(),
        &["verify", &bad, "--policy", &policy, "--device", &device, "--payload-out", "-"],
    );
    assert_eq!(code(&o), 11);
    assert!(o.stdout.is_empty(), "unverified bytes reached stdout");
    assert!(stderr(&o).starts_with("REFUSED "), "{}", stderr(&o));
}

#[test]
fn seal_and_descriptor_dash_are_stdout_with_reports_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _policy) = key_and_policy(dir.path());
    let mut args = vec!["--json", "seal", "-", "--key", key.to_str().unwrap(), "-o", "-"];
    args.extend_from_slice(MTTY2);
    let o = run_stdin(&args, &[7u8; 1000]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        o.stdout.first().is_some_and(|b| (0x80..=0x9f).contains(b)),
        "stdout starts with the header record"
    );
    assert_eq!(json_stderr(&o)["payload_len"], 1000);

    let o = run(&["--json", "descriptor", "--from-cbor", DEVICE, "--format", "cbor", "-o", "-"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(o.stdout, std::fs::read(root().join(DEVICE)).unwrap());
}

// ---- 2. a closed or full stdout: exit 3, one line, never a panic ---------

#[test]
fn a_closed_pipe_exits_3_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _policy) = key_and_policy(dir.path());
    let big = dir.path().join("big.bin");
    std::fs::write(&big, filler(3, 8 << 20)).unwrap();
    let mut args = vec!["--json", "seal", big.to_str().unwrap(), "--key", key.to_str().unwrap()];
    args.extend_from_slice(MTTY2);
    // `| head -c 1000`: read 1000 bytes, then close the pipe.
    let mut child = cmd().args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut first = [0u8; 1000];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let e = stderr(&o);
    assert!(!e.contains("panicked"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    assert_eq!(json_stderr(&o)["exit"], 3);
}

#[test]
fn a_full_stdout_exits_3_for_data_and_for_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _policy) = key_and_policy(dir.path());
    let big = dir.path().join("big.bin");
    std::fs::write(&big, filler(4, 1 << 20)).unwrap();
    let mut seal = vec!["--json", "seal", big.to_str().unwrap(), "--key", key.to_str().unwrap()];
    seal.extend_from_slice(MTTY2);
    let k2 = dir.path().join("k2");
    for args in [
        seal,
        vec!["--json", "verify", SAMPLE, "--policy", POLICY, "--device", DEVICE],
        vec!["verify", SAMPLE, "--policy", POLICY, "--device", DEVICE, "--payload-out", "-"],
        vec!["--json", "keygen", "--out", k2.to_str().unwrap()],
        vec!["compat", DEVICE, DEVICE],
        vec!["inspect", SAMPLE],
        vec!["--json", "inspect", SAMPLE],
    ] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let o = cmd().args(&args).stdin(Stdio::null()).stdout(full).output().unwrap();
        assert_eq!(code(&o), 3, "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(!e.contains("panicked"), "{args:?}: {e}");
        assert!(e.contains("No space left on device"), "{args:?}: {e}");
    }
}

// ---- 3. typed key files ------------------------------------------------

#[test]
fn key_files_are_typed_and_a_public_key_cannot_seal() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _policy) = key_and_policy(dir.path());
    let public = dir.path().join("k.pub");
    let mut args = vec!["seal", "-", "--key", public.to_str().unwrap(), "--out", "/dev/null"];
    args.extend_from_slice(MTTY2);
    let o = run_stdin(&args, b"x");
    assert_eq!(code(&o), 4, "a public key seals nothing");
    let e = stderr(&o);
    assert!(
        e.contains("a public key file") && e.contains(&format!("pass the secret key file {}", key.display())),
        "{e}"
    );

    // Readable by the group: refused, as ssh refuses; the flag says why it is unsafe.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let mut args = vec!["seal", "-", "--key", key.to_str().unwrap(), "--out", "/dev/null"];
    args.extend_from_slice(MTTY2);
    let o = run_stdin(&args, b"x");
    assert_eq!(code(&o), 4);
    assert!(
        stderr(&o).contains("chmod 600") && stderr(&o).contains("--insecure-key-permissions"),
        "{}",
        stderr(&o)
    );
    args.push("--insecure-key-permissions");
    let o = run_stdin(&args, b"x");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("warning:"), "{}", stderr(&o));

    // `-` is stdout, and a secret key never goes there.
    let o = run_in(dir.path(), &["keygen", "--out", "-"]);
    assert_eq!(code(&o), 2);
    assert!(o.stdout.is_empty() && !dir.path().join("-").exists());

    // The old untyped form still seals, with a warning; an old public key does not.
    let secret_text = std::fs::read_to_string(&key).unwrap();
    let old = dir.path().join("old");
    std::fs::write(&old, format!("{}\n", public_hex(&secret_text))).unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut args = vec!["seal", "-", "--key", old.to_str().unwrap(), "--out", "/dev/null"];
    args.extend_from_slice(MTTY2);
    let o = run_stdin(&args, b"x");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("old untyped key file"), "{}", stderr(&o));
    let old_pub = dir.path().join("old.pub");
    std::fs::write(&old_pub, format!("{}\n", public_hex(&std::fs::read_to_string(&public).unwrap())))
        .unwrap();
    std::fs::set_permissions(&old_pub, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut args = vec!["seal", "-", "--key", old_pub.to_str().unwrap(), "--out", "/dev/null"];
    args.extend_from_slice(MTTY2);
    assert_eq!(code(&run_stdin(&args, b"x")), 4);
}

// ---- 4. outputs are not silently replaced --------------------------------

#[test]
fn existing_outputs_are_refused_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _policy) = key_and_policy(dir.path());
    let existing = dir.path().join("existing");
    let e = existing.to_str().unwrap();
    let mut seal = vec!["seal", "-", "--key", key.to_str().unwrap(), "-o", e];
    seal.extend_from_slice(MTTY2);
    let verify = vec!["verify", SAMPLE, "--policy", POLICY, "--device", DEVICE, "--payload-out", e];
    let descriptor = vec!["descriptor", "--from-cbor", DEVICE, "-o", e];
    for args in [seal, verify, descriptor] {
        std::fs::write(&existing, b"keep me").unwrap();
        let o = run_stdin(&args, b"x");
        assert_eq!(code(&o), 3, "{args:?}");
        assert!(stderr(&o).contains("output exists"), "{args:?}: {}", stderr(&o));
        assert_eq!(std::fs::read(&existing).unwrap(), b"keep me", "{args:?}");
        let mut forced = args.clone();
        forced.push("--force");
        let o = run_stdin(&forced, b"x");
        assert_eq!(code(&o), 0, "{forced:?}: {}", stderr(&o));
        assert_ne!(std::fs::read(&existing).unwrap(), b"keep me", "{forced:?}");
        assert_eq!(names_in(dir.path()), ["existing", "k", "k.pub", "policy.json"], "{forced:?}");
    }
}

// ---- 5. nothing staged survives SIGINT / SIGTERM -----------------------

/// Starts `migseal ARGS` in `dir` reading stdin, writes `input` (the write
/// returns only once the process has read all but a pipe buffer of it, so
/// it is mid-stream and its output staged), then sends `signal`.
fn interrupt(dir: &Path, args: &[&str], input: &[u8], signal: &str) {
    // Through `env --default-signal` (GNU coreutils): a shell starts
    // background jobs with SIGINT ignored, and an ignored signal stays
    // ignored across exec, so a test run from such a job would wait forever
    // for a SIGINT that cannot arrive.
    let mut child = Command::new("env")
        .args(["--default-signal=INT,TERM", env!("CARGO_BIN_EXE_migseal")])
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    stdin.flush().unwrap();
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-s", signal, &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    drop(stdin);
    assert!(status.code().is_none(), "killed by the signal, not finished: {status:?}");
}

#[test]
fn a_signal_mid_seal_or_mid_verify_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (key, policy) = key_and_policy(dir.path());
    let state = filler(5, 64 << 20);
    // A complete image of the state, to feed verify with.
    let image = dir.path().join("full.migseal");
    let mut args = vec!["seal", "-", "--key", key.to_str().unwrap(), "-o", image.to_str().unwrap()];
    args.extend_from_slice(MTTY2);
    assert_eq!(code(&run_stdin(&args, &state)), 0);
    let image_bytes = std::fs::read(&image).unwrap();

    for signal in ["INT", "TERM"] {
        let work = tempfile::tempdir().unwrap();
        let mut seal = vec!["seal", "-", "--key", key.to_str().unwrap(), "-o", "out.migseal"];
        seal.extend_from_slice(MTTY2);
        interrupt(work.path(), &seal, &state, signal);
        assert!(names_in(work.path()).is_empty(), "seal, SIG{signal}: {:?}", names_in(work.path()));

        let verify = [
            "verify",
            "-",
            "--policy",
            policy.to_str().unwrap(),
            "--device",
            &abs(DEVICE),
            "--payload-out",
            "payload.bin",
        ];
        interrupt(work.path(), &verify, image_bytes.get(..image_bytes.len() - 1000).unwrap(), signal);
        assert!(names_in(work.path()).is_empty(), "verify, SIG{signal}: {:?}", names_in(work.path()));
    }
}

// ---- 6. the image digest is named what it is ---------------------------

#[test]
fn the_image_digest_is_not_called_the_files_sha256() {
    let o = run(&["verify", SAMPLE, "--policy", POLICY, "--device", DEVICE]);
    let text = stdout(&o);
    assert!(!text.contains("image  sha256:") && !text.contains("image         sha256:"), "{text}");
    let line = text.lines().find(|l| l.trim_start().starts_with("image digest")).unwrap();
    assert!(line.contains("not the file's sha256sum"), "{line}");
    let j = json(&run(&["--json", "verify", SAMPLE, "--policy", POLICY, "--device", DEVICE]));
    assert_eq!(j["image_digest"].as_str().unwrap().len(), 64);
    let inspected = stdout(&run(&["inspect", SAMPLE]));
    let line = inspected.lines().find(|l| l.trim_start().starts_with("image digest")).unwrap();
    assert!(line.contains("not the file's sha256sum") && !line.contains("sha256:"), "{line}");
}

// ---- 7. seal does not make images default verifiers refuse -----------------

#[test]
fn seal_refuses_chunks_default_verifiers_refuse_and_names_the_security_version() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _policy) = key_and_policy(dir.path());
    let k = key.to_str().unwrap();
    let flags = [
        "--vendor",
        "linux",
        "--device-api",
        "vfio-pci",
        "--device-type",
        "mtty-2",
        "--state-version",
        "1.0",
        "--codec",
        "mtty",
    ];
    let mut args = vec!["seal", "-", "--key", k, "--out", "/dev/null", "--chunk-size", "16777217"];
    args.extend_from_slice(&flags);
    let o = run_stdin(&args, b"x");
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("16 MiB") && stderr(&o).contains("--allow-large-chunks"), "{}", stderr(&o));
    args.push("--allow-large-chunks");
    let o = run_stdin(&args, b"x");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("security version 1 (the default"), "{}", stdout(&o));
    let mut args = vec!["--json", "seal", "-", "--key", k, "--out", "/dev/null", "--security-version", "4"];
    args.extend_from_slice(&flags);
    let j = json(&run_stdin(&args, b"x"));
    assert_eq!(j["security_version_default"], false);
    assert_eq!(j["header"]["security_version"], 4);
}

// ---- 8. messages for common mistakes -----------------------------------

#[test]
fn random_bytes_are_not_a_migseal_image_and_say_what_they_look_like() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("state.gz");
    std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]).unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"hello, this is text\n").unwrap();
    let raw = dir.path().join("mtty.raw");
    std::fs::write(&raw, 0x7e9d_0989_8c3e_2c4e_u64.to_le_bytes()).unwrap();
    for (file, what) in
        [(&gz, "gzip"), (&empty, "an empty file"), (&text, "text"), (&raw, "raw mtty device state")]
    {
        let o = run(&["verify", file.to_str().unwrap(), "--policy", POLICY, "--device", DEVICE]);
        assert_ne!(code(&o), 0);
        let t = stdout(&o);
        assert!(t.contains("this is not a migseal image (no header record at byte 0)"), "{t}");
        assert!(t.contains(&format!("it looks like {what}")), "{t}");
        // Machines get it as its own field; `message` stays the verifier's,
        // the same text the C ABI and WASM give.
        let j =
            json(&run(&["--json", "verify", file.to_str().unwrap(), "--policy", POLICY, "--device", DEVICE]));
        assert!(j["summary"].as_str().unwrap().starts_with("this is not a migseal image"), "{j}");
        assert!(j["message"].as_str().unwrap().starts_with("error "), "{j}");
    }
}

#[test]
fn decode_without_a_reference_decoder_is_verified_not_refused() {
    let o = run(&[
        "verify",
        "spec/vectors/images/nvidia-own-device.migseal",
        "--policy",
        POLICY,
        "--device",
        "spec/vectors/devices/nvidia-35.cbor",
        "--decode",
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let t = stdout(&o);
    assert!(
        t.starts_with("VERIFIED") && t.contains("migseal has no reference decoder for codec nvidia-vgpu"),
        "{t}"
    );
    assert!(!t.contains("must not be restored"), "{t}");
}

#[test]
fn keygen_show_id_names_the_key_an_untrusted_refusal_names() {
    let o =
        run(&["verify", "spec/vectors/images/untrusted-key.migseal", "--policy", POLICY, "--device", DEVICE]);
    assert_eq!(code(&o), 12);
    let j = json(&run(&["--json", "keygen", "--show-id", "spec/vectors/keys/stranger.pub"]));
    let id = j["key_id"].as_str().unwrap();
    assert_eq!(id.len(), 64);
    assert!(stdout(&o).contains(id), "the refusal names the whole id {id}: {}", stdout(&o));
    assert!(stdout(&o).contains("keygen --show-id"), "{}", stdout(&o));

    // A fresh key pair: --show-id agrees with what keygen printed.
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    let made = json(&run(&["--json", "keygen", "--out", key.to_str().unwrap()]));
    let shown = json(&run(&["--json", "keygen", "--show-id", dir.path().join("k.pub").to_str().unwrap()]));
    assert_eq!(made["key_id"], shown["key_id"]);
}

#[test]
fn file_sha256_is_what_sha256sum_prints() {
    let o = run(&["verify", SAMPLE, "--policy", POLICY, "--device", DEVICE, "--file-sha256"]);
    assert_eq!(code(&o), 0);
    let sum = Command::new("sha256sum").arg(root().join(SAMPLE)).output().unwrap();
    let expected = String::from_utf8(sum.stdout).unwrap().split_whitespace().next().unwrap().to_owned();
    let text = stdout(&o);
    let line = text.lines().find(|l| l.trim_start().starts_with("file sha256")).unwrap();
    assert!(line.contains(&expected), "{line} vs {expected}");
    let digest = text.lines().find(|l| l.trim_start().starts_with("image digest")).unwrap();
    assert!(!digest.contains(&expected), "the image digest is another value");
}
