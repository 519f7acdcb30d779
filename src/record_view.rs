//! One record as every consumer shows it: [`RecordView`] is what `tail`
//! prints as a JSON line, what `lookup` lists under `fields` and links, and
//! what the screen's detail pane draws. Each consumer renders the same
//! value; none of them reads a record's line on its own.
//!
//! ```text
//! a line's text ──▶ RecordView::of_text ──▶ tail (JSON line)
//! store + record ─▶ RecordView::load ─────▶ lookup (text, JSON) · detail pane
//!                   (the entry read again, continuation lines, the store's
//!                    time and signature state, links by identifier)
//! ```

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::model::{Kind, NONE, Record, RecordId};
use crate::parse::{Parsed, body::parse_webhook_body, parse_line};
use crate::signature::SigState;
use crate::store::{Store, hash_id};
use crate::time::{Millis, format_rfc3339};

/// One record: what its line logged, under the canonical keys of the
/// JSON-lines input format, and what linelens knows about it.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RecordView {
    /// What the line was read as: `api`, `webhook`, `miniapp`, `http`,
    /// `log`, `unparsed` or `header`.
    pub kind: &'static str,
    /// The format that read it (none for an unparsed line or a header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<&'static str>,
    #[serde(serialize_with = "rfc3339", skip_serializing_if = "Option::is_none")]
    pub time: Option<Millis>,
    /// The line gave a time of day only; the date was inferred.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub time_inferred: bool,
    #[serde(flatten)]
    pub fields: Fields,
    /// Text formats: what follows the columns they read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extras: Option<String>,
    /// A webhook's: checked against the channel secret, or how a line
    /// reporting a rejected signature says it failed.
    #[serde(serialize_with = "sig_state", skip_serializing_if = "Option::is_none")]
    pub signature_state: Option<SigState>,
    /// A webhook body's `destination` (the bot's user ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// A webhook body's events (their metadata; message text only when asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventView>>,
    /// An unparsed line or a header: the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub source: String,
    /// 1-based line number in its source (none where it is not known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The lines joined to the record's (a traceback under a log line).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub continuation: Vec<String>,
    /// Records linked to this one (only from a store).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<LinksView>,
    /// A webhook's body as logged (the events above are read from it).
    #[serde(skip)]
    pub webhook_body: Option<Value>,
    /// Every field the line logged as written: a JSON line's object, string
    /// bodies that hold JSON expanded (see [`RecordView::logged_fields`]).
    #[serde(skip)]
    pub as_written: Option<Map<String, Value>>,
    /// Bytes of the record's line (all of an entry read as one record).
    #[serde(skip)]
    pub length: usize,
}

/// The fields a line logged, canonical names (absent ones left out).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Fields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<&'static str>,
    /// A webhook's or another route's: the path it was received on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A request the bot sent: the endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Bodies: JSON where they hold JSON, else their text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<Value>,
}

/// One webhook event's metadata, keys as in the webhook body.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct EventView {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(rename = "webhookEventId", skip_serializing_if = "Option::is_none")]
    pub webhook_event_id: Option<String>,
    #[serde(rename = "userId", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(rename = "replyToken", skip_serializing_if = "Option::is_none")]
    pub reply_token: Option<String>,
    #[serde(rename = "messageId", skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(rename = "unsendMessageId", skip_serializing_if = "Option::is_none")]
    pub unsend_message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Where a record lives and what it was: how a linked record is named.
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
    /// The record's time, for a screen that shows it in its own zone.
    #[serde(skip)]
    pub ts: Millis,
}

/// A webhook event a reply answered.
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

/// A record linked by a retry key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Related {
    /// `same retry key`, `accepted request` or `accepted by`.
    pub relation: String,
    #[serde(flatten)]
    pub record: RecordRef,
}

/// The webhook receipt just before an API request: a guess by time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Inferred {
    /// Always `inferred by time`: not an exact link.
    pub label: String,
    pub seconds_before: f64,
    pub ip: Option<String>,
    #[serde(flatten)]
    pub record: RecordRef,
}

