use super::*;
use crate::time::parse_time;

fn t(s: &str) -> i64 {
    parse_time(s).unwrap()
}

fn rec(line: &str) -> Line<'_> {
    match parse_line(line) {
        Parsed::Record(l) => l,
        other => panic!("not a record: {line:?} → {other:?}"),
    }
}

/// (line, kind, time, method, target, status, request id / ip)
type Row = (&'static str, Kind, &'static str, &'static str, &'static str, u16, Option<&'static str>);

/// The example rows printed in the two guideline documents, exactly as printed.
const GUIDELINE_ROWS: &[Row] = &[
    (
        "8e36bade-c5d6-4d00-9e69-72244675a9a1 Mon, 05 Jul 2021 08:14:35 GMT POST https://api.line.me/v2/bot/message/push 200",
        Kind::Api,
        "2021-07-05T08:14:35Z",
        "POST",
        "https://api.line.me/v2/bot/message/push",
        200,
        Some("8e36bade-c5d6-4d00-9e69-72244675a9a1"),
    ),
    (
        "203.0.113.1 Mon, 05 Jul 2021 08:10:00 GMT POST /linebot/webhook 200",
        Kind::Webhook,
        "2021-07-05T08:10:00Z",
        "POST",
        "/linebot/webhook",
        200,
        Some("203.0.113.1"),
    ),
    (
        "| Mon, 16 Jul 2021 10:20:23 GMT  | POST           | <https://api.line.me/message/v3/notifier/send?target=service> | 200         |",
        Kind::MiniApp,
        "2021-07-16T10:20:23Z",
        "POST",
        "https://api.line.me/message/v3/notifier/send?target=service",
        200,
        None,
    ),
];

const GUIDELINE_HEADERS: &[&str] = &[
    "Request ID (x-line-request-id) Time of API request HTTP method API endpoint Status code",
    "Sender IP address Time webhook was received HTTP method Request path Status code",
    "| Time when API request was made | Request method | API endpoint                                                | Status code |",
    "| ------------------------------ | -------------- | ----------------------------------------------------------- | ----------- |",
];

fn check(row: &Row, l: &Line) {
    let (line, kind, time, method, target, status, id) = *row;
    assert_eq!(l.kind, kind, "{line}");
    assert_eq!(l.fields.time, t(time), "{line}");
    assert_eq!(l.fields.method.map(Method::as_str), Some(method), "{line}");
    assert_eq!(l.target(), Some(target), "{line}");
    assert_eq!(l.fields.status, status, "{line}");
    let got_id = if kind == Kind::Webhook { l.fields.ip.as_deref() } else { l.fields.request_id.as_deref() };
    assert_eq!(got_id, id, "{line}");
}

#[test]
fn guideline_example_rows() {
    for row in GUIDELINE_ROWS {
        check(row, &rec(row.0));
    }
}

#[test]
fn guideline_header_rows() {
    for h in GUIDELINE_HEADERS {
        assert!(matches!(parse_line(h), Parsed::Header), "{h}");
    }
}

/// Read the guideline documents themselves, when they are beside the
/// repository, and check that every example row in them is read as above.
#[test]
fn guideline_documents_as_shipped() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("note: {} is absent; skipping the guideline document check", dir.display());
        return;
    };
    let mut seen = 0;
    for e in entries.flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap();
        for line in text.lines() {
            if let Some(row) = GUIDELINE_ROWS.iter().find(|r| r.0 == line) {
                check(row, &rec(line));
                seen += 1;
            }
            if GUIDELINE_HEADERS.contains(&line) {
                assert!(matches!(parse_line(line), Parsed::Header));
                seen += 1;
            }
        }
    }
    // Every listed row and header appears in the documents.
    assert_eq!(seen, GUIDELINE_ROWS.len() + GUIDELINE_HEADERS.len());
}

#[test]
fn text_variants() {
    let rows: &[Row] = &[
        // tabs and runs of spaces; RFC 3339 time; extras after the status
        (
            "req-1\t2026-11-20T08:00:00.250Z\tPOST\thttps://api.line.me/v2/bot/message/reply\t429\t12ms retry=1",
            Kind::Api,
            "2026-11-20T08:00:00.250Z",
            "POST",
            "https://api.line.me/v2/bot/message/reply",
            429,
            Some("req-1"),
        ),
        (
            "2001:db8::1    2026-11-20T17:00:00+09:00   POST   /callback   500",
            Kind::Webhook,
            "2026-11-20T08:00:00Z",
            "POST",
            "/callback",
            500,
            Some("2001:db8::1"),
        ),
        (
            "[::1] 1763625600000 POST /callback 200",
            Kind::Webhook,
            "2025-11-20T08:00:00Z",
            "POST",
            "/callback",
            200,
            Some("::1"),
        ),
        (
            "2026-11-20T08:00:00Z GET https://api.line.me/message/v3/notifier/token 200",
            Kind::MiniApp,
            "2026-11-20T08:00:00Z",
            "GET",
            "https://api.line.me/message/v3/notifier/token",
            200,
            None,
        ),
        // a 4-field line to a Messaging API path: an API request without its ID
        (
            "Mon, 05 Jul 2021 08:14:35 GMT GET https://api.line.me/v2/bot/profile/U123 404",
            Kind::Api,
            "2021-07-05T08:14:35Z",
            "GET",
            "https://api.line.me/v2/bot/profile/U123",
            404,
            None,
        ),
        // Markdown rows for the other two formats, URL without <>
        (
            "| 8e36bade | Mon, 05 Jul 2021 08:14:35 GMT | POST | https://api.line.me/v2/bot/message/push | 200 | extra |",
            Kind::Api,
            "2021-07-05T08:14:35Z",
            "POST",
            "https://api.line.me/v2/bot/message/push",
            200,
            Some("8e36bade"),
        ),
        (
            "|203.0.113.1|Mon, 05 Jul 2021 08:10:00 GMT|POST|/linebot/webhook|200|",
            Kind::Webhook,
            "2021-07-05T08:10:00Z",
            "POST",
            "/linebot/webhook",
            200,
            Some("203.0.113.1"),
        ),
        (
            "  post-id Mon, 05 Jul 2021 08:14:35 +0900 delete https://api.line.me/v2/bot/audienceGroup/1 202",
            Kind::Api,
            "2021-07-04T23:14:35Z",
            "DELETE",
            "https://api.line.me/v2/bot/audienceGroup/1",
            202,
            Some("post-id"),
        ),
    ];
    for row in rows {
        check(row, &rec(row.0));
    }
    assert_eq!(rec(rows[0].0).extras.as_deref(), Some("12ms retry=1"));
}

