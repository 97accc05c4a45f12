//! CPU profiles behind the report's explanations: where a benchmark's time
//! goes, measured, not assumed. The report runs each [`Workload`] in a
//! child (`migseal-bench profile-loop`) under `perf record` (the software
//! clock, so it works in a VM without a PMU), reads `perf report`'s
//! per-symbol self time, and sums it per [`Part`] of the code. Without
//! `perf`, or where the kernel forbids it, the report says so instead.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use migseal_format::envelope::Descriptor;
use migseal_verifier::{Policy, Verifier};

use crate::fixtures::{
    DEFAULT_POLICY, MTTY2_DEVICE, SESSION_POLICY, VIRTIO_NET_DEVICE, empty_image, mtty2_image,
    virtio_bound_spec, with_policy, with_policy_for,
};
use crate::fragments::{self, PAGE, PAGES_CHUNK};
use crate::mode::Mode;
use crate::nosig::SignatureExcluded;

/// How long each workload runs under the profiler: at perf's 4 kHz clock
/// that is several thousand samples, enough for shares to the percent.
pub const PROFILE_SECONDS: u64 = 2;
/// Sampling frequency (Hz) of the software clock.
const FREQUENCY: &str = "4000";
/// Symbols under this share of samples are left out of `perf report`.
const PERCENT_LIMIT: &str = "0.1";

/// A benchmark's work, run in a loop for the profiler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Streaming verification fed 4 KiB fragments ([`fragments::PAGES_GROUP`]).
    Pages,
    /// The maximal-header image fed one byte at a time ([`fragments::MAX_HEADER_GROUP`]).
    BytewiseMax,
    /// The typical image fed one byte at a time ([`fragments::TYPICAL_GROUP`]).
    BytewiseTypical,
    /// The header path without signature math: a new verifier, the virtio
    /// header and seal of an empty image, finish ([`crate::comparisons::HEADER`]).
    HeaderPath,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Self; 4] = [Self::Pages, Self::BytewiseMax, Self::BytewiseTypical, Self::HeaderPath];

    /// The name `profile-loop --what` takes.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Pages => "pages",
            Self::BytewiseMax => "bytewise-max",
            Self::BytewiseTypical => "bytewise-typical",
            Self::HeaderPath => "header-path",
        }
    }

    /// The criterion group whose miss this workload explains.
    #[must_use]
    pub const fn group(self) -> &'static str {
        match self {
            Self::Pages => fragments::PAGES_GROUP,
            Self::BytewiseMax => fragments::MAX_HEADER_GROUP,
            Self::BytewiseTypical => fragments::TYPICAL_GROUP,
            Self::HeaderPath => crate::comparisons::HEADER_GROUP,
        }
    }

    /// What the workload does, for the report.
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::Pages => "streaming verify fed 4 KiB fragments, 1 MiB chunks",
            Self::BytewiseMax => "maximal 3.7 KiB header image fed 1 byte at a time",
            Self::BytewiseTypical => "typical image (virtio-net, 64 KiB) fed 1 byte at a time",
            Self::HeaderPath => "header + seal path, no signature math (virtio-net header, empty image)",
        }
    }

    /// The workload named `name`.
    ///
    /// # Errors
    ///
    /// When no workload has that name.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|w| w.name() == name).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|w| w.name()).collect();
            format!("unknown workload {name:?}; one of {}", names.join(", "))
        })
    }

    /// Runs the workload over and over for `secs` seconds (the benchmark's
    /// own inputs, built first); how many rounds ran.
    ///
    /// # Errors
    ///
    /// When an input does not build or does not verify: a profile of an
    /// error path would explain nothing.
    pub fn run_for(self, secs: u64) -> Result<u64, String> {
        // The clock starts once the inputs are built; the profiler samples
        // the building too, so the inputs stay small (the 4 KiB-page image
        // at its quick size in either mode: sealing it hashes every byte).
        let deadline =
            || Instant::now().checked_add(Duration::from_secs(secs)).ok_or("duration out of range");
        let rounds = |image: &[u8], policy: &Policy, device: &Descriptor<'_>, fragment: usize| {
            let until = deadline()?;
            let mut n = 0u64;
            while Instant::now() < until {
                fragments::verify_fed(image, policy, device, fragment)?;
                n = n.saturating_add(1);
            }
            Ok(n)
        };
        match self {
            Self::Pages => {
                let total =
                    usize::try_from(fragments::pages_bytes(Mode::Quick)).map_err(|e| e.to_string())?;
                let image = mtty2_image(total, PAGES_CHUNK);
                with_policy(DEFAULT_POLICY, MTTY2_DEVICE, |p, d| rounds(&image, p, d, PAGE))
            }
            Self::BytewiseMax => {
                let (image, policy, device) = fragments::maximal_inputs().map_err(|e| e.to_string())?;
                with_policy(&policy, &device, |p, d| rounds(&image, p, d, 1))
            }
            Self::BytewiseTypical => {
                let image = fragments::typical_image().map_err(|e| e.to_string())?;
                with_policy(SESSION_POLICY, VIRTIO_NET_DEVICE, |p, d| rounds(&image, p, d, 1))
            }
            Self::HeaderPath => {
                let image = empty_image(&virtio_bound_spec(), "virtio");
                with_policy_for(&SignatureExcluded, SESSION_POLICY, VIRTIO_NET_DEVICE, |policy, device| {
                    let until = deadline()?;
                    let mut n = 0u64;
                    while Instant::now() < until {
                        let mut v = Verifier::new(SignatureExcluded);
                        v.feed(policy, device, black_box(&image), |_| {}).map_err(|e| e.to_string())?;
                        black_box(v.finish().map_err(|e| e.to_string())?.header().security_version);
                        n = n.saturating_add(1);
                    }
                    Ok(n)
                })
            }
        }
    }
}

