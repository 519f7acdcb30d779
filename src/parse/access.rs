//! Access logs of the bot's web server: each request line becomes a webhook
//! receipt when it is one of LINE's deliveries, and an `http` record
//! otherwise (health checks, other routes).
//!
//! ```text
//! 10.24.4.132 - - [23/Apr/2026:03:44:54 +0000] "POST /callback HTTP/1.1" 200 334 "-" "LineBotWebhook/2.0"   ncsa
//! 127.0.0.1 - - [13/Nov/2018 10:43:13] "POST /callback HTTP/1.1" 400 -                                        werkzeug
//! INFO:     147.92.150.198:0 - "POST /callback HTTP/1.1" 500 Internal Server Error                            uvicorn
//! at=info method=POST path="/callback" fwd="203.104.132.58" service=846ms status=500 bytes=0                 logfmt
//! 127.0.0.1:55945 [200]: POST /callback                                                                       php-server
//! POST /callback 200 12.345 ms - 2          POST /callback   400 BAD REQUEST                                  morgan, ngrok
//! ```
//!
//! The request part is found anywhere in the line, so the same line behind a
//! logging prefix (`… - werkzeug - INFO - 127.0.0.1 - - […] "POST …"`) or a
//! platform's (`… app[web.1]: 10.1.2.3 - - […]`) is read too. A time inside
//! the access line stands; without one, the line's leading time does.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::formats::{self, FormatId};
use super::{Fields, Line};
use crate::model::{Kind, Method};
use crate::time::{Millis, leading_time};

static PHP: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?:^|\s)(?P<ip>[0-9A-Fa-f:.\[\]]+):(?P<port>\d+) \[(?P<status>\d{3})\]: (?P<method>[A-Z]{3,9}) (?P<path>\S+)"#)
        .ok()
});

static MORGAN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"^(?:(?P<ip>\S+) \S+ )?(?P<method>GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) (?P<path>/\S*)(?: HTTP/[0-9.]+)? (?P<status>\d{3}) (?:(?P<ms>[0-9.]+) ms - \S+|\S+ - (?P<ms2>[0-9.]+) ms)$"#,
    )
    .ok()
});

static NGROK: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"^(?P<method>GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) (?P<path>/\S*)\s+(?P<status>\d{3}) [A-Z][A-Za-z ]*$"#,
    )
    .ok()
});

/// The paths a LINE webhook is posted to when the user agent was not
/// logged: `/callback` and `/webhook`, and any path ending in them, with or
/// without a trailing slash or a query; and the config's `webhook_paths`.
static WEBHOOK_PATHS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// Install the config's `webhook_paths` for this process. The first call
/// wins (one config per run).
pub fn install_webhook_paths(paths: Vec<String>) {
    let _ = WEBHOOK_PATHS.set(paths);
}

pub fn is_webhook_path(path: &str) -> bool {
    let p = super::endpoint_path(path);
    let p = p.strip_suffix('/').unwrap_or(p);
    let configured = WEBHOOK_PATHS.get().map_or(&[][..], Vec::as_slice);
    ["/callback", "/webhook"].iter().any(|w| p.ends_with(w))
        || matches!(p, "callback" | "webhook")
        || configured.iter().any(|w| {
            let w = w.strip_suffix('/').unwrap_or(w);
            !w.is_empty() && (p == w || p.ends_with(w))
        })
}

/// LINE's webhook deliveries say `LineBotWebhook/2.0`.
fn is_line_agent(ua: &str) -> bool {
    ua.starts_with("LineBotWebhook")
}

/// A webhook receipt or another request, by user agent and path.
pub fn classify(method: Method, path: &str, ua: Option<&str>) -> Kind {
    if ua.is_some_and(is_line_agent) || (method == Method::Post && is_webhook_path(path)) {
        Kind::Webhook
    } else {
        Kind::Http
    }
}

/// A client address as written: `::ffff:` and brackets removed.
fn clean_ip(ip: &str) -> &str {
    let ip = ip.strip_prefix('[').and_then(|x| x.strip_suffix(']')).unwrap_or(ip);
    ip.strip_prefix("::ffff:").unwrap_or(ip)
}

/// `846ms`, `0.78s`, `1.2` (seconds, nginx's `$request_time`) as ms.
fn duration(s: &str, bare_unit_ms: bool) -> Option<u64> {
    let s = s.trim_matches('"');
    let (num, factor) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix("µs").or_else(|| s.strip_suffix("us")) {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (s, if bare_unit_ms { 1.0 } else { 1000.0 })
    };
    let v: f64 = num.parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some((v * factor).round() as u64)
}

/// The line's own leading time, past an optional `[`.
fn outer_time(line: &str) -> Option<Millis> {
    crate::time::line_start(line).map(|(t, _)| t)
}

struct Hit<'a> {
    format: FormatId,
    time: Option<Millis>,
    method: Method,
    path: &'a str,
    status: u16,
    ip: Option<&'a str>,
    ua: Option<Cow<'a, str>>,
    duration_ms: Option<u64>,
}

fn status(s: &str) -> Option<u16> {
    super::text::parse_status(s)
}

