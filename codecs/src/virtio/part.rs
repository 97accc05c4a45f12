//! One VIRTIO device part: `struct virtio_dev_part` of the VIRTIO
//! specification (1.4 draft, `device-parts.tex`; Linux
//! `include/uapi/linux/virtio_pci.h`), a 16-byte header and `length` value
//! bytes.
//!
//! ```c
//! struct virtio_dev_part_hdr {          /* offset */
//!     le16 part_type;                   /*  0 */
//!     u8 flags;                         /*  2  bit 0: VIRTIO_DEV_PART_F_OPTIONAL */
//!     u8 reserved;                      /*  3  zero */
//!     union {                           /*  4 .. 12 */
//!         struct { le32 offset; le32 reserved; } pci_common_cfg;
//!         struct { le16 index; u8 reserved[6]; } vq_index;
//!     } selector;                       /*  zero for other part types */
//!     le32 length;                      /* 12  bytes of value */
//! };
//! struct virtio_dev_part { struct virtio_dev_part_hdr hdr; u8 value[]; };
//! ```
//!
//! Part types: 0x0000–0x01FF common (0x100–0x105 defined below), 0x0200–
//! 0x05FF device-type specific, 0x0600–0xFFFF reserved. (The spec's table
//! also calls 0x106–0x2FF "reserved for future"; this codec follows the
//! range list, which keeps 0x200–0x2FF for device types.)

use crate::error::{Detail, Error, ErrorCode, Result};
use crate::wire::{Reader, Writer};

/// `sizeof(struct virtio_dev_part_hdr)`.
pub const PART_HEADER_LEN: usize = 16;
/// `VIRTIO_DEV_PART_F_OPTIONAL` as a mask (bit 0).
pub const PART_F_OPTIONAL: u8 = 1;

/// `VIRTIO_DEV_PART_DEV_FEATURES`.
pub const DEV_FEATURES: u16 = 0x100;
/// `VIRTIO_DEV_PART_DRV_FEATURES`.
pub const DRV_FEATURES: u16 = 0x101;
/// `VIRTIO_DEV_PART_PCI_COMMON_CFG`.
pub const PCI_COMMON_CFG: u16 = 0x102;
/// `VIRTIO_DEV_PART_DEVICE_STATUS`.
pub const DEVICE_STATUS: u16 = 0x103;
/// `VIRTIO_DEV_PART_VQ_CFG`.
pub const VQ_CFG: u16 = 0x104;
/// `VIRTIO_DEV_PART_VQ_NOTIFY_CFG`.
pub const VQ_NOTIFY_CFG: u16 = 0x105;
/// First device-type specific part type.
pub const DEVICE_SPECIFIC_FIRST: u16 = 0x200;
/// Last device-type specific part type.
pub const DEVICE_SPECIFIC_LAST: u16 = 0x5ff;

/// `sizeof(struct virtio_dev_part_vq_cfg)`.
pub const VQ_CFG_LEN: usize = 32;
/// `sizeof(struct virtio_dev_part_vq_notify_data)`.
pub const VQ_NOTIFY_LEN: usize = 8;
/// The largest queue size the VIRTIO specification allows.
pub const MAX_QUEUE_SIZE: u16 = 32768;
/// Device status bits the specification leaves undefined (0x10, 0x20):
/// ACKNOWLEDGE 1, DRIVER 2, DRIVER_OK 4, FEATURES_OK 8, DEVICE_NEEDS_RESET
/// 64 and FAILED 128 are the defined ones.
pub const DEVICE_STATUS_RESERVED: u8 = 0x30;

