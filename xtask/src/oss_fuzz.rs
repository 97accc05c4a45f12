//! `cargo xtask fuzz oss-fuzz [SECS]`: runs `fuzz/oss-fuzz/build.sh` in a
//! local emulation of OSS-Fuzz's Rust build environment, checks what lands
//! in `$OUT`, and runs every shipped fuzzer from its shipped seed corpus.
//!
//! What is emulated (google/oss-fuzz `infra/base-images/base-builder`:
//! its Dockerfile's `ENV` lines, `compile`, `compile_libfuzzer`, and the
//! `cargo` wrapper, which for an address build passes `cargo fuzz build`
//! straight through):
//!
//! - `$SRC`, `$OUT`, `$WORK` as the image's `/src`, `/out`, `/work`, here
//!   under `fuzz/target/oss-fuzz/`; `$SRC/migseal` is this checkout (the
//!   Dockerfile's clone) and `$SRC/build.sh` a copy of ours (its `COPY`);
//! - `SANITIZER=address`, `FUZZING_ENGINE=libfuzzer`,
//!   `FUZZING_LANGUAGE=rust`, `ARCHITECTURE=x86_64`,
//!   `LIB_FUZZING_ENGINE=-fsanitize=fuzzer`;
//! - `RUSTFLAGS` exactly as `compile` exports it for an ASan build, and a
//!   nightly default toolchain (`RUSTUP_TOOLCHAIN=nightly`);
//! - the script run as `compile` runs it: `bash -eux $SRC/build.sh`.
//!
//! Not emulated: the image's clang and prebuilt libFuzzer
//! (`CUSTOM_LIBFUZZER_PATH`); `libfuzzer-sys` builds its bundled libFuzzer
//! with the host's C++ compiler instead, so `CC`/`CFLAGS` stay the host's.
//!
//! The fuzz smoke builds with the same `RUSTFLAGS` and the same
//! `cargo fuzz build -O --debug-assertions` into the same `fuzz/target`, so
//! in CI the script's build finds everything fresh and only the seed
//! corpora and the copies are new work.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::Ctx;
use crate::fuzz::{parse_options, targets};

/// `RUSTFLAGS` as OSS-Fuzz's `compile` exports it for `SANITIZER=address`.
pub const RUSTFLAGS: &str = "--cfg fuzzing -Zsanitizer=address -Cdebuginfo=1 -Cforce-frame-pointers";
/// What `build.sh` runs, and so what the smoke runs to share its build.
pub const BUILD_ARGS: &[&str] = &["fuzz", "build", "-O", "--debug-assertions"];
/// Seconds each shipped fuzzer runs from its shipped corpus in CI.
pub const CI_SECS: u64 = 3;

/// The base builder's environment, minus the directories.
const BASE_ENV: &[(&str, &str)] = &[
    ("SANITIZER", "address"),
    ("FUZZING_ENGINE", "libfuzzer"),
    ("FUZZING_LANGUAGE", "rust"),
    ("ARCHITECTURE", "x86_64"),
    ("LIB_FUZZING_ENGINE", "-fsanitize=fuzzer"),
    ("RUSTFLAGS", RUSTFLAGS),
    ("RUSTUP_TOOLCHAIN", "nightly"),
];

