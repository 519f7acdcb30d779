//! Drawing the incident screen from `&App`. Only visible rows are built.
//!
//! ```text
//! ┌ header: title · files · records · unparsed · time range · zone · follow · progress ┐
//! │ req    ▁▂▁▃▂▁▇█▇▂▁      requests per interval over the whole time range        │
//! │ 429/5xx ▁▁▁▁▁█▆▁▁                                                              │
//! ├ Alerts ─────────────┬ Timeline ───────────────────────────────────────────────┤
//! │ ‼ 429 burst …       │ 08:59:57.902 WH  147.92.150.201 POST /linebot/webhook … │
//! ├ Detail of the selected record ─────────────────────────────────────────────────┤
//! └ key bar ───────────────────────────────────────────────────────────────────────┘
//! ```
//! Below 100×30 the alerts and the detail fold away: the focused pane takes
//! the timeline's place.

use chrono::{DateTime, Local, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::analysis::{BurstSource, Direction};
use crate::escape::{escape_control, thousands, truncate};
use crate::model::{Kind, Level, NONE, Record, RecordId};
use crate::parse::{Parsed, parse_line};
use crate::time::Millis;

use super::action::Action;
use super::app::{Alert, AlertKind, App, Pane, View};
use crate::signature::SigState;

/// Colours, or none at all under `NO_COLOR` (markers still carry meaning).
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn from_env() -> Theme {
        Theme { color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) }
    }
    fn fg(self, c: Color) -> Style {
        if self.color { Style::new().fg(c) } else { Style::new() }
    }
    fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
}

/// Clock time of an instant, UTC or local, with milliseconds.
pub fn clock(ms: Millis, utc: bool) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) if utc => t.format("%H:%M:%S%.3f").to_string(),
        Some(t) => t.with_timezone(&Local).format("%H:%M:%S%.3f").to_string(),
        None => "--:--:--.---".into(),
    }
}

fn full_time(ms: Millis, utc: bool) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) if utc => t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
        Some(t) => t.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S%.3f %:z").to_string(),
        None => "-".into(),
    }
}

/// Untrusted text made safe and cut to `max` characters.
/// Log text made safe for the terminal (control characters escaped), cut
/// to `max` columns, user IDs shortened under `--mask-users`.
/// A line longer than this is shown cut in the detail pane, saying so.
const LONG_LINE: usize = 64 << 10;

fn safe(s: &str, max: usize) -> String {
    truncate(&crate::mask::apply(&escape_control(s)), max).into_owned()
}

/// A webhook row's signature state, in one short word.
fn sig_mark(s: SigState) -> &'static str {
    match s {
        SigState::Valid => "sig✓",
        SigState::Invalid => "sig✗",
        SigState::Missing => "nosig",
        SigState::Unverifiable => "sig?",
    }
}

pub fn alert_title(a: &Alert) -> String {
    match &a.kind {
        AlertKind::Burst(b) => {
            let top = b.endpoints.iter().max_by_key(|(_, n)| **n).map(|(p, _)| p.rsplit('/').next().unwrap_or(p));
            let src = if b.source == BurstSource::MiniApp { "MINI " } else { "" };
            format!("{src}429 burst ×{} {}", b.count, top.unwrap_or(""))
        }
        AlertKind::Flood(f) => {
            let arrow = if f.direction == Direction::Outbound { "→" } else { "←" };
            format!("flood {arrow} {} ×{}", f.user_id, f.count)
        }
        AlertKind::Unreplied(n) => format!("{} webhook events never replied", thousands(*n)),
        AlertKind::UnknownReplies(n) => format!("{} replies to unknown reply tokens", thousands(*n)),
        AlertKind::Finding(f) => format!("{}: {}", f.rule, f.message),
    }
}

