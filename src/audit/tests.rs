//! Scenario tests: for each rule, a case that fires and a near miss that
//! does not.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use serde_json::{Value, json};

use super::*;
use crate::analysis::{Analyzer, Thresholds};
use crate::signature::{Secret, Secrets};

const U1: &str = "U1111111111111111111111111111111a";
const U2: &str = "U2222222222222222222222222222222b";
const SECRET: &str = "test_channel_secret";

/// `2026-11-20T08:MM:SS.mmmZ` from seconds after 08:00.
fn at(secs: f64) -> String {
    let ms = (secs * 1000.0).round() as i64;
    crate::time::format_rfc3339(crate::time::parse_time("2026-11-20T08:00:00Z").unwrap() + ms)
}

fn api(secs: f64, method: &str, path: &str, status: u16, req: Value, resp: Value, extra: Value) -> String {
    let mut v = json!({"kind": "api", "time": at(secs), "request_id": format!("r{secs}"), "method": method,
        "endpoint": format!("https://api.line.me{path}"), "status": status});
    if !req.is_null() {
        v["request_body"] = req;
    }
    if !resp.is_null() {
        v["response_body"] = resp;
    }
    if let Some(o) = extra.as_object() {
        for (k, x) in o {
            v[k] = x.clone();
        }
    }
    v.to_string()
}

fn push(secs: f64, to: &str, status: u16) -> String {
    api(secs, "POST", "/v2/bot/message/push", status, json!({"to": to, "messages": []}), Value::Null, json!({}))
}

fn webhook(secs: f64, status: u16, events: Value, extra: Value) -> String {
    let body = json!({"destination": "Ubot", "events": events}).to_string();
    let mut v = json!({"kind": "webhook", "time": at(secs), "ip": "203.0.113.1", "method": "POST", "path": "/cb",
        "status": status, "body": body});
    if let Some(o) = extra.as_object() {
        for (k, x) in o {
            v[k] = x.clone();
        }
    }
    v.to_string()
}

fn sign(body: &str, secret: &str) -> String {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn audit_with(lines: &[String], audit: &Audit) -> Vec<Finding> {
    let mut store = Store::new();
    store.secrets = Some(std::sync::Arc::new(Secrets { default: Secret::new(SECRET), ..Default::default() }));
    crate::ingest::load_bytes(&mut store, "t.log", lines.join("\n").as_bytes());
    let mut a = Analyzer::new(Thresholds::default());
    a.observe_new(&mut store);
    let found = a.findings(&store);
    audit.run(&store, &found).unwrap()
}

fn audit(lines: &[String]) -> Vec<Finding> {
    audit_with(lines, &Audit::default())
}

/// The findings of one rule whose message contains `what`.
fn of<'a>(f: &'a [Finding], rule: &str, what: &str) -> Vec<&'a Finding> {
    f.iter().filter(|x| x.rule.id() == rule && x.message.contains(what)).collect()
}

#[test]
fn rate_limit_429_by_response_message() {
    let rate = json!({"message": "The API rate limit has been exceeded. Try again later."});
    let month = json!({"message": "You have reached your monthly limit."});
    let mut lines = Vec::new();
    for i in 0..3 {
        lines.push(api(i as f64, "POST", "/v2/bot/message/push", 429, json!({"to": U1}), rate.clone(), json!({})));
    }
    lines.push(api(100.0, "POST", "/v2/bot/message/broadcast", 429, json!({}), month.clone(), json!({})));
    lines.push(api(200.0, "POST", "/v2/bot/message/push", 429, Value::Null, Value::Null, json!({})));
    // The message logged as a plain string, and on a text line after the status.
    lines.push(api(
        300.0,
        "POST",
        "/v2/bot/message/push",
        429,
        Value::Null,
        json!("You have reached your monthly limit."),
        json!({}),
    ));
    lines.push("r9 2026-11-20T08:06:40Z POST /v2/bot/message/push 429 You have reached your monthly limit.".to_owned());
    let f = audit(&lines);
    let r = of(&f, "rate-limit-429", "rate limit has been exceeded");
    assert_eq!((r.len(), r[0].count, r[0].severity), (1, 3, Severity::Error), "{f:#?}");
    assert_eq!(of(&f, "rate-limit-429", "monthly limit")[0].count, 3);
    assert_eq!(of(&f, "rate-limit-429", "no response message")[0].count, 1);
    // Near miss: the same messages on answers that are not 429.
    let lines = vec![api(0.0, "POST", "/v2/bot/message/push", 400, json!({"to": U1}), rate, json!({}))];
    assert!(of(&audit(&lines), "rate-limit-429", "").is_empty());
}

