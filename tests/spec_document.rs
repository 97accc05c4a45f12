//! The specification and the implementation say the same thing.
//!
//! `spec/migseal.md` is normative; these tests read it and compare: the
//! error-code tables of §9 (code, name, errno) against every code the
//! crates can produce, and the hex of Appendix A (header bytes, digests,
//! protected header, `Sig_structure`, descriptor) against what the format
//! crate computes. Editing either side alone fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;

use migseal_format::cbor::Encoder;
use migseal_format::envelope::{
    DOMAIN_HEADER, DOMAIN_IMAGE, Descriptor, DeviceIdentity, Header, IdentList, KEY_ID_LEN, StateVersion,
    chain_input, chunk_prefix, image_input, protected_header,
};
use migseal_format::{ErrorCode, Ident};
use migseal_verifier::compat::{CompatCode, ConfigSide, Reason};
use migseal_verifier::{ErrorKind, KeyIdHex, Name};
use sha2::{Digest as _, Sha256};

const SPEC: &str = include_str!("../spec/migseal.md");

fn section(title: &str) -> &'static str {
    let start = SPEC.find(title).unwrap_or_else(|| panic!("spec has no section {title:?}"));
    let rest = &SPEC[start + title.len()..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    &rest[..end]
}

/// `| 123 | name | ERRNO | meaning |` rows of §9.
fn spec_codes() -> BTreeMap<u16, (String, i32)> {
    let errnos: BTreeMap<&str, i32> = [
        ("EPERM", 1),
        ("E2BIG", 7),
        ("EINVAL", 22),
        ("ENOSPC", 28),
        ("EBADMSG", 74),
        ("EOPNOTSUPP", 95),
        ("EKEYREVOKED", 128),
        ("EKEYREJECTED", 129),
    ]
    .into();
    let table = section("## 9. Error codes");
    // The errno table at the top of §9 must agree with Linux's values.
    for (name, value) in &errnos {
        assert!(table.contains(&format!("| {name} | {value} |")), "§9 errno table lacks {name} = {value}");
    }
    let mut codes = BTreeMap::new();
    for line in table.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 5 {
            continue;
        }
        let Ok(code) = cells[1].parse::<u16>() else { continue };
        let errno =
            *errnos.get(cells[3]).unwrap_or_else(|| panic!("code {code}: unknown errno {}", cells[3]));
        assert!(codes.insert(code, (cells[2].to_owned(), errno)).is_none(), "code {code} listed twice");
    }
    codes
}

/// One instance of every verifier error kind outside the format range.
fn verifier_kinds() -> Vec<ErrorKind> {
    let id = KeyIdHex::of(&[7; 32]);
    let n = Name::new;
    let reasons: Vec<Reason<Name>> = vec![
        Reason::VendorMismatch { source: n("a"), destination: n("b") },
        Reason::DeviceApiMismatch { source: n("a"), destination: n("b") },
        Reason::DeviceTypeMismatch { source: n("a"), destination: n("b") },
        Reason::VersionUnsupported {
            source: migseal_format::envelope::VersionRange {
                min: StateVersion::new(2, 0),
                max: StateVersion::new(2, 0),
            },
            destination: migseal_format::envelope::VersionRange {
                min: StateVersion::new(1, 0),
                max: StateVersion::new(1, 0),
            },
        },
        Reason::FeatureMissing { feature: n("f") },
        Reason::ConfigMismatch { source: ConfigSide::Present(n("k")), destination: ConfigSide::Absent },
        Reason::CodecUnsupported { source: n("a"), destination: n("b") },
        Reason::RoleMismatch {
            source: migseal_format::envelope::Role::Destination,
            destination: migseal_format::envelope::Role::Destination,
        },
    ];
    let mut kinds: Vec<ErrorKind> = reasons.into_iter().map(ErrorKind::Incompatible).collect();
    kinds.extend([
        ErrorKind::RecordOrder { expected: "a chunk or seal", found: "header" },
        ErrorKind::SequenceGap { expected: 1, found: 2 },
        ErrorKind::HeaderTooLarge { limit: 4096 },
        ErrorKind::ChunkTooLarge { limit: 1, found: 2 },
        ErrorKind::TooManyChunks { limit: 1 },
        ErrorKind::TotalTooLarge { limit: 1, found: 2 },
        ErrorKind::Incomplete { state: "inside a chunk" },
        ErrorKind::UntrustedKey { key_id: id },
        ErrorKind::KeyVendorScope { key_vendor: n("a"), image_vendor: n("b") },
        ErrorKind::KeyTypeScope { image_type: n("t") },
        ErrorKind::RevokedKey { key_id: id },
        ErrorKind::SecurityVersionTooLow { found: 1, minimum: 2 },
        ErrorKind::SessionMissing,
        ErrorKind::SessionMismatch,
        ErrorKind::SubjectMissing { expected: n("vm") },
        ErrorKind::SubjectMismatch { expected: n("vm"), found: n("other") },
        ErrorKind::WeakKey,
        ErrorKind::TrustStoreFull { capacity: 1 },
        ErrorKind::KeyIdMismatch { header: id, seal: id },
        ErrorKind::BadSignature,
        ErrorKind::NonCanonicalSignature,
        ErrorKind::InvalidPublicKey,
    ]);
    kinds
}

