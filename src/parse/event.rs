//! A single webhook event a bot logged, without the body around it: as JSON
//! after a prefix (`[LOG] Timeout {"type":"message",…}`), as a Python dict,
//! as the Python SDK v3 model's repr (`MessageEvent(type='message',
//! source=GroupSource(…), timestamp=…, delivery_context=DeliveryContext(
//! is_redelivery=False), …)`), or as a field of a logged object
//! (`{"CONTEXT":…,"INPUT":{"type":"message",…}}`). It becomes a webhook
//! receipt holding that one event, read as the events of a body are
//! (inbound floods, reply tokens, redelivery), timed by its line, else by
//! its `timestamp`.
//!
//! An object is an event only when it looks like one: a known event `type`,
//! an integer `timestamp`, and what only events carry (`source`,
//! `replyToken`, `webhookEventId`, `deliveryContext`, `mode`, or a user ID
//! beside a `message` or `postback` object). Anything else stays what it
//! was.

use serde_json::{Map, Value};

use super::{Body, Fields, Line, formats};
use crate::model::Kind;
use crate::time::Millis;

/// The event types of the Messaging API and the LINE Things / module
/// extensions (an unknown type is no event here: the shape is the test).
const TYPES: &[&str] = &[
    "message",
    "unsend",
    "follow",
    "unfollow",
    "join",
    "leave",
    "memberJoined",
    "memberLeft",
    "postback",
    "videoPlayComplete",
    "beacon",
    "accountLink",
    "things",
    "membership",
    "module",
    "activated",
    "deactivated",
    "botSuspended",
    "botResumed",
    "delivery",
];

/// Whether `v` is a webhook event.
fn is_event(v: &Map<String, Value>) -> bool {
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let obj = |k: &str| v.get(k).is_some_and(Value::is_object);
    let typed = s("type").is_some_and(|t| TYPES.contains(&t));
    let timed = v.get("timestamp").is_some_and(|t| t.as_i64().is_some());
    let user_content = s("userId").is_some_and(|u| u.starts_with('U'))
        && (v.get("message").and_then(|m| m.get("type")).is_some() || obj("postback"));
    typed
        && timed
        && (obj("source")
            || s("replyToken").is_some()
            || s("webhookEventId").is_some()
            || obj("deliveryContext")
            || matches!(s("mode"), Some("active" | "standby"))
            || user_content)
}

/// The event `v` is or holds as one of its fields (one level down), as a
/// receipt.
pub fn in_value(v: &Value, time: Millis) -> Option<Line<'static>> {
    let top = v.as_object()?;
    if is_event(top) {
        return receipt(top, time);
    }
    top.values().filter_map(Value::as_object).find(|m| is_event(m)).and_then(|m| receipt(m, time))
}

/// The receipt of one event: its body is `{"events":[event]}`, the event's
/// user named in `source` when the bot logged it at the top
/// (`"userId": "U…"`).
fn receipt(event: &Map<String, Value>, time: Millis) -> Option<Line<'static>> {
    let mut event = event.clone();
    if !event.contains_key("source")
        && let Some(user) = event.get("userId").cloned()
    {
        event.insert("source".into(), serde_json::json!({ "type": "user", "userId": user }));
    }
    let time = if time == i64::MIN { event.get("timestamp").and_then(Value::as_i64).unwrap_or(i64::MIN) } else { time };
    let raw = serde_json::value::to_raw_value(&serde_json::json!({ "events": [Value::Object(event)] })).ok()?;
    Some(Line {
        kind: Kind::Webhook,
        fields: Fields { time, body: Some(Body::owned(raw)), ..Fields::default() },
        extras: None,
        format: formats::WEBHOOK_EVENT,
    })
}

/// How a logged event is written on a text line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// JSON (`"timestamp":` found).
    Json,
    /// A Python dict (`'timestamp':`).
    Dict,
    /// A Python object's repr (`timestamp=`).
    Repr,
}

/// The event around `at` (where its `timestamp` key is) on a text line.
pub fn on_line(line: &str, at: usize, written: Written, time: Millis) -> Option<Line<'static>> {
    let before = line.get(..at)?;
    // The object that holds the key opens at the nearest bracket before it
    // that closes after it (a few tries: an event is shallow).
    let opener = if written == Written::Repr { '(' } else { '{' };
    let mut end = before.len();
    for _ in 0..8 {
        let open = before.get(..end)?.rfind(opener)?;
        end = open;
        let start = if written == Written::Repr {
            // The class name before the parenthesis.
            let name = before.get(..open)?;
            name.char_indices()
                .rev()
                .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |(i, c)| i + c.len_utf8())
        } else {
            open
        };
        let text = line.get(start..)?;
        let parsed = match written {
            Written::Json => {
                let mut it = serde_json::Deserializer::from_str(text).into_iter::<Value>();
                let v = it.next().and_then(Result::ok);
                v.map(|v| (v, start + it.byte_offset()))
            }
            Written::Dict | Written::Repr => {
                let mut p = Python { s: text, at: 0, depth: 0 };
                p.value().map(|v| (v, start + p.at))
            }
        };
        match parsed {
            Some((v, stop)) if stop > at => {
                let v = if written == Written::Repr { camel_keys(v) } else { v };
                return v.as_object().filter(|m| is_event(m)).and_then(|m| receipt(m, time));
            }
            _ => continue,
        }
    }
    None
}

