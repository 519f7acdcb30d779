//! `reply-token`: see its entry below.

use super::super::*;
use super::{Rule, RuleInfo};

pub(super) const RULE: RuleInfo = RuleInfo {
    rule: Rule::ReplyToken,
    id: "reply-token",
    severity: "warning (late), error (reused or refused)",
    guideline: "Messaging API reference: Send reply message",
    doc: "Warning: a reply sent more than 60 s after the (first) receipt of the webhook whose token it uses. Error: a reply token used by more than one reply request; a reply answered 400 \"Invalid reply token\".",
    check: |i, out| check(i.cx, out),
};

/// How late a reply may be sent after its webhook.
const REPLY_LATE_MS: Millis = 60_000;

/// Cost: one merge walk over the two reply-token indexes in key order (each hit verified against its
/// event or request), then the error list: O(tokens + errors).
fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    let store = cx.store;
    // Both token indexes walked in key order together: for each token, the
    // first receipt of its events and the reply requests that used it.
    let mut events = store.reply_token_events().peekable();
    let mut late: Vec<RecordId> = Vec::new();
    let mut twice: Vec<RecordId> = Vec::new();
    let mut worst: Millis = 0;
    let mut replies: Vec<(RecordId, Millis)> = Vec::new();
    let mut api = store.reply_token_requests().peekable();
    while let Some((token, first)) = api.next() {
        replies.clear();
        for id in std::iter::once(first).chain(std::iter::from_fn(|| api.next_if(|e| e.0 == token).map(|e| e.1))) {
            if let Some(r) = store.get(id).filter(|r| cx.endpoint(*r) == Endpoint::Reply) {
                replies.push((id, r.ts()));
            }
        }
        while events.next_if(|e| token_order(e.0) < token_order(token)).is_some() {}
        let mut received: Option<Millis> = None;
        while let Some((_, e)) = events.next_if(|e| e.0 == token) {
            let t = store.events.get(e).and_then(|e| store.get(e.record)).map(Record::ts);
            received = match (received, t) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        if replies.len() > 1 {
            twice.extend(replies.iter().map(|&(id, _)| id));
        }
        if let Some(t) = received {
            for &(id, ts) in &replies {
                if let Some(d) = ts.checked_sub(t).filter(|&d| d > REPLY_LATE_MS) {
                    worst = worst.max(d);
                    late.push(id);
                }
            }
        }
    }
    let invalid: Vec<RecordId> = store
        .errors
        .iter()
        .copied()
        .filter(|&id| {
            store.get(id).is_some_and(|r| {
                r.kind() == Kind::Api && r.status() == 400 && cx.endpoint(r) == Endpoint::Reply
            }) && cx.response(id) == Response::InvalidReplyToken
        })
        .collect();
    let msg = format!(
        "{} sent more than 60 s after the webhook (latest {:.1} s after): reply tokens expire; answer sooner or push",
        if late.len() == 1 { "1 reply".to_owned() } else { format!("{} replies", n(late.len())) },
        worst as f64 / 1000.0
    );
    counted(out, store, Rule::ReplyToken, Severity::Warning, guideline::REPLY_TOKEN, msg, late);
    let msg = format!(
        "{} reuse a reply token already used: a reply token can be used once",
        of(twice.len(), "reply request")
    );
    counted(out, store, Rule::ReplyToken, Severity::Error, guideline::REPLY_TOKEN, msg, twice);
    let msg = format!(
        "{} refused with 400 \"Invalid reply token\" (expired, used, or not a token)",
        if invalid.len() == 1 { "1 reply".to_owned() } else { format!("{} replies", n(invalid.len())) }
    );
    counted(out, store, Rule::ReplyToken, Severity::Error, guideline::REPLY_TOKEN, msg, invalid);
}
