//! Gives the shared library the soname of its ABI version, so that a C
//! program linked against `libmigseal.so` records `libmigseal.so.0.1`
//! (0.y: every minor release may break the ABI) or, from 1.0,
//! `libmigseal.so.1`, and keeps loading only a library with that ABI.
//! The rule is cargo-c's, so `cargo cinstall` and `cargo xtask install`
//! install the same file names; see capi/README.md.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os != "linux" {
        return;
    }
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    let abi = if major == "0" { format!("0.{minor}") } else { major };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmigseal.so.{abi}");
}
