//! `codec_structured`: device states described through the codecs'
//! `arbitrary` feature rather than as bytes, so that runs reach the rules
//! past the first refusal. Every described state is also laid out here,
//! byte by byte, from the C structures the codecs document (`layout_*`),
//! independently of the codecs' writers.
//!
//! Properties:
//!
//! - **mtty**: a typed state (each port invariant repaired or not, as the
//!   input says) encodes iff the invariants hold (`mtty_violation`, read
//!   from the driver's rules), to exactly the bytes laid out here; those
//!   bytes decode to the same state; a broken invariant is refused by
//!   `encode_bytes` and by `decode_bytes` of the laid-out bytes with the
//!   same code, field and offset; a `bool` byte above 1 (718) or a non-zero
//!   padding byte is refused at that byte, any non-zero byte of `flags`
//!   (the driver defines none) at the field (712); a buffer one byte short is
//!   refused (703); the codec refuses an identity with any one field
//!   changed (704, naming the field).
//! - **virtio**: records of typed parts (from the codec's `arbitrary`)
//!   encode (`encode_records`) to the bytes laid out here, or are refused
//!   as the parser refuses those bytes (same code and offset); an encoded
//!   stream's records and parts read back equal to the ones that went in,
//!   and re-encode byte-exact. With `normalize`, parts are put in the
//!   spec's order, completed and made consistent, and the stream must be
//!   accepted; then one targeted edit (`VirtioEdit`) breaks one rule and
//!   must be refused with that rule's code at the offending part.
//! - **vfio-ap**: a matrix from id lists holds exactly those ids; it
//!   round-trips through its 96 bytes, the sysfs `matrix` +
//!   `control_domains` forms and `ap_config`; ids written in `kstrtoul`'s
//!   forms parse back (decimal, `0x`, octal, trailing newline), above 255
//!   give 762 and malformed text 761; targeted edits of the sysfs text
//!   (a 3-digit adapter, a domain above 255, a repeated or descending
//!   control domain) give 761/762 at the edited line.

use std::collections::BTreeSet;

use arbitrary::{Arbitrary, Result as ArbResult, Unstructured};
use migseal_codecs::mtty::port::{TRIGGER_LEVELS, UART_LCR, UART_LCR_DLAB, UNUSED_REGISTERS};
use migseal_codecs::mtty::{
    HEADER_LEN, MAGIC, MAJOR_VER, MINOR_VER, MttyState, MttyType, PORT_LEN, SerialPort,
};
use migseal_codecs::vfio_ap::{ApMatrix, Mask, sysfs};
use migseal_codecs::virtio::part::{DEVICE_STATUS_RESERVED, MAX_QUEUE_SIZE};
use migseal_codecs::virtio::{
    CommonCfgField, DevPartsStream, Features, Part, Record, RecordSpec, VqCfg, VqNotify, encode_records,
};
use migseal_codecs::{Codec, CodecId, ErrorCode, Registry};
use migseal_verifier::{ImageIdentity, VerifiedPayload};

/// The whole input.
#[derive(Debug)]
pub enum CodecInput {
    /// An mtty state.
    Mtty(MttyInput),
    /// VIRTIO device-parts records.
    Virtio(VirtioInput),
    /// A vfio-ap matrix.
    Ap(ApInput),
}

/// Reads an input from raw fuzzer bytes and checks it.
pub fn check_bytes(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(input) = CodecInput::arbitrary(&mut u) else { return };
    check(&input);
}

impl<'a> Arbitrary<'a> for CodecInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> ArbResult<Self> {
        Ok(match u.int_in_range(0u8..=2)? {
            0 => Self::Mtty(u.arbitrary()?),
            1 => Self::Virtio(VirtioInput::arbitrary(u)?),
            _ => Self::Ap(u.arbitrary()?),
        })
    }
}

/// Checks every property for `input`.
///
/// # Panics
///
/// When a property in the module docs does not hold.
pub fn check(input: &CodecInput) {
    match input {
        CodecInput::Mtty(m) => check_mtty(m),
        CodecInput::Virtio(v) => check_virtio(v),
        CodecInput::Ap(a) => check_ap(a),
    }
}

