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
use super::gather::status_prefix;
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
    // Read from an entry's lines joined (see `gather`), but for the Ruby
    // and Go v8 forms, which may have their body on the line itself.
    "\nReason: ",
    "http status code: ",
    "--> ",
    "<-- ",
    "#<Net::HTTP",
    "unexpected status code: ",
    "'destination'",
    // A webhook event logged alone (see `event`): JSON, a dict, a repr.
    "\"timestamp\"",
    "'timestamp'",
    "timestamp=",
    // A bot's own line with LINE's answer to a send (`sentMessages`).
    "sentMessages",
];

static MATCHER: std::sync::LazyLock<super::Words> = std::sync::LazyLock::new(|| super::Words::new(ANCHORS));

/// A record read from what the line says (an SDK's error, a logged webhook
/// body, a signature failure), with `time` (the line's or its envelope's;
/// `i64::MIN` when neither has one).
pub fn parse(line: &str, time: Millis) -> Option<Line<'static>> {
    // The first anchor that reads as a record (a bot's `timestamp=` may
    // come before `LINE API error: 429`); a few at most.
    MATCHER.matcher_for(line)?.find_iter(line).take(6).find_map(|m| read_at(line, &m, time))
}

fn read_at(line: &str, m: &aho_corasick::Match, time: Millis) -> Option<Line<'static>> {
    let at = m.start();
    // What follows the anchor, on its line; the lines after it, when the
    // line is an entry's lines joined (see `gather`).
    let s = line.get(m.end()..)?;
    let (head, rest) = s.split_once('\n').unwrap_or((s, ""));
    let mut l = match m.pattern().as_usize() {
        0 => python(head),
        1 => go(head),
        2 => java(head),
        3 => java_v7(head),
        4 => Some(api(status_prefix(head)?, None, None, None)),
        5 | 10 => status_and_body(head),
        6 | 7 => guzzle(head),
        8 | 9 => requests(line, at),
        11 => logged_body(line, at, time),
        25 => api_exception(line, at),
        26 => http_info(head, rest),
        27 | 28 => wire(line),
        29 => ruby(head),
        30 => go_v8(head),
        31 => python_body(line, time),
        32..=34 => logged_event(line, at, m.pattern().as_usize(), time),
        35 => sent(line, at),
        n => signature_failure(line, n),
    }?;
    if !rest.is_empty() && matches!(m.pattern().as_usize(), 1 | 4 | 5 | 6 | 7 | 10 | 29 | 30) {
        l = from_entry(l, rest, m.pattern().as_usize() == 1);
    }
    // Ruby's and Go v8's text names no LINE host: an error counts only
    // with LINE's error body.
    if matches!(m.pattern().as_usize(), 29 | 30) && l.fields.message.is_none() {
        return None;
    }
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
    let kind = if crate::line_api::is_miniapp(super::endpoint_path(endpoint)) { Kind::MiniApp } else { Kind::Api };
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
        l.fields.response_body =
            serde_json::value::to_raw_value(&serde_json::json!({ "message": m })).ok().map(Body::owned);
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
    let status = status_prefix(s)?;
    let request_id = value_after(s, "request_id=");
    let mut l = api(status, None, None, request_id);
    let body = s.find("error_response=").and_then(|i| s.get(i + "error_response=".len()..)).and_then(first_json);
    let message = body.and_then(|b| message_of(b.get()));
    if let Some(b) = body {
        l.fields.response_body = Some(Body::owned(b.to_owned()));
    }
    l.fields.message = message.clone().map(Cow::Owned);
    l.extras = message.map(Cow::Owned);
    Some(l)
}

/// Go SDK: `linebot: APIError 429 You have reached your monthly limit.`
fn go(s: &str) -> Option<Line<'static>> {
    let status = status_prefix(s)?;
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
    let details = after.split_once("details=[").map(|(_, d)| java_details(d)).unwrap_or_default();
    Some(with_details(with_message(api(status, None, None, request_id), message), details))
}

