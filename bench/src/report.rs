//! BENCHMARKS.md: every figure of one run with its reference, the ratio,
//! the goal and whether it was met — and when not, by how much and why,
//! worked out from the same run's numbers.

use std::fmt::Write as _;
use std::path::Path;
use std::time::SystemTime;

use crate::comparisons::{self, Comparison, Goal, Outcome};
use crate::estimates::{self, Estimate};
use crate::machine::Machine;
use crate::mode::{Mode, size_label};
use crate::system::{CliRun, PipeRun};
use crate::units::{self, to_f64};
use crate::wasm::NodeRun;

/// Peak RSS goal for `migseal verify` on a 4 GiB pipe.
pub const RSS_GOAL_KIB: u64 = 16 << 10;
/// CLI time goal against `openssl dgst -sha256`.
pub const CLI_GOAL: Goal = Goal::TimeAtMost(1.1);
/// WASM speed goal against native single-threaded verification.
pub const WASM_GOAL: Goal = Goal::SpeedAtLeast(0.25);

/// One criterion comparison, read back.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The comparison.
    pub comparison: Comparison,
    /// migseal's estimate.
    pub subject: Estimate,
    /// The reference's estimate (summed over its benchmarks: medians and
    /// interval bounds add up).
    pub reference: Estimate,
}

impl Row {
    /// Reads both sides of `c`.
    ///
    /// # Errors
    ///
    /// When a benchmark's results are missing or older than `since`.
    pub fn read(dir: &Path, c: &Comparison, since: Option<SystemTime>) -> Result<Self, String> {
        let subject = estimates::read(dir, c.group, c.subject, since)?;
        let mut reference = Estimate { median_ns: 0.0, median_ci_ns: (0.0, 0.0), bytes: subject.bytes };
        for r in c.reference {
            let e = estimates::read(dir, c.group, r, since)?;
            reference.median_ns += e.median_ns;
            reference.median_ci_ns.0 += e.median_ci_ns.0;
            reference.median_ci_ns.1 += e.median_ci_ns.1;
        }
        Ok(Self { comparison: *c, subject, reference })
    }

    /// The ratio the goal is stated on.
    #[must_use]
    pub fn ratio(&self) -> f64 {
        self.comparison.goal.ratio(self.subject.median_ns, self.reference.median_ns)
    }

    /// The goal's outcome, including the absolute limit when there is one
    /// (the worse of the two misses counts).
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        let relative = self.comparison.goal.judge(self.ratio());
        match self.comparison.max_ns {
            Some(max) if self.subject.median_ns > max => {
                let by = (self.subject.median_ns - max) / max;
                match relative {
                    Outcome::Missed(r) => Outcome::Missed(r.max(by)),
                    Outcome::Met | Outcome::NoGoal => Outcome::Missed(by),
                }
            }
            _ => relative,
        }
    }

    /// The line the benchmark binary prints: both figures, the ratio, the
    /// goal's outcome.
    #[must_use]
    pub fn line(&self) -> String {
        let c = &self.comparison;
        let outcome = match self.outcome() {
            Outcome::Met => "goal met".to_owned(),
            Outcome::Missed(by) => format!("goal MISSED by {}", units::percent(by)),
            Outcome::NoGoal => "no goal".to_owned(),
        };
        let absolute = c.max_ns.map(|max| format!(", and ≤ {}", units::time(max))).unwrap_or_default();
        let rate =
            self.subject.bytes_per_second().map(|r| format!(" ({})", units::rate(r))).unwrap_or_default();
        format!(
            "RATIO {}: migseal {}{rate} vs {} {} -> {} {} (goal {}{absolute}: {outcome})",
            c.title,
            units::time(self.subject.median_ns),
            c.reference_title,
            units::time(self.reference.median_ns),
            units::ratio(self.ratio()),
            c.goal.ratio_kind(),
            c.goal.describe(),
        )
    }
}

/// Reads every comparison of [`comparisons::all`]; an error names the
/// first missing result.
///
/// # Errors
///
/// When a benchmark's results are missing or older than `since`.
pub fn read_rows(dir: &Path, since: Option<SystemTime>) -> Result<Vec<Row>, String> {
    comparisons::all().into_iter().map(|c| Row::read(dir, c, since)).collect()
}

/// Reads stand-alone figures (compat, header parts) by title.
///
/// # Errors
///
/// When a result is missing or stale.
pub fn read_times(
    dir: &Path,
    items: &[(&str, &str, &str)],
    since: Option<SystemTime>,
) -> Result<Vec<(String, f64)>, String> {
    items
        .iter()
        .map(|(group, bench, title)| {
            Ok(((*title).to_owned(), estimates::read(dir, group, bench, since)?.median_ns))
        })
        .collect()
}

