//! Writes realistic LINE bot log directories: the sample set in
//! `assets/sample-logs` and the large sets the benchmarks read.
//!
//! ```text
//! cargo run --release --example gen-logs -- --out DIR [--size 50MB] [--hours 1] [--seed 1]
//! ```
//!
//! `--hours N` lays N hours end to end, each with its own planted incidents
//! (fresh request IDs, tokens and events every hour; the flooded users are
//! the same ones every hour), the size spread over them: two weeks of a
//! busy bot with an incident every hour. The rotated parts split the whole
//! span.
//!
//! Layout (one hour of traffic starting at --start):
//!
//! ```text
//! bot-a/api.jsonl           JSON lines with request/response bodies, retry keys
//! bot-a/webhook.jsonl       JSON lines with raw signed bodies (first half: .1.gz)
//! bot-a/webhook.jsonl.1.gz
//! bot-b/api.log             text, as the Messaging API guideline prints it
//! bot-b/api.log.1           (rotated)  bot-b/api.log.2.gz (rotated, gzip)
//! bot-b/webhook.log         text, RFC 3339 times with milliseconds
//! miniapp/service-message.log    text with the guideline's Markdown table rows
//! miniapp/service-message.jsonl  JSON lines with notification tokens
//! bot-c/nginx-access.log    nginx combined log of a bot behind nginx (LINE's
//!                           webhooks with LineBotWebhook/2.0, health checks)
//! bot-c/app.log             the same bot's Python logging in a Kubernetes CRI
//!                           file, tracebacks included
//! bot-c/worker.out          a worker's stdout: progress bars nobody can parse
//! bot-d/app.log             a Java bot: Spring Boot's start line, then logback's
//!                           default pattern (a time of day) with the SDK's wire
//!                           log at INFO
//! ```
//!
//! bot-c and bot-d draw from random generators of their own, so adding
//! them left every other file byte for byte as it was. With `--sdk-bots`,
//! bot-c logs as the
//! Python SDK v3's README shows after each reply (status, request ID, body);
//! at :25 it logs the bodies it was sent and its replies fail with a 400
//! "Invalid reply token" traceback. bot-d's wire log shows each push; at
//! :30 eight pushes are refused with a monthly-limit 429, each also raised
//! as the SDK's exception (counted once).
//!
//! Planted, at fixed minutes: 429 bursts (api ×40 push at :20, api ×12 text at
//! :10, miniapp ×8 at :35), a 4-response cluster one short of a burst (:40),
//! an outbound flood (25 pushes to one user at :15), an inbound flood (15
//! messages from one user at :50), redelivered events, unreplied events,
//! replies with unknown tokens, retries (500 → retry, 409 with an accepted
//! request ID), unsend events, forged and unsigned webhooks, junk lines.
//! Background traffic never answers 429 and spreads sends over enough users
//! that nobody else crosses a flood threshold.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine;
use chrono::{DateTime, Utc};
use clap::Parser;
use hmac::{KeyInit, Mac};
use serde_json::json;

/// The channel secret the sample webhooks are signed with (assets/channel-secret.txt).
const DEMO_SECRET: &str = "8c570fa6dd201bb328f1c1eac23a96d8";
const HOUR_MS: i64 = 3_600_000;

#[derive(Parser)]
#[command(about = "Write realistic LINE bot log directories")]
struct Args {
    /// Output directory (created; existing generated files are overwritten).
    #[arg(long)]
    out: PathBuf,
    /// Approximate total uncompressed size: 400KB, 50MB, 1.3GB.
    #[arg(long, default_value = "400KB")]
    size: String,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First instant of the hour of traffic.
    #[arg(long, default_value = "2026-11-20T08:00:00Z")]
    start: String,
    /// Hours of traffic laid end to end, each with its incidents.
    #[arg(long, default_value_t = 1)]
    hours: u64,
    /// Also write what LINE's SDKs print: bot-c logs as the Python SDK v3's
    /// README shows, its bodies and its 400 tracebacks; bot-d, a Java bot
    /// with the SDK's wire log (the shipped sample is written without).
    #[arg(long)]
    sdk_bots: bool,
}

