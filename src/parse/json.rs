//! JSON lines: one object a line, keys in any order, unknown keys ignored.
//!
//! Keys are matched without regard to case against an alias table. A
//! canonical key wins over an alias when a line carries both (a logging
//! library's own `ts` does not override our `time`). Only the known keys are
//! decoded; bodies are kept as borrowed raw JSON. A line is read by
//! `parse::scan`, or by serde_json where that reader gives up.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{Body, Fields, Line, formats};
use crate::model::{Kind, Level, Method};
use crate::time::{Millis, parse_epoch, parse_time};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Field {
    Kind,
    Time,
    RequestId,
    Method,
    Endpoint,
    Url,
    Path,
    Status,
    RequestBody,
    ResponseBody,
    RetryKey,
    AcceptedRequestId,
    Ip,
    Signature,
    Body,
    NotificationToken,
    Duration,
    Level,
    Message,
    UserAgent,
    Origin,
    RealtimeUs,
    HttpRequest,
    Request,
    JsonPayload,
    Resource,
}

fn lookup(k: &str) -> Option<(Field, bool)> {
    // Every key of every line comes here. Most are lower-case already and
    // are matched as they are; others are lower-cased on the stack first.
    // The compiler's string match picks the entry, instead of comparing
    // against each alias in turn (which was 7 % of parsing a JSON line).
    let b = k.as_bytes();
    if !b.iter().any(u8::is_ascii_uppercase) {
        return lookup_lower(b);
    }
    let mut buf = [0u8; LONGEST_KEY];
    let lower = buf.get_mut(..b.len())?;
    lower.copy_from_slice(b);
    lower.make_ascii_lowercase();
    lookup_lower(lower)
}

/// [`lookup`] of a lower-case key.
fn lookup_lower(lower: &[u8]) -> Option<(Field, bool)> {
    Some(match lower {
        b"kind" => (Field::Kind, true),
        b"time" => (Field::Time, true),
        b"timestamp" => (Field::Time, false),
        b"ts" => (Field::Time, false),
        b"@timestamp" => (Field::Time, false),
        b"request_id" => (Field::RequestId, true),
        b"x-line-request-id" => (Field::RequestId, false),
        b"requestid" => (Field::RequestId, false),
        b"method" => (Field::Method, true),
        b"endpoint" => (Field::Endpoint, true),
        b"url" => (Field::Url, true),
        b"path" => (Field::Path, true),
        b"status" => (Field::Status, true),
        b"status_code" => (Field::Status, false),
        b"statuscode" => (Field::Status, false),
        b"request_body" => (Field::RequestBody, true),
        b"response_body" => (Field::ResponseBody, true),
        b"retry_key" => (Field::RetryKey, true),
        b"x-line-retry-key" => (Field::RetryKey, false),
        b"accepted_request_id" => (Field::AcceptedRequestId, true),
        b"x-line-accepted-request-id" => (Field::AcceptedRequestId, false),
        b"ip" => (Field::Ip, true),
        b"remote_addr" => (Field::Ip, false),
        b"sender_ip" => (Field::Ip, false),
        b"client_ip" => (Field::Ip, false),
        b"signature" => (Field::Signature, true),
        b"x-line-signature" => (Field::Signature, false),
        b"body" => (Field::Body, true),
        b"notification_token" => (Field::NotificationToken, true),
        b"notificationtoken" => (Field::NotificationToken, false),
        b"duration_ms" => (Field::Duration, true),
        b"duration" => (Field::Duration, false),
        b"latency_ms" => (Field::Duration, false),
        b"elapsed_ms" => (Field::Duration, false),
        b"response_time_ms" => (Field::Duration, false),
        b"took_ms" => (Field::Duration, false),
        b"level" => (Field::Level, true),
        b"severity" => (Field::Level, false),
        b"lvl" => (Field::Level, false),
        b"message" => (Field::Message, true),
        b"msg" => (Field::Message, false),
        b"event" => (Field::Message, false),
        b"textpayload" => (Field::Message, false),
        b"log" => (Field::Message, false),
        b"origin" => (Field::Origin, true),
        b"stream" => (Field::Origin, false),
        b"_systemd_unit" => (Field::Origin, false),
        b"unit" => (Field::Origin, false),
        b"syslog_identifier" => (Field::Origin, false),
        b"logstreamname" => (Field::Origin, false),
        b"container_name" => (Field::Origin, false),
        b"podname" => (Field::Origin, false),
        b"containername" => (Field::Origin, false),
        b"__realtime_timestamp" => (Field::RealtimeUs, true),
        b"httprequest" => (Field::HttpRequest, true),
        b"request" => (Field::Request, true),
        b"jsonpayload" => (Field::JsonPayload, true),
        b"resource" => (Field::Resource, true),
        b"user_agent" => (Field::UserAgent, true),
        b"useragent" => (Field::UserAgent, false),
        b"http_user_agent" => (Field::UserAgent, false),
        _ => return None,
    })
}

