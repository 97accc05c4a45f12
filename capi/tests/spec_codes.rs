//! The C ABI's status enum is the specification's code table (§9.1–§9.6):
//! the same numbers with the same names, nothing missing, nothing extra.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, clippy::arithmetic_side_effects)]

use std::collections::BTreeMap;

use migseal_capi::status;

const SPEC: &str = include_str!("../../spec/migseal.md");

/// `| 123 | name | ERRNO | … |` rows of §9.
fn spec_names() -> BTreeMap<i32, String> {
    let start = SPEC.find("## 9. Error codes").unwrap();
    let end = start + SPEC[start..].find("\n## 10.").unwrap();
    SPEC[start..end]
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let code = cells.get(1)?.parse::<i32>().ok()?;
            Some((code, (*cells.get(2)?).to_owned()))
        })
        .collect()
}

#[test]
fn the_status_enum_is_the_spec_table() {
    let spec = spec_names();
    assert!(spec.len() > 60, "§9 table not found ({} rows)", spec.len());
    let abi: BTreeMap<i32, String> = status::all()
        .filter(|(s, _, _)| s.code() != 0)
        .map(|(s, name, _)| (s.code(), name.to_str().unwrap().to_owned()))
        .collect();
    assert_eq!(abi, spec);
}

/// `migseal_status_errno` gives the errno column of §9 for every code.
#[test]
fn status_errno_is_the_spec_errno_column() {
    let start = SPEC.find("## 9. Error codes").unwrap();
    let end = start + SPEC[start..].find("\n## 10.").unwrap();
    let values: BTreeMap<&str, i32> = [
        ("EPERM", 1),
        ("E2BIG", 7),
        ("EINVAL", 22),
        ("ENOSPC", 28),
        ("EBADMSG", 74),
        ("EOPNOTSUPP", 95),
        ("EKEYREVOKED", 128),
        ("EKEYREJECTED", 129),
    ]
    .into_iter()
    .collect();
    let mut rows = 0;
    for line in SPEC[start..end].lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(Ok(code)), Some(errno)) = (cells.get(1).map(|c| c.parse::<i32>()), cells.get(3)) else {
            continue;
        };
        let want = values[errno];
        assert_eq!(migseal_capi::migseal_status_errno(code), want, "code {code}");
        rows += 1;
    }
    assert!(rows > 60, "§9 rows not found ({rows})");
    assert_eq!(migseal_capi::migseal_status_errno(0), 0);
}
