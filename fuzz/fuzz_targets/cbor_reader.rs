//! `cbor_reader`: see `migseal_fuzz_harness::cbor` for the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| migseal_fuzz_harness::cbor::check(data));
