use super::*;
use crate::ingest::{ParsedBlock, Window, commit, load_bytes};
use crate::source::Block;
use crate::time::parse_time;

const WEBHOOK: &str = r#"{"kind":"webhook","time":"2026-11-20T08:00:01Z","ip":"147.92.150.1","path":"/cb","status":200,"signature":"s","body":"{\"destination\":\"Ubot\",\"events\":[{\"type\":\"message\",\"webhookEventId\":\"E1\",\"replyToken\":\"RT1\",\"source\":{\"type\":\"user\",\"userId\":\"Ualice\"},\"message\":{\"id\":\"m1\",\"type\":\"text\",\"text\":\"hi\"}},{\"type\":\"follow\",\"webhookEventId\":\"E2\",\"source\":{\"type\":\"user\",\"userId\":\"Ubob\"}}]}"}"#;
const REPLY: &str = r#"{"kind":"api","time":"2026-11-20T08:00:02Z","request_id":"R1","method":"POST","endpoint":"https://api.line.me/v2/bot/message/reply","status":200,"request_body":{"replyToken":"RT1","messages":[]}}"#;
const MULTICAST: &str = r#"{"kind":"api","time":"2026-11-20T08:00:03Z","request_id":"R2","method":"POST","endpoint":"https://api.line.me/v2/bot/message/multicast","status":429,"retry_key":"K1","request_body":{"to":["Ualice","Ubob"],"messages":[]}}"#;

fn store_with(lines: &[&str]) -> Store {
    let mut s = Store::new();
    load_bytes(&mut s, "t.log", lines.join("\n").as_bytes());
    s
}

#[test]
fn records_metadata_and_indexes() {
    let s = store_with(&["Request ID HTTP method API endpoint Status code", WEBHOOK, REPLY, "garbage", MULTICAST, ""]);
    assert_eq!(s.len(), 4);
    assert_eq!(s.totals.webhook_receipts, 1);
    assert_eq!(s.totals.webhook_events, 2);
    assert_eq!(s.totals.api_requests, 2);
    assert_eq!(s.totals.unparsed, 1);
    assert_eq!(s.totals.header_rows, 1);
    assert_eq!(s.sources[0].records, 3);
    assert_eq!(s.status_counts.get(&(Kind::Api, 429)), Some(&1));
    // line numbers count every line, blank or header
    let lines: Vec<u32> = s.iter().map(|(_, r)| r.line).collect();
    assert_eq!(lines, [2, 3, 4, 5]);

    let wh = s.get(0).unwrap();
    let meta = s.webhook_meta(wh).unwrap();
    assert!(meta.has_signature && meta.has_raw_body);
    assert_eq!(s.syms.resolve(meta.destination), "Ubot");
    let evs = s.receipt_events(&meta);
    assert_eq!(evs.len(), 2);
    assert_eq!(s.syms.resolve(evs[0].event_type), "message");
    assert_eq!(s.syms.resolve(evs[0].user), "Ualice");
    assert_eq!(evs[0].record, 0);

    assert_eq!(s.find_request("R1"), [1]);
    assert_eq!(s.find_request("R2"), [3]);
    assert!(s.find_request("nope").is_empty());
    assert_eq!(s.by_event_id.get(hash_id("E2")).collect::<Vec<_>>(), [1]);
    assert_eq!(s.by_reply_token_event.get(hash_id("RT1")).collect::<Vec<_>>(), [0]);
    assert_eq!(s.by_reply_token_api.get(hash_id("RT1")).collect::<Vec<_>>(), [1]);
    assert_eq!(s.by_retry_key.get(hash_id("K1")).collect::<Vec<_>>(), [3]);
    let alice = s.syms.get("Ualice").unwrap();
    assert_eq!(s.by_user[&alice], [0, 3]);
    let mc = s.get(3).unwrap();
    assert_eq!(s.api_users(&s.api[mc.aux as usize]).len(), 2);
    assert_eq!(s.errors, [3]);
    assert_eq!(s.syms.resolve(mc.path), "/v2/bot/message/multicast");
}

#[test]
fn timeline_orders_by_time_then_source_then_line() {
    let mut s = Store::new();
    load_bytes(
        &mut s,
        "a.log",
        b"r1 2026-11-20T08:00:05Z POST /v2/bot/message/push 200\n\
          r2 2026-11-20T08:00:01Z POST /v2/bot/message/push 200\n\
          junk after r2\n\
          r3 2026-11-20T08:00:03Z POST /v2/bot/message/push 200\n",
    );
    load_bytes(
        &mut s,
        "b.log",
        b"junk before anything\n\
          1.2.3.4 2026-11-20T08:00:03Z POST /cb 200\n\
          1.2.3.4 2026-11-20T08:00:01Z POST /cb 200\n",
    );
    let ts = |id: u32| s.get(id).unwrap().ts;
    // the unparsed line inherits the time of the line before it in its file
    assert_eq!(ts(2), parse_time("2026-11-20T08:00:01Z").unwrap());
    assert_eq!(ts(4), i64::MIN);
    let order = s.timeline().to_vec();
    // b's leading junk first; ties at :01 and :03 keep file order (a before b)
    assert_eq!(order, [4, 1, 2, 6, 3, 5, 0]);
    assert_eq!(s.first, parse_time("2026-11-20T08:00:01Z"));
    assert_eq!(s.last, parse_time("2026-11-20T08:00:05Z"));
}

#[test]
fn window_keeps_unparsed_and_counts_what_it_leaves_out() {
    let mut s = Store::new();
    s.sources.push(Source::default());
    let data = b"r1 2026-11-20T08:00:00Z POST /v2/bot/x 200\njunk\nr2 2026-11-20T09:00:00Z POST /v2/bot/x 200\n";
    let pb = ParsedBlock::parse(0, Block { offset: 0, first_line: 1, data: data.to_vec() }, false);
    let win = Window { since: parse_time("2026-11-20T08:30:00Z"), until: None };
    commit(&mut s, pb, win);
    assert_eq!(s.totals.api_requests, 1);
    assert_eq!(s.totals.unparsed, 1);
    assert_eq!(s.sources[0].outside_window, 1);
    assert!(s.find_request("r1").is_empty());
    assert_eq!(s.find_request("r2").len(), 1);
}

#[test]
fn record_is_compact() {
    assert_eq!(std::mem::size_of::<Record>(), 32);
    let l = crate::model::Loc::new(70_000, (1 << 40) - 5);
    assert_eq!((l.source(), l.offset()), (70_000, (1 << 40) - 5));
    let l = crate::model::Loc::new(u32::MAX, u64::MAX);
    assert_eq!((l.source(), l.offset()), ((1 << 24) - 1, (1 << 40) - 1));
}
