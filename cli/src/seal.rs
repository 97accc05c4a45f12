//! `migseal seal`: raw vendor state in, sealed image out, streaming. One
//! buffer of the chunk size: each chunk is read whole (the head carries
//! its length), then its head and bytes are written.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use migseal_format::cbor::len_u64;
use migseal_format::envelope::{Descriptor, MAX_CHUNK_LEN, MAX_HEADER_LEN, Role};
use migseal_verifier::{Dalek, Limits, Sealer};
use serde_json::json;

use crate::descriptor_file::{self, parse_json};
use crate::error::{Exit, Failure, Result};
use crate::files::{self, Staged};
use crate::header_file::HeaderJson;
use crate::keys;
use crate::report;

/// Default chunk size: 1 MiB.
pub const DEFAULT_CHUNK_SIZE: u64 = 1 << 20;

/// What `seal` needs.
pub struct Args {
    /// Raw state, or `-`.
    pub input: PathBuf,
    /// Secret key file.
    pub key: PathBuf,
    /// Output image, or `-`/none for stdout.
    pub out: Option<PathBuf>,
    /// Replace an existing output file.
    pub force: bool,
    /// Chunk size.
    pub chunk_size: u64,
    /// Allow chunks above the default verifier limit.
    pub allow_large_chunks: bool,
    /// Use a secret key other users can read.
    pub insecure_key_permissions: bool,
    /// Header JSON file.
    pub header_json: Option<PathBuf>,
    /// Source descriptor to take identity, features, config, codec from.
    pub descriptor: Option<PathBuf>,
    /// Fields given as flags.
    pub fields: HeaderJson,
    /// Hashing threads; 1 is the one-thread path.
    pub threads: std::num::NonZeroUsize,
}

enum Output {
    File(Staged),
    /// A device or pipe named by --out (such as /dev/null), written in place.
    Special(std::fs::File, PathBuf),
    Stdout(io::StdoutLock<'static>),
}

impl Output {
    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        match self {
            Self::File(s) => s.write_all(bytes),
            Self::Special(f, p) => {
                f.write_all(bytes).map_err(|e| Failure::io(p, "write the image to it", &e))
            }
            Self::Stdout(o) => o
                .write_all(bytes)
                .map_err(|e| Failure::io(Path::new("<stdout>"), "write the image to it", &e)),
        }
    }
}

fn header_fields(args: &Args) -> Result<HeaderJson> {
    let mut fields = HeaderJson::default();
    if let Some(path) = &args.descriptor {
        let bytes = descriptor_file::load(path)?;
        let d =
            Descriptor::decode(&bytes).map_err(|e| Failure::format(&e, Some(&path.display().to_string())))?;
        if d.role != Role::Source {
            return Err(Failure::input(format!(
                "{}: a destination descriptor; seal takes a source descriptor (\"role\": \"source\")",
                path.display()
            )));
        }
        fields = fields.overlay(
            HeaderJson::from_source_descriptor(&d)
                .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?,
        );
    }
    if let Some(path) = &args.header_json {
        let text = files::read_text(path)?;
        let from_file: HeaderJson = parse_json(path, &text, "header file")?;
        fields = fields.overlay(from_file);
    }
    Ok(fields.overlay(args.fields.clone()))
}

