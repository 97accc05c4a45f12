//! The digest chain of spec §5: the header digest, each chunk's digest
//! (independent of every other chunk), the chain over them, and the image
//! digest the seal signs. The one implementation of these steps: the
//! streaming verifier, inspection, parallel verification and the sealer
//! all call it.

use migseal_format::envelope::{DOMAIN_HEADER, Digest, chain_input, chunk_prefix, image_input};

use crate::crypto::{Crypto, Sha256};

/// The running chain value: `chain_0` is the header digest, each chunk
/// digest moves it one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigestChain {
    value: Digest,
}

impl DigestChain {
    /// Starts the chain at the digest of the header record's bytes, as
    /// received.
    #[must_use]
    pub fn start<C: Crypto>(crypto: &C, header_record: &[u8]) -> Self {
        Self { value: crypto.digest(&[DOMAIN_HEADER, header_record]) }
    }

    /// The current chain value (after no chunk: the header digest).
    #[must_use]
    pub const fn value(&self) -> &Digest {
        &self.value
    }

    /// Moves the chain past the next chunk.
    pub fn push<C: Crypto>(&mut self, crypto: &C, chunk_digest: &Digest) {
        self.value = crypto.digest(&[&chain_input(&self.value, chunk_digest)]);
    }

    /// The image digest after `chunk_count` chunks holding `payload_len`
    /// bytes in all: what the seal signs.
    #[must_use]
    pub fn image_digest<C: Crypto>(&self, crypto: &C, chunk_count: u64, payload_len: u64) -> Digest {
        crypto.digest(&[&image_input(&self.value, chunk_count, payload_len)])
    }
}

/// A hasher for chunk `seq` of `len` bytes, its prefix absorbed: feed it
/// the payload as it arrives.
#[must_use]
pub fn open_chunk<C: Crypto>(crypto: &C, seq: u64, len: u64) -> C::Hasher {
    let mut hasher = crypto.sha256();
    hasher.update(&chunk_prefix(seq, len));
    hasher
}

/// The digest of chunk `seq` whose payload is all of `data`, in one call
/// (the provider may hash it one-shot).
#[must_use]
pub fn chunk_digest<C: Crypto>(crypto: &C, seq: u64, data: &[u8]) -> Digest {
    crypto.chunk_digest(&chunk_prefix(seq, migseal_format::cbor::len_u64(data.len())), data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dalek;

    #[test]
    fn incremental_and_one_shot_chunk_digests_agree() {
        let mut h = open_chunk(&Dalek, 4, 6);
        h.update(b"abc");
        h.update(b"def");
        assert_eq!(h.finish(), chunk_digest(&Dalek, 4, b"abcdef"));
        assert_ne!(chunk_digest(&Dalek, 5, b"abcdef"), chunk_digest(&Dalek, 4, b"abcdef"));
    }

    #[test]
    fn the_chain_is_the_specs() {
        let mut chain = DigestChain::start(&Dalek, b"H");
        assert_eq!(chain.value(), &Dalek.digest(&[b"migseal/v1/header\0", b"H"]));
        let d = chunk_digest(&Dalek, 0, b"x");
        let before = *chain.value();
        chain.push(&Dalek, &d);
        assert_eq!(chain.value(), &Dalek.digest(&[b"migseal/v1/chain\0", &before, &d]));
        let image = chain.image_digest(&Dalek, 1, 1);
        assert_eq!(
            image,
            Dalek.digest(&[b"migseal/v1/image\0", chain.value(), &1u64.to_be_bytes(), &1u64.to_be_bytes()])
        );
    }
}
