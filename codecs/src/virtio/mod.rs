//! VIRTIO device parts as the Linux virtio VFIO variant driver carries
//! them on the VFIO migration data fd (`drivers/vfio/pci/virtio/migrate.c`,
//! `common.h`; Linux 6.14+).
//!
//! The stream is a sequence of records:
//!
//! ```c
//! struct virtiovf_migration_header {    /* offset */
//!     __le64 record_size;               /*  0  bytes of data, <= 2^32 - 1 */
//!     __le32 flags;                     /*  8  bit 0: TAG_OPTIONAL */
//!     __le32 tag;                       /* 12  0: DEVICE_DATA */
//!     __u8 data[];                      /* 16  record_size bytes */
//! };
//! ```
//!
//! A `DEVICE_DATA` record (the source writes exactly one, flags 0) holds
//! the result of `VIRTIO_ADMIN_CMD_DEV_PARTS_GET` with
//! `VIRTIO_ADMIN_CMD_DEV_PARTS_GET_TYPE_ALL`: device parts back to back
//! ([`part`]), which the destination hands to
//! `VIRTIO_ADMIN_CMD_DEV_PARTS_SET` unread. The driver caps `record_size`
//! (`-ENOMEM`), skips records with another tag when they are flagged
//! optional and refuses them otherwise (`-EOPNOTSUPP`); the parts reach the
//! device unchecked. This codec checks them: every length against what is
//! left, every type, flag, selector and reserved field, value ranges, the
//! spec's order and uniqueness rules (`order.rs`), virtqueue indices against
//! `num_queues`, and driver features against device features.

mod order;
pub mod part;

use migseal_verifier::VerifiedPayload;

use crate::codec::{Codec, Handles};
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::wire::{Reader, Writer};
use order::RecordRules;
pub use part::{CommonCfgField, Features, Part, VqCfg, VqNotify};

/// `sizeof(struct virtiovf_migration_header)`.
pub const RECORD_HEADER_LEN: usize = 16;
/// `VIRTIOVF_MIGF_HEADER_FLAGS_TAG_OPTIONAL`.
pub const RECORD_F_OPTIONAL: u32 = 1;
/// `VIRTIOVF_MIGF_HEADER_TAG_DEVICE_DATA`.
pub const TAG_DEVICE_DATA: u32 = 0;
/// `MAX_LOAD_SIZE` of migrate.c: the largest `parts_size.size` (le32).
pub const MAX_RECORD_SIZE: u64 = 0xffff_ffff;

/// One record of a validated stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record<'a> {
    /// Device parts for one `VIRTIO_ADMIN_CMD_DEV_PARTS_SET`.
    DeviceData(PartList<'a>),
    /// A record with another tag, flagged optional: the driver skips it,
    /// this codec carries it opaquely.
    Optional {
        /// The tag.
        tag: u32,
        /// Its data.
        data: &'a [u8],
    },
}

/// The validated parts of one device-data record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartList<'a> {
    bytes: &'a [u8],
    base: usize,
}

impl<'a> PartList<'a> {
    /// Validates the parts in `bytes`, which start `base` bytes into the
    /// payload (for error offsets).
    fn parse(bytes: &'a [u8], base: usize) -> Result<Self> {
        let mut r = Reader::window(bytes, base);
        let mut rules = RecordRules::default();
        while !r.is_empty() {
            let at = r.offset();
            let p = part::read_part(&mut r)?;
            rules.check(&p, at)?;
        }
        Ok(Self { bytes, base })
    }

    /// The parts, in order.
    #[must_use]
    pub fn parts(&self) -> Parts<'a> {
        Parts { r: Reader::window(self.bytes, self.base) }
    }

    /// Bytes of all parts.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True when the record holds no part (never, once validated).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Iterator over the parts of a validated record.
#[derive(Clone, Debug)]
pub struct Parts<'a> {
    r: Reader<'a>,
}

impl<'a> Iterator for Parts<'a> {
    type Item = Part<'a>;

    fn next(&mut self) -> Option<Part<'a>> {
        if self.r.is_empty() {
            return None;
        }
        // Validated at parse time: an error here cannot happen, and ends
        // the iteration rather than panicking if it did.
        part::read_part(&mut self.r).ok()
    }
}

/// A validated device-parts stream, borrowing the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevPartsStream<'a> {
    bytes: &'a [u8],
}

