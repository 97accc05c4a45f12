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

/// Where reports go: stdout, or stderr when stdout carries data (an
/// image, a payload, a descriptor), so no report byte is ever appended to
/// data. Writing a report can fail (a closed pipe, a full disk): that is
/// an I/O failure (exit 3), never a panic.
#[derive(Clone, Copy, Debug)]
pub struct Sink {
    /// `--json`: one JSON object instead of text.
    pub json: bool,
    /// Reports go to stderr because stdout carries data.
    pub to_stderr: bool,
}

impl Sink {
    /// Writes `text` (a newline is added when it lacks one) and flushes.
    ///
    /// # Errors
    ///
    /// The write failed (exit 3).
    pub fn emit(&self, text: &str) -> crate::error::Result<()> {
        use std::io::Write;
        let newline = if text.ends_with('\n') { "" } else { "\n" };
        let (name, result) = if self.to_stderr {
            let mut e = std::io::stderr().lock();
            (
                "<stderr>",
                e.write_all(text.as_bytes())
                    .and_then(|()| e.write_all(newline.as_bytes()))
                    .and_then(|()| e.flush()),
            )
        } else {
            let mut o = std::io::stdout().lock();
            (
                "<stdout>",
                o.write_all(text.as_bytes())
                    .and_then(|()| o.write_all(newline.as_bytes()))
                    .and_then(|()| o.flush()),
            )
        };
        result
            .map_err(|e| crate::error::Failure::io(std::path::Path::new(name), "write the report to it", &e))
    }

    /// Writes one JSON value on its own line.
    ///
    /// # Errors
    ///
    /// As [`Sink::emit`].
    pub fn emit_json(&self, value: &serde_json::Value) -> crate::error::Result<()> {
        self.emit(&value.to_string())
    }
}
