//! `migseal seal --threads N` (N > 1): the main thread reads chunks into a
//! pool of N + 1 buffers and writes heads and data in order; N worker
//! threads compute the chunk digests
//! ([`chunk_digest`](migseal_verifier::chain::chunk_digest)), which the
//! sealer chains in order ([`Sealer::chunk_with_digest`]). The image is
//! byte-identical to the one-thread path's; memory is (N + 1) × the chunk
//! size whatever the input size.

use std::collections::BTreeMap;
use std::io::Read;
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender};

use indicatif::ProgressBar;
use migseal_format::cbor::len_u64;
use migseal_format::envelope::Digest;
use migseal_verifier::chain::chunk_digest;
use migseal_verifier::{Dalek, Sealer};

use crate::error::{Exit, Failure, Result};
use crate::files;

/// A chunk read: its sequence number, its buffer and how many bytes of it
/// are data.
struct Job {
    seq: u64,
    buf: Vec<u8>,
    len: usize,
}

/// What the sealing loop produced.
pub(crate) struct Sealed {
    /// Chunks written.
    pub(crate) chunks: u64,
    /// Payload bytes written.
    pub(crate) payload: u64,
    /// Head and data bytes written.
    pub(crate) written: u64,
}

fn worker(jobs: &Mutex<Receiver<Job>>, done: &Sender<(Job, Digest)>) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let digest = chunk_digest(&Dalek, job.seq, job.buf.get(..job.len).unwrap_or(&[]));
        if done.send((job, digest)).is_err() {
            return;
        }
    }
}

fn lost_worker() -> Failure {
    Failure::new(Exit::Internal, "a hashing thread stopped before returning its chunk's digest")
}

/// Reads `reader` to its end in chunks of `chunk_size`, hashing them on
/// `threads` threads, and writes each chunk's head and data in order
/// through `write`.
///
/// # Errors
///
/// Read and write failures; the sealer's refusal.
pub(crate) fn seal_chunks(
    sealer: &mut Sealer,
    reader: &mut dyn Read,
    name: &str,
    chunk_size: usize,
    threads: NonZeroUsize,
    write: &mut dyn FnMut(&[u8]) -> Result<()>,
    bar: Option<&ProgressBar>,
) -> Result<Sealed> {
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let (done_tx, done_rx) = mpsc::channel::<(Job, Digest)>();
    let jobs = Mutex::new(job_rx);
    std::thread::scope(|s| {
        // Owned by this closure, so every way out of it closes the queue
        // and the workers end before the scope joins them.
        let job_tx = job_tx;
        for _ in 0..threads.get() {
            let (jobs, done) = (&jobs, done_tx.clone());
            s.spawn(move || worker(jobs, &done));
        }
        drop(done_tx);
        let mut free: Vec<Vec<u8>> = (0..=threads.get()).map(|_| Vec::new()).collect();
        let mut waiting: BTreeMap<u64, (Job, Digest)> = BTreeMap::new();
        let (mut read_seq, mut write_seq, mut eof) = (0u64, 0u64, false);
        let mut sealed = Sealed { chunks: 0, payload: 0, written: 0 };
        loop {
            if !eof && let Some(mut buf) = free.pop() {
                buf.resize(chunk_size, 0);
                let len = files::read_full(reader, &mut buf)
                    .map_err(|e| Failure::io(Path::new(name), "read it", &e))?;
                eof = len < chunk_size;
                if len == 0 {
                    free.push(buf);
                    continue;
                }
                job_tx.send(Job { seq: read_seq, buf, len }).map_err(|_| lost_worker())?;
                read_seq = read_seq.saturating_add(1);
                continue;
            }
            if write_seq == read_seq {
                break;
            }
            let (job, digest) = done_rx.recv().map_err(|_| lost_worker())?;
            waiting.insert(job.seq, (job, digest));
            while let Some((job, digest)) = waiting.remove(&write_seq) {
                let data = job.buf.get(..job.len).unwrap_or(&[]);
                let head = sealer
                    .chunk_with_digest(len_u64(job.len), &digest)
                    .map_err(|e| Failure::verifier(&e, Some("chunk")))?;
                write(head.as_bytes())?;
                write(data)?;
                sealed.chunks = sealed.chunks.saturating_add(1);
                sealed.payload = sealed.payload.saturating_add(len_u64(job.len));
                sealed.written = sealed
                    .written
                    .saturating_add(len_u64(head.as_bytes().len()))
                    .saturating_add(len_u64(job.len));
                if let Some(b) = bar {
                    b.inc(len_u64(job.len));
                }
                free.push(job.buf);
                write_seq = write_seq.saturating_add(1);
            }
        }
        Ok(sealed)
    })
}
