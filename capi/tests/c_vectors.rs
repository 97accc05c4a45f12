//! Compiles `tests/c/verify_vectors.c` with the system C compiler, links it
//! to this crate's static library, and runs it over every spec vector:
//! once plainly and once under AddressSanitizer.
//!
//! The C program reads a plan (a simple line format, no JSON parser in C)
//! that this test writes from `spec/vectors/index.json`: the policies
//! (translated from their JSON), every image with its expected code, every
//! descriptor, and descriptor pairs with the compatibility result the Rust
//! library gives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::fmt::Write as _;
mod common;

use common::{root, static_lib};
use std::path::{Path, PathBuf};
use std::process::Command;

use migseal::format::envelope::Descriptor;
use migseal::policy_file::PolicyFile;
use migseal::verifier::compat;
use migseal::verifier::{Crypto, CryptoFailure, Dalek};
use serde_json::Value;

fn policy_lines(name: &str, p: &PolicyFile, expect_key: Option<u16>) -> String {
    let mut s = format!("policy {name}\n");
    for t in &p.trusted {
        let expect = expect_key.unwrap_or(0);
        write!(s, "key {expect} {} {} {}", t.public_key, t.vendor, t.device_types.len()).unwrap();
        for ty in &t.device_types {
            write!(s, " {ty}").unwrap();
        }
        s.push('\n');
    }
    for r in &p.revoked {
        writeln!(s, "revoke {r}").unwrap();
    }
    for m in &p.min_security {
        writeln!(s, "min {} {} {}", m.vendor, m.device_type.as_deref().unwrap_or("-"), m.minimum).unwrap();
    }
    if let Some(session) = &p.session {
        // A policy vector without keys is refused at its session.
        let expect = if p.trusted.is_empty() { expect_key.unwrap_or(0) } else { 0 };
        writeln!(s, "session {expect} {session}").unwrap();
    }
    if let Some(subject) = &p.subject {
        writeln!(s, "subject {subject}").unwrap();
    }
    let l = &p.limits;
    let n = |v: Option<u64>| v.unwrap_or(0);
    writeln!(
        s,
        "limits {} {} {} {}",
        l.max_header_len.map_or(0, |v| u64::try_from(v).unwrap()),
        n(l.max_chunk_len),
        n(l.max_chunks),
        n(l.max_total_len)
    )
    .unwrap();
    s.push_str("end\n");
    s
}

