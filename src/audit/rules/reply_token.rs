//! `reply-token`: see its entry below.

use super::super::*;
use super::{Rule, RuleInfo};

pub(super) const RULE: RuleInfo = RuleInfo {
    rule: Rule::ReplyToken,
    id: "reply-token",
    severity: "warning (late), error (reused or refused)",
    guideline: "Messaging API reference: Send reply message",
    doc: "Warning: a reply sent more than 60 s after the (first) receipt of the webhook whose token it uses. Error: a reply token used by more than one reply request; a reply answered 400 \"Invalid reply token\".",
    check: |i, out| check(i.cx, out, PART_RECEIPTS, PART_REPLIES),
};

/// How late a reply may be sent after its webhook.
const REPLY_LATE_MS: Millis = 60_000;

/// How many receipts (token, time) one part of the rule holds at most,
/// about: 4 MiB. (All of them at once, beside the replies, were the audit's
/// peak: 17.7 MB on two weeks of a busy bot, on top of the screen's state.)
const PART_RECEIPTS: usize = 1 << 18;

/// How many reply requests (token, sent) one sweep over the requests holds
/// at most, about: 8 MiB. (All of them at once were most of the rule's
/// peak: 8.7 MB of 11 on two weeks of a busy bot, during the screen's.)
const PART_REPLIES: usize = 1 << 19;

/// At most this many parts: each costs a sweep over the events, so more
/// would make the rule's cost grow with the square of the events. Past
/// 8 × [`PART_RECEIPTS`] receipts a part holds an eighth of them.
const MAX_PARTS: usize = 8;

