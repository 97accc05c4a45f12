//! The parallel verifier's cut of the chunks into runs: whatever the
//! number of runs, on threads or one after another on the caller's thread,
//! every chunk's digest lands in its place, so the verdict is the
//! streaming verifier's; and a refusal is the streaming verifier's too.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::panic)]

mod common;

use std::num::NonZeroUsize;

use migseal_verifier::{verify_image, verify_image_in_runs, verify_image_parallel};

#[test]
fn every_cut_gives_the_streaming_verdict() {
    // 7 chunks: cuts into 2, 3, 4 and 5 runs leave a shorter last run.
    let (image, public_key) = common::image(7);
    common::with_policy(public_key, |policy, device| {
        let whole = verify_image(&image, policy, device).unwrap();
        for runs in 1..=9 {
            let n = NonZeroUsize::new(runs).unwrap();
            for (how, got) in [
                ("threads", verify_image_parallel(&image, policy, device, n)),
                ("caller's thread", verify_image_in_runs(&image, policy, device, n)),
            ] {
                let got = got.unwrap_or_else(|e| panic!("{runs} runs on {how}: {e}"));
                assert_eq!(got.image_digest(), whole.image_digest(), "{runs} runs on {how}");
                assert_eq!((got.chunk_count(), got.payload_len()), (7, 7 * 1024), "{runs} runs on {how}");
            }
        }
    });
}

#[test]
fn a_changed_chunk_is_refused_as_the_streaming_verifier_refuses_it() {
    let (mut image, public_key) = common::image(5);
    // A byte of the last chunk's payload (the seal record is the last 154 bytes).
    let at = image.len() - 154 - 1;
    image[at] ^= 1;
    common::with_policy(public_key, |policy, device| {
        let whole = verify_image(&image, policy, device).unwrap_err();
        for runs in [1, 2, 3, 5] {
            let n = NonZeroUsize::new(runs).unwrap();
            assert_eq!(verify_image_parallel(&image, policy, device, n).unwrap_err(), whole);
            assert_eq!(verify_image_in_runs(&image, policy, device, n).unwrap_err(), whole);
        }
    });
}
