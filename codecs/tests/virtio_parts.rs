//! The VIRTIO device-parts codec against a hand-built stream (written here
//! field by field from the spec's structs, not by the codec), and one test
//! per invariant.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions
)]

mod common;

use common::refuses;
use migseal_codecs::virtio::{
    CommonCfgField, DevPartsStream, Features, Part, Record, RecordSpec, VqCfg, VqNotify, encode_records,
};
use migseal_codecs::{Decoded, Detail, ErrorCode};

const NET: &str = "virtio-net";

/// A stream built by hand, with the payload offset of each part header.
struct Fixture {
    bytes: Vec<u8>,
    parts: Vec<(&'static str, usize)>,
}

/// One part: `virtio_dev_part_hdr` (le16 type, u8 flags, u8 reserved,
/// 8-byte selector, le32 length) then the value.
fn part(out: &mut Vec<u8>, ty: u16, flags: u8, selector: [u8; 8], value: &[u8]) {
    out.extend_from_slice(&ty.to_le_bytes());
    out.push(flags);
    out.push(0);
    out.extend_from_slice(&selector);
    out.extend_from_slice(&u32::try_from(value.len()).unwrap().to_le_bytes());
    out.extend_from_slice(value);
}

fn sel_u32(v: u32) -> [u8; 8] {
    let mut s = [0; 8];
    s[..4].copy_from_slice(&v.to_le_bytes());
    s
}

fn sel_u16(v: u16) -> [u8; 8] {
    let mut s = [0; 8];
    s[..2].copy_from_slice(&v.to_le_bytes());
    s
}

fn words(w: &[u64]) -> Vec<u8> {
    w.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// `virtio_dev_part_vq_cfg`: size, vector, enabled, reserved, 3 addresses.
fn vq(size: u16, vector: u16, enabled: u16, base: u64) -> Vec<u8> {
    let mut v = Vec::new();
    for x in [size, vector, enabled, 0] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    for a in [base, base + 0x1000, base + 0x2000] {
        v.extend_from_slice(&a.to_le_bytes());
    }
    v
}

/// DEV_FEATURES: MAC(5) STATUS(16) CTRL_VQ(17) MQ(22) VERSION_1(32)
/// ACCESS_PLATFORM(33); the driver accepted all but ACCESS_PLATFORM.
const DEV_WORDS: [u64; 2] = [0x3_0043_0020, 0];
const DRV_WORDS: [u64; 2] = [0x1_0043_0020, 0];

fn fixture() -> Fixture {
    let mut p = Vec::new();
    let mut parts = Vec::new();
    let mut add = |name, ty, flags, sel, value: &[u8], p: &mut Vec<u8>| {
        parts.push((name, 16 + p.len()));
        part(p, ty, flags, sel, value);
    };
    add("dev_features", 0x100, 1, [0; 8], &words(&DEV_WORDS), &mut p);
    add("drv_features", 0x101, 0, [0; 8], &words(&DRV_WORDS), &mut p);
    add("msix_config", 0x102, 0, sel_u32(16), &0u16.to_le_bytes(), &mut p);
    add("num_queues", 0x102, 0, sel_u32(18), &3u16.to_le_bytes(), &mut p);
    add("status", 0x103, 0, [0; 8], &[0x0f], &mut p);
    add("vq0", 0x104, 0, sel_u16(0), &vq(256, 1, 1, 0x7f3a_0000), &mut p);
    add("vq1", 0x104, 0, sel_u16(1), &vq(256, 2, 1, 0x7f3b_0000), &mut p);
    add("vq2", 0x104, 0, sel_u16(2), &vq(64, 3, 1, 0x7f3c_0000), &mut p);
    for i in 0..3u16 {
        let name = ["notify0", "notify1", "notify2"][usize::from(i)];
        let mut v = Vec::new();
        v.extend_from_slice(&i.to_le_bytes());
        v.extend_from_slice(&i.to_le_bytes());
        v.extend_from_slice(&[0; 4]);
        add(name, 0x105, 0, sel_u16(i), &v, &mut p);
    }
    // A device-type specific part (virtio-net config: MAC, status).
    add("net_cfg", 0x200, 0, [0; 8], &[0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x01, 0x00], &mut p);
    // Record header: le64 record_size, le32 flags 0, le32 tag 0 (DEVICE_DATA).
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&u64::try_from(p.len()).unwrap().to_le_bytes());
    bytes.extend_from_slice(&0u32.to_le_bytes());
    bytes.extend_from_slice(&0u32.to_le_bytes());
    bytes.extend_from_slice(&p);
    Fixture { bytes, parts }
}

impl Fixture {
    fn at(&self, name: &str) -> usize {
        self.parts.iter().find(|(n, _)| *n == name).unwrap().1
    }

