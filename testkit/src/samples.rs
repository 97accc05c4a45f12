//! Fixed test keys, sample headers and descriptors, and an image builder:
//! what the spec vectors, the CLI's demo and the tests are made of.
//!
//! Test keys are derived from their names, so anyone can regenerate them:
//! seed = SHA-256(`"migseal test key\0"` || name). They are public: never
//! trust them outside tests.

use migseal_format::cbor::{Encoder, len_u64};
use migseal_format::envelope::{
    Descriptor, DeviceIdentity, Header, IdentList, MAX_HEADER_LEN, Role, SessionNonce, ShellConfig,
    StateVersion, VersionRange, VersionRanges,
};
use migseal_format::{Ident, Subject};
use migseal_verifier::{Crypto, Dalek, Sealer, SealingKey};

/// The sealing key named `name` (public test material).
#[must_use]
pub fn test_key(name: &str) -> SealingKey {
    let seed = Dalek.digest(&[b"migseal test key\0", name.as_bytes()]);
    SealingKey::from_seed(&seed)
}

/// Everything a header says, owned, for building images.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderSpec {
    /// Vendor.
    pub vendor: String,
    /// Device API.
    pub device_api: String,
    /// Device type.
    pub device_type: String,
    /// State version.
    pub version: (u32, u32),
    /// Features (any order; sorted canonically when encoded).
    pub features: Vec<String>,
    /// Shell config `(kind, data)`.
    pub config: Option<(String, Vec<u8>)>,
    /// Codec.
    pub codec: String,
    /// Security version.
    pub security_version: u64,
    /// Session nonce.
    pub session: Option<Vec<u8>>,
    /// Subject.
    pub subject: Option<String>,
}

impl HeaderSpec {
    /// A spec with no features, config, session or subject.
    #[must_use]
    pub fn new(vendor: &str, device_api: &str, device_type: &str, version: (u32, u32), codec: &str) -> Self {
        Self {
            vendor: vendor.into(),
            device_api: device_api.into(),
            device_type: device_type.into(),
            version,
            features: Vec::new(),
            config: None,
            codec: codec.into(),
            security_version: 1,
            session: None,
            subject: None,
        }
    }

    /// Runs `f` with the borrowed header for `key_id`.
    ///
    /// # Panics
    ///
    /// On an invalid spec: this is test tooling, and a bad spec is a bug in
    /// the test.
    #[allow(clippy::expect_used)]
    pub fn with_header<R>(&self, key_id: [u8; 32], f: impl FnOnce(&Header<'_>) -> R) -> R {
        let id = ident;
        let features = sorted_idents(&self.features);
        let config = self.config.as_ref().map(|(k, d)| ShellConfig::new(id(k), d).expect("valid config"));
        let header = Header {
            identity: DeviceIdentity {
                vendor: id(&self.vendor),
                device_api: id(&self.device_api),
                device_type: id(&self.device_type),
            },
            state_version: StateVersion::new(self.version.0, self.version.1),
            features: IdentList::from_slice(&features, 32).expect("features fit"),
            config,
            codec: id(&self.codec),
            security_version: self.security_version,
            session: self.session.as_deref().map(|s| SessionNonce::new(s).expect("valid nonce")),
            subject: self.subject.as_deref().map(|s| Subject::new(s).expect("valid subject")),
            key_id,
        };
        f(&header)
    }
}

#[allow(clippy::expect_used)]
fn ident(s: &str) -> Ident<'_> {
    Ident::new(s).expect("valid identifier in spec")
}

/// Identifiers from strings, in canonical order (length, then bytes).
///
/// # Panics
///
/// On an invalid identifier (test tooling).
#[allow(clippy::expect_used)]
#[must_use]
pub fn sorted_idents(names: &[String]) -> Vec<Ident<'_>> {
    let mut v: Vec<Ident<'_>> = names.iter().map(|s| Ident::new(s).expect("valid identifier")).collect();
    v.sort_by(|a, b| (a.as_str().len(), a.as_str()).cmp(&(b.as_str().len(), b.as_str())));
    v.dedup();
    v
}

