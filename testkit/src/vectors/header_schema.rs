//! Header schema refusals, written by hand with the canonical encoder.

use super::fixtures::Fixtures;
use super::{VectorSet, err};
use migseal_verifier::Dalek;

use crate::samples::record_ranges;

/// Adds this group.
#[allow(clippy::too_many_lines)]
pub(super) fn add(set: &mut VectorSet, f: &Fixtures) {
    let Fixtures { linux, mtty2_chunked, .. } = f;
    let r = record_ranges(mtty2_chunked);
    let chunk = |i: usize| &mtty2_chunked[r[i + 1].clone()];
    let cat = |parts: &[&[u8]]| parts.concat();
    // Header schema refusals, written by hand with the canonical encoder.
    let key_id = linux.key_id(&Dalek);
    set.image(
        "header-unknown-field",
        cat(&[&raw_header(&key_id, true, false), chunk(0)]),
        "mtty-2",
        "default",
        err(203, "unknown-field"),
        "header key 13 is not defined in v1",
    );
    set.image(
        "header-missing-field",
        cat(&[&raw_header(&key_id, false, true), chunk(0)]),
        "mtty-2",
        "default",
        err(202, "missing-field"),
        "header without its codec (key 8)",
    );
}

/// A header record with an extra key 13, or without its codec.
fn raw_header(key_id: &[u8; 32], extra: bool, drop_codec: bool) -> Vec<u8> {
    use migseal_format::cbor::Encoder;
    let mut e = Encoder::new(Vec::new());
    let pairs = 9 + u64::from(extra) - u64::from(drop_codec);
    let _ = (|| -> migseal_format::Result<()> {
        e.array(2)?.uint(0)?.map(pairs)?;
        e.uint(1)?.uint(1)?.uint(2)?.text("linux")?.uint(3)?.text("vfio-pci")?.uint(4)?.text("mtty-2")?;
        e.uint(5)?.array(2)?.uint(1)?.uint(0)?.uint(6)?.array(0)?;
        if !drop_codec {
            e.uint(8)?.text("mtty")?;
        }
        e.uint(9)?.uint(3)?.uint(12)?.bytes(key_id)?;
        if extra {
            e.uint(13)?.text("extra")?;
        }
        Ok(())
    })();
    e.finish().unwrap_or_default()
}
