//! Every vector in spec/vectors gives its indexed verdict, through the
//! streaming verifier fed 1 byte, 7 bytes, 4 KiB and whole, and through
//! the whole-image API, refusing at the same offset whatever the
//! fragmentation; and the committed vectors are exactly what the generator
//! makes.

use std::path::{Path, PathBuf};

use migseal::format::cbor;
use migseal::format::envelope::Descriptor;
use migseal::policy_file::PolicyFile;
use migseal::verifier::{Policy, Verifier, verify_image, verify_image_in_runs, verify_image_parallel};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors")
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn index() -> Vec<Value> {
    let text = String::from_utf8(read("index.json")).expect("utf-8 index");
    let doc: Value = serde_json::from_str(&text).expect("index parses");
    assert_eq!(doc["format"], "migseal-vectors-v1");
    doc["vectors"].as_array().expect("vectors array").clone()
}

/// `Ok(())` or the stable code.
type Outcome = Result<(), u16>;

fn expected(v: &Value) -> Outcome {
    match v["expect"]["result"].as_str() {
        Some("ok") => Ok(()),
        Some("error") => Err(u16::try_from(v["expect"]["code"].as_u64().expect("code")).expect("u16")),
        other => panic!("bad expect {other:?}"),
    }
}

/// The verdict of the streaming verifier fed `fragment` bytes at a time,
/// with the refusal's offset.
fn stream(image: &[u8], policy: &Policy, device: &Descriptor<'_>, fragment: usize) -> Result<(), (u16, u64)> {
    let mut v = Verifier::default();
    let mut payload = 0u64;
    for piece in image.chunks(fragment.max(1)) {
        if let Err(e) = v.feed(policy, device, piece, |p| payload += p.bytes.len() as u64) {
            return Err((e.code(), e.offset()));
        }
    }
    let verdict = v.finish().map_err(|e| (e.code(), e.offset()))?;
    assert_eq!(verdict.payload_len(), payload, "reported payload pieces add up");
    Ok(())
}

fn image_outcomes(v: &Value) -> Vec<(String, Outcome)> {
    let image = read(v["file"].as_str().expect("file"));
    let device_bytes = read(v["device"].as_str().expect("device"));
    let device = Descriptor::decode(&device_bytes).expect("device descriptor decodes");
    let policy_text = String::from_utf8(read(v["policy"].as_str().expect("policy"))).expect("utf-8");
    let policy = PolicyFile::from_json(&policy_text).expect("policy parses");
    policy
        .with_policy(|p| {
            let whole = verify_image(&image, p, &device);
            let mut out = Vec::new();
            // Same code and same offset as the whole image, however split.
            let whole_at = whole.as_ref().map(|_| ()).map_err(|e| (e.code(), e.offset()));
            for (path, fragment) in
                [("stream/1", 1), ("stream/7", 7), ("stream/4096", 4096), ("stream/whole", image.len())]
            {
                let got = stream(&image, p, &device, fragment);
                assert_eq!(
                    got, whole_at,
                    "{}: {path} refuses as verify_image, at the same offset",
                    v["name"]
                );
                out.push((path.to_owned(), got.map_err(|(code, _)| code)));
            }
            let whole_digest = whole.as_ref().ok().map(|v| *v.image_digest());
            out.push(("verify_image".to_owned(), whole.map(|_| ()).map_err(|e| e.code())));
            for threads in [1, 2, 3] {
                let n = std::num::NonZeroUsize::new(threads).expect("non-zero");
                let par = verify_image_parallel(&image, p, &device, n);
                assert_eq!(par.as_ref().ok().map(|v| *v.image_digest()), whole_digest, "same image digest");
                out.push((format!("parallel/{threads}"), par.map(|_| ()).map_err(|e| e.code())));
                let runs = verify_image_in_runs(&image, p, &device, n);
                assert_eq!(runs.as_ref().ok().map(|v| *v.image_digest()), whole_digest, "same image digest");
                out.push((format!("in-runs/{threads}"), runs.map(|_| ()).map_err(|e| e.code())));
            }
            out
        })
        .expect("policy builds")
}

#[test]
fn every_vector_gives_its_expected_verdict() {
    let vectors = index();
    assert!(vectors.len() > 60, "the index lists every vector ({})", vectors.len());
    let mut failures = Vec::new();
    for v in &vectors {
        let name = v["name"].as_str().expect("name");
        let want = expected(v);
        let outcomes: Vec<(String, Outcome)> = match v["kind"].as_str() {
            Some("image") => image_outcomes(v),
            Some("descriptor") => {
                let bytes = read(v["file"].as_str().expect("file"));
                vec![("decode".into(), Descriptor::decode(&bytes).map(|_| ()).map_err(|e| e.code().code()))]
            }
            Some("cbor") => {
                let bytes = read(v["file"].as_str().expect("file"));
                vec![("validate".into(), cbor::validate(&bytes, &[]).map_err(|e| e.code().code()))]
            }
            Some("policy") => {
                let text = String::from_utf8(read(v["file"].as_str().expect("file"))).expect("utf-8");
                let r = PolicyFile::from_json(&text).expect("json").with_policy(|_| ());
                vec![("load".into(), r.map_err(|e| e.code().unwrap_or(0)))]
            }
            other => panic!("{name}: unknown kind {other:?}"),
        };
        for (path, got) in outcomes {
            if got != want {
                failures.push(format!("{name} via {path}: expected {want:?}, got {got:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn committed_vectors_match_the_generator() {
    let problems = migseal_testkit::vectors::generate().check(&dir());
    assert!(
        problems.is_empty(),
        "spec/vectors differs from the generator (run `cargo run -p migseal-testkit --bin migseal-vectors -- --write spec/vectors`):\n{}",
        problems.join("\n")
    );
}
