//! The detail pane: the selected record, alert group or finding.

use super::*;

/// `file:line` of a record; `?` for a parsed record of a compressed source
/// (finding its line means decompressing up to it: never on the UI thread).
pub(super) fn place(s: &crate::store::Store, r: &Record) -> String {
    let src = s.sources.get(r.source() as usize);
    let line = if src.is_some_and(|x| x.compressed) && r.unparsed_line().is_none() {
        "?".to_owned()
    } else {
        s.line_of(*r).map_or("?".into(), |l| l.to_string())
    };
    format!("{}:{line}", src.map_or("", |x| x.display.as_str()))
}

/// A group of repeated alerts, in the detail pane while it is selected.
pub(super) fn group_detail(f: &mut Frame, app: &App, area: Rect, g: &crate::report::group::Group) {
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
pub(super) fn finding_detail(f: &mut Frame, app: &App, area: Rect, x: &crate::audit::Finding) {
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

pub(super) fn detail(f: &mut Frame, app: &App, area: Rect) {
    let theme = Theme::from_env();
    if app.pane == Pane::Alerts {
        if let Some(crate::tui::app::AlertRow::Group(g)) = app.alert_rows.get(app.alert_selected)
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
