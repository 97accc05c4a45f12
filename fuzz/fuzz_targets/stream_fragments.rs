//! `stream_fragments`: see `migseal_fuzz_harness::stream` for the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| migseal_fuzz_harness::stream::check(data));
