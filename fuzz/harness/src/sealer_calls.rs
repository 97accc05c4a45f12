//! `sealer_calls`: an `arbitrary` sequence of [`Sealer`] calls, and one of
//! CBOR [`Encoder`] calls, correct or not, each checked against a model of
//! what the call must do.
//!
//! Sealer properties:
//!
//! - `Sealer::new` refuses a header naming another key (411 at 0) and an
//!   output buffer shorter than the header record (`BufferTooSmall`);
//!   otherwise it writes exactly the header record `Header::encode_record`
//!   gives;
//! - each call outside its place gets its typed refusal and changes
//!   nothing: a chunk head or precomputed chunk inside an open chunk or
//!   after the seal (300), chunk data with no chunk open or beyond the
//!   declared length (300), a chunk of length 0 (`EmptyChunk`) or over the
//!   format's maximum (`LengthOverLimit`), `finish` inside a chunk (306)
//!   or twice (300); `Debug` shows the model's chunk and byte counts;
//! - the image the correct calls wrote, up to the first `finish`, verifies
//!   (streaming, in the input's fragments, and whole) with exactly the
//!   chunks and payload that went in; `VerifiedImage::chunk_count`,
//!   `payload_len`, `contiguous_payload` and `collect_payload` agree with
//!   iterating the chunks (a buffer one byte short is refused); the
//!   inspector's facts agree with the verdict (chunks, payload length,
//!   smallest and largest chunk, seal offset, image digest).
//!
//! Encoder properties: every call's result is the model's (`EncModel`):
//! canonical heads, map keys in bytewise order (`MapKeysUnsorted`,
//! `DuplicateMapKey` at the key), nesting to 16 (`NestingTooDeep`), a
//! full buffer (`BufferTooSmall` at the write position), `map` of more
//! than 2^63 pairs (`EncoderMisuse`), errors sticky (every later call and
//! `finish` give the first error), `finish` with a container open
//! (`EncoderMisuse`); what a finished encoder wrote is the model's bytes,
//! a sequence of items the canonical reader skips exactly.

use arbitrary::{Arbitrary, Result as ArbResult, Unstructured};
use migseal_format::cbor::{Encoder, MAX_DEPTH, Sink, SliceSink, argument_len, parse_head, skip_item};
use migseal_format::envelope::{Header, MAX_CHUNK_LEN, MAX_HEADER_LEN, SEAL_RECORD_LEN, Seal};
use migseal_format::{ErrorCode, Ident};
use migseal_testkit::samples::{HeaderSpec, destination_for, test_key};
use migseal_verifier::chain::chunk_digest;
use migseal_verifier::{
    CryptoFailure, Dalek, DeferredEvent, DeferredVerifier, Inspector, Limits, Policy, Sealer, Verifier,
    verify_image, verify_with_public_key,
};

use crate::arb;
use crate::typed::assert_typed;

/// One sealer call.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum SealerOp {
    /// `begin_chunk` with a length.
    Begin(ChunkLen),
    /// `chunk_data` with the next `n` payload bytes.
    Data(u16),
    /// `chunk` with the next `n` bytes.
    Chunk(u16),
    /// `chunk_with_digest` over the next `n` bytes (their digest computed
    /// by the caller).
    Precomputed(u16),
    /// `finish`.
    Finish,
}

/// A chunk length: mostly small, sometimes 0 or beyond the format's
/// maximum.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum ChunkLen {
    /// 1..=65536 (`n + 1`).
    Small(u16),
    /// 0.
    Zero,
    /// Beyond `MAX_CHUNK_LEN`.
    Huge(u16),
}

impl ChunkLen {
    fn get(self) -> u64 {
        match self {
            Self::Small(n) => u64::from(n % 2048) + 1,
            Self::Zero => 0,
            Self::Huge(n) => MAX_CHUNK_LEN + 1 + u64::from(n),
        }
    }
}

/// One encoder call.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum EncOp {
    Uint(u64),
    Int(i64),
    /// A byte string of this length.
    Bytes(u8),
    /// A text string of this length.
    Text(u8),
    Array(u8),
    Map(u8),
    /// `map(n)` with `2n` overflowing.
    MapOverflow(u8),
    Tag(u64),
    Null,
    Bool(bool),
}

/// How `DeferredVerifier` is driven over a sealed image.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub struct DeferredPlan {
    /// Pass over payloads with `skip_payload` instead of reading them.
    skip: bool,
    /// Push each chunk digest this many chunks late (the rest before
    /// `finish`).
    lag: u8,
    misuse: Option<DeferredMisuse>,
}

