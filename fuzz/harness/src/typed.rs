//! What a refusal must look like, whichever API gives it: a code from one
//! of the stable tables with that table's name and errno, a message, and
//! an offset inside the bytes the caller gave (spec §8.7, §9).

use migseal_format::ErrorCode;
use migseal_verifier::compat::CompatCode;
use migseal_verifier::{Error, ErrorKind};

/// The `(name, errno)` the tables give `code`, or `None` for a code no
/// table has.
#[must_use]
pub fn table_row(code: u16) -> Option<(&'static str, i32)> {
    ErrorCode::ALL
        .iter()
        .find(|c| c.code() == code)
        .map(|c| (c.name(), c.errno()))
        .or_else(|| CompatCode::ALL.iter().find(|c| c.code() == code).map(|c| (c.name(), c.errno())))
        .or_else(|| ErrorKind::CODES.iter().find(|r| r.code == code).map(|r| (r.name, r.errno)))
}

/// Asserts that `e`, returned for an input of `len` bytes, is a typed
/// refusal.
///
/// # Panics
///
/// When the code is in no table, its name or errno is not the table's, the
/// message is empty, or the offset lies beyond the input.
pub fn assert_typed(e: &Error, len: usize, what: &str) {
    let row =
        table_row(e.code()).unwrap_or_else(|| panic!("{what}: code {} is in no table: {e:?}", e.code()));
    assert_eq!((e.name(), e.errno()), row, "{what}: name/errno of code {}", e.code());
    assert!(!e.to_string().is_empty(), "{what}: empty message for {e:?}");
    assert!(!e.kind().summary().is_empty(), "{what}: no summary line for {e:?}");
    assert_eq!(e.kind().code(), e.code(), "{what}: kind and error disagree on the code");
    assert!(e.offset() <= len as u64, "{what}: offset {} beyond the {len} bytes given: {e}", e.offset());
}

/// Asserts that a format-layer refusal says what it is: its message opens
/// with its code, name and offset, and its code has the texts a person
/// reads (what happened, what to do, the one-line summary).
///
/// # Panics
///
/// When one of them is missing.
pub fn assert_format_message(e: &migseal_format::Error) {
    let c = e.code();
    let head = format!("error {} ({}) at byte {}", c.code(), c.name(), e.offset());
    let text = e.to_string();
    assert!(text.starts_with(&head), "format error message {text:?} does not open with {head:?}");
    assert!(!c.what().is_empty() && !c.advice().is_empty() && !c.summary().is_empty(), "{c:?} lacks a text");
    assert!(c.errno() > 0, "{c:?} has no errno");
    if !e.field().is_empty() {
        assert!(text.contains(e.field()), "format error message {text:?} does not name its field");
    }
    // Moving an error into a larger stream moves only its offset.
    let moved = e.shifted(4096);
    assert_eq!(moved.offset(), e.offset().saturating_add(4096), "shifted offset");
    assert_eq!((moved.code(), moved.field(), moved.detail()), (e.code(), e.field(), e.detail()), "shifted");
}
