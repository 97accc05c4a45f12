//! `sealed_structure`: see `migseal_fuzz_harness::structure` for the properties.
#![no_main]

use migseal_fuzz_harness::structure::{StructureInput, check};

libfuzzer_sys::fuzz_target!(|input: StructureInput| check(&input));