/// The longest key [`lookup`] knows (`x-line-accepted-request-id`).
const LONGEST_KEY: usize = 26;
const _: () = assert!("x-line-accepted-request-id".len() == LONGEST_KEY);

/// A scalar value: a string (borrowed when it has no escapes) or a number.
#[derive(Debug, Clone)]
pub enum Scalar<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Float(f64),
    Other,
}

impl<'a> Scalar<'a> {
    fn into_str(self) -> Option<Cow<'a, str>> {
        match self {
            Scalar::Str(s) => Some(s),
            Scalar::Int(i) => Some(Cow::Owned(i.to_string())),
            Scalar::Float(_) | Scalar::Other => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Scalar<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A string that borrows from the text read when it has no escapes.
/// (serde's own `Cow<str>` always copies: every key of every line was a
/// malloc and a free.)
pub(crate) struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> de::Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// The raw fields of a JSON line, before the kind is decided.
#[derive(Default, Debug)]
struct Raw<'a> {
    vals: [Option<(Scalar<'a>, bool)>; 22],
    bodies: [Option<(&'a str, bool)>; 7],
    /// The text of `body` when it is a string the reader decoded already.
    body_text: Option<Cow<'a, str>>,
}

fn slot(k: Field) -> usize {
    k as usize
}

fn body_slot(k: Field) -> Option<usize> {
    match k {
        Field::RequestBody => Some(0),
        Field::ResponseBody => Some(1),
        Field::Body => Some(2),
        Field::HttpRequest => Some(3),
        Field::Request => Some(4),
        Field::JsonPayload => Some(5),
        Field::Resource => Some(6),
        _ => None,
    }
}

/// A message: a string, or (journald's `MESSAGE` when it is not valid
/// UTF-8) an array of bytes, read lossily.
struct MessageValue<'a>(Scalar<'a>);

impl<'de: 'a, 'a> de::Deserialize<'de> for MessageValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = MessageValue<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(MessageValue(Scalar::Str(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(MessageValue(Scalar::Str(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(MessageValue(Scalar::Str(Cow::Owned(v))))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                let mut bytes = Vec::new();
                let mut all_bytes = true;
                while let Some(x) = s.next_element::<Scalar>()? {
                    match x {
                        Scalar::Int(i) if (0..=255).contains(&i) => bytes.push(i as u8),
                        _ => all_bytes = false,
                    }
                }
                Ok(MessageValue(if all_bytes {
                    Scalar::Str(Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()))
                } else {
                    Scalar::Other
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(MessageValue(Scalar::Other))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(MessageValue(Scalar::Other))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(MessageValue(Scalar::Other))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(MessageValue(Scalar::Other))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(MessageValue(Scalar::Other))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(MessageValue(Scalar::Other))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Fills a [`Raw`] in place: the struct is large (one slot per field), and
/// returning it by value through serde copied it twice a line.
struct Fill<'r, 'de>(&'r mut Raw<'de>);

impl<'de> de::DeserializeSeed<'de> for Fill<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Fill<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let raw = self.0;
        while let Some(Text(k)) = m.next_key::<Text<'de>>()? {
            let Some((key, canonical)) = lookup(&k) else {
                m.next_value::<IgnoredAny>()?;
                continue;
            };
            if let Some(b) = body_slot(key) {
                let v = m.next_value::<&'de RawValue>()?.get();
                if let Some(s) = raw.bodies.get_mut(b)
                    && (canonical || s.as_ref().is_none_or(|(_, c)| !c))
                {
                    *s = Some((v, canonical));
                }
                continue;
            }
            let v: Scalar<'de> =
                if key == Field::Message { m.next_value::<MessageValue>()?.0 } else { m.next_value()? };
            if let Some(s) = raw.vals.get_mut(slot(key))
                && (canonical || s.as_ref().is_none_or(|(_, c)| !c))
            {
                *s = Some((v, canonical));
            }
        }
        Ok(())
    }
}

/// Read a line's known keys into `raw`; `None` when it is not one JSON object.
fn fill<'de>(line: &'de str, raw: &mut Raw<'de>) -> Option<()> {
    if !super::scan::has_control(line.as_bytes()) {
        if fill_fast(line, raw).is_some() {
            return Some(());
        }
        *raw = Raw::default();
    }
    fill_serde(line, raw)
}

/// [`fill`] by `parse::scan`, which reads what serde_json reads (the
/// proptest in `scan` holds it to that); `None` where it gives up, and
/// serde_json reads the line (and fails where it would have failed).
fn fill_fast<'de>(line: &'de str, raw: &mut Raw<'de>) -> Option<()> {
    let mut object = super::scan::Object::new(line)?;
    while let Some(k) = object.next_key()? {
        let Some((key, canonical)) = lookup(k) else {
            object.value()?;
            continue;
        };
        if let Some(b) = body_slot(key) {
            // A webhook body as LINE sent it, a string, is decoded as it is
            // read: it is decoded anyway, for its events and its signature.
            let (v, text) =
                if key == Field::Body && object.at_string() { object.string_text()? } else { (object.value()?, None) };
            if let Some(s) = raw.bodies.get_mut(b)
                && (canonical || s.as_ref().is_none_or(|(_, c)| !c))
            {
                *s = Some((v.text(), canonical));
                if key == Field::Body {
                    raw.body_text = text;
                }
            }
            continue;
        }
        let scalar = match (key, object.at()?) {
            // journald's message as an array of bytes: serde_json's visitor reads it.
            (Field::Message, b'[') => return None,
            // A message is a string (or bytes); any other value is none.
            (Field::Message, b'-' | b'0'..=b'9') => object.value().map(|_| Scalar::Other)?,
            _ => scalar_at(&mut object)?,
        };
        if let Some(s) = raw.vals.get_mut(slot(key))
            && (canonical || s.as_ref().is_none_or(|(_, c)| !c))
        {
            *s = Some((scalar, canonical));
        }
    }
    Some(())
}

/// The value at `o`'s cursor as serde_json reads it into a [`Scalar`]: a
/// string decoded, a number converted, any other value none. `None` where
/// the scanner gives up or serde_json would fail (a lone surrogate, a
/// number out of range). (Decoding a string in the pass that finds its
/// end, as `Object::string_text` does for a body, cost more here: most of
/// these strings have no escapes.)
pub(super) fn scalar_at<'a>(o: &mut super::scan::Object<'a>) -> Option<Scalar<'a>> {
    use super::scan::Value;
    Some(match o.value()? {
        Value::Str(lit, false) => Scalar::Str(Cow::Borrowed(lit.get(1..lit.len() - 1)?)),
        Value::Str(lit, true) => match super::unescape_simple(lit) {
            Some(text) => Scalar::Str(text),
            None => Scalar::Str(Cow::Owned(serde_json::from_str::<Text>(lit).ok()?.0.into_owned())),
        },
        Value::Number(n) => match small_int(n) {
            Some(i) => Scalar::Int(i),
            None => serde_json::from_str::<Scalar>(n).ok()?,
        },
        Value::Literal(_) | Value::Object(_) | Value::Array(_) => Scalar::Other,
    })
}

/// A number of at most 18 digits with no sign, fraction or exponent, which
/// serde_json reads as that integer.
fn small_int(n: &str) -> Option<i64> {
    let b = n.as_bytes();
    if b.is_empty() || b.len() > 18 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |a, &d| a * 10 + i64::from(d - b'0')))
}

/// [`fill`] by serde_json.
fn fill_serde<'de>(line: &'de str, raw: &mut Raw<'de>) -> Option<()> {
    let mut de = serde_json::Deserializer::from_str(line);
    de::DeserializeSeed::deserialize(Fill(raw), &mut de).ok()?;
    de.end().ok()
}

impl<'a> Raw<'a> {
    fn take(&mut self, k: Field) -> Option<Scalar<'a>> {
        self.vals.get_mut(slot(k)).and_then(Option::take).map(|(v, _)| v)
    }
    fn take_str(&mut self, k: Field) -> Option<Cow<'a, str>> {
        self.take(k).and_then(Scalar::into_str).filter(|s| !s.is_empty())
    }
    fn body(&self, k: Field) -> Option<Body<'a>> {
        self.body_with(k, None)
    }
    /// The `body` field, with the text the reader decoded moved into it
    /// (not copied: a logged webhook body is most of its line).
    fn take_webhook_body(&mut self) -> Option<Body<'a>> {
        let text = self.body_text.take();
        self.body_with(Field::Body, text)
    }
    fn body_with(&self, k: Field, text: Option<Cow<'a, str>>) -> Option<Body<'a>> {
        let (raw, _) = self.bodies.get(body_slot(k)?)?.as_ref()?;
        (*raw != "null").then(|| Body::checked(raw, text))
    }
}

