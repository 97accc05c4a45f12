//! `codec_virtio`: see `migseal_fuzz_harness::codecs` for the properties.
#![no_main]

use migseal_codecs::CodecId;

libfuzzer_sys::fuzz_target!(|data: &[u8]| migseal_fuzz_harness::codecs::check(CodecId::VirtioDevParts, data));
