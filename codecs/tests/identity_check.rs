//! `Handles::check` names an unsupported state version in its detail as
//! `major << 32 | minor`, so a tool can print both numbers.

#![allow(clippy::unwrap_used)]

mod common;

use migseal_codecs::mtty::Mtty;
use migseal_codecs::{Codec, Detail, ErrorCode};

#[test]
fn an_unsupported_state_version_is_named_with_both_numbers() {
    let mut id = common::identity("mtty-2");
    Mtty::HANDLES.check(&id).unwrap();
    id.state_version = (2, 5);
    let e = Mtty::HANDLES.check(&id).unwrap_err();
    assert_eq!((e.code(), e.offset()), (ErrorCode::UnsupportedIdentity, 0));
    assert_eq!(e.detail(), Detail::Found((2 << 32) | 5));
}
