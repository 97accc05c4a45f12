//! Device descriptors on disk: canonical CBOR (what the verifier reads),
//! or the human-editable JSON form ([`migseal::descriptor_json`]) that the
//! CLI converts to it.

use std::path::Path;

use migseal_format::envelope::Descriptor;

use crate::error::{Failure, Result};
use crate::files;

pub use migseal::descriptor_json::{
    ConfigJson, DescriptorJson, RangeJson, RoleJson, looks_like_json, parse_range, parse_version,
};

/// Parses JSON text into `T`, naming the file, line and column on failure.
///
/// # Errors
///
/// Exit 4 with `path:line:column: message`.
pub fn parse_json<T: serde::de::DeserializeOwned>(path: &Path, text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| json_failure(path, &e, what))
}

/// The failure for a JSON error in `path`.
#[must_use]
pub fn json_failure(path: &Path, e: &serde_json::Error, what: &str) -> Failure {
    Failure::input(format!("{}:{}:{}: not a valid {what}: {e}", path.display(), e.line(), e.column()))
}

/// Reads a descriptor file (canonical CBOR or JSON) and returns its
/// canonical CBOR bytes, validated.
///
/// # Errors
///
/// I/O (3), JSON (4), or the decoder's code (10 / 13 ...).
pub fn load(path: &Path) -> Result<Vec<u8>> {
    let bytes = files::read_small(path)?;
    let cbor = if looks_like_json(&bytes) {
        let text = String::from_utf8(bytes)
            .map_err(|e| Failure::input(format!("{}: not UTF-8 text: {e}", path.display())))?;
        let json: DescriptorJson = parse_json(path, &text, "descriptor")?;
        json.encode().map_err(|e| Failure::input(format!("{}: {e}", path.display())))?
    } else {
        bytes
    };
    Descriptor::decode(&cbor).map_err(|e| Failure::format(&e, Some(&path.display().to_string())))?;
    Ok(cbor)
}

/// A descriptor's identity as `vendor / api / type`.
#[must_use]
pub fn identity_line(d: &Descriptor<'_>) -> String {
    format!("{} / {} / {}", d.identity.vendor, d.identity.device_api, d.identity.device_type)
}

/// A descriptor's version ranges as `1.0, 2.0..2.3`.
#[must_use]
pub fn versions_line(d: &Descriptor<'_>) -> String {
    d.versions
        .iter()
        .map(|r| if r.min == r.max { r.min.to_string() } else { format!("{}..{}", r.min, r.max) })
        .collect::<Vec<_>>()
        .join(", ")
}
