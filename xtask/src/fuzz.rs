//! The fuzzing step and commands (fuzz/README.md):
//!
//! ```text
//! cargo xtask fuzz corpus          regenerate fuzz/corpus/<target>/seed-* from spec/vectors
//! cargo xtask fuzz smoke [SECS]    what CI runs: build every target, run each SECS seconds
//! cargo xtask fuzz list            the targets
//! cargo xtask fuzz oss-fuzz [SECS] fuzz/oss-fuzz/build.sh in an OSS-Fuzz emulation (oss_fuzz.rs)
//! cargo xtask fuzz coverage [T..]  line/region coverage of the core from the corpora (fuzz_coverage.rs)
//! cargo xtask fuzz long MIN [T..]  long runs of the CI build, recorded in fuzz/RESULTS.md (fuzz_long.rs)
//! ```
//!
//! The smoke installs the pinned cargo-fuzz if it is missing, runs the
//! harness self-tests on stable, regenerates the seeds, builds every
//! target once with `cargo +nightly fuzz build -O --debug-assertions`
//! (release, debug assertions, overflow checks, AddressSanitizer) and
//! OSS-Fuzz's `RUSTFLAGS`, so the OSS-Fuzz emulation that follows in CI
//! reuses the build, then runs each target binary from
//! its seed corpus with the shared dictionary and the limits of its
//! `.options` file, two at a time (CI machines have two cores), and fails
//! on the first crash, leak, timeout or out-of-memory. Everything builds in
//! `fuzz/target`, cargo-fuzz's default, so it never invalidates the main
//! build cache.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Instant;

use crate::{Ctx, oss_fuzz, output, run, status};

/// The cargo-fuzz release CI installs; bump deliberately.
const CARGO_FUZZ_VERSION: &str = "0.13.1";
/// Seconds each target runs in CI: seventeen targets, two at a time, keep
/// the run part near 130 s and the whole step near five minutes on a fresh
/// two-core machine (cargo-fuzz install and the ASan build included).
const SMOKE_SECS: u64 = 15;
/// The host triple cargo-fuzz builds for (its default).
pub(crate) const TRIPLE: &str = "x86_64-unknown-linux-gnu";

/// `cargo xtask fuzz ...`.
pub fn command(ctx: &Ctx, args: &[String]) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("corpus") => status(corpus(ctx)),
        Some("smoke") => {
            let secs = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(SMOKE_SECS);
            status(smoke(ctx, secs))
        }
        Some("oss-fuzz") => {
            let secs = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(oss_fuzz::CI_SECS);
            status(ensure_tools(ctx).and_then(|()| oss_fuzz::emulate(ctx, secs)))
        }
        Some("coverage") => status(crate::fuzz_coverage::run(ctx, &args[1..])),
        Some("long") => status(crate::fuzz_long::run(ctx, &args[1..])),
        Some("list") => status(targets(ctx).map(|ts| ts.iter().for_each(|t| println!("{t}")))),
        _ => {
            eprintln!(
                "usage: cargo xtask fuzz corpus | smoke [SECS] | oss-fuzz [SECS] | coverage [TARGET...] | \
                 long MINUTES [TARGET...] | list"
            );
            ExitCode::from(2)
        }
    }
}

/// The CI step: the smoke, then the OSS-Fuzz emulation on the same build.
pub fn fuzz(ctx: &Ctx) -> Result<(), String> {
    smoke(ctx, SMOKE_SECS)?;
    oss_fuzz::emulate(ctx, oss_fuzz::CI_SECS)
}

fn fuzz_dir(ctx: &Ctx) -> PathBuf {
    ctx.root.join("fuzz")
}

/// A command in `fuzz/`, building into `fuzz/target` whatever the caller's
/// CARGO_TARGET_DIR says.
pub(crate) fn fuzz_cmd(ctx: &Ctx, program: &str, args: &[&str]) -> Result<(), String> {
    fuzz_cmd_env(ctx, program, args, &[])
}

