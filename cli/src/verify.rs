//! `migseal verify`: stream an image through the verifier with one fixed
//! read buffer (constant memory whatever the image size), stage payload
//! bytes to an unnamed temporary file, and give it its name (or copy it to
//! stdout, for `--payload-out -`) only when the seal verified.
//!
//! Why a temporary file for stdout too, not memory: the payload may be as
//! large as the policy's total limit (64 GiB by default), and memory must
//! stay constant. The file is created with `O_TMPFILE` in `$TMPDIR`, so it
//! never has a name and nothing survives a signal.

use std::fs::File;
use std::io::{IsTerminal, Seek, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use migseal::policy_file::{PolicyFile, PolicyFileError};
use migseal_format::envelope::Descriptor;
use migseal_verifier::{Crypto, Dalek, Policy, Sha256, Verifier};
use serde_json::{Value, json};

use crate::descriptor_file::{self, parse_json};
use crate::error::{Exit, Failure, Result};
use crate::files::{self, Staged};
use crate::report::{self, Sink};
use crate::sniff;

/// Default read size: 64 KiB.
pub const DEFAULT_READ_SIZE: usize = 64 << 10;
/// The largest payload `--decode` holds in memory.
pub const MAX_DECODE_LEN: usize = 64 << 20;

/// What `verify` needs.
pub struct Args {
    /// The image, or `-`.
    pub image: PathBuf,
    /// The policy file (JSON).
    pub policy: PathBuf,
    /// The destination descriptor (CBOR or JSON).
    pub device: PathBuf,
    /// Where the payload goes, once verified (`-`: stdout).
    pub payload_out: Option<PathBuf>,
    /// Replace an existing payload file.
    pub force: bool,
    /// Decode the verified payload with its reference codec.
    pub decode: bool,
    /// Hash the file's bytes too.
    pub file_sha256: bool,
    /// Bytes per read.
    pub read_size: usize,
    /// Hashing threads; 1 is the one-thread streaming path.
    pub threads: std::num::NonZeroUsize,
}

/// Loads a policy file, naming the file and line on failure.
///
/// # Errors
///
/// I/O (3), JSON or field errors (4), refused keys (12 / 14).
pub fn load_policy(path: &Path) -> Result<PolicyFile> {
    let text = files::read_text(path)?;
    parse_json(path, &text, "policy file")
}

/// The failure for a policy that parsed but cannot be used.
#[must_use]
pub fn policy_failure(path: &Path, e: &PolicyFileError) -> Failure {
    match e {
        PolicyFileError::Json(j) => descriptor_file::json_failure(path, j, "policy file"),
        PolicyFileError::Field { .. } => Failure::input(format!("{}: {e}", path.display())),
        PolicyFileError::Key { index, error } => {
            Failure::verifier(error, Some(&format!("{}: trusted[{index}]", path.display())))
        }
        PolicyFileError::Invalid { field, error } => {
            Failure::verifier(error, Some(&format!("{}: {field}", path.display())))
        }
    }
}

/// The verdict, owned.
pub(crate) struct Verified {
    pub(crate) header: Value,
    pub(crate) header_lines: Vec<(String, String)>,
    pub(crate) chunk_count: u64,
    pub(crate) payload_len: u64,
    pub(crate) image_digest: [u8; 32],
    pub(crate) stream_len: u64,
    /// `--file-sha256`: the SHA-256 of the bytes read.
    pub(crate) file_sha256: Option<[u8; 32]>,
    /// `--decode`: the decoded state as JSON, or the codec's refusal.
    pub(crate) decoded: Option<Decoded>,
}

/// What `--decode` found.
pub(crate) enum Decoded {
    /// The state, every invariant of its codec checked.
    State(Value),
    /// migseal has no reference decoder for this codec: not a refusal.
    NoDecoder(String),
    /// The codec refused the state (exit 15).
    Refused(Failure),
}

/// Where the verified payload goes.
enum PayloadOut {
    /// A file that takes its name on success.
    File(Staged),
    /// Stdout (`None`) or a device or pipe, staged in an unnamed
    /// temporary file until the verdict.
    Stream(File, Option<PathBuf>),
}

impl PayloadOut {
    /// The staging file, for positioned writes.
    fn file(&self) -> &File {
        match self {
            Self::File(s) => s.as_file(),
            Self::Stream(f, _) => f,
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        match self {
            Self::File(s) => s.write_all(bytes),
            Self::Stream(f, _) => f
                .write_all(bytes)
                .map_err(|e| Failure::io(Path::new("<temporary file>"), "stage the payload in it", &e)),
        }
    }

    /// Gives the verified payload its place.
    fn commit(self, force: bool) -> Result<()> {
        match self {
            Self::File(s) => s.commit(force),
            Self::Stream(mut f, target) => {
                f.rewind().map_err(|e| Failure::io(Path::new("<temporary file>"), "rewind it", &e))?;
                let Some(target) = target else {
                    let mut out = std::io::stdout().lock();
                    return std::io::copy(&mut f, &mut out)
                        .and_then(|_| out.flush())
                        .map_err(|e| Failure::io(Path::new("<stdout>"), "write the payload to it", &e));
                };
                let mut out = files::open_special(&target)?;
                std::io::copy(&mut f, &mut out)
                    .and_then(|_| out.flush())
                    .map_err(|e| Failure::io(&target, "write the payload to it", &e))
            }
        }
    }
}

/// Runs `verify`; prints the verdict; returns the exit class.
///
/// # Errors
///
/// Failures that are not a verdict: unreadable files, bad policy.
pub fn run(args: &Args, sink: Sink) -> Result<Exit> {
    let to_stdout = args.payload_out.as_deref().is_some_and(|p| files::is_stdout(Some(p)));
    if let Some(p) = args.payload_out.as_deref().filter(|_| !to_stdout) {
        files::check_output(p, args.force)?;
    }
    let policy_file = load_policy(&args.policy)?;
    let device_bytes = descriptor_file::load(&args.device)?;
    let device = Descriptor::decode(&device_bytes)
        .map_err(|e| Failure::format(&e, Some(&args.device.display().to_string())))?;
    let mut input = files::open_input(&args.image)?;
    if to_stdout && std::io::stdout().is_terminal() {
        return Err(Failure::usage(
            "refusing to write binary payload to a terminal: pipe it, or pass --payload-out FILE",
        ));
    }
    let unnamed_temp = || {
        tempfile::tempfile()
            .map_err(|e| Failure::io(&std::env::temp_dir(), "create a temporary file in it", &e))
    };
    let mut staged = match &args.payload_out {
        Some(_) if to_stdout => Some(PayloadOut::Stream(unnamed_temp()?, None)),
        Some(p) if files::is_special(p) => Some(PayloadOut::Stream(unnamed_temp()?, Some(p.clone()))),
        Some(p) => Some(PayloadOut::File(Staged::new(p, 0o600)?)),
        None => None,
    };
    let name = input.name.clone();
    let shown_out = args.payload_out.as_deref().map(|p| if to_stdout { Path::new("<stdout>") } else { p });

    let outcome = policy_file
        .with_policy(|policy| stream(policy, &device, &mut input, staged.as_mut(), args))
        .map_err(|e| policy_failure(&args.policy, &e))?;

    match outcome {
        Ok(v) => {
            if let Some(Decoded::Refused(refused)) = &v.decoded {
                // Verified, but the state itself is malformed: nothing is
                // written, and the exit code says so.
                drop(staged);
                print_state_refused(&name, &v, refused, sink)?;
                return Ok(refused.exit);
            }
            if let Some(s) = staged {
                s.commit(args.force)?;
            }
            print_verified(&name, &v, shown_out, sink)?;
            Ok(Exit::Success)
        }
        Err(Refusal::Io(f)) => Err(f),
        Err(Refusal::Verifier(e, head)) => {
            // `staged` is dropped here: its temporary file disappears, so a
            // refused image leaves no payload behind.
            drop(staged);
            let mut failure = Failure::verifier(&e, None);
            if e.offset() == 0 && sniff::is_not_an_image(&head) {
                failure.summary = Some(sniff::not_an_image_line(&head));
            }
            if failure.name == Some("untrusted-key") {
                failure.hint = Some(
                    "`migseal keygen --show-id KEY.pub` prints the key id of a public key file, to find the one \
                     this is"
                        .into(),
                );
            }
            print_refused(&name, &failure, shown_out, sink)?;
            Ok(failure.exit)
        }
    }
}

pub(crate) enum Refusal {
    Io(Failure),
    /// The verifier's refusal, and the input's first bytes (to say what
    /// a file that is not an image looks like).
    Verifier(migseal_verifier::Error, Vec<u8>),
}

fn progress(len: Option<u64>) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = match len {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template(
                "verifying {bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("verifying {spinner} {bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    Some(bar)
}

fn stream(
    policy: &Policy,
    device: &Descriptor<'_>,
    input: &mut files::Input,
    mut staged: Option<&mut PayloadOut>,
    args: &Args,
) -> std::result::Result<Verified, Refusal> {
    // --decode holds the payload and --file-sha256 hashes every byte in
    // order, both on this thread: they keep the one-thread path.
    if args.threads.get() > 1 && !args.decode && !args.file_sha256 {
        let bar = progress(input.len);
        let out = staged.as_deref().map(PayloadOut::file);
        let verified = crate::verify_parallel::verify(policy, device, input, out, args.threads, bar.as_ref());
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        return verified;
    }
    let (read_size, decode) = (args.read_size, args.decode);
    let mut file_hasher = args.file_sha256.then(|| Dalek.sha256());
    let mut v = Verifier::default();
    let mut held: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; read_size.max(1)];
    let mut head: Vec<u8> = Vec::with_capacity(sniff::SNIFF_LEN);
    let bar = progress(input.len);
    loop {
        let n = files::read_some(&mut input.reader, &mut buf)
            .map_err(|e| Refusal::Io(Failure::io(Path::new(&input.name), "read it", &e)))?;
        if n == 0 {
            break;
        }
        let mut rest = buf.get(..n).unwrap_or(&[]);
        if let Some(h) = file_hasher.as_mut() {
            h.update(rest);
        }
        let room = sniff::SNIFF_LEN.saturating_sub(head.len());
        head.extend_from_slice(rest.get(..room.min(rest.len())).unwrap_or(&[]));
        while !rest.is_empty() {
            let step = v.advance(policy, device, rest).map_err(|e| Refusal::Verifier(e, head.clone()))?;
            if let (Some(piece), Some(out)) = (step.payload, staged.as_deref_mut()) {
                out.write_all(piece.bytes).map_err(Refusal::Io)?;
            }
            if let (Some(piece), true) = (step.payload, decode) {
                if held.len().saturating_add(piece.bytes.len()) > MAX_DECODE_LEN {
                    return Err(Refusal::Io(Failure::usage(format!(
                        "{}: the payload is larger than {} MiB, which --decode holds in memory; verify without --decode",
                        input.name,
                        MAX_DECODE_LEN >> 20
                    ))));
                }
                held.extend_from_slice(piece.bytes);
            }
            rest = rest.get(step.consumed..).unwrap_or(&[]);
        }
        if let Some(b) = &bar {
            b.inc(u64::try_from(n).unwrap_or(u64::MAX));
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let stream_len = v.offset();
    let verdict = v.finish().map_err(|e| Refusal::Verifier(e, head.clone()))?;
    let decoded = decode.then(|| {
        // `held` is exactly the payload pieces the verifier reported, in
        // order: what `stored_payload_less_safe` asks the caller to vouch for.
        let Some(payload) = verdict.stored_payload_less_safe(&held) else {
            return Decoded::Refused(Failure::new(
                Exit::Internal,
                "the held payload differs in length from the verified one",
            ));
        };
        if migseal_codecs::Registry::find(&payload.identity()).is_err() {
            let h = verdict.header();
            return Decoded::NoDecoder(format!(
                "migseal has no reference decoder for codec {} ({} / {}); the payload verified but was not decoded",
                h.codec, h.identity.vendor, h.identity.device_api
            ));
        }
        match migseal_codecs::Registry::decode(payload) {
            Ok(d) => Decoded::State(migseal_codecs::describe::to_json(&d)),
            Err(e) => Decoded::Refused(Failure::codec(&e)),
        }
    });
    let h = verdict.header();
    Ok(Verified {
        header: report::header_json(h),
        header_lines: report::header_lines(h),
        chunk_count: verdict.chunk_count(),
        payload_len: verdict.payload_len(),
        image_digest: *verdict.image_digest(),
        stream_len,
        file_sha256: file_hasher.map(Sha256::finish),
        decoded,
    })
}

fn print_verified(name: &str, v: &Verified, payload_out: Option<&Path>, sink: Sink) -> Result<()> {
    if sink.json {
        return sink.emit_json(&json!({
            "verdict": "verified",
            "image": name,
            "exit": 0,
            "header": v.header,
            "chunk_count": v.chunk_count,
            "payload_len": v.payload_len,
            "image_len": v.stream_len,
            "image_digest": hex::encode(v.image_digest),
            "file_sha256": v.file_sha256.map(hex::encode),
            "payload_out": payload_out.map(|p| p.display().to_string()),
            "state": match &v.decoded { Some(Decoded::State(s)) => Some(s), _ => None },
            "decoder": match &v.decoded { Some(Decoded::NoDecoder(m)) => Some(m), _ => None },
        }));
    }
    let mut lines = v.header_lines.clone();
    lines.push((
        "payload".into(),
        format!(
            "{} in {}{}",
            report::count(v.payload_len, "byte"),
            report::count(v.chunk_count, "chunk"),
            payload_out.map(|p| format!(", written to {}", p.display())).unwrap_or_default()
        ),
    ));
    lines.push(("image size".into(), report::count(v.stream_len, "byte")));
    lines.push((
        "image digest".into(),
        format!("{} (spec 5.4: what the seal signs; not the file's sha256sum)", hex::encode(v.image_digest)),
    ));
    if let Some(d) = v.file_sha256 {
        lines.push(("file sha256".into(), format!("{} (what sha256sum prints)", hex::encode(d))));
    }
    let mut text = format!(
        "VERIFIED {name}\n{}The seal is valid, the signing key is trusted for this device, and the state may be restored.\n",
        report::aligned(&lines, 2)
    );
    match &v.decoded {
        Some(Decoded::State(state)) => {
            let pretty = serde_json::to_string_pretty(state).unwrap_or_default();
            text.push_str("Decoded device state (every invariant of its codec checked):\n");
            for line in pretty.lines() {
                text.push_str(&format!("  {line}\n"));
            }
        }
        Some(Decoded::NoDecoder(m)) => text.push_str(&format!("Not decoded: {m}.\n")),
        _ => {}
    }
    sink.emit(&text)
}

fn print_state_refused(name: &str, v: &Verified, f: &Failure, sink: Sink) -> Result<()> {
    if sink.json {
        let mut value = f.to_json();
        if let Some(obj) = value.as_object_mut() {
            obj.insert("verdict".into(), "state-refused".into());
            obj.insert("image".into(), name.into());
            obj.insert("header".into(), v.header.clone());
        }
        return sink.emit_json(&value);
    }
    sink.emit(&format!(
        "REFUSED {name} (exit {}: {})\nThe image verified, but its codec refused the device state, which must not be restored:\n{}",
        f.exit.code(),
        f.exit.describe(),
        f.message
    ))
}

fn print_refused(name: &str, f: &Failure, payload_out: Option<&Path>, sink: Sink) -> Result<()> {
    if sink.json {
        let mut value = f.to_json();
        if let Some(obj) = value.as_object_mut() {
            obj.insert("verdict".into(), "refused".into());
            obj.insert("image".into(), name.into());
        }
        return sink.emit_json(&value);
    }
    let mut text = format!("REFUSED {name} (exit {}: {})\n", f.exit.code(), f.exit.describe());
    for line in [f.summary.as_ref(), Some(&f.message), f.hint.as_ref()].into_iter().flatten() {
        text.push_str(line);
        text.push('\n');
    }
    if let Some(p) = payload_out {
        text.push_str(&format!("Nothing was written to {}.", p.display()));
    }
    sink.emit(&text)
}
