//! A destination descriptor from a host's sysfs view of a mediated device.
//!
//! The directory is the mdev device as the kernel shows it,
//! `/sys/bus/mdev/devices/<uuid>` (a link into the parent device's
//! directory). What is read (Documentation/ABI/testing/sysfs-bus-vfio-mdev,
//! Documentation/arch/s390/vfio-ap.rst):
//!
//! ```text
//! <dir>/mdev_type                  link to <parent>/mdev_supported_types/<type-id>;
//!                                  <type-id> is the device type ("mtty-2", "nvidia-35",
//!                                  "vfio_ap-passthrough"); its prefix before the first
//!                                  '-' is the parent driver's name
//! <dir>/mdev_type/device_api       mandatory: vfio-pci, vfio-ccw, vfio-ap, ...
//! <dir>/mdev_type/name             optional: a human name (reported, not encoded)
//! <dir>/mdev_type/description      optional (reported)
//! <dir>/mdev_type/available_instances   mandatory in the ABI (reported)
//! <dir>/../vendor                  the parent's PCI vendor id (0x10de, ...), when it is a PCI device
//! <dir>/matrix                     vfio-ap only: "AA.DDDD" lines (adapter.domain, hex), "AA." or ".DDDD"
//! <dir>/control_domains            vfio-ap only: "DDDD" lines (hex)
//! <dir>/migseal/versions           optional, proposed vendor attribute: accepted state
//!                                  versions, one "1.0" or "1.0-1.3" per line
//! <dir>/migseal/codecs             optional, proposed: decodable codecs, one per line
//! <dir>/migseal/features           optional, proposed: supported features, one per line
//! ```
//!
//! The vendor comes from the PCI vendor id, else from the parent driver's
//! name (mtty, mdpy, mbochs: linux; vfio_ap, vfio_ccw: ibm; nvidia; i915:
//! intel). For vfio-ap the AP matrix becomes the shell configuration
//! `vfio-ap-matrix`: 96 bytes, the adapter mask (APM), the usage-domain
//! mask (AQM) and the control-domain mask (ADM), 256 bits each, bit n of a
//! mask being bit 7 - n % 8 of byte n / 8 (most significant bit first, as
//! the kernel numbers them). The parsing and the encoding are the reference
//! codec's (`migseal_codecs::vfio_ap`), so a descriptor built here and a
//! state sealed with the codec carry the same bytes for the same matrix.

use std::fs;
use std::path::{Path, PathBuf};

use migseal_codecs::vfio_ap::sysfs;
use serde_json::{Value, json};

use crate::descriptor_file::{ConfigJson, DescriptorJson, RangeJson, RoleJson};
use crate::error::{Failure, Result};

/// Flags that supply what sysfs does not say.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Vendor.
    pub vendor: Option<String>,
    /// Version ranges.
    pub versions: Vec<String>,
    /// Codecs.
    pub codecs: Vec<String>,
    /// Features.
    pub features: Vec<String>,
    /// Source instead of destination.
    pub source: bool,
}

/// The config kind of a vfio-ap matrix.
pub const AP_MATRIX_KIND: &str = migseal_codecs::vfio_ap::KIND;

fn attr(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(s) => Ok(Some(s.trim().to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Failure::io(path, "read the sysfs attribute", &e)),
    }
}

fn required(path: &Path, why: &str) -> Result<String> {
    attr(path)?.ok_or_else(|| Failure::input(format!("{}: missing ({why})", path.display())))
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The vendor a parent driver name stands for.
#[must_use]
pub fn vendor_of_driver(driver: &str) -> Option<&'static str> {
    match driver {
        "mtty" | "mdpy" | "mbochs" => Some("linux"),
        "vfio_ap" | "vfio_ccw" => Some("ibm"),
        "nvidia" => Some("nvidia"),
        "i915" => Some("intel"),
        _ => None,
    }
}

