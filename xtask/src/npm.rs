//! The npm package `migseal`: one package for bundlers, browsers and Node.
//!
//! `pack` assembles it in wasm/pkg/npm from the two wasm-bindgen builds
//! (`cargo xtask wasm`: wasm/pkg/web, an ES module that fetches its .wasm
//! from beside itself, and wasm/pkg/node, CommonJS that reads it with fs)
//! and the committed files of wasm/npm (package.json with its `exports`
//! map, README, the ES module entry for Node and its typings), sets the
//! workspace version, and runs `npm pack`.
//!
//! `step` (part of the CI step `package`) installs the tarball into a fresh
//! directory outside the workspace, as a user would, and there: imports it
//! from Node as an ES module and with `require` (wasm/tests/npm/consumer.mjs:
//! a spec vector verifies, another is refused), type-checks a TypeScript
//! file against its typings with `tsc --noEmit` (typescript pinned, from
//! the npm registry), and loads it from a page in headless Chromium
//! (wasm/tests/npm/browser.mjs), resolved through the `browser` condition
//! of its exports map, served from that directory.

use std::path::{Path, PathBuf};

use crate::package::{apt, copy_dir, scratch};
use crate::version::{Version, read, target_dir};
use crate::{Ctx, run};

/// The TypeScript the typings are checked with.
const TYPESCRIPT: &str = "typescript@5.9.3";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The files each wasm-bindgen build contributes.
const WEB: &[&str] =
    &["migseal_wasm.js", "migseal_wasm.d.ts", "migseal_wasm_bg.wasm", "migseal_wasm_bg.wasm.d.ts"];
const NODE: &[&str] = &["migseal_wasm.js", "migseal_wasm.d.ts", "migseal_wasm_bg.wasm"];

/// Builds the package and returns the tarball's path.
pub fn pack(ctx: &Ctx, version: &Version) -> Result<PathBuf, String> {
    crate::wasm::build(ctx)?;
    let built = ctx.root.join("wasm/pkg");
    let stage = built.join("npm");
    if stage.exists() {
        std::fs::remove_dir_all(&stage).map_err(|e| format!("cannot clear {}: {e}", stage.display()))?;
    }
    copy_dir(&ctx.root.join("wasm/npm"), &stage)?;
    std::fs::create_dir_all(stage.join("web")).map_err(|e| format!("cannot create web/: {e}"))?;
    for (dir, files) in [("web", WEB), ("node", NODE)] {
        for f in files {
            let from = built.join(dir).join(f);
            std::fs::copy(&from, stage.join(dir).join(f))
                .map_err(|e| format!("cannot copy {}: {e}", from.display()))?;
        }
    }
    for f in ["LICENSE-APACHE", "LICENSE-MIT"] {
        std::fs::copy(ctx.root.join(f), stage.join(f)).map_err(|e| format!("cannot copy {f}: {e}"))?;
    }
    let manifest = stage.join("package.json");
    let text = read(&manifest)?;
    let placeholder = "\"version\": \"0.0.0-workspace\"";
    if !text.contains(placeholder) {
        return Err(format!("wasm/npm/package.json: no `{placeholder}` to set the workspace version in"));
    }
    let homepage = crate::version::homepage(&ctx.root)?;
    let text = text
        .replace(placeholder, &format!("\"version\": \"{}\"", version.text))
        .replace("\"homepage\": \"https://docs.rs/migseal\"", &format!("\"homepage\": \"{homepage}\""));
    std::fs::write(&manifest, text).map_err(|e| format!("cannot write {}: {e}", manifest.display()))?;
    let out = target_dir(&ctx.root).join("npm");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let (stage_arg, out_arg) = (stage.to_string_lossy().into_owned(), out.to_string_lossy().into_owned());
    run(ctx, "npm", &["pack", &stage_arg, "--pack-destination", &out_arg, "--loglevel=warn"], &[])?;
    let tarball = out.join(format!("migseal-{}.tgz", version.text));
    if !tarball.exists() {
        return Err(format!("npm pack made no {}", tarball.display()));
    }
    println!("npm package: {}", tarball.display());
    Ok(tarball)
}

/// `cargo xtask npm`: the tarball alone.
pub fn command(ctx: &Ctx) -> Result<(), String> {
    pack(ctx, &Version::of_workspace(&ctx.root)?).map(drop)
}

/// Packs, installs the tarball into a fresh directory and uses it from
/// Node (ESM and CommonJS), TypeScript and Chromium.
pub fn step(ctx: &Ctx, version: &Version) -> Result<(), String> {
    let tarball = pack(ctx, version)?;
    let dir = scratch(ctx, "npm")?;
    copy_dir(&ctx.root.join("wasm/tests/npm/consumer"), &dir)?;
    let (dir_arg, tar_arg) = (dir.to_string_lossy().into_owned(), tarball.to_string_lossy().into_owned());
    run(
        ctx,
        "npm",
        &[
            "install",
            "--prefix",
            &dir_arg,
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            &tar_arg,
            TYPESCRIPT,
        ],
        &[],
    )?;
    let installed = read(&dir.join("node_modules/migseal/package.json"))?;
    if !installed.contains(&format!("\"version\": \"{}\"", version.text)) {
        return Err(format!("the installed npm package is not version {}", version.text));
    }
    println!("npm package version: {} (the workspace version)", version.text);
    let vectors = ctx.root.join("spec/vectors").to_string_lossy().into_owned();
    in_dir(&dir, "node", &["consumer.mjs", &vectors])?;
    in_dir(&dir, "node", &["consumer.cjs", &vectors])?;
    // As Node resolves the package, then as a bundler for the browser does.
    in_dir(&dir, "node_modules/.bin/tsc", &["--noEmit", "-p", "tsconfig.json"])?;
    in_dir(&dir, "node_modules/.bin/tsc", &["--noEmit", "-p", "tsconfig.browser.json"])?;
    println!("tsc --noEmit: consumer.ts type-checks against the node and the browser typings");
    apt(ctx, &[("chromium", "chromium")])?;
    // playwright-core from wasm/node_modules (`npm ci` of the wasm build):
    // the driver, not part of what is tested.
    let driver = ctx.root.join("wasm/tests/npm/browser.mjs").to_string_lossy().into_owned();
    run(ctx, "node", &[&driver, &dir_arg, &vectors], &[("MIGSEAL_CHROMIUM", CHROMIUM)])?;
    std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
    Ok(())
}

fn in_dir(dir: &Path, program: &str, args: &[&str]) -> Result<(), String> {
    println!("+ (cd {}) {program} {}", dir.display(), args.join(" "));
    let program = if program.contains('/') { dir.join(program) } else { PathBuf::from(program) };
    let st = std::process::Command::new(&program)
        .args(args)
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("`{} {}` exited with {st}", program.display(), args.join(" ")))
    }
}
