//! `seal_then_mutate`: see `migseal_fuzz_harness::sealed` for the properties.
#![no_main]

use migseal_fuzz_harness::sealed::{SealInput, check};

libfuzzer_sys::fuzz_target!(|input: SealInput| check(&input));
