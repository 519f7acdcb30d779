//! The command line: argument definitions and dispatch to the engine.
//!
//! Exit status: 0 success; 1 a lookup found nothing (later commands);
//! 2 a usage error or a path that does not exist. A closed stdout (for
//! example `| head`) exits 0 quietly.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::ingest::{self, Window};
use crate::report::{self, Report};
use crate::source;
use crate::store::Store;
use crate::time::parse_time_arg;

const EXAMPLES: &str = "\
Examples:
  linelens /var/log/linebot                  open the incident screen on a log directory
  linelens report assets/sample-logs         summary of what was read
  linelens report --format json --since 2h logs/ | jq .totals
  zcat api.log.3.gz | linelens report -      read standard input";

#[derive(Debug, Parser)]
#[command(
    name = "linelens",
    version,
    about = "Incident log viewer for LINE bots and LINE MINI Apps",
    long_about = "Reads LINE bot and MINI App logs (Messaging API request logs, webhook receipt \
logs, MINI App service message logs; text or JSON lines, plain or gzip) into one timeline.",
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Files or directories to open (directories are read recursively; `-` is standard input).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read everything once and print a summary.
    #[command(
        after_help = "Examples:\n  linelens report assets/sample-logs\n  linelens report --format json --since 15m /var/log/linebot"
    )]
    Report(ReportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Files or directories (recursive; hidden entries skipped); `-` is standard input.
    /// Default: the current directory.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Keep records at or after TIME: RFC 3339 (2026-11-20T08:00:00Z) or a duration back from now (15m, 2h, 1d).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Keep records at or before TIME (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// An error that maps to an exit status.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Missing(#[from] source::MissingPath),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        2
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn window(args: &ReadArgs) -> Result<Window, CliError> {
    let now = now_ms();
    let parse = |flag: &str, v: &Option<String>| -> Result<Option<i64>, CliError> {
        v.as_deref().map(|s| parse_time_arg(s, now).map_err(|e| CliError::Usage(format!("{flag}: {e}")))).transpose()
    };
    Ok(Window { since: parse("--since", &args.since)?, until: parse("--until", &args.until)? })
}

/// Discover and load the given paths into `store`, warnings on stderr.
pub fn load_paths(args: &ReadArgs, mut store: Store) -> Result<Store, CliError> {
    let win = window(args)?;
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let (specs, warnings) = source::discover(&paths)?;
    for w in warnings {
        warn(&w);
    }
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    ingest::load(&mut store, &specs, win, threads, &mut |w| warn(&w));
    if std::env::var_os("LINELENS_MEMORY").is_some() {
        for (what, bytes) in store.memory_breakdown() {
            eprintln!("memory {what:<14} {:>8.1} MB", bytes as f64 / 1e6);
        }
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            for l in status.lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS")) {
                eprintln!("memory {l}");
            }
        }
    }
    Ok(store)
}

fn warn(msg: &str) {
    eprintln!("linelens: warning: {}", crate::escape::escape_control(msg));
}

/// Run a parsed command line, writing to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<()> {
    match cli.command {
        Some(Command::Report(args)) => {
            let store = load_paths(&args.read, Store::for_report())?;
            let r = Report::build(&store);
            match args.format {
                Format::Text => report::write_text(&r, out)?,
                Format::Json => report::write_json(&r, out)?,
            }
        }
        None => {
            writeln!(
                out,
                "linelens: the incident screen is not built yet; try `linelens report {}`",
                cli.paths.first().map_or(".".into(), |p| p.display().to_string())
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Whether an error is a closed stdout (exit quietly).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
}
