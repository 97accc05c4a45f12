//! `migseal-bench`: the measurements criterion cannot make, and the report.
//!
//! ```text
//! migseal-bench report [--quick] [--out FILE] [--root DIR] [--criterion DIR] [--cli PATH]
//!                      [--work DIR] [--since UNIX_SECONDS] [--wasm-pkg DIR] [--load-before TEXT]
//!                      [--cli-portable PATH] [--cpu-before TEXT]
//! migseal-bench cpu-sample
//! migseal-bench pipe-rss --cli PATH --root DIR --bytes N
//! migseal-bench write-image --out FILE --bytes N
//! migseal-bench cli-parallel --cli PATH --root DIR --work DIR --bytes N [--runs N]
//! migseal-bench profile-loop --what WORKLOAD --secs N
//! ```
//!
//! `cargo xtask bench` builds everything, runs the criterion benchmarks,
//! then `report`. `pipe-rss` runs in a child process of its own so that
//! getrusage's children maximum covers `migseal verify` alone.
#![forbid(unsafe_code)]
#![allow(clippy::float_arithmetic)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, UNIX_EPOCH};

use migseal_bench::harness::criterion_dir;
use migseal_bench::machine::{self, Machine};
use migseal_bench::mode::{Mode, size_label};
use migseal_bench::report::{self, Inputs, WasmFigure};
use migseal_bench::system::{self, PipeRun};
use migseal_bench::{comparisons, profile, units, wasm};
use migseal_verifier::{Dalek, Sealer, Verifier};

const USAGE: &str = "usage:
  migseal-bench report [--quick] [--out FILE] [--root DIR] [--criterion DIR] [--cli PATH]
                       [--work DIR] [--since UNIX_SECONDS] [--wasm-pkg DIR] [--load-before TEXT]
                       [--cli-portable PATH] [--cpu-before TEXT]
  migseal-bench cpu-sample
  migseal-bench pipe-rss --cli PATH --root DIR --bytes N
  migseal-bench write-image --out FILE --bytes N
  migseal-bench webcrypto [--quick] [--root DIR] [--work DIR]
  migseal-bench cli-parallel --cli PATH --root DIR --work DIR --bytes N [--runs N]
  migseal-bench profile-loop --what pages|bytewise-max|bytewise-typical|header-path --secs N";

/// Parsed `--flag value` pairs and bare `--switch`es.
struct Args {
    pairs: Vec<(String, String)>,
    switches: Vec<String>,
}

