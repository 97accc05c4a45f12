//! `codec_structured`: see `migseal_fuzz_harness::codec_structured` for the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| migseal_fuzz_harness::codec_structured::check_bytes(data));