/// NCSA common/combined, found anywhere in the line:
/// `HOST IDENT USER [TIME] "METHOD PATH[ PROTO]" STATUS BYTES[ "REFERER" "AGENT"][ REST]`.
/// Read by hand around the `] "` that every such line has (a regex with
/// captures cost 2.5 µs a line; nginx logs run to millions of lines).
fn ncsa(line: &str) -> Option<Hit<'_>> {
    let b = line.as_bytes();
    for at in super::needle!(b"] \"").find_iter(b) {
        if let Some(h) = ncsa_at(line, at) {
            return Some(h);
        }
    }
    None
}

/// The NCSA line whose time ends at byte `close` (the `]` of `] "`).
fn ncsa_at(line: &str, close: usize) -> Option<Hit<'_>> {
    let head = line.get(..close)?;
    let open = head.rfind('[')?;
    let time_text = head.get(open + 1..)?;
    let (time, _) = leading_time(time_text)?;
    // HOST IDENT USER before the bracket.
    let before = head.get(..open)?.strip_suffix(' ')?;
    let [_user, _ident, host, _] = super::rwords::<4>(before);
    let host = host?;
    // Python's default logging prefix glued to the host: `INFO:werkzeug:127.0.0.1`.
    let host = match host.rsplit_once(':') {
        Some((pre, h)) if pre.starts_with(|c: char| c.is_ascii_uppercase()) && pre.contains(':') => h,
        _ => host,
    };
    let rest = line.get(close + 3..)?;
    let q = rest.find('"')?;
    let request = rest.get(..q)?;
    let [method, path, _] = super::words::<3>(request);
    let method = Method::parse(method?)?;
    let path = path.filter(|p| !p.is_empty())?;
    let after = rest.get(q + 1..)?.strip_prefix(' ')?;
    let [st, _bytes, more] = super::words::<3>(after);
    let st = status(st?)?;
    let more = more.unwrap_or("").trim();
    // `"REFERER" "AGENT"` then maybe nginx's `$request_time` (seconds).
    let (ua, rest) = match quoted_pair(more) {
        Some((ua, rest)) => (Some(ua), rest),
        None => (None, more),
    };
    // Or Traefik's common log: `… "AGENT" COUNT "ROUTER" "SERVER" 3ms`.
    let duration_ms = match rest.split_whitespace().next().filter(|t| t.contains('.')) {
        Some(t) => duration(t, false),
        None => rest.split_whitespace().last().filter(|t| t.ends_with("ms")).and_then(|t| duration(t, true)),
    };
    // `23/Apr/2026:03:44:54 +0000` is the CLF form; Werkzeug's has a space
    // instead of the colon and no zone.
    let format = if time_text.get(11..12) == Some(" ") { formats::WERKZEUG } else { formats::NCSA };
    Some(Hit {
        format,
        time: Some(time),
        method,
        path,
        status: st,
        ip: Some(clean_ip(host)).filter(|s| *s != "-" && !s.is_empty()),
        ua: ua.filter(|s| !s.is_empty() && *s != "-").map(Cow::Borrowed),
        duration_ms,
    })
}

/// `"REFERER" "AGENT" rest` → (AGENT, rest).
fn quoted_pair(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_prefix('"')?;
    let e = s.find('"')?;
    let s = s.get(e + 1..)?.strip_prefix(" \"")?;
    let e = s.find('"')?;
    Some((s.get(..e)?, s.get(e + 1..)?))
}

/// `[TIME] ADDR:PORT [STATUS]: METHOD PATH` (the time optional).
fn php(line: &str) -> Option<Hit<'_>> {
    super::needle!(b"]: ").find(line.as_bytes())?;
    let c = PHP.as_ref()?.captures(line)?;
    Some(Hit {
        format: formats::PHP_SERVER,
        time: outer_time(line),
        method: Method::parse(c.name("method")?.as_str())?,
        path: c.name("path")?.as_str(),
        status: status(c.name("status")?.as_str())?,
        ip: c.name("ip").map(|m| clean_ip(m.as_str())),
        ua: None,
        duration_ms: None,
    })
}

/// `ADDR:PORT - "METHOD PATH PROTO" STATUS …`, by hand around its ` - "`.
fn uvicorn(line: &str) -> Option<Hit<'_>> {
    let at = super::needle!(b" - \"").find(line.as_bytes())?;
    let addr = line.get(..at)?.rsplit(' ').next()?;
    let (host, port) = addr.rsplit_once(':')?;
    if port.is_empty() || !port.bytes().all(|c| c.is_ascii_digit()) || host.is_empty() {
        return None;
    }
    let rest = line.get(at + 4..)?;
    let q = rest.find('"')?;
    let mut parts = rest.get(..q)?.split(' ');
    let method = Method::parse(parts.next()?)?;
    let path = parts.next().filter(|p| !p.is_empty())?;
    parts.next().filter(|p| p.starts_with("HTTP/"))?;
    let st = status(rest.get(q + 1..)?.trim_start().split(' ').next()?)?;
    Some(Hit {
        format: formats::UVICORN,
        time: outer_time(line),
        method,
        path,
        status: st,
        ip: Some(clean_ip(host)),
        ua: None,
        duration_ms: None,
    })
}

