//! The exact bytes that are hashed (spec §5). The format defines them; the
//! verifier's crypto provider hashes them. Every input starts with a
//! NUL-terminated domain string, so no digest of one kind can be replayed
//! as a digest of another.

use crate::bytes::concat;

/// A SHA-256 digest.
pub type Digest = [u8; DIGEST_LEN];
/// Length of a SHA-256 digest.
pub const DIGEST_LEN: usize = 32;

/// Prefix of the header digest input: `SHA-256(DOMAIN_HEADER || header record bytes)`.
pub const DOMAIN_HEADER: &[u8; 18] = b"migseal/v1/header\0";
/// Prefix of a chunk digest input.
pub const DOMAIN_CHUNK: &[u8; 17] = b"migseal/v1/chunk\0";
/// Prefix of a chain step input.
pub const DOMAIN_CHAIN: &[u8; 17] = b"migseal/v1/chain\0";
/// Prefix of the image digest input.
pub const DOMAIN_IMAGE: &[u8; 17] = b"migseal/v1/image\0";
/// Prefix of the key id input: `SHA-256(DOMAIN_KEY_ID || public key)`.
pub const DOMAIN_KEY_ID: &[u8; 18] = b"migseal/v1/key-id\0";

/// Length of [`chunk_prefix`]'s output.
pub const CHUNK_PREFIX_LEN: usize = 17 + 8 + 8;
/// Length of [`chain_input`]'s output.
pub const CHAIN_INPUT_LEN: usize = 17 + 32 + 32;
/// Length of [`image_input`]'s output.
pub const IMAGE_INPUT_LEN: usize = 17 + 32 + 8 + 8;

/// What precedes chunk `seq`'s payload in its digest input:
/// `DOMAIN_CHUNK || u64be(seq) || u64be(len)`. The chunk digest is
/// `SHA-256(prefix || payload)`: independent of every other chunk, so
/// chunks can be hashed in parallel.
#[must_use]
pub fn chunk_prefix(seq: u64, len: u64) -> [u8; CHUNK_PREFIX_LEN] {
    let mut out = [0u8; CHUNK_PREFIX_LEN];
    concat(&mut out, &[DOMAIN_CHUNK, &seq.to_be_bytes(), &len.to_be_bytes()]);
    out
}

/// One chain step's input: `DOMAIN_CHAIN || previous || chunk digest`.
/// The chain starts at the header digest: `chain_0 = header digest`,
/// `chain_{i+1} = SHA-256(chain_input(chain_i, chunk digest i))`.
#[must_use]
pub fn chain_input(previous: &Digest, chunk_digest: &Digest) -> [u8; CHAIN_INPUT_LEN] {
    let mut out = [0u8; CHAIN_INPUT_LEN];
    concat(&mut out, &[DOMAIN_CHAIN, previous, chunk_digest]);
    out
}

/// The image digest input: `DOMAIN_IMAGE || chain_n || u64be(n) ||
/// u64be(total payload bytes)`. Its SHA-256 is the COSE detached payload.
#[must_use]
pub fn image_input(chain: &Digest, chunk_count: u64, total_len: u64) -> [u8; IMAGE_INPUT_LEN] {
    let mut out = [0u8; IMAGE_INPUT_LEN];
    concat(&mut out, &[DOMAIN_IMAGE, chain, &chunk_count.to_be_bytes(), &total_len.to_be_bytes()]);
    out
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn layouts_are_exact() {
        let p = chunk_prefix(1, 0x0102);
        assert_eq!(&p[..17], DOMAIN_CHUNK);
        assert_eq!(&p[17..25], &[0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(&p[25..], &[0, 0, 0, 0, 0, 0, 1, 2]);
        let c = chain_input(&[1; 32], &[2; 32]);
        assert_eq!(&c[17..49], &[1; 32]);
        assert_eq!(&c[49..], &[2; 32]);
        let i = image_input(&[3; 32], 2, 5);
        assert_eq!(&i[49..57], &2u64.to_be_bytes());
        assert_eq!(&i[57..], &5u64.to_be_bytes());
    }
}
