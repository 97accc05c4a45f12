//! `sealed_structure`: the input (`arbitrary`) describes an image rather
//! than its bytes: header fields, each chunk's size and contents, which
//! key signs, and which mutation to apply to which part. It is built with
//! the [`Sealer`], so most inputs are valid images and the fuzzer's time
//! goes to the chunk walk, the digest chain and the seal, past the
//! signature, instead of to bytes the header decoder refuses.
//!
//! Verified streaming (fuzzer-chosen fragments), the verdict must be:
//!
//! - unmutated, signed by the trusted key: verified, with exactly the
//!   chunks that went in;
//! - unmutated, signed otherwise: the refusal that signer calls for (an
//!   unknown key 400 and a revoked one 403 at offset 0, a seal re-signed by
//!   another key 600 at the signature);
//! - mutated: verified only if the bytes are unchanged; otherwise a typed
//!   refusal (`crate::typed`), and for a same-length change of chunk
//!   bytes exactly 600 at the signature: the data is covered by the seal,
//!   nothing else notices it.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Result, Unstructured};
use migseal_format::Ident;
use migseal_format::envelope::{MAX_HEADER_LEN, SIGNATURE_LEN, Seal};
use migseal_testkit::samples::{HeaderSpec, destination_for, test_key};
use migseal_verifier::{Dalek, Error, Policy, Sealer, SealingKey, Verifier};

use crate::arb;
use crate::typed::assert_typed;

/// The trusted key, an unknown one and a revoked one (public test keys).
fn keys() -> &'static [SealingKey; 3] {
    static KEYS: OnceLock<[SealingKey; 3]> = OnceLock::new();
    KEYS.get_or_init(|| {
        ["fuzz/structure/trusted", "fuzz/structure/unknown", "fuzz/structure/revoked"].map(test_key)
    })
}

/// Who seals the image.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signer {
    /// The trusted key: the image verifies.
    Trusted,
    /// A key the policy does not know: 400.
    Unknown,
    /// A key the policy revoked: 403.
    Revoked,
    /// The trusted key seals, then the unknown key's signature over the
    /// same `Sig_structure` replaces the seal's: 600.
    Resigned,
}

/// The part of the image a mutation aims at.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Part {
    /// The header record.
    Header,
    /// Chunk `n` (modulo the count)'s head.
    ChunkHead(u8),
    /// Chunk `n`'s payload bytes.
    ChunkData(u8),
    /// The seal record before its signature.
    SealFields,
    /// The signature.
    Signature,
}

/// What to do there (`at` is taken modulo the part's length).
#[derive(Arbitrary, Clone, Debug)]
pub enum Edit {
    /// XOR one byte (a zero mask leaves the bytes unchanged).
    Xor { at: u16, mask: u8 },
    /// Insert bytes.
    Insert { at: u16, bytes: Vec<u8> },
    /// Delete 1..=256 bytes, within the part.
    Delete { at: u16, len: u8 },
    /// Cut the image at this point of the part.
    CutAt { at: u16 },
}

/// The whole input.
#[derive(Debug)]
pub struct StructureInput {
    header: HeaderSpec,
    /// Chunk contents: (length 1..=4096, a seed byte that fills it, and
    /// bytes from the input at its start).
    chunks: Vec<(u16, u8, Vec<u8>)>,
    signer: Signer,
    /// Fragment sizes for streaming (0 = the rest).
    fragments: Vec<u8>,
    mutation: Option<(Part, Edit)>,
}

impl<'a> Arbitrary<'a> for StructureInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let header = arb::header_spec(u)?;
        let n = u.int_in_range(0usize..=12)?;
        let mut chunks = Vec::with_capacity(n);
        for _ in 0..n {
            let len = u.int_in_range(1u16..=4096)?;
            let fill = u.arbitrary()?;
            let take = usize::from(u.int_in_range(0u16..=len)?).min(u.len() / 2);
            chunks.push((len, fill, u.bytes(take)?.to_vec()));
        }
        Ok(Self {
            header,
            chunks,
            signer: u.arbitrary()?,
            fragments: (0..u.int_in_range(0usize..=8)?).map(|_| u.arbitrary()).collect::<Result<_>>()?,
            mutation: u.arbitrary()?,
        })
    }
}

impl StructureInput {
    /// Chunk `i`'s payload.
    fn chunk(&self, i: usize) -> Vec<u8> {
        let (len, fill, start) = &self.chunks[i];
        let mut data = start.clone();
        let mut x = *fill;
        while data.len() < usize::from(*len) {
            x = x.wrapping_mul(31).wrapping_add(7);
            data.push(x);
        }
        data
    }
}

/// A sealed image with the byte ranges of its parts.
pub struct Built {
    /// The image.
    pub image: Vec<u8>,
    /// Header record length.
    pub header_len: usize,
    /// Each chunk's (head range, data range).
    pub chunks: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
}

/// Seals `input` with `key`, the header naming that key; `None` when the
/// generated header does not fit the format's 4096 bytes.
fn build(input: &StructureInput, key: &SealingKey) -> Option<Built> {
    input.header.with_header(key.key_id(&Dalek), |header| {
        let mut image = vec![0u8; MAX_HEADER_LEN];
        let (mut sealer, n) = Sealer::new(key.clone(), Dalek, header, &mut image).ok()?;
        image.truncate(n);
        let mut chunks = Vec::new();
        for i in 0..input.chunks.len() {
            let data = input.chunk(i);
            let head = sealer.chunk(&data).expect("a chunk of 1..=4096 bytes seals");
            let h = image.len()..image.len() + head.as_bytes().len();
            image.extend_from_slice(head.as_bytes());
            let d = image.len()..image.len() + data.len();
            image.extend_from_slice(&data);
            chunks.push((h, d));
        }
        image.extend_from_slice(&sealer.finish().expect("seal"));
        Some(Built { image, header_len: n, chunks })
    })
}

