//! The criterion setup of the benchmark binary (`benches/main.rs`): where
//! results go, how long large and small benchmarks sample in each mode,
//! which modules a filter skips, and the ratio lines printed after a run.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};

use crate::comparisons::{self, Comparison};
use crate::estimates;
use crate::mode::Mode;
use crate::report::Row;
use crate::units;

/// Where criterion's results go: `$CRITERION_HOME` (`cargo xtask bench`
/// sets it), else `$CARGO_TARGET_DIR/criterion`, else `criterion/` in the
/// target directory this binary was built into.
#[must_use]
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    // A bench binary lives in <target>/<profile>/deps/.
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(|t| t.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// Criterion options that take a value (so the value is not a filter).
const VALUE_FLAGS: &[&str] = &[
    "-s",
    "-b",
    "-c",
    "--save-baseline",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--profile-time",
    "--output-format",
    "--color",
    "--format",
    "--plotting-backend",
];

/// The benchmark filter criterion was given, if any: the first argument
/// that is neither an option nor an option's value.
#[must_use]
pub fn filter_of(args: &[String]) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if VALUE_FLAGS.contains(&a.as_str()) {
            it.next();
        } else if !a.starts_with('-') {
            return Some(a.clone());
        }
    }
    None
}

/// Whether a filter can select one of `ids` (`group/bench`). A filter
/// with regex syntax is assumed to match, so a benchmark is never
/// skipped that criterion would have run.
#[must_use]
pub fn filter_selects(filter: Option<&str>, ids: &[String]) -> bool {
    match filter {
        None => true,
        Some(f) if f.contains(|c: char| "^$.*+?()[]{}|\\".contains(c)) => true,
        Some(f) => ids.iter().any(|id| id.contains(f)),
    }
}

/// The `group/bench` ids of `comparisons`.
#[must_use]
pub fn ids_of(comparisons: &[Comparison]) -> Vec<String> {
    comparisons
        .iter()
        .flat_map(|c| {
            std::iter::once(c.subject)
                .chain(c.reference.iter().copied())
                .map(move |b| format!("{}/{b}", c.group))
        })
        .collect()
}

/// The benchmark binary's run: criterion configured from the command
/// line, the mode, the filter, and when it started (results older than
/// that are not this run's).
pub struct Run {
    /// The criterion runner.
    pub criterion: Criterion,
    /// Quick or full.
    pub mode: Mode,
    filter: Option<String>,
    started: SystemTime,
}

impl Run {
    /// Starts a run.
    #[must_use]
    pub fn start() -> Self {
        let mode = Mode::from_env();
        let mut criterion = Criterion::default().output_directory(&criterion_dir());
        if mode == Mode::Quick {
            // Fewer bootstrap resamples: the quick run proves the
            // benchmarks work, its confidence intervals matter less.
            criterion = criterion.nresamples(10_000);
        }
        let criterion = criterion.configure_from_args();
        println!("migseal-bench: {} mode, results in {}", mode.name(), criterion_dir().display());
        let args: Vec<String> = std::env::args().skip(1).collect();
        Self { criterion, mode, filter: filter_of(&args), started: SystemTime::now() }
    }

    /// Whether the command line's filter selects any of `ids`: a module
    /// skips building its (large) inputs when it does not.
    #[must_use]
    pub fn wants(&self, ids: &[String]) -> bool {
        filter_selects(self.filter.as_deref(), ids)
    }

    /// A group for inputs of `bytes` bytes that take a large fraction of
    /// a second per iteration: flat sampling, ten samples.
    pub fn large(&mut self, name: &str, bytes: u64) -> BenchmarkGroup<'_, WallTime> {
        let (warm, measure) = match self.mode {
            Mode::Quick => (Duration::from_millis(300), Duration::from_secs(1)),
            Mode::Full => (Duration::from_secs(2), Duration::from_secs(6)),
        };
        let mut g = self.criterion.benchmark_group(name);
        g.sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(warm)
            .measurement_time(measure)
            .throughput(Throughput::Bytes(bytes));
        g
    }

    /// A group for microsecond-scale benchmarks.
    pub fn small(&mut self, name: &str) -> BenchmarkGroup<'_, WallTime> {
        let (warm, measure, samples) = match self.mode {
            Mode::Quick => (Duration::from_millis(200), Duration::from_millis(500), 20),
            Mode::Full => (Duration::from_secs(1), Duration::from_secs(3), 100),
        };
        let mut g = self.criterion.benchmark_group(name);
        g.warm_up_time(warm).measurement_time(measure).sample_size(samples);
        g
    }

    /// Ends the run: criterion's summary, then one line per comparison and
    /// stand-alone figure that this run measured.
    pub fn finish(self) {
        self.criterion.final_summary();
        let dir = criterion_dir();
        let since = Some(self.started);
        for c in comparisons::all() {
            if let Ok(row) = Row::read(&dir, c, since) {
                println!("{}", row.line());
            }
        }
        for (bench, title) in comparisons::HEADER_PARTS {
            if let Ok(e) = estimates::read(&dir, "header-parts", bench, since) {
                println!("PART {title}: {}", units::time(e.median_ns));
            }
        }
        for (group, bench, title) in comparisons::COMPAT {
            if let Ok(e) = estimates::read(&dir, group, bench, since) {
                println!("TIME {title}: {}", units::time(e.median_ns));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn filters() {
        assert_eq!(filter_of(&args(&["--bench"])), None);
        assert_eq!(filter_of(&args(&["--bench", "stream-1MiB"])).as_deref(), Some("stream-1MiB"));
        assert_eq!(filter_of(&args(&["--sample-size", "10", "--bench"])), None);
        assert_eq!(filter_of(&args(&["--save-baseline", "x", "sha256"])).as_deref(), Some("sha256"));
    }

    #[test]
    fn selection() {
        let ids = ids_of(comparisons::STREAM);
        assert!(ids.contains(&"stream-1MiB/sha256".to_owned()));
        assert!(filter_selects(None, &ids));
        assert!(filter_selects(Some("sha256"), &ids));
        assert!(filter_selects(Some("stream-16MiB/migseal"), &ids));
        assert!(!filter_selects(Some("header"), &ids));
        assert!(filter_selects(Some("head.*"), &ids));
    }
}
