//! Identifiers, subjects and state versions print as their text (the CLI
//! and error messages print them with `{}`), not as nothing.

#![allow(clippy::unwrap_used)]

use migseal_format::envelope::{StateVersion, VersionRange};
use migseal_format::{Ident, Subject};

#[test]
fn an_ident_displays_as_its_text() {
    let ident = Ident::new("vendor.example-1").unwrap();
    assert_eq!(ident.to_string(), "vendor.example-1");
}

#[test]
fn a_subject_displays_as_its_text() {
    let subject = Subject::new("9f2c1e7a-vm/01").unwrap();
    assert_eq!(subject.to_string(), "9f2c1e7a-vm/01");
}

#[test]
fn state_versions_and_ranges_display_as_major_dot_minor() {
    let v = StateVersion::new(2, 17);
    assert_eq!(v.to_string(), "2.17");
    let one = VersionRange::new(v, v).unwrap();
    assert_eq!(one.to_string(), "2.17");
    let span = VersionRange::new(StateVersion::new(1, 0), v).unwrap();
    assert_eq!(span.to_string(), "1.0..=2.17");
}

#[test]
fn copied_idents_and_subjects_debug_as_the_originals() {
    use migseal_format::{IdentBuf, SubjectBuf};
    let ident = Ident::new("vendor.example-1").unwrap();
    let subject = Subject::new("9f2c1e7a-vm/01").unwrap();
    // Debug of a copy is Debug of what it holds, so a trust store or a
    // policy prints the identifiers in it, not an empty or raw struct.
    assert_eq!(format!("{:?}", IdentBuf::copy(ident)), format!("{ident:?}"));
    assert!(format!("{:?}", IdentBuf::copy(ident)).contains("vendor.example-1"));
    assert_eq!(format!("{:?}", SubjectBuf::copy(subject)), format!("{subject:?}"));
    assert!(format!("{:?}", SubjectBuf::copy(subject)).contains("9f2c1e7a-vm/01"));
}
