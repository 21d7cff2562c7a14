//! The `storyd` binary: parses the command line, runs it, and maps the outcome to an exit
//! code (0 ok, 1 runtime failure, 2 bad usage or bad config).

use std::process::ExitCode;

use clap::Parser;
use storyd::cli::{self, Cli, UsageError};

fn main() -> ExitCode {
    let args = Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("storyd: {e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
