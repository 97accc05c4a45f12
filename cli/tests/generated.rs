//! The checked-in man pages (`cli/man/`) and shell completions
//! (`cli/completions/`) must be what clap_mangen and clap_complete make of
//! the current clap definitions, so they cannot drift from `--help`.
//! `MIGSEAL_BLESS=1 cargo test -p migseal-cli --test generated` rewrites
//! them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

/// Every generated file: its path under `cli/` and its content.
fn generated() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut cmd = migseal_cli::Cli::command();
    // Propagates the global --json into each subcommand's page.
    cmd.build();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page).unwrap();
    files.push((PathBuf::from("man/migseal.1"), page));
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        // clap names take &'static str; leaking a few names in a test is fine.
        let name: &'static str = Box::leak(format!("migseal-{}", sub.get_name()).into_boxed_str());
        let sub = sub.clone().name(name);
        let mut page = Vec::new();
        clap_mangen::Man::new(sub).render(&mut page).unwrap();
        files.push((PathBuf::from(format!("man/{name}.1")), page));
    }
    for (shell, file) in
        [(Shell::Bash, "migseal.bash"), (Shell::Zsh, "_migseal"), (Shell::Fish, "migseal.fish")]
    {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut cmd.clone(), "migseal", &mut script);
        files.push((PathBuf::from(format!("completions/{file}")), script));
    }
    files
}

#[test]
fn man_pages_and_completions_are_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("MIGSEAL_BLESS").is_some();
    let mut stale = Vec::new();
    for (rel, content) in generated() {
        let path = dir.join(&rel);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &content).unwrap();
        } else if std::fs::read(&path).unwrap_or_default() != content {
            stale.push(rel.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files in cli/: {stale:?}; regenerate them with \
         MIGSEAL_BLESS=1 cargo test -p migseal-cli --test generated, and commit them"
    );
}

#[test]
fn the_man_page_documents_the_exit_codes_and_every_command() {
    let page = String::from_utf8(generated().remove(0).1).unwrap();
    for needle in ["Exit codes", "keygen", "seal", "verify", "inspect", "compat", "descriptor", "\\-\\-json"]
    {
        assert!(page.contains(needle), "migseal.1 lacks {needle}");
    }
}