fn plan() -> String {
    let vectors = root().join("spec/vectors");
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(vectors.join("index.json")).unwrap()).unwrap();
    let mut plan = String::new();
    let mut policies_done = Vec::<String>::new();
    let list = index["vectors"].as_array().unwrap();
    let expect_code = |v: &Value| v["expect"]["code"].as_u64().unwrap_or(0);

    // Policies used by image vectors, and the policy vectors themselves.
    for v in list {
        let file = match v["kind"].as_str().unwrap() {
            "image" => v["policy"].as_str().unwrap(),
            "policy" => v["file"].as_str().unwrap(),
            _ => continue,
        };
        let name = Path::new(file).file_stem().unwrap().to_str().unwrap().to_owned();
        if policies_done.contains(&name) {
            continue;
        }
        let p = PolicyFile::from_json(&std::fs::read_to_string(vectors.join(file)).unwrap()).unwrap();
        let expect = (v["kind"] == "policy").then(|| u16::try_from(expect_code(v)).unwrap());
        plan.push_str(&policy_lines(&name, &p, expect));
        policies_done.push(name);
    }

    let mut descriptors = Vec::new();
    for v in list {
        let file = vectors.join(v["file"].as_str().unwrap());
        match v["kind"].as_str().unwrap() {
            "image" => {
                let policy = Path::new(v["policy"].as_str().unwrap()).file_stem().unwrap().to_str().unwrap();
                let device = vectors.join(v["device"].as_str().unwrap());
                writeln!(
                    plan,
                    "image {} {policy} {} {} {}",
                    v["name"].as_str().unwrap(),
                    file.display(),
                    device.display(),
                    expect_code(v)
                )
                .unwrap();
            }
            "descriptor" => {
                writeln!(
                    plan,
                    "descriptor {} {} {}",
                    v["name"].as_str().unwrap(),
                    file.display(),
                    expect_code(v)
                )
                .unwrap();
                if expect_code(v) == 0 {
                    descriptors.push(file);
                }
            }
            // Generic CBOR items: no C API decodes a bare item (the reader is
            // exercised through images and descriptors).
            _ => {}
        }
    }
    for entry in std::fs::read_dir(vectors.join("devices")).unwrap() {
        descriptors.push(entry.unwrap().path());
    }
    descriptors.sort();

    // Every pair of decodable descriptors, with what the Rust check says.
    for a in &descriptors {
        for b in &descriptors {
            let (ab, bb) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
            let (s, d) = (Descriptor::decode(&ab).unwrap(), Descriptor::decode(&bb).unwrap());
            let c = compat::check(&s, &d);
            let first = c.first().map_or(0, |r| r.code().code());
            let version = c.chosen_version().map_or("-".to_owned(), |v| v.to_string());
            writeln!(plan, "compat {} {} {first} {} {version}", a.display(), b.display(), c.total()).unwrap();
        }
    }

    // Seventeen valid keys, to fill the trust store.
    for i in 0..17 {
        let k = migseal_testkit::samples::test_key(&format!("capi-fill-{i}"));
        writeln!(plan, "fillkey {}", hex::encode(k.public_key())).unwrap();
    }
    // Bytes that are not a curve point (602).
    let not_a_point = (2u8..=255)
        .map(|i| {
            let mut b = [0u8; 32];
            b[0] = i;
            b[31] = 0x7f;
            b
        })
        .find(|b| Dalek.prepare_public_key(b).err() == Some(CryptoFailure::InvalidPublicKey))
        .expect("some bytes are not a point");
    writeln!(plan, "badpoint {}", hex::encode(not_a_point)).unwrap();

    // Every policy file, loaded from its JSON text by the C ABI: the load's
    // status and a verification's are what the Rust loader and verifier say.
    let image_rel = "images/mtty-2-single-chunk.migseal";
    let device_rel = "devices/mtty-2.cbor";
    let image = std::fs::read(vectors.join(image_rel)).unwrap();
    let device = std::fs::read(vectors.join(device_rel)).unwrap();
    let device_desc = Descriptor::decode(&device).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(vectors.join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "policy files found: {files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let (load, verify) = match PolicyFile::from_json(&text).and_then(|f| f.to_policy()) {
            Ok(p) => {
                (0, migseal::verifier::verify_image(&image, &p, &device_desc).err().map_or(0, |e| e.code()))
            }
            Err(e) => (e.code().unwrap_or(805), 0),
        };
        writeln!(
            plan,
            "jsonpolicy {} {load} {} {} {verify}",
            file.display(),
            vectors.join(image_rel).display(),
            vectors.join(device_rel).display()
        )
        .unwrap();
    }
    plan
}

fn compile(out: &Path, sanitize: bool) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/verify_vectors.c");
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let mut cmd = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
    cmd.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-g", "-O1"]);
    if sanitize {
        cmd.args(["-fsanitize=address", "-fno-omit-frame-pointer"]);
    }
    cmd.arg("-I").arg(&include).arg(&src).arg(static_lib());
    cmd.args(["-lpthread", "-ldl", "-lm", "-o"]).arg(out);
    let result = cmd.output().expect("a C compiler (cc) is installed");
    assert!(
        result.status.success(),
        "compiling verify_vectors.c failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
}

