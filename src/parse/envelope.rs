//! Platform envelopes around a log line, peeled before the line is read:
//!
//! ```text
//! 2020-12-07T15:32:38.994574754Z stdout F <line>                 Kubernetes CRI log file
//! <158>1 2020-03-09T03:27:45.206870+00:00 heroku router - - <line> syslog RFC 5424 (Heroku drains;
//!                                                                  structured data optional, as
//!                                                                  Papertrail prints them)
//! <13>Nov 20 08:00:00 host app[42]: <line>                       syslog RFC 3164
//! Nov 20 08:00:00 host app[42]: <line>                           journalctl's default output
//! 2020-05-12T06:33:53.362201+00:00 app[web.1]: <line>            heroku logs
//! [pod/echo-7cfd7bf68f-nk5kr/hello] <line>                       kubectl logs --prefix
//! db_1            | <line>                                       docker compose
//! "<line, JSON-escaped>\n",                                       a line quoted as a JSON string
//! [NAMESPACE ]bot-7cfd7bf68f-nk5kr web <line>                    stern (colours removed)
//! 2026-11-20T08:00:00.123000+00:00 STREAM <line>                 aws logs tail (detailed)
//! ```
//!
//! JSON envelopes (Docker's json-file, `journalctl -o json`, Cloud Logging,
//! CloudWatch) are read by the JSON parser, which hands their message here
//! through [`inner`]. The envelope's time stands when the inner line has
//! none; its origin (stream, pod, dyno, unit, host) is kept on the record.
//! An inner line no format reads becomes a `log` record with the envelope's
//! time, unless it continues an entry (a traceback line): then it joins the
//! record above it, as it would without the envelope.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::formats::{self, FormatId};
use super::{Line, Parsed};
use crate::model::Kind;
use crate::time::{Millis, leading_time, parse_time};

/// What an envelope holds.
pub struct Peeled<'a> {
    pub inner: Cow<'a, str>,
    pub time: Option<Millis>,
    pub origin: Option<Cow<'a, str>>,
    pub format: FormatId,
}

static SYSLOG_5424: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|\s)<\d{1,3}>1 (?P<time>\S+) (?P<host>\S+) (?P<app>\S+) (?P<proc>\S+) \S+ (?:(?:-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: |$))?(?P<msg>.*)$",
    )
    .ok()
});

static SYSLOG_3164: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"^(?:<\d{1,3}>)?(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<clock>\d{2}:\d{2}:\d{2}(?:\.\d+)?) (?P<host>\S+) (?P<tag>[^:\[\s]+)(?:\[(?P<pid>\d+)\])?: ?(?P<msg>.*)$",
    )
    .ok()
});

static KUBECTL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\[(?P<origin>pod/[^\]\s]+)\] ?(?P<msg>.*)$").ok());

static COMPOSE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^(?P<origin>[A-Za-z0-9][\w.-]*)\s+\| ?(?P<msg>.*)$").ok());

/// ANSI colour and cursor sequences (docker compose colours its prefixes).
static ANSI: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").ok());

fn b<'a>(s: &'a str) -> Cow<'a, str> {
    Cow::Borrowed(s)
}