/// xorshift64*: a tiny deterministic generator. Hand-written so the
/// committed sample stays byte-identical whatever `rand` version is around.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn hex(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize])).collect()
    }
    fn uuid(&mut self) -> String {
        format!("{}-{}-{}-{}-{}", self.hex(8), self.hex(4), self.hex(4), self.hex(4), self.hex(12))
    }
    fn ulid(&mut self) -> String {
        const C: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let mut s = String::from("01");
        for _ in 0..24 {
            s.push(char::from(C[self.below(32) as usize]));
        }
        s
    }
    fn digits(&mut self, n: usize) -> String {
        let mut s = String::from(char::from(b'1' + self.below(9) as u8));
        s.extend((1..n).map(|_| char::from(b'0' + self.below(10) as u8)));
        s
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Out {
    AApi,
    AWebhook,
    BApi,
    BWebhook,
    MiniText,
    MiniJson,
    CNginx,
    CApp,
    CWorker,
    DApp,
}

/// An output file being written (taken when finished).
type OutFile = (String, Option<BufWriter<Box<dyn Write>>>);

/// Files, with the time ranges of rotated parts.
struct Writers {
    dir: PathBuf,
    start: i64,
    /// The whole span written (the rotated parts split it).
    span: i64,
    files: Vec<OutFile>,
    bytes: u64,
    lines: u64,
}

impl Writers {
    fn name(&self, o: Out, ts: i64) -> &'static str {
        let part = (ts - self.start) * 10 / self.span; // tenths of the span
        match o {
            Out::AApi => "bot-a/api.jsonl",
            Out::AWebhook if part < 5 => "bot-a/webhook.jsonl.1.gz",
            Out::AWebhook => "bot-a/webhook.jsonl",
            Out::BApi if part < 3 => "bot-b/api.log.2.gz",
            Out::BApi if part < 6 => "bot-b/api.log.1",
            Out::BApi => "bot-b/api.log",
            Out::BWebhook => "bot-b/webhook.log",
            Out::MiniText => "miniapp/service-message.log",
            Out::MiniJson => "miniapp/service-message.jsonl",
            Out::CNginx => "bot-c/nginx-access.log",
            Out::CApp => "bot-c/app.log",
            Out::CWorker => "bot-c/worker.out",
            Out::DApp => "bot-d/app.log",
        }
    }

    fn write(&mut self, o: Out, ts: i64, line: &str) -> Result<()> {
        let name = self.name(o, ts);
        let idx = match self.files.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                let path = self.dir.join(name);
                fs::create_dir_all(path.parent().unwrap())?;
                let f = File::create(&path).with_context(|| path.display().to_string())?;
                let w: Box<dyn Write> = if name.ends_with(".gz") {
                    Box::new(flate2::write::GzEncoder::new(f, flate2::Compression::fast()))
                } else {
                    Box::new(f)
                };
                let mut w = BufWriter::with_capacity(1 << 20, w);
                // Text logs start with the guideline's column titles.
                match o {
                    Out::BApi => writeln!(
                        w,
                        "Request ID (x-line-request-id) Time of API request HTTP method API endpoint Status code"
                    )?,
                    Out::BWebhook => writeln!(
                        w,
                        "Sender IP address\tTime webhook was received\tHTTP method\tRequest path\tStatus code"
                    )?,
                    // A Spring Boot bot: its start line has the date; the
                    // lines after it, logback's default pattern, a time of day.
                    Out::DApp => writeln!(
                        w,
                        "{} INFO 1 --- [main] c.e.bot.BotApplication : Started BotApplication in 2.31 seconds",
                        DateTime::<Utc>::from_timestamp_millis(self.start - 5_000)
                            .unwrap()
                            .format("%Y-%m-%d %H:%M:%S%.3f")
                    )?,
                    Out::MiniText => {
                        writeln!(
                            w,
                            "| Time when API request was made | Request method | API endpoint | Status code |"
                        )?;
                        writeln!(w, "| --- | --- | --- | --- |")?;
                    }
                    _ => {}
                }
                self.files.push((name.to_owned(), Some(w)));
                self.files.len() - 1
            }
        };
        let w = self.files[idx].1.as_mut().unwrap();
        w.write_all(line.as_bytes())?;
        w.write_all(b"\n")?;
        self.bytes += line.len() as u64 + 1;
        self.lines += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        for (name, w) in &mut self.files {
            let w = w.take().unwrap();
            let inner = w.into_inner().map_err(|e| anyhow::anyhow!("{name}: {}", e.error()))?;
            drop(inner); // GzEncoder finishes on drop
        }
        Ok(())
    }
}

fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A Python traceback as the LINE SDK v3 raises it, one line a time; the
/// request ID goes into the headers line.
const TRACEBACK: &[&str] = &[
    "Traceback (most recent call last):",
    "  File \"/app/bot/app.py\", line 58, in callback",
    "    handler.handle(body, signature)",
    "  File \"/app/bot/handlers.py\", line 31, in on_message",
    "    api.reply_message(ReplyMessageRequest(reply_token=event.reply_token, messages=msgs))",
    "linebot.v3.messaging.exceptions.ApiException: (400)",
    "Reason: Bad Request",
    "HTTP response headers: HTTPHeaderDict({'server': 'legy', 'content-type': 'application/json', 'x-line-request-id': 'ID'})",
    "HTTP response body: {\"message\":\"Invalid reply token\"}",
];

/// The Java SDK's wire log under logback's default pattern.
fn wire(ms: i64, msg: &str) -> String {
    let t = DateTime::<Utc>::from_timestamp_millis(ms).unwrap().format("%H:%M:%S%.3f");
    format!("{t} [http-nio-8080-exec-3] INFO  c.l.bot.client.wire - {msg}")
}