fn scalar_time(v: &Scalar) -> Option<Millis> {
    match v {
        Scalar::Str(s) => parse_time(s),
        Scalar::Int(i) => parse_epoch(&i.to_string()),
        Scalar::Float(f) if f.is_finite() && *f >= 0.0 => {
            if *f >= 1e11 {
                Some(*f as i64)
            } else {
                Some((*f * 1000.0).round() as i64)
            }
        }
        _ => None,
    }
}

fn scalar_status(v: &Scalar) -> u16 {
    let n = match v {
        Scalar::Int(i) => *i,
        Scalar::Str(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    };
    u16::try_from(n).ok().filter(|s| (100..=599).contains(s)).unwrap_or(0)
}

/// Milliseconds: a number, or a string with a unit (`2500ms`, `2.5s`).
fn scalar_duration(v: &Scalar) -> Option<u64> {
    let ms = match v {
        Scalar::Int(i) => *i as f64,
        Scalar::Float(f) => *f,
        Scalar::Str(s) => {
            let s = s.trim();
            if let Some(n) = s.strip_suffix("ms") {
                n.trim().parse().ok()?
            } else if let Some(n) = s.strip_suffix('s') {
                n.trim().parse::<f64>().ok()? * 1000.0
            } else {
                s.parse().ok()?
            }
        }
        Scalar::Other => return None,
    };
    (ms.is_finite() && ms >= 0.0).then_some(ms as u64)
}

fn parse_kind(s: &str) -> Option<Kind> {
    // Lower-cased without `_`, `-` and spaces, on the stack (two strings
    // allocated a JSON line before); longer than any kind named: none.
    let mut buf = [0u8; 16];
    let mut n = 0;
    for c in s.bytes().filter(|c| !matches!(c, b'_' | b'-' | b' ')) {
        *buf.get_mut(n)? = c.to_ascii_lowercase();
        n += 1;
    }
    match buf.get(..n)? {
        b"api" | b"messagingapi" | b"request" => Some(Kind::Api),
        b"webhook" => Some(Kind::Webhook),
        b"miniapp" | b"servicemessage" => Some(Kind::MiniApp),
        _ => None,
    }
}

/// Whether a JSON line that is not a record carries a record's fields (a
/// kind, request ID, endpoint, path or IP) but no readable time: a log line
/// that lost its time, for the log-completeness audit.
pub fn untimed(line: &str) -> bool {
    let mut raw = Raw::default();
    if fill(line, &mut raw).is_none() {
        return false;
    }
    let timed = raw.take(Field::Time).as_ref().and_then(scalar_time).is_some();
    !timed
        && [Field::Kind, Field::RequestId, Field::Endpoint, Field::Url, Field::Path, Field::Ip]
            .into_iter()
            .any(|k| raw.take(k).is_some())
}

/// A JSON line as a record, or `None` when it is not one (not an object,
/// no recognisable kind, or no readable time).
pub fn parse(line: &str) -> Option<Line<'_>> {
    parse_at(line, 0)
}

