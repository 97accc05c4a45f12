//! The `libvirt` CI step (`cargo xtask libvirt`): installs Debian's
//! libvirt client tools when they are missing (`virsh`,
//! `virt-xml-validate`, and `xmllint`, which the validator runs), then
//! runs `migseal libvirt`'s integration tests against them
//! (`cli/tests/libvirt.rs`): libvirt's domain schema, `virsh metadata`
//! round trips through the test driver, and the qemu hook run the way
//! libvirt runs it.
//!
//! The tests skip loudly when the tools are missing; this step sets
//! `MIGSEAL_LIBVIRT_REQUIRED`, so here a missing tool fails them instead.
//!
//! Then, as root, the end-to-end run (`cli/libvirt/e2e-migrate.sh`): two
//! libvirt daemons on this machine, a live migration of a small TCG guest
//! that the hook passes, and one it refuses, the refusal read back from
//! `virsh migrate`. It installs libvirt's QEMU driver and QEMU when they
//! are missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Ctx, cargo, output, run};

/// Each tool the tests run, and the Debian package that has it.
const TOOLS: &[(&str, &str)] =
    &[("virsh", "libvirt-clients"), ("virt-xml-validate", "libvirt-clients"), ("xmllint", "libxml2-utils")];

/// Whether `tool` is an executable file in a `PATH` directory.
pub(crate) fn on_path(tool: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|d| Path::new(&d).join(tool).is_file())
}

/// The Debian packages of the end-to-end migration.
const E2E_PACKAGES: &[&str] = &["libvirt-daemon", "libvirt-daemon-driver-qemu", "qemu-system-x86"];

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

/// Installs Debian `packages` (none: nothing to do) without recommends.
pub(crate) fn apt_install(ctx: &Ctx, packages: &[&str]) -> Result<(), String> {
    if packages.is_empty() {
        return Ok(());
    }
    let env = [("DEBIAN_FRONTEND", "noninteractive")];
    run(ctx, "apt-get", &["update", "-qq"], &env)?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(packages);
    run(ctx, "apt-get", &args, &env)
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// Installs the missing tools, runs the tests, then the end-to-end
/// migration.
pub fn step(ctx: &Ctx) -> Result<(), String> {
    let mut packages: Vec<&str> = TOOLS.iter().filter(|(t, _)| !on_path(t)).map(|(_, p)| *p).collect();
    packages.dedup();
    apt_install(ctx, &packages)?;
    if let Some((tool, package)) = TOOLS.iter().find(|(t, _)| !on_path(t)) {
        return Err(format!("{tool} is still missing after installing {package}"));
    }
    cargo(ctx, &["test", "-p", "migseal-cli", "--test", "libvirt"], &[("MIGSEAL_LIBVIRT_REQUIRED", "1")])?;

    if output("id", &["-u"]).trim() != "0" {
        println!("!!! SKIPPED the end-to-end migration (cli/libvirt/e2e-migrate.sh): it needs root");
        return Ok(());
    }
    let missing: Vec<&str> = E2E_PACKAGES.iter().copied().filter(|p| !installed(p)).collect();
    apt_install(ctx, &missing)?;
    cargo(ctx, &["build", "-q", "-p", "migseal-cli"], &[])?;
    let migseal = target_dir(&ctx.root).join("debug/migseal");
    run(ctx, "sh", &["cli/libvirt/e2e-migrate.sh"], &[("MIGSEAL", &migseal.to_string_lossy())])
}