fn fuzz_cmd_env(ctx: &Ctx, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let shown: Vec<String> = env.iter().map(|(k, v)| format!("{k}='{v}' ")).collect();
    println!("+ (cd fuzz && {}{program} {})", shown.concat(), args.join(" "));
    let st = Command::new(program)
        .args(args)
        .current_dir(fuzz_dir(ctx))
        .env_remove("CARGO_TARGET_DIR")
        .envs(env.iter().copied())
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if st.success() { Ok(()) } else { Err(format!("`{program} {}` exited with {st}", args.join(" "))) }
}

pub(crate) fn ensure_tools(ctx: &Ctx) -> Result<(), String> {
    let toolchains = output("rustup", &["toolchain", "list"]);
    if !toolchains.lines().any(|l| l.starts_with("nightly")) {
        run(ctx, "rustup", &["toolchain", "install", "nightly", "--profile", "minimal"], &[])?;
    }
    let version = output("cargo", &["fuzz", "--version"]);
    if !version.contains(CARGO_FUZZ_VERSION) {
        run(ctx, "cargo", &["install", "cargo-fuzz", "--locked", "--version", CARGO_FUZZ_VERSION], &[])?;
    }
    Ok(())
}

/// The targets, as cargo-fuzz sees them (the `[[bin]]`s of fuzz/Cargo.toml).
pub(crate) fn targets(ctx: &Ctx) -> Result<Vec<String>, String> {
    let manifest = std::fs::read_to_string(fuzz_dir(ctx).join("Cargo.toml"))
        .map_err(|e| format!("cannot read fuzz/Cargo.toml: {e}"))?;
    let mut out = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && let Some(name) = line.strip_prefix("name = ") {
            out.push(name.trim_matches('"').to_owned());
        }
    }
    if out.is_empty() {
        return Err("fuzz/Cargo.toml declares no [[bin]] target".into());
    }
    Ok(out)
}

pub(crate) fn corpus(ctx: &Ctx) -> Result<(), String> {
    fuzz_cmd(ctx, "cargo", &["run", "-q", "-p", "migseal-fuzz-harness", "--bin", "fuzz-corpus"])
}

/// The `key = value` lines of a target's `.options` file (the libFuzzer
/// section OSS-Fuzz reads), as libFuzzer flags, so CI and OSS-Fuzz run
/// under the same limits.
fn options(ctx: &Ctx, target: &str) -> Vec<(String, String)> {
    let path = fuzz_dir(ctx).join("options").join(format!("{target}.options"));
    parse_options(&std::fs::read_to_string(path).unwrap_or_default())
}

/// The `key = value` lines of an `.options` text.
pub(crate) fn parse_options(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// A target binary running under libFuzzer.
pub(crate) struct Running {
    pub(crate) target: String,
    child: Child,
    pub(crate) log: PathBuf,
    pub(crate) started: Instant,
}

impl Running {
    /// Waits for the run to end.
    pub(crate) fn wait(&mut self) -> Result<std::process::ExitStatus, String> {
        self.child.wait().map_err(|e| format!("{}: {e}", self.target))
    }
}

/// Starts `target`'s CI build for `secs` seconds on its corpus, logging
/// into `logs`.
pub(crate) fn start(ctx: &Ctx, target: &str, secs: u64, logs: &Path) -> Result<Running, String> {
    let dir = fuzz_dir(ctx);
    let binary = dir.join("target").join(TRIPLE).join("release").join(target);
    let corpus = dir.join("corpus").join(target);
    let artifacts = dir.join("artifacts");
    std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    std::fs::create_dir_all(&artifacts).map_err(|e| format!("{}: {e}", artifacts.display()))?;
    let log = logs.join(format!("{target}.log"));
    let file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    let mut args = vec![
        corpus.display().to_string(),
        format!("-max_total_time={secs}"),
        format!("-dict={}", dir.join("migseal.dict").display()),
        "-timeout=10".into(),
        "-rss_limit_mb=2048".into(),
        "-print_final_stats=1".into(),
        format!("-artifact_prefix={}/{target}-", artifacts.display()),
    ];
    // The target's own options come last: libFuzzer takes the last value.
    args.extend(options(ctx, target).into_iter().map(|(k, v)| format!("-{k}={v}")));
    println!("+ {} {}", binary.display(), args.join(" "));
    let child = Command::new(&binary)
        .args(&args)
        .current_dir(&dir)
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err))
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    Ok(Running { target: target.to_owned(), child, log, started: Instant::now() })
}