/// The Java SDK's `details`: Lombok's `ErrorDetail(message=M, property=P)`
/// (v5/v6) or a record's `ErrorDetail[message=M, property=P]` (v7+), as
/// `{property, message}` (a `null` one left out).
fn java_details(s: &str) -> Vec<serde_json::Value> {
    s.split("ErrorDetail")
        .skip(1)
        .filter_map(|chunk| {
            let close = match chunk.chars().next()? {
                '(' => ')',
                '[' => ']',
                _ => return None,
            };
            let open = if close == ')' { '(' } else { '[' };
            // The record ends at its closing bracket; a property names
            // array items (`messages[0].text`), so brackets are balanced.
            let mut depth = 0u32;
            let end = chunk.char_indices().find_map(|(i, c)| {
                if c == open {
                    depth += 1;
                } else if c == close {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(i);
                    }
                }
                None
            })?;
            let inner = chunk.get(1..end)?;
            let (message, property) = match inner.split_once(", property=") {
                Some((m, p)) => (m.strip_prefix("message=")?, Some(p)),
                None => (inner.strip_prefix("message=")?, None),
            };
            let value = |v: &str| (v != "null" && !v.is_empty()).then(|| v.to_owned());
            let mut d = serde_json::Map::new();
            if let Some(p) = property.and_then(value) {
                d.insert("property".into(), p.into());
            }
            if let Some(m) = value(message) {
                d.insert("message".into(), m.into());
            }
            (!d.is_empty()).then_some(serde_json::Value::Object(d))
        })
        .collect()
}

/// LINE's `details` kept beside its message in the response body.
fn with_details(mut l: Line<'static>, details: Vec<serde_json::Value>) -> Line<'static> {
    if !details.is_empty() {
        let body = serde_json::json!({ "message": l.fields.message, "details": details });
        l.fields.response_body = serde_json::value::to_raw_value(&body).ok().map(Body::owned);
    }
    l
}

/// Java SDK v7+: `API returns error: code=429 requestUrl=URL
/// x-line-request-id=ID error='…' details='…'`.
fn java_v7(s: &str) -> Option<Line<'static>> {
    let status = status_prefix(s)?;
    let url = value_after(s, "requestUrl=");
    // `error='…'` and `details='…'` are quoted as printed: LINE's message
    // may hold quotes of its own (`The property, 'to', …`), so a value ends
    // where the next key starts.
    let quoted = |key: &str| {
        let v = s.split_once(key)?.1;
        let end = [" details='", " sentMessages='"].iter().filter_map(|k| v.find(k)).min();
        let v = end.and_then(|e| v.get(..e)).unwrap_or(v).trim_end();
        Some(v.strip_suffix('\'').unwrap_or(v))
    };
    let message = quoted("error='").map(|m| message_of(m).unwrap_or_else(|| m.to_owned()));
    // Older releases printed `requestId=`.
    let request_id = value_after(s, "x-line-request-id=").or_else(|| value_after(s, " requestId="));
    let details = quoted("details='").map(java_details);
    let l = with_message(api(status, url, None, request_id), message.as_deref());
    Some(with_details(l, details.unwrap_or_default()))
}

/// A status, then LINE's body when the line has it: the Node SDK's
/// axios errors (`Request failed with status code 400 {…}`) and a bot's own
/// `LINE API error: 429 {"message": …}`. (Node v8's `HTTPFetchError: 429 -
/// Too Many Requests` has the status alone.)
fn status_and_body(s: &str) -> Option<Line<'static>> {
    let status = status_prefix(s)?;
    let body = s.get(3..).and_then(|b| b.find('{').and_then(|i| b.get(i..))).and_then(first_json);
    Some(with_message(api(status, None, None, None), body.and_then(|b| message_of(b.get())).as_deref()))
}

/// PHP (Guzzle): ``Client error: `POST URL` resulted in a `400 Bad
/// Request` response:``.
fn guzzle(s: &str) -> Option<Line<'static>> {
    let (request, after) = s.split_once('`')?;
    let (method, url) = request.split_once(' ')?;
    let status = status_prefix(after.split_once('`')?.1)?;
    Some(api(status, Some(url), Method::parse(method), None))
}

