//! `migseal inspect`: what an image says about itself, WITHOUT trusting
//! it. The structure is walked by the verifier's own framing walk
//! ([`migseal_verifier::Inspector`]), streaming (payload bytes are hashed,
//! never kept), and the walk stops at the first structural error, which is
//! reported with its offset. Nothing is checked against a policy and no
//! signature is verified.

use std::path::Path;

use migseal_format::cbor::len_u64;
use migseal_format::envelope::{Digest, Seal};
use migseal_verifier::Inspector;
use serde_json::{Value, json};

use crate::error::{Exit, Failure, Result};
use crate::files;
use crate::report;

/// The header as JSON, as lines, and its length.
type HeaderFacts = (Value, Vec<(String, String)>, usize);

/// Everything the walk learned, in the form the report prints.
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

impl Findings {
    fn of(inspector: &Inspector, image_len: u64) -> Self {
        let facts = inspector.facts();
        let header = inspector.header();
        Self {
            header: header
                .map(|(h, record)| (report::header_json(&h), report::header_lines(&h), record.len())),
            header_key_id: header.map(|(h, _)| h.key_id),
            header_digest: facts.header_digest,
            chain: facts.chain,
            chunks: facts.chunks,
            payload: facts.payload_len,
            smallest: facts.chunk_sizes.map(|(lo, _)| lo),
            largest: facts.chunk_sizes.map(|(_, hi)| hi),
            seal: facts.seal.map(|(seal, at)| (at, seal)),
            image_digest: facts.image_digest,
            image_len,
        }
    }
}

/// Runs `inspect`: exit 0 when the structure is complete, else the class
/// of the first structural error — the verifier's own framing walk, so
/// the refusal is the one `verify` gives for the same bytes.
///
/// # Errors
///
/// I/O failures, reading the image or writing the report (exit 3, never a
/// panic).
pub fn run(image: &Path, sink: report::Sink) -> Result<Exit> {
    let mut input = files::open_input(image)?;
    let name = input.name.clone();
    let mut inspector = Inspector::default();
    let mut buf = vec![0u8; 64 << 10];
    let mut image_len = 0u64;
    let mut walked = Ok(());
    loop {
        let n = files::read_some(&mut input.reader, &mut buf)
            .map_err(|e| Failure::io(Path::new(&name), "read it", &e))?;
        if n == 0 {
            break;
        }
        // After a refusal the rest is only counted, for the image's size.
        image_len = image_len.saturating_add(len_u64(n));
        if walked.is_ok() {
            walked = inspector.feed(buf.get(..n).unwrap_or(&[]));
        }
    }
    let result = walked.and_then(|()| inspector.end_of_stream());
    let failure = result.err().map(|e| Failure::verifier(&e, None));
    print(&name, &Findings::of(&inspector, image_len), failure.as_ref(), sink)?;
    Ok(failure.map_or(Exit::Success, |e| e.exit))
}

fn print(name: &str, f: &Findings, failure: Option<&Failure>, sink: report::Sink) -> Result<()> {
    let digest = |d: &Option<Digest>| d.map(hex::encode);
    if sink.json {
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
        return sink.emit_json(&value);
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
    sink.emit(&s)
}
