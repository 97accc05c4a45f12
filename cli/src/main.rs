//! The `migseal` binary. See `migseal --help`, and the library for the
//! commands.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    ExitCode::from(migseal_cli::run(migseal_cli::Cli::parse()))
}
