//! What LINE's SDKs print when a call fails, webhook bodies a bot logs, and
//! the lines that report a rejected signature: read out of a log line's
//! text, wherever it is on the line (after a time, a level, a prefix of the
//! bot's own, or alone in a traceback).
//!
//! ```text
//! LineBotApiError: status_code=400, request_id=…, error_response={"details": [], "message": "Invalid reply token"}
//! linebot: APIError 429 You have reached your monthly limit.
//! com.linecorp.bot.client.exception.TooManyRequestsException: … : ErrorResponse(requestId=…, message=…, details=[])
//! API returns error: code=429 requestUrl=https://api.line.me/v2/bot/message/push x-line-request-id=…
//! HTTPFetchError: 429 - Too Many Requests            HTTPError: Request failed with status code 400
//! [400] Client error: `POST https://api.line.me/v2/bot/message/reply` resulted in a `400 Bad Request` response:
//! 429 Client Error: Too Many Requests for url: https://api.line.me/v2/bot/message/push
//! LINE API error: 429 {"message":"You have reached your monthly limit."}
//! Request body: {"destination":"U…","events":[…]}      → a webhook receipt with its events
//! linebot.exceptions.InvalidSignatureError: …          → a webhook receipt, signature invalid
//! ```
//!
//! An error becomes an API request (a MINI App request against
//! `/message/v3/notifier/`): its status, the endpoint where the text names
//! it (else `unknown`), the request ID where shown (a masked one,
//! `xxxxxxxx-…`, is no ID) and LINE's message, which classifies it as a
//! JSON line's response body would.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::formats;
use super::{Body, Fields, Line};
use crate::model::{Kind, Method};
use crate::time::Millis;

/// The words that start each form, found in one pass over the line
/// (aho-corasick, the matcher the `regex` crate is built on).
const ANCHORS: &[&str] = &[
    "LineBotApiError: status_code=",
    "linebot: APIError ",
    "bot.client.exception.",
    "API returns error: code=",
    "HTTPFetchError: ",
    "Request failed with status code ",
    "Client error: `",
    "Server error: `",
    " Client Error: ",
    " Server Error: ",
    "LINE API error: ",
    "\"destination\"",
    "InvalidSignatureError",
    "SignatureValidationFailed",
    "Invalid API signature",
    "invalid signature",
    "Invalid signature",
    "bad signature",
    "signature validation failed",
    "Signature validation failed",
    "missing x-line-signature",
    "no signature",
    "無效的簽名",
    "无效的签名",
    "署名が無効",
];

static MATCHER: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> = std::sync::LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder().kind(Some(aho_corasick::AhoCorasickKind::DFA)).build(ANCHORS).ok()
});

/// A record read from what the line says (an SDK's error, a logged webhook
/// body, a signature failure), with `time` (the line's or its envelope's;
/// `i64::MIN` when neither has one).
pub fn parse(line: &str, time: Millis) -> Option<Line<'static>> {
    let m = MATCHER.as_ref()?.find(line)?;
    let at = m.start();
    // What follows the anchor.
    let s = line.get(m.end()..)?;
    let l = match m.pattern().as_usize() {
        0 => python(s),
        1 => go(s),
        2 => java(s),
        3 => java_v7(s),
        4 => Some(api(status_at(s)?, None, None, None)),
        5 | 10 => status_and_body(s),
        6 | 7 => guzzle(s),
        8 | 9 => requests(line, at),
        11 => logged_body(line, at, time),
        n => signature_failure(line, n),
    }?;
    Some(with_time(l, time))
}

fn with_time(mut l: Line<'static>, time: Millis) -> Line<'static> {
    if l.fields.time == i64::MIN {
        l.fields.time = time;
    }
    l
}

/// An API (or MINI App) request that failed with `status`.
fn api(status: u16, endpoint: Option<&str>, method: Option<Method>, request_id: Option<&str>) -> Line<'static> {
    let endpoint = endpoint.unwrap_or("unknown");
    let kind =
        if super::endpoint_path(endpoint).starts_with("/message/v3/notifier/") { Kind::MiniApp } else { Kind::Api };
    let request_id = request_id.map(|s| s.trim_matches(|c: char| c == '\'' || c == '"' || c == ',')).filter(|id| {
        // A masked ID (`xxxxxxx-xxxx-…`) names no request.
        !id.is_empty() && !id.chars().all(|c| c == 'x' || c == 'X' || c == '-' || c == '*')
    });
    Line {
        kind,
        fields: Fields {
            time: i64::MIN,
            method,
            status,
            endpoint: Some(Cow::Owned(endpoint.to_owned())),
            request_id: request_id.map(|s| Cow::Owned(s.to_owned())),
            ..Fields::default()
        },
        extras: None,
        format: formats::SDK_ERROR,
    }
}