/// Python requests' `raise_for_status`: `429 Client Error: Too Many
/// Requests for url: https://api.line.me/…` (LINE's hosts only).
fn requests(line: &str, at: usize) -> Option<Line<'static>> {
    let status = status_prefix(line.get(at.checked_sub(3)?..)?)?;
    let url = line.get(at..)?.split_once("for url: ")?.1.split_whitespace().next()?;
    let host_ok = url.contains("://api.line.me/") || url.contains("://api-data.line.me/");
    host_ok.then(|| api(status, Some(url), None, None))
}

/// Python SDK v3's `ApiException` as printed, its lines joined (see
/// `gather`): `(404)` (after `ApiException: ` or a bot's words, which may
/// name the call: `Exception when calling MessagingApi->reply_message:`),
/// `Reason: …`, `HTTP response headers: HTTPHeaderDict({…})`, `HTTP
/// response body: {…}`. `at` is where `\nReason: ` starts.
fn api_exception(line: &str, at: usize) -> Option<Line<'static>> {
    let first = line.get(..at)?;
    let status = super::gather::status_in_parens(first)?;
    let rest = line.get(at..)?;
    let endpoint = first.split_once("->").and_then(|(_, call)| endpoint_of_call(call));
    let mut l = api(status, endpoint, None, None);
    if let Some(id) = header_value(rest, "x-line-request-id") {
        l = api(status, endpoint, None, Some(id));
    }
    let body = rest.split_once("HTTP response body: ").map(|(_, b)| b.trim());
    Some(with_body(l, body))
}

/// The endpoint a Python SDK v3 call names (`reply_message`,
/// `push_message_with_http_info`), for the calls a bot makes most.
fn endpoint_of_call(call: &str) -> Option<&'static str> {
    let name: String = call.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let name = name.strip_suffix("_with_http_info").unwrap_or(&name);
    crate::line_api::by_sdk_call(name)
}

/// The v3 README's lines after a `*_with_http_info` call, joined (see
/// `gather`): `…http status code: 200`, `…x-line-request-id: ID`, `…http
/// body: …`. Without the request ID line it is no LINE call.
fn http_info(head: &str, rest: &str) -> Option<Line<'static>> {
    let status = status_prefix(head)?;
    let id = rest.lines().find_map(|l| l.split_once("x-line-request-id: ")).map(|(_, v)| v.trim())?;
    let l = api(status, None, None, Some(id));
    let body = rest.lines().find_map(|l| l.split_once("http body: ")).map(|(_, b)| b.trim());
    Some(if status >= 400 { with_body(l, body) } else { l })
}

/// The Java SDK's wire log (OkHttp's logging interceptor), one exchange's
/// lines joined (see `gather`): method and URL from `--> METHOD URL`,
/// status and time from `<-- NNN [MSG] URL (223ms)`, the retry key and
/// request ID from their headers, the bodies from the lines that hold JSON.
/// A request without its response is no record (its response, logged
/// later, is).
fn wire(text: &str) -> Option<Line<'static>> {
    let mut request: Option<(Method, &str)> = None;
    let mut response: Option<(u16, &str, Option<u64>)> = None;
    let (mut request_body, mut response_body) = (None, None);
    let (mut retry_key, mut request_id) = (None, None);
    for l in text.lines() {
        let msg = super::gather::wire_message(l);
        if let Some(r) = msg.strip_prefix("--> ") {
            let mut w = r.split_whitespace();
            if let (Some(m), Some(url)) = (w.next().and_then(Method::parse), w.next()) {
                request.get_or_insert((m, url));
            }
        } else if let Some(r) = msg.strip_prefix("<-- ") {
            if let Some(status) = status_prefix(r) {
                let url = r.split_whitespace().find(|w| w.starts_with("http://") || w.starts_with("https://"));
                let ms = r
                    .rsplit_once('(')
                    .and_then(|(_, t)| t.split(|c: char| !c.is_ascii_digit()).next().and_then(|d| d.parse().ok()));
                response.get_or_insert((status, url.unwrap_or(""), ms));
            }
        } else if let Some(v) = header_line(msg, "x-line-retry-key") {
            retry_key.get_or_insert(v);
        } else if let Some(v) = header_line(msg, "x-line-request-id") {
            request_id.get_or_insert(v);
        } else if msg.starts_with('{') || msg.starts_with('[') {
            let slot = if response.is_some() { &mut response_body } else { &mut request_body };
            if slot.is_none() {
                *slot = first_json(msg).map(RawValue::to_owned);
            }
        }
    }
    let (status, url, ms) = response?;
    let (method, url) = match request {
        Some((m, u)) => (Some(m), u),
        None => (None, url),
    };
    let mut l = api(status, Some(url).filter(|u| !u.is_empty()), method, request_id);
    l.format = formats::WIRE_LOG;
    l.fields.duration_ms = ms;
    l.fields.retry_key = retry_key.map(|k| Cow::Owned(k.to_owned()));
    l.fields.request_body = request_body.map(Body::owned);
    if let Some(b) = response_body {
        let message = message_of(b.get());
        l.fields.response_body = Some(Body::owned(b));
        if status >= 400 {
            l.extras = message.clone().map(Cow::Owned);
            l.fields.message = message.map(Cow::Owned);
        }
    }
    Some(l)
}