/// Cost: per group of parts, one sweep over the API records in store
/// order and a sort of the reply tokens of the group it finds; per part of
/// the tokens, one sweep over the events and a sort of the part's
/// receipts: O(n log n) in replies and receipts plus s ≤ p sweeps over the
/// requests and p ≤ [`MAX_PARTS`] over the events. Parts hold at most
/// `part` receipts and groups `sweep` replies where p allows
/// ([`PART_RECEIPTS`]: p = 1 below 262,144 receipts, 4 at 568 k;
/// [`PART_REPLIES`]: s = 1 below 524,288 replies, 2 at 541 k). (A walk in
/// token order read each request and event at random: most of the rule's
/// time was cache misses. A sweep over the API records took as long as a
/// part's work, so there are as few as memory allows.)
fn check(cx: &Ctx, out: &mut Vec<Finding>, part: usize, sweep: usize) {
    let store = cx.store;
    let (requests, events) = store.reply_token_counts();
    // Tokens are hashes (`hash_id`): their top bits split them into parts
    // of about equal size; a group is a run of parts, each a stretch of the
    // group's sorted replies.
    let parts = parts_for(events, part);
    let groups = parts_for(requests, sweep).min(parts);
    let bits = parts.trailing_zeros();
    let part_of = |token: u64| token.checked_shr(64 - bits).unwrap_or(0);
    let per_group = (parts / groups) as u64;
    // Room for a group's replies and a part's receipts: their share and a
    // little over, so no list grows by doubling (which left up to half of
    // it unused at the audit's peak).
    let over = |share: usize| share + share / 8 + 64;
    let reply_room = if groups == 1 { requests } else { over(requests / groups) };
    let receipt_room = over(events / parts);
    let mut late: Vec<RecordId> = Vec::new();
    let mut twice: Vec<RecordId> = Vec::new();
    let mut worst: Millis = 0;
    for g in 0..groups as u64 {
        let group = g * per_group..(g + 1) * per_group;
        // The group's reply requests that used a token: (token, sent), by
        // token. Their ids are looked up by token for the few tokens that
        // need them.
        let mut replies: Vec<(u64, Millis)> = Vec::with_capacity(reply_room);
        replies.extend(cx.api_records().filter_map(|(_, r)| {
            let token = cx.store.api_token(r);
            (token != 0 && group.contains(&part_of(token)) && cx.endpoint(r) == Endpoint::Reply).then(|| (token, r.ts()))
        }));
        replies.sort_unstable_by_key(|e| e.0);
        let mut rest = replies.as_slice();
        for k in group {
            let Some((mine, next)) = rest.split_at_checked(rest.partition_point(|e| part_of(e.0) == k)) else {
                break;
            };
            rest = next;
            if mine.is_empty() {
                continue;
            }
            // When each token of the part was first received: (token, time).
            let received = receipts(store, receipt_room, |t| part_of(t) == k);
            let mut first = received.iter().peekable();
            for same in mine.chunk_by(|a, b| a.0 == b.0) {
                let Some(&(token, _)) = same.first() else { continue };
                let ids = || {
                    store
                        .replies_with_token_records(token)
                        .filter(|&(_, r)| cx.endpoint(r) == Endpoint::Reply)
                        .map(|(id, r)| (id, r.ts()))
                };
                if same.len() > 1 {
                    twice.extend(ids().map(|(id, _)| id));
                }
                while first.next_if(|e| e.0 < token).is_some() {}
                let Some(&&(_, t)) = first.peek().filter(|e| e.0 == token) else { continue };
                let is_late = |ts: Millis| ts.checked_sub(t).filter(|&d| d > REPLY_LATE_MS);
                if let Some(d) = same.iter().filter_map(|&(_, ts)| is_late(ts)).max() {
                    worst = worst.max(d);
                    late.extend(ids().filter(|&(_, ts)| is_late(ts).is_some()).map(|(id, _)| id));
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

/// How many parts `events` receipts (or groups `requests` replies) are
/// split into, for parts of `part`: a power of two (a part is the tokens
/// with the same top bits), at most [`MAX_PARTS`].
fn parts_for(events: usize, part: usize) -> usize {
    (events / part.max(1) + 1).next_power_of_two().min(MAX_PARTS)
}

/// The first receipt of each reply token `mine` takes: (token, time), by
/// token; `room`: about how many there are. One sweep over the events.
fn receipts(store: &Store, room: usize, mine: impl Fn(u64) -> bool) -> Vec<(u64, Millis)> {
    let mut received: Vec<(u64, Millis)> = Vec::with_capacity(room);
    let mut last: Option<(RecordId, Option<Millis>)> = None;
    for (_, e) in store.events.iter() {
        if e.reply_token == 0 || !mine(e.reply_token) {
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
    received
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// However the tokens are split (8, 4 or 2 parts here, swept for in
    /// one to eight groups), the findings are the same.
    #[test]
    fn parts_find_what_one_part_finds() {
        let time = |s: u32| format!("2026-11-20T{:02}:{:02}:{:02}Z", 8 + s / 3600, s / 60 % 60, s % 60);
        let mut lines = Vec::new();
        for i in 0..60u32 {
            let (t, token) = (i * 100, format!("token{i}"));
            let body = serde_json::json!({"destination": "Ubot", "events": [{"type": "message", "replyToken": token,
                "source": {"type": "user", "userId": "U1111111111111111111111111111111a"}, "webhookEventId": format!("e{i}")}]});
            lines.push(serde_json::json!({"kind": "webhook", "time": time(t), "method": "POST", "path": "/cb",
                "status": 200, "body": body.to_string()}));
            // Every third token answered late (20, 4 of them twice), every
            // fifth used twice (12).
            let replies = if i % 5 == 0 { 2 } else { 1 };
            for r in 0..replies {
                lines.push(serde_json::json!({"kind": "api", "time": time(t + 1 + r + 70 * u32::from(i % 3 == 0)),
                    "request_id": format!("r{i}-{r}"), "method": "POST",
                    "endpoint": "https://api.line.me/v2/bot/message/reply", "status": 200,
                    "request_body": {"replyToken": token}}));
            }
        }
        let text = lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n");
        let mut store = Store::new();
        crate::ingest::load_bytes(&mut store, "t.log", text.as_bytes());
        let cx = Ctx::new(&store);
        let run = |part: usize, sweep: usize| {
            let mut out = Vec::new();
            check(&cx, &mut out, part, sweep);
            out
        };
        let whole = run(PART_RECEIPTS, PART_REPLIES);
        let counts: Vec<(Severity, u64)> = whole.iter().map(|f| (f.severity, f.count)).collect();
        assert_eq!(counts, [(Severity::Warning, 24), (Severity::Error, 24)], "{whole:#?}");
        // Parts of 1, 20 and 59 receipts (8, 4 and 2 parts), swept for
        // their replies in 8, 4, 2 or 1 groups.
        for part in [1, 20, 59] {
            for sweep in [1, 10, 30, 100] {
                assert_eq!(run(part, sweep), whole, "parts of {part}, groups of {sweep}");
            }
        }
    }

    /// One part for a small store, four on two weeks of a busy bot, and
    /// never more than eight sweeps over the events however many there are.
    #[test]
    fn parts_are_few() {
        let parts = |events| parts_for(events, PART_RECEIPTS);
        assert_eq!([0, 262_143, 568_000, 1_000_000, 100_000_000].map(parts), [1, 1, 4, 4, 8]);
        assert_eq!([0, 60].map(|e| parts_for(e, 0)), [1, 8]);
        // Replies: one sweep over the requests below 524,288, two at 541 k.
        assert_eq!([0, 524_287, 541_143, 5_000_000].map(|r| parts_for(r, PART_REPLIES)), [1, 1, 2, 8]);
    }
}