/// One wrong use of the deferred verifier.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum DeferredMisuse {
    /// Push a digest for the chunk after the next one due (301).
    OutOfOrder,
    /// Push a digest before its chunk was walked (306).
    Ahead,
    /// `finish` with digests still due (306 at the seal).
    FinishEarly,
    /// A wrong digest for chunk `n` (600 at the signature).
    WrongDigest(u8),
}

/// The whole input.
#[derive(Debug)]
pub struct SealerInput {
    header: HeaderSpec,
    /// The header names another key than the one sealing.
    other_key: bool,
    /// The output buffer for the header (`None`: `MAX_HEADER_LEN`).
    /// The output buffer for the header, as a share of the header
    /// record's length in 255ths (`None`: `MAX_HEADER_LEN`), so that short
    /// buffers end anywhere inside the record; the same share sizes a
    /// buffer for the destination descriptor.
    header_buf: Option<u8>,
    ops: Vec<SealerOp>,
    /// Payload bytes the calls take from, cycled.
    data: Vec<u8>,
    /// Fragment sizes for the streaming verification (0: the rest).
    fragments: Vec<u8>,
    /// How the deferred verifier is driven over the sealed image.
    deferred: DeferredPlan,
    /// The encoder's buffer (`None`: a `Vec`).
    enc_cap: Option<u16>,
    enc_ops: Vec<EncOp>,
}

impl<'a> Arbitrary<'a> for SealerInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> ArbResult<Self> {
        Ok(Self {
            header: arb::header_spec(u)?,
            other_key: u.ratio(1u8, 8u8)?,
            header_buf: if u.ratio(1u8, 6u8)? { Some(u.arbitrary()?) } else { None },
            ops: u.arbitrary_iter()?.take(48).collect::<ArbResult<_>>()?,
            data: {
                let n = u.int_in_range(1usize..=64)?;
                (0..n).map(|_| u.arbitrary()).collect::<ArbResult<_>>()?
            },
            fragments: (0..u.int_in_range(0usize..=6)?).map(|_| u.arbitrary()).collect::<ArbResult<_>>()?,
            deferred: u.arbitrary()?,
            enc_cap: u.arbitrary()?,
            enc_ops: u.arbitrary_iter()?.take(64).collect::<ArbResult<_>>()?,
        })
    }
}

/// The sealer's state as the model sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Between,
    Chunk(u64),
    Finished,
}

fn fmt_code(c: ErrorCode) -> u16 {
    c.code()
}

/// Payload bytes: `data` cycled from `*pos`.
fn take(data: &[u8], pos: &mut usize, n: usize) -> Vec<u8> {
    let out = (0..n).map(|i| data[(*pos + i) % data.len()]).collect();
    *pos += n;
    out
}

/// `sealer_calls`.
///
/// # Panics
///
/// When a property in the module docs does not hold.
pub fn check(input: &SealerInput) {
    check_sealer(input);
    check_encoder(input);
}