impl Args {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut pairs = Vec::new();
        let mut switches = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--quick" => switches.push(a.clone()),
                flag if flag.starts_with("--") => {
                    let value = it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
                    pairs.push((flag.trim_start_matches("--").to_owned(), value.clone()));
                }
                other => return Err(format!("unexpected argument {other:?}\n{USAGE}")),
            }
        }
        Ok(Self { pairs, switches })
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        self.get(key).map(PathBuf::from)
    }

    fn need(&self, key: &str) -> Result<&str, String> {
        self.get(key).ok_or_else(|| format!("--{key} is required\n{USAGE}"))
    }

    fn bytes(&self) -> Result<u64, String> {
        self.need("bytes")?.parse().map_err(|e| format!("--bytes: {e}"))
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("report") => Args::parse(args.get(1..).unwrap_or(&[])).and_then(|a| run_report(&a)),
        Some("pipe-rss") => Args::parse(args.get(1..).unwrap_or(&[])).and_then(|a| pipe_rss(&a)),
        Some("write-image") => Args::parse(args.get(1..).unwrap_or(&[])).and_then(|a| write_image(&a)),
        Some("webcrypto") => Args::parse(args.get(1..).unwrap_or(&[])).and_then(|a| webcrypto_alone(&a)),
        Some("cli-parallel") => Args::parse(args.get(1..).unwrap_or(&[])).and_then(|a| cli_parallel(&a)),
        Some("profile-loop") => Args::parse(args.get(1..).unwrap_or(&[])).and_then(|a| profile_loop(&a)),
        Some("cpu-sample") => {
            println!("{}", cpu_sample());
            Ok(())
        }
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("migseal-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Others' CPU use over the next two seconds, for the report.
fn cpu_sample() -> String {
    machine::sample_cpu(Duration::from_secs(2)).map_or_else(|| "unknown".to_owned(), |c| c.to_string())
}

fn pipe_rss(a: &Args) -> Result<(), String> {
    let run = system::pipe_verify(Path::new(a.need("cli")?), Path::new(a.need("root")?), a.bytes()?)?;
    println!("{}", run.to_json());
    Ok(())
}

fn write_image(a: &Args) -> Result<(), String> {
    let n = system::write_image_file(Path::new(a.need("out")?), a.bytes()?)?;
    println!("{n} bytes");
    Ok(())
}

/// The WebCrypto figures alone (`migseal-bench webcrypto [--quick] [--root DIR]`): its
/// section and goal rows on stdout.
fn webcrypto_alone(a: &Args) -> Result<(), String> {
    let mode = if a.switches.iter().any(|s| s == "--quick") { Mode::Quick } else { Mode::from_env() };
    let root = a.path("root").unwrap_or_else(|| PathBuf::from("."));
    let work = a.path("work").unwrap_or_else(|| exe_dir().join("migseal-bench-work"));
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let load = machine::load_average();
    let f = migseal_bench::webcrypto::measure(&root, &work, mode, mode.runs())?;
    println!("{}\n{}", f.goal_rows(mode).join("\n"), f.section());
    println!("load average before → after: {load} → {}", machine::load_average());
    Ok(())
}

/// The parallel CLI comparisons alone, printed as the report's rows and
/// section.
fn cli_parallel(a: &Args) -> Result<(), String> {
    let runs = a.get("runs").map_or(Ok(1), str::parse).map_err(|e| format!("--runs: {e}"))?;
    let work = PathBuf::from(a.need("work")?);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let run = migseal_bench::cli_parallel::measure_size(
        Path::new(a.need("cli")?),
        Path::new(a.need("root")?),
        &work,
        a.bytes()?,
        runs,
    )?;
    print!("{}\n{}", run.goal_rows(), run.section());
    for note in run.misses() {
        println!("{note}");
    }
    Ok(())
}

/// One workload in a loop, for `perf record` (see `migseal_bench::profile`).
fn profile_loop(a: &Args) -> Result<(), String> {
    let workload = profile::Workload::parse(a.need("what")?)?;
    let secs = a.need("secs")?.parse().map_err(|e| format!("--secs: {e}"))?;
    let rounds = workload.run_for(secs)?;
    println!("{}: {rounds} rounds", workload.name());
    Ok(())
}

/// The directory this binary lives in (`<target>/release`).
fn exe_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
}

fn run_report(a: &Args) -> Result<(), String> {
    let mode = if a.switches.iter().any(|s| s == "--quick") { Mode::Quick } else { Mode::from_env() };
    let root = a.path("root").unwrap_or_else(|| PathBuf::from("."));
    let out = a.path("out").unwrap_or_else(|| root.join("BENCHMARKS.md"));
    let crit = a.path("criterion").unwrap_or_else(criterion_dir);
    let cli = a.path("cli").unwrap_or_else(|| exe_dir().join("migseal"));
    let work = a.path("work").unwrap_or_else(|| exe_dir().join("migseal-bench-work"));
    let since = match a.get("since") {
        Some(s) => {
            UNIX_EPOCH.checked_add(Duration::from_secs(s.parse().map_err(|e| format!("--since: {e}"))?))
        }
        None => None,
    };
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    // xtask reads the load before the benchmarks start; by now they ran.
    let load_before = a.get("load-before").map_or_else(machine::load_average, str::to_owned);
    let machine = Machine::probe();
    println!("report: {} mode on {} ({} CPUs), load {load_before}", mode.name(), machine.cpu, machine.cores);

    // Criterion's results first: a missing one is the cheapest failure.
    let rows = report::read_rows(&crit, since)?;
    let parts: Vec<(&str, &str, &str)> =
        comparisons::HEADER_PARTS.iter().map(|(b, t)| ("header-parts", *b, *t)).collect();
    let header_parts = report::read_times(&crit, &parts, since)?;
    let compat = report::read_times(&crit, comparisons::COMPAT, since)?;

    // Peak RSS in a child of its own (see the module docs).
    println!("report: migseal verify on a {} pipe", size_label(mode.pipe_bytes()));
    let pipe = pipe_rss_in_child(&cli, &root, mode.pipe_bytes())?;
    if !pipe.verified {
        return Err(format!(
            "migseal verify did not verify the {} pipe image",
            size_label(pipe.payload_bytes)
        ));
    }
    println!("report: peak RSS {} KiB, {:.2} s", pipe.max_rss_kib, pipe.seconds);

    println!("report: migseal verify and openssl dgst on a {} file", size_label(mode.cli_bytes()));
    let image = work.join("cli-image.migseal");
    system::write_image_file(&image, mode.cli_bytes())?;
    let cli_run = system::cli_vs_openssl(&cli, &root, &image, mode.runs());
    let _ = std::fs::remove_file(&image);
    let cli_run = cli_run?;

    println!(
        "report: parallel verify and seal against openssl and sha256sum, {}",
        size_label(mode.cli_bytes())
    );
    let cli_parallel = Some(migseal_bench::cli_parallel::measure(&cli, &root, &work, mode)?);

    let wasm = wasm_figure(a, &root, &work, mode)?;
    println!("report: verifyWebCrypto in headless Chromium, {} image", size_label(mode.wasm_bytes()));
    let webcrypto = migseal_bench::webcrypto::measure(&root, &work, mode, mode.runs())?;
    println!("report: CPU profiles of the fragment workloads (perf record)");
    let me = std::env::current_exe().map_err(|e| format!("cannot find myself: {e}"))?;
    let profiles = profile::record_all(&me, &work);
    for (w, p) in &profiles {
        if let Err(why) = p {
            println!("report: no profile of {}: {why}", w.name());
        }
    }
    let sizes = (core::mem::size_of::<Verifier<Dalek>>(), core::mem::size_of::<Sealer<Dalek>>());
    let cpu_before = a.get("cpu-before").unwrap_or("not sampled").to_owned();
    let inputs = Inputs {
        mode,
        machine,
        load: (load_before, machine::load_average()),
        cpu: (cpu_before, cpu_sample()),
        rows,
        header_parts,
        compat,
        sizes,
        pipe,
        cli: cli_run,
        wasm,
        webcrypto: Some(webcrypto),
        cli_parallel,
        profiles,
    };
    let text = inputs.render();
    std::fs::write(&out, &text).map_err(|e| format!("{}: {e}", out.display()))?;
    print_summary(&inputs);
    println!("report: wrote {}", out.display());
    Ok(())
}

fn pipe_rss_in_child(cli: &Path, root: &Path, bytes: u64) -> Result<PipeRun, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot find myself: {e}"))?;
    let out = Command::new(me)
        .arg("pipe-rss")
        .arg("--cli")
        .arg(cli)
        .arg("--root")
        .arg(root)
        .arg("--bytes")
        .arg(bytes.to_string())
        .output()
        .map_err(|e| format!("cannot run pipe-rss: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("pipe-rss failed: {stdout}{}", String::from_utf8_lossy(&out.stderr)));
    }
    let v = serde_json::from_str(stdout.trim()).map_err(|e| format!("pipe-rss output: {e}: {stdout}"))?;
    PipeRun::from_json(&v)
}

fn wasm_figure(a: &Args, root: &Path, work: &Path, mode: Mode) -> Result<WasmFigure, String> {
    let explicit = a.path("wasm-pkg");
    let Some(package) = wasm::find_package(root, explicit.as_deref()) else {
        return Ok(WasmFigure::Skipped("skipped: wasm package not built (run cargo xtask wasm)".into()));
    };
    let Some(node_version) = machine::version_of("node", &["--version"]) else {
        return Ok(WasmFigure::Skipped("skipped: node not found".into()));
    };
    println!(
        "report: WASM in Node {node_version} from {}, {} image",
        package.display(),
        size_label(mode.wasm_bytes())
    );
    let image = work.join("wasm-image.migseal");
    system::write_image_file(&image, mode.wasm_bytes())?;
    let script = root.join("bench/wasm-bench.mjs");
    let node = wasm::run_node(&script, &package, &image, root, mode.runs());
    let bytes = std::fs::read(&image).map_err(|e| format!("{}: {e}", image.display()));
    let native_seconds = wasm::native_seconds(&bytes?, mode.runs());
    let portable =
        a.path("cli-portable").map(|cli| system::best_verify_seconds(&cli, root, &image, mode.runs()));
    let _ = std::fs::remove_file(&image);
    Ok(WasmFigure::Measured {
        node: node?,
        native_seconds: native_seconds?,
        native_portable_seconds: portable.transpose()?,
    })
}

fn print_summary(i: &Inputs) {
    for r in &i.rows {
        println!(
            "  {}: {} {} ({})",
            r.comparison.title,
            units::ratio(r.ratio()),
            r.comparison.goal.ratio_kind(),
            match r.outcome() {
                comparisons::Outcome::Met => "goal met".to_owned(),
                comparisons::Outcome::Missed(by) => format!("goal missed by {}", units::percent(by)),
                comparisons::Outcome::NoGoal => "no goal".to_owned(),
            }
        );
    }
    println!("  peak RSS: {} KiB; size_of::<Verifier>() = {} bytes", i.pipe.max_rss_kib, i.sizes.0);
    if let Some(o) = i.cli.openssl_seconds {
        println!("  CLI {:.3} s vs openssl {o:.3} s", i.cli.migseal_seconds);
    }
    match &i.wasm {
        WasmFigure::Measured { node, native_seconds, .. } => println!(
            "  WASM {:.3} s vs native {native_seconds:.3} s ({} speed)",
            node.verify_seconds,
            units::ratio(native_seconds / node.verify_seconds)
        ),
        WasmFigure::Skipped(why) => println!("  WASM {why}"),
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

    #[test]
    fn args() {
        let v: Vec<String> =
            ["--quick", "--out", "x.md", "--bytes", "12"].iter().map(|s| (*s).to_owned()).collect();
        let a = Args::parse(&v).unwrap();
        assert_eq!(a.get("out"), Some("x.md"));
        assert_eq!(a.bytes().unwrap(), 12);
        assert!(a.switches.contains(&"--quick".to_owned()));
        assert!(a.need("cli").is_err());
        assert!(Args::parse(&["--out".to_owned()]).is_err());
        assert!(Args::parse(&["stray".to_owned()]).is_err());
    }
}
