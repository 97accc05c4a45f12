//! The destination's policy: whom to trust for what, what to refuse, and
//! how large an image may be. All borrowed, so a kernel can keep it in
//! static or caller-owned memory.

use migseal_format::Ident;
use migseal_format::envelope::{Header, KeyId, MAX_CHUNK_LEN, MAX_HEADER_LEN};

use crate::error::ErrorKind;
use crate::keys::TrustedKey;
use crate::name::{KeyIdHex, Name};

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

    /// The limits actually applied: a policy can lower the format's hard
    /// bounds, never raise them.
    #[must_use]
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
pub struct MinSecurity<'a> {
    /// The vendor.
    pub vendor: Ident<'a>,
    /// The device type, or `None` for all of the vendor's types.
    pub device_type: Option<Ident<'a>>,
    /// Images below this security version are refused.
    pub minimum: u64,
}

/// What a destination accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policy<'a> {
    /// Trusted keys.
    pub trusted: &'a [TrustedKey<'a>],
    /// Revoked key ids; revocation wins over trust.
    pub revoked: &'a [KeyId],
    /// Anti-rollback minimums.
    pub min_security: &'a [MinSecurity<'a>],
    /// This migration's session nonce; when set, images must carry it.
    pub session: Option<&'a [u8]>,
    /// The VM the state must belong to; when set, images must name it.
    pub subject: Option<&'a str>,
    /// Size limits.
    pub limits: Limits,
}

impl<'a> Policy<'a> {
    /// Checks a header against trust, revocation, rollback, session and
    /// subject, in that order, and returns the key that must have sealed
    /// it.
    ///
    /// # Errors
    ///
    /// The first refusal: [`ErrorKind::RevokedKey`],
    /// [`ErrorKind::UntrustedKey`], [`ErrorKind::KeyVendorScope`],
    /// [`ErrorKind::KeyTypeScope`], [`ErrorKind::SecurityVersionTooLow`],
    /// [`ErrorKind::SessionMissing`], [`ErrorKind::SessionMismatch`],
    /// [`ErrorKind::SubjectMissing`], [`ErrorKind::SubjectMismatch`].
    pub fn check_header(&self, header: &Header<'_>) -> Result<&TrustedKey<'a>, ErrorKind> {
        // Hex only for a refusal: it is the costliest part of a pass.
        let key_id = || KeyIdHex::of(&header.key_id);
        if self.revoked.contains(&header.key_id) {
            return Err(ErrorKind::RevokedKey { key_id: key_id() });
        }
        let key = self
            .trusted
            .iter()
            .find(|k| k.key_id() == &header.key_id)
            .ok_or_else(|| ErrorKind::UntrustedKey { key_id: key_id() })?;
        let identity = &header.identity;
        if key.vendor() != identity.vendor {
            return Err(ErrorKind::KeyVendorScope {
                key_id: key_id(),
                key_vendor: key.vendor().into(),
                image_vendor: identity.vendor.into(),
            });
        }
        if !key.device_types().is_empty() && !key.device_types().contains(identity.device_type) {
            return Err(ErrorKind::KeyTypeScope {
                key_id: key_id(),
                image_type: identity.device_type.into(),
            });
        }

        if let Some(minimum) = self.minimum_security(identity.vendor, identity.device_type)
            && header.security_version < minimum
        {
            return Err(ErrorKind::SecurityVersionTooLow { found: header.security_version, minimum });
        }

        if let Some(expected) = self.session {
            match header.session {
                None => return Err(ErrorKind::SessionMissing),
                Some(s) if s.as_bytes() != expected => return Err(ErrorKind::SessionMismatch),
                Some(_) => {}
            }
        }
        if let Some(expected) = self.subject {
            match header.subject {
                None => return Err(ErrorKind::SubjectMissing { expected: Name::new(expected) }),
                Some(s) if s.as_str() != expected => {
                    return Err(ErrorKind::SubjectMismatch {
                        expected: Name::new(expected),
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
        let for_vendor = |m: &&MinSecurity<'_>| m.vendor == vendor;
        self.min_security
            .iter()
            .filter(for_vendor)
            .find(|m| m.device_type == Some(device_type))
            .or_else(|| self.min_security.iter().filter(for_vendor).find(|m| m.device_type.is_none()))
            .map(|m| m.minimum)
    }
}
