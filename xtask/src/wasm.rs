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

/// `cargo xtask wasm`: the packages alone, full and slim.
pub fn build(ctx: &Ctx) -> Result<(), String> {
    let version = pinned_bindgen(&ctx.root)?;
    tools(ctx, &version)?;
    npm_ci(ctx)?;
    for flavour in &FLAVOURS {
        build_flavour(ctx, flavour)?;
    }
    Ok(())
}

/// One build of the crate and the packages made from it.
struct Flavour {
    /// Its name in the size report (`target/wasm-sizes/NAME.wasm`).
    name: &'static str,
    /// `cargo build` arguments beyond the target and profile.
    features: &'static [&'static str],
    /// (wasm-bindgen target, directory under wasm/pkg).
    packages: &'static [(&'static str, &'static str)],
    /// Where the preflight page and the browser tests find the web package.
    www: &'static str,
}

/// The full package (in-WASM crypto as well as WebCrypto) and the slim one
/// (WebCrypto only): `wasm/pkg/{web,node}` and `wasm/pkg/web-slim`.
const FLAVOURS: [Flavour; 2] = [
    Flavour {
        name: "full",
        features: &[],
        packages: &[("web", "web"), ("nodejs", "node")],
        www: "wasm/www/pkg",
    },
    Flavour {
        name: "slim",
        features: &["--no-default-features"],
        packages: &[("web", "web-slim")],
        www: "wasm/www/pkg-slim",
    },
];

fn build_flavour(ctx: &Ctx, flavour: &Flavour) -> Result<(), String> {
    let mut args = vec!["build", "-p", "migseal-wasm", "--target", TARGET, "--profile", PROFILE];
    args.extend(flavour.features);
    // Names kept for the size breakdown (twiggy, `migseal-bench`); the
    // packages are stripped by wasm-opt.
    cargo(ctx, &args, &[("CARGO_PROFILE_WASM_RELEASE_STRIP", "false")])?;
    let wasm = target_dir(&ctx.root).join(TARGET).join(PROFILE).join("migseal_wasm.wasm");
    let wasm_arg = wasm.to_string_lossy().into_owned();
    let pkg = ctx.root.join("wasm/pkg");
    for &(target, dir) in flavour.packages {
        let out = pkg.join(dir);
        if out.exists() {
            std::fs::remove_dir_all(&out).map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
        }
        let out_arg = out.to_string_lossy().into_owned();
        run(ctx, "wasm-bindgen", &["--target", target, "--out-dir", &out_arg, &wasm_arg], &[])?;
        let bg = out.join("migseal_wasm_bg.wasm").to_string_lossy().into_owned();
        if target == "web" {
            // The same optimisation with names kept, for the size breakdown.
            let sizes = target_dir(&ctx.root).join("wasm-sizes");
            std::fs::create_dir_all(&sizes).map_err(|e| format!("cannot create {}: {e}", sizes.display()))?;
            let named = sizes.join(format!("{}.wasm", flavour.name)).to_string_lossy().into_owned();
            let mut args = vec!["-Oz", "-g"];
            args.extend(WASM_FEATURES);
            args.extend([bg.as_str(), "-o", named.as_str()]);
            run(ctx, "wasm/node_modules/.bin/wasm-opt", &args, &[])?;
        }
        let mut args = vec!["-Oz", "--strip-debug", "--strip-producers"];
        args.extend(WASM_FEATURES);
        args.extend([bg.as_str(), "-o", bg.as_str()]);
        run(ctx, "wasm/node_modules/.bin/wasm-opt", &args, &[])?;
        write(&out.join("package.json"), &package_json(&ctx.root, dir)?)?;
    }
    let (_, web) = flavour.packages.first().ok_or("a flavour without packages")?;
    let web = pkg.join(web);
    let www = ctx.root.join(flavour.www);
    if www.exists() {
        std::fs::remove_dir_all(&www).map_err(|e| format!("cannot clear {}: {e}", www.display()))?;
    }
    copy_tree(&web, &www)?;
    let bg = web.join("migseal_wasm_bg.wasm");
    let raw = std::fs::metadata(&bg).map_err(|e| format!("{}: {e}", bg.display()))?.len();
    let gz = gzip_len(&bg)?;
    let dirs: Vec<String> = flavour.packages.iter().map(|(_, d)| format!("wasm/pkg/{d}")).collect();
    println!(
        "{}, {}: migseal_wasm_bg.wasm {raw} bytes ({:.1} KiB), gzip -9n {gz} bytes ({:.1} KiB)",
        dirs.join(", "),
        flavour.www,
        kib(raw),
        kib(gz)
    );
    Ok(())
}

/// Copies a package directory (its files and wasm-bindgen's `snippets/`).
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| format!("cannot copy {}: {e}", src.display()))?;
        }
    }
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
        &[
            "--test",
            "wasm/tests/vectors.test.mjs",
            "wasm/tests/stream.test.mjs",
            "wasm/tests/e2e.test.mjs",
            "wasm/tests/webcrypto.test.mjs",
        ],
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
        "web-slim" => (
            "@migseal/wasm-slim",
            "\n  \"type\": \"module\",",
            "ES module for browsers, WebCrypto only: verifyWebCrypto, no in-WASM crypto",
        ),
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
