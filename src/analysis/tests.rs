//! Scenario tests: log lines in, findings out.

use super::*;
use crate::ingest::load_bytes;

const T0: i64 = 1_763_625_600_000; // 2025-11-20T08:00:00Z
const S: i64 = 1000;

fn iso(ms: i64) -> String {
    format_rfc3339(ms)
}

fn push(t: i64, user: &str, status: u16) -> String {
    format!(
        r#"{{"kind":"api","time":"{}","request_id":"p{t}","method":"POST","endpoint":"https://api.line.me/v2/bot/message/push","status":{status},"request_body":{{"to":"{user}","messages":[]}}}}"#,
        iso(t)
    )
}

fn multicast(t: i64, users: &[&str], status: u16) -> String {
    let to: Vec<String> = users.iter().map(|u| format!("\"{u}\"")).collect();
    format!(
        r#"{{"kind":"api","time":"{}","request_id":"m{t}","method":"POST","endpoint":"https://api.line.me/v2/bot/message/multicast","status":{status},"request_body":{{"to":[{}],"messages":[]}}}}"#,
        iso(t),
        to.join(",")
    )
}

fn reply(t: i64, token: &str, status: u16) -> String {
    format!(
        r#"{{"kind":"api","time":"{}","request_id":"r{t}","method":"POST","endpoint":"https://api.line.me/v2/bot/message/reply","status":{status},"request_body":{{"replyToken":"{token}","messages":[]}}}}"#,
        iso(t)
    )
}

/// A webhook with one event: (webhookEventId or "", replyToken or "", user, type, redelivery).
fn webhook(t: i64, id: &str, token: &str, user: &str, kind: &str, redelivery: bool) -> String {
    let mut ev = serde_json::json!({"type": kind, "source": {"type": "user", "userId": user},
        "deliveryContext": {"isRedelivery": redelivery}, "timestamp": t});
    if !id.is_empty() {
        ev["webhookEventId"] = id.into();
    }
    if !token.is_empty() {
        ev["replyToken"] = token.into();
    }
    let body = serde_json::json!({"destination": "Ubot", "events": [ev]}).to_string();
    serde_json::json!({"kind": "webhook", "time": iso(t), "ip": "147.92.150.192", "path": "/cb", "status": 200, "body": body})
        .to_string()
}

fn text_429(t: i64, path: &str) -> String {
    format!("req-{t} {} POST https://api.line.me{path} 429", iso(t))
}

fn mini_429(t: i64) -> String {
    format!("{} POST https://api.line.me/message/v3/notifier/send?target=service 429", iso(t))
}

/// Load each source's lines (in the order given) and analyse.
fn analyse_sources(sources: &[Vec<String>], th: Thresholds) -> Findings {
    let mut store = Store::for_use(crate::store::StoreUse::Report);
    for (i, lines) in sources.iter().enumerate() {
        load_bytes(&mut store, &format!("s{i}"), lines.join("\n").as_bytes());
    }
    let mut a = Analyzer::new(th);
    a.observe_new(&mut store);
    a.findings(&store)
}

fn analyse(lines: &[String]) -> Findings {
    analyse_sources(&[lines.to_vec()], Thresholds::default())
}

#[test]
fn burst_gap_of_exactly_the_limit_continues_and_one_more_ms_splits() {
    let lines: Vec<String> = (0..5).map(|i| text_429(T0 + i * 10 * S, "/v2/bot/message/push")).collect();
    let f = analyse(&lines);
    assert_eq!(f.bursts.len(), 1);
    let b = &f.bursts[0];
    assert_eq!((b.start, b.end, b.count, b.source), (T0, T0 + 40 * S, 5, BurstSource::Api));
    assert_eq!(b.endpoints, BTreeMap::from([("/v2/bot/message/push".to_owned(), 5)]));
    // the fifth 429 one millisecond later: a cluster of four and a cluster of one
    let mut lines = lines;
    lines[4] = text_429(T0 + 40 * S + 1, "/v2/bot/message/push");
    assert!(analyse(&lines).bursts.is_empty());
}