#[test]
fn push_429s_concentrated_on_one_recipient() {
    let lines: Vec<String> = (0..5).map(|i| push(i as f64 * 20.0, U1, 429)).chain([push(200.0, U2, 429)]).collect();
    let f = audit(&lines);
    let c = of(&f, "rate-limit-429", "went to one user");
    assert_eq!((c.len(), c[0].count), (1, 5), "{f:#?}");
    assert!(c[0].message.contains(U1));
    // Near miss: four to the one user.
    let lines: Vec<String> = (0..4).map(|i| push(i as f64 * 20.0, U1, 429)).collect();
    assert!(of(&audit(&lines), "rate-limit-429", "went to one user").is_empty());
}

#[test]
fn rate_limit_pressure_against_the_table() {
    let multicast = |n: usize| -> Vec<String> {
        (0..n)
            .map(|i| {
                api(
                    0.001 * i as f64,
                    "POST",
                    "/v2/bot/message/multicast",
                    200,
                    json!({"to": [U1]}),
                    Value::Null,
                    json!({}),
                )
            })
            .collect()
    };
    // 200/s for multicast: 160 is 80% (a warning), 200 the limit (an error), 159 nothing.
    let f = audit(&multicast(160));
    let p = of(&f, "rate-limit-pressure", "POST /v2/bot/message/multicast");
    assert_eq!((p.len(), p[0].severity, p[0].count, p[0].records.len()), (1, Severity::Warning, 160, 160), "{f:#?}");
    assert!(p[0].message.contains("200/s") && p[0].message.contains(limits::TABLE_DATE));
    assert_eq!(of(&audit(&multicast(200)), "rate-limit-pressure", "")[0].severity, Severity::Error);
    assert!(of(&audit(&multicast(159)), "rate-limit-pressure", "").is_empty());
    // The table can be overridden from the config.
    let mut o = BTreeMap::new();
    o.insert("POST /v2/bot/message/multicast".to_owned(), "2000/s".to_owned());
    let a = Audit { limits: limits::with_overrides(&o).unwrap(), timing: false };
    assert!(of(&audit_with(&multicast(200), &a), "rate-limit-pressure", "").is_empty());
    // Hourly limits: 48 narrowcasts in an hour is 80% of 60/hour.
    let nc: Vec<String> = (0..48)
        .map(|i| api(60.0 * i as f64, "POST", "/v2/bot/message/narrowcast", 202, json!({}), Value::Null, json!({})))
        .collect();
    assert_eq!(of(&audit(&nc), "rate-limit-pressure", "narrowcast").len(), 1);
    assert!(of(&audit(&nc[..47]), "rate-limit-pressure", "").is_empty());
}

