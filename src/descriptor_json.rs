//! Device descriptors in their human-editable JSON form, and the
//! conversion to and from the canonical CBOR the verifier reads. The CLI
//! reads these files; the WASM package takes the same JSON as a JavaScript
//! object.
//!
//! ```json
//! {
//!   "role": "destination",
//!   "vendor": "linux",
//!   "device_api": "vfio-pci",
//!   "device_type": "mtty-2",
//!   "versions": [{"min": "1.0", "max": "1.3"}],
//!   "features": [],
//!   "config": {"kind": "vfio-ap-matrix", "data_hex": "..."},
//!   "codecs": ["mtty"]
//! }
//! ```
//!
//! A version range may also be written `"1.0"` (exactly) or `"1.0-1.3"`.
//! Features and codecs may be in any order and are sorted canonically;
//! ranges are sorted by their minimum and must not overlap.

use migseal_format::Ident;
use migseal_format::cbor::Encoder;
use migseal_format::envelope::{
    Descriptor, DeviceIdentity, IdentList, MAX_CODECS, MAX_FEATURES, MAX_VERSION_RANGES, Role, ShellConfig,
    StateVersion, VersionRange, VersionRanges,
};
use serde::{Deserialize, Serialize};

/// `"source"` or `"destination"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleJson {
    /// What a source emits.
    Source,
    /// What a destination accepts.
    Destination,
}

/// A version range: `{"min": "1.0", "max": "1.3"}`, `"1.0"` or `"1.0-1.3"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RangeJson {
    /// `{"min": .., "max": ..}`.
    MinMax {
        /// Lowest version.
        min: String,
        /// Highest version.
        max: String,
    },
    /// `"1.0"` or `"1.0-1.3"`.
    Text(String),
}

/// A shell-device configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigJson {
    /// The layout, such as `vfio-ap-matrix`.
    pub kind: String,
    /// The bytes, hex.
    pub data_hex: String,
}

/// The JSON form of a descriptor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescriptorJson {
    /// Source or destination.
    pub role: RoleJson,
    /// Vendor.
    pub vendor: String,
    /// Device API.
    pub device_api: String,
    /// Device type.
    pub device_type: String,
    /// Version ranges.
    pub versions: Vec<RangeJson>,
    /// Features.
    #[serde(default)]
    pub features: Vec<String>,
    /// Shell-device configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigJson>,
    /// Codecs.
    pub codecs: Vec<String>,
}

/// Parses `"1.3"`.
///
/// # Errors
///
/// A message naming the text.
pub fn parse_version(text: &str) -> std::result::Result<StateVersion, String> {
    let bad = || format!("{text:?} is not a state version: write MAJOR.MINOR, such as 1.0");
    let (major, minor) = text.trim().split_once('.').ok_or_else(bad)?;
    let major = major.parse::<u32>().map_err(|_| bad())?;
    let minor = minor.parse::<u32>().map_err(|_| bad())?;
    Ok(StateVersion::new(major, minor))
}

/// Parses `"1.0"` or `"1.0-1.3"`.
///
/// # Errors
///
/// A message naming the text.
pub fn parse_range(text: &str) -> std::result::Result<VersionRange, String> {
    let (min, max) = match text.split_once('-') {
        Some((a, b)) => (parse_version(a)?, parse_version(b)?),
        None => {
            let v = parse_version(text)?;
            (v, v)
        }
    };
    VersionRange::new(min, max).map_err(|_| format!("{text:?}: the minimum is above the maximum"))
}

fn range_of(r: &RangeJson) -> std::result::Result<VersionRange, String> {
    match r {
        RangeJson::Text(t) => parse_range(t),
        RangeJson::MinMax { min, max } => {
            let (a, b) = (parse_version(min)?, parse_version(max)?);
            VersionRange::new(a, b).map_err(|_| format!("min {min} is above max {max}"))
        }
    }
}

/// Identifiers in canonical order (length, then bytes), without repeats.
fn canonical<'a>(names: &'a [String], what: &str) -> std::result::Result<Vec<Ident<'a>>, String> {
    let mut v = Vec::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        v.push(Ident::new(n).map_err(|e| format!("{what}[{i}] {n:?}: {}", e.code().what()))?);
    }
    v.sort_by(|a, b| (a.as_str().len(), a.as_str()).cmp(&(b.as_str().len(), b.as_str())));
    v.dedup();
    Ok(v)
}

fn ident<'a>(s: &'a str, what: &str) -> std::result::Result<Ident<'a>, String> {
    Ident::new(s).map_err(|e| format!("{what} {s:?}: {}", e.code().what()))
}