#[test]
fn a_cluster_one_short_of_burst_min_is_not_a_burst() {
    let lines: Vec<String> = (0..4).map(|i| text_429(T0 + i * S, "/v2/bot/message/multicast")).collect();
    assert!(analyse(&lines).bursts.is_empty());
    let th = Thresholds { burst_min: 4, ..Thresholds::default() };
    assert_eq!(analyse_sources(&[lines], th).bursts.len(), 1);
}

#[test]
fn api_and_miniapp_bursts_are_separate_and_endpoints_counted() {
    let mut lines: Vec<String> = (0..3).map(|i| text_429(T0 + i * S, "/v2/bot/message/push")).collect();
    lines.extend((3..6).map(|i| text_429(T0 + i * S, "/v2/bot/message/reply")));
    lines.extend((0..5).map(|i| mini_429(T0 + i * S)));
    // 200s in between change nothing
    lines.push(push(T0 + 2500, "Ua", 200));
    let f = analyse(&lines);
    assert_eq!(f.bursts.len(), 2);
    assert_eq!((f.bursts[0].source, f.bursts[0].count), (BurstSource::Api, 6));
    assert_eq!(f.bursts[0].endpoints.get("/v2/bot/message/reply"), Some(&3));
    assert_eq!((f.bursts[1].source, f.bursts[1].count), (BurstSource::MiniApp, 5));
}

#[test]
fn a_user_flooded_twice_far_apart() {
    let mut lines: Vec<String> = (0..12).map(|i| push(T0 + i * S, "Ua", 200)).collect();
    lines.extend((0..10).map(|i| push(T0 + 3600 * S + i * 5 * S, "Ua", 200)));
    // failed sends are not sends
    lines.extend((0..20).map(|i| push(T0 + 1800 * S + i * S, "Ua", 429)));
    // another user just under the threshold
    lines.extend((0..9).map(|i| push(T0 + i * S + 500, "Ub", 200)));
    let f = analyse(&lines);
    let got: Vec<(&str, Direction, i64, i64, u64)> =
        f.floods.iter().map(|x| (x.user_id.as_str(), x.direction, x.start, x.end, x.count)).collect();
    assert_eq!(
        got,
        [
            ("Ua", Direction::Outbound, T0, T0 + 11 * S, 12),
            ("Ua", Direction::Outbound, T0 + 3600 * S, T0 + 3645 * S, 10)
        ]
    );
}

#[test]
fn multicast_fans_out_to_every_user_once() {
    // 10 multicasts, each naming Ua twice and Ub once: 10 sends each, not 20.
    let lines: Vec<String> = (0..10).map(|i| multicast(T0 + i * S, &["Ua", "Ub", "Ua"], 200)).collect();
    let f = analyse(&lines);
    let mut got: Vec<(&str, u64)> = f.floods.iter().map(|x| (x.user_id.as_str(), x.count)).collect();
    got.sort_unstable();
    assert_eq!(got, [("Ua", 10), ("Ub", 10)]);
}

#[test]
fn replies_are_sends_to_the_events_user() {
    let mut lines = Vec::new();
    for i in 0..10 {
        lines.push(webhook(T0 + i * 3 * S, &format!("E{i}"), &format!("RT{i}"), "Uc", "message", false));
        lines.push(reply(T0 + i * 3 * S + 200, &format!("RT{i}"), 200));
    }
    let f = analyse(&lines);
    let got: Vec<(&str, Direction, u64)> =
        f.floods.iter().map(|x| (x.user_id.as_str(), x.direction, x.count)).collect();
    assert_eq!(got, [("Uc", Direction::Inbound, 10), ("Uc", Direction::Outbound, 10)]);
    assert_eq!(
        f.correlation,
        Correlation { events_with_reply_token: 10, replied: 10, unreplied: 0, replies_without_event: 0 }
    );
}

#[test]
fn redelivered_events_count_once() {
    let lines = vec![
        webhook(T0, "E1", "RT1", "Ua", "message", false),
        webhook(T0 + 60 * S, "E1", "RT1", "Ua", "message", true),
        webhook(T0 + 61 * S, "E1", "RT1", "Ua", "message", true),
        reply(T0 + 62 * S, "RT1", 200),
        webhook(T0 + 70 * S, "E2", "RT2", "Ub", "message", false),
        webhook(T0 + 80 * S, "E2", "RT2", "Ub", "message", true),
        // no webhookEventId: each unique
        webhook(T0 + 90 * S, "", "RT3", "Ub", "follow", false),
        webhook(T0 + 91 * S, "", "RT4", "Ub", "follow", false),
        // an event without a reply token (unfollow) counts nowhere
        webhook(T0 + 95 * S, "E5", "", "Ub", "unfollow", false),
    ];
    let f = analyse(&lines);
    assert_eq!(
        f.correlation,
        Correlation { events_with_reply_token: 4, replied: 1, unreplied: 3, replies_without_event: 0 }
    );
}

