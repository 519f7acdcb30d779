//! Log text LINE bot operators published (`../shared/fixtures/real-world`,
//! described line by line in its `EXPECTED.md`), read as `EXPECTED.md` says
//! for what linelens reads so far: webhook receipts from access logs,
//! routers and envelopes, and every other request as `http`. Skipped with a
//! note when the folder is not beside the repository.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use linelens::model::Kind;
use linelens::parse::{Parsed, formats, parse_line};

fn dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/real-world");
    if d.is_dir() {
        Some(d)
    } else {
        println!("note: {} is absent; skipping the real-world log checks", d.display());
        None
    }
}

/// Per file: every webhook receipt, as (line, status, sender), and the
/// lines that are other HTTP requests. No other line may be either.
#[allow(clippy::type_complexity)]
const EXPECTED: &[(&str, &[(usize, u16, &str)], &[usize])] = &[
    ("render-gunicorn-flask-callback_dt79.log", &[(5, 200, "10.24.4.132"), (50, 200, "10.29.69.3")], &[59, 67]),
    ("heroku-django-cut-debug-callback_coalb.log", &[(37, 200, "147.92.150.195"), (40, 200, "10.150.193.19")], &[]),
    ("flask-linebotapierror-headers_leftovers-bot.log", &[(40, 500, "127.0.0.1")], &[]),
    (
        "heroku-flask-redis-callback_gspace-note.log",
        &[
            (3, 200, "10.113.192.240"),
            (4, 200, "147.92.150.194"),
            (11, 200, "10.69.244.94"),
            (12, 200, "147.92.150.194"),
        ],
        &[],
    ),
    ("go-gin-linebot-apierror-replicate_note.log", &[], &[]),
    ("go-log-linebot-apierror-flex_kkdai-blog.log", &[], &[]),
    (
        "flask-logging-request-body-invalid-signature_minimal-flask.log",
        &[(13, 400, "127.0.0.1"), (20, 400, "127.0.0.1")],
        &[],
    ),
    (
        "uvicorn-fastapi-raw-event-dump-redelivery_andrew-line-bot-0528.log",
        &[(18, 200, "147.92.149.166"), (26, 200, "147.92.149.166")],
        &[27, 28, 29, 30],
    ),
    (
        "uvicorn-fastapi-missing-signature-verify_andrew-line-bot-0529.log",
        &[(10, 400, "127.0.0.1"), (13, 200, "147.92.149.165")],
        &[6, 7, 8],
    ),
    ("php-builtin-server-callback-uncaught_line-bot-sdk-php-675.log", &[(1, 200, "127.0.0.1")], &[]),
    (
        "envelopes/heroku-syslog-papertrail-callback_cofacts-kb-20200311.log",
        &[
            (1, 200, "147.92.150.196"),
            (2, 200, "147.92.150.196"),
            (3, 200, "147.92.150.196"),
            (6, 200, "147.92.150.196"),
            (7, 200, "147.92.150.196"),
            (11, 200, "147.92.150.196"),
        ],
        &[],
    ),
    (
        "envelopes/jupyter-ipynb-outputs-werkzeug-callback_nsysu-soulink.log",
        &[(31, 200, "127.0.0.1"), (32, 200, "127.0.0.1"), (33, 200, "127.0.0.1")],
        &[],
    ),
    ("envelopes/docker-json-file-nginx-access_railcar-32.log", &[], &[1, 3]),
    ("envelopes/kubectl-logs-prefix-nginx_ansible-for-kubernetes-75.log", &[], &[1, 2]),
    ("envelopes/cri-o-container-logfile-F_crio-3181.log", &[], &[]),
    ("envelopes/journalctl-o-json-nginx_digitalocean-journalctl-tutorial.log", &[], &[]),
];

