//! The alerts pane: alerts and groups of repeated ones, and the one-line summary of a small terminal.

use super::*;

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
        Some(a) => {
            format!("{} ×{n}", alert_title(&Alert { severity: crate::tui::app::Severity::Info, kind: a.clone() }))
        }
        None => g.key.clone(),
    }
}

/// A group's occurrences over the time range read, `w` columns.
pub(super) fn group_strip(app: &App, g: &crate::report::group::Group, w: usize) -> String {
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
pub(super) fn alert_line(app: &App) -> Line<'static> {
    use crate::tui::app::AlertRow;
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
    let marker = crate::tui::app::Severity::from_rank(severity).marker();
    let n = app.alerts.len();
    let key = app.keymap.keys(Action::Alerts).first().cloned().unwrap_or_default();
    let text =
        format!(" {marker} {named} · {} alert{} · {key}: list", thousands(n as u64), if n == 1 { "" } else { "s" });
    let style = if severity >= 2 { theme.fg(Color::Red) } else { theme.fg(Color::Yellow) };
    Line::from(Span::styled(text, style.add_modifier(Modifier::BOLD)))
}

pub(super) fn alerts(f: &mut Frame, app: &App, area: Rect) {
    use crate::tui::app::AlertRow;
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
                let marker = crate::tui::app::Severity::from_rank(g.severity).marker();
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
