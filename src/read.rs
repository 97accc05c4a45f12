//! Verification from any [`std::io::Read`] in constant memory: one fixed
//! 64 KiB buffer streams through [`Verifier::advance`], whatever the image
//! size, and payload bytes go to a caller-given [`std::io::Write`] as they
//! pass.

use std::io::{self, Read, Write};

use migseal_format::envelope::{Descriptor, Header};
use migseal_verifier::{Policy, Verifier};

/// Bytes per read.
const READ_SIZE: usize = 64 << 10;

/// Why [`verify_reader`] failed. Owned: it outlives the reader, the
/// verifier and the policy.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Reading the image failed.
    #[error("cannot read the image: {0}")]
    Read(#[source] io::Error),
    /// Writing a payload piece to the caller's writer failed.
    #[error("cannot write the payload: {0}")]
    Write(#[source] io::Error),
    /// The verifier refused the image: a stable code (spec §9), a name, an
    /// errno and the byte offset, with a message that says what to do.
    #[error(transparent)]
    Refused(#[from] migseal_verifier::Error),
}

impl VerifyError {
    /// The stable code (spec §9) of a refusal; `None` for I/O failures.
    #[must_use]
    pub fn code(&self) -> Option<u16> {
        match self {
            Self::Refused(e) => Some(e.code()),
            Self::Read(_) | Self::Write(_) => None,
        }
    }
}

/// A verified image, owned: what the seal vouches for, without borrowing
/// the verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    header_bytes: Vec<u8>,
    vendor: String,
    device_api: String,
    device_type: String,
    state_version: String,
    codec: String,
    security_version: u64,
    key_id: [u8; 32],
    image_digest: [u8; 32],
    chunk_count: u64,
    payload_len: u64,
    image_len: u64,
}

impl Verified {
    /// The vendor the state was sealed for.
    #[must_use]
    pub fn vendor(&self) -> &str {
        &self.vendor
    }

    /// The device API (`vfio-pci`, `vfio-ccw`, `vfio-ap`, ...).
    #[must_use]
    pub fn device_api(&self) -> &str {
        &self.device_api
    }

    /// The device type (such as the mdev type id `mtty-2`).
    #[must_use]
    pub fn device_type(&self) -> &str {
        &self.device_type
    }

    /// The state version, `MAJOR.MINOR`.
    #[must_use]
    pub fn state_version(&self) -> &str {
        &self.state_version
    }

    /// The payload codec.
    #[must_use]
    pub fn codec(&self) -> &str {
        &self.codec
    }

    /// The security version number.
    #[must_use]
    pub const fn security_version(&self) -> u64 {
        self.security_version
    }

    /// The id of the key that sealed the image.
    #[must_use]
    pub const fn key_id(&self) -> &[u8; 32] {
        &self.key_id
    }

    /// The image digest the seal signs (spec §5.4). Not the SHA-256 of the
    /// file: `sha256sum` gives another value.
    #[must_use]
    pub const fn image_digest(&self) -> &[u8; 32] {
        &self.image_digest
    }

    /// Number of chunks.
    #[must_use]
    pub const fn chunk_count(&self) -> u64 {
        self.chunk_count
    }

    /// Payload bytes in all chunks (what went to the payload writer).
    #[must_use]
    pub const fn payload_len(&self) -> u64 {
        self.payload_len
    }

    /// Image bytes read.
    #[must_use]
    pub const fn image_len(&self) -> u64 {
        self.image_len
    }

    /// The verified header record's bytes.
    #[must_use]
    pub fn header_bytes(&self) -> &[u8] {
        &self.header_bytes
    }

    /// Every header field (features, config, session, subject...),
    /// decoded again from [`Verified::header_bytes`].
    ///
    /// # Errors
    ///
    /// None for a value [`verify_reader`] returned (the bytes decoded and
    /// verified); the decoder's error otherwise.
    pub fn header(&self) -> Result<Header<'_>, migseal_format::Error> {
        Header::decode_record(&self.header_bytes, 0)
    }
}

/// Verifies an image read from `image` against `policy` and the
/// destination `device`, in constant memory (one 64 KiB buffer), writing
/// the payload to `payload` as it streams past.
///
/// The payload bytes are written **before** the seal at the end of the
/// image has been checked: treat what `payload` received as unverified
/// until this returns `Ok`, and discard it on `Err`. Stage it (a
/// temporary file that takes its final name on `Ok`, a buffer), or pass
/// [`std::io::sink()`] to verify only.
///
/// # Errors
///
/// [`VerifyError::Refused`] with the verifier's stable code when the image
/// is refused; [`VerifyError::Read`] / [`VerifyError::Write`] for I/O.
pub fn verify_reader(
    mut image: impl Read,
    policy: &Policy,
    device: &Descriptor<'_>,
    mut payload: impl Write,
) -> Result<Verified, VerifyError> {
    let mut v = Verifier::default();
    let mut buf = vec![0u8; READ_SIZE];
    loop {
        let n = match image.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(VerifyError::Read(e)),
        };
        let mut rest = buf.get(..n).unwrap_or(&[]);
        while !rest.is_empty() {
            let step = v.advance(policy, device, rest)?;
            if let Some(piece) = step.payload {
                payload.write_all(piece.bytes).map_err(VerifyError::Write)?;
            }
            rest = rest.get(step.consumed..).unwrap_or(&[]);
        }
    }
    payload.flush().map_err(VerifyError::Write)?;
    let image_len = v.offset();
    let verdict = v.finish()?;
    let h = verdict.header();
    Ok(Verified {
        header_bytes: verdict.header_bytes().to_vec(),
        vendor: h.identity.vendor.as_str().to_owned(),
        device_api: h.identity.device_api.as_str().to_owned(),
        device_type: h.identity.device_type.as_str().to_owned(),
        state_version: h.state_version.to_string(),
        codec: h.codec.as_str().to_owned(),
        security_version: h.security_version,
        key_id: h.key_id,
        image_digest: *verdict.image_digest(),
        chunk_count: verdict.chunk_count(),
        payload_len: verdict.payload_len(),
        image_len,
    })
}
