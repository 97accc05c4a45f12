//! The verifier layer's error: every refusal with a stable code, an errno
//! for kernel callers, the stream offset, and a message that names what was
//! expected and what was found.

use core::fmt;

use crate::compat::Reason;
use crate::name::{KeyIdHex, Name};

/// Why verification (or sealing, or adding a key) failed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The bytes are not a well-formed v1 image (codes 100–299).
    #[error(transparent)]
    Format(#[from] migseal_format::Error),
    /// The image's device is not this device (codes 500–507).
    #[error("{0}")]
    Incompatible(Reason<Name>),
    /// A record arrived where another was due.
    #[error(
        "expected {expected}, found a {found} record: an image is one header record, its chunk records in order, then one seal record"
    )]
    RecordOrder {
        /// What was due.
        expected: &'static str,
        /// What arrived.
        found: &'static str,
    },
    /// A chunk's sequence number is not the next one.
    #[error(
        "chunk {found} arrived where chunk {expected} was due: chunks were reordered, duplicated or dropped; obtain an intact image"
    )]
    SequenceGap {
        /// The sequence number due.
        expected: u64,
        /// The sequence number found.
        found: u64,
    },
    /// The header record is longer than the policy allows.
    #[error(
        "the header record is not complete within {limit} bytes, the policy's limit: the input is not a migseal image, or the limit is too low for this producer"
    )]
    HeaderTooLarge {
        /// The policy's limit.
        limit: u64,
    },
    /// A chunk is larger than the policy allows.
    #[error(
        "a chunk declares {found} bytes, the policy allows {limit}: refused before reading it; raise max_chunk_len if the producer is trusted"
    )]
    ChunkTooLarge {
        /// The policy's limit.
        limit: u64,
        /// The declared length.
        found: u64,
    },
    /// More chunks than the policy allows.
    #[error(
        "the image has more than {limit} chunks, the policy's limit: raise max_chunks if the producer is trusted"
    )]
    TooManyChunks {
        /// The policy's limit.
        limit: u64,
    },
    /// More payload than the policy allows.
    #[error(
        "the payload would reach {found} bytes, the policy allows {limit}: raise max_total_len if this device's state is really that large"
    )]
    TotalTooLarge {
        /// The policy's limit.
        limit: u64,
        /// The total with this chunk.
        found: u64,
    },
    /// The stream ended before the seal was complete.
    #[error("the image ends {state}: it was cut off; obtain the complete image")]
    Incomplete {
        /// Where it ended.
        state: &'static str,
    },
    /// No trusted key has this id.
    #[error(
        "the image is sealed with key {key_id}, which is not in the trust store: add the source's public key to the trust policy, or refuse the image"
    )]
    UntrustedKey {
        /// The header's key id.
        key_id: KeyIdHex,
    },
    /// The key is trusted, but for another vendor.
    #[error(
        "the sealing key is trusted for vendor {key_vendor} only, the image claims vendor {image_vendor}: a key of one vendor never authorizes another's image"
    )]
    KeyVendorScope {
        /// The vendor the key is trusted for.
        key_vendor: Name,
        /// The image's vendor.
        image_vendor: Name,
    },
    /// The key is trusted for this vendor, but not this device type.
    #[error(
        "the sealing key is not trusted for device type {image_type}: extend the key's device types in the trust policy if that is intended"
    )]
    KeyTypeScope {
        /// The image's device type.
        image_type: Name,
    },
    /// The key id is on the revocation list.
    #[error("key {key_id} is revoked: the image must be re-sealed with a current key")]
    RevokedKey {
        /// The key id.
        key_id: KeyIdHex,
    },
    /// The security version is below the policy's minimum.
    #[error(
        "security version {found} is below the minimum {minimum} for this device: the state comes from a vendor version with known flaws (rollback); update the source"
    )]
    SecurityVersionTooLow {
        /// The header's security version.
        found: u64,
        /// The policy's minimum.
        minimum: u64,
    },
    /// The policy requires a session nonce the header lacks.
    #[error(
        "the policy requires this migration's session nonce, the image has none: it was not sealed for this migration"
    )]
    SessionMissing,
    /// The session nonce differs.
    #[error(
        "the image's session nonce is not this migration's: it was sealed for another migration (replay); start a new migration"
    )]
    SessionMismatch,
    /// The policy requires a subject the header lacks.
    #[error("the policy requires subject {expected}, the image names none: it is not bound to this VM")]
    SubjectMissing {
        /// The required subject.
        expected: Name,
    },
    /// The subject differs.
    #[error("the image belongs to {found}, not {expected}: restoring another VM's state is refused")]
    SubjectMismatch {
        /// The required subject.
        expected: Name,
        /// The header's subject.
        found: Name,
    },
    /// A public key of small order (or not on the curve) offered as trusted.
    #[error("the public key is weak (small order) and would accept forged signatures: it cannot be trusted")]
    WeakKey,
    /// The fixed-capacity trust store is full.
    #[error("the trust store holds at most {capacity} keys: remove unused keys first")]
    TrustStoreFull {
        /// Its capacity.
        capacity: u64,
    },
    /// The seal's key id is not the header's.
    #[error("the seal names key {seal}, the header key {header}: the seal belongs to another image")]
    KeyIdMismatch {
        /// The header's key id.
        header: KeyIdHex,
        /// The seal's key id.
        seal: KeyIdHex,
    },
    /// The signature does not verify.
    #[error(
        "the signature does not verify: the image was altered after sealing, or the seal comes from another image"
    )]
    BadSignature,
    /// The signature's S is not reduced (S ≥ L), a malleable variant.
    #[error(
        "the signature is not canonical (S is not below the group order): a malleated copy of a signature is refused"
    )]
    NonCanonicalSignature,
    /// The trusted public key is not a valid curve point.
    #[error("the public key is not a valid Ed25519 point: fix the trust policy")]
    InvalidPublicKey,
}

