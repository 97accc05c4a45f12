//! Helpers shared by the CLI's end-to-end tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `spec/vectors`.
pub fn vectors() -> PathBuf {
    root().join("spec/vectors")
}

/// A vector file.
pub fn v(rel: &str) -> String {
    vectors().join(rel).display().to_string()
}

/// The index's vectors.
pub fn index() -> Vec<Value> {
    let text = std::fs::read_to_string(vectors().join("index.json")).unwrap();
    let index: Value = serde_json::from_str(&text).unwrap();
    index["vectors"].as_array().unwrap().clone()
}

/// The `migseal` binary, run from the workspace root.
pub fn cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_migseal"));
    c.current_dir(root());
    c
}

/// Runs `migseal ARGS`.
pub fn run(args: &[&str]) -> Output {
    cmd().args(args).stdin(Stdio::null()).output().unwrap()
}

/// Runs `migseal ARGS` with `input` on stdin.
pub fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child =
        cmd().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        // The verifier may stop reading early (a refusal): a broken pipe
        // is expected then.
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// The exit code.
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

/// Stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Stdout as one JSON object.
pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

/// Stderr as one JSON object (the report, when stdout carries data).
pub fn json_stderr(o: &Output) -> Value {
    serde_json::from_slice(&o.stderr)
        .unwrap_or_else(|e| panic!("stderr is not JSON ({e}): {}\n{}", stderr(o), stdout(o)))
}

/// The exit code the CLI documents for a stable code.
pub fn exit_for(code: u64) -> i32 {
    match code {
        0 => 0,
        100..=299 => 10,
        300..=399 => 11,
        400..=499 => 12,
        500..=599 => 13,
        600..=699 => 14,
        _ => panic!("no class for {code}"),
    }
}

/// Deterministic filler (xorshift).
pub fn filler(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// The hex line of a typed key file (its last line).
pub fn public_hex(file_text: &str) -> &str {
    file_text.lines().last().unwrap().trim()
}

/// A fresh key pair in `dir` and a policy trusting it for vendor `linux`.
pub fn key_and_policy(dir: &Path) -> (PathBuf, PathBuf) {
    let key = dir.join("k");
    let o = run(&["keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let public = std::fs::read_to_string(dir.join("k.pub")).unwrap();
    let policy = dir.join("policy.json");
    std::fs::write(
        &policy,
        format!(
            "{{\"trusted\": [{{\"public_key\": \"{}\", \"vendor\": \"linux\"}}]}}\n",
            public_hex(&public)
        ),
    )
    .unwrap();
    (key, policy)
}

/// The flags that seal an mtty-2 image acceptable to `devices/mtty-2.cbor`.
pub const MTTY2: &[&str] = &[
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
    "--security-version",
    "3",
];