#[test]
fn rate_limit_pressure_counts_busy_seconds_exactly() {
    // Windows are counted a byte each; a second past 254 requests keeps its
    // count aside. 2,000 pushes in one second are the limit; 1,999 are not.
    let pushes = |n: usize, at: f64| -> Vec<String> { (0..n).map(|i| push(at + 0.0004 * i as f64, U1, 200)).collect() };
    let mut lines = pushes(300, 5.0); // a busy second that is no peak
    lines.extend(pushes(2_000, 10.0));
    let f = audit(&lines);
    let p = of(&f, "rate-limit-pressure", "POST /v2/bot/message/push");
    assert_eq!((p.len(), p[0].severity, p[0].count), (1, Severity::Error, 2_000), "{f:#?}");
    assert!(p[0].message.contains("2026-11-20T08:00:10"), "{}", p[0].message);
    let f = audit(&pushes(1_999, 10.0));
    let p = of(&f, "rate-limit-pressure", "POST /v2/bot/message/push");
    assert_eq!((p[0].severity, p[0].count), (Severity::Warning, 1_999));
    // Counts either side of a byte's last values (multicast: 200/s).
    for n in [253, 254, 255, 256, 600] {
        let lines: Vec<String> = (0..n)
            .map(|i| {
                let req = json!({"to": [U1]});
                api(3.0 + 0.001 * i as f64, "POST", "/v2/bot/message/multicast", 200, req, Value::Null, json!({}))
            })
            .collect();
        let f = audit(&lines);
        let p = of(&f, "rate-limit-pressure", "POST /v2/bot/message/multicast");
        assert_eq!((p.len(), p[0].count, p[0].records.len()), (1, n as u64, n), "{n}");
    }
}

#[test]
fn same_user_flood_comes_from_the_analysis() {
    let lines: Vec<String> = (0..10).map(|i| push(i as f64 * 5.0, U1, 200)).collect();
    let f = audit(&lines);
    let fl = of(&f, "same-user-flood", U1);
    assert_eq!((fl.len(), fl[0].count, fl[0].records.len()), (1, 10, 10), "{f:#?}");
    assert!(of(&audit(&lines[..9]), "same-user-flood", "").is_empty());
}

#[test]
fn invalid_user_ids_by_endpoint() {
    let group = format!("C{}", "0".repeat(32));
    let lines = vec![
        push(0.0, "U123", 400),
        api(1.0, "POST", "/v2/bot/message/multicast", 200, json!({"to": [U1, group]}), Value::Null, json!({})),
        api(2.0, "GET", "/v2/bot/profile/undefined", 404, Value::Null, Value::Null, json!({})),
        api(3.0, "POST", "/v2/bot/chat/loading/start", 202, json!({"chatId": group}), Value::Null, json!({})),
    ];
    let f = audit(&lines);
    let bad = of(&f, "invalid-user-id", "malformed");
    assert_eq!((bad.len(), bad[0].count), (1, 4), "{f:#?}");
    // Near misses: a group may be pushed to; well-formed IDs; `user/all`.
    let lines = vec![
        push(0.0, &group, 200),
        push(1.0, &format!("R{}", "f".repeat(32)), 200),
        api(2.0, "GET", &format!("/v2/bot/profile/{U1}"), 200, Value::Null, Value::Null, json!({})),
        api(3.0, "GET", &format!("/v2/bot/group/{group}/member/{U2}"), 200, Value::Null, Value::Null, json!({})),
        api(4.0, "POST", "/v2/bot/user/all/richmenu/rm1", 200, Value::Null, Value::Null, json!({})),
    ];
    assert!(of(&audit(&lines), "invalid-user-id", "").is_empty(), "{:#?}", audit(&lines));
}

#[test]
fn user_ids_line_keeps_refusing() {
    let refused = |secs: f64| {
        api(
            secs,
            "POST",
            "/v2/bot/message/push",
            400,
            json!({"to": U1}),
            json!({"message": "Failed to send messages"}),
            json!({}),
        )
    };
    let f = audit(&[refused(0.0), refused(100.0), refused(200.0)]);
    let r = of(&f, "invalid-user-id", "refused");
    assert_eq!((r.len(), r[0].count), (1, 3), "{f:#?}");
    assert!(of(&audit(&[refused(0.0), refused(100.0)]), "invalid-user-id", "").is_empty());
}