fn check_sealer(input: &SealerInput) {
    let key = test_key("fuzz/sealer/key");
    let named = if input.other_key { test_key("fuzz/sealer/other") } else { key.clone() };
    input.header.with_header(named.key_id(&Dalek), |header: &Header<'_>| {
        let mut e = Encoder::new(Vec::new());
        let encoded = header.encode_record(&mut e).and_then(|_| e.finish());
        let want_header = encoded.as_ref().map_or(Vec::new(), Clone::clone);
        let cap = input.header_buf.map_or(MAX_HEADER_LEN, |k| want_header.len() * usize::from(k) / 255);
        if let Some(k) = input.header_buf {
            check_descriptor_encode(&input.header, k);
        }
        let mut out = vec![0u8; cap];
        let made = Sealer::new(key.clone(), Dalek, header, &mut out);
        let (mut sealer, n) = match made {
            Err(e) if input.other_key => {
                assert_eq!((e.code(), e.offset()), (411, 0), "header naming another key: {e}");
                assert_typed(&e, 0, "sealer_calls");
                return;
            }
            Err(e) => {
                assert!(
                    encoded.is_err() || want_header.len() > cap.min(MAX_HEADER_LEN),
                    "Sealer::new refused a header that fits: {e}"
                );
                assert_eq!(e.code(), fmt_code(ErrorCode::BufferTooSmall), "header buffer: {e}");
                return;
            }
            Ok(ok) => {
                assert!(!input.other_key, "Sealer::new accepted a header naming another key");
                ok
            }
        };
        assert_eq!(&out[..n], &want_header[..], "the header record Sealer::new wrote");
        let mut image = out[..n].to_vec();
        let mut phase = Phase::Between;
        let (mut seq, mut total) = (0u64, 0u64);
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        let mut pos = 0usize;
        let mut sealed: Option<Vec<u8>> = None;
        for op in &input.ops {
            let before = format!("{sealer:?}");
            let order = |r: migseal_verifier::Result<()>, code: u16, what: &str| {
                let e = r.expect_err(what);
                assert_eq!(e.code(), code, "{what}: {e}");
                assert_typed(&e, 0, "sealer_calls");
            };
            match *op {
                SealerOp::Begin(l) => {
                    let len = l.get();
                    let r = sealer.begin_chunk(len);
                    match phase {
                        Phase::Between if len == 0 => {
                            order(r.map(|_| ()), fmt_code(ErrorCode::EmptyChunk), "empty")
                        }
                        Phase::Between if len > MAX_CHUNK_LEN => {
                            order(r.map(|_| ()), fmt_code(ErrorCode::LengthOverLimit), "over max");
                        }
                        Phase::Between => {
                            let head = r.expect("begin_chunk between chunks");
                            image.extend_from_slice(head.as_bytes());
                            chunks.push(Vec::new());
                            phase = Phase::Chunk(len);
                        }
                        _ => order(r.map(|_| ()), 300, "begin_chunk out of place"),
                    }
                }
                SealerOp::Data(n) => {
                    let n = usize::from(n % 1024);
                    let bytes = take(&input.data, &mut pos, n);
                    let r = sealer.chunk_data(&bytes);
                    match phase {
                        Phase::Chunk(rem) if n as u64 <= rem => {
                            r.expect("chunk data within the chunk");
                            image.extend_from_slice(&bytes);
                            chunks.last_mut().expect("open chunk").extend_from_slice(&bytes);
                            total += n as u64;
                            let rem = rem - n as u64;
                            phase = if rem == 0 {
                                seq += 1;
                                Phase::Between
                            } else {
                                Phase::Chunk(rem)
                            };
                        }
                        _ => order(r, 300, "chunk data out of place"),
                    }
                }
                SealerOp::Chunk(n) | SealerOp::Precomputed(n) => {
                    let n = usize::from(n % 2048);
                    let bytes = take(&input.data, &mut pos, n);
                    let r = if matches!(op, SealerOp::Chunk(_)) {
                        sealer.chunk(&bytes)
                    } else {
                        let d = chunk_digest(&Dalek, sealer.next_seq(), &bytes);
                        sealer.chunk_with_digest(n as u64, &d)
                    };
                    match phase {
                        Phase::Between if n == 0 => {
                            order(r.map(|_| ()), fmt_code(ErrorCode::EmptyChunk), "empty")
                        }
                        Phase::Between => {
                            let head = r.expect("a whole chunk between chunks");
                            image.extend_from_slice(head.as_bytes());
                            image.extend_from_slice(&bytes);
                            chunks.push(bytes);
                            seq += 1;
                            total += n as u64;
                        }
                        _ => order(r.map(|_| ()), 300, "chunk out of place"),
                    }
                }
                SealerOp::Finish => {
                    let r = sealer.finish();
                    match phase {
                        Phase::Between => {
                            let seal = r.expect("finish between chunks");
                            image.extend_from_slice(&seal);
                            phase = Phase::Finished;
                            sealed.get_or_insert_with(|| image.clone());
                        }
                        Phase::Chunk(_) => order(r.map(|_| ()), 306, "finish inside a chunk"),
                        Phase::Finished => order(r.map(|_| ()), 300, "finish twice"),
                    }
                }
            }
            assert_eq!(sealer.next_seq(), seq, "next_seq after {op:?}");
            let after = format!("{sealer:?}");
            assert!(
                after.contains(&format!("chunks: {seq}")) && after.contains(&format!("payload: {total}")),
                "Debug {after:?} (before: {before}) does not show {seq} chunks, {total} bytes"
            );
        }
        let Some(image) = sealed else { return };
        check_image(input, &key, header, &image, &chunks);
    });
}