/// The vendor a PCI vendor id stands for.
#[must_use]
pub fn vendor_of_pci(id: &str) -> Option<&'static str> {
    match id.trim().to_ascii_lowercase().as_str() {
        "0x10de" => Some("nvidia"),
        "0x8086" => Some("intel"),
        "0x1002" => Some("amd"),
        "0x1af4" => Some("virtio"),
        "0x15b3" => Some("mellanox"),
        "0x19e5" => Some("huawei"),
        _ => None,
    }
}

/// Parses the vfio-ap `matrix` and `control_domains` attributes into the
/// 96-byte `vfio-ap-matrix` configuration, with the reference codec's
/// parser (`migseal_codecs::vfio_ap::sysfs`): the text must be what the
/// kernel prints, and the encoding is canonical (equal matrices, equal
/// bytes).
///
/// # Errors
///
/// A line that is not `AA.DDDD`, `AA.`, `.DDDD` (matrix) or `DDDD`, an id
/// above 255, or a listing that is not the kernel's cross product; the
/// message names the file, line and column.
pub fn ap_matrix(matrix: &str, control: &str, matrix_path: &Path, control_path: &Path) -> Result<Vec<u8>> {
    let mut m = sysfs::parse_matrix(matrix).map_err(|e| text_failure(matrix_path, matrix, &e))?;
    sysfs::parse_control_domains(control, &mut m).map_err(|e| text_failure(control_path, control, &e))?;
    Ok(m.to_bytes().to_vec())
}

/// `file:line:column: error ...` for an error at a byte offset of `text`.
fn text_failure(path: &Path, text: &str, e: &migseal_codecs::Error) -> Failure {
    let at = usize::try_from(e.offset()).unwrap_or(usize::MAX).min(text.len());
    let before = text.get(..at).unwrap_or("");
    let line = before.matches('\n').count().saturating_add(1);
    let column =
        before.rfind('\n').map_or(at, |nl| at.saturating_sub(nl).saturating_sub(1)).saturating_add(1);
    Failure::input(format!("{}:{line}:{column}: {e}", path.display()))
}

/// What was read, for the report.
pub struct FromSysfs {
    /// The descriptor.
    pub descriptor: DescriptorJson,
    /// What sysfs said, for people.
    pub facts: Value,
}