/// LINE's message: kept as the response body (`{"message": …}`) and as the
/// text after the status, both of which classify the error.
fn with_message(mut l: Line<'static>, message: Option<&str>) -> Line<'static> {
    if let Some(m) = message.map(str::trim).filter(|m| !m.is_empty()) {
        l.fields.response_body = serde_json::value::to_raw_value(&serde_json::json!({ "message": m }))
            .ok()
            .map(|raw| Body { raw: Cow::Owned(raw) });
        l.extras = Some(Cow::Owned(m.to_owned()));
        l.fields.message = Some(Cow::Owned(m.to_owned()));
    }
    l
}

/// The first JSON value at the start of `s` (what follows it is ignored).
fn first_json(s: &str) -> Option<&RawValue> {
    let mut it = serde_json::Deserializer::from_str(s).into_iter::<&RawValue>();
    it.next()?.ok()
}

fn status_at(s: &str) -> Option<u16> {
    let digits = s.get(..3)?;
    let n: u16 = digits.parse().ok()?;
    let after = s.as_bytes().get(3);
    ((100..=599).contains(&n) && after.is_none_or(|c| !c.is_ascii_digit())).then_some(n)
}

/// `key=value` up to a comma, space or closing bracket.
fn value_after<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let at = s.find(key)? + key.len();
    let v = s.get(at..)?;
    let end = v.find([',', ' ', ')', '}']).unwrap_or(v.len());
    v.get(..end).filter(|v| !v.is_empty())
}

fn message_of(raw: &str) -> Option<String> {
    super::body::parse_response_body(raw)?.message
}

/// Python SDK v1/v2: `LineBotApiError: status_code=400, request_id=…,
/// error_response={…}, headers={…}`.
fn python(s: &str) -> Option<Line<'static>> {
    let status = status_at(s)?;
    let request_id = value_after(s, "request_id=");
    let mut l = api(status, None, None, request_id);
    let body = s.find("error_response=").and_then(|i| s.get(i + "error_response=".len()..)).and_then(first_json);
    let message = body.and_then(|b| message_of(b.get()));
    if let Some(b) = body {
        l.fields.response_body = Some(Body { raw: Cow::Owned(b.to_owned()) });
    }
    l.fields.message = message.clone().map(Cow::Owned);
    l.extras = message.map(Cow::Owned);
    Some(l)
}

/// Go SDK: `linebot: APIError 429 You have reached your monthly limit.`
fn go(s: &str) -> Option<Line<'static>> {
    let status = status_at(s)?;
    Some(with_message(api(status, None, None, None), s.get(3..)))
}

/// Java SDK v5/v6: `…bot.client.exception.TooManyRequestsException: MSG :
/// ErrorResponse(requestId=…, message=…, details=[…])`; the status is the
/// exception's class.
fn java(s: &str) -> Option<Line<'static>> {
    let (class, after) = s.split_once(':')?;
    let status = match class {
        "BadRequestException" => 400,
        "UnauthorizedException" => 401,
        "ForbiddenException" => 403,
        "NotFoundException" => 404,
        "TooManyRequestsException" => 429,
        "LineServerException" => 500,
        _ => return None,
    };
    let request_id = value_after(after, "requestId=");
    let message = after
        .find("message=")
        .and_then(|i| after.get(i + "message=".len()..))
        .map(|m| m.split(", details=").next().unwrap_or(m))
        .or_else(|| after.split(" : ErrorResponse(").next());
    Some(with_message(api(status, None, None, request_id), message))
}

/// Java SDK v7+: `API returns error: code=429 requestUrl=URL
/// x-line-request-id=ID error='…' details='…'`.
fn java_v7(s: &str) -> Option<Line<'static>> {
    let status = status_at(s)?;
    let url = value_after(s, "requestUrl=");
    let message = s.find("error='").and_then(|i| s.get(i + 7..)).and_then(|m| m.split('\'').next());
    let message = message.map(|m| message_of(m).unwrap_or_else(|| m.to_owned()));
    Some(with_message(api(status, url, None, value_after(s, "x-line-request-id=")), message.as_deref()))
}

/// A status, then LINE's body when the line has it: the Node SDK's
/// axios errors (`Request failed with status code 400 {…}`) and a bot's own
/// `LINE API error: 429 {"message": …}`. (Node v8's `HTTPFetchError: 429 -
/// Too Many Requests` has the status alone.)
fn status_and_body(s: &str) -> Option<Line<'static>> {
    let status = status_at(s)?;
    let body = s.get(3..).and_then(|b| b.find('{').and_then(|i| b.get(i..))).and_then(first_json);
    Some(with_message(api(status, None, None, None), body.and_then(|b| message_of(b.get())).as_deref()))
}