#[test]
fn replies_with_unknown_tokens() {
    let lines = vec![
        reply(T0, "nobody", 400),
        reply(T0 + S, "nobody", 400),
        webhook(T0 + 2 * S, "E1", "RT1", "Ua", "message", false),
        reply(T0 + 3 * S, "RT1", 200),
        reply(T0 + 4 * S, "RT1", 400), // a second reply to a known token
        // a push is not a reply request, even with a replyToken-looking body
        push(T0 + 5 * S, "Ua", 200),
    ];
    let f = analyse(&lines);
    assert_eq!(
        f.correlation,
        Correlation { events_with_reply_token: 1, replied: 1, unreplied: 0, replies_without_event: 2 }
    );
}

/// A scenario with every kind of finding, for the ordering tests, sorted by time.
fn mixed_scenario() -> Vec<String> {
    let mut lines: Vec<(i64, String)> = Vec::new();
    for i in 0..12 {
        let t = T0 + i * 2 * S + 7;
        lines.push((t, push(t, "Ua", 200)));
    }
    for i in 0..6 {
        let t = T0 + 100 * S + i * 3 * S;
        lines.push((t + 11, text_429(t + 11, "/v2/bot/message/push")));
        lines.push((t + 13, mini_429(t + 13)));
    }
    for i in 0..11 {
        let t = T0 + 200 * S + i * 4 * S;
        lines.push((t + 1, webhook(t + 1, &format!("E{i}"), &format!("RT{i}"), "Ub", "message", false)));
        if i % 3 != 0 {
            lines.push((t + 301, reply(t + 301, &format!("RT{i}"), 200)));
        }
    }
    // redelivery of E1 much later, and a reply to an unknown token
    lines.push((T0 + 400 * S + 3, webhook(T0 + 400 * S + 3, "E1", "RT1", "Ub", "message", true)));
    lines.push((T0 + 401 * S + 5, reply(T0 + 401 * S + 5, "unknown", 400)));
    for i in 0..10 {
        let t = T0 + 500 * S + i * S + 9;
        lines.push((t, multicast(t, &["Uc", "Ud"], 200)));
    }
    lines.sort_by_key(|(t, _)| *t);
    lines.into_iter().map(|(_, l)| l).collect()
}

/// Findings with store-specific symbol ids cleared, for comparing stores.
fn comparable(mut f: Findings) -> Findings {
    for x in &mut f.floods {
        x.user = 0;
    }
    f
}

#[test]
fn out_of_order_arrival_gives_the_sorted_result() {
    let sorted = mixed_scenario();
    let want = comparable(analyse(&sorted));
    assert_eq!(want.bursts.len(), 2);
    assert_eq!(want.floods.len(), 4, "{:?}", want.floods);
    assert_eq!(want.correlation.events_with_reply_token, 11);
    assert_eq!(want.correlation.replies_without_event, 1);
    // the same lines spread over three files, each written out of order
    let mut seed = 7u64;
    for round in 0..5 {
        let mut sources = vec![Vec::new(), Vec::new(), Vec::new()];
        for l in &sorted {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            sources[(seed >> 33) as usize % 3].push(l.clone());
        }
        for s in &mut sources {
            // shuffle within each file
            for i in (1..s.len()).rev() {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                s.swap(i, (seed >> 33) as usize % (i + 1));
            }
        }
        if round == 0 {
            sources.iter_mut().for_each(|s| s.reverse());
        }
        let got = comparable(analyse_sources(&sources, Thresholds::default()));
        assert_eq!(got, want, "round {round}");
    }
}

