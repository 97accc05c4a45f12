//! `cargo xtask mutants`: mutation testing of the kernel-grade core with
//! cargo-mutants (<https://mutants.rs>).
//!
//! ```text
//! cargo xtask mutants                  every shard (SHARDS of them), then MUTANTS.md
//! cargo xtask mutants --shards 0,5,9   only those shards of SHARDS, then MUTANTS.md (a sample)
//! cargo xtask mutants --sample         what CI runs: shard SAMPLE of SAMPLE_OF, report printed
//! cargo xtask mutants --sample --write  the same, and the report written to MUTANTS.md (marked a sample)
//! ```
//!
//! Mutants are made in `format/`, `verifier/` and `codecs/` only, and each
//! is judged by the whole workspace's tests (`--test-workspace=true`): the
//! integration tests at the root, the C ABI's and the CLI's tests count.
//! Shards are round-robin slices of cargo-mutants' fixed mutant list, so a
//! few shards sample every file. Each shard writes its own
//! `target/mutants/shard-K/mutants.out/` (caught.txt, missed.txt,
//! unviable.txt, timeout.txt, one `path:line:col: description` per line);
//! the report adds them up per crate and lists every missed mutant.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::{Ctx, output, run, status};

/// The cargo-mutants release used; bump deliberately (output formats and
/// mutation operators change between releases).
const CARGO_MUTANTS_VERSION: &str = "27.1.0";
/// The crates mutated: (package, source directory).
const CRATES: &[(&str, &str)] =
    &[("migseal-format", "format/"), ("migseal-verifier", "verifier/"), ("migseal-codecs", "codecs/")];
/// Shards of a full run: each is one cargo-mutants run (a baseline test
/// run plus its mutants), resumable one at a time on a two-core machine.
const SHARDS: usize = 16;
/// CI's fixed sample: shard SAMPLE of SAMPLE_OF (a handful of mutants), so
/// the command, the tool's install and the report cannot rot.
const SAMPLE: usize = 7;
const SAMPLE_OF: usize = 400;
/// Per-mutant test timeout (seconds): the workspace tests take about a
/// minute on two busy cores; a mutant that loops is a "timeout" outcome.
const TIMEOUT_SECS: &str = "600";
/// The four outcome files cargo-mutants writes, in report order.
const OUTCOMES: &[&str] = &["caught", "missed", "unviable", "timeout"];

