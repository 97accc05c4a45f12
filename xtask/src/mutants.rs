//! `cargo xtask mutants`: mutation testing of the kernel-grade core with
//! cargo-mutants (<https://mutants.rs>), judged in two stages.
//!
//! ```text
//! cargo xtask mutants                    every shard (SHARDS of them), then MUTANTS.md's generated block
//! cargo xtask mutants --shards 0,5,9     only those shards of SHARDS (a partial run)
//! cargo xtask mutants --file GLOB [--file GLOB | --re REGEX]...
//!                                        only those files' mutants (cargo-mutants' --file, --re)
//! cargo xtask mutants --sample           what CI runs: shard SAMPLE of SAMPLE_OF, report printed
//! cargo xtask mutants --sample --write   the same, and the report written to MUTANTS.md (marked a sample)
//! cargo xtask mutants --in-place ...     any of the above, mutating this tree itself (see below)
//! cargo xtask mutants --explain          re-annotate MUTANTS.md's missed mutants; fails while one has no reason
//! cargo xtask mutants --recheck [DIR]    the shards in DIR (default target/mutants), their missed mutants judged
//!                                        again on this tree (same sources of the three crates, more tests)
//! ```
//!
//! Every missed mutant in the report carries the reason written by hand
//! for it in MUTANTS.md outside the generated block (a list item naming the
//! mutant, matched by file and description so that moved lines keep their
//! reason), or the mark "not explained yet".
//!
//! A full run is resumable: each shard's outcomes stay in
//! `target/mutants/shard-K/` with the tree they were judged on, and every
//! `--shards` run reports all shards on disk judged on the current tree
//! (the commit, up to the generated reports), so `--shards 0,1,2` today
//! and `--shards 3,...,15` tomorrow write the full run's report. Mutants are built with the `mutation`
//! profile (the test profile without debug info: same checks, faster
//! links). `--in-place` mutates the working tree instead of a copy, so the
//! build directory stays warm from one shard to the next; use it only in a
//! worktree or clone that nothing else uses while it runs (CI, a throw-away
//! clone, always mutates in place).
//!
//! Mutants are made in `format/`, `verifier/` and `codecs/` only. The
//! measure is the whole workspace's tests (`--test-workspace=true`: the
//! integration tests at the root, the C ABI's and the CLI's tests count),
//! but building and running those costs two to three minutes per mutant on
//! a two-core machine, days for the ~1,600 mutants. So each selection
//! (shard or files) is judged in two stages:
//!
//! 1. **Stage 1** runs every mutant against the mutated crate's own tests
//!    only (`--test-workspace=false`: its unit tests, `tests/*.rs` and
//!    doctests), seconds per mutant. Its *caught*, *unviable* and
//!    *timeout* outcomes are final.
//! 2. **Stage 2** re-runs only stage 1's *missed* mutants,
//!    named exactly (`-F '^escaped name$'`), against the whole workspace's
//!    tests (`--test-workspace=true`); its outcome is final.
//!
//! Why this is the classification a pure `--test-workspace=true` run gives:
//!
//! - *Caught in stage 1 ⇒ caught by the workspace.* `cargo test --workspace`
//!   builds and runs every test the crate's own `cargo test -p CRATE` runs
//!   (they are a subset of the workspace's), so the failing test fails
//!   there too. Two corner cases can change the *name* of the outcome,
//!   never whether the mutant was detected: a test elsewhere in the
//!   workspace that hangs under the mutant before cargo reaches the failing
//!   one (a pure run says *timeout*, stage 1 *caught*; both count as
//!   detected), and a mutated `const fn` evaluated in a `const` of another
//!   crate that then fails to build (a pure run says *unviable*); the core
//!   crates are leaves under the others' tests and no `const` outside them
//!   calls their `const fn`s today.
//! - *Unviable in stage 1 ⇒ unviable in the workspace.* Mutants replace
//!   function bodies only, so a body that does not type-check in its own
//!   crate does not type-check in the workspace build either (the crate
//!   compiles with the same or more features there; features only add
//!   code, the mutated body is the same text).
//! - *Timeout in stage 1 ⇒ detected by the workspace.* The workspace's
//!   tests include the crate's test that hung, so a pure run either
//!   reaches it and times out too, or fails on another test first
//!   (caught): detected either way, which is all the score counts. The
//!   one way out is a mutant that only slows a test down past stage 1's
//!   timeout (more than 25 times the crate's unmutated test time here) and
//!   then passes; the report lists every timeout, so such a case can be
//!   read and re-judged by hand. Re-judging every timeout by the workspace
//!   cost up to 10 minutes each ([`STAGE2_TIMEOUT_SECS`]), as much as the
//!   rest of a shard.
//! - *Missed in stage 1:* the crate's tests say nothing final (the
//!   workspace's other tests may catch it), so stage 2 asks the workspace,
//!   exactly as a pure run would. Code compiled only under a
//!   feature the crate's own tests do not enable (`verifier/src/parallel.rs`
//!   needs `std`) shows up as missed in stage 1 and is decided in stage 2.
//!
//! Tests that draw random inputs (proptest) can in principle catch a mutant
//! in one run and not another; that is a property of those tests, equally
//! true of a pure run. The comparison of a two-stage run with a pure run of
//! the same mutants is recorded in MUTANTS.md's notes.
//!
//! Each stage writes `target/mutants/<selection>/stage{1,2}/mutants.out/`
//! (caught.txt, missed.txt, unviable.txt, timeout.txt, one
//! `path:line:col: description` per line; outcomes.json with per-phase
//! durations). The report replaces only the block between [`BEGIN`] and
//! [`END`] in MUTANTS.md; the hand-written notes around it stay.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use crate::generated::{self, REPORTS};
use crate::{Ctx, output, run, status};