/// A text envelope around the line, if there is one.
pub fn peel(line: &str) -> Option<Peeled<'_>> {
    let bytes = line.as_bytes();
    let first = *bytes.first()?;
    if first == b'"' {
        return quoted(line);
    }
    if first == b'[' && line.starts_with("[pod/") {
        let c = KUBECTL.as_ref()?.captures(line)?;
        return Some(Peeled {
            inner: b(c.name("msg")?.as_str()),
            time: None,
            origin: c.name("origin").map(|m| b(m.as_str())),
            format: formats::KUBECTL,
        });
    }
    if first.is_ascii_digit() {
        // By hand: these are split on their spaces, no regex needed.
        let [w0, w1, w2, _] = super::words::<4>(line).map(Option::unwrap_or_default);
        // CRI: TIME stdout|stderr F|P …
        if matches!(w1, "stdout" | "stderr")
            && matches!(w2, "F" | "P")
            && let Some(t) = parse_time(w0)
        {
            let msg = line.get(w0.len() + w1.len() + w2.len() + 3..).unwrap_or("");
            return Some(Peeled { inner: b(msg), time: Some(t), origin: Some(b(w1)), format: formats::CRI });
        }
        // journalctl -o short-iso: TIME HOST TAG[PID]: …
        if let Some(tag) = w2.strip_suffix(':')
            && !w1.is_empty()
            && !w1.contains(['[', ']', ':', '='])
            && crate::model::Level::parse(w1).is_none()
            && crate::model::Level::parse(tag).is_none()
            && tag.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && tag.chars().all(|c| c.is_ascii_alphanumeric() || "[]._-@/".contains(c))
            && let Some(t) = parse_time(w0)
        {
            let msg = line.get(w0.len() + w1.len() + w2.len() + 3..).unwrap_or("");
            let origin = Cow::Owned(format!("{w1} {tag}"));
            return Some(Peeled { inner: b(msg), time: Some(t), origin: Some(origin), format: formats::SYSLOG });
        }
        // aws logs tail (detailed): TIME STREAM …, the time as Python's
        // `isoformat(timespec='microseconds')` prints a UTC time.
        if w0.len() == 32
            && w0.ends_with("+00:00")
            && w0.as_bytes().get(19) == Some(&b'.')
            && is_stream_name(w1)
            && let Some(t) = parse_time(w0)
        {
            let msg = line.get(w0.len() + w1.len() + 2..).unwrap_or("");
            return Some(Peeled { inner: b(msg), time: Some(t), origin: Some(b(w1)), format: formats::CLOUDWATCH });
        }
        // heroku logs: TIME app[web.1]: … / TIME heroku[router]: …
        if (w1.starts_with("app[") || w1.starts_with("heroku["))
            && let Some(origin) = w1.strip_suffix(':').filter(|o| o.ends_with(']'))
            && let Some(t) = parse_time(w0)
        {
            let msg = line.get(w0.len() + w1.len() + 2..).unwrap_or("");
            return Some(Peeled {
                inner: b(msg),
                time: Some(t),
                origin: Some(b(origin)),
                format: formats::HEROKU_LOGS,
            });
        }
    }
    if super::needle!(b">1 ").find(bytes).is_some()
        && let Some(c) = SYSLOG_5424.as_ref().and_then(|r| r.captures(line))
    {
        let time = c.name("time").and_then(|m| parse_time(m.as_str()));
        let origin = match (c.name("app").map(|m| m.as_str()), c.name("proc").map(|m| m.as_str())) {
            (Some(a), Some(p)) if p != "-" => format!("{a}[{p}]"),
            (Some(a), _) => a.to_owned(),
            _ => String::new(),
        };
        let host = c.name("host").map_or("-", |m| m.as_str());
        let origin = if host == "-" { origin } else { format!("{host} {origin}") };
        return Some(Peeled {
            inner: b(c.name("msg")?.as_str()),
            time,
            origin: Some(Cow::Owned(origin)),
            format: formats::SYSLOG,
        });
    }
    if (first == b'<' || first.is_ascii_uppercase())
        && let Some(c) = SYSLOG_3164.as_ref().and_then(|r| r.captures(line))
    {
        let time =
            crate::time::syslog_time(c.name("mon")?.as_str(), c.name("day")?.as_str(), c.name("clock")?.as_str());
        let tag = c.name("tag").map_or("", |m| m.as_str());
        let origin = match c.name("pid") {
            Some(p) => format!("{} {tag}[{}]", c.name("host").map_or("", |m| m.as_str()), p.as_str()),
            None => format!("{} {tag}", c.name("host").map_or("", |m| m.as_str())),
        };
        return Some(Peeled {
            inner: b(c.name("msg")?.as_str()),
            time,
            origin: Some(Cow::Owned(origin)),
            format: formats::SYSLOG,
        });
    }
    // stern and docker compose colour their prefixes: read without colours.
    if !(first.is_ascii_alphanumeric() || first == 0x1b) {
        return None;
    }
    let plain = match ANSI.as_ref() {
        Some(re) if memchr::memchr(0x1b, bytes).is_some() => re.replace_all(line, ""),
        _ => b(line),
    };
    let first = plain.as_bytes().first().copied().unwrap_or(b' ');
    if (first.is_ascii_lowercase() || first.is_ascii_digit())
        && let Some(p) = stern(&plain)
    {
        return Some(p);
    }
    if memchr::memchr(b'|', plain.as_bytes()).is_some()
        && first.is_ascii_alphanumeric()
        && let Some(c) = COMPOSE.as_ref().and_then(|r| r.captures(&plain))
    {
        let origin = c.name("origin").map(|m| m.as_str().to_owned());
        let msg = c.name("msg").map(|m| m.as_str().to_owned())?;
        return Some(Peeled {
            inner: Cow::Owned(msg),
            time: None,
            origin: origin.map(Cow::Owned),
            format: formats::COMPOSE,
        });
    }
    None
}

