//! `differential`: see `migseal_fuzz_harness::differential` for the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| migseal_fuzz_harness::differential::check(data));
