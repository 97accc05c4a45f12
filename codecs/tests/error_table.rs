//! Every codec code with its texts and the [`Error`] accessors that carry
//! it (code ↔ name ↔ errno against spec/codecs.md is in `registry.rs`).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::as_conversions)]

use migseal_codecs::{Detail, Error, ErrorCode};

#[test]
fn every_code_has_texts_and_is_its_discriminant_in_order() {
    assert!(ErrorCode::ALL.windows(2).all(|w| w[0].code() < w[1].code()), "ALL in numeric order");
    for c in ErrorCode::ALL {
        assert_eq!(*c as u16, c.code());
        assert!((700..800).contains(&c.code()), "{c:?} in the codecs' range");
        assert!(!c.name().is_empty() && !c.what().is_empty() && !c.advice().is_empty(), "{c:?}");
        assert!(c.errno() > 0, "{c:?}");
    }
}

#[test]
fn an_error_reports_code_offset_field_and_detail_in_its_message() {
    for c in ErrorCode::ALL {
        let e = Error::new(*c, 42);
        assert_eq!((e.code(), e.offset(), e.field(), e.detail()), (*c, 42, "", Detail::None));
        assert_eq!(
            e.to_string(),
            format!("error {} ({}) at byte 42: {}; {}", c.code(), c.name(), c.what(), c.advice())
        );
    }
    assert_eq!(Error::at(ErrorCode::Truncated, 7).offset(), 7);
    let e = Error::at(ErrorCode::TrailingBytes, 3)
        .in_field("ports[1]")
        .in_field("ignored")
        .with_detail(Detail::Value { expected: 1, found: 2 });
    assert_eq!((e.field(), e.detail()), ("ports[1]", Detail::Value { expected: 1, found: 2 }));
    assert!(
        e.to_string().contains(" in ports[1]: ") && e.to_string().contains(" (expected 1, found 2); "),
        "{e}"
    );
}
