//! What the tests that compile C share: the repository root, and the
//! static library cargo built for this test run.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The static library cargo built for this test run: `cargo test` leaves
/// it next to the test binary (`<target>/<profile>/deps/`), `cargo build`
/// in the profile directory; the newer one wins.
pub fn static_lib() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    let candidates = [deps.join("libmigseal_capi.a"), deps.parent().unwrap().join("libmigseal_capi.a")];
    candidates
        .iter()
        .filter_map(|p| Some((std::fs::metadata(p).ok()?.modified().ok()?, p.clone())))
        .max()
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("no libmigseal_capi.a next to {}: build the crate first", exe.display()))
}
