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

use std::path::Path;

use crate::{Ctx, cargo, run};

/// Each tool the tests run, and the Debian package that has it.
const TOOLS: &[(&str, &str)] =
    &[("virsh", "libvirt-clients"), ("virt-xml-validate", "libvirt-clients"), ("xmllint", "libxml2-utils")];

fn on_path(tool: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|d| Path::new(&d).join(tool).is_file())
}

/// Installs the missing tools, then runs the tests.
pub fn step(ctx: &Ctx) -> Result<(), String> {
    let mut packages: Vec<&str> = TOOLS.iter().filter(|(t, _)| !on_path(t)).map(|(_, p)| *p).collect();
    packages.dedup();
    if !packages.is_empty() {
        let env = [("DEBIAN_FRONTEND", "noninteractive")];
        run(ctx, "apt-get", &["update", "-qq"], &env)?;
        let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
        args.extend(&packages);
        run(ctx, "apt-get", &args, &env)?;
    }
    if let Some((tool, package)) = TOOLS.iter().find(|(t, _)| !on_path(t)) {
        return Err(format!("{tool} is still missing after installing {package}"));
    }
    cargo(ctx, &["test", "-p", "migseal-cli", "--test", "libvirt"], &[("MIGSEAL_LIBVIRT_REQUIRED", "1")])
}