fn run(exe: &Path, plan: &Path, env: &[(&str, &str)]) {
    let out = Command::new(exe).arg(plan).envs(env.iter().copied()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{} failed ({}):\n{stdout}\n{stderr}", exe.display(), out.status);
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}\n{stderr}");
    assert!(!stderr.contains("ERROR: AddressSanitizer") && !stderr.contains("LeakSanitizer"), "{stderr}");
    eprintln!("{stdout}");
}

fn write_plan(dir: &Path) -> PathBuf {
    let path = dir.join("plan.txt");
    std::fs::write(&path, plan()).unwrap();
    path
}

#[test]
fn c_program_verifies_every_vector() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path());
    let exe = dir.path().join("verify_vectors");
    compile(&exe, false);
    run(&exe, &plan, &[]);
}

#[test]
fn c_program_is_clean_under_address_sanitizer() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path());
    let exe = dir.path().join("verify_vectors_asan");
    compile(&exe, true);
    // Leaks are errors too: every object the C side allocates is freed.
    run(&exe, &plan, &[("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1")]);
}

/// Every code the spec vectors name has the same name in the C table, and
/// every verifier code maps to a C status (none falls to ABI_INTERNAL).
#[test]
fn status_table_matches_the_library() {
    use std::ffi::CStr;

    use migseal::verifier::{Error, ErrorKind, KeyIdHex, Name};
    use migseal_capi::migseal_status;

    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("spec/vectors/index.json")).unwrap())
            .unwrap();
    for v in index["vectors"].as_array().unwrap() {
        let Some(code) = v["expect"]["code"].as_u64() else { continue };
        let code = i32::try_from(code).unwrap();
        // SAFETY: the function returns a static NUL-terminated string.
        let name = unsafe { CStr::from_ptr(migseal_capi::migseal_status_name(code)) };
        assert_eq!(name.to_str().unwrap(), v["expect"]["name"].as_str().unwrap(), "code {code}");
    }
    let id = KeyIdHex([0; 32]);
    let n = Name::new("x");
    let kinds = [
        ErrorKind::RecordOrder { expected: "", found: "" },
        ErrorKind::SequenceGap { expected: 0, found: 1 },
        ErrorKind::HeaderTooLarge { limit: 0 },
        ErrorKind::ChunkTooLarge { limit: 0, found: 0 },
        ErrorKind::TooManyChunks { limit: 0 },
        ErrorKind::TotalTooLarge { limit: 0, found: 0 },
        ErrorKind::Incomplete { state: "" },
        ErrorKind::UntrustedKey { key_id: id },
        ErrorKind::KeyVendorScope { key_vendor: n, image_vendor: n },
        ErrorKind::KeyTypeScope { image_type: n },
        ErrorKind::RevokedKey { key_id: id },
        ErrorKind::SecurityVersionTooLow { found: 0, minimum: 1 },
        ErrorKind::SessionMissing,
        ErrorKind::SessionMismatch,
        ErrorKind::SubjectMissing { expected: n },
        ErrorKind::SubjectMismatch { expected: n, found: n },
        ErrorKind::WeakKey,
        ErrorKind::TrustStoreFull { capacity: 1 },
        ErrorKind::KeyIdMismatch { header: id, seal: id },
        ErrorKind::BadSignature,
        ErrorKind::NonCanonicalSignature,
        ErrorKind::InvalidPublicKey,
    ];
    for kind in kinds {
        let e = Error::new(kind, 0);
        let status = migseal_status::of(&e);
        assert_ne!(status, migseal_status::MIGSEAL_ABI_INTERNAL, "{}", e.name());
        // SAFETY: a static NUL-terminated string.
        let name = unsafe { CStr::from_ptr(migseal_capi::migseal_status_name(status.code())) };
        assert_eq!(name.to_str().unwrap(), e.name());
    }
    for (status, name, message) in migseal_capi::status::all() {
        assert!(!name.to_bytes().is_empty() && !message.to_bytes().is_empty(), "{status:?}");
    }
}