#[test]
fn reply_tokens_late_twice_and_invalid() {
    let ev = |t: &str| json!([{"type": "message", "replyToken": t, "source": {"type": "user", "userId": U1}, "webhookEventId": t}]);
    let reply = |secs: f64, t: &str, status: u16| {
        let resp = if status == 400 { json!({"message": "Invalid reply token"}) } else { Value::Null };
        api(secs, "POST", "/v2/bot/message/reply", status, json!({"replyToken": t}), resp, json!({}))
    };
    let lines = vec![
        webhook(0.0, 200, ev("late"), json!({})),
        reply(61.0, "late", 200),
        webhook(100.0, 200, ev("twice"), json!({})),
        reply(101.0, "twice", 200),
        reply(102.0, "twice", 400),
    ];
    let f = audit(&lines);
    assert_eq!(of(&f, "reply-token", "more than 60 s")[0].records.len(), 1, "{f:#?}");
    assert_eq!(of(&f, "reply-token", "reuse")[0].count, 2);
    assert_eq!(of(&f, "reply-token", "Invalid reply token")[0].count, 1);
    // Near miss: 59 s later, used once, accepted.
    let lines = vec![webhook(0.0, 200, ev("ok"), json!({})), reply(59.0, "ok", 200)];
    assert!(of(&audit(&lines), "reply-token", "").is_empty());
}

#[test]
fn reply_tokens_against_the_first_receipt() {
    let ev = |t: &str, id: &str| json!([{"type": "message", "replyToken": t, "source": {"type": "user", "userId": U1}, "webhookEventId": id}]);
    let reply = |secs: f64, t: &str| {
        api(secs, "POST", "/v2/bot/message/reply", 200, json!({"replyToken": t}), Value::Null, json!({}))
    };
    let lines = vec![
        // Redelivered: 70 s after the first receipt, 40 s after the second.
        webhook(0.0, 500, ev("again", "e1"), json!({})),
        webhook(30.0, 200, ev("again", "e1"), json!({})),
        reply(70.0, "again"),
        // Used twice, the second time late: both reuse it, one is late.
        webhook(100.0, 200, ev("both", "e2"), json!({})),
        reply(101.0, "both"),
        reply(190.0, "both"),
        // No webhook logged for this token: never late.
        reply(300.0, "unseen"),
        // A reply logged before its webhook (clocks apart): not late.
        reply(400.0, "early"),
        webhook(470.0, 200, ev("early", "e3"), json!({})),
    ];
    let f = audit(&lines);
    let late = of(&f, "reply-token", "more than 60 s");
    assert_eq!((late.len(), late[0].count), (1, 2), "{f:#?}");
    assert!(late[0].message.contains("latest 90.0 s after"), "{}", late[0].message);
    let twice = of(&f, "reply-token", "reuse");
    assert_eq!((twice.len(), twice[0].count), (1, 2), "{f:#?}");
}

#[test]
fn retry_keys() {
    let send = |secs: f64, to: &str, status: u16, key: Option<&str>| {
        let extra = key.map_or(json!({}), |k| json!({"x-line-retry-key": k}));
        api(secs, "POST", "/v2/bot/message/push", status, json!({"to": to}), Value::Null, extra)
    };
    // A 500, then the same push without a key: a possible duplicate.
    let f = audit(&[send(0.0, U1, 500, None), send(5.0, U1, 200, None)]);
    assert_eq!(of(&f, "retry-key", "without X-Line-Retry-Key")[0].count, 2, "{f:#?}");
    // Near misses: retried with a key; another user; more than 10 minutes later.
    for lines in [
        vec![send(0.0, U1, 500, Some("k1")), send(5.0, U1, 200, Some("k1"))],
        vec![send(0.0, U1, 500, None), send(5.0, U2, 200, None)],
        vec![send(0.0, U1, 500, None), send(601.0, U1, 200, None)],
    ] {
        assert!(of(&audit(&lines), "retry-key", "").is_empty(), "{:#?}", audit(&lines));
    }
    // A key on reply; the same key again after a 400 (but not after a 500).
    let reply = api(
        0.0,
        "POST",
        "/v2/bot/message/reply",
        200,
        json!({"replyToken": "t"}),
        Value::Null,
        json!({"x-line-retry-key": "k"}),
    );
    assert_eq!(of(&audit(&[reply]), "retry-key", "does not take one").len(), 1);
    let f = audit(&[send(0.0, U1, 400, Some("k2")), send(3.0, U1, 400, Some("k2"))]);
    assert_eq!(of(&f, "retry-key", "after a 409")[0].count, 2);
    assert!(of(&audit(&[send(0.0, U1, 500, Some("k3")), send(3.0, U1, 200, Some("k3"))]), "retry-key", "").is_empty());
    // A key is reused when a Messaging API request sent it, whatever sent
    // it again; MINI App requests alone are not this rule's.
    let mini = |secs: f64, key: &str| {
        let extra = json!({"kind": "miniapp", "x-line-retry-key": key});
        api(secs, "POST", "/message/v3/notifier/send?target=service", 400, json!({}), Value::Null, extra)
    };
    let f = audit(&[send(0.0, U1, 400, Some("k4")), mini(3.0, "k4")]);
    assert_eq!(of(&f, "retry-key", "after a 409")[0].count, 2, "{f:#?}");
    let f = audit(&[mini(0.0, "k5"), mini(3.0, "k5")]);
    assert!(of(&f, "retry-key", "after a 409").is_empty(), "{f:#?}");
}