/// The cargo-mutants release used; bump deliberately (output formats and
/// mutation operators change between releases).
const CARGO_MUTANTS_VERSION: &str = "27.1.0";
/// The crates mutated: (package, source directory).
const CRATES: &[(&str, &str)] =
    &[("migseal-format", "format/"), ("migseal-verifier", "verifier/"), ("migseal-codecs", "codecs/")];
/// Shards of a full run: each is one two-stage run, resumable one at a time
/// on a two-core machine.
const SHARDS: usize = 16;
/// CI's fixed sample: shard SAMPLE of SAMPLE_OF (a handful of mutants), so
/// the command, the tool's install and the report cannot rot.
const SAMPLE: usize = 7;
const SAMPLE_OF: usize = 400;
/// Stage 1's per-mutant test timeout (seconds): a crate's own tests take
/// 1 to 5 s unmutated (measured on two busy cores; codecs' proptests took
/// over 60 s before their AP-matrix property was made sparse), so a
/// mutant still running after 120 s loops.
const STAGE1_TIMEOUT_SECS: &str = "120";
/// Stage 2's per-mutant test timeout (seconds): the workspace's tests take
/// about two minutes on two busy cores.
const STAGE2_TIMEOUT_SECS: &str = "600";
/// The four outcome files cargo-mutants writes, in report order.
const OUTCOMES: &[&str] = &["caught", "missed", "unviable", "timeout"];
/// The markers around the generated block of MUTANTS.md.
const BEGIN: &str = "<!-- BEGIN generated by `cargo xtask mutants`: edits up to END are replaced -->";
const END: &str = "<!-- END generated by `cargo xtask mutants` -->";