/// A CloudWatch log stream's name (`2026/11/20/[$LATEST]f897…`,
/// `ecs/web/5e2f…`, `i-0abc…`): one word that is not a level or a tag.
fn is_stream_name(w: &str) -> bool {
    !w.is_empty()
        && !w.ends_with(':')
        && !w.contains(['=', '"'])
        && crate::model::Level::parse(w).is_none()
        && crate::model::Level::parse(w.trim_matches(|c| c == '[' || c == ']')).is_none()
}

/// A Kubernetes pod name made by a controller: a lowercase DNS name that
/// ends in `-` and the five characters Kubernetes draws its random suffixes
/// from (no vowels, no 0, 1 or 3), as in `bot-7cfd7bf68f-nk5kr`.
fn is_pod_name(w: &str) -> bool {
    let Some((stem, suffix)) = w.rsplit_once('-') else { return false };
    suffix.len() == 5
        && suffix.bytes().all(|c| b"bcdfghjklmnpqrstvwxz2456789".contains(&c))
        && !stem.is_empty()
        && is_dns_name(stem)
}

fn is_dns_name(w: &str) -> bool {
    !w.is_empty()
        && w.len() <= 253
        && w.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
        && !w.starts_with('-')
}

/// stern's default output: `[NAMESPACE ]POD CONTAINER line`. Only a pod
/// name of a controller's shape is taken as one (see [`is_pod_name`]): two
/// plain words at the start of a line are far more often just words.
fn stern(line: &str) -> Option<Peeled<'static>> {
    let [w0, w1, w2, _] = super::words::<4>(line);
    let (w0, w1) = (w0?, w1?);
    let origin_end = if is_pod_name(w0) && is_dns_name(w1) {
        w0.len() + 1 + w1.len()
    } else if is_dns_name(w0) && is_pod_name(w1) && w2.is_some_and(is_dns_name) {
        w0.len() + w1.len() + w2.map_or(0, str::len) + 2
    } else {
        return None;
    };
    let origin = line.get(..origin_end)?;
    let msg = line.get(origin_end + 1..).unwrap_or("");
    Some(Peeled {
        inner: Cow::Owned(msg.to_owned()),
        time: None,
        origin: Some(Cow::Owned(origin.replace(' ', "/"))),
        format: formats::STERN,
    })
}

/// A line written out as a JSON string (`"…\n",` in a notebook's outputs).
fn quoted(line: &str) -> Option<Peeled<'_>> {
    let t = line.trim_end();
    let t = t.strip_suffix(',').unwrap_or(t);
    if t.len() < 2 || !t.ends_with('"') {
        return None;
    }
    let s: String = serde_json::from_str(t).ok()?;
    let s = s.trim_end_matches(['\n', '\r']).to_owned();
    Some(Peeled { inner: Cow::Owned(s), time: None, origin: None, format: formats::QUOTED })
}

