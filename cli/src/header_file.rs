//! The header fields `seal` writes, from flags, a JSON file, or a source
//! descriptor.
//!
//! ```json
//! {
//!   "vendor": "linux", "device_api": "vfio-pci", "device_type": "mtty-2",
//!   "state_version": "1.0", "features": [], "codec": "mtty",
//!   "security_version": 3,
//!   "config": {"kind": "vfio-ap-matrix", "data_hex": "..."},
//!   "session": "<hex nonce>", "subject": "vm-6f1e3c2a"
//! }
//! ```

use migseal_format::envelope::{
    Descriptor, DeviceIdentity, Header, IdentList, KeyId, MAX_FEATURES, SessionNonce, ShellConfig,
};
use migseal_format::{Ident, Subject};
use serde::{Deserialize, Serialize};

use crate::descriptor_file::{ConfigJson, parse_version};

/// Header fields; every one optional here, so flags, a file and a
/// descriptor can be merged before the required ones are checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderJson {
    /// Vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Device API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_api: Option<String>,
    /// Device type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    /// State version `MAJOR.MINOR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_version: Option<String>,
    /// Features.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    /// Shell-device configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigJson>,
    /// Codec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    /// Security version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_version: Option<u64>,
    /// Session nonce, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

impl HeaderJson {
    /// Fields of `other` replace those of `self` where `other` has them.
    #[must_use]
    pub fn overlay(self, other: Self) -> Self {
        Self {
            vendor: other.vendor.or(self.vendor),
            device_api: other.device_api.or(self.device_api),
            device_type: other.device_type.or(self.device_type),
            state_version: other.state_version.or(self.state_version),
            features: other.features.or(self.features),
            config: other.config.or(self.config),
            codec: other.codec.or(self.codec),
            security_version: other.security_version.or(self.security_version),
            session: other.session.or(self.session),
            subject: other.subject.or(self.subject),
        }
    }

    /// The fields a source descriptor implies: identity, features,
    /// config, its one codec, and its highest version.
    ///
    /// # Errors
    ///
    /// A descriptor that is not a source or lists several codecs.
    pub fn from_source_descriptor(d: &Descriptor<'_>) -> Result<Self, String> {
        let codecs: Vec<_> = d.codecs.iter().collect();
        let codec = match codecs.as_slice() {
            [one] => Some(one.as_str().to_owned()),
            _ => None,
        };
        Ok(Self {
            vendor: Some(d.identity.vendor.as_str().into()),
            device_api: Some(d.identity.device_api.as_str().into()),
            device_type: Some(d.identity.device_type.as_str().into()),
            state_version: d.versions.iter().last().map(|r| r.max.to_string()),
            features: Some(d.features.iter().map(|i| i.as_str().to_owned()).collect()),
            config: d
                .config
                .map(|c| ConfigJson { kind: c.kind.as_str().into(), data_hex: hex::encode(c.data) }),
            codec,
            ..Self::default()
        })
    }

    /// Checks every field, and runs `f` with the header for `key_id`.
    ///
    /// # Errors
    ///
    /// A message naming the missing or invalid field.
    pub fn with_header<R>(&self, key_id: KeyId, f: impl FnOnce(&Header<'_>) -> R) -> Result<R, String> {
        let need = |v: &Option<String>, name: &str, flag: &str| {
            v.as_deref().map(str::to_owned).ok_or_else(|| {
                format!("the header needs {name}: pass {flag}, or give it in --header-json or --descriptor")
            })
        };
        let vendor = need(&self.vendor, "a vendor", "--vendor")?;
        let device_api = need(&self.device_api, "a device API", "--device-api")?;
        let device_type = need(&self.device_type, "a device type", "--device-type")?;
        let codec = need(&self.codec, "a codec", "--codec")?;
        let version = parse_version(&need(&self.state_version, "a state version", "--state-version")?)?;
        let id = |s: &'_ str, what: &str| -> Result<(), String> {
            Ident::new(s).map(drop).map_err(|e| format!("{what} {s:?}: {}", e.code().what()))
        };
        id(&vendor, "vendor")?;
        id(&device_api, "device API")?;
        id(&device_type, "device type")?;
        id(&codec, "codec")?;
        let features_owned = self.features.clone().unwrap_or_default();
        for f in &features_owned {
            id(f, "feature")?;
        }
        let mut features: Vec<Ident<'_>> = features_owned.iter().filter_map(|f| Ident::new(f).ok()).collect();
        features.sort_by(|a, b| (a.as_str().len(), a.as_str()).cmp(&(b.as_str().len(), b.as_str())));
        features.dedup();
        let config_data = match &self.config {
            Some(c) => {
                id(&c.kind, "config kind")?;
                Some((
                    c.kind.as_str(),
                    hex::decode(c.data_hex.trim()).map_err(|e| format!("config data: not hex: {e}"))?,
                ))
            }
            None => None,
        };
        let session = self
            .session
            .as_deref()
            .map(|s| hex::decode(s.trim()).map_err(|e| format!("session: not hex: {e}")))
            .transpose()?;

        let header = Header {
            identity: DeviceIdentity {
                vendor: Ident::new(&vendor).map_err(|e| e.to_string())?,
                device_api: Ident::new(&device_api).map_err(|e| e.to_string())?,
                device_type: Ident::new(&device_type).map_err(|e| e.to_string())?,
            },
            state_version: version,
            features: IdentList::from_slice(&features, usize::try_from(MAX_FEATURES).unwrap_or(32))
                .map_err(|_| format!("more than {MAX_FEATURES} features"))?,
            config: match &config_data {
                Some((kind, data)) => {
                    Some(ShellConfig::new(Ident::new(kind).map_err(|e| e.to_string())?, data).map_err(
                        |_| format!("config data: {} bytes; a configuration has 1 to 1024", data.len()),
                    )?)
                }
                None => None,
            },
            codec: Ident::new(&codec).map_err(|e| e.to_string())?,
            security_version: self.security_version.unwrap_or(1),
            session: match &session {
                Some(s) => Some(
                    SessionNonce::new(s)
                        .map_err(|_| format!("session: {} bytes; a session nonce has 16 to 64", s.len()))?,
                ),
                None => None,
            },
            subject: match &self.subject {
                Some(s) => Some(Subject::new(s).map_err(|e| format!("subject {s:?}: {}", e.code().what()))?),
                None => None,
            },
            key_id,
        };
        Ok(f(&header))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_name_the_flag() {
        let h = HeaderJson { vendor: Some("linux".into()), ..HeaderJson::default() };
        let e = h.with_header([0; 32], |_| ()).unwrap_err();
        assert!(e.contains("--device-api"), "{e}");
    }

    #[test]
    fn overlay_prefers_the_later_source() {
        let a = HeaderJson { vendor: Some("a".into()), codec: Some("x".into()), ..HeaderJson::default() };
        let b = HeaderJson { vendor: Some("b".into()), ..HeaderJson::default() };
        let c = a.overlay(b);
        assert_eq!(c.vendor.as_deref(), Some("b"));
        assert_eq!(c.codec.as_deref(), Some("x"));
    }
}