/// `Name: value` at the start of a wire log's message (any case).
fn header_line<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    let (k, v) = msg.split_once(':')?;
    (k.trim().eq_ignore_ascii_case(name)).then(|| v.trim()).filter(|v| !v.is_empty())
}

/// A bot's own line with LINE's answer to a send: a status (`status_code=`,
/// `status=`, `status:`) and a body with `sentMessages` (JSON, or a string
/// that holds it). The call is the one the line names (`reply`, `push`,
/// `multicast`, `broadcast`, `narrowcast`), else `unknown`.
fn sent(line: &str, at: usize) -> Option<Line<'static>> {
    let before = line.get(..at)?;
    // The body: a quoted string that holds it (`body="{\"sentMessages…`)
    // or the object itself.
    let (start, body) = match before.rfind("\"{") {
        Some(i) => (i, json_body(line.get(i..)?)?),
        None => {
            let i = before.rfind('{')?;
            (i, first_json(line.get(i..)?)?.to_owned())
        }
    };
    if !body.get().contains("\"sentMessages\"") {
        return None;
    }
    // What the bot wrote before the body: the status and the call.
    let prefix = line.get(..start)?;
    let status =
        ["status_code=", "status_code: ", "status=", "status: ", "\"status\":", "\"statusCode\":"].iter().find_map(
            |k| prefix.find(k).and_then(|i| prefix.get(i + k.len()..)).and_then(|v| status_prefix(v.trim_start())),
        )?;
    let lower = prefix.to_ascii_lowercase();
    use crate::line_api::{Send, send_path};
    let endpoint = [
        ("reply", Send::Reply),
        ("push", Send::Push),
        ("multicast", Send::Multicast),
        ("broadcast", Send::Broadcast),
        ("narrowcast", Send::Narrowcast),
    ]
    .iter()
    .find(|(word, _)| lower.contains(word))
    .map(|&(_, s)| send_path(s));
    let mut l = api(status, endpoint, None, None);
    l.fields.response_body = Some(Body::owned(body));
    Some(l)
}

/// Ruby's `Net::HTTP` response as `p` prints it: `#<Net::HTTPBadRequest
/// 400 Bad Request readbody=true>`; LINE's body follows on the line or on
/// the next (see `gather`).
fn ruby(s: &str) -> Option<Line<'static>> {
    let (_, after) = s.split_once(' ')?;
    let status = status_prefix(after)?;
    let mut l = api(status, None, None, None);
    if let Some((_, tail)) = after.split_once('>') {
        l = with_body(l, Some(tail.trim()));
    }
    Some(l)
}

/// The Go SDK v8 clients' error: `unexpected status code: 400,
/// {"message":…}`.
fn go_v8(s: &str) -> Option<Line<'static>> {
    let status = status_prefix(s)?;
    let body = s.get(3..).map(|b| b.trim_start_matches([',', ' ']));
    Some(with_body(api(status, None, None, None), body))
}