/// Builds the descriptor of the mdev device at `dir`.
///
/// # Errors
///
/// Missing attributes or a vendor that cannot be told (exit 4), I/O (3).
pub fn read(dir: &Path, o: &Overrides) -> Result<FromSysfs> {
    let dev = fs::canonicalize(dir).map_err(|e| Failure::io(dir, "resolve the device directory", &e))?;
    let type_link = dir.join("mdev_type");
    let type_dir = fs::canonicalize(&type_link).map_err(|e| {
        Failure::input(format!(
            "{}: {e}: not a mediated device directory (expected a link mdev_type -> .../mdev_supported_types/<type-id>)",
            type_link.display()
        ))
    })?;
    let in_supported =
        type_dir.parent().and_then(Path::file_name).is_some_and(|n| n == "mdev_supported_types");
    let type_id = type_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if !in_supported || type_id.is_empty() {
        return Err(Failure::input(format!(
            "{}: resolves to {}, not to .../mdev_supported_types/<type-id>",
            type_link.display(),
            type_dir.display()
        )));
    }
    let device_api =
        required(&type_dir.join("device_api"), "the mdev type's mandatory device_api attribute")?;
    let name = attr(&type_dir.join("name"))?;
    let description = attr(&type_dir.join("description"))?;
    let instances = attr(&type_dir.join("available_instances"))?;
    let parent: PathBuf = dev.parent().map(Path::to_path_buf).unwrap_or_default();
    let pci_vendor = attr(&parent.join("vendor"))?;
    let driver = type_id.split('-').next().unwrap_or("").to_owned();

    let vendor = match (&o.vendor, pci_vendor.as_deref().and_then(vendor_of_pci), vendor_of_driver(&driver)) {
        (Some(v), _, _) => v.clone(),
        (None, Some(v), _) | (None, None, Some(v)) => v.to_owned(),
        (None, None, None) => {
            return Err(Failure::input(format!(
                "{}: cannot tell the vendor (PCI vendor {}, driver {driver:?}): pass --vendor",
                dir.display(),
                pci_vendor.as_deref().unwrap_or("unknown")
            )));
        }
    };

    let config = if device_api == "vfio-ap" {
        let mp = dir.join("matrix");
        let cp = dir.join("control_domains");
        let matrix = required(&mp, "the vfio-ap matrix")?;
        let control = attr(&cp)?.unwrap_or_default();
        Some(ConfigJson {
            kind: AP_MATRIX_KIND.into(),
            data_hex: hex::encode(ap_matrix(&matrix, &control, &mp, &cp)?),
        })
    } else {
        None
    };

    let proposed = |file: &str, flag: &[String]| -> Result<Vec<String>> {
        if !flag.is_empty() {
            return Ok(flag.to_vec());
        }
        Ok(attr(&dir.join("migseal").join(file))?.map(|t| lines(&t)).unwrap_or_default())
    };
    let versions = proposed("versions", &o.versions)?;
    let codecs = proposed("codecs", &o.codecs)?;
    let features = proposed("features", &o.features)?;
    if versions.is_empty() {
        return Err(Failure::input(format!(
            "{}: sysfs does not say which state versions the device accepts (no migseal/versions): pass --version 1.0 or --version 1.0-1.3",
            dir.display()
        )));
    }
    if codecs.is_empty() {
        return Err(Failure::input(format!(
            "{}: sysfs does not say which codecs the device decodes (no migseal/codecs): pass --codec NAME",
            dir.display()
        )));
    }
    let descriptor = DescriptorJson {
        role: if o.source { RoleJson::Source } else { RoleJson::Destination },
        vendor,
        device_api,
        device_type: type_id.clone(),
        versions: versions.into_iter().map(RangeJson::Text).collect(),
        features,
        config,
        codecs,
    };
    let facts = json!({
        "device": dev.display().to_string(),
        "mdev_type": type_dir.display().to_string(),
        "type_id": type_id,
        "name": name,
        "description": description,
        "available_instances": instances,
        "parent": parent.display().to_string(),
        "pci_vendor": pci_vendor,
        "driver": driver,
    });
    Ok(FromSysfs { descriptor, facts })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn matrix_bits_are_msb_first() {
        let p = Path::new("m");
        let bytes = ap_matrix("05.0004\n05.0047\n06.0004\n06.0047\n", "0004\n", p, p).unwrap();
        assert_eq!(bytes.len(), 96);
        assert_eq!(bytes[0], 0b0000_0110); // adapters 5 and 6
        assert_eq!(bytes[32], 0b0000_1000); // domain 4
        assert_eq!(bytes[32 + 8], 0b0000_0001); // domain 0x47 = 71: byte 8, bit 7
        assert_eq!(bytes[64], 0b0000_1000); // control domain 4
        let e = ap_matrix("05.0004\nzz.0004", "", p, p).unwrap_err();
        assert!(e.message.starts_with("m:2:1: error 761 (ap-syntax)"), "{}", e.message);
        let e = ap_matrix("100.", "", p, p).unwrap_err();
        assert!(e.message.contains("error 761"), "{}", e.message);
        let e = ap_matrix("05.0100", "", p, p).unwrap_err();
        assert!(e.message.starts_with("m:1:4: error 762 (ap-id-out-of-range)"), "{}", e.message);
        // Not the kernel's listing: a pair of the cross product missing.
        assert!(ap_matrix("05.0004\n06.0047\n", "", p, p).is_err());
        assert_eq!(ap_matrix("05.\n", "", p, p).unwrap()[0], 0b0000_0100);
    }
}