/// A request as a proxy or platform logs it in JSON of its own shape.
struct JsonAccess {
    method: Method,
    /// Path or URL.
    target: String,
    status: u16,
    ip: Option<String>,
    user_agent: Option<String>,
    duration_ms: Option<u64>,
    origin: Option<String>,
}

/// Cloud Logging's `httpRequest`, Traefik's keys, or Caddy's `request`
/// object (`status` and `duration`, in seconds, at the top).
fn json_access(raw: &Raw, line: &str, status: u16, duration: Option<&Scalar>) -> Option<JsonAccess> {
    if let Some(mut a) = raw.body(Field::HttpRequest).as_ref().and_then(|b| http_request(b.json())) {
        a.origin = raw.body(Field::Resource).as_ref().and_then(|b| resource_origin(b.json()));
        return Some(a);
    }
    if let Some(a) = traefik(line) {
        return Some(a);
    }
    let mut a = raw.body(Field::Request).as_ref().and_then(|b| caddy_request(b.json()))?;
    a.status = (status != 0).then_some(status)?;
    a.duration_ms = match duration {
        Some(Scalar::Float(x)) if x.is_finite() && *x >= 0.0 => Some((x * 1000.0).round() as u64),
        Some(Scalar::Int(x)) if *x >= 0 => Some(*x as u64 * 1000),
        _ => None,
    };
    Some(a)
}