    fn edited(&self, edit: impl FnOnce(&mut Vec<u8>, &Self)) -> Vec<u8> {
        let mut b = self.bytes.clone();
        edit(&mut b, self);
        b
    }

    /// The stream without the named parts (record size adjusted).
    fn without(&self, names: &[&str]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut ends: Vec<usize> = self.parts.iter().map(|(_, a)| *a).collect();
        ends.push(self.bytes.len());
        for (i, (name, at)) in self.parts.iter().enumerate() {
            if !names.contains(name) {
                body.extend_from_slice(&self.bytes[*at..ends[i + 1]]);
            }
        }
        record(0, 0, &body)
    }

    /// Two named parts swapped.
    fn swapped(&self, a: &str, b: &str) -> Vec<u8> {
        let mut ends: Vec<usize> = self.parts.iter().map(|(_, a)| *a).collect();
        ends.push(self.bytes.len());
        let ranges: Vec<std::ops::Range<usize>> =
            (0..self.parts.len()).map(|i| ends[i]..ends[i + 1]).collect();
        let ia = self.parts.iter().position(|(n, _)| *n == a).unwrap();
        let ib = self.parts.iter().position(|(n, _)| *n == b).unwrap();
        let mut order: Vec<usize> = (0..self.parts.len()).collect();
        order.swap(ia, ib);
        let body: Vec<u8> = order.iter().flat_map(|&i| self.bytes[ranges[i].clone()].to_vec()).collect();
        record(0, 0, &body)
    }
}

fn record(flags: u32, tag: u32, data: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(&u64::try_from(data.len()).unwrap().to_le_bytes());
    r.extend_from_slice(&flags.to_le_bytes());
    r.extend_from_slice(&tag.to_le_bytes());
    r.extend_from_slice(data);
    r
}

fn typed_parts<'a>(net_cfg: &'a [u8], dev: &'a [u8], drv: &'a [u8]) -> Vec<Part<'a>> {
    let vq = |size, vector, base: u64| VqCfg {
        queue_size: size,
        vector,
        enabled: 1,
        queue_desc: base,
        queue_driver: base + 0x1000,
        queue_device: base + 0x2000,
    };
    let mut v = vec![
        Part::DevFeatures(Features::from_le_bytes(dev).unwrap()),
        Part::DrvFeatures(Features::from_le_bytes(drv).unwrap()),
        Part::PciCommonCfg { field: CommonCfgField::ConfigMsixVector, value: 0 },
        Part::PciCommonCfg { field: CommonCfgField::NumQueues, value: 3 },
        Part::DeviceStatus(0x0f),
        Part::VqCfg { index: 0, cfg: vq(256, 1, 0x7f3a_0000) },
        Part::VqCfg { index: 1, cfg: vq(256, 2, 0x7f3b_0000) },
        Part::VqCfg { index: 2, cfg: vq(64, 3, 0x7f3c_0000) },
    ];
    for i in 0..3 {
        v.push(Part::VqNotifyCfg {
            index: i,
            notify: VqNotify { queue_notify_off: i, queue_notif_config_data: i },
        });
    }
    v.push(Part::DeviceSpecific { part_type: 0x200, optional: false, selector: [0; 8], value: net_cfg });
    v
}

#[test]
fn the_hand_built_stream_decodes_to_the_typed_parts() {
    let f = fixture();
    assert_eq!(f.bytes.len(), 16 + 357);
    let Decoded::VirtioDevParts(s) = common::decode(NET, &f.bytes).unwrap() else { panic!() };
    let records: Vec<Record<'_>> = s.records().collect();
    assert_eq!(records.len(), 1);
    let Record::DeviceData(list) = records[0] else { panic!() };
    let got: Vec<Part<'_>> = list.parts().collect();
    let (dev, drv) = (words(&DEV_WORDS), words(&DRV_WORDS));
    let net = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x01, 0x00];
    assert_eq!(got, typed_parts(&net, &dev, &drv));
    let Part::DevFeatures(features) = got[0] else { panic!() };
    assert!(features.has(32) && features.has(5) && !features.has(6) && !features.has(1000));
    common::round_trips(NET, &f.bytes);
}

