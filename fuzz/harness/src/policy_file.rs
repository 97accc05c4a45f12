//! `policy_file`: policy files from the input, loaded as the CLI and the C
//! ABI load them (`PolicyFile::from_json`, then `to_policy`), and one
//! fixed sealed image verified under the policy that loads.
//!
//! The input (`arbitrary`) is either JSON text (taken as it is), or a
//! policy described field by field (keys from a pool: the image's signer,
//! another key, a small-order point, a non-point, bad hex; names valid or
//! not; up to 20 keys, 40 revocations and 20 minimum-security entries, so
//! every capacity is crossed), serialised to JSON and optionally edited
//! byte-wise before loading.
//!
//! Properties, for every input:
//!
//! - no panic; a policy file that parses serialises back to JSON that
//!   parses to the same file;
//! - loading gives exactly the outcome an independent reading of the file
//!   predicts (`expect_load`): the first bad entry in file order is
//!   refused, with the spec §9 code when the verifier refuses it (409 weak
//!   key, 602 invalid key, 410 over a capacity, 206 a session outside
//!   16–64 bytes) and as a named field error otherwise; a policy that
//!   loads holds exactly the keys, revocations, session, subject and
//!   limits the file names;
//! - the fixed image (sealed by the signer key, vendor `linux`, type
//!   `mtty-2`, security version 3, a session nonce and a subject) gets the
//!   verdict the policy's rules call for (`expect_verdict`): revoked 403,
//!   key not trusted 400, vendor 401, type 402, security version 404,
//!   session 405/406, subject 407/408, a header, chunk, count or total
//!   limit 302–305 where the image crosses it, else verified with the
//!   payload that was sealed; every refusal is typed;
//! - forgetting the session and subject requirements removes exactly
//!   those refusals.

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use migseal::policy_file::{LimitsEntry, MinSecurityEntry, PolicyFile, TrustedKeyEntry};
use migseal_format::envelope::{Descriptor, MAX_CHUNK_LEN, MAX_HEADER_LEN};
use migseal_testkit::samples::{HeaderSpec, destination_for, seal_image, test_key};
use migseal_verifier::{
    Crypto, Dalek, Limits, MAX_KEY_TYPES, MAX_MIN_SECURITY, MAX_REVOKED, MAX_TRUSTED_KEYS, SealingKey,
    key_id, verify_image,
};

use migseal_verifier::webcrypto_checks::{SMALL_ORDER_ENCODINGS, is_small_order_encoding};

use crate::typed::assert_typed;

/// The image's header facts the oracle reads.
const VENDOR: &str = "linux";
const DEVICE_TYPE: &str = "mtty-2";
const SECURITY_VERSION: u64 = 3;
const SUBJECT: &str = "vm-fuzz-policy";
const NONCE: [u8; 16] = *b"policy-fuzz-nonc";
/// The image's chunks (lengths), and so its payload.
const CHUNKS: [usize; 3] = [100, 100, 56];

/// The fixed image and what it is made of.
pub struct Fixture {
    signer: SealingKey,
    other: SealingKey,
    /// A 32-byte string that is not a curve point.
    non_point: [u8; 32],
    image: Vec<u8>,
    header_len: usize,
    payload: Vec<u8>,
    device: Vec<u8>,
}

fn spec() -> HeaderSpec {
    let mut spec = HeaderSpec::new(VENDOR, "vfio-pci", DEVICE_TYPE, (1, 0), "mtty");
    spec.security_version = SECURITY_VERSION;
    spec.session = Some(NONCE.to_vec());
    spec.subject = Some(SUBJECT.to_owned());
    spec
}

