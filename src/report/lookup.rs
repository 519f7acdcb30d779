//! `linelens lookup --request-id ID`: one request and everything linked to
//! it, in the form a user pastes into a LINE support inquiry.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::analysis::links::{Links, links, reparse};
use crate::analysis::{Analyzer, BurstReport, Direction, FloodReport};
use crate::escape::escape_control;
use crate::model::{Kind, NONE, Record, RecordId};
use crate::parse::{Parsed, body::parse_webhook_body, parse_line};
use crate::store::{Store, hash_id};
use crate::time::{Millis, format_rfc3339};

/// Where a record lives and what it was.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordRef {
    pub source: String,
    pub line: u64,
    /// `None` for a record whose line has no time.
    pub time: Option<String>,
    /// The line gave a time of day only; the date was inferred.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub time_inferred: bool,
    pub kind: String,
    pub method: String,
    pub target: Option<String>,
    pub status: Option<u16>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventRef {
    pub webhook_event_id: Option<String>,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub user_id: Option<String>,
    pub is_redelivery: bool,
    /// The webhook receipt that carried it.
    pub receipt: RecordRef,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Related {
    /// `same retry key`, `accepted request` or `accepted by`.
    pub relation: String,
    #[serde(flatten)]
    pub record: RecordRef,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Inferred {
    /// Always `inferred by time`: not an exact link.
    pub label: String,
    pub seconds_before: f64,
    pub ip: Option<String>,
    #[serde(flatten)]
    pub record: RecordRef,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Found {
    pub request: RecordRef,
    /// A request to the reply endpoint (so `answered_events` can apply).
    pub is_reply: bool,
    /// Every field the line logged (a JSON line as written, string bodies
    /// holding JSON expanded; a text line's columns).
    pub fields: Map<String, Value>,
    /// The webhook events this request answered (exact: reply token).
    pub answered_events: Vec<EventRef>,
    pub retries: Vec<Related>,
    pub burst: Option<BurstReport>,
    pub floods: Vec<FloodReport>,
    pub inferred_webhook: Option<Inferred>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Lookup {
    pub request_id: String,
    /// The records that carry the ID as their request ID.
    #[serde(alias = "found")]
    pub records: Vec<Found>,
    /// When no record does: every line whose text holds the ID, whatever
    /// it was read as (at most [`MAX_TEXT_MATCHES`]).
    #[serde(default)]
    pub text_matches: Vec<TextMatch>,
}

/// A line holding the ID in its text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TextMatch {
    pub source: String,
    pub line: u64,
    /// What the line was read as: `api`, `webhook`, `http`, `log`, `unparsed`, `header`…
    pub kind: String,
    pub text: String,
}

/// Lines listed at most by a text search.
pub const MAX_TEXT_MATCHES: usize = 100;

/// Every line of every source that holds `id` (a byte search, line by
/// line; compressed sources are decoded again, as a stream).
pub fn text_matches(store: &Store, id: &str) -> Vec<TextMatch> {
    use std::io::BufRead;
    let mut out = Vec::new();
    if id.is_empty() {
        return out;
    }
    let finder = memchr::memmem::Finder::new(id.as_bytes());
    for src in &store.sources {
        let reader: Box<dyn std::io::Read> = match (&src.memory, &src.path) {
            (Some(mem), _) => Box::new(std::io::Cursor::new(mem.clone())),
            (None, Some(path)) => match crate::source::open_from_start(path) {
                Ok(r) => r,
                Err(_) => continue,
            },
            (None, None) => continue,
        };
        let mut r = std::io::BufReader::with_capacity(1 << 16, reader);
        let mut buf = Vec::new();
        let mut line = 0u64;
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            line += 1;
            if finder.find(&buf).is_none() {
                continue;
            }
            let text = String::from_utf8_lossy(buf.strip_suffix(b"\n").unwrap_or(&buf));
            let text = text.strip_suffix('\r').unwrap_or(&text).to_owned();
            let kind = match parse_line(&text) {
                Parsed::Record(l) => l.kind.as_str().to_owned(),
                Parsed::Header => "header".to_owned(),
                Parsed::Blank | Parsed::Unparsed => "unparsed".to_owned(),
            };
            out.push(TextMatch { source: src.display.clone(), line, kind, text });
            if out.len() >= MAX_TEXT_MATCHES {
                return out;
            }
        }
    }
    out
}

fn record_ref(store: &Store, rec: Record) -> RecordRef {
    let text = store.line_text(rec).unwrap_or_default();
    let (target, request_id) = match parse_line(&text) {
        Parsed::Record(l) => (l.target().map(str::to_owned), l.fields.request_id.as_deref().map(str::to_owned)),
        _ => (None, None),
    };
    RecordRef {
        source: store.sources.get(rec.source() as usize).map(|s| s.display.clone()).unwrap_or_default(),
        line: store.line_of(rec).unwrap_or(0),
        time: (rec.ts() != i64::MIN).then(|| format_rfc3339(rec.ts())),
        time_inferred: store.date_inferred(rec),
        kind: rec.kind().as_str().to_owned(),
        method: rec.method().as_str().to_owned(),
        target,
        status: (rec.status() != 0).then_some(rec.status()),
        request_id,
    }
}

/// A JSON value with string bodies that hold JSON expanded.
fn expand(v: Value) -> Value {
    match v {
        Value::String(s) if s.trim_start().starts_with(['{', '[']) => {
            serde_json::from_str(&s).unwrap_or(Value::String(s))
        }
        other => other,
    }
}

fn all_fields(text: &str) -> Map<String, Value> {
    if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(text) {
        return m.into_iter().map(|(k, v)| (k, expand(v))).collect();
    }
    let mut m = Map::new();
    if let Parsed::Record(l) = parse_line(text) {
        let f = &l.fields;
        let target = if l.kind == Kind::Webhook { "path" } else { "endpoint" };
        let fields = [
            ("request_id", f.request_id.as_deref().map(str::to_owned)),
            ("ip", f.ip.as_deref().map(str::to_owned)),
            ("time", (f.time != i64::MIN).then(|| format_rfc3339(f.time))),
            ("method", f.method.map(|x| x.as_str().to_owned())),
            (target, l.target().map(str::to_owned)),
            ("retry_key", f.retry_key.as_deref().map(str::to_owned)),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                m.insert(k.to_owned(), Value::String(v));
            }
        }
        m.insert("status".into(), Value::from(f.status));
        if let Some(d) = f.duration_ms {
            m.insert("duration_ms".into(), Value::from(d));
        }
        // Bodies a text line carried (an SDK error's, a wire-log exchange's).
        for (k, b) in [("request_body", &f.request_body), ("response_body", &f.response_body)] {
            if let Some(b) = b {
                let text = b.text();
                m.insert(k.into(), serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned())));
            }
        }
        if let Some(x) = &l.extras {
            m.insert("extras".into(), Value::String(x.to_string()));
        }
    }
    m
}