impl<'a> DevPartsStream<'a> {
    /// Validates a whole stream.
    ///
    /// # Errors
    ///
    /// 700 when a record header or a part runs past the end, 730–733 for
    /// records, then the part codes (702, 734–744) at the offending byte.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let mut device_data = 0usize;
        while !r.is_empty() {
            let at = r.offset();
            let (flags, tag, data) = read_record(&mut r)?;
            if tag == TAG_DEVICE_DATA {
                if flags != 0 {
                    return Err(Error::at(ErrorCode::VirtioRecordFlags, at.saturating_add(8))
                        .in_field("record.flags")
                        .with_detail(Detail::Value { expected: 0, found: u64::from(flags) }));
                }
                if data.is_empty() {
                    return Err(Error::at(ErrorCode::VirtioNoDeviceData, at).in_field("record.record_size"));
                }
                PartList::parse(data, at.saturating_add(RECORD_HEADER_LEN))?;
                device_data = device_data.saturating_add(1);
            }
        }
        if device_data == 0 {
            return Err(Error::at(ErrorCode::VirtioNoDeviceData, bytes.len()).in_field("records"));
        }
        Ok(Self { bytes })
    }

    /// The records, in order.
    #[must_use]
    pub fn records(&self) -> Records<'a> {
        Records { r: Reader::new(self.bytes) }
    }

    /// The stream's length.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never true for a validated stream.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Re-encodes the stream from its typed records and parts (every field
    /// written from its typed value, reserved bytes zero).
    ///
    /// # Errors
    ///
    /// 703 when `out` is too small.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize> {
        let mut w = Writer::new(out);
        for rec in self.records() {
            match rec {
                Record::DeviceData(list) => {
                    let size: usize = list.parts().map(|p| p.encoded_len()).fold(0, usize::saturating_add);
                    write_record_header(&mut w, size, 0, TAG_DEVICE_DATA)?;
                    for p in list.parts() {
                        p.write(&mut w)?;
                    }
                }
                Record::Optional { tag, data } => {
                    write_record_header(&mut w, data.len(), RECORD_F_OPTIONAL, tag)?;
                    w.bytes(data)?;
                }
            }
        }
        Ok(w.written())
    }
}

/// Iterator over the records of a validated stream.
#[derive(Clone, Debug)]
pub struct Records<'a> {
    r: Reader<'a>,
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        if self.r.is_empty() {
            return None;
        }
        let at = self.r.offset();
        let (_, tag, data) = read_record(&mut self.r).ok()?;
        Some(if tag == TAG_DEVICE_DATA {
            Record::DeviceData(PartList { bytes: data, base: at.saturating_add(RECORD_HEADER_LEN) })
        } else {
            Record::Optional { tag, data }
        })
    }
}

/// Reads a record header and its data; checks size, flags and tag.
fn read_record<'a>(r: &mut Reader<'a>) -> Result<(u32, u32, &'a [u8])> {
    let at = r.offset();
    let size = r.le64("record.record_size")?;
    let flags = r.le32("record.flags")?;
    let tag = r.le32("record.tag")?;
    if size > MAX_RECORD_SIZE {
        return Err(Error::at(ErrorCode::VirtioRecordSize, at)
            .in_field("record.record_size")
            .with_detail(Detail::Limit { limit: MAX_RECORD_SIZE, found: size }));
    }
    if flags & !RECORD_F_OPTIONAL != 0 {
        return Err(Error::at(ErrorCode::VirtioRecordFlags, at.saturating_add(8))
            .in_field("record.flags")
            .with_detail(Detail::Found(u64::from(flags))));
    }
    if tag != TAG_DEVICE_DATA && flags & RECORD_F_OPTIONAL == 0 {
        return Err(Error::at(ErrorCode::VirtioUnknownRecord, at.saturating_add(12))
            .in_field("record.tag")
            .with_detail(Detail::Found(u64::from(tag))));
    }
    let data = r.take(usize::try_from(size).unwrap_or(usize::MAX), "record.data")?;
    Ok((flags, tag, data))
}

fn write_record_header(w: &mut Writer<'_>, size: usize, flags: u32, tag: u32) -> Result<()> {
    let size = u64::try_from(size).unwrap_or(u64::MAX);
    w.le64(size)?.le32(flags)?.le32(tag)?;
    Ok(())
}

/// A record to encode from typed parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordSpec<'p> {
    /// Device parts.
    DeviceData(&'p [Part<'p>]),
    /// An optional record with another tag.
    Optional {
        /// The tag (not 0).
        tag: u32,
        /// Its data.
        data: &'p [u8],
    },
}

