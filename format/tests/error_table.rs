//! Every format code pinned against spec §9.1: code ↔ name ↔ errno as the
//! spec lists them, texts that are not empty, and the [`Error`] accessors
//! and offsets that carry them to callers.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::as_conversions,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeMap;

use migseal_format::{Detail, Error, ErrorCode, errno};

const SPEC: &str = include_str!("../../spec/migseal.md");

/// `| 100 | name | ERRNO | meaning |` rows of spec §9.1.
fn spec_rows() -> BTreeMap<u16, (String, i32)> {
    let errno = |name: &str| match name {
        "E2BIG" => errno::E2BIG,
        "EINVAL" => errno::EINVAL,
        "ENOSPC" => errno::ENOSPC,
        "EBADMSG" => errno::EBADMSG,
        other => panic!("§9.1 names errno {other}, which no format code uses"),
    };
    let start = SPEC.find("### 9.1 Format").unwrap();
    let end = start + SPEC[start..].find("### 9.2").unwrap();
    SPEC[start..end]
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let code = cells.get(1)?.parse::<u16>().ok()?;
            Some((code, (cells[2].to_owned(), errno(cells[3]))))
        })
        .collect()
}

#[test]
fn the_errno_constants_are_linuxs() {
    use errno::*;
    assert_eq!(
        [EPERM, E2BIG, ENOMEM, EINVAL, ENOSPC, EBADMSG, EOPNOTSUPP, EKEYREVOKED, EKEYREJECTED],
        [1, 7, 12, 22, 28, 74, 95, 128, 129]
    );
}

#[test]
fn every_code_is_spec_section_9_1_with_texts() {
    let table: BTreeMap<_, _> =
        ErrorCode::ALL.iter().map(|c| (c.code(), (c.name().to_owned(), c.errno()))).collect();
    assert_eq!(table, spec_rows());
    assert!(ErrorCode::ALL.windows(2).all(|w| w[0].code() < w[1].code()), "ALL in numeric order");
    for c in ErrorCode::ALL {
        assert_eq!(*c as u16, c.code(), "discriminant is the code");
        assert!(!c.what().is_empty() && !c.advice().is_empty() && !c.summary().is_empty(), "{c:?}");
    }
}

#[test]
fn an_error_reports_code_offset_field_and_detail_in_its_message() {
    for c in ErrorCode::ALL {
        let e = Error::new(*c, 42);
        assert_eq!((e.code(), e.offset(), e.field(), e.detail()), (*c, 42, "", Detail::None));
        assert_eq!(e.is_truncated(), *c == ErrorCode::Truncated);
        let text = e.to_string();
        assert_eq!(
            text,
            format!("error {} ({}) at byte 42: {}; {}", c.code(), c.name(), c.what(), c.advice())
        );
    }
    let e = Error::new(ErrorCode::LengthOverLimit, 9)
        .in_field("header.vendor")
        .in_field("ignored: the first field set is kept")
        .with_detail(Detail::Limit { limit: 64, found: 65 });
    assert_eq!((e.field(), e.detail()), ("header.vendor", Detail::Limit { limit: 64, found: 65 }));
    assert!(e.to_string().contains(" in header.vendor: "), "{e}");
    assert!(e.to_string().contains(" (found 65, limit 64); "), "{e}");
}

#[test]
fn a_shifted_offset_adds_the_window_base_and_saturates() {
    assert_eq!(Error::new(ErrorCode::Truncated, 5).shifted(100).offset(), 105);
    assert_eq!(Error::new(ErrorCode::Truncated, 5).shifted(u64::MAX).offset(), u64::MAX);
}
