//! The device descriptor: what a source can emit or what a destination
//! accepts (spec §6). The compatibility check in the verifier crate
//! compares two of them, or a header against one.

use super::config::ShellConfig;
use super::header::{DeviceIdentity, Header};
use super::lists::{IdentList, VersionRanges};
use super::version::VersionRange;
use super::{
    FORMAT_VERSION, MAX_CODECS, MAX_FEATURES, MAX_VERSION_RANGES, descriptor_key as key, first_missing,
    key_bit, key_set,
};
use crate::cbor::{Encoder, MapKeys, Reader, Sink};
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::ident::read_ident;

/// Which side a descriptor describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// A source: the versions it can emit, the features its state depends
    /// on, the codecs it can write.
    Source,
    /// A destination: the versions it accepts, the features it supports,
    /// the codecs it can decode.
    Destination,
}

impl Role {
    /// The number on the wire.
    #[must_use]
    pub const fn number(self) -> u64 {
        match self {
            Self::Source => 0,
            Self::Destination => 1,
        }
    }
}

/// A device descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Descriptor<'a> {
    /// Source or destination.
    pub role: Role,
    /// Vendor, device API, device type.
    pub identity: DeviceIdentity<'a>,
    /// State versions emitted or accepted (sorted, disjoint, 1–16 ranges).
    pub versions: VersionRanges<'a>,
    /// Features depended on (source) or supported (destination).
    pub features: IdentList<'a>,
    /// Shell-device configuration, when the device has one.
    pub config: Option<ShellConfig<'a>>,
    /// Codecs emitted or decoded (1–8).
    pub codecs: IdentList<'a>,
}

impl<'a> Descriptor<'a> {
    /// The source view of an image header: exactly its version, its
    /// features, its config and its codec. This is what the verifier hands
    /// to the compatibility check at restore time.
    #[must_use]
    pub fn from_header(header: &Header<'a>) -> Self {
        Self {
            role: Role::Source,
            identity: header.identity,
            versions: VersionRanges::single(VersionRange::exactly(header.state_version)),
            features: header.features,
            config: header.config,
            codecs: IdentList::single(header.codec),
        }
    }

    /// Decodes a descriptor that occupies all of `bytes`.
    ///
    /// # Errors
    ///
    /// Any canonical-CBOR refusal, [`ErrorCode::MissingField`],
    /// [`ErrorCode::UnknownField`], [`ErrorCode::UnsupportedFormatVersion`],
    /// [`ErrorCode::InvalidDescriptor`] for an unknown role, no codec or no
    /// version range,
    /// or a field-level refusal.
    pub fn decode(bytes: &'a [u8]) -> Result<Self> {
        Reader::read_all(bytes, Self::decode_map)
    }

