//! The destination's policy: whom to trust for what (a [`TrustStore`]),
//! minimum security versions, session and subject binding, and size
//! limits. Owned and fixed in size, so it lives next to the verifier in
//! its caller's long-lived object; the verifier borrows it for the length
//! of one call only.

use migseal_format::envelope::{Header, KeyId, MAX_CHUNK_LEN, MAX_HEADER_LEN, MAX_NONCE_LEN, SessionNonce};
use migseal_format::{Ident, IdentBuf, Subject, SubjectBuf};

use crate::crypto::{Crypto, PublicKey};
use crate::dalek::Dalek;
use crate::error::{Error, ErrorKind, Result};
use crate::name::{KeyIdHex, Name};
use crate::trust::{TrustStore, TrustedKey};

/// Most minimum-security entries a policy holds.
pub const MAX_MIN_SECURITY: usize = 16;

/// Size limits, checked as bytes arrive and before any declared length is
/// trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest header record (at most the format's 4096).
    pub max_header_len: usize,
    /// Largest chunk payload (at most the format's 1 GiB).
    pub max_chunk_len: u64,
    /// Most chunks.
    pub max_chunks: u64,
    /// Most payload bytes in all.
    pub max_total_len: u64,
}

impl Limits {
    /// Defaults (spec §7): header 4096 B, chunk 16 MiB, 2^20 chunks,
    /// 64 GiB in total.
    pub const DEFAULT: Self = Self {
        max_header_len: MAX_HEADER_LEN,
        max_chunk_len: 16 << 20,
        max_chunks: 1 << 20,
        max_total_len: 64 << 30,
    };

    /// The format's own bounds and nothing more: what inspection applies
    /// when no policy is at hand.
    pub const FORMAT: Self = Self {
        max_header_len: MAX_HEADER_LEN,
        max_chunk_len: MAX_CHUNK_LEN,
        max_chunks: u64::MAX,
        max_total_len: u64::MAX,
    };

    /// The limits actually applied: a policy can lower the format's hard
    /// bounds, never raise them.
    #[must_use]
    #[inline]
    pub fn effective(&self) -> Self {
        Self {
            max_header_len: self.max_header_len.min(MAX_HEADER_LEN),
            max_chunk_len: self.max_chunk_len.min(MAX_CHUNK_LEN),
            ..*self
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A minimum security version for a vendor, or for one of its device
/// types (the more specific entry wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct MinSecurity {
    vendor: IdentBuf,
    device_type: Option<IdentBuf>,
    minimum: u64,
}

/// A session nonce copied inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SessionBuf {
    bytes: [u8; MAX_NONCE_LEN],
    len: usize,
}

impl SessionBuf {
    fn get(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

/// What a destination accepts. Build it once (keys are prepared as they
/// are added), keep it, and pass it to every verifier call.
#[derive(Clone, Debug)]
pub struct Policy<C: Crypto = Dalek> {
    trust: TrustStore<C>,
    min_security: [Option<MinSecurity>; MAX_MIN_SECURITY],
    session: Option<SessionBuf>,
    subject: Option<SubjectBuf>,
    limits: Limits,
}

impl<C: Crypto> Default for Policy<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Crypto> Policy<C> {
    /// A policy that trusts nothing, with the default limits.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            trust: TrustStore::new(),
            min_security: [None; MAX_MIN_SECURITY],
            session: None,
            subject: None,
            limits: Limits::DEFAULT,
        }
    }

    /// The trust store.
    #[must_use]
    pub const fn trust(&self) -> &TrustStore<C> {
        &self.trust
    }

