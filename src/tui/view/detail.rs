//! The detail pane: the selected record, alert group or finding.

use super::*;

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
    // The places as loaded (counting lines means reading the files).
    let loaded = &app.loaded.detail.places;
    let places: Vec<String> = x
        .records
        .iter()
        .take(3)
        .map(|id| loaded.iter().find(|(at, _)| at == id).map_or_else(|| "…".to_owned(), |(_, p)| p.clone()))
        .collect();
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
    let kind = match rec.kind() {
        Kind::Api => "API request",
        Kind::Webhook => "Webhook receipt",
        Kind::MiniApp => "MINI App request",
        Kind::Unparsed => "Unparsed line",
        Kind::Http => "HTTP request (not a LINE webhook)",
        Kind::Log => "Log entry",
    };
    // The record's view, as the detail job loaded it (its line read again:
    // see `App::ask_jobs`); until then, what the store holds.
    let view = match &app.loaded.detail.record {
        Some((at, v)) if *at == id => Some(v),
        _ => None,
    };
    let mut lines: Vec<Line> = Vec::new();
    let inferred = if s.date_inferred(rec) { " (date inferred)" } else { "" };
    let place = match view {
        Some(v) => format!("{}:{}", v.source, v.line.map_or("?".into(), |l| l.to_string())),
        None => format!("{}:…", s.sources.get(rec.source() as usize).map_or("", |x| x.display.as_str())),
    };
    lines.push(Line::from(format!(
        " time      {}{inferred}    source {}",
        full_time(rec.ts(), app.utc),
        safe(app.mask, &place, 60)
    )));
    let Some(v) = view else {
        lines.push(Line::from(" (reading the line…)"));
        let block = pane_block(format!(" {kind} "), focused, theme);
        let inner = block.inner(area);
        f.render_widget(block, area);
        f.render_widget(Paragraph::new(lines), inner);
        return;
    };
    let fl = &v.fields;
    let label_w = w.saturating_sub(12);
    if v.length > LONG_LINE {
        lines.push(Line::from(format!(
            " length    {} bytes: bodies shown cut at {}; `linelens lookup --format json` prints the line whole",
            crate::escape::thousands(v.length as u64),
            crate::escape::thousands(LONG_LINE as u64)
        )));
    }
    if rec.kind() == Kind::Log && v.format.is_some() {
        let level = rec.level().map_or("-", Level::as_str);
        lines.push(Line::from(format!(" level     {level}")));
        if let Some(m) = &fl.message {
            lines.push(Line::from(format!(" message   {}", safe(app.mask, m, label_w))));
        }
    }
    if !matches!(rec.kind(), Kind::Unparsed | Kind::Log) {
        let status = rec.status();
        let burst = app
            .analyzer
            .burst_of(&rec)
            .map(|b| format!("  (429 burst ×{} {}–{})", b.count, clock(b.start, app.utc), clock(b.end, app.utc)));
        let target = fl.path.as_deref().or(fl.endpoint.as_deref()).unwrap_or_else(|| s.syms.resolve(rec.path));
        lines.push(Line::from(format!(
            " request   {} {} → {}{}",
            rec.method().as_str(),
            safe(app.mask, target, w.saturating_sub(30)),
            if status == 0 { "-".into() } else { status.to_string() },
            burst.unwrap_or_default()
        )));
    }
    if rec.kind() == Kind::Webhook {
        let state = v.signature_state.unwrap_or(SigState::Unverifiable);
        let why = match state {
            SigState::Valid => "matches the channel secret",
            SigState::Invalid => "does NOT match the channel secret: forged or altered",
            SigState::Missing => "no x-line-signature logged with the raw body",
            SigState::Unverifiable if s.secrets.is_none() => "no channel secret given (--channel-secret-file)",
            SigState::Unverifiable => "no raw body logged to check it against",
        };
        lines.push(Line::from(format!(" verified  {} ({why})", state.as_str())));
    }
    for (k, v) in [
        ("retry key", &fl.retry_key),
        ("accepted", &fl.accepted_request_id),
        ("signature", &fl.signature),
        ("agent", &fl.user_agent),
        ("origin", &fl.origin),
    ] {
        if let Some(v) = v {
            lines.push(Line::from(format!(" {k:<9} {}", safe(app.mask, v, label_w))));
        }
    }
    if let Some(ms) = fl.duration_ms {
        lines.push(Line::from(format!(" took      {ms} ms (as the server logged it)")));
    }
    if let Some(x) = &v.extras {
        lines.push(Line::from(format!(" extras    {}", safe(app.mask, x, label_w))));
    }
    if v.kind == "unparsed" {
        lines.push(Line::from(format!(" text      {}", safe(app.mask, v.text.as_deref().unwrap_or(""), label_w))));
    }
    if !v.continuation.is_empty() {
        let n = s.continued.get(&id).copied().unwrap_or(0);
        lines.push(Line::from(format!(" entry     {} continuation line{} below", n, if n == 1 { "" } else { "s" })));
    }
    // Exact links, then the inferred one, labelled.
    if let Some(links) = &v.links {
        for e in &links.answered_events {
            lines.push(Line::from(format!(
                " links     ⏎ webhook event {} from {} at {} (exact: reply token)",
                safe(app.mask, e.event_type.as_deref().unwrap_or(""), 20),
                safe(app.mask, e.user_id.as_deref().unwrap_or(""), 40),
                clock(e.receipt.ts, app.utc)
            )));
        }
        for r in &links.replies {
            lines.push(Line::from(format!(
                " links     ⏎ reply {} at {} (exact: reply token)",
                r.status.unwrap_or(0),
                clock(r.ts, app.utc)
            )));
        }
        for x in &links.retries {
            lines.push(Line::from(format!(
                " retry     ⏎ {} at {} (exact: retry key)",
                x.record.status.unwrap_or(0),
                clock(x.record.ts, app.utc)
            )));
        }
        if let Some(i) = &links.inferred_webhook {
            lines.push(Line::from(format!(
                " likely    webhook at {} ({} ms before; inferred by time, not an exact link)",
                clock(i.record.ts, app.utc),
                (i.seconds_before * 1000.0).round() as i64
            )));
        }
    }
    // Bodies pretty-printed, after the links (the pane cuts what does not fit).
    for (k, b) in [("body", &fl.request_body), ("response", &fl.response_body), ("webhook", &v.webhook_body)] {
        let Some(b) = b else { continue };
        let text = match b {
            serde_json::Value::String(t) => t.clone(),
            other => other.to_string(),
        };
        let pretty = if text.len() > LONG_LINE {
            // Too long to lay out on every frame: its start, marked cut.
            let mut cut: String = text.chars().take(LONG_LINE).collect();
            cut.push_str(" … [cut]");
            cut
        } else if b.is_string() {
            text
        } else {
            serde_json::to_string_pretty(b).unwrap_or(text)
        };
        for (i, l) in pretty.lines().enumerate() {
            let label = if i == 0 { k } else { "" };
            lines.push(Line::from(format!(" {label:<9} {}", safe(app.mask, l, label_w))));
        }
    }
    // The entry's lines as written, after the bodies read out of them.
    for (i, l) in v.continuation.iter().enumerate() {
        let label = if i == 0 { "then" } else { "" };
        lines.push(Line::from(format!(" {label:<9} {}", safe(app.mask, l, label_w))));
    }
    let ident = fl.request_id.as_deref().or(fl.ip.as_deref()).unwrap_or("");
    let title = format!(" {kind} {} ", safe(app.mask, ident, 60));
    let block = pane_block(title, focused, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    f.render_widget(Paragraph::new(lines), inner);
}
