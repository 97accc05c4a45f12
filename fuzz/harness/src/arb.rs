//! `arbitrary` builders of valid values: identifiers, subjects, nonces,
//! header specs and descriptor specs. Names come mostly from a small pool
//! (so that two generated descriptors often share a vendor or a feature,
//! which is where the compatibility logic branches), sometimes from the
//! fuzzer's bytes mapped onto the identifier alphabet.

use arbitrary::{Arbitrary, Result, Unstructured};
use migseal_format::envelope::Role;
use migseal_testkit::samples::{DescriptorSpec, HeaderSpec};

/// Names real descriptors use, plus near-misses that differ only in case
/// or by one character.
const POOL: &[&str] = &[
    "linux",
    "nvidia",
    "virtio",
    "ibm",
    "Linux",
    "vfio-pci",
    "vfio-ccw",
    "vfio-ap",
    "mtty-1",
    "mtty-2",
    "mtty",
    "nvidia-35",
    "fifo",
    "irq-v2",
    "vfio-ap-matrix",
    "a",
    "b",
    "ab",
    "ba",
];

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const IDENT_REST: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

/// An identifier: 1–64 bytes of `[A-Za-z0-9._-]`, starting alphanumeric.
pub fn ident(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(7u8, 8u8)? {
        return Ok((*u.choose(POOL)?).to_owned());
    }
    let len = u.int_in_range(1usize..=64)?;
    let mut s = String::with_capacity(len);
    s.push(char::from(*u.choose(ALNUM)?));
    for _ in 1..len {
        s.push(char::from(*u.choose(IDENT_REST)?));
    }
    Ok(s)
}

/// A subject: 1–128 bytes of 0x21–0x7e.
pub fn subject(u: &mut Unstructured<'_>) -> Result<String> {
    if u.arbitrary()? {
        return Ok("vm-6f1e3c2a-0b5d-4e1f-9a7c-1d2e3f4a5b6c".to_owned());
    }
    let len = u.int_in_range(1usize..=128)?;
    (0..len).map(|_| u.int_in_range(0x21u8..=0x7e).map(char::from)).collect()
}

/// A session nonce: 16–64 bytes.
pub fn nonce(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let len = u.int_in_range(16usize..=64)?;
    (0..len).map(|_| u.arbitrary::<u8>()).collect()
}

/// A list of up to `max` identifiers (duplicates allowed: the specs sort
/// and deduplicate them).
pub fn idents(u: &mut Unstructured<'_>, max: usize) -> Result<Vec<String>> {
    let n = u.int_in_range(0..=max)?;
    (0..n).map(|_| ident(u)).collect()
}

/// A shell config: a kind and 1–1024 bytes.
pub fn config(u: &mut Unstructured<'_>) -> Result<Option<(String, Vec<u8>)>> {
    if u.ratio(2u8, 3u8)? {
        return Ok(None);
    }
    let kind = ident(u)?;
    let len = u.int_in_range(1usize..=1024)?;
    let take = len.min(u.len());
    let mut data = u.bytes(take)?.to_vec();
    data.resize(len, 0xa5);
    Ok(Some((kind, data)))
}

/// A small version number, so ranges of two descriptors often overlap;
/// sometimes an extreme one.
fn version(u: &mut Unstructured<'_>) -> Result<(u32, u32)> {
    if u.ratio(1u8, 16u8)? {
        return Ok((u.arbitrary()?, u.arbitrary()?));
    }
    Ok((u.int_in_range(0..=4)?, u.int_in_range(0..=4)?))
}

/// A version range `((min major, minor), (max major, minor))`, as
/// [`DescriptorSpec`] takes it.
pub type Range = ((u32, u32), (u32, u32));

/// 1–16 sorted, disjoint version ranges.
pub fn ranges(u: &mut Unstructured<'_>) -> Result<Vec<Range>> {
    let n = u.int_in_range(1usize..=16)?;
    let mut points: Vec<(u32, u32)> = (0..n * 2).map(|_| version(u)).collect::<Result<_>>()?;
    points.sort_unstable();
    points.dedup();
    let mut out: Vec<Range> = Vec::new();
    let mut it = points.into_iter();
    while let Some(min) = it.next() {
        // A single-version range takes one point, a span two: both shapes.
        let max = if u.arbitrary()? { it.next().unwrap_or(min) } else { min };
        out.push((min, max));
    }
    out.truncate(16);
    if out.is_empty() {
        out.push(((1, 0), (1, 0)));
    }
    Ok(out)
}

/// A header spec within the format's bounds.
pub fn header_spec(u: &mut Unstructured<'_>) -> Result<HeaderSpec> {
    let mut spec = HeaderSpec::new(&ident(u)?, &ident(u)?, &ident(u)?, version(u)?, &ident(u)?);
    spec.features = idents(u, 32)?;
    spec.config = config(u)?;
    spec.security_version = if u.arbitrary()? { u.int_in_range(0..=8)? } else { u.arbitrary()? };
    spec.session = if u.arbitrary()? { Some(nonce(u)?) } else { None };
    spec.subject = if u.arbitrary()? { Some(subject(u)?) } else { None };
    Ok(spec)
}

/// A descriptor spec within the format's bounds.
pub fn descriptor_spec(u: &mut Unstructured<'_>) -> Result<DescriptorSpec> {
    let mut codecs = idents(u, 8)?;
    if codecs.is_empty() {
        codecs.push(ident(u)?);
    }
    Ok(DescriptorSpec {
        role: if u.arbitrary()? { Role::Source } else { Role::Destination },
        vendor: ident(u)?,
        device_api: ident(u)?,
        device_type: ident(u)?,
        versions: ranges(u)?,
        features: idents(u, 32)?,
        config: config(u)?,
        codecs,
    })
}

/// A header spec as an `arbitrary` input.
#[derive(Debug)]
pub struct ArbHeader(pub HeaderSpec);

impl<'a> Arbitrary<'a> for ArbHeader {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        header_spec(u).map(Self)
    }
}

/// A descriptor spec as an `arbitrary` input.
#[derive(Debug)]
pub struct ArbDescriptor(pub DescriptorSpec);

impl<'a> Arbitrary<'a> for ArbDescriptor {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        descriptor_spec(u).map(Self)
    }
}
