//! The command line: argument definitions and dispatch to the engine.
//!
//! Exit status: 0 success; 1 `lookup` found nothing; 2 a usage error, a bad
//! config file or a path that does not exist. A closed stdout (for example
//! `| head`) exits 0 quietly.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::analysis::Analyzer;
use crate::config::{self, ThresholdFlags};
use crate::ingest::{self, Window};
use crate::mask::Mask;
use crate::report::{self, Report, lookup};
use crate::settings::Settings;
use crate::source;
use crate::store::Store;
use crate::time::parse_time_arg;

const EXAMPLES: &str = "\
Examples:
  linelens /var/log/linebot                  open the incident screen on a log directory
  linelens report assets/sample-logs         summary of what was read
  linelens report --format json --since 2h logs/ | jq .bursts
  linelens lookup --request-id 8e36bade-c5d6-4d00-9e69-72244675a9a1 logs/
  linelens audit --channel-secret-file secret.txt logs/   check the logs against LINE's guidelines
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
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read everything once and print a summary: guideline findings, 429 bursts, floods, replies, counts.
    #[command(
        after_help = "Examples:\n  linelens report assets/sample-logs\n  linelens report --format json --since 15m /var/log/linebot"
    )]
    Report(ReportArgs),
    /// Show one request by its x-line-request-id, with everything linked to it.
    #[command(
        after_help = "Examples:\n  linelens lookup --request-id 8e36bade-c5d6-4d00-9e69-72244675a9a1 /var/log/linebot\n  linelens lookup --request-id 8e36bade-c5d6-4d00-9e69-72244675a9a1 --format json logs/ | jq .records[0].retries\n\nWhen no record carries the ID, every line whose text holds it is listed (text_matches).\nExit status 1 when the ID is found nowhere."
    )]
    Lookup(LookupArgs),
    /// Check the logs against LINE's development guidelines; exit 1 on findings at or above --fail-on.
    #[command(
        after_help = format!("Examples:\n  linelens audit assets/sample-logs\n  linelens audit --fail-on warning --format json /var/log/linebot | jq '.[] | .rule'\n  LINE_CHANNEL_SECRET=... linelens audit --since 1h /var/log/linebot   (cron: exit 1 on errors)\n\n{}", crate::audit::rules::help())
    )]
    Audit(AuditArgs),
    /// Follow files (through rotation) and print each new record as one JSON line.
    #[command(
        after_help = "Examples:\n  linelens tail /var/log/linebot | jq -c 'select(.status == 429)'\n  linelens tail --from-start logs/ | head -3\n\nExits 0 on SIGINT, SIGTERM, or when stdout is closed."
    )]
    Tail(TailArgs),
    /// List the log line formats linelens reads, each with a sample line.
    #[command(after_help = "Examples:\n  linelens formats\n  linelens formats --format json | jq '.[].name'")]
    Formats(FormatsArgs),
}