/// Cloud Logging's `httpRequest` object.
fn http_request(raw: &str) -> Option<JsonAccess> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct H<'a> {
        #[serde(borrow)]
        request_method: Option<Cow<'a, str>>,
        #[serde(borrow)]
        request_url: Option<Cow<'a, str>>,
        status: Option<Scalar<'a>>,
        #[serde(borrow)]
        remote_ip: Option<Cow<'a, str>>,
        #[serde(borrow)]
        user_agent: Option<Cow<'a, str>>,
        #[serde(borrow)]
        latency: Option<Cow<'a, str>>,
    }
    let h: H = serde_json::from_str(raw).ok()?;
    let status = h.status.as_ref().map_or(0, scalar_status);
    Some(JsonAccess {
        method: Method::parse(h.request_method.as_deref()?)?,
        target: h.request_url?.into_owned(),
        status: (status != 0).then_some(status)?,
        ip: h.remote_ip.map(Cow::into_owned),
        user_agent: h.user_agent.map(Cow::into_owned),
        duration_ms: h.latency.as_deref().and_then(|l| scalar_duration(&Scalar::Str(Cow::Borrowed(l)))),
        origin: None,
    })
}

/// Caddy's `request` object (the status and duration are the caller's).
fn caddy_request(raw: &str) -> Option<JsonAccess> {
    #[derive(serde::Deserialize)]
    struct R<'a> {
        #[serde(borrow)]
        method: Option<Cow<'a, str>>,
        #[serde(borrow)]
        uri: Option<Cow<'a, str>>,
        #[serde(borrow)]
        remote_ip: Option<Cow<'a, str>>,
        #[serde(borrow)]
        client_ip: Option<Cow<'a, str>>,
        #[serde(default)]
        headers: std::collections::BTreeMap<String, Vec<String>>,
    }
    let r: R = serde_json::from_str(raw).ok()?;
    let user_agent =
        r.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("user-agent")).and_then(|(_, v)| v.first().cloned());
    Some(JsonAccess {
        method: Method::parse(r.method.as_deref()?)?,
        target: r.uri?.into_owned(),
        status: 0,
        ip: r.client_ip.or(r.remote_ip).map(Cow::into_owned),
        user_agent,
        duration_ms: None,
        origin: None,
    })
}

