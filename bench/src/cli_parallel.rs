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

use nix::sys::resource::{UsageWho, getrusage};

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
    /// The CPU accounting of the best pipe runs: migseal's, and openssl's
    /// when installed.
    pub pipe_cpu: Option<(PipelineRun, Option<PipelineRun>)>,
}

/// CPU time of one process: user and system seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cpu {
    /// User time (for migseal: mostly hashing).
    pub user: f64,
    /// System time (reads, writes, pipe copies, page faults).
    pub system: f64,
}

impl Cpu {
    /// User plus system.
    #[must_use]
    pub fn total(self) -> f64 {
        self.user + self.system
    }

    fn since(self, before: Self) -> Self {
        Self { user: self.user - before.user, system: self.system - before.system }
    }
}

/// One `producer | consumer` run: wall time, and each side's CPU time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PipelineRun {
    /// From spawning both to the consumer's exit.
    pub seconds: f64,
    /// The producer's (`cat`'s) CPU time.
    pub producer: Cpu,
    /// The consumer's CPU time.
    pub consumer: Cpu,
}

impl PipelineRun {
    /// How many cores the pipeline kept busy on average.
    #[must_use]
    pub fn cores_busy(&self) -> f64 {
        (self.producer.total() + self.consumer.total()) / self.seconds
    }
}

/// CPU time of every child this process has waited for so far
/// (getrusage RUSAGE_CHILDREN); the difference across one wait is that
/// child's.
fn children_cpu() -> Result<Cpu, String> {
    let u = getrusage(UsageWho::RUSAGE_CHILDREN).map_err(|e| format!("getrusage: {e}"))?;
    let secs = |t: nix::sys::time::TimeVal| {
        to_f64(t.tv_sec().unsigned_abs()) + to_f64(t.tv_usec().unsigned_abs()) / 1e6
    };
    Ok(Cpu { user: secs(u.user_time()), system: secs(u.system_time()) })
}