/// Where a sample's symbol belongs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// `migseal_verifier`: the verifier's and the framing walk's code,
    /// and the caller's feed loop, into which `Verifier::feed` is inlined.
    Verifier,
    /// `migseal_format`: the canonical CBOR reader and the record decoders.
    Format,
    /// SHA-256 (the sha2 crate and the provider's calls into it).
    Hash,
    /// Ed25519 (curve25519-dalek): the seal's signature check.
    Signature,
    /// Memory copies (`memcpy`, `memmove`, `memset`).
    Copy,
    /// The kernel (page faults, the clock).
    Kernel,
    /// Anything else: the benchmark's loop, the allocator, libc.
    Other,
}

impl Part {
    /// Every part, in report order.
    pub const ALL: [Self; 7] =
        [Self::Verifier, Self::Format, Self::Hash, Self::Signature, Self::Copy, Self::Kernel, Self::Other];

    /// The part a sample in `symbol` belongs to (`kernel`: perf marked it `[k]`).
    #[must_use]
    pub fn of(symbol: &str, kernel: bool) -> Self {
        let lower = symbol.to_ascii_lowercase();
        if kernel {
            Self::Kernel
        } else if lower.contains("sha2::") || lower.contains("sha256") {
            Self::Hash
        } else if lower.contains("curve25519") || lower.contains("ed25519") {
            Self::Signature
        } else if symbol.contains("migseal_format") {
            Self::Format
        } else if symbol.contains("migseal_verifier") || symbol.contains("fragments::verify_fed") {
            Self::Verifier
        } else if ["memcpy", "memmove", "memset"].iter().any(|m| symbol.contains(m)) {
            Self::Copy
        } else {
            Self::Other
        }
    }

    /// Its name in the report.
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::Verifier => {
                "verifier and framing walk (migseal_verifier, with the feed loop it is inlined into)"
            }
            Self::Format => "CBOR scan and record decoding (migseal_format)",
            Self::Hash => "SHA-256 (sha2)",
            Self::Signature => "Ed25519 (curve25519-dalek)",
            Self::Copy => "memory copies",
            Self::Kernel => "kernel",
            Self::Other => "other (benchmark loop, allocator, libc)",
        }
    }
}

/// One symbol's share of the samples.
#[derive(Clone, Debug, PartialEq)]
pub struct SymbolShare {
    /// The symbol as perf names it (demangled).
    pub symbol: String,
    /// perf marked it a kernel symbol.
    pub kernel: bool,
    /// Percent of all samples, self time.
    pub percent: f64,
}

/// A workload's profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// Samples perf took.
    pub samples: u64,
    /// Per-symbol self time, largest first.
    pub symbols: Vec<SymbolShare>,
}

impl Profile {
    /// Percent of the samples in `part`.
    #[must_use]
    pub fn share(&self, part: Part) -> f64 {
        self.symbols.iter().filter(|s| Part::of(&s.symbol, s.kernel) == part).map(|s| s.percent).sum()
    }