fn identity(codec: CodecId, device_type: Option<&'static str>) -> ImageIdentity<'static> {
    let h = codec.handles();
    ImageIdentity {
        vendor: h.vendor,
        device_api: h.device_api,
        device_type: device_type.unwrap_or(h.device_types[0]),
        codec: h.codec,
        state_version: h.state_versions[0],
    }
}

/// Changes one identity field; the codec must refuse it naming that field
/// (704), before reading a byte.
fn check_identity_refusal<C: Codec>(payload: &[u8], id: ImageIdentity<'static>, which: u8) {
    let mut bad = id;
    let field = match which % 5 {
        0 => {
            bad.vendor = "vendor-x";
            "identity.vendor"
        }
        1 => {
            bad.device_api = "vfio-x";
            "identity.device_api"
        }
        2 => {
            bad.codec = "codec-x";
            "identity.codec"
        }
        3 => {
            bad.device_type = "type-x";
            "identity.device_type"
        }
        _ => {
            bad.state_version = (bad.state_version.0 + 1, 7);
            "identity.state_version"
        }
    };
    let e = C::decode(VerifiedPayload::unverified_less_safe(payload, bad)).err().expect("a foreign identity");
    assert_eq!((e.code(), e.offset(), e.field()), (ErrorCode::UnsupportedIdentity, 0, field), "{e}");
    // The registry dispatches on vendor, device API and codec name; type
    // and version are the codec's to refuse.
    assert_eq!(C::HANDLES.dispatches(&bad), which % 5 >= 3, "dispatch of {field} changed");
}

// ---------------------------------------------------------------- mtty

/// An mtty state and which invariants to repair.
#[derive(Arbitrary, Debug)]
pub struct MttyInput {
    state: MttyState,
    /// Bit `i`: repair invariant `i` (of eight) in both ports.
    repair: u8,
    /// A byte-level edit of the laid-out bytes: (which, value).
    byte_edit: Option<(u8, u8)>,
    identity_edit: u8,
    short_by: u8,
}

/// Repairs the invariants `mask` selects.
fn repair(p: &mut SerialPort, mask: u8) {
    if mask & 1 != 0 {
        for i in UNUSED_REGISTERS {
            p.uart_reg[i] = 0;
        }
    }
    if mask & 2 != 0 {
        p.rxtx.head %= 16;
        p.rxtx.tail %= 16;
    }
    if mask & 4 != 0 {
        p.rxtx.count = p.rxtx.count.min(16);
    }
    if mask & 8 != 0 {
        let span = p.rxtx.head.wrapping_sub(p.rxtx.tail) & 15;
        if span != p.rxtx.count & 15 {
            p.rxtx.count = span;
        }
    }
    if mask & 16 != 0 {
        p.dlab = p.uart_reg[UART_LCR] & UART_LCR_DLAB != 0;
    }
    if mask & 32 != 0 && p.max_fifo_size != 1 {
        p.max_fifo_size = 16;
    }
    if mask & 64 != 0 && !TRIGGER_LEVELS.contains(&p.intr_trigger_level) {
        p.intr_trigger_level = TRIGGER_LEVELS[usize::from(p.intr_trigger_level) % TRIGGER_LEVELS.len()];
    }
}

/// The first broken invariant of a port (the driver's rules, in field
/// order as `SerialPort::check` reports them): (code, offset in the port,
/// field).
fn mtty_violation(p: &SerialPort) -> Option<(ErrorCode, usize, &'static str)> {
    if let Some(i) = UNUSED_REGISTERS.into_iter().find(|&i| p.uart_reg[i] != 0) {
        return Some((ErrorCode::MttyUnusedRegister, i, "uart_reg"));
    }
    let r = &p.rxtx;
    if r.head >= 16 {
        return Some((ErrorCode::MttyFifoIndex, 24, "rxtx.head"));
    }
    if r.tail >= 16 {
        return Some((ErrorCode::MttyFifoIndex, 25, "rxtx.tail"));
    }
    if r.count > 16 {
        return Some((ErrorCode::MttyFifoCount, 26, "rxtx.count"));
    }
    if (r.head + 16 - r.tail) % 16 != r.count % 16 {
        return Some((ErrorCode::MttyFifoInconsistent, 26, "rxtx.count"));
    }
    if p.dlab != (p.uart_reg[UART_LCR] & 0x80 != 0) {
        return Some((ErrorCode::MttyDlab, 27, "dlab"));
    }
    if p.max_fifo_size != 1 && p.max_fifo_size != 16 {
        return Some((ErrorCode::MttyFifoSize, 33, "max_fifo_size"));
    }
    if ![0, 1, 4, 8, 14].contains(&p.intr_trigger_level) {
        return Some((ErrorCode::MttyTriggerLevel, 34, "intr_trigger_level"));
    }
    None
}

/// `struct mtty_data` + `struct serial_port` as the driver lays them out.
fn layout_mtty(s: &MttyState) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&MAGIC.to_le_bytes());
    v.extend_from_slice(&MAJOR_VER.to_le_bytes());
    v.extend_from_slice(&MINOR_VER.to_le_bytes());
    v.extend_from_slice(&(s.ports().len() as u32).to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    for p in s.ports() {
        v.extend_from_slice(&p.uart_reg);
        v.extend_from_slice(&p.rxtx.fifo);
        v.extend_from_slice(&[
            p.rxtx.head,
            p.rxtx.tail,
            p.rxtx.count,
            u8::from(p.dlab),
            u8::from(p.overrun),
            0,
        ]);
        v.extend_from_slice(&p.divisor.to_le_bytes());
        v.extend_from_slice(&[p.fcr, p.max_fifo_size, p.intr_trigger_level, 0]);
    }
    v
}