/// Built once per process.
pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let signer = test_key("fuzz/policy/signer");
        let other = test_key("fuzz/policy/other");
        let payload: Vec<u8> = (0..CHUNKS.iter().sum::<usize>()).map(|i| (i * 13 + 5) as u8).collect();
        // `seal_image` cuts fixed-size chunks; the last one is shorter.
        let image = seal_image(&spec(), &signer, &payload, CHUNKS[0]);
        let header_len = migseal_testkit::samples::record_ranges(&image)[0].len();
        let non_point = (0u8..=255)
            .map(|b| {
                let mut k = [0u8; 32];
                k[0] = b;
                k[1] = 0x5a;
                k
            })
            .find(|k| {
                matches!(Dalek.prepare_public_key(k), Err(migseal_verifier::CryptoFailure::InvalidPublicKey))
            })
            .expect("some 32-byte string is not a point");
        let device = destination_for(&spec()).encode();
        Fixture { signer, other, non_point, image, header_len, payload, device }
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A public key entry's text.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum KeyPick {
    Signer,
    Other,
    /// The identity point: small order, 409.
    Weak,
    /// Any of the 14 small-order encodings (409).
    SmallOrder(u8),
    /// Not a point: 602.
    NonPoint,
    /// Any 32 bytes.
    Raw([u8; 32]),
    /// Not 64 hex digits.
    BadHex,
    Short,
}

/// A name: a valid one from a pool, or one that breaks the identifier
/// rules.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum NamePick {
    Linux,
    Mtty2,
    Mtty1,
    Nvidia,
    Empty,
    LeadingDash,
    Space,
    TooLong,
}

impl NamePick {
    fn text(self) -> String {
        match self {
            Self::Linux => "linux".into(),
            Self::Mtty2 => "mtty-2".into(),
            Self::Mtty1 => "mtty-1".into(),
            Self::Nvidia => "nvidia".into(),
            Self::Empty => String::new(),
            Self::LeadingDash => "-linux".into(),
            Self::Space => "mtty 2".into(),
            Self::TooLong => "a".repeat(65),
        }
    }
}

#[derive(Arbitrary, Clone, Copy, Debug)]
enum RevokePick {
    Signer,
    Other,
    Raw(u8),
    BadHex,
}

#[derive(Arbitrary, Clone, Copy, Debug)]
enum SessionPick {
    Same,
    Other,
    TooShort,
    TooLong,
    BadHex,
}

#[derive(Arbitrary, Clone, Copy, Debug)]
enum SubjectPick {
    Same,
    Other,
    Empty,
    Control,
}

/// A limit override: absent, near the image's own sizes, or any value.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum LimitPick {
    Near(i8),
    Any(u64),
}

/// A policy described field by field.
#[derive(Arbitrary, Debug)]
struct Described {
    trusted: Vec<(KeyPick, NamePick, Vec<NamePick>)>,
    /// Extra copies of the last trusted entry (to cross the capacity).
    repeat_trusted: u8,
    revoked: Vec<RevokePick>,
    repeat_revoked: u8,
    min_security: Vec<(NamePick, Option<NamePick>, u8)>,
    repeat_min: u8,
    session: Option<SessionPick>,
    subject: Option<SubjectPick>,
    limits: [Option<LimitPick>; 4],
    /// Edit the JSON text: (position, byte) replaced.
    edit: Option<(u16, u8)>,
}

/// The whole input.
#[derive(Arbitrary, Debug)]
pub enum PolicyInput {
    /// JSON text as it is.
    Text(String),
    /// A described policy.
    Described(Box<DescribedInput>),
}

/// Wrapper so that the enum stays small.
#[derive(Arbitrary, Debug)]
pub struct DescribedInput(Described);