/// `snake_case` keys (the Python SDK's attribute names) as LINE writes
/// them (`camelCase`), at every level.
fn camel_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let mut out = String::with_capacity(k.len());
                    let mut up = false;
                    for c in k.chars() {
                        if c == '_' && !out.is_empty() {
                            up = true;
                        } else if up {
                            out.extend(c.to_uppercase());
                            up = false;
                        } else {
                            out.push(c);
                        }
                    }
                    (out, camel_keys(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(camel_keys).collect()),
        v => v,
    }
}

/// A reader of Python's literal and repr syntax: strings, numbers,
/// `True`/`False`/`None`, dicts, lists, tuples, `Name(key=value, …)`
/// (an object: its keyword arguments; positional ones as a list) and
/// `<Enum.NAME: 'value'>` (its value). Hand-written: no crate reads
/// Python's repr, and only this subset is needed to read a logged event.
struct Python<'a> {
    s: &'a str,
    at: usize,
    depth: u32,
}

impl Python<'_> {
    /// Nesting deeper than this is no event (and no stack to spend).
    const MAX_DEPTH: u32 = 64;

    fn peek(&self) -> Option<char> {
        self.s.get(self.at..)?.chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        Some(c)
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
            self.at += c.len_utf8();
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        if self.peek() == Some(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<Value> {
        self.depth += 1;
        if self.depth > Self::MAX_DEPTH {
            return None;
        }
        let v = self.value_inner();
        self.depth -= 1;
        v
    }

    fn value_inner(&mut self) -> Option<Value> {
        self.skip_space();
        match self.peek()? {
            q @ ('\'' | '"') => {
                self.bump();
                self.string(q).map(Value::String)
            }
            '{' => {
                self.bump();
                let mut m = Map::new();
                loop {
                    if self.eat('}') {
                        break;
                    }
                    let k = match self.value()? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    if !self.eat(':') {
                        return None;
                    }
                    m.insert(k, self.value()?);
                    if !self.eat(',') {
                        if self.eat('}') {
                            break;
                        }
                        return None;
                    }
                }
                Some(Value::Object(m))
            }
            o @ ('[' | '(') => {
                self.bump();
                let close = if o == '[' { ']' } else { ')' };
                self.items(close).map(Value::Array)
            }
            '<' => {
                // `<EventMode.ACTIVE: 'active'>`: the value after the colon;
                // anything else (`<function f at 0x…>`) as its text.
                self.bump();
                let rest = self.s.get(self.at..)?;
                let close = rest.find('>')?;
                let inner = rest.get(..close)?;
                if let Some((_, v)) = inner.split_once(": ") {
                    let mut p = Python { s: v, at: 0, depth: self.depth };
                    let v = p.value()?;
                    self.at += close + 1;
                    return Some(v);
                }
                self.at += close + 1;
                Some(Value::String(inner.to_owned()))
            }
            c if c == '-' || c.is_ascii_digit() => {
                let rest = self.s.get(self.at..)?;
                let len = rest
                    .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
                    .unwrap_or(rest.len());
                let n: serde_json::Number = rest.get(..len)?.parse().ok()?;
                self.at += len;
                Some(Value::Number(n))
            }
            c if c.is_alphabetic() || c == '_' => {
                let rest = self.s.get(self.at..)?;
                let len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')).unwrap_or(rest.len());
                let word = rest.get(..len)?;
                self.at += len;
                match word {
                    "True" => return Some(Value::Bool(true)),
                    "False" => return Some(Value::Bool(false)),
                    "None" => return Some(Value::Null),
                    _ => {}
                }
                if self.peek() != Some('(') {
                    return Some(Value::String(word.to_owned()));
                }
                self.bump();
                self.call()
            }
            _ => None,
        }
    }

    /// A string's characters after its opening quote `q`, up to its close.
    fn string(&mut self, q: char) -> Option<String> {
        let mut out = String::new();
        loop {
            match self.bump()? {
                '\\' => match self.bump()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'u' => {
                        let hex = self.s.get(self.at..self.at + 4)?;
                        out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
                        self.at += 4;
                    }
                    c => out.push(c),
                },
                c if c == q => return Some(out),
                c => out.push(c),
            }
        }
    }

    /// Items up to `close`, comma-separated (a trailing comma allowed).
    fn items(&mut self, close: char) -> Option<Vec<Value>> {
        let mut v = Vec::new();
        loop {
            if self.eat(close) {
                return Some(v);
            }
            v.push(self.value()?);
            if !self.eat(',') {
                return self.eat(close).then_some(v);
            }
        }
    }

    /// `Name(` read: `key=value` arguments as an object (positional ones,
    /// `datetime(2026, 1, 2)`, as a list).
    fn call(&mut self) -> Option<Value> {
        let mut m = Map::new();
        let mut positional = Vec::new();
        loop {
            if self.eat(')') {
                break;
            }
            self.skip_space();
            let rest = self.s.get(self.at..)?;
            let key_len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(0);
            let keyword =
                key_len > 0 && rest.get(key_len..).is_some_and(|r| r.starts_with('=') && !r.starts_with("=="));
            if keyword {
                let key = rest.get(..key_len)?.to_owned();
                self.at += key_len + 1;
                m.insert(key, self.value()?);
            } else {
                positional.push(self.value()?);
            }
            if !self.eat(',') {
                if self.eat(')') {
                    break;
                }
                return None;
            }
        }
        Some(if m.is_empty() && !positional.is_empty() { Value::Array(positional) } else { Value::Object(m) })
    }
}

