//! `migseal inspect`: what an image says about itself, WITHOUT trusting
//! it. The structure is walked with the format crate, streaming (payload
//! bytes are hashed, never kept), and the walk stops at the first
//! structural error, which is reported with its offset. Nothing is checked
//! against a policy and no signature is verified.

use std::io::{Read, Write};
use std::path::Path;

use migseal_format::cbor::{len_u64, skip_item};
use migseal_format::envelope::{
    ChunkHead, DOMAIN_HEADER, Digest, Header, MAX_CHUNK_LEN, MAX_HEADER_LEN, RecordType, SEAL_RECORD_LEN,
    Seal, chain_input, chunk_prefix, image_input, peek_record_type,
};
use migseal_format::{Detail, ErrorCode};
use migseal_verifier::{Crypto, Dalek, ErrorKind, KeyIdHex, Sha256};
use serde_json::{Value, json};

use crate::error::{Exit, Failure, Result};
use crate::files;
use crate::report;

/// A pull buffer over a reader, with the stream offset of its first byte.
struct Pull<'r> {
    reader: &'r mut dyn Read,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    offset: u64,
    eof: bool,
    name: String,
}

impl Pull<'_> {
    fn available(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or(&[])
    }

    /// Reads until at least `n` bytes are buffered or the input ends.
    fn fill(&mut self, n: usize) -> Result<&[u8]> {
        let n = n.min(self.buf.len());
        if self.end.saturating_sub(self.start) < n && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end = self.end.saturating_sub(self.start);
            self.start = 0;
        }
        while !self.eof && self.end.saturating_sub(self.start) < n {
            let Some(space) = self.buf.get_mut(self.end..) else { break };
            let got = files::read_some(self.reader, space)
                .map_err(|e| Failure::io(Path::new(&self.name), "read it", &e))?;
            if got == 0 {
                self.eof = true;
            }
            self.end = self.end.saturating_add(got);
        }
        Ok(self.available())
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.end.saturating_sub(self.start));
        self.start = self.start.saturating_add(n);
        self.offset = self.offset.saturating_add(len_u64(n));
    }
}

/// The header as JSON, as lines, and its length.
type HeaderFacts = (Value, Vec<(String, String)>, usize);

/// Everything the walk learned.
#[derive(Default)]
struct Findings {
    header: Option<HeaderFacts>,
    header_key_id: Option<[u8; 32]>,
    header_digest: Option<Digest>,
    chain: Option<Digest>,
    chunks: u64,
    payload: u64,
    smallest: Option<u64>,
    largest: Option<u64>,
    seal: Option<(u64, Seal)>,
    image_digest: Option<Digest>,
    image_len: u64,
}

fn incomplete(state: &'static str, at: u64) -> migseal_verifier::Error {
    migseal_verifier::Error::new(ErrorKind::Incomplete { state }, at)
}