/// Seals `payload` under `spec` with `key`, in chunks of `chunk_size`
/// bytes (the last may be shorter; an empty payload gives no chunk).
///
/// # Panics
///
/// On an invalid spec or a zero chunk size (test tooling).
#[allow(clippy::expect_used)]
#[must_use]
pub fn seal_image(spec: &HeaderSpec, key: &SealingKey, payload: &[u8], chunk_size: usize) -> Vec<u8> {
    assert!(chunk_size > 0, "chunk size must be positive");
    spec.with_header(key.key_id(&Dalek), |header| {
        let mut image = vec![0u8; MAX_HEADER_LEN];
        let (mut sealer, n) = Sealer::new(key.clone(), Dalek, header, &mut image).expect("header encodes");
        image.truncate(n);
        for chunk in payload.chunks(chunk_size) {
            image.extend_from_slice(sealer.chunk(chunk).expect("chunk").as_bytes());
            image.extend_from_slice(chunk);
        }
        image.extend_from_slice(&sealer.finish().expect("seal"));
        image
    })
}

/// A device descriptor, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescriptorSpec {
    /// Source or destination.
    pub role: Role,
    /// Vendor.
    pub vendor: String,
    /// Device API.
    pub device_api: String,
    /// Device type.
    pub device_type: String,
    /// Version ranges `((min), (max))`, sorted and disjoint.
    pub versions: Vec<((u32, u32), (u32, u32))>,
    /// Features.
    pub features: Vec<String>,
    /// Config `(kind, data)`.
    pub config: Option<(String, Vec<u8>)>,
    /// Codecs.
    pub codecs: Vec<String>,
}

impl DescriptorSpec {
    /// Runs `f` with the borrowed descriptor.
    ///
    /// # Panics
    ///
    /// On an invalid spec (test tooling).
    #[allow(clippy::expect_used)]
    pub fn with_descriptor<R>(&self, f: impl FnOnce(&Descriptor<'_>) -> R) -> R {
        let id = ident;
        let ranges: Vec<VersionRange> = self
            .versions
            .iter()
            .map(|&(a, b)| {
                VersionRange::new(StateVersion::new(a.0, a.1), StateVersion::new(b.0, b.1))
                    .expect("valid range")
            })
            .collect();
        let features = sorted_idents(&self.features);
        let codecs = sorted_idents(&self.codecs);
        let d = Descriptor {
            role: self.role,
            identity: DeviceIdentity {
                vendor: id(&self.vendor),
                device_api: id(&self.device_api),
                device_type: id(&self.device_type),
            },
            versions: VersionRanges::from_slice(&ranges, 16).expect("ranges fit"),
            features: IdentList::from_slice(&features, 32).expect("features fit"),
            config: self
                .config
                .as_ref()
                .map(|(k, data)| ShellConfig::new(id(k), data).expect("valid config")),
            codecs: IdentList::from_slice(&codecs, 8).expect("codecs fit"),
        };
        f(&d)
    }

    /// The canonical CBOR encoding.
    ///
    /// # Panics
    ///
    /// On an invalid spec (test tooling).
    #[allow(clippy::expect_used)]
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        self.with_descriptor(|d| {
            let mut e = Encoder::new(Vec::new());
            d.encode(&mut e).expect("descriptor encodes");
            e.finish().expect("complete")
        })
    }
}

/// Byte ranges of the records of an image that parses structurally
/// (header, chunks, seal), for tests that tamper with one record.
///
/// # Panics
///
/// When `image` is not structurally an image (test tooling).
#[allow(clippy::expect_used)]
#[must_use]
pub fn record_ranges(image: &[u8]) -> Vec<std::ops::Range<usize>> {
    use migseal_format::envelope::{ChunkHead, MAX_CHUNK_LEN, RecordType, SEAL_RECORD_LEN, peek_record_type};
    let header_len = migseal_format::cbor::skip_item(image, 0, &[]).expect("header item");
    let mut out = Vec::new();
    out.push(0..header_len);
    let mut at = header_len;
    while at < image.len() {
        let rest = &image[at..];
        match peek_record_type(rest, len_u64(at)).expect("record") {
            RecordType::Chunk => {
                let head = ChunkHead::decode(rest, 0, MAX_CHUNK_LEN).expect("chunk head");
                let end = at + head.head_len + usize::try_from(head.len).expect("len");
                out.push(at..end);
                at = end;
            }
            RecordType::Seal => {
                out.push(at..at + SEAL_RECORD_LEN);
                at += SEAL_RECORD_LEN;
            }
            RecordType::Header => panic!("second header"),
        }
    }
    out
}

