//! The deterministic generator of `spec/vectors`: every file is a pure
//! function of the fixed test keys and the tables below, so regenerating
//! must reproduce the committed bytes exactly (a test checks it).
//!
//! Expected results are written here by hand, per vector, from the spec;
//! they are never computed by running the verifier.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use migseal_format::envelope::Role;
use migseal_verifier::{Dalek, SealingKey};

use crate::samples::{
    DescriptorSpec, HeaderSpec, destination_for, filler, record_ranges, seal_image, states, test_key,
};
use migseal::policy_file::{LimitsEntry, MinSecurityEntry, PolicyFile, TrustedKeyEntry};

mod codecs;

/// What a vector must give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Accepted.
    Ok,
    /// Refused with this stable code and name.
    Error(u16, &'static str),
}

/// One index entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Unique name.
    pub name: String,
    /// `image`, `descriptor`, `cbor` or `policy`.
    pub kind: &'static str,
    /// Path of the input, relative to the vectors folder.
    pub file: String,
    /// Destination descriptor (images only).
    pub device: Option<String>,
    /// Policy (images only).
    pub policy: Option<String>,
    /// Expected result.
    pub expect: Expect,
    /// What the vector exercises.
    pub description: String,
}

/// All files and the index.
#[derive(Clone, Debug, Default)]
pub struct VectorSet {
    /// Path → bytes, relative to the vectors folder.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The index entries, in order.
    pub entries: Vec<Entry>,
}

fn kid_hex(k: &SealingKey) -> String {
    hex::encode(k.key_id(&Dalek))
}

fn pk_hex(k: &SealingKey) -> String {
    hex::encode(k.public_key())
}

/// The session nonce the `session` policy requires.
pub const SESSION: [u8; 16] = *b"migration-0001\0\0";
/// The subject the `session` policy requires.
pub const SUBJECT: &str = "vm-6f1e3c2a-0b5d-4e1f-9a7c-1d2e3f4a5b6c";

impl VectorSet {
    fn file(&mut self, path: &str, bytes: Vec<u8>) -> String {
        self.files.insert(path.to_owned(), bytes);
        path.to_owned()
    }