impl ErrorKind {
    /// The stable number (spec §9).
    #[must_use]
    pub fn code(&self) -> u16 {
        match self {
            Self::Format(e) => e.code().code(),
            Self::Incompatible(r) => r.code().code(),
            Self::RecordOrder { .. } => 300,
            Self::SequenceGap { .. } => 301,
            Self::HeaderTooLarge { .. } => 302,
            Self::ChunkTooLarge { .. } => 303,
            Self::TooManyChunks { .. } => 304,
            Self::TotalTooLarge { .. } => 305,
            Self::Incomplete { .. } => 306,
            Self::UntrustedKey { .. } => 400,
            Self::KeyVendorScope { .. } => 401,
            Self::KeyTypeScope { .. } => 402,
            Self::RevokedKey { .. } => 403,
            Self::SecurityVersionTooLow { .. } => 404,
            Self::SessionMissing => 405,
            Self::SessionMismatch => 406,
            Self::SubjectMissing { .. } => 407,
            Self::SubjectMismatch { .. } => 408,
            Self::WeakKey => 409,
            Self::TrustStoreFull { .. } => 410,
            Self::KeyIdMismatch { .. } => 411,
            Self::BadSignature => 600,
            Self::NonCanonicalSignature => 601,
            Self::InvalidPublicKey => 602,
        }
    }

