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
use crate::mask::Mask;
use crate::model::{Kind, Level, NONE, Record, RecordId};
use crate::parse::{Parsed, parse_line};
use crate::time::Millis;

use super::action::Action;
use super::app::{Alert, AlertKind, App, Pane, View, alert_title};
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

/// The calendar day of an instant, in the zone shown.
fn day(ms: Millis, utc: bool) -> Option<chrono::NaiveDate> {
    let t = DateTime::<Utc>::from_timestamp_millis(ms)?;
    Some(if utc { t.date_naive() } else { t.with_timezone(&Local).date_naive() })
}

/// An instant formatted in the zone shown.
fn fmt_time(ms: Millis, utc: bool, fmt: &str) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) if utc => t.format(fmt).to_string(),
        Some(t) => t.with_timezone(&Local).format(fmt).to_string(),
        None => "-".into(),
    }
}

/// Whether the records read span more than one calendar day in the zone
/// shown: then times carry their dates.
pub fn multi_day(app: &App) -> bool {
    match (app.store.first, app.store.last) {
        (Some(a), Some(b)) => day(a, app.utc) != day(b, app.utc),
        _ => false,
    }
}

/// An alert's time: the clock, with the date over days (`11-21 09:20`).
fn alert_time(ms: Millis, app: &App, dated: bool) -> String {
    if dated { fmt_time(ms, app.utc, "%m-%d %H:%M") } else { fmt_time(ms, app.utc, "%H:%M:%S") }
}

/// A pane's block: the focused one is marked by `▶` in its title and a
/// thick border (and colour, where there is colour).
fn pane_block(title: String, focused: bool, theme: Theme) -> Block<'static> {
    if focused {
        Block::bordered()
            .title(format!("▶{}", title))
            .border_type(ratatui::widgets::BorderType::Thick)
            .border_style(theme.fg(Color::Cyan))
    } else {
        Block::bordered().title(title)
    }
}

/// Untrusted text made safe and cut to `max` characters.
/// Log text made safe for the terminal (control characters escaped), cut
/// to `max` columns, user IDs shortened under `--mask-users`.
/// A line longer than this is shown cut in the detail pane, saying so.
const LONG_LINE: usize = 64 << 10;

fn safe(mask: Mask, s: &str, max: usize) -> String {
    truncate(&mask.apply(&escape_control(s)), max).into_owned()
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
        format!("{marker} {time} {kind} {} {}", safe(app.mask, &place, 40), safe(app.mask, &body, width))
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
        format!("{marker} {time} {kind} {level:<5} {}", safe(app.mask, &message, width))
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
                extra.push_str(&safe(app.mask, s.syms.resolve(u), 12));
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
            safe(app.mask, &who, who_w),
            rec.method().as_str(),
            safe(app.mask, s.syms.resolve(rec.path), path_w),
            if status == 0 { "-".into() } else { status.to_string() },
            extra
        )
    };
    (safe(app.mask, &text, width), style, theme)
}

fn header(app: &App, width: u16) -> Line<'static> {
    let s = &app.store;
    let files = s.sources.len();
    let dated = multi_day(app);
    let range = match (s.first, s.last) {
        (Some(a), Some(b)) if dated => {
            format!("{} → {}", fmt_time(a, app.utc, "%Y-%m-%d %H:%M"), fmt_time(b, app.utc, "%Y-%m-%d %H:%M"))
        }
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
        let rest = format!(
            " · {files} file{plural} · {records} records · {} unparsed{share} · {range} {zone} · {follow}",
            thousands(s.totals.unparsed)
        );
        // The paths take what is left of the line, if anything.
        let room = (width as usize).saturating_sub(rest.chars().count() + 11).min(40);
        if room >= 8 {
            format!(" linelens  {}{rest}", safe(app.mask, &app.title, room))
        } else {
            format!(" linelens{rest}")
        }
    } else {
        // Narrow: the same facts, shorter; the follow state and zone stay.
        let fmt = if dated { "%m-%d %H:%M" } else { "%H:%M:%S" };
        let short = |t: Option<Millis>| t.map(|t| fmt_time(t, app.utc, fmt)).unwrap_or_default();
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
        text.push_str(&format!(
            " · reading {pct}% {bar} {} / {} MB",
            thousands(done / 1_000_000),
            thousands(total / 1_000_000)
        ));
    }
    Line::from(Span::styled(text, Style::new().add_modifier(Modifier::BOLD)))
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// A column over the strip's scale.
const CLIPPED: char = '▲';