#[test]
fn encoding_typed_parts_gives_the_hand_built_bytes() {
    let (dev, drv) = (words(&DEV_WORDS), words(&DRV_WORDS));
    let net = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x01, 0x00];
    let parts = typed_parts(&net, &dev, &drv);
    let recs = [RecordSpec::DeviceData(&parts)];
    let mut out = vec![0u8; recs[0].encoded_len()];
    assert_eq!(encode_records(&recs, &mut out).unwrap(), out.len());
    assert_eq!(out, fixture().bytes);
}

#[test]
fn optional_records_and_parts_are_carried_and_round_trip() {
    let f = fixture();
    let mut b = record(1, 7, b"opaque");
    b.extend_from_slice(&f.bytes);
    let mut body = f.bytes[16..].to_vec();
    part(&mut body, 0x0777, 1, [9; 8], b"ignored by a device");
    b.extend_from_slice(&record(0, 0, &body));
    let Decoded::VirtioDevParts(s) = common::decode(NET, &b).unwrap() else { panic!() };
    let recs: Vec<Record<'_>> = s.records().collect();
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[0], Record::Optional { tag: 7, data: b"opaque" });
    let Record::DeviceData(last) = recs[2] else { panic!() };
    assert!(matches!(last.parts().last(), Some(Part::UnknownOptional { part_type: 0x0777, .. })));
    common::round_trips(NET, &b);
}

#[test]
fn truncation_everywhere() {
    let f = fixture();
    refuses(NET, &f.bytes[..10], ErrorCode::Truncated, 10);
    // The record claims more than is left.
    let cut = &f.bytes[..f.bytes.len() - 1];
    let e = refuses(NET, cut, ErrorCode::Truncated, u64::try_from(cut.len()).unwrap());
    assert_eq!(e.field(), "record.data");
    // A part's length runs past its record.
    let b = f.edited(|b, f| b[f.at("net_cfg") + 12] = 9);
    let e = refuses(NET, &b, ErrorCode::Truncated, u64::try_from(b.len()).unwrap());
    assert_eq!(e.field(), "part.value");
    // A part header cut by its record.
    let mut body = f.bytes[16..].to_vec();
    body.extend_from_slice(&[0x03, 0x01, 0, 0]);
    let b = record(0, 0, &body);
    refuses(NET, &b, ErrorCode::Truncated, u64::try_from(b.len()).unwrap());
}

#[test]
fn record_size_above_the_drivers_limit() {
    let b = fixture().edited(|b, _| b[4] = 1); // 2^32 + size
    let e = refuses(NET, &b, ErrorCode::VirtioRecordSize, 0);
    assert!(matches!(e.detail(), Detail::Limit { limit: 0xffff_ffff, .. }));
}

#[test]
fn unknown_mandatory_record() {
    let mut b = record(0, 5, b"x");
    b.extend_from_slice(&fixture().bytes);
    refuses(NET, &b, ErrorCode::VirtioUnknownRecord, 12);
}

#[test]
fn record_flags() {
    refuses(NET, &fixture().edited(|b, _| b[8] = 2), ErrorCode::VirtioRecordFlags, 8);
    refuses(NET, &fixture().edited(|b, _| b[8] = 1), ErrorCode::VirtioRecordFlags, 8);
}

#[test]
fn no_device_data() {
    refuses(NET, &record(1, 3, b"only optional"), ErrorCode::VirtioNoDeviceData, 29);
    refuses(NET, &record(0, 0, b""), ErrorCode::VirtioNoDeviceData, 0);
    refuses(NET, &[], ErrorCode::VirtioNoDeviceData, 0);
}

