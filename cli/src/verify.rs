//! `migseal verify`: stream an image through the verifier with one fixed
//! read buffer (constant memory whatever the image size), stage payload
//! bytes to a temporary file, and give it its name only when the seal
//! verified.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use migseal::policy_file::{PolicyFile, PolicyFileError};
use migseal_format::envelope::Descriptor;
use migseal_verifier::{Policy, Verifier};
use serde_json::{Value, json};

use crate::descriptor_file::{self, parse_json};
use crate::error::{Exit, Failure, Result};
use crate::files::{self, Staged};
use crate::report;

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
    /// Where the payload goes, once verified.
    pub payload_out: Option<PathBuf>,
    /// Decode the verified payload with its reference codec.
    pub decode: bool,
    /// Bytes per read.
    pub read_size: usize,
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
    }
}

/// The verdict, owned.
struct Verified {
    header: Value,
    header_lines: Vec<(String, String)>,
    chunk_count: u64,
    payload_len: u64,
    image_digest: [u8; 32],
    stream_len: u64,
    /// `--decode`: the decoded state as JSON, or the codec's refusal.
    decoded: Option<std::result::Result<Value, Failure>>,
}

/// Runs `verify`; prints the verdict; returns the exit class.
///
/// # Errors
///
/// Failures that are not a verdict: unreadable files, bad policy.
pub fn run(args: &Args, json_out: bool) -> Result<Exit> {
    let policy_file = load_policy(&args.policy)?;
    let device_bytes = descriptor_file::load(&args.device)?;
    let device = Descriptor::decode(&device_bytes)
        .map_err(|e| Failure::format(&e, Some(&args.device.display().to_string())))?;
    let mut input = files::open_input(&args.image)?;
    let mut staged = match &args.payload_out {
        Some(p) => Some(Staged::new(p, 0o600)?),
        None => None,
    };
    let name = input.name.clone();

    let outcome = policy_file
        .with_policy(|policy| {
            stream(policy, &device, &mut input, staged.as_mut(), args.read_size, args.decode)
        })
        .map_err(|e| policy_failure(&args.policy, &e))?;

    match outcome {
        Ok(v) => {
            if let Some(Err(refused)) = &v.decoded {
                // Verified, but the state itself is malformed: nothing is
                // written, and the exit code says so.
                drop(staged);
                print_state_refused(&name, &v, refused, json_out);
                return Ok(refused.exit);
            }
            if let Some(s) = staged {
                s.commit(true)?;
            }
            print_verified(&name, &v, args.payload_out.as_deref(), json_out);
            Ok(Exit::Success)
        }
        Err(Refusal::Io(f)) => Err(f),
        Err(Refusal::Verifier(e)) => {
            // `staged` is dropped here: its temporary file disappears, so a
            // refused image leaves no payload behind.
            drop(staged);
            let failure = Failure::verifier(&e, None);
            print_refused(&name, &failure, args.payload_out.as_deref(), json_out);
            Ok(failure.exit)
        }
    }
}

enum Refusal {
    Io(Failure),
    Verifier(migseal_verifier::Error),
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
    mut staged: Option<&mut Staged>,
    read_size: usize,
    decode: bool,
) -> std::result::Result<Verified, Refusal> {
    let mut v = Verifier::default();
    let mut held: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; read_size.max(1)];
    let bar = progress(input.len);
    loop {
        let n = files::read_some(&mut input.reader, &mut buf)
            .map_err(|e| Refusal::Io(Failure::io(Path::new(&input.name), "read it", &e)))?;
        if n == 0 {
            break;
        }
        let mut rest = buf.get(..n).unwrap_or(&[]);
        while !rest.is_empty() {
            let step = v.advance(policy, device, rest).map_err(Refusal::Verifier)?;
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
    let verdict = v.finish().map_err(Refusal::Verifier)?;
    let decoded = decode.then(|| {
        // `held` is exactly the payload pieces the verifier reported, in
        // order: what `stored_payload_less_safe` asks the caller to vouch for.
        let payload = verdict.stored_payload_less_safe(&held).ok_or_else(|| {
            Failure::new(Exit::Internal, "the held payload differs in length from the verified one")
        })?;
        migseal_codecs::Registry::decode(payload)
            .map(|d| migseal_codecs::describe::to_json(&d))
            .map_err(|e| Failure::codec(&e))
    });
    let h = verdict.header();
    Ok(Verified {
        header: report::header_json(h),
        header_lines: report::header_lines(h),
        chunk_count: verdict.chunk_count(),
        payload_len: verdict.payload_len(),
        image_digest: *verdict.image_digest(),
        stream_len,
        decoded,
    })
}

fn print_verified(name: &str, v: &Verified, payload_out: Option<&Path>, json_out: bool) {
    let mut out = std::io::stdout().lock();
    if json_out {
        let value = json!({
            "verdict": "verified",
            "image": name,
            "exit": 0,
            "header": v.header,
            "chunk_count": v.chunk_count,
            "payload_len": v.payload_len,
            "image_len": v.stream_len,
            "image_digest": hex::encode(v.image_digest),
            "payload_out": payload_out.map(|p| p.display().to_string()),
            "state": v.decoded.as_ref().and_then(|d| d.as_ref().ok()),
        });
        let _ = writeln!(out, "{value}");
        return;
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
    lines.push(("image".into(), format!("sha256:{} ({} bytes)", hex::encode(v.image_digest), v.stream_len)));
    let _ = write!(
        out,
        "VERIFIED {name}\n{}The seal is valid, the signing key is trusted for this device, and the state may be restored.\n",
        report::aligned(&lines, 2)
    );
    if let Some(Ok(state)) = &v.decoded {
        let text = serde_json::to_string_pretty(state).unwrap_or_default();
        let _ = writeln!(out, "Decoded device state (every invariant of its codec checked):");
        for line in text.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
}

fn print_state_refused(name: &str, v: &Verified, f: &Failure, json_out: bool) {
    let mut out = std::io::stdout().lock();
    if json_out {
        let mut value = f.to_json();
        if let Some(obj) = value.as_object_mut() {
            obj.insert("verdict".into(), "state-refused".into());
            obj.insert("image".into(), name.into());
            obj.insert("header".into(), v.header.clone());
        }
        let _ = writeln!(out, "{value}");
        return;
    }
    let _ = writeln!(out, "REFUSED {name} (exit {}: {})", f.exit.code(), f.exit.describe());
    let _ = writeln!(out, "The image verified, but its device state must not be restored:");
    let _ = writeln!(out, "{}", f.message);
}

fn print_refused(name: &str, f: &Failure, payload_out: Option<&Path>, json_out: bool) {
    let mut out = std::io::stdout().lock();
    if json_out {
        let mut value = f.to_json();
        if let Some(obj) = value.as_object_mut() {
            obj.insert("verdict".into(), "refused".into());
            obj.insert("image".into(), name.into());
        }
        let _ = writeln!(out, "{value}");
        return;
    }
    let _ = writeln!(out, "REFUSED {name} (exit {}: {})", f.exit.code(), f.exit.describe());
    let _ = writeln!(out, "{}", f.message);
    if let Some(p) = payload_out {
        let _ = writeln!(out, "Nothing was written to {}.", p.display());
    }
}