#[test]
fn a_late_earlier_copy_of_an_event_takes_its_place() {
    // The redelivery is read first (another file), the original later.
    let original = webhook(T0, "E1", "RT1", "Ua", "message", false);
    let redelivery = webhook(T0 + 60 * S, "E1", "RT1", "Ua", "message", true);
    let r = reply(T0 + 61 * S, "RT1", 200);
    let sorted =
        comparable(analyse_sources(&[vec![original.clone(), redelivery.clone(), r.clone()]], Thresholds::default()));
    let late = comparable(analyse_sources(&[vec![redelivery, r], vec![original]], Thresholds::default()));
    assert_eq!(late, sorted);
    assert_eq!(sorted.correlation.events_with_reply_token, 1);
    // an inbound flood counts the first delivery's time
    let th = Thresholds { inbound_flood_min: 1, ..Thresholds::default() };
    let lines =
        vec![webhook(T0 + 60 * S, "E1", "", "Ua", "message", true), webhook(T0, "E1", "", "Ua", "message", false)];
    let f = analyse_sources(&[lines], th);
    assert_eq!(
        f.floods.iter().map(|x| (x.direction, x.start, x.count)).collect::<Vec<_>>(),
        [(Direction::Inbound, T0, 1)]
    );
}

#[test]
fn reply_before_its_event_in_read_order_still_links() {
    let ev = webhook(T0, "E1", "RT1", "Ua", "message", false);
    let r = reply(T0 + 300, "RT1", 200);
    let th = Thresholds { flood_min: 1, ..Thresholds::default() };
    let a = comparable(analyse_sources(&[vec![r.clone()], vec![ev.clone()]], th));
    let b = comparable(analyse_sources(&[vec![ev, r]], th));
    assert_eq!(a, b);
    assert_eq!(a.correlation.replied, 1);
    assert_eq!(a.floods.iter().filter(|f| f.direction == Direction::Outbound).count(), 1);
}

#[test]
fn links_exact_and_inferred() {
    let mut store = Store::new();
    let lines = [
        "203.0.113.1 2025-11-20T08:00:00.000Z POST /cb 200".to_owned(),
        "req-a 2025-11-20T08:00:00.400Z POST https://api.line.me/v2/bot/message/reply 200".to_owned(),
        "req-b 2025-11-20T08:00:05.000Z POST https://api.line.me/v2/bot/message/reply 200".to_owned(),
        r#"{"kind":"api","time":"2025-11-20T08:01:00Z","request_id":"k1","endpoint":"/v2/bot/message/push","status":500,"retry_key":"RK"}"#.to_owned(),
        r#"{"kind":"api","time":"2025-11-20T08:01:02Z","request_id":"k2","endpoint":"/v2/bot/message/push","status":200,"retry_key":"RK"}"#.to_owned(),
        r#"{"kind":"api","time":"2025-11-20T08:01:05Z","request_id":"k3","endpoint":"/v2/bot/message/push","status":409,"retry_key":"RK","accepted_request_id":"k2"}"#.to_owned(),
    ];
    load_bytes(&mut store, "t", lines.join("\n").as_bytes());
    store.timeline();
    let l = links::links(&store, store.order(), 1, 2_000);
    assert_eq!(l.inferred_webhook, Some((0, 400)));
    let l = links::links(&store, store.order(), 2, 2_000);
    assert_eq!(l.inferred_webhook, None, "5 s is outside the window");
    let l = links::links(&store, store.order(), 5, 2_000);
    assert_eq!(l.same_retry_key, [3, 4]);
    assert_eq!(l.accepted_request, [4]);
    let l = links::links(&store, store.order(), 4, 2_000);
    assert_eq!(l.accepted_by, [5]);
}

#[test]
fn seen_never_forgets_a_hash() {
    let mut s = Seen::default();
    assert!(!s.may_contain(crate::model::hash_id("token")), "an empty set holds nothing");
    let hashes: Vec<u64> = (0..10_000).map(|i| crate::model::hash_id(&format!("t{i}"))).collect();
    for &h in &hashes {
        s.insert(h);
    }
    assert!(hashes.iter().all(|&h| s.may_contain(h)));
    // Another hash in the same slot may be taken for one (never a wrong
    // "no"); one whose top bits no hash shares is not.
    let others = (10_000..20_000).map(|i| crate::model::hash_id(&format!("t{i}")));
    let taken = others.filter(|&h| s.may_contain(h)).count();
    assert!(taken < 100, "{taken} of 10,000 other hashes taken as seen");
}