/// The records linked to one (see [`crate::analysis::links`]).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct LinksView {
    /// For a reply: the webhook events whose reply token it carries.
    pub answered_events: Vec<EventRef>,
    /// For a webhook receipt: the replies to its events.
    pub replies: Vec<RecordRef>,
    /// Requests sent with the same retry key, the request a 409 names as
    /// accepted, the 409s that name this one.
    pub retries: Vec<Related>,
    /// Not an exact link: the webhook just before an API request that
    /// logged no body to tie them.
    pub inferred_webhook: Option<Inferred>,
}

/// What a view shows beyond the line.
#[derive(Debug, Clone, Default)]
pub struct ViewOptions {
    /// Events' message text (never that of an unsent message).
    pub with_text: bool,
    /// For a webhook read from text: check its signature with these.
    pub secrets: Option<std::sync::Arc<crate::signature::Secrets>>,
    /// How far back the inferred webhook link looks (from a store).
    pub infer_window: Millis,
}

fn rfc3339<S: Serializer>(t: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&format_rfc3339(*t)),
        None => s.serialize_none(),
    }
}

fn sig_state<S: Serializer>(t: &Option<SigState>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(t.as_str()),
        None => s.serialize_none(),
    }
}

/// A body's value: JSON where it holds JSON, else its text.
fn body_value(b: &crate::parse::Body<'_>) -> Value {
    let text = b.text();
    serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()))
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

fn owned(c: &Option<std::borrow::Cow<'_, str>>) -> Option<String> {
    c.as_deref().map(str::to_owned)
}

impl RecordView {
    /// The view of a line's text alone (no store: its time as the line
    /// gives it, its signature checked with `opts.secrets`). `None` for a
    /// blank line.
    pub fn of_text(text: &str, source: &str, line: Option<u64>, opts: &ViewOptions) -> Option<RecordView> {
        let mut v = RecordView::of_line(&parse_line(text), text, opts)?;
        v.source = source.to_owned();
        v.line = line;
        Some(v)
    }

    /// The view of what a line was read as (`text` is the line); `None`
    /// for a blank line. A header or an unparsed line is its text.
    pub fn of_line(parsed: &Parsed<'_>, text: &str, opts: &ViewOptions) -> Option<RecordView> {
        let kind = match parsed {
            Parsed::Blank => return None,
            Parsed::Record(l) => return Some(RecordView::of_parsed(l, text, opts)),
            Parsed::Header => "header",
            Parsed::Unparsed => "unparsed",
        };
        Some(RecordView { kind, text: Some(text.to_owned()), length: text.len(), ..Default::default() })
    }

    /// The view of a parsed line (`text` is the line it was read from).
    pub fn of_parsed(l: &crate::parse::Line<'_>, text: &str, opts: &ViewOptions) -> RecordView {
        let f = &l.fields;
        let by_path = matches!(l.kind, Kind::Webhook | Kind::Http);
        let target = l.target().map(str::to_owned);
        let fields = Fields {
            request_id: owned(&f.request_id),
            ip: owned(&f.ip),
            method: f.method.map(|m| m.as_str()),
            path: if by_path { target.clone() } else { None },
            endpoint: if by_path { None } else { target },
            level: f.level.map(|x| x.as_str()),
            message: owned(&f.message),
            user_agent: owned(&f.user_agent),
            origin: owned(&f.origin),
            retry_key: owned(&f.retry_key),
            accepted_request_id: owned(&f.accepted_request_id),
            signature: owned(&f.signature),
            notification_token: owned(&f.notification_token),
            status: (f.status != 0).then_some(f.status),
            duration_ms: f.duration_ms,
            request_body: f.request_body.as_ref().map(body_value),
            response_body: f.response_body.as_ref().map(body_value),
        };
        let mut v = RecordView {
            kind: l.kind.as_str(),
            format: Some(crate::parse::format_name(l.format)),
            time: (f.time != i64::MIN).then_some(f.time),
            fields,
            extras: owned(&l.extras),
            length: text.len(),
            ..Default::default()
        };
        if let Some(failure) = f.signature_failure {
            // A line that reports a rejected signature says how.
            v.signature_state = Some(failure.state());
        } else if l.kind == Kind::Webhook {
            let raw = f.body.as_ref().filter(|b| b.is_string()).map(|b| b.text());
            let destination = raw.as_deref().and_then(parse_webhook_body).and_then(|w| w.destination);
            v.signature_state = Some(crate::signature::check(
                opts.secrets.as_deref(),
                raw.as_deref(),
                f.signature.as_deref(),
                destination.as_deref(),
            ));
        }
        if let Some(b) = &f.body {
            v.webhook_body = Some(body_value(b));
            if let Some(wb) = parse_webhook_body(&b.text()) {
                v.events = Some(wb.events.iter().map(|e| EventView::of(e, opts.with_text)).collect());
                v.destination = wb.destination.map(std::borrow::Cow::into_owned);
            }
        }
        if text.trim_start().starts_with('{')
            && let Ok(Value::Object(m)) = serde_json::from_str::<Value>(text)
        {
            v.as_written = Some(m.into_iter().map(|(k, v)| (k, expand(v))).collect());
        }
        v
    }