/// A field of `struct virtio_pci_common_cfg` (VIRTIO 1.4 "Common
/// configuration structure layout"; Linux `VIRTIO_PCI_COMMON_*` offsets),
/// the selector of a `VIRTIO_DEV_PART_PCI_COMMON_CFG` part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum CommonCfgField {
    /// `le32 device_feature_select` at 0.
    DeviceFeatureSelect,
    /// `le32 device_feature` at 4.
    DeviceFeature,
    /// `le32 driver_feature_select` at 8.
    DriverFeatureSelect,
    /// `le32 driver_feature` at 12.
    DriverFeature,
    /// `le16 config_msix_vector` at 16.
    ConfigMsixVector,
    /// `le16 num_queues` at 18.
    NumQueues,
    /// `u8 device_status` at 20.
    DeviceStatus,
    /// `u8 config_generation` at 21.
    ConfigGeneration,
    /// `le16 queue_select` at 22.
    QueueSelect,
    /// `le16 queue_size` at 24.
    QueueSize,
    /// `le16 queue_msix_vector` at 26.
    QueueMsixVector,
    /// `le16 queue_enable` at 28.
    QueueEnable,
    /// `le16 queue_notify_off` at 30.
    QueueNotifyOff,
    /// `le64 queue_desc` at 32.
    QueueDesc,
    /// `le64 queue_driver` at 40.
    QueueDriver,
    /// `le64 queue_device` at 48.
    QueueDevice,
    /// `le16 queue_notif_config_data` at 56.
    QueueNotifConfigData,
    /// `le16 queue_reset` at 58.
    QueueReset,
    /// `le16 admin_queue_index` at 60.
    AdminQueueIndex,
    /// `le16 admin_queue_num` at 62.
    AdminQueueNum,
}

/// `(field, offset, size, name)`, in offset order.
const COMMON_CFG: [(CommonCfgField, u32, usize, &str); 20] = [
    (CommonCfgField::DeviceFeatureSelect, 0, 4, "device_feature_select"),
    (CommonCfgField::DeviceFeature, 4, 4, "device_feature"),
    (CommonCfgField::DriverFeatureSelect, 8, 4, "driver_feature_select"),
    (CommonCfgField::DriverFeature, 12, 4, "driver_feature"),
    (CommonCfgField::ConfigMsixVector, 16, 2, "config_msix_vector"),
    (CommonCfgField::NumQueues, 18, 2, "num_queues"),
    (CommonCfgField::DeviceStatus, 20, 1, "device_status"),
    (CommonCfgField::ConfigGeneration, 21, 1, "config_generation"),
    (CommonCfgField::QueueSelect, 22, 2, "queue_select"),
    (CommonCfgField::QueueSize, 24, 2, "queue_size"),
    (CommonCfgField::QueueMsixVector, 26, 2, "queue_msix_vector"),
    (CommonCfgField::QueueEnable, 28, 2, "queue_enable"),
    (CommonCfgField::QueueNotifyOff, 30, 2, "queue_notify_off"),
    (CommonCfgField::QueueDesc, 32, 8, "queue_desc"),
    (CommonCfgField::QueueDriver, 40, 8, "queue_driver"),
    (CommonCfgField::QueueDevice, 48, 8, "queue_device"),
    (CommonCfgField::QueueNotifConfigData, 56, 2, "queue_notif_config_data"),
    (CommonCfgField::QueueReset, 58, 2, "queue_reset"),
    (CommonCfgField::AdminQueueIndex, 60, 2, "admin_queue_index"),
    (CommonCfgField::AdminQueueNum, 62, 2, "admin_queue_num"),
];

impl CommonCfgField {
    fn entry(self) -> (CommonCfgField, u32, usize, &'static str) {
        COMMON_CFG.iter().copied().find(|e| e.0 == self).unwrap_or((self, 0, 0, ""))
    }

    /// The field at a byte offset, if one starts there.
    #[must_use]
    pub fn at_offset(offset: u32) -> Option<Self> {
        COMMON_CFG.iter().find(|e| e.1 == offset).map(|e| e.0)
    }

    /// Byte offset in `virtio_pci_common_cfg`.
    #[must_use]
    pub fn offset(self) -> u32 {
        self.entry().1
    }

    /// Size in bytes (the part's `length`).
    #[must_use]
    pub fn size(self) -> usize {
        self.entry().2
    }

    /// The spec's field name.
    #[must_use]
    pub fn name(self) -> &'static str {
        self.entry().3
    }

    /// The largest value the field holds.
    #[must_use]
    pub fn max_value(self) -> u64 {
        match self.size() {
            1 => u64::from(u8::MAX),
            2 => u64::from(u16::MAX),
            4 => u64::from(u32::MAX),
            _ => u64::MAX,
        }
    }
}

/// The value of a feature part: `struct virtio_dev_part_features { le64
/// feature_bits[]; }`, at least one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Features<'a>(&'a [u8]);

impl<'a> Features<'a> {
    /// Feature words from their little-endian bytes.
    ///
    /// # Errors
    ///
    /// 735 unless the length is a non-zero multiple of 8.
    pub fn from_le_bytes(bytes: &'a [u8]) -> Result<Self> {
        if bytes.is_empty() || !bytes.len().is_multiple_of(8) {
            return Err(Error::new(ErrorCode::VirtioPartLength, 0)
                .in_field("feature_bits")
                .with_detail(Detail::Found(u64::try_from(bytes.len()).unwrap_or(u64::MAX))));
        }
        Ok(Self(bytes))
    }

