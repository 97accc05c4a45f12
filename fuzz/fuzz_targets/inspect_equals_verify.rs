//! `inspect_equals_verify`: see `migseal_fuzz_harness::inspect` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| migseal_fuzz_harness::inspect::check(data));
