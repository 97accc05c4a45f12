//! Measurements of whole programs: `migseal verify` reading a multi-GiB
//! image from a pipe (peak RSS through getrusage), and `migseal verify`
//! against `openssl dgst -sha256` on the same file.

use std::fs::File;
use std::io::{BufWriter, ErrorKind, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use nix::sys::resource::{UsageWho, getrusage};
use serde_json::{Value, json};

use crate::fixtures::{self, mtty2_spec};

/// Chunk size of the images the programs read (the CLI's default).
pub const CHUNK: usize = 1 << 20;

/// One `migseal verify -` run fed from a pipe.
#[derive(Clone, Debug, PartialEq)]
pub struct PipeRun {
    /// Payload bytes in the image.
    pub payload_bytes: u64,
    /// Image bytes written into the pipe.
    pub image_bytes: u64,
    /// Wall time from spawn to exit (the generator seals on another core).
    pub seconds: f64,
    /// Peak resident set of `migseal verify`, KiB.
    pub max_rss_kib: u64,
    /// Whether it said VERIFIED (exit 0, `"verdict":"verified"`).
    pub verified: bool,
    /// What it printed, when it did not verify.
    pub detail: String,
}

impl PipeRun {
    /// As JSON, for the parent process.
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "payload_bytes": self.payload_bytes,
            "image_bytes": self.image_bytes,
            "seconds": self.seconds,
            "max_rss_kib": self.max_rss_kib,
            "verified": self.verified,
            "detail": self.detail,
        })
    }

    /// From [`PipeRun::to_json`]'s output.
    ///
    /// # Errors
    ///
    /// A message when a field is missing.
    pub fn from_json(v: &Value) -> Result<Self, String> {
        let u = |k: &str| v.get(k).and_then(Value::as_u64).ok_or_else(|| format!("pipe run: no {k} in {v}"));
        Ok(Self {
            payload_bytes: u("payload_bytes")?,
            image_bytes: u("image_bytes")?,
            seconds: v.get("seconds").and_then(Value::as_f64).ok_or("pipe run: no seconds")?,
            max_rss_kib: u("max_rss_kib")?,
            verified: v.get("verified").and_then(Value::as_bool).ok_or("pipe run: no verified")?,
            detail: v.get("detail").and_then(Value::as_str).unwrap_or_default().to_owned(),
        })
    }
}

/// Streams a sealed image of `payload_bytes` into `cli verify -` and
/// reports its peak RSS. Run it in a process that has no other child
/// (the `pipe-rss` command of `migseal-bench`): RUSAGE_CHILDREN is the
/// maximum over every child this process waited for.
///
/// # Errors
///
/// When the CLI cannot start or getrusage fails.
pub fn pipe_verify(cli: &Path, root: &Path, payload_bytes: u64) -> Result<PipeRun, String> {
    let start = Instant::now();
    let mut child = Command::new(cli)
        .args(["--json", "verify", "-", "--policy"])
        .arg(root.join(fixtures::paths::DEFAULT_POLICY))
        .arg("--device")
        .arg(root.join(fixtures::paths::MTTY2_DEVICE))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        // Not a terminal: no progress bar, and its messages are kept.
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", cli.display()))?;
    let mut image_bytes = 0;
    if let Some(stdin) = child.stdin.take() {
        let mut pipe = BufWriter::with_capacity(64 << 10, stdin);
        match fixtures::write_image(&mut pipe, &mtty2_spec(), "linux", payload_bytes, CHUNK)
            .and_then(|n| pipe.flush().map(|()| n))
        {
            Ok(n) => image_bytes = n,
            // The verifier stopped reading: it refused the image. Its
            // verdict below says why.
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {}
            Err(e) => return Err(format!("writing the image into the pipe: {e}")),
        }
    }
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).map_err(|e| format!("reading the verdict: {e}"))?;
    }
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut stderr).map_err(|e| format!("reading its messages: {e}"))?;
    }
    let status = child.wait().map_err(|e| format!("waiting for {}: {e}", cli.display()))?;
    let seconds = start.elapsed().as_secs_f64();
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).map_err(|e| format!("getrusage: {e}"))?;
    let verified = status.success() && verdict_is_verified(&stdout);
    Ok(PipeRun {
        payload_bytes,
        image_bytes,
        seconds,
        // ru_maxrss is in KiB on Linux.
        max_rss_kib: u64::try_from(usage.max_rss()).unwrap_or(0),
        verified,
        detail: if verified { String::new() } else { format!("exit {status}: {stdout}{stderr}") },
    })
}

/// Whether `--json` output says `"verdict": "verified"`.
#[must_use]
pub fn verdict_is_verified(stdout: &str) -> bool {
    serde_json::from_str::<Value>(stdout.trim())
        .ok()
        .and_then(|v| v.get("verdict").and_then(Value::as_str).map(|s| s == "verified"))
        .unwrap_or(false)
}

/// Writes an mtty-2 image of `payload_bytes` in 1 MiB chunks to `path`.
///
/// # Errors
///
/// I/O failures, with the path.
pub fn write_image_file(path: &Path, payload_bytes: u64) -> Result<u64, String> {
    let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let n = fixtures::write_image(&mut out, &mtty2_spec(), "linux", payload_bytes, CHUNK)
        .and_then(|n| out.flush().map(|()| n))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(n)
}