    /// The bytes (8 per word, little-endian).
    #[must_use]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The words: word `i` holds feature bits `64 i .. 64 i + 63`.
    pub fn words(&self) -> impl Iterator<Item = u64> + use<'a> {
        self.0.chunks_exact(8).map(|c| {
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(c) {
                *d = *s;
            }
            u64::from_le_bytes(w)
        })
    }

    /// Whether feature bit `bit` is set.
    #[must_use]
    pub fn has(&self, bit: u32) -> bool {
        let word = usize::try_from(bit / 64).ok().and_then(|i| self.words().nth(i)).unwrap_or(0);
        word & (1u64 << (bit % 64)) != 0
    }
}

/// The value of a `VIRTIO_DEV_PART_VQ_CFG` part:
///
/// ```c
/// struct virtio_dev_part_vq_cfg {   /* offset */
///     le16 queue_size;              /*  0 */
///     le16 vector;                  /*  2 */
///     le16 enabled;                 /*  4 */
///     le16 reserved;                /*  6  zero */
///     le64 queue_desc;              /*  8 */
///     le64 queue_driver;            /* 16 */
///     le64 queue_device;            /* 24 */
/// };                                /* 32 bytes */
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct VqCfg {
    /// Queue size, 0..=32768; non-zero when enabled.
    pub queue_size: u16,
    /// MSI-X vector.
    pub vector: u16,
    /// 1 when enabled, 0 when not.
    pub enabled: u16,
    /// Descriptor area (guest physical address).
    pub queue_desc: u64,
    /// Driver area.
    pub queue_driver: u64,
    /// Device area.
    pub queue_device: u64,
}

/// The value of a `VIRTIO_DEV_PART_VQ_NOTIFY_CFG` part:
///
/// ```c
/// struct virtio_dev_part_vq_notify_data {
///     le16 queue_notify_off;            /* 0 */
///     le16 queue_notif_config_data;     /* 2 */
///     u8 reserved[4];                   /* 4  zero */
/// };                                    /* 8 bytes */
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct VqNotify {
    /// `queue_notify_off`.
    pub queue_notify_off: u16,
    /// `queue_notif_config_data`.
    pub queue_notif_config_data: u16,
}

