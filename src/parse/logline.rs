//! Every other line that starts with a time: application logging (Python's
//! logging and Flask, gunicorn, Go's log, Spring Boot, Rails, Apache's error
//! log, Heroku's `app[web.1]:` lines…) becomes a `log` record with its time,
//! level and message.
//!
//! ```text
//! 2025-07-13 23:45:53,732 - modules.routes.webhook - ERROR - 無效的簽名
//! [2026-04-23 03:45:19 +0000] [58] [INFO] Starting gunicorn 25.3.0
//! 2022/04/13 06:19:44 provider.go:117: Defaulting client-id
//! I, [2026-11-20T08:00:00.123456 #1234]  INFO -- : Started POST "/callback"
//! ```
//!
//! Before the time there may be an opening bracket, a Rails severity letter
//! (`I, [`), or one bracketed tag that is not a time (`[pipeline.log] `).

use std::borrow::Cow;

use super::formats;
use super::{Fields, Line};
use crate::model::{Kind, Level};
use crate::time::{Millis, line_start as leading};

fn trim_separators(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ']' | '-' | ':' | '|' | '#'))
}

/// The level word among the first few words after the time, and the message
/// after it; without one, the whole rest is the message.
pub fn level_and_message(rest: &str) -> (Option<Level>, &str) {
    let body = trim_separators(rest);
    let mut pos = 0;
    for (n, word) in body.split(' ').enumerate() {
        if n >= 6 {
            break;
        }
        if let Some(level) = Level::parse(word) {
            let after = body.get(pos + word.len()..).unwrap_or("");
            // `ERROR in app:` (Flask) keeps its words; separators go.
            return (Some(level), trim_separators(after));
        }
        pos += word.len() + 1;
    }
    (None, body)
}

/// A line that starts with a time of day and no date (logback's default
/// `08:00:00.123 [main] INFO …`): its time comes from an envelope, or
/// from the record before it.
fn leading_clock(line: &str) -> Option<(&str, u32)> {
    let t = line.trim_start();
    let t = t.strip_prefix('[').unwrap_or(t);
    crate::time::leading_clock(t).and_then(|(n, of_day)| Some((t.get(n..)?, of_day)))
}

/// A timed line as a `log` record. What follows the time may be a line of
/// its own: a JSON line (`kubectl logs --timestamps` of a JSON logger), an
/// access line without a time (`aws logs tail --format short` of morgan's
/// output), or Caddy's console access log (`TIME\tINFO\thttp.log.access\t
/// handled request\t{"request":…}`): read as that, with this time when it
/// has none.
pub fn parse(line: &str, depth: u8) -> Option<Line<'_>> {
    let (time, rest, clock) = match leading(line) {
        Some((t, rest)) => (t, rest, None),
        None => {
            let (rest, of_day) = leading_clock(line)?;
            (i64::MIN, rest, Some(of_day))
        }
    };
    let mut l = parse_after(time, rest, depth)?;
    // A time of day alone: the date is found when the record is stored.
    if l.fields.time == i64::MIN {
        l.fields.clock = clock;
    }
    Some(l)
}

/// What follows a line's time (`i64::MIN` for a time of day alone).
fn parse_after(time: Millis, rest: &str, depth: u8) -> Option<Line<'_>> {
    let json = rest.trim_start();
    let timed = (time != i64::MIN).then_some(time);
    if depth < 3
        && json.starts_with('{')
        && let Some(inner) = super::json::parse_timed(json, depth + 1, timed)
    {
        return Some(inner);
    }
    if json.starts_with(|c: char| c.is_ascii_uppercase())
        && crate::model::Method::parse(json.split(' ').next().unwrap_or("")).is_some()
        && let Some(mut inner) = super::access::parse(json)
    {
        if inner.fields.time == i64::MIN {
            inner.fields.time = time;
        }
        return Some(inner);
    }
    if depth < 3
        && json.ends_with('}')
        && let Some(at) = super::needle!(b"\t{").find(json.as_bytes())
        && let Some(obj) = json.get(at + 1..)
        && let Some(inner) = super::json::parse_timed(obj, depth + 1, timed)
        && matches!(inner.kind, Kind::Http | Kind::Webhook)
    {
        return Some(inner);
    }
    // An SDK's error, a logged webhook body, a signature failure.
    if let Some(l) = super::sdk::parse(rest, time) {
        return Some(l);
    }
    let (level, message) = level_and_message(rest);
    let f = Fields {
        time,
        level,
        message: (!message.is_empty()).then_some(Cow::Borrowed(message.trim_end())),
        ..Fields::default()
    };
    Some(Line { kind: Kind::Log, fields: f, extras: None, format: formats::TIMED_TEXT })
}