/// PHP (Guzzle): ``Client error: `POST URL` resulted in a `400 Bad
/// Request` response:``.
fn guzzle(s: &str) -> Option<Line<'static>> {
    let (request, after) = s.split_once('`')?;
    let (method, url) = request.split_once(' ')?;
    let status = status_at(after.split_once('`')?.1)?;
    Some(api(status, Some(url), Method::parse(method), None))
}

/// Python requests' `raise_for_status`: `429 Client Error: Too Many
/// Requests for url: https://api.line.me/…` (LINE's hosts only).
fn requests(line: &str, at: usize) -> Option<Line<'static>> {
    let status = status_at(line.get(at.checked_sub(3)?..)?)?;
    let url = line.get(at..)?.split_once("for url: ")?.1.split_whitespace().next()?;
    let host_ok = url.contains("://api.line.me/") || url.contains("://api-data.line.me/");
    host_ok.then(|| api(status, Some(url), None, None))
}

/// A webhook body logged after a prefix (`Request body: {…}`): the JSON
/// object around `"destination"`, when it has `events` too.
fn logged_body(line: &str, at: usize, time: Millis) -> Option<Line<'static>> {
    let open = line.get(..at)?.rfind('{')?;
    let raw = first_json(line.get(open..)?)?;
    webhook_body(raw, time).map(Line::into_owned)
}

/// A webhook body (`destination` and `events`) as a receipt. Its time:
/// `time`, else the first event's `timestamp`.
pub fn webhook_body(raw: &RawValue, time: Millis) -> Option<Line<'_>> {
    #[derive(serde::Deserialize)]
    struct B {
        destination: Option<serde::de::IgnoredAny>,
        events: Option<Vec<E>>,
    }
    #[derive(serde::Deserialize)]
    struct E {
        timestamp: Option<i64>,
    }
    let b: B = serde_json::from_str(raw.get()).ok()?;
    let events = b.events?;
    b.destination?;
    let time = if time == i64::MIN { events.first().and_then(|e| e.timestamp).unwrap_or(i64::MIN) } else { time };
    Some(Line {
        kind: Kind::Webhook,
        fields: Fields { time, body: Some(Body { raw: Cow::Borrowed(raw) }), ..Fields::default() },
        extras: None,
        format: formats::WEBHOOK_BODY,
    })
}

/// A line that reports a rejected signature: a receipt whose signature is
/// invalid (missing when the text says there was none).
fn signature_failure(line: &str, pattern: usize) -> Option<Line<'static>> {
    let lower = line.to_ascii_lowercase();
    // The plain words count only on a line that names the webhook or LINE;
    // the SDKs' names and `x-line-signature` name it themselves.
    const NAMES: &[&str] =
        &["webhook", "linebot", "line_bot", "line-bot", "line bot", "x-line", "line api", "line messaging", "callback"];
    let plain = matches!(pattern, 15..=19 | 21..=24);
    if plain && !NAMES.iter().any(|n| lower.contains(n)) {
        return None;
    }
    let missing = lower.contains("missing") || lower.contains("no signature");
    Some(Line {
        kind: Kind::Webhook,
        fields: Fields {
            time: i64::MIN,
            signature_failure: Some(if missing { SignatureFailure::Missing } else { SignatureFailure::Invalid }),
            ..Fields::default()
        },
        extras: None,
        format: formats::SIGNATURE_FAILURE,
    })
}

/// What a signature-failure line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureFailure {
    Invalid,
    Missing,
}

/// The SDK errors read last in a block, to tell the same error printed
/// again (a traceback's cause chain, an error printed then raised) from a
/// new call: `ingest` joins a repeat to the entry, `tail` prints it with
/// the entry, so it counts once either way.
#[derive(Debug, Default)]
pub struct RecentErrors(Vec<u64>);

impl RecentErrors {
    /// How many errors are remembered.
    const KEEP: usize = 8;

    /// Note an SDK error (status, request ID, LINE's message, and whether
    /// its line has a time); true when it repeats one just read. Two timed
    /// lines without a request ID are two calls, never a repeat.
    pub fn repeats(&mut self, status: u16, request_id: Option<&str>, message: Option<&str>, timed: bool) -> bool {
        let key = crate::store::hash_id(&format!(
            "{status}\u{1f}{}\u{1f}{}",
            request_id.unwrap_or(""),
            message.unwrap_or("")
        ));
        if self.0.contains(&key) {
            return request_id.is_some() || !timed;
        }
        if self.0.len() >= Self::KEEP {
            self.0.remove(0);
        }
        self.0.push(key);
        false
    }
}