#[test]
fn webhook_receipts_and_other_requests_as_expected() {
    let Some(dir) = dir() else { return };
    for (file, receipts, http) in EXPECTED {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let mut got_wh = BTreeMap::new();
        let mut got_http = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if let Parsed::Record(l) = parse_line(line) {
                let from_text =
                    [formats::WEBHOOK_BODY, formats::WEBHOOK_EVENT, formats::SIGNATURE_FAILURE].contains(&l.format);
                match l.kind {
                    Kind::Webhook if !from_text => {
                        got_wh.insert(i + 1, (l.fields.status, l.fields.ip.as_deref().unwrap_or("-").to_owned()));
                    }
                    Kind::Http => got_http.push(i + 1),
                    _ => {}
                }
            }
        }
        let want: BTreeMap<usize, (u16, String)> =
            receipts.iter().map(|(n, s, ip)| (*n, (*s, (*ip).to_owned()))).collect();
        assert_eq!(got_wh, want, "{file}: webhook receipts");
        assert_eq!(got_http, *http, "{file}: other HTTP requests");
    }
}

/// The times EXPECTED.md gives for receipts: the access line's own time,
/// the envelope's when the line has none, none when nothing gives one.
#[test]
fn receipt_times() {
    let Some(dir) = dir() else { return };
    let time = |file: &str, n: usize| {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let line = text.lines().nth(n - 1).unwrap().to_owned();
        match parse_line(&line) {
            Parsed::Record(l) if l.fields.time != i64::MIN => linelens::time::format_rfc3339(l.fields.time),
            Parsed::Record(_) => "-".into(),
            _ => panic!("{file}:{n} is not a record"),
        }
    };
    assert_eq!(time("render-gunicorn-flask-callback_dt79.log", 5), "2026-04-23T03:44:54.000Z");
    // `[12/May/2020:14:33:53 +0800]` inside Heroku's `app[web.1]:` prefix.
    assert_eq!(time("heroku-flask-redis-callback_gspace-note.log", 3), "2020-05-12T06:33:53.000Z");
    assert_eq!(time("heroku-flask-redis-callback_gspace-note.log", 4), "2020-05-12T06:33:53.370Z");
    // The RFC 5424 time, not Papertrail's arrival time before it.
    assert_eq!(
        time("envelopes/heroku-syslog-papertrail-callback_cofacts-kb-20200311.log", 3),
        "2020-03-09T03:27:45.398Z"
    );
    // A router line whose date was cut away has no time of its own.
    assert_eq!(time("heroku-django-cut-debug-callback_coalb.log", 37), "-");
    assert_eq!(time("heroku-django-cut-debug-callback_coalb.log", 40), "2019-12-23T03:10:02.000Z");
    // journald's microseconds.
    assert_eq!(
        time("envelopes/journalctl-o-json-nginx_digitalocean-journalctl-tutorial.log", 1),
        "2015-02-03T19:06:04.739Z"
    );
}

/// What the router says beyond the request: the service time, the sender
/// behind the proxy (`fwd`), and the envelope's origin.
#[test]
fn router_and_envelope_details() {
    let Some(dir) = dir() else { return };
    let text = std::fs::read_to_string(dir.join("heroku-django-cut-debug-callback_coalb.log")).unwrap();
    let Parsed::Record(l) = parse_line(text.lines().nth(36).unwrap()) else { panic!() };
    assert_eq!((l.fields.duration_ms, l.fields.path.as_deref()), (Some(591), Some("/lines/callback/")));
    let text =
        std::fs::read_to_string(dir.join("envelopes/kubectl-logs-prefix-nginx_ansible-for-kubernetes-75.log")).unwrap();
    let Parsed::Record(l) = parse_line(text.lines().next().unwrap()) else { panic!() };
    assert_eq!(l.fields.origin.as_deref(), Some("pod/echo-req-7cfd7bf68f-nk5kr/hello"));
    let text = std::fs::read_to_string(dir.join("envelopes/docker-json-file-nginx-access_railcar-32.log")).unwrap();
    let Parsed::Record(l) = parse_line(text.lines().next().unwrap()) else { panic!() };
    assert_eq!((l.kind, l.fields.origin.as_deref(), l.fields.status), (Kind::Http, Some("stdout"), 200));
}

