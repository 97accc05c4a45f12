//! The host's migseal settings for libvirt: whether the hook demands
//! metadata, and what sysfs does not say about a device type (versions,
//! codecs, features, vendor), for drivers that do not yet export the
//! proposed `migseal/*` attributes.
//!
//! ```json
//! {
//!   "require_metadata": true,
//!   "devices": {
//!     "vfio_ap-passthrough": {"versions": ["1.0"], "codecs": ["vfio-ap-matrix"]}
//!   }
//! }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::descriptor_file::parse_json;
use crate::error::{Failure, Result};
use crate::sysfs::Overrides;

/// Where the settings are read from when neither `--config` nor
/// [`CONFIG_ENV`] names a file.
pub const DEFAULT_CONFIG: &str = "/etc/migseal/libvirt.json";
/// The environment variable that names the settings file.
pub const CONFIG_ENV: &str = "MIGSEAL_LIBVIRT_CONFIG";
/// The environment variable that names the sysfs root.
pub const SYSFS_ENV: &str = "MIGSEAL_SYSFS_ROOT";

/// The settings file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Refuse an incoming domain that has host devices but no migseal
    /// metadata (or a device without its entry).
    #[serde(default)]
    pub require_metadata: bool,
    /// What to assume per device type (the mdev type id, or
    /// `DRIVER-DEVICEID` of a PCI variant driver).
    #[serde(default)]
    pub devices: BTreeMap<String, DeviceDefaults>,
}

/// What to assume for one device type when sysfs does not say it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceDefaults {
    /// The vendor.
    pub vendor: Option<String>,
    /// State version ranges, `"1.0"` or `"1.0-1.3"`.
    #[serde(default)]
    pub versions: Vec<String>,
    /// Codecs.
    #[serde(default)]
    pub codecs: Vec<String>,
    /// Features.
    #[serde(default)]
    pub features: Vec<String>,
}

impl Config {
    /// The overrides for a device type, as a source or a destination.
    #[must_use]
    pub fn overrides(&self, device_type: &str, source: bool) -> Overrides {
        let d = self.devices.get(device_type).cloned().unwrap_or_default();
        Overrides { vendor: d.vendor, versions: d.versions, codecs: d.codecs, features: d.features, source }
    }
}

/// Loads the settings: `flag`, else the file [`CONFIG_ENV`] names, else
/// [`DEFAULT_CONFIG`] when it exists, else the defaults.
///
/// # Errors
///
/// A named file that cannot be read (exit 3) or is not valid (4, with
/// line and column).
pub fn load(flag: Option<&Path>) -> Result<Config> {
    let named = flag.map(Path::to_path_buf).or_else(|| std::env::var_os(CONFIG_ENV).map(PathBuf::from));
    let path = match named {
        Some(p) => p,
        None if Path::new(DEFAULT_CONFIG).exists() => PathBuf::from(DEFAULT_CONFIG),
        None => return Ok(Config::default()),
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::io(&path, "read the migseal libvirt settings", &e))?;
    parse_json(&path, &text, "migseal libvirt settings file")
}

/// The sysfs root: `flag`, else [`SYSFS_ENV`], else `/sys`.
#[must_use]
pub fn sysfs_root(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| std::env::var_os(SYSFS_ENV).filter(|v| !v.is_empty()).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/sys"))
}