#[test]
fn unknown_part_types_not_marked_optional() {
    let f = fixture();
    let mut body = f.bytes[16..].to_vec();
    let at = 16 + body.len();
    part(&mut body, 0x0106, 0, [0; 8], b"?");
    refuses(NET, &record(0, 0, &body), ErrorCode::VirtioUnknownPart, u64::try_from(at).unwrap());
    let mut body = f.bytes[16..].to_vec();
    part(&mut body, 0x0600, 0, [0; 8], b"");
    refuses(NET, &record(0, 0, &body), ErrorCode::VirtioUnknownPart, u64::try_from(at).unwrap());
}

#[test]
fn part_lengths_other_than_the_types() {
    let f = fixture();
    let len_at = |name| u64::try_from(f.at(name) + 12).unwrap();
    // DEVICE_STATUS with 2 bytes: length 2 and one more value byte.
    let mut body =
        f.without(&["vq0", "vq1", "vq2", "notify0", "notify1", "notify2", "net_cfg"])[16..].to_vec();
    let s = body.len() - 17;
    body[s + 12] = 2;
    body.push(0);
    refuses(NET, &record(0, 0, &body), ErrorCode::VirtioPartLength, u64::try_from(16 + s + 12).unwrap());
    // num_queues with 4 bytes declared; its value then eats 2 bytes of the next header.
    refuses(
        NET,
        &f.edited(|b, f| b[f.at("num_queues") + 12] = 4),
        ErrorCode::VirtioPartLength,
        len_at("num_queues"),
    );
    // Features of 12 bytes.
    let mut body = Vec::new();
    part(&mut body, 0x100, 1, [0; 8], &[0xff; 12]);
    refuses(NET, &record(0, 0, &body), ErrorCode::VirtioPartLength, 16 + 12);
    // VQ_CFG of 31 bytes.
    let b = f.edited(|b, f| b[f.at("vq0") + 12] = 31);
    refuses(NET, &b, ErrorCode::VirtioPartLength, len_at("vq0"));
}

#[test]
fn common_cfg_offset_not_a_field() {
    let f = fixture();
    for off in [17u8, 36, 64, 200] {
        let b = f.edited(|b, f| b[f.at("msix_config") + 4] = off);
        refuses(NET, &b, ErrorCode::VirtioCommonCfgOffset, u64::try_from(f.at("msix_config") + 4).unwrap());
    }
}

#[test]
fn parts_out_of_order() {
    let f = fixture();
    // num_queues now follows the 17-byte status part.
    refuses(
        NET,
        &f.swapped("status", "num_queues"),
        ErrorCode::VirtioPartOrder,
        u64::try_from(f.at("num_queues") + 17).unwrap(),
    );
    // Same type, decreasing selector.
    let e = refuses(
        NET,
        &f.swapped("vq0", "vq1"),
        ErrorCode::VirtioPartOrder,
        u64::try_from(f.at("vq1") + 4).unwrap(),
    );
    assert_eq!(e.detail(), Detail::Value { expected: 1, found: 0 });
    refuses(
        NET,
        &f.swapped("msix_config", "num_queues"),
        ErrorCode::VirtioPartOrder,
        u64::try_from(f.at("num_queues") + 4).unwrap(),
    );
}

#[test]
fn duplicate_parts() {
    let f = fixture();
    let b = f.edited(|b, f| b[f.at("vq1") + 4] = 0);
    refuses(NET, &b, ErrorCode::VirtioDuplicatePart, u64::try_from(f.at("vq1") + 4).unwrap());
    let b = f.edited(|b, f| b[f.at("num_queues") + 4] = 16);
    refuses(NET, &b, ErrorCode::VirtioDuplicatePart, u64::try_from(f.at("num_queues") + 4).unwrap());
    let mut body = f.bytes[16..f.at("drv_features")].to_vec();
    body.extend_from_slice(&f.bytes[16..f.at("drv_features")]);
    let e = refuses(NET, &record(0, 0, &body), ErrorCode::VirtioDuplicatePart, 16 + 32);
    assert_eq!(e.detail(), Detail::Found(0x100));
}

#[test]
fn a_mandatory_preceding_part_missing() {
    let f = fixture();
    let e = refuses(NET, &f.without(&["dev_features"]), ErrorCode::VirtioMissingPart, 16);
    assert_eq!(e.field(), "VIRTIO_DEV_PART_DEV_FEATURES");
    let e = refuses(
        NET,
        &f.without(&["status"]),
        ErrorCode::VirtioMissingPart,
        u64::try_from(f.at("vq0") - 17).unwrap(),
    );
    assert_eq!(e.field(), "VIRTIO_DEV_PART_DEVICE_STATUS");
    let e = refuses(
        NET,
        &f.without(&["vq0", "vq1", "vq2"]),
        ErrorCode::VirtioMissingPart,
        u64::try_from(f.at("vq0")).unwrap(),
    );
    assert_eq!(e.field(), "VIRTIO_DEV_PART_VQ_CFG");
}