#[derive(Debug, Args)]
pub struct FormatsArgs {
    /// Config file (its `[[formats]]` are listed first).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// Files or directories to follow (new files and subdirectories are picked up); `-` is standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print what the files hold now first, then follow (default: start at their current end).
    #[arg(long)]
    pub from_start: bool,
    /// Do not watch for file-system events; re-check every 250 ms instead (network file systems).
    #[arg(long)]
    pub poll: bool,
    /// Print message text in webhook events (never that of a message its user unsent).
    #[arg(long)]
    pub with_text: bool,
    /// Config file (for its `[secrets]` table; default as for the other commands).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub privacy: PrivacyArgs,
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

/// Analysis thresholds; each overrides the config file, which overrides the default.
#[derive(Debug, Args, Default)]
pub struct AnalysisArgs {
    /// Config file (default: linelens/config.toml in the platform's config directory, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    #[command(flatten)]
    pub privacy: PrivacyArgs,
}

/// The thresholds' flags (`--burst-gap`, …), made from
/// [`config::THRESHOLDS`]: each is declared there once, with its default
/// and help.
#[derive(Debug, Clone, Default)]
pub struct ThresholdArgs(pub ThresholdFlags);

impl clap::FromArgMatches for ThresholdArgs {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = ThresholdFlags::new();
        for t in config::THRESHOLDS {
            if let Some(v) = m.get_one::<String>(t.key) {
                flags.insert(t.key, v.clone());
            }
        }
        Ok(ThresholdArgs(flags))
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl clap::Args for ThresholdArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        config::THRESHOLDS.iter().fold(cmd, |cmd, t| {
            let value_name = match t.unit {
                config::Unit::Duration => "DURATION",
                config::Unit::Count => "N",
            };
            cmd.arg(clap::Arg::new(t.key).long(t.long()).value_name(value_name).help(format!(
                "{} [default: {}]",
                t.help,
                t.default_text()
            )))
        })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// Secrets and masking, shared by every command.
#[derive(Debug, Args, Default, Clone)]
pub struct PrivacyArgs {
    /// File holding the channel secret, to verify webhook signatures (else $LINE_CHANNEL_SECRET).
    /// The secret is never printed.
    #[arg(long, value_name = "FILE")]
    pub channel_secret_file: Option<PathBuf>,
    /// Show user, group and room IDs shortened (U1a2b…9f0e) everywhere, for screenshots.
    #[arg(long)]
    pub mask_users: bool,
}

impl PrivacyArgs {
    /// Masking, and the secrets from the flag, the environment and the
    /// config file's `[secrets]` (paths relative to the config file).
    pub fn apply(
        &self,
        file: &config::FileConfig,
        config_path: Option<&std::path::Path>,
    ) -> Result<(Mask, Option<std::sync::Arc<crate::signature::Secrets>>), CliError> {
        let base = config_path.and_then(std::path::Path::parent).unwrap_or(std::path::Path::new("."));
        let map = file.secrets.iter().map(|(k, p)| (k.clone(), base.join(p))).collect();
        let env = std::env::var("LINE_CHANNEL_SECRET").ok();
        let s = crate::signature::Secrets::load(self.channel_secret_file.as_deref(), env.as_deref(), &map)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        Ok((Mask { on: self.mask_users }, (!s.is_empty()).then(|| std::sync::Arc::new(s))))
    }
}

impl AnalysisArgs {
    /// The settings these flags and `read` give: flags over config file
    /// over defaults.
    pub fn settings(&self, read: &ReadArgs) -> Result<Settings, CliError> {
        let (file, path) = config::load_installed(self.config.as_deref())?;
        let thresholds = self.thresholds(&file, path.as_deref())?;
        let limits = crate::audit::limits::with_overrides(&file.rate_limits)
            .map_err(|reason| config::in_file(path.as_deref(), reason))?;
        let (mask, secrets) = self.privacy.apply(&file, path.as_deref())?;
        Ok(Settings {
            paths: read.paths(),
            window: window(read)?,
            thresholds,
            audit: crate::audit::Audit { limits, timing: std::env::var_os("LINELENS_MEMORY").is_some() },
            secrets,
            mask,
            file,
        })
    }

    /// Thresholds: flags over the config file (`file`, read from `path`) over defaults.
    fn thresholds(
        &self,
        file: &config::FileConfig,
        path: Option<&std::path::Path>,
    ) -> Result<crate::analysis::Thresholds, CliError> {
        // A bad flag value is named as the flag; a bad file value with the file and key.
        Ok(config::thresholds(&file.analysis, path, &self.thresholds.0)?)
    }
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// List every occurrence of a group of repeated findings, bursts or
    /// floods (text; the JSON always holds every one).
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Exit 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "LEVEL")]
    pub fail_on: FailOn,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// List every occurrence of a group of repeated findings, bursts or
    /// floods (text; the JSON always holds every one).
    #[arg(long)]
    pub all: bool,
}

/// `--fail-on`: the audit's severities, as the command line spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Warning,
    Error,
}

impl FailOn {
    fn severity(self) -> crate::audit::Severity {
        match self {
            FailOn::Info => crate::audit::Severity::Info,
            FailOn::Warning => crate::audit::Severity::Warning,
            FailOn::Error => crate::audit::Severity::Error,
        }
    }
}