/// Streams `image` in fragments cycling through `sizes`; the verdict and,
/// on success, the payload the verifier released.
fn stream(
    image: &[u8],
    policy: &Policy,
    device: &migseal_format::envelope::Descriptor<'_>,
    sizes: &[u8],
) -> core::result::Result<Vec<u8>, Error> {
    let mut v = Verifier::default();
    let mut payload = Vec::new();
    let mut pos = 0usize;
    let mut cycle = sizes.iter().cycle();
    while pos < image.len() {
        let n = match cycle.next() {
            None | Some(0) => image.len() - pos,
            Some(&n) => usize::from(n).min(image.len() - pos),
        };
        v.feed(policy, device, &image[pos..pos + n], |piece| payload.extend_from_slice(piece.bytes))?;
        pos += n;
    }
    v.finish().map(|verdict| {
        assert_eq!(verdict.payload_len(), payload.len() as u64, "released payload = verdict's length");
        payload
    })
}

/// The range of `part` in `built`, or `None` (a chunk of an image without
/// chunks).
fn range_of(built: &Built, part: Part) -> Option<std::ops::Range<usize>> {
    let len = built.image.len();
    let pick = |n: u8| built.chunks.get(usize::from(n) % built.chunks.len().max(1)).cloned();
    Some(match part {
        Part::Header => 0..built.header_len,
        Part::ChunkHead(n) => pick(n)?.0,
        Part::ChunkData(n) => pick(n)?.1,
        Part::SealFields => len - migseal_format::envelope::SEAL_RECORD_LEN..len - SIGNATURE_LEN,
        Part::Signature => len - SIGNATURE_LEN..len,
    })
}

/// Applies `edit` inside `r` of `image`.
fn apply(image: &[u8], r: std::ops::Range<usize>, edit: &Edit) -> Vec<u8> {
    let at = |i: u16| r.start + usize::from(i) % r.len().max(1);
    let mut v = image.to_vec();
    match edit {
        Edit::Xor { at: i, mask } => v[at(*i)] ^= mask,
        Edit::Insert { at: i, bytes } => {
            let p = at(*i);
            v.splice(p..p, bytes.iter().copied());
        }
        Edit::Delete { at: i, len } => {
            let p = at(*i);
            v.drain(p..(p + usize::from(*len).max(1)).min(r.end));
        }
        Edit::CutAt { at: i } => v.truncate(at(*i)),
    }
    v
}

/// `sealed_structure`.
///
/// # Panics
///
/// When a verdict is not the one the input calls for (module docs).
pub fn check(input: &StructureInput) {
    let [trusted, unknown, revoked] = keys();
    let signer_key = match input.signer {
        Signer::Trusted | Signer::Resigned => trusted,
        Signer::Unknown => unknown,
        Signer::Revoked => revoked,
    };
    let Some(mut built) = build(input, signer_key) else { return };
    let spec = &input.header;
    let vendor = Ident::new(&spec.vendor).expect("generated vendor");
    let mut policy = Policy::new();
    policy.trust_key(&Dalek, trusted.public_key(), vendor, &[]).expect("valid test key");
    policy.revoke(revoked.key_id(&Dalek)).expect("one revocation fits");
    let dest = destination_for(spec);
    dest.with_descriptor(|device| {
        let len = built.image.len();
        let sig_at = (len - SIGNATURE_LEN) as u64;
        if input.signer == Signer::Resigned {
            // The trusted key's own image digest, signed by another key.
            let digest = *migseal_verifier::verify_image(&built.image, &policy, device)
                .expect("the trusted key's image verifies")
                .image_digest();
            let tbs = Seal::to_be_signed(&trusted.key_id(&Dalek), &digest);
            built.image[len - SIGNATURE_LEN..].copy_from_slice(&unknown.sign(&tbs));
        }
        let verdict = stream(&built.image, &policy, device, &input.fragments);
        let expected: core::result::Result<(), (u16, u64)> = match input.signer {
            Signer::Trusted => Ok(()),
            Signer::Unknown => Err((400, 0)),
            Signer::Revoked => Err((403, 0)),
            Signer::Resigned => Err((600, sig_at)),
        };
        match (&verdict, expected) {
            (Ok(payload), Ok(())) => {
                let sealed: Vec<u8> = (0..input.chunks.len()).flat_map(|i| input.chunk(i)).collect();
                assert_eq!(payload, &sealed, "the released payload is not what was sealed");
            }
            (Err(e), Err(code_at)) => assert_eq!((e.code(), e.offset()), code_at, "{:?}: {e}", input.signer),
            (got, want) => panic!("{:?}: verdict {got:?}, expected {want:?}", input.signer),
        }

        let Some((part, edit)) = &input.mutation else { return };
        let Some(r) = range_of(&built, *part) else { return };
        let mutated = apply(&built.image, r, edit);
        let after = stream(&mutated, &policy, device, &input.fragments);
        if mutated == built.image {
            assert_eq!(
                after.as_ref().map_err(Error::code),
                verdict.as_ref().map_err(Error::code),
                "unchanged bytes"
            );
            return;
        }
        match &after {
            Ok(_) => panic!("{part:?} {edit:?}: changed bytes verified"),
            Err(e) => assert_typed(e, mutated.len(), "sealed_structure"),
        }
        if input.signer == Signer::Trusted && matches!((part, edit), (Part::ChunkData(_), Edit::Xor { .. })) {
            let e = after.expect_err("checked");
            assert_eq!((e.code(), e.offset()), (600, sig_at), "changed chunk data: {e}");
        }
    });
}