#[test]
fn part_flags() {
    let f = fixture();
    refuses(NET, &f.edited(|b, f| b[f.at("dev_features") + 2] = 0), ErrorCode::VirtioPartFlags, 18);
    refuses(NET, &f.edited(|b, f| b[f.at("drv_features") + 2] = 1), ErrorCode::VirtioPartFlags, 50);
    refuses(
        NET,
        &f.edited(|b, f| b[f.at("status") + 2] = 2),
        ErrorCode::VirtioPartFlags,
        u64::try_from(f.at("status") + 2).unwrap(),
    );
}

#[test]
fn queue_index_at_or_above_num_queues() {
    let f = fixture();
    let b = f.edited(|b, f| b[f.at("num_queues") + 16] = 2);
    let e = refuses(NET, &b, ErrorCode::VirtioQueueIndex, u64::try_from(f.at("vq2") + 4).unwrap());
    assert_eq!(e.detail(), Detail::Limit { limit: 1, found: 2 });
    let b = f.edited(|b, f| b[f.at("notify2") + 5] = 0x80);
    refuses(NET, &b, ErrorCode::VirtioQueueIndex, u64::try_from(f.at("notify2") + 4).unwrap());
}

#[test]
fn queue_configuration_out_of_range() {
    let f = fixture();
    let v = |name| u64::try_from(f.at(name) + 16).unwrap();
    let b = f.edited(|b, f| b[f.at("vq0") + 17] = 0x90); // size 0x9000 > 32768
    refuses(NET, &b, ErrorCode::VirtioQueueConfig, v("vq0"));
    let b = f.edited(|b, f| b[f.at("vq1") + 20] = 2); // enabled 2
    refuses(NET, &b, ErrorCode::VirtioQueueConfig, v("vq1") + 4);
    let b = f.edited(|b, f| {
        b[f.at("vq2") + 16] = 0; // enabled with size 0
    });
    refuses(NET, &b, ErrorCode::VirtioQueueConfig, v("vq2"));
}

#[test]
fn reserved_device_status_bits() {
    let f = fixture();
    refuses(
        NET,
        &f.edited(|b, f| b[f.at("status") + 16] = 0x1f),
        ErrorCode::VirtioDeviceStatus,
        u64::try_from(f.at("status") + 16).unwrap(),
    );
    // The device_status field of the common configuration, same rule.
    let mut body = f.bytes[16..f.at("msix_config")].to_vec();
    let at = 16 + body.len();
    part(&mut body, 0x102, 0, sel_u32(20), &[0x2f]);
    refuses(NET, &record(0, 0, &body), ErrorCode::VirtioDeviceStatus, u64::try_from(at + 16).unwrap());
}

#[test]
fn driver_feature_the_device_does_not_offer() {
    let f = fixture();
    // Bit 70: second word, bit 6.
    let b = f.edited(|b, f| b[f.at("drv_features") + 16 + 8] = 0x40);
    let e = refuses(
        NET,
        &b,
        ErrorCode::VirtioFeatureNotOffered,
        u64::try_from(f.at("drv_features") + 24).unwrap(),
    );
    assert_eq!(e.detail(), Detail::Found(70));
}

#[test]
fn reserved_fields_not_zero() {
    let f = fixture();
    let z = |name: &str, rel: usize| {
        let b = f.edited(|b, f| b[f.at(name) + rel] = 1);
        refuses(NET, &b, ErrorCode::ReservedNotZero, u64::try_from(f.at(name) + rel).unwrap())
    };
    z("status", 3); // header reserved
    z("status", 4); // selector of a part that has none
    z("num_queues", 8); // pci_common_cfg.reserved
    z("vq0", 6); // vq_index.reserved
    z("vq0", 16 + 6); // vq_cfg.reserved
    z("notify1", 16 + 4); // notify reserved
}

