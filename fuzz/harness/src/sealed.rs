//! `seal_then_mutate`, structure-aware: `arbitrary` builds a valid header,
//! destination descriptor, policy and payload; the sealer seals with a
//! fixed test key; the image must verify (whole, streamed, parallel) with
//! the exact header and payload that went in. Then one fuzzer-chosen
//! mutation of the bytes (a bit flip, a byte set, an insertion, a deletion,
//! a truncation, an appended tail, a duplicated, dropped or swapped
//! record): if the bytes changed, every API must refuse them, with the
//! same error.

use std::num::NonZeroUsize;
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Result, Unstructured};
use migseal_format::ErrorCode;
use migseal_format::Ident;
use migseal_format::envelope::MAX_HEADER_LEN;
use migseal_testkit::samples::{HeaderSpec, destination_for, record_ranges, test_key};
use migseal_verifier::{Dalek, Limits, Policy, Sealer, SealingKey};

use crate::arb;
use crate::stream::verify_three_ways;

/// The fixed, public sealing key (see `migseal_testkit::samples::test_key`).
fn key() -> &'static (SealingKey, [u8; 32]) {
    static KEY: OnceLock<(SealingKey, [u8; 32])> = OnceLock::new();
    KEY.get_or_init(|| {
        let k = test_key("fuzz/seal_then_mutate");
        let pk = k.public_key();
        (k, pk)
    })
}

/// One mutation of an image's bytes.
#[derive(Arbitrary, Debug)]
pub enum Mutation {
    /// XOR one byte with a non-zero mask.
    FlipBits { at: u32, mask: u8 },
    /// Set one byte.
    SetByte { at: u32, value: u8 },
    /// Insert bytes.
    Insert { at: u32, bytes: Vec<u8> },
    /// Delete 1..=65536 bytes.
    Delete { at: u32, len: u16 },
    /// Keep only a prefix.
    Truncate { len: u32 },
    /// Append bytes.
    Append { bytes: Vec<u8> },
    /// Insert a copy of one record after another.
    DuplicateRecord { record: u8, after: u8 },
    /// Remove one record.
    DropRecord { record: u8 },
    /// Swap two records.
    SwapRecords { a: u8, b: u8 },
}

/// The whole input.
#[derive(Debug)]
pub struct SealInput {
    header: HeaderSpec,
    payload: Vec<u8>,
    /// Chunk sizes, cycled (each at least 1).
    chunk_sizes: Vec<u16>,
    /// How many `chunk_data` calls each chunk is fed in.
    pieces: u8,
    /// Fragment sizes for the streamed verification.
    fragments: Vec<u8>,
    threads: u8,
    /// Trust the key for this device type only.
    scoped_key: bool,
    /// A rollback minimum at or below the header's security version.
    min_security: Option<(bool, u64)>,
    require_session: bool,
    require_subject: bool,
    /// Limits equal to this image's sizes (the boundary must pass).
    tight_limits: bool,
    /// Extra destination versions and features (a destination may accept more).
    wider_destination: Option<(Vec<String>, u8)>,
    mutation: Mutation,
}

impl<'a> Arbitrary<'a> for SealInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let header = arb::header_spec(u)?;
        let len = u.int_in_range(0usize..=8192)?;
        let take = len.min(u.len() / 2);
        let mut payload = u.bytes(take)?.to_vec();
        payload.resize(len, 0x5a);
        let chunk_sizes = (0..u.int_in_range(0usize..=8)?).map(|_| u.arbitrary()).collect::<Result<_>>()?;
        let sv = header.security_version;
        Ok(Self {
            header,
            payload,
            chunk_sizes,
            pieces: u.int_in_range(1..=4)?,
            fragments: (0..u.int_in_range(0usize..=8)?).map(|_| u.arbitrary()).collect::<Result<_>>()?,
            threads: u.int_in_range(1..=4)?,
            scoped_key: u.arbitrary()?,
            min_security: if u.arbitrary()? { Some((u.arbitrary()?, u.int_in_range(0..=sv)?)) } else { None },
            require_session: u.arbitrary()?,
            require_subject: u.arbitrary()?,
            tight_limits: u.arbitrary()?,
            wider_destination: if u.arbitrary()? { Some((arb::idents(u, 8)?, u.arbitrary()?)) } else { None },
            mutation: u.arbitrary()?,
        })
    }
}

/// Seals the input's payload under its header; returns the image, its
/// header length and chunk count, or
/// `None` when the generated header exceeds the format's 4096 bytes.
fn seal(input: &SealInput, key: &SealingKey) -> Option<(Vec<u8>, usize, u64)> {
    input.header.with_header(key.key_id(&Dalek), |header| {
        let mut image = vec![0u8; MAX_HEADER_LEN];
        let (mut sealer, n) = match Sealer::new(key.clone(), Dalek, header, &mut image) {
            Ok(s) => s,
            Err(e) if e.code() == ErrorCode::BufferTooSmall as u16 => return None,
            Err(e) => panic!("the sealer refused a valid header: {e}"),
        };
        image.truncate(n);
        let mut sizes = input.chunk_sizes.iter().map(|&s| usize::from(s).max(1)).cycle();
        let mut rest = &input.payload[..];
        let mut chunks = 0u64;
        while !rest.is_empty() {
            let size = sizes.next().unwrap_or(rest.len()).min(rest.len());
            let (chunk, tail) = rest.split_at(size);
            let head = sealer.begin_chunk(chunk.len() as u64).expect("begin_chunk");
            image.extend_from_slice(head.as_bytes());
            let step = chunk.len().div_ceil(usize::from(input.pieces)).max(1);
            for piece in chunk.chunks(step) {
                sealer.chunk_data(piece).expect("chunk_data");
            }
            image.extend_from_slice(chunk);
            rest = tail;
            chunks += 1;
        }
        image.extend_from_slice(&sealer.finish().expect("seal"));
        Some((image, n, chunks))
    })
}