/// A strip's full cell: the 95th percentile of its non-empty columns, and
/// at least four times their median, so that the usual level sits low
/// and a spike stands out (the busiest column would flatten the rest).
fn strip_scale(data: &[u64]) -> u64 {
    let mut nz: Vec<u64> = data.iter().copied().filter(|&v| v > 0).collect();
    nz.sort_unstable();
    let at = |q: usize| nz.get(nz.len().saturating_sub(1) * q / 100).copied().unwrap_or(0);
    at(95).max(at(50).saturating_mul(4))
}

/// Bars scaled to `scale`; columns above it are marked [`CLIPPED`].
fn bars(data: &[u64], scale: u64) -> String {
    data.iter()
        .map(|&v| match v {
            0 => ' ',
            _ if scale == 0 => ' ',
            v if v > scale => CLIPPED,
            v => {
                let i = ((v * 8).div_ceil(scale)).clamp(1, 8) as usize - 1;
                BARS.get(i).copied().unwrap_or('█')
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) fn bars_for_test(data: &[u64], scale: u64) -> String {
    bars(data, scale)
}

#[cfg(test)]
pub(crate) fn strip_scale_for_test(data: &[u64]) -> u64 {
    strip_scale(data)
}

/// What a full cell means, per minute: `█=120/min`.
fn legend(scale: u64, bucket_secs: f64) -> String {
    let per_min = scale as f64 * 60.0 / bucket_secs.max(1e-3);
    if scale == 0 {
        String::new()
    } else if per_min >= 10.0 {
        format!("█={}/min", thousands(per_min.round() as u64))
    } else {
        format!("█={per_min:.1}/min")
    }
}

/// Columns at the strips' right end for the legend.
const LEGEND_W: usize = 13;
/// Columns at the strips' left for the row names.
const LABEL_W: usize = 9;

/// Tick spacing for the axis: the smallest that leaves room for labels.
fn tick_every(span_ms: i64, columns: usize) -> i64 {
    const MIN: i64 = 60_000;
    let steps = [
        MIN,
        2 * MIN,
        5 * MIN,
        10 * MIN,
        30 * MIN,
        60 * MIN,
        180 * MIN,
        360 * MIN,
        720 * MIN,
        1440 * MIN,
        2880 * MIN,
        10080 * MIN,
    ];
    let room = (columns / 8).max(1) as i64;
    steps.into_iter().find(|s| span_ms / s <= room).unwrap_or(10080 * MIN)
}

/// The time axis under the strips: ticks at round times (days over long
/// spans, else hours or minutes; a day's first tick says its date), the
/// selection marked `↑`, the zoom named on the left.
fn axis(app: &App, first_s: i64, last_s: i64, w: usize) -> String {
    let (first, last) = (first_s.saturating_mul(1000), last_s.saturating_mul(1000).saturating_add(999));
    let span = (last - first).max(1);
    let mut row: Vec<char> = vec![' '; w];
    let col = |t: i64| ((i128::from(t - first) * w as i128) / i128::from(span)) as usize;
    let every = tick_every(span, w);
    // Ticks fall on round times of the zone shown.
    let offset = if app.utc { 0 } else { i64::from(Local::now().offset().local_minus_utc()) * 1000 };
    let mut t = (first + offset).div_euclid(every) * every - offset;
    if t < first {
        t += every;
    }
    let mut free = 0usize;
    while t <= last {
        let c = col(t);
        let midnight = (t + offset).rem_euclid(86_400_000) == 0;
        let label =
            if every >= 86_400_000 || midnight { fmt_time(t, app.utc, "%m-%d") } else { fmt_time(t, app.utc, "%H:%M") };
        let text: Vec<char> = format!("╵{label}").chars().collect();
        if c >= free && c + text.len() <= w {
            for (i, ch) in text.iter().enumerate() {
                if let Some(x) = row.get_mut(c + i) {
                    *x = *ch;
                }
            }
            free = c + text.len() + 1;
        }
        t += every;
    }
    if let Some((_, r)) = app.selected_record()
        && (first..=last).contains(&r.ts())
        && let Some(x) = row.get_mut(col(r.ts()).min(w.saturating_sub(1)))
    {
        *x = '↑';
    }
    let zoom = match app.zoom {
        super::app::Zoom::All => "all",
        z => z.name(),
    };
    format!("{:<LABEL_W$}{}", format!(" {zoom}"), row.into_iter().collect::<String>())
}

fn rate_strip(app: &App, width: u16) -> Vec<Line<'static>> {
    let theme = Theme::from_env();
    let w = (width as usize).saturating_sub(LABEL_W + LEGEND_W + 1).max(1);
    let (req, bad) = app.rate_buckets(w);
    let (first, last) = app.strip_range().unwrap_or_default();
    let bucket_secs = (last - first + 1) as f64 / w as f64;
    let row = |name: &str, data: &[u64], color: Color| {
        let scale = strip_scale(data);
        Line::from(vec![
            Span::raw(format!("{name:<LABEL_W$}")),
            Span::styled(bars(data, scale), theme.fg(color)),
            Span::raw(format!(" {:<LEGEND_W$}", legend(scale, bucket_secs))),
        ])
    };
    let mut lines = vec![
        row(" req", &req, Color::Cyan),
        // 429 and 5xx responses, and error-level log entries.
        row(" 429/5xx", &bad, Color::Red),
    ];
    if app.strip_range().is_some() {
        lines.push(Line::from(Span::styled(axis(app, first, last, w), theme.fg(Color::DarkGray))));
    }
    lines
}

/// A group's title: what it is about and how many times it happened.
pub fn group_title(app: &App, g: &crate::report::group::Group) -> String {
    let n = thousands(g.members.len() as u64);
    let first = g.members.first().and_then(|&i| app.alerts.get(i));
    match first.map(|a| &a.kind) {
        Some(AlertKind::Burst(b)) => {
            let top = g.key.rsplit('/').next().unwrap_or("");
            let src = if b.source == BurstSource::MiniApp { "MINI " } else { "" };
            format!("{src}429 burst ×{n} {top}")
        }
        Some(AlertKind::Flood(f)) => {
            let arrow = if f.direction == Direction::Outbound { "→" } else { "←" };
            format!("flood {arrow} ×{n}")
        }
        Some(AlertKind::Finding(f)) => format!("{} ×{n}", f.rule),
        Some(a) => format!("{} ×{n}", alert_title(&Alert { severity: super::app::Severity::Info, kind: a.clone() })),
        None => g.key.clone(),
    }
}

/// A group's occurrences over the time range read, `w` columns.
fn group_strip(app: &App, g: &crate::report::group::Group, w: usize) -> String {
    let (Some(first), Some(last)) = (app.store.first, app.store.last) else { return String::new() };
    let span = i128::from((last - first).max(1));
    let mut cols = vec![0u64; w];
    for a in g.members.iter().filter_map(|&i| app.alerts.get(i)) {
        if let Some(t) = a.start() {
            let c = (i128::from(t - first) * w as i128 / span).clamp(0, w as i128 - 1) as usize;
            if let Some(x) = cols.get_mut(c) {
                *x += 1;
            }
        }
    }
    let max = cols.iter().copied().max().unwrap_or(0);
    bars(&cols, max)
}

/// The worst alert or group and the total, in one line: what a small
/// terminal shows under the strips. 429 bursts are named too when the
/// worst is something else.
fn alert_line(app: &App) -> Line<'static> {
    use super::app::AlertRow;
    let theme = Theme::from_env();
    let title_of = |row: &AlertRow| -> Option<(u8, String, bool)> {
        match *row {
            AlertRow::Group(g) => {
                let g = app.groups.get(g)?;
                Some((g.severity, group_title(app, g), g.key.starts_with("burst ")))
            }
            AlertRow::One(i, _) => {
                let a = app.alerts.get(i)?;
                Some((a.severity as u8, alert_title(a), matches!(a.kind, AlertKind::Burst(_))))
            }
        }
    };
    let Some((severity, title, burst)) = app.alert_rows.first().and_then(title_of) else {
        return Line::from(" · no alerts");
    };
    let mut named = safe(app.mask, &title, 30);
    if !burst && let Some((_, t, _)) = app.alert_rows.iter().filter_map(title_of).find(|(_, _, b)| *b) {
        named.push_str(&format!(" · {}", safe(app.mask, &t, 26)));
    }
    let marker = super::app::Severity::from_rank(severity).marker();
    let n = app.alerts.len();
    let key = app.keymap.keys(Action::Alerts).first().cloned().unwrap_or_default();
    let text =
        format!(" {marker} {named} · {} alert{} · {key}: list", thousands(n as u64), if n == 1 { "" } else { "s" });
    let style = if severity >= 2 { theme.fg(Color::Red) } else { theme.fg(Color::Yellow) };
    Line::from(Span::styled(text, style.add_modifier(Modifier::BOLD)))
}

fn alerts(f: &mut Frame, app: &App, area: Rect) {
    use super::app::AlertRow;
    let theme = Theme::from_env();
    let focused = app.pane == Pane::Alerts;
    let count = if app.groups.is_empty() {
        thousands(app.alerts.len() as u64)
    } else {
        format!("{} in {} groups", thousands(app.alerts.len() as u64), app.groups.len())
    };
    let block = pane_block(format!(" Alerts {count} "), focused, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    let dated = multi_day(app);
    let sev_style = |sev: u8| match sev {
        2 => theme.fg(Color::Red),
        1 => theme.fg(Color::Yellow),
        _ => Style::new(),
    };
    // Each row's lines: a group takes two (its title and strip; its span
    // and largest occurrence), an alert one.
    let row_lines = |i: usize, row: AlertRow| -> Vec<Line<'static>> {
        let sel = if i == app.alert_selected { "▶" } else { " " };
        let style_of = |sev: u8| {
            let mut st = sev_style(sev);
            if focused && i == app.alert_selected {
                st = st.patch(theme.selected());
            }
            st
        };
        match row {
            AlertRow::Group(g) => {
                let Some(g) = app.groups.get(g) else { return Vec::new() };
                let marker = super::app::Severity::from_rank(g.severity).marker();
                let open = if app.open_group.as_deref() == Some(g.key.as_str()) { "▾" } else { "▸" };
                let title = format!("{sel}{marker}{open}{} ", group_title(app, g));
                let strip_w = w.saturating_sub(title.chars().count()).clamp(0, 24);
                let first = format!("{title}{}", group_strip(app, g, strip_w));
                let time = |t: i64| if t == i64::MIN { "-".to_owned() } else { alert_time(t, app, dated) };
                let largest = app
                    .alerts
                    .get(g.largest)
                    .map(|a| format!("largest ×{} at {}", thousands(a.count()), a.start().map_or("-".into(), time)))
                    .unwrap_or_default();
                let span = format!("   {} → {}", time(g.first), time(g.last));
                let st = style_of(g.severity);
                let mut out = vec![Line::from(Span::styled(safe(app.mask, &first, w), st))];
                // The span and the largest on one line where they fit, else two.
                let both = format!("{span} · {largest}");
                if both.chars().count() <= w {
                    out.push(Line::from(Span::styled(both, st)));
                } else {
                    out.push(Line::from(Span::styled(safe(app.mask, &span, w), st)));
                    out.push(Line::from(Span::styled(safe(app.mask, &format!("   {largest}"), w), st)));
                }
                out
            }
            AlertRow::One(a, inside) => {
                let Some(a) = app.alerts.get(a) else { return Vec::new() };
                let when = a.start().map(|t| alert_time(t, app, dated)).unwrap_or_default();
                let width = if dated { 11 } else { 8 };
                let indent = if inside { "  " } else { "" };
                let ongoing = if app.is_ongoing(a) { " ⟳ ongoing" } else { "" };
                let text = format!("{sel}{indent}{} {when:<width$} {}{ongoing}", a.severity.marker(), alert_title(a));
                vec![Line::from(Span::styled(safe(app.mask, &text, w), style_of(a.severity as u8)))]
            }
        }
    };
    let mut lines = Vec::new();
    if app.alert_rows.is_empty() {
        lines.push(Line::from(" no alerts"));
    }
    // Scroll so the selected row stays visible: rows before it as fit.
    let h = inner.height as usize;
    let height = |i: usize| app.alert_rows.get(i).map_or(1, |r| row_lines(i, *r).len());
    let mut top = app.alert_selected.min(app.alert_rows.len().saturating_sub(1));
    let mut used = height(top);
    while top > 0 {
        let above = height(top - 1);
        if used + above > h {
            break;
        }
        used += above;
        top -= 1;
    }
    for (i, row) in app.alert_rows.iter().enumerate().skip(top) {
        if lines.len() >= h {
            break;
        }
        lines.extend(row_lines(i, *row));
    }
    lines.truncate(h);
    f.render_widget(Paragraph::new(lines), inner);
}

fn timeline(f: &mut Frame, app: &App, area: Rect) {
    let theme = Theme::from_env();
    let focused = app.pane == Pane::Timeline;
    // Over days, the selected row's day (rows show the time of day).
    let on_day = match app.selected_record() {
        Some((_, r)) if multi_day(app) => day(r.ts(), app.utc).map(|d| d.format(" · %a %Y-%m-%d").to_string()),
        _ => None,
    }
    .unwrap_or_default();
    let zoomed = if app.zoom == super::app::Zoom::All { String::new() } else { format!(" · {}", app.zoom.name()) };
    let title = match &app.view {
        View::All => format!(" Timeline {}{zoomed}{on_day} ", thousands(app.view_len() as u64)),
        View::Narrowed { title, ids } => {
            format!(" {} · {} records (⌫ back) ", safe(app.mask, title, 60), thousands(ids.len() as u64))
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
                    safe(app.mask, &s.text, 40),
                    thousands(s.matched.len() as u64)
                )
            }
            None => " filter ".into(),
        },
    };
    let block = pane_block(title, focused, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let h = inner.height as usize;
    let len = app.view_len();
    let dated = multi_day(app);
    // Over days, a separator row where the day changes between two rows.
    let day_at = |i: usize| app.row(i).and_then(|id| app.store.get(id)).and_then(|r| day(r.ts(), app.utc));
    let separator = |i: usize| -> Option<chrono::NaiveDate> {
        if !dated || i == 0 {
            return None;
        }
        let d = day_at(i)?;
        (day_at(i - 1) != Some(d)).then_some(d)
    };
    // Keep the selection in view, the newest rows at the bottom when
    // following: rows (and separators) above it as fit.
    let mut top = app.selected.min(len.saturating_sub(1));
    let mut used = 1 + usize::from(separator(top).is_some());
    while top > 0 && used < h {
        let above = 1 + usize::from(separator(top - 1).is_some());
        if used + above > h {
            break;
        }
        used += above;
        top -= 1;
    }
    let mut lines = Vec::with_capacity(h);
    let mut i = top;
    while i < len && lines.len() < h {
        if let Some(d) = separator(i) {
            let label = format!("── {} ", d.format("%a %Y-%m-%d"));
            let fill = (inner.width as usize).saturating_sub(label.chars().count());
            lines.push(Line::from(Span::styled(format!("{label}{}", "─".repeat(fill)), theme.fg(Color::DarkGray))));
            if lines.len() >= h {
                break;
            }
        }
        let Some(id) = app.row(i) else { break };
        let Some(rec) = app.store.get(id) else { break };
        let (text, mut style, theme) = row_text(app, id, &rec, inner.width as usize);
        if i == app.selected {
            style = style.patch(theme.selected());
        }
        lines.push(Line::from(Span::styled(text, style)));
        i += 1;
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

/// A group of repeated alerts, in the detail pane while it is selected.
fn group_detail(f: &mut Frame, app: &App, area: Rect, g: &crate::report::group::Group) {
    let w = area.width.saturating_sub(4) as usize;
    let when = |t: i64| if t == i64::MIN { "-".to_owned() } else { full_time(t, app.utc) };
    let mut lines = vec![Line::from(format!(" group     {}", safe(app.mask, &group_title(app, g), w)))];
    lines.push(Line::from(format!(
        " span      {} occurrences from {} to {}",
        thousands(g.members.len() as u64),
        when(g.first),
        when(g.last)
    )));
    if let Some(a) = app.alerts.get(g.largest) {
        lines.push(Line::from(format!(
            " largest   {} at {}",
            safe(app.mask, &alert_title(a), w.saturating_sub(40)),
            a.start().map_or("-".into(), when)
        )));
    }
    lines.push(Line::from(format!(" when      {}", group_strip(app, g, w.saturating_sub(12)))));
    let open = app.keymap.keys(Action::Open).first().cloned().unwrap_or_default();
    let back = app.keymap.keys(Action::Collapse).first().cloned().unwrap_or_default();
    lines.push(Line::from(format!(" keys      {open} opens it into its occurrences, {back} closes it")));
    let block = Block::bordered().title(" Alert group ");
    let inner = block.inner(area);
    f.render_widget(block, area);
    f.render_widget(Paragraph::new(lines), inner);
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
                out.push(Line::from(format!(" {label:<9} {}", safe(app.mask, &row, w))));
                label.clear();
                row.clear();
            }
            if !row.is_empty() {
                row.push(' ');
            }
            row.push_str(word);
        }
        out.push(Line::from(format!(" {label:<9} {}", safe(app.mask, &row, w))));
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
            safe(app.mask, &places.join("  "), w.saturating_sub(40)),
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
    if app.pane == Pane::Alerts {
        if let Some(super::app::AlertRow::Group(g)) = app.alert_rows.get(app.alert_selected)
            && let Some(g) = app.groups.get(*g)
        {
            return group_detail(f, app, area, g);
        }
        if let Some(a) = app.alert_at(app.alert_selected)
            && let AlertKind::Finding(x) = &a.kind
        {
            return finding_detail(f, app, area, x);
        }
    }
    let focused = app.pane == Pane::Detail;
    let Some((id, rec)) = app.selected_record() else {
        f.render_widget(pane_block(" Detail ".into(), focused, theme), area);
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
            entry_lines.push(Line::from(format!(" {label:<9} {}", safe(app.mask, l, w.saturating_sub(12)))));
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
        safe(app.mask, &place, 60)
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
            lines.push(Line::from(format!(" message   {}", safe(app.mask, m, w.saturating_sub(12)))));
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
            safe(app.mask, &target, w.saturating_sub(30)),
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
                lines.push(Line::from(format!(" {k:<9} {}", safe(app.mask, v, w.saturating_sub(12)))));
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
                    body_lines.push(Line::from(format!(" {label:<9} {}", safe(app.mask, l, w.saturating_sub(12)))));
                }
            }
        }
        if let Some(ms) = f.duration_ms {
            lines.push(Line::from(format!(" took      {ms} ms (as the server logged it)")));
        }
        if let Some(x) = &l.extras {
            lines.push(Line::from(format!(" extras    {}", safe(app.mask, x, w.saturating_sub(12)))));
        }
    } else if rec.kind() == Kind::Unparsed {
        lines.push(Line::from(format!(
            " text      {}",
            safe(app.mask, text.as_deref().unwrap_or(""), w.saturating_sub(12))
        )));
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
            safe(app.mask, s.syms.resolve(e.event_type), 20),
            safe(app.mask, s.syms.resolve(e.user), 40)
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
    let title = format!(" {kind} {} ", safe(app.mask, &ident, 60));
    let block = pane_block(title, focused, theme);
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
        return Line::from(format!(" {prompt}{}▏  (enter keeps, esc cancels)", safe(app.mask, &i.text, 100)));
    }
    if let Some(m) = &app.message {
        return Line::from(format!(" {}", safe(app.mask, m, 200)));
    }
    let k = |a: Action| app.keymap.keys(a).first().cloned().unwrap_or_default();
    let pair = |a: Action, b: Action| format!("{}/{}", k(a), k(b));
    let zoom = format!("{}/{}", k(Action::ZoomIn), k(Action::ZoomOut));
    if width < 110 {
        // Narrow: the keys most needed, shorter words (`?` lists them all).
        return Line::from(format!(
            " {} help {} filter {} alerts {} open {} back {} err {} 429 {} time {zoom} zoom {} quit",
            k(Action::Help),
            k(Action::Filter),
            k(Action::Alerts),
            if k(Action::Open) == "enter" { "⏎".to_owned() } else { k(Action::Open) },
            if k(Action::Back) == "backspace" { "⌫".to_owned() } else { k(Action::Back) },
            k(Action::NextError),
            k(Action::Next429),
            k(Action::JumpToTime),
            k(Action::Quit),
        ));
    }
    Line::from(format!(
        " {} help  {} filter  {} pane  {} alerts  {} open  {} back  {} error  {} 429  {} time  {zoom} zoom  {} quit",
        k(Action::Help),
        k(Action::Filter),
        k(Action::NextPane),
        k(Action::Alerts),
        k(Action::Open),
        k(Action::Back),
        pair(Action::NextError, Action::PrevError),
        pair(Action::Next429, Action::Prev429),
        k(Action::JumpToTime),
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

/// Whether a terminal is large enough for the alerts and the detail
/// beside the timeline.
pub fn is_wide(width: u16, height: u16) -> bool {
    width >= 100 && height >= 30
}

/// Draw the whole screen.
pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    let wide = is_wide(area.width, area.height);
    let strips = if app.strip_range().is_some() { 3 } else { 2 };
    // Below 100 columns the alerts fold away: one line names the worst.
    let alert_line_h = u16::from(area.width < 100);
    let [head, strip, note, body, bar] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(strips),
        Constraint::Length(alert_line_h),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(header(app, head.width)), head);
    f.render_widget(Paragraph::new(rate_strip(app, strip.width)), strip);
    if alert_line_h > 0 {
        f.render_widget(Paragraph::new(alert_line(app)), note);
    }
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