/// The destination descriptor encoded into a buffer of `k`/255 of its
/// length: the whole encoding when it fits, else `BufferTooSmall` at the
/// first byte that does not fit, never a partial success.
fn check_descriptor_encode(spec: &HeaderSpec, k: u8) {
    destination_for(spec).with_descriptor(|d| {
        let mut e = Encoder::new(Vec::new());
        d.encode(&mut e).expect("a descriptor encodes into a Vec");
        let full = e.finish().expect("complete");
        let cap = full.len() * usize::from(k) / 255;
        let mut buf = vec![0u8; cap];
        let mut e = Encoder::new(SliceSink::new(&mut buf));
        let r = d.encode(&mut e).and_then(|()| e.finish()).map(|sink| {
            assert_eq!(sink.written().len(), sink.len(), "SliceSink::len");
            assert!(!sink.is_empty(), "a descriptor is never empty");
            sink.len()
        });
        if cap >= full.len() {
            assert_eq!(r.expect("fits"), full.len());
            assert_eq!(buf, full, "descriptor bytes");
        } else {
            let err = r.expect_err("a short buffer");
            assert_eq!(err.code(), ErrorCode::BufferTooSmall, "{err}");
            assert!(err.offset() <= cap as u64, "{err} beyond the {cap}-byte buffer");
            crate::typed::assert_format_message(&err);
        }
    });
}

/// The sealed image verifies with what went in; accessors and inspection
/// agree.
fn check_image(
    input: &SealerInput,
    key: &migseal_verifier::SealingKey,
    header: &Header<'_>,
    image: &[u8],
    chunks: &[Vec<u8>],
) {
    let payload: Vec<u8> = chunks.concat();
    let mut policy = Policy::new();
    policy.trust_key(&Dalek, key.public_key(), header.identity.vendor, &[]).expect("test key");
    destination_for(&input.header).with_descriptor(|device| {
        let v = verify_image(image, &policy, device).unwrap_or_else(|e| panic!("sealed image refused: {e}"));
        let got: Vec<&[u8]> = v.chunks().collect();
        assert_eq!(got.len(), chunks.len(), "chunks");
        assert!(got.iter().zip(chunks).all(|(a, b)| *a == &b[..]), "chunk bytes");
        assert_eq!(v.chunk_count(), chunks.len() as u64, "chunk_count");
        assert_eq!(v.payload_len(), payload.len() as u64, "payload_len");
        match v.contiguous_payload() {
            Some(p) => {
                assert!(chunks.len() <= 1, "contiguous_payload of {} chunks", chunks.len());
                assert_eq!(p.bytes(), &payload[..], "contiguous payload");
            }
            None => assert!(chunks.len() > 1, "no contiguous_payload for {} chunks", chunks.len()),
        }
        let mut buf = vec![0u8; payload.len()];
        assert_eq!(v.collect_payload(&mut buf).expect("exact buffer").bytes(), &payload[..]);
        if !payload.is_empty() {
            let mut short = vec![0u8; payload.len() - 1];
            let e = v.collect_payload(&mut short).expect_err("a buffer one byte short");
            assert_eq!(e.code(), fmt_code(ErrorCode::BufferTooSmall), "{e}");
        }

        // The seal's signature is the signer's over the `Sig_structure` of
        // the verified image digest, and no other key's.
        let sig: [u8; 64] = image[image.len() - 64..].try_into().expect("64 bytes");
        let tbs = Seal::to_be_signed(&key.key_id(&Dalek), v.image_digest());
        assert_eq!(verify_with_public_key(&Dalek, &key.public_key(), &tbs, &sig), Ok(()), "seal signature");
        let other = test_key("fuzz/sealer/other").public_key();
        assert_eq!(
            verify_with_public_key(&Dalek, &other, &tbs, &sig),
            Err(CryptoFailure::BadSignature),
            "the seal verifies under another key"
        );

        // Streaming, in the input's fragments.
        let mut s = Verifier::default();
        assert!(s.awaits_header(), "a new verifier awaits the header");
        let mut streamed = Vec::new();
        let mut at = 0usize;
        let mut sizes = input.fragments.iter().cycle();
        while at < image.len() {
            let n = match sizes.next() {
                None | Some(0) => image.len() - at,
                Some(&n) => usize::from(n).min(image.len() - at),
            };
            s.feed(&policy, device, &image[at..at + n], |p| streamed.extend_from_slice(p.bytes))
                .unwrap_or_else(|e| panic!("streamed sealed image refused: {e}"));
            at += n;
        }
        assert!(!s.awaits_header() && s.failure().is_none(), "after the whole image: {s:?}");
        let verdict = s.finish().expect("streamed sealed image");
        assert_eq!(streamed, payload, "streamed payload");
        assert_eq!(verdict.chunk_count(), v.chunk_count(), "streamed chunk count");
        assert_eq!(verdict.image_digest(), v.image_digest(), "streamed image digest");
        let stored = verdict.stored_payload_less_safe(&streamed).expect("the released bytes' length");
        assert_eq!(stored.bytes(), &payload[..]);
        assert!(verdict.stored_payload_less_safe(&image[..payload.len() + 1]).is_none(), "a longer buffer");
        assert_eq!(verdict.header_bytes(), &image[..verdict.header_bytes().len()], "verdict header bytes");
        let (count, digest) = (verdict.chunk_count(), *verdict.image_digest());
        let again = s.verdict().expect("the verdict stays available after finish");
        assert_eq!((again.chunk_count(), *again.image_digest()), (count, digest), "verdict()");

        check_deferred(input, image, &policy, device, chunks, &v);
        if !payload.is_empty() {
            check_debug_is_structure(image, &policy, device);
        }

        // Inspection agrees (the default inspector walks under the
        // format's own limits).
        let mut ins = Inspector::default();
        ins.feed(image).expect("inspect a sealed image");
        ins.end_of_stream().expect("a complete image");
        let f = ins.facts();
        assert_eq!(f.chunks, v.chunk_count(), "facts.chunks");
        assert_eq!(f.payload_len, v.payload_len(), "facts.payload_len");
        assert_eq!(f.offset, image.len() as u64, "facts.offset");
        assert_eq!(f.image_digest.as_ref(), Some(v.image_digest()), "facts.image_digest");
        assert_eq!(f.seal.map(|(_, at)| at), Some((image.len() - SEAL_RECORD_LEN) as u64), "seal offset");
        let sizes = chunks.iter().map(|c| c.len() as u64);
        let want = sizes.clone().min().zip(sizes.max());
        assert_eq!(f.chunk_sizes, want, "facts.chunk_sizes");
        let mut bounded = Inspector::new(Dalek, Limits::FORMAT);
        bounded.feed(image).expect("inspect under the format's limits");
        assert_eq!(bounded.facts(), f, "Inspector::default() = Inspector::new(Dalek, Limits::FORMAT)");
        let (h, bytes) = ins.header().expect("header read");
        assert_eq!(h.identity.vendor, Ident::new(&input.header.vendor).expect("vendor"));
        assert_eq!(bytes, &image[..bytes.len()], "header bytes");
    });
}

