//! The human-editable policy file (JSON), and its conversion into the
//! borrowed [`Policy`] the verifier takes.
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

use migseal_format::Ident;
use migseal_format::envelope::{IdentList, KeyId, MAX_FEATURES, MAX_NONCE_LEN, MIN_NONCE_LEN};
use migseal_verifier::{Dalek, Limits, MinSecurity, Policy, TrustedKey};
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
}

impl PolicyFileError {
    /// The stable code when the verifier refused something, else `None`.
    #[must_use]
    pub fn code(&self) -> Option<u16> {
        match self {
            Self::Key { error, .. } => Some(error.code()),
            _ => None,
        }
    }
}

fn field(field: impl Into<String>, message: impl core::fmt::Display) -> PolicyFileError {
    PolicyFileError::Field { field: field.into(), message: message.to_string() }
}

fn hex32(s: &str, name: &str) -> Result<[u8; 32], PolicyFileError> {
    let bytes = hex::decode(s).map_err(|e| field(name, format!("not hex: {e}")))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| field(name, format!("expected 32 bytes, found {}", bytes.len())))
}

/// A policy's session is a session nonce (spec §7.5): 16–64 bytes, so 32–128
/// hex digits. One outside that range could never match a header's, so the
/// file is refused instead of every image.
fn session_nonce(s: &str) -> Result<Vec<u8>, PolicyFileError> {
    let bytes = hex::decode(s).map_err(|e| field("session", format!("not hex: {e}")))?;
    if !(MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&bytes.len()) {
        return Err(field(
            "session",
            format!(
                "{} bytes; a session nonce has {MIN_NONCE_LEN} to {MAX_NONCE_LEN} bytes (32 to 128 hex digits)",
                bytes.len()
            ),
        ));
    }
    Ok(bytes)
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

    /// Builds the borrowed [`Policy`] and runs `f` with it. Every key is
    /// checked (weak keys refused) and every name validated.
    ///
    /// # Errors
    ///
    /// The first invalid entry.
    pub fn with_policy<R>(&self, f: impl FnOnce(&Policy<'_>) -> R) -> Result<R, PolicyFileError> {
        let types = self.device_type_lists()?;
        let parts = self.parts(&types)?;
        Ok(f(&parts.policy()))
    }

    /// First of the three steps behind [`PolicyFile::with_policy`], for
    /// callers that must keep the policy across calls (the WASM streaming
    /// verifier): each trusted key's device types, validated and in
    /// canonical order. [`PolicyFile::parts`] borrows them.
    ///
    /// # Errors
    ///
    /// [`PolicyFileError::Field`] naming the first invalid device type.
    pub fn device_type_lists(&self) -> Result<Vec<Vec<Ident<'_>>>, PolicyFileError> {
        let mut types: Vec<Vec<Ident<'_>>> = Vec::new();
        for (i, t) in self.trusted.iter().enumerate() {
            let mut list = Vec::new();
            for (j, ty) in t.device_types.iter().enumerate() {
                list.push(ident(ty, &format!("trusted[{i}].device_types[{j}]"))?);
            }
            // Canonical order, so the list is valid whatever order the file has.
            list.sort_by(|a, b| (a.as_str().len(), a.as_str()).cmp(&(b.as_str().len(), b.as_str())));
            list.dedup();
            types.push(list);
        }
        Ok(types)
    }

    /// Second step: the trusted keys (each checked, weak keys refused) and
    /// every other entry, validated; `types` comes from
    /// [`PolicyFile::device_type_lists`] on the same file.
    ///
    /// # Errors
    ///
    /// The first invalid entry.
    pub fn parts<'a>(&'a self, types: &'a [Vec<Ident<'a>>]) -> Result<PolicyParts<'a>, PolicyFileError> {
        let mut trusted = Vec::new();
        for (i, (t, list)) in self.trusted.iter().zip(types).enumerate() {
            let pk = hex32(&t.public_key, &format!("trusted[{i}].public_key"))?;
            let vendor = ident(&t.vendor, &format!("trusted[{i}].vendor"))?;
            let list = IdentList::from_slice(list, usize::try_from(MAX_FEATURES).unwrap_or(32))
                .map_err(|e| field(format!("trusted[{i}].device_types"), e))?;
            let key = TrustedKey::new(&Dalek, pk, vendor, list)
                .map_err(|error| PolicyFileError::Key { index: i, error })?;
            trusted.push(key);
        }
        let revoked = self
            .revoked
            .iter()
            .enumerate()
            .map(|(i, r)| hex32(r, &format!("revoked[{i}]")))
            .collect::<Result<Vec<KeyId>, _>>()?;
        let mut min_security = Vec::new();
        for (i, m) in self.min_security.iter().enumerate() {
            min_security.push(MinSecurity {
                vendor: ident(&m.vendor, &format!("min_security[{i}].vendor"))?,
                device_type: m
                    .device_type
                    .as_deref()
                    .map(|t| ident(t, &format!("min_security[{i}].device_type")))
                    .transpose()?,
                minimum: m.minimum,
            });
        }
        let session = self.session.as_deref().map(session_nonce).transpose()?;
        let d = Limits::DEFAULT;
        let l = &self.limits;
        Ok(PolicyParts {
            trusted,
            revoked,
            min_security,
            session,
            subject: self.subject.as_deref(),
            limits: Limits {
                max_header_len: l.max_header_len.unwrap_or(d.max_header_len),
                max_chunk_len: l.max_chunk_len.unwrap_or(d.max_chunk_len),
                max_chunks: l.max_chunks.unwrap_or(d.max_chunks),
                max_total_len: l.max_total_len.unwrap_or(d.max_total_len),
            },
        })
    }
}

/// A validated policy file's entries, owned where the verifier's
/// [`Policy`] takes slices: [`PolicyParts::policy`] is the last step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyParts<'a> {
    trusted: Vec<TrustedKey<'a>>,
    revoked: Vec<KeyId>,
    min_security: Vec<MinSecurity<'a>>,
    session: Option<Vec<u8>>,
    subject: Option<&'a str>,
    limits: Limits,
}

impl PolicyParts<'_> {
    /// The policy the verifier takes, borrowing these parts.
    #[must_use]
    pub fn policy(&self) -> Policy<'_> {
        Policy {
            trusted: &self.trusted,
            revoked: &self.revoked,
            min_security: &self.min_security,
            session: self.session.as_deref(),
            subject: self.subject,
            limits: self.limits,
        }
    }
}
