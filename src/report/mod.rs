//! `linelens report`: a summary of what was read, as text or one JSON document.
//!
//! [`Report`] is built from the store once and written by [`write_text`] or
//! [`write_json`]. It derives `Deserialize` too, so tests and scripts can
//! read the JSON back into the same types.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

pub mod group;
pub mod lookup;

use crate::analysis::{BurstReport, Correlation, Direction, Findings, FloodReport};
use crate::audit::{Finding, Severity};
use crate::escape::{escape_control, thousands};
use crate::model::Kind;
use crate::store::{SignatureCounts, Store, Totals};
use crate::time::{format_rfc3339, parse_time};

pub const SCHEMA: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TimeRange {
    pub first: Option<String>,
    pub last: Option<String>,
}

/// Status code (as a string; `"none"` when not logged) → count, per kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusCounts {
    pub api: BTreeMap<String, u64>,
    pub webhook: BTreeMap<String, u64>,
    pub miniapp: BTreeMap<String, u64>,
    /// Access-log lines that are not LINE webhooks, by status.
    #[serde(default)]
    pub http: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SourceReport {
    pub path: String,
    pub records: u64,
    pub unparsed: u64,
    pub header_rows: u64,
    pub compressed: bool,
    /// `gzip`, `xz`, `zstd` or `bzip2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    pub skipped: Option<String>,
    pub error: Option<String>,
    /// Read in part (damaged, or changed while read): `error` says why,
    /// and what was read is counted.
    #[serde(default)]
    pub partial: bool,
    /// What the file holds: LINE requests and receipts, other HTTP
    /// requests, log entries, lines joined to an entry above.
    #[serde(default)]
    pub line_records: u64,
    #[serde(default)]
    pub http_requests: u64,
    #[serde(default)]
    pub log_entries: u64,
    #[serde(default)]
    pub continuation_lines: u64,
    /// The file had lines but no LINE request or receipt was recognised.
    #[serde(default)]
    pub no_line_traffic: bool,
    /// The line formats read in this file, most lines first, with
    /// `unparsed` last; shares are of the file's records and unparsed lines.
    #[serde(default)]
    pub formats: Vec<FormatShare>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FormatShare {
    pub name: String,
    pub lines: u64,
    /// Percent, one decimal.
    pub share: f64,
}

impl Eq for FormatShare {}

/// A source's lines by format, as the report lists them.
fn format_shares(s: &crate::store::Source) -> Vec<FormatShare> {
    let total = s.formats.iter().sum::<u64>() + s.unparsed;
    let share = |n: u64| if total == 0 { 0.0 } else { (n as f64 * 1000.0 / total as f64).round() / 10.0 };
    let mut v: Vec<FormatShare> = s
        .formats
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(id, &n)| FormatShare {
            name: crate::parse::format_name(u8::try_from(id).unwrap_or(u8::MAX)).to_owned(),
            lines: n,
            share: share(n),
        })
        .collect();
    v.sort_by(|a, b| b.lines.cmp(&a.lines).then_with(|| a.name.cmp(&b.name)));
    if s.unparsed > 0 {
        v.push(FormatShare { name: "unparsed".into(), lines: s.unparsed, share: share(s.unparsed) });
    }
    v
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShapeReport {
    pub shape: String,
    pub count: u64,
    pub example: UnparsedExample,
}

/// Lines kept as examples, with their file's name.
fn examples(store: &crate::store::Store, list: &[crate::store::Example]) -> Vec<UnparsedExample> {
    list.iter()
        .map(|e| UnparsedExample {
            source: store.sources.get(e.source as usize).map(|s| s.display.clone()).unwrap_or_default(),
            line: e.line,
            text: e.text.clone(),
        })
        .collect()
}

/// The largest shapes of unparsed lines, over `sources` (all when `None`).
pub fn shapes(store: &crate::store::Store, only: Option<u32>, top: usize) -> Vec<ShapeReport> {
    store
        .shapes(only, top)
        .into_iter()
        .map(|s| ShapeReport {
            shape: s.shape.to_owned(),
            count: s.count,
            example: UnparsedExample { source: s.source.to_owned(), line: s.line, text: s.text.to_owned() },
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UnparsedExample {
    pub source: String,
    pub line: u64,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Report {
    pub schema: u32,
    pub time_range: TimeRange,
    pub totals: Totals,
    pub status_counts: StatusCounts,
    pub sources: Vec<SourceReport>,
    pub unparsed_examples: Vec<UnparsedExample>,
    /// The first header rows (column titles: neither records nor unparsed).
    #[serde(default)]
    pub header_row_examples: Vec<UnparsedExample>,
    /// Unparsed lines grouped by shape (numbers aside), the ten largest.
    #[serde(default)]
    pub unparsed_shapes: Vec<ShapeReport>,
    /// 429 bursts, most responses first.
    pub bursts: Vec<BurstReport>,
    /// Per-user floods, most messages first.
    pub floods: Vec<FloodReport>,
    pub correlation: Correlation,
    /// Webhook receipts by signature state.
    pub signatures: SignatureCounts,
    /// Messages withdrawn by an unsend event (their content is never shown).
    pub unsent_messages: u64,
    /// Guideline findings, most severe first.
    pub findings: Vec<FindingReport>,
    /// Repeated findings, bursts and floods grouped (see [`group`]): every
    /// occurrence stays in its own list; a group names them by index.
    #[serde(default)]
    pub groups: Vec<GroupReport>,
}

/// Alerts of one kind and target: the findings of one rule, the 429
/// bursts of one endpoint, the floods of one direction.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GroupReport {
    /// `findings`, `bursts` or `floods`: the list `members` index.
    pub section: String,
    /// The rule, `api /v2/bot/message/push`, `outbound`…
    pub key: String,
    pub severity: Severity,
    /// Occurrences.
    pub count: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    /// The occurrence with the largest count.
    pub largest: usize,
    /// Every occurrence, the earliest first.
    pub members: Vec<usize>,
}

fn rank(s: Severity) -> u8 {
    match s {
        Severity::Info => 0,
        Severity::Warning => 1,
        Severity::Error => 2,
    }
}

fn ms(t: &Option<String>) -> i64 {
    t.as_deref().and_then(parse_time).unwrap_or(i64::MIN)
}

/// The endpoint with the most 429s of a burst (the first by name of equals).
pub fn top_endpoint(endpoints: &BTreeMap<String, u64>) -> &str {
    endpoints.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map_or("", |(p, _)| p.as_str())
}

fn burst_source(b: &BurstReport) -> &'static str {
    match b.source {
        crate::analysis::BurstSource::Api => "api",
        crate::analysis::BurstSource::MiniApp => "miniapp",
    }
}

fn finding_items(f: &[FindingReport]) -> Vec<group::Item> {
    f.iter()
        .map(|f| group::Item {
            key: f.group.clone(),
            severity: rank(f.severity),
            count: f.count,
            first: ms(&f.first),
            last: ms(&f.last),
        })
        .collect()
}

fn burst_items(b: &[BurstReport]) -> Vec<group::Item> {
    b.iter()
        .map(|b| group::Item {
            key: format!("{} {}", burst_source(b), top_endpoint(&b.endpoints)),
            severity: rank(Severity::Error),
            count: b.count,
            first: parse_time(&b.start).unwrap_or(i64::MIN),
            last: parse_time(&b.end).unwrap_or(i64::MIN),
        })
        .collect()
}

fn flood_severity(d: Direction) -> Severity {
    if d == Direction::Outbound { Severity::Error } else { Severity::Warning }
}

fn flood_items(f: &[FloodReport]) -> Vec<group::Item> {
    f.iter()
        .map(|f| group::Item {
            key: match f.direction {
                Direction::Outbound => "outbound".into(),
                Direction::Inbound => "inbound".into(),
            },
            severity: rank(flood_severity(f.direction)),
            count: f.count,
            first: parse_time(&f.start).unwrap_or(i64::MIN),
            last: parse_time(&f.end).unwrap_or(i64::MIN),
        })
        .collect()
}

/// The groups of one section's items.
fn section_groups(section: &str, items: &[group::Item]) -> Vec<GroupReport> {
    let time = |t: i64| (t != i64::MIN).then(|| format_rfc3339(t));
    group::group(items)
        .into_iter()
        .map(|g| GroupReport {
            section: section.to_owned(),
            severity: match g.severity {
                0 => Severity::Info,
                1 => Severity::Warning,
                _ => Severity::Error,
            },
            count: g.members.len() as u64,
            first: time(g.first),
            last: time(g.last),
            largest: g.largest,
            members: g.members,
            key: g.key,
        })
        .collect()
}

/// Every group of a report: findings, then bursts, then floods.
pub fn groups_of(findings: &[FindingReport], bursts: &[BurstReport], floods: &[FloodReport]) -> Vec<GroupReport> {
    let mut v = section_groups("findings", &finding_items(findings));
    v.extend(section_groups("bursts", &burst_items(bursts)));
    v.extend(section_groups("floods", &flood_items(floods)));
    v
}

/// `2026-11-20T08:20:00.000Z` → `2026-11-20 08:20:00`.
fn short_time(t: Option<&str>) -> String {
    t.map(|t| t.get(..19).unwrap_or(t).replacen('T', " ", 1)).unwrap_or_else(|| "-".into())
}

/// A group's line: count, span, largest. `what` names the occurrences.
fn group_line(g: &GroupReport, head: &str, what: &str, largest: String) -> String {
    format!(
        "{head}×{} {what}  {} → {}  largest {largest}",
        thousands(g.count),
        short_time(g.first.as_deref()),
        short_time(g.last.as_deref())
    )
}

/// `1 group`, `3 groups`.
fn plural(n: usize, what: &str) -> String {
    format!("{} {what}{}", thousands(n as u64), if n == 1 { "" } else { "s" })
}

/// How many occurrences a group shows without `--all`.
pub const GROUP_SHOWN: usize = 3;

/// After a group's shown occurrences: how many more there are.
fn more_line(out: &mut dyn Write, g: &GroupReport, shown: usize) -> io::Result<()> {
    if g.members.len() > shown {
        writeln!(out, "      … {} more (--all lists every one)", thousands((g.members.len() - shown) as u64))?;
    }
    Ok(())
}

/// Where a record is: file and line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Place {
    pub source: String,
    pub line: u64,
}

/// A finding as the report writes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FindingReport {
    pub rule: String,
    pub severity: Severity,
    pub guideline: String,
    pub message: String,
    pub count: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    pub examples: Vec<Place>,
    /// The group it belongs to (its rule): see `groups` in the report.
    #[serde(default)]
    pub group: String,
}

/// Examples listed per finding.
pub const FINDING_EXAMPLES: usize = 5;

impl FindingReport {
    /// The findings as the report writes them (examples' line numbers
    /// found in one pass per source).
    pub fn build_all(store: &Store, findings: &[Finding]) -> Vec<FindingReport> {
        let recs: Vec<crate::model::Record> = findings
            .iter()
            .flat_map(|f| f.records.iter().take(FINDING_EXAMPLES))
            .filter_map(|&id| store.get(id))
            .collect();
        let mut lines = store.lines_of(&recs).into_iter();
        let time = |t: i64| (t != i64::MIN).then(|| format_rfc3339(t));
        findings
            .iter()
            .map(|f| FindingReport {
                rule: f.rule.id().to_owned(),
                severity: f.severity,
                guideline: f.guideline.to_owned(),
                message: f.message.clone(),
                group: f.rule.id().to_owned(),
                count: f.count,
                first: time(f.first),
                last: time(f.last),
                examples: f
                    .records
                    .iter()
                    .take(FINDING_EXAMPLES)
                    .filter_map(|&id| store.get(id))
                    .map(|r| Place {
                        source: store.sources.get(r.source() as usize).map(|s| s.display.clone()).unwrap_or_default(),
                        line: lines.next().unwrap_or(0),
                    })
                    .collect(),
            })
            .collect()
    }
}

fn status_key(s: u16) -> String {
    if s == 0 { "none".into() } else { s.to_string() }
}

impl Report {
    pub fn build(store: &Store, findings: &Findings, audit: &[Finding]) -> Report {
        let t = &store.totals;
        let mut sc = StatusCounts::default();
        for (&(kind, status), &n) in &store.status_counts {
            let m = match kind {
                Kind::Api => &mut sc.api,
                Kind::Webhook => &mut sc.webhook,
                Kind::MiniApp => &mut sc.miniapp,
                Kind::Http => &mut sc.http,
                Kind::Unparsed | Kind::Log => continue,
            };
            *m.entry(status_key(status)).or_default() += n;
        }
        Report {
            schema: SCHEMA,
            time_range: TimeRange { first: store.first.map(format_rfc3339), last: store.last.map(format_rfc3339) },
            totals: t.clone(),
            status_counts: sc,
            sources: store
                .sources
                .iter()
                .map(|s| SourceReport {
                    path: s.display.clone(),
                    records: s.records,
                    unparsed: s.unparsed,
                    header_rows: s.header_rows,
                    compressed: s.compressed,
                    compression: s.codec.map(|c| c.name().to_owned()),
                    partial: s.partial,
                    skipped: s.skipped.clone(),
                    error: s.error.clone(),
                    formats: format_shares(s),
                    line_records: s.line_records,
                    http_requests: s.http,
                    log_entries: s.logs,
                    continuation_lines: s.continuation_lines,
                    no_line_traffic: s.line_records == 0 && s.lines() > 0,
                })
                .collect(),
            unparsed_examples: examples(store, &store.unparsed_examples),
            unparsed_shapes: shapes(store, None, 10),
            header_row_examples: examples(store, &store.header_examples),
            bursts: findings.bursts.iter().map(BurstReport::from).collect(),
            floods: findings.floods.iter().map(FloodReport::from).collect(),
            correlation: findings.correlation,
            signatures: store.signatures,
            unsent_messages: store.unsent.len() as u64,
            findings: Vec::new(),
            groups: Vec::new(),
        }
        .with_findings(FindingReport::build_all(store, audit))
    }

    /// The report with its findings, and the groups of findings, bursts and floods.
    fn with_findings(mut self, findings: Vec<FindingReport>) -> Report {
        self.findings = findings;
        self.groups = groups_of(&self.findings, &self.bursts, &self.floods);
        self
    }

    /// Every record: LINE's, `http` and `log`.
    pub fn records(&self) -> u64 {
        let t = &self.totals;
        t.api_requests + t.webhook_receipts + t.miniapp_requests + t.http_requests + t.log_entries
    }
}

pub fn write_json(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(crate::escape::to_json(r, true).as_bytes())?;
    writeln!(out)
}

fn duration_text(ms: i64) -> String {
    let s = ms / 1000;
    match s {
        s if s < 60 => format!("{}.{:03}s", s, ms % 1000),
        s if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d {:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

fn status_line(m: &BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "-".into();
    }
    m.iter().map(|(k, v)| format!("{k} ×{}", thousands(*v))).collect::<Vec<_>>().join("  ")
}

/// `2026-11-20T08:20:00.000Z` → `08:20:00.000`; the date is in the header.
fn clock(t: &str) -> &str {
    t.get(11..23).unwrap_or(t)
}

/// `start–end` as clock times, the end's date added when it differs.
fn span(start: &str, end: &str) -> String {
    if start.get(..10) == end.get(..10) {
        format!("{}–{}", clock(start), clock(end))
    } else {
        format!("{}–{}", start, end)
    }
}

/// One finding in full: its rule and message, span and guideline, examples.
fn write_finding(out: &mut dyn Write, f: &FindingReport, indent: &str) -> io::Result<()> {
    let when = match (&f.first, &f.last) {
        (Some(a), Some(b)) => span(a, b),
        _ => String::new(),
    };
    let mark = severity_mark(f.severity);
    writeln!(out, "{indent}  {mark} {:<7} {:<19} {}", f.severity.as_str(), f.rule, escape_control(&f.message))?;
    writeln!(out, "{indent}    {:<27} {}", when, escape_control(&f.guideline))?;
    if !f.examples.is_empty() {
        let ex: Vec<String> = f.examples.iter().map(|p| format!("{}:{}", escape_control(&p.source), p.line)).collect();
        writeln!(out, "{indent}    {:<27} e.g. {}", "", ex.join("  "))?;
    }
    Ok(())
}

fn severity_mark(s: Severity) -> &'static str {
    match s {
        Severity::Error => "‼",
        Severity::Warning => "!",
        Severity::Info => "·",
    }
}

/// `start–end`, with the start's date first when `dated`.
fn dated_span(start: &str, end: &str, dated: bool) -> String {
    match start.get(..10) {
        Some(day) if dated && start.get(..10) == end.get(..10) => format!("{day} {}", span(start, end)),
        _ => span(start, end),
    }
}

/// The findings, most severe first, as text. Over [`group::FLAT_UP_TO`]
/// findings, one rule's are grouped: a line for the group, its first
/// [`GROUP_SHOWN`] (every one with `all`).
pub fn write_audit(findings: &[FindingReport], all: bool, out: &mut dyn Write) -> io::Result<()> {
    if findings.is_empty() {
        return writeln!(out, "findings     none");
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let grouped = group::grouped(findings.len());
    let groups = if grouped { section_groups("findings", &finding_items(findings)) } else { Vec::new() };
    let in_groups = if grouped { format!(" in {}", plural(groups.len(), "group")) } else { String::new() };
    writeln!(
        out,
        "findings     {} ({} error, {} warning, {} info){in_groups}",
        thousands(findings.len() as u64),
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    )?;
    if !grouped {
        for f in findings {
            write_finding(out, f, "")?;
        }
        return Ok(());
    }
    for g in &groups {
        let members: Vec<&FindingReport> = g.members.iter().filter_map(|&i| findings.get(i)).collect();
        if let [one] = members.as_slice() {
            write_finding(out, one, "")?;
            continue;
        }
        let largest = findings
            .get(g.largest)
            .map(|f| format!("×{} at {}", thousands(f.count), short_time(f.first.as_deref())))
            .unwrap_or_default();
        let head =
            format!("  {} {:<7} {:<19} ", severity_mark(g.severity), g.severity.as_str(), escape_control(&g.key));
        writeln!(out, "{}", group_line(g, &head, "findings", largest))?;
        let shown = if all { members.len() } else { GROUP_SHOWN };
        for f in members.iter().take(shown) {
            if all {
                write_finding(out, f, "    ")?;
            } else {
                writeln!(
                    out,
                    "      {} {}  {}",
                    severity_mark(f.severity),
                    short_time(f.first.as_deref()),
                    escape_control(&f.message)
                )?;
            }
        }
        more_line(out, g, shown)?;
    }
    Ok(())
}

/// A burst's line.
fn burst_line(b: &BurstReport, indent: &str, dated: bool) -> String {
    let mut eps: Vec<(&String, &u64)> = b.endpoints.iter().collect();
    eps.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let eps: Vec<String> = eps.iter().map(|(p, n)| format!("{} ×{}", escape_control(p), thousands(**n))).collect();
    let source = burst_source(b);
    format!(
        "{indent}  ‼ {source:<8}{}  ×{:<6} {}",
        dated_span(&b.start, &b.end, dated),
        thousands(b.count),
        eps.join(", ")
    )
}

/// A flood's line.
fn flood_line(f: &FloodReport, indent: &str, dated: bool) -> String {
    let (mark, arrow, dir) = match f.direction {
        Direction::Outbound => ("‼", "→", "outbound"),
        Direction::Inbound => ("!", "←", "inbound"),
    };
    format!(
        "{indent}  {mark} {dir:<9}{arrow} {}  {}  ×{}",
        escape_control(&f.user_id),
        dated_span(&f.start, &f.end, dated),
        thousands(f.count)
    )
}

/// One section of bursts or floods: a line each, or grouped when long.
fn write_section<T>(
    out: &mut dyn Write,
    title: &str,
    list: &[T],
    items: impl Fn(&[T]) -> Vec<group::Item>,
    line: impl Fn(&T, &str, bool) -> String,
    head: impl Fn(&GroupReport, &T) -> String,
    (all, dated): (bool, bool),
) -> io::Result<()> {
    if list.is_empty() {
        return writeln!(out, "{title:<12} none");
    }
    if !group::grouped(list.len()) {
        writeln!(out, "{title:<12} {}", list.len())?;
        for x in list {
            writeln!(out, "{}", line(x, "", dated))?;
        }
        return Ok(());
    }
    let groups = section_groups("", &items(list));
    writeln!(out, "{title:<12} {} in {}", thousands(list.len() as u64), plural(groups.len(), "group"))?;
    for g in &groups {
        let members: Vec<&T> = g.members.iter().filter_map(|&i| list.get(i)).collect();
        match (members.as_slice(), list.get(g.largest)) {
            ([one], _) => writeln!(out, "{}", line(one, "", dated))?,
            (_, Some(big)) => {
                writeln!(out, "{}", head(g, big))?;
                let shown = if all { members.len() } else { GROUP_SHOWN };
                for x in members.iter().take(shown) {
                    writeln!(out, "{}", line(x, "    ", dated))?;
                }
                more_line(out, g, shown)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn write_findings(r: &Report, all: bool, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    write_audit(&r.findings, all, out)?;
    // Over more than a day, each burst and flood says its date.
    let day = |t: &Option<String>| t.as_deref().and_then(|t| t.get(..10)).map(str::to_owned);
    let dated = day(&r.time_range.first) != day(&r.time_range.last);
    write_section(
        out,
        "429 bursts",
        &r.bursts,
        burst_items,
        burst_line,
        |g, big| {
            let (source, endpoint) = g.key.split_once(' ').unwrap_or((g.key.as_str(), ""));
            let head = format!("  ‼ {source:<8}{} ", escape_control(endpoint));
            let largest = format!("×{} at {}", thousands(big.count), short_time(Some(&big.start)));
            group_line(g, &head, "bursts", largest)
        },
        (all, dated),
    )?;
    write_section(
        out,
        "floods",
        &r.floods,
        flood_items,
        flood_line,
        |g, big| {
            let arrow = if g.key == "outbound" { "→" } else { "←" };
            let head = format!("  {} {:<9}{arrow} ", severity_mark(g.severity), g.key);
            let largest = format!(
                "×{} at {} ({})",
                thousands(big.count),
                short_time(Some(&big.start)),
                escape_control(&big.user_id)
            );
            group_line(g, &head, "floods", largest)
        },
        (all, dated),
    )?;
    let c = &r.correlation;
    writeln!(
        out,
        "webhooks     {} events with a reply token: {} replied, {} unreplied; {} replies to unknown reply tokens",
        thousands(c.events_with_reply_token),
        thousands(c.replied),
        thousands(c.unreplied),
        thousands(c.replies_without_event)
    )?;
    let g = &r.signatures;
    writeln!(
        out,
        "signatures   {} valid, {} invalid, {} missing, {} unverifiable",
        thousands(g.valid),
        thousands(g.invalid),
        thousands(g.missing),
        thousands(g.unverifiable)
    )?;
    writeln!(out, "unsent       {} messages withdrawn by their users (content hidden)", thousands(r.unsent_messages))?;
    Ok(())
}

/// The report as text; `all` lists every occurrence of a group.
pub fn write_text(r: &Report, all: bool, out: &mut dyn Write) -> io::Result<()> {
    let t = &r.totals;
    let files = r.sources.len();
    let gz = r.sources.iter().filter(|s| s.compressed).count();
    let skipped = r.sources.iter().filter(|s| s.skipped.is_some()).count();
    let errors = r.sources.iter().filter(|s| s.error.is_some() && !s.partial).count();
    let partial = r.sources.iter().filter(|s| s.partial).count();
    let partial = if partial > 0 { format!(", {partial} read in part") } else { String::new() };
    writeln!(
        out,
        "linelens report · {} file{} ({} compressed, {} skipped, {} unreadable{partial}) · {} records · {} unparsed",
        thousands(files as u64),
        if files == 1 { "" } else { "s" },
        gz,
        skipped,
        errors,
        thousands(r.records()),
        thousands(t.unparsed)
    )?;
    match (&r.time_range.first, &r.time_range.last) {
        (Some(a), Some(b)) => {
            let len = parse_time(b).zip(parse_time(a)).map(|(b, a)| b - a);
            writeln!(out, "time range   {a} → {b}  ({})", len.map(duration_text).unwrap_or_default())?;
        }
        _ => writeln!(out, "time range   (no timed records)")?,
    }
    write_findings(r, all, out)?;
    writeln!(out)?;
    writeln!(out, "records")?;
    for (label, n) in [
        ("API requests", t.api_requests),
        ("webhook receipts", t.webhook_receipts),
        ("webhook events", t.webhook_events),
        ("MINI App requests", t.miniapp_requests),
        ("other HTTP requests", t.http_requests),
        ("log entries", t.log_entries),
        ("continuation lines", t.continuation_lines),
        ("header rows", t.header_rows),
        ("unparsed lines", t.unparsed),
    ] {
        writeln!(out, "  {label:<20}{:>12}", thousands(n))?;
    }
    writeln!(out)?;
    writeln!(out, "status")?;
    writeln!(out, "  {:<10}{}", "api", status_line(&r.status_counts.api))?;
    writeln!(out, "  {:<10}{}", "webhook", status_line(&r.status_counts.webhook))?;
    writeln!(out, "  {:<10}{}", "miniapp", status_line(&r.status_counts.miniapp))?;
    if !r.status_counts.http.is_empty() {
        writeln!(out, "  {:<10}{}", "http", status_line(&r.status_counts.http))?;
    }
    if !r.header_row_examples.is_empty() {
        writeln!(out)?;
        writeln!(out, "header rows (first {} of {})", r.header_row_examples.len(), thousands(t.header_rows))?;
        for e in &r.header_row_examples {
            let text = crate::escape::truncate(&e.text, 100).into_owned();
            writeln!(out, "  {}:{}  {}", escape_control(&e.source), e.line, escape_control(&text))?;
        }
    }
    if t.unparsed > 0 {
        writeln!(out)?;
        writeln!(out, "unparsed lines (first {} of {})", r.unparsed_examples.len(), thousands(t.unparsed))?;
        for e in &r.unparsed_examples {
            let text = crate::escape::truncate(&e.text, 100).into_owned();
            writeln!(out, "  {}:{}  {}", escape_control(&e.source), e.line, escape_control(&text))?;
        }
        if !r.unparsed_shapes.is_empty() {
            writeln!(out)?;
            writeln!(out, "unparsed lines by shape (numbers as 0; the {} largest)", r.unparsed_shapes.len())?;
            for sh in &r.unparsed_shapes {
                let shape = crate::escape::truncate(&sh.shape, 60).into_owned();
                writeln!(
                    out,
                    "  {:>8}  {:<60}  e.g. {}:{}",
                    thousands(sh.count),
                    escape_control(&shape),
                    escape_control(&sh.example.source),
                    sh.example.line
                )?;
            }
        }
    }
    writeln!(out)?;
    writeln!(out, "files")?;
    let w = r.sources.iter().map(|s| s.path.chars().count()).max().unwrap_or(4).clamp(4, 60);
    writeln!(out, "  {:<w$}  {:>10}  {:>8}  {:>7}  notes", "path", "records", "unparsed", "headers")?;
    for s in &r.sources {
        let mut notes = Vec::new();
        if s.compressed {
            notes.push(s.compression.clone().unwrap_or_else(|| "compressed".into()));
        }
        if let Some(k) = &s.skipped {
            notes.push(format!("skipped: {k}"));
        }
        if let Some(e) = &s.error {
            notes.push(format!("{}: {e}", if s.partial { "read in part" } else { "error" }));
        }
        if s.no_line_traffic {
            notes.push("no LINE traffic recognised".into());
        }
        if !s.formats.is_empty() {
            let list: Vec<String> = s
                .formats
                .iter()
                .map(
                    |f| if f.share == 0.0 { format!("{} <0.1 %", f.name) } else { format!("{} {} %", f.name, f.share) },
                )
                .collect();
            notes.push(list.join(", "));
        }
        let row = format!(
            "  {:<w$}  {:>10}  {:>8}  {:>7}  {}",
            escape_control(&s.path),
            thousands(s.records),
            thousands(s.unparsed),
            thousands(s.header_rows),
            notes.join(", ")
        );
        writeln!(out, "{}", row.trim_end())?;
    }
    Ok(())
}

/// One entry of `linelens formats --format json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FormatEntry {
    pub name: String,
    pub description: String,
    pub samples: Vec<String>,
}

/// Every line format, in the order they are tried: the config's own, then
/// the built-in ones.
pub fn formats_list() -> Vec<FormatEntry> {
    let user = crate::parse::user::installed().map(|u| u.formats.as_slice()).unwrap_or_default();
    user.iter()
        .map(|f| FormatEntry {
            name: f.name.clone(),
            description: "from the config file ([[formats]])".into(),
            samples: f.samples.iter().map(|s| s.line.clone()).collect(),
        })
        .chain(crate::parse::formats::FORMATS.iter().map(|f| FormatEntry {
            name: f.name.into(),
            description: f.description.into(),
            samples: f.samples.iter().map(|s| s.line.to_owned()).collect(),
        }))
        .collect()
}

/// `linelens formats`: each format's name, description and first sample.
pub fn write_formats(out: &mut dyn Write) -> io::Result<()> {
    let list = formats_list();
    let w = list.iter().map(|f| f.name.len()).max().unwrap_or(0);
    for f in &list {
        writeln!(out, "{:<w$}  {}", f.name, f.description)?;
        if let Some(s) = f.samples.first() {
            writeln!(out, "{:<w$}    e.g. {}", "", escape_control(s))?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "Tried in this order (JSON lines first when a line starts with {{); the first that reads a line wins. A line no format reads is counted as unparsed and shown, never dropped. Add your own with [[formats]] in the config file."
    )?;
    Ok(())
}