/// `Debug` of the verifiers prints structure (phase, offsets, counts),
/// never the untrusted bytes: two images that differ in one payload byte
/// print alike at every point of the walk.
fn check_debug_is_structure(
    image: &[u8],
    policy: &Policy,
    device: &migseal_format::envelope::Descriptor<'_>,
) {
    let ranges = migseal_testkit::samples::record_ranges(image);
    // The last byte of the first chunk record is a payload byte.
    let at = ranges[1].end - 1;
    let mut other = image.to_vec();
    other[at] ^= 0xa5;
    let mut a = Verifier::default();
    let mut b = Verifier::default();
    let mut da = DeferredVerifier::default();
    let mut db = DeferredVerifier::default();
    for cut in [at, image.len()] {
        let from = if cut == at { 0 } else { at };
        a.feed(policy, device, &image[from..cut], |_| {}).expect("walk");
        b.feed(policy, device, &other[from..cut], |_| {}).expect("walk");
        assert_eq!(format!("{a:?}"), format!("{b:?}"), "Verifier Debug depends on payload bytes");
        let (mut pa, mut pb) = (from, from);
        while pa < cut {
            pa += da.advance(policy, device, &image[pa..cut]).expect("walk").consumed;
        }
        while pb < cut {
            pb += db.advance(policy, device, &other[pb..cut]).expect("walk").consumed;
        }
        assert_eq!(format!("{da:?}"), format!("{db:?}"), "DeferredVerifier Debug depends on payload bytes");
    }
}

