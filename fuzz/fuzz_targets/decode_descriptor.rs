//! `decode_descriptor`: see `migseal_fuzz_harness::records` for the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| migseal_fuzz_harness::records::check_descriptor(data));
