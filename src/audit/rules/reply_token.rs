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

/// Cost: one sweep over the API records and one over the events, both in
/// store order, then a sort of the reply tokens they carry:
/// O(n log n) in replies and events. (A walk in token order read each
/// request and event at random: most of the rule's time was cache misses.)
fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    let store = cx.store;
    // The reply requests that used a token: (token, sent), by token. Their
    // ids are looked up by token for the few tokens that need them.
    // (Sized from the token indexes: no growth by doubling, which left up to
    // half of each list unused at the audit's peak.)
    let (requests, events) = store.reply_token_counts();
    let mut replies: Vec<(u64, Millis)> = Vec::with_capacity(requests);
    replies.extend(cx.api_records().filter_map(|(_, r)| {
        let token = cx.api(r)?.token;
        (token != 0 && cx.endpoint(r) == Endpoint::Reply).then(|| (token, r.ts()))
    }));
    replies.sort_unstable_by_key(|e| e.0);
    let ids = |token: u64| {
        store.replies_with_token(token).filter_map(move |id| {
            store.get(id).filter(|r| cx.endpoint(*r) == Endpoint::Reply).map(|r| (id, r.ts()))
        })
    };
    // When each token was first received: (token, time), by token.
    let mut received: Vec<(u64, Millis)> = Vec::new();
    if !replies.is_empty() {
        received.reserve_exact(events);
        let mut last: Option<(RecordId, Option<Millis>)> = None;
        for (_, e) in store.events.iter() {
            if e.reply_token == 0 {
                continue;
            }
            // A receipt's events are neighbours: its record is read once.
            let t = match last {
                Some((rec, t)) if rec == e.record => t,
                _ => {
                    let t = store.get(e.record).map(Record::ts);
                    last = Some((e.record, t));
                    t
                }
            };
            if let Some(t) = t {
                received.push((e.reply_token, t));
            }
        }
        received.sort_unstable();
        received.dedup_by_key(|e| e.0); // the earliest of each token stays
    }
    let mut late: Vec<RecordId> = Vec::new();
    let mut twice: Vec<RecordId> = Vec::new();
    let mut worst: Millis = 0;
    let mut first = received.iter().peekable();
    for same in replies.chunk_by(|a, b| a.0 == b.0) {
        let Some(&(token, _)) = same.first() else { continue };
        if same.len() > 1 {
            twice.extend(ids(token).map(|(id, _)| id));
        }
        while first.next_if(|e| e.0 < token).is_some() {}
        let Some(&&(_, t)) = first.peek().filter(|e| e.0 == token) else { continue };
        let is_late = |ts: Millis| ts.checked_sub(t).filter(|&d| d > REPLY_LATE_MS);
        if let Some(d) = same.iter().filter_map(|&(_, ts)| is_late(ts)).max() {
            worst = worst.max(d);
            late.extend(ids(token).filter(|&(_, ts)| is_late(ts).is_some()).map(|(id, _)| id));
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