    /// The parts with their shares, e.g. "verifier and framing walk 61.2 %, ...".
    #[must_use]
    pub fn parts(&self) -> String {
        let parts: Vec<String> = Part::ALL
            .iter()
            .map(|&p| (p, self.share(p)))
            .filter(|(_, s)| *s >= 0.05)
            .map(|(p, s)| format!("{} {s:.1} %", p.title()))
            .collect();
        parts.join(", ")
    }

    /// The `n` largest symbols with their shares.
    #[must_use]
    pub fn top(&self, n: usize) -> String {
        let top: Vec<String> = self
            .symbols
            .iter()
            .take(n)
            .map(|s| format!("`{}` {:.1} %", short(&s.symbol), s.percent))
            .collect();
        top.join(", ")
    }
}

/// A symbol without its generic arguments' paths, for the report.
fn short(symbol: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in symbol.chars() {
        match c {
            '<' => {
                if depth == 0 {
                    out.push_str("<…>");
                }
                depth = depth.saturating_add(1);
            }
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Parses `perf report --stdio --no-children --sort sym -q` output:
/// `  12.34%  [.] symbol` lines.
///
/// # Errors
///
/// When no line has that shape (perf's output changed, or it sampled
/// nothing).
pub fn parse_report(text: &str, samples: u64) -> Result<Profile, String> {
    let mut symbols = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let Some((percent, rest)) = line.split_once('%') else { continue };
        let Ok(percent) = percent.trim().parse::<f64>() else { continue };
        let rest = rest.trim_start();
        let (kernel, symbol) = if let Some(s) = rest.strip_prefix("[k]") {
            (true, s)
        } else if let Some(s) = rest.strip_prefix("[.]") {
            (false, s)
        } else {
            continue;
        };
        symbols.push(SymbolShare { symbol: symbol.trim().to_owned(), kernel, percent });
    }
    if symbols.is_empty() {
        return Err(format!(
            "perf report listed no symbol: {}",
            text.lines().take(3).collect::<Vec<_>>().join(" / ")
        ));
    }
    symbols.sort_by(|a, b| b.percent.total_cmp(&a.percent));
    Ok(Profile { samples, symbols })
}

/// The sample count from perf's `# Samples: 8K of event ...` line (perf
/// abbreviates thousands as `K` and millions as `M`); 0 when absent.
fn samples_of(text: &str) -> u64 {
    let Some(n) = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("# Samples:"))
        .and_then(|r| r.split_whitespace().next())
    else {
        return 0;
    };
    let (digits, scale) = match n.as_bytes().last() {
        Some(b'K') => (n.trim_end_matches('K'), 1_000),
        Some(b'M') => (n.trim_end_matches('M'), 1_000_000),
        _ => (n, 1),
    };
    digits.parse::<u64>().map_or(0, |d| d.saturating_mul(scale))
}

/// Profiles `workload` by running `exe profile-loop` under `perf record`
/// in `work`.
///
/// # Errors
///
/// When perf is missing or refuses (the report then says why there is no
/// profile), or the workload fails.
pub fn record(exe: &Path, work: &Path, workload: Workload) -> Result<Profile, String> {
    let data = work.join(format!("perf-{}.data", workload.name()));
    let out = Command::new("perf")
        .args(["record", "-q", "-e", "cpu-clock", "-F", FREQUENCY, "-o"])
        .arg(&data)
        .arg("--")
        .arg(exe)
        .args(["profile-loop", "--what", workload.name(), "--secs"])
        .arg(PROFILE_SECONDS.to_string())
        .output()
        .map_err(|e| format!("perf is not available ({e})"))?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&data);
        return Err(format!(
            "perf record failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).lines().take(2).collect::<Vec<_>>().join(" / ")
        ));
    }
    let report = Command::new("perf")
        .args(["report", "--stdio", "--no-children", "--sort", "sym", "--percent-limit", PERCENT_LIMIT, "-i"])
        .arg(&data)
        .output()
        .map_err(|e| format!("perf report: {e}"));
    let _ = std::fs::remove_file(&data);
    let report = report?;
    if !report.status.success() {
        return Err(format!("perf report failed: {}", String::from_utf8_lossy(&report.stderr)));
    }
    let text = String::from_utf8_lossy(&report.stdout);
    parse_report(&text, samples_of(&text))
}

/// Every workload's profile, or why there is none.
#[must_use]
pub fn record_all(exe: &Path, work: &Path) -> Vec<(Workload, Result<Profile, String>)> {
    Workload::ALL.into_iter().map(|w| (w, record(exe, work, w))).collect()
}

