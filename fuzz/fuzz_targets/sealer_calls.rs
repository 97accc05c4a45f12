//! `sealer_calls`: see `migseal_fuzz_harness::sealer_calls` for the properties.
#![no_main]

use migseal_fuzz_harness::sealer_calls::{SealerInput, check};

libfuzzer_sys::fuzz_target!(|input: SealerInput| check(&input));
