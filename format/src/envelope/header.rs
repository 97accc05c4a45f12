//! The header record: who produced the state, for which device, in which
//! version, under which key, for which session and VM.

use super::config::ShellConfig;
use super::lists::IdentList;
use super::version::StateVersion;
use super::{
    FORMAT_VERSION, KEY_ID_LEN, MAX_FEATURES, MAX_NONCE_LEN, MIN_NONCE_LEN, RecordType, first_missing,
    header_key as key, key_bit, key_set,
};
use crate::cbor::{Encoder, MapKeys, Reader, Sink, len_u64};
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::ident::{Ident, Subject, read_ident, read_subject};

/// The three names that say which device a state is for. Equality is byte
/// equality of all three.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeviceIdentity<'a> {
    /// Vendor (`intel`, `nvidia`, `linux`, ...).
    pub vendor: Ident<'a>,
    /// VFIO device API (`vfio-pci`, `vfio-ccw`, `vfio-ap`, ...).
    pub device_api: Ident<'a>,
    /// Device type, such as an mdev type name (`mtty-2`, `nvidia-35`).
    pub device_type: Ident<'a>,
}

/// A key id: SHA-256 over the domain string and the Ed25519 public key
/// (spec §5.5).
pub type KeyId = [u8; KEY_ID_LEN];

/// A session nonce issued by the destination (16–64 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionNonce<'a>(&'a [u8]);

impl<'a> SessionNonce<'a> {
    /// Validates the nonce length.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::InvalidFieldLength`] outside 16–64 bytes.
    pub fn new(bytes: &'a [u8]) -> Result<Self> {
        if !(MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&bytes.len()) {
            return Err(Error::new(ErrorCode::InvalidFieldLength, 0)
                .with_detail(Detail::Limit { limit: len_u64(MAX_NONCE_LEN), found: len_u64(bytes.len()) }));
        }
        Ok(Self(bytes))
    }

    /// The nonce bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// A nonce the decoder already validated. It does not validate.
    pub(crate) const fn validated_by_decoder(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }
}

/// The header record's content (spec §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// Vendor, device API and device type.
    pub identity: DeviceIdentity<'a>,
    /// Version of the vendor state format.
    pub state_version: StateVersion,
    /// Features the state depends on (the destination must have all).
    pub features: IdentList<'a>,
    /// Shell-device configuration that must match the destination's.
    pub config: Option<ShellConfig<'a>>,
    /// Payload codec.
    pub codec: Ident<'a>,
    /// Security version number, for anti-rollback.
    pub security_version: u64,
    /// Session nonce from the destination, against replay.
    pub session: Option<SessionNonce<'a>>,
    /// The VM or instance the state belongs to.
    pub subject: Option<Subject<'a>>,
    /// Id of the signing key.
    pub key_id: KeyId,
}

impl<'a> Header<'a> {
    /// Decodes a complete header record `[0, {...}]` occupying all of
    /// `bytes`; `base` is its offset in the stream.
    ///
    /// # Errors
    ///
    /// Any canonical-CBOR refusal, [`ErrorCode::UnknownRecordType`],
    /// [`ErrorCode::RecordShape`], [`ErrorCode::MissingField`],
    /// [`ErrorCode::UnknownField`], [`ErrorCode::UnsupportedFormatVersion`],
    /// or a field-level refusal, with the field named.
    pub fn decode_record(bytes: &'a [u8], base: u64) -> Result<Self> {
        let mut r = Reader::with_base(bytes, base);
        let header = Self::decode_from(&mut r)?;
        r.finish()?;
        Ok(header)
    }

    /// Decodes the header record at the start of `bytes`, which may go on
    /// past it, and returns it with its length.
    ///
    /// A header this accepts is canonical CBOR throughout: every item of it
    /// was read by a typed read that refuses non-canonical forms. But a
    /// refusal from here is not necessarily the one the spec's precedence
    /// names (§8.6: generic CBOR rules over the whole item come before
    /// field rules); a caller that reports errors runs
    /// [`skip_item`](crate::cbor::skip_item) over the bytes first when
    /// this fails.
    ///
    /// # Errors
    ///
    /// As [`Header::decode_record`], except trailing bytes, and a
    /// truncation error when `bytes` end inside the header.
    pub fn decode_prefix(bytes: &'a [u8], base: u64) -> Result<(Self, usize)> {
        let mut r = Reader::with_base(bytes, base);
        let header = Self::decode_from(&mut r)?;
        Ok((header, r.position()))
    }

