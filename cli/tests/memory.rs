//! Constant memory: generated state is sealed through a pipe
//! (`migseal seal -`) straight into `migseal verify -`, and the peak RSS
//! of both processes is measured (VmHWM from /proc, sampled while they
//! run; it only ever grows, so the last sample is the peak). Not timed.
//!
//! The 64 MiB run is part of `cargo test`; the 1 GiB run is `#[ignore]`d:
//! `cargo test --release -p migseal-cli --test memory -- --ignored --nocapture`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::io::Write;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::*;

/// Samples the peak RSS (KiB) of `pid` until it exits.
fn sample_peak(pid: u32) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let path = format!("/proc/{pid}/status");
        let mut peak = 0u64;
        while let Ok(status) = std::fs::read_to_string(&path) {
            // A zombie has no memory lines any more: it has exited.
            let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) else { break };
            let kb = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
            peak = peak.max(kb);
            std::thread::sleep(Duration::from_millis(2));
        }
        peak
    })
}

struct Measured {
    seal_kib: u64,
    verify_kib: u64,
    verify_json: serde_json::Value,
}

fn pipeline(total: u64) -> Measured {
    let dir = tempfile::tempdir().unwrap();
    let (key, policy) = key_and_policy(dir.path());
    let mut seal_args = vec!["seal", "-", "--key", key.to_str().unwrap()];
    seal_args.extend_from_slice(MTTY2);
    let mut seal: Child = cmd()
        .args(&seal_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let verify: Child = cmd()
        .args([
            "--json",
            "verify",
            "-",
            "--policy",
            policy.to_str().unwrap(),
            "--device",
            "spec/vectors/devices/mtty-2.cbor",
        ])
        .stdin(Stdio::from(seal.stdout.take().unwrap()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let seal_peak = sample_peak(seal.id());
    let verify_peak = sample_peak(verify.id());

    let mut stdin = seal.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let block = filler(42, 1 << 20);
        let mut left = total;
        while left > 0 {
            let n = usize::try_from(left.min(1 << 20)).unwrap();
            stdin.write_all(&block[..n]).unwrap();
            left -= u64::try_from(n).unwrap();
        }
    });
    writer.join().unwrap();
    let seal_status = seal.wait().unwrap();
    let out = verify.wait_with_output().unwrap();
    assert!(seal_status.success());
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    Measured {
        seal_kib: seal_peak.join().unwrap(),
        verify_kib: verify_peak.join().unwrap(),
        verify_json: json(&out),
    }
}

#[test]
fn verifying_64_mib_from_a_pipe_stays_under_32_mib() {
    let total = 64u64 << 20;
    let m = pipeline(total);
    eprintln!(
        "64 MiB through a pipe: seal peak RSS {} KiB, verify peak RSS {} KiB",
        m.seal_kib, m.verify_kib
    );
    assert_eq!(m.verify_json["payload_len"], total);
    assert_eq!(m.verify_json["chunk_count"], 64);
    assert!(m.verify_kib > 0 && m.seal_kib > 0, "no sample taken");
    assert!(m.verify_kib < 32 << 10, "verify peak RSS {} KiB", m.verify_kib);
    assert!(m.seal_kib < 32 << 10, "seal peak RSS {} KiB", m.seal_kib);
}

#[test]
#[ignore = "1 GiB through seal and verify: run on demand, preferably with --release"]
fn verifying_1_gib_from_a_pipe_stays_under_32_mib() {
    let total = 1u64 << 30;
    let m = pipeline(total);
    println!("1 GiB through a pipe: seal peak RSS {} KiB, verify peak RSS {} KiB", m.seal_kib, m.verify_kib);
    assert_eq!(m.verify_json["payload_len"], total);
    assert!(m.verify_kib < 32 << 10, "verify peak RSS {} KiB", m.verify_kib);
    assert!(m.seal_kib < 32 << 10, "seal peak RSS {} KiB", m.seal_kib);
}
