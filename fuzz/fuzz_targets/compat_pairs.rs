//! `compat_pairs`: see `migseal_fuzz_harness::compat` for the properties.
#![no_main]

use migseal_fuzz_harness::compat::{CompatInput, check};

libfuzzer_sys::fuzz_target!(|input: CompatInput| check(&input));
