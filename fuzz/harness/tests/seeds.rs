//! Every seed of every target passes its target's checks, on stable and
//! without libFuzzer: the properties hold on the vectors themselves, and a
//! broken property shows up here before a fuzzing run.

use std::path::Path;

use arbitrary::{Arbitrary, Unstructured};
use migseal_fuzz_harness::{
    TARGETS, cbor, codec_structured, codecs, compat, corpus, differential, inspect, policy_file, records,
    sealed, sealer_calls, stream, structure,
};

fn run(target: &str, data: &[u8]) {
    match target {
        "cbor_reader" => cbor::check(data),
        "decode_header" => records::check_header(data),
        "decode_chunk_head" => records::check_chunk_head(data),
        "decode_seal" => records::check_seal(data),
        "decode_descriptor" => records::check_descriptor(data),
        "stream_fragments" => stream::check(data),
        "inspect_equals_verify" => inspect::check(data),
        "seal_then_mutate" => {
            if let Ok(input) = sealed::SealInput::arbitrary(&mut Unstructured::new(data)) {
                sealed::check(&input);
            }
        }
        "sealed_structure" => {
            if let Ok(input) = structure::StructureInput::arbitrary(&mut Unstructured::new(data)) {
                structure::check(&input);
            }
        }
        "differential" => differential::check(data),
        "compat_pairs" => {
            if let Ok(input) = compat::CompatInput::arbitrary(&mut Unstructured::new(data)) {
                compat::check(&input);
            }
        }
        "policy_file" => {
            if let Ok(input) = policy_file::PolicyInput::arbitrary_take_rest(Unstructured::new(data)) {
                policy_file::check(&input);
            }
        }
        "sealer_calls" => {
            if let Ok(input) = sealer_calls::SealerInput::arbitrary_take_rest(Unstructured::new(data)) {
                sealer_calls::check(&input);
            }
        }
        "codec_structured" => codec_structured::check_bytes(data),
        other if codecs::for_target(other).is_some() => {
            codecs::check(codecs::for_target(other).expect("checked"), data);
        }
        other => panic!("no replay for target {other}: add it here and to fuzz_targets/"),
    }
}

#[test]
fn every_seed_passes_its_target() {
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors");
    let seeds = corpus::seeds(&vectors);
    for (target, _) in TARGETS {
        let set = seeds.get(target).unwrap_or_else(|| panic!("no seeds for {target}"));
        assert!(!set.is_empty(), "no seeds for {target}");
        for (bytes, name) in set {
            eprintln!("{target}: {name}");
            run(target, bytes);
        }
    }
}

#[test]
fn every_target_has_a_binary() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml")).unwrap();
    for (target, _) in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{target}\"")),
            "{target} has no [[bin]] in fuzz/Cargo.toml"
        );
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../fuzz_targets/{target}.rs"));
        assert!(src.exists(), "{} missing", src.display());
    }
    let bins = manifest.lines().filter(|l| l.trim() == "[[bin]]").count();
    assert_eq!(bins, TARGETS.len(), "fuzz/Cargo.toml and TARGETS list different targets");
}