/// Runs `seal`.
///
/// # Errors
///
/// Usage, input, key and I/O failures.
pub fn run(args: &Args, sink: report::Sink) -> Result<Exit> {
    if args.chunk_size == 0 || args.chunk_size > MAX_CHUNK_LEN {
        return Err(Failure::usage(format!(
            "--chunk-size {}: a chunk holds 1 to {MAX_CHUNK_LEN} bytes",
            args.chunk_size
        )));
    }
    let default_limit = Limits::DEFAULT.max_chunk_len;
    if args.chunk_size > default_limit && !args.allow_large_chunks {
        return Err(Failure::usage(format!(
            "--chunk-size {}: above {} MiB, the chunk limit of a default verifier policy, which would \
             refuse the image (error 303); use at most {default_limit}, or pass --allow-large-chunks \
             when every destination's policy raises limits.max_chunk_len",
            args.chunk_size,
            default_limit >> 20
        )));
    }
    let out_file = args.out.as_deref().filter(|p| !files::is_stdout(Some(p)));
    if let Some(p) = out_file {
        files::check_output(p, args.force)?;
    }
    let chunk_size = usize::try_from(args.chunk_size)
        .map_err(|_| Failure::usage("--chunk-size does not fit this machine's memory"))?;
    let fields = header_fields(args)?;
    let key = keys::load_secret(&args.key, args.insecure_key_permissions)?;
    let mut input = files::open_input(&args.input)?;
    let mut out = match out_file {
        Some(p) if files::is_special(p) => Output::Special(files::open_special(p)?, p.to_path_buf()),
        Some(p) => Output::File(Staged::new(p, 0o644)?),
        None => {
            let o = io::stdout().lock();
            if o.is_terminal() {
                return Err(Failure::usage(
                    "refusing to write a binary image to a terminal: pass --out FILE",
                ));
            }
            Output::Stdout(o)
        }
    };
    let bar = if io::stderr().is_terminal() {
        let style = ProgressStyle::with_template("sealing {bar:40} {bytes}/{total_bytes} {bytes_per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        Some(input.len.map_or_else(ProgressBar::new_spinner, ProgressBar::new).with_style(style))
    } else {
        None
    };

    let key_id = key.key_id(&Dalek);
    let (summary, chunks, total, image_len) = fields
        .with_header(key_id, |header| -> Result<_> {
            let mut head = vec![0u8; MAX_HEADER_LEN];
            let (mut sealer, n) = Sealer::new(key.clone(), Dalek, header, &mut head)
                .map_err(|e| Failure::verifier(&e, Some("the header")))?;
            out.write_all(head.get(..n).unwrap_or(&[]))?;
            let mut image_len = len_u64(n);
            if args.threads.get() > 1 {
                let sealed = crate::seal_parallel::seal_chunks(
                    &mut sealer,
                    &mut input.reader,
                    &input.name,
                    chunk_size,
                    args.threads,
                    &mut |bytes| out.write_all(bytes),
                    bar.as_ref(),
                )?;
                let seal = sealer.finish().map_err(|e| Failure::verifier(&e, Some("seal")))?;
                out.write_all(&seal)?;
                image_len = image_len.saturating_add(sealed.written).saturating_add(len_u64(seal.len()));
                return Ok((report::header_json(header), sealed.chunks, sealed.payload, image_len));
            }
            let mut buf = vec![0u8; chunk_size];
            let (mut chunks, mut total) = (0u64, 0u64);
            loop {
                let got = files::read_full(&mut input.reader, &mut buf)
                    .map_err(|e| Failure::io(Path::new(&input.name), "read it", &e))?;
                if got == 0 {
                    break;
                }
                let data = buf.get(..got).unwrap_or(&[]);
                let head = sealer.chunk(data).map_err(|e| Failure::verifier(&e, Some("chunk")))?;
                out.write_all(head.as_bytes())?;
                out.write_all(data)?;
                chunks = chunks.saturating_add(1);
                total = total.saturating_add(len_u64(got));
                image_len =
                    image_len.saturating_add(len_u64(head.as_bytes().len())).saturating_add(len_u64(got));
                if let Some(b) = &bar {
                    b.inc(len_u64(got));
                }
                if got < chunk_size {
                    break;
                }
            }
            let seal = sealer.finish().map_err(|e| Failure::verifier(&e, Some("seal")))?;
            out.write_all(&seal)?;
            image_len = image_len.saturating_add(len_u64(seal.len()));
            Ok((report::header_json(header), chunks, total, image_len))
        })
        .map_err(Failure::input)??;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let target = match out {
        Output::File(s) => {
            let t = s.target().display().to_string();
            s.commit(args.force)?;
            t
        }
        Output::Special(mut f, p) => {
            f.flush().map_err(|e| Failure::io(&p, "write the image to it", &e))?;
            p.display().to_string()
        }
        Output::Stdout(mut o) => {
            o.flush().map_err(|e| Failure::io(Path::new("<stdout>"), "write the image to it", &e))?;
            "<stdout>".into()
        }
    };
    let security_default = fields.security_version.is_none();
    let security_version = summary.get("security_version").and_then(serde_json::Value::as_u64).unwrap_or(1);
    if sink.json {
        sink.emit_json(&json!({
            "sealed": target, "header": summary, "chunk_count": chunks, "payload_len": total,
            "image_len": image_len, "key_id": hex::encode(key_id),
            "security_version_default": security_default,
        }))?;
    } else {
        // The report goes to stderr when the image itself is on stdout
        // (the sink knows).
        sink.emit(&format!(
            "sealed {} in {} ({} image bytes) with key {} into {target}\nsecurity version {security_version}{}",
            report::count(total, "payload byte"),
            report::count(chunks, "chunk"),
            image_len,
            hex::encode(key_id),
            if security_default {
                " (the default: no --security-version given; destinations whose policy requires a higher \
                 minimum refuse it as a rollback)"
            } else {
                ""
            }
        ))?;
    }
    Ok(Exit::Success)
}