#[test]
fn junk_is_unparsed_never_a_record() {
    let junk = [
        "-------- log rotated by logrotate --------",
        "panic: runtime error: index out of range",
        "8e36bade Mon, 05 Jul 2021 08:14:35 GMT POST https://api.line.me/v2/bot/message/push",
        "8e36bade Mon, 05 Jul 2021 08:14:35 GMT POST https://api.line.me/v2/bot/message/push 2000",
        "8e36bade yesterday POST https://api.line.me/v2/bot/message/push 200",
        "8e36bade Mon, 05 Jul 2021 08:14:35 GMT FETCH https://api.line.me/v2/bot/message/push 200",
        "203.0.113.1 Mon, 05 Jul 2021 25:10:00 GMT POST /linebot/webhook 200",
        "{\"kind\":\"api\",\"request_id\":\"x\"}",
        "{not json",
        "[1,2,3]",
        "\u{1b}[31mred\u{1b}[0m",
        "POST",
    ];
    for j in junk {
        assert!(matches!(parse_line(j), Parsed::Unparsed), "{j:?}");
    }
    assert!(matches!(parse_line("   \t "), Parsed::Blank));
    assert!(matches!(parse_line(""), Parsed::Blank));
}

#[test]
fn more_header_rows() {
    for h in [
        "REQUEST_ID  TIME  METHOD  ENDPOINT  STATUS",
        "ip\ttime\tmethod\tpath\tstatus",
        "|---|:---:|---|",
        "+------+------+",
    ] {
        assert!(matches!(parse_line(h), Parsed::Header), "{h}");
    }
}

