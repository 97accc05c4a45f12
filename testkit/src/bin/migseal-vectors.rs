//! Regenerates `spec/vectors` (`--write DIR`) or checks that the committed
//! files are exactly what the generator makes (`--check DIR`).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, dir) = match args.as_slice() {
        [mode, dir] if mode == "--write" || mode == "--check" => (mode.as_str(), PathBuf::from(dir)),
        _ => {
            eprintln!("usage: migseal-vectors --write DIR | --check DIR");
            return ExitCode::from(2);
        }
    };
    let set = migseal_testkit::vectors::generate();
    if mode == "--write" {
        if let Err(e) = set.write(&dir) {
            eprintln!("migseal-vectors: cannot write {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
        println!(
            "wrote {} vectors ({} files) to {}",
            set.entries.len(),
            set.all_files().len(),
            dir.display()
        );
        return ExitCode::SUCCESS;
    }
    let problems = set.check(&dir);
    if problems.is_empty() {
        println!("{}: all {} files match the generator", dir.display(), set.all_files().len());
        ExitCode::SUCCESS
    } else {
        for p in &problems {
            eprintln!("{p}");
        }
        eprintln!(
            "{} problem(s): run `cargo run -p migseal-testkit --bin migseal-vectors -- --write {}` and review the diff",
            problems.len(),
            dir.display()
        );
        ExitCode::FAILURE
    }
}