fn request_line(line: &str) -> Option<Hit<'_>> {
    let t = line.trim();
    if !t.starts_with(|c: char| c.is_ascii_uppercase()) && !t.starts_with(|c: char| c.is_ascii_hexdigit() || c == ':') {
        return None;
    }
    // Both forms name the method first, or (morgan's with an address)
    // third: a line without it there is neither, and the regexes (a
    // tenth of reading an application's log line) are not run.
    let is_method = |w: Option<&str>| {
        w.is_some_and(|w| matches!(w, "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD" | "OPTIONS"))
    };
    let [w0, _, w2, _] = super::words::<4>(t);
    if !is_method(w0) && !is_method(w2) {
        return None;
    }
    if let Some(c) = MORGAN.as_ref().and_then(|r| r.captures(t)) {
        return Some(Hit {
            format: formats::MORGAN,
            time: None,
            method: Method::parse(c.name("method")?.as_str())?,
            path: c.name("path")?.as_str(),
            status: status(c.name("status")?.as_str())?,
            ip: c.name("ip").map(|m| clean_ip(m.as_str())),
            ua: None,
            duration_ms: c.name("ms").or(c.name("ms2")).and_then(|m| duration(m.as_str(), true)),
        });
    }
    let c = NGROK.as_ref()?.captures(t)?;
    Some(Hit {
        format: formats::NGROK,
        time: None,
        method: Method::parse(c.name("method")?.as_str())?,
        path: c.name("path")?.as_str(),
        status: status(c.name("status")?.as_str())?,
        ip: None,
        ua: None,
        duration_ms: None,
    })
}

/// `key=value` pairs, values optionally double-quoted (`\"` inside quotes).
/// Written here because it is a dozen lines and no logfmt crate borrows
/// from the line the way every other parser here does.
fn logfmt_pairs(s: &str) -> impl Iterator<Item = (&str, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            while b.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            if i >= b.len() {
                return None;
            }
            let ks = i;
            while b.get(i).is_some_and(|c| !c.is_ascii_whitespace() && *c != b'=') {
                i += 1;
            }
            let key = s.get(ks..i)?;
            if b.get(i) != Some(&b'=') {
                continue; // a bare word
            }
            i += 1;
            let value = if b.get(i) == Some(&b'"') {
                i += 1;
                let vs = i;
                while let Some(&c) = b.get(i) {
                    if c == b'\\' {
                        i += 2;
                        continue;
                    }
                    if c == b'"' {
                        break;
                    }
                    i += 1;
                }
                let v = s.get(vs..i.min(b.len()))?;
                i += 1;
                v
            } else {
                let vs = i;
                while b.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
                    i += 1;
                }
                s.get(vs..i)?
            };
            return Some((key, value));
        }
    })
}

fn logfmt(line: &str) -> Option<Hit<'_>> {
    super::needle!(b"status=").find(line.as_bytes())?;
    let (mut method, mut path, mut st, mut ip, mut ua, mut dur, mut time) = (None, None, None, None, None, None, None);
    let mut heroku = false;
    for (k, v) in logfmt_pairs(line) {
        match k {
            "method" => method = Method::parse(v),
            "path" | "uri" | "url" => path = Some(v),
            "status" | "status_code" => st = status(v),
            "fwd" => {
                heroku = true;
                ip = v.split(',').next().map(str::trim);
            }
            "remote_addr" | "client_ip" | "ip" | "remote_ip" if ip.is_none() => ip = Some(v),
            "service" | "duration" | "latency" | "elapsed" | "request_time" => dur = duration(v, true),
            "user_agent" | "ua" | "useragent" => ua = Some(Cow::Borrowed(v)),
            "time" | "ts" | "t" => time = crate::time::parse_time(v).or_else(|| leading_time(v).map(|x| x.0)),
            _ => {}
        }
    }
    Some(Hit {
        format: if heroku { formats::HEROKU_ROUTER } else { formats::LOGFMT },
        time: time.or_else(|| outer_time(line)),
        method: method?,
        path: path?,
        status: st?,
        ip: ip.map(clean_ip).filter(|s| !s.is_empty()),
        ua,
        duration_ms: dur,
    })
}

/// An access line as a record: a webhook receipt or an `http` record. A
/// line without any time gets `i64::MIN`; ingestion gives it the time of the
/// line before, as it does for unparsed lines.
pub fn parse(line: &str) -> Option<Line<'_>> {
    let h = ncsa(line)
        .or_else(|| uvicorn(line))
        .or_else(|| php(line))
        .or_else(|| logfmt(line))
        .or_else(|| request_line(line))?;
    let kind = classify(h.method, h.path, h.ua.as_deref());
    let f = Fields {
        time: h.time.unwrap_or(i64::MIN),
        method: Some(h.method),
        status: h.status,
        ip: h.ip.map(Cow::Borrowed),
        path: Some(Cow::Borrowed(h.path)),
        user_agent: h.ua,
        duration_ms: h.duration_ms,
        ..Fields::default()
    };
    Some(Line { kind, fields: f, extras: None, format: h.format })
}
