//! `policy_file`: see `migseal_fuzz_harness::policy_file` for the properties.
#![no_main]

use migseal_fuzz_harness::policy_file::{PolicyInput, check};

libfuzzer_sys::fuzz_target!(|input: PolicyInput| check(&input));