/// Deterministic filler bytes (an xorshift stream seeded by `label`), for
/// payloads whose content does not matter.
#[must_use]
pub fn filler(label: &str, len: usize) -> Vec<u8> {
    let d = Dalek.digest(&[label.as_bytes()]);
    let mut x = u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// A destination descriptor accepting exactly what `spec` describes.
#[must_use]
pub fn destination_for(spec: &HeaderSpec) -> DescriptorSpec {
    DescriptorSpec {
        role: Role::Destination,
        vendor: spec.vendor.clone(),
        device_api: spec.device_api.clone(),
        device_type: spec.device_type.clone(),
        versions: vec![(spec.version, spec.version)],
        features: spec.features.clone(),
        config: spec.config.clone(),
        codecs: vec![spec.codec.clone()],
    }
}

/// Realistic device states for the reference codecs: what the sample
/// images carry instead of filler bytes.
pub mod states {
    use migseal_codecs::mtty::{MttyState, Rxtx, SerialPort};
    use migseal_codecs::vfio_ap::{ApMatrix, Mask};
    use migseal_codecs::virtio::{
        CommonCfgField, Features, Part, RecordSpec, VqCfg, VqNotify, encode_records,
    };

    /// An mtty-2 state in use (the one `codecs/tests/c/mtty_layout.c busy2`
    /// writes): port 0 at 9600 baud 8N1 with "lo!" waiting in its FIFO,
    /// port 1 with the divisor latch open and a full, wrapped FIFO.
    #[must_use]
    pub fn mtty2_busy() -> MttyState {
        let mut fifo0 = [0u8; 16];
        for (d, s) in fifo0.iter_mut().zip(b"hello!") {
            *d = *s;
        }
        let port0 = SerialPort {
            uart_reg: [0, 0x05, 0, 0x03, 0x0b, 0, 0, 0x5a],
            rxtx: Rxtx { fifo: fifo0, head: 6, tail: 3, count: 3 },
            dlab: false,
            overrun: false,
            divisor: 12,
            fcr: 0xc1,
            max_fifo_size: 16,
            intr_trigger_level: 1,
        };
        let port1 = SerialPort {
            uart_reg: [0, 0, 0, 0x83, 0, 0, 0, 0],
            rxtx: Rxtx {
                fifo: core::array::from_fn(|i| 0xa0u8.wrapping_add(i.to_le_bytes()[0])),
                head: 7,
                tail: 7,
                count: 16,
            },
            dlab: true,
            overrun: true,
            divisor: 0x0180,
            fcr: 0x01,
            max_fifo_size: 16,
            intr_trigger_level: 1,
        };
        MttyState::two(port0, port1)
    }

    /// An mtty-1 state with one byte echoed back and waiting.
    #[must_use]
    pub fn mtty1_echo() -> MttyState {
        let mut p = SerialPort::reset();
        p.uart_reg = [0, 0x01, 0, 0x03, 0x03, 0, 0, 0];
        p.rxtx.fifo[0] = b'>';
        p.rxtx.head = 1;
        p.rxtx.count = 1;
        p.divisor = 1;
        p.fcr = 0x01;
        p.intr_trigger_level = 1;
        MttyState::one(p)
    }

    /// The bytes of an mtty state.
    ///
    /// # Panics
    ///
    /// On an invalid state (test tooling).
    #[allow(clippy::expect_used)]
    #[must_use]
    pub fn mtty_bytes(s: &MttyState) -> Vec<u8> {
        let mut out = vec![0u8; s.kind().data_len()];
        s.encode_bytes(&mut out).expect("sample state is valid");
        out
    }

    /// Device features of the sample virtio-net VF: MAC(5), STATUS(16),
    /// CTRL_VQ(17), MQ(22), VERSION_1(32), ACCESS_PLATFORM(33).
    pub const NET_DEV_FEATURES: u64 = (1 << 5) | (1 << 16) | (1 << 17) | (1 << 22) | (1 << 32) | (1 << 33);
    /// What its driver accepted: all but ACCESS_PLATFORM.
    pub const NET_DRV_FEATURES: u64 = NET_DEV_FEATURES & !(1 << 33);

    /// A running virtio-net VF: features, 3 queues (rx, tx, ctrl) enabled,
    /// DRIVER_OK, and its MAC as a device-specific part, in one
    /// DEVICE_DATA record; `extra` adds an optional record and an optional
    /// unknown part, as a newer source might send.
    ///
    /// # Panics
    ///
    /// When the typed parts break an invariant (test tooling).
    #[allow(clippy::expect_used)]
    #[must_use]
    pub fn virtio_net_stream(extra: bool) -> Vec<u8> {
        let dev = NET_DEV_FEATURES.to_le_bytes();
        let drv = NET_DRV_FEATURES.to_le_bytes();
        let mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x01, 0x00];
        let vq = |size: u16, vector: u16, base: u64| VqCfg {
            queue_size: size,
            vector,
            enabled: 1,
            queue_desc: base,
            queue_driver: base | 0x1000,
            queue_device: base | 0x2000,
        };
        let mut parts = vec![
            Part::DevFeatures(Features::from_le_bytes(&dev).expect("features")),
            Part::DrvFeatures(Features::from_le_bytes(&drv).expect("features")),
            Part::PciCommonCfg { field: CommonCfgField::ConfigMsixVector, value: 0 },
            Part::PciCommonCfg { field: CommonCfgField::NumQueues, value: 3 },
            Part::DeviceStatus(0x0f),
            Part::VqCfg { index: 0, cfg: vq(256, 1, 0x7f3a_0000) },
            Part::VqCfg { index: 1, cfg: vq(256, 2, 0x7f3b_0000) },
            Part::VqCfg { index: 2, cfg: vq(64, 3, 0x7f3c_0000) },
            Part::VqNotifyCfg {
                index: 0,
                notify: VqNotify { queue_notify_off: 0, queue_notif_config_data: 0 },
            },
            Part::VqNotifyCfg {
                index: 1,
                notify: VqNotify { queue_notify_off: 1, queue_notif_config_data: 1 },
            },
            Part::VqNotifyCfg {
                index: 2,
                notify: VqNotify { queue_notify_off: 2, queue_notif_config_data: 2 },
            },
            Part::DeviceSpecific { part_type: 0x200, optional: false, selector: [0; 8], value: &mac },
        ];
        if extra {
            parts.push(Part::UnknownOptional { part_type: 0x0777, selector: [0; 8], value: b"hint" });
        }
        let mut recs = vec![RecordSpec::DeviceData(&parts)];
        if extra {
            recs.push(RecordSpec::Optional { tag: 7, data: b"future record" });
        }
        let len = recs.iter().map(RecordSpec::encoded_len).sum();
        let mut out = vec![0u8; len];
        encode_records(&recs, &mut out).expect("sample stream is valid");
        out
    }

    /// The AP matrix of the CLI's sysfs fixture: adapters 5 and 6, usage
    /// and control domains 4 and 0x47.
    #[must_use]
    pub fn ap_matrix() -> ApMatrix {
        let mut m = ApMatrix::empty();
        for a in [5, 6] {
            m.set(Mask::Adapters, a);
        }
        for d in [4, 0x47] {
            m.set(Mask::Domains, d);
            m.set(Mask::ControlDomains, d);
        }
        m
    }

    /// Another host's matrix: adapter 5 only, domain 4, control domain 4.
    #[must_use]
    pub fn ap_matrix_other() -> ApMatrix {
        let mut m = ApMatrix::empty();
        m.set(Mask::Adapters, 5);
        m.set(Mask::Domains, 4);
        m.set(Mask::ControlDomains, 4);
        m
    }
}