/// `DeferredVerifier` over the sealed image, in the input's fragments,
/// with chunk digests pushed as the plan says: the streaming verdict
/// (same image digest, counts, payload pieces) when used correctly; a
/// wrong use gets its refusal, and every later call the same one.
fn check_deferred(
    input: &SealerInput,
    image: &[u8],
    policy: &Policy,
    device: &migseal_format::envelope::Descriptor<'_>,
    chunks: &[Vec<u8>],
    v: &migseal_verifier::VerifiedImage<'_>,
) {
    let plan = input.deferred;
    let n = chunks.len() as u64;
    let sig_at = (image.len() - 64) as u64;
    let seal_at = (image.len() - SEAL_RECORD_LEN) as u64;
    let mut d = DeferredVerifier::default();
    let digest = |seq: u64| chunk_digest(&Dalek, seq, &chunks[seq as usize]);
    let mut failed: Option<migseal_verifier::Error> = None;
    // The refusal the plan calls for, or a panic on any other outcome.
    let refused = |r: migseal_verifier::Result<()>, code: u16, at: u64, what: &str| {
        let e = r.expect_err(what);
        assert_eq!((e.code(), e.offset()), (code, at), "deferred {what}: {e}");
        Some(e)
    };
    if let Some(DeferredMisuse::Ahead) = plan.misuse {
        failed = refused(d.push_chunk_digest(0, &[7; 32]), 306, 0, "a digest before any chunk");
    }
    let mut pieces: Vec<Vec<u8>> = Vec::new();
    let mut done = 0u64; // chunks whose payload has been read or skipped
    let mut pushed = 0u64;
    let lag = u64::from(plan.lag % 4);
    let mut pos = 0usize;
    let mut sizes = input.fragments.iter().cycle();
    while failed.is_none() && pos < image.len() {
        let end = match sizes.next() {
            None | Some(0) => image.len(),
            Some(&k) => (pos + usize::from(k)).min(image.len()),
        };
        let step =
            d.advance(policy, device, &image[pos..end]).unwrap_or_else(|e| panic!("deferred walk: {e}"));
        assert!(step.consumed > 0 || step.event.is_some(), "the deferred walk made no progress at {pos}");
        pos += step.consumed;
        match step.event {
            Some(DeferredEvent::ChunkStart { seq, len, stream_offset, .. }) => {
                assert_eq!(
                    (seq, len),
                    (pieces.len() as u64, chunks[seq as usize].len() as u64),
                    "chunk start"
                );
                assert_eq!(stream_offset, pos as u64, "chunk start offset");
                pieces.push(Vec::new());
                if plan.skip {
                    let skipped = d.skip_payload(len).expect("skip a chunk's payload");
                    assert_eq!(skipped, len, "skip_payload skips the whole chunk");
                    assert_eq!(d.payload_remaining(), 0);
                    pieces[seq as usize] = chunks[seq as usize].clone();
                    pos += len as usize;
                    done += 1;
                }
            }
            Some(DeferredEvent::Payload { piece, ends_chunk }) => {
                assert_eq!(piece.stream_offset, (pos - piece.bytes.len()) as u64, "piece offset");
                pieces[piece.seq as usize].extend_from_slice(piece.bytes);
                if ends_chunk {
                    done += 1;
                }
            }
            None => {}
        }
        assert_eq!(d.chunks_walked(), done, "chunks walked");
        // Digests due, pushed `lag` chunks late.
        while pushed + lag < done && failed.is_none() {
            if let Some(DeferredMisuse::OutOfOrder) = plan.misuse
                && pushed + 1 < done
            {
                failed = refused(
                    d.push_chunk_digest(pushed + 1, &digest(pushed + 1)),
                    301,
                    pos as u64,
                    "out of order",
                );
                break;
            }
            let mut dg = digest(pushed);
            if matches!(plan.misuse, Some(DeferredMisuse::WrongDigest(k)) if u64::from(k) % n.max(1) == pushed)
            {
                dg[0] ^= 1;
            }
            d.push_chunk_digest(pushed, &dg).expect("a digest in order, after its chunk");
            pushed += 1;
        }
    }
    if failed.is_none() {
        assert_eq!(pieces, chunks, "the deferred walk's payload pieces");
        assert!(d.is_sealed() && d.payload_remaining() == 0 && d.offset() == image.len() as u64, "{d:?}");
        if let Some(DeferredMisuse::FinishEarly) = plan.misuse
            && pushed < n
        {
            failed = refused(d.finish().map(|_| ()), 306, seal_at, "finish with digests due");
        }
    }
    while failed.is_none() && pushed < n {
        let mut dg = digest(pushed);
        if matches!(plan.misuse, Some(DeferredMisuse::WrongDigest(k)) if u64::from(k) % n == pushed) {
            dg[0] ^= 1;
        }
        d.push_chunk_digest(pushed, &dg).expect("the remaining digests in order");
        pushed += 1;
    }
    if failed.is_none() {
        assert_eq!(d.digests_pushed(), n, "digests pushed");
        let r = d.finish().map(|verdict| (verdict.chunk_count(), *verdict.image_digest()));
        if let Some(DeferredMisuse::WrongDigest(_)) = plan.misuse
            && n > 0
        {
            failed = refused(r.map(|_| ()), 600, sig_at, "a wrong chunk digest");
        } else {
            assert_eq!(r.expect("deferred verification"), (n, *v.image_digest()), "deferred verdict");
            let again = d.verdict().expect("verdict after finish");
            assert_eq!(again.payload_len(), v.payload_len(), "deferred payload length");
            assert!(d.failure().is_none());
        }
    }
    if let Some(e) = failed {
        // Sticky: every later call gives the same refusal.
        assert_eq!(d.failure(), Some(e), "failure()");
        assert_eq!(d.advance(policy, device, image).err(), Some(e), "advance after a failure");
        assert_eq!(d.skip_payload(1).err(), Some(e), "skip after a failure");
        assert_eq!(d.push_chunk_digest(0, &[0; 32]).err(), Some(e), "push after a failure");
        assert_eq!(d.finish().err(), Some(e), "finish after a failure");
        assert!(d.verdict().is_none());
    }
}