#[test]
fn audiences_created_and_deleted_unused() {
    let create = |secs: f64, id: u64| {
        api(secs, "POST", "/v2/bot/audienceGroup/upload", 202, json!({}), json!({"audienceGroupId": id}), json!({}))
    };
    let delete = |secs: f64, id: u64| {
        api(secs, "DELETE", &format!("/v2/bot/audienceGroup/{id}"), 200, Value::Null, Value::Null, json!({}))
    };
    let narrowcast = |secs: f64, id: u64| {
        let req = json!({"recipient": {"type": "operator", "and": [{"type": "audience", "audienceGroupId": id}]}});
        api(secs, "POST", "/v2/bot/message/narrowcast", 202, req, Value::Null, json!({}))
    };
    let f = audit(&[create(0.0, 1), delete(60.0, 1), create(100.0, 2), narrowcast(110.0, 2), delete(120.0, 2)]);
    let c = of(&f, "audience-churn", "");
    assert_eq!((c.len(), c[0].count, c[0].records.len()), (1, 1, 2), "{f:#?}");
    assert!(of(&audit(&[create(100.0, 2), narrowcast(110.0, 2), delete(120.0, 2)]), "audience-churn", "").is_empty());
}

#[test]
fn webhook_signatures_answered_2xx() {
    let body = json!({"destination": "Ubot", "events": []}).to_string();
    let line = |status: u16, sig: Option<String>| {
        let mut v = json!({"kind": "webhook", "time": at(0.0), "ip": "203.0.113.1", "method": "POST", "path": "/cb",
            "status": status, "body": body});
        if let Some(s) = sig {
            v["x-line-signature"] = json!(s);
        }
        v.to_string()
    };
    let f = audit(&[line(200, Some(sign(&body, "wrong"))), line(200, None)]);
    assert_eq!(of(&f, "webhook-signature", "invalid").len(), 1, "{f:#?}");
    assert_eq!(of(&f, "webhook-signature", "without").len(), 1);
    // A valid signature: nothing. Forged ones the bot rejected: not an
    // error, but a warning that says so (a wrong channel secret looks the same).
    let f = audit(&[line(200, Some(sign(&body, SECRET))), line(401, Some(sign(&body, "wrong"))), line(403, None)]);
    assert!(of(&f, "webhook-signature", "answered 2xx").is_empty(), "{f:#?}");
    let r = of(&f, "webhook-signature", "rejected");
    assert_eq!((r.len(), r[0].count, r[0].severity), (1, 2, Severity::Warning), "{f:#?}");
    // A line that reports the rejection is such a webhook too.
    let f = audit(&[format!("{} ERROR linebot.exceptions.InvalidSignatureError: Invalid signature", at(0.0))]);
    assert_eq!(of(&f, "webhook-signature", "rejected").len(), 1, "{f:#?}");
    assert!(of(&audit(&[format!("{} ERROR invalid signature on a PDF", at(0.0))]), "webhook-signature", "").is_empty());
}

