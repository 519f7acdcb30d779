//! Parser throughput: one line of each format, and whole blocks as the
//! ingest workers see them. `cargo bench --bench parse`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use linelens::ingest::{ParseOptions, ParsedBlock};
use linelens::parse::parse_line;
use linelens::source::Block;

const TEXT_API: &str = "8e36bade-c5d6-4d00-9e69-72244675a9a1 Mon, 05 Jul 2021 08:14:35 GMT POST https://api.line.me/v2/bot/message/push 200";
const TEXT_WEBHOOK: &str = "147.92.150.192\t2026-11-20T08:00:00.123Z\tPOST\t/linebot/webhook\t200";
const MARKDOWN_MINI: &str =
    "| Mon, 16 Jul 2021 10:20:23 GMT | POST | <https://api.line.me/message/v3/notifier/send?target=service> | 200 |";
const JSON_API: &str = r#"{"level":"info","kind":"api","time":"2026-11-20T08:00:00.123Z","request_id":"8e36bade-c5d6-4d00-9e69-72244675a9a1","method":"POST","endpoint":"https://api.line.me/v2/bot/message/push","status":200,"request_body":{"to":"U4af4980629abcdef0123456789abcdef","messages":[{"type":"text","text":"Your order has shipped."}]},"response_body":{"sentMessages":[{"id":"461230966842064897","quoteToken":"IStG5h1Tz7b..."}]},"x-line-retry-key":"123e4567-e89b-12d3-a456-426614174000","duration_ms":87}"#;
const JSON_WEBHOOK: &str = r#"{"level":"info","kind":"webhook","time":"2026-11-20T08:00:00.123Z","ip":"147.92.150.192","method":"POST","path":"/linebot/webhook","status":200,"x-line-signature":"GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs=","body":"{\"destination\":\"U8e742f61d673b39c7fff3cecb7536ef0\",\"events\":[{\"type\":\"message\",\"mode\":\"active\",\"timestamp\":1763625600000,\"source\":{\"type\":\"user\",\"userId\":\"U4af4980629abcdef0123456789abcdef\"},\"webhookEventId\":\"01FZ74A0TDDPYRVKNK77XKC3ZR\",\"deliveryContext\":{\"isRedelivery\":false},\"replyToken\":\"0f3779fba3b349968c5d07db31eab56f\",\"message\":{\"id\":\"444573844083572737\",\"type\":\"text\",\"quoteToken\":\"q3Plxr4AgKd...\",\"text\":\"What time do you open today?\"}}]}","duration_ms":12}"#;

const NCSA: &str =
    r#"147.92.150.193 - - [20/Nov/2026:08:00:00 +0000] "POST /callback HTTP/1.1" 200 2 "-" "LineBotWebhook/2.0" 0.034"#;
const HEROKU: &str = r#"2020-05-12T06:33:53.370531+00:00 heroku[router]: at=info method=POST path="/callback" host=gspace.herokuapp.com request_id=4490fb5a-1f1c-4eec-94ff-20fab045b88e fwd="147.92.150.194" dyno=web.1 connect=0ms service=89ms status=200 bytes=161 protocol=https"#;

const STERN: &str = r#"bot-7cfd7bf68f-nk5kr web 10.0.0.1 - - [22/Nov/2026:17:19:05 +0000] "POST /callback HTTP/1.1" 200 2 "-" "LineBotWebhook/2.0""#;
const CADDY: &str = "2026/11/20 08:00:00.123\tINFO\thttp.log.access\thandled request\t{\"request\": {\"remote_ip\": \"203.0.113.5\", \"method\": \"POST\", \"uri\": \"/callback\", \"headers\": {\"User-Agent\": [\"LineBotWebhook/2.0\"]}}, \"duration\": 0.012, \"status\": 200}";

fn lines(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse_line");
    for (name, line) in [
        ("text_api", TEXT_API),
        ("text_webhook", TEXT_WEBHOOK),
        ("markdown_miniapp", MARKDOWN_MINI),
        ("json_api", JSON_API),
        ("json_webhook", JSON_WEBHOOK),
        ("junk", "-------- log rotated by logrotate --------"),
        ("ncsa_combined", NCSA),
        ("uvicorn", "INFO:     147.92.150.198:0 - \"POST /callback HTTP/1.1\" 500 Internal Server Error"),
        ("heroku_router", HEROKU),
        ("timed_text", "2025-07-13 23:45:53,732 - modules.routes.webhook - ERROR - invalid signature"),
        (
            "cri_timed_text",
            "2020-01-26T03:17:29.346494690+00:00 stderr F 2020/01/26 03:17:29 provider.go:117: Defaulting",
        ),
        ("json_log", r#"{"level":50,"time":1763625600000,"pid":1,"hostname":"bot","msg":"reply failed"}"#),
        ("traceback_line", "  File \"/app/bot/app.py\", line 58, in callback"),
        ("stern_ncsa", STERN),
        (
            "cloudwatch_timed",
            "2026-11-20T08:00:00.123000+00:00 2026/11/20/[$LATEST]f897b8fa9432936332 ERROR reply failed: 429",
        ),
        ("logback_clock", "08:00:02.123 [main] ERROR c.e.bot.Callback - reply failed"),
        ("caddy_console", CADDY),
    ] {
        g.throughput(Throughput::Bytes(line.len() as u64));
        g.bench_function(name, |b| b.iter(|| black_box(parse_line(black_box(line))).is_some_record()));
    }
    g.finish();
}

fn blocks(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse_block");
    for (name, mix) in [("text", vec![TEXT_API, TEXT_WEBHOOK]), ("json", vec![JSON_API, JSON_WEBHOOK])] {
        let mut data = Vec::new();
        while data.len() < 512 << 10 {
            for l in &mix {
                data.extend_from_slice(l.as_bytes());
                data.push(b'\n');
            }
        }
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let block = Block { offset: 0, first_line: 1, data: data.clone() };
                black_box(ParsedBlock::parse(0, block, &ParseOptions::default()))
            })
        });
    }
    g.finish();
}

trait IsRecord {
    fn is_some_record(&self) -> bool;
}

impl IsRecord for linelens::parse::Parsed<'_> {
    fn is_some_record(&self) -> bool {
        matches!(self, linelens::parse::Parsed::Record(_))
    }
}

criterion_group!(benches, lines, blocks);
criterion_main!(benches);