/// Read what an envelope holds. The inner line's own time stands; the
/// envelope's fills in when it has none. An inner line no format reads is
/// a `log` record when the envelope gave a time (every timed line is a
/// record), unparsed otherwise. `depth` bounds envelopes inside envelopes.
pub fn inner(p: Peeled<'_>, depth: u8) -> Parsed<'_> {
    let parsed = if depth >= 3 {
        super::Parsed::Unparsed
    } else if p.inner.trim_start().starts_with('{') {
        // A JSON logger's line without a time of its own takes the envelope's.
        match super::json::parse_timed(p.inner.trim(), depth + 1, p.time) {
            Some(l) => Parsed::Record(l),
            None => Parsed::Unparsed,
        }
    } else if p.time.is_some() {
        // A year-less inner time (syslog's) takes its year from the envelope's.
        crate::time::with_reference(p.time, || super::parse_line_at(&p.inner, depth + 1))
    } else {
        super::parse_line_at(&p.inner, depth + 1)
    };
    let mut line = match parsed {
        Parsed::Record(l) => l.into_owned(),
        Parsed::Blank => return Parsed::Blank,
        // A traceback line in a CRI file has the envelope's time, but it
        // continues the entry above it: left unparsed for ingestion to join.
        Parsed::Unparsed if super::is_continuation(&p.inner) => return Parsed::Unparsed,
        Parsed::Header | Parsed::Unparsed => {
            let Some(time) = p.time else { return Parsed::Unparsed };
            let message = p.inner.trim();
            let (level, message) = super::logline::level_and_message(message);
            Line {
                kind: Kind::Log,
                fields: super::Fields {
                    time,
                    level,
                    message: Some(Cow::Owned(message.to_owned())),
                    ..super::Fields::default()
                },
                extras: None,
                format: p.format,
            }
        }
    };
    // A logged body or event without a time of its own took its first
    // event's `timestamp`: the envelope's time, when the line was written,
    // comes first.
    let from_event = matches!(line.format, formats::WEBHOOK_BODY | formats::WEBHOOK_EVENT);
    if (line.fields.time == i64::MIN || from_event)
        && let Some(t) = p.time
    {
        line.fields.time = t;
    }
    if line.fields.origin.is_none() {
        line.fields.origin = p.origin.map(|o| Cow::Owned(o.into_owned()));
    }
    Parsed::Record(line)
}

/// Whether the line is the first part of a line its runtime split: a CRI
/// file's `P` (partial) line, or a Docker json-file entry whose `log` does
/// not end in a newline. Ingestion joins what follows, up to the last part,
/// to it. A partial line at the end of the input stays as it is.
pub fn is_partial(line: &str) -> bool {
    let t = line.trim_start();
    if t.starts_with('{') {
        if super::needle!(b"\"log\"").find(t.as_bytes()).is_none() {
            return false;
        }
        #[derive(serde::Deserialize)]
        struct Docker<'a> {
            #[serde(borrow)]
            log: Option<Cow<'a, str>>,
            stream: Option<Cow<'a, str>>,
        }
        return serde_json::from_str::<Docker>(t)
            .ok()
            .is_some_and(|d| d.stream.is_some() && d.log.is_some_and(|l| !l.ends_with('\n')));
    }
    let [Some(time), Some(stream), Some(tag), _] = super::words::<4>(t) else { return false };
    tag == "P" && matches!(stream, "stdout" | "stderr") && time.starts_with(|c: char| c.is_ascii_digit())
}

/// A leading time of an RFC 3339 form inside an envelope field.
pub fn time_of(s: &str) -> Option<Millis> {
    parse_time(s).or_else(|| leading_time(s).map(|x| x.0))
}