/// One typed device part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part<'a> {
    /// 0x100, features offered by the device (always flagged optional).
    DevFeatures(Features<'a>),
    /// 0x101, features the driver accepted.
    DrvFeatures(Features<'a>),
    /// 0x102, one field of the PCI common configuration.
    PciCommonCfg {
        /// Which field.
        field: CommonCfgField,
        /// Its value (at most the field's size).
        value: u64,
    },
    /// 0x103, the device status byte.
    DeviceStatus(u8),
    /// 0x104, one virtqueue's configuration.
    VqCfg {
        /// Virtqueue index.
        index: u16,
        /// Configuration.
        cfg: VqCfg,
    },
    /// 0x105, one virtqueue's notification configuration.
    VqNotifyCfg {
        /// Virtqueue index.
        index: u16,
        /// Notification configuration.
        notify: VqNotify,
    },
    /// 0x200–0x5FF: a device-type specific part, carried opaquely (its
    /// length is checked against the record; its content is the device
    /// type's to define).
    DeviceSpecific {
        /// Part type.
        part_type: u16,
        /// `VIRTIO_DEV_PART_F_OPTIONAL`.
        optional: bool,
        /// The selector bytes, as sent.
        selector: [u8; 8],
        /// The value.
        value: &'a [u8],
    },
    /// A part type this codec does not define, marked optional: a device
    /// may ignore it (spec: "The device may ignore the setting of a device
    /// part that has the VIRTIO_DEV_PART_F_OPTIONAL bit set"), so it is
    /// carried opaquely. Unknown mandatory parts are refused (734).
    UnknownOptional {
        /// Part type.
        part_type: u16,
        /// The selector bytes, as sent.
        selector: [u8; 8],
        /// The value.
        value: &'a [u8],
    },
}

impl Part<'_> {
    /// The part type.
    #[must_use]
    pub const fn part_type(&self) -> u16 {
        match self {
            Self::DevFeatures(_) => DEV_FEATURES,
            Self::DrvFeatures(_) => DRV_FEATURES,
            Self::PciCommonCfg { .. } => PCI_COMMON_CFG,
            Self::DeviceStatus(_) => DEVICE_STATUS,
            Self::VqCfg { .. } => VQ_CFG,
            Self::VqNotifyCfg { .. } => VQ_NOTIFY_CFG,
            Self::DeviceSpecific { part_type, .. } | Self::UnknownOptional { part_type, .. } => *part_type,
        }
    }

    /// The position in the spec's "Device parts order" table, for the
    /// common parts it lists.
    #[must_use]
    pub const fn rank(&self) -> Option<u8> {
        match self {
            Self::DevFeatures(_) => Some(0),
            Self::DrvFeatures(_) => Some(1),
            Self::PciCommonCfg { .. } => Some(2),
            Self::DeviceStatus(_) => Some(3),
            Self::VqCfg { .. } => Some(4),
            Self::VqNotifyCfg { .. } => Some(5),
            Self::DeviceSpecific { .. } | Self::UnknownOptional { .. } => None,
        }
    }

    /// Value length in bytes.
    #[must_use]
    pub fn value_len(&self) -> usize {
        match self {
            Self::DevFeatures(f) | Self::DrvFeatures(f) => f.0.len(),
            Self::PciCommonCfg { field, .. } => field.size(),
            Self::DeviceStatus(_) => 1,
            Self::VqCfg { .. } => VQ_CFG_LEN,
            Self::VqNotifyCfg { .. } => VQ_NOTIFY_LEN,
            Self::DeviceSpecific { value, .. } | Self::UnknownOptional { value, .. } => value.len(),
        }
    }

    /// Header plus value.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        PART_HEADER_LEN.saturating_add(self.value_len())
    }

    fn flags(&self) -> u8 {
        match self {
            Self::DevFeatures(_) | Self::UnknownOptional { .. } => PART_F_OPTIONAL,
            Self::DeviceSpecific { optional, .. } => u8::from(*optional),
            _ => 0,
        }
    }

    fn selector(&self) -> [u8; 8] {
        let mut s = [0u8; 8];
        match self {
            Self::PciCommonCfg { field, .. } => put(&mut s, &field.offset().to_le_bytes()),
            Self::VqCfg { index, .. } | Self::VqNotifyCfg { index, .. } => put(&mut s, &index.to_le_bytes()),
            Self::DeviceSpecific { selector, .. } | Self::UnknownOptional { selector, .. } => s = *selector,
            _ => {}
        }
        s
    }

    /// Writes header and value. Values are written from the typed fields,
    /// reserved bytes as zero; invariants are checked by the caller
    /// (which re-parses what it wrote).
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        let at = w.written();
        let len = u32::try_from(self.value_len()).map_err(|_| {
            Error::at(ErrorCode::VirtioPartLength, at.saturating_add(12)).in_field("part.length")
        })?;
        match self {
            Self::PciCommonCfg { field, value } if *value > field.max_value() => {
                return Err(Error::at(ErrorCode::VirtioPartLength, at.saturating_add(PART_HEADER_LEN))
                    .in_field("pci_common_cfg.value")
                    .with_detail(Detail::Limit { limit: field.max_value(), found: *value }));
            }
            Self::DeviceSpecific { part_type, .. }
                if !(DEVICE_SPECIFIC_FIRST..=DEVICE_SPECIFIC_LAST).contains(part_type) =>
            {
                return Err(unknown_type(at, *part_type));
            }
            Self::UnknownOptional { part_type, .. }
                if (DEV_FEATURES..=VQ_NOTIFY_CFG).contains(part_type)
                    || (DEVICE_SPECIFIC_FIRST..=DEVICE_SPECIFIC_LAST).contains(part_type) =>
            {
                return Err(unknown_type(at, *part_type));
            }
            _ => {}
        }
        w.le16(self.part_type())?.u8(self.flags())?.u8(0)?.bytes(&self.selector())?.le32(len)?;
        match self {
            Self::DevFeatures(f) | Self::DrvFeatures(f) => {
                w.bytes(f.0)?;
            }
            Self::PciCommonCfg { field, value } => {
                w.bytes(value.to_le_bytes().get(..field.size()).unwrap_or(&[]))?;
            }
            Self::DeviceStatus(s) => {
                w.u8(*s)?;
            }
            Self::VqCfg { cfg, .. } => {
                w.le16(cfg.queue_size)?
                    .le16(cfg.vector)?
                    .le16(cfg.enabled)?
                    .le16(0)?
                    .le64(cfg.queue_desc)?
                    .le64(cfg.queue_driver)?
                    .le64(cfg.queue_device)?;
            }
            Self::VqNotifyCfg { notify, .. } => {
                w.le16(notify.queue_notify_off)?.le16(notify.queue_notif_config_data)?.zeros(4)?;
            }
            Self::DeviceSpecific { value, .. } | Self::UnknownOptional { value, .. } => {
                w.bytes(value)?;
            }
        }
        Ok(())
    }
}

