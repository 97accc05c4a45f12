//! The JSON shapes of machine-readable results that more than one front
//! end prints: the CLI's `--json` output and the WASM package's result
//! objects are the same objects, so a tool can move between them.

use migseal_format::envelope::Header;
use serde_json::{Value, json};

/// A header's fields as JSON: identity, state version (`"1.0"`), features,
/// config (`{kind, data_hex}` or null), codec, security version, session
/// (hex or null), subject (or null) and key id (hex).
#[must_use]
pub fn header_json(h: &Header<'_>) -> Value {
    json!({
        "vendor": h.identity.vendor.as_str(),
        "device_api": h.identity.device_api.as_str(),
        "device_type": h.identity.device_type.as_str(),
        "state_version": h.state_version.to_string(),
        "features": h.features.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "config": h.config.map(|c| json!({"kind": c.kind.as_str(), "data_hex": hex::encode(c.data)})),
        "codec": h.codec.as_str(),
        "security_version": h.security_version,
        "session": h.session.map(|s| hex::encode(s.as_bytes())),
        "subject": h.subject.map(|s| s.as_str()),
        "key_id": hex::encode(h.key_id),
    })
}