fn check_mtty(input: &MttyInput) {
    let mut state = input.state;
    for p in state.ports_mut() {
        repair(p, input.repair);
    }
    let kind = state.kind();
    assert_eq!(MttyType::from_device_type(kind.device_type()), Some(kind));
    let bytes = layout_mtty(&state);
    assert_eq!(bytes.len(), kind.data_len(), "layout length");
    let want = state.ports().iter().enumerate().find_map(|(i, p)| {
        mtty_violation(p).map(|(c, at, f)| (c, (HEADER_LEN + i * PORT_LEN + at) as u64, f))
    });
    let mut out = vec![0u8; kind.data_len()];
    let encoded = state.encode_bytes(&mut out);
    let decoded = MttyState::decode_bytes(kind, &bytes);
    match want {
        None => {
            assert_eq!(encoded.expect("a state within the invariants encodes"), bytes.len());
            assert_eq!(out, bytes, "encode_bytes = the driver's layout");
            assert_eq!(decoded.expect("the layout decodes"), state, "decode(layout) = state");
            let id = identity(CodecId::Mtty, Some(kind.device_type()));
            let d = Registry::decode(VerifiedPayload::unverified_less_safe(&bytes, id)).expect("registry");
            assert_eq!(Registry::encode_to_vec(&d).expect("registry encode"), bytes);
            check_identity_refusal::<migseal_codecs::mtty::Mtty>(&bytes, id, input.identity_edit);
            // A buffer short by 1..=n bytes.
            let short = usize::from(input.short_by % 8) + 1;
            let mut small = vec![0u8; bytes.len() - short.min(bytes.len())];
            let e = state.encode_bytes(&mut small).expect_err("a short buffer");
            assert_eq!(e.code(), ErrorCode::BufferTooSmall, "{e}");
        }
        Some((code, at, field)) => {
            for (what, r) in [("encode_bytes", encoded.map(|_| ())), ("decode_bytes", decoded.map(|_| ()))] {
                let e = r.expect_err(what);
                assert_eq!((e.code(), e.offset()), (code, at), "{what}: {e}");
                assert!(e.field().ends_with(field), "{what}: field {:?}, expected {field}", e.field());
            }
            return;
        }
    }
    // Byte-level edits of valid bytes: a bool above 1, padding not zero,
    // a header field.
    let Some((which, value)) = input.byte_edit else { return };
    let port = usize::from(which / 8) % state.ports().len();
    let base = HEADER_LEN + port * PORT_LEN;
    let (at, code): (usize, Option<ErrorCode>) = match which % 8 {
        0 => {
            // `dlab` must also mirror LCR bit 7.
            let lcr_dlab = state.ports()[port].uart_reg[UART_LCR] & UART_LCR_DLAB != 0;
            let code = match value {
                2.. => Some(ErrorCode::MttyBool),
                v if (v == 1) != lcr_dlab => Some(ErrorCode::MttyDlab),
                _ => None,
            };
            (base + 27, code)
        }
        1 => (base + 28, (value > 1).then_some(ErrorCode::MttyBool)),
        2 => (base + 29, (value != 0).then_some(ErrorCode::ReservedNotZero)),
        3 => (base + 35, (value != 0).then_some(ErrorCode::ReservedNotZero)),
        4 => (usize::from(value % 8), (value % 8 != 0 || bytes[0] != 0).then_some(ErrorCode::MttyBadMagic)),
        // Any byte of the u32 `flags` not zero is refused: the driver
        // defines no flag. (The first model said `value >= 4`, as if the
        // byte written were the whole field; a 30-minute run found that
        // 1 written at byte 21 is flags 0x100, refused as it must be.)
        5 => (20 + usize::from(value % 4), (value != 0).then_some(ErrorCode::MttyFlags)),
        6 => (8, (u32::from(value) != MAJOR_VER).then_some(ErrorCode::MttyVersion)),
        _ => (16, (u32::from(value) != kind.ports()).then_some(ErrorCode::MttyPortCount)),
    };
    let mut edited = bytes.clone();
    match which % 8 {
        4 => edited[at] ^= value | 1,
        5 => edited[at] = value,
        6 | 7 => edited[at..at + 4].copy_from_slice(&u32::from(value).to_le_bytes()),
        _ => edited[at] = value,
    }
    let r = MttyState::decode_bytes(kind, &edited);
    match code {
        None => {
            if which % 8 == 4 {
                return;
            }
            let again = r.expect("an edit that keeps the state valid");
            let mut out = vec![0u8; kind.data_len()];
            again.encode_bytes(&mut out).expect("encode");
            assert_eq!(out, edited, "byte-exact after an allowed edit");
        }
        Some(code) => {
            let e = r.expect_err("an edited byte");
            let want_at = match code {
                ErrorCode::MttyBadMagic => 0,
                ErrorCode::MttyFlags => 20,
                _ => at as u64,
            };
            assert_eq!((e.code(), e.offset()), (code, want_at), "{e}");
        }
    }
}

// ---------------------------------------------------------------- virtio

/// A part, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
enum OwnedPart {
    Dev(Vec<u8>),
    Drv(Vec<u8>),
    Common(CommonCfgField, u64),
    Status(u8),
    Vq(u16, VqCfg),
    Notify(u16, VqNotify),
    Specific(u16, bool, [u8; 8], Vec<u8>),
    Unknown(u16, [u8; 8], Vec<u8>),
}

