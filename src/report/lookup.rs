//! `linelens lookup --request-id ID`: one request and everything linked to
//! it, in the form a user pastes into a LINE support inquiry.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::analysis::{Analyzer, BurstReport, Direction, FloodReport};
use crate::escape::escape_control;
use crate::model::{Kind, NONE};
use crate::parse::{Parsed, parse_line};
use crate::record_view::{RecordView, ViewOptions};
use crate::store::Store;

pub use crate::record_view::{EventRef, Inferred, RecordRef, Related};

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
        let opts = ViewOptions { infer_window: analyzer.thresholds.infer_window, ..Default::default() };
        let Some(mut view) = RecordView::load(store, rid, &opts) else { continue };
        let links = view.links.take().unwrap_or_default();
        let mut floods = Vec::new();
        if rec.aux != NONE
            && rec.kind() == Kind::Api
            && let Some(meta) = store.api.get(rec.aux)
        {
            let mut users: Vec<u32> = store.api_users(&meta).to_vec();
            // The users of the events it answered (see `links`).
            if meta.token != 0 {
                let answered: Vec<u32> = store.events_with_reply_token(meta.token).collect();
                users.extend(answered.iter().filter_map(|&i| store.events.get(i)).map(|e| e.user));
            }
            users.sort_unstable();
            users.dedup();
            for u in users.into_iter().filter(|&u| u != NONE) {
                if let Some(f) = analyzer.flood_of(store, u, Direction::Outbound, rec.ts()) {
                    floods.push(FloodReport::from(&f));
                }
            }
        }
        let is_reply = crate::analysis::Endpoint::of(store.syms.resolve(rec.path)) == crate::analysis::Endpoint::Reply;
        found.push(Found {
            is_reply,
            request: RecordRef::of(store, rec),
            fields: view.logged_fields(),
            answered_events: links.answered_events,
            retries: links.retries,
            burst: analyzer.burst_of(&rec).map(|b| BurstReport::from(&b)),
            floods,
            inferred_webhook: links.inferred_webhook,
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