#[test]
fn the_typed_encoder_refuses_what_the_decoder_refuses() {
    let drv = words(&[1 << 40]);
    let dev = words(&[1]);
    let parts = [
        Part::DevFeatures(Features::from_le_bytes(&dev).unwrap()),
        Part::DrvFeatures(Features::from_le_bytes(&drv).unwrap()),
    ];
    let mut out = vec![0u8; 200];
    let e = encode_records(&[RecordSpec::DeviceData(&parts)], &mut out).unwrap_err();
    assert_eq!((e.code(), e.offset()), (ErrorCode::VirtioFeatureNotOffered, 16 + 24 + 16));
    let bad = [Part::PciCommonCfg { field: CommonCfgField::NumQueues, value: 70000 }];
    let e = encode_records(&[RecordSpec::DeviceData(&bad)], &mut out).unwrap_err();
    assert_eq!(e.code(), ErrorCode::VirtioPartLength);
    let opaque = [Part::DeviceSpecific { part_type: 0x100, optional: false, selector: [0; 8], value: &[] }];
    assert_eq!(
        encode_records(&[RecordSpec::DeviceData(&opaque)], &mut out).unwrap_err().code(),
        ErrorCode::VirtioUnknownPart
    );
    assert_eq!(Features::from_le_bytes(&[]).unwrap_err().code(), ErrorCode::VirtioPartLength);
    let f = fixture();
    let s = DevPartsStream::parse(&f.bytes).unwrap();
    let mut small = [0u8; 20];
    assert_eq!(s.encode(&mut small).unwrap_err().code(), ErrorCode::BufferTooSmall);
}

#[test]
fn common_cfg_queue_size_and_queue_enable_ranges() {
    let f = fixture();
    // dev and drv features, then one common-configuration part.
    let with = |offset: u32, value: u16| {
        let mut body = f.bytes[16..f.at("msix_config")].to_vec();
        let at = 16 + body.len();
        part(&mut body, 0x102, 0, sel_u32(offset), &value.to_le_bytes());
        (record(0, 0, &body), u64::try_from(at + 16).unwrap())
    };
    // (offset in virtio_pci_common_cfg, values accepted, values refused)
    let cases: [(u32, &[u16], &[u16]); 2] =
        [(24, &[0, 1, 256, 32768], &[32769, u16::MAX]), (28, &[0, 1], &[2, 3, u16::MAX])];
    for (offset, good, bad) in cases {
        for &value in good {
            let (b, _) = with(offset, value);
            assert!(common::decode(NET, &b).is_ok(), "offset {offset} value {value}");
        }
        for &value in bad {
            let (b, at) = with(offset, value);
            let e = refuses(NET, &b, ErrorCode::VirtioQueueConfig, at);
            assert_eq!(e.detail(), Detail::Found(u64::from(value)), "offset {offset}");
        }
    }
}

#[test]
fn an_unknown_optional_part_with_a_known_type_is_refused_by_the_encoder() {
    let mut out = vec![0u8; 200];
    // Types the spec assigns (common parts 0x100–0x105, device-specific
    // 0x200–0x5ff) are not "unknown": the encoder refuses to write them as
    // opaque optional parts, naming the type; types above are written.
    for part_type in [0x100u16, 0x103, 0x105, 0x200, 0x3ff, 0x5ff] {
        let parts = [Part::UnknownOptional { part_type, selector: [0; 8], value: &[1, 2] }];
        let e = encode_records(&[RecordSpec::DeviceData(&parts)], &mut out).unwrap_err();
        assert_eq!((e.code(), e.offset()), (ErrorCode::VirtioUnknownPart, 16), "{part_type:#x}");
        assert_eq!(e.detail(), Detail::Found(u64::from(part_type)));
    }
    for part_type in [0x600u16, 0xffff] {
        let parts = [Part::UnknownOptional { part_type, selector: [0; 8], value: &[1, 2] }];
        assert!(encode_records(&[RecordSpec::DeviceData(&parts)], &mut out).is_ok(), "{part_type:#x}");
    }
}