    /// The stable short name (used in `--json` output).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Format(e) => e.code().name(),
            Self::Incompatible(r) => r.code().name(),
            Self::RecordOrder { .. } => "record-order",
            Self::SequenceGap { .. } => "sequence-gap",
            Self::HeaderTooLarge { .. } => "header-too-large",
            Self::ChunkTooLarge { .. } => "chunk-too-large",
            Self::TooManyChunks { .. } => "too-many-chunks",
            Self::TotalTooLarge { .. } => "total-too-large",
            Self::Incomplete { .. } => "incomplete",
            Self::UntrustedKey { .. } => "untrusted-key",
            Self::KeyVendorScope { .. } => "key-vendor-scope",
            Self::KeyTypeScope { .. } => "key-type-scope",
            Self::RevokedKey { .. } => "revoked-key",
            Self::SecurityVersionTooLow { .. } => "security-version-too-low",
            Self::SessionMissing => "session-missing",
            Self::SessionMismatch => "session-mismatch",
            Self::SubjectMissing { .. } => "subject-missing",
            Self::SubjectMismatch { .. } => "subject-mismatch",
            Self::WeakKey => "weak-key",
            Self::TrustStoreFull { .. } => "trust-store-full",
            Self::KeyIdMismatch { .. } => "key-id-mismatch",
            Self::BadSignature => "bad-signature",
            Self::NonCanonicalSignature => "non-canonical-signature",
            Self::InvalidPublicKey => "invalid-public-key",
        }
    }

    /// The errno a kernel caller returns (positive; negate for the kernel's
    /// convention): `EBADMSG` for malformed images, `E2BIG` for limits,
    /// `EKEYREJECTED` / `EKEYREVOKED` for trust, `EPERM` for rollback,
    /// session and subject, `EOPNOTSUPP` for an incompatible device.
    #[must_use]
    pub fn errno(&self) -> i32 {
        const EPERM: i32 = 1;
        const E2BIG: i32 = 7;
        const EINVAL: i32 = 22;
        const EBADMSG: i32 = 74;
        const EOPNOTSUPP: i32 = 95;
        const EKEYREVOKED: i32 = 128;
        const EKEYREJECTED: i32 = 129;
        match self {
            Self::Format(e) => e.code().errno(),
            Self::Incompatible(_) => EOPNOTSUPP,
            Self::RecordOrder { .. } | Self::SequenceGap { .. } | Self::Incomplete { .. } => EBADMSG,
            Self::HeaderTooLarge { .. }
            | Self::ChunkTooLarge { .. }
            | Self::TooManyChunks { .. }
            | Self::TotalTooLarge { .. }
            | Self::TrustStoreFull { .. } => E2BIG,
            Self::RevokedKey { .. } => EKEYREVOKED,
            Self::UntrustedKey { .. }
            | Self::KeyVendorScope { .. }
            | Self::KeyTypeScope { .. }
            | Self::KeyIdMismatch { .. }
            | Self::BadSignature
            | Self::NonCanonicalSignature => EKEYREJECTED,
            Self::WeakKey | Self::InvalidPublicKey => EINVAL,
            Self::SecurityVersionTooLow { .. }
            | Self::SessionMissing
            | Self::SessionMismatch
            | Self::SubjectMissing { .. }
            | Self::SubjectMismatch { .. } => EPERM,
        }
    }
}

/// A verifier error: the kind and the stream offset it applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    offset: u64,
}

impl Error {
    /// An error of `kind` at stream `offset`.
    #[must_use]
    pub const fn new(kind: ErrorKind, offset: u64) -> Self {
        Self { kind, offset }
    }

    /// What went wrong.
    #[must_use]
    pub const fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The stable number (spec §9).
    #[must_use]
    pub fn code(&self) -> u16 {
        self.kind.code()
    }

    /// The stable short name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// The errno for kernel callers (positive).
    #[must_use]
    pub fn errno(&self) -> i32 {
        self.kind.errno()
    }

    /// Byte offset in the stream where the problem is.
    #[must_use]
    pub const fn offset(&self) -> u64 {
        self.offset
    }
}

impl From<migseal_format::Error> for Error {
    fn from(e: migseal_format::Error) -> Self {
        Self { offset: e.offset(), kind: ErrorKind::Format(e) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            // The format error already names its code and offset.
            ErrorKind::Format(e) => fmt::Display::fmt(e, f),
            kind => write!(f, "error {} ({}) at byte {}: {kind}", kind.code(), kind.name(), self.offset),
        }
    }
}

impl core::error::Error for Error {}

/// Shorthand for results of this crate.
pub type Result<T> = core::result::Result<T, Error>;
