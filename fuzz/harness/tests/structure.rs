//! `sealed_structure`'s properties hold on inputs beyond its four seed
//! blobs, and those inputs reach every signer and every targeted part:
//! a stable-toolchain check that the target's oracle is right before a
//! fuzzing run relies on it.

use std::collections::BTreeSet;

use arbitrary::{Arbitrary, Unstructured};
use migseal_fuzz_harness::structure::{StructureInput, check};
use migseal_testkit::samples::filler;

#[test]
fn generated_descriptions_pass_and_cover_every_signer_and_part() {
    let mut seen = BTreeSet::new();
    for i in 0..160 {
        let bytes = filler(&format!("structure/{i}"), 256 + 64 * (i % 16));
        let Ok(input) = StructureInput::arbitrary(&mut Unstructured::new(&bytes)) else { continue };
        check(&input);
        // Debug names the variants.
        let text = format!("{input:?}");
        let names = [
            "signer: Trusted",
            "signer: Unknown",
            "signer: Revoked",
            "signer: Resigned",
            "Some((Header,",
            "Some((ChunkHead(",
            "Some((ChunkData(",
            "Some((SealFields,",
            "Some((Signature,",
        ];
        for name in names {
            if text.contains(name) {
                seen.insert(name);
            }
        }
    }
    assert_eq!(seen.len(), 9, "variants reached: {seen:?}");
}
