//! Every webhook body from LINE's public SDK test suites (shared/fixtures/
//! line-sdk, beside the repository) is read, every event, whether the bot
//! logged the raw body as a string or the parsed object.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};

use linelens::ingest::load_bytes;
use linelens::model::{NONE, SourceType};
use linelens::store::{Store, hash_id};
use serde_json::Value;

fn fixtures() -> Option<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/line-sdk");
    if !dir.is_dir() {
        println!("note: {} is absent; skipping the SDK fixture tests", dir.display());
        return None;
    }
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") && !p.ends_with("signature-vectors.json") {
                out.push(p);
            }
        }
    }
    out.sort();
    Some(out)
}

fn str_at(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    match cur {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn check_fixture(path: &Path, line: &str, body: &Value) {
    let mut store = Store::new();
    load_bytes(&mut store, "fixture", line.as_bytes());
    let name = path.display();
    assert_eq!(store.totals.webhook_receipts, 1, "{name}");
    assert_eq!(store.totals.unparsed, 0, "{name}");
    let want: Vec<&Value> = body["events"].as_array().unwrap().iter().filter(|e| e.is_object()).collect();
    assert_eq!(store.totals.webhook_events, want.len() as u64, "{name}");
    let meta = store.webhook_meta(store.get(0).unwrap()).unwrap();
    assert_eq!(meta.destination == NONE, str_at(body, &["destination"]).is_none(), "{name}: destination");
    // What the store does not keep, the body's parser reads when the line
    // is shown: the chat and the message type.
    let text = body.to_string();
    let parsed = linelens::parse::body::parse_webhook_body(&text).expect("the body parses");
    assert_eq!(parsed.events.len(), want.len(), "{name}: parsed events");
    for (ev, want) in parsed.events.iter().zip(&want) {
        let s = |l: &linelens::parse::body::Loose<'_>| l.str().map(|c| c.into_owned());
        let src = ev.source.as_ref();
        assert_eq!(
            src.and_then(|x| s(&x.group_id).or_else(|| s(&x.room_id))),
            str_at(want, &["source", "groupId"]).or_else(|| str_at(want, &["source", "roomId"])),
            "{name}: groupId/roomId"
        );
        assert_eq!(
            ev.message.as_ref().and_then(|m| s(&m.kind)),
            str_at(want, &["message", "type"]),
            "{name}: message.type"
        );
    }
    for (got, want) in store.receipt_events(&meta).iter().zip(want) {
        let sym = |s: u32| (s != NONE).then(|| store.syms.resolve(s).to_owned());
        let h = |p: &[&str]| str_at(want, p).map_or(0, |s| hash_id(&s));
        assert_eq!(sym(got.event_type), str_at(want, &["type"]), "{name}: type");
        assert_eq!(got.mode.as_str().map(str::to_owned), str_at(want, &["mode"]), "{name}: mode");
        assert_eq!(sym(got.user), str_at(want, &["source", "userId"]), "{name}: userId");
        assert_eq!(got.webhook_event_id, h(&["webhookEventId"]), "{name}: webhookEventId");
        assert_eq!(got.reply_token, h(&["replyToken"]), "{name}: replyToken");
        let msg = if str_at(want, &["type"]).as_deref() == Some("unsend") {
            h(&["unsend", "messageId"])
        } else {
            h(&["message", "id"])
        };
        assert_eq!(got.message_id, msg, "{name}: message.id / unsend.messageId");
        assert_eq!(
            got.is_redelivery,
            want.pointer("/deliveryContext/isRedelivery").and_then(Value::as_bool).unwrap_or(false),
            "{name}: isRedelivery"
        );
        let st = str_at(want, &["source", "type"]);
        let expect_st = match st.as_deref() {
            None => SourceType::None,
            Some("user") => SourceType::User,
            Some("group") => SourceType::Group,
            Some("room") => SourceType::Room,
            Some(_) => SourceType::Other,
        };
        assert_eq!(got.source_type, expect_st, "{name}: source.type");
    }
}

#[test]
fn every_sdk_payload_every_event_raw_and_parsed() {
    let Some(files) = fixtures() else { return };
    assert!(files.len() >= 30, "expected the SDK fixtures, found {}", files.len());
    let mut events = 0;
    for path in &files {
        let raw = std::fs::read_to_string(path).unwrap();
        let body: Value = serde_json::from_str(&raw).unwrap();
        events += body["events"].as_array().unwrap().len();
        // Logged as the raw body string (what a signature is computed over).
        let line = serde_json::json!({
            "kind": "webhook", "time": "2026-11-20T08:00:00Z", "ip": "147.92.150.192",
            "method": "POST", "path": "/callback", "status": 200, "body": raw,
        });
        check_fixture(path, &line.to_string(), &body);
        // Logged as the parsed object, without `kind` (inferred from the body).
        let line = serde_json::json!({"timestamp": 1_763_625_600_000_i64, "url": "/callback", "body": body});
        check_fixture(path, &line.to_string(), &body);
    }
    assert!(events >= 170, "{events}");
}

/// Every signature vector from the SDKs: the expected signature verifies,
/// the SDKs' own invalid examples do not, and a webhook logged with the raw
/// body and that signature is counted valid (or invalid) by the engine.
#[test]
fn every_sdk_signature_vector() {
    use linelens::signature::{Secret, Secrets, SigState, verify};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/line-sdk");
    let Ok(text) = std::fs::read_to_string(dir.join("signature-vectors.json")) else {
        println!("note: {} is absent; skipping the signature vectors", dir.display());
        return;
    };
    let vectors: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(vectors.len() >= 10);
    for v in &vectors {
        let id = v["id"].as_str().unwrap();
        let secret = Secret::new(v["channel_secret"].as_str().unwrap()).unwrap();
        let body = match (v["body_inline"].as_str(), v["body_file"].as_str()) {
            (Some(b), _) => b.to_owned(),
            (None, Some(f)) => std::fs::read_to_string(dir.join(f)).unwrap(),
            _ => panic!("{id}: no body"),
        };
        let expected = v["expected"].as_str().unwrap();
        assert!(verify(&secret, body.as_bytes(), expected), "{id}");
        if let Some(bad) = v["invalid_example"].as_str() {
            assert!(!verify(&secret, body.as_bytes(), bad), "{id}: invalid example verified");
        }
        // Logged as a webhook receipt with the raw body, through the engine.
        for (sig, want) in [(expected, SigState::Valid), ("AAAA", SigState::Invalid)] {
            let line = serde_json::json!({"kind": "webhook", "time": "2026-11-20T08:00:00Z", "ip": "203.0.113.1",
                "status": 200, "x-line-signature": sig, "body": body})
            .to_string();
            let mut store = Store::new();
            store.secrets = Some(std::sync::Arc::new(Secrets { default: Some(secret.clone()), ..Default::default() }));
            load_bytes(&mut store, "wh.jsonl", line.as_bytes());
            let s = store.signatures;
            let got = if s.valid == 1 {
                SigState::Valid
            } else if s.invalid == 1 {
                SigState::Invalid
            } else {
                SigState::Missing
            };
            assert_eq!(got, want, "{id}: {s:?}");
        }
    }
}