#[test]
fn webhook_errors_redeliveries_and_slow_answers() {
    let redelivered = json!([{"type": "follow", "webhookEventId": "e1", "deliveryContext": {"isRedelivery": true}}]);
    let lines = vec![
        webhook(0.0, 500, json!([]), json!({})),
        webhook(1.0, 200, redelivered, json!({})),
        webhook(2.0, 200, json!([]), json!({"duration_ms": 2500})),
        webhook(3.0, 200, json!([]), json!({"duration": "2.1s"})),
    ];
    let f = audit(&lines);
    assert_eq!(of(&f, "webhook-errors", "non-2xx")[0].count, 1, "{f:#?}");
    assert_eq!(of(&f, "webhook-errors", "redelivered")[0].severity, Severity::Info);
    assert_eq!(of(&f, "webhook-errors", "more than 2 s")[0].count, 2);
    let f = audit(&[webhook(0.0, 200, json!([]), json!({"duration_ms": 1999}))]);
    assert!(of(&f, "webhook-errors", "").is_empty(), "{f:#?}");
}

#[test]
fn content_of_an_unsent_message() {
    let msg = json!([{"type": "message", "message": {"id": "m1", "type": "image"}}]);
    let unsend = json!([{"type": "unsend", "unsend": {"messageId": "m1"}}]);
    let content = |secs: f64, status: u16| {
        api(secs, "GET", "/v2/bot/message/m1/content", status, Value::Null, Value::Null, json!({}))
    };
    let f = audit(&[
        webhook(0.0, 200, msg.clone(), json!({})),
        content(5.0, 200),
        webhook(10.0, 200, unsend, json!({})),
        content(20.0, 410),
    ]);
    let u = of(&f, "unsent-content", "");
    assert_eq!((u.len(), u[0].count), (1, 1), "{f:#?}");
    // Near miss: fetched before any unsend.
    assert!(of(&audit(&[webhook(0.0, 200, msg, json!({})), content(5.0, 200)]), "unsent-content", "").is_empty());
}

#[test]
fn log_completeness_per_source() {
    let full = api(0.0, "POST", "/v2/bot/message/push", 200, json!({"to": U1}), json!({}), json!({}));
    let no_id =
        json!({"kind": "api", "time": at(1.0), "method": "POST", "endpoint": "/v2/bot/message/push", "status": 200})
            .to_string();
    let f = audit(&[full.clone(), no_id]);
    let w = of(&f, "log-completeness", "without request ID in 1 of 2");
    assert_eq!((w.len(), w[0].severity), (1, Severity::Warning), "{f:#?}");
    // Near miss: every basic field and both bodies logged.
    assert!(of(&audit(std::slice::from_ref(&full)), "log-completeness", "").is_empty());
    // A record's line that lost its time is unparsed, and counted here; a
    // logging library's own JSON line is not.
    let untimed = json!({"kind": "api", "request_id": "r1", "method": "POST", "status": 200}).to_string();
    let chatter = json!({"level": "warn", "msg": "retrying LINE API call"}).to_string();
    let f = audit(&[full.clone(), untimed, chatter.clone()]);
    assert_eq!(of(&f, "log-completeness", "1 line with a record's fields but no readable time").len(), 1, "{f:#?}");
    assert!(of(&audit(&[full, chatter]), "log-completeness", "").is_empty());
    // Text lines of the guideline format: complete, but no bodies (info).
    let f = audit(&["8e36bade-c5d6-4d00-9e69-72244675a9a1 Mon, 05 Jul 2021 08:14:35 GMT POST https://api.line.me/v2/bot/message/push 200".to_owned()]);
    let i = of(&f, "log-completeness", "no request body, response body");
    assert_eq!((i.len(), i[0].severity), (1, Severity::Info), "{f:#?}");
}