/// The report's section: each workload's parts and largest symbols.
#[must_use]
pub fn section(profiles: &[(Workload, Result<Profile, String>)]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## CPU profiles\n\n\
         Each workload ran {PROFILE_SECONDS} s in a loop in a child process under `perf record -e cpu-clock \
         -F {FREQUENCY}` (release build with symbols); shares are self time per symbol from `perf report`, \
         summed per crate. Inlined code counts where it was inlined.\n\n\
         | workload | samples | where the time goes | largest symbols |\n|---|---:|---|---|"
    );
    for (w, p) in profiles {
        match p {
            Ok(p) => {
                let _ = writeln!(s, "| {} | {} | {} | {} |", w.title(), p.samples, p.parts(), p.top(4));
            }
            Err(why) => {
                let _ = writeln!(s, "| {} | — | no profile: {why} | — |", w.title());
            }
        }
    }
    let _ = writeln!(s);
    s
}

/// The sentence a miss explanation quotes, or what stood in its way.
#[must_use]
pub fn quote(profile: Option<&Result<Profile, String>>) -> String {
    match profile {
        Some(Ok(p)) => format!(
            "A perf profile of this workload ({} samples) puts {}; largest symbols {}.",
            p.samples,
            p.parts(),
            p.top(3)
        ),
        Some(Err(why)) => format!("No profile in this run: {why}."),
        None => "No profile in this run.".to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const REPORT: &str = "\
# Samples: 8K of event 'cpu-clock'
# Event count (approx.): 2002002
#
    41.20%  [.] migseal_verifier::stream::Verifier<C>::advance
    10.10%  [.] <migseal_verifier::framing::Walker as core::fmt::Debug>::fmt
     6.00%  [.] <migseal_verifier::dalek::DalekSha256 as migseal_verifier::crypto::Sha256>::update
     4.00%  [.] curve25519_dalek::backend::serial::u64::field::FieldElement51::pow2k
    12.00%  [.] migseal_format::cbor::skip::ItemScan::feed
     9.50%  [.] sha2::sha256::x86::compress
     8.00%  [.] __memmove_avx_unaligned_erms
     5.00%  [k] handle_mm_fault
     4.20%  [.] migseal_bench::fragments::verify_fed
     1.00%  [.] main
     0x12 not a line
";

    #[test]
    fn report_lines_are_summed_per_part() {
        let p = parse_report(REPORT, samples_of(REPORT)).unwrap();
        assert_eq!(p.samples, 8000);
        assert_eq!(p.symbols.len(), 10);
        assert!((p.share(Part::Verifier) - 55.5).abs() < 1e-9);
        assert!((p.share(Part::Format) - 12.0).abs() < 1e-9);
        assert!((p.share(Part::Hash) - 15.5).abs() < 1e-9);
        assert!((p.share(Part::Signature) - 4.0).abs() < 1e-9);
        assert!((p.share(Part::Copy) - 8.0).abs() < 1e-9);
        assert!((p.share(Part::Kernel) - 5.0).abs() < 1e-9);
        // The caller's feed loop (verify_fed) holds the inlined Verifier::feed.
        assert!((p.share(Part::Other) - 1.0).abs() < 1e-9);
        assert!(
            p.parts().starts_with(
                "verifier and framing walk (migseal_verifier, with the feed loop it is inlined into) 55.5 %"
            ),
            "{}",
            p.parts()
        );
        assert_eq!(p.top(1), "`migseal_verifier::stream::Verifier<…>::advance` 41.2 %");
    }

    #[test]
    fn output_without_symbols_is_an_error() {
        assert!(parse_report("# Samples: 0\n#\n", 0).is_err());
    }

    #[test]
    fn sample_counts_are_read_with_their_scale() {
        assert_eq!(samples_of("# Samples: 812  of event 'cpu-clock'\n"), 812);
        assert_eq!(samples_of("# Samples: 2M of event 'cpu-clock'\n"), 2_000_000);
        assert_eq!(samples_of("no header"), 0);
    }

    #[test]
    fn workloads_round_trip_their_names_and_run() {
        for w in Workload::ALL {
            assert_eq!(Workload::parse(w.name()).unwrap(), w);
        }
        assert!(Workload::parse("nope").is_err());
        // Zero seconds: the inputs build and no round runs.
        assert_eq!(Workload::BytewiseMax.run_for(0).unwrap(), 0);
    }
}