/// Runs `command` to completion with its output discarded; returns the
/// wall time in seconds.
///
/// # Errors
///
/// When it cannot start or exits unsuccessfully.
pub fn time_command(command: &mut Command) -> Result<f64, String> {
    let shown = format!("{command:?}");
    let start = Instant::now();
    let out = command.stdin(Stdio::null()).output().map_err(|e| format!("cannot run {shown}: {e}"))?;
    let secs = start.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(format!(
            "{shown} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(secs)
}

/// `migseal verify FILE` against `openssl dgst -sha256 FILE`, best of
/// `runs` each (interleaved, the file in the page cache).
#[derive(Clone, Debug, PartialEq)]
pub struct CliRun {
    /// Image bytes.
    pub image_bytes: u64,
    /// Best `migseal verify` time, seconds.
    pub migseal_seconds: f64,
    /// Best `openssl dgst -sha256` time, seconds; `None` without openssl.
    pub openssl_seconds: Option<f64>,
    /// `openssl version`.
    pub openssl_version: Option<String>,
}

/// `cli --json verify IMAGE` against the shipped default policy and mtty-2
/// device.
#[must_use]
pub fn verify_command(cli: &Path, root: &Path, image: &Path) -> Command {
    let mut c = Command::new(cli);
    c.args(["--json", "verify"])
        .arg(image)
        .arg("--policy")
        .arg(root.join(fixtures::paths::DEFAULT_POLICY))
        .arg("--device")
        .arg(root.join(fixtures::paths::MTTY2_DEVICE));
    c
}

/// Runs [`verify_command`] once and checks that it says VERIFIED.
///
/// # Errors
///
/// When it cannot run or does not verify the image.
pub fn check_verifies(cli: &Path, root: &Path, image: &Path) -> Result<(), String> {
    let out = verify_command(cli, root, image)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", cli.display()))?;
    if out.status.success() && verdict_is_verified(&String::from_utf8_lossy(&out.stdout)) {
        Ok(())
    } else {
        Err(format!(
            "{} verify did not verify {}: {}{}",
            cli.display(),
            image.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Best of `runs` timed [`verify_command`] runs, seconds, after one
/// checked run.
///
/// # Errors
///
/// As [`check_verifies`] and [`time_command`].
pub fn best_verify_seconds(cli: &Path, root: &Path, image: &Path, runs: usize) -> Result<f64, String> {
    check_verifies(cli, root, image)?;
    let mut best = f64::INFINITY;
    for _ in 0..runs.max(1) {
        best = best.min(time_command(&mut verify_command(cli, root, image))?);
    }
    Ok(best)
}

/// Times the CLI and openssl on `image` (written by [`write_image_file`]).
///
/// # Errors
///
/// When `migseal verify` fails or does not say VERIFIED, or openssl
/// exists but fails.
pub fn cli_vs_openssl(cli: &Path, root: &Path, image: &Path, runs: usize) -> Result<CliRun, String> {
    let image_bytes = std::fs::metadata(image).map_err(|e| format!("{}: {e}", image.display()))?.len();
    let openssl_version = crate::machine::version_of("openssl", &["version"]);
    // One untimed run: the file into the page cache, and the verdict.
    check_verifies(cli, root, image)?;
    let mut best_migseal = f64::INFINITY;
    let mut best_openssl = f64::INFINITY;
    for _ in 0..runs.max(1) {
        best_migseal = best_migseal.min(time_command(&mut verify_command(cli, root, image))?);
        if openssl_version.is_some() {
            let secs = time_command(Command::new("openssl").args(["dgst", "-sha256"]).arg(image))?;
            best_openssl = best_openssl.min(secs);
        }
    }
    Ok(CliRun {
        image_bytes,
        migseal_seconds: best_migseal,
        openssl_seconds: openssl_version.is_some().then_some(best_openssl),
        openssl_version,
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::unreachable
)]
mod tests {
    use super::*;

    #[test]
    fn verdict_parsing() {
        assert!(verdict_is_verified("{\"verdict\":\"verified\",\"exit\":0}\n"));
        assert!(!verdict_is_verified("{\"verdict\":\"refused\"}"));
        assert!(!verdict_is_verified("VERIFIED x"));
        assert!(!verdict_is_verified(""));
    }

    #[test]
    fn pipe_run_round_trips_through_json() {
        let run = PipeRun {
            payload_bytes: 1,
            image_bytes: 2,
            seconds: 0.5,
            max_rss_kib: 3000,
            verified: false,
            detail: "exit 13".into(),
        };
        assert_eq!(PipeRun::from_json(&run.to_json()).unwrap(), run);
        assert!(PipeRun::from_json(&json!({"payload_bytes": 1})).is_err());
    }

    #[test]
    fn failing_commands_are_errors() {
        assert!(time_command(&mut Command::new("false")).is_err());
        assert!(time_command(&mut Command::new("/nonexistent/program")).is_err());
        assert!(time_command(&mut Command::new("true")).unwrap() >= 0.0);
    }
}