impl OwnedPart {
    fn of(p: &Part<'_>) -> Self {
        match *p {
            Part::DevFeatures(f) => Self::Dev(f.as_bytes().to_vec()),
            Part::DrvFeatures(f) => Self::Drv(f.as_bytes().to_vec()),
            Part::PciCommonCfg { field, value } => Self::Common(field, value),
            Part::DeviceStatus(s) => Self::Status(s),
            Part::VqCfg { index, cfg } => Self::Vq(index, cfg),
            Part::VqNotifyCfg { index, notify } => Self::Notify(index, notify),
            Part::DeviceSpecific { part_type, optional, selector, value } => {
                Self::Specific(part_type, optional, selector, value.to_vec())
            }
            Part::UnknownOptional { part_type, selector, value } => {
                Self::Unknown(part_type, selector, value.to_vec())
            }
        }
    }

    fn part(&self) -> Part<'_> {
        fn f(b: &[u8]) -> Features<'_> {
            Features::from_le_bytes(b).expect("features of whole words")
        }
        match self {
            Self::Dev(b) => Part::DevFeatures(f(b)),
            Self::Drv(b) => Part::DrvFeatures(f(b)),
            Self::Common(field, value) => Part::PciCommonCfg { field: *field, value: *value },
            Self::Status(s) => Part::DeviceStatus(*s),
            Self::Vq(index, cfg) => Part::VqCfg { index: *index, cfg: *cfg },
            Self::Notify(index, notify) => Part::VqNotifyCfg { index: *index, notify: *notify },
            Self::Specific(t, o, s, v) => {
                Part::DeviceSpecific { part_type: *t, optional: *o, selector: *s, value: v }
            }
            Self::Unknown(t, s, v) => Part::UnknownOptional { part_type: *t, selector: *s, value: v },
        }
    }

    fn rank(&self) -> Option<u8> {
        match self {
            Self::Dev(_) => Some(0),
            Self::Drv(_) => Some(1),
            Self::Common(..) => Some(2),
            Self::Status(_) => Some(3),
            Self::Vq(..) => Some(4),
            Self::Notify(..) => Some(5),
            _ => None,
        }
    }

    /// The selector order among parts of one repeatable type.
    fn selector(&self) -> u32 {
        match self {
            Self::Common(f, _) => f.offset(),
            Self::Vq(i, _) | Self::Notify(i, _) => u32::from(*i),
            _ => 0,
        }
    }

    /// `struct virtio_dev_part` with its value, as the spec lays it out.
    fn layout(&self, out: &mut Vec<u8>) {
        let (ty, flags, selector, value): (u16, u8, [u8; 8], Vec<u8>) = match self {
            Self::Dev(b) => (0x100, 1, [0; 8], b.clone()),
            Self::Drv(b) => (0x101, 0, [0; 8], b.clone()),
            Self::Common(f, v) => {
                let mut s = [0u8; 8];
                s[..4].copy_from_slice(&f.offset().to_le_bytes());
                (0x102, 0, s, v.to_le_bytes()[..f.size()].to_vec())
            }
            Self::Status(s) => (0x103, 0, [0; 8], vec![*s]),
            Self::Vq(i, c) => {
                let mut s = [0u8; 8];
                s[..2].copy_from_slice(&i.to_le_bytes());
                let mut v = Vec::new();
                for x in [c.queue_size, c.vector, c.enabled, 0] {
                    v.extend_from_slice(&x.to_le_bytes());
                }
                for x in [c.queue_desc, c.queue_driver, c.queue_device] {
                    v.extend_from_slice(&x.to_le_bytes());
                }
                (0x104, 0, s, v)
            }
            Self::Notify(i, n) => {
                let mut s = [0u8; 8];
                s[..2].copy_from_slice(&i.to_le_bytes());
                let mut v = Vec::new();
                v.extend_from_slice(&n.queue_notify_off.to_le_bytes());
                v.extend_from_slice(&n.queue_notif_config_data.to_le_bytes());
                v.extend_from_slice(&[0; 4]);
                (0x105, 0, s, v)
            }
            Self::Specific(t, o, s, v) => (*t, u8::from(*o), *s, v.clone()),
            Self::Unknown(t, s, v) => (*t, 1, *s, v.clone()),
        };
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&[flags, 0]);
        out.extend_from_slice(&selector);
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        out.extend_from_slice(&value);
    }

    fn len(&self) -> usize {
        let mut v = Vec::new();
        self.layout(&mut v);
        v.len()
    }
}

/// A record, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
enum OwnedRecord {
    Device(Vec<OwnedPart>),
    Optional(u32, Vec<u8>),
}

