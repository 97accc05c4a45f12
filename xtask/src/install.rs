//! `cargo xtask install --prefix P [--libdir DIR]`: the C library, installed
//! the way C projects find it (the layout `cargo cinstall` makes from
//! capi/Cargo.toml's `[package.metadata.capi]`):
//!
//! ```text
//! P/include/migseal/migseal.h
//! P/lib/libmigseal.a
//! P/lib/libmigseal.so.0.1.0            soname libmigseal.so.0.1 (capi/build.rs)
//! P/lib/libmigseal.so.0.1 -> libmigseal.so.0.1.0
//! P/lib/libmigseal.so     -> libmigseal.so.0.1
//! P/lib/pkgconfig/migseal.pc           Libs.private from rustc --print native-static-libs
//! ```
//!
//! Built with plain cargo in the release profile, so a fresh machine needs
//! nothing else (cargo-c would take minutes to compile first).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Ctx;
use crate::version::{Version, homepage};

/// What an install put where; the package step's tests read it.
pub struct Installed {
    pub prefix: PathBuf,
    pub libdir: PathBuf,
    /// The soname the shared library carries (`libmigseal.so.0.1`).
    pub soname: String,
    /// The `Libs.private` line written to migseal.pc.
    pub libs_private: String,
}

/// The command: `--prefix P` (required), `--libdir DIR` (default P/lib).
pub fn command(ctx: &Ctx, args: &[String]) -> Result<(), String> {
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1));
    let prefix = value("--prefix").ok_or("usage: cargo xtask install --prefix P [--libdir DIR]")?;
    let prefix = std::path::absolute(prefix).map_err(|e| format!("--prefix {prefix}: {e}"))?;
    let libdir = value("--libdir").map(PathBuf::from);
    let done = install(ctx, &prefix, libdir.as_deref())?;
    println!(
        "installed migseal into {} (soname {}; Libs.private: {})",
        done.prefix.display(),
        done.soname,
        done.libs_private
    );
    Ok(())
}

/// Builds the C library (release) and installs it under `prefix`.
pub fn install(ctx: &Ctx, prefix: &Path, libdir: Option<&Path>) -> Result<Installed, String> {
    let version = Version::of_workspace(&ctx.root)?;
    let libs_private = build(ctx)?;
    let libdir = libdir.map_or_else(|| prefix.join("lib"), Path::to_path_buf);
    let include = prefix.join("include/migseal");
    let pkgconfig = libdir.join("pkgconfig");
    for dir in [&libdir, &include, &pkgconfig] {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let release = crate::version::target_dir(&ctx.root).join("release");
    copy(&ctx.root.join("capi/include/migseal.h"), &include.join("migseal.h"))?;
    copy(&release.join("libmigseal_capi.a"), &libdir.join("libmigseal.a"))?;
    let real = format!("libmigseal.so.{}", version.text);
    let soname = format!("libmigseal.so.{}", version.abi());
    copy(&release.join("libmigseal_capi.so"), &libdir.join(&real))?;
    symlink(&real, &libdir.join(&soname))?;
    symlink(&soname, &libdir.join("libmigseal.so"))?;
    let pc = pc_file(prefix, &libdir, &version.text, &homepage(&ctx.root)?, &libs_private);
    let pc_path = pkgconfig.join("migseal.pc");
    std::fs::write(&pc_path, pc).map_err(|e| format!("cannot write {}: {e}", pc_path.display()))?;
    for f in [include.join("migseal.h"), libdir.join("libmigseal.a"), libdir.join(&real), pc_path] {
        println!("installed {}", f.display());
    }
    for (link, to) in [(&soname, &real), (&"libmigseal.so".to_owned(), &soname)] {
        println!("installed {} -> {to}", libdir.join(link).display());
    }
    Ok(Installed { prefix: prefix.to_path_buf(), libdir, soname, libs_private })
}

/// `cargo rustc` of migseal-capi (static, shared and rlib in one build),
/// asking rustc which system libraries a static link needs. Cargo replays
/// that note when the build is already fresh, so it is always there.
fn build(ctx: &Ctx) -> Result<String, String> {
    let args = ["rustc", "-p", "migseal-capi", "--release", "--lib", "--", "--print", "native-static-libs"];
    println!("+ cargo {}", args.join(" "));
    let out = Command::new("cargo")
        .args(args)
        .current_dir(&ctx.root)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprint!("{stderr}");
    if !out.status.success() {
        return Err(format!("building migseal-capi failed ({})", out.status));
    }
    stderr
        .lines()
        .find_map(|l| l.split("native-static-libs: ").nth(1))
        .map(|libs| libs.trim().to_owned())
        .ok_or_else(|| "rustc printed no native-static-libs note for the static library".to_owned())
}

fn pc_file(prefix: &Path, libdir: &Path, version: &str, url: &str, libs_private: &str) -> String {
    let prefix = prefix.display();
    // ${prefix}-relative when the libdir is under the prefix, as pkg-config
    // users (and --define-prefix) expect.
    let libdir = match libdir.strip_prefix(prefix.to_string()) {
        Ok(rel) => format!("${{prefix}}/{}", rel.display()),
        Err(_) => libdir.display().to_string(),
    };
    format!(
        "prefix={prefix}
exec_prefix=${{prefix}}
libdir={libdir}
includedir=${{prefix}}/include

Name: migseal
Description: Verifier of sealed migration images for assigned devices (C ABI, no allocation)
URL: {url}
Version: {version}
Libs: -L${{libdir}} -lmigseal
Libs.private: {libs_private}
Cflags: -I${{includedir}}/migseal
"
    )
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    // Replace, never write through: an installed library may be in use.
    let _ = std::fs::remove_file(to);
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

fn symlink(target: &str, link: &Path) -> Result<(), String> {
    let _ = std::fs::remove_file(link);
    std::os::unix::fs::symlink(target, link)
        .map_err(|e| format!("cannot link {} -> {target}: {e}", link.display()))
}
