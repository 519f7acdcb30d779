//! Links between records, for `lookup` and the detail views.
//!
//! Exact links come from identifiers logged on both sides: a reply's
//! replyToken and the event that carried it, a shared `x-line-retry-key`, a
//! 409's `x-line-accepted-request-id`. An *inferred* link (the webhook
//! receipt just before an API request, when no body ties them) is kept
//! apart and always labelled as inferred; it never counts in any number.

use crate::model::{Kind, Record, RecordId};
use crate::parse::{Parsed, parse_line};
use crate::store::timeline::Order;
use crate::store::{Store, hash_id};
use crate::time::Millis;

use super::timeline_key;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// For a reply request: the events (by index) whose replyToken it carries.
    pub answered_events: Vec<u32>,
    /// For a webhook receipt: reply requests carrying its events' tokens.
    pub replies: Vec<RecordId>,
    /// Other requests sent with the same retry key.
    pub same_retry_key: Vec<RecordId>,
    /// For a 409: the request its accepted-request ID names.
    pub accepted_request: Vec<RecordId>,
    /// Requests (409s) whose accepted-request ID names this one.
    pub accepted_by: Vec<RecordId>,
    /// Inferred by time only: the nearest webhook receipt before this API
    /// request, and how long before it was.
    pub inferred_webhook: Option<(RecordId, Millis)>,
}

/// What a record's line says beyond the compact record (read again).
#[derive(Debug, Clone, Default)]
pub struct Reread {
    pub text: String,
    pub request_id: Option<String>,
    pub accepted_request_id: Option<String>,
    pub has_request_body: bool,
}

pub fn reparse(store: &Store, rec: &Record) -> Option<Reread> {
    let text = store.line_text(*rec).ok()?;
    let mut out = Reread::default();
    if let Parsed::Record(l) = parse_line(&text) {
        out.request_id = l.fields.request_id.map(|c| c.into_owned());
        out.accepted_request_id = l.fields.accepted_request_id.map(|c| c.into_owned());
        out.has_request_body = l.fields.request_body.is_some();
    }
    out.text = text;
    Some(out)
}

/// All links of record `id`. `order` is the store's timeline (for the
/// inferred link); `infer_window` bounds how far back it looks. Cost, per
/// record asked (one selection on the screen, one `lookup`): index look-ups
/// by token, retry key and accepted ID, a binary search in the timeline and
/// a walk back over at most `infer_window` of it.
pub fn links(store: &Store, order: Order<'_>, id: RecordId, infer_window: Millis) -> Links {
    let mut out = Links::default();
    let Some(rec) = store.get(id) else { return out };
    match rec.kind() {
        Kind::Api | Kind::MiniApp => {
            if let Some(meta) = (rec.aux != crate::model::NONE).then(|| store.api.get(rec.aux)).flatten() {
                if rec.kind() == Kind::Api && meta.token != 0 {
                    out.answered_events = store.events_with_reply_token(meta.token).collect();
                }
                if meta.retry_key != 0 {
                    out.same_retry_key = store.requests_with_retry_key(meta.retry_key).filter(|&r| r != id).collect();
                    out.same_retry_key.sort_by_key(|&r| store.get(r).map(timeline_key));
                }
            }
            let line = reparse(store, &rec).unwrap_or_default();
            if let Some(acc) = &line.accepted_request_id {
                out.accepted_request = store.find_request(acc);
            }
            if let Some(req) = &line.request_id {
                out.accepted_by = store.by_accepted_id.get(hash_id(req)).filter(|&r| r != id).collect();
            }
            // Only where no body was logged to link exactly.
            if rec.kind() == Kind::Api && !line.has_request_body {
                out.inferred_webhook = nearest_webhook_before(store, order, &rec, infer_window);
            }
        }
        Kind::Webhook => {
            if let Some(meta) = store.webhook_meta(rec) {
                for e in store.receipt_events(&meta) {
                    if e.reply_token != 0 {
                        out.replies.extend(store.replies_with_token(e.reply_token));
                    }
                }
                out.replies.sort_by_key(|&r| store.get(r).map(timeline_key));
                out.replies.dedup();
            }
        }
        Kind::Unparsed | Kind::Http | Kind::Log => {}
    }
    out
}

/// The webhook receipt closest before `rec` within `window`.
fn nearest_webhook_before(store: &Store, order: Order<'_>, rec: &Record, window: Millis) -> Option<(RecordId, Millis)> {
    // Untimed records (the `i64::MIN` sentinel) have no distance to anything.
    let t = rec.time()?;
    let pos = order.partition_point(|r| store.get(r).is_some_and(|x| x.ts() <= t));
    order
        .iter_range(0, pos)
        .rev()
        .map_while(|r| store.get(r).and_then(|x| Some((r, x, t.checked_sub(x.time()?)?))))
        .take_while(|&(_, _, gap)| gap <= window)
        .find_map(|(r, x, gap)| (x.kind() == Kind::Webhook).then_some((r, gap)))
}