/// A targeted rule break on a normalised stream (in its first
/// device-data record).
#[derive(Arbitrary, Clone, Copy, Debug)]
enum VirtioEdit {
    /// Move part `n` (a ranked part after the first) to the front: the
    /// device features are then missing before it (739).
    ToFront(u8),
    /// Repeat a single part (device/driver features, status) right after
    /// itself (738).
    Repeat(u8),
    /// Swap a part with the next one of lower rank (737).
    SwapDown(u8),
    /// A driver feature bit the device does not offer (744).
    ExtraFeature(u8),
    /// A queue index at `num_queues` (741).
    QueueBeyond,
    /// The device-data record flagged (732).
    RecordFlags(u32),
    /// No device-data record at all (733 at the end).
    NoDeviceData,
}

/// The virtio input.
#[derive(Debug)]
pub struct VirtioInput {
    records: Vec<OwnedRecord>,
    normalize: bool,
    edit: Option<VirtioEdit>,
    short_by: u8,
    identity_edit: u8,
}

impl<'a> Arbitrary<'a> for VirtioInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> ArbResult<Self> {
        let n = u.int_in_range(1usize..=3)?;
        let mut records = Vec::with_capacity(n);
        for _ in 0..n {
            if u.ratio(1u8, 5u8)? {
                let tag = u.int_in_range(1u32..=u32::MAX)?;
                let len = u.int_in_range(0usize..=32)?;
                records.push(OwnedRecord::Optional(tag, u.bytes(len)?.to_vec()));
            } else {
                let parts: Vec<Part<'a>> = u.arbitrary_iter()?.take(24).collect::<ArbResult<_>>()?;
                records.push(OwnedRecord::Device(parts.iter().map(OwnedPart::of).collect()));
            }
        }
        Ok(Self {
            records,
            normalize: u.ratio(3u8, 4u8)?,
            edit: u.arbitrary()?,
            short_by: u.arbitrary()?,
            identity_edit: u.arbitrary()?,
        })
    }
}

/// Puts a record's parts in the spec's order and makes them consistent:
/// every rank up to the highest present, singles once, selectors strictly
/// increasing, driver features within the device's, queue indices below
/// `num_queues`, valid queue and status values.
fn normalize(parts: &mut Vec<OwnedPart>) {
    // No `num_queues` can cover queue 65535.
    parts.retain(|p| !matches!(p, OwnedPart::Vq(u16::MAX, _) | OwnedPart::Notify(u16::MAX, _)));
    let top = parts.iter().filter_map(OwnedPart::rank).max().unwrap_or(0);
    let defaults = [
        OwnedPart::Dev(vec![0xff; 8]),
        OwnedPart::Drv(vec![0; 8]),
        OwnedPart::Common(CommonCfgField::DeviceFeatureSelect, 0),
        OwnedPart::Status(0),
        OwnedPart::Vq(0, VqCfg::default()),
        OwnedPart::Notify(0, VqNotify::default()),
    ];
    for (r, d) in defaults.into_iter().enumerate().take(usize::from(top) + 1) {
        if !parts.iter().any(|p| p.rank() == Some(r as u8)) {
            parts.push(d);
        }
    }
    // Unranked parts go last (anywhere is allowed; last keeps the sort simple).
    parts.sort_by_key(|p| (p.rank().unwrap_or(6), p.selector()));
    parts.dedup_by(|b, a| a.rank().is_some() && a.rank() == b.rank() && a.selector() == b.selector());
    let dev: Vec<u8> = parts
        .iter()
        .find_map(|p| if let OwnedPart::Dev(b) = p { Some(b.clone()) } else { None })
        .unwrap_or_default();
    let max_index = parts
        .iter()
        .filter_map(|p| match p {
            OwnedPart::Vq(i, _) | OwnedPart::Notify(i, _) => Some(*i),
            _ => None,
        })
        .max();
    for p in parts.iter_mut() {
        match p {
            OwnedPart::Drv(b) => {
                for (i, x) in b.iter_mut().enumerate() {
                    *x &= dev.get(i).copied().unwrap_or(0);
                }
            }
            OwnedPart::Common(CommonCfgField::NumQueues, v) => {
                *v = max_index.map_or(*v, |m| u64::from(m.saturating_add(1)).max(*v));
            }
            OwnedPart::Common(CommonCfgField::DeviceStatus, v)
            | OwnedPart::Common(CommonCfgField::QueueEnable, v) => {
                *v &= !u64::from(DEVICE_STATUS_RESERVED) & 1;
            }
            OwnedPart::Common(CommonCfgField::QueueSize, v) => *v = (*v).min(u64::from(MAX_QUEUE_SIZE)),
            OwnedPart::Status(s) => *s &= !DEVICE_STATUS_RESERVED,
            OwnedPart::Vq(_, c) => {
                c.queue_size = c.queue_size.min(MAX_QUEUE_SIZE);
                c.enabled = u16::from(c.enabled == 1 && c.queue_size > 0);
            }
            _ => {}
        }
    }
}

fn layout_records(records: &[OwnedRecord]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        let (flags, tag, data) = match r {
            OwnedRecord::Device(parts) => {
                let mut d = Vec::new();
                for p in parts {
                    p.layout(&mut d);
                }
                (0u32, 0u32, d)
            }
            OwnedRecord::Optional(tag, data) => (1, *tag, data.clone()),
        };
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&data);
    }
    out
}