/// The WASM figure, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub enum WasmFigure {
    /// Measured in Node, with native verification of the same bytes.
    Measured {
        /// The Node run.
        node: NodeRun,
        /// Native single-threaded `verify_image`, best time, seconds.
        native_seconds: f64,
        /// `migseal verify FILE` built with sha2's portable backend (no
        /// SHA-NI), best time, seconds: separates "no SHA instructions"
        /// from "WebAssembly" in the gap. Full mode only.
        native_portable_seconds: Option<f64>,
    },
    /// Not measured, and why (a note for the report, not a failure).
    Skipped(String),
}

/// Everything one run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Inputs {
    /// Quick or full.
    pub mode: Mode,
    /// The machine.
    pub machine: Machine,
    /// Load average before and after the run.
    pub load: (String, String),
    /// CPU use by others, sampled just before the benchmarks and after the
    /// report's measurements (see [`crate::machine::sample_cpu`]).
    pub cpu: (String, String),
    /// Criterion comparisons.
    pub rows: Vec<Row>,
    /// Header path steps: title, median ns.
    pub header_parts: Vec<(String, f64)>,
    /// Compatibility checks: title, median ns.
    pub compat: Vec<(String, f64)>,
    /// `size_of::<Verifier>()` and `size_of::<Sealer>()`.
    pub sizes: (usize, usize),
    /// `migseal verify -` on a pipe.
    pub pipe: PipeRun,
    /// The CLI against openssl.
    pub cli: CliRun,
    /// WASM in Node.
    pub wasm: WasmFigure,
    /// WebCrypto in Chromium and the packages' sizes (issue #18).
    pub webcrypto: Option<crate::webcrypto::WebCryptoFigure>,
    /// Parallel hashing in the CLI against the single-stream peers.
    pub cli_parallel: Option<crate::cli_parallel::ParallelRun>,
    /// CPU profiles of the fragment workloads, or why there are none.
    pub profiles: Vec<(crate::profile::Workload, Result<crate::profile::Profile, String>)>,
}

fn outcome_cell(o: Outcome) -> String {
    match o {
        Outcome::Met => "met".into(),
        Outcome::Missed(by) => format!("**missed** by {}", units::percent(by)),
        Outcome::NoGoal => "—".into(),
    }
}

fn kib(k: u64) -> String {
    format!("{:.1} MiB", to_f64(k) / 1024.0)
}

