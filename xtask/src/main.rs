//! `cargo xtask`: the project's task runner. `cargo xtask ci` is the test
//! command the README names and `.ci/run` calls: it installs what a fresh
//! machine lacks, then runs every check in order and stops at the first
//! failure.

mod bench;
mod fuzz;
mod fuzz_coverage;
mod fuzz_long;
mod generated;
mod install;
mod kernel;
mod libvirt;
mod miri;
mod mutants;
mod npm;
mod oss_fuzz;
mod package;
mod probe;
mod version;
mod wasm;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// One CI step: a name for `--only`/`--skip`, and what it runs.
struct Step {
    name: &'static str,
    why: &'static str,
    run: fn(&Ctx) -> Result<(), String>,
}

struct Ctx {
    root: PathBuf,
}

/// RUSTFLAGS for x86_64-unknown-none: that target has no SSE, so
/// curve25519-dalek must use its serial backend and sha2 its soft backend
/// (the x86 SHA-NI backend does not lower without SSE).
const NONE_FLAGS: &str = r#"--cfg curve25519_dalek_backend="serial" --cfg sha2_backend="soft""#;
/// The kernel build's flags on top: overflow checks on, no float parsing
/// or formatting in core.
const KERNEL_FLAGS: &str = r#"-Coverflow-checks=on --cfg no_fp_fmt_parse --cfg curve25519_dalek_backend="serial" --cfg sha2_backend="soft""#;
/// The crates that must build for kernels and microcontrollers.
const NO_STD_CRATES: &[&str] = &["migseal-format", "migseal-verifier", "migseal-codecs"];

const STEPS: &[Step] = &[
    Step { name: "setup", why: "install rustup targets and components a fresh machine lacks", run: setup },
    Step { name: "fmt", why: "one formatting", run: fmt },
    Step { name: "clippy", why: "lints, including the no-panic restriction lints", run: clippy },
    Step { name: "test", why: "unit, integration, property and doc tests", run: test },
    Step {
        name: "miri",
        why: "the C ABI's Rust-side tests under Miri (capi/tests/abi_miri.rs)",
        run: miri::step,
    },
    Step {
        name: "libvirt",
        why: "migseal libvirt annotate/hook with Debian's libvirt tools: domain schema, virsh metadata, the qemu hook",
        run: libvirt::step,
    },
    Step {
        name: "nostd",
        why: "kernel-side builds: x86_64-unknown-none (+ build-std, kernel flags), thumbv7em",
        run: nostd,
    },
    Step {
        name: "probe",
        why: "kernel-grade proof: no reachable panic in migseal's code; dependency sites allowlisted; peak stack",
        run: probe::probe,
    },
    Step {
        name: "kernel",
        why: "Debian's 6.12 kernel under QEMU: the patched mtty seals and verifies its migration state (VFIO uAPI v2)",
        run: kernel::step,
    },
    Step { name: "doc", why: "documentation builds without warnings", run: doc },
    Step {
        name: "package",
        why: "installable: cargo package, MSRV, C library + meson consumer (shared, static), npm tarball in Node/tsc/Chromium, one version",
        run: package::step,
    },
    Step { name: "vectors", why: "spec/vectors are exactly what the generator makes", run: vectors },
    Step {
        name: "demo",
        why: "the README's main job verifies the sample and refuses the cross-vendor image",
        run: demo,
    },
    Step {
        name: "wasm",
        why: "WASM package (web + Node): wasm-bindgen tests, every spec vector in Node, the page in Chromium",
        run: wasm::step,
    },
    Step {
        name: "bench",
        why: "every benchmark and the report run once in quick mode (64 MiB images), so they cannot rot",
        run: bench::ci_step,
    },
    Step {
        name: "fuzz",
        why: "every cargo-fuzz target builds and runs 15 s from its seeds without a crash (nightly, ASan); then fuzz/oss-fuzz/build.sh in an OSS-Fuzz emulation",
        run: fuzz::fuzz,
    },
    Step {
        name: "mutants",
        why: "cargo xtask mutants on a fixed sample (one shard of 400) of format/verifier/codecs, so it cannot rot",
        run: mutants::ci_step,
    },
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default();
    let ctx = Ctx { root };
    match args.first().map(String::as_str) {
        Some("ci") => ci(&ctx, &args[1..]),
        Some("nostd") => ci(&ctx, &["--only".into(), "setup,nostd".into()]),
        Some("bench") => status(bench::bench(&ctx, &args[1..])),
        Some("fuzz") => fuzz::command(&ctx, &args[1..]),
        Some("mutants") => mutants::command(&ctx, &args[1..]),
        Some("wasm") => status(wasm::build(&ctx)),
        Some("kernel") => status(kernel::step(&ctx)),
        Some("install") => status(install::command(&ctx, &args[1..])),
        Some("npm") => status(npm::command(&ctx)),
        Some("libvirt") => status(libvirt::step(&ctx)),
        Some("vectors") => match args.get(1).map(String::as_str) {
            Some("--write") => status(cargo(
                &ctx,
                &[
                    "run",
                    "-q",
                    "-p",
                    "migseal-testkit",
                    "--bin",
                    "migseal-vectors",
                    "--",
                    "--write",
                    "spec/vectors",
                ],
                &[],
            )),
            _ => status(vectors(&ctx)),
        },
        _ => {
            eprintln!(
                "usage: cargo xtask ci [--only a,b] [--skip a,b] [--list]\n       cargo xtask nostd\n       cargo xtask vectors [--write]\n       cargo xtask bench [--quick] [--out FILE]\n       cargo xtask fuzz corpus | smoke [SECS] | oss-fuzz [SECS] | list\n       cargo xtask mutants [--shards K,...] | --file GLOB [--file GLOB | --re RE]... | --sample [--write]\n       cargo xtask wasm\n       cargo xtask kernel\n       cargo xtask install --prefix P [--libdir DIR]\n       cargo xtask npm"
            );
            ExitCode::from(2)
        }
    }
}