/// Encodes through the codec; the result as (bytes) or (code, offset).
fn encode(records: &[OwnedRecord]) -> Result<Vec<u8>, (ErrorCode, u64)> {
    let parts: Vec<Vec<Part<'_>>> = records
        .iter()
        .map(|r| match r {
            OwnedRecord::Device(p) => p.iter().map(OwnedPart::part).collect(),
            OwnedRecord::Optional(..) => Vec::new(),
        })
        .collect();
    let specs: Vec<RecordSpec<'_>> = records
        .iter()
        .zip(&parts)
        .map(|(r, p)| match r {
            OwnedRecord::Device(_) => RecordSpec::DeviceData(p),
            OwnedRecord::Optional(tag, data) => RecordSpec::Optional { tag: *tag, data },
        })
        .collect();
    let len: usize = specs.iter().map(RecordSpec::encoded_len).sum();
    let mut out = vec![0u8; len];
    let n = encode_records(&specs, &mut out).map_err(|e| (e.code(), e.offset()))?;
    assert_eq!(n, len, "encoded_len of the records");
    Ok(out)
}

/// The stream's records, owned.
fn read_back(s: &DevPartsStream<'_>) -> Vec<OwnedRecord> {
    s.records()
        .map(|r| match r {
            Record::DeviceData(list) => {
                assert!(!list.is_empty(), "a device-data record holds parts");
                assert_eq!(list.len(), list.parts().map(|p| p.encoded_len()).sum::<usize>(), "record length");
                OwnedRecord::Device(list.parts().map(|p| OwnedPart::of(&p)).collect())
            }
            Record::Optional { tag, data } => OwnedRecord::Optional(tag, data.to_vec()),
        })
        .collect()
}

/// Offset of part `k` of the first device-data record.
fn part_offset(records: &[OwnedRecord], k: usize) -> (usize, u64) {
    let mut at = 0usize;
    for (ri, r) in records.iter().enumerate() {
        match r {
            OwnedRecord::Device(parts) => {
                at += 16;
                return (ri, (at + parts[..k].iter().map(OwnedPart::len).sum::<usize>()) as u64);
            }
            OwnedRecord::Optional(_, d) => at += 16 + d.len(),
        }
    }
    unreachable!("no device-data record")
}