fn event_refs(store: &Store, ids: &[u32]) -> Vec<EventRef> {
    let mut out = Vec::new();
    for &i in ids {
        let Some(e) = store.events.get(i) else { continue };
        let Some(receipt) = store.get(e.record) else { continue };
        // Identifiers are kept as hashes: read the body again for the strings.
        let text = store.line_text(receipt).unwrap_or_default();
        let mut id = None;
        let mut user = None;
        if let Parsed::Record(l) = parse_line(&text)
            && let Some(b) = l.fields.body
        {
            let raw = b.text();
            if let Some(wb) = parse_webhook_body(&raw)
                && let Some(ev) =
                    wb.events.iter().find(|ev| ev.reply_token.str().is_some_and(|t| hash_id(&t) == e.reply_token))
            {
                id = ev.webhook_event_id.str().map(|s| s.into_owned());
                user = ev.source.as_ref().and_then(|s| s.user_id.str()).map(|s| s.into_owned());
            }
        }
        out.push(EventRef {
            webhook_event_id: id,
            event_type: (e.event_type != NONE).then(|| store.syms.resolve(e.event_type).to_owned()),
            user_id: user.or_else(|| (e.user != NONE).then(|| store.syms.resolve(e.user).to_owned())),
            is_redelivery: e.is_redelivery,
            receipt: record_ref(store, receipt),
        });
    }
    out
}

/// Look up every record with request ID `id`; when there is none, every
/// line whose text holds it. `None` when it is found nowhere.
pub fn lookup(store: &mut Store, analyzer: &mut Analyzer, id: &str) -> Option<Lookup> {
    let ids = store.find_request(id);
    if ids.is_empty() {
        let text_matches = text_matches(store, id);
        return (!text_matches.is_empty()).then(|| Lookup {
            request_id: id.to_owned(),
            records: Vec::new(),
            text_matches,
        });
    }
    store.timeline();
    let store: &Store = store;
    let mut found = Vec::new();
    for rid in ids {
        let Some(rec) = store.get(rid) else { continue };
        let l: Links = links(store, store.order(), rid, analyzer.thresholds.infer_window);
        let text = reparse(store, &rec).map(|r| r.text).unwrap_or_default();
        let mut retries = Vec::new();
        for (relation, list) in [
            ("same retry key", &l.same_retry_key),
            ("accepted request", &l.accepted_request),
            ("accepted by", &l.accepted_by),
        ] {
            for &r in list {
                if let Some(x) = store.get(r) {
                    retries.push(Related { relation: relation.into(), record: record_ref(store, x) });
                }
            }
        }
        let mut floods = Vec::new();
        if rec.aux != NONE
            && rec.kind() == Kind::Api
            && let Some(meta) = store.api.get(rec.aux)
        {
            let mut users: Vec<u32> = store.api_users(meta).to_vec();
            for e in l.answered_events.iter().filter_map(|&i| store.events.get(i)) {
                users.push(e.user);
            }
            users.sort_unstable();
            users.dedup();
            for u in users.into_iter().filter(|&u| u != NONE) {
                if let Some(f) = analyzer.flood_of(store, u, Direction::Outbound, rec.ts()) {
                    floods.push(FloodReport::from(&f));
                }
            }
        }
        let inferred_webhook = l.inferred_webhook.and_then(|(w, before): (RecordId, Millis)| {
            let x = store.get(w)?;
            let ip = store
                .webhook_meta(x)
                .map(|m| m.ip)
                .filter(|&ip| ip != NONE)
                .map(|ip| store.syms.resolve(ip).to_owned());
            Some(Inferred {
                label: "inferred by time".into(),
                seconds_before: before as f64 / 1000.0,
                ip,
                record: record_ref(store, x),
            })
        });
        let is_reply = crate::analysis::Endpoint::of(store.syms.resolve(rec.path)) == crate::analysis::Endpoint::Reply;
        found.push(Found {
            is_reply,
            request: record_ref(store, rec),
            fields: all_fields(&text),
            answered_events: event_refs(store, &l.answered_events),
            retries,
            burst: analyzer.burst_of(&rec).map(|b| BurstReport::from(&b)),
            floods,
            inferred_webhook,
        });
    }
    Some(Lookup { request_id: id.to_owned(), records: found, text_matches: Vec::new() })
}