    fn decode_from(r: &mut Reader<'a>) -> Result<Self> {
        r.read_array_exact(2, ErrorCode::RecordShape).map_err(|e| e.in_field("header record"))?;
        r.read_int_eq(RecordType::Header.number(), ErrorCode::UnknownRecordType)
            .map_err(|e| e.in_field("record type"))?;
        Self::decode_map(r)
    }

    fn decode_map(r: &mut Reader<'a>) -> Result<Self> {
        let map_at = r.offset();
        let pairs = r.read_map(12).map_err(|e| e.in_field("header"))?;
        let mut keys = MapKeys::new();
        let mut vendor = None;
        let mut device_api = None;
        let mut device_type = None;
        let mut state_version = None;
        let mut features = None;
        let mut config = None;
        let mut codec = None;
        let mut security_version = None;
        let mut session = None;
        let mut subject = None;
        let mut key_id = None;
        let mut format_seen = false;
        let mut seen = 0u64;
        let missing = |k: u64| {
            Error::new(ErrorCode::MissingField, map_at).with_detail(Detail::Key(k)).in_field(field_name(k))
        };

        for _ in 0..pairs {
            let key_at = r.offset();
            let k = keys.next(r).map_err(|e| e.in_field("header key"))?;
            if let Some(m) = first_missing(REQUIRED_KEYS, seen, k) {
                return Err(missing(m));
            }
            seen |= key_bit(k);
            match k {
                key::FORMAT_VERSION => {
                    r.read_int_eq(FORMAT_VERSION, ErrorCode::UnsupportedFormatVersion)
                        .map_err(|e| e.in_field("header.format-version"))?;
                    format_seen = true;
                }
                key::VENDOR => vendor = Some(read_ident(r).map_err(|e| e.in_field("header.vendor"))?),
                key::DEVICE_API => {
                    device_api = Some(read_ident(r).map_err(|e| e.in_field("header.device-api"))?);
                }
                key::DEVICE_TYPE => {
                    device_type = Some(read_ident(r).map_err(|e| e.in_field("header.device-type"))?);
                }
                key::STATE_VERSION => {
                    state_version =
                        Some(StateVersion::decode(r).map_err(|e| e.in_field("header.state-version"))?);
                }
                key::FEATURES => {
                    features =
                        Some(IdentList::decode(r, MAX_FEATURES).map_err(|e| e.in_field("header.features"))?);
                }
                key::CONFIG => {
                    config = Some(ShellConfig::decode(r).map_err(|e| e.in_field("header.config"))?)
                }
                key::CODEC => codec = Some(read_ident(r).map_err(|e| e.in_field("header.codec"))?),
                key::SECURITY_VERSION => {
                    security_version =
                        Some(r.read_uint(u64::MAX).map_err(|e| e.in_field("header.security-version"))?);
                }
                key::SESSION => {
                    let at = r.offset();
                    let bytes = r
                        .read_bytes_in(len_u64(MIN_NONCE_LEN), len_u64(MAX_NONCE_LEN))
                        .map_err(|e| e.in_field("header.session"))?;
                    session =
                        Some(SessionNonce::new(bytes).map_err(|e| e.shifted(at).in_field("header.session"))?);
                }
                key::SUBJECT => subject = Some(read_subject(r).map_err(|e| e.in_field("header.subject"))?),
                key::KEY_ID => key_id = Some(read_key_id(r).map_err(|e| e.in_field("header.key-id"))?),
                other => {
                    return Err(Error::new(ErrorCode::UnknownField, key_at)
                        .with_detail(Detail::Key(other))
                        .in_field("header"));
                }
            }
        }

        // Missing keys: the lowest first (the map has ended).
        if let Some(m) = first_missing(REQUIRED_KEYS, seen, u64::MAX) {
            return Err(missing(m));
        }
        if !format_seen {
            return Err(missing(key::FORMAT_VERSION));
        }
        Ok(Self {
            identity: DeviceIdentity {
                vendor: vendor.ok_or_else(|| missing(key::VENDOR))?,
                device_api: device_api.ok_or_else(|| missing(key::DEVICE_API))?,
                device_type: device_type.ok_or_else(|| missing(key::DEVICE_TYPE))?,
            },
            state_version: state_version.ok_or_else(|| missing(key::STATE_VERSION))?,
            features: features.ok_or_else(|| missing(key::FEATURES))?,
            config,
            codec: codec.ok_or_else(|| missing(key::CODEC))?,
            security_version: security_version.ok_or_else(|| missing(key::SECURITY_VERSION))?,
            session,
            subject,
            key_id: key_id.ok_or_else(|| missing(key::KEY_ID))?,
        })
    }