fn check_virtio(input: &VirtioInput) {
    let mut records = input.records.clone();
    if input.normalize {
        for r in &mut records {
            if let OwnedRecord::Device(parts) = r {
                normalize(parts);
            }
        }
        if !records.iter().any(|r| matches!(r, OwnedRecord::Device(_))) {
            records.push(OwnedRecord::Device(vec![OwnedPart::Dev(vec![1; 8])]));
        }
    }
    let laid = layout_records(&records);
    let encoded = encode(&records);
    let parsed = DevPartsStream::parse(&laid).map_err(|e| (e.code(), e.offset()));
    match (&encoded, &parsed) {
        (Ok(bytes), Ok(stream)) => {
            assert_eq!(bytes, &laid, "encode_records = the spec's layout");
            assert_eq!(stream.len(), laid.len());
            assert!(!stream.is_empty());
            assert_eq!(read_back(stream), records, "records read back");
            let mut again = vec![0u8; laid.len()];
            assert_eq!(stream.encode(&mut again).expect("re-encode"), laid.len());
            assert_eq!(again, laid, "re-encoded byte-exact");
            let short = usize::from(input.short_by % 16) + 1;
            let mut small = vec![0u8; laid.len().saturating_sub(short)];
            let e = stream.encode(&mut small).expect_err("short buffer");
            assert_eq!(e.code(), ErrorCode::BufferTooSmall, "{e}");
            let id = identity(CodecId::VirtioDevParts, None);
            check_identity_refusal::<migseal_codecs::virtio::VirtioDevParts>(&laid, id, input.identity_edit);
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "encode_records and the parser refuse alike"),
        (a, b) => panic!("encode_records {a:?} but the parser of the layout {:?}", b.as_ref().map(|_| ())),
    }
    if !input.normalize {
        return;
    }
    assert!(encoded.is_ok(), "a normalised stream is refused: {encoded:?}\n{records:?}");
    let Some(edit) = input.edit else { return };
    let Some(ri) = records.iter().position(|r| matches!(r, OwnedRecord::Device(_))) else { return };
    let OwnedRecord::Device(parts) = records[ri].clone() else { return };
    let ranked = parts.iter().filter(|p| p.rank().is_some()).count();
    let mut edited = records.clone();
    let set = |e: &mut Vec<OwnedRecord>, p: Vec<OwnedPart>| e[ri] = OwnedRecord::Device(p);
    let expect: (ErrorCode, u64) = match edit {
        VirtioEdit::ToFront(n) => {
            if ranked < 2 {
                return;
            }
            let k = 1 + usize::from(n) % (ranked - 1);
            let mut p = parts.clone();
            let moved = p.remove(k);
            p.insert(0, moved);
            set(&mut edited, p);
            (ErrorCode::VirtioMissingPart, part_offset(&edited, 0).1)
        }
        VirtioEdit::Repeat(n) => {
            let singles: Vec<usize> = (0..parts.len())
                .filter(|&i| matches!(parts[i], OwnedPart::Dev(_) | OwnedPart::Drv(_) | OwnedPart::Status(_)))
                .collect();
            if singles.is_empty() {
                return;
            }
            let k = singles[usize::from(n) % singles.len()];
            let mut p = parts.clone();
            p.insert(k + 1, parts[k].clone());
            set(&mut edited, p);
            (ErrorCode::VirtioDuplicatePart, part_offset(&edited, k + 1).1)
        }
        VirtioEdit::SwapDown(n) => {
            let pairs: Vec<usize> =
                (0..ranked.saturating_sub(1)).filter(|&i| parts[i].rank() < parts[i + 1].rank()).collect();
            if pairs.is_empty() {
                return;
            }
            let k = pairs[usize::from(n) % pairs.len()];
            let mut p = parts.clone();
            p.swap(k, k + 1);
            set(&mut edited, p.clone());
            // The lower-ranked part now after a higher one: out of order,
            // unless the higher one first misses a part before it.
            if p[k].rank().expect("ranked") > 0
                && !(0..p[k].rank().unwrap()).all(|r| p[..k].iter().any(|x| x.rank() == Some(r)))
            {
                (ErrorCode::VirtioMissingPart, part_offset(&edited, k).1)
            } else {
                (ErrorCode::VirtioPartOrder, part_offset(&edited, k + 1).1)
            }
        }
        VirtioEdit::ExtraFeature(bit) => {
            let Some(k) = parts.iter().position(|p| matches!(p, OwnedPart::Drv(_))) else { return };
            let OwnedPart::Drv(drv) = &parts[k] else { return };
            let dev = parts
                .iter()
                .find_map(|p| if let OwnedPart::Dev(b) = p { Some(b.clone()) } else { None })
                .unwrap_or_default();
            let bits = drv.len() * 8;
            let b = usize::from(bit) % bits;
            if dev.get(b / 8).is_some_and(|x| x & (1 << (b % 8)) != 0) {
                return;
            }
            let mut nd = drv.clone();
            nd[b / 8] |= 1 << (b % 8);
            // The first word with a bit not offered.
            let word = b / 64;
            let mut p = parts.clone();
            p[k] = OwnedPart::Drv(nd);
            set(&mut edited, p);
            (ErrorCode::VirtioFeatureNotOffered, part_offset(&edited, k).1 + 16 + (word * 8) as u64)
        }
        VirtioEdit::QueueBeyond => {
            let Some(n) = parts.iter().find_map(|p| match p {
                OwnedPart::Common(CommonCfgField::NumQueues, v) => u16::try_from(*v).ok(),
                _ => None,
            }) else {
                return;
            };
            let Some(k) = parts.iter().position(|p| matches!(p, OwnedPart::Vq(..))) else { return };
            let mut p = parts.clone();
            if let OwnedPart::Vq(i, _) = &mut p[k] {
                *i = n;
            }
            // Keep the selectors increasing: only the first queue part.
            if p[k + 1..].iter().any(|x| matches!(x, OwnedPart::Vq(j, _) if *j <= n)) {
                return;
            }
            set(&mut edited, p);
            (ErrorCode::VirtioQueueIndex, part_offset(&edited, k).1 + 4)
        }
        VirtioEdit::RecordFlags(f) => {
            let f = f | 2;
            let mut bytes = laid.clone();
            let (_, start) = part_offset(&records, 0);
            let rec = start as usize - 16;
            bytes[rec + 8..rec + 12].copy_from_slice(&f.to_le_bytes());
            let e = DevPartsStream::parse(&bytes).expect_err("flagged device data");
            assert_eq!((e.code(), e.offset()), (ErrorCode::VirtioRecordFlags, rec as u64 + 8), "{e}");
            return;
        }
        VirtioEdit::NoDeviceData => {
            edited.retain(|r| matches!(r, OwnedRecord::Optional(..)));
            let len = layout_records(&edited).len() as u64;
            (ErrorCode::VirtioNoDeviceData, len)
        }
    };
    let got = encode(&edited);
    assert_eq!(got.as_ref().map(|_| ()), Err(&expect), "{edit:?} on {parts:?}");
    let parsed =
        DevPartsStream::parse(&layout_records(&edited)).map(|_| ()).map_err(|e| (e.code(), e.offset()));
    assert_eq!(parsed, Err(expect), "{edit:?}: the parser");
}

// ---------------------------------------------------------------- vfio-ap

/// A matrix as id lists, with text edits.
#[derive(Arbitrary, Debug)]
pub struct ApInput {
    adapters: Vec<u8>,
    domains: Vec<u8>,
    control: Vec<u8>,
    id: u16,
    id_form: u8,
    edit: Option<(u8, u8)>,
    identity_edit: u8,
}