/// One timeline row: marker, time, kind, id/ip, method, target, status, extra.
fn row_text(app: &App, id: RecordId, rec: &Record, width: usize) -> (String, Style, Theme) {
    let theme = Theme::from_env();
    let s = &app.store;
    let kind = match rec.kind() {
        Kind::Api => "API ",
        Kind::Webhook => "WH  ",
        Kind::MiniApp => "MINI",
        Kind::Unparsed => "??? ",
        Kind::Http => "HTTP",
        Kind::Log => "LOG ",
    };
    // A `log` record keeps its level in the status bits: not a status.
    let status = if rec.kind() == Kind::Log { 0 } else { rec.status() };
    let in_burst = app.analyzer.burst_of(rec).is_some();
    let marker = match status {
        _ if rec.kind() == Kind::Log && rec.is_error() => "!",
        429 if in_burst => "▲",
        429 => "△",
        500..=599 => "‼",
        400..=499 => "!",
        _ if app.in_flood(rec) => "◆",
        _ => " ",
    };
    let style = match status {
        _ if rec.kind() == Kind::Log => match rec.level() {
            Some(Level::Error) => theme.fg(Color::Red),
            Some(Level::Warn) => theme.fg(Color::Yellow),
            _ => theme.fg(Color::DarkGray),
        },
        // Other routes' requests are context: dimmed unless the server failed.
        500..=599 if rec.kind() == Kind::Http => theme.fg(Color::Red),
        _ if rec.kind() == Kind::Http => theme.fg(Color::DarkGray),
        429 => theme.fg(Color::Magenta),
        500..=599 => theme.fg(Color::Red),
        400..=499 => theme.fg(Color::Yellow),
        _ if rec.kind() == Kind::Unparsed => theme.fg(Color::DarkGray),
        _ if marker == "◆" => theme.fg(Color::LightRed),
        _ => Style::new(),
    };
    let time = if rec.has_time() || rec.ts() != i64::MIN { clock(rec.ts(), app.utc) } else { " ".repeat(12) };
    let src = s.sources.get(rec.source() as usize);
    let text = if rec.kind() == Kind::Unparsed {
        let line = rec.unparsed_line().unwrap_or(0);
        let place = format!("{}:{line}", src.map_or("", |x| x.display.as_str()));
        let body =
            if src.is_some_and(|x| x.compressed) { String::new() } else { s.line_text(*rec).unwrap_or_default() };
        format!("{marker} {time} {kind} {} {}", safe(&place, 40), safe(&body, width))
    } else if rec.kind() == Kind::Log {
        let body = if src.is_some_and(|x| x.compressed) {
            app.line_cache.get(&id).cloned().unwrap_or_default()
        } else {
            s.line_text(*rec).unwrap_or_default()
        };
        let first = body.lines().next().unwrap_or("");
        let message = match parse_line(first) {
            Parsed::Record(l) => l.fields.message.map_or_else(|| first.to_owned(), |m| m.into_owned()),
            _ => first.to_owned(),
        };
        let level = rec.level().map_or("-", Level::as_str);
        format!("{marker} {time} {kind} {level:<5} {}", safe(&message, width))
    } else {
        let who = match rec.kind() {
            Kind::Http => {
                if rec.aux == NONE {
                    "-".into()
                } else {
                    s.syms.resolve(rec.aux).to_owned()
                }
            }
            Kind::Webhook => s
                .webhook_meta(*rec)
                .map(|m| m.ip)
                .filter(|&ip| ip != NONE)
                .map_or("-".into(), |ip| s.syms.resolve(ip).to_owned()),
            // The request ID is read from plain files; compressed ones keep it.
            _ if src.is_some_and(|x| x.compressed) => {
                s.kept_request_ids.get(id).map_or_else(|| "-".into(), std::borrow::Cow::into_owned)
            }
            _ => s
                .line_text(*rec)
                .ok()
                .and_then(|t| match parse_line(&t) {
                    Parsed::Record(l) => l.fields.request_id.map(|c| c.into_owned()),
                    _ => None,
                })
                .unwrap_or_else(|| "-".into()),
        };
        let mut extra = String::new();
        if rec.kind() == Kind::Webhook {
            extra.push_str(sig_mark(s.webhook_meta(*rec).map_or(SigState::Unverifiable, |m| m.sig)));
            extra.push(' ');
        }
        if let Some(m) = s.webhook_meta(*rec) {
            let evs = s.receipt_events(&m);
            let types: Vec<&str> = evs.iter().map(|e| s.syms.resolve(e.event_type)).collect();
            extra.push_str(&types.join(","));
            if let Some(u) = evs.iter().map(|e| e.user).find(|&u| u != NONE) {
                extra.push(' ');
                extra.push_str(&safe(s.syms.resolve(u), 12));
            }
        }
        if app.exact_link_hint(id) {
            extra.push_str(" ←");
        }
        // Fixed columns first; the path takes what is left (at least 12).
        let who_w = if width >= 100 { 16 } else { 10 };
        let fixed = 1 + 1 + 12 + 1 + 4 + 1 + who_w + 1 + 6 + 1 + 1 + 3 + 1;
        let extra_w = extra.chars().count().min(width.saturating_sub(fixed + 12));
        let path_w = width.saturating_sub(fixed + extra_w).clamp(12, 48);
        format!(
            "{marker} {time} {kind} {:<who_w$} {:<6} {:<path_w$} {:>3} {}",
            safe(&who, who_w),
            rec.method().as_str(),
            safe(s.syms.resolve(rec.path), path_w),
            if status == 0 { "-".into() } else { status.to_string() },
            extra
        )
    };
    (safe(&text, width), style, theme)
}