fn walk(p: &mut Pull<'_>, f: &mut Findings) -> std::result::Result<(), migseal_verifier::Error> {
    // Header record.
    let avail = p.fill(MAX_HEADER_LEN).map_err(|_| incomplete("inside its header record", 0))?;
    let window = avail.get(..MAX_HEADER_LEN.min(avail.len())).unwrap_or(&[]);
    match peek_record_type(window, 0) {
        Ok(RecordType::Header) => {}
        Ok(other) => return Err(order("a header record", other, 0)),
        Err(e) if e.is_truncated() => return Err(incomplete("inside its header record", 0)),
        Err(e) => return Err(e.into()),
    }
    let len = match skip_item(window, 0, &[]) {
        Ok(len) => len,
        Err(e) if e.is_truncated() && window.len() >= MAX_HEADER_LEN => {
            return Err(migseal_verifier::Error::new(
                ErrorKind::HeaderTooLarge { limit: len_u64(MAX_HEADER_LEN) },
                0,
            ));
        }
        Err(e) if e.is_truncated() => return Err(incomplete("inside its header record", 0)),
        Err(e) => return Err(e.into()),
    };
    let bytes = window.get(..len).unwrap_or(&[]);
    let header = Header::decode_record(bytes, 0)?;
    f.header = Some((report::header_json(&header), report::header_lines(&header), len));
    f.header_key_id = Some(header.key_id);
    let mut chain = Dalek.digest(&[DOMAIN_HEADER, bytes]);
    f.header_digest = Some(chain);
    f.chain = Some(chain);
    p.consume(len);

    // Chunk records, then the seal.
    loop {
        let at = p.offset;
        let avail = p.fill(SEAL_RECORD_LEN).map_err(|_| incomplete("before its seal record", at))?;
        if avail.is_empty() {
            return Err(incomplete("before its seal record", at));
        }
        match peek_record_type(avail, at) {
            Err(e) if e.is_truncated() => return Err(incomplete("before its seal record", at)),
            Err(e) => return Err(e.into()),
            Ok(RecordType::Header) => return Err(order("a chunk or seal record", RecordType::Header, at)),
            Ok(RecordType::Chunk) => {
                let head = match ChunkHead::decode(avail, at, MAX_CHUNK_LEN) {
                    Err(e) if e.is_truncated() => return Err(incomplete("inside a chunk", at)),
                    Err(e) => return Err(e.into()),
                    Ok(h) => h,
                };
                if head.seq != f.chunks {
                    return Err(migseal_verifier::Error::new(
                        ErrorKind::SequenceGap { expected: f.chunks, found: head.seq },
                        at,
                    ));
                }
                p.consume(head.head_len);
                let mut hasher = Dalek.sha256();
                hasher.update(&chunk_prefix(head.seq, head.len));
                let mut left = head.len;
                while left > 0 {
                    let here = p.offset;
                    let avail = p.fill(1).map_err(|_| incomplete("inside a chunk", here))?;
                    if avail.is_empty() {
                        return Err(incomplete("inside a chunk", here));
                    }
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(avail.len());
                    hasher.update(avail.get(..n).unwrap_or(&[]));
                    p.consume(n);
                    left = left.saturating_sub(len_u64(n));
                }
                chain = Dalek.digest(&[&chain_input(&chain, &hasher.finish())]);
                f.chain = Some(chain);
                f.chunks = f.chunks.saturating_add(1);
                f.payload = f.payload.saturating_add(head.len);
                f.smallest = Some(f.smallest.map_or(head.len, |s| s.min(head.len)));
                f.largest = Some(f.largest.map_or(head.len, |s| s.max(head.len)));
            }
            Ok(RecordType::Seal) => {
                if avail.len() < SEAL_RECORD_LEN {
                    return Err(incomplete("inside its seal record", at));
                }
                let seal = Seal::decode_record(avail.get(..SEAL_RECORD_LEN).unwrap_or(&[]), at)?;
                f.seal = Some((at, seal));
                f.image_digest = Some(Dalek.digest(&[&image_input(&chain, f.chunks, f.payload)]));
                p.consume(SEAL_RECORD_LEN);
                if let Some(header_key) = f.header_key_id
                    && seal.key_id != header_key
                {
                    return Err(migseal_verifier::Error::new(
                        ErrorKind::KeyIdMismatch {
                            header: KeyIdHex::of(&header_key),
                            seal: KeyIdHex::of(&seal.key_id),
                        },
                        at,
                    ));
                }
                let end = p.offset;
                let rest = p.fill(1).map_err(|_| incomplete("after its seal record", end))?.len();
                if rest > 0 {
                    return Err(migseal_format::Error::new(ErrorCode::TrailingBytes, end)
                        .with_detail(Detail::Limit { limit: 0, found: len_u64(rest) })
                        .into());
                }
                return Ok(());
            }
        }
    }
}

fn order(expected: &'static str, found: RecordType, at: u64) -> migseal_verifier::Error {
    let found = match found {
        RecordType::Header => "header",
        RecordType::Chunk => "chunk",
        RecordType::Seal => "seal",
    };
    migseal_verifier::Error::new(ErrorKind::RecordOrder { expected, found }, at)
}