impl Described {
    fn to_file(&self) -> PolicyFile {
        let f = fixture();
        let key = |k: KeyPick| match k {
            KeyPick::Signer => hex(&f.signer.public_key()),
            KeyPick::Other => hex(&f.other.public_key()),
            KeyPick::Weak => hex(&{
                let mut p = [0u8; 32];
                p[0] = 1;
                p
            }),
            KeyPick::SmallOrder(i) => {
                hex(&SMALL_ORDER_ENCODINGS[usize::from(i) % SMALL_ORDER_ENCODINGS.len()])
            }
            KeyPick::NonPoint => hex(&f.non_point),
            KeyPick::Raw(b) => hex(&b),
            KeyPick::BadHex => "zz".repeat(32),
            KeyPick::Short => hex(&[7; 31]),
        };
        let mut trusted: Vec<TrustedKeyEntry> = self
            .trusted
            .iter()
            .take(MAX_TRUSTED_KEYS + 4)
            .map(|(k, v, types)| TrustedKeyEntry {
                public_key: key(*k),
                vendor: v.text(),
                device_types: types.iter().take(MAX_KEY_TYPES + 2).map(|t| t.text()).collect(),
            })
            .collect();
        if let Some(last) = trusted.last().cloned() {
            trusted.extend(std::iter::repeat_n(last, usize::from(self.repeat_trusted % 20)));
        }
        let revoke = |r: RevokePick| match r {
            RevokePick::Signer => hex(&f.signer.key_id(&Dalek)),
            RevokePick::Other => hex(&f.other.key_id(&Dalek)),
            RevokePick::Raw(b) => hex(&[b; 32]),
            RevokePick::BadHex => "0x".into(),
        };
        let mut revoked: Vec<String> =
            self.revoked.iter().take(MAX_REVOKED + 4).map(|r| revoke(*r)).collect();
        // Distinct ids, so that the store's capacity is what refuses.
        revoked.extend((0..self.repeat_revoked % 40).map(|i| hex(&[i.wrapping_add(0x80); 32])));
        let mut min_security: Vec<MinSecurityEntry> = self
            .min_security
            .iter()
            .take(MAX_MIN_SECURITY + 4)
            .map(|(v, t, m)| MinSecurityEntry {
                vendor: v.text(),
                device_type: t.map(NamePick::text),
                minimum: u64::from(*m % 8),
            })
            .collect();
        min_security.extend((0..self.repeat_min % 24).map(|i| MinSecurityEntry {
            vendor: format!("v{i}"),
            device_type: None,
            minimum: 1,
        }));
        let session = self.session.map(|s| match s {
            SessionPick::Same => hex(&NONCE),
            SessionPick::Other => hex(&[0x11; 32]),
            SessionPick::TooShort => hex(&[1; 15]),
            SessionPick::TooLong => hex(&[1; 65]),
            SessionPick::BadHex => "abc".into(),
        });
        let subject = self.subject.map(|s| match s {
            SubjectPick::Same => SUBJECT.into(),
            SubjectPick::Other => "vm-other".into(),
            SubjectPick::Empty => String::new(),
            SubjectPick::Control => "vm\n1".into(),
        });
        let near = |base: u64, l: Option<LimitPick>| {
            l.map(|l| match l {
                LimitPick::Near(d) => base.saturating_add_signed(i64::from(d % 4)),
                LimitPick::Any(n) => n,
            })
        };
        let img = &f.image;
        let limits = LimitsEntry {
            max_header_len: near(f.header_len as u64, self.limits[0])
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            max_chunk_len: near(CHUNKS[0] as u64, self.limits[1]),
            max_chunks: near(CHUNKS.len() as u64, self.limits[2]),
            max_total_len: near(img.len().min(f.payload.len()) as u64, self.limits[3]),
        };
        PolicyFile { trusted, revoked, min_security, session, subject, limits }
    }
}

/// Whether `s` is an identifier (spec §4: 1–64 bytes of `[A-Za-z0-9._-]`,
/// the first alphanumeric), written here independently of `Ident`.
fn is_ident(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=64).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || b"._-".contains(c))
}