/// What tells one logged event from another: its type, ID, reply token,
/// message and redelivery flag (a body's key is its destination and these,
/// see `sdk::RecentErrors`).
pub fn key(e: &super::body::Event) -> String {
    let redelivery = e.delivery_context.as_ref().and_then(|d| d.is_redelivery).unwrap_or(false);
    format!(
        "{}|{}|{}|{}|{redelivery}",
        e.kind.str().unwrap_or_default(),
        e.webhook_event_id.str().unwrap_or_default(),
        e.reply_token.str().unwrap_or_default(),
        e.message.as_ref().and_then(|m| m.id.str()).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_repr_reads_as_json() {
        let text = "MessageEvent(type='message', source=GroupSource(type='group', group_id='C1', user_id='U2'), timestamp=17, mode=<EventMode.ACTIVE: 'active'>, delivery_context=DeliveryContext(is_redelivery=False), message=TextMessageContent(type='text', id='6', text='it\\'s', emojis=None), at=datetime(2026, 5, 28))";
        let mut p = Python { s: text, at: 0, depth: 0 };
        let v = camel_keys(p.value().unwrap());
        assert_eq!(p.at, text.len());
        assert_eq!(
            v,
            serde_json::json!({"type": "message", "source": {"type": "group", "groupId": "C1", "userId": "U2"},
                "timestamp": 17, "mode": "active", "deliveryContext": {"isRedelivery": false},
                "message": {"type": "text", "id": "6", "text": "it's", "emojis": null}, "at": [2026, 5, 28]})
        );
        for bad in ["MessageEvent(type='message'", "{'a': }", "[1, 2", "<EventMode.ACTIVE: 'active'", "(((((("] {
            assert_eq!(Python { s: bad, at: 0, depth: 0 }.value(), None, "{bad}");
        }
        // Wide spaces and a non-ASCII word before the class name.
        let wide = "ログ：MessageEvent(type='message',\u{3000}timestamp=1, mode='active')";
        let at = wide.find("timestamp=").unwrap();
        assert!(on_line(wide, at, Written::Repr, i64::MIN).is_some());
        let deep = "[".repeat(10_000);
        assert_eq!(Python { s: &deep, at: 0, depth: 0 }.value(), None);
    }

    #[test]
    fn only_what_looks_like_an_event_is_one() {
        let yes = [
            r#"{"type":"message","mode":"active","timestamp":1,"message":{"type":"image","id":"1"}}"#,
            r#"{"type":"postback","userId":"Uc48","timestamp":1,"postback":{"data":"x"}}"#,
            r#"{"type":"follow","timestamp":1,"source":{"type":"user","userId":"U1"}}"#,
        ];
        let no = [
            r#"{"type":"message","timestamp":1,"message":"hello"}"#,
            r#"{"type":"message","mode":"active","timestamp":"1"}"#,
            r#"{"type":"deploy","mode":"active","timestamp":1}"#,
            r#"{"type":"message","timestamp":1}"#,
        ];
        for (text, want) in yes.iter().map(|t| (t, true)).chain(no.iter().map(|t| (t, false))) {
            let v: Value = serde_json::from_str(text).unwrap();
            assert_eq!(in_value(&v, i64::MIN).is_some(), want, "{text}");
        }
    }
}
