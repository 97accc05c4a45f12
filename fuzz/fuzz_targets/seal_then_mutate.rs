//! `seal_then_mutate`: see `migseal_fuzz_harness::sealed` for the properties.
#![no_main]

use migseal_fuzz_harness::sealed::{SealInput, check};

// The parallel verifier's per-call threads: see `migseal_fuzz_harness::lsan`.
migseal_fuzz_harness::lsan_suppress_thread_atexit!();

libfuzzer_sys::fuzz_target!(|input: SealInput| check(&input));
