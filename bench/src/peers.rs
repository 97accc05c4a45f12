//! The references of the header benchmark: what a userspace tool would do
//! with general-purpose crates to read the same two records. `coset`
//! parses the seal's COSE_Sign1 (and its protected header); `ciborium`'s
//! serde deserializer decodes the header record into an owned struct with
//! the same fields. Neither checks canonical form, compatibility or
//! policy, so migseal does strictly more work than they do.

use std::fmt;

use coset::{CborSerializable, CoseSign1, TaggedCborSerializable};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

/// A byte string (serde's `Vec<u8>` would expect a CBOR array).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

/// The header map with owned fields, as a serde user would model it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SerdeHeader {
    /// Key 1.
    pub format_version: u64,
    /// Key 2.
    pub vendor: String,
    /// Key 3.
    pub device_api: String,
    /// Key 4.
    pub device_type: String,
    /// Key 5: `[major, minor]`.
    pub state_version: (u32, u32),
    /// Key 6.
    pub features: Vec<String>,
    /// Key 7: `[kind, data]`.
    pub config: Option<(String, Bytes)>,
    /// Key 8.
    pub codec: String,
    /// Key 9.
    pub security_version: u64,
    /// Key 10.
    pub session: Option<Bytes>,
    /// Key 11.
    pub subject: Option<String>,
    /// Key 12.
    pub key_id: Bytes,
}

impl<'de> Deserialize<'de> for SerdeHeader {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SerdeHeader;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a migseal header map with integer keys")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SerdeHeader, A::Error> {
                let mut h = SerdeHeader::default();
                while let Some(key) = map.next_key::<u64>()? {
                    match key {
                        1 => h.format_version = map.next_value()?,
                        2 => h.vendor = map.next_value()?,
                        3 => h.device_api = map.next_value()?,
                        4 => h.device_type = map.next_value()?,
                        5 => h.state_version = map.next_value()?,
                        6 => h.features = map.next_value()?,
                        7 => h.config = Some(map.next_value()?),
                        8 => h.codec = map.next_value()?,
                        9 => h.security_version = map.next_value()?,
                        10 => h.session = Some(map.next_value()?),
                        11 => h.subject = Some(map.next_value()?),
                        12 => h.key_id = map.next_value()?,
                        other => return Err(de::Error::custom(format_args!("unknown header key {other}"))),
                    }
                }
                Ok(h)
            }
        }
        d.deserialize_map(V)
    }
}

/// Decodes a header record `[0, {...}]` with ciborium's serde deserializer.
///
/// # Errors
///
/// ciborium's error for malformed input.
pub fn ciborium_header(record: &[u8]) -> Result<SerdeHeader, ciborium::de::Error<std::io::Error>> {
    let (_record_type, header): (u8, SerdeHeader) = ciborium::from_reader(record)?;
    Ok(header)
}

/// What coset read from a seal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosetSeal {
    /// The protected header's algorithm, when it is an assigned one.
    pub alg: Option<i64>,
    /// The protected header's key id.
    pub key_id: Vec<u8>,
    /// The signature.
    pub signature: Vec<u8>,
}

/// Parses the COSE_Sign1 inside a seal record `[2, 18([...])]` with coset.
///
/// # Errors
///
/// coset's error for malformed input, or a record too short to hold one.
pub fn coset_seal(seal_record: &[u8]) -> Result<CosetSeal, coset::CoseError> {
    // The array head and the record type are one byte each.
    let tagged = seal_record.get(2..).ok_or(coset::CoseError::UnexpectedItem("short", "seal record"))?;
    let sign1 = CoseSign1::from_tagged_slice(tagged)?;
    let alg = match sign1.protected.header.alg {
        Some(coset::RegisteredLabelWithPrivate::Assigned(a)) => Some(coset::iana::EnumI64::to_i64(&a)),
        _ => None,
    };
    Ok(CosetSeal { alg, key_id: sign1.protected.header.key_id, signature: sign1.signature })
}

/// Re-encodes a COSE_Sign1 parsed by coset (untagged): used by the tests
/// to show coset read the whole structure.
///
/// # Errors
///
/// coset's error.
pub fn coset_roundtrip(seal_record: &[u8]) -> Result<Vec<u8>, coset::CoseError> {
    let tagged = seal_record.get(2..).ok_or(coset::CoseError::UnexpectedItem("short", "seal record"))?;
    CoseSign1::from_tagged_slice(tagged)?.to_vec()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::unreachable
)]
mod tests {
    use super::*;
    use crate::fixtures::{empty_image, virtio_bound_spec};
    use migseal_format::cbor::skip_item;
    use migseal_format::envelope::{ALG_ED25519, SEAL_RECORD_LEN};
    use migseal_testkit::samples::test_key;
    use migseal_testkit::vectors::{SESSION, SUBJECT};
    use migseal_verifier::Dalek;

    fn split(image: &[u8]) -> (&[u8], &[u8]) {
        let header_len = skip_item(image, 0, &[]).unwrap();
        (&image[..header_len], &image[image.len() - SEAL_RECORD_LEN..])
    }

    #[test]
    fn ciborium_reads_every_header_field() {
        let spec = virtio_bound_spec();
        let image = empty_image(&spec, "virtio");
        let (header, _) = split(&image);
        let h = ciborium_header(header).unwrap();
        assert_eq!(h.format_version, 1);
        assert_eq!((h.vendor.as_str(), h.device_api.as_str()), ("virtio", "vfio-pci"));
        assert_eq!(h.device_type, "virtio-net");
        assert_eq!(h.state_version, (1, 0));
        let mut features = spec.features.clone();
        features.sort_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
        assert_eq!(h.features, features);
        assert_eq!(h.codec, "virtio-dev-parts");
        assert_eq!(h.security_version, 1);
        assert_eq!(h.session, Some(Bytes(SESSION.to_vec())));
        assert_eq!(h.subject.as_deref(), Some(SUBJECT));
        assert_eq!(h.key_id.0, test_key("virtio").key_id(&Dalek));
        assert_eq!(h.config, None);
    }

    #[test]
    fn coset_reads_the_seal() {
        let image = empty_image(&virtio_bound_spec(), "virtio");
        let (_, seal) = split(&image);
        let s = coset_seal(seal).unwrap();
        assert_eq!(s.alg, Some(ALG_ED25519));
        assert_eq!(s.key_id, test_key("virtio").key_id(&Dalek));
        assert_eq!(s.signature, seal[seal.len() - 64..]);
        // Untagged re-encoding is the record minus its three leading bytes.
        assert_eq!(coset_roundtrip(seal).unwrap(), seal[3..]);
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert!(ciborium_header(&[0x82, 0x00]).is_err());
        assert!(coset_seal(&[0x82]).is_err());
        assert!(coset_seal(&[0x82, 0x02, 0xd2, 0x80]).is_err());
    }
}