#[test]
fn every_code_the_crates_produce_is_in_the_spec_with_its_name_and_errno() {
    let spec = spec_codes();
    let mut implemented = BTreeMap::new();
    for code in ErrorCode::ALL {
        implemented.insert(code.code(), (code.name().to_owned(), code.errno()));
    }
    for kind in verifier_kinds() {
        implemented.insert(kind.code(), (kind.name().to_owned(), kind.errno()));
    }
    for code in CompatCode::ALL {
        assert_eq!(implemented.get(&code.code()).map(|c| c.0.as_str()), Some(code.name()));
    }
    // Codes 700–899 belong to the codecs and the C ABI (§9.6); their
    // tables are checked with them.
    let spec_core: BTreeMap<_, _> = spec.into_iter().filter(|(c, _)| *c < 700).collect();
    assert_eq!(
        spec_core.keys().collect::<Vec<_>>(),
        implemented.keys().collect::<Vec<_>>(),
        "§9 and the implementation list different codes"
    );
    for (code, (name, errno)) in &spec_core {
        assert_eq!(&implemented[code], &(name.clone(), *errno), "code {code}: spec says ({name}, {errno})");
    }
}

#[test]
fn codes_are_grouped_by_hundreds_as_section_9_says() {
    for kind in verifier_kinds() {
        let class = match kind {
            ErrorKind::Incompatible(_) => 5,
            ErrorKind::BadSignature | ErrorKind::NonCanonicalSignature | ErrorKind::InvalidPublicKey => 6,
            ErrorKind::RecordOrder { .. }
            | ErrorKind::SequenceGap { .. }
            | ErrorKind::HeaderTooLarge { .. }
            | ErrorKind::ChunkTooLarge { .. }
            | ErrorKind::TooManyChunks { .. }
            | ErrorKind::TotalTooLarge { .. }
            | ErrorKind::Incomplete { .. } => 3,
            _ => 4,
        };
        assert_eq!(kind.code() / 100, class, "{kind:?}");
    }
}

/// The hex digits of a fenced block that follows `marker` in Appendix A.
/// Annotated blocks keep only the bytes before each line's comment (three
/// or more spaces separate bytes from their explanation).
fn hex_block_after(marker: &str) -> Vec<u8> {
    let appendix = section("## Appendix A: worked example");
    let at = appendix.find(marker).unwrap_or_else(|| panic!("Appendix A has no {marker:?}"));
    let rest = &appendix[at..];
    let open = rest.find("```text\n").unwrap() + "```text\n".len();
    let close = open + rest[open..].find("```").unwrap();
    let mut hex = String::new();
    for line in rest[open..close].lines() {
        let bytes_part = line.trim_start().split("   ").next().unwrap_or("");
        hex.extend(bytes_part.chars().filter(|c| !c.is_whitespace()));
    }
    hex::decode(&hex).unwrap_or_else(|e| panic!("block after {marker:?} is not hex ({e}): {hex}"))
}

