//! A host device's descriptor from this host's sysfs: an mdev through the
//! CLI's sysfs reader (`migseal descriptor --sysfs`), a PCI device bound
//! to a vendor variant driver (such as `mlx5_vfio_pci`) from its PCI
//! attributes.
//!
//! A PCI variant device is described as vendor = its PCI vendor id's
//! vendor, device API `vfio-pci`, device type `DRIVER-DEVICEID` (such as
//! `mlx5_vfio_pci-0x101e`), with versions, codecs and features from the
//! proposed `migseal/{versions,codecs,features}` attributes of the PCI
//! device directory, else from the settings file.

use std::fs;
use std::path::{Path, PathBuf};

use super::address::{Address, Kind};
use super::config::Config;
use crate::descriptor_file::{DescriptorJson, RangeJson, RoleJson};
use crate::error::{Failure, Result};
use crate::sysfs;

/// The driver name of plain VFIO PCI, which has no migration support.
const PLAIN_VFIO_PCI: &str = "vfio-pci";

/// What sysfs says about a device.
#[derive(Debug)]
pub enum Lookup {
    /// The device, described.
    Found(Described),
    /// No such device under the sysfs root.
    Missing(PathBuf),
    /// The device exists but cannot migrate its state (why, and what to do).
    NotMigratable(String),
}

/// A described device.
#[derive(Debug)]
pub struct Described {
    /// Its sysfs directory.
    pub dir: PathBuf,
    /// Its descriptor, canonical CBOR.
    pub cbor: Vec<u8>,
}

/// Looks up the device at `address` under the sysfs `root` and builds its
/// descriptor (a source descriptor when `source`).
///
/// # Errors
///
/// The device exists but sysfs and the settings do not say enough to
/// describe it (exit 4, saying what to add), or I/O (3).
pub fn describe(root: &Path, address: &Address, config: &Config, source: bool) -> Result<Lookup> {
    let dir = address.sysfs_dir(root);
    if fs::symlink_metadata(&dir).is_err() {
        return Ok(Lookup::Missing(dir));
    }
    let json = match address.kind {
        Kind::Mdev => {
            let device_type = fs::canonicalize(dir.join("mdev_type"))
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_default();
            let overrides = config.overrides(&device_type, source);
            sysfs::read(&dir, &overrides)
                .map_err(|f| {
                    if f.message.contains(": pass --") {
                        let message = format!(
                            "{} (for migseal libvirt: set it for {device_type:?} under \"devices\" in the settings file, {})",
                            f.message,
                            super::config::DEFAULT_CONFIG
                        );
                        Failure { message, ..f }
                    } else {
                        f
                    }
                })?
                .descriptor
        }
        Kind::Pci => match pci(&dir, config, source)? {
            Ok(json) => json,
            Err(why) => return Ok(Lookup::NotMigratable(why)),
        },
    };
    let cbor = json.encode().map_err(|e| Failure::input(format!("{} (from sysfs): {e}", dir.display())))?;
    Ok(Lookup::Found(Described { dir, cbor }))
}

fn attr(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(s) => Ok(Some(s.trim().to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Failure::io(path, "read the sysfs attribute", &e)),
    }
}

fn lines(path: &Path) -> Result<Vec<String>> {
    Ok(attr(path)?
        .map(|t| {
            t.lines()
                .map(|l| l.split('#').next().unwrap_or("").trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default())
}

/// The descriptor of a PCI device bound to a variant driver, or why it
/// cannot migrate.
fn pci(dir: &Path, config: &Config, source: bool) -> Result<std::result::Result<DescriptorJson, String>> {
    let driver = fs::read_link(dir.join("driver"))
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    let Some(driver) = driver else {
        return Ok(Err(format!(
            "{} is bound to no driver: bind its vendor's VFIO variant driver (such as mlx5_vfio_pci)",
            dir.display()
        )));
    };
    if driver == PLAIN_VFIO_PCI {
        return Ok(Err(format!(
            "{} is bound to plain vfio-pci, which cannot migrate device state: bind its vendor's VFIO variant driver",
            dir.display()
        )));
    }
    let device_id = attr(&dir.join("device"))?.unwrap_or_default();
    let device_type = format!("{driver}-{}", device_id.to_ascii_lowercase());
    let d = config.devices.get(&device_type).cloned().unwrap_or_default();
    let pci_vendor = attr(&dir.join("vendor"))?;
    let vendor = match (d.vendor, pci_vendor.as_deref().and_then(sysfs::vendor_of_pci)) {
        (Some(v), _) => v,
        (None, Some(v)) => v.to_owned(),
        (None, None) => {
            return Err(Failure::input(format!(
                "{}: cannot tell the vendor of PCI vendor id {}: set \"vendor\" for {device_type:?} in the settings file",
                dir.display(),
                pci_vendor.as_deref().unwrap_or("(none)")
            )));
        }
    };
    let pick = |file: &str, set: Vec<String>| -> Result<Vec<String>> {
        let from_sysfs = lines(&dir.join("migseal").join(file))?;
        Ok(if from_sysfs.is_empty() { set } else { from_sysfs })
    };
    let versions = pick("versions", d.versions)?;
    let codecs = pick("codecs", d.codecs)?;
    let features = pick("features", d.features)?;
    if versions.is_empty() || codecs.is_empty() {
        return Err(Failure::input(format!(
            "{}: sysfs does not say which state versions and codecs {device_type} has (no migseal/versions, migseal/codecs): \
             set \"versions\" and \"codecs\" for {device_type:?} in the settings file",
            dir.display()
        )));
    }
    Ok(Ok(DescriptorJson {
        role: if source { RoleJson::Source } else { RoleJson::Destination },
        vendor,
        device_api: "vfio-pci".into(),
        device_type,
        versions: versions.into_iter().map(RangeJson::Text).collect(),
        features,
        config: None,
        codecs,
    }))
}