/// An open container in the model: items left, whether it is a map, where
/// the current key starts, the previous key's range.
type ModelFrame = (u64, bool, usize, Option<(usize, usize)>);

/// The encoder model: what a canonical encoder must write.
#[derive(Default)]
struct EncModel {
    out: Vec<u8>,
    cap: Option<usize>,
    /// (items left, is map, key start, previous key range).
    stack: Vec<ModelFrame>,
    failed: Option<(u16, u64)>,
}

fn head(major: u8, n: u64) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=0xff => vec![m | 24, n as u8],
        0x100..=0xffff => [vec![m | 25], (n as u16).to_be_bytes().to_vec()].concat(),
        0x1_0000..=0xffff_ffff => [vec![m | 26], (n as u32).to_be_bytes().to_vec()].concat(),
        _ => [vec![m | 27], n.to_be_bytes().to_vec()].concat(),
    }
}

/// `head` checked against the library: `parse_head` reads it back whole,
/// and `Head::encoded_len` / `argument_len` give its length.
fn checked_head(major: u8, n: u64) -> Vec<u8> {
    let h = head(major, n);
    let (parsed, len) = parse_head(&h, 0).unwrap_or_else(|e| panic!("parse_head refuses {h:02x?}: {e}"));
    assert_eq!(len, h.len(), "parse_head length of {h:02x?}");
    assert_eq!(parsed.encoded_len(), h.len(), "Head::encoded_len of {parsed:?}");
    assert_eq!(argument_len(n), h.len(), "argument_len({n})");
    h
}

impl EncModel {
    fn put(&mut self, b: &[u8]) -> std::result::Result<(), (u16, u64)> {
        if self.cap.is_some_and(|c| self.out.len() + b.len() > c) {
            return Err((fmt_code(ErrorCode::BufferTooSmall), self.out.len() as u64));
        }
        self.out.extend_from_slice(b);
        Ok(())
    }

    fn begin(&mut self) {
        let pos = self.out.len();
        if let Some(top) = self.stack.last_mut()
            && top.1
            && top.0 % 2 == 0
        {
            top.2 = pos;
        }
    }

    fn end(&mut self) -> std::result::Result<(), (u16, u64)> {
        let pos = self.out.len();
        while let Some(top) = self.stack.last_mut() {
            if top.1 && top.0 % 2 == 0 {
                let key = &self.out[top.2..pos];
                if let Some((a, b)) = top.3 {
                    let prev = &self.out[a..b];
                    if key <= prev {
                        let c =
                            if key == prev { ErrorCode::DuplicateMapKey } else { ErrorCode::MapKeysUnsorted };
                        return Err((fmt_code(c), top.2 as u64));
                    }
                }
                top.3 = Some((top.2, pos));
            }
            top.0 -= 1;
            if top.0 > 0 {
                return Ok(());
            }
            self.stack.pop();
        }
        Ok(())
    }

    /// The model's result for `op`.
    fn apply(&mut self, op: EncOp, payload: &[u8]) -> std::result::Result<(), (u16, u64)> {
        if let EncOp::MapOverflow(_) = op
            && self.failed.is_none()
        {
            let e = (fmt_code(ErrorCode::EncoderMisuse), self.out.len() as u64);
            self.failed = Some(e);
            return Err(e);
        }
        if let Some(e) = self.failed {
            return Err(e);
        }
        let r = self.step(op, payload);
        if let Err(e) = r {
            self.failed = Some(e);
        }
        r
    }

