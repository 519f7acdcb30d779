//! Every other line that starts with a time: application logging (Python's
//! logging and Flask, gunicorn, Go's log, Spring Boot, Rails, Apache's error
//! log, Heroku's `app[web.1]:` lines…) becomes a `log` record with its time,
//! level and message.
//!
//! ```text
//! 2025-07-13 23:45:53,732 - modules.routes.webhook - ERROR - 無效的簽名
//! [2026-04-23 03:45:19 +0000] [58] [INFO] Starting gunicorn 25.3.0
//! 2022/04/13 06:19:44 linebot: APIError 400 A message (messages[0]) …
//! I, [2026-11-20T08:00:00.123456 #1234]  INFO -- : Started POST "/callback"
//! ```
//!
//! Before the time there may be an opening bracket, a Rails severity letter
//! (`I, [`), or one bracketed tag that is not a time (`[pipeline.log] `).

use std::borrow::Cow;

use super::formats;
use super::{Fields, Line};
use crate::model::{Kind, Level};
use crate::time::{Millis, leading_time};

/// The line's leading time and the text after it.
pub fn leading(line: &str) -> Option<(Millis, &str)> {
    let t = line.trim_start();
    if let Some(x) = at(t) {
        return Some(x);
    }
    // Rails: `I, [2026-11-20T08:00:00.123456 #1234]`
    let t = match t.as_bytes() {
        [c, b',', b' ', b'[', ..] if c.is_ascii_uppercase() => t.get(3..)?,
        _ => t,
    };
    let inner = t.strip_prefix('[')?;
    if let Some(x) = at(inner) {
        return Some(x);
    }
    // One tag before the time: `[pipeline_20260319.log] 2026-03-19 07:00:05,172`.
    let close = inner.find(']').filter(|&i| i <= 64)?;
    let after = inner.get(close + 1..)?.trim_start();
    if after.starts_with('[') { at(after.get(1..)?) } else { at(after) }
}

fn at(s: &str) -> Option<(Millis, &str)> {
    leading_time(s).and_then(|(ms, n)| Some((ms, s.get(n..)?)))
}

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

/// A timed line as a `log` record; a JSON line after the time (`kubectl
/// logs --timestamps` of a JSON logger) is read as that line, with this
/// time when it has none.
pub fn parse(line: &str, depth: u8) -> Option<Line<'_>> {
    let (time, rest) = leading(line)?;
    let json = rest.trim_start();
    if depth < 3
        && json.starts_with('{')
        && let Some(inner) = super::json::parse_timed(json, depth + 1, Some(time))
    {
        return Some(inner);
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
