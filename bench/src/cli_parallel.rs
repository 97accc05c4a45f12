//! Parallel hashing in the CLI (issue 18 item 1) against the single-stream
//! peers, in one run on the same bytes: `migseal verify FILE` against
//! `openssl dgst -sha256 FILE`, `migseal verify -` against
//! `openssl dgst -sha256` reading the same pipe (both fed by `cat`), and
//! `migseal seal` against `sha256sum` on the same raw file. migseal runs
//! with its default thread count (the cores); the peers are bound to one
//! stream by their format. The 4 GiB pipe RSS goal is the report's pipe
//! figure, which runs `migseal verify -` with the default thread count too.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::comparisons::{Goal, Outcome};
use crate::mode::{Mode, size_label};
use crate::system::{self, time_command, verify_command};
use crate::units;

/// `verify FILE`: speed ≥ 1.8× `openssl dgst -sha256 FILE`.
pub const VERIFY_FILE_GOAL: Goal = Goal::SpeedAtLeast(1.8);
/// `verify -` from a pipe: speed ≥ 1.6× openssl on the same pipe.
pub const VERIFY_PIPE_GOAL: Goal = Goal::SpeedAtLeast(1.6);
/// `seal`: speed ≥ 1.8× `sha256sum`.
pub const SEAL_GOAL: Goal = Goal::SpeedAtLeast(1.8);

/// One migseal figure and its peer's, best of the runs, seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    /// migseal's best time.
    pub migseal_seconds: f64,
    /// The peer's best time; `None` when the peer is not installed.
    pub peer_seconds: Option<f64>,
}

impl Pair {
    /// Peer time / migseal time.
    #[must_use]
    pub fn speed_ratio(&self) -> Option<f64> {
        self.peer_seconds.map(|p| p / self.migseal_seconds)
    }
}

/// The three comparisons of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct ParallelRun {
    /// Image bytes verified (the raw file sealed is its payload).
    pub image_bytes: u64,
    /// Payload bytes.
    pub payload_bytes: u64,
    /// Threads migseal used (its default: the cores).
    pub threads: usize,
    /// `verify FILE` against `openssl dgst -sha256 FILE`.
    pub verify_file: Pair,
    /// `cat FILE | verify -` against `cat FILE | openssl dgst -sha256`.
    pub verify_pipe: Pair,
    /// `seal RAW --out /dev/null` against `sha256sum RAW`.
    pub seal: Pair,
}