pub fn write_json(l: &Lookup, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(crate::escape::to_json(l, true).as_bytes())?;
    writeln!(out)
}

fn describe(r: &RecordRef) -> String {
    let what = [
        r.time.clone(),
        r.request_id.clone(),
        Some(r.method.clone()),
        r.target.clone(),
        r.status.map(|s| s.to_string()),
        Some(format!("({}:{})", r.source, r.line)),
    ];
    escape_control(&what.into_iter().flatten().collect::<Vec<_>>().join("  ")).into_owned()
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

pub fn write_text(l: &Lookup, out: &mut dyn Write) -> io::Result<()> {
    if l.records.is_empty() && !l.text_matches.is_empty() {
        writeln!(
            out,
            "no record has request ID {}; it appears in the text of {}{} line{} (not understood as a LINE request carrying it):",
            escape_control(&l.request_id),
            if l.text_matches.len() >= MAX_TEXT_MATCHES { "at least " } else { "" },
            l.text_matches.len(),
            if l.text_matches.len() == 1 { "" } else { "s" }
        )?;
        for m in &l.text_matches {
            let text = crate::escape::truncate(&m.text, 160).into_owned();
            writeln!(out, "  {}:{}  [{}]  {}", escape_control(&m.source), m.line, m.kind, escape_control(&text))?;
        }
    }
    for (n, f) in l.records.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        let r = &f.request;
        let kind = if r.kind == "miniapp" { "MINI App request" } else { "API request" };
        writeln!(out, "{kind} {}", escape_control(&l.request_id))?;
        let inferred = if r.time_inferred { " (date inferred)" } else { "" };
        writeln!(out, "  time      {}{inferred}", r.time.as_deref().unwrap_or("(no time on the line)"))?;
        writeln!(out, "  source    {}:{}", escape_control(&r.source), r.line)?;
        writeln!(
            out,
            "  request   {} {} → {}",
            r.method,
            escape_control(r.target.as_deref().unwrap_or("-")),
            r.status.map_or("-".into(), |s| s.to_string())
        )?;
        if let Some(b) = &f.burst {
            writeln!(out, "  429 burst {} responses {} → {} ({:?})", b.count, b.start, b.end, b.source)?;
        }
        for fl in &f.floods {
            writeln!(
                out,
                "  flood     {} sends to {} {} → {}",
                fl.count,
                escape_control(&fl.user_id),
                fl.start,
                fl.end
            )?;
        }
        writeln!(out, "  fields")?;
        for (k, v) in &f.fields {
            match v {
                Value::Object(_) | Value::Array(_) => {
                    writeln!(out, "    {}:", escape_control(k))?;
                    for line in pretty(v).lines() {
                        writeln!(out, "      {}", escape_control(line))?;
                    }
                }
                Value::String(s) => writeln!(out, "    {}: {}", escape_control(k), escape_control(s))?,
                other => writeln!(out, "    {}: {other}", escape_control(k))?,
            }
        }
        if f.is_reply && f.answered_events.is_empty() {
            writeln!(out, "  answered  no logged webhook event (exact links need the reply body logged)")?;
        }
        for e in &f.answered_events {
            writeln!(
                out,
                "  answered  webhook event {} ({}) from {}{}, received {}",
                escape_control(e.webhook_event_id.as_deref().unwrap_or("-")),
                escape_control(e.event_type.as_deref().unwrap_or("?")),
                escape_control(e.user_id.as_deref().unwrap_or("-")),
                if e.is_redelivery { ", redelivered" } else { "" },
                describe(&e.receipt)
            )?;
        }
        for x in &f.retries {
            writeln!(out, "  {:<16} {}", x.relation, describe(&x.record))?;
        }
        if let Some(i) = &f.inferred_webhook {
            writeln!(
                out,
                "  likely trigger (inferred by time, not an exact link): webhook from {} {:.3} s before: {}",
                escape_control(i.ip.as_deref().unwrap_or("?")),
                i.seconds_before,
                describe(&i.record)
            )?;
        }
    }
    Ok(())
}
