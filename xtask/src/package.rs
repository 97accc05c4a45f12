//! The CI step `package`: migseal is installable where its users live.
//!
//! 1. `cargo package --workspace`: every published crate packages and
//!    builds from its .crate against the others (cargo's local registry
//!    overlay), without a warning.
//! 2. MSRV: the published crates check with the declared `rust-version`
//!    (the toolchain is installed with rustup's minimal profile).
//! 3. C: `cargo xtask install` into a temporary prefix; the meson project
//!    capi/tests/meson-consumer, copied out of the workspace, finds it
//!    with `dependency('migseal')` through PKG_CONFIG_PATH, links it shared
//!    and then static, and runs.
//! 4. npm: `npm pack` of the package (npm.rs), installed into a fresh
//!    directory, used from Node (ES module and `require`), type-checked
//!    with `tsc --noEmit`, and loaded by a page in headless Chromium.
//! 5. One version: Cargo.toml's workspace version is the crates', the
//!    changelog's newest release, the npm package's, migseal.pc's, the
//!    soname's ABI and what `migseal_version()` returns.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::version::{Version, check_sources, read};
use crate::{Ctx, cargo, run};

/// The crates published to crates.io.
pub const PUBLISHED: &[&str] =
    &["migseal-format", "migseal-verifier", "migseal-codecs", "migseal", "migseal-capi", "migseal-cli"];
/// The workspace's `publish = false` members. `cargo package --workspace`
/// would package them too, and fail on their path-only dependencies on
/// each other (the local registry overlay holds publishable crates only).
const TOOLING: &[&str] = &["migseal-testkit", "migseal-bench", "migseal-wasm", "xtask"];

pub fn step(ctx: &Ctx) -> Result<(), String> {
    let version = Version::of_workspace(&ctx.root)?;
    check_sources(&ctx.root, &version)?;
    let mut times = Vec::new();
    let mut timed = |name: &'static str, r: &dyn Fn() -> Result<(), String>| {
        let start = std::time::Instant::now();
        let out = r();
        times.push(format!("{name} {:.0} s", start.elapsed().as_secs_f64()));
        out
    };
    timed("cargo package", &|| cargo_package(ctx, &version))?;
    timed("MSRV", &|| msrv(ctx))?;
    timed("C library", &|| c_library(ctx, &version))?;
    timed("npm", &|| crate::npm::step(ctx, &version))?;
    println!("package step: {}", times.join(", "));
    println!(
        "version {}: crates, CHANGELOG.md, migseal.pc, soname, migseal_version() and npm agree",
        version.text
    );
    Ok(())
}

/// `cargo package --workspace` (the tooling crates excluded); any warning
/// fails the step.
fn cargo_package(ctx: &Ctx, version: &Version) -> Result<(), String> {
    // Every member is either published or tooling: a new crate must be
    // put in one list or the other.
    let metadata = crate::output("cargo", &["metadata", "--no-deps", "--format-version", "1"]);
    let members =
        metadata.split("\"workspace_members\":[").nth(1).and_then(|m| m.split(']').next()).unwrap_or("");
    // Package ids: `path+file:///dir#name@version`, or `path+file:///name#version`.
    for id in members.split('"').filter(|s| s.starts_with("path+")) {
        let (path, frag) = id.split_once('#').unwrap_or((id, ""));
        let (name, member_version) = match frag.split_once('@') {
            Some((name, v)) => (name, v),
            None => (path.rsplit('/').next().unwrap_or(path), frag),
        };
        if !PUBLISHED.contains(&name) && !TOOLING.contains(&name) {
            return Err(format!(
                "workspace member {name} is in neither PUBLISHED nor TOOLING (xtask/src/package.rs)"
            ));
        }
        if PUBLISHED.contains(&name) && member_version != version.text {
            return Err(format!(
                "{name} is version {member_version}, the workspace version is {}: use `version.workspace = true`",
                version.text
            ));
        }
    }
    println!("version {}: the {} published crates have it", version.text, PUBLISHED.len());
    forget_unpacked(version)?;
    forget_built(&ctx.root.join(VERIFY_DIR))?;
    let mut args = vec!["package", "--workspace", "--locked", "--allow-dirty", "--target-dir", VERIFY_DIR];
    for t in TOOLING {
        args.extend(["--exclude", t]);
    }
    println!("+ cargo {}", args.join(" "));
    let out = Command::new("cargo")
        .args(args)
        .current_dir(&ctx.root)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Only cargo's own summary lines: the build output is long.
    for line in stderr.lines().filter(|l| {
        let l = l.trim_start();
        l.starts_with("Packag")
            || l.starts_with("Verifying")
            || l.starts_with("warning")
            || l.starts_with("error")
    }) {
        println!("{line}");
    }
    if !out.status.success() {
        eprint!("{stderr}");
        return Err(format!("cargo package --workspace failed ({})", out.status));
    }
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.starts_with("warning")).collect();
    if !warnings.is_empty() {
        return Err(format!("cargo package --workspace warned:\n{}", warnings.join("\n")));
    }
    let packaged = stderr.lines().filter(|l| l.trim_start().starts_with("Packaged")).count();
    if packaged != PUBLISHED.len() {
        return Err(format!(
            "cargo package packaged {packaged} crates, expected {}: {PUBLISHED:?}",
            PUBLISHED.len()
        ));
    }
    println!("cargo package --workspace: {packaged} crates packaged and verified, no warning");
    Ok(())
}

