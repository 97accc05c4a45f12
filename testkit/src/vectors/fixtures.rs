//! The fixtures every group of vectors shares: the test keys, the
//! policies and the destination devices (written into the set as `keys/`,
//! `policies/` and `devices/`), the header specs, payloads and two sealed
//! mtty-2 images the groups edit.

use migseal::policy_file::{LimitsEntry, MinSecurityEntry, PolicyFile, TrustedKeyEntry};
use migseal_verifier::SealingKey;

use super::{SESSION, SUBJECT, VectorSet, kid_hex, pk_hex};
use crate::samples::{DescriptorSpec, HeaderSpec, destination_for, filler, seal_image, states, test_key};

/// What the groups share.
pub(super) struct Fixtures {
    /// The `linux` key, trusted for mtty-1 and mtty-2.
    pub(super) linux: SealingKey,
    /// A linux key trusted for mtty-1 only.
    pub(super) linux_mtty1: SealingKey,
    /// The `virtio` key.
    pub(super) virtio: SealingKey,
    /// The `ibm` key.
    pub(super) ibm: SealingKey,
    /// The `nvidia` key.
    pub(super) nvidia: SealingKey,
    /// A linux key both trusted and revoked.
    pub(super) revoked: SealingKey,
    /// A key no policy trusts.
    pub(super) stranger: SealingKey,
    /// mtty-2, security version 3.
    pub(super) mtty2: HeaderSpec,
    /// mtty-1.
    pub(super) mtty1: HeaderSpec,
    /// virtio-net with three features.
    pub(super) vnet: HeaderSpec,
    /// vfio-ap with its matrix configuration.
    pub(super) ap: HeaderSpec,
    /// nvidia-35.
    pub(super) nv: HeaderSpec,
    /// The mtty-2 destination.
    pub(super) dev_mtty2: DescriptorSpec,
    /// A real mtty-2 state.
    pub(super) payload_mtty2: Vec<u8>,
    /// A real mtty-1 state.
    pub(super) payload_mtty1: Vec<u8>,
    /// A real virtio-net state.
    pub(super) payload_vnet: Vec<u8>,
    /// The vfio-ap state (its matrix).
    pub(super) payload_ap: Vec<u8>,
    /// Filler nvidia state.
    pub(super) payload_nv: Vec<u8>,
    /// mtty-2 in one chunk.
    pub(super) mtty2_image: Vec<u8>,
    /// mtty-2 in 16-byte chunks.
    pub(super) mtty2_chunked: Vec<u8>,
    /// virtio-net bound to the session policy's nonce and subject.
    pub(super) vnet_bound: HeaderSpec,
}