    /// Writes the header record `[0, {...}]`.
    ///
    /// # Errors
    ///
    /// Whatever the encoder refuses (a full buffer, typically).
    pub fn encode_record<S: Sink>(&self, e: &mut Encoder<S>) -> Result<()> {
        let pairs = 9u64
            .saturating_add(u64::from(self.config.is_some()))
            .saturating_add(u64::from(self.session.is_some()))
            .saturating_add(u64::from(self.subject.is_some()));
        e.array(2)?.int(RecordType::Header.number())?.map(pairs)?;
        e.uint(key::FORMAT_VERSION)?.int(FORMAT_VERSION)?;
        e.uint(key::VENDOR)?.text(self.identity.vendor.as_str())?;
        e.uint(key::DEVICE_API)?.text(self.identity.device_api.as_str())?;
        e.uint(key::DEVICE_TYPE)?.text(self.identity.device_type.as_str())?;
        e.uint(key::STATE_VERSION)?;
        self.state_version.encode(e)?;
        e.uint(key::FEATURES)?;
        self.features.encode(e)?;
        if let Some(config) = &self.config {
            e.uint(key::CONFIG)?;
            config.encode(e)?;
        }
        e.uint(key::CODEC)?.text(self.codec.as_str())?;
        e.uint(key::SECURITY_VERSION)?.uint(self.security_version)?;
        if let Some(session) = &self.session {
            e.uint(key::SESSION)?.bytes(session.as_bytes())?;
        }
        if let Some(subject) = &self.subject {
            e.uint(key::SUBJECT)?.text(subject.as_str())?;
        }
        e.uint(key::KEY_ID)?.bytes(&self.key_id)?;
        Ok(())
    }
}

/// The header's REQUIRED keys, as a set of [`key_bit`]s.
const REQUIRED_KEYS: u64 = key_set(&[
    key::FORMAT_VERSION,
    key::VENDOR,
    key::DEVICE_API,
    key::DEVICE_TYPE,
    key::STATE_VERSION,
    key::FEATURES,
    key::CODEC,
    key::SECURITY_VERSION,
    key::KEY_ID,
]);

/// The field a header key names, for errors.
const fn field_name(k: u64) -> &'static str {
    match k {
        key::FORMAT_VERSION => "header.format-version",
        key::VENDOR => "header.vendor",
        key::DEVICE_API => "header.device-api",
        key::DEVICE_TYPE => "header.device-type",
        key::STATE_VERSION => "header.state-version",
        key::FEATURES => "header.features",
        key::CODEC => "header.codec",
        key::SECURITY_VERSION => "header.security-version",
        key::KEY_ID => "header.key-id",
        _ => "header",
    }
}

pub(crate) fn read_key_id(r: &mut Reader<'_>) -> Result<KeyId> {
    let at = r.offset();
    let bytes = r.read_bytes_in(len_u64(KEY_ID_LEN), len_u64(KEY_ID_LEN))?;
    KeyId::try_from(bytes).map_err(|_| {
        Error::new(ErrorCode::InvalidFieldLength, at)
            .with_detail(Detail::Value { expected: len_u64(KEY_ID_LEN), found: len_u64(bytes.len()) })
    })
}