    #[allow(clippy::too_many_arguments)]
    fn image(
        &mut self,
        name: &str,
        bytes: Vec<u8>,
        device: &str,
        policy: &str,
        expect: Expect,
        description: &str,
    ) {
        let file = self.file(&format!("images/{name}.migseal"), bytes);
        self.entries.push(Entry {
            name: name.to_owned(),
            kind: "image",
            file,
            device: Some(format!("devices/{device}.cbor")),
            policy: Some(format!("policies/{policy}.json")),
            expect,
            description: description.to_owned(),
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn simple(
        &mut self,
        kind: &'static str,
        dir: &str,
        ext: &str,
        name: &str,
        bytes: Vec<u8>,
        expect: Expect,
        d: &str,
    ) {
        let file = self.file(&format!("{dir}/{name}.{ext}"), bytes);
        self.entries.push(Entry {
            name: name.to_owned(),
            kind,
            file,
            device: None,
            policy: None,
            expect,
            description: d.to_owned(),
        });
    }

    /// The index as JSON (stable formatting, one entry per line block).
    #[must_use]
    pub fn index_json(&self) -> String {
        let entries: Vec<serde_json::Value> = self
            .entries
            .iter()
            .map(|e| {
                let mut m = serde_json::Map::new();
                m.insert("name".into(), e.name.clone().into());
                m.insert("kind".into(), e.kind.into());
                m.insert("file".into(), e.file.clone().into());
                if let Some(d) = &e.device {
                    m.insert("device".into(), d.clone().into());
                }
                if let Some(p) = &e.policy {
                    m.insert("policy".into(), p.clone().into());
                }
                let expect = match e.expect {
                    Expect::Ok => serde_json::json!({ "result": "ok" }),
                    Expect::Error(code, name) => {
                        serde_json::json!({ "result": "error", "code": code, "name": name })
                    }
                };
                m.insert("expect".into(), expect);
                m.insert("description".into(), e.description.clone().into());
                serde_json::Value::Object(m)
            })
            .collect();
        let doc = serde_json::json!({ "format": "migseal-vectors-v1", "vectors": entries });
        let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Every file including `index.json`.
    #[must_use]
    pub fn all_files(&self) -> BTreeMap<String, Vec<u8>> {
        let mut all = self.files.clone();
        all.insert("index.json".into(), self.index_json().into_bytes());
        all
    }

    /// Writes every file under `dir`.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        for (path, bytes) in self.all_files() {
            let full = dir.join(&path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(full, bytes)?;
        }
        Ok(())
    }

    /// Compares every file with `dir`; returns the paths that differ or are
    /// missing, and files in the generated folders that the generator no
    /// longer makes.
    #[must_use]
    pub fn check(&self, dir: &Path) -> Vec<String> {
        let all = self.all_files();
        let mut problems = Vec::new();
        for (path, bytes) in &all {
            match std::fs::read(dir.join(path)) {
                Ok(found) if &found == bytes => {}
                Ok(_) => problems.push(format!("{path}: differs from the generator's output")),
                Err(e) => problems.push(format!("{path}: {e}")),
            }
        }
        for sub in ["images", "devices", "policies", "descriptors", "cbor", "codecs"] {
            if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
                for entry in rd.flatten() {
                    let rel = format!("{sub}/{}", entry.file_name().to_string_lossy());
                    if !all.contains_key(&rel) {
                        problems.push(format!("{rel}: not made by the generator (stale)"));
                    }
                }
            }
        }
        problems
    }
}

/// A readable summary of the index, for the README of the vectors folder.
#[must_use]
pub fn summary(set: &VectorSet) -> String {
    let mut s = String::new();
    for e in &set.entries {
        let expect = match e.expect {
            Expect::Ok => "ok".to_owned(),
            Expect::Error(c, n) => format!("{c} {n}"),
        };
        let _ = writeln!(s, "| {} | {} | {} | {} |", e.kind, e.name, expect, e.description);
    }
    s
}

fn err(code: u16, name: &'static str) -> Expect {
    Expect::Error(code, name)
}

/// Generates the whole set.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn generate() -> VectorSet {
    let mut set = VectorSet::default();

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
    vnet.features = vec!["VIRTIO_F_VERSION_1".into(), "VIRTIO_NET_F_MAC".into(), "VIRTIO_NET_F_MQ".into()];
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

    // Valid images.
    set.image(
        "mtty-2-single-chunk",
        mtty2_image.clone(),
        "mtty-2",
        "default",
        Expect::Ok,
        "mtty-2 state in one chunk",
    );
    set.image(
        "mtty-2-six-chunks",
        mtty2_chunked.clone(),
        "mtty-2",
        "default",
        Expect::Ok,
        "the same state in 16-byte chunks",
    );
    set.image(
        "mtty-1-multi-chunk",
        seal_image(&mtty1, &linux, &payload_mtty1, 7),
        "mtty-1",
        "default",
        Expect::Ok,
        "mtty-1 state in 9 chunks, the last shorter",
    );
    set.image(
        "mtty-1-scoped-key",
        seal_image(&mtty1, &linux_mtty1, &payload_mtty1, 4096),
        "mtty-1",
        "default",
        Expect::Ok,
        "sealed by a key trusted for mtty-1 only",
    );
    set.image(
        "virtio-net-features",
        seal_image(&vnet, &virtio, &payload_vnet, 256),
        "virtio-net",
        "default",
        Expect::Ok,
        "features are a subset of the destination's; versions 1.0 within 1.0..=1.3",
    );
    let mut vnet_bound = vnet.clone();
    vnet_bound.session = Some(SESSION.to_vec());
    vnet_bound.subject = Some(SUBJECT.into());
    let vnet_bound_image = seal_image(&vnet_bound, &virtio, &payload_vnet, 512);
    set.image(
        "virtio-net-session-subject",
        vnet_bound_image.clone(),
        "virtio-net",
        "session",
        Expect::Ok,
        "bound to the session nonce and the VM the policy requires",
    );
    set.image(
        "vfio-ap-config",
        seal_image(&ap, &ibm, &payload_ap, 4096),
        "vfio-ap",
        "default",
        Expect::Ok,
        "shell device whose matrix configuration matches byte for byte",
    );
    set.image(
        "mtty-2-empty-payload",
        seal_image(&mtty2, &linux, &[], 16),
        "mtty-2",
        "default",
        Expect::Ok,
        "no chunk at all: header then seal",
    );
    set.image(
        "nvidia-own-device",
        seal_image(&nv, &nvidia, &payload_nv, 128),
        "nvidia-35",
        "default",
        Expect::Ok,
        "an nvidia image on an nvidia device",
    );

    // Compatibility refusals.
    set.image(
        "cross-vendor",
        seal_image(&nv, &nvidia, &payload_nv, 128),
        "mtty-2",
        "default",
        err(500, "vendor-mismatch"),
        "an nvidia vGPU image pushed into an mtty device",
    );
    set.image(
        "wrong-device-type",
        seal_image(&mtty1, &linux, &payload_mtty1, 4096),
        "mtty-2",
        "default",
        err(502, "device-type-mismatch"),
        "right vendor, wrong device type",
    );
    let mut v2 = mtty2.clone();
    v2.version = (2, 0);
    set.image(
        "version-out-of-range",
        seal_image(&v2, &linux, &payload_mtty2, 4096),
        "mtty-2",
        "default",
        err(503, "version-unsupported"),
        "state version 2.0, the device accepts 1.0",
    );
    let mut vnet_extra = vnet.clone();
    vnet_extra.features.push("VIRTIO_NET_F_RSS".into());
    set.image(
        "missing-feature",
        seal_image(&vnet_extra, &virtio, &payload_vnet, 256),
        "virtio-net",
        "default",
        err(504, "feature-missing"),
        "the state depends on a feature the destination lacks",
    );
    let mut ap_other = ap.clone();
    ap_other.config = Some(("vfio-ap-matrix".into(), states::ap_matrix_other().to_bytes().to_vec()));
    set.image(
        "config-mismatch",
        seal_image(&ap_other, &ibm, &payload_ap, 4096),
        "vfio-ap",
        "default",
        err(505, "config-mismatch"),
        "a shell device whose adapters/domains differ",
    );
    let mut other_codec = mtty2.clone();
    other_codec.codec = "mtty-raw".into();
    set.image(
        "codec-unsupported",
        seal_image(&other_codec, &linux, &payload_mtty2, 4096),
        "mtty-2",
        "default",
        err(506, "codec-unsupported"),
        "a codec the destination does not decode",
    );

    // Trust and policy refusals.
    set.image(
        "untrusted-key",
        seal_image(&mtty2, &stranger, &payload_mtty2, 4096),
        "mtty-2",
        "default",
        err(400, "untrusted-key"),
        "sealed by a key not in the trust store",
    );
    set.image(
        "key-of-other-vendor",
        seal_image(&mtty2, &ibm, &payload_mtty2, 4096),
        "mtty-2",
        "default",
        err(401, "key-vendor-scope"),
        "a key trusted for ibm cannot authorize a linux image",
    );
    set.image(
        "key-of-other-type",
        seal_image(&mtty2, &linux_mtty1, &payload_mtty2, 4096),
        "mtty-2",
        "default",
        err(402, "key-type-scope"),
        "a key trusted for mtty-1 only, on an mtty-2 image",
    );
    set.image(
        "revoked-key",
        seal_image(&mtty2, &revoked, &payload_mtty2, 4096),
        "mtty-2",
        "default",
        err(403, "revoked-key"),
        "a key both trusted and revoked: revocation wins",
    );
    let mut old = mtty2.clone();
    old.security_version = 2;
    set.image(
        "rollback",
        seal_image(&old, &linux, &payload_mtty2, 4096),
        "mtty-2",
        "default",
        err(404, "security-version-too-low"),
        "security version 2, the policy requires 3 for mtty-2",
    );
    set.image(
        "session-missing",
        seal_image(&vnet, &virtio, &payload_vnet, 256),
        "virtio-net",
        "session",
        err(405, "session-missing"),
        "the policy requires a session nonce, the image has none",
    );
    let mut replay = vnet_bound.clone();
    replay.session = Some(b"migration-0000\0\0".to_vec());
    set.image(
        "session-replay",
        seal_image(&replay, &virtio, &payload_vnet, 256),
        "virtio-net",
        "session",
        err(406, "session-mismatch"),
        "an image sealed for an earlier migration",
    );
    let mut no_subject = vnet_bound.clone();
    no_subject.subject = None;
    set.image(
        "subject-missing",
        seal_image(&no_subject, &virtio, &payload_vnet, 256),
        "virtio-net",
        "session",
        err(407, "subject-missing"),
        "the policy requires a subject, the image names none",
    );
    let mut other_vm = vnet_bound.clone();
    other_vm.subject = Some("vm-other-tenant".into());
    set.image(
        "subject-other-vm",
        seal_image(&other_vm, &virtio, &payload_vnet, 256),
        "virtio-net",
        "session",
        err(408, "subject-mismatch"),
        "another tenant's state restored into this VM",
    );

    // Stream tampering.
    let r = record_ranges(&mtty2_chunked);
    let header = &mtty2_chunked[r[0].clone()];
    let chunk = |i: usize| &mtty2_chunked[r[i + 1].clone()];
    let seal = &mtty2_chunked[r[r.len() - 1].clone()];
    let cat = |parts: &[&[u8]]| parts.concat();
    set.image(
        "chunk-reordered",
        cat(&[header, chunk(0), chunk(2), chunk(1), chunk(3), chunk(4), chunk(5), seal]),
        "mtty-2",
        "default",
        err(301, "sequence-gap"),
        "chunks 1 and 2 swapped",
    );
    set.image(
        "chunk-duplicated",
        cat(&[header, chunk(0), chunk(1), chunk(1), chunk(2), chunk(3), chunk(4), chunk(5), seal]),
        "mtty-2",
        "default",
        err(301, "sequence-gap"),
        "chunk 1 twice",
    );
    set.image(
        "chunk-dropped",
        cat(&[header, chunk(0), chunk(2), chunk(3), chunk(4), chunk(5), seal]),
        "mtty-2",
        "default",
        err(301, "sequence-gap"),
        "chunk 1 missing",
    );
    let cut = r[2].start + 7;
    set.image(
        "truncated-mid-chunk",
        mtty2_chunked[..cut].to_vec(),
        "mtty-2",
        "default",
        err(306, "incomplete"),
        "the stream ends inside chunk 1",
    );
    set.image(
        "truncated-before-seal",
        mtty2_chunked[..r[r.len() - 1].start].to_vec(),
        "mtty-2",
        "default",
        err(306, "incomplete"),
        "all chunks, no seal",
    );
    let other = seal_image(&mtty2, &linux, &filler("other state", 96), 16);
    let other_seal = &other[other.len() - migseal_format::envelope::SEAL_RECORD_LEN..];
    set.image(
        "seal-from-other-image",
        cat(&[&mtty2_chunked[..r[r.len() - 1].start], other_seal]),
        "mtty-2",
        "default",
        err(600, "bad-signature"),
        "a valid seal of another image with the same key",
    );
    let mut raised = mtty2.clone();
    raised.security_version = 9;
    let raised_image = seal_image(&raised, &linux, &payload_mtty2, 16);
    let raised_header = &raised_image[record_ranges(&raised_image)[0].clone()];
    set.image(
        "header-changed-after-sealing",
        cat(&[raised_header, &mtty2_chunked[r[0].end..]]),
        "mtty-2",
        "default",
        err(600, "bad-signature"),
        "security version raised in the header after sealing",
    );
    let nv_seal_image = seal_image(&mtty2, &revoked, &payload_mtty2, 16);
    set.image(
        "seal-key-id-mismatch",
        cat(&[
            &mtty2_chunked[..r[r.len() - 1].start],
            &nv_seal_image[nv_seal_image.len() - migseal_format::envelope::SEAL_RECORD_LEN..],
        ]),
        "mtty-2",
        "default",
        err(411, "key-id-mismatch"),
        "the seal names another key than the header",
    );
    set.image(
        "trailing-bytes",
        cat(&[&mtty2_chunked, &[0x00]]),
        "mtty-2",
        "default",
        err(112, "trailing-bytes"),
        "one byte after the seal",
    );
    let mut noncanon = cat(&[header]);
    let c0 = chunk(0);
    noncanon.extend_from_slice(&c0[..2]);
    noncanon.extend_from_slice(&[0x18, 0x00]); // seq 0 in a two-byte head
    noncanon.extend_from_slice(&c0[3..]);
    noncanon.extend_from_slice(&mtty2_chunked[r[1].end..]);
    set.image(
        "non-canonical-reencoding",
        noncanon,
        "mtty-2",
        "default",
        err(101, "non-shortest-head"),
        "chunk 0's sequence number re-encoded as 18 00",
    );
    let mut huge = cat(&[header]);
    huge.extend_from_slice(&[0x83, 0x01, 0x00, 0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    set.image(
        "declared-length-2-pow-63",
        huge,
        "mtty-2",
        "default",
        err(111, "length-over-limit"),
        "a chunk declaring 2^63 bytes, refused before any is read",
    );
    let mut malleable = mtty2_image.clone();
    add_group_order(&mut malleable);
    set.image(
        "malleable-signature",
        malleable,
        "mtty-2",
        "default",
        err(601, "non-canonical-signature"),
        "the seal's S replaced by S + L",
    );
    let mut eddsa = mtty2_image.clone();
    let seal_at = eddsa.len() - migseal_format::envelope::SEAL_RECORD_LEN;
    eddsa[seal_at + 8] = 0x27; // alg -19 -> -8
    set.image(
        "polymorphic-eddsa-alg",
        eddsa,
        "mtty-2",
        "default",
        err(212, "unsupported-algorithm"),
        "COSE alg -8 (EdDSA) instead of -19 (Ed25519)",
    );
    set.image(
        "unknown-record-type",
        cat(&[header, &[0x82, 0x03, 0x00], chunk(0)]),
        "mtty-2",
        "default",
        err(200, "unknown-record-type"),
        "a record of type 3",
    );
    set.image(
        "chunk-before-header",
        cat(&[chunk(0), header]),
        "mtty-2",
        "default",
        err(300, "record-order"),
        "the stream starts with a chunk",
    );
    set.image(
        "second-header",
        cat(&[header, header, chunk(0)]),
        "mtty-2",
        "default",
        err(300, "record-order"),
        "two header records",
    );
    set.image(
        "empty-chunk",
        cat(&[header, &[0x83, 0x01, 0x00, 0x40]]),
        "mtty-2",
        "default",
        err(210, "empty-chunk"),
        "a chunk record with no bytes",
    );
    set.image(
        "header-too-large",
        mtty2_image.clone(),
        "mtty-2",
        "tiny-header",
        err(302, "header-too-large"),
        "the policy allows 32 header bytes",
    );
    set.image(
        "chunk-too-large",
        seal_image(&mtty2, &linux, &payload_mtty2, 96),
        "mtty-2",
        "small-limits",
        err(303, "chunk-too-large"),
        "a 96-byte chunk, the policy allows 64",
    );
    set.image(
        "too-many-chunks",
        seal_image(&mtty2, &linux, &payload_mtty2[..50], 10),
        "mtty-2",
        "small-limits",
        err(304, "too-many-chunks"),
        "5 chunks, the policy allows 4",
    );
    set.image(
        "total-too-large",
        seal_image(&mtty2, &linux, &filler("big", 240), 60),
        "mtty-2",
        "small-limits",
        err(305, "total-too-large"),
        "240 payload bytes, the policy allows 200",
    );
    set.image(
        "not-an-image",
        b"GIF89a\x01\x00\x01\x00".to_vec(),
        "mtty-2",
        "default",
        err(113, "unexpected-type"),
        "garbage is refused at its first byte",
    );

    // Header schema refusals, written by hand with the canonical encoder.
    let key_id = linux.key_id(&Dalek);
    set.image(
        "header-unknown-field",
        cat(&[&raw_header(&key_id, true, false), chunk(0)]),
        "mtty-2",
        "default",
        err(203, "unknown-field"),
        "header key 13 is not defined in v1",
    );
    set.image(
        "header-missing-field",
        cat(&[&raw_header(&key_id, false, true), chunk(0)]),
        "mtty-2",
        "default",
        err(202, "missing-field"),
        "header without its codec (key 8)",
    );

    codecs::add(
        &mut set,
        &codecs::Specs { mtty1: &mtty1, mtty2: &mtty2, vnet: &vnet, ap: &ap },
        &linux,
        &virtio,
        &ibm,
    );
    descriptor_vectors(&mut set, &dev_mtty2);
    cbor_vectors(&mut set);

    // A policy trusting a small-order key must be refused when loaded.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = PolicyFile {
        trusted: vec![TrustedKeyEntry {
            public_key: hex::encode(identity),
            vendor: "linux".into(),
            device_types: vec![],
        }],
        ..PolicyFile::default()
    };
    let text = serde_json::to_string_pretty(&weak).unwrap_or_default() + "\n";
    set.simple(
        "policy",
        "policies",
        "json",
        "weak-key",
        text.into_bytes(),
        err(409, "weak-key"),
        "a small-order public key (the identity point) offered as trusted",
    );
    set
}

/// Adds the group order L to the S half of the seal's signature (the last
/// 32 bytes of the image), little-endian.
fn add_group_order(image: &mut [u8]) {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let n = image.len();
    let s = &mut image[n - 32..];
    let mut carry = 0u16;
    for (b, l) in s.iter_mut().zip(L) {
        let sum = u16::from(*b) + u16::from(l) + carry;
        *b = sum.to_le_bytes()[0];
        carry = sum >> 8;
    }
}

/// A header record with an extra key 13, or without its codec.
fn raw_header(key_id: &[u8; 32], extra: bool, drop_codec: bool) -> Vec<u8> {
    use migseal_format::cbor::Encoder;
    let mut e = Encoder::new(Vec::new());
    let pairs = 9 + u64::from(extra) - u64::from(drop_codec);
    let _ = (|| -> migseal_format::Result<()> {
        e.array(2)?.uint(0)?.map(pairs)?;
        e.uint(1)?.uint(1)?.uint(2)?.text("linux")?.uint(3)?.text("vfio-pci")?.uint(4)?.text("mtty-2")?;
        e.uint(5)?.array(2)?.uint(1)?.uint(0)?.uint(6)?.array(0)?;
        if !drop_codec {
            e.uint(8)?.text("mtty")?;
        }
        e.uint(9)?.uint(3)?.uint(12)?.bytes(key_id)?;
        if extra {
            e.uint(13)?.text("extra")?;
        }
        Ok(())
    })();
    e.finish().unwrap_or_default()
}

fn descriptor_vectors(set: &mut VectorSet, dev: &DescriptorSpec) {
    let ok = dev.encode();
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "destination-mtty-2",
        ok.clone(),
        Expect::Ok,
        "the mtty-2 destination descriptor",
    );
    let mut src = dev.clone();
    src.role = Role::Source;
    src.features = vec!["b".into(), "aa".into(), "c".into()];
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "source-with-features",
        src.encode(),
        Expect::Ok,
        "features in canonical order: b, c, aa (length first)",
    );
    // Byte edits of the valid encoding. The layout is a9 01 01 02 65 "linux" ...
    let mut role = ok.clone();
    let n = role.len();
    role[n - 1] = 0x07; // role 7
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "unknown-role",
        role,
        err(215, "invalid-descriptor"),
        "role 7 is neither source (0) nor destination (1)",
    );
    let mut trailing = ok.clone();
    trailing.push(0x00);
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "trailing-bytes",
        trailing,
        err(112, "trailing-bytes"),
        "a byte after the descriptor",
    );
    let mut noncanon = vec![0xb9, 0x00, 0x08];
    noncanon.extend_from_slice(&ok[1..]);
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "non-shortest-map-head",
        noncanon,
        err(101, "non-shortest-head"),
        "the map head written as b9 00 08",
    );
    let mut bad_ident = ok.clone();
    bad_ident[5] = b' '; // "linux" -> "l nux"
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "identifier-with-space",
        bad_ident,
        err(205, "invalid-identifier"),
        "a vendor name with a space",
    );
    let mut upper = ok.clone();
    upper[5] = b'I'; // "lInux": valid, and a different vendor
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "identifier-case-is-kept",
        upper,
        Expect::Ok,
        "no case folding: lInux is a valid, different identifier",
    );
    let mut unsorted = dev.clone();
    unsorted.features = vec!["a".into()];
    let mut bytes = unsorted.encode();
    // features [ "a" ] -> [ "a", "a" ]: a repeated entry
    let pos = bytes.windows(3).position(|w| w == [0x06, 0x81, 0x61]).unwrap_or(0);
    bytes.splice(pos + 1..pos + 2, [0x82, 0x61, b'a']);
    set.simple(
        "descriptor",
        "descriptors",
        "cbor",
        "repeated-feature",
        bytes,
        err(207, "list-not-sorted"),
        "the same feature twice",
    );
}

