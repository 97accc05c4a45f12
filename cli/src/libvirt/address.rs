//! Device addresses as libvirt writes them in a `<hostdev>` and as they
//! name a device directory in sysfs: an mdev UUID, or a PCI address
//! `DDDD:BB:SS.F`. Both are validated before they become part of a path,
//! so a crafted domain XML cannot point the hook outside the sysfs root.

use std::fmt;
use std::path::{Path, PathBuf};

/// What kind of host device an address names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A mediated device (`<hostdev type='mdev'>`), named by its UUID.
    Mdev,
    /// A PCI device (`<hostdev type='pci'>`), named by its address.
    Pci,
}

impl Kind {
    /// The `type` attribute value (the same word libvirt uses).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Mdev => "mdev",
            Self::Pci => "pci",
        }
    }

    /// The kind a `type` attribute names.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "mdev" => Some(Self::Mdev),
            "pci" => Some(Self::Pci),
            _ => None,
        }
    }
}

/// A validated device address: the kind and its canonical text
/// (lower-case UUID, or `dddd:bb:ss.f` in lower-case hex).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Address {
    /// Mdev or PCI.
    pub kind: Kind,
    /// The canonical text.
    pub text: String,
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.as_str(), self.text)
    }
}

impl Address {
    /// Parses the canonical text of an address of `kind`.
    ///
    /// # Errors
    ///
    /// A text that is not a UUID (mdev) or `DDDD:BB:SS.F` (PCI), with the
    /// expected form.
    pub fn parse(kind: Kind, text: &str) -> Result<Self, String> {
        let ok = match kind {
            Kind::Mdev => is_uuid(text),
            Kind::Pci => is_pci(text),
        };
        if ok {
            Ok(Self { kind, text: text.to_ascii_lowercase() })
        } else {
            Err(match kind {
                Kind::Mdev => format!("{text:?} is not an mdev UUID (8-4-4-4-12 hex digits)"),
                Kind::Pci => format!("{text:?} is not a PCI address (DDDD:BB:SS.F, hex)"),
            })
        }
    }

    /// A PCI address from the four attributes of libvirt's `<address>`
    /// element, read the way libvirt reads them (base 0: `0x` hex, a
    /// leading `0` octal, else decimal).
    ///
    /// # Errors
    ///
    /// A value that is not a number or out of range.
    pub fn pci(domain: &str, bus: &str, slot: &str, function: &str) -> Result<Self, String> {
        let d = base0(domain, 0xffff, "domain")?;
        let b = base0(bus, 0xff, "bus")?;
        let s = base0(slot, 0x1f, "slot")?;
        let f = base0(function, 7, "function")?;
        Ok(Self { kind: Kind::Pci, text: format!("{d:04x}:{b:02x}:{s:02x}.{f:x}") })
    }

    /// The device's directory under a sysfs root:
    /// `ROOT/bus/mdev/devices/UUID` or `ROOT/bus/pci/devices/ADDR`.
    #[must_use]
    pub fn sysfs_dir(&self, root: &Path) -> PathBuf {
        let bus = match self.kind {
            Kind::Mdev => "mdev",
            Kind::Pci => "pci",
        };
        root.join("bus").join(bus).join("devices").join(&self.text)
    }
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8usize, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_pci(text: &str) -> bool {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let Some((dbs, f)) = text.split_once('.') else { return false };
    let parts: Vec<&str> = dbs.split(':').collect();
    matches!(parts.as_slice(), [d, b, s] if hex(d, 4) && hex(b, 2) && hex(s, 2)) && hex(f, 1)
}

fn base0(text: &str, max: u32, what: &str) -> Result<u32, String> {
    let t = text.trim();
    let parsed = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u32::from_str_radix(h, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        u32::from_str_radix(t.get(1..).unwrap_or(""), 8)
    } else {
        t.parse()
    };
    match parsed {
        Ok(v) if v <= max => Ok(v),
        _ => Err(format!("PCI {what} {text:?} is not a number from 0 to {max:#x}")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_validated_before_they_become_paths() {
        assert!(Address::parse(Kind::Mdev, "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001").is_ok());
        assert!(Address::parse(Kind::Mdev, "../../../etc/passwd").is_err());
        assert!(Address::parse(Kind::Mdev, "83b8f4f2-509f-382f-3c1e-e6bfe0fa100/").is_err());
        assert!(Address::parse(Kind::Pci, "0000:00:03.0").is_ok());
        assert!(Address::parse(Kind::Pci, "0000:00:03.0/..").is_err());
        assert_eq!(Address::pci("0x0000", "0x00", "0x03", "0x0").unwrap().text, "0000:00:03.0");
        assert_eq!(Address::pci("0", "10", "011", "0x7").unwrap().text, "0000:0a:09.7");
        assert!(Address::pci("0", "0", "0x20", "0").is_err());
        assert_eq!(
            Address::parse(Kind::Mdev, "83B8F4F2-509F-382F-3C1E-E6BFE0FA1001").unwrap().text,
            "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"
        );
    }
}