    /// Record `id` of the store: its entry read again (an archive's means
    /// decompressing up to it: never on a screen's drawing thread), with
    /// the store's time, line number and signature state, the lines joined
    /// to it, and its links. Cost: the entry's read, and for each linked
    /// record one line's read; the links' index look-ups.
    pub fn load(store: &Store, id: RecordId, opts: &ViewOptions) -> Option<RecordView> {
        let rec = store.get(id)?;
        let source = store.sources.get(rec.source() as usize).map(|s| s.display.clone()).unwrap_or_default();
        let entry = match store.entry_text(id, rec) {
            Ok(e) => e,
            Err(e) => format!("(cannot read the line again: {})", crate::source::io_reason(&e)),
        };
        // An entry read as one record (an SDK error's block, a wire-log
        // exchange, a pretty-printed object: see `parse::gather`): its
        // fields come from all its lines; else its first line's, the rest
        // joined to it.
        let (text, continuation) = match entry.split_once('\n') {
            Some((first, rest)) => {
                let joined = crate::parse::gather::record_of(&entry).map_or_else(|| first.to_owned(), |(j, _, _)| j);
                (joined, rest.lines().map(str::to_owned).collect())
            }
            None => (entry.clone(), Vec::new()),
        };
        // (A blank entry, its line gone from a changed file, shows as unparsed.)
        let mut v = RecordView::of_line(&parse_line(&text), &text, opts)
            .or_else(|| RecordView::of_line(&Parsed::Unparsed, &text, opts))
            .unwrap_or_default();
        v.source = source;
        v.continuation = continuation;
        v.line = store.line_of(rec).ok();
        v.time = (rec.ts() != i64::MIN).then_some(rec.ts());
        v.time_inferred = store.date_inferred(rec);
        if rec.kind() == Kind::Webhook {
            v.signature_state = Some(store.webhook_meta(rec).map_or(SigState::Unverifiable, |m| m.sig));
        }
        v.links = Some(LinksView::load(store, id, opts.infer_window));
        Some(v)
    }

    /// Every field the line logged: a JSON line's object as written
    /// (string bodies that hold JSON expanded); a text line's fields as
    /// read, its time and what followed its columns.
    pub fn logged_fields(&self) -> Map<String, Value> {
        if let Some(m) = &self.as_written {
            return m.clone();
        }
        let mut m = match serde_json::to_value(&self.fields) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        if let Some(t) = self.time.filter(|_| self.kind != "unparsed") {
            m.insert("time".into(), format_rfc3339(t).into());
        }
        if let Some(x) = &self.extras {
            m.insert("extras".into(), x.clone().into());
        }
        m
    }

    /// As one JSON value (`tail`'s line).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl EventView {
    fn of(e: &crate::parse::body::Event<'_>, with_text: bool) -> EventView {
        EventView {
            event_type: e.kind.str().map(|s| s.into_owned()),
            webhook_event_id: e.webhook_event_id.str().map(|s| s.into_owned()),
            user_id: e.source.as_ref().and_then(|s| s.user_id.str()).map(|s| s.into_owned()),
            reply_token: e.reply_token.str().map(|s| s.into_owned()),
            message_id: e.message.as_ref().and_then(|m| m.id.str()).map(|s| s.into_owned()),
            unsend_message_id: e.unsend.as_ref().and_then(|u| u.message_id.str()).map(|s| s.into_owned()),
            text: if with_text { e.message.as_ref().and_then(|m| m.text.str()).map(|s| s.into_owned()) } else { None },
        }
    }
}

