//! `differential`: see `migseal_fuzz_harness::differential` for the properties.
#![no_main]

// The parallel verifier's per-call threads: see `migseal_fuzz_harness::lsan`.
migseal_fuzz_harness::lsan_suppress_thread_atexit!();

libfuzzer_sys::fuzz_target!(|data: &[u8]| migseal_fuzz_harness::differential::check(data));
