//! The checked-in header must be what cbindgen makes of the current
//! sources. `MIGSEAL_BLESS=1 cargo test -p migseal-capi --test header`
//! rewrites it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

#[test]
fn header_is_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen parses capi/src");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).unwrap();
    let path = dir.join("include/migseal.h");
    if std::env::var_os("MIGSEAL_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    if checked_in != generated {
        let first = checked_in
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "length differs".to_owned(), |i| format!("first difference at line {}", i + 1));
        panic!(
            "capi/include/migseal.h is stale ({first}): regenerate it with \
             MIGSEAL_BLESS=1 cargo test -p migseal-capi --test header, and commit it"
        );
    }
}