impl RecordRef {
    /// How `rec` is named where it is linked (its line read again for its
    /// target and request ID).
    pub fn of(store: &Store, rec: Record) -> RecordRef {
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
            ts: rec.ts(),
        }
    }
}

impl LinksView {
    /// The links of record `id`, each linked record named.
    pub fn load(store: &Store, id: RecordId, infer_window: Millis) -> LinksView {
        let l = crate::analysis::links::links(store, store.order(), id, infer_window);
        let refs = |ids: &[RecordId]| -> Vec<RecordRef> {
            ids.iter().filter_map(|&r| store.get(r)).map(|x| RecordRef::of(store, x)).collect()
        };
        let mut retries = Vec::new();
        for (relation, list) in [
            ("same retry key", &l.same_retry_key),
            ("accepted request", &l.accepted_request),
            ("accepted by", &l.accepted_by),
        ] {
            retries.extend(refs(list).into_iter().map(|record| Related { relation: relation.into(), record }));
        }
        let inferred_webhook = l.inferred_webhook.and_then(|(w, before)| {
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
                record: RecordRef::of(store, x),
            })
        });
        LinksView {
            answered_events: event_refs(store, &l.answered_events),
            replies: refs(&l.replies),
            retries,
            inferred_webhook,
        }
    }
}

/// The events (by index) named, each with the ID and user its receipt's
/// body gives (identifiers are kept as hashes: the body is read again).
fn event_refs(store: &Store, ids: &[u32]) -> Vec<EventRef> {
    let mut out = Vec::new();
    for &i in ids {
        let Some(e) = store.events.get(i) else { continue };
        let Some(receipt) = store.get(e.record) else { continue };
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
            receipt: RecordRef::of(store, receipt),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_api_line_reads_into_canonical_fields() {
        let line = r#"{"time":"2026-11-20T08:00:01.970Z","kind":"api","method":"POST","endpoint":"https://api.line.me/v2/bot/message/push","status":429,"request_id":"r-1","x-line-retry-key":"k-1","request_body":"{\"to\":\"U1\"}"}"#;
        let v = RecordView::of_text(line, "api.jsonl", Some(7), &ViewOptions::default()).unwrap();
        assert_eq!((v.kind, v.line, v.fields.status), ("api", Some(7), Some(429)));
        assert_eq!(v.fields.retry_key.as_deref(), Some("k-1"));
        assert_eq!(v.fields.endpoint.as_deref(), Some("https://api.line.me/v2/bot/message/push"));
        assert_eq!(v.fields.request_body, Some(serde_json::json!({"to": "U1"})));
        // As written: the logged key, the string body expanded.
        let logged = v.logged_fields();
        assert_eq!(logged.get("x-line-retry-key"), Some(&Value::from("k-1")));
        assert_eq!(logged.get("request_body"), Some(&serde_json::json!({"to": "U1"})));
        let j = v.to_json();
        assert_eq!(j["time"], "2026-11-20T08:00:01.970Z");
        assert_eq!(j["retry_key"], "k-1");
        assert!(j.get("links").is_none() && j.get("time_inferred").is_none());
    }

    #[test]
    fn a_text_line_lists_what_it_logged() {
        let line = "2026-11-20T08:00:01Z ERROR app: push failed status=429";
        let v = RecordView::of_text(line, "app.log", None, &ViewOptions::default()).unwrap();
        assert_eq!(v.kind, "log");
        let logged = v.logged_fields();
        assert_eq!(logged.get("level"), Some(&Value::from("error")));
        assert!(logged.contains_key("time"));
    }

    #[test]
    fn unparsed_and_blank_lines() {
        let v = RecordView::of_text("\u{1b}[31mjunk", "-", Some(3), &ViewOptions::default()).unwrap();
        assert_eq!(
            v.to_json(),
            serde_json::json!({"kind": "unparsed", "source": "-", "line": 3, "text": "\u{1b}[31mjunk"})
        );
        assert!(RecordView::of_text("   ", "-", None, &ViewOptions::default()).is_none());
    }
}