/// Executions (libFuzzer's final stats), and exec/s, coverage and
/// features from the last status line of a log.
pub(crate) fn stats(log: &str) -> (String, String, String, String) {
    let field = |line: &str, key: &str| {
        line.split_whitespace().skip_while(|w| *w != key).nth(1).unwrap_or("?").to_owned()
    };
    let last = log.lines().rev().find(|l| l.starts_with('#') && l.contains("cov:")).unwrap_or("");
    let runs = log
        .lines()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .map_or_else(|| "?".to_owned(), |s| s.trim().to_owned());
    (runs, field(last, "exec/s:"), field(last, "cov:"), field(last, "ft:"))
}

fn finish(mut r: Running, rows: &mut Vec<String>) -> Result<(), String> {
    let st = r.wait()?;
    let secs = r.started.elapsed().as_secs_f64();
    let log = std::fs::read_to_string(&r.log).unwrap_or_default();
    let (runs, execs, cov, ft) = stats(&log);
    let verdict = if st.success() { "ok" } else { "CRASH" };
    rows.push(format!("{:20} {verdict:6} {secs:>6.1} {runs:>10} {execs:>8} {cov:>6} {ft:>7}", r.target));
    if st.success() {
        return Ok(());
    }
    let tail: Vec<&str> = log.lines().rev().take(60).collect();
    eprintln!("---- {} ({st}), last lines of {} ----", r.target, r.log.display());
    for l in tail.iter().rev() {
        eprintln!("{l}");
    }
    Err(format!(
        "fuzz target {} failed ({st}); the input is in fuzz/artifacts/ (see the log above). Reproduce with \
         `cd fuzz && cargo +nightly fuzz run {} artifacts/<file>`, then follow fuzz/README.md (triage)",
        r.target, r.target
    ))
}

/// Builds every target as CI and OSS-Fuzz do (nightly, OSS-Fuzz's
/// `RUSTFLAGS`, `-O --debug-assertions`, AddressSanitizer).
pub(crate) fn build(ctx: &Ctx) -> Result<(), String> {
    let mut build = vec!["+nightly"];
    build.extend(oss_fuzz::BUILD_ARGS);
    fuzz_cmd_env(ctx, "cargo", &build, &[("RUSTFLAGS", oss_fuzz::RUSTFLAGS)])
}

fn smoke(ctx: &Ctx, secs: u64) -> Result<(), String> {
    ensure_tools(ctx)?;
    // On stable, without libFuzzer: every seed passes its target's checks,
    // every target has a binary, the dictionary matches the encoder.
    fuzz_cmd(ctx, "cargo", &["test", "-q", "-p", "migseal-fuzz-harness"])?;
    corpus(ctx)?;
    build(ctx)?;
    let logs = fuzz_dir(ctx).join("target").join("smoke");
    std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
    let all = targets(ctx)?;
    let mut rows = Vec::new();
    let mut result = Ok(());
    // Two at a time: one per core.
    for pair in all.chunks(2) {
        let running: Vec<Running> =
            pair.iter().map(|t| start(ctx, t, secs, &logs)).collect::<Result<_, _>>()?;
        for r in running {
            let outcome = finish(r, &mut rows);
            if result.is_ok() {
                result = outcome;
            }
        }
        if result.is_err() {
            break;
        }
    }
    println!(
        "\n{:20} {:6} {:>6} {:>10} {:>8} {:>6} {:>7}",
        "target", "status", "secs", "runs", "exec/s", "cov", "ft"
    );
    for row in &rows {
        println!("{row}");
    }
    result
}
