//! Identifiers and subjects print as their text (the CLI and error
//! messages print them with `{}`), not as nothing.

#![allow(clippy::unwrap_used)]

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
