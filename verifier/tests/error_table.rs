//! Every code the verifier layer can return, pinned against spec §9: code
//! ↔ name ↔ errno as the spec's tables list them, a summary and a message
//! that are not empty, and the [`Error`] accessors and offsets that carry
//! them to callers (the C ABI, the CLI's `--json`, a kernel's errno).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeMap;

use migseal_format::ErrorCode;
use migseal_format::envelope::{Role, StateVersion, VersionRange};
use migseal_verifier::compat::{CompatCode, ConfigSide, Reason};
use migseal_verifier::{Error, ErrorKind, KeyIdHex, Name};

const SPEC: &str = include_str!("../../spec/migseal.md");

/// `| 300 | name | ERRNO | meaning |` rows of spec §9, errno as a number.
fn spec_rows() -> BTreeMap<u16, (String, i32)> {
    let errno = |name: &str| match name {
        "EPERM" => 1,
        "E2BIG" => 7,
        "EINVAL" => 22,
        "ENOSPC" => 28,
        "EBADMSG" => 74,
        "EOPNOTSUPP" => 95,
        "EKEYREVOKED" => 128,
        "EKEYREJECTED" => 129,
        other => panic!("unknown errno {other}"),
    };
    let start = SPEC.find("## 9. Error codes").unwrap();
    let end = start + SPEC[start..].find("\n## 10.").unwrap();
    SPEC[start..end]
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let code = cells.get(1)?.parse::<u16>().ok()?;
            Some((code, (cells[2].to_owned(), errno(cells[3]))))
        })
        .collect()
}

/// One value of every kind the verifier layer defines itself (300–499,
/// 600–699).
fn own_kinds() -> Vec<ErrorKind> {
    let id = KeyIdHex::of(&[7; 32]);
    let n = Name::new;
    vec![
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
    ]
}

/// One reason of every compatibility code (500–507).
fn reasons() -> Vec<Reason<Name>> {
    let n = Name::new;
    let v = |m| VersionRange { min: StateVersion::new(m, 0), max: StateVersion::new(m, 0) };
    vec![
        Reason::VendorMismatch { source: n("a"), destination: n("b") },
        Reason::DeviceApiMismatch { source: n("a"), destination: n("b") },
        Reason::DeviceTypeMismatch { source: n("a"), destination: n("b") },
        Reason::VersionUnsupported { source: v(2), destination: v(1) },
        Reason::FeatureMissing { feature: n("f") },
        Reason::ConfigMismatch { source: ConfigSide::Present(n("k")), destination: ConfigSide::Absent },
        Reason::CodecUnsupported { source: n("a"), destination: n("b") },
        Reason::RoleMismatch { source: Role::Destination, destination: Role::Destination },
    ]
}

#[test]
fn the_code_table_is_spec_section_9_for_300_to_499_and_600_to_699() {
    let spec: BTreeMap<_, _> =
        spec_rows().into_iter().filter(|(c, _)| (300..500).contains(c) || (600..700).contains(c)).collect();
    let table: BTreeMap<_, _> =
        ErrorKind::CODES.iter().map(|row| (row.code, (row.name.to_owned(), row.errno))).collect();
    assert_eq!(table, spec);
    assert_eq!(table.len(), ErrorKind::CODES.len(), "no code twice");
    assert!(ErrorKind::CODES.windows(2).all(|w| w[0].code < w[1].code), "CODES in numeric order");
    for row in ErrorKind::CODES {
        assert!(!row.summary.is_empty(), "{} has a summary", row.code);
    }
}

#[test]
fn every_kind_reports_its_own_row() {
    let kinds = own_kinds();
    assert_eq!(kinds.len(), ErrorKind::CODES.len(), "one kind per row");
    for (kind, row) in kinds.iter().zip(ErrorKind::CODES) {
        assert_eq!(
            (kind.code(), kind.name(), kind.errno(), kind.summary()),
            (row.code, row.name, row.errno, row.summary)
        );
        assert!(!kind.to_string().is_empty(), "{kind:?} has a message");
        // The Error wrapper hands out the same, plus its offset.
        let e = Error::new(*kind, 1234);
        assert_eq!(
            (e.code(), e.name(), e.errno(), e.offset(), e.kind()),
            (row.code, row.name, row.errno, 1234, kind)
        );
        let text = e.to_string();
        assert!(text.starts_with(&format!("error {} ({}) at byte 1234: ", row.code, row.name)), "{text}");
        assert!(text.ends_with(&kind.to_string()), "{text}");
    }
}

#[test]
fn incompatible_kinds_take_code_name_errno_and_summary_from_the_reason() {
    let spec = spec_rows();
    let rs = reasons();
    assert_eq!(rs.len(), CompatCode::ALL.len());
    for (reason, code) in rs.into_iter().zip(CompatCode::ALL) {
        assert_eq!(reason.code(), *code);
        let kind = ErrorKind::Incompatible(reason);
        assert_eq!((kind.code(), kind.name(), kind.errno()), (code.code(), code.name(), code.errno()));
        assert_eq!(kind.summary(), code.summary());
        assert!(!code.summary().is_empty());
        assert_eq!(spec[&code.code()], (code.name().to_owned(), 95), "spec row of {}", code.code());
        assert_eq!(kind.to_string(), reason.to_string(), "the message is the reason's");
        assert!(!kind.to_string().is_empty());
    }
}

#[test]
fn format_errors_keep_their_code_and_offset() {
    for code in ErrorCode::ALL {
        let inner = migseal_format::Error::new(*code, 77);
        let e = Error::from(inner);
        assert_eq!(e.offset(), 77, "{code:?}: the format error's offset");
        assert_eq!((e.code(), e.name(), e.errno()), (code.code(), code.name(), code.errno()));
        assert_eq!(e.kind(), &ErrorKind::Format(inner));
        assert_eq!(e.kind().summary(), code.summary());
        assert_eq!(e.to_string(), inner.to_string(), "Display is the format error's own");
    }
}