/// A hex value in a `| name | `hex` |` row, or after a marker in prose.
fn hex_after(marker: &str) -> Vec<u8> {
    let appendix = section("## Appendix A: worked example");
    let at = appendix.find(marker).unwrap_or_else(|| panic!("Appendix A has no {marker:?}"));
    let rest = &appendix[at + marker.len()..];
    let open = rest.find('`').unwrap() + 1;
    let close = open + rest[open..].find('`').unwrap();
    hex::decode(&rest[open..close]).unwrap()
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn appendix_header() -> Header<'static> {
    Header {
        identity: DeviceIdentity {
            vendor: Ident::new("linux").unwrap(),
            device_api: Ident::new("vfio-pci").unwrap(),
            device_type: Ident::new("mtty-2").unwrap(),
        },
        state_version: StateVersion::new(1, 0),
        features: IdentList::EMPTY,
        config: None,
        codec: Ident::new("mtty").unwrap(),
        security_version: 1,
        session: None,
        subject: None,
        key_id: [0x11; KEY_ID_LEN],
    }
}

#[test]
fn appendix_a_header_bytes_and_digests_match_the_implementation() {
    let spec_header = hex_block_after("79 bytes:");
    assert_eq!(spec_header, hex_block_after("```text\n8200a9"), "A.1's two renderings differ");
    let mut e = Encoder::new(Vec::new());
    appendix_header().encode_record(&mut e).unwrap();
    let ours = e.finish().unwrap();
    assert_eq!(hex::encode(ours), hex::encode(&spec_header), "A.1 header record");
    assert_eq!(Header::decode_record(&spec_header, 0).unwrap(), appendix_header());

    let header_digest = sha256(&[DOMAIN_HEADER, &spec_header]);
    assert_eq!(header_digest.to_vec(), hex_after("Header digest `SHA-256(DOMAIN_HEADER ‖ record)`:"));
    let chunk = sha256(&[&chunk_prefix(0, 5), b"hello"]);
    assert_eq!(chunk.to_vec(), hex_after("| `chunk_digest_0` |"));
    let chain = sha256(&[&chain_input(&header_digest, &chunk)]);
    assert_eq!(chain.to_vec(), hex_after("| `chain_1` |"));
    let image = sha256(&[&image_input(&chain, 1, 5)]);
    assert_eq!(image.to_vec(), hex_after("| `image_digest` (n = 1, total = 5) |"));
    let empty = sha256(&[&image_input(&header_digest, 0, 0)]);
    assert_eq!(empty.to_vec(), hex_after("with no chunks (n = 0, total = 0) |"));
    assert!(image_input(&chain, 1, 5).starts_with(DOMAIN_IMAGE));

    let protected = protected_header(&[0x11; KEY_ID_LEN]);
    assert_eq!(hex::encode(protected), hex::encode(hex_block_after("Protected header (80 bytes)")));
    let tbs = migseal_format::envelope::Seal::to_be_signed(&[0x11; KEY_ID_LEN], &image);
    assert_eq!(hex::encode(tbs), hex::encode(hex_block_after("`Sig_structure` for the one-chunk image")));
}

#[test]
fn appendix_a_descriptor_is_the_shipped_device_file() {
    let spec_bytes = hex_block_after("### A.3 A destination descriptor");
    let shipped =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/vectors/devices/mtty-2.cbor")).unwrap();
    assert_eq!(hex::encode(&spec_bytes), hex::encode(&shipped));
    let d = Descriptor::decode(&spec_bytes).unwrap();
    assert_eq!(d.identity, appendix_header().identity);
}
