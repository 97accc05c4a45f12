//! The verifier layer's error: every refusal with a stable code, an errno
//! for kernel callers, the stream offset, and a message that names what was
//! expected and what was found.

use core::fmt;

use migseal_format::errno;

use crate::compat::Reason;
use crate::name::{KeyIdHex, Name};

/// One row of the verifier's own code table: codes 300–499 and 600–699.
/// Format codes (100–299) are [`migseal_format::ErrorCode::ALL`],
/// compatibility codes (500–599) [`CompatCode::ALL`](crate::compat::CompatCode::ALL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    /// The stable number (spec §9).
    pub code: u16,
    /// The stable short name.
    pub name: &'static str,
    /// The errno for kernel callers (positive).
    pub errno: i32,
    /// One line that stands alone, without the specifics the kind's
    /// message names (the C ABI's `migseal_status_message`).
    pub summary: &'static str,
}

/// Declares [`ErrorKind`] with its code table: each variant carries its row
/// (`=> code, "name", ERRNO, "summary";`) next to its message, and the
/// `delegate` variants take code, name, errno and summary from the code of
/// the error they wrap (`=> |inner| inner.code();`).
macro_rules! error_kinds {
    (
        $(#[$meta:meta])*
        pub enum $Enum:ident {
            delegate {
                $(
                    $(#[$dattr:meta])*
                    $Delegate:ident ( $(#[$dfattr:meta])* $Inner:ty ) => |$inner:ident| $code_of:expr;
                )*
            }
            $(
                $(#[$attr:meta])*
                $Variant:ident $({ $( $(#[$fattr:meta])* $field:ident : $Field:ty ),* $(,)? })?
                    => $code:literal, $name:literal, $errno:ident, $summary:literal;
            )*
        }
    ) => {
        $(#[$meta])*
        pub enum $Enum {
            $( $(#[$dattr])* $Delegate ( $(#[$dfattr])* $Inner ), )*
            $( $(#[$attr])* $Variant $({ $( $(#[$fattr])* $field : $Field ),* })?, )*
        }

        impl $Enum {
            /// The rows of the codes this layer adds, in numeric order.
            pub const CODES: &'static [CodeInfo] = &[
                $( CodeInfo { code: $code, name: $name, errno: errno::$errno, summary: $summary }, )*
            ];

            /// The stable number (spec §9).
            #[must_use]
            pub fn code(&self) -> u16 {
                match self {
                    $( Self::$Delegate($inner) => $code_of.code(), )*
                    $( Self::$Variant { .. } => $code, )*
                }
            }

            /// The stable short name (used in `--json` output).
            #[must_use]
            pub fn name(&self) -> &'static str {
                match self {
                    $( Self::$Delegate($inner) => $code_of.name(), )*
                    $( Self::$Variant { .. } => $name, )*
                }
            }

            /// The errno a kernel caller returns (positive; negate for the
            /// kernel's convention): `EBADMSG` for malformed images, `E2BIG`
            /// for limits, `EKEYREJECTED` / `EKEYREVOKED` for trust, `EPERM`
            /// for rollback, session and subject, `EOPNOTSUPP` for an
            /// incompatible device.
            #[must_use]
            pub fn errno(&self) -> i32 {
                match self {
                    $( Self::$Delegate($inner) => $code_of.errno(), )*
                    $( Self::$Variant { .. } => errno::$errno, )*
                }
            }

            /// One line that stands alone, without the specifics
            /// [`Display`](core::fmt::Display) names.
            #[must_use]
            pub fn summary(&self) -> &'static str {
                match self {
                    $( Self::$Delegate($inner) => $code_of.summary(), )*
                    $( Self::$Variant { .. } => $summary, )*
                }
            }
        }
    };
}

error_kinds! {
    /// Why verification (or sealing, or adding a key) failed.
    #[non_exhaustive]
    #[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
    pub enum ErrorKind {
        delegate {
            /// The bytes are not a well-formed v1 image (codes 100–299).
            #[error(transparent)]
            Format(#[from] migseal_format::Error) => |e| e.code();
            /// The image's device is not this device (codes 500–507).
            #[error("{0}")]
            Incompatible(Reason<Name>) => |r| r.code();
        }
        /// A record arrived where another was due.
        #[error(
            "expected {expected}, found a {found} record: an image is one header record, its chunk records in order, then one seal record"
        )]
        RecordOrder {
            /// What was due.
            expected: &'static str,
            /// What arrived.
            found: &'static str,
        } => 300, "record-order", EBADMSG,
            "a record arrived where another was due: header, chunks in order, then the seal";
        /// A chunk's sequence number is not the next one.
        #[error(
            "chunk {found} arrived where chunk {expected} was due: chunks were reordered, duplicated or dropped; obtain an intact image"
        )]
        SequenceGap {
            /// The sequence number due.
            expected: u64,
            /// The sequence number found.
            found: u64,
        } => 301, "sequence-gap", EBADMSG,
            "chunks were reordered, duplicated or dropped";
        /// The header record is longer than the policy allows.
        #[error(
            "the header record is not complete within {limit} bytes, the policy's limit: the input is not a migseal image, or the limit is too low for this producer"
        )]
        HeaderTooLarge {
            /// The policy's limit.
            limit: u64,
        } => 302, "header-too-large", E2BIG,
            "the header record is larger than the policy allows";
        /// A chunk is larger than the policy allows.
        #[error(
            "a chunk declares {found} bytes, the policy allows {limit}: refused before reading it; raise max_chunk_len if the producer is trusted"
        )]
        ChunkTooLarge {
            /// The policy's limit.
            limit: u64,
            /// The declared length.
            found: u64,
        } => 303, "chunk-too-large", E2BIG,
            "a chunk is larger than the policy allows";
        /// More chunks than the policy allows.
        #[error(
            "the image has more than {limit} chunks, the policy's limit: raise max_chunks if the producer is trusted"
        )]
        TooManyChunks {
            /// The policy's limit.
            limit: u64,
        } => 304, "too-many-chunks", E2BIG,
            "the image has more chunks than the policy allows";
        /// More payload than the policy allows.
        #[error(
            "the payload would reach {found} bytes, the policy allows {limit}: raise max_total_len if this device's state is really that large"
        )]
        TotalTooLarge {
            /// The policy's limit.
            limit: u64,
            /// The total with this chunk.
            found: u64,
        } => 305, "total-too-large", E2BIG,
            "the payload is larger than the policy allows";
        /// The stream ended before the seal was complete.
        #[error("the image ends {state}: it was cut off; obtain the complete image")]
        Incomplete {
            /// Where it ended.
            state: &'static str,
        } => 306, "incomplete", EBADMSG,
            "the image ended before its seal: it was cut off";
        /// No trusted key has this id.
        #[error(
            "the image is sealed with key {key_id}, which is not in the trust store: add the source's public key to the trust policy, or refuse the image"
        )]
        UntrustedKey {
            /// The header's key id.
            key_id: KeyIdHex,
        } => 400, "untrusted-key", EKEYREJECTED,
            "the image is sealed with a key that is not in the trust store";
        /// The key is trusted, but for another vendor.
        #[error(
            "the sealing key is trusted for vendor {key_vendor} only, the image claims vendor {image_vendor}: a key of one vendor never authorizes another's image"
        )]
        KeyVendorScope {
            /// The vendor the key is trusted for.
            key_vendor: Name,
            /// The image's vendor.
            image_vendor: Name,
        } => 401, "key-vendor-scope", EKEYREJECTED,
            "the key is trusted for another vendor only";
        /// The key is trusted for this vendor, but not this device type.
        #[error(
            "the sealing key is not trusted for device type {image_type}: extend the key's device types in the trust policy if that is intended"
        )]
        KeyTypeScope {
            /// The image's device type.
            image_type: Name,
        } => 402, "key-type-scope", EKEYREJECTED,
            "the key is not trusted for this device type";
        /// The key id is on the revocation list.
        #[error("key {key_id} is revoked: the image must be re-sealed with a current key")]
        RevokedKey {
            /// The key id.
            key_id: KeyIdHex,
        } => 403, "revoked-key", EKEYREVOKED,
            "the signing key is revoked";
        /// The security version is below the policy's minimum.
        #[error(
            "security version {found} is below the minimum {minimum} for this device: the state comes from a vendor version with known flaws (rollback); update the source"
        )]
        SecurityVersionTooLow {
            /// The header's security version.
            found: u64,
            /// The policy's minimum.
            minimum: u64,
        } => 404, "security-version-too-low", EPERM,
            "the security version is below the policy's minimum (rollback)";
        /// The policy requires a session nonce the header lacks.
        #[error(
            "the policy requires this migration's session nonce, the image has none: it was not sealed for this migration"
        )]
        SessionMissing => 405, "session-missing", EPERM,
            "the policy requires a session nonce the image lacks";
        /// The session nonce differs.
        #[error(
            "the image's session nonce is not this migration's: it was sealed for another migration (replay); start a new migration"
        )]
        SessionMismatch => 406, "session-mismatch", EPERM,
            "the image was sealed for another migration (replay)";
        /// The policy requires a subject the header lacks.
        #[error("the policy requires subject {expected}, the image names none: it is not bound to this VM")]
        SubjectMissing {
            /// The required subject.
            expected: Name,
        } => 407, "subject-missing", EPERM,
            "the policy requires a subject the image lacks";
        /// The subject differs.
        #[error("the image belongs to {found}, not {expected}: restoring another VM's state is refused")]
        SubjectMismatch {
            /// The required subject.
            expected: Name,
            /// The header's subject.
            found: Name,
        } => 408, "subject-mismatch", EPERM,
            "the image belongs to another VM";
        /// A public key of small order (or not on the curve) offered as trusted.
        #[error("the public key is weak (small order) and would accept forged signatures: it cannot be trusted")]
        WeakKey => 409, "weak-key", EINVAL,
            "the public key is weak (small order) and cannot be trusted";
        /// The fixed-capacity trust store is full.
        #[error("the trust store holds at most {capacity} keys: remove unused keys first")]
        TrustStoreFull {
            /// Its capacity.
            capacity: u64,
        } => 410, "trust-store-full", E2BIG,
            "the fixed-capacity trust store is full";
        /// The seal's key id is not the header's.
        #[error("the seal names key {seal}, the header key {header}: the seal belongs to another image")]
        KeyIdMismatch {
            /// The header's key id.
            header: KeyIdHex,
            /// The seal's key id.
            seal: KeyIdHex,
        } => 411, "key-id-mismatch", EKEYREJECTED,
            "the seal names another key than the header";
        /// The signature does not verify.
        #[error(
            "the signature does not verify: the image was altered after sealing, or the seal comes from another image"
        )]
        BadSignature => 600, "bad-signature", EKEYREJECTED,
            "the signature does not verify: the image was altered or the seal is from another image";
        /// The signature's S is not reduced (S ≥ L), a malleable variant.
        #[error(
            "the signature is not canonical (S is not below the group order): a malleated copy of a signature is refused"
        )]
        NonCanonicalSignature => 601, "non-canonical-signature", EKEYREJECTED,
            "the signature is not canonical (malleated)";
        /// The trusted public key is not a valid curve point.
        #[error("the public key is not a valid Ed25519 point: fix the trust policy")]
        InvalidPublicKey => 602, "invalid-public-key", EINVAL,
            "the public key is not a valid Ed25519 point";
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