/// Runs the emulation: build.sh, the `$OUT` check, `secs` seconds per fuzzer.
pub fn emulate(ctx: &Ctx, secs: u64) -> Result<(), String> {
    let started = Instant::now();
    check_project_yaml(ctx)?;
    let base = ctx.root.join("fuzz").join("target").join("oss-fuzz");
    let (src, out, work) = (base.join("src"), base.join("out"), base.join("work"));
    // $OUT starts empty, as in a fresh build container; $WORK is kept (it
    // holds only the corpus generator's build, a cache).
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&src);
    for d in [&src, &out, &work] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    std::os::unix::fs::symlink(&ctx.root, src.join("migseal")).map_err(|e| format!("$SRC/migseal: {e}"))?;
    let script = src.join("build.sh");
    std::fs::copy(ctx.root.join("fuzz/oss-fuzz/build.sh"), &script)
        .map_err(|e| format!("$SRC/build.sh: {e}"))?;

    let dirs = [("SRC", &src), ("OUT", &out), ("WORK", &work)];
    let shown: Vec<String> = dirs.iter().map(|(k, v)| format!("{k}={}", v.display())).collect();
    println!(
        "+ {} {} bash -eux $SRC/build.sh",
        shown.join(" "),
        BASE_ENV.iter().map(|(k, v)| format!("{k}='{v}'")).collect::<Vec<_>>().join(" ")
    );
    let mut cmd = Command::new("bash");
    cmd.arg("-eux").arg(&script).current_dir(&src).env_remove("CARGO_TARGET_DIR");
    cmd.envs(dirs.iter().map(|(k, v)| (*k, v.as_os_str())));
    cmd.envs(BASE_ENV.iter().copied());
    let build = Instant::now();
    let st = cmd.status().map_err(|e| format!("cannot start bash: {e}"))?;
    if !st.success() {
        return Err(format!(
            "fuzz/oss-fuzz/build.sh failed in the OSS-Fuzz emulation ({st}); its output is above"
        ));
    }
    println!("build.sh: {:.1} s", build.elapsed().as_secs_f64());

    let all = targets(ctx)?;
    check_out(&out, &all)?;
    let runs = base.join("runs");
    let _ = std::fs::remove_dir_all(&runs);
    std::fs::create_dir_all(&runs).map_err(|e| format!("{}: {e}", runs.display()))?;
    for pair in all.chunks(2) {
        let children: Vec<_> =
            pair.iter().map(|t| run_shipped(&out, &runs, t, secs)).collect::<Result<_, _>>()?;
        for (target, mut child, log) in children {
            let st = child.wait().map_err(|e| format!("{target}: {e}"))?;
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let units = text
                .lines()
                .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
                .map_or("?", str::trim);
            println!("{target:24} {} {units:>8} runs", if st.success() { "ok   " } else { "CRASH" });
            if !st.success() {
                eprintln!("---- {target}: last lines of {} ----", log.display());
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                tail.iter().rev().for_each(|l| eprintln!("{l}"));
                return Err(format!(
                    "$OUT/{target} failed ({st}) on its shipped corpus: OSS-Fuzz would report this; see fuzz/README.md (triage)"
                ));
            }
        }
    }
    println!(
        "OSS-Fuzz emulation: {} fuzzers shipped and run, {:.1} s",
        all.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Every fuzzer ships as OSS-Fuzz expects: the binary, `<t>_seed_corpus.zip`
/// (non-empty), `<t>.dict` and `<t>.options`.
fn check_out(out: &Path, targets: &[String]) -> Result<(), String> {
    let mut missing = Vec::new();
    for t in targets {
        for name in [t.clone(), format!("{t}_seed_corpus.zip"), format!("{t}.dict"), format!("{t}.options")] {
            let len = std::fs::metadata(out.join(&name)).map(|m| m.len()).unwrap_or(0);
            if len == 0 {
                missing.push(name);
            }
        }
    }
    let stray: Vec<String> = std::fs::read_dir(out)
        .map_err(|e| format!("{}: {e}", out.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|f| {
            let stem = f.strip_suffix("_seed_corpus.zip").or_else(|| f.strip_suffix(".dict"));
            let stem = stem.or_else(|| f.strip_suffix(".options")).unwrap_or(f);
            !targets.iter().any(|t| t == stem)
        })
        .collect();
    if !missing.is_empty() {
        return Err(format!("build.sh left these out of $OUT (missing or empty): {}", missing.join(", ")));
    }
    if !stray.is_empty() {
        return Err(format!(
            "$OUT holds files no fuzz target owns (OSS-Fuzz would treat binaries as fuzzers): {}",
            stray.join(", ")
        ));
    }
    println!("$OUT: {} fuzzers, each with _seed_corpus.zip, .dict and .options", targets.len());
    Ok(())
}

/// Starts `$OUT/<target>` the way ClusterFuzz would: on its unpacked seed
/// corpus, with its `.dict` and the libFuzzer section of its `.options`.
fn run_shipped(
    out: &Path,
    runs: &Path,
    target: &str,
    secs: u64,
) -> Result<(String, std::process::Child, PathBuf), String> {
    let corpus = runs.join(target);
    std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let zip = out.join(format!("{target}_seed_corpus.zip"));
    let st = Command::new("unzip")
        .arg("-q")
        .arg(&zip)
        .arg("-d")
        .arg(&corpus)
        .status()
        .map_err(|e| format!("cannot start unzip: {e}"))?;
    if !st.success() {
        return Err(format!("{} does not unpack ({st})", zip.display()));
    }
    let options = std::fs::read_to_string(out.join(format!("{target}.options"))).unwrap_or_default();
    let artifacts = runs.join("artifacts");
    std::fs::create_dir_all(&artifacts).map_err(|e| format!("{}: {e}", artifacts.display()))?;
    let mut args = vec![
        format!("-max_total_time={secs}"),
        format!("-dict={}", out.join(format!("{target}.dict")).display()),
        "-print_final_stats=1".into(),
        format!("-artifact_prefix={}/{target}-", artifacts.display()),
    ];
    args.extend(parse_options(&options).into_iter().map(|(k, v)| format!("-{k}={v}")));
    args.push(corpus.display().to_string());
    let log = runs.join(format!("{target}.log"));
    let file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    let child = Command::new(out.join(target))
        .args(&args)
        .current_dir(runs)
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err))
        .spawn()
        .map_err(|e| format!("cannot start $OUT/{target}: {e}"))?;
    Ok((target.to_owned(), child, log))
}

/// `project.yaml` carries what OSS-Fuzz requires, with the contacts left
/// as the documented fields the maintainer fills in at submission.
fn check_project_yaml(ctx: &Ctx) -> Result<(), String> {
    let path = ctx.root.join("fuzz/oss-fuzz/project.yaml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    for key in ["homepage:", "language: rust", "primary_contact:", "main_repo:", "- libfuzzer", "- address"] {
        if !text.lines().any(|l| l.trim_start().starts_with(key)) {
            return Err(format!("fuzz/oss-fuzz/project.yaml lacks `{key}`, which OSS-Fuzz requires"));
        }
    }
    let docker = std::fs::read_to_string(ctx.root.join("fuzz/oss-fuzz/Dockerfile")).unwrap_or_default();
    if text.contains("example.invalid") || docker.contains("example.invalid") {
        return Err(
            "fuzz/oss-fuzz/project.yaml or Dockerfile still names example.invalid: use the documented fields"
                .into(),
        );
    }
    Ok(())
}
