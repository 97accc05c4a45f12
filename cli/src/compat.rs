//! `migseal compat`: the compatibility check libvirt runs during the
//! migration handshake, on two descriptor files.

use std::path::Path;

use migseal_format::envelope::{Descriptor, Role};
use migseal_verifier::compat;
use serde_json::json;

use crate::descriptor_file::{self, identity_line, versions_line};
use crate::error::{Exit, Failure, Result};

fn role(r: Role) -> &'static str {
    match r {
        Role::Source => "source",
        Role::Destination => "destination",
    }
}

/// Runs `compat`: exit 0 when compatible, 13 when not.
///
/// # Errors
///
/// Unreadable or malformed descriptors.
pub fn run(source: &Path, destination: &Path, sink: crate::report::Sink) -> Result<Exit> {
    let src_bytes = descriptor_file::load(source)?;
    let dst_bytes = descriptor_file::load(destination)?;
    let named = |path: &Path| path.display().to_string();
    let src = Descriptor::decode(&src_bytes).map_err(|e| Failure::format(&e, Some(&named(source))))?;
    let dst = Descriptor::decode(&dst_bytes).map_err(|e| Failure::format(&e, Some(&named(destination))))?;
    let c = compat::check(&src, &dst);
    let reasons: Vec<_> = c.reasons().collect();
    let exit = if c.is_compatible() { Exit::Success } else { Exit::Incompatible };
    if sink.json {
        let value = json!({
            "verdict": if c.is_compatible() { "compatible" } else { "incompatible" },
            "exit": exit.code(),
            "source": source.display().to_string(),
            "destination": destination.display().to_string(),
            "chosen_version": c.chosen_version().map(|v| v.to_string()),
            "reason_count": c.total(),
            "reasons": reasons.iter().map(|r| json!({
                "code": r.code().code(),
                "name": r.code().name(),
                "message": r.to_string(),
            })).collect::<Vec<_>>(),
        });
        sink.emit_json(&value)?;
        return Ok(exit);
    }
    let describe = |d: &Descriptor<'_>, path: &Path| {
        format!(
            "{:<11} {}  versions {}  codecs {}  ({})",
            role(d.role),
            identity_line(d),
            versions_line(d),
            d.codecs.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
            path.display()
        )
    };
    let mut s = String::new();
    if c.is_compatible() {
        s.push_str("COMPATIBLE\n");
    } else {
        s.push_str(&format!(
            "INCOMPATIBLE: {} (exit 13)\n",
            match c.total() {
                1 => "1 reason".to_owned(),
                n => format!("{n} reasons"),
            }
        ));
    }
    s.push_str(&format!("  {}\n  {}\n", describe(&src, source), describe(&dst, destination)));
    for r in &reasons {
        s.push_str(&format!("  error {} ({}): {r}\n", r.code().code(), r.code().name()));
    }
    if c.total() > reasons.len() {
        s.push_str(&format!("  ... and {} more\n", c.total().saturating_sub(reasons.len())));
    }
    match c.chosen_version() {
        Some(v) if c.is_compatible() => {
            s.push_str(&format!("  state version {v} will be used: the highest both sides support\n"));
        }
        Some(v) => s.push_str(&format!("  (both sides support state version {v})\n")),
        None => {}
    }
    sink.emit(&s)?;
    Ok(exit)
}