fn header(app: &App, width: u16) -> Line<'static> {
    let s = &app.store;
    let files = s.sources.len();
    let range = match (s.first, s.last) {
        (Some(a), Some(b)) => format!("{} → {}", clock(a, app.utc), clock(b, app.utc)),
        _ => "no records yet".into(),
    };
    let zone = if app.utc { "UTC".to_owned() } else { Local::now().format("%:z").to_string() };
    let follow = if app.follow { "● following" } else { "○ paused" };
    let gone = s.sources.iter().filter(|x| x.gone).count();
    let follow = if gone > 0 { format!("{follow} · {gone} gone") } else { follow.to_owned() };
    let records = thousands(s.len() as u64 - s.totals.unparsed);
    let plural = if files == 1 { "" } else { "s" };
    // Over a tenth of the lines unread: say how much, so nobody trusts an
    // empty timeline (`linelens report` lists the shapes).
    let lines = s.len() as u64 + s.totals.continuation_lines;
    let share = if lines > 0 && s.totals.unparsed * 10 > lines {
        format!(" ({}%)", s.totals.unparsed * 100 / lines)
    } else {
        String::new()
    };
    let mut text = if width >= 110 {
        format!(
            " linelens  {} · {files} file{plural} · {records} records · {} unparsed{share} · {range} {zone} · {follow}",
            safe(&app.title, 40),
            thousands(s.totals.unparsed)
        )
    } else {
        // Narrow: the same facts, shorter; the follow state and zone stay.
        let short =
            |t: Option<Millis>| t.map(|t| clock(t, app.utc).get(..8).unwrap_or("").to_owned()).unwrap_or_default();
        format!(
            " linelens · {files} file{plural} · {records} rec · {} unparsed{share} · {}→{} {zone} · {}",
            thousands(s.totals.unparsed),
            short(s.first),
            short(s.last),
            if app.follow { "●" } else { "○" }
        )
    };
    if let Some((_, 0)) = app.progress {
        // Standard input: no total to measure against.
        text.push_str(" · reading…");
    } else if let Some((done, total)) = app.progress {
        let pct = if total == 0 { 100 } else { (done * 100 / total.max(1)).min(100) };
        let bar = "█".repeat((pct / 10) as usize) + &"░".repeat(10 - (pct / 10) as usize);
        text.push_str(&format!(" · indexing {bar} {} / {} MB", done / 1_000_000, total / 1_000_000));
    }
    Line::from(Span::styled(text, Style::new().add_modifier(Modifier::BOLD)))
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