impl Fixtures {
    /// Builds the fixtures and writes the keys, policies and devices.
    #[allow(clippy::too_many_lines)]
    pub(super) fn new(set: &mut VectorSet) -> Self {
        // Keys.
        let linux = test_key("linux");
        let linux_mtty1 = test_key("linux-mtty-1-only");
        let virtio = test_key("virtio");
        let ibm = test_key("ibm");
        let nvidia = test_key("nvidia");
        let revoked = test_key("linux-revoked");
        let stranger = test_key("stranger");
        for (name, k) in [
            ("linux", &linux),
            ("linux-mtty-1-only", &linux_mtty1),
            ("virtio", &virtio),
            ("ibm", &ibm),
            ("nvidia", &nvidia),
            ("linux-revoked", &revoked),
            ("stranger", &stranger),
        ] {
            set.file(&format!("keys/{name}.pub"), format!("{}\n", pk_hex(k)).into_bytes());
        }

        // Policies.
        let trust = |k: &SealingKey, vendor: &str, types: &[&str]| TrustedKeyEntry {
            public_key: pk_hex(k),
            vendor: vendor.into(),
            device_types: types.iter().map(|s| (*s).to_owned()).collect(),
        };
        let default_policy = PolicyFile {
            trusted: vec![
                trust(&linux, "linux", &["mtty-1", "mtty-2"]),
                trust(&linux_mtty1, "linux", &["mtty-1"]),
                trust(&virtio, "virtio", &[]),
                trust(&ibm, "ibm", &[]),
                trust(&nvidia, "nvidia", &[]),
                trust(&revoked, "linux", &[]),
            ],
            revoked: vec![kid_hex(&revoked)],
            min_security: vec![
                MinSecurityEntry { vendor: "linux".into(), device_type: None, minimum: 1 },
                MinSecurityEntry { vendor: "linux".into(), device_type: Some("mtty-2".into()), minimum: 3 },
            ],
            ..PolicyFile::default()
        };
        let session_policy = PolicyFile {
            session: Some(hex::encode(SESSION)),
            subject: Some(SUBJECT.into()),
            ..default_policy.clone()
        };
        let small_limits = PolicyFile {
            limits: LimitsEntry {
                max_chunk_len: Some(64),
                max_chunks: Some(4),
                max_total_len: Some(200),
                ..LimitsEntry::default()
            },
            ..default_policy.clone()
        };
        let tiny_header = PolicyFile {
            limits: LimitsEntry { max_header_len: Some(32), ..LimitsEntry::default() },
            ..default_policy.clone()
        };
        for (name, p) in [
            ("default", &default_policy),
            ("session", &session_policy),
            ("small-limits", &small_limits),
            ("tiny-header", &tiny_header),
        ] {
            let mut text = serde_json::to_string_pretty(p).unwrap_or_default();
            text.push('\n');
            set.file(&format!("policies/{name}.json"), text.into_bytes());
        }

        // Header specs.
        let mut mtty2 = HeaderSpec::new("linux", "vfio-pci", "mtty-2", (1, 0), "mtty");
        mtty2.security_version = 3;
        let mtty1 = HeaderSpec::new("linux", "vfio-pci", "mtty-1", (1, 0), "mtty");
        let mut vnet = HeaderSpec::new("virtio", "vfio-pci", "virtio-net", (1, 0), "virtio-dev-parts");
        vnet.features =
            vec!["VIRTIO_F_VERSION_1".into(), "VIRTIO_NET_F_MAC".into(), "VIRTIO_NET_F_MQ".into()];
        let matrix = states::ap_matrix().to_bytes().to_vec();
        let mut ap = HeaderSpec::new("ibm", "vfio-ap", "vfio_ap-passthrough", (1, 0), "vfio-ap-matrix");
        ap.config = Some(("vfio-ap-matrix".into(), matrix.clone()));
        let nv = HeaderSpec::new("nvidia", "vfio-pci", "nvidia-35", (1, 0), "nvidia-vgpu");

        // Devices (destination descriptors).
        let dev_mtty2 = destination_for(&mtty2);
        let dev_mtty1 = destination_for(&mtty1);
        let mut dev_vnet = destination_for(&vnet);
        dev_vnet.versions = vec![((1, 0), (1, 3))];
        dev_vnet.features.push("VIRTIO_NET_F_CTRL_VQ".into());
        let dev_ap = destination_for(&ap);
        let dev_nv = destination_for(&nv);
        for (name, d) in [
            ("mtty-2", &dev_mtty2),
            ("mtty-1", &dev_mtty1),
            ("virtio-net", &dev_vnet),
            ("vfio-ap", &dev_ap),
            ("nvidia-35", &dev_nv),
        ] {
            set.file(&format!("devices/{name}.cbor"), d.encode());
        }

        // Real device states (the reference codecs decode them; see
        // spec/vectors/codecs for their decoded form).
        let payload_mtty2 = states::mtty_bytes(&states::mtty2_busy());
        let payload_mtty1 = states::mtty_bytes(&states::mtty1_echo());
        let payload_vnet = states::virtio_net_stream(false);
        let payload_ap = matrix.clone();
        let payload_nv = filler("nvidia state", 300);

        let mtty2_image = seal_image(&mtty2, &linux, &payload_mtty2, 4096);
        let mtty2_chunked = seal_image(&mtty2, &linux, &payload_mtty2, 16);
        let mut vnet_bound = vnet.clone();
        vnet_bound.session = Some(SESSION.to_vec());
        vnet_bound.subject = Some(SUBJECT.into());
        Self {
            linux,
            linux_mtty1,
            virtio,
            ibm,
            nvidia,
            revoked,
            stranger,
            mtty2,
            mtty1,
            vnet,
            ap,
            nv,
            dev_mtty2,
            payload_mtty2,
            payload_mtty1,
            payload_vnet,
            payload_ap,
            payload_nv,
            mtty2_image,
            mtty2_chunked,
            vnet_bound,
        }
    }
}