/// LINE's body as a line prints it (JSON, or a Ruby or Node string that
/// holds JSON, or Python v3's `message='…' details=…` repr): kept as the
/// response body and its message.
fn with_body(mut l: Line<'static>, body: Option<&str>) -> Line<'static> {
    let Some(b) = body.map(str::trim).filter(|b| !b.is_empty()) else { return l };
    if let Some(raw) = json_body(b) {
        let message = message_of(raw.get());
        l.fields.response_body = Some(Body::owned(raw));
        l.extras = message.clone().map(Cow::Owned);
        l.fields.message = message.map(Cow::Owned);
        return l;
    }
    // Python v3's `ErrorResponse` as `str()` prints it.
    if let Some(m) = b.split_once("message='").and_then(|(_, m)| m.split_once('\'')).map(|(m, _)| m) {
        return with_message(l, Some(m));
    }
    l
}

/// A JSON body, also when printed as a string that holds it (`"{\"…"` by
/// Ruby's `p`, `'{"…'` by Node's inspect).
fn json_body(b: &str) -> Option<Box<RawValue>> {
    if b.starts_with('{') {
        return first_json(b).map(RawValue::to_owned);
    }
    let inner: String = if b.starts_with('"') {
        let mut it = serde_json::Deserializer::from_str(b).into_iter::<String>();
        it.next()?.ok()?
    } else {
        let q = b.strip_prefix('\'')?;
        let end = q.rfind('\'')?;
        q.get(..end)?.replace("\\'", "'")
    };
    inner.trim_start().starts_with('{').then(|| first_json(inner.trim_start()).map(RawValue::to_owned)).flatten()
}

/// What an SDK error's entry adds (a Node object dump, Go's `[property]
/// message` details, the body on the next line): the request ID, the
/// endpoint and method, LINE's message, where the first line lacks them.
fn from_entry(mut l: Line<'static>, rest: &str, go_details: bool) -> Line<'static> {
    let f = &mut l.fields;
    if f.request_id.is_none()
        && let Some(id) = header_value(rest, "x-line-request-id")
    {
        f.request_id = Some(Cow::Owned(id.to_owned()));
    }
    if f.endpoint.as_deref().is_none_or(|e| e == "unknown")
        && let Some(url) =
            line_url(rest).or_else(|| quoted_after(rest, &["url: '", "path: '"]).filter(|p| p.starts_with('/')))
    {
        f.endpoint = Some(Cow::Owned(url.to_owned()));
        if crate::line_api::is_miniapp(super::endpoint_path(url)) {
            l.kind = Kind::MiniApp;
        }
    }
    if f.method.is_none() {
        f.method = quoted_after(rest, &["method: '"]).and_then(|m| Method::parse(&m.to_ascii_uppercase()));
    }
    // Go's `[property] message` lines.
    let details: Vec<_> = rest
        .lines()
        .filter(|_| go_details)
        .filter_map(|line| {
            let t = line.trim_start_matches(['>', ' ', '\t']);
            let (prop, msg) = t.strip_prefix('[')?.split_once("] ")?;
            Some(serde_json::json!({ "property": prop, "message": msg.trim() }))
        })
        .collect();
    if l.fields.message.is_none() {
        let body = rest.lines().map(str::trim).find(|t| t.starts_with('{') || t.starts_with("\"{")).or_else(|| {
            // A Node dump's `body: '{…}'` (v8) or `data: { message: '…' }`.
            rest.lines().find_map(|t| t.trim().strip_prefix("body: ")).map(|b| b.trim_end_matches(','))
        });
        let dumped = rest.rsplit_once("data: {").and_then(|(_, d)| quoted_after(d, &["message: '", "message: \""]));
        l = match (body, dumped) {
            (Some(b), _) if json_body(b).is_some() => with_body(l, Some(b)),
            (_, Some(m)) => with_message(l, Some(m)),
            _ => l,
        };
    }
    with_details(l, details)
}

/// The first URL of LINE's API on the text.
fn line_url(text: &str) -> Option<&str> {
    let at = ["https://api.line.me/", "https://api-data.line.me/"].iter().filter_map(|h| text.find(h)).min()?;
    let rest = text.get(at..)?;
    let end = rest.find(['\'', '"', ' ', ')', ',', '\n', '`']).unwrap_or(rest.len());
    rest.get(..end)
}

/// The quoted value after the first of `keys` (each ending in its quote).
fn quoted_after<'a>(text: &'a str, keys: &[&str]) -> Option<&'a str> {
    let (at, key) = keys.iter().filter_map(|k| text.find(k).map(|i| (i, *k))).min_by_key(|x| x.0)?;
    let quote = key.chars().last()?;
    let rest = text.get(at + key.len()..)?;
    rest.get(..rest.find(quote)?)
}

