//! `verify --threads N` and `seal --threads N`: the parallel paths give
//! exactly what the one-thread path gives. For every image vector and
//! damaged copies of sealed images (truncated; bytes flipped in the
//! header, chunk heads, payload and seal; a trailing byte): the same exit
//! code, the same report (text and `--json`, code, offset and message),
//! the same staged payload, and nothing left on disk when refused — from
//! a file (positioned reads) and from a pipe (the reader's chunk queue).
//! `seal` output is byte-identical whatever the thread count.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::path::Path;
use std::process::Output;

use common::*;

/// Exit code, stdout, stderr, and the files left in the payload directory
/// (name and bytes).
type Observed = (i32, String, String, Vec<(String, Vec<u8>)>);

fn left_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// Runs `verify` on `image` with `threads`, from the file or from stdin,
/// with the payload staged to a fresh directory.
fn observe(image: &Path, policy: &str, device: &str, threads: &str, stdin: bool, json: bool) -> Observed {
    let dir = tempfile::tempdir().unwrap();
    let payload = dir.path().join("payload.bin");
    let source = if stdin { "-".to_owned() } else { image.to_str().unwrap().to_owned() };
    let mut args = vec![];
    if json {
        args.push("--json");
    }
    args.extend_from_slice(&[
        "verify",
        &source,
        "--policy",
        policy,
        "--device",
        device,
        "--threads",
        threads,
    ]);
    let payload_arg = payload.to_str().unwrap().to_owned();
    args.extend_from_slice(&["--payload-out", &payload_arg]);
    let o: Output = if stdin { run_stdin(&args, &std::fs::read(image).unwrap()) } else { run(&args) };
    // The payload path is per run: name it alike in every report.
    let norm = |s: String| s.replace(&payload_arg, "PAYLOAD");
    (code(&o), norm(stdout(&o)), norm(stderr(&o)), left_in(dir.path()))
}

/// The four ways must agree; returns the one-thread file result.
fn all_agree(what: &str, image: &Path, policy: &str, device: &str) -> Observed {
    let mut first = None;
    for json in [true, false] {
        let file1 = observe(image, policy, device, "1", false, json);
        let file4 = observe(image, policy, device, "4", false, json);
        assert_eq!(file1, file4, "{what}: --threads 1 and 4 from the file (json {json})");
        let pipe1 = observe(image, policy, device, "1", true, json);
        let pipe4 = observe(image, policy, device, "4", true, json);
        assert_eq!(pipe1, pipe4, "{what}: --threads 1 and 4 from a pipe (json {json})");
        // From a pipe, only the image's name differs.
        let named = file1.1.replace(image.to_str().unwrap(), "<stdin>");
        assert_eq!((file1.0, &named, &file1.3), (pipe4.0, &pipe4.1, &pipe4.3), "{what}: file and pipe");
        if json {
            first = Some(file1);
        }
    }
    first.unwrap()
}

#[test]
fn every_image_vector_gives_the_same_verdict_with_threads() {
    let mut checked = 0;
    for vector in index().iter().filter(|x| x["kind"] == "image") {
        let name = vector["name"].as_str().unwrap();
        let image = vectors().join(vector["file"].as_str().unwrap());
        let (policy, device) = (v(vector["policy"].as_str().unwrap()), v(vector["device"].as_str().unwrap()));
        let (exit, out, _, left) = all_agree(name, &image, &policy, &device);
        let expected = vector["expect"]["code"].as_u64().unwrap_or(0);
        assert_eq!(exit, exit_for(expected), "{name}: {out}");
        if expected != 0 {
            assert!(left.is_empty(), "{name}: a refused image left {left:?}");
        }
        checked += 1;
    }
    assert!(checked >= 48, "only {checked} image vectors");
}