/// Reader vectors: each is one CBOR item, validated with no tags allowed.
fn cbor_vectors(set: &mut VectorSet) {
    let table: &[(&str, &str, Expect, &str)] = &[
        ("uint-23", "17", Expect::Ok, "largest immediate"),
        ("uint-24", "1818", Expect::Ok, "smallest one-byte argument"),
        ("uint-max", "1bffffffffffffffff", Expect::Ok, "2^64-1"),
        ("nint-min", "3bffffffffffffffff", Expect::Ok, "-2^64"),
        ("bytes", "4401020304", Expect::Ok, "a byte string"),
        ("text-utf8", "62c3bc", Expect::Ok, "ü"),
        ("array", "83010203", Expect::Ok, "[1, 2, 3]"),
        ("map-sorted", "a201020304", Expect::Ok, "{1: 2, 3: 4}"),
        (
            "map-bytewise-order",
            "a20a002000",
            Expect::Ok,
            "{10: 0, -1: 0}: keys in bytewise order of their encodings",
        ),
        ("simple-values", "83f4f5f6", Expect::Ok, "false, true, null"),
        ("non-shortest-uint", "1817", err(101, "non-shortest-head"), "23 in a one-byte argument"),
        ("non-shortest-zero", "1800", err(101, "non-shortest-head"), "0 in a one-byte argument"),
        ("non-shortest-u16", "1900ff", err(101, "non-shortest-head"), "255 in a two-byte argument"),
        ("non-shortest-u32", "1a0000ffff", err(101, "non-shortest-head"), "65535 in a four-byte argument"),
        ("non-shortest-u64", "1b00000000ffffffff", err(101, "non-shortest-head"), "2^32-1 in eight bytes"),
        (
            "non-shortest-length",
            "5801ff",
            err(101, "non-shortest-head"),
            "a 1-byte string with a one-byte length",
        ),
        ("indefinite-bytes", "5f4101ff", err(102, "indefinite-length"), "an indefinite byte string"),
        ("indefinite-array", "9f01ff", err(102, "indefinite-length"), "an indefinite array"),
        ("indefinite-map", "bf0102ff", err(102, "indefinite-length"), "an indefinite map"),
        ("reserved-ai-28", "1c", err(103, "reserved-additional-info"), "additional information 28"),
        ("half-float", "f93c00", err(104, "float-not-allowed"), "1.0 as a half float"),
        ("double-float", "fb3ff0000000000000", err(104, "float-not-allowed"), "1.0 as a double"),
        ("undefined", "f7", err(105, "simple-value-not-allowed"), "undefined"),
        ("simple-16", "f0", err(105, "simple-value-not-allowed"), "unassigned simple value 16"),
        ("simple-two-byte", "f820", err(105, "simple-value-not-allowed"), "two-byte simple value 32"),
        ("tag-epoch", "c11a514b67b0", err(106, "tag-not-allowed"), "tag 1 (epoch time)"),
        ("tag-bignum", "c249010000000000000000", err(106, "tag-not-allowed"), "tag 2 (bignum)"),
        ("invalid-utf8", "62c328", err(107, "invalid-utf8"), "a broken two-byte sequence"),
        ("map-unsorted", "a203040102", err(108, "map-keys-unsorted"), "{3: 4, 1: 2}"),
        (
            "map-text-keys",
            "a2616201626161 02",
            Expect::Ok,
            "{\"b\": 1, \"aa\": 2}: bytewise order of encodings, not of the strings",
        ),
        ("map-duplicate", "a201020103", err(109, "duplicate-map-key"), "{1: 2, 1: 3}"),
        (
            "nesting-17",
            "818181818181818181818181818181818100",
            err(110, "nesting-too-deep"),
            "17 nested arrays",
        ),
        ("nesting-16", "8181818181818181818181818181818100", Expect::Ok, "16 nested arrays"),
        ("trailing-bytes", "0001", err(112, "trailing-bytes"), "two items"),
        ("stray-break", "ff", err(115, "stray-break"), "a break byte alone"),
        ("truncated-head", "19", err(100, "truncated"), "a two-byte argument missing"),
        ("truncated-string", "44010203", err(100, "truncated"), "3 of 4 declared bytes"),
        (
            "length-2-pow-63",
            "5b8000000000000000",
            err(100, "truncated"),
            "a declared length far beyond the input",
        ),
    ];
    for (name, hex_text, expect, d) in table {
        set.simple(
            "cbor",
            "cbor",
            "cbor",
            name,
            hex::decode(hex_text.replace(' ', "")).unwrap_or_default(),
            expect.clone(),
            d,
        );
    }
}