/// A typed part whose variant does not match its type number (an opaque
/// variant claiming a defined or device-specific type).
fn unknown_type(at: usize, part_type: u16) -> Error {
    Error::at(ErrorCode::VirtioUnknownPart, at)
        .in_field("part.part_type")
        .with_detail(Detail::Found(u64::from(part_type)))
}

fn put(dst: &mut [u8; 8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

/// Reads one part at the reader's position, checking everything that can
/// be checked from the part alone: header fields, type, flags, selector,
/// length against what is left and against the type, value ranges.
pub(crate) fn read_part<'a>(r: &mut Reader<'a>) -> Result<Part<'a>> {
    let at = r.offset();
    let off = |rel: usize| at.saturating_add(rel);
    let part_type = r.le16("part.part_type")?;
    let flags = r.u8("part.flags")?;
    if flags & !PART_F_OPTIONAL != 0 {
        return Err(Error::at(ErrorCode::VirtioPartFlags, off(2))
            .in_field("part.flags")
            .with_detail(Detail::Found(u64::from(flags))));
    }
    let optional = flags & PART_F_OPTIONAL != 0;
    r.zeros(1, "part.reserved")?;
    let selector: [u8; 8] = r.array("part.selector")?;
    let length = r.le32("part.length")?;
    let len = usize::try_from(length).unwrap_or(usize::MAX);
    let value = r.take(len, "part.value")?;
    let mut v = Reader::window(value, off(PART_HEADER_LEN));
    let want_flags = |want: bool| -> Result<()> {
        if optional == want {
            Ok(())
        } else {
            Err(Error::at(ErrorCode::VirtioPartFlags, off(2))
                .in_field("part.flags")
                .with_detail(Detail::Value { expected: u64::from(want), found: u64::from(optional) }))
        }
    };
    let want_len = |want: usize, field: &'static str| -> Result<()> {
        if len == want {
            Ok(())
        } else {
            Err(Error::at(ErrorCode::VirtioPartLength, off(12)).in_field(field).with_detail(Detail::Value {
                expected: u64::try_from(want).unwrap_or(u64::MAX),
                found: u64::from(length),
            }))
        }
    };
    let zero_selector = |from: usize, field: &'static str| -> Result<()> {
        let mut s = Reader::window(selector.get(from..).unwrap_or(&[]), off(4usize.saturating_add(from)));
        s.zeros(8usize.saturating_sub(from), field)
    };
    let features = |v: &'a [u8]| {
        Features::from_le_bytes(v).map_err(|_| {
            Error::at(ErrorCode::VirtioPartLength, off(12))
                .in_field("part.length")
                .with_detail(Detail::Found(u64::from(length)))
        })
    };
    let part = match part_type {
        DEV_FEATURES => {
            want_flags(true)?;
            zero_selector(0, "part.selector")?;
            Part::DevFeatures(features(value)?)
        }
        DRV_FEATURES => {
            want_flags(false)?;
            zero_selector(0, "part.selector")?;
            Part::DrvFeatures(features(value)?)
        }
        PCI_COMMON_CFG => {
            want_flags(false)?;
            let offset = u32::from_le_bytes([selector[0], selector[1], selector[2], selector[3]]);
            zero_selector(4, "part.selector.pci_common_cfg.reserved")?;
            let field = CommonCfgField::at_offset(offset).ok_or_else(|| {
                Error::at(ErrorCode::VirtioCommonCfgOffset, off(4))
                    .in_field("part.selector.pci_common_cfg.offset")
                    .with_detail(Detail::Found(u64::from(offset)))
            })?;
            want_len(field.size(), "part.length")?;
            let mut raw = [0u8; 8];
            put(&mut raw, value);
            let value = u64::from_le_bytes(raw);
            check_common_cfg(field, value, off(PART_HEADER_LEN))?;
            Part::PciCommonCfg { field, value }
        }
        DEVICE_STATUS => {
            want_flags(false)?;
            zero_selector(0, "part.selector")?;
            want_len(1, "part.length")?;
            let status = v.u8("device_status")?;
            check_status(status, off(PART_HEADER_LEN))?;
            Part::DeviceStatus(status)
        }
        VQ_CFG => {
            want_flags(false)?;
            let index = u16::from_le_bytes([selector[0], selector[1]]);
            zero_selector(2, "part.selector.vq_index.reserved")?;
            want_len(VQ_CFG_LEN, "part.length")?;
            let queue_size = v.le16("vq_cfg.queue_size")?;
            let vector = v.le16("vq_cfg.vector")?;
            let enabled = v.le16("vq_cfg.enabled")?;
            v.zeros(2, "vq_cfg.reserved")?;
            let cfg = VqCfg {
                queue_size,
                vector,
                enabled,
                queue_desc: v.le64("vq_cfg.queue_desc")?,
                queue_driver: v.le64("vq_cfg.queue_driver")?,
                queue_device: v.le64("vq_cfg.queue_device")?,
            };
            check_vq(&cfg, off(PART_HEADER_LEN))?;
            Part::VqCfg { index, cfg }
        }
        VQ_NOTIFY_CFG => {
            want_flags(false)?;
            let index = u16::from_le_bytes([selector[0], selector[1]]);
            zero_selector(2, "part.selector.vq_index.reserved")?;
            want_len(VQ_NOTIFY_LEN, "part.length")?;
            let notify = VqNotify {
                queue_notify_off: v.le16("vq_notify.queue_notify_off")?,
                queue_notif_config_data: v.le16("vq_notify.queue_notif_config_data")?,
            };
            v.zeros(4, "vq_notify.reserved")?;
            Part::VqNotifyCfg { index, notify }
        }
        DEVICE_SPECIFIC_FIRST..=DEVICE_SPECIFIC_LAST => {
            Part::DeviceSpecific { part_type, optional, selector, value }
        }
        _ if optional => Part::UnknownOptional { part_type, selector, value },
        _ => {
            return Err(Error::at(ErrorCode::VirtioUnknownPart, at)
                .in_field("part.part_type")
                .with_detail(Detail::Found(u64::from(part_type))));
        }
    };
    Ok(part)
}