/// Traefik's JSON access line: its own key names, the duration in nanoseconds.
fn traefik(line: &str) -> Option<JsonAccess> {
    super::needle!(b"\"DownstreamStatus\"").find(line.as_bytes())?;
    #[derive(serde::Deserialize)]
    struct T<'a> {
        #[serde(rename = "RequestMethod", borrow)]
        method: Option<Cow<'a, str>>,
        #[serde(rename = "RequestPath", borrow)]
        path: Option<Cow<'a, str>>,
        #[serde(rename = "DownstreamStatus")]
        status: Option<u16>,
        #[serde(rename = "ClientHost", borrow)]
        ip: Option<Cow<'a, str>>,
        #[serde(rename = "request_User-Agent", borrow)]
        user_agent: Option<Cow<'a, str>>,
        #[serde(rename = "Duration")]
        duration: Option<u64>,
    }
    let t: T = serde_json::from_str(line).ok()?;
    Some(JsonAccess {
        method: Method::parse(t.method.as_deref()?)?,
        target: t.path?.into_owned(),
        status: t.status.filter(|s| (100..=599).contains(s))?,
        ip: t.ip.map(Cow::into_owned),
        user_agent: t.user_agent.map(Cow::into_owned),
        duration_ms: t.duration.map(|ns| ns / 1_000_000),
        origin: None,
    })
}

/// Where a Cloud Logging entry came from: its `resource.labels` service,
/// container, pod or function.
fn resource_origin(raw: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct R {
        #[serde(default)]
        labels: std::collections::BTreeMap<String, String>,
    }
    let r: R = serde_json::from_str(raw).ok()?;
    ["service_name", "container_name", "pod_name", "function_name", "module_id", "instance_id"]
        .iter()
        .find_map(|k| r.labels.get(*k).filter(|v| !v.is_empty()).cloned())
}

/// `jsonPayload.message` (or `msg`) of a Cloud Logging entry.
fn payload_message(raw: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct P<'a> {
        #[serde(borrow)]
        message: Option<Cow<'a, str>>,
        #[serde(borrow)]
        msg: Option<Cow<'a, str>>,
    }
    let p: P = serde_json::from_str(raw).ok()?;
    p.message.or(p.msg).map(Cow::into_owned)
}

/// journald's `__REALTIME_TIMESTAMP`: microseconds since the epoch.
fn realtime_us(v: &Scalar) -> Option<Millis> {
    let us = match v {
        Scalar::Str(s) => s.trim().parse::<i64>().ok()?,
        Scalar::Int(i) => *i,
        _ => return None,
    };
    Some(us.div_euclid(1000))
}

/// [`parse`] inside `depth` envelopes.
pub fn parse_at(line: &str, depth: u8) -> Option<Line<'_>> {
    parse_timed(line, depth, None)
}