/// `seal_then_mutate`.
///
/// # Panics
///
/// When a sealed image is refused, or a mutated one accepted, or the APIs
/// disagree.
pub fn check(input: &SealInput) {
    let (key, pk) = key();
    let Some((image, header_len, chunks)) = seal(input, key) else { return };
    let spec = &input.header;

    let vendor = Ident::new(&spec.vendor).expect("generated vendor");
    let device_type = Ident::new(&spec.device_type).expect("generated type");
    let scoped = [device_type];
    let mut policy = Policy::new();
    policy
        .trust_key(&Dalek, *pk, vendor, if input.scoped_key { &scoped[..] } else { &[] })
        .expect("the test key is valid");
    if let Some((per_type, minimum)) = input.min_security {
        policy
            .require_min_security(vendor, per_type.then_some(device_type), minimum)
            .expect("one entry fits");
    }
    if input.tight_limits {
        policy.set_limits(Limits {
            max_header_len: header_len,
            max_chunk_len: largest_chunk(input),
            max_chunks: chunks,
            max_total_len: input.payload.len() as u64,
        });
    }
    if input.require_session
        && let Some(session) = &spec.session
    {
        policy.require_session(session).expect("generated session");
    }
    if input.require_subject
        && let Some(subject) = &spec.subject
    {
        policy.require_subject(migseal_format::Subject::new(subject).expect("generated subject"));
    }

    let mut dest = destination_for(spec);
    if let Some((features, bump)) = &input.wider_destination {
        dest.features.extend(features.iter().cloned());
        let (major, minor) = spec.version;
        if let Some(next) = major.checked_add(u32::from(*bump).max(1)) {
            dest.versions.push(((next, 0), (next, minor)));
        }
        if let Some(prev) = major.checked_sub(1) {
            dest.versions.insert(0, ((prev, 0), (prev, u32::MAX)));
        }
    }

    let threads = NonZeroUsize::new(usize::from(input.threads)).expect("1..=4");
    dest.with_descriptor(|device| {
        let accepted = verify_three_ways(&image, &policy, device, &input.fragments, threads)
            .unwrap_or_else(|e| panic!("a freshly sealed image was refused: {e}\nimage: {}", hex(&image)));
        assert_eq!(accepted.payload, input.payload, "the verified payload is not what was sealed");
        assert_eq!(accepted.chunk_count, chunks);
        let verified = migseal_verifier::verify_image(&image, &policy, device).expect("verified above");
        spec.with_header(key.key_id(&Dalek), |header| {
            assert_eq!(verified.header(), header, "the verified header is not what was sealed");
        });

        let Some(mutated) = mutate(&image, &input.mutation) else { return };
        if mutated == image {
            return; // not a mutation
        }
        if let Ok(ok) = verify_three_ways(&mutated, &policy, device, &input.fragments, threads) {
            panic!(
                "a mutated image verified ({:?}): {ok:?}\noriginal: {}\nmutated:  {}",
                input.mutation,
                hex(&image),
                hex(&mutated)
            );
        }
    });
}

/// The largest chunk `seal` cuts from the payload.
fn largest_chunk(input: &SealInput) -> u64 {
    let mut sizes = input.chunk_sizes.iter().map(|&s| usize::from(s).max(1)).cycle();
    let mut rest = input.payload.len();
    let mut max = 0usize;
    while rest > 0 {
        let size = sizes.next().unwrap_or(rest).min(rest);
        max = max.max(size);
        rest -= size;
    }
    max as u64
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Applies `m` to `image`; `None` when it does not apply (no such record).
fn mutate(image: &[u8], m: &Mutation) -> Option<Vec<u8>> {
    let len = image.len();
    let at = |i: u32, n: usize| if n == 0 { 0 } else { i as usize % n };
    let mut v = image.to_vec();
    match m {
        Mutation::FlipBits { at: i, mask } => v[at(*i, len)] ^= (*mask).max(1),
        Mutation::SetByte { at: i, value } => v[at(*i, len)] = *value,
        Mutation::Insert { at: i, bytes } => {
            let p = at(*i, len + 1);
            v.splice(p..p, bytes.iter().copied());
        }
        Mutation::Delete { at: i, len: n } => {
            let p = at(*i, len);
            let end = (p + usize::from(*n).max(1)).min(len);
            v.drain(p..end);
        }
        Mutation::Truncate { len: n } => v.truncate(at(*n, len)),
        Mutation::Append { bytes } => v.extend_from_slice(bytes),
        Mutation::DuplicateRecord { record, after } => {
            let r = record_ranges(image);
            let src = r[usize::from(*record) % r.len()].clone();
            let dst = r[usize::from(*after) % r.len()].end;
            let copy = image[src].to_vec();
            v.splice(dst..dst, copy);
        }
        Mutation::DropRecord { record } => {
            let r = record_ranges(image);
            v.drain(r[usize::from(*record) % r.len()].clone());
        }
        Mutation::SwapRecords { a, b } => {
            let r = record_ranges(image);
            let (mut x, mut y) = (usize::from(*a) % r.len(), usize::from(*b) % r.len());
            if x == y {
                return None;
            }
            if x > y {
                std::mem::swap(&mut x, &mut y);
            }
            let (rx, ry) = (r[x].clone(), r[y].clone());
            let mut out = image[..rx.start].to_vec();
            out.extend_from_slice(&image[ry.clone()]);
            out.extend_from_slice(&image[rx.end..ry.start]);
            out.extend_from_slice(&image[rx]);
            out.extend_from_slice(&image[ry.end..]);
            v = out;
        }
    }
    Some(v)
}