/// Runs `producer | consumer` to completion, output discarded: the wall
/// time from spawning both to the consumer's exit, and each side's CPU
/// time (the consumer is waited for first, then the producer, so the
/// children's CPU counter grows by one process at a time).
///
/// # Errors
///
/// When either cannot start or fails.
pub fn time_pipeline(producer: &mut Command, consumer: &mut Command) -> Result<PipelineRun, String> {
    let shown = format!("{producer:?} | {consumer:?}");
    let before = children_cpu()?;
    let start = Instant::now();
    let mut p = producer
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let pipe = p.stdout.take().ok_or_else(|| format!("{shown}: no pipe"))?;
    let out = consumer.stdin(pipe).output().map_err(|e| format!("cannot run {shown}: {e}"))?;
    let seconds = start.elapsed().as_secs_f64();
    let after_consumer = children_cpu()?;
    let status = p.wait().map_err(|e| format!("{shown}: {e}"))?;
    let after_producer = children_cpu()?;
    if !out.status.success() || !status.success() {
        return Err(format!(
            "{shown} failed ({status}, {}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(PipelineRun {
        seconds,
        consumer: after_consumer.since(before),
        producer: after_producer.since(after_consumer),
    })
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

/// The fastest of `runs` pipeline runs.
fn best_pipeline(
    runs: usize,
    mut f: impl FnMut() -> Result<PipelineRun, String>,
) -> Result<PipelineRun, String> {
    let mut best = f()?;
    for _ in 1..runs.max(1) {
        let r = f()?;
        if r.seconds < best.seconds {
            best = r;
        }
    }
    Ok(best)
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
    let migseal_pipe = best_pipeline(runs, &mut pipe_verify)?;
    let openssl_pipe = if openssl {
        Some(best_pipeline(runs, || {
            time_pipeline(&mut cat(image), Command::new("openssl").args(["dgst", "-sha256"]))
        })?)
    } else {
        None
    };
    let verify_pipe =
        Pair { migseal_seconds: migseal_pipe.seconds, peer_seconds: openssl_pipe.map(|r| r.seconds) };
    let seal = Pair {
        migseal_seconds: best(runs, || time_command(&mut seal_command(cli, raw, key)))?,
        peer_seconds: if sha256sum {
            Some(best(runs, || time_command(Command::new("sha256sum").arg(raw)))?)
        } else {
            None
        },
    };
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    Ok(ParallelRun {
        image_bytes,
        payload_bytes,
        threads,
        verify_file,
        verify_pipe,
        seal,
        pipe_cpu: Some((migseal_pipe, openssl_pipe)),
    })
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

    /// Why each goal this run missed was missed, one list item each, for
    /// the report's "Missed goals" (empty when all are met).
    #[must_use]
    pub fn misses(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for (subject, _, goal, pair) in self.comparisons() {
            let Some(Outcome::Missed(by)) = pair.speed_ratio().map(|r| goal.judge(r)) else { continue };
            let why = match (std::ptr::eq(pair, &self.verify_pipe), &self.pipe_cpu) {
                (true, Some((m, o))) => self.pipe_why(goal, m, o.as_ref()),
                _ => format!(
                    "{} hashing threads on this machine; chunks are hashed independently, so the ideal is \
                     that many times one core's SHA-256 rate, less the reads",
                    self.threads
                ),
            };
            notes.push(format!("- **{subject}** missed by {}: {why}.", units::percent(by)));
        }
        notes
    }

    /// Why the pipe figure missed, from the CPU accounting of the best
    /// runs: whether the cores were saturated, and by what.
    fn pipe_why(&self, goal: Goal, m: &PipelineRun, o: Option<&PipelineRun>) -> String {
        let cores = to_f64(u64::try_from(self.threads).unwrap_or(1));
        let used = m.producer.total() + m.consumer.total();
        let mut s = format!(
            "CPU accounting of the best run (getrusage of each process): the pipeline used {used:.2} s of \
             CPU in {:.3} s, {:.2} of {cores:.0} cores busy: `cat` {:.2} s user + {:.2} s system (file → \
             pipe), migseal {:.2} s user (hashing, mostly) + {:.2} s system (pipe → its buffers)",
            m.seconds,
            m.cores_busy(),
            m.producer.user,
            m.producer.system,
            m.consumer.user,
            m.consumer.system,
        );
        if m.cores_busy() >= 0.9 * cores {
            let floor = used / cores;
            let _ = write!(
                s,
                ". The cores were saturated: with this much CPU work {cores:.0} cores finish no sooner than \
                 {floor:.3} s"
            );
            if let (Some(o), Goal::SpeedAtLeast(x)) = (o, goal) {
                let _ = write!(
                    s,
                    ", {} openssl's pipe time at best, where the goal needs {:.3} s; more threads cannot \
                     help, only fewer copies",
                    units::ratio(o.seconds / floor),
                    o.seconds / x
                );
            }
        } else {
            let _ = write!(
                s,
                ". The pipeline itself kept fewer cores busy than there are: for the rest it waited, on \
                 the pipe's hand-offs between `cat` and the reader or for CPU that other processes held \
                 (the report's CPU samples before and after the run say which)"
            );
        }
        if let Some(o) = o {
            let _ = write!(
                s,
                ". openssl's pipeline used {:.2} s of CPU in {:.3} s ({:.2} cores busy: one hashing thread \
                 and `cat`)",
                o.producer.total() + o.consumer.total(),
                o.seconds,
                o.cores_busy()
            );
        }
        s
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
            pipe_cpu: None,
        }
    }

    fn pipeline(seconds: f64, cat: (f64, f64), consumer: (f64, f64)) -> PipelineRun {
        PipelineRun {
            seconds,
            producer: Cpu { user: cat.0, system: cat.1 },
            consumer: Cpu { user: consumer.0, system: consumer.1 },
        }
    }

    #[test]
    fn a_pipe_miss_is_explained_from_the_cpu_accounting() {
        let mut r = run(Some(0.7));
        // migseal 0.5 s against openssl 0.7 s: 1.4×, under the 1.6× goal.
        r.pipe_cpu =
            Some((pipeline(0.5, (0.05, 0.2), (0.45, 0.3)), Some(pipeline(0.7, (0.05, 0.2), (0.4, 0.1)))));
        let notes = r.misses();
        let pipe = notes.iter().find(|n| n.contains("cat FILE")).unwrap();
        assert!(pipe.contains("1.00 s of CPU in 0.500 s, 2.00 of 2 cores busy"), "{pipe}");
        assert!(pipe.contains("no sooner than 0.500 s, 1.40× openssl's pipe time at best"), "{pipe}");
        assert!(pipe.contains("the goal needs 0.437 s"), "{pipe}");
        assert!(pipe.contains("openssl's pipeline used 0.75 s of CPU in 0.700 s"), "{pipe}");
        // Idle cores: the explanation says so instead.
        r.pipe_cpu = Some((pipeline(0.5, (0.05, 0.05), (0.2, 0.1)), None));
        let pipe = r.misses().into_iter().find(|n| n.contains("cat FILE")).unwrap();
        assert!(pipe.contains("kept fewer cores busy than there are"), "{pipe}");
        // The file figure (2.8×) is met and has no note; seal (0.7×) does.
        assert_eq!(r.misses().len(), 2);
        assert!(run(None).misses().is_empty());
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
        let ok = time_pipeline(&mut Command::new("echo"), &mut Command::new("cat")).unwrap();
        assert!(ok.seconds >= 0.0 && ok.producer.total() >= 0.0 && ok.consumer.total() >= 0.0);
        // The consumer's CPU is its own: a busy consumer shows it, the idle producer does not.
        let busy = time_pipeline(
            &mut Command::new("true"),
            Command::new("sh").args(["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"]),
        )
        .unwrap();
        assert!(busy.consumer.user > busy.producer.user, "{busy:?}");
    }
}