/// `cargo xtask mutants ...`.
pub fn command(ctx: &Ctx, args: &[String]) -> ExitCode {
    let shards: Result<Vec<usize>, String> = match args.first().map(String::as_str) {
        None => Ok((0..SHARDS).collect()),
        Some("--shards") => {
            args.get(1).ok_or_else(|| "--shards needs a list, e.g. 0,5,9".to_owned()).and_then(|l| {
                l.split(',').map(|s| s.trim().parse().map_err(|e| format!("shard {s}: {e}"))).collect()
            })
        }
        Some("--sample") => return status(sample(ctx, args.iter().any(|a| a == "--write"))),
        Some(_) => Err("usage: cargo xtask mutants [--shards K,K,...] | --sample".into()),
    };
    match shards {
        Ok(shards) => status(full(ctx, &shards)),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// The CI step: the fixed sample, its report printed (MUTANTS.md untouched).
pub fn ci_step(ctx: &Ctx) -> Result<(), String> {
    sample(ctx, false)
}

fn sample(ctx: &Ctx, write: bool) -> Result<(), String> {
    ensure_tool(ctx)?;
    let started = std::time::Instant::now();
    let dir = out_dir(ctx, "sample");
    run_shard(ctx, SAMPLE, SAMPLE_OF, &dir, false)?;
    let counts = collect(&[dir])?;
    let total: usize = counts.values().map(|c| c.values().map(Vec::len).sum::<usize>()).sum();
    if total == 0 {
        return Err(format!(
            "shard {SAMPLE}/{SAMPLE_OF} tested no mutant: did cargo-mutants' output change?"
        ));
    }
    let scope = format!(
        "SAMPLE only: shard {SAMPLE}/{SAMPLE_OF} (round-robin), the fixed sample CI runs; not the full run, \
         so these counts say nothing about the crates' overall score"
    );
    let mut text = report(&counts, &scope);
    let _ = writeln!(text, "\nWall time: {:.0} s on this machine.", started.elapsed().as_secs_f64());
    print!("{text}");
    if write {
        let path = ctx.root.join("MUTANTS.md");
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn full(ctx: &Ctx, shards: &[usize]) -> Result<(), String> {
    ensure_tool(ctx)?;
    let started = std::time::Instant::now();
    let mut dirs = Vec::new();
    for &k in shards {
        if k >= SHARDS {
            return Err(format!("shard {k} is not below {SHARDS}"));
        }
        let dir = out_dir(ctx, &format!("shard-{k}"));
        run_shard(ctx, k, SHARDS, &dir, true)?;
        dirs.push(dir);
    }
    let counts = collect(&dirs)?;
    let scope = if shards.len() == SHARDS {
        format!("full run: all {SHARDS} shards")
    } else {
        let list: Vec<String> = shards.iter().map(ToString::to_string).collect();
        format!(
            "PARTIAL run: shards {} of {SHARDS} (round-robin), about {}% of the mutants; not the full run",
            list.join(", "),
            shards.len() * 100 / SHARDS
        )
    };
    let mut text = report(&counts, &scope);
    let _ = writeln!(text, "\nWall time: {:.0} s on this machine.", started.elapsed().as_secs_f64());
    let path = ctx.root.join("MUTANTS.md");
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

fn out_dir(ctx: &Ctx, name: &str) -> PathBuf {
    ctx.root.join("target").join("mutants").join(name)
}

fn ensure_tool(ctx: &Ctx) -> Result<(), String> {
    if !output("cargo", &["mutants", "--version"]).contains(CARGO_MUTANTS_VERSION) {
        run(
            ctx,
            "cargo",
            &["install", "cargo-mutants", "--locked", "--version", CARGO_MUTANTS_VERSION],
            &[],
        )?;
    }
    Ok(())
}

/// One cargo-mutants run over shard `k` of `n`. Exit codes 2 (missed
/// mutants) and 3 (timeouts) are outcomes for the report, not failures;
/// anything else (the unmutated tree fails its tests, a usage error) is.
/// Each run copies the tree without its git-ignored files (build outputs,
/// fuzz corpora) to a temporary directory and builds there.
/// `baseline`: test the unmutated tree first (the sample skips it: in CI
/// the `test` step has just run the same tests).
fn run_shard(ctx: &Ctx, k: usize, n: usize, dir: &Path, baseline: bool) -> Result<(), String> {
    let shard = format!("{k}/{n}");
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out = dir.display().to_string();
    // In CI (CI=true, a throw-away clone) mutate in place: the mutants then
    // build on the `test` step's target/ instead of a cold copy of the
    // workspace. Elsewhere, never touch the working tree: copy it (without
    // its git-ignored files) and test one mutant at a time.
    let in_place = std::env::var_os("CI").is_some();
    // The full run tests each mutant against the whole workspace (the
    // issue's measure); CI's sample only proves the command works, against
    // the mutated crate's own tests, so it stays within minutes.
    let mut args = vec![
        "mutants",
        if baseline { "--test-workspace=true" } else { "--test-workspace=false" },
        "--shard",
        &shard,
        "--sharding",
        "round-robin",
    ];
    for (package, _) in CRATES {
        args.extend(["--package", package]);
    }
    if !baseline {
        args.push("--baseline=skip");
    }
    // cargo-mutants refuses --gitignore and --jobs with --in-place (there
    // is no copy to filter, and one tree builds one mutant at a time).
    if in_place {
        args.push("--in-place");
    } else {
        args.extend(["--gitignore=true", "--jobs", "1"]);
    }
    args.extend(["--timeout", TIMEOUT_SECS, "--output", &out, "--colors", "never"]);
    println!("+ cargo {}", args.join(" "));
    let st = std::process::Command::new("cargo")
        .args(&args)
        .current_dir(&ctx.root)
        .status()
        .map_err(|e| format!("cannot start cargo mutants: {e}"))?;
    match st.code() {
        Some(0 | 2 | 3) => Ok(()),
        _ => Err(format!("cargo mutants --shard {shard} failed ({st}); see {out}/mutants.out/debug.log")),
    }
}

/// crate directory → outcome → mutant lines, from every shard's output.
type Counts = BTreeMap<&'static str, BTreeMap<&'static str, Vec<String>>>;

fn collect(dirs: &[PathBuf]) -> Result<Counts, String> {
    let mut counts: Counts = BTreeMap::new();
    for (_, krate) in CRATES {
        counts.insert(krate, OUTCOMES.iter().map(|o| (*o, Vec::new())).collect());
    }
    for dir in dirs {
        for outcome in OUTCOMES {
            let path = dir.join("mutants.out").join(format!("{outcome}.txt"));
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let krate = CRATES.iter().map(|(_, d)| *d).find(|d| line.starts_with(d));
                let krate = krate.ok_or_else(|| {
                    format!("{}: a mutant outside the three crates: {line}", path.display())
                })?;
                counts.entry(krate).or_default().entry(outcome).or_default().push(line.to_owned());
            }
        }
    }
    Ok(counts)
}

fn report(counts: &Counts, scope: &str) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "# Mutation testing: format, verifier, codecs\n");
    let _ = writeln!(
        t,
        "Generated by `cargo xtask mutants` (cargo-mutants {CARGO_MUTANTS_VERSION}). A full or partial run \
         judges every mutant by the whole workspace's tests (`--test-workspace=true`); CI's sample only by the \
         mutated crate's own tests, to prove the command works.\n\nScope: {scope}.\n"
    );
    let _ = writeln!(t, "| crate | caught | missed | unviable | timeout | caught / viable |");
    let _ = writeln!(t, "| --- | ---: | ---: | ---: | ---: | ---: |");
    let n = |c: &BTreeMap<&str, Vec<String>>, o: &str| c.get(o).map_or(0, Vec::len);
    for (krate, c) in counts {
        let (caught, missed, unviable, timeout) =
            (n(c, "caught"), n(c, "missed"), n(c, "unviable"), n(c, "timeout"));
        // Viable = compiled; a timeout counts as caught (the mutant changed behaviour).
        let viable = caught + missed + timeout;
        let score = ((caught + timeout) * 100)
            .checked_div(viable)
            .map_or_else(|| "-".to_owned(), |p| format!("{p}%"));
        let _ = writeln!(t, "| {krate} | {caught} | {missed} | {unviable} | {timeout} | {score} |");
    }
    let _ = writeln!(t, "\n## Missed mutants\n");
    let mut any = false;
    for (krate, c) in counts {
        for line in c.get("missed").into_iter().flatten() {
            any = true;
            let _ = writeln!(t, "- `{line}` ({krate})");
        }
    }
    if !any {
        let _ = writeln!(t, "None in this run.");
    }
    t
}