/// Cloud Logging entries exported pretty-printed: entries 1 and 3 are Cloud
/// Run requests (GET → 500), entry 2 a traceback in `textPayload`.
#[test]
fn pretty_printed_cloud_logging_entries() {
    let Some(dir) = dir() else { return };
    let data = std::fs::read(dir.join("envelopes/gcp-cloud-logging-cloudrun-export_palios-taey.log")).unwrap();
    let mut s = linelens::store::Store::new();
    linelens::ingest::load_bytes(&mut s, "gcp", &data);
    let recs: Vec<_> = (0..s.len() as u32).map(|i| s.get(i).unwrap()).collect();
    let got: Vec<(Kind, u16)> = recs.iter().map(|r| (r.kind(), r.status())).collect();
    assert_eq!(got.iter().filter(|g| **g == (Kind::Http, 500)).count(), 2, "{got:?}");
    assert_eq!(got.iter().filter(|g| g.0 == Kind::Log).count(), 1, "{got:?}");
    assert_eq!((s.totals.unparsed, s.len()), (0, 3));
    let mut lines = s.lines_of(&recs);
    lines.sort_unstable();
    assert_eq!(lines, [1, 37, 64]);
}

/// Each file read through the store as `report` reads it: (kind, status,
/// request ID, format) of every record from SDK output, logged bodies and
/// signature failures, in line order.
type FromText = (Kind, u16, Option<String>, &'static str);

/// One file of the folder read into a store, as `report` reads it.
fn store_of(dir: &Path, file: &str) -> linelens::store::Store {
    let data = std::fs::read(dir.join(file)).unwrap();
    let mut s = linelens::store::Store::new();
    linelens::ingest::load_bytes(&mut s, file, &data);
    s
}

fn from_text(dir: &Path, file: &str) -> Vec<FromText> {
    let s = store_of(dir, file);
    let recs: Vec<_> = (0..s.len() as u32).map(|i| s.get(i).unwrap()).collect();
    let lines = s.lines_of(&recs);
    let mut out: Vec<(u64, FromText)> = Vec::new();
    for (r, n) in recs.iter().zip(lines) {
        let text = s.line_text(*r).unwrap();
        if let Parsed::Record(l) = parse_line(&text) {
            let name = linelens::parse::format_name(l.format);
            if ["sdk-error", "webhook-body", "webhook-event", "signature-failure"].contains(&name) {
                out.push((n, (r.kind(), l.fields.status, l.fields.request_id.map(|x| x.into_owned()), name)));
            }
        }
    }
    out.sort_by_key(|x| x.0);
    out.into_iter().map(|x| x.1).collect()
}

/// EXPECTED.md's API errors, logged bodies and signature failures; the same
/// error printed twice (printed then raised, a cause chain) counted once.
#[test]
fn sdk_errors_bodies_and_signature_failures() {
    let Some(dir) = dir() else { return };
    let api = |status: u16, id: Option<&str>| (Kind::Api, status, id.map(str::to_owned), "sdk-error");
    let body = (Kind::Webhook, 0, None, "webhook-body");
    let event = (Kind::Webhook, 0, None, "webhook-event");
    // A failure line merged into the access line of its request (L13, L20
    // in the Flask file; L10 in the uvicorn one) is a log line.
    let sig = (Kind::Log, 0, None, "signature-failure");
    let cases: &[(&str, Vec<FromText>)] = &[
        (
            "flask-linebotapierror-headers_leftovers-bot.log",
            vec![
                api(400, Some("06f06056-7d52-4117-99c7-def1df68e570")),
                api(400, Some("f3a62d1e-fe44-4848-995f-88013d707d95")),
            ],
        ),
        ("go-log-linebot-apierror-flex_kkdai-blog.log", vec![api(400, None)]),
        ("go-gin-linebot-apierror-replicate_note.log", vec![api(400, None)]),
        ("java-springboot-badrequest-invalid-reply-token_qiita-esfahan.log", vec![api(400, None)]),
        ("node-axios-push-400-invalid-to_uptime-kuma-913.log", vec![api(400, None)]),
        (
            "node-sdk8-httperror-415-full-dump_mitsutoshi-line-bot.log",
            vec![api(415, Some("163c1297-6653-4e2d-b28e-c22ad779fb3f"))],
        ),
        (
            "python-v3-apiexception-404-profile_linebot-error-analyzer.log",
            vec![api(404, Some("e40f3c8f-ab14-4042-9194-4c26ee828b80"))],
        ),
        (
            "flask-logging-request-body-invalid-signature_minimal-flask.log",
            vec![body.clone(), sig.clone(), body.clone(), sig.clone()],
        ),
        ("uvicorn-fastapi-missing-signature-verify_andrew-line-bot-0529.log", vec![sig.clone()]),
        ("aws-apigw-lambda-event-inspect-verify_node-comment.log", vec![body.clone()]),
        // L10 a dict, L11 the same body as JSON (its entry), L16 the dict
        // again apart: one delivery, the repeat a log line; so are its
        // event printed alone (L22, L36; L17 and L21 join their entries).
        (
            "heroku-django-cut-debug-callback_coalb.log",
            vec![
                body.clone(),
                (Kind::Log, 0, None, "webhook-body"),
                (Kind::Log, 0, None, "webhook-event"),
                (Kind::Log, 0, None, "webhook-event"),
            ],
        ),
        // Events logged alone: the Python SDK's repr of each delivery, an
        // app's `[LOG] Timeout {event}`, events inside hard-wrapped blocks.
        ("uvicorn-fastapi-raw-event-dump-redelivery_andrew-line-bot-0528.log", vec![event.clone(), event.clone()]),
        ("envelopes/heroku-syslog-papertrail-callback_cofacts-kb-20200311.log", vec![event.clone(); 6]),
        ("node-context-input-output-wrapped_cofacts-log-parser-fixture.log", vec![event.clone(), event.clone()]),
        // L38: the bot's `LINE_REPLY_HTTP status_code=200 body="{…sentMessages…}"`.
        ("render-gunicorn-flask-callback_dt79.log", vec![api(200, None)]),
    ];
    for (file, want) in cases {
        let got = from_text(&dir, file);
        let got: Vec<_> = got.iter().map(|(k, s, id, f)| (*k, *s, id.clone(), *f)).collect();
        assert_eq!(&got, want, "{file}");
    }
    // requests' raise_for_status and the bot's own `LINE API error: 429`:
    // ten pushes, six 429 and four 400.
    let got = from_text(&dir, "python-requests-line-429-400-tail_beautos.log");
    let statuses: Vec<u16> = got.iter().map(|g| g.1).collect();
    assert_eq!(statuses, [429, 429, 429, 429, 429, 429, 400, 400, 400, 400]);
}

/// An SDK error's entry read whole: the Node dump's 1,306 lines give the
/// push endpoint, method and LINE's message (L52, L652, L1300); Python v3's
/// four lines give the 404's message; Go's detail lines become `details`.
#[test]
fn sdk_error_entries_read_whole() {
    let Some(dir) = dir() else { return };
    let api_of = |file: &str| {
        let s = store_of(&dir, file);
        let rec = (0..s.len() as u32).map(|i| s.get(i).unwrap()).find(|r| r.kind() == Kind::Api).unwrap();
        let text = s.line_text(rec).unwrap();
        let Parsed::Record(l) = parse_line(&text) else { panic!("{file}: no record") };
        let f = l.fields;
        let body = f.response_body.map(|b| b.text().into_owned()).unwrap_or_default();
        (f.endpoint.map(|e| e.into_owned()), f.method, f.message.map(|m| m.into_owned()), body)
    };
    let (endpoint, method, message, _) = api_of("node-sdk8-httperror-415-full-dump_mitsutoshi-line-bot.log");
    assert_eq!(endpoint.as_deref(), Some("https://api.line.me/v2/bot/message/push"));
    assert_eq!(method, Some(linelens::model::Method::Post));
    assert_eq!(message.as_deref(), Some("The content type, 'application/x-www-form-urlencoded', is not supported"));
    let (_, _, message, _) = api_of("python-v3-apiexception-404-profile_linebot-error-analyzer.log");
    assert_eq!(message.as_deref(), Some("Not found"));
    let (_, _, message, body) = api_of("go-gin-linebot-apierror-replicate_note.log");
    assert_eq!(message.as_deref(), Some("The request body has 2 error(s)"));
    assert!(body.contains(r#"{"message":"May not be empty","property":"messages[0].originalContentUrl"}"#), "{body}");
    assert!(body.contains("messages[0].previewImageUrl"), "{body}");
}

/// A signature-failure line and the access line of the same request are one
/// receipt: the access line's (status, sender) with the failure's verdict.
#[test]
fn failure_lines_merge_into_their_access_line() {
    let Some(dir) = dir() else { return };
    for (file, receipts, invalid, missing) in [
        ("flask-logging-request-body-invalid-signature_minimal-flask.log", vec![(13, 400), (20, 400)], 2, 0),
        ("uvicorn-fastapi-missing-signature-verify_andrew-line-bot-0529.log", vec![(10, 400)], 0, 1),
    ] {
        let s = store_of(&dir, file);
        let recs: Vec<_> = (0..s.len() as u32).map(|i| s.get(i).unwrap()).collect();
        let lines = s.lines_of(&recs);
        for (line, status) in receipts {
            let (r, _) = recs.iter().zip(&lines).find(|(_, n)| **n == line).unwrap();
            assert_eq!((r.kind(), r.status()), (Kind::Webhook, status), "{file}:{line}");
            let sig = s.webhook_meta(*r).unwrap().sig;
            assert_ne!(sig, linelens::signature::SigState::Unverifiable, "{file}:{line}");
        }
        assert_eq!((s.signatures.invalid, s.signatures.missing), (invalid, missing), "{file}");
    }
}

/// Events logged alone are read as a body's events: the two deliveries of
/// one event in the uvicorn file (the second a redelivery), the six image
/// messages of the syslog drain, the wrapped blocks' message and postback
/// of one user, each timed by its line or, without one, its `timestamp`.
#[test]
fn logged_events_as_receipts() {
    let Some(dir) = dir() else { return };
    let events_of = |file: &str| {
        let s = store_of(&dir, file);
        let mut out = Vec::new();
        for r in (0..s.len() as u32).map(|i| s.get(i).unwrap()) {
            let text = s.line_text(r).unwrap();
            let Parsed::Record(l) = parse_line(&text) else { continue };
            if linelens::parse::format_name(l.format) != "webhook-event" || r.kind() != Kind::Webhook {
                continue;
            }
            let body = l.fields.body.unwrap().text().into_owned();
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            let e = &v["events"][0];
            let user = e["source"]["userId"].as_str().unwrap_or("-").to_owned();
            let redelivery = e["deliveryContext"]["isRedelivery"].as_bool();
            out.push((
                linelens::time::format_rfc3339(r.time().unwrap()),
                e["type"].as_str().unwrap().to_owned(),
                user,
                redelivery,
            ));
        }
        out
    };
    let got = events_of("uvicorn-fastapi-raw-event-dump-redelivery_andrew-line-bot-0528.log");
    let user = "U9fde03d0fe1e0669eccc8b9b4ecc28a6".to_owned();
    assert_eq!(
        got,
        [
            ("2026-05-28T03:12:15.683Z".to_owned(), "message".to_owned(), user.clone(), Some(false)),
            ("2026-05-28T03:12:15.683Z".to_owned(), "message".to_owned(), user, Some(true)),
        ]
    );
    let got = events_of("envelopes/heroku-syslog-papertrail-callback_cofacts-kb-20200311.log");
    assert_eq!(got.len(), 6);
    assert_eq!(got[0], ("2020-03-09T03:28:13.208Z".to_owned(), "message".to_owned(), "U_7".to_owned(), None));
    let got = events_of("node-context-input-output-wrapped_cofacts-log-parser-fixture.log");
    let user = "Uc4857b40c0bd8026e1b0xxxxxxxxxxxx".to_owned();
    assert_eq!(
        got,
        [
            ("2018-01-01T00:30:20.628Z".to_owned(), "message".to_owned(), user.clone(), None),
            ("2018-01-01T00:30:27.799Z".to_owned(), "postback".to_owned(), user, None),
        ]
    );
}