impl Inputs {
    fn row(&self, group: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.comparison.group == group)
    }

    /// SHA-256 speed of the sha2 crate alone (the stream benchmark's
    /// reference, 1 MiB chunks), bytes per second.
    fn sha2_rate(&self) -> Option<f64> {
        let r = self.row("stream-1MiB")?;
        r.reference.bytes_per_second()
    }

    fn cli_outcome(&self) -> Option<(f64, Outcome)> {
        let openssl = self.cli.openssl_seconds?;
        let ratio = self.cli.migseal_seconds / openssl;
        Some((ratio, CLI_GOAL.judge(ratio)))
    }

    /// The WASM ratio to native, on the faster of the package's two
    /// verification paths (both do the same verification), and its name.
    fn wasm_outcome(&self) -> Option<(f64, Outcome, &'static str)> {
        match &self.wasm {
            WasmFigure::Measured { node, native_seconds, .. } => {
                let (secs, path) = if node.stream_seconds < node.verify_seconds {
                    (node.stream_seconds, "StreamVerifier")
                } else {
                    (node.verify_seconds, "verify")
                };
                let ratio = native_seconds / secs;
                Some((ratio, WASM_GOAL.judge(ratio), path))
            }
            WasmFigure::Skipped(_) => None,
        }
    }

    fn rss_outcome(&self) -> Outcome {
        if self.pipe.max_rss_kib <= RSS_GOAL_KIB {
            Outcome::Met
        } else {
            Outcome::Missed(to_f64(self.pipe.max_rss_kib.saturating_sub(RSS_GOAL_KIB)) / to_f64(RSS_GOAL_KIB))
        }
    }

    /// Why a criterion comparison missed its goal, from this run's numbers.
    /// The CPU profile of the workload behind criterion group `group`.
    fn profile_of(&self, group: &str) -> Option<&Result<crate::profile::Profile, String>> {
        self.profiles.iter().find(|(w, _)| w.group() == group).map(|(_, p)| p)
    }

    fn why(&self, row: &Row) -> String {
        let (sub, refe) = (&row.subject, &row.reference);
        let intervals = format!(
            "the medians' 95 % intervals were {}–{} for migseal and {}–{} for the reference",
            units::time(sub.median_ci_ns.0),
            units::time(sub.median_ci_ns.1),
            units::time(refe.median_ci_ns.0),
            units::time(refe.median_ci_ns.1),
        );
        let overlap = sub.median_ci_ns.0 <= refe.median_ci_ns.1 && refe.median_ci_ns.0 <= sub.median_ci_ns.1;
        let noise = if overlap {
            format!("{intervals}: they overlap, so part of the gap may be noise of the shared machine")
        } else {
            format!("{intervals}: they do not overlap, so the gap is real")
        };
        let c = &row.comparison;
        match (c.group, c.chunk_bytes) {
            (group, _) if crate::fragments::owns(group) => {
                crate::fragments::why(row, &self.rows, &noise, self.profile_of(group))
            }
            (_, Some(chunk)) => {
                let chunks = sub.bytes.unwrap_or(0).checked_div(chunk).unwrap_or(0);
                let gap = sub.median_ns - refe.median_ns;
                let per_chunk = gap / to_f64(chunks.max(1));
                let cause = if per_chunk > 2000.0 {
                    "far more than that work costs, so the gap is measurement noise"
                } else {
                    "that is the per-chunk work itself, which weighs more the smaller the chunks"
                };
                format!(
                    "verification hashes every byte once, like the reference, plus per chunk a head of \
                     at most 20 bytes and an 81-byte chain hash (two SHA-256 blocks, well under 2 µs). \
                     migseal took {} more over {chunks} chunks, {} per chunk: {cause}; {noise}.",
                    units::time(gap),
                    units::time(per_chunk),
                )
            }
            ("parallel-1MiB", None) => {
                let limit =
                    self.rows.iter().find(|r| r.comparison.subject == "sha256-threads").map(Row::ratio);
                let machine = match limit {
                    Some(l) if l < c.goal_min() => format!(
                        "raw SHA-256 split over the same {} threads runs only {} faster than on one \
                         thread on this machine (its virtual CPUs share one physical core's SHA units, \
                         or the host runs other guests), so no parallel verifier can reach {}× here; \
                         migseal's parallel path reached {} of that limit",
                        self.machine.cores,
                        units::ratio(l),
                        c.goal_min(),
                        units::percent(row.ratio() / l),
                    ),
                    Some(l) => format!(
                        "raw SHA-256 split the same way runs {} faster than one thread, so the cores \
                         allow the goal: the parallel path's serial parts (the structural pass over the \
                         chunk heads, the chain over 32-byte digests) cost the difference",
                        units::ratio(l)
                    ),
                    None => "the raw-hash scaling of this machine was not measured".into(),
                };
                format!("{machine}; {noise}.")
            }
            (comparisons::HEADER_GROUP, None) => {
                let mut parts = self.header_parts.clone();
                parts.sort_by(|a, b| b.1.total_cmp(&a.1));
                let top: Vec<String> =
                    parts.iter().take(3).map(|(t, ns)| format!("{t} {}", units::time(*ns))).collect();
                // The binding limit: the relative goal or the absolute one.
                let target = (refe.median_ns * c.goal_min()).min(c.max_ns.unwrap_or(f64::INFINITY));
                let steps: f64 = parts.iter().map(|(_, ns)| ns).sum();
                format!(
                    "migseal does more than its references: canonical-form checks on every item, the \
                     compatibility check, the policy checks, a SHA-256 of the header and one of the \
                     image digest input. Largest steps: {}. The steps alone sum to {} of the {} \
                     measured; the rest is the walk around them (record framing, the verifier's phase \
                     changes, the verdict). {} Meeting the goal (≤ {}) takes {} off; {noise}.",
                    top.join("; "),
                    units::time(steps),
                    units::time(sub.median_ns),
                    crate::profile::quote(self.profile_of(comparisons::HEADER_GROUP)),
                    units::time(target),
                    units::time(sub.median_ns - target),
                )
            }
            ("signature", None) => {
                let decode = self
                    .rows
                    .iter()
                    .find(|r| r.comparison.group == "signature" && r.comparison.goal == Goal::None)
                    .map(|r| r.reference.median_ns - refe.median_ns);
                format!(
                    "finish also checks S < L, builds the Sig_structure and rebuilds the verdict's \
                     header; the public key is decompressed once, when the policy is loaded (doing it \
                     per image would cost{}); {noise}.",
                    decode.map(|d| format!(" {} in this run", units::time(d))).unwrap_or_default()
                )
            }
            _ => noise,
        }
    }

    /// The Markdown report.
    #[must_use]
    pub fn render(&self) -> String {
        let mut s = String::new();
        let m = &self.machine;
        let _ = writeln!(s, "# migseal benchmarks\n");
        let _ = writeln!(
            s,
            "Written by `cargo xtask bench{}` ({} mode) on {}. Regenerate it with that command; do not \
             edit by hand. Times are criterion medians unless said otherwise; MB/s means 10^6 bytes \
             per second.\n",
            if self.mode == Mode::Quick { " --quick" } else { "" },
            self.mode.name(),
            m.date
        );
        if self.mode == Mode::Quick {
            let _ = writeln!(
                s,
                "> **Quick mode**: small inputs and short sampling, to prove the benchmarks run. The \
                 goals are stated for the full mode's sizes; these figures are not the committed \
                 report.\n"
            );
        }

        let _ = writeln!(s, "## Machine\n\n| | |\n|---|---|");
        let sha = match m.sha_ni {
            Some(true) => "yes — sha2 0.11 (runtime detection) and OpenSSL both use it",
            Some(false) => "no — sha2 uses its portable backend",
            None => "unknown (no x86 flags)",
        };
        let _ = writeln!(s, "| CPU | {} |", m.cpu);
        let _ = writeln!(s, "| logical CPUs | {} |", m.cores);
        let _ = writeln!(s, "| SHA-NI | {sha} |");
        let _ = writeln!(s, "| kernel | {} |", m.kernel);
        let _ = writeln!(s, "| memory | {} |", m.memory);
        let _ = writeln!(s, "| rustc | {} |", m.rustc);
        let _ =
            writeln!(s, "| load average (1/5/15 min) before → after | {} → {} |", self.load.0, self.load.1);
        let _ = writeln!(
            s,
            "| CPU use by others just before → after (2 s samples) | {} → {} |\n",
            self.cpu.0, self.cpu.1
        );
        let _ = writeln!(
            s,
            "The machine is a 2-vCPU virtual machine shared with other builds. Its load average stays \
             near 2 even when idle (kernel threads in uninterruptible sleep count), so the sampled \
             CPU use says better whether anything competed. Ratios are taken within one run, so both \
             sides of a comparison saw the same conditions; absolute speeds move by 10–20 % between \
             runs on this host.\n"
        );

        self.render_goals(&mut s);
        self.render_criterion(&mut s);
        self.render_system(&mut s);
        s.push_str(
            &self.webcrypto.as_ref().map(crate::webcrypto::WebCryptoFigure::section).unwrap_or_default(),
        );
        if let Some(p) = &self.cli_parallel {
            s.push_str(&p.section());
        }
        if !self.profiles.is_empty() {
            s.push_str(&crate::profile::section(&self.profiles));
        }
        self.render_misses(&mut s);

        let _ = writeln!(
            s,
            "## Reproduce\n\n```sh\ncargo xtask bench           # full: 1 GiB images, 4 GiB pipe (about 5 minutes)\n\
             cargo xtask bench --quick   # the CI run: 64 MiB images, 256 MiB pipe\n\
             cargo bench -p migseal-bench -- stream-1MiB   # one criterion group\n```\n\n\
             The WASM figure needs the Node package (`cargo xtask wasm`) and `node`."
        );
        s
    }

    fn render_goals(&self, s: &mut String) {
        let _ = writeln!(s, "## Goals\n\n| goal | measured | result |\n|---|---|---|");
        for r in self.rows.iter().filter(|r| r.comparison.goal != Goal::None) {
            let c = &r.comparison;
            let mut goal = format!("{}: {} {}", c.title, c.goal.ratio_kind(), c.goal.describe());
            let mut measured = format!("{} {}", units::ratio(r.ratio()), c.goal.ratio_kind());
            if let Some(max) = c.max_ns {
                let _ = write!(goal, ", and ≤ {}", units::time(max));
                let _ = write!(measured, ", {}", units::time(r.subject.median_ns));
            }
            let _ = writeln!(s, "| {goal} | {measured} | {} |", outcome_cell(r.outcome()));
        }
        let _ = writeln!(
            s,
            "| peak RSS of `migseal verify` on a {} pipe ≤ 16 MiB | {} | {} |",
            size_label(self.pipe.payload_bytes),
            kib(self.pipe.max_rss_kib),
            outcome_cell(self.rss_outcome())
        );
        match self.cli_outcome() {
            Some((ratio, o)) => {
                let _ = writeln!(
                    s,
                    "| `migseal verify` on a {} file: time ≤ 1.1× `openssl dgst -sha256` | {} time | {} |",
                    size_label(self.mode.cli_bytes()),
                    units::ratio(ratio),
                    outcome_cell(o)
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "| `migseal verify` ≤ 1.1× `openssl dgst -sha256` | skipped: no openssl | — |"
                );
            }
        }
        match (self.wasm_outcome(), &self.wasm) {
            (Some((ratio, o, path)), _) => {
                let _ = writeln!(
                    s,
                    "| WASM in Node: speed ≥ 0.25× native single-thread | {} speed (`{path}`) | {} |",
                    units::ratio(ratio),
                    outcome_cell(o)
                );
            }
            (None, WasmFigure::Skipped(why)) => {
                let _ = writeln!(s, "| WASM in Node: speed ≥ 0.25× native single-thread | {why} | — |");
            }
            (None, WasmFigure::Measured { .. }) => {}
        }
        for row in self.webcrypto.iter().flat_map(|w| w.goal_rows(self.mode)) {
            let _ = writeln!(s, "{row}");
        }
        if let Some(p) = &self.cli_parallel {
            s.push_str(&p.goal_rows());
        }
        let _ = writeln!(s);
    }

    fn render_criterion(&self, s: &mut String) {
        let _ = writeln!(
            s,
            "## Against the hash and the peers (criterion)\n\n\
             Images are built in memory with `Sealer` (mtty-2 header, public test key, default policy); \
             the image size is {} of payload. Streaming verification feeds 64 KiB fragments, the CLI's \
             read size.\n\n\
             | what | migseal | reference | ratio | goal | result |\n|---|---|---|---|---|---|",
            size_label(self.mode.image_bytes())
        );
        for r in &self.rows {
            let c = &r.comparison;
            let rate = |ns: f64| r.subject.bytes.map(|b| format!(" ({})", units::rate(to_f64(b) * 1e9 / ns)));
            let _ = writeln!(
                s,
                "| {} | {}{} | {}: {}{} | {} {} | {} | {} |",
                c.title,
                units::time(r.subject.median_ns),
                rate(r.subject.median_ns).unwrap_or_default(),
                c.reference_title,
                units::time(r.reference.median_ns),
                rate(r.reference.median_ns).unwrap_or_default(),
                units::ratio(r.ratio()),
                c.goal.ratio_kind(),
                match c.max_ns {
                    Some(max) => format!("{}, ≤ {}", c.goal.describe(), units::time(max)),
                    None => c.goal.describe(),
                },
                outcome_cell(r.outcome()),
            );
        }
        let _ = writeln!(
            s,
            "\nWhere the header path's time goes (each step alone):\n\n| step | time |\n|---|---|"
        );
        for (title, ns) in &self.header_parts {
            let _ = writeln!(s, "| {title} | {} |", units::time(*ns));
        }
        let _ = writeln!(
            s,
            "\nCompatibility check on typical descriptors (no peer does this):\n\n| check | time |\n|---|---|"
        );
        for (title, ns) in &self.compat {
            let _ = writeln!(s, "| {title} | {} |", units::time(*ns));
        }
        let _ = writeln!(s);
    }

    fn render_system(&self, s: &mut String) {
        let p = &self.pipe;
        let _ = writeln!(s, "## Memory\n\n| what | figure |\n|---|---|");
        let _ = writeln!(
            s,
            "| peak RSS of `migseal verify -` reading a {} image from a pipe (getrusage, release build) | {} |",
            size_label(p.payload_bytes),
            kib(p.max_rss_kib)
        );
        let _ = writeln!(
            s,
            "| that pipe run: {} bytes sealed by a generator and verified, wall time | {:.2} s ({}) |",
            p.image_bytes,
            p.seconds,
            units::rate(to_f64(p.image_bytes) / p.seconds)
        );
        let _ = writeln!(
            s,
            "| `size_of::<Verifier>()` (the whole streaming state, no heap) | {} bytes |",
            self.sizes.0
        );
        let _ = writeln!(s, "| `size_of::<Sealer>()` | {} bytes |\n", self.sizes.1);

        let c = &self.cli;
        let _ = writeln!(
            s,
            "## CLI against OpenSSL\n\n| command on a {} image file (page cache warm, best of {}) | time | speed |\n|---|---|---|",
            size_label(self.mode.cli_bytes()),
            self.mode.runs()
        );
        let rate = |secs: f64| units::rate(to_f64(c.image_bytes) / secs);
        let _ = writeln!(
            s,
            "| `migseal verify FILE` | {:.3} s | {} |",
            c.migseal_seconds,
            rate(c.migseal_seconds)
        );
        match (c.openssl_seconds, &c.openssl_version) {
            (Some(o), Some(v)) => {
                let v = v.split(" (").next().unwrap_or(v);
                let _ = writeln!(s, "| `openssl dgst -sha256 FILE` ({v}) | {o:.3} s | {} |", rate(o));
            }
            _ => {
                let _ = writeln!(s, "| `openssl dgst -sha256 FILE` | skipped: openssl not found | |");
            }
        }
        if let Some(r) = self.sha2_rate() {
            let _ = writeln!(
                s,
                "| sha2 crate alone over a 1 GiB buffer (criterion, stream-1MiB reference; it streams \
                 from memory, where the CLI's 64 KiB reads stay in cache) | | {} |",
                units::rate(r)
            );
        }
        let _ = writeln!(s);

        let _ = writeln!(s, "## WASM\n");
        match &self.wasm {
            WasmFigure::Measured { node, native_seconds, native_portable_seconds } => {
                let rate = |secs: f64| units::rate(to_f64(node.image_bytes) / secs);
                let _ = writeln!(
                    s,
                    "A {} image ({} bytes), Node {}, best of {}.\n\n| path | time | speed | ratio to native |\n|---|---|---|---|",
                    size_label(self.mode.wasm_bytes()),
                    node.image_bytes,
                    node.node,
                    self.mode.runs()
                );
                let _ = writeln!(
                    s,
                    "| native `verify_image`, one thread | {:.3} s | {} | 1.00× |",
                    native_seconds,
                    rate(*native_seconds)
                );
                if let Some(p) = native_portable_seconds {
                    let _ = writeln!(
                        s,
                        "| native `migseal verify FILE` built with sha2's portable backend (no SHA-NI) | \
                         {p:.3} s | {} | {} |",
                        rate(*p),
                        units::ratio(native_seconds / p)
                    );
                }
                let _ = writeln!(
                    s,
                    "| WASM `verify(bytes, policy, device)` | {:.3} s | {} | {} |",
                    node.verify_seconds,
                    rate(node.verify_seconds),
                    units::ratio(native_seconds / node.verify_seconds)
                );
                let _ = writeln!(
                    s,
                    "| WASM `StreamVerifier`, 64 KiB pushes | {:.3} s | {} | {} |\n",
                    node.stream_seconds,
                    rate(node.stream_seconds),
                    units::ratio(native_seconds / node.stream_seconds)
                );
            }
            WasmFigure::Skipped(why) => {
                let _ = writeln!(s, "{why}.\n");
            }
        }
    }

    fn render_misses(&self, s: &mut String) {
        let mut notes = Vec::new();
        for r in &self.rows {
            if let Outcome::Missed(by) = r.outcome() {
                notes.push(format!(
                    "- **{}** missed by {}: {}",
                    r.comparison.title,
                    units::percent(by),
                    self.why(r)
                ));
            }
        }
        if let Outcome::Missed(by) = self.rss_outcome() {
            notes.push(format!(
                "- **peak RSS** missed by {}: the verifier's state is {} bytes; the rest is the \
                 process (binary, libc, read buffer, policy).",
                units::percent(by),
                self.sizes.0
            ));
        }
        if let Some((ratio, Outcome::Missed(by))) = self.cli_outcome() {
            let openssl_rate = self.cli.openssl_seconds.map(|o| to_f64(self.cli.image_bytes) / o);
            let why = match (self.sha2_rate(), openssl_rate) {
                (Some(sha2), Some(ossl)) if sha2 < ossl => format!(
                    "the CLI hashes with the sha2 crate, which alone runs at {} against OpenSSL's {} \
                     on this CPU ({} of OpenSSL's speed: OpenSSL's hand-written SHA-NI assembly against \
                     sha2's intrinsics); the CLI cannot beat its hash.",
                    units::rate(sha2),
                    units::rate(ossl),
                    units::ratio(sha2 / ossl)
                ),
                (Some(sha2), Some(ossl)) => format!(
                    "sha2 alone ({}) is not slower than OpenSSL ({}), so the gap is the CLI's own: its \
                     64 KiB reads, the verifier's per-chunk work and process start-up; {}.",
                    units::rate(sha2),
                    units::rate(ossl),
                    format_args!("load average {} before the run", self.load.0)
                ),
                _ => "see the figures above.".into(),
            };
            notes.push(format!(
                "- **CLI** at {} openssl's time, missed by {}: {why}",
                units::ratio(ratio),
                units::percent(by)
            ));
        }
        if let Some((_, Outcome::Missed(by), path)) = self.wasm_outcome() {
            let mut native = match self.machine.sha_ni {
                Some(true) => "against SHA-NI instructions natively".to_owned(),
                _ => "against native code".to_owned(),
            };
            if let WasmFigure::Measured { node, native_portable_seconds: Some(p), .. } = &self.wasm {
                let wasm = node.verify_seconds.min(node.stream_seconds);
                let _ = write!(
                    native,
                    ". Natively without SHA-NI the same image verifies in {p:.3} s, so WASM (`{path}`) \
                     runs at {} of portable native code: the rest of the gap is WebAssembly itself \
                     (the package is built for size: opt-level z, wasm-opt -Oz, sha2 at opt-level 3)",
                    units::ratio(p / wasm)
                );
            }
            let hash_share = match self.profile_of(crate::fragments::PAGES_GROUP) {
                Some(Ok(p)) => format!(
                    " (a perf profile of native streaming verification puts {:.1} % of its samples in \
                     SHA-256)",
                    p.share(crate::profile::Part::Hash)
                ),
                _ => String::new(),
            };
            notes.push(format!(
                "- **WASM** missed by {}: nearly all of verification is SHA-256{hash_share}, and wasm32 has \
                 no SHA instructions: sha2 runs its portable code there (its SIMD backend only with the \
                 `simd128` target feature), {native}.",
                units::percent(by)
            ));
        }
        notes.extend(self.webcrypto.iter().flat_map(crate::webcrypto::WebCryptoFigure::misses));
        notes.extend(self.cli_parallel.iter().flat_map(crate::cli_parallel::ParallelRun::misses));
        let _ = writeln!(s, "## Missed goals\n");
        if notes.is_empty() {
            let _ = writeln!(s, "None in this run.\n");
        } else {
            let _ = writeln!(s, "{}\n", notes.join("\n"));
        }
    }
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

    fn est(ns: f64, bytes: Option<u64>) -> Estimate {
        Estimate { median_ns: ns, median_ci_ns: (ns * 0.9, ns * 1.1), bytes }
    }

    fn inputs() -> Inputs {
        let c = comparisons::all();
        let find = |g: &str| **c.iter().find(|c| c.group == g).unwrap();
        Inputs {
            mode: Mode::Full,
            machine: Machine {
                cpu: "Test CPU".into(),
                cores: 2,
                sha_ni: Some(true),
                kernel: "6.1".into(),
                memory: "23.4 GiB".into(),
                rustc: "rustc 1.90.0".into(),
                date: "2026-01-01 00:00 UTC".into(),
            },
            load: ("0.10 0.20 0.30".into(), "1.00 0.50 0.40".into()),
            cpu: (
                "1.0 % busy, 0.0 % stolen by the host".into(),
                "2.0 % busy, 0.0 % stolen by the host".into(),
            ),
            rows: vec![
                // 0.98× speed: met.
                Row {
                    comparison: find("stream-1MiB"),
                    subject: est(1.0e9, Some(2_000_000_000)),
                    reference: est(0.98e9, Some(2_000_000_000)),
                },
                // 0.83× speed over 64 chunks: missed, 3.1 ms a chunk is noise.
                Row {
                    comparison: find("stream-16MiB"),
                    subject: est(1.2e9, Some(1 << 30)),
                    reference: est(1.0e9, Some(1 << 30)),
                },
                // 1.5× speed against a goal of 1.8×: missed by 16.7 %.
                Row {
                    comparison: find("parallel-1MiB"),
                    subject: est(1.0e9, Some(1 << 30)),
                    reference: est(1.5e9, Some(1 << 30)),
                },
                // Relative met (0.4×), absolute missed (2.5 µs > 2 µs).
                Row { comparison: find("header"), subject: est(2500.0, None), reference: est(6250.0, None) },
            ],
            header_parts: vec![
                ("Header::decode_record".into(), 400.0),
                ("compat".into(), 300.0),
                ("hash".into(), 900.0),
            ],
            compat: vec![("check".into(), 200.0)],
            sizes: (4400, 300),
            pipe: PipeRun {
                payload_bytes: 4 << 30,
                image_bytes: (4 << 30) + 90_000,
                seconds: 3.0,
                max_rss_kib: 4000,
                verified: true,
                detail: String::new(),
            },
            cli: CliRun {
                image_bytes: 1 << 30,
                migseal_seconds: 1.2,
                openssl_seconds: Some(1.0),
                openssl_version: Some("OpenSSL 3.0".into()),
            },
            wasm: WasmFigure::Skipped("skipped: wasm package not built (run cargo xtask wasm)".into()),
            webcrypto: None,
            cli_parallel: None,
            profiles: Vec::new(),
        }
    }

    #[test]
    fn outcomes_include_the_absolute_limit() {
        let i = inputs();
        assert_eq!(i.rows[0].outcome(), Outcome::Met);
        let Outcome::Missed(by) = i.rows[2].outcome() else { unreachable!() };
        assert!((by - (1.8 - 1.5) / 1.8).abs() < 1e-9);
        let Outcome::Missed(by) = i.rows[3].outcome() else { unreachable!() };
        assert!((by - 0.25).abs() < 1e-9);
    }

    #[test]
    fn report_names_each_figure_and_explains_misses() {
        let md = inputs().render();
        for needle in [
            "Test CPU",
            "SHA-NI | yes",
            "0.10 0.20 0.30 → 1.00 0.50 0.40",
            "0.98× speed",
            "**missed** by 16.7 %",
            "4 GiB pipe ≤ 16 MiB | 3.9 MiB | met",
            "1.20× time | **missed** by 9.1 %",
            "skipped: wasm package not built (run cargo xtask wasm)",
            "| `size_of::<Verifier>()` (the whole streaming state, no heap) | 4400 bytes |",
            "Largest steps: hash 900 ns; Header::decode_record 400 ns; compat 300 ns. The steps alone sum to",
            "No profile in this run. Meeting the goal (≤ 2.00 µs) takes 500 ns off;",
            "sha2 alone (2041 MB/s) is not slower than OpenSSL (1074 MB/s)",
            "migseal took 200 ms more over 64 chunks, 3.12 ms per chunk: far more than that work costs",
            "the raw-hash scaling of this machine was not measured",
            "1.0 % busy, 0.0 % stolen by the host → 2.0 % busy",
        ] {
            assert!(md.contains(needle), "missing {needle:?} in\n{md}");
        }
        assert!(!md.contains("Quick mode"));
        // With the raw hash's own scaling measured, the note compares to it.
        let mut i = inputs();
        let limit = **comparisons::all().iter().find(|c| c.subject == "sha256-threads").unwrap();
        i.rows.push(Row {
            comparison: limit,
            subject: est(1.0e9, Some(1 << 30)),
            reference: est(1.06e9, Some(1 << 30)),
        });
        let md = i.render();
        assert!(md.contains("runs only 1.06× faster than on one thread"), "{md}");
        assert!(md.contains("reached 141.5 % of that limit"), "{md}");
        // With an OpenSSL faster than sha2, the note blames the hash.
        let mut i = inputs();
        i.cli.openssl_seconds = Some(0.3);
        i.cli.migseal_seconds = 0.6;
        let md = i.render();
        assert!(
            md.contains("the sha2 crate, which alone runs at 2041 MB/s against OpenSSL's 3579 MB/s"),
            "{md}"
        );
    }

    #[test]
    fn quick_reports_say_so_and_measured_wasm_gets_a_ratio() {
        let mut i = inputs();
        i.mode = Mode::Quick;
        i.wasm = WasmFigure::Measured {
            node: NodeRun {
                node: "v20".into(),
                image_bytes: 1 << 20,
                verify_seconds: 0.004,
                stream_seconds: 0.005,
            },
            native_seconds: 0.001,
            native_portable_seconds: Some(0.002),
        };
        let md = i.render();
        assert!(md.contains("**Quick mode**"));
        assert!(
            md.contains(
                "| WASM in Node: speed ≥ 0.25× native single-thread | 0.25× speed (`verify`) | met |"
            )
        );
        assert!(md.contains("| WASM `StreamVerifier`, 64 KiB pushes | 0.005 s |"));
        assert!(md.contains("(no SHA-NI) | 0.002 s | 524 MB/s | 0.50× |"), "{md}");
        // Missed: the note separates SHA-NI from WebAssembly.
        if let WasmFigure::Measured { node, .. } = &mut i.wasm {
            node.verify_seconds = 0.008;
            node.stream_seconds = 0.010;
        }
        let md = i.render();
        assert!(md.contains("runs at 0.25× of portable native code"), "{md}");
    }
}