#[test]
fn miniapp_tokens_used_too_often_or_after_renewal() {
    let send = |secs: f64, used: &str, returned: &str| {
        json!({"kind": "miniapp", "time": at(secs), "method": "POST",
            "endpoint": "https://api.line.me/message/v3/notifier/send?target=service", "status": 200,
            "request_body": {"templateName": "t", "notificationToken": used},
            "response_body": {"notificationToken": returned, "remainingCount": 4}})
        .to_string()
    };
    let six: Vec<String> = (0..6).map(|i| send(i as f64, "t1", "t1")).collect();
    let f = audit(&six);
    assert_eq!(of(&f, "miniapp-token", "more than 5")[0].records.len(), 6, "{f:#?}");
    assert!(of(&audit(&six[..5]), "miniapp-token", "").is_empty());
    // An old token after LINE returned a renewed one; near miss: the chain followed.
    let f = audit(&[send(0.0, "a", "b"), send(1.0, "a", "c")]);
    assert_eq!(of(&f, "miniapp-token", "old notification token")[0].count, 1, "{f:#?}");
    assert!(of(&audit(&[send(0.0, "a", "b"), send(1.0, "b", "c")]), "miniapp-token", "").is_empty());
}

#[test]
fn findings_are_ordered_and_carry_times_and_records() {
    let lines = vec![push(0.0, "U123", 400), webhook(5.0, 500, json!([]), json!({}))];
    let f = audit(&lines);
    assert!(f.windows(2).all(|w| w[0].severity >= w[1].severity), "{f:#?}");
    for x in &f {
        assert!(x.first <= x.last && !x.guideline.is_empty() && RULES.iter().any(|r| r.rule == x.rule), "{x:#?}");
    }
    assert!(at_least(&f, Severity::Error) && at_least(&f, Severity::Info));
    assert!(!at_least(&audit(&[]), Severity::Info));
}

/// Every guideline a finding cites from the two guideline documents names
/// a section those documents have.
#[test]
fn cited_guideline_sections_exist_in_the_documents() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
    let (Ok(api), Ok(mini)) = (
        std::fs::read_to_string(dir.join("messaging-api-development-guidelines.txt")),
        std::fs::read_to_string(dir.join("line-mini-app-development-guidelines.md")),
    ) else {
        println!("note: {} is absent; skipping the guideline section check", dir.display());
        return;
    };
    let cited = [
        guideline::MASS_REQUESTS,
        guideline::MINI_MASS_REQUESTS,
        guideline::SAME_USER,
        guideline::INVALID_USER_IDS,
        guideline::UNSEND,
        guideline::SIGNATURE,
        guideline::API_LOGS,
        guideline::WEBHOOK_LOGS,
        guideline::HELPFUL_LOGS,
        guideline::MINI_LOGS,
    ];
    for c in cited {
        let (doc, sections) = c.split_once(" › ").unwrap();
        let text = if doc.starts_with("LINE MINI App") { &mini } else { &api };
        for section in sections.split(" › ") {
            // "Save logs (helpful data to save in a log)": the section is "Save logs".
            let name = section.split(" (").next().unwrap();
            let heading = text.lines().any(|l| l.starts_with('#') && l.trim_end().ends_with(name));
            assert!(heading, "{c}: no section \"{name}\"");
        }
    }
}

#[test]
fn every_rule_is_listed_once() {
    // The `rules!` list makes the variants and `RULES` in one order: each
    // file's RULE must name the variant of its own line.
    for (i, r) in RULES.iter().enumerate() {
        assert_eq!(r.rule as usize, i, "{}: its RULE names another rule's variant", r.id);
        assert_eq!(r.rule.id(), r.id);
        assert!(!r.doc.is_empty() && !r.guideline.is_empty() && !r.severity.is_empty(), "{}", r.id);
    }
    let ids: std::collections::BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), RULES.len(), "ids are unique");
}

#[test]
fn a_rule_that_panics_fails_the_audit_naming_it() {
    let store = Store::new();
    let found = Findings::default();
    let mut list = RULES.to_vec();
    if let Some(r) = list.iter_mut().find(|r| r.rule == Rule::RetryKey) {
        r.check = |_, _| panic!("index out of bounds");
    }
    let e = Audit::default().run_rules(&list, &store, &found).unwrap_err();
    assert_eq!(e.rule, Some(Rule::RetryKey));
    assert!(e.to_string().contains("retry-key") && e.to_string().contains("index out of bounds"), "{e}");
    // The same list without the panic runs.
    assert!(Audit::default().run_rules(RULES, &store, &found).is_ok());
}