/// Runs `producer | consumer` to completion, output discarded; wall time
/// from spawning both to the consumer's exit.
///
/// # Errors
///
/// When either cannot start or fails.
pub fn time_pipeline(producer: &mut Command, consumer: &mut Command) -> Result<f64, String> {
    let shown = format!("{producer:?} | {consumer:?}");
    let start = Instant::now();
    let mut p = producer
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let pipe = p.stdout.take().ok_or_else(|| format!("{shown}: no pipe"))?;
    let out = consumer.stdin(pipe).output().map_err(|e| format!("cannot run {shown}: {e}"))?;
    let secs = start.elapsed().as_secs_f64();
    let status = p.wait().map_err(|e| format!("{shown}: {e}"))?;
    if !out.status.success() || !status.success() {
        return Err(format!(
            "{shown} failed ({status}, {}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(secs)
}

/// Writes `bytes` of filler (any content hashes at the same speed).
fn write_raw(path: &Path, bytes: u64) -> Result<(), String> {
    let block: Vec<u8> = (0..1u32 << 20).map(|i| i.wrapping_mul(2_654_435_761).to_be_bytes()[0]).collect();
    let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut left = bytes;
    while left > 0 {
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(block.len());
        out.write_all(block.get(..n).unwrap_or(&[])).map_err(|e| format!("{}: {e}", path.display()))?;
        left = left.saturating_sub(u64::try_from(n).unwrap_or(u64::MAX));
    }
    out.flush().map_err(|e| format!("{}: {e}", path.display()))
}

fn seal_command(cli: &Path, raw: &Path, key: &Path) -> Command {
    let mut c = Command::new(cli);
    c.arg("seal").arg(raw).arg("--key").arg(key).args([
        "--vendor",
        "linux",
        "--device-api",
        "vfio-pci",
        "--device-type",
        "mtty-2",
        "--state-version",
        "1.0",
        "--codec",
        "mtty",
        "--out",
        "/dev/null",
    ]);
    c
}

fn best(runs: usize, mut f: impl FnMut() -> Result<f64, String>) -> Result<f64, String> {
    let mut best = f64::INFINITY;
    for _ in 0..runs.max(1) {
        best = best.min(f()?);
    }
    Ok(best)
}

/// Measures the three comparisons on `mode`'s CLI size (1 GiB full,
/// 64 MiB quick) in `work`, best of `mode.runs()` each. The files are
/// removed afterwards.
///
/// # Errors
///
/// When a file cannot be written, or migseal or an installed peer fails.
pub fn measure(cli: &Path, root: &Path, work: &Path, mode: Mode) -> Result<ParallelRun, String> {
    measure_size(cli, root, work, mode.cli_bytes(), mode.runs())
}

/// [`measure`] on `payload_bytes` of payload, best of `runs`.
///
/// # Errors
///
/// As [`measure`].
pub fn measure_size(
    cli: &Path,
    root: &Path,
    work: &Path,
    payload_bytes: u64,
    runs: usize,
) -> Result<ParallelRun, String> {
    let image = work.join("parallel-image.migseal");
    let raw = work.join("parallel-raw.bin");
    let key = work.join("parallel-key");
    let result = measure_files(cli, root, &image, &raw, &key, payload_bytes, runs);
    for p in [&image, &raw, &key, &PathBuf::from(format!("{}.pub", key.display()))] {
        let _ = std::fs::remove_file(p);
    }
    result
}

fn measure_files(
    cli: &Path,
    root: &Path,
    image: &Path,
    raw: &Path,
    key: &Path,
    payload_bytes: u64,
    runs: usize,
) -> Result<ParallelRun, String> {
    let image_bytes = system::write_image_file(image, payload_bytes)?;
    write_raw(raw, payload_bytes)?;
    time_command(Command::new(cli).args(["keygen", "--force", "--out"]).arg(key))?;
    let openssl = crate::machine::version_of("openssl", &["version"]).is_some();
    let sha256sum = crate::machine::version_of("sha256sum", &["--version"]).is_some();
    // Untimed: the files into the page cache, and the verdict.
    system::check_verifies(cli, root, image)?;
    time_command(&mut seal_command(cli, raw, key))?;
    let cat = |p: &Path| {
        let mut c = Command::new("cat");
        c.arg(p);
        c
    };
    let mut pipe_verify = || {
        let mut c = verify_command(cli, root, Path::new("-"));
        time_pipeline(&mut cat(image), &mut c)
    };
    let verify_file = Pair {
        migseal_seconds: best(runs, || time_command(&mut verify_command(cli, root, image)))?,
        peer_seconds: if openssl {
            Some(best(runs, || time_command(Command::new("openssl").args(["dgst", "-sha256"]).arg(image)))?)
        } else {
            None
        },
    };
    let verify_pipe = Pair {
        migseal_seconds: best(runs, &mut pipe_verify)?,
        peer_seconds: if openssl {
            Some(best(runs, || {
                time_pipeline(&mut cat(image), Command::new("openssl").args(["dgst", "-sha256"]))
            })?)
        } else {
            None
        },
    };
    let seal = Pair {
        migseal_seconds: best(runs, || time_command(&mut seal_command(cli, raw, key)))?,
        peer_seconds: if sha256sum {
            Some(best(runs, || time_command(Command::new("sha256sum").arg(raw)))?)
        } else {
            None
        },
    };
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    Ok(ParallelRun { image_bytes, payload_bytes, threads, verify_file, verify_pipe, seal })
}

fn outcome_cell(goal: Goal, ratio: Option<f64>) -> String {
    match ratio.map(|r| goal.judge(r)) {
        Some(Outcome::Met) => "met".into(),
        Some(Outcome::Missed(by)) => format!("**missed** by {}", units::percent(by)),
        Some(Outcome::NoGoal) | None => "—".into(),
    }
}

impl ParallelRun {
    fn comparisons(&self) -> [(&'static str, &'static str, Goal, &Pair); 3] {
        [
            ("`migseal verify FILE`", "`openssl dgst -sha256 FILE`", VERIFY_FILE_GOAL, &self.verify_file),
            (
                "`cat FILE \\| migseal verify -`",
                "`cat FILE \\| openssl dgst -sha256`",
                VERIFY_PIPE_GOAL,
                &self.verify_pipe,
            ),
            ("`migseal seal RAW --out /dev/null`", "`sha256sum RAW`", SEAL_GOAL, &self.seal),
        ]
    }

    /// Rows for the report's goals table (`| goal | measured | result |`).
    #[must_use]
    pub fn goal_rows(&self) -> String {
        let mut s = String::new();
        for (subject, peer, goal, pair) in self.comparisons() {
            let measured = pair.speed_ratio().map_or_else(
                || "skipped: peer not installed".to_owned(),
                |r| format!("{} speed", units::ratio(r)),
            );
            let _ = writeln!(
                s,
                "| {subject} on a {} image, {} threads: speed {} {peer} | {measured} | {} |",
                size_label(self.payload_bytes),
                self.threads,
                match goal {
                    Goal::SpeedAtLeast(x) => format!("≥ {x}×"),
                    Goal::TimeAtMost(x) => format!("time ≤ {x}×"),
                    Goal::None => "vs".to_owned(),
                },
                outcome_cell(goal, pair.speed_ratio())
            );
        }
        s
    }

    /// The report's section with the times behind the goal rows.
    #[must_use]
    pub fn section(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "## Parallel hashing in the CLI\n\n\
             The CLI hashes chunks on as many threads as cores (`--threads N`; 1 is the one-thread \
             streaming path): a regular file by positioned reads, a pipe through a bounded queue of \
             whole chunks. The peers hash one stream. {} payload in 1 MiB chunks, best of the runs, \
             files in the page cache; `seal` writes to /dev/null.\n\n\
             | what | migseal | peer | speed ratio | goal | result |\n|---|---|---|---|---|---|",
            size_label(self.payload_bytes)
        );
        for (subject, peer, goal, pair) in self.comparisons() {
            let rate = |secs: f64| units::rate(to_f64(self.image_bytes) / secs);
            let _ = writeln!(
                s,
                "| {subject} | {:.3} s ({}) | {peer}: {} | {} | {} | {} |",
                pair.migseal_seconds,
                rate(pair.migseal_seconds),
                pair.peer_seconds
                    .map_or_else(|| "not installed".to_owned(), |p| format!("{p:.3} s ({})", rate(p))),
                pair.speed_ratio().map_or_else(|| "—".to_owned(), units::ratio),
                goal.describe(),
                outcome_cell(goal, pair.speed_ratio())
            );
        }
        let _ = writeln!(s);
        s
    }
}

#[allow(clippy::cast_precision_loss, clippy::as_conversions)]
fn to_f64(x: u64) -> f64 {
    x as f64
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn run(peer: Option<f64>) -> ParallelRun {
        let pair = |m: f64| Pair { migseal_seconds: m, peer_seconds: peer };
        ParallelRun {
            image_bytes: 1 << 30,
            payload_bytes: 1 << 30,
            threads: 2,
            verify_file: pair(0.25),
            verify_pipe: pair(0.5),
            seal: pair(1.0),
        }
    }

    #[test]
    fn rows_judge_each_goal() {
        let rows = run(Some(0.5)).goal_rows();
        let lines: Vec<&str> = rows.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].contains("2.00× speed") && lines[0].ends_with("| met |"), "{}", lines[0]);
        assert!(lines[1].contains("**missed**"), "{}", lines[1]);
        assert!(lines[2].contains("**missed**"), "{}", lines[2]);
        assert!(run(None).goal_rows().contains("skipped: peer not installed"));
        assert!(run(Some(0.5)).section().contains("## Parallel hashing in the CLI"));
    }

    #[test]
    fn failing_pipelines_are_errors() {
        assert!(time_pipeline(&mut Command::new("true"), &mut Command::new("false")).is_err());
        assert!(time_pipeline(&mut Command::new("echo"), &mut Command::new("cat")).unwrap() >= 0.0);
    }
}