/// A header's value wherever the text prints it: `'name': 'v'` (Python and
/// Node dicts), `"name": "v"`, `name: v`, `name=v`, in any case. A name
/// with no value (a list of header names) is skipped; the value must look
/// like an ID.
fn header_value<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower.get(from..).and_then(|l| l.find(name)) {
        let at = from + i + name.len();
        from = at;
        let rest = text.get(at..)?;
        let rest = rest.trim_start_matches(['\'', '"']);
        let Some(rest) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('=')) else { continue };
        let v = rest.trim_start_matches([' ', '\'', '"']);
        let end = v.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(v.len());
        let id = v.get(..end)?;
        if id.len() >= 8 {
            return Some(id);
        }
    }
    None
}

/// A webhook body logged after a prefix (`Request body: {…}`): the JSON
/// object around `"destination"`, when it has `events` too: the line's
/// first object (the body logged whole), else the one `"destination"` opens.
fn logged_body(line: &str, at: usize, time: Millis) -> Option<Line<'static>> {
    let before = line.get(..at)?;
    [before.find('{'), before.rfind('{')].into_iter().flatten().find_map(|open| {
        let raw = first_json(line.get(open..)?)?;
        webhook_body(raw, time).map(Line::into_owned)
    })
}

/// A webhook event logged alone, `at` its `timestamp` key (pattern 32:
/// JSON, 33: a Python dict, 34: a repr); a body whose events come before
/// its `destination` is read as the body.
fn logged_event(line: &str, at: usize, pattern: usize, time: Millis) -> Option<Line<'static>> {
    use super::event::Written;
    let written = match pattern {
        32 => Written::Json,
        33 => Written::Dict,
        _ => Written::Repr,
    };
    let body = match written {
        Written::Json => line.find("\"destination\"").and_then(|d| logged_body(line, d, time)),
        Written::Dict => line.contains("'destination'").then(|| python_body(line, time)).flatten(),
        Written::Repr => None,
    };
    body.or_else(|| super::event::on_line(line, at, written, time))
}

/// A webhook body a Python bot printed as a dict (`body = {'events': […],
/// 'destination': 'U…'}`): read as the JSON it was parsed from.
fn python_body(line: &str, time: Millis) -> Option<Line<'static>> {
    let open = line.find('{')?;
    let json = python_repr_to_json(line.get(open..)?)?;
    let raw = first_json(&json)?;
    webhook_body(raw, time).map(Line::into_owned)
}

/// A Python literal (dict, list, tuple, str, number, True/False/None) at the
/// start of `s` as JSON, up to its closing bracket. Hand-written: no crate
/// reads Python's repr, and only its literal subset is needed here. (Not
/// `event`'s repr reader: a body must be literals alone, where an event
/// may be printed as the SDK's objects.)
fn python_repr_to_json(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0u32;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push('"');
                loop {
                    match chars.next()? {
                        '\\' => match chars.next()? {
                            '\'' => out.push('\''),
                            e @ ('\\' | '"' | 'n' | 't' | 'r' | 'u' | '/') => {
                                out.push('\\');
                                out.push(e);
                            }
                            _ => return None,
                        },
                        d if d == c => break,
                        '"' => out.push_str("\\\""),
                        d if d.is_control() => return None,
                        d => out.push(d),
                    }
                }
                out.push('"');
            }
            '{' | '[' | '(' => {
                depth += 1;
                out.push(if c == '(' { '[' } else { c });
            }
            '}' | ']' | ')' => {
                depth = depth.checked_sub(1)?;
                out.push(if c == ')' { ']' } else { c });
                if depth == 0 {
                    return Some(out);
                }
            }
            c if c.is_ascii_alphabetic() => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek().filter(|n| n.is_ascii_alphanumeric() || **n == '_') {
                    word.push(n);
                    chars.next();
                }
                out.push_str(match word.as_str() {
                    "True" => "true",
                    "False" => "false",
                    "None" => "null",
                    _ => return None,
                });
            }
            c => out.push(c),
        }
    }
    None
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
        fields: Fields { time, body: Some(Body::from_raw(raw)), ..Fields::default() },
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