fn bars(data: &[u64]) -> String {
    let max = data.iter().copied().max().unwrap_or(0);
    data.iter()
        .map(|&v| {
            if v == 0 || max == 0 {
                ' '
            } else {
                let i = ((v * 8).div_ceil(max)).clamp(1, 8) as usize - 1;
                BARS.get(i).copied().unwrap_or('█')
            }
        })
        .collect()
}

fn rate_strip(app: &App, width: u16) -> Vec<Line<'static>> {
    let theme = Theme::from_env();
    let label = 8usize;
    let w = (width as usize).saturating_sub(label + 1).max(1);
    let (req, bad) = app.rate_buckets(w);
    vec![
        Line::from(vec![Span::raw(format!("{:<label$}", " req")), Span::styled(bars(&req), theme.fg(Color::Cyan))]),
        // 429 and 5xx responses, and error-level log entries.
        Line::from(vec![Span::raw(format!("{:<label$}", " 429/5xx")), Span::styled(bars(&bad), theme.fg(Color::Red))]),
    ]
}

fn alerts(f: &mut Frame, app: &App, area: Rect) {
    let theme = Theme::from_env();
    let focused = app.pane == Pane::Alerts;
    let block = Block::bordered().title(format!(" Alerts {} ", app.alerts.len())).border_style(if focused {
        theme.fg(Color::Cyan)
    } else {
        Style::new()
    });
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    let mut lines = Vec::new();
    if app.alerts.is_empty() {
        lines.push(Line::from(" no alerts"));
    }
    // Scroll so the selected alert stays visible.
    let h = inner.height as usize;
    let top = app.alert_selected.saturating_sub(h.saturating_sub(1));
    for (i, a) in app.alerts.iter().enumerate().skip(top).take(h) {
        let when =
            a.start().map(|t| clock(t, app.utc)).map(|c| c.get(..8).unwrap_or(&c).to_owned()).unwrap_or_default();
        let sel = if i == app.alert_selected { "▶" } else { " " };
        let ongoing = if app.is_ongoing(a) { " ⟳ ongoing" } else { "" };
        let text = safe(&format!("{sel}{} {when:<8} {}{ongoing}", a.severity.marker(), alert_title(a)), w);
        let mut style = match a.severity {
            super::app::Severity::Error => theme.fg(Color::Red),
            super::app::Severity::Warning => theme.fg(Color::Yellow),
            super::app::Severity::Info => Style::new(),
        };
        if focused && i == app.alert_selected {
            style = style.patch(theme.selected());
        }
        lines.push(Line::from(Span::styled(text, style)));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn timeline(f: &mut Frame, app: &App, area: Rect) {
    let theme = Theme::from_env();
    let focused = app.pane == Pane::Timeline;
    let title = match &app.view {
        View::All => format!(" Timeline {} ", thousands(app.view_len() as u64)),
        View::Narrowed { title, ids } => {
            format!(" {} · {} records (⌫ back) ", safe(title, 60), thousands(ids.len() as u64))
        }
        View::Filter => match &app.search {
            Some(s) => {
                let total = app.store.order().len().max(1);
                let state = if s.done(app.store.order().len()) {
                    String::new()
                } else {
                    format!(" · filtering {}%", (s.next.min(total) * 100 / total))
                };
                format!(
                    " filter: {} · {} matches{state} (esc clears) ",
                    safe(&s.text, 40),
                    thousands(s.matched.len() as u64)
                )
            }
            None => " filter ".into(),
        },
    };
    let block = Block::bordered().title(title).border_style(if focused { theme.fg(Color::Cyan) } else { Style::new() });
    let inner = block.inner(area);
    f.render_widget(block, area);
    let h = inner.height as usize;
    let len = app.view_len();
    // Keep the selection in view: the newest rows at the bottom when following.
    let top = app.selected.saturating_sub(h.saturating_sub(1)).min(len.saturating_sub(h));
    let top = if app.selected < top { app.selected } else { top };
    let mut lines = Vec::with_capacity(h);
    for i in top..(top + h).min(len) {
        let Some(id) = app.row(i) else { continue };
        let Some(rec) = app.store.get(id) else { continue };
        let (text, mut style, theme) = row_text(app, id, &rec, inner.width as usize);
        if i == app.selected {
            style = style.patch(theme.selected());
        }
        lines.push(Line::from(Span::styled(text, style)));
    }
    if len == 0 {
        lines.push(Line::from(if app.progress.is_some() { " reading…" } else { " no records" }));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// `file:line` of a record; `?` for a parsed record of a compressed source
/// (finding its line means decompressing up to it: never on the UI thread).
fn place(s: &crate::store::Store, r: &Record) -> String {
    let src = s.sources.get(r.source() as usize);
    let line = if src.is_some_and(|x| x.compressed) && r.unparsed_line().is_none() {
        "?".to_owned()
    } else {
        s.line_of(*r).map_or("?".into(), |l| l.to_string())
    };
    format!("{}:{line}", src.map_or("", |x| x.display.as_str()))
}

/// A guideline finding in full, in the detail pane while it is selected.
fn finding_detail(f: &mut Frame, app: &App, area: Rect, x: &crate::audit::Finding) {
    let w = area.width.saturating_sub(4) as usize;
    let s = &app.store;
    let when = |t: i64| if t == i64::MIN { "-".to_owned() } else { full_time(t, app.utc) };
    // `text` under `label`, wrapped at word boundaries.
    let wrapped = |label: &str, text: &str| -> Vec<Line<'static>> {
        let mut out = Vec::new();
        let (mut row, mut label) = (String::new(), label.to_owned());
        for word in text.split(' ') {
            if !row.is_empty() && row.chars().count() + 1 + word.chars().count() > w.saturating_sub(12) {
                out.push(Line::from(format!(" {label:<9} {}", safe(&row, w))));
                label.clear();
                row.clear();
            }
            if !row.is_empty() {
                row.push(' ');
            }
            row.push_str(word);
        }
        out.push(Line::from(format!(" {label:<9} {}", safe(&row, w))));
        out
    };
    let mut lines = vec![Line::from(format!(" rule      {} ({})", x.rule, x.severity.as_str()))];
    lines.extend(wrapped("finding", &x.message));
    lines.extend(wrapped("guideline", x.guideline));
    lines.push(Line::from(format!(" count     {}    from {} to {}", thousands(x.count), when(x.first), when(x.last))));
    let places: Vec<String> = x.records.iter().take(3).filter_map(|&id| s.get(id)).map(|r| place(s, &r)).collect();
    if !places.is_empty() {
        lines.push(Line::from(format!(
            " records   {} · enter shows all {}",
            safe(&places.join("  "), w.saturating_sub(40)),
            thousands(x.records.len() as u64)
        )));
    }
    let block = Block::bordered().title(" Finding ");
    let inner = block.inner(area);
    f.render_widget(block, area);
    f.render_widget(Paragraph::new(lines), inner);
}

fn detail(f: &mut Frame, app: &App, area: Rect) {
    let theme = Theme::from_env();
    if app.pane == Pane::Alerts
        && let Some(a) = app.alerts.get(app.alert_selected)
        && let AlertKind::Finding(x) = &a.kind
    {
        return finding_detail(f, app, area, x);
    }
    let focused = app.pane == Pane::Detail;
    let border = if focused { theme.fg(Color::Cyan) } else { Style::new() };
    let Some((id, rec)) = app.selected_record() else {
        f.render_widget(Block::bordered().title(" Detail ").border_style(border), area);
        return;
    };
    let s = &app.store;
    let w = area.width.saturating_sub(4) as usize;
    let src = s.sources.get(rec.source() as usize);
    let place = place(s, &rec);
    // The record's whole entry: its line and any continuation lines joined
    // to it (a traceback), shown after its fields.
    let entry = if src.is_some_and(|x| x.compressed) {
        app.line_cache.get(&id).map(|t| crate::unsend::redact(t, &s.unsent).into_owned())
    } else {
        s.entry_text(id, rec).ok()
    };
    let (text, more) = match entry.as_deref().map(|e| (e, e.split_once('\n'))) {
        // An entry read as one record (an SDK error's block, a wire-log
        // exchange, a pretty-printed object: see `parse::gather`): its
        // fields come from all its lines.
        Some((e, Some((first, rest)))) => {
            let joined = crate::parse::gather::record_of(e).map_or_else(|| first.to_owned(), |(j, _, _)| j);
            (Some(joined), Some(rest.to_owned()))
        }
        _ => (entry.clone(), None),
    };
    let parsed = text.as_deref().map(parse_line);
    let mut lines: Vec<Line> = Vec::new();
    let mut body_lines: Vec<Line> = Vec::new();
    // The entry's lines as written, after the bodies read out of them.
    let mut entry_lines: Vec<Line> = Vec::new();
    let mut entry_note = None;
    if let Some(more) = &more {
        let n = s.continued.get(&id).copied().unwrap_or(0);
        entry_note = Some(format!(" entry     {} continuation line{} below", n, if n == 1 { "" } else { "s" }));
        for (i, l) in more.lines().enumerate() {
            let label = if i == 0 { "then" } else { "" };
            entry_lines.push(Line::from(format!(" {label:<9} {}", safe(l, w.saturating_sub(12)))));
        }
    }
    let kind = match rec.kind() {
        Kind::Api => "API request",
        Kind::Webhook => "Webhook receipt",
        Kind::MiniApp => "MINI App request",
        Kind::Unparsed => "Unparsed line",
        Kind::Http => "HTTP request (not a LINE webhook)",
        Kind::Log => "Log entry",
    };
    let mut ident = s.kept_request_ids.get(id).map(std::borrow::Cow::into_owned).unwrap_or_default();
    if let Some(Parsed::Record(l)) = &parsed {
        ident = l.fields.request_id.as_deref().or(l.fields.ip.as_deref()).unwrap_or("").to_owned();
    }
    let inferred = if s.date_inferred(rec) { " (date inferred)" } else { "" };
    lines.push(Line::from(format!(
        " time      {}{inferred}    source {}",
        full_time(rec.ts(), app.utc),
        safe(&place, 60)
    )));
    let long = text.as_deref().map_or(0, str::len);
    if long > LONG_LINE {
        lines.push(Line::from(format!(
            " length    {} bytes: bodies shown cut at {}; `linelens lookup --format json` prints the line whole",
            crate::escape::thousands(long as u64),
            crate::escape::thousands(LONG_LINE as u64)
        )));
    }
    if let (Kind::Log, Some(Parsed::Record(l))) = (rec.kind(), &parsed) {
        let level = rec.level().map_or("-", Level::as_str);
        lines.push(Line::from(format!(" level     {level}")));
        if let Some(m) = &l.fields.message {
            lines.push(Line::from(format!(" message   {}", safe(m, w.saturating_sub(12)))));
        }
    }
    if !matches!(rec.kind(), Kind::Unparsed | Kind::Log) {
        let status = rec.status();
        let burst = app
            .analyzer
            .burst_of(&rec)
            .map(|b| format!("  (429 burst ×{} {}–{})", b.count, clock(b.start, app.utc), clock(b.end, app.utc)));
        let target = match &parsed {
            Some(Parsed::Record(l)) => l.target().unwrap_or("").to_owned(),
            _ => s.syms.resolve(rec.path).to_owned(),
        };
        lines.push(Line::from(format!(
            " request   {} {} → {}{}",
            rec.method().as_str(),
            safe(&target, w.saturating_sub(30)),
            if status == 0 { "-".into() } else { status.to_string() },
            burst.unwrap_or_default()
        )));
    }
    if rec.kind() == Kind::Webhook {
        let state = s.webhook_meta(rec).map_or(SigState::Unverifiable, |m| m.sig);
        let why = match state {
            SigState::Valid => "matches the channel secret",
            SigState::Invalid => "does NOT match the channel secret: forged or altered",
            SigState::Missing => "no x-line-signature logged with the raw body",
            SigState::Unverifiable if s.secrets.is_none() => "no channel secret given (--channel-secret-file)",
            SigState::Unverifiable => "no raw body logged to check it against",
        };
        lines.push(Line::from(format!(" verified  {} ({why})", state.as_str())));
    }
    if let Some(Parsed::Record(l)) = &parsed {
        let f = &l.fields;
        for (k, v) in [
            ("retry key", &f.retry_key),
            ("accepted", &f.accepted_request_id),
            ("signature", &f.signature),
            ("agent", &f.user_agent),
            ("origin", &f.origin),
        ] {
            if let Some(v) = v {
                lines.push(Line::from(format!(" {k:<9} {}", safe(v, w.saturating_sub(12)))));
            }
        }
        // Bodies pretty-printed, after the links (the pane cuts what does not fit).
        for (k, b) in [("body", &f.request_body), ("response", &f.response_body), ("webhook", &f.body)] {
            if let Some(b) = b {
                let text = b.text();
                let pretty = if text.len() > LONG_LINE {
                    // Too long to lay out on every frame: its start, marked cut.
                    let mut cut: String = text.chars().take(LONG_LINE).collect();
                    cut.push_str(" … [cut]");
                    cut
                } else {
                    serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| serde_json::to_string_pretty(&v).ok())
                        .unwrap_or_else(|| text.into_owned())
                };
                for (i, l) in pretty.lines().enumerate() {
                    let label = if i == 0 { k } else { "" };
                    body_lines.push(Line::from(format!(" {label:<9} {}", safe(l, w.saturating_sub(12)))));
                }
            }
        }
        if let Some(ms) = f.duration_ms {
            lines.push(Line::from(format!(" took      {ms} ms (as the server logged it)")));
        }
        if let Some(x) = &l.extras {
            lines.push(Line::from(format!(" extras    {}", safe(x, w.saturating_sub(12)))));
        }
    } else if rec.kind() == Kind::Unparsed {
        lines.push(Line::from(format!(" text      {}", safe(text.as_deref().unwrap_or(""), w.saturating_sub(12)))));
    } else if src.is_some_and(|x| x.compressed) {
        lines.push(Line::from(" (reading the line from the compressed file…)"));
    }
    if let Some(note) = entry_note {
        lines.push(Line::from(note));
    }
    // Exact links, then the inferred one, labelled.
    let links = crate::analysis::links::links(s, s.order(), id, app.analyzer.thresholds.infer_window);
    for e in links.answered_events.iter().filter_map(|&e| s.events.get(e)) {
        let r = s.get(e.record).map(|x| clock(x.ts(), app.utc)).unwrap_or_default();
        lines.push(Line::from(format!(
            " links     ⏎ webhook event {} from {} at {r} (exact: reply token)",
            safe(s.syms.resolve(e.event_type), 20),
            safe(s.syms.resolve(e.user), 40)
        )));
    }
    for &r in &links.replies {
        if let Some(x) = s.get(r) {
            lines.push(Line::from(format!(
                " links     ⏎ reply {} at {} (exact: reply token)",
                x.status(),
                clock(x.ts(), app.utc)
            )));
        }
    }
    for &r in links.same_retry_key.iter().chain(&links.accepted_request).chain(&links.accepted_by) {
        if let Some(x) = s.get(r) {
            lines.push(Line::from(format!(
                " retry     ⏎ {} at {} (exact: retry key)",
                x.status(),
                clock(x.ts(), app.utc)
            )));
        }
    }
    if let Some((r, before)) = links.inferred_webhook
        && let Some(x) = s.get(r)
    {
        lines.push(Line::from(format!(
            " likely    webhook at {} ({} ms before; inferred by time, not an exact link)",
            clock(x.ts(), app.utc),
            before
        )));
    }
    lines.extend(body_lines);
    lines.extend(entry_lines);
    let title = format!(" {kind} {} ", safe(&ident, 60));
    let block = Block::bordered().title(title).border_style(border);
    let inner = block.inner(area);
    f.render_widget(block, area);
    f.render_widget(Paragraph::new(lines), inner);
}

/// The key bar, from the effective keymap.
fn key_bar(app: &App, width: u16) -> Line<'static> {
    if let Some(i) = &app.input {
        let prompt = match i.kind {
            super::app::InputKind::Filter => "/",
            super::app::InputKind::Time => "jump to time (HH:MM[:SS] or RFC 3339): ",
        };
        return Line::from(format!(" {prompt}{}▏  (enter keeps, esc cancels)", safe(&i.text, 100)));
    }
    if let Some(m) = &app.message {
        return Line::from(format!(" {}", safe(m, 200)));
    }
    let k = |a: Action| app.keymap.keys(a).first().cloned().unwrap_or_default();
    let pair = |a: Action, b: Action| format!("{}/{}", k(a), k(b));
    if width < 110 {
        // Narrow: the same keys, shorter words.
        return Line::from(format!(
            " {} help {} filter {} pane {} open {} back {} err {} 429 {} time {} utc {} follow {} quit",
            k(Action::Help),
            k(Action::Filter),
            k(Action::NextPane),
            if k(Action::Open) == "enter" { "⏎".to_owned() } else { k(Action::Open) },
            if k(Action::Back) == "backspace" { "⌫".to_owned() } else { k(Action::Back) },
            k(Action::NextError),
            k(Action::Next429),
            k(Action::JumpToTime),
            k(Action::ToggleUtc),
            k(Action::ToggleFollow),
            k(Action::Quit),
        ));
    }
    Line::from(format!(
        " {} help  {} filter  {} pane  {} open  {} back  {} error  {} 429  {} time  {} UTC/local  {} follow  {} quit",
        k(Action::Help),
        k(Action::Filter),
        k(Action::NextPane),
        k(Action::Open),
        k(Action::Back),
        pair(Action::NextError, Action::PrevError),
        pair(Action::Next429, Action::Prev429),
        k(Action::JumpToTime),
        k(Action::ToggleUtc),
        k(Action::ToggleFollow),
        k(Action::Quit),
    ))
}

fn help(f: &mut Frame, app: &App, area: Rect) {
    let w = area.width.min(78);
    let h = area.height.min(app.keymap.entries().count() as u16 + 4);
    let r = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    f.render_widget(Clear, r);
    let mut lines = vec![Line::from(" Keys (remap them in the config file's [keys] table)")];
    for (a, keys) in app.keymap.entries() {
        lines.push(Line::from(format!(" {:<16} {}", keys.join(" "), a.describe())));
    }
    f.render_widget(Paragraph::new(lines).block(Block::bordered().title(" Help (any key closes) ")), r);
}

/// Draw the whole screen.
pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    let wide = area.width >= 100 && area.height >= 30;
    let [head, strip, body, bar] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(2), Constraint::Min(3), Constraint::Length(1)])
            .areas(area);
    f.render_widget(Paragraph::new(header(app, head.width)), head);
    f.render_widget(Paragraph::new(rate_strip(app, strip.width)), strip);
    if wide {
        let detail_h = (body.height / 3).clamp(6, 12);
        let [top, bottom] = Layout::vertical([Constraint::Min(3), Constraint::Length(detail_h)]).areas(body);
        let alerts_w = (top.width * 36 / 100).clamp(30, 48);
        let [left, right] = Layout::horizontal([Constraint::Length(alerts_w), Constraint::Min(20)]).areas(top);
        alerts(f, app, left);
        timeline(f, app, right);
        detail(f, app, bottom);
    } else {
        match app.pane {
            Pane::Alerts => alerts(f, app, body),
            Pane::Timeline => timeline(f, app, body),
            Pane::Detail => detail(f, app, body),
        }
    }
    f.render_widget(Paragraph::new(key_bar(app, bar.width)), bar);
    if app.help {
        help(f, app, area);
    }
}