fn check_status(status: u8, at: usize) -> Result<()> {
    if status & DEVICE_STATUS_RESERVED == 0 {
        Ok(())
    } else {
        Err(Error::at(ErrorCode::VirtioDeviceStatus, at)
            .in_field("device_status")
            .with_detail(Detail::Found(u64::from(status))))
    }
}

fn check_vq(cfg: &VqCfg, at: usize) -> Result<()> {
    let bad = |rel: usize, field, found: u16| {
        Err(Error::at(ErrorCode::VirtioQueueConfig, at.saturating_add(rel))
            .in_field(field)
            .with_detail(Detail::Found(u64::from(found))))
    };
    if cfg.queue_size > MAX_QUEUE_SIZE {
        return bad(0, "vq_cfg.queue_size", cfg.queue_size);
    }
    if cfg.enabled > 1 {
        return bad(4, "vq_cfg.enabled", cfg.enabled);
    }
    if cfg.enabled == 1 && cfg.queue_size == 0 {
        return bad(0, "vq_cfg.queue_size", 0);
    }
    Ok(())
}

/// Range checks on the common configuration fields that have ranges.
fn check_common_cfg(field: CommonCfgField, value: u64, at: usize) -> Result<()> {
    let small = u16::try_from(value).unwrap_or(u16::MAX);
    match field {
        CommonCfgField::DeviceStatus => check_status(u8::try_from(value).unwrap_or(u8::MAX), at),
        CommonCfgField::QueueSize if small > MAX_QUEUE_SIZE => {
            Err(Error::at(ErrorCode::VirtioQueueConfig, at)
                .in_field("pci_common_cfg.queue_size")
                .with_detail(Detail::Found(value)))
        }
        CommonCfgField::QueueEnable if value > 1 => Err(Error::at(ErrorCode::VirtioQueueConfig, at)
            .in_field("pci_common_cfg.queue_enable")
            .with_detail(Detail::Found(value))),
        _ => Ok(()),
    }
}