fn status(r: Result<(), String>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn ci(ctx: &Ctx, args: &[String]) -> ExitCode {
    let list = |flag: &str| -> Vec<String> {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.split(',').map(str::to_owned).collect())
            .unwrap_or_default()
    };
    if args.iter().any(|a| a == "--list") {
        for s in STEPS {
            println!("{:8} {}", s.name, s.why);
        }
        return ExitCode::SUCCESS;
    }
    let (only, skip) = (list("--only"), list("--skip"));
    let mut results = Vec::new();
    let mut failed = false;
    for step in STEPS {
        let selected =
            (only.is_empty() || only.iter().any(|o| o == step.name)) && !skip.iter().any(|s| s == step.name);
        if !selected || failed {
            results.push((step.name, if failed { "not run" } else { "skipped" }.to_owned(), 0.0));
            continue;
        }
        println!("\n==> {} ({})", step.name, step.why);
        let start = Instant::now();
        let r = (step.run)(ctx);
        let secs = start.elapsed().as_secs_f64();
        match r {
            Ok(()) => results.push((step.name, "ok".to_owned(), secs)),
            Err(e) => {
                eprintln!("step {} failed: {e}", step.name);
                results.push((step.name, "FAILED".to_owned(), secs));
                failed = true;
            }
        }
    }
    println!("\n{:10} {:10} {:>8}", "step", "status", "seconds");
    for (name, st, secs) in &results {
        println!("{name:10} {st:10} {secs:>8.1}");
    }
    let passed = results.iter().filter(|r| r.1 == "ok").count();
    let fails = results.iter().filter(|r| r.1 == "FAILED").count();
    let skipped = results.len() - passed - fails;
    println!("steps: {passed} passed, {fails} failed, {skipped} skipped");
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// Runs a command in the repository root, echoing it first.
fn run(ctx: &Ctx, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let shown: Vec<String> = env.iter().map(|(k, v)| format!("{k}='{v}'")).collect();
    println!("+ {} {program} {}", shown.join(" "), args.join(" "));
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(&ctx.root);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let st = cmd.status().map_err(|e| format!("cannot start {program}: {e}"))?;
    if st.success() { Ok(()) } else { Err(format!("`{program} {}` exited with {st}", args.join(" "))) }
}

fn cargo(ctx: &Ctx, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    run(ctx, "cargo", args, env)
}

fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

fn setup(ctx: &Ctx) -> Result<(), String> {
    let installed = output("rustup", &["target", "list", "--installed"]);
    for target in ["x86_64-unknown-none", "thumbv7em-none-eabihf"] {
        if !installed.lines().any(|l| l.trim() == target) {
            run(ctx, "rustup", &["target", "add", target], &[])?;
        }
    }
    let components = output("rustup", &["component", "list", "--installed"]);
    for c in ["rustfmt", "clippy"] {
        if !components.lines().any(|l| l.starts_with(c)) {
            run(ctx, "rustup", &["component", "add", c], &[])?;
        }
    }
    let toolchains = output("rustup", &["toolchain", "list"]);
    if !toolchains.lines().any(|l| l.starts_with("nightly")) {
        run(ctx, "rustup", &["toolchain", "install", "nightly", "--profile", "minimal"], &[])?;
    }
    let nightly = output("rustup", &["+nightly", "component", "list", "--installed"]);
    if !nightly.lines().any(|l| l.starts_with("rust-src")) {
        run(ctx, "rustup", &["+nightly", "component", "add", "rust-src"], &[])?;
    }
    Ok(())
}

fn fmt(ctx: &Ctx) -> Result<(), String> {
    cargo(ctx, &["fmt", "--all", "--", "--check"], &[])
}

fn clippy(ctx: &Ctx) -> Result<(), String> {
    cargo(ctx, &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"], &[])
}

fn test(ctx: &Ctx) -> Result<(), String> {
    cargo(ctx, &["test", "--workspace"], &[])
}

fn nostd(ctx: &Ctx) -> Result<(), String> {
    let members = output("cargo", &["metadata", "--no-deps", "--format-version", "1"]);
    for krate in NO_STD_CRATES {
        if !members.contains(&format!("\"name\":\"{krate}\"")) {
            println!("skipped {krate}: not a workspace member yet");
            continue;
        }
        // Separate target dirs, so changing RUSTFLAGS never invalidates the
        // main build cache.
        let base = ["build", "-q", "-p", krate, "--no-default-features"];
        let mut a: Vec<&str> = base.to_vec();
        a.extend(["--target", "x86_64-unknown-none", "--target-dir", "target/nostd-none"]);
        cargo(ctx, &a, &[("RUSTFLAGS", NONE_FLAGS)])?;
        let mut a: Vec<&str> = base.to_vec();
        a.extend(["--target", "thumbv7em-none-eabihf", "--target-dir", "target/nostd-thumb"]);
        cargo(ctx, &a, &[("RUSTFLAGS", "")])?;
        let mut a: Vec<&str> = vec!["+nightly"];
        a.extend(base);
        a.extend([
            "--target",
            "x86_64-unknown-none",
            "-Zbuild-std=core",
            "--target-dir",
            "target/nostd-kernel",
        ]);
        cargo(ctx, &a, &[("RUSTFLAGS", KERNEL_FLAGS)])?;
    }
    Ok(())
}

fn doc(ctx: &Ctx) -> Result<(), String> {
    cargo(ctx, &["doc", "--workspace", "--no-deps", "-q"], &[("RUSTDOCFLAGS", "-D warnings")])
}

fn vectors(ctx: &Ctx) -> Result<(), String> {
    cargo(
        ctx,
        &["run", "-q", "-p", "migseal-testkit", "--bin", "migseal-vectors", "--", "--check", "spec/vectors"],
        &[],
    )
}

/// The README's two example runs: the sample verifies (exit 0), the
/// cross-vendor image is refused (exit 1).
fn demo(ctx: &Ctx) -> Result<(), String> {
    let example = |image: &str| {
        let args = [
            "run",
            "-q",
            "-p",
            "migseal-cli",
            "--",
            "verify",
            image,
            "--policy",
            "spec/vectors/policies/default.json",
            "--device",
            "spec/vectors/devices/mtty-2.cbor",
        ];
        println!("+ cargo {}", args.join(" "));
        Command::new("cargo")
            .args(args)
            .current_dir(&ctx.root)
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))
    };
    let ok = example("spec/vectors/images/mtty-2-single-chunk.migseal")?;
    if !ok.success() {
        return Err(format!("the valid sample was not verified ({ok})"));
    }
    let refused = example("spec/vectors/images/cross-vendor.migseal")?;
    if refused.code() != Some(13) {
        return Err(format!("the cross-vendor sample was not refused ({refused})"));
    }
    Ok(())
}
