//! The human-editable policy file (JSON), and its conversion into the
//! [`Policy`] the verifier takes.
//!
//! ```json
//! {
//!   "trusted": [{ "public_key": "<64 hex>", "vendor": "linux", "device_types": ["mtty-2"] }],
//!   "revoked": ["<64 hex key id>"],
//!   "min_security": [{ "vendor": "linux", "device_type": "mtty-2", "minimum": 2 }],
//!   "session": "<hex nonce>",
//!   "subject": "vm-6f1e3c2a",
//!   "limits": { "max_chunk_len": 16777216 }
//! }
//! ```

use migseal_format::{Ident, Subject};
use migseal_verifier::{Crypto, Dalek, Limits, Policy};
use serde::{Deserialize, Serialize};

/// A trusted key entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedKeyEntry {
    /// Ed25519 public key, 64 hex digits.
    pub public_key: String,
    /// The vendor it may seal for.
    pub vendor: String,
    /// Device types it is limited to (empty or absent: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_types: Vec<String>,
}

/// A minimum security version entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinSecurityEntry {
    /// The vendor.
    pub vendor: String,
    /// The device type, or absent for all of the vendor's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    /// Minimum security version.
    pub minimum: u64,
}

/// Optional limit overrides; absent fields keep the defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsEntry {
    /// Largest header record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_header_len: Option<usize>,
    /// Largest chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chunk_len: Option<u64>,
    /// Most chunks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chunks: Option<u64>,
    /// Most payload bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_total_len: Option<u64>,
}

/// A policy file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Trusted keys.
    #[serde(default)]
    pub trusted: Vec<TrustedKeyEntry>,
    /// Revoked key ids (64 hex digits each).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revoked: Vec<String>,
    /// Minimum security versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub min_security: Vec<MinSecurityEntry>,
    /// Required session nonce, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Required subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Limit overrides.
    #[serde(default, skip_serializing_if = "is_default")]
    pub limits: LimitsEntry,
}

fn is_default(l: &LimitsEntry) -> bool {
    *l == LimitsEntry::default()
}

/// Why a policy file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyFileError {
    /// Not valid JSON for this schema.
    #[error("policy file is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// A field's value is wrong.
    #[error("policy file: {field}: {message}")]
    Field {
        /// Which field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The verifier refused a key (weak or invalid).
    #[error("policy file: trusted[{index}]: {error}")]
    Key {
        /// Index of the entry.
        index: usize,
        /// The verifier's refusal (code 409 weak key, 602 invalid key).
        error: migseal_verifier::Error,
    },
    /// The verifier's policy refused another entry with a stable code (a
    /// session outside 16-64 bytes: 206; more entries than it holds: 410).
    #[error("policy file: {field}: {error}")]
    Invalid {
        /// Which field.
        field: String,
        /// The refusal.
        error: migseal_verifier::Error,
    },
}

impl PolicyFileError {
    /// The stable code when the verifier refused something, else `None`.
    #[must_use]
    pub fn code(&self) -> Option<u16> {
        match self {
            Self::Key { error, .. } | Self::Invalid { error, .. } => Some(error.code()),
            _ => None,
        }
    }
}

fn field(field: impl Into<String>, message: impl core::fmt::Display) -> PolicyFileError {
    PolicyFileError::Field { field: field.into(), message: message.to_string() }
}

fn invalid(field: impl Into<String>, error: migseal_verifier::Error) -> PolicyFileError {
    PolicyFileError::Invalid { field: field.into(), error }
}

fn hex32(s: &str, name: &str) -> Result<[u8; 32], PolicyFileError> {
    let bytes = hex::decode(s).map_err(|e| field(name, format!("not hex: {e}")))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| field(name, format!("expected 32 bytes, found {}", bytes.len())))
}

fn ident<'a>(s: &'a str, name: &str) -> Result<Ident<'a>, PolicyFileError> {
    Ident::new(s).map_err(|e| field(name, e))
}

impl PolicyFile {
    /// Parses JSON text.
    ///
    /// # Errors
    ///
    /// [`PolicyFileError::Json`] with the line and column serde reports.
    pub fn from_json(text: &str) -> Result<Self, PolicyFileError> {
        Ok(serde_json::from_str(text)?)
    }

    /// Builds the verifier's [`Policy`]: every key checked (weak keys
    /// refused) and prepared once, every name validated.
    ///
    /// # Errors
    ///
    /// The first invalid entry: [`PolicyFileError::Key`] for a key the
    /// trust store refuses (409 weak, 602 invalid, 410 over capacity),
    /// [`PolicyFileError::Field`] naming any other field.
    pub fn to_policy(&self) -> Result<Policy, PolicyFileError> {
        self.to_policy_with(&Dalek)
    }

    /// [`PolicyFile::to_policy`] with keys prepared by another crypto
    /// provider.
    ///
    /// # Errors
    ///
    /// As [`PolicyFile::to_policy`].
    pub fn to_policy_with<C: Crypto>(&self, crypto: &C) -> Result<Policy<C>, PolicyFileError> {
        let mut policy = Policy::new();
        for (i, t) in self.trusted.iter().enumerate() {
            let pk = hex32(&t.public_key, &format!("trusted[{i}].public_key"))?;
            let vendor = ident(&t.vendor, &format!("trusted[{i}].vendor"))?;
            let types = t
                .device_types
                .iter()
                .enumerate()
                .map(|(j, ty)| ident(ty, &format!("trusted[{i}].device_types[{j}]")))
                .collect::<Result<Vec<_>, _>>()?;
            policy
                .trust_key(crypto, pk, vendor, &types)
                .map_err(|error| PolicyFileError::Key { index: i, error })?;
        }
        for (i, r) in self.revoked.iter().enumerate() {
            let name = format!("revoked[{i}]");
            policy.revoke(hex32(r, &name)?).map_err(|e| invalid(name, e))?;
        }
        for (i, m) in self.min_security.iter().enumerate() {
            let vendor = ident(&m.vendor, &format!("min_security[{i}].vendor"))?;
            let device_type = m
                .device_type
                .as_deref()
                .map(|t| ident(t, &format!("min_security[{i}].device_type")))
                .transpose()?;
            policy
                .require_min_security(vendor, device_type, m.minimum)
                .map_err(|e| invalid(format!("min_security[{i}]"), e))?;
        }
        if let Some(s) = &self.session {
            let nonce = hex::decode(s).map_err(|e| field("session", format!("not hex: {e}")))?;
            policy.require_session(&nonce).map_err(|e| invalid("session", e))?;
        }
        if let Some(s) = &self.subject {
            policy.require_subject(Subject::new(s).map_err(|e| field("subject", e))?);
        }
        let d = Limits::DEFAULT;
        let l = &self.limits;
        policy.set_limits(Limits {
            max_header_len: l.max_header_len.unwrap_or(d.max_header_len),
            max_chunk_len: l.max_chunk_len.unwrap_or(d.max_chunk_len),
            max_chunks: l.max_chunks.unwrap_or(d.max_chunks),
            max_total_len: l.max_total_len.unwrap_or(d.max_total_len),
        });
        Ok(policy)
    }

    /// Builds the policy ([`PolicyFile::to_policy`]) and runs `f` with it.
    ///
    /// # Errors
    ///
    /// As [`PolicyFile::to_policy`].
    pub fn with_policy<R>(&self, f: impl FnOnce(&Policy) -> R) -> Result<R, PolicyFileError> {
        Ok(f(&self.to_policy()?))
    }
}