/// `cargo xtask mutants ...`.
pub fn command(ctx: &Ctx, args: &[String]) -> ExitCode {
    let usage = "usage: cargo xtask mutants [--in-place] [--shards K,K,...] | --file GLOB [--file GLOB | --re REGEX]... | --sample [--write] | --explain | --recheck [DIR]";
    let in_place = args.iter().any(|a| a == "--in-place") || std::env::var_os("CI").is_some();
    let args: Vec<String> = args.iter().filter(|a| *a != "--in-place").cloned().collect();
    let ctx = &Mutation { ctx, in_place };
    let selection: Result<Selection, String> = match args.first().map(String::as_str) {
        None => Ok(Selection::Shards((0..SHARDS).collect())),
        Some("--shards") => {
            args.get(1).ok_or_else(|| "--shards needs a list, e.g. 0,5,9".to_owned()).and_then(|l| {
                l.split(',')
                    .map(|s| s.trim().parse().map_err(|e| format!("shard {s}: {e}")))
                    .collect::<Result<Vec<usize>, String>>()
                    .map(Selection::Shards)
            })
        }
        Some("--file" | "--re") => filters(&args).map(Selection::Files),
        Some("--sample") => return status(sample(ctx, args.iter().any(|a| a == "--write"))),
        Some("--explain") => return status(explain(ctx.ctx)),
        Some("--recheck") => return status(recheck(ctx, args.get(1).map(PathBuf::from))),
        Some(_) => Err(usage.into()),
    };
    match selection {
        Ok(s) => status(full(ctx, &s)),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// The CI step: the fixed sample, its report printed (MUTANTS.md untouched).
pub fn ci_step(ctx: &Ctx) -> Result<(), String> {
    sample(&Mutation { ctx, in_place: true }, false)
}

/// How this invocation mutates: the project context, and whether the
/// working tree itself is mutated (`--in-place`, or CI's throw-away clone)
/// instead of a copy.
struct Mutation<'a> {
    ctx: &'a Ctx,
    in_place: bool,
}

enum Selection {
    Shards(Vec<usize>),
    /// cargo-mutants' own filter arguments, `--file GLOB` and `--re REGEX`.
    Files(Vec<String>),
}

/// Checks that `args` are `--file GLOB` / `--re REGEX` pairs.
fn filters(args: &[String]) -> Result<Vec<String>, String> {
    for pair in args.chunks(2) {
        match pair {
            [flag, value] if (flag == "--file" || flag == "--re") && !value.starts_with("--") => {}
            _ => return Err(format!("expected --file GLOB or --re REGEX, got {}", pair.join(" "))),
        }
    }
    Ok(args.to_vec())
}

fn sample(m: &Mutation<'_>, write: bool) -> Result<(), String> {
    ensure_tool(m.ctx)?;
    let shard = format!("{SAMPLE}/{SAMPLE_OF}");
    // No baselines: in CI the `test` step has just run the same tests.
    let judged =
        two_stage(m, &["--shard", &shard, "--sharding", "round-robin"], &out_dir(m.ctx, "sample"), false)?;
    if judged.total() == 0 {
        return Err(format!("shard {shard} tested no mutant: did cargo-mutants' output change?"));
    }
    let scope = format!(
        "SAMPLE only: shard {shard} (round-robin), the fixed sample CI runs; not the full run, \
         so these counts say nothing about the crates' overall score"
    );
    let text = report(&judged, &scope);
    print!("{text}");
    if write { write_block(&m.ctx.root.join("MUTANTS.md"), &text) } else { Ok(()) }
}

fn full(m: &Mutation<'_>, selection: &Selection) -> Result<(), String> {
    let ctx = m.ctx;
    ensure_tool(ctx)?;
    let key = tree_key(&ctx.root);
    let commit = head(&ctx.root, key.is_some());
    let mut judged = Judged::default();
    let scope = match selection {
        Selection::Shards(shards) => {
            if let Some(k) = shards.iter().find(|k| **k >= SHARDS) {
                return Err(format!("shard {k} is not below {SHARDS}"));
            }
            for &k in shards {
                let shard = format!("{k}/{SHARDS}");
                let dir = out_dir(ctx, &format!("shard-{k}"));
                two_stage(m, &["--shard", &shard, "--sharding", "round-robin"], &dir, true)?;
            }
            // Every shard on disk judged on this tree, whichever run judged it
            // (on a tree with uncommitted changes, only the shards just run).
            let mut done = Vec::new();
            let mut commits = BTreeSet::new();
            for k in 0..SHARDS {
                let dir = out_dir(ctx, &format!("shard-{k}"));
                let here = match (&key, judged_at(&dir)) {
                    (Some(key), Some((at, c))) if at == *key => Some(c),
                    (None, _) if shards.contains(&k) => Some(commit.clone()),
                    _ => None,
                };
                if let Some(c) = here {
                    judged.add(judge(&dir)?);
                    done.push(k);
                    commits.insert(c);
                }
            }
            let at = commits.into_iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
            if done.len() == SHARDS {
                format!(
                    "full run: all {SHARDS} shards (round-robin), judged at commit {at} (one tree: \
                     commits that differ only in {})",
                    REPORTS.join(", ")
                )
            } else {
                let list: Vec<String> = done.iter().map(ToString::to_string).collect();
                format!(
                    "PARTIAL run: shards {} of {SHARDS} (round-robin), about {}% of the mutants, judged at \
                     commit {at}; not the full run",
                    list.join(", "),
                    done.len() * 100 / SHARDS
                )
            }
        }
        Selection::Files(filters) => {
            let args: Vec<&str> = filters.iter().map(String::as_str).collect();
            judged.add(two_stage(m, &args, &out_dir(ctx, "files"), true)?);
            format!(
                "PARTIAL run: the mutants selected by `{}`, judged at commit `{commit}`; not the full run",
                filters.join(" ")
            )
        }
    };
    let text = report(&judged, &scope);
    print!("{text}");
    write_block(&ctx.root.join("MUTANTS.md"), &text)
}

/// Paths whose content decides which mutants exist: the three crates'
/// sources and manifests. A re-check is valid only while these are the
/// same as when the shards were judged (tests may have grown).
const MUTATED: &[&str] = &[
    "format/src",
    "format/Cargo.toml",
    "verifier/src",
    "verifier/Cargo.toml",
    "codecs/src",
    "codecs/Cargo.toml",
];

/// `--recheck [DIR]`: the shards judged in DIR (all on one tree), with
/// every mutant they missed judged again, both stages, on this tree. Tests
/// added since can only turn a missed mutant into a caught one, and the
/// mutants are the same ones as long as [`MUTATED`] is unchanged, which is
/// checked; so the report is the shards' run with those mutants marked
/// caught on re-check, and the commit of the re-check named.
fn recheck(m: &Mutation<'_>, from: Option<PathBuf>) -> Result<(), String> {
    let ctx = m.ctx;
    ensure_tool(ctx)?;
    let from = from.unwrap_or_else(|| ctx.root.join("target").join("mutants"));
    let (mut judged, mut done, mut trees, mut commits) =
        (Judged::default(), Vec::new(), BTreeSet::new(), BTreeSet::new());
    for k in 0..SHARDS {
        let dir = from.join(format!("shard-{k}"));
        if let Some((key, commit)) = judged_at(&dir) {
            judged.add(judge(&dir)?);
            done.push(k);
            trees.insert(key);
            commits.insert(commit);
        }
    }
    if trees.len() != 1 {
        return Err(format!(
            "{}: shards judged on {} trees; a re-check needs one",
            from.display(),
            trees.len()
        ));
    }
    let shard_commit = commits.iter().next().cloned().unwrap_or_default();
    let root = ctx.root.display().to_string();
    let mut diff = vec!["-C", &root, "diff", "--quiet", &shard_commit, "HEAD", "--"];
    diff.extend_from_slice(MUTATED);
    let same = std::process::Command::new("git").args(&diff).status().map_err(|e| format!("git: {e}"))?;
    if !same.success() {
        return Err(format!(
            "the sources of the mutated crates changed since {shard_commit}: the shards' mutants are not this \
             tree's; run the shards again"
        ));
    }
    let missed: BTreeSet<String> = judged
        .crates
        .values()
        .filter_map(|c| c.get("missed"))
        .flatten()
        .map(|(name, _)| name.clone())
        .collect();
    let head = head(&ctx.root, tree_key(&ctx.root).is_some());
    if !missed.is_empty() {
        let select = exactly(&missed);
        let select: Vec<&str> = select.iter().map(String::as_str).collect();
        let again = two_stage(m, &select, &out_dir(ctx, "recheck"), true)?;
        for outcomes in again.crates.into_values() {
            for (outcome, list) in outcomes {
                if outcome == "caught" || outcome == "timeout" {
                    for (name, _) in list.into_iter().filter(|(n, _)| missed.contains(n)) {
                        judged.recheck_caught(&name)?;
                    }
                }
            }
        }
    }
    let list: Vec<String> = done.iter().map(ToString::to_string).collect();
    let scope = format!(
        "{} shards {} of {SHARDS} (round-robin), judged at commit `{shard_commit}`; their {} missed mutants \
         judged again at commit `{head}` (same sources of the three crates, tests added since)",
        if done.len() == SHARDS { "full run: all" } else { "PARTIAL run:" },
        list.join(", "),
        missed.len()
    );
    let text = report(&judged, &scope);
    print!("{text}");
    write_block(&ctx.root.join("MUTANTS.md"), &text)
}

/// The tree the shard in `dir` was judged at (its `commit` file, written
/// when both stages finished: the [`tree_key`] and the commit), if it was.
fn judged_at(dir: &Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(dir.join("commit")).ok()?;
    let (key, commit) = text.trim().split_once(' ')?;
    Some((key.to_owned(), commit.to_owned()))
}

/// HEAD's short hash, marked `+changes` unless `clean` (see [`tree_key`]).
fn head(root: &Path, clean: bool) -> String {
    let head = generated::commit(root);
    let head = head.trim_end_matches("+changes");
    if clean { head.to_owned() } else { format!("{head}+changes") }
}

/// The project's task runner: its unit tests are in the workspace's, but
/// it depends on none of the mutated crates (Cargo.toml: serde_json only),
/// so no mutant can change them. Left out of the tree key, so a fix to a
/// command does not void the shards already judged.
const TOOLING: &str = "xtask/";

/// What a mutant's verdict depends on: a hash of HEAD's tree without
/// [`REPORTS`] and [`TOOLING`] (so shards judged before and after a report commit still
/// form one run), or `None` when tracked files have uncommitted changes
/// (a run on such a tree cannot be matched to any other).
fn tree_key(root: &Path) -> Option<String> {
    let root = root.display().to_string();
    let changed = output("git", &["-C", &root, "status", "--porcelain", "--untracked-files=no"]);
    // Porcelain lines are "XY path"; a run rewrites MUTANTS.md itself.
    if changed
        .lines()
        .any(|l| l.get(3..).is_none_or(|path| !REPORTS.contains(&path) && !path.starts_with(TOOLING)))
    {
        return None;
    }
    let listing = output("git", &["-C", &root, "ls-tree", "-r", "HEAD"]);
    let kept: String = listing
        .lines()
        .filter(|l| {
            l.split_once('\t').is_none_or(|(_, path)| !REPORTS.contains(&path) && !path.starts_with(TOOLING))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let mut child = std::process::Command::new("git")
        .args(["hash-object", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    std::io::Write::write_all(&mut child.stdin.take()?, kept.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    let hash = String::from_utf8(out.stdout).ok()?;
    Some(hash.trim().get(..12)?.to_owned())
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

/// Stage 1 over the mutants `select` names, then stage 2 over stage 1's
/// missed ones (see the module doc); each stage's wall time
/// and, at the end, the commit judged are written beside its outcomes.
fn two_stage(m: &Mutation<'_>, select: &[&str], dir: &Path, baseline: bool) -> Result<Judged, String> {
    let _ = std::fs::remove_file(dir.join("commit"));
    let key = tree_key(&m.ctx.root);
    let commit = head(&m.ctx.root, key.is_some());
    let key = key.unwrap_or_else(|| "uncommitted".to_owned());
    let dir1 = dir.join("stage1");
    let started = Instant::now();
    run_mutants(m, select, false, &dir1, baseline)?;
    write_wall(&dir1, started)?;
    let again = undecided(&read_outcomes(&dir1)?);
    let dir2 = dir.join("stage2");
    let _ = std::fs::remove_dir_all(&dir2);
    if !again.is_empty() {
        let select2 = exactly(&again);
        let select2: Vec<&str> = select2.iter().map(String::as_str).collect();
        let started = Instant::now();
        run_mutants(m, &select2, true, &dir2, baseline)?;
        write_wall(&dir2, started)?;
    }
    let judged = judge(dir)?;
    std::fs::write(dir.join("commit"), format!("{key} {commit}\n"))
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(judged)
}

/// cargo-mutants filter arguments selecting exactly the mutants `names`
/// (and no other but the ones below). cargo-mutants 27.1.0 applies `--re`
/// to every mutant except the "delete field ... from struct expression"
/// ones, which only `--file` filters; so the files are named too, or every
/// such mutant of the three crates would be judged as well (minutes each
/// by the workspace's tests). Those of the named files still run, and
/// `judge` and `recheck` ignore them.
fn exactly(names: &BTreeSet<String>) -> Vec<String> {
    let mut select = Vec::new();
    let files: BTreeSet<&str> = names.iter().filter_map(|n| n.split(':').next()).collect();
    for file in files {
        select.extend(["--file".to_owned(), file.to_owned()]);
    }
    for name in names {
        select.extend(["--re".to_owned(), format!("^{}$", regex_escape(name))]);
    }
    select
}

/// Stage 1's missed mutants: the ones stage 2 decides (see the module doc
/// for why its timeouts are final).
fn undecided(stage1: &[(String, &'static str)]) -> BTreeSet<String> {
    stage1.iter().filter(|(_, o)| *o == "missed").map(|(m, _)| m.clone()).collect()
}

fn write_wall(dir: &Path, started: Instant) -> Result<(), String> {
    let secs = started.elapsed().as_secs_f64();
    std::fs::write(dir.join("wall-secs"), format!("{secs:.1}\n"))
        .map_err(|e| format!("{}: {e}", dir.display()))
}

fn read_wall(dir: &Path) -> f64 {
    std::fs::read_to_string(dir.join("wall-secs")).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0.0)
}

/// The final outcomes of the two-stage run whose outputs are in `dir`:
/// stage 1's caught and unviable mutants, stage 2's verdict on the rest.
fn judge(dir: &Path) -> Result<Judged, String> {
    let mut judged = Judged::default();
    let (dir1, dir2) = (dir.join("stage1"), dir.join("stage2"));
    let stage1 = read_outcomes(&dir1)?;
    judged.wall[0] = read_wall(&dir1);
    judged.costs[0] = read_costs(&dir1)?;
    let again = undecided(&stage1);
    for (mutant, outcome) in stage1 {
        if !again.contains(&mutant) {
            judged.push(mutant, outcome, 1)?;
        }
    }
    if again.is_empty() {
        return Ok(judged);
    }
    judged.wall[1] = read_wall(&dir2);
    judged.costs[1] = read_costs(&dir2)?;
    let mut seen = BTreeSet::new();
    for (mutant, outcome) in read_outcomes(&dir2)? {
        // Mutant names are unique within one listing; any other name here
        // is one of the unfiltered field deletions (see `two_stage`).
        if again.contains(&mutant) && seen.insert(mutant.clone()) {
            judged.push(mutant, outcome, 2)?;
        }
    }
    if let Some(lost) = again.iter().find(|m| !seen.contains(*m)) {
        return Err(format!("stage 2 did not test `{lost}` (did its name change between the stages?)"));
    }
    Ok(judged)
}

/// One cargo-mutants run. `workspace`: judge by the whole workspace's
/// tests (stage 2) or the mutated crate's own (stage 1). Exit codes 2
/// (missed mutants) and 3 (timeouts) are outcomes for the report, not
/// failures; anything else (the unmutated tree fails its tests, a usage
/// error) is. Outside CI each run copies the tree without its git-ignored
/// files (build outputs, fuzz corpora) to a temporary directory and builds
/// there. `baseline`: test the unmutated tree first.
fn run_mutants(
    m: &Mutation<'_>,
    select: &[&str],
    workspace: bool,
    dir: &Path,
    baseline: bool,
) -> Result<(), String> {
    // A stage that ran before must not leave its outcomes behind for the
    // report (cargo-mutants moves an old mutants.out aside, but be sure).
    let _ = std::fs::remove_dir_all(dir.join("mutants.out"));
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out = dir.display().to_string();
    // In place (CI's throw-away clone, or `--in-place` in a spare worktree)
    // the mutants build on the tree's own warm target/ instead of a cold
    // copy of the workspace. Otherwise never touch the working tree: copy
    // it (without its git-ignored files) and test one mutant at a time.
    let mut args = vec![
        "mutants",
        if workspace { "--test-workspace=true" } else { "--test-workspace=false" },
        "--timeout",
        if workspace { STAGE2_TIMEOUT_SECS } else { STAGE1_TIMEOUT_SECS },
    ];
    // The `mutation` profile (Cargo.toml): the test profile's checks without
    // debug info. Not in CI, where the `test` step has just built the
    // workspace with the default profile and the sample reuses that build.
    if !(m.in_place && std::env::var_os("CI").is_some()) {
        args.extend(["--profile", "mutation"]);
    }
    args.extend_from_slice(select);
    for (package, _) in CRATES {
        args.extend(["--package", package]);
    }
    if !baseline {
        args.push("--baseline=skip");
    }
    // cargo-mutants refuses --gitignore and --jobs with --in-place (there
    // is no copy to filter, and one tree builds one mutant at a time).
    if m.in_place {
        args.push("--in-place");
    } else {
        args.extend(["--gitignore=true", "--jobs", "1"]);
    }
    args.extend(["--output", &out, "--colors", "never"]);
    println!("+ cargo {}", args.join(" "));
    let st = std::process::Command::new("cargo")
        .args(&args)
        .current_dir(&m.ctx.root)
        .status()
        .map_err(|e| format!("cannot start cargo mutants: {e}"))?;
    match st.code() {
        Some(0 | 2 | 3) => Ok(()),
        _ => Err(format!("cargo mutants failed ({st}); see {out}/mutants.out/debug.log")),
    }
}

/// Every mutant of one stage's output with its outcome.
fn read_outcomes(dir: &Path) -> Result<Vec<(String, &'static str)>, String> {
    let mut all = Vec::new();
    for outcome in OUTCOMES {
        let path = dir.join("mutants.out").join(format!("{outcome}.txt"));
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        all.extend(text.lines().filter(|l| !l.trim().is_empty()).map(|l| (l.to_owned(), *outcome)));
    }
    Ok(all)
}

/// Seconds each mutant of one stage took (build plus test phases), from
/// cargo-mutants' outcomes.json; the baseline is left out.
fn read_costs(dir: &Path) -> Result<Vec<f64>, String> {
    let path = dir.join("mutants.out").join("outcomes.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let outcomes =
        json["outcomes"].as_array().ok_or_else(|| format!("{}: no outcomes array", path.display()))?;
    Ok(outcomes
        .iter()
        .filter(|o| o["scenario"].get("Mutant").is_some())
        .map(|o| {
            o["phase_results"]
                .as_array()
                .map_or(0.0, |ps| ps.iter().filter_map(|p| p["duration"].as_f64()).sum())
        })
        .collect())
}

/// Escapes the characters the `regex` crate (cargo-mutants' `--re`) treats
/// as syntax, as `regex::escape` does. Only these: the regex crate reads
/// some other escaped punctuation as assertions (`\<` is a word boundary).
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The "stage" of a mutant decided by `--recheck`.
const RECHECK: u8 = 3;

/// outcome → (mutant, the stage that decided it), for one crate.
type ByOutcome = BTreeMap<&'static str, Vec<(String, u8)>>;

/// The final outcomes of a run, per crate, and which stage decided them.
#[derive(Default)]
struct Judged {
    /// crate directory → outcome → (mutant, deciding stage).
    crates: BTreeMap<&'static str, ByOutcome>,
    /// Wall seconds of stage 1 and stage 2.
    wall: [f64; 2],
    /// Seconds per mutant (build + test) in stage 1 and stage 2.
    costs: [Vec<f64>; 2],
}

impl Judged {
    fn push(&mut self, mutant: String, outcome: &'static str, stage: u8) -> Result<(), String> {
        let krate = CRATES
            .iter()
            .map(|(_, d)| *d)
            .find(|d| mutant.starts_with(d))
            .ok_or_else(|| format!("a mutant outside the three crates: {mutant}"))?;
        self.crates.entry(krate).or_default().entry(outcome).or_default().push((mutant, stage));
        Ok(())
    }

    /// Moves `name` from missed to caught, decided by a re-check
    /// ([`RECHECK`]).
    fn recheck_caught(&mut self, name: &str) -> Result<(), String> {
        for outcomes in self.crates.values_mut() {
            if let Some(missed) = outcomes.get_mut("missed")
                && let Some(i) = missed.iter().position(|(n, _)| n == name)
            {
                let (n, _) = missed.remove(i);
                outcomes.entry("caught").or_default().push((n, RECHECK));
                return Ok(());
            }
        }
        Err(format!("re-check: `{name}` was not missed"))
    }

    fn add(&mut self, other: Judged) {
        for (krate, outcomes) in other.crates {
            for (outcome, list) in outcomes {
                self.crates.entry(krate).or_default().entry(outcome).or_default().extend(list);
            }
        }
        for i in 0..2 {
            self.wall[i] += other.wall[i];
            self.costs[i].extend_from_slice(&other.costs[i]);
        }
    }

    fn total(&self) -> usize {
        self.crates.values().flat_map(BTreeMap::values).map(Vec::len).sum()
    }
}

fn report(judged: &Judged, scope: &str) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "{BEGIN}\n\n## Latest run (generated)\n");
    let _ = writeln!(
        t,
        "Generated by `cargo xtask mutants` (cargo-mutants {CARGO_MUTANTS_VERSION}), two stages: stage 1 judges \
         every mutant by the mutated crate's own tests (`--test-workspace=false`, timeout \
         {STAGE1_TIMEOUT_SECS} s); stage 2 re-judges stage 1's missed mutants by the whole \
         workspace's tests (`--test-workspace=true`, timeout {STAGE2_TIMEOUT_SECS} s). A timeout counts as \
         detected.\n\nScope: {scope}.\n"
    );
    let _ = writeln!(
        t,
        "| crate | mutants | caught | missed | unviable | timeout | caught / viable | decided in stage 1 | decided in stage 2 |"
    );
    let _ = writeln!(t, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let n = |c: &ByOutcome, o: &str| c.get(o).map_or(0, Vec::len);
    for (krate, c) in &judged.crates {
        let (caught, missed, unviable, timeout) =
            (n(c, "caught"), n(c, "missed"), n(c, "unviable"), n(c, "timeout"));
        let all = caught + missed + unviable + timeout;
        let stage2 = c.values().flatten().filter(|(_, s)| *s >= 2).count();
        // Viable = compiled; a timeout counts as caught (the mutant changed behaviour).
        let viable = caught + missed + timeout;
        let score = ((caught + timeout) * 100)
            .checked_div(viable)
            .map_or_else(|| "-".to_owned(), |p| format!("{p}%"));
        let _ = writeln!(
            t,
            "| {krate} | {all} | {caught} | {missed} | {unviable} | {timeout} | {score} | {} | {stage2} |",
            all - stage2
        );
    }
    let _ = writeln!(t, "\n| stage | mutants | wall time | mean per mutant (build + test) |");
    let _ = writeln!(t, "| --- | ---: | ---: | ---: |");
    for (i, name) in ["1: crate's own tests", "2: workspace's tests"].iter().enumerate() {
        let costs = &judged.costs[i];
        let mean = if costs.is_empty() {
            "-".to_owned()
        } else {
            format!("{:.1} s", costs.iter().sum::<f64>() / costs.len() as f64)
        };
        let _ = writeln!(t, "| {name} | {} | {:.0} s | {mean} |", costs.len(), judged.wall[i]);
    }
    let rechecked: Vec<&String> = judged
        .crates
        .values()
        .filter_map(|c| c.get("caught"))
        .flatten()
        .filter(|(_, s)| *s == RECHECK)
        .map(|(n, _)| n)
        .collect();
    if !rechecked.is_empty() {
        let _ = writeln!(
            t,
            "\n### Missed by the shards, caught on re-check ({}; counted as caught above, decided in stage 2)\n",
            rechecked.len()
        );
        for name in rechecked {
            let _ = writeln!(t, "- `{name}`");
        }
    }
    for (outcome, title) in [("missed", "Missed mutants"), ("timeout", "Timeouts")] {
        let _ = writeln!(t, "\n### {title}\n");
        let mut any = false;
        for c in judged.crates.values() {
            for (mutant, stage) in c.get(outcome).into_iter().flatten() {
                any = true;
                let _ = writeln!(t, "- `{mutant}` (stage {stage})");
            }
        }
        if !any {
            let _ = writeln!(t, "None in this run.");
        }
    }
    let _ = writeln!(t, "\n{END}");
    t
}

/// Replaces the generated block of `path` (between [`BEGIN`] and [`END`]),
/// or appends one; the hand-written text around it stays. Each missed
/// mutant in the block gets the reason written by hand for it outside the
/// block (see [`explanations`]), or is marked as not explained.
fn write_block(path: &Path, block: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let outside = generated::splice(&text, BEGIN, END, "");
    crate::generated::write_block(path, BEGIN, END, &annotate(block, &explanations(&outside)))
}

/// `cargo xtask mutants --explain`: the generated block as it is, each
/// missed mutant annotated again from the hand-written reasons; fails
/// while any is not explained.
fn explain(ctx: &Ctx) -> Result<(), String> {
    let path = ctx.root.join("MUTANTS.md");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let block = generated::inside(&text, BEGIN, END);
    if block.is_empty() {
        return Err(format!("{}: no generated block", path.display()));
    }
    write_block(&path, &format!("{BEGIN}{block}{END}\n"))?;
    let after = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let open = generated::inside(&after, BEGIN, END).matches(NOT_EXPLAINED).count();
    println!("{}: {open} missed mutants not explained", path.display());
    if open == 0 { Ok(()) } else { Err(format!("{open} missed mutants have no reason in MUTANTS.md")) }
}

/// What marks a missed mutant without a hand-written reason.
const NOT_EXPLAINED: &str = "**not explained yet**";

/// A mutant's name without its line and column (`file: description`): the
/// key its reason is written under, stable while other lines move.
fn reason_key(name: &str) -> String {
    let Some((file, rest)) = name.split_once(':') else { return name.to_owned() };
    let mut rest = rest;
    for _ in 0..2 {
        if let Some((n, tail)) = rest.split_once(':')
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
        {
            rest = tail;
        }
    }
    format!("{file}: {}", rest.trim_start())
}

/// The reasons written by hand in MUTANTS.md outside the generated block:
/// every list item `` - `NAME` (missed): reason `` or `` - `NAME`: reason ``,
/// where NAME is a mutant's name with or without its line and column.
fn explanations(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("- `") else { continue };
        let Some((name, tail)) = rest.split_once('`') else { continue };
        let tail = tail.trim_start();
        let tail = tail.strip_prefix("(missed)").unwrap_or(tail);
        let Some(reason) = tail.strip_prefix(':') else { continue };
        let reason = reason.trim();
        if name.contains(".rs:") && !reason.is_empty() {
            out.entry(reason_key(name)).or_insert_with(|| reason.to_owned());
        }
    }
    out
}

/// `block` with every missed-mutant line (`` - `NAME` (stage N)``) followed
/// by its reason, or by [`NOT_EXPLAINED`].
fn annotate(block: &str, reasons: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(block.len());
    let mut missed = false;
    for line in block.lines() {
        if line.starts_with("### ") {
            missed = line == "### Missed mutants";
        }
        let item = missed.then(|| line.strip_prefix("- `")).flatten().and_then(|r| r.split_once('`'));
        match item {
            Some((name, tail)) => {
                let stage = tail.split_once(')').map_or(tail, |(s, _)| s).trim();
                let stage = if stage.starts_with('(') { format!(" {stage})") } else { String::new() };
                let reason = reasons.get(&reason_key(name)).map_or(NOT_EXPLAINED, String::as_str);
                let _ = writeln!(out, "- `{name}`{stage}: {reason}");
            }
            None => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(dir: &Path, outcomes: &[(&str, &str)]) {
        let out = dir.join("mutants.out");
        std::fs::create_dir_all(&out).unwrap();
        for o in OUTCOMES {
            let lines: String =
                outcomes.iter().filter(|(_, k)| k == o).map(|(m, _)| format!("{m}\n")).collect();
            std::fs::write(out.join(format!("{o}.txt")), lines).unwrap();
        }
        std::fs::write(out.join("outcomes.json"), r#"{"outcomes": []}"#).unwrap();
        std::fs::write(dir.join("wall-secs"), "12.5\n").unwrap();
    }

    #[test]
    fn a_shard_on_disk_is_judged_by_stage_1_then_stage_2() {
        let dir = std::env::temp_dir().join(format!("xtask-mutants-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (a, b, c, d) = (
            "format/src/a.rs:1:1: replace f -> u8 with 0",
            "verifier/src/b.rs:2:2: replace < with <=",
            "codecs/src/c.rs:3:3: replace g with ()",
            "format/src/d.rs:4:4: replace h -> bool with true",
        );
        let e = "codecs/src/e.rs:5:5: replace k -> bool with false";
        stage(
            &dir.join("stage1"),
            &[(a, "caught"), (b, "missed"), (c, "unviable"), (d, "timeout"), (e, "missed")],
        );
        // Stage 2 also lists mutants of a named file that stage 1 decided
        // (field deletions it cannot filter): ignored.
        stage(&dir.join("stage2"), &[(b, "caught"), (e, "missed"), (a, "missed"), (d, "missed")]);
        let j = judge(&dir).unwrap();
        let f = &j.crates["format/"];
        assert_eq!(f["caught"], vec![(a.to_owned(), 1)]);
        // Stage 1's timeouts are final.
        assert_eq!(f["timeout"], vec![(d.to_owned(), 1)]);
        assert!(!f.contains_key("missed"));
        assert_eq!(j.crates["verifier/"]["caught"], vec![(b.to_owned(), 2)]);
        assert_eq!(j.crates["codecs/"]["unviable"], vec![(c.to_owned(), 1)]);
        assert_eq!(j.crates["codecs/"]["missed"], vec![(e.to_owned(), 2)]);
        assert_eq!(j.total(), 5);
        assert!((j.wall[1] - 12.5).abs() < 1e-9);
        // A stage 2 that lost a mutant is an error, not a silent gap.
        stage(&dir.join("stage2"), &[(b, "caught")]);
        assert!(judge(&dir).err().unwrap().contains(e));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_recheck_moves_a_missed_mutant_to_caught_and_the_report_lists_it() {
        let (a, b) =
            ("format/src/a.rs:1:1: replace f -> u8 with 0", "format/src/b.rs:2:2: replace g with ()");
        let mut j = Judged::default();
        j.push(a.to_owned(), "missed", 2).unwrap();
        j.push(b.to_owned(), "missed", 1).unwrap();
        j.recheck_caught(a).unwrap();
        assert!(j.recheck_caught(a).is_err(), "no longer missed");
        let f = &j.crates["format/"];
        assert_eq!(f["caught"], vec![(a.to_owned(), RECHECK)]);
        assert_eq!(f["missed"], vec![(b.to_owned(), 1)]);
        let text = report(&j, "test");
        let rechecked = text.split("caught on re-check").nth(1).unwrap();
        assert!(rechecked.contains(a), "{text}");
        // 1 caught of 2 viable; the re-check counts as decided after stage 1.
        assert!(text.contains("| format/ | 2 | 1 | 1 | 0 | 0 | 50% | 1 | 1 |"), "{text}");
    }

    #[test]
    fn missed_mutants_get_their_hand_written_reasons() {
        let notes = "intro\n\
            - `format/src/a.rs:10:5: replace | with ^ in f` (missed): disjoint bits\n\
            - `codecs/src/b.rs: replace g -> bool with false`: never true for a valid stream\n\
            - `not a mutant`: ignored\n";
        let reasons = explanations(notes);
        assert_eq!(reasons.len(), 2);
        assert_eq!(
            reason_key("format/src/a.rs:99:1: replace | with ^ in f"),
            "format/src/a.rs: replace | with ^ in f"
        );
        let block = "### Missed mutants\n\n\
            - `format/src/a.rs:12:7: replace | with ^ in f` (stage 2)\n\
            - `codecs/src/b.rs:3:9: replace g -> bool with false` (stage 1): stale reason\n\
            - `verifier/src/c.rs:1:1: replace h with ()` (stage 2)\n\
            \n### Timeouts\n\n- `format/src/a.rs:1:1: replace k with ()` (stage 2)\n";
        let out = annotate(block, &reasons);
        assert!(
            out.contains("- `format/src/a.rs:12:7: replace | with ^ in f` (stage 2): disjoint bits\n"),
            "{out}"
        );
        assert!(out.contains("(stage 1): never true for a valid stream\n"), "{out}");
        assert!(
            out.contains(&format!(
                "- `verifier/src/c.rs:1:1: replace h with ()` (stage 2): {NOT_EXPLAINED}\n"
            ))
        );
        // Timeouts count as caught: left as they are.
        assert!(out.contains("- `format/src/a.rs:1:1: replace k with ()` (stage 2)\n"), "{out}");
        // Annotating again changes nothing.
        assert_eq!(annotate(&out, &reasons), out);
    }

    #[test]
    fn escaped_names_match_only_themselves_as_regex_source() {
        let name = "codecs/src/codec.rs:30:70: replace && with || in Handles::dispatches -> Result<()> [x]";
        let e = regex_escape(name);
        assert_eq!(
            e,
            r"codecs/src/codec\.rs:30:70: replace \&\& with \|\| in Handles::dispatches \-> Result<\(\)> \[x\]"
        );
        // `<` is not escaped: `\<` is a word-boundary assertion to the regex crate.
        assert!(!e.contains(r"\<"));
    }
}
