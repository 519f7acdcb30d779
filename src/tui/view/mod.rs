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
//!
//! One widget a file: `header`, `strips`, `alerts`, `timeline`, `detail`,
//! `keybar` and `help`; this module holds what they share and lays them out.

mod alerts;
mod detail;
mod header;
mod help;
mod keybar;
mod strips;
mod timeline;

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
use crate::time::Millis;

use crate::signature::SigState;
use crate::tui::action::Action;
use crate::tui::app::{Alert, AlertKind, App, Pane, View, alert_title};

use alerts::*;
use detail::*;
use header::*;
use help::*;
use keybar::*;
use strips::*;
#[cfg(test)]
pub(crate) use strips::{bars_for_test, strip_scale_for_test};
use timeline::*;

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
