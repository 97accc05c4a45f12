//! `ItemScan`'s resumable walk as a caller that gathers an item in
//! fragments sees it: how far it has validated (`position`) and how many
//! bytes it needs before resuming can change its answer (`needed`).

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use migseal_format::cbor::ItemScan;

/// [1, "abc", 2]: array head, 1, text head + 3 bytes, 2.
const ITEM: [u8; 7] = [0x83, 0x01, 0x63, b'a', b'b', b'c', 0x02];

#[test]
fn position_is_where_the_first_unfinished_item_starts() {
    let mut scan = ItemScan::new();
    assert_eq!(scan.position(), 0);
    // The array head and `1` are complete; the text has not begun.
    assert!(scan.resume(&ITEM[..2], 0, &[]).unwrap_err().is_truncated());
    assert_eq!(scan.position(), 2);
    // The text is cut: the scan stays before it.
    assert!(scan.resume(&ITEM[..4], 0, &[]).unwrap_err().is_truncated());
    assert_eq!(scan.position(), 2);
    assert!(scan.resume(&ITEM[..6], 0, &[]).unwrap_err().is_truncated());
    assert_eq!(scan.position(), 6);
    assert_eq!(scan.resume(&ITEM, 0, &[]), Ok(7));
    assert_eq!(scan.position(), 7);
}

#[test]
fn needed_is_the_end_of_a_cut_string_or_one_byte_more() {
    let mut scan = ItemScan::new();
    assert_eq!(scan.needed(), None, "before the first call");
    // Cut inside the text: it ends at byte 6.
    assert!(scan.resume(&ITEM[..4], 0, &[]).unwrap_err().is_truncated());
    assert_eq!(scan.needed(), Some(6));
    // Below that, the same truncation again, without walking.
    assert!(scan.resume(&ITEM[..5], 0, &[]).unwrap_err().is_truncated());
    assert_eq!(scan.needed(), Some(6));
    // The text is whole, the last item's head is missing: one byte more
    // (not the string's end of the previous call, which has been reached).
    assert!(scan.resume(&ITEM[..6], 0, &[]).unwrap_err().is_truncated());
    assert_eq!(scan.needed(), Some(7));
    // Once the walk ended, nothing more is needed.
    assert_eq!(scan.resume(&ITEM, 0, &[]), Ok(7));
    assert_eq!(scan.needed(), None);
}

#[test]
fn needed_is_none_after_a_refusal() {
    let mut scan = ItemScan::new();
    // A non-shortest head (0x18 0x01) is refused, not cut.
    assert!(!scan.resume(&[0x82, 0x18, 0x01], 0, &[]).unwrap_err().is_truncated());
    assert_eq!(scan.needed(), None);
}
