//! The `linelens` binary: parse the command line, run, map errors to exit codes.

use std::io::{self, BufWriter};
use std::process::ExitCode;

use clap::Parser;
use linelens::cli::{self, Cli, CliError};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    match cli::run(cli, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.downcast_ref::<CliError>().map_or(2, CliError::exit_code);
            eprintln!("linelens: {}", linelens::escape::escape_control(&format!("{e:#}")));
            ExitCode::from(u8::try_from(code).unwrap_or(2))
        }
    }
}