/// A UUID-shaped request ID or retry key.
fn uuid(rng: &mut Rng) -> String {
    let h = rng.hex(32);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// nginx's combined format with `$request_time` after it.
#[allow(clippy::too_many_arguments)]
fn nginx(ms: i64, ip: &str, method: &str, path: &str, status: u16, bytes: u64, ua: &str, secs: f64) -> String {
    let t = DateTime::<Utc>::from_timestamp_millis(ms).unwrap().format("%d/%b/%Y:%H:%M:%S +0000");
    format!("{ip} - - [{t}] \"{method} {path} HTTP/1.1\" {status} {bytes} \"-\" \"{ua}\" {secs:.3}")
}

/// Python's logging: `2026-11-20 08:00:00,123 INFO bot.callback: message`.
fn python_log(ms: i64, level: &str, logger: &str, msg: &str) -> String {
    let t = DateTime::<Utc>::from_timestamp_millis(ms).unwrap().format("%Y-%m-%d %H:%M:%S,%3f");
    format!("{t} {level} {logger}: {msg}")
}

/// A Kubernetes CRI log file line.
fn cri(ms: i64, stream: &str, line: &str) -> String {
    let t = DateTime::<Utc>::from_timestamp_millis(ms).unwrap().format("%Y-%m-%dT%H:%M:%S%.9fZ");
    format!("{t} {stream} F {line}")
}

fn rfc1123(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap().format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn sign(body: &str, secret: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

const TEXTS: &[&str] = &[
    "hello",
    "What time do you open today?",
    "予約をお願いします",
    "Can I change my order?",
    "thanks!",
    "menu",
    "Is the campaign still running? I tried the coupon and it said expired",
    "👍",
];

/// A line waiting for its time in the heap.
type Pending = Reverse<(i64, u64, Out, String)>;

struct Sim {
    rng: Rng,
    heap: BinaryHeap<Pending>,
    seq: u64,
    users: Vec<String>,
    start: i64,
    reused_token: Option<(i64, String)>,
    /// Which hour is being planted (0 for the first).
    hour: u64,
    /// bot-c's own generator (see the module notes).
    rng_c: Rng,
    /// bot-d's (a Java bot with the SDK's wire log).
    rng_d: Rng,
    /// `--sdk-bots`.
    sdk_bots: bool,
}

impl Sim {
    fn emit(&mut self, ts: i64, o: Out, line: String) {
        self.seq += 1;
        self.heap.push(Reverse((ts, self.seq, o, line)));
    }

    fn user(&mut self) -> String {
        let i = self.rng.below(self.users.len() as u64) as usize;
        self.users[i].clone()
    }

    fn api_json(
        &mut self,
        ts: i64,
        endpoint: &str,
        status: u16,
        req: serde_json::Value,
        extra: serde_json::Value,
    ) -> String {
        let id = self.rng.uuid();
        self.api_json_id(ts, &id, endpoint, status, req, extra)
    }

    fn api_json_id(
        &mut self,
        ts: i64,
        id: &str,
        endpoint: &str,
        status: u16,
        req: serde_json::Value,
        extra: serde_json::Value,
    ) -> String {
        let response = match status {
            200 if endpoint.ends_with("/push") || endpoint.ends_with("/reply") => {
                json!({"sentMessages": [{"id": self.rng.digits(18), "quoteToken": self.rng.hex(40)}]})
            }
            200 => json!({}),
            400 => json!({"message": "Invalid reply token"}),
            409 => json!({"message": "The retry key is already accepted"}),
            429 => json!({"message": "The API rate limit has been exceeded. Try again later."}),
            _ => json!({"message": "An error occurred in the server."}),
        };
        let method = if endpoint.contains("/profile/") { "GET" } else { "POST" };
        let mut v = json!({
            "level": "info", "kind": "api", "time": rfc3339(ts), "request_id": id, "method": method,
            "endpoint": format!("https://api.line.me{endpoint}"), "status": status,
            "request_body": req, "response_body": response, "duration_ms": 40 + self.rng.below(200),
        });
        if let (Some(obj), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
            for (k, x) in extra {
                obj.insert(k.clone(), x.clone());
            }
        }
        v.to_string()
    }

    fn text_api(&mut self, ts: i64, endpoint: &str, status: u16) -> String {
        let method = if endpoint.contains("/profile/") { "GET" } else { "POST" };
        format!("{} {} {method} https://api.line.me{endpoint} {status}", self.rng.uuid(), rfc1123(ts))
    }

    /// A message webhook from `user` to bot-a (JSON, signed raw body);
    /// returns the reply token.
    fn webhook_a(&mut self, ts: i64, user: &str, kind: &str, redelivery: Option<(String, String)>) -> String {
        let (event_id, token) = redelivery.clone().unwrap_or_else(|| (self.rng.ulid(), self.rng.hex(32)));
        let mut event = json!({
            "type": kind, "mode": "active", "timestamp": ts - 30 - self.rng.below(200) as i64,
            "source": {"type": "user", "userId": user}, "webhookEventId": event_id,
            "deliveryContext": {"isRedelivery": redelivery.is_some()}, "replyToken": token,
        });
        if kind == "message" {
            let text = TEXTS[self.rng.below(TEXTS.len() as u64) as usize];
            event["message"] =
                json!({"id": self.rng.digits(18), "type": "text", "quoteToken": self.rng.hex(40), "text": text});
        }
        self.webhook_a_events(ts, vec![event]);
        token
    }

    fn webhook_a_events(&mut self, ts: i64, events: Vec<serde_json::Value>) {
        let body = json!({"destination": "U8e742f61d673b39c7fff3cecb7536ef0", "events": events}).to_string();
        let sig = sign(&body, DEMO_SECRET);
        let line = json!({
            "level": "info", "kind": "webhook", "time": rfc3339(ts), "ip": "147.92.150.192",
            "method": "POST", "path": "/linebot/webhook", "status": 200,
            "x-line-signature": sig, "body": body, "duration_ms": 3 + self.rng.below(40),
        });
        self.emit(ts, Out::AWebhook, line.to_string());
    }

    fn reply_a(&mut self, ts: i64, token: &str, status: u16) {
        let req = json!({"replyToken": token, "messages": [{"type": "text", "text": "Thanks for your message!"}]});
        let line = self.api_json(ts, "/v2/bot/message/reply", status, req, json!({}));
        self.emit(ts, Out::AApi, line);
    }

    fn push_a(&mut self, ts: i64, user: &str, status: u16) {
        let req = json!({"to": user, "messages": [{"type": "text", "text": "Your order has shipped."}]});
        let extra = json!({"x-line-retry-key": self.rng.uuid()});
        let line = self.api_json(ts, "/v2/bot/message/push", status, req, extra);
        self.emit(ts, Out::AApi, line);
    }

    /// A MINI App service message sent with `token`; LINE returned `renewed`
    /// (logged as `notification_token`, the token in the response).
    fn mini_send(&mut self, ts: i64, token: &str, renewed: &str, status: u16) {
        let line = json!({
            "kind": "miniapp", "time": rfc3339(ts), "method": "POST",
            "endpoint": "https://api.line.me/message/v3/notifier/send?target=service", "status": status,
            "notification_token": renewed,
            "request_body": {"templateName": "reservation_confirm_en", "params": {"date": "2026-11-20"}, "notificationToken": token},
            "response_body": {"notificationToken": renewed, "expiresIn": 31_536_000, "remainingCount": 4},
        });
        self.emit(ts, Out::MiniJson, line.to_string());
    }

    /// A bot-a API call with the response body LINE would send.
    #[allow(clippy::too_many_arguments)] // one argument per field of the line
    fn api_a(
        &mut self,
        ts: i64,
        method: &str,
        endpoint: &str,
        status: u16,
        req: serde_json::Value,
        resp: serde_json::Value,
        extra: serde_json::Value,
    ) {
        let mut extra = extra;
        if let Some(o) = extra.as_object_mut() {
            o.insert("response_body".into(), resp);
            o.insert("method".into(), json!(method));
        }
        let line = self.api_json(ts, endpoint, status, req, extra);
        self.emit(ts, Out::AApi, line);
    }

    /// The guideline audit's cases: one that fires per rule, and near misses.
    fn plant_audit(&mut self) {
        // Its own random numbers, so that the rest of the data stays as it was.
        // Hours after the first get their own stream (fresh IDs).
        let seed = 0x0005_EEDA_0D17_u64 ^ self.hour.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let rest = std::mem::replace(&mut self.rng, Rng(seed | 1));
        self.plant_audit_cases();
        self.rng = rest;
    }

    fn plant_audit_cases(&mut self) {
        // reply-token: the first reply token of the inbound flood used again.
        if let Some((ts, token)) = self.reused_token.take() {
            self.reply_a(ts, &token, 400);
        }
        let start = self.start;
        let m = |min: i64| start + min * 60_000;
        let s = |sec: i64| sec * 1_000;
        let text = |t: &str| json!({"to": "", "messages": [{"type": "text", "text": t}]});
        // rate-limit-429: the monthly quota (3 429s, 30 s apart: no burst),
        // to the user the :20 burst hit hardest (push 429s concentrated on one user).
        let victim = self.users[7].clone();
        for i in 0..3 {
            let req = json!({"to": victim, "messages": [{"type": "text", "text": "reminder"}]});
            self.api_a(
                m(22) + s(30 * i),
                "POST",
                "/v2/bot/message/push",
                429,
                req,
                json!({"message": "You have reached your monthly limit."}),
                json!({}),
            );
        }
        // rate-limit-pressure: 50 narrowcasts in one hour (limit 60/hour),
        // all to an audience created at :02 (so not audience churn).
        let kept = "4389303728991".to_owned();
        self.api_a(
            m(2),
            "POST",
            "/v2/bot/audienceGroup/upload",
            202,
            json!({"description": "campaign", "audiences": [{"id": self.users[1]}]}),
            json!({"audienceGroupId": kept.parse::<u64>().unwrap_or(0), "type": "UPLOAD"}),
            json!({}),
        );
        for i in 0..50 {
            let req = json!({"messages": [{"type": "text", "text": "sale"}], "recipient": {"type": "operator",
                "and": [{"type": "audience", "audienceGroupId": kept.parse::<u64>().unwrap_or(0)}]}});
            self.api_a(m(2) + s(30) + i * 60_000, "POST", "/v2/bot/message/narrowcast", 202, req, json!({}), json!({}));
        }
        // audience-churn: created at :03, deleted at :04, never sent to.
        let churned = "4389303728992";
        self.api_a(
            m(3),
            "POST",
            "/v2/bot/audienceGroup/upload",
            202,
            json!({"description": "probe", "audiences": [{"id": self.users[2]}]}),
            json!({"audienceGroupId": 4389303728992u64, "type": "UPLOAD"}),
            json!({}),
        );
        self.api_a(m(4), "DELETE", &format!("/v2/bot/audienceGroup/{churned}"), 200, json!(null), json!({}), json!({}));
        // invalid-user-id: a malformed ID pushed to, a profile of "undefined".
        let mut req = text("hi");
        req["to"] = json!("U123");
        self.api_a(
            m(37),
            "POST",
            "/v2/bot/message/push",
            400,
            req,
            json!({"message": "The request body has 1 error(s)"}),
            json!({}),
        );
        self.api_a(
            m(37) + s(5),
            "GET",
            "/v2/bot/profile/undefined",
            404,
            json!(null),
            json!({"message": "Not found"}),
            json!({}),
        );
        // ... and a well-formed ID LINE keeps refusing, sent to three times.
        let gone = "U0000000000000000000000000000dead";
        for i in 0..3 {
            let mut req = text("your points");
            req["to"] = json!(gone);
            self.api_a(
                m(38) + s(20 * i),
                "POST",
                "/v2/bot/message/push",
                400,
                req,
                json!({"message": "Failed to send messages"}),
                json!({}),
            );
        }
        // retry-key: a push answered 500, sent again without a retry key (the
        // user may get it twice) ...
        let u = self.users[3].clone();
        for (i, status) in [(0, 500), (1, 200)] {
            let mut req = text("Your receipt");
            req["to"] = json!(u);
            self.api_a(m(47) + s(5 * i), "POST", "/v2/bot/message/push", status, req, json!({}), json!({}));
        }
        // ... a retry key on reply, which takes none ...
        let req = json!({"replyToken": self.rng.hex(32), "messages": []});
        let key = self.rng.uuid();
        self.api_a(
            m(48),
            "POST",
            "/v2/bot/message/reply",
            400,
            req,
            json!({"message": "Invalid reply token"}),
            json!({"x-line-retry-key": key}),
        );
        // ... and the same retry key sent again after a 400.
        let key = self.rng.uuid();
        for i in 0..2 {
            let mut req = text("");
            req["to"] = json!(u);
            self.api_a(
                m(49) + s(3 * i),
                "POST",
                "/v2/bot/message/push",
                400,
                req,
                json!({"message": "The request body has 1 error(s)"}),
                json!({"x-line-retry-key": key}),
            );
        }
        // webhook-errors: an answer slower than LINE's 2 s.
        let body =
            json!({"destination": "U8e742f61d673b39c7fff3cecb7536ef0", "events": [{"type": "follow", "mode": "active",
            "timestamp": m(53), "source": {"type": "user", "userId": self.users[4]}, "webhookEventId": self.rng.ulid(),
            "deliveryContext": {"isRedelivery": false}}]})
            .to_string();
        let line = json!({"kind": "webhook", "time": rfc3339(m(53)), "ip": "147.92.150.192", "method": "POST",
            "path": "/linebot/webhook", "status": 200, "x-line-signature": sign(&body, DEMO_SECRET), "body": body,
            "duration_ms": 3_500});
        self.emit(m(53), Out::AWebhook, line.to_string());
        // unsent-content: an image, its content fetched (fine), the image
        // unsent, its content fetched again (LINE answers 410).
        let u = self.users[12].clone();
        let img = self.rng.digits(18);
        let ev = json!({"type": "message", "mode": "active", "timestamp": m(8), "source": {"type": "user", "userId": u},
            "webhookEventId": self.rng.ulid(), "deliveryContext": {"isRedelivery": false},
            "message": {"id": img, "type": "image", "contentProvider": {"type": "line"}}});
        self.webhook_a_events(m(8), vec![ev]);
        let content = format!("/v2/bot/message/{img}/content");
        self.api_a(m(8) + s(10), "GET", &content, 200, json!(null), json!(null), json!({}));
        let ev = json!({"type": "unsend", "mode": "active", "timestamp": m(9), "source": {"type": "user", "userId": u},
            "webhookEventId": self.rng.ulid(), "deliveryContext": {"isRedelivery": false}, "unsend": {"messageId": img}});
        self.webhook_a_events(m(9), vec![ev]);
        self.api_a(m(9) + s(30), "GET", &content, 410, json!(null), json!({"message": "Gone"}), json!({}));
        // log-completeness: two API lines logged without their request ID.
        for i in 0..2 {
            let ts = m(57) + s(i);
            let line = json!({"kind": "api", "time": rfc3339(ts), "method": "GET",
                "endpoint": "https://api.line.me/v2/bot/info", "status": 200});
            self.emit(ts, Out::AApi, line.to_string());
        }
        // miniapp-token: one token used for 6 service messages (LINE allows 5) ...
        let worn = self.rng.hex(40);
        for i in 0..6 {
            let renewed = worn.clone(); // a client that ignores the renewal
            self.mini_send(m(41) + s(7 * i), &worn, &renewed, 200);
        }
        // ... and an old token used again after LINE returned a renewed one.
        let (old, new) = (self.rng.hex(40), self.rng.hex(40));
        self.mini_send(m(42), &old, &new, 200);
        let newer = self.rng.hex(40);
        self.mini_send(m(42) + s(40), &old, &newer, 200);
    }

    /// One second of background traffic at `rate` interactions per second.
    fn background(&mut self, t: i64, rate: f64) {
        let n = rate.floor() as u64 + u64::from(self.rng.chance(rate.fract()));
        for _ in 0..n {
            let ts = t + self.rng.below(1000) as i64;
            // Weights per mille; the JSON-logging bot-a gets fewer interactions than
            // text-logging bot-b so that about two thirds of the bytes are JSON.
            match self.rng.below(1000) {
                // bot-a: a user writes, the bot replies (5% never replied).
                0..=145 => {
                    let u = self.user();
                    let kind = if self.rng.chance(0.9) { "message" } else { "follow" };
                    let token = self.webhook_a(ts, &u, kind, None);
                    if self.rng.chance(0.95) {
                        let r = ts + 80 + self.rng.below(800) as i64;
                        self.reply_a(r, &token, 200);
                    }
                }
                146..=193 => {
                    let u = self.user();
                    let status = if self.rng.chance(0.995) { 200 } else { 500 };
                    self.push_a(ts, &u, status);
                }
                194..=203 => {
                    let to: Vec<String> = (0..3).map(|_| self.user()).collect();
                    let req = json!({"to": to, "messages": [{"type": "text", "text": "Weekly news"}]});
                    let line = self.api_json(ts, "/v2/bot/message/multicast", 200, req, json!({}));
                    self.emit(ts, Out::AApi, line);
                }
                204..=217 => {
                    let u = self.user();
                    let line = self.api_json(ts, &format!("/v2/bot/profile/{u}"), 200, json!(null), json!({}));
                    self.emit(ts, Out::AApi, line);
                }
                // bot-b: the same kind of traffic, logged as the guideline's text lines.
                218..=629 => {
                    let ip = format!("147.92.150.{}", 190 + self.rng.below(10));
                    self.emit(ts, Out::BWebhook, format!("{ip}\t{}\tPOST\t/linebot/webhook\t200", rfc3339(ts)));
                    if self.rng.chance(0.9) {
                        let r = ts + 100 + self.rng.below(700) as i64;
                        let l = self.text_api(r, "/v2/bot/message/reply", 200);
                        self.emit(r, Out::BApi, l);
                    }
                }
                630..=949 => {
                    let status = if self.rng.chance(0.99) { 200 } else { 500 };
                    let u = self.user();
                    let ep = if self.rng.chance(0.8) {
                        "/v2/bot/message/push".to_owned()
                    } else {
                        format!("/v2/bot/profile/{u}")
                    };
                    let l = self.text_api(ts, &ep, status);
                    self.emit(ts, Out::BApi, l);
                }
                // MINI App service messages.
                _ => {
                    let token = self.rng.hex(40);
                    if self.rng.chance(0.5) {
                        self.emit(
                            ts,
                            Out::MiniText,
                            format!(
                                "| {} | POST | <https://api.line.me/message/v3/notifier/send?target=service> | 200 |",
                                rfc1123(ts)
                            ),
                        );
                    } else {
                        let renewed = self.rng.hex(40);
                        self.mini_send(ts, &token, &renewed, 200);
                    }
                }
            }
        }
    }

    /// bot-c, behind nginx, logging with Python's logging under a CRI
    /// envelope: a webhook now and then, a health check every 10 s.
    fn background_c(&mut self, t: i64, rate: f64) {
        if (t / 1000) % 10 == 0 {
            let ts = t + self.rng_c.below(1000) as i64;
            let l = nginx(ts, "10.0.3.1", "GET", "/healthz", 200, 2, "kube-probe/1.29", 0.001);
            self.emit(ts, Out::CNginx, l);
        }
        if self.rng_c.chance((rate * 0.04).min(0.9)) {
            let ts = t + self.rng_c.below(1000) as i64;
            self.webhook_c(ts, 200);
        }
    }

    /// One webhook to bot-c: the app's log lines, then nginx's access line.
    fn webhook_c(&mut self, ts: i64, status: u16) {
        let ip = format!("147.92.150.{}", 190 + self.rng_c.below(10));
        let user = format!("U{}", self.rng_c.hex(32));
        let took = 15 + self.rng_c.below(60) as i64;
        let l = python_log(ts + 2, "INFO", "bot.callback", &format!("webhook: 1 event (message) from {user}"));
        self.emit(ts + 2, Out::CApp, cri(ts + 2, "stdout", &l));
        if !self.sdk_bots {
            if status >= 500 {
                let at = ts + took - 2;
                let l = python_log(at, "ERROR", "bot.app", "Exception on /callback [POST]");
                self.emit(at, Out::CApp, cri(at, "stderr", &l));
                for (i, frame) in TRACEBACK.iter().take(7).enumerate() {
                    self.emit(at, Out::CApp, cri(at + i as i64 / 4, "stderr", frame));
                }
            } else {
                let l = python_log(ts + took - 1, "INFO", "bot.reply", "replied 200");
                self.emit(ts + took - 1, Out::CApp, cri(ts + took - 1, "stdout", &l));
            }
        } else if status >= 500 {
            // The bot logs the body it was sent, then its reply fails: the
            // token was used already.
            let body = json!({"destination": "Ubotc0000000000000000000000000000", "events": [{
                "type": "message", "mode": "active", "timestamp": ts,
                "webhookEventId": format!("01J{}", self.rng_c.hex(23).to_uppercase()),
                "deliveryContext": {"isRedelivery": false},
                "replyToken": self.rng_c.hex(32),
                "source": {"type": "user", "userId": user},
                "message": {"type": "text", "id": format!("{}", 500_000_000_000_000u64 + self.rng_c.below(1 << 40)), "text": "menu"},
            }]});
            let l = python_log(ts + 3, "INFO", "bot.callback", &format!("Request body: {body}"));
            self.emit(ts + 3, Out::CApp, cri(ts + 3, "stdout", &l));
            let at = ts + took - 2;
            let l = python_log(at, "ERROR", "bot.app", "Exception on /callback [POST]");
            self.emit(at, Out::CApp, cri(at, "stderr", &l));
            let id = uuid(&mut self.rng_c);
            for (i, frame) in TRACEBACK.iter().enumerate() {
                let frame = frame.replace("'ID'", &format!("'{id}'"));
                self.emit(at, Out::CApp, cri(at + i as i64 / 4, "stderr", &frame));
            }
        } else {
            // The v3 README's lines after `reply_message_with_http_info`.
            let at = ts + took - 1;
            let id = uuid(&mut self.rng_c);
            let sent = 500_000_000_000_000u64 + self.rng_c.below(1 << 40);
            for msg in [
                "Got response with http status code: 200".to_owned(),
                format!("Got x-line-request-id: {id}"),
                format!("Got response with http body: sent_messages=[SentMessage(id='{sent}', quote_token=None)]"),
            ] {
                let l = python_log(at, "INFO", "bot.reply", &msg);
                self.emit(at, Out::CApp, cri(at, "stdout", &l));
            }
        }
        let secs = took as f64 / 1000.0;
        let l = nginx(ts + took, &ip, "POST", "/callback", status, 2, "LineBotWebhook/2.0", secs);
        self.emit(ts + took, Out::CNginx, l);
    }

    /// One push from bot-d, as the Java SDK's wire log prints it; a 429
    /// also raises the SDK's exception, which the bot logs.
    fn push_d(&mut self, ts: i64, status: u16) {
        let user = self.users[self.rng_d.below(self.users.len() as u64) as usize].clone();
        let key = uuid(&mut self.rng_d);
        let id = uuid(&mut self.rng_d);
        let body = json!({"to": user, "messages": [{"type": "text", "text": "Your order has shipped"}]}).to_string();
        let took = 40 + self.rng_d.below(200) as i64;
        let url = "https://api.line.me/v2/bot/message/push";
        let answer = if status == 429 {
            r#"{"message":"You have reached your monthly limit."}"#.to_owned()
        } else {
            format!(
                r#"{{"sentMessages":[{{"id":"{}","quoteToken":"q"}}]}}"#,
                500_000_000_000_000u64 + self.rng_d.below(1 << 40)
            )
        };
        let end = ts + took;
        let lines = [
            (ts, format!("--> POST {url}")),
            (ts, "Content-Type: application/json; charset=UTF-8".to_owned()),
            (ts, format!("Content-Length: {}", body.len())),
            (ts, format!("X-Line-Retry-Key: {key}")),
            (ts, String::new()),
            (ts, body.clone()),
            (ts, format!("--> END POST ({}-byte body)", body.len())),
            (end, format!("<-- {status} {url} ({took}ms)")),
            (end, "content-type: application/json".to_owned()),
            (end, format!("x-line-request-id: {id}")),
            (end, String::new()),
            (end, answer.clone()),
            (end, format!("<-- END HTTP ({}-byte body)", answer.len())),
        ];
        for (t, msg) in lines {
            self.emit(t, Out::DApp, wire(t, &msg));
        }
        if status == 429 {
            let t = DateTime::<Utc>::from_timestamp_millis(end + 1).unwrap().format("%H:%M:%S%.3f");
            self.emit(end + 1, Out::DApp, format!(
                "{t} [http-nio-8080-exec-3] ERROR c.e.bot.OrderNotifier - push failed: com.linecorp.bot.client.exception.TooManyRequestsException: You have reached your monthly limit. : ErrorResponse(requestId={id}, message=You have reached your monthly limit., details=[])"
            ));
        }
    }

    /// bot-d, a Java bot: a push a minute or so; at :30 its monthly limit
    /// is reached and eight pushes are refused with 429.
    fn background_d(&mut self, t: i64) {
        if self.rng_d.chance(1.0 / 60.0) {
            let ts = t + self.rng_d.below(1000) as i64;
            self.push_d(ts, 200);
        }
    }

    fn plant_d(&mut self) {
        let at = self.start + 30 * 60_000;
        for i in 0..8 {
            self.push_d(at + i * 7_000, 429);
        }
    }

    /// bot-c's incident at :25: six deliveries answered 500 (the handler
    /// raised), and a worker's stdout full of progress bars.
    fn plant_c(&mut self) {
        let m = |start: i64, min: i64| start + min * 60_000;
        let start = self.start;
        for i in 0..6 {
            self.webhook_c(m(start, 25) + i * 10_000, 500);
        }
        for i in 0..25 {
            let ts = m(start, 40) + i * 2_000;
            let line = format!(
                "Batches: {:>3}%|{:<10}| {}/25 [00:{:02}<00:00, 12.5it/s]",
                i * 4,
                "█".repeat((i / 3) as usize),
                i,
                i * 2
            );
            self.emit(ts, Out::CWorker, line);
        }
    }

    /// The incidents a report must find, at fixed minutes of the hour.
    fn plant(&mut self, with_c: bool) {
        if with_c {
            self.plant_c();
            if self.sdk_bots {
                self.plant_d();
            }
        }
        let start = self.start;
        let m = |min: i64| start + min * 60_000;
        // 429 burst on push, bot-a: 40 responses from :20:00 to :20:29.
        let victim = self.users[7].clone();
        for i in 0..40 {
            let ts = m(20) + i * 29_000 / 39;
            let u = if i % 2 == 0 { victim.clone() } else { self.user() };
            self.push_a(ts, &u, 429);
        }
        // 429 burst, bot-b text log: 12 from :10:00 to :10:16.
        for i in 0..12 {
            let ts = m(10) + i * 16_000 / 11;
            let l = self.text_api(ts, "/v2/bot/message/push", 429);
            self.emit(ts, Out::BApi, l);
        }
        // One short of a burst: 4 429s on multicast at :40.
        for i in 0..4 {
            let ts = m(40) + i * 3_000;
            let req = json!({"to": [self.user(), self.user()], "messages": [{"type": "text", "text": "sale"}]});
            let l = self.api_json(ts, "/v2/bot/message/multicast", 429, req, json!({}));
            self.emit(ts, Out::AApi, l);
        }
        // MINI App burst: 8 429s at :35.
        for i in 0..8 {
            let ts = m(35) + i * 1_500;
            self.emit(
                ts,
                Out::MiniText,
                format!(
                    "| {} | POST | <https://api.line.me/message/v3/notifier/send?target=service> | 429 |",
                    rfc1123(ts)
                ),
            );
        }
        // Outbound flood: 25 pushes to one user in 50 s at :15.
        let flooded = "U68be2a33f1b2c4d5e6f708192a3b8a49".to_owned();
        for i in 0..25 {
            self.push_a(m(15) + i * 2_000, &flooded, 200);
        }
        // Inbound flood: one user sends 15 messages in 40 s at :50; the bot replies to each.
        let chatty = "U9b6e5d4c3b2a19080706f5e4d3c2d888".to_owned();
        for i in 0..15 {
            let ts = m(50) + i * 2_800;
            let token = self.webhook_a(ts, &chatty, "message", None);
            self.reply_a(ts + 300, &token, 200);
            if i == 0 {
                self.reused_token = Some((ts + 900, token));
            }
        }
        // Redelivered events: the first delivery failed (bot answered 500).
        for i in 0..3 {
            let ts = m(25) + i * 7_000;
            let u = self.user();
            let (id, token) = (self.rng.ulid(), self.rng.hex(32));
            let body = json!({"destination": "U8e742f61d673b39c7fff3cecb7536ef0", "events": [{
                "type": "message", "mode": "active", "timestamp": ts - 50, "source": {"type": "user", "userId": u},
                "webhookEventId": id, "deliveryContext": {"isRedelivery": false}, "replyToken": token,
                "message": {"id": self.rng.digits(18), "type": "text", "text": "are you there?"}}]})
            .to_string();
            let line = json!({"kind": "webhook", "time": rfc3339(ts), "ip": "147.92.150.193", "method": "POST",
                "path": "/linebot/webhook", "status": 500, "x-line-signature": sign(&body, DEMO_SECRET), "body": body});
            self.emit(ts, Out::AWebhook, line.to_string());
            self.webhook_a(ts + 60_000, &u, "message", Some((id, token.clone())));
            self.reply_a(ts + 60_400, &token, 200);
        }
        // Replies with reply tokens no logged event carried.
        for i in 0..5 {
            let token = self.rng.hex(32);
            self.reply_a(m(30) + i * 9_000, &token, 400);
        }
        // Retries: a push answered 500, retried with the same key → 200, and a
        // further retry answered 409 naming the accepted request.
        let key = self.rng.uuid();
        let accepted = self.rng.uuid();
        let u = self.user();
        let req = json!({"to": u, "messages": [{"type": "text", "text": "Your ticket"}]});
        let l = self.api_json(m(45), "/v2/bot/message/push", 500, req.clone(), json!({"x-line-retry-key": key}));
        self.emit(m(45), Out::AApi, l);
        let l = self.api_json_id(
            m(45) + 2_000,
            &accepted,
            "/v2/bot/message/push",
            200,
            req.clone(),
            json!({"x-line-retry-key": key}),
        );
        self.emit(m(45) + 2_000, Out::AApi, l);
        let l = self.api_json(
            m(45) + 5_000,
            "/v2/bot/message/push",
            409,
            req,
            json!({"x-line-retry-key": key, "x-line-accepted-request-id": accepted}),
        );
        self.emit(m(45) + 5_000, Out::AApi, l);
        // A user unsends a message.
        let u = self.users[11].clone();
        let msg_id = self.rng.digits(18);
        let ev = json!({"type": "message", "mode": "active", "timestamp": m(5), "source": {"type": "user", "userId": u},
            "webhookEventId": self.rng.ulid(), "deliveryContext": {"isRedelivery": false}, "replyToken": self.rng.hex(32),
            "message": {"id": msg_id, "type": "text", "text": "my phone number is 090-0000-0000"}});
        self.webhook_a_events(m(5), vec![ev]);
        let ev = json!({"type": "unsend", "mode": "active", "timestamp": m(6), "source": {"type": "user", "userId": u},
            "webhookEventId": self.rng.ulid(), "deliveryContext": {"isRedelivery": false}, "unsend": {"messageId": msg_id}});
        self.webhook_a_events(m(6), vec![ev]);
        // A forged webhook (bad signature) and an unsigned one, both answered 200.
        let body = json!({"destination": "U8e742f61d673b39c7fff3cecb7536ef0", "events": []}).to_string();
        let forged = json!({"kind": "webhook", "time": rfc3339(m(33)), "ip": "198.51.100.7", "method": "POST",
            "path": "/linebot/webhook", "status": 200, "x-line-signature": sign(&body, "not-the-secret"), "body": body});
        self.emit(m(33), Out::AWebhook, forged.to_string());
        let unsigned = json!({"kind": "webhook", "time": rfc3339(m(34)), "ip": "198.51.100.8", "method": "POST",
            "path": "/linebot/webhook", "status": 200, "body": body});
        self.emit(m(34), Out::AWebhook, unsigned.to_string());
        self.plant_audit();
        // Junk: what real log files also contain.
        self.emit(m(12), Out::BApi, "-------- log rotated by logrotate --------".into());
        self.emit(
            m(27),
            Out::AApi,
            "thread 'tokio-runtime-worker' panicked at src/line.rs:88:14: connection reset".into(),
        );
        self.emit(m(27) + 1, Out::AApi, "{\"level\":\"warn\",\"msg\":\"retrying LINE API call\",\"attempt\":2}".into());
        self.emit(
            m(52),
            Out::BWebhook,
            "203.0.113.9 - - [20/Nov/2026:08:52:00 +0000] \"GET /healthz HTTP/1.1\" 200 2".into(),
        );
        self.emit(m(58), Out::MiniText, "WARN notifier token cache miss \u{1b}[33m(yellow)\u{1b}[0m".into());
    }
}

fn parse_size(s: &str) -> Result<u64> {
    let s = s.trim().to_ascii_uppercase();
    let (num, mult) = [("GB", 1e9), ("MB", 1e6), ("KB", 1e3), ("B", 1.0)]
        .iter()
        .find_map(|(u, m)| s.strip_suffix(u).map(|n| (n.to_owned(), *m)))
        .unwrap_or((s.clone(), 1.0));
    let n: f64 = num.trim().parse().with_context(|| format!("bad size '{s}'"))?;
    if n <= 0.0 {
        bail!("size must be positive");
    }
    Ok((n * mult) as u64)
}

/// Run the simulation for `hours` hours at `rate`, writing to `dir` (or
/// only counting bytes when `dir` is None). Returns (bytes, lines).
fn run(dir: Option<&Path>, start: i64, seed: u64, rate: f64, hours: u64, sdk_bots: bool) -> Result<(u64, u64)> {
    // The size is calibrated without bot-c (it came later; leaving it out of
    // the calibration keeps the other files as they were).
    let with_c = dir.is_some();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    // Enough users that background sends never look like a flood.
    let n_users = ((rate * 40.0) as usize).max(300);
    let users = (0..n_users).map(|_| format!("U{}", rng.hex(32))).collect();
    let rng_c = Rng(seed.wrapping_mul(0xD1B5_4A32_D192_ED03) | 1);
    let rng_d = Rng(seed.wrapping_mul(0x94D0_49BB_1331_11EB) | 1);
    let mut sim =
        Sim { rng, heap: BinaryHeap::new(), seq: 0, users, start, reused_token: None, hour: 0, rng_c, rng_d, sdk_bots };
    let end = start + HOUR_MS * hours.max(1) as i64;
    let mut w = Writers {
        dir: dir.map(Path::to_path_buf).unwrap_or_default(),
        start,
        span: end - start,
        files: Vec::new(),
        bytes: 0,
        lines: 0,
    };
    sim.plant(with_c);
    let mut t = start;
    while t < end || !sim.heap.is_empty() {
        if t < end {
            if t > start && (t - start) % HOUR_MS == 0 {
                // The next hour's incidents.
                sim.hour = ((t - start) / HOUR_MS) as u64;
                sim.start = t;
                sim.plant(with_c);
            }
            sim.background(t, rate);
            if with_c {
                sim.background_c(t, rate);
                if sim.sdk_bots {
                    sim.background_d(t);
                }
            }
        }
        t += 1000;
        while sim.heap.peek().is_some_and(|Reverse((ts, ..))| *ts < t) {
            let Reverse((ts, _, o, line)) = sim.heap.pop().unwrap();
            if dir.is_some() {
                w.write(o, ts, &line)?;
            } else {
                w.bytes += line.len() as u64 + 1;
                w.lines += 1;
            }
        }
        if dir.is_none() && t >= start + 120_000 {
            // Calibration: two minutes are enough to know the bytes per second.
            return Ok((w.bytes * 30, w.lines * 30));
        }
    }
    w.finish()?;
    Ok((w.bytes, w.lines))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let target = parse_size(&args.size)?;
    let start = linelens::time::parse_time(&args.start).context("--start: not a time")?;
    let hours = args.hours.max(1);
    let (probe, _) = run(None, start, args.seed, 10.0, 1, false)?;
    let rate = (10.0 * target as f64 / (probe as f64 * hours as f64)).max(0.2);
    fs::create_dir_all(&args.out)?;
    let (bytes, lines) = run(Some(&args.out), start, args.seed, rate, hours, args.sdk_bots)?;
    eprintln!(
        "wrote {lines} lines, {:.1} MB uncompressed, to {} ({rate:.1} interactions/s)",
        bytes as f64 / 1e6,
        args.out.display()
    );
    Ok(())
}
