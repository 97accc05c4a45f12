//! Shared output pieces: header fields as JSON and as lines for people.

use migseal_format::envelope::Header;

pub use migseal::report_json::header_json;

/// A header's fields as aligned `label  value` lines, indented by two.
#[must_use]
pub fn header_lines(h: &Header<'_>) -> Vec<(String, String)> {
    let features: Vec<&str> = h.features.iter().map(|f| f.as_str()).collect();
    let mut lines = vec![
        (
            "device".to_owned(),
            format!("{} / {} / {}", h.identity.vendor, h.identity.device_api, h.identity.device_type),
        ),
        (
            "state".to_owned(),
            format!(
                "version {}, codec {}, security version {}",
                h.state_version, h.codec, h.security_version
            ),
        ),
        ("features".to_owned(), if features.is_empty() { "(none)".to_owned() } else { features.join(", ") }),
    ];
    if let Some(c) = h.config {
        lines.push((
            "config".into(),
            format!("{}, {} bytes, sha256:{}", c.kind, c.data.len(), short_digest(c.data)),
        ));
    }
    if let Some(s) = h.session {
        lines.push(("session".into(), hex::encode(s.as_bytes())));
    }
    if let Some(s) = h.subject {
        lines.push(("subject".into(), s.as_str().to_owned()));
    }
    lines.push(("key id".into(), hex::encode(h.key_id)));
    lines
}

fn short_digest(data: &[u8]) -> String {
    use migseal_verifier::{Crypto, Dalek};
    let d = Dalek.digest(&[data]);
    hex::encode(d.get(..8).unwrap_or(&[]))
}

/// Formats `(label, value)` lines with the values aligned.
#[must_use]
pub fn aligned(lines: &[(String, String)], indent: usize) -> String {
    let width = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (label, value) in lines {
        out.push_str(&format!("{:indent$}{label:<width$}  {value}\n", ""));
    }
    out
}

/// `n` with its unit, singular or plural.
#[must_use]
pub fn count(n: u64, unit: &str) -> String {
    if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") }
}