/// Runs `inspect`: exit 0 when the structure is complete, else the class
/// of the first structural error.
///
/// # Errors
///
/// I/O failures.
pub fn run(image: &Path, json_out: bool) -> Result<Exit> {
    let mut input = files::open_input(image)?;
    let name = input.name.clone();
    let mut pull = Pull {
        reader: &mut input.reader,
        buf: vec![0u8; 64 << 10],
        start: 0,
        end: 0,
        offset: 0,
        eof: false,
        name: name.clone(),
    };
    let mut f = Findings::default();
    let result = walk(&mut pull, &mut f);
    // The image's length: what was walked, plus whatever follows unread.
    let mut image_len = pull.offset.saturating_add(len_u64(pull.available().len()));
    if result.is_err() {
        let mut sink = vec![0u8; 64 << 10];
        loop {
            match files::read_some(pull.reader, &mut sink) {
                Ok(0) | Err(_) => break,
                Ok(n) => image_len = image_len.saturating_add(len_u64(n)),
            }
        }
    }
    f.image_len = image_len;
    let failure = result.err().map(|e| Failure::verifier(&e, None));
    print(&name, &f, failure.as_ref(), json_out);
    Ok(failure.map_or(Exit::Success, |e| e.exit))
}

fn print(name: &str, f: &Findings, failure: Option<&Failure>, json_out: bool) {
    let mut out = std::io::stdout().lock();
    let digest = |d: &Option<Digest>| d.map(hex::encode);
    if json_out {
        let value = json!({
            "verdict": "unverified",
            "image": name,
            "structure": if failure.is_none() { "complete" } else { "broken" },
            "error": failure.map(Failure::to_json),
            "header": f.header.as_ref().map(|h| h.0.clone()),
            "header_len": f.header.as_ref().map(|h| h.2),
            "chunk_count": f.chunks,
            "payload_len": f.payload,
            "smallest_chunk": f.smallest,
            "largest_chunk": f.largest,
            "seal": f.seal.map(|(at, s)| json!({
                "offset": at,
                "key_id": hex::encode(s.key_id),
                "signature": hex::encode(s.signature),
            })),
            "image_len": f.image_len,
            "digests": {
                "header": digest(&f.header_digest),
                "chain": digest(&f.chain),
                "image": digest(&f.image_digest),
            },
        });
        let _ = writeln!(out, "{value}");
        return;
    }
    let mut s = format!(
        "UNVERIFIED {name}\nWhat the image says about itself. Nothing here is authenticated: run `migseal verify` before trusting any of it.\n"
    );
    if let Some((_, lines, len)) = &f.header {
        s.push_str(&format!("header record (bytes 0..{len})\n"));
        s.push_str(&report::aligned(lines, 2));
    }
    let mut body = Vec::new();
    if f.header.is_some() {
        let sizes = match (f.smallest, f.largest) {
            (Some(a), Some(b)) if a == b => format!(", each {a} bytes"),
            (Some(a), Some(b)) => format!(", {a} to {b} bytes each"),
            _ => String::new(),
        };
        body.push((
            "chunks".to_owned(),
            format!(
                "{} carrying {}{sizes}",
                report::count(f.chunks, "chunk"),
                report::count(f.payload, "payload byte")
            ),
        ));
    }
    if let Some((at, seal)) = &f.seal {
        let same = f.header_key_id == Some(seal.key_id);
        body.push((
            "seal".into(),
            format!(
                "at byte {at}, COSE_Sign1 Ed25519, key id {}{}",
                hex::encode(seal.key_id),
                if same { " (the header's)" } else { " (NOT the header's)" }
            ),
        ));
    }
    if let Some(d) = &f.header_digest {
        body.push(("header digest".into(), format!("sha256:{}", hex::encode(d))));
    }
    if let Some(d) = &f.image_digest {
        body.push((
            "image digest".into(),
            format!("{} (spec 5.4: what a valid seal signs; not the file's sha256sum)", hex::encode(d)),
        ));
    }
    body.push(("image size".into(), report::count(f.image_len, "byte")));
    body.push((
        "structure".into(),
        match failure {
            None => "complete: header, chunks in order, seal, nothing after".into(),
            Some(e) => format!(
                "BROKEN at byte {} (exit {}: {})",
                e.offset.unwrap_or(0),
                e.exit.code(),
                e.exit.describe()
            ),
        },
    ));
    s.push_str(&report::aligned(&body, 0));
    if let Some(e) = failure {
        s.push_str(&e.message);
        s.push('\n');
    }
    let _ = out.write_all(s.as_bytes());
}