/// Where `cargo package` builds the packages it verifies: a directory of
/// its own, so that `forget_built` touches nothing else.
const VERIFY_DIR: &str = "target/package-verify";

/// Cargo takes a registry crate of a given version for immutable, so a
/// build of the previous run's migseal-format 0.1.0 (from the temporary
/// registry) would be reused for the next verification even though the
/// sources changed. Forgetting the migseal crates' fingerprints makes
/// cargo rebuild them (and only them).
fn forget_built(dir: &Path) -> Result<(), String> {
    let fingerprints = dir.join("debug/.fingerprint");
    let Ok(entries) = std::fs::read_dir(&fingerprints) else { return Ok(()) };
    for e in entries.flatten().filter(|e| e.file_name().to_string_lossy().starts_with("migseal")) {
        std::fs::remove_dir_all(e.path())
            .map_err(|err| format!("cannot remove {}: {err}", e.path().display()))?;
    }
    Ok(())
}

/// Removes cargo's unpacked copies of earlier `cargo package` runs. Cargo
/// unpacks each packaged crate from its temporary local registry into
/// $CARGO_HOME/registry/src/-HASH/NAME-VERSION and, finding that directory
/// on the next run, reuses it even though the .crate changed: the next
/// verification would build the others against stale sources. (The local
/// registry has no name, hence the leading `-`; crates.io's sources are in
/// index.crates.io-HASH and are never touched.)
fn forget_unpacked(version: &Version) -> Result<(), String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let Ok(registries) = std::fs::read_dir(home.join("registry/src")) else { return Ok(()) };
    for registry in registries.flatten().filter(|r| r.file_name().to_string_lossy().starts_with('-')) {
        for name in PUBLISHED {
            let stale = registry.path().join(format!("{name}-{}", version.text));
            if stale.exists() {
                std::fs::remove_dir_all(&stale)
                    .map_err(|e| format!("cannot remove {}: {e}", stale.display()))?;
                println!("removed stale {}", stale.display());
            }
        }
    }
    Ok(())
}

/// The published crates build with the declared `rust-version`.
fn msrv(ctx: &Ctx) -> Result<(), String> {
    let text = read(&ctx.root.join("Cargo.toml"))?;
    let rust_version = text
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|v| v.split('"').next())
        .ok_or("Cargo.toml: no rust-version in [workspace.package]")?;
    let toolchain = rust_version.to_owned();
    let have = crate::output("rustup", &["toolchain", "list"]);
    if !have
        .lines()
        .any(|l| l.starts_with(&format!("{toolchain}-")) || l.starts_with(&format!("{toolchain}.0-")))
    {
        run(ctx, "rustup", &["toolchain", "install", &toolchain, "--profile", "minimal"], &[])?;
    }
    let plus = format!("+{toolchain}");
    let mut args = vec![plus.as_str(), "check", "-q", "--locked", "--target-dir", "target/msrv"];
    for p in PUBLISHED {
        args.extend(["-p", p]);
    }
    cargo(ctx, &args, &[])?;
    println!("MSRV: the {} published crates check with Rust {rust_version} (rust-version)", PUBLISHED.len());
    Ok(())
}