impl SignatureFailure {
    /// The receipt's signature state it gives.
    pub fn state(self) -> crate::signature::SigState {
        match self {
            SignatureFailure::Invalid => crate::signature::SigState::Invalid,
            SignatureFailure::Missing => crate::signature::SigState::Missing,
        }
    }
}

/// What tells one logged webhook body from another (a bot that prints the
/// body as a dict and then as JSON printed one delivery): its destination
/// and each event's key (see [`super::event::key`]). `None` for a body with
/// no events (each verify request counts).
fn body_key(wb: &super::body::WebhookBody) -> Option<String> {
    if wb.events.is_empty() {
        return None;
    }
    let mut key = format!("body\u{1f}{}", wb.destination.as_deref().unwrap_or(""));
    for e in &wb.events {
        key.push('\u{1f}');
        key.push_str(&super::event::key(e));
    }
    Some(key)
}

/// The SDK errors read last in a block, to tell the same error printed
/// again (a traceback's cause chain, an error printed then raised) from a
/// new call: `ingest` joins a repeat to the entry, `tail` prints it with
/// the entry, so it counts once either way.
#[derive(Debug, Default)]
pub struct RecentErrors(Vec<u64>);

impl RecentErrors {
    /// How many errors are remembered.
    const KEEP: usize = 16;

    /// Whether `l` repeats an SDK error or a logged webhook body (the same
    /// destination and events, see `body_key`) just read. Ingest and
    /// `tail` both ask this.
    pub fn repeats_line(&mut self, l: &Line) -> bool {
        let f = &l.fields;
        let timed = f.time != i64::MIN;
        match l.format {
            formats::SDK_ERROR => self.repeats(f.status, f.request_id.as_deref(), f.message.as_deref(), timed),
            formats::WEBHOOK_BODY | formats::WEBHOOK_EVENT => {
                let Some(body) = f.body.as_ref().map(|b| b.text()) else { return false };
                let Some(wb) = super::body::parse_webhook_body(&body) else { return false };
                let events: Vec<String> =
                    wb.events.iter().map(|e| format!("event\u{1f}{}", super::event::key(e))).collect();
                if l.format == formats::WEBHOOK_EVENT {
                    // An event its body (or an earlier line) just showed.
                    return events.first().is_some_and(|k| self.repeats(0, Some(k), None, timed));
                }
                let repeated = body_key(&wb).is_some_and(|k| self.repeats(0, Some(&k), None, timed));
                // (A few: a body of many events must not push out the
                // errors remembered.)
                for k in events.iter().take(Self::KEEP / 2) {
                    self.remember(k);
                }
                repeated
            }
            _ => false,
        }
    }

    /// Note an SDK error (status, request ID, LINE's message, and whether
    /// its line has a time); true when it repeats one just read. Two timed
    /// lines without a request ID are two calls, never a repeat.
    pub fn repeats(&mut self, status: u16, request_id: Option<&str>, message: Option<&str>, timed: bool) -> bool {
        let key = Self::hash(status, request_id.unwrap_or(""), message);
        if self.0.contains(&key) {
            return request_id.is_some() || !timed;
        }
        self.push(key);
        false
    }

    /// Note an event of a body, so that the event printed alone after it
    /// repeats it.
    fn remember(&mut self, event_key: &str) {
        let key = Self::hash(0, event_key, None);
        if !self.0.contains(&key) {
            self.push(key);
        }
    }

    fn hash(status: u16, id: &str, message: Option<&str>) -> u64 {
        crate::model::hash_id(&format!("{status}\u{1f}{id}\u{1f}{}", message.unwrap_or("")))
    }

    fn push(&mut self, key: u64) {
        if self.0.len() >= Self::KEEP {
            self.0.remove(0);
        }
        self.0.push(key);
    }
}
