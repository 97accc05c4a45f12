//! The README's CLI section matches the binary: the exit-code table lists
//! exactly the codes `migseal --help` documents, and the key file format
//! it shows is what `keygen` writes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::collections::BTreeSet;

use common::*;

fn cli_section() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("## The `migseal` CLI").unwrap();
    let rest = &readme[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_owned()
}

#[test]
fn the_readme_exit_codes_are_the_binarys() {
    let section = cli_section();
    let in_readme: BTreeSet<u8> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| ")?.split(" |").next()?.trim().parse().ok())
        .collect();
    let help = stdout(&run(&["--help"]));
    let table = &help[help.find("Exit codes:").unwrap()..];
    let in_help: BTreeSet<u8> = table
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(in_readme, in_help);
}

#[test]
fn the_readme_key_file_format_is_what_keygen_writes() {
    let section = cli_section();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    assert_eq!(code(&run(&["keygen", "--out", key.to_str().unwrap()])), 0);
    let secret = std::fs::read_to_string(&key).unwrap();
    let public = std::fs::read_to_string(dir.path().join("k.pub")).unwrap();
    let (first_secret, first_public) = (secret.lines().next().unwrap(), public.lines().next().unwrap());
    assert!(section.contains(&format!("\n{first_secret}\n")), "README lacks {first_secret}");
    assert!(section.contains(&format!("`{first_public}`")), "README lacks {first_public}");
}