#[test]
fn json_canonical_keys() {
    let l = rec(concat!(
        r#"{"kind":"api","time":"2026-11-20T08:00:00.000Z","request_id":"r1","method":"POST","#,
        r#""endpoint":"https://api.line.me/v2/bot/message/push","status":200,"#,
        r#""request_body":{"to":"Uabc","messages":[]},"response_body":"{\"sentMessages\":[]}","#,
        r#""retry_key":"k1","accepted_request_id":"r0","extra":{"nested":[1,2]}}"#
    ));
    assert_eq!(l.kind, Kind::Api);
    assert_eq!(l.fields.time, t("2026-11-20T08:00:00Z"));
    assert_eq!(l.fields.request_id.as_deref(), Some("r1"));
    assert_eq!(l.fields.retry_key.as_deref(), Some("k1"));
    assert_eq!(l.fields.accepted_request_id.as_deref(), Some("r0"));
    assert_eq!(l.fields.status, 200);
    assert!(!l.fields.request_body.unwrap().is_string());
    assert!(l.fields.response_body.as_ref().unwrap().is_string());
    assert_eq!(l.fields.response_body.as_ref().unwrap().text(), r#"{"sentMessages":[]}"#);
}

#[test]
fn json_aliases_any_case() {
    // (line, kind, field, expected value)
    let cases: &[(&str, Kind, &str, &str)] = &[
        (
            r#"{"X-Line-Request-Id":"a","ts":1700000000,"url":"/v2/bot/x","status_code":"200"}"#,
            Kind::Api,
            "request_id",
            "a",
        ),
        (
            r#"{"requestId":"b","timestamp":"2026-11-20T08:00:00Z","endpoint":"/v2/bot/x","statusCode":201}"#,
            Kind::Api,
            "request_id",
            "b",
        ),
        (r#"{"REQUESTID":"c","@timestamp":"2026-11-20T08:00:00Z"}"#, Kind::Api, "request_id", "c"),
        (r#"{"remote_addr":"1.2.3.4","time":1700000000000,"url":"/cb","status":200}"#, Kind::Webhook, "ip", "1.2.3.4"),
        (r#"{"Sender_IP":"1.2.3.4","time":1700000000,"path":"/cb"}"#, Kind::Webhook, "ip", "1.2.3.4"),
        (r#"{"client_ip":"::1","time":1700000000}"#, Kind::Webhook, "ip", "::1"),
        (r#"{"x-line-signature":"sig=","time":1700000000}"#, Kind::Webhook, "signature", "sig="),
        (r#"{"body":"{}","time":1700000000}"#, Kind::Webhook, "path", ""),
        (r#"{"request_id":"d","x-line-retry-key":"rk","time":1700000000}"#, Kind::Api, "retry_key", "rk"),
        (
            r#"{"request_id":"d","X-Line-Accepted-Request-Id":"ar","time":1700000000}"#,
            Kind::Api,
            "accepted_request_id",
            "ar",
        ),
        (
            r#"{"endpoint":"https://api.line.me/message/v3/notifier/send?target=service","time":1700000000,"notificationToken":"nt"}"#,
            Kind::MiniApp,
            "notification_token",
            "nt",
        ),
        (
            r#"{"kind":"MINIAPP","time":1700000000,"url":"https://api.line.me/message/v3/notifier/token","notification_token":"nt2"}"#,
            Kind::MiniApp,
            "notification_token",
            "nt2",
        ),
        (r#"{"kind":"webhook","time":1700000000,"url":"/hook"}"#, Kind::Webhook, "path", "/hook"),
    ];
    for (line, kind, field, want) in cases {
        let l = rec(line);
        assert_eq!(l.kind, *kind, "{line}");
        let f = &l.fields;
        let got = match *field {
            "request_id" => f.request_id.as_deref(),
            "ip" => f.ip.as_deref(),
            "signature" => f.signature.as_deref(),
            "retry_key" => f.retry_key.as_deref(),
            "accepted_request_id" => f.accepted_request_id.as_deref(),
            "notification_token" => f.notification_token.as_deref(),
            "path" => Some(l.target().unwrap_or("")),
            _ => unreachable!(),
        };
        assert_eq!(got, Some(*want), "{line}");
    }
    // Epoch seconds and milliseconds.
    assert_eq!(rec(cases[0].0).fields.time, 1_700_000_000_000);
    assert_eq!(rec(cases[3].0).fields.time, 1_700_000_000_000);
}

#[test]
fn json_canonical_key_wins_over_alias() {
    let l = rec(r#"{"ts":1,"time":"2026-11-20T08:00:00Z","request_id":"canon","requestId":"alias"}"#);
    assert_eq!(l.fields.time, t("2026-11-20T08:00:00Z"));
    assert_eq!(l.fields.request_id.as_deref(), Some("canon"));
    let l = rec(r#"{"requestId":"alias","request_id":"canon","time":1700000000}"#);
    assert_eq!(l.fields.request_id.as_deref(), Some("canon"));
}

#[test]
fn json_order_whitespace_and_escapes() {
    let l = rec(
        "{ \"status\" : 429 ,\n \"endpoint\":\"/v2/bot/message/push\", \"request_id\" : \"r\\u0031\", \"time\": \"2026-11-20T08:00:00Z\" }",
    );
    assert_eq!(l.kind, Kind::Api);
    assert_eq!(l.fields.request_id.as_deref(), Some("r1"));
    assert_eq!(l.fields.status, 429);
}

#[test]
fn byte_order_mark_is_ignored() {
    let l = rec("\u{feff}{\"request_id\":\"r\",\"time\":1700000000}");
    assert_eq!(l.kind, Kind::Api);
    let l = rec("\u{feff}203.0.113.1 Mon, 05 Jul 2021 08:10:00 GMT POST /linebot/webhook 200");
    assert_eq!(l.kind, Kind::Webhook);
}

#[test]
fn endpoint_paths() {
    assert_eq!(endpoint_path("https://api.line.me/v2/bot/message/push"), "/v2/bot/message/push");
    assert_eq!(
        endpoint_path("https://api.line.me/message/v3/notifier/send?target=service"),
        "/message/v3/notifier/send"
    );
    assert_eq!(endpoint_path("/linebot/webhook?x#y"), "/linebot/webhook");
    assert_eq!(endpoint_path("https://api.line.me"), "/");
}

#[test]
fn webhook_body_lenient() {
    let b = body::parse_webhook_body(
        r#"{"destination":"U1","events":[
            {"type":"message","mode":"active","timestamp":1462629479859,
             "source":{"type":"user","userId":"U4af"},"webhookEventId":"01F","deliveryContext":{"isRedelivery":true},
             "replyToken":"rt","message":{"id":325708,"type":"text","text":"hi"}},
            {"type":"unsend","source":"not-an-object","unsend":{"messageId":"325708"}},
            {"type":"greatNewFeature","newProp":{"a":[1]}},
            42
        ],"newTopLevel":true}"#,
    )
    .unwrap();
    assert_eq!(b.destination.as_deref(), Some("U1"));
    assert_eq!(b.events.len(), 3);
    let e = &b.events[0];
    assert_eq!(e.kind.str().as_deref(), Some("message"));
    assert_eq!(e.source.as_ref().unwrap().user_id.str().as_deref(), Some("U4af"));
    assert_eq!(e.delivery_context.as_ref().unwrap().is_redelivery, Some(true));
    assert_eq!(e.message.as_ref().unwrap().id.str().as_deref(), Some("325708"));
    assert!(b.events[1].source.is_none());
    assert_eq!(b.events[1].unsend.as_ref().unwrap().message_id.str().as_deref(), Some("325708"));
    assert_eq!(b.events[2].kind.str().as_deref(), Some("greatNewFeature"));
    assert!(body::parse_webhook_body("not json").is_none());
}

#[test]
fn webhook_body_fallbacks() {
    // A duplicated key makes the one-pass reader fail: every event is still counted.
    let b = body::parse_webhook_body(r#"{"events":[{"type":"message","type":"follow"},{"type":"join"}]}"#).unwrap();
    assert_eq!(b.events.len(), 2);
    assert_eq!(b.events[1].kind.str().as_deref(), Some("join"));
    // `events` that is not an array: no events, but still a body.
    let b = body::parse_webhook_body(r#"{"destination":"U1","events":"none"}"#).unwrap();
    assert_eq!((b.events.len(), b.destination.as_deref()), (0, Some("U1")));
    let b = body::parse_webhook_body(r#"{"destination":"U1"}"#).unwrap();
    assert!(b.events.is_empty());
}

#[test]
fn request_body_recipients() {
    let b = body::parse_request_body(r#"{"to":["U1","U2",3],"messages":[]}"#).unwrap();
    assert_eq!(b.to, ["U1", "U2"]);
    let b = body::parse_request_body(r#"{"replyToken":"rt","messages":[]}"#).unwrap();
    assert_eq!(b.reply_token.as_deref(), Some("rt"));
    let b = body::parse_request_body(r#"{"chatId":"U9","loadingSeconds":5}"#).unwrap();
    assert_eq!(b.chat_id.as_deref(), Some("U9"));
}

proptest::proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,200}") {
        let _ = parse_line(&s);
    }

    #[test]
    fn never_panics_json_like(s in "\\{\"(kind|time|status|body|url)\":[\"0-9a-z{}\\[\\],:. ]{0,60}\\}") {
        let _ = parse_line(&s);
    }
}

/// Every sample of every registered format is read by that format and
/// gives the fields the registry says it must.
#[test]
fn every_registered_format_reads_its_samples() {
    use super::format_name as name;
    use super::formats::{FORMATS, describe};
    let mut checked = 0;
    for (id, f) in FORMATS.iter().enumerate() {
        assert!(!f.samples.is_empty(), "{} has no sample", f.name);
        for s in f.samples {
            let Parsed::Record(l) = parse_line(s.line) else { panic!("{}: not a record: {}", f.name, s.line) };
            // An envelope's sample names the format of the line inside.
            let want = s.fields.iter().find(|(k, _)| *k == "format").map_or(f.name, |(_, v)| *v);
            assert_eq!(name(l.format), want, "read by another format: {}", s.line);
            if want == f.name {
                assert_eq!(usize::from(l.format), id);
            }
            for (field, want) in s.fields {
                assert_eq!(describe(&l, field), *want, "{}: {field} of {}", f.name, s.line);
            }
            checked += 1;
        }
    }
    assert!(checked >= FORMATS.len());
}

#[test]
fn a_header_row_is_words_only() {
    // A router line naming method, path and status is a request, not titles.
    let router = r#"750166+00:00 heroku[router]: at=info method=POST path="/lines/callback/" host=x.herokuapp.com fwd="147.92.150.195" service=591ms status=200 bytes=217"#;
    let Parsed::Record(l) = parse_line(router) else { panic!("not a record") };
    assert_eq!((l.kind, l.fields.status, l.fields.ip.as_deref()), (Kind::Webhook, 200, Some("147.92.150.195")));
    for data in [
        "method path status 200",
        "status of method=x",
        "status method /callback",
        "\"status\" \"method\"",
        "[status] [method]",
    ] {
        assert!(!matches!(parse_line(data), Parsed::Header), "{data}");
    }
    for h in [
        "Request ID (x-line-request-id) Time of API request HTTP method API endpoint Status code",
        "Method | Path | Status",
    ] {
        assert!(matches!(parse_line(h), Parsed::Header), "{h}");
    }
}

/// Access lines: a LINE delivery is a webhook receipt, anything else `http`.
#[test]
fn access_lines_by_agent_and_path() {
    let rows: &[(&str, Kind, &str, u16)] = &[
        (
            r#"1.2.3.4 - - [20/Nov/2026:08:00:00 +0000] "POST /anything HTTP/1.1" 200 2 "-" "LineBotWebhook/2.0""#,
            Kind::Webhook,
            "1.2.3.4",
            200,
        ),
        (
            r#"1.2.3.4 - - [20/Nov/2026:08:00:00 +0000] "POST /api/callback/ HTTP/1.1" 502 2 "-" "curl/8""#,
            Kind::Webhook,
            "1.2.3.4",
            502,
        ),
        (
            r#"1.2.3.4 - - [20/Nov/2026:08:00:00 +0000] "GET /callback HTTP/1.1" 405 2 "-" "curl/8""#,
            Kind::Http,
            "1.2.3.4",
            405,
        ),
        (r#"1.2.3.4 - - [20/Nov/2026:08:00:00 +0000] "POST /callbacks HTTP/1.1" 200 2"#, Kind::Http, "1.2.3.4", 200),
        (
            r#"1.2.3.4 - - [20/Nov/2026:08:00:00 +0000] "POST /webhook?x=1 HTTP/1.1" 200 2"#,
            Kind::Webhook,
            "1.2.3.4",
            200,
        ),
        ("INFO:     127.0.0.1:56137 - \"GET /health HTTP/1.1\" 200 OK", Kind::Http, "127.0.0.1", 200),
        (r#"::ffff:10.0.0.9 - - [20/Nov/2026:08:00:00 +0000] "GET / HTTP/1.1" 200 2"#, Kind::Http, "10.0.0.9", 200),
    ];
    for (line, kind, ip, status) in rows {
        let Parsed::Record(l) = parse_line(line) else { panic!("not a record: {line}") };
        assert_eq!((l.kind, l.fields.ip.as_deref(), l.fields.status), (*kind, Some(*ip), *status), "{line}");
    }
}

/// Timed lines that are not access lines are `log` records; lines without a
/// leading time stay unparsed.
#[test]
fn timed_lines_are_log_records() {
    let rows: &[(&str, Option<Level>, &str)] = &[
        ("2026-11-20T08:00:00Z WARNING quota low", Some(Level::Warn), "quota low"),
        (
            "2026-11-20T08:00:00.5Z INFO bot.callback: webhook handled",
            Some(Level::Info),
            "bot.callback: webhook handled",
        ),
        ("2026-11-20 08:00:00.123 [main] ERROR c.e.Bot - push failed", Some(Level::Error), "c.e.Bot - push failed"),
        ("2026/11/20 08:00:00 listening on :8080", None, "listening on :8080"),
        (
            "I, [2026-11-20T08:00:00.123456 #1234]  INFO -- : Started POST \"/x\"",
            Some(Level::Info),
            "Started POST \"/x\"",
        ),
        ("[Sat Nov 20 08:00:00.123 2026] [core:error] [pid 1] AH00037", None, "[core:error] [pid 1] AH00037"),
        (r#"{"time":"2026-11-20T08:00:00Z","level":"debug","message":"tick"}"#, Some(Level::Debug), "tick"),
        // journald: MESSAGE as bytes when it is not valid UTF-8.
        (
            r#"{"__REALTIME_TIMESTAMP":"1422990364739502","MESSAGE":[104,105,255],"_SYSTEMD_UNIT":"bot.service"}"#,
            None,
            "hi\u{fffd}",
        ),
    ];
    for (line, level, message) in rows {
        let Parsed::Record(l) = parse_line(line) else { panic!("not a record: {line}") };
        assert_eq!(
            (l.kind, l.fields.level, l.fields.message.as_deref()),
            (Kind::Log, *level, Some(*message)),
            "{line}"
        );
    }
    for not_timed in
        ["Traceback (most recent call last):", "    at Foo.bar (x.js:1:1)", "08:00 not a clock", "25:00:00 x"]
    {
        assert!(matches!(parse_line(not_timed), Parsed::Unparsed), "{not_timed}");
    }
    // A time of day alone (logback's default pattern) is a log line with no
    // instant of its own; an envelope's time fills it in.
    let l = rec("08:00:02.123 [main] ERROR c.e.Bot - reply failed");
    assert_eq!((l.kind, l.fields.time, l.fields.level), (Kind::Log, i64::MIN, Some(Level::Error)));
    let l = rec("2026-11-20T08:00:02.5Z stdout F 08:00:02.123 [main] INFO c.e.Bot - ok");
    assert_eq!(
        (l.kind, l.fields.time, l.fields.origin.as_deref()),
        (Kind::Log, t("2026-11-20T08:00:02.5Z"), Some("stdout"))
    );
}

#[test]
fn coloured_prefixes_are_read_without_their_colours() {
    let l = rec("\x1b[36mbot-1  |\x1b[0m 2026-11-20T08:00:00Z INFO ok");
    assert_eq!(
        (l.kind, l.fields.origin.as_deref(), l.format),
        (Kind::Log, Some("bot-1"), crate::parse::formats::TIMED_TEXT)
    );
    let l = rec("\x1b[32mbot-7cfd7bf68f-nk5kr\x1b[0m \x1b[33mweb\x1b[0m 2026-11-20T08:00:00Z INFO ok");
    assert_eq!(l.fields.origin.as_deref(), Some("bot-7cfd7bf68f-nk5kr/web"));
}

#[test]
fn stern_only_with_a_controllers_pod_name() {
    let l = rec("bot-7cfd7bf68f-nk5kr web 2026-11-20T08:00:00Z ERROR reply failed");
    assert_eq!((l.kind, l.fields.origin.as_deref()), (Kind::Log, Some("bot-7cfd7bf68f-nk5kr/web")));
    let l = rec("prod bot-84b9c-x2x4z web 2026-11-20T08:00:00Z INFO ok");
    assert_eq!(l.fields.origin.as_deref(), Some("prod/bot-84b9c-x2x4z/web"));
    // Plain words, a suffix with a vowel or of another length, upper case:
    // not stern, so nothing is peeled off.
    for line in [
        "error occurred while sending",
        "hello-world web 2026-11-20T08:00:00Z INFO ok",
        "bot-7cfd7bf68f-nk5k web 2026-11-20T08:00:00Z INFO ok",
        "Bot-7cfd7bf68f-nk5kr web 2026-11-20T08:00:00Z INFO ok",
    ] {
        let peeled = crate::parse::envelope::peel(line);
        assert!(peeled.is_none_or(|p| p.format != crate::parse::formats::STERN), "{line}");
    }
}

#[test]
fn an_address_with_a_port_is_a_sender_and_login_is_api() {
    let l = rec("147.92.150.198:443 2026-11-20T08:00:00Z POST /callback 200");
    assert_eq!(
        (l.kind, l.fields.ip.as_deref(), l.fields.request_id.as_deref()),
        (Kind::Webhook, Some("147.92.150.198"), None)
    );
    let l = rec("[2001:db8::1]:8443 2026-11-20T08:00:00Z POST /callback 200");
    assert_eq!((l.kind, l.fields.ip.as_deref()), (Kind::Webhook, Some("2001:db8::1")));
    for endpoint in [
        "https://api.line.me/v2/profile",
        "https://api.line.me/oauth2/v2.1/token",
        "https://access.line.me/dialog/bot/accountLink",
    ] {
        let line = format!("2026-11-20T08:00:00Z GET {endpoint} 200");
        assert_eq!(rec(&line).kind, Kind::Api, "{endpoint}");
    }
}

#[test]
fn a_syslog_line_in_an_envelope_takes_the_envelopes_year() {
    let l = rec("2019-12-31T23:59:30Z stdout F Dec 31 23:59:00 host app[1]: worker started");
    assert_eq!(l.fields.time, t("2019-12-31T23:59:00Z"));
    let l = rec(r#"{"log":"Jan  1 00:00:05 host app[1]: tick\n","stream":"stdout","time":"2020-01-01T00:00:06Z"}"#);
    assert_eq!(l.fields.time, t("2020-01-01T00:00:05Z"));
}

/// A webhook body wherever a bot logs it: as a JSON line's field (`body`,
/// `req.body`, `payload` as a string, `webhook`, `event`), after a prefix
/// (the line's first object, not the innermost one), or as a Python dict.
#[test]
fn webhook_bodies_wherever_logged() {
    let rows: &[(&str, usize)] = &[
        (
            r#"{"time":"2026-11-20T08:00:01Z","msg":"webhook","req":{"body":{"destination":"Ubot","events":[{"type":"follow","timestamp":1}]}}}"#,
            1,
        ),
        (r#"{"time":"2026-11-20T08:00:02Z","msg":"webhook","payload":"{\"destination\":\"Ubot\",\"events\":[]}"}"#, 0),
        (r#"{"time":"2026-11-20T08:00:03Z","msg":"in","webhook":{"destination":"Ubot","events":[]}}"#, 0),
        (r#"{"time":"2026-11-20T08:00:04Z","event":{"destination":"Ubot","events":[{"type":"unfollow"}]}}"#, 1),
        (
            r#"490766 body =  {"events":[{"type":"message","message":{"type":"text","id":"1","text":"a"}}],"destination":"Ua6"}"#,
            1,
        ),
        (
            "2026-11-20 08:00:05,000 INFO body =  {'events': [{'type': 'message', 'replyToken': 'r2', 'message': {'type': 'text', 'text': \"it's\", 'x': None, 'y': True}}], 'destination': 'Ubot'}",
            1,
        ),
    ];
    for (line, events) in rows {
        let l = rec(line);
        assert_eq!((l.kind, super::format_name(l.format)), (Kind::Webhook, "webhook-body"), "{line}");
        let body = l.fields.body.as_ref().map(|b| b.text().into_owned()).unwrap_or_default();
        let wb = body::parse_webhook_body(&body).unwrap();
        assert_eq!(wb.events.len(), *events, "{line}");
    }
    // Without `events`, or not a literal: no body.
    for line in [
        r#"{"time":"2026-11-20T08:00:01Z","msg":"x","payload":{"destination":"Ubot"}}"#,
        "2026-11-20 08:00:05,000 INFO body =  {'destination': 'Ubot'}",
        "2026-11-20 08:00:05,000 INFO body =  {'events': [], 'destination': foo()}",
    ] {
        assert!(!matches!(parse_line(line), Parsed::Record(Line { kind: Kind::Webhook, .. })), "{line}");
    }
}

/// The Java SDK's `details`, v5/v6 (Lombok) and v7+ (records), kept as the
/// response body's `details[]` with LINE's message and the request ID.
#[test]
fn java_error_details() {
    let rows: &[(&str, u16, Option<&str>, &str, &str)] = &[
        (
            "com.linecorp.bot.client.exception.BadRequestException: The request body has 2 error(s) : ErrorResponse(requestId=5b0f1e7a-33c1-4f0e-9d51-6a0c2d7e8f10, message=The request body has 2 error(s), details=[ErrorDetail(message=May not be empty, property=messages[0].text), ErrorDetail(message=Size must be between 1 and 5, property=messages)])",
            400,
            Some("5b0f1e7a-33c1-4f0e-9d51-6a0c2d7e8f10"),
            "The request body has 2 error(s)",
            r#"[{"message":"May not be empty","property":"messages[0].text"},{"message":"Size must be between 1 and 5","property":"messages"}]"#,
        ),
        (
            "2026-11-20 08:00:00.123 WARN c.e.Bot - com.linecorp.bot.messaging.client.MessagingApiClientException: API returns error: code=400 requestUrl=https://api.line.me/v2/bot/message/push x-line-accepted-request-id=a x-line-request-id=0e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9 error='The property, 'to', in the request body is invalid' details='[ErrorDetail[message=invalid, property=to]]' sentMessages='null'",
            400,
            Some("0e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9"),
            "The property, 'to', in the request body is invalid",
            r#"[{"message":"invalid","property":"to"}]"#,
        ),
        (
            "Caused by: com.linecorp.bot.messaging.client.MessagingApiClientException: API returns error: code=400 requestUrl=https://api.line.me/v2/bot/message/reply requestId=f3610029-302a-4fc3-8238-d3d6deadbeef error='Invalid reply token' details='null'",
            400,
            Some("f3610029-302a-4fc3-8238-d3d6deadbeef"),
            "Invalid reply token",
            "",
        ),
    ];
    for (line, status, id, message, details) in rows {
        let Parsed::Record(l) = parse_line(line) else { panic!("not a record: {line}") };
        assert_eq!((l.kind, l.fields.status, l.fields.request_id.as_deref()), (Kind::Api, *status, *id), "{line}");
        assert_eq!(l.fields.message.as_deref(), Some(*message), "{line}");
        let body: serde_json::Value = l
            .fields
            .response_body
            .as_ref()
            .map_or(serde_json::Value::Null, |b| serde_json::from_str(b.json()).unwrap());
        let got = body.get("details").map(|d| d.to_string()).unwrap_or_default();
        assert_eq!(got, *details, "{line}");
    }
}

#[test]
fn dotted_quads_read_as_the_standard_library_reads_them() {
    for s in [
        "147.92.150.192",
        "0.0.0.0",
        "255.255.255.255",
        "256.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "1.2.3.04",
        "1..2.3",
        ".1.2.3",
        "1.2.3.",
        "1.2.3.4 ",
        "1.2.3.a",
        "1000.1.1.1",
        "",
        "1.2.3.4:80",
        "10.0.0.1",
    ] {
        assert_eq!(text::is_dotted_quad(s), s.parse::<std::net::Ipv4Addr>().is_ok(), "{s:?}");
    }
}

#[test]
fn simple_escapes_read_as_serde_json_reads_them() {
    for text in ["a\"b", "\\", "\u{8}\u{c}\n\r\t", "予約\"x\"", "\"{\\\"a\\\":1}\"", "end\\"] {
        let literal = serde_json::to_string(text).unwrap();
        let read = unescape_simple(&literal);
        assert_eq!(read.as_deref(), Some(text), "{literal}");
    }
    assert_eq!(unescape_simple(r#""a\/b\"""#).as_deref(), Some("a/b\""));
    // No escape (borrowed by serde_json instead), a `\u` escape, not one literal: not read here.
    for literal in [r#""plain""#, r#""caf\u00e9""#, r#""a\"b" "#, "\"", r#"{"a":1}"#] {
        assert_eq!(unescape_simple(literal), None, "{literal}");
    }
    let body = Body::owned(serde_json::value::RawValue::from_string(r#""caf\u00e9 \"x\"""#.into()).unwrap());
    assert_eq!(body.text(), "café \"x\"");
}

#[test]
fn an_event_object_with_a_repeated_key_is_absent_and_the_rest_is_read() {
    let b = body::parse_webhook_body(
        r#"{"events":[{"type":"message","source":{"type":"user","userId":"U1","userId":"U2"},
            "deliveryContext":{"isRedelivery":true,"isRedelivery":false},"replyToken":"rt",
            "message":{"id":"7","type":"text","text":"hi"},"unsend":{"messageId":"7","messageId":"8"}}]}"#,
    )
    .unwrap();
    let e = &b.events[0];
    assert!(e.source.is_none() && e.delivery_context.is_none() && e.unsend.is_none());
    assert_eq!(e.reply_token.str().as_deref(), Some("rt"));
    assert_eq!(e.message.as_ref().unwrap().text.str().as_deref(), Some("hi"));
    // Not objects: absent; unknown keys inside: skipped.
    let b = body::parse_webhook_body(
        r#"{"events":[{"source":[1,{"a":2}],"deliveryContext":"x","message":{"id":1,"extra":{"deep":[1]}}}]}"#,
    )
    .unwrap();
    let e = &b.events[0];
    assert!(e.source.is_none() && e.delivery_context.is_none());
    assert_eq!(e.message.as_ref().unwrap().id.str().as_deref(), Some("1"));
}

#[test]
fn methods_any_case_and_nothing_else() {
    use crate::model::Method;
    for (s, m) in [("GET", Some(Method::Get)), ("post", Some(Method::Post)), ("Put", Some(Method::Put))] {
        assert_eq!(Method::parse(s), m);
    }
    for (s, m) in
        [("DELETE", Method::Delete), ("patch", Method::Patch), ("HEAD", Method::Head), ("options", Method::Options)]
    {
        assert_eq!(Method::parse(s), Some(m));
    }
    for s in ["", "GE", "GETS", "POSTX", "OPTIONSS", "CONNECT", "héad", "2026-11-20T08:00:00Z"] {
        assert_eq!(Method::parse(s), None, "{s}");
    }
}

proptest::proptest! {
    #[test]
    fn unescaping_agrees_with_serde_json(s in "[a-z\"\\\\/\n\t\r\u{8}\u{c}予é]{0,40}") {
        let literal = serde_json::to_string(&s).unwrap();
        if let Some(read) = unescape_simple(&literal) {
            proptest::prop_assert_eq!(read.as_ref(), s.as_str());
        }
    }

    /// Long runs between escapes (read eight bytes at a time), multi-byte
    /// characters among them.
    #[test]
    fn unescaping_long_runs_agrees_with_serde_json(s in "([a-z0-9{}:,予é]{0,30}[\"\\\\/\n]?){0,12}") {
        let literal = serde_json::to_string(&s).unwrap();
        if let Some(read) = unescape_simple(&literal) {
            proptest::prop_assert_eq!(read.as_ref(), s.as_str());
        }
    }

    /// The first and last words as `splitn` and `rsplitn` cut them (lines
    /// long enough for memchr's wide search as well as its short one).
    #[test]
    fn words_are_what_splitn_gives(s in "[a b\t予]{0,80}") {
        fn pad(v: Vec<&str>, n: usize) -> Vec<Option<&str>> {
            (0..n).map(|i| v.get(i).copied()).collect()
        }
        proptest::prop_assert_eq!(words::<4>(&s).to_vec(), pad(s.splitn(4, ' ').collect(), 4));
        proptest::prop_assert_eq!(words::<3>(&s).to_vec(), pad(s.splitn(3, ' ').collect(), 3));
        proptest::prop_assert_eq!(words::<1>(&s), [Some(s.as_str())]);
        proptest::prop_assert_eq!(rwords::<4>(&s).to_vec(), pad(s.rsplitn(4, ' ').collect(), 4));
        proptest::prop_assert_eq!(rwords::<2>(&s).to_vec(), pad(s.rsplitn(2, ' ').collect(), 2));
    }

    #[test]
    fn dotted_quads_agree_with_the_standard_library(s in "[0-9.]{0,17}") {
        proptest::prop_assert_eq!(text::is_dotted_quad(&s), s.parse::<std::net::Ipv4Addr>().is_ok());
    }
}

proptest::proptest! {
    #[test]
    fn fields_are_the_runs_between_blanks(line in "[a-c \t]{0,80}|[a-z0-9 ]{60,300}") {
        let mut spans = [(0, 0); text::MAX_FIELDS];
        let n = text::split_fields(&line, &mut spans);
        let mut want = Vec::new();
        let mut start = 0;
        for (i, c) in line.char_indices().chain(std::iter::once((line.len(), ' '))) {
            if c == ' ' || c == '\t' {
                if i > start {
                    want.push((start as u32, i as u32));
                }
                start = i + 1;
            }
        }
        want.truncate(text::MAX_FIELDS);
        proptest::prop_assert_eq!(&spans[..n], &want[..]);
    }
}

#[test]
fn month_names_any_case() {
    for (i, m) in
        ["Jan", "feb", "MAR", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].iter().enumerate()
    {
        let line = format!("Mon, 05 {m} 2021 08:14:35 GMT");
        let want = format!("2021-{:02}-05T08:14:35Z", i + 1);
        assert_eq!(parse_time(&line), Some(t(&want)), "{line}");
    }
    assert_eq!(parse_time("05 July 2021 08:14:35 GMT"), Some(t("2021-07-05T08:14:35Z")));
    assert_eq!(parse_time("05 Jux 2021 08:14:35 GMT"), None);
    assert_eq!(parse_time("05 Ju 2021 08:14:35 GMT"), None);
}

#[test]
fn json_kind_names_any_case_and_spelling() {
    for (kind, want) in [
        ("api", Some(Kind::Api)),
        ("Messaging_API", Some(Kind::Api)),
        ("REQUEST", Some(Kind::Api)),
        ("Web-Hook", Some(Kind::Webhook)),
        ("mini app", Some(Kind::MiniApp)),
        ("Service_Message", Some(Kind::MiniApp)),
        ("webhooks", None),
        ("messaging api request", None),
        ("ａpi", None),
        ("", None),
    ] {
        let line = format!(r#"{{"kind":"{kind}","time":"2026-11-20T08:00:00Z","status":200}}"#);
        let got = match parse_line(&line) {
            Parsed::Record(l) if l.format == formats::LINE_JSON => Some(l.kind),
            _ => None,
        };
        assert_eq!(got, want, "{kind}");
    }
}

/// The words searched for in a line are found where the automaton alone
/// found them, and no line without one of them reads as holding one.
#[test]
fn words_are_found_by_the_quick_look_as_by_the_automaton() {
    let set = Words::new(&["--> ", "HTTPError: ", "無效的簽名", "\nReason: "]);
    for (line, holds) in [
        ("", false),
        ("-->", false),
        ("POST /callback --> 200", true),
        ("requests.exceptions.HTTPError: 429", true),
        ("x 無效的簽名", true),
        ("first\nReason: bad", true),
        ("Reason: no newline before", false),
        ("2026-11-20 08:00:17,942 INFO bot.reply: replied 200", false),
    ] {
        assert_eq!(set.any(line), holds, "{line:?}");
        let automaton = set.matcher.as_ref().is_some_and(|m| m.is_match(line));
        assert_eq!(automaton, holds, "{line:?}");
        assert_eq!(set.matcher_for(line).is_some(), holds, "{line:?}");
    }
}
