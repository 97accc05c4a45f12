//! The one version number: `[workspace.package] version` in the root
//! Cargo.toml. Everything else is derived from it or checked against it
//! (`check`, run by the package step): the workspace's own dependency
//! requirements, CHANGELOG.md's newest release, the npm package, the C
//! library's soname, migseal.pc and `migseal_version()`.

use std::path::{Path, PathBuf};

/// The workspace version.
pub struct Version {
    /// `0.1.0`
    pub text: String,
    pub major: u64,
    pub minor: u64,
}

impl Version {
    /// `[workspace.package] version` from the root Cargo.toml.
    pub fn of_workspace(root: &Path) -> Result<Self, String> {
        let text = workspace_package_field(root, "version")?;
        let mut parts = text.split('.').map(str::parse::<u64>);
        match (parts.next(), parts.next()) {
            (Some(Ok(major)), Some(Ok(minor))) => Ok(Self { text, major, minor }),
            _ => Err(format!("Cargo.toml: workspace version {text:?} is not major.minor.patch")),
        }
    }

    /// The ABI version in the soname (cargo-c's rule): `0.y` before 1.0,
    /// where every minor release may break the ABI; the major from 1.0.
    pub fn abi(&self) -> String {
        if self.major == 0 { format!("0.{}", self.minor) } else { self.major.to_string() }
    }
}

/// `[workspace.package] homepage`.
pub fn homepage(root: &Path) -> Result<String, String> {
    workspace_package_field(root, "homepage")
}

/// A `key = "value"` line of the root Cargo.toml's `[workspace.package]`.
fn workspace_package_field(root: &Path, key: &str) -> Result<String, String> {
    let text = read(&root.join("Cargo.toml"))?;
    let table = text.split("[workspace.package]").nth(1).and_then(|t| t.split("\n[").next()).unwrap_or("");
    table
        .lines()
        .find_map(|l| l.strip_prefix(key)?.trim_start().strip_prefix("= \""))
        .and_then(|v| v.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| format!("Cargo.toml: no `{key} = \"...\"` in [workspace.package]"))
}

/// The versions written down by hand agree with the workspace's: the
/// `version = "..."` requirements of the workspace crates in
/// `[workspace.dependencies]` and the newest release in CHANGELOG.md.
/// (The rest is derived at build time and checked where it is built.)
pub fn check_sources(root: &Path, version: &Version) -> Result<(), String> {
    let text = read(&root.join("Cargo.toml"))?;
    let deps =
        text.split("[workspace.dependencies]").nth(1).and_then(|t| t.split("\n[").next()).unwrap_or("");
    let mut seen = 0;
    for line in deps.lines().filter(|l| l.starts_with("migseal")) {
        let req = line.split("version = \"").nth(1).and_then(|v| v.split('"').next());
        if req != Some(version.text.as_str()) {
            return Err(format!(
                "Cargo.toml [workspace.dependencies]: `{line}` must require version \"{}\" (the workspace version)",
                version.text
            ));
        }
        seen += 1;
    }
    println!("version {}: {seen} workspace dependency requirements agree", version.text);
    let changelog = read(&root.join("CHANGELOG.md"))?;
    let newest = changelog
        .lines()
        .filter_map(|l| l.strip_prefix("## ["))
        .filter_map(|l| l.split(']').next())
        .find(|v| *v != "Unreleased")
        .unwrap_or("");
    if newest != version.text {
        return Err(format!(
            "CHANGELOG.md: the newest release is [{newest}], the workspace version is {}; add a `## [{}] - DATE` section",
            version.text, version.text
        ));
    }
    println!("version {}: CHANGELOG.md's newest release agrees", version.text);
    Ok(())
}

/// Cargo's target directory.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

pub fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