impl RecordSpec<'_> {
    /// Header plus data.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        let data = match self {
            Self::DeviceData(parts) => parts.iter().map(Part::encoded_len).fold(0, usize::saturating_add),
            Self::Optional { data, .. } => data.len(),
        };
        RECORD_HEADER_LEN.saturating_add(data)
    }
}

/// Encodes records of typed parts into `out` and validates the result
/// exactly as a decoder would, so nothing that [`DevPartsStream::parse`]
/// refuses can be produced.
///
/// # Errors
///
/// 703 when `out` is too small; otherwise the code the decoder would give,
/// at the offset in `out`.
pub fn encode_records(records: &[RecordSpec<'_>], out: &mut [u8]) -> Result<usize> {
    let n = {
        let mut w = Writer::new(out);
        for rec in records {
            match rec {
                RecordSpec::DeviceData(parts) => {
                    let size = rec.encoded_len().saturating_sub(RECORD_HEADER_LEN);
                    write_record_header(&mut w, size, 0, TAG_DEVICE_DATA)?;
                    for p in *parts {
                        p.write(&mut w)?;
                    }
                }
                RecordSpec::Optional { tag, data } => {
                    write_record_header(&mut w, data.len(), RECORD_F_OPTIONAL, *tag)?;
                    w.bytes(data)?;
                }
            }
        }
        w.written()
    };
    DevPartsStream::parse(out.get(..n).unwrap_or(&[]))?;
    Ok(n)
}

/// The VIRTIO device-parts codec (`virtio` / `vfio-pci` / `virtio-net` /
/// codec `virtio-dev-parts` / state version 1.0).
#[derive(Clone, Copy, Debug, Default)]
pub struct VirtioDevParts;

impl Codec for VirtioDevParts {
    const HANDLES: Handles = Handles {
        vendor: "virtio",
        device_api: "vfio-pci",
        codec: "virtio-dev-parts",
        // The Linux virtio VFIO variant driver binds virtio-net VFs; the
        // format itself is device-type independent (device-specific parts
        // are carried opaquely), so a new type is one more name here.
        device_types: &["virtio-net"],
        state_versions: &[(1, 0)],
    };
    type State<'a> = DevPartsStream<'a>;

    fn decode<'a>(payload: VerifiedPayload<'a>) -> Result<DevPartsStream<'a>> {
        Self::HANDLES.check(&payload.identity())?;
        DevPartsStream::parse(payload.bytes())
    }

    fn encoded_len(state: &DevPartsStream<'_>) -> usize {
        state.records().map(|r| record_len(&r)).fold(0, usize::saturating_add)
    }

    fn encode(state: &DevPartsStream<'_>, out: &mut [u8]) -> Result<usize> {
        state.encode(out)
    }
}

fn record_len(r: &Record<'_>) -> usize {
    let data = match r {
        Record::DeviceData(list) => list.parts().map(|p| p.encoded_len()).fold(0, usize::saturating_add),
        Record::Optional { data, .. } => data.len(),
    };
    RECORD_HEADER_LEN.saturating_add(data)
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Features<'a> {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let words = u.int_in_range(1..=4usize)?;
        let bytes = u.bytes(words.saturating_mul(8))?;
        Self::from_le_bytes(bytes).map_err(|_| arbitrary::Error::IncorrectFormat)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Part<'a> {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0..=7u8)? {
            0 => Self::DevFeatures(u.arbitrary()?),
            1 => Self::DrvFeatures(u.arbitrary()?),
            2 => {
                let field: CommonCfgField = u.arbitrary()?;
                let value = u.int_in_range(0..=field.max_value())?;
                Self::PciCommonCfg { field, value }
            }
            3 => Self::DeviceStatus(u.arbitrary()?),
            4 => Self::VqCfg { index: u.arbitrary()?, cfg: u.arbitrary()? },
            5 => Self::VqNotifyCfg { index: u.arbitrary()?, notify: u.arbitrary()? },
            6 => Self::DeviceSpecific {
                part_type: u.int_in_range(part::DEVICE_SPECIFIC_FIRST..=part::DEVICE_SPECIFIC_LAST)?,
                optional: u.arbitrary()?,
                selector: u.arbitrary()?,
                value: u.arbitrary()?,
            },
            _ => Self::UnknownOptional {
                part_type: u.int_in_range(0x600..=0xffffu16)?,
                selector: u.arbitrary()?,
                value: u.arbitrary()?,
            },
        })
    }
}
