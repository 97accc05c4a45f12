//! The C ABI's status enum is the specification's code table (§9.1–§9.6):
//! the same numbers with the same names and errnos, nothing missing,
//! nothing extra.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, clippy::arithmetic_side_effects)]

use std::collections::BTreeMap;

use migseal_capi::migseal_status_errno;
use migseal_capi::status;

const SPEC: &str = include_str!("../../spec/migseal.md");

/// `| 123 | name | ERRNO | … |` rows of §9, with the errno's value from
/// §9's `| ERRNO | value |` table.
fn spec_rows() -> BTreeMap<i32, (String, i32)> {
    let start = SPEC.find("## 9. Error codes").unwrap();
    let end = start + SPEC[start..].find("\n## 10.").unwrap();
    let rows: Vec<Vec<&str>> =
        SPEC[start..end].lines().map(|line| line.split('|').map(str::trim).collect()).collect();
    let errnos: BTreeMap<&str, i32> = rows
        .iter()
        .filter(|c| c.len() == 4 && c[1].starts_with('E'))
        .filter_map(|c| Some((c[1], c[2].parse().ok()?)))
        .collect();
    rows.iter()
        .filter_map(|cells| {
            let code = cells.get(1)?.parse::<i32>().ok()?;
            let errno =
                *errnos.get(cells.get(3)?).unwrap_or_else(|| panic!("code {code}: errno {:?}", cells.get(3)));
            Some((code, ((*cells.get(2)?).to_owned(), errno)))
        })
        .collect()
}

#[test]
fn the_status_enum_is_the_spec_table() {
    let spec = spec_rows();
    assert!(spec.len() > 60, "§9 table not found ({} rows)", spec.len());
    let abi: BTreeMap<i32, (String, i32)> = status::all()
        .filter(|(s, _, _)| s.code() != 0)
        .map(|(s, name, _)| (s.code(), (name.to_str().unwrap().to_owned(), migseal_status_errno(s.code()))))
        .collect();
    assert_eq!(abi, spec);
    assert_eq!(migseal_status_errno(0), 0);
    assert_eq!(migseal_status_errno(12345), 22, "unknown codes are EINVAL");
}