/// A sealed image of `len` payload bytes in chunks of `chunk` bytes.
fn sealed(dir: &Path, key: &Path, len: usize, chunk: usize, threads: &str, name: &str) -> Vec<u8> {
    let input = dir.join(format!("{name}.in"));
    std::fs::write(&input, filler(u64::try_from(len).unwrap(), len)).unwrap();
    let out = dir.join(format!("{name}.migseal"));
    let chunk = chunk.to_string();
    let mut args = vec![
        "seal",
        input.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--force",
        "--chunk-size",
        &chunk,
        "--threads",
        threads,
    ];
    args.extend_from_slice(MTTY2);
    let o = run(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    std::fs::read(out).unwrap()
}

#[test]
fn damaged_images_give_the_same_verdict_with_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (key, policy) = key_and_policy(dir.path());
    let policy = policy.to_str().unwrap().to_owned();
    let device = v("devices/mtty-2.cbor");
    let image = sealed(dir.path(), &key, 10_000, 1000, "1", "base");
    let n = image.len();
    // Header ~ 0..230, chunk heads every ~1005 bytes after, seal the last
    // 154 bytes.
    let mut cases: Vec<(String, Vec<u8>)> = vec![("intact".into(), image.clone())];
    for cut in [0, 1, 100, 240, 1300, n / 2, n - 154, n - 10, n - 1] {
        cases.push((format!("cut@{cut}"), image[..cut].to_vec()));
    }
    let head_of_chunk_3 = n - 154 - 7 * 1005;
    for at in
        [3, 60, 200, head_of_chunk_3, head_of_chunk_3 + 1, head_of_chunk_3 + 4, 5000, n - 154, n - 30, n - 1]
    {
        let mut copy = image.clone();
        copy[at] ^= 0x41;
        cases.push((format!("flip@{at}"), copy));
    }
    let mut longer = image.clone();
    longer.extend_from_slice(b"trailing");
    cases.push(("trailing".into(), longer));
    let mut codes = std::collections::BTreeSet::new();
    for (what, bytes) in cases {
        let path = dir.path().join("case.migseal");
        std::fs::write(&path, &bytes).unwrap();
        let (exit, out, _, left) = all_agree(&what, &path, &policy, &device);
        if what == "intact" {
            assert_eq!(exit, 0, "{out}");
            assert_eq!(left.len(), 1, "the payload is written");
            assert_eq!(left[0].1, filler(10_000, 10_000));
        } else {
            assert_ne!(exit, 0, "{what}: {out}");
            assert!(left.is_empty(), "{what}: a refused image left {left:?}");
        }
        codes.insert(serde_json::from_str::<serde_json::Value>(&out).unwrap()["code"].as_u64().unwrap_or(0));
    }
    assert!(codes.len() >= 4, "the damage reaches several checks: {codes:?}");
}

#[test]
fn seal_output_is_the_same_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = key_and_policy(dir.path());
    let chunk = 4096;
    for len in [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk, 3 * chunk + 1, 10 * chunk + 17] {
        let one = sealed(dir.path(), &key, len, chunk, "1", "one");
        for threads in ["2", "4"] {
            assert_eq!(
                one,
                sealed(dir.path(), &key, len, chunk, threads, "many"),
                "{len} bytes, {threads} threads"
            );
        }
        // From a pipe too.
        let input = std::fs::read(dir.path().join("one.in")).unwrap();
        let chunk_arg = chunk.to_string();
        let mut args =
            vec!["seal", "-", "--key", key.to_str().unwrap(), "--chunk-size", &chunk_arg, "--threads", "3"];
        args.extend_from_slice(MTTY2);
        let o = run_stdin(&args, &input);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_eq!(one, o.stdout, "{len} bytes from a pipe");
    }
}

#[test]
fn decode_and_file_sha256_keep_working_with_threads() {
    let image = v("images/mtty-2-six-chunks.migseal");
    let (policy, device) = (v("policies/default.json"), v("devices/mtty-2.cbor"));
    for flag in ["--decode", "--file-sha256"] {
        let one = run(&[
            "--json",
            "verify",
            &image,
            "--policy",
            &policy,
            "--device",
            &device,
            flag,
            "--threads",
            "1",
        ]);
        let four = run(&[
            "--json",
            "verify",
            &image,
            "--policy",
            &policy,
            "--device",
            &device,
            flag,
            "--threads",
            "4",
        ]);
        assert_eq!(code(&one), 0, "{}", stdout(&one));
        assert_eq!(stdout(&one), stdout(&four), "{flag}");
    }
    let zero = run(&["verify", &image, "--policy", &policy, "--device", &device, "--threads", "0"]);
    assert_eq!(code(&zero), 2, "--threads 0 is a usage error");
}
