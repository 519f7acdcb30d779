//! The timeline pane: one row a record, the visible rows only, with day separators.

use super::*;

/// One timeline row: marker, time, kind, id/ip, method, target, status, extra.
pub(super) fn row_text(app: &App, id: RecordId, rec: &Record, width: usize) -> (String, Style, Theme) {
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
    // The row's text as loaded (see `App::ask_jobs`); `…` until it is. An
    // archive's lines are not read for rows: its requests show the IDs the
    // store keeps, its other rows what the detail pane loaded.
    let loaded = || -> String {
        if let Some(t) = app.loaded.rows.get(&id) {
            return t.clone();
        }
        if src.is_some_and(|x| x.compressed) {
            if let Some(kept) = s.kept_request_ids.get(id) {
                return kept.into_owned();
            }
            return match &app.loaded.detail.record {
                Some((at, v)) if *at == id => match rec.kind() {
                    Kind::Log => v.fields.message.clone().or_else(|| v.text.clone()).unwrap_or_default(),
                    Kind::Unparsed => v.text.clone().unwrap_or_default(),
                    _ => v.fields.request_id.clone().unwrap_or_else(|| "-".into()),
                },
                _ if matches!(rec.kind(), Kind::Api | Kind::MiniApp) => "-".into(),
                _ => String::new(),
            };
        }
        "…".into()
    };
    let text = if rec.kind() == Kind::Unparsed {
        let line = rec.unparsed_line().unwrap_or(0);
        let place = format!("{}:{line}", src.map_or("", |x| x.display.as_str()));
        format!("{marker} {time} {kind} {} {}", safe(app.mask, &place, 40), safe(app.mask, &loaded(), width))
    } else if rec.kind() == Kind::Log {
        let level = rec.level().map_or("-", Level::as_str);
        format!("{marker} {time} {kind} {level:<5} {}", safe(app.mask, &loaded(), width))
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
            _ => loaded(),
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

pub(super) fn timeline(f: &mut Frame, app: &App, area: Rect) {
    let theme = Theme::from_env();
    let focused = app.pane == Pane::Timeline;
    // Over days, the selected row's day (rows show the time of day).
    let on_day = match app.selected_record() {
        Some((_, r)) if multi_day(app) => day(r.ts(), app.utc).map(|d| d.format(" · %a %Y-%m-%d").to_string()),
        _ => None,
    }
    .unwrap_or_default();
    let zoomed =
        if app.zoom == crate::tui::app::Zoom::All { String::new() } else { format!(" · {}", app.zoom.name()) };
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
