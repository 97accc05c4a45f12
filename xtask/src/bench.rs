//! `cargo xtask bench [--quick] [--out FILE]`: every benchmark in one go,
//! then the report.
//!
//! 1. release builds of the CLI and the `migseal-bench` tool (and Debian's
//!    `linux-perf` when `perf` is missing: the report profiles the
//!    fragment workloads with it);
//! 2. the criterion benchmarks of `bench/benches/` (results in a fresh
//!    directory, so nothing stale can reach the report);
//! 3. `migseal-bench report`: peak RSS of `migseal verify` on a pipe, the
//!    CLI against `openssl dgst`, WASM in Node when the package is built
//!    (in full mode also against a CLI built with sha2's portable
//!    backend), WebCrypto in Chromium, the parallel CLI against its peers,
//!    CPU profiles, and the Markdown report.
//!
//! The full mode writes `BENCHMARKS.md` at the repository root. The quick
//! mode (the CI step) runs the same code on small inputs and writes
//! `<target>/migseal-bench/BENCHMARKS.quick.md`, leaving the committed
//! report alone.

use std::path::PathBuf;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Ctx, cargo, run};

/// The CI step: quick mode.
pub fn ci_step(ctx: &Ctx) -> Result<(), String> {
    bench(ctx, &["--quick".to_owned()])
}

/// `cargo xtask bench [--quick] [--out FILE]`.
pub fn bench(ctx: &Ctx, args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    let out_arg = args.iter().position(|a| a == "--out").and_then(|i| args.get(i + 1));
    if let Some(bad) = args.iter().find(|a| a.starts_with("--") && *a != "--quick" && *a != "--out") {
        return Err(format!("unknown option {bad}: usage: cargo xtask bench [--quick] [--out FILE]"));
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    println!("load average before the run: {load}");

    let target = target_dir(ctx)?;
    let release = target.join("release");
    let work = target.join("migseal-bench");
    let criterion = work.join("criterion");
    let out = match out_arg {
        Some(o) => PathBuf::from(o),
        None if quick => work.join("BENCHMARKS.quick.md"),
        None => ctx.root.join("BENCHMARKS.md"),
    };

    // perf profiles the fragment workloads whose misses the report explains.
    if !crate::libvirt::on_path("perf") {
        crate::libvirt::apt_install(ctx, &["linux-perf"])?;
    }
    cargo(ctx, &["build", "--release", "-q", "-p", "migseal-cli", "-p", "migseal-bench", "--bins"], &[])?;
    // Full mode: a second CLI with sha2's portable backend (its own target
    // dir, so the flags do not invalidate the main build), which tells
    // the WASM gap's two causes apart: no SHA instructions, and wasm.
    let portable = work.join("portable");
    if !quick {
        let dir = portable.to_string_lossy().into_owned();
        cargo(
            ctx,
            &["build", "--release", "-q", "-p", "migseal-cli", "--target-dir", &dir],
            &[("RUSTFLAGS", r#"--cfg sha2_backend="soft""#)],
        )?;
    }
    let tool = release.join("migseal-bench").to_string_lossy().into_owned();
    // Others' CPU use just before the benchmarks, for the report.
    let cpu_before = crate::output(&tool, &["cpu-sample"]).trim().to_owned();
    println!("CPU use by others before the run: {cpu_before}");
    if criterion.exists() {
        std::fs::remove_dir_all(&criterion).map_err(|e| format!("{}: {e}", criterion.display()))?;
    }
    std::fs::create_dir_all(&criterion).map_err(|e| format!("{}: {e}", criterion.display()))?;
    // Whole seconds, one back: criterion's files must be at least this new.
    let since = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()).saturating_sub(1);
    let crit = criterion.to_string_lossy().into_owned();
    cargo(
        ctx,
        &["bench", "-q", "-p", "migseal-bench", "--benches"],
        &[("CRITERION_HOME", crit.as_str()), ("MIGSEAL_BENCH_QUICK", if quick { "1" } else { "0" })],
    )?;

    let cli = release.join("migseal").to_string_lossy().into_owned();
    let root = ctx.root.to_string_lossy().into_owned();
    let work_s = work.to_string_lossy().into_owned();
    let out_s = out.to_string_lossy().into_owned();
    let since_s = since.to_string();
    let mut report = vec![
        "report",
        "--root",
        &root,
        "--criterion",
        &crit,
        "--cli",
        &cli,
        "--work",
        &work_s,
        "--since",
        &since_s,
        "--out",
        &out_s,
        "--load-before",
        &load,
        "--cpu-before",
        &cpu_before,
    ];
    let portable_cli = portable.join("release").join("migseal").to_string_lossy().into_owned();
    if quick {
        report.push("--quick");
    } else {
        report.extend(["--cli-portable", &portable_cli]);
    }
    run(ctx, &tool, &report, &[])
}

/// Cargo's target directory (honours `CARGO_TARGET_DIR`).
fn target_dir(ctx: &Ctx) -> Result<PathBuf, String> {
    let out = Command::new("cargo")
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(&ctx.root)
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    json_string_field(&text, "target_directory")
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata did not name a target directory".to_owned())
}

/// The value of the first `"key":"value"` in `json` (no escapes beyond
/// `\\` and `\"`, which is all a path in cargo metadata needs).
fn json_string_field(json: &str, key: &str) -> Option<String> {
    let pattern = format!("\"{key}\":\"");
    let start = json.find(&pattern)? + pattern.len();
    let mut value = String::new();
    let mut chars = json[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => value.push(chars.next()?),
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_target_directory() {
        let json = r#"{"packages":[],"target_directory":"/w/main/target","version":1}"#;
        assert_eq!(json_string_field(json, "target_directory").as_deref(), Some("/w/main/target"));
        assert_eq!(json_string_field(r#"{"a":"x\"y\\z"}"#, "a").as_deref(), Some("x\"y\\z"));
        assert_eq!(json_string_field(r#"{"a":"open"#, "a"), None);
        assert_eq!(json_string_field("{}", "a"), None);
    }
}
