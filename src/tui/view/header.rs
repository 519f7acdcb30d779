//! The header line: title, files, records, unparsed, time range, zone, follow state and the reading progress.

use super::*;

pub(super) fn header(app: &App, width: u16) -> Line<'static> {
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
