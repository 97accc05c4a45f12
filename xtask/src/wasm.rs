//! The WASM package: `cargo xtask wasm` builds it, the CI step `wasm`
//! builds and tests it.
//!
//! Build: the wasm32 target and exactly the wasm-bindgen-cli that
//! wasm/Cargo.toml pins (installed when missing: the slow part on a fresh
//! machine), the crate in the size-tuned `wasm-release` profile, bindings
//! for the browser (`web`, ES module) and Node (`nodejs`), `wasm-opt` from
//! the npm `binaryen` package, a package.json each, and a copy of the web
//! package beside the preflight page (wasm/www/pkg). Sizes are printed.
//!
//! Test: wasm-bindgen-test under Node for every export, then node's test
//! runner on the built Node package (every spec vector, equal to the
//! native CLI's verdict) and on the page in headless Chromium (Debian's
//! package, installed when missing), which saves screenshots under
//! target/wasm-e2e/.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Ctx, cargo, output, run};

const TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "wasm-release";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The wasm features rustc enables by default for wasm32-unknown-unknown;
/// wasm-bindgen drops the section that would tell wasm-opt.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// The CI step: build, then every test.
pub fn step(ctx: &Ctx) -> Result<(), String> {
    build(ctx)?;
    test(ctx)
}

/// `cargo xtask wasm`: the packages alone.
pub fn build(ctx: &Ctx) -> Result<(), String> {
    let version = pinned_bindgen(&ctx.root)?;
    tools(ctx, &version)?;
    cargo(ctx, &["build", "-p", "migseal-wasm", "--target", TARGET, "--profile", PROFILE], &[])?;
    let wasm = target_dir(&ctx.root).join(TARGET).join(PROFILE).join("migseal_wasm.wasm");
    let wasm_arg = wasm.to_string_lossy().into_owned();
    npm_ci(ctx)?;
    let pkg = ctx.root.join("wasm/pkg");
    for (target, dir) in [("web", "web"), ("nodejs", "node")] {
        let out = pkg.join(dir);
        if out.exists() {
            std::fs::remove_dir_all(&out).map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
        }
        let out_arg = out.to_string_lossy().into_owned();
        run(ctx, "wasm-bindgen", &["--target", target, "--out-dir", &out_arg, &wasm_arg], &[])?;
        let bg = out.join("migseal_wasm_bg.wasm").to_string_lossy().into_owned();
        let mut args = vec!["-Oz", "--strip-debug", "--strip-producers"];
        args.extend(WASM_FEATURES);
        args.extend([bg.as_str(), "-o", bg.as_str()]);
        run(ctx, "wasm/node_modules/.bin/wasm-opt", &args, &[])?;
        write(&out.join("package.json"), &package_json(&ctx.root, dir)?)?;
    }
    let www = ctx.root.join("wasm/www/pkg");
    std::fs::create_dir_all(&www).map_err(|e| format!("cannot create {}: {e}", www.display()))?;
    for f in ["migseal_wasm.js", "migseal_wasm.d.ts", "migseal_wasm_bg.wasm"] {
        std::fs::copy(pkg.join("web").join(f), www.join(f)).map_err(|e| format!("cannot copy {f}: {e}"))?;
    }
    let bg = pkg.join("web/migseal_wasm_bg.wasm");
    let raw = std::fs::metadata(&bg).map_err(|e| format!("{}: {e}", bg.display()))?.len();
    let gz = gzip_len(&bg)?;
    println!(
        "wasm/pkg/web, wasm/pkg/node, wasm/www/pkg: migseal_wasm_bg.wasm {raw} bytes ({:.1} KiB), gzip -9n {gz} bytes ({:.1} KiB)",
        kib(raw),
        kib(gz)
    );
    Ok(())
}

