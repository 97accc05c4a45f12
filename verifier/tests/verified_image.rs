//! What a successful verification reports about the image: the chunk
//! count and payload length of [`VerifiedImage`] and of the streaming
//! [`Verdict`](migseal_verifier::Verdict) are the image's own, not
//! constants, and the chunks come back in order.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::as_conversions)]

mod common;

use migseal_verifier::verify_image;

#[test]
fn chunk_count_and_payload_len_are_the_images() {
    for chunks in [0usize, 1, 3] {
        let (image, public_key) = common::image(chunks);
        common::with_verifier(public_key, |v, policy, device| {
            let verified = verify_image(&image, policy, device).unwrap();
            assert_eq!(verified.chunk_count(), chunks as u64, "{chunks} chunks");
            assert_eq!(verified.payload_len(), 1024 * chunks as u64, "{chunks} chunks of 1 KiB");
            let got: Vec<&[u8]> = verified.chunks().collect();
            assert_eq!(got.len(), chunks);
            for (i, c) in got.iter().enumerate() {
                assert_eq!(*c, &[u8::try_from(i).unwrap(); 1024][..], "chunk {i} in order");
            }
            v.feed(policy, device, &image, |_| {}).unwrap();
            let verdict = v.finish().unwrap();
            assert_eq!(verdict.chunk_count(), chunks as u64);
            assert_eq!(verdict.payload_len(), 1024 * chunks as u64);
        });
    }
}

#[test]
fn collected_payload_is_the_chunks_concatenated() {
    let (image, public_key) = common::image(3);
    common::with_verifier(public_key, |_, policy, device| {
        let verified = verify_image(&image, policy, device).unwrap();
        assert!(verified.contiguous_payload().is_none(), "three chunks are not one slice");
        let mut buf = vec![0u8; 3 * 1024];
        let payload = verified.collect_payload(&mut buf).unwrap();
        assert_eq!(&payload.bytes()[..1024], &[0u8; 1024][..]);
        assert_eq!(&payload.bytes()[2048..], &[2u8; 1024][..]);
        let mut short = vec![0u8; 3 * 1024 - 1];
        assert_eq!(verified.collect_payload(&mut short).unwrap_err().code(), 116, "buffer-too-small");
    });
}

#[test]
fn one_chunk_is_its_own_contiguous_payload_and_none_is_empty() {
    let (image, public_key) = common::image(1);
    common::with_verifier(public_key, |_, policy, device| {
        let verified = verify_image(&image, policy, device).unwrap();
        assert_eq!(verified.contiguous_payload().unwrap().bytes(), &[0u8; 1024][..]);
    });
    let (image, public_key) = common::image(0);
    common::with_verifier(public_key, |_, policy, device| {
        let verified = verify_image(&image, policy, device).unwrap();
        assert_eq!(verified.contiguous_payload().unwrap().bytes(), &[] as &[u8]);
    });
}