/// A webhook body (`destination` and `events`) a JSON log line holds in a
/// field: `body`, `payload`, `webhook` or `event` (an object, or a string
/// holding one), or `body` inside `req` / `request`.
fn nested_webhook_body(line: &str, time: Millis) -> Option<Line<'static>> {
    type Fields<'a> = std::collections::HashMap<&'a str, &'a RawValue>;
    let top: Fields = serde_json::from_str(line).ok()?;
    let read = |v: &RawValue| -> Option<Line<'static>> {
        let owned;
        let raw = if v.get().starts_with('"') {
            let s: String = serde_json::from_str(v.get()).ok()?;
            owned = serde_json::from_str::<Box<RawValue>>(&s).ok()?;
            owned.as_ref()
        } else {
            v
        };
        super::sdk::webhook_body(raw, time).map(Line::into_owned)
    };
    let direct = ["body", "payload", "webhook", "event"].iter().filter_map(|k| top.get(k).copied());
    let inner = ["req", "request"].iter().filter_map(|k| {
        let m: Fields = serde_json::from_str(top.get(k)?.get()).ok()?;
        m.get("body").copied()
    });
    direct.chain(inner).find_map(read)
}

/// A webhook event the object is or holds as a field (see `event`); only
/// an object with an integer `"timestamp"` and a `"type"` is looked at.
fn logged_event(line: &str, time: Millis) -> Option<Line<'static>> {
    let b = line.as_bytes();
    let at = super::needle!(b"\"timestamp\"").find(b)?;
    let after = line.get(at + "\"timestamp\"".len()..)?.trim_start().strip_prefix(':')?.trim_start();
    if !after.starts_with(|c: char| c.is_ascii_digit()) || super::needle!(b"\"type\"").find(b).is_none() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    super::event::in_value(&v, time)
}