    fn decode_map(r: &mut Reader<'a>) -> Result<Self> {
        let map_at = r.offset();
        let pairs = r.read_map(9).map_err(|e| e.in_field("descriptor"))?;
        let mut keys = MapKeys::new();
        let (mut vendor, mut device_api, mut device_type) = (None, None, None);
        let (mut versions, mut features, mut config, mut codecs, mut role) = (None, None, None, None, None);
        let mut seen = 0u64;
        let missing = |k: u64| {
            Error::new(ErrorCode::MissingField, map_at).with_detail(Detail::Key(k)).in_field(field_name(k))
        };
        for _ in 0..pairs {
            let key_at = r.offset();
            let k = keys.next(r).map_err(|e| e.in_field("descriptor key"))?;
            if let Some(m) = first_missing(REQUIRED_KEYS, seen, k) {
                return Err(missing(m));
            }
            seen |= key_bit(k);
            match k {
                key::FORMAT_VERSION => {
                    r.read_int_eq(FORMAT_VERSION, ErrorCode::UnsupportedFormatVersion)
                        .map_err(|e| e.in_field("descriptor.format-version"))?;
                }
                key::VENDOR => vendor = Some(read_ident(r).map_err(|e| e.in_field("descriptor.vendor"))?),
                key::DEVICE_API => {
                    device_api = Some(read_ident(r).map_err(|e| e.in_field("descriptor.device-api"))?);
                }
                key::DEVICE_TYPE => {
                    device_type = Some(read_ident(r).map_err(|e| e.in_field("descriptor.device-type"))?);
                }
                key::VERSIONS => {
                    versions = Some(
                        VersionRanges::decode(r, MAX_VERSION_RANGES)
                            .map_err(|e| e.in_field("descriptor.versions"))?,
                    );
                }
                key::FEATURES => {
                    features = Some(
                        IdentList::decode(r, MAX_FEATURES).map_err(|e| e.in_field("descriptor.features"))?,
                    );
                }
                key::CONFIG => {
                    config = Some(ShellConfig::decode(r).map_err(|e| e.in_field("descriptor.config"))?)
                }
                key::CODECS => {
                    let at = r.offset();
                    let list =
                        IdentList::decode(r, MAX_CODECS).map_err(|e| e.in_field("descriptor.codecs"))?;
                    if list.is_empty() {
                        return Err(
                            Error::new(ErrorCode::InvalidDescriptor, at).in_field("descriptor.codecs")
                        );
                    }
                    codecs = Some(list);
                }
                key::ROLE => {
                    let at = r.offset();
                    role = Some(match r.read_uint(u64::MAX).map_err(|e| e.in_field("descriptor.role"))? {
                        0 => Role::Source,
                        1 => Role::Destination,
                        other => {
                            return Err(Error::new(ErrorCode::InvalidDescriptor, at)
                                .with_detail(Detail::Value { expected: 1, found: other })
                                .in_field("descriptor.role"));
                        }
                    });
                }
                other => {
                    return Err(Error::new(ErrorCode::UnknownField, key_at)
                        .with_detail(Detail::Key(other))
                        .in_field("descriptor"));
                }
            }
        }
        // Missing keys: the lowest first (the map has ended).
        if let Some(m) = first_missing(REQUIRED_KEYS, seen, u64::MAX) {
            return Err(missing(m));
        }
        Ok(Self {
            role: role.ok_or_else(|| missing(key::ROLE))?,
            identity: DeviceIdentity {
                vendor: vendor.ok_or_else(|| missing(key::VENDOR))?,
                device_api: device_api.ok_or_else(|| missing(key::DEVICE_API))?,
                device_type: device_type.ok_or_else(|| missing(key::DEVICE_TYPE))?,
            },
            versions: versions.ok_or_else(|| missing(key::VERSIONS))?,
            features: features.ok_or_else(|| missing(key::FEATURES))?,
            config,
            codecs: codecs.ok_or_else(|| missing(key::CODECS))?,
        })
    }

    /// Writes the descriptor's canonical encoding.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::InvalidDescriptor`] for an empty codec list; whatever
    /// the encoder refuses.
    pub fn encode<S: Sink>(&self, e: &mut Encoder<S>) -> Result<()> {
        if self.codecs.is_empty() {
            return Err(Error::new(ErrorCode::InvalidDescriptor, 0).in_field("descriptor.codecs"));
        }
        e.map(8u64.saturating_add(u64::from(self.config.is_some())))?;
        e.uint(key::FORMAT_VERSION)?.int(FORMAT_VERSION)?;
        e.uint(key::VENDOR)?.text(self.identity.vendor.as_str())?;
        e.uint(key::DEVICE_API)?.text(self.identity.device_api.as_str())?;
        e.uint(key::DEVICE_TYPE)?.text(self.identity.device_type.as_str())?;
        e.uint(key::VERSIONS)?;
        self.versions.encode(e)?;
        e.uint(key::FEATURES)?;
        self.features.encode(e)?;
        if let Some(config) = &self.config {
            e.uint(key::CONFIG)?;
            config.encode(e)?;
        }
        e.uint(key::CODECS)?;
        self.codecs.encode(e)?;
        e.uint(key::ROLE)?.uint(self.role.number())?;
        Ok(())
    }
}
/// The descriptor's REQUIRED keys, as a set of [`key_bit`]s.
const REQUIRED_KEYS: u64 = key_set(&[
    key::FORMAT_VERSION,
    key::VENDOR,
    key::DEVICE_API,
    key::DEVICE_TYPE,
    key::VERSIONS,
    key::FEATURES,
    key::CODECS,
    key::ROLE,
]);

/// The field a descriptor key names, for errors.
const fn field_name(k: u64) -> &'static str {
    match k {
        key::FORMAT_VERSION => "descriptor.format-version",
        key::VENDOR => "descriptor.vendor",
        key::DEVICE_API => "descriptor.device-api",
        key::DEVICE_TYPE => "descriptor.device-type",
        key::VERSIONS => "descriptor.versions",
        key::FEATURES => "descriptor.features",
        key::CODECS => "descriptor.codecs",
        key::ROLE => "descriptor.role",
        _ => "descriptor",
    }
}