#[test]
fn a_records_part_list_is_as_long_as_its_parts() {
    let f = fixture();
    let s = DevPartsStream::parse(&f.bytes).unwrap();
    let lists: Vec<usize> = s
        .records()
        .map(|r| match r {
            Record::DeviceData(list) => list.len(),
            Record::Optional { .. } => panic!("the fixture has one device-data record"),
        })
        .collect();
    // The record header is 16 bytes; every byte after it is a part.
    assert_eq!(lists, [f.bytes.len() - 16]);
    assert!(!s.is_empty());
    for r in s.records() {
        if let Record::DeviceData(list) = r {
            assert!(!list.is_empty());
        }
    }
}

#[test]
fn every_single_part_is_refused_twice_in_a_row() {
    // DEV_FEATURES, DRV_FEATURES and DEVICE_STATUS may each appear once;
    // the second copy is refused at its header, naming its type.
    let f = fixture();
    for (name, next, part_type) in [
        ("dev_features", "drv_features", 0x100u64),
        ("drv_features", "msix_config", 0x101),
        ("status", "vq0", 0x103),
    ] {
        let (start, end) = (f.at(name) - 16 + 16, f.at(next) - 16 + 16);
        let mut body = f.bytes[16..end].to_vec();
        let again = 16 + body.len();
        body.extend_from_slice(&f.bytes[start..end]);
        body.extend_from_slice(&f.bytes[end..]);
        let e =
            refuses(NET, &record(0, 0, &body), ErrorCode::VirtioDuplicatePart, u64::try_from(again).unwrap());
        assert_eq!(e.detail(), Detail::Found(part_type), "{name}");
    }
}

#[test]
fn a_common_cfg_value_wider_than_its_field_is_refused_by_the_encoder() {
    let mut out = vec![0u8; 200];
    // (field, its largest value): 1-, 2- and 4-byte fields.
    let cases = [
        (CommonCfgField::ConfigGeneration, u64::from(u8::MAX)),
        (CommonCfgField::NumQueues, u64::from(u16::MAX)),
        (CommonCfgField::DeviceFeatureSelect, u64::from(u32::MAX)),
    ];
    // The parts every common-configuration part needs before it.
    let (dev, drv) = (words(&DEV_WORDS), words(&DRV_WORDS));
    let with = |field, value| {
        [
            Part::DevFeatures(Features::from_le_bytes(&dev).unwrap()),
            Part::DrvFeatures(Features::from_le_bytes(&drv).unwrap()),
            Part::PciCommonCfg { field, value },
        ]
    };
    for (field, max) in cases {
        assert_eq!(field.max_value(), max, "{field:?}");
        let fits = with(field, max);
        let n = encode_records(&[RecordSpec::DeviceData(&fits)], &mut out)
            .unwrap_or_else(|e| panic!("{field:?}: {e}"));
        assert!(common::decode(NET, &out[..n]).is_ok(), "{field:?}");
        let wide = with(field, max + 1);
        let e = encode_records(&[RecordSpec::DeviceData(&wide)], &mut out).unwrap_err();
        assert_eq!(e.code(), ErrorCode::VirtioPartLength, "{field:?}");
        assert_eq!(e.detail(), Detail::Limit { limit: max, found: max + 1 });
    }
}

#[test]
fn a_queue_of_the_largest_size_is_accepted() {
    let f = fixture();
    // vq0's queue_size (le16 at the value's start) set to 32768, the
    // largest the spec allows; one more is refused (the test above).
    let b = f.edited(|b, f| b[f.at("vq0") + 16..f.at("vq0") + 18].copy_from_slice(&32768u16.to_le_bytes()));
    assert!(common::decode(NET, &b).is_ok());
    let b = f.edited(|b, f| b[f.at("vq0") + 16..f.at("vq0") + 18].copy_from_slice(&32769u16.to_le_bytes()));
    refuses(NET, &b, ErrorCode::VirtioQueueConfig, u64::try_from(f.at("vq0") + 16).unwrap());
}

#[test]
fn a_record_size_of_exactly_the_limit_passes_the_size_check() {
    // 0xffff_ffff bytes is the driver's limit itself, so the size is not
    // refused; the record then runs past the end of the stream.
    let b = fixture().edited(|b, _| b[..8].copy_from_slice(&0xffff_ffffu64.to_le_bytes()));
    let e = common::decode(NET, &b).unwrap_err();
    assert_ne!(e.code(), ErrorCode::VirtioRecordSize, "{e}");
    assert_eq!(e.code(), ErrorCode::Truncated, "{e}");
}