/// [`parse_at`], with the time of an envelope around the line for a line
/// that has none of its own.
pub fn parse_timed(line: &str, depth: u8, envelope_time: Option<Millis>) -> Option<Line<'_>> {
    let mut raw = Raw::default();
    fill(line, &mut raw)?;
    let time = match raw.take(Field::Time).as_ref().and_then(scalar_time) {
        Some(t) => Some(t),
        None => raw.take(Field::RealtimeUs).as_ref().and_then(realtime_us).or(envelope_time),
    };
    // A webhook body a bot logged as it came (`destination` and `events`):
    // a receipt, timed by its first event when nothing else gives a time.
    let b = line.as_bytes();
    let kindless = raw.vals.get(slot(Field::Kind)).is_none_or(Option::is_none);
    if kindless
        && super::needle!(b"\"events\"").find(b).is_some()
        && super::needle!(b"\"destination\"").find(b).is_some()
        && let Ok(whole) = serde_json::from_str::<&RawValue>(line)
        && let Some(l) = super::sdk::webhook_body(whole, time.unwrap_or(i64::MIN))
    {
        return Some(l);
    }
    // A webhook event logged alone, or as a field of an untimed object.
    if kindless
        && time.is_none()
        && let Some(l) = logged_event(line, i64::MIN)
    {
        return Some(l);
    }
    let time = time?;
    let kind_field = raw.take(Field::Kind);
    let status = raw.take(Field::Status).as_ref().map_or(0, scalar_status);
    let method = raw.take_str(Field::Method).map(|m| Method::parse(&m).unwrap_or(Method::Other));
    let url = raw.take_str(Field::Url);
    let endpoint = raw.take_str(Field::Endpoint);
    let path = raw.take_str(Field::Path);
    let duration = raw.take(Field::Duration);
    let mut f = Fields {
        time,
        method,
        status,
        request_id: raw.take_str(Field::RequestId),
        ip: raw.take_str(Field::Ip),
        signature: raw.take_str(Field::Signature),
        retry_key: raw.take_str(Field::RetryKey),
        accepted_request_id: raw.take_str(Field::AcceptedRequestId),
        notification_token: raw.take_str(Field::NotificationToken),
        request_body: raw.body(Field::RequestBody),
        response_body: raw.body(Field::ResponseBody),
        body: raw.take_webhook_body(),
        duration_ms: duration.as_ref().and_then(scalar_duration),
        endpoint: None,
        path: None,
        level: None,
        message: None,
        user_agent: None,
        origin: None,
        user_id: None,
        signature_failure: None,
        clock: None,
    };
    let api_target = endpoint.clone().or_else(|| url.clone());
    let level = raw.take(Field::Level);
    let message = raw.take_str(Field::Message);
    f.user_agent = raw.take_str(Field::UserAgent);
    let mut format = formats::LINE_JSON;
    let kind = match kind_field.as_ref().and_then(Scalar::as_str).and_then(parse_kind) {
        Some(k) => k,
        None => {
            if api_target.as_deref().is_some_and(|e| crate::line_api::is_miniapp(super::endpoint_path(e))) {
                Kind::MiniApp
            } else if f.request_id.is_some() {
                Kind::Api
            } else if f.ip.is_some() || f.signature.is_some() || f.body.is_some() {
                Kind::Webhook
            } else if let Some(a) = json_access(&raw, line, f.status, duration.as_ref()) {
                // A request logged by a proxy or platform in its own shape.
                f.method = Some(a.method);
                f.status = a.status;
                f.ip = a.ip.map(Cow::Owned);
                f.user_agent = a.user_agent.map(Cow::Owned);
                f.duration_ms = a.duration_ms;
                f.origin = a.origin.map(Cow::Owned);
                let kind = super::access::classify(a.method, &a.target, f.user_agent.as_deref());
                f.path = Some(Cow::Owned(super::endpoint_path(&a.target).to_owned()));
                return Some(Line { kind, fields: f, extras: None, format: formats::JSON_LOG });
            } else if let (Some(m), Some(p), true) = (f.method, path.as_deref().or(url.as_deref()), f.status != 0) {
                // A JSON access line: a webhook receipt or another request.
                format = formats::JSON_LOG;
                super::access::classify(m, p, f.user_agent.as_deref())
            } else if depth < 3
                && super::needle!(b"destination").find(line.as_bytes()).is_some()
                && let Some(l) = nested_webhook_body(line, time)
            {
                // A webhook body logged as a field (`req.body`, `payload`, …).
                return Some(l);
            } else if depth < 3
                && let Some(l) = logged_event(line, time)
            {
                // A webhook event logged as a field (`event`, `input`, …).
                return Some(l);
            } else {
                // Any other timed JSON line is a log line.
                f.level = match &level {
                    Some(Scalar::Str(s)) => Level::parse(s),
                    Some(Scalar::Int(n)) => Level::from_pino(*n),
                    _ => None,
                };
                let origin = raw.take_str(Field::Origin).or_else(|| {
                    raw.body(Field::Resource).as_ref().and_then(|b| resource_origin(b.json())).map(Cow::Owned)
                });
                // Cloud Logging's structured entries: the message inside `jsonPayload`.
                let message = message.or_else(|| {
                    raw.body(Field::JsonPayload).as_ref().and_then(|b| payload_message(b.json())).map(Cow::Owned)
                });
                // An envelope (Docker's json-file, journald, CloudWatch,
                // Cloud Logging's textPayload) or a logger that logged a
                // whole line: the line inside is what counts.
                if let Some(m) = message.as_deref()
                    && depth < 3
                    && let super::Parsed::Record(inner) =
                        crate::time::with_reference(Some(time).filter(|&t| t != i64::MIN), || {
                            super::parse_line_at(m.trim_end(), depth + 1)
                        })
                {
                    let mut inner = inner.into_owned();
                    if inner.fields.time == i64::MIN {
                        inner.fields.time = time;
                    }
                    if inner.fields.origin.is_none() {
                        inner.fields.origin = origin.map(|o| Cow::Owned(o.into_owned()));
                    }
                    return Some(inner);
                }
                f.message = message.map(|m| match m {
                    Cow::Borrowed(b) => Cow::Borrowed(b.trim_end()),
                    Cow::Owned(o) => Cow::Owned(o.trim_end().to_owned()),
                });
                f.origin = origin;
                format = formats::JSON_LOG;
                Kind::Log
            }
        }
    };
    if kind == Kind::Webhook || kind == Kind::Http {
        f.path = path.or(url).or(endpoint);
    } else if kind != Kind::Log {
        f.endpoint = endpoint.or(url).or(path);
    }
    Some(Line { kind, fields: f, extras: None, format })
}
