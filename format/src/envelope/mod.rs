//! The migseal v1 envelope: records, their fields, the seal, the device
//! descriptor, and the exact bytes that are hashed and signed.
//!
//! A stream is `header-record chunk-record* seal-record`, each record one
//! canonical CBOR data item (spec §3). This module decodes and encodes the
//! records; the verifier crate decides what they mean together.

mod config;
mod descriptor;
mod digest;
mod header;
mod header_record;
mod lists;
mod record;
mod seal;
mod version;

pub use config::{MAX_CONFIG_LEN, ShellConfig};
pub use descriptor::{Descriptor, Role};
pub use digest::{
    CHAIN_INPUT_LEN, CHUNK_PREFIX_LEN, DIGEST_LEN, DOMAIN_CHAIN, DOMAIN_CHUNK, DOMAIN_HEADER, DOMAIN_IMAGE,
    DOMAIN_KEY_ID, Digest, IMAGE_INPUT_LEN, chain_input, chunk_prefix, image_input,
};
pub use header::{DeviceIdentity, Header, KeyId, SessionNonce};
pub use header_record::HeaderRecord;
pub use lists::{IdentIter, IdentList, RangeIter, VersionRanges};
pub use record::{CHUNK_HEAD_MAX_LEN, ChunkHead, RecordType, peek_record_type};
pub use seal::{
    ALG_ED25519, CONTENT_TYPE, PROTECTED_LEN, SEAL_RECORD_LEN, SIGNATURE_LEN, Seal, TAG_COSE_SIGN1, TBS_LEN,
    protected_header,
};
pub use version::{StateVersion, VersionRange};

/// The only format version this crate reads and writes.
pub const FORMAT_VERSION: i64 = 1;
/// Length of a key id.
pub const KEY_ID_LEN: usize = 32;
/// Shortest session nonce.
pub const MIN_NONCE_LEN: usize = 16;
/// Longest session nonce.
pub const MAX_NONCE_LEN: usize = 64;
/// Most features in a header or descriptor.
pub const MAX_FEATURES: u64 = 32;
/// Most codecs in a descriptor.
pub const MAX_CODECS: u64 = 8;
/// Most version ranges in a descriptor.
pub const MAX_VERSION_RANGES: u64 = 16;
/// Largest header record, in bytes: the format's hard bound, which a policy
/// may lower but never raise. The verifier's header buffer has this size.
pub const MAX_HEADER_LEN: usize = 4096;
/// Largest chunk payload the format allows (1 GiB); policies default lower.
pub const MAX_CHUNK_LEN: u64 = 1 << 30;

/// The bit of map key `key` in a set of keys 0–63 (none for larger keys).
pub(crate) fn key_bit(key: u64) -> u64 {
    u32::try_from(key).ok().and_then(|k| 1u64.checked_shl(k)).unwrap_or(0)
}

/// The set of `keys` as [`key_bit`]s: a table of REQUIRED keys, evaluated
/// in a `const`. A key of 64 or more overflows the shift and a key listed
/// twice trips the assertion, and either fails the build. The bits are
/// added, not ORed: they are distinct (asserted just before), so the sum
/// is the union, and no change of the operator can leave the table as it
/// was (`|` and `^` agree on distinct bits, which left such mutants alive:
/// MUTANTS.md).
#[expect(clippy::arithmetic_side_effects, reason = "const-evaluated: an overflow fails the build")]
pub(crate) const fn key_set(mut keys: &[u64]) -> u64 {
    let mut set = 0u64;
    while let [key, rest @ ..] = keys {
        let bit = 1u64 << *key;
        assert!(set & bit == 0, "a key listed twice");
        set += bit;
        keys = rest;
    }
    set
}

/// The lowest key of `required` below `below` that is not in `seen` (both
/// bit sets of [`key_bit`]). Keys arrive in increasing order, so a REQUIRED
/// key is missing as soon as a greater key is read, or when its map ends
/// (`below` = `u64::MAX`): spec §8.6.
pub(crate) fn first_missing(required: u64, seen: u64, below: u64) -> Option<u64> {
    let under = key_bit(below).wrapping_sub(1);
    let missing = required & !seen & under;
    (missing != 0).then(|| u64::from(missing.trailing_zeros()))
}

/// Map keys of the header (spec §4.2).
pub mod header_key {
    /// Format version (uint, 1).
    pub const FORMAT_VERSION: u64 = 1;
    /// Vendor identifier.
    pub const VENDOR: u64 = 2;
    /// Device API identifier.
    pub const DEVICE_API: u64 = 3;
    /// Device type identifier.
    pub const DEVICE_TYPE: u64 = 4;
    /// State version `[major, minor]`.
    pub const STATE_VERSION: u64 = 5;
    /// Features the state depends on.
    pub const FEATURES: u64 = 6;
    /// Shell-device configuration (optional).
    pub const CONFIG: u64 = 7;
    /// Payload codec identifier.
    pub const CODEC: u64 = 8;
    /// Security version number.
    pub const SECURITY_VERSION: u64 = 9;
    /// Session nonce (optional).
    pub const SESSION: u64 = 10;
    /// Subject (optional).
    pub const SUBJECT: u64 = 11;
    /// Signing key id.
    pub const KEY_ID: u64 = 12;
}

/// Map keys of the device descriptor (spec §6). Shared fields use the
/// header's numbers.
pub mod descriptor_key {
    /// Format version (uint, 1).
    pub const FORMAT_VERSION: u64 = 1;
    /// Vendor identifier.
    pub const VENDOR: u64 = 2;
    /// Device API identifier.
    pub const DEVICE_API: u64 = 3;
    /// Device type identifier.
    pub const DEVICE_TYPE: u64 = 4;
    /// State version ranges.
    pub const VERSIONS: u64 = 5;
    /// Features (source: depended on; destination: supported).
    pub const FEATURES: u64 = 6;
    /// Shell-device configuration (optional).
    pub const CONFIG: u64 = 7;
    /// Codecs (source: can emit; destination: can decode).
    pub const CODECS: u64 = 8;
    /// Role: 0 source, 1 destination.
    pub const ROLE: u64 = 9;
}