fn check_ap(input: &ApInput) {
    let mut m = ApMatrix::empty();
    let sets: [(Mask, BTreeSet<u8>); 3] = [
        (Mask::Adapters, input.adapters.iter().copied().collect()),
        (Mask::Domains, input.domains.iter().copied().collect()),
        (Mask::ControlDomains, input.control.iter().copied().collect()),
    ];
    for (mask, ids) in &sets {
        for id in ids {
            m.set(*mask, *id);
        }
    }
    for (mask, ids) in &sets {
        assert_eq!(m.ids(*mask).collect::<BTreeSet<_>>(), *ids, "{} ids", mask.name());
        assert_eq!(m.count(*mask) as usize, ids.len());
        assert!(ids.iter().all(|&i| m.has(*mask, i)));
        assert_eq!(mask.name(), ["apm", "aqm", "adm"][Mask::ALL.iter().position(|x| x == mask).unwrap()]);
    }
    let bytes = m.to_bytes();
    assert_eq!(ApMatrix::from_bytes(&bytes).expect("96 bytes"), m);
    let id = identity(CodecId::VfioApMatrix, None);
    check_identity_refusal::<migseal_codecs::vfio_ap::VfioApMatrix>(&bytes, id, input.identity_edit);

    let mut matrix = String::new();
    let mut control = String::new();
    let mut config = String::new();
    sysfs::write_matrix(&m, &mut matrix).expect("write");
    sysfs::write_control_domains(&m, &mut control).expect("write");
    sysfs::write_ap_config(&m, &mut config).expect("write");
    assert_eq!(sysfs::parse_ap_config(&config).expect("ap_config parses"), m, "ap_config round trip");
    // `matrix` lists the cross product: adapters without domains (or the
    // reverse) print alone, so the two masks come back exactly.
    let back = sysfs::from_sysfs(&matrix, &control).expect("sysfs forms parse");
    assert_eq!(back, m, "matrix + control_domains round trip");

    // An id in `kstrtoul`'s forms.
    let v = u32::from(input.id);
    let text = match input.id_form % 4 {
        0 => format!("{v}"),
        1 => format!("0x{v:x}"),
        2 => format!("0{v:o}"),
        _ => format!("{v}\n"),
    };
    match sysfs::parse_id(&text) {
        Ok(x) => assert_eq!(u32::from(x), v, "parse_id({text:?})"),
        Err(e) => {
            assert!(v > 255, "parse_id({text:?}) refused: {e}");
            assert_eq!(e.code(), ErrorCode::ApIdOutOfRange, "{e}");
        }
    }
    for bad in ["", "0x", "08", "x1", "1 2", "-1"] {
        assert_eq!(sysfs::parse_id(bad).expect_err(bad).code(), ErrorCode::ApSyntax, "parse_id({bad:?})");
    }

    // Text edits with a known refusal.
    let Some((which, n)) = input.edit else { return };
    match which % 4 {
        0 => {
            // A 3-digit adapter on line `n`.
            let lines: Vec<&str> = matrix.lines().collect();
            if lines.is_empty() {
                return;
            }
            let k = usize::from(n) % lines.len();
            if lines[k].starts_with('.') {
                // No adapter on the line to lengthen.
                return;
            }
            let at: usize = lines[..k].iter().map(|l| l.len() + 1).sum();
            let mut t = lines.iter().map(|l| format!("{l}\n")).collect::<Vec<_>>();
            t[k] = format!("1{}", t[k]);
            let e = sysfs::parse_matrix(&t.concat()).expect_err("a 3-digit adapter");
            assert_eq!((e.code(), e.offset()), (ErrorCode::ApSyntax, at as u64), "{e}");
        }
        1 => {
            // A domain above 255.
            let t = format!("{matrix}.{:04x}\n", 0x100 + u32::from(n));
            let e = sysfs::parse_matrix(&t).expect_err("domain above 255");
            assert_eq!((e.code(), e.offset()), (ErrorCode::ApIdOutOfRange, matrix.len() as u64 + 1), "{e}");
        }
        2 => {
            // A control domain repeated or lower than the last.
            let Some(last) = m.ids(Mask::ControlDomains).last() else { return };
            let t = format!("{control}{:04x}\n", last.saturating_sub(n % 4));
            let e = sysfs::from_sysfs(&matrix, &t).expect_err("descending control domain");
            assert_eq!((e.code(), e.offset()), (ErrorCode::ApSyntax, control.len() as u64), "{e}");
        }
        _ => {
            // ap_config with a fourth field or a bad digit.
            let e =
                sysfs::parse_ap_config(&format!("{},0x{n:02x}\n", config.trim_end())).expect_err("4 fields");
            assert_eq!(e.code(), ErrorCode::ApSyntax, "{e}");
            let mut bad = config.clone().into_bytes();
            let i = 2 + usize::from(n) % 64;
            bad[i] = b'g';
            let e = sysfs::parse_ap_config(std::str::from_utf8(&bad).unwrap()).expect_err("a bad digit");
            assert_eq!((e.code(), e.offset()), (ErrorCode::ApSyntax, i as u64), "{e}");
        }
    }
}