/// Whether `s` is a subject: 1–128 bytes of 0x21–0x7e.
fn is_subject(s: &str) -> bool {
    (1..=128).contains(&s.len()) && s.bytes().all(|c| (0x21..=0x7e).contains(&c))
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

fn key32(s: &str) -> Option<[u8; 32]> {
    unhex(s).and_then(|v| <[u8; 32]>::try_from(v).ok())
}

/// A trusted key the oracle expects in the store.
struct Trusted {
    key: [u8; 32],
    vendor: String,
    types: Vec<String>,
}

/// What loading should give.
enum Load {
    /// A field error naming this field (no code).
    Field(String),
    /// A refusal with this code (`raw` true: a key whose bytes the oracle
    /// cannot judge; 409 or 602).
    Code(u16, bool),
    /// Loaded, with these keys, revoked ids, minimum entries, session and
    /// subject.
    Loaded(Model),
}

#[derive(Default)]
struct Model {
    keys: Vec<Trusted>,
    revoked: Vec<[u8; 32]>,
    min: Vec<(String, Option<String>, u64)>,
    session: Option<Vec<u8>>,
    subject: Option<String>,
}

/// The result of loading `file`, read independently of the loader. Keys
/// are judged by what the fixture knows about them: the two test keys are
/// valid, the identity point weak, the fixture's non-point invalid; other
/// bytes give `Code(_, true)` when the store refuses them.
fn expect_load(file: &PolicyFile, verdict_of_raw: impl Fn(&[u8; 32]) -> Option<u16>) -> Load {
    let mut m = Model::default();
    for (i, t) in file.trusted.iter().enumerate() {
        let Some(pk) = key32(&t.public_key) else { return Load::Field(format!("trusted[{i}].public_key")) };
        if !is_ident(&t.vendor) {
            return Load::Field(format!("trusted[{i}].vendor"));
        }
        if let Some(j) = t.device_types.iter().position(|d| !is_ident(d)) {
            return Load::Field(format!("trusted[{i}].device_types[{j}]"));
        }
        if t.device_types.len() > MAX_KEY_TYPES || m.keys.len() >= MAX_TRUSTED_KEYS {
            return Load::Code(410, false);
        }
        if let Some(code) = verdict_of_raw(&pk) {
            return Load::Code(code, true);
        }
        m.keys.push(Trusted { key: pk, vendor: t.vendor.clone(), types: t.device_types.clone() });
    }
    for (i, r) in file.revoked.iter().enumerate() {
        let Some(id) = key32(r) else { return Load::Field(format!("revoked[{i}]")) };
        if !m.revoked.contains(&id) {
            if m.revoked.len() >= MAX_REVOKED {
                return Load::Code(410, false);
            }
            m.revoked.push(id);
        }
    }
    for (i, e) in file.min_security.iter().enumerate() {
        if !is_ident(&e.vendor) {
            return Load::Field(format!("min_security[{i}].vendor"));
        }
        if e.device_type.as_deref().is_some_and(|t| !is_ident(t)) {
            return Load::Field(format!("min_security[{i}].device_type"));
        }
        let entry = (e.vendor.clone(), e.device_type.clone(), e.minimum);
        match m.min.iter().position(|(v, t, _)| *v == entry.0 && *t == entry.1) {
            Some(i) => m.min[i] = entry,
            None if m.min.len() >= MAX_MIN_SECURITY => return Load::Code(410, false),
            None => m.min.push(entry),
        }
    }
    if let Some(s) = &file.session {
        let Some(nonce) = unhex(s) else { return Load::Field("session".into()) };
        if !(16..=64).contains(&nonce.len()) {
            return Load::Code(206, false);
        }
        m.session = Some(nonce);
    }
    if let Some(s) = &file.subject {
        if !is_subject(s) {
            return Load::Field("subject".into());
        }
        let subject = migseal_format::Subject::new(s).expect("a subject by the spec's rule");
        assert_eq!(subject.to_string(), *s, "a subject prints as itself");
        m.subject = Some(s.clone());
    }
    Load::Loaded(m)
}

/// The limits the file sets (absent: the defaults), as the verifier
/// applies them (the format's own maxima cap the header and chunk).
fn limits_of(file: &PolicyFile) -> Limits {
    let d = Limits::DEFAULT;
    let l = &file.limits;
    Limits {
        max_header_len: l.max_header_len.unwrap_or(d.max_header_len).min(MAX_HEADER_LEN),
        max_chunk_len: l.max_chunk_len.unwrap_or(d.max_chunk_len).min(MAX_CHUNK_LEN),
        max_chunks: l.max_chunks.unwrap_or(d.max_chunks),
        max_total_len: l.max_total_len.unwrap_or(d.max_total_len),
    }
}

/// The code (at its offset) the fixed image must get under `m` and
/// `limits`, or `None` for verified; `session`/`subject` false: those
/// requirements forgotten.
fn expect_verdict(
    f: &Fixture,
    m: &Model,
    limits: &Limits,
    session: bool,
    subject: bool,
) -> Option<(u16, u64)> {
    if f.header_len > limits.max_header_len {
        return Some((302, 0));
    }
    let signer_id = f.signer.key_id(&Dalek);
    if m.revoked.contains(&signer_id) {
        return Some((403, 0));
    }
    let signer_pk = f.signer.public_key();
    let Some(key) = m.keys.iter().find(|k| key_id(&Dalek, &k.key) == signer_id) else {
        return Some((400, 0));
    };
    debug_assert_eq!(key.key, signer_pk);
    if key.vendor != VENDOR {
        return Some((401, 0));
    }
    if !key.types.is_empty() && !key.types.iter().any(|t| t == DEVICE_TYPE) {
        return Some((402, 0));
    }
    let minimum = m
        .min
        .iter()
        .find(|(v, t, _)| v == VENDOR && t.as_deref() == Some(DEVICE_TYPE))
        .or_else(|| m.min.iter().find(|(v, t, _)| v == VENDOR && t.is_none()))
        .map(|e| e.2);
    if minimum.is_some_and(|min| SECURITY_VERSION < min) {
        return Some((404, 0));
    }
    if session && m.session.as_ref().is_some_and(|n| n[..] != NONCE[..]) {
        return Some((406, 0));
    }
    if subject && m.subject.as_ref().is_some_and(|s| s != SUBJECT) {
        return Some((408, 0));
    }
    let ranges = migseal_testkit::samples::record_ranges(&f.image);
    let mut total = 0u64;
    for (seq, &len) in CHUNKS.iter().enumerate() {
        let at = ranges[1 + seq].start as u64;
        let len = len as u64;
        if len > limits.max_chunk_len {
            return Some((303, at));
        }
        if seq as u64 >= limits.max_chunks {
            return Some((304, at));
        }
        total += len;
        if total > limits.max_total_len {
            return Some((305, at));
        }
    }
    None
}

/// `policy_file`.
///
/// # Panics
///
/// When a property in the module docs does not hold.
pub fn check(input: &PolicyInput) {
    let f = fixture();
    let (text, described) = match input {
        PolicyInput::Text(t) => (t.clone(), false),
        PolicyInput::Described(d) => {
            let file = d.0.to_file();
            let mut text = serde_json::to_string(&file).expect("a policy file serialises");
            assert_eq!(
                PolicyFile::from_json(&text).expect("serialised policy parses"),
                file,
                "JSON round trip"
            );
            if let Some((at, byte)) = d.0.edit {
                let mut bytes = text.into_bytes();
                if !bytes.is_empty() {
                    let i = usize::from(at) % bytes.len();
                    bytes[i] = byte;
                }
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            (text, true)
        }
    };
    let Ok(file) = PolicyFile::from_json(&text) else { return };
    let again = serde_json::to_string(&file).expect("serialises");
    assert_eq!(PolicyFile::from_json(&again).expect("parses"), file, "JSON round trip of parsed text");

    let weak = {
        let mut p = [0u8; 32];
        p[0] = 1;
        p
    };
    let known = [f.signer.public_key(), f.other.public_key()];
    // The keys the oracle can judge; any other bytes: whatever the store
    // says, checked to be 409 or 602 below.
    let store_verdict = |pk: &[u8; 32]| -> Option<u16> {
        if known.contains(pk) {
            None
        } else if *pk == weak {
            Some(409)
        } else if *pk == f.non_point {
            Some(602)
        } else {
            match Dalek.prepare_public_key(pk) {
                Ok(_) => None,
                Err(migseal_verifier::CryptoFailure::WeakKey) => Some(409),
                Err(_) => Some(602),
            }
        }
    };
    // The byte table WebCrypto hosts use (no curve arithmetic) names
    // exactly the keys the curve library finds weak.
    for t in &file.trusted {
        if let Some(pk) = key32(&t.public_key) {
            let weak = matches!(Dalek.prepare_public_key(&pk), Err(migseal_verifier::CryptoFailure::WeakKey));
            assert_eq!(
                is_small_order_encoding(&pk),
                weak,
                "small-order table vs curve25519-dalek for {pk:02x?}"
            );
        }
    }
    let expected = expect_load(&file, store_verdict);
    let loaded = file.to_policy();
    let policy = match (expected, loaded) {
        (Load::Field(name), Err(e)) => {
            assert_eq!(e.code(), None, "{name}: a field error has no code: {e}");
            let text = e.to_string();
            assert!(text.contains(&name), "refusal {text:?} does not name {name}");
            return;
        }
        (Load::Code(code, raw), Err(e)) => {
            assert_eq!(e.code(), Some(code), "load refusal {e} (raw key: {raw})");
            if let migseal::policy_file::PolicyFileError::Key { error, .. }
            | migseal::policy_file::PolicyFileError::Invalid { error, .. } = &e
            {
                assert_typed(error, 0, "policy_file");
            }
            return;
        }
        (Load::Loaded(m), Ok(policy)) => (m, policy),
        (Load::Field(n), Ok(_)) => panic!("loaded, expected a refusal of {n}"),
        (Load::Code(c, _), Ok(_)) => panic!("loaded, expected refusal {c}"),
        (Load::Loaded(_), Err(e)) => panic!("refused: {e}, expected to load"),
    };
    let (model, mut policy) = policy;

    // The policy holds what the file says.
    let store = policy.trust();
    let keys: Vec<_> = store.keys().collect();
    assert_eq!(keys.len(), model.keys.len(), "trusted key count");
    for (k, want) in keys.iter().zip(&model.keys) {
        assert_eq!(k.public_key(), &want.key, "trusted key bytes");
        assert_eq!(k.key_id(), &key_id(&Dalek, &want.key), "key id");
        assert_eq!(k.vendor().as_str(), want.vendor, "key vendor");
        let types: Vec<&str> = k.device_types().map(|t| t.as_str()).collect();
        assert_eq!(types, want.types, "key device types");
        assert!(store.find(k.key_id()).is_some(), "find a trusted key");
    }
    let revoked: Vec<_> = store.revoked().copied().collect();
    assert_eq!(revoked, model.revoked, "revoked ids");
    assert_eq!(policy.session(), model.session.as_deref(), "session");
    assert_eq!(policy.subject().map(|s| s.as_str().to_owned()), model.subject, "subject");
    let limits = limits_of(&file);
    assert_eq!(policy.limits(), limits, "limits");
    let debug = format!("{policy:?}");
    for k in &keys {
        let id = hex(k.key_id());
        assert!(debug.contains(&id), "Debug of the policy names trusted key {id}");
    }

    // The verdict the rules call for, then with session and subject
    // requirements forgotten.
    let device = Descriptor::decode(&f.device).expect("fixture device decodes");
    for (session, subject) in [(true, true), (false, true), (false, false)] {
        if !session {
            policy.forget_session();
            assert_eq!(policy.session(), None);
        }
        if !subject {
            policy.forget_subject();
            assert_eq!(policy.subject(), None);
        }
        let want = expect_verdict(f, &model, &limits, session, subject);
        match (verify_image(&f.image, &policy, &device), want) {
            (Ok(v), None) => {
                let mut payload = Vec::new();
                for c in v.chunks() {
                    payload.extend_from_slice(c);
                }
                assert_eq!(payload, f.payload, "payload");
            }
            (Err(e), Some(code_at)) => {
                assert_eq!((e.code(), e.offset()), code_at, "verdict under the loaded policy: {e}");
                assert_typed(&e, f.image.len(), "policy_file");
            }
            (Ok(_), Some(w)) => panic!("verified, expected {w:?} (described: {described})"),
            (Err(e), None) => panic!("refused {e}, expected verified (described: {described})"),
        }
    }
}