    fn step(&mut self, op: EncOp, payload: &[u8]) -> std::result::Result<(), (u16, u64)> {
        self.begin();
        let container = |m: &mut Self, major: u8, n: u64, items: u64| {
            m.put(&checked_head(major, n))?;
            if items == 0 {
                return m.end();
            }
            if m.stack.len() >= MAX_DEPTH {
                return Err((fmt_code(ErrorCode::NestingTooDeep), 0));
            }
            m.stack.push((items, major == 5, 0, None));
            Ok(())
        };
        match op {
            EncOp::Uint(n) => self.put(&checked_head(0, n))?,
            EncOp::Int(n) => match u64::try_from(n) {
                Ok(u) => self.put(&checked_head(0, u))?,
                Err(_) => self.put(&checked_head(1, (!n) as u64))?,
            },
            EncOp::Bytes(n) | EncOp::Text(n) => {
                let major = if matches!(op, EncOp::Bytes(_)) { 2 } else { 3 };
                self.put(&checked_head(major, u64::from(n)))?;
                self.put(&payload[..usize::from(n)])?;
            }
            EncOp::Array(n) => return container(self, 4, u64::from(n), u64::from(n)),
            EncOp::Map(n) => return container(self, 5, u64::from(n), 2 * u64::from(n)),
            EncOp::Tag(t) => return container(self, 6, t, 1),
            EncOp::Null => self.put(&[0xf6])?,
            EncOp::Bool(b) => self.put(&[if b { 0xf5 } else { 0xf4 }])?,
            EncOp::MapOverflow(_) => unreachable!("handled in apply"),
        }
        self.end()
    }
}

fn check_encoder(input: &SealerInput) {
    // Text content must be UTF-8: ASCII drawn from the data.
    let payload: Vec<u8> = (0..255).map(|i| b'a' + input.data[i % input.data.len()] % 26).collect();
    let text = std::str::from_utf8(&payload).expect("ASCII");
    let cap = input.enc_cap.map(|c| usize::from(c % 512));
    let mut buf = vec![0u8; cap.unwrap_or(0)];
    let mut model = EncModel { cap, ..EncModel::default() };
    macro_rules! run {
        ($e:expr) => {{
            let mut e = $e;
            for (i, op) in input.enc_ops.iter().enumerate() {
                let got = match *op {
                    EncOp::Uint(n) => e.uint(n).map(|_| ()),
                    EncOp::Int(n) => e.int(n).map(|_| ()),
                    EncOp::Bytes(n) => e.bytes(&payload[..usize::from(n)]).map(|_| ()),
                    EncOp::Text(n) => e.text(&text[..usize::from(n)]).map(|_| ()),
                    EncOp::Array(n) => e.array(u64::from(n)).map(|_| ()),
                    EncOp::Map(n) => e.map(u64::from(n)).map(|_| ()),
                    EncOp::MapOverflow(k) => e.map(u64::MAX - u64::from(k)).map(|_| ()),
                    EncOp::Tag(t) => e.tag(t).map(|_| ()),
                    EncOp::Null => e.null().map(|_| ()),
                    EncOp::Bool(b) => e.bool(b).map(|_| ()),
                };
                let want = model.apply(*op, &payload);
                let got = got.map_err(|e| {
                    crate::typed::assert_format_message(&e);
                    (e.code().code(), e.offset())
                });
                assert_eq!(got, want, "encoder call {i} {op:?}");
                // Debug shows the nesting and the failure, not the bytes.
                let debug = format!("{e:?}");
                assert!(
                    debug.contains(&format!("depth: {}", model.stack.len())) || model.failed.is_some(),
                    "Encoder Debug {debug:?} after call {i}"
                );
                if got.is_ok() {
                    assert_eq!(e.written(), &model.out[..], "bytes after call {i} {op:?}");
                }
            }
            let fin = e.finish().map(|s| s.written().to_vec()).map_err(|e| (e.code().code(), e.offset()));
            let want_fin = match model.failed {
                Some(f) => Err(f),
                None if !model.stack.is_empty() => Err((fmt_code(ErrorCode::EncoderMisuse), model.out.len() as u64)),
                None => Ok(model.out.clone()),
            };
            assert_eq!(fin, want_fin, "finish");
            fin.ok()
        }};
    }
    let finished = match cap {
        Some(_) => run!(Encoder::new(SliceSink::new(&mut buf))),
        None => run!(Encoder::new(Vec::new())),
    };
    if let Some(written) = finished {
        let tags: Vec<u64> = input
            .enc_ops
            .iter()
            .filter_map(|op| if let EncOp::Tag(t) = op { Some(*t) } else { None })
            .collect();
        let mut at = 0;
        while at < written.len() {
            let n = skip_item(&written[at..], at as u64, &tags)
                .unwrap_or_else(|e| panic!("the reader refuses encoder output at {at}: {e}"));
            assert!(n > 0, "an empty item");
            at += n;
        }
    }
}