impl DescriptorJson {
    /// The canonical CBOR encoding.
    ///
    /// # Errors
    ///
    /// A message naming the offending field.
    pub fn encode(&self) -> std::result::Result<Vec<u8>, String> {
        let mut ranges = self
            .versions
            .iter()
            .enumerate()
            .map(|(i, r)| range_of(r).map_err(|e| format!("versions[{i}]: {e}")))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        ranges.sort_by_key(|r| (r.min, r.max));
        let features = canonical(&self.features, "features")?;
        let codecs = canonical(&self.codecs, "codecs")?;
        let config_data = match &self.config {
            Some(c) => Some((
                ident(&c.kind, "config.kind")?,
                hex::decode(c.data_hex.trim()).map_err(|e| format!("config.data_hex: not hex: {e}"))?,
            )),
            None => None,
        };
        let config = match &config_data {
            Some((kind, data)) => Some(ShellConfig::new(*kind, data).map_err(|_| {
                format!("config.data_hex: {} bytes; a configuration has 1 to 1024", data.len())
            })?),
            None => None,
        };
        let max_ranges = usize::try_from(MAX_VERSION_RANGES).unwrap_or(16);
        let descriptor = Descriptor {
            role: match self.role {
                RoleJson::Source => Role::Source,
                RoleJson::Destination => Role::Destination,
            },
            identity: DeviceIdentity {
                vendor: ident(&self.vendor, "vendor")?,
                device_api: ident(&self.device_api, "device_api")?,
                device_type: ident(&self.device_type, "device_type")?,
            },
            versions: VersionRanges::from_slice(&ranges, max_ranges).map_err(|e| {
                format!(
                    "versions: {} (1 to {MAX_VERSION_RANGES} ranges that do not overlap)",
                    e.code().what()
                )
            })?,
            features: IdentList::from_slice(&features, usize::try_from(MAX_FEATURES).unwrap_or(32))
                .map_err(|_| format!("features: more than {MAX_FEATURES}"))?,
            config,
            codecs: IdentList::from_slice(&codecs, usize::try_from(MAX_CODECS).unwrap_or(8))
                .map_err(|_| format!("codecs: more than {MAX_CODECS}"))?,
        };
        if descriptor.codecs.is_empty() {
            return Err("codecs: at least one codec is required".into());
        }
        let mut e = Encoder::new(Vec::new());
        descriptor.encode(&mut e).map_err(|e| e.to_string())?;
        e.finish().map_err(|e| e.to_string())
    }

    /// The JSON form of a decoded descriptor.
    #[must_use]
    pub fn from_descriptor(d: &Descriptor<'_>) -> Self {
        let names = |l: IdentList<'_>| l.iter().map(|i| i.as_str().to_owned()).collect::<Vec<_>>();
        Self {
            role: match d.role {
                Role::Source => RoleJson::Source,
                Role::Destination => RoleJson::Destination,
            },
            vendor: d.identity.vendor.as_str().into(),
            device_api: d.identity.device_api.as_str().into(),
            device_type: d.identity.device_type.as_str().into(),
            versions: d
                .versions
                .iter()
                .map(|r| RangeJson::MinMax { min: r.min.to_string(), max: r.max.to_string() })
                .collect(),
            features: names(d.features),
            config: d
                .config
                .map(|c| ConfigJson { kind: c.kind.as_str().into(), data_hex: hex::encode(c.data) }),
            codecs: names(d.codecs),
        }
    }
}

/// True when the bytes look like JSON (an object), not CBOR. A canonical
/// CBOR descriptor starts with a map head (0xa8/0xa9), never with `{`.
#[must_use]
pub fn looks_like_json(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Why descriptor bytes could not be read in either form.
#[derive(Debug, thiserror::Error)]
pub enum DescriptorFileError {
    /// JSON that does not parse as a descriptor (line and column inside).
    #[error("descriptor JSON is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON whose values cannot form a descriptor.
    #[error("descriptor JSON: {0}")]
    Field(String),
    /// Not a valid canonical CBOR descriptor (a stable code inside).
    #[error(transparent)]
    Cbor(#[from] migseal_format::Error),
}

/// A descriptor file's bytes, in either form (the JSON text or canonical
/// CBOR), as validated canonical CBOR: pass the result to
/// [`Descriptor::decode`].
///
/// # Errors
///
/// [`DescriptorFileError`]: bad JSON, bad values, or bad CBOR.
pub fn descriptor_cbor(bytes: &[u8]) -> Result<Vec<u8>, DescriptorFileError> {
    let cbor = if looks_like_json(bytes) {
        let json: DescriptorJson = serde_json::from_slice(bytes)?;
        json.encode().map_err(DescriptorFileError::Field)?
    } else {
        bytes.to_vec()
    };
    Descriptor::decode(&cbor)?;
    Ok(cbor)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_through_cbor() {
        let text = r#"{"role": "destination", "vendor": "virtio", "device_api": "vfio-pci",
            "device_type": "virtio-net", "versions": ["1.0-1.3"],
            "features": ["VIRTIO_NET_F_MQ", "VIRTIO_F_VERSION_1"], "codecs": ["virtio-dev-parts"]}"#;
        let json: DescriptorJson = serde_json::from_str(text).unwrap();
        let cbor = json.encode().unwrap();
        let d = Descriptor::decode(&cbor).unwrap();
        let back = DescriptorJson::from_descriptor(&d);
        assert_eq!(back.features, ["VIRTIO_NET_F_MQ", "VIRTIO_F_VERSION_1"]);
        assert_eq!(back.versions, [RangeJson::MinMax { min: "1.0".into(), max: "1.3".into() }]);
        assert_eq!(back.encode().unwrap(), cbor);
        assert_eq!(descriptor_cbor(text.as_bytes()).unwrap(), cbor);
        assert_eq!(descriptor_cbor(&cbor).unwrap(), cbor);
        assert!(matches!(descriptor_cbor(b"\xff"), Err(DescriptorFileError::Cbor(_))));
    }

    #[test]
    fn overlapping_ranges_are_refused_by_name() {
        let mut json: DescriptorJson = serde_json::from_str(
            r#"{"role": "source", "vendor": "a", "device_api": "b", "device_type": "c",
                "versions": ["1.0-1.5", "1.3-2.0"], "codecs": ["x"]}"#,
        )
        .unwrap();
        assert!(json.encode().unwrap_err().starts_with("versions:"));
        json.versions = vec![RangeJson::Text("2".into())];
        assert!(json.encode().unwrap_err().contains("MAJOR.MINOR"));
    }
}