/// Installs the C library into a temporary prefix and builds, links and
/// runs the meson consumer against it, shared then static.
fn c_library(ctx: &Ctx, version: &Version) -> Result<(), String> {
    apt(ctx, &[("meson", "meson"), ("ninja", "ninja-build"), ("pkg-config", "pkg-config")])?;
    let work = scratch(ctx, "c")?;
    let prefix = work.join("prefix");
    let installed = crate::install::install(ctx, &prefix, None)?;
    let expected = format!("libmigseal.so.{}", version.abi());
    let soname = readelf(&installed.libdir.join("libmigseal.so"))?
        .lines()
        .find_map(|l| {
            l.split("Library soname: [").nth(1).and_then(|s| s.split(']').next()).map(str::to_owned)
        })
        .unwrap_or_default();
    if soname != expected || installed.soname != expected {
        return Err(format!("libmigseal.so has soname {soname:?}, expected {expected:?}"));
    }
    println!("soname: {soname} (ABI {} of version {})", version.abi(), version.text);
    let pkgconfig = installed.libdir.join("pkgconfig");
    let pc_version = pkg_config(&pkgconfig, &["--modversion", "migseal"])?;
    if pc_version.trim() != version.text {
        return Err(format!("migseal.pc has Version {}, expected {}", pc_version.trim(), version.text));
    }
    println!(
        "pkg-config --static --libs migseal: {}",
        pkg_config(&pkgconfig, &["--static", "--libs", "migseal"])?.trim()
    );

    // Out of the workspace, as a C project would be.
    let project = work.join("meson-consumer");
    copy_dir(&ctx.root.join("capi/tests/meson-consumer"), &project)?;
    let vectors = ctx.root.join("spec/vectors");
    // The source side of spec/vectors/devices/mtty-2.cbor (see meson.build).
    let source = project.join("mtty-2-source.cbor");
    let compatible = vectors.join("devices/mtty-2.cbor");
    let incompatible = vectors.join("devices/mtty-1.cbor");
    for (name, options) in [("shared", &[][..]), ("static", &["-Dprefer_static=true"][..])] {
        let build = work.join(format!("build-{name}"));
        let (p, b) = (project.to_string_lossy().into_owned(), build.to_string_lossy().into_owned());
        let mut args = vec!["setup", "--wipe", b.as_str(), p.as_str()];
        if !build.exists() {
            args.retain(|a| *a != "--wipe");
        }
        args.extend(options);
        let env = [("PKG_CONFIG_PATH", pkgconfig.to_str().unwrap_or_default())];
        run(ctx, "meson", &args, &env)?;
        run(ctx, "ninja", &["-C", &b], &[])?;
        let exe = build.join("migseal-consumer");
        let needed: Vec<String> = readelf(&exe)?
            .lines()
            .filter_map(|l| {
                l.split("Shared library: [").nth(1).and_then(|s| s.split(']').next()).map(str::to_owned)
            })
            .collect();
        let links_shared = needed.iter().any(|n| n == &expected);
        match (name, links_shared) {
            ("shared", false) => {
                return Err(format!("the shared build does not need {expected}: {needed:?}"));
            }
            ("static", true) => return Err(format!("the static build still needs {expected}: {needed:?}")),
            _ => println!("{name} build: NEEDED {}", needed.join(", ")),
        }
        // The installed library, not one from the build tree.
        let out = Command::new(&exe)
            .args([&source, &compatible, &incompatible])
            .env("LD_LIBRARY_PATH", &installed.libdir)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        for line in stdout.lines() {
            println!("{name}: {line}");
        }
        if !out.status.success() {
            eprint!("{}", String::from_utf8_lossy(&out.stderr));
            return Err(format!("the meson consumer ({name}) failed ({})", out.status));
        }
    }
    std::fs::remove_dir_all(&work).map_err(|e| format!("cannot remove {}: {e}", work.display()))
}

fn pkg_config(path: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("pkg-config")
        .args(args)
        .env("PKG_CONFIG_PATH", path)
        .output()
        .map_err(|e| format!("cannot run pkg-config: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "pkg-config {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn readelf(file: &Path) -> Result<String, String> {
    let out = Command::new("readelf")
        .arg("-d")
        .arg(file)
        .output()
        .map_err(|e| format!("cannot run readelf: {e}"))?;
    if !out.status.success() {
        return Err(format!("readelf -d {} failed", file.display()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Debian packages, installed when their command is missing.
pub fn apt(ctx: &Ctx, needs: &[(&str, &str)]) -> Result<(), String> {
    let missing: Vec<&str> = needs
        .iter()
        .filter(|(cmd, _)| crate::output("sh", &["-c", &format!("command -v {cmd}")]).trim().is_empty())
        .map(|(_, pkg)| *pkg)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    run(ctx, "apt-get", &["update", "-qq"], &[])?;
    let mut args = vec!["install", "-y", "-qq"];
    args.extend(&missing);
    run(ctx, "apt-get", &args, &[("DEBIAN_FRONTEND", "noninteractive")])
}

/// A fresh directory for this step under the system temp dir (outside
/// the workspace: nothing there can find the sources by accident).
pub fn scratch(_ctx: &Ctx, what: &str) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("migseal-package-{what}-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

pub fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let dest = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)
                .map_err(|e| format!("cannot copy {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}
