//! `migseal` against every spec vector: the verdict, the exit code and the
//! `--json` code and name match `spec/vectors/index.json`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::*;

#[test]
fn verify_matches_the_index_for_every_image_vector() {
    let mut checked = 0;
    for vector in index().iter().filter(|x| x["kind"] == "image") {
        let name = vector["name"].as_str().unwrap();
        let (image, policy, device) = (
            v(vector["file"].as_str().unwrap()),
            v(vector["policy"].as_str().unwrap()),
            v(vector["device"].as_str().unwrap()),
        );
        let expected = vector["expect"]["code"].as_u64().unwrap_or(0);
        let args = ["verify", &image, "--policy", &policy, "--device", &device];

        let human = run(&args);
        assert_eq!(code(&human), exit_for(expected), "{name}: {}{}", stdout(&human), stderr(&human));
        let text = stdout(&human);
        if expected == 0 {
            assert!(text.starts_with("VERIFIED "), "{name}: {text}");
        } else {
            assert!(text.starts_with("REFUSED "), "{name}: {text}");
            assert!(text.contains(&format!("error {expected} (")), "{name}: {text}");
        }

        let mut json_args = vec!["--json"];
        json_args.extend_from_slice(&args);
        let machine = run(&json_args);
        assert_eq!(code(&machine), exit_for(expected), "{name}");
        let j = json(&machine);
        if expected == 0 {
            assert_eq!(j["verdict"], "verified", "{name}");
            assert!(j["header"]["vendor"].is_string(), "{name}");
        } else {
            assert_eq!(j["verdict"], "refused", "{name}");
            assert_eq!(j["code"], expected, "{name}");
            assert_eq!(j["name"], vector["expect"]["name"], "{name}");
            assert!(j["errno"].as_i64().unwrap() > 0, "{name}");
            assert!(j["offset"].is_u64(), "{name}");
        }
        checked += 1;
    }
    assert!(checked >= 48, "only {checked} image vectors");
}

/// The same verdicts when the image streams in through stdin, read in odd
/// pieces.
#[test]
fn verify_from_stdin_matches_the_index() {
    for vector in index().iter().filter(|x| x["kind"] == "image") {
        let name = vector["name"].as_str().unwrap();
        let image = std::fs::read(vectors().join(vector["file"].as_str().unwrap())).unwrap();
        let (policy, device) = (v(vector["policy"].as_str().unwrap()), v(vector["device"].as_str().unwrap()));
        let expected = vector["expect"]["code"].as_u64().unwrap_or(0);
        let o = run_stdin(
            &["--json", "verify", "-", "--policy", &policy, "--device", &device, "--read-size", "7"],
            &image,
        );
        assert_eq!(code(&o), exit_for(expected), "{name}: {}", stdout(&o));
        if expected != 0 {
            assert_eq!(json(&o)["code"], expected, "{name}");
        }
    }
}

/// Policy vectors: a policy the verifier must refuse, whatever the image.
#[test]
fn policy_vectors_are_refused_with_their_code() {
    for vector in index().iter().filter(|x| x["kind"] == "policy") {
        let file = vector["file"].as_str().unwrap();
        let expected = vector["expect"]["code"].as_u64().unwrap();
        let o = run(&[
            "--json",
            "verify",
            &v("images/mtty-2-single-chunk.migseal"),
            "--policy",
            &v(file),
            "--device",
            &v("devices/mtty-2.cbor"),
        ]);
        assert_eq!(code(&o), exit_for(expected), "{file}");
        let j = json(&o);
        assert_eq!(j["code"], expected);
        assert_eq!(j["name"], vector["expect"]["name"]);
        let message = j["message"].as_str().unwrap();
        // The message names the file and the entry refused.
        let entry = if vector["name"] == "session-too-short" { "session:" } else { "trusted[0]:" };
        assert!(message.contains(file) && message.contains(entry), "{message}");
    }
}

/// Descriptor vectors: `descriptor --from-cbor` decodes the good ones and
/// refuses the bad ones with their code; the good ones survive a trip
/// through the JSON form byte for byte.
#[test]
fn descriptor_vectors_match_the_index() {
    let dir = tempfile::tempdir().unwrap();
    for vector in index().iter().filter(|x| x["kind"] == "descriptor") {
        let name = vector["name"].as_str().unwrap();
        let file = v(vector["file"].as_str().unwrap());
        let expected = vector["expect"]["code"].as_u64().unwrap_or(0);
        let o = run(&["--json", "descriptor", "--from-cbor", &file]);
        assert_eq!(code(&o), exit_for(expected), "{name}: {}", stdout(&o));
        if expected != 0 {
            // stdout would carry the descriptor: the report is on stderr.
            assert!(o.stdout.is_empty(), "{name}");
            assert_eq!(json_stderr(&o)["code"], expected, "{name}");
            continue;
        }
        let as_json = dir.path().join(format!("{name}.json"));
        std::fs::write(&as_json, &o.stdout).unwrap();
        let back = dir.path().join(format!("{name}.cbor"));
        let o =
            run(&["descriptor", "--from-json", as_json.to_str().unwrap(), "--out", back.to_str().unwrap()]);
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
        assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&file).unwrap(), "{name}");
        // And compat accepts the file in either form.
        let a = run(&["--json", "compat", &file, &v("devices/mtty-2.cbor")]);
        let b = run(&["--json", "compat", as_json.to_str().unwrap(), &v("devices/mtty-2.cbor")]);
        assert_eq!(json(&a)["reasons"], json(&b)["reasons"], "{name}");
    }
    // The `cbor` vectors are bare CBOR items for the reader (spec §2); no
    // CLI command takes a bare item, so they are checked by the root
    // crate's tests, not here.
}
