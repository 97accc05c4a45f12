//! The words the hook and the annotate command print about a device: the
//! same lines as `migseal compat` (its `source`/`destination` lines and
//! `error CODE (NAME): reason` lines), under a heading that names the
//! device.

use migseal_format::envelope::{Descriptor, Role};
use migseal_verifier::compat::Compatibility;

use crate::descriptor_file::{identity_line, versions_line};

/// `source      vendor / api / type  versions ..  codecs ..  (origin)`,
/// as `migseal compat` prints it.
#[must_use]
pub fn describe(d: &Descriptor<'_>, origin: &str) -> String {
    format!(
        "{:<11} {}  versions {}  codecs {}  ({origin})",
        match d.role {
            Role::Source => "source",
            Role::Destination => "destination",
        },
        identity_line(d),
        versions_line(d),
        d.codecs.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
    )
}

/// The block for an incompatible device: heading, both descriptors, every
/// reason (with the surplus counted, as `migseal compat` does).
#[must_use]
pub fn incompatible(
    device: &str,
    c: &Compatibility<'_>,
    source: (&Descriptor<'_>, &str),
    destination: (&Descriptor<'_>, &str),
) -> String {
    let mut s = format!(
        "device {device}: INCOMPATIBLE: {}\n",
        match c.total() {
            1 => "1 reason".to_owned(),
            n => format!("{n} reasons"),
        }
    );
    s.push_str(&format!(
        "  {}\n  {}\n",
        describe(source.0, source.1),
        describe(destination.0, destination.1)
    ));
    let mut listed = 0usize;
    for r in c.reasons() {
        s.push_str(&format!("  error {} ({}): {r}\n", r.code().code(), r.code().name()));
        listed = listed.saturating_add(1);
    }
    if c.total() > listed {
        s.push_str(&format!("  ... and {} more\n", c.total().saturating_sub(listed)));
    }
    s
}