    /// Trusts a key (see [`TrustStore::trust`]).
    ///
    /// # Errors
    ///
    /// As [`TrustStore::trust`].
    pub fn trust_key(
        &mut self,
        crypto: &C,
        public_key: PublicKey,
        vendor: Ident<'_>,
        device_types: &[Ident<'_>],
    ) -> Result<KeyId> {
        self.trust.trust(crypto, public_key, vendor, device_types)
    }

    /// Revokes a key id (see [`TrustStore::revoke`]).
    ///
    /// # Errors
    ///
    /// As [`TrustStore::revoke`].
    pub fn revoke(&mut self, key_id: KeyId) -> Result<()> {
        self.trust.revoke(key_id)
    }

    /// Refuses images of `vendor` (and `device_type`, or all its types)
    /// below security version `minimum`; replaces an earlier entry for the
    /// same vendor and type.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TrustStoreFull`] when [`MAX_MIN_SECURITY`] entries exist.
    pub fn require_min_security(
        &mut self,
        vendor: Ident<'_>,
        device_type: Option<Ident<'_>>,
        minimum: u64,
    ) -> Result<()> {
        let entry = MinSecurity {
            vendor: IdentBuf::copy(vendor),
            device_type: device_type.map(IdentBuf::copy),
            minimum,
        };
        let same = |m: &Option<MinSecurity>| {
            m.is_some_and(|m| m.vendor == entry.vendor && m.device_type == entry.device_type)
        };
        let slot = match self.min_security.iter().position(same) {
            Some(i) => self.min_security.get_mut(i),
            None => self.min_security.iter_mut().find(|m| m.is_none()),
        };
        let slot = slot.ok_or(Error::new(
            ErrorKind::TrustStoreFull { capacity: migseal_format::cbor::len_u64(MAX_MIN_SECURITY) },
            0,
        ))?;
        *slot = Some(entry);
        Ok(())
    }

    /// Requires this migration's session nonce (16–64 bytes, spec §7.5).
    ///
    /// # Errors
    ///
    /// The format's error for a nonce outside 16–64 bytes.
    pub fn require_session(&mut self, nonce: &[u8]) -> Result<()> {
        let nonce = SessionNonce::new(nonce)?;
        let mut bytes = [0u8; MAX_NONCE_LEN];
        let len = migseal_format::bytes::copy_prefix(&mut bytes, nonce.as_bytes());
        self.session = Some(SessionBuf { bytes, len });
        Ok(())
    }

    /// Drops the session requirement.
    pub fn forget_session(&mut self) {
        self.session = None;
    }

    /// Requires images to name `subject` (the VM the state belongs to).
    pub fn require_subject(&mut self, subject: Subject<'_>) {
        self.subject = Some(SubjectBuf::copy(subject));
    }

    /// Drops the subject requirement.
    pub fn forget_subject(&mut self) {
        self.subject = None;
    }

    /// Sets the size limits (lowered to the format's bounds when above).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The limits applied.
    #[must_use]
    #[inline]
    pub fn limits(&self) -> Limits {
        self.limits.effective()
    }

    /// The required session nonce, if any.
    #[must_use]
    pub fn session(&self) -> Option<&[u8]> {
        self.session.as_ref().map(SessionBuf::get)
    }

    /// The required subject, if any.
    #[must_use]
    pub fn subject(&self) -> Option<Subject<'_>> {
        self.subject.as_ref().map(SubjectBuf::get)
    }

    /// Checks a header against revocation, trust, scope, rollback, session
    /// and subject, in that order (spec §8.2), and returns the key that
    /// must have sealed it.
    ///
    /// # Errors
    ///
    /// The first refusal: [`ErrorKind::RevokedKey`],
    /// [`ErrorKind::UntrustedKey`], [`ErrorKind::KeyVendorScope`],
    /// [`ErrorKind::KeyTypeScope`], [`ErrorKind::SecurityVersionTooLow`],
    /// [`ErrorKind::SessionMissing`], [`ErrorKind::SessionMismatch`],
    /// [`ErrorKind::SubjectMissing`], [`ErrorKind::SubjectMismatch`].
    pub fn check_header(&self, header: &Header<'_>) -> core::result::Result<&TrustedKey<C>, ErrorKind> {
        let key_id = || KeyIdHex::of(&header.key_id);
        if self.trust.is_revoked(&header.key_id) {
            return Err(ErrorKind::RevokedKey { key_id: key_id() });
        }
        let key =
            self.trust.find(&header.key_id).ok_or_else(|| ErrorKind::UntrustedKey { key_id: key_id() })?;
        let identity = &header.identity;
        if key.vendor() != identity.vendor {
            return Err(ErrorKind::KeyVendorScope {
                key_vendor: key.vendor().into(),
                image_vendor: identity.vendor.into(),
            });
        }
        if !key.covers_type(identity.device_type) {
            return Err(ErrorKind::KeyTypeScope { image_type: identity.device_type.into() });
        }
        if let Some(minimum) = self.minimum_security(identity.vendor, identity.device_type)
            && header.security_version < minimum
        {
            return Err(ErrorKind::SecurityVersionTooLow { found: header.security_version, minimum });
        }
        if let Some(expected) = self.session() {
            match header.session {
                None => return Err(ErrorKind::SessionMissing),
                Some(s) if s.as_bytes() != expected => return Err(ErrorKind::SessionMismatch),
                Some(_) => {}
            }
        }
        if let Some(expected) = self.subject() {
            match header.subject {
                None => return Err(ErrorKind::SubjectMissing { expected: Name::new(expected.as_str()) }),
                Some(s) if s != expected => {
                    return Err(ErrorKind::SubjectMismatch {
                        expected: Name::new(expected.as_str()),
                        found: Name::new(s.as_str()),
                    });
                }
                Some(_) => {}
            }
        }
        Ok(key)
    }

    /// The minimum security version for a vendor and type: the
    /// vendor+type entry if there is one, else the vendor-wide entry.
    #[must_use]
    pub fn minimum_security(&self, vendor: Ident<'_>, device_type: Ident<'_>) -> Option<u64> {
        // Filled from the front, never emptied: the first empty slot ends them.
        let entries =
            || self.min_security.iter().map_while(Option::as_ref).filter(|m| m.vendor.get() == vendor);
        entries()
            .find(|m| m.device_type.is_some_and(|t| t.get() == device_type))
            .or_else(|| entries().find(|m| m.device_type.is_none()))
            .map(|m| m.minimum)
    }
}

#[cfg(test)]
mod tests;