#[derive(Debug, Args)]
pub struct LookupArgs {
    /// The x-line-request-id to show.
    #[arg(long, value_name = "ID")]
    pub request_id: String,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
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
    #[error("no record has request ID {0}, and no line holds it")]
    NotFound(String),
    #[error("{0}")]
    Findings(String),
    #[error(transparent)]
    Rule(#[from] crate::audit::RuleFailed),
    #[error(transparent)]
    Config(#[from] config::ConfigError),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::NotFound(_) | CliError::Findings(_) => 1,
            _ => 2,
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl ReadArgs {
    /// The paths given, or the current directory.
    fn paths(&self) -> Vec<PathBuf> {
        if self.paths.is_empty() { vec![PathBuf::from(".")] } else { self.paths.clone() }
    }
}

fn window(args: &ReadArgs) -> Result<Window, CliError> {
    let now = now_ms();
    let parse = |flag: &str, v: &Option<String>| -> Result<Option<i64>, CliError> {
        v.as_deref().map(|s| parse_time_arg(s, now).map_err(|e| CliError::Usage(format!("{flag}: {e}")))).transpose()
    };
    Ok(Window { since: parse("--since", &args.since)?, until: parse("--until", &args.until)? })
}

/// Discover and load the given paths into `store`, warnings on stderr,
/// analysing as blocks are committed.
pub fn load_paths(settings: &Settings, mut store: Store, analyzer: &mut Analyzer) -> Result<Store, CliError> {
    let win = settings.window;
    let (specs, warnings) = source::discover(&settings.paths)?;
    for w in warnings {
        warn(&w);
    }
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    // Warnings about sources wait for the end of the read: when no input
    // could be read at all, one error line says so instead.
    let mut held = Vec::new();
    // On a terminal, stderr shows how far the read is (files, bytes, share,
    // elapsed), cleared when done; elsewhere nothing is drawn.
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "reading {msg} {bar:30} {binary_bytes}/{binary_total_bytes} ({percent}%) {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("{} file{}", specs.len(), if specs.len() == 1 { "" } else { "s" }));
    ingest::load_with_progress(
        &mut store,
        &specs,
        win,
        threads,
        &mut |w| held.push(w),
        &mut |s| analyzer.observe_new(s),
        &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done.min(total));
        },
    );
    bar.finish_and_clear();
    if let Some(e) = nothing_read(&store) {
        return Err(e);
    }
    for w in held {
        warn(&w);
    }
    if std::env::var_os("LINELENS_MEMORY").is_some() {
        for (what, bytes) in store.memory_breakdown() {
            eprintln!("memory {what:<14} {:>8.1} MB", bytes as f64 / 1e6);
        }
        eprintln!("memory {:<14} {:>8.1} MB", "analysis", analyzer.heap_bytes() as f64 / 1e6);
        eprintln!(
            "invariants broken {}{}",
            store.broken.count,
            store.broken.first.map_or_else(String::new, |w| format!(" (first: {w})"))
        );
        print_status("memory", &["VmHWM", "VmRSS"]);
    }
    Ok(store)
}

/// When every source to read failed (none read even in part, binary files
/// aside): the error naming them, for exit status 2.
fn nothing_read(store: &Store) -> Option<CliError> {
    let tried: Vec<&crate::store::Source> = store.sources.iter().filter(|s| s.skipped.is_none()).collect();
    let failed: Vec<&&crate::store::Source> = tried.iter().filter(|s| s.error.is_some() && !s.partial).collect();
    let first = failed.first()?;
    if failed.len() < tried.len() {
        return None;
    }
    let more = match failed.len() {
        1 => String::new(),
        n => format!(" (and {} more input{} that could not be read)", n - 1, if n == 2 { "" } else { "s" }),
    };
    Some(CliError::Usage(format!(
        "nothing could be read: {}: {}{more}",
        first.display,
        first.error.as_deref().unwrap_or("unreadable")
    )))
}

fn warn(msg: &str) {
    eprintln!("linelens: warning: {}", crate::escape::escape_control(msg));
}

/// Run a parsed command line, writing to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<()> {
    match cli.command {
        Some(Command::Report(args)) => {
            let e = args.analysis.settings(&args.read)?;
            let mut analyzer = Analyzer::new(e.thresholds);
            let store = load_paths(&e, e.store(crate::store::StoreUse::Report), &mut analyzer)?;
            let t = std::time::Instant::now();
            let found = analyzer.findings(&store);
            // The analysis state is not needed any more: its memory goes to the audit.
            drop(analyzer);
            let t = stage_figures("findings", t);
            let audit = e.audit.run(&store, &found).map_err(CliError::from)?;
            let t = stage_figures("audit", t);
            let r = Report::build(&store, &found, &audit);
            stage_figures("report", t);
            masked(out, e.mask, |out| match args.format {
                Format::Text => report::write_text(&r, args.all, out),
                Format::Json => report::write_json(&r, out),
            })?;
            print_peak();
        }
        Some(Command::Audit(args)) => {
            let e = args.analysis.settings(&args.read)?;
            let mut analyzer = Analyzer::new(e.thresholds);
            let store = load_paths(&e, e.store(crate::store::StoreUse::Report), &mut analyzer)?;
            let found = analyzer.findings(&store);
            drop(analyzer);
            let findings = e.audit.run(&store, &found).map_err(CliError::from)?;
            let list = report::FindingReport::build_all(&store, &findings);
            masked(out, e.mask, |out| match args.format {
                Format::Text => report::write_audit(&list, args.all, out),
                Format::Json => writeln!(out, "{}", crate::escape::to_json(&list, true)),
            })?;
            let fail_on = args.fail_on.severity();
            let over = list.iter().filter(|f| f.severity >= fail_on).count();
            if over > 0 {
                out.flush()?;
                return Err(CliError::Findings(format!(
                    "{over} finding{} at or above {}",
                    if over == 1 { "" } else { "s" },
                    fail_on.as_str()
                ))
                .into());
            }
        }
        Some(Command::Tail(args)) => {
            let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
            for p in paths.iter().filter(|p| p.as_os_str() != "-") {
                if let Err(e) = std::fs::metadata(p) {
                    return Err(CliError::from(source::MissingPath {
                        path: p.display().to_string(),
                        reason: source::io_reason(&e),
                    })
                    .into());
                }
            }
            let (file, path) = config::load_installed(args.config.as_deref()).map_err(CliError::from)?;
            let (mask, secrets) = args.privacy.apply(&file, path.as_deref())?;
            let printer = crate::tail::Printer {
                with_text: args.with_text,
                secrets,
                mask,
                unsent: Default::default(),
                last_times: Default::default(),
            };
            crate::tail::run(paths, args.from_start, args.poll, printer, out, &mut |w| warn(&w))?;
        }
        Some(Command::Formats(args)) => {
            config::load_installed(args.config.as_deref()).map_err(CliError::from)?;
            // Format samples carry no real user IDs: nothing to mask.
            masked(out, Mask::default(), |out| match args.format {
                Format::Text => report::write_formats(out),
                Format::Json => writeln!(out, "{}", crate::escape::to_json(&report::formats_list(), true)),
            })?;
        }
        Some(Command::Lookup(args)) => {
            let e = args.analysis.settings(&args.read)?;
            let mut analyzer = Analyzer::new(e.thresholds);
            let mut store = load_paths(&e, e.store(crate::store::StoreUse::Lookup), &mut analyzer)?;
            let Some(found) = lookup::lookup(&mut store, &mut analyzer, args.request_id.trim()) else {
                return Err(CliError::NotFound(args.request_id).into());
            };
            masked(out, e.mask, |out| match args.format {
                Format::Text => lookup::write_text(&found, out),
                Format::Json => lookup::write_json(&found, out),
            })?;
        }
        None => {
            let e = cli.analysis.settings(&cli.read)?;
            let keymap = crate::tui::action::Keymap::new(&e.file.keys).map_err(CliError::Usage)?;
            let title = e.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ");
            let (specs, _warnings) = source::discover(&e.paths)?;
            if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                return Err(CliError::Usage(
                    "the incident screen needs a terminal; use `linelens report` in scripts".into(),
                )
                .into());
            }
            crate::tui::run(specs, e, keymap, title)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// With `LINELENS_MEMORY=1`: the time a stage took since `start` and the
/// peak memory after it. Returns the start of the next stage.
fn stage_figures(stage: &str, start: std::time::Instant) -> std::time::Instant {
    if std::env::var_os("LINELENS_MEMORY").is_some() {
        eprintln!("timing {stage} {:.2} s", start.elapsed().as_secs_f64());
        print_status(&format!("memory after the {stage}"), &["VmHWM", "VmRSS"]);
    }
    std::time::Instant::now()
}

/// With `LINELENS_MEMORY=1`: the peak memory of the whole command, at its end.
fn print_peak() {
    if std::env::var_os("LINELENS_MEMORY").is_some() {
        print_status("memory at exit", &["VmHWM"]);
    }
}

/// The lines of `/proc/self/status` naming `keys`, on stderr (Linux only).
fn print_status(prefix: &str, keys: &[&str]) {
    for l in crate::store::process_status(keys) {
        eprintln!("{prefix} {l}");
    }
}

/// Write through `f`, with user IDs shortened when `--mask-users` is on.
fn masked(out: &mut dyn Write, mask: Mask, f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    if !mask.on {
        return f(out);
    }
    let mut buf = Vec::new();
    f(&mut buf)?;
    out.write_all(crate::mask::shorten(&String::from_utf8_lossy(&buf)).as_bytes())
}

/// Whether an error is a closed stdout (exit quietly).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_audit_rule_exits_2_naming_it() {
        let e = CliError::from(crate::audit::RuleFailed {
            rule: Some(crate::audit::Rule::ReplyToken),
            reason: "index out of bounds".into(),
        });
        assert_eq!(e.exit_code(), 2);
        assert_eq!(e.to_string(), "the audit rule reply-token failed (index out of bounds); this is a bug in linelens");
        let flag = CliError::from(config::ConfigError::Flag { flag: "--burst-min".into(), reason: "x".into() });
        assert_eq!((flag.exit_code(), flag.to_string()), (2, "--burst-min: x".to_owned()));
    }
}