/// wasm-bindgen-test under Node, then the Node package and the page.
fn test(ctx: &Ctx) -> Result<(), String> {
    // In the shipping profile: it tests the optimised, panic=abort code the
    // package holds, and reuses the package build's dependencies (half the
    // build time of the dev profile).
    cargo(
        ctx,
        &["test", "-p", "migseal-wasm", "--target", TARGET, "--profile", PROFILE, "--test", "bindings"],
        &[("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", "wasm-bindgen-test-runner")],
    )?;
    // The native verdicts the Node test compares against.
    cargo(ctx, &["build", "-q", "-p", "migseal-cli"], &[])?;
    let cli = target_dir(&ctx.root).join("debug/migseal");
    if !Path::new(CHROMIUM).exists() {
        run(ctx, "apt-get", &["update", "-qq"], &[])?;
        run(ctx, "apt-get", &["install", "-y", "-qq", "chromium"], &[("DEBIAN_FRONTEND", "noninteractive")])?;
    }
    let artifacts = target_dir(&ctx.root).join("wasm-e2e");
    run(
        ctx,
        "node",
        &["--test", "wasm/tests/vectors.test.mjs", "wasm/tests/stream.test.mjs", "wasm/tests/e2e.test.mjs"],
        &[
            ("MIGSEAL_CLI", &cli.to_string_lossy()),
            ("MIGSEAL_ARTIFACTS", &artifacts.to_string_lossy()),
            ("MIGSEAL_CHROMIUM", CHROMIUM),
        ],
    )?;
    println!("screenshots: {}", artifacts.display());
    Ok(())
}

/// The `=x.y.z` wasm-bindgen version wasm/Cargo.toml pins.
fn pinned_bindgen(root: &Path) -> Result<String, String> {
    let manifest = root.join("wasm/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    text.lines()
        .find(|l| l.trim_start().starts_with("wasm-bindgen ="))
        .and_then(|l| l.split("\"=").nth(1))
        .and_then(|v| v.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| {
            format!("{}: no `wasm-bindgen = {{ version = \"=x.y.z\" ...` line", manifest.display())
        })
}

/// The wasm32 target and exactly the pinned wasm-bindgen-cli.
fn tools(ctx: &Ctx, version: &str) -> Result<(), String> {
    if !output("rustup", &["target", "list", "--installed"]).lines().any(|l| l.trim() == TARGET) {
        run(ctx, "rustup", &["target", "add", TARGET], &[])?;
    }
    let have = output("wasm-bindgen", &["--version"]);
    if have.split_whitespace().nth(1) != Some(version) {
        println!("wasm-bindgen-cli {version} is needed (found: {}); installing it", have.trim());
        run(
            ctx,
            "cargo",
            &["install", "wasm-bindgen-cli", "--version", version, "--locked", "--force"],
            &[],
        )?;
    }
    Ok(())
}

/// `npm ci` for wasm-opt (binaryen) and playwright-core, pinned by
/// wasm/package-lock.json.
fn npm_ci(ctx: &Ctx) -> Result<(), String> {
    run(ctx, "npm", &["ci", "--prefix", "wasm", "--no-audit", "--no-fund", "--loglevel=error"], &[])
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// The workspace version, from the root Cargo.toml.
fn workspace_version(root: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?;
    text.lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| "Cargo.toml: no workspace version".into())
}

fn package_json(root: &Path, flavour: &str) -> Result<String, String> {
    let version = workspace_version(root)?;
    let (name, module_type, what) = match flavour {
        "web" => ("@migseal/wasm", "\n  \"type\": \"module\",", "ES module for browsers and bundlers"),
        _ => ("@migseal/wasm-node", "", "CommonJS for Node"),
    };
    Ok(format!(
        r#"{{
  "name": "{name}",
  "version": "{version}",
  "description": "migseal in WebAssembly ({what}): device compatibility check, image inspection and streaming verification of sealed migration images",
  "license": "Apache-2.0 OR MIT",{module_type}
  "main": "migseal_wasm.js",
  "types": "migseal_wasm.d.ts",
  "files": ["migseal_wasm.js", "migseal_wasm.d.ts", "migseal_wasm_bg.wasm", "migseal_wasm_bg.wasm.d.ts"],
  "sideEffects": false
}}
"#
    ))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Size after `gzip -9n` (no name or time in the header, so the figure
/// repeats), what a server sends.
fn gzip_len(path: &Path) -> Result<u64, String> {
    let out = Command::new("gzip")
        .args(["-9nc"])
        .arg(path)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!("gzip {} failed", path.display()));
    }
    u64::try_from(out.stdout.len()).map_err(|e| e.to_string())
}

fn kib(n: u64) -> f64 {
    // Exact for any file size this prints.
    #[allow(clippy::cast_precision_loss)]
    let n = n as f64;
    n / 1024.0
}
