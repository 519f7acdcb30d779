//! Respecting unsend: once an `unsend` event names a message, that
//! message's text and content are never shown again. [`redact`] replaces
//! them in a line's text with `[unsent]` before anything else sees it (the
//! screen, the filter, `lookup`, `tail`).

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;

use crate::model::hash_id;
use crate::time::Millis;

/// What withdrawn content is shown as.
pub const UNSENT: &str = "[unsent]";

/// `text` with the content of every unsent message replaced (message
/// objects keep only `id` and `type`; every other property becomes
/// `[unsent]`), in the line itself or in a body logged as a string inside
/// it. Lines without an unsent message are returned as they are.
pub fn redact<'a>(text: &'a str, unsent: &HashMap<u64, Millis, impl std::hash::BuildHasher>) -> Cow<'a, str> {
    if unsent.is_empty() || !text.contains("message") {
        return Cow::Borrowed(text);
    }
    // A JSON line, or a text line whose extras hold a JSON body.
    let Some(start) = text.find('{') else { return Cow::Borrowed(text) };
    let (head, json) = text.split_at(start);
    let Ok(mut v) = serde_json::from_str::<Value>(json) else { return Cow::Borrowed(text) };
    if !walk(&mut v, &|id| unsent.contains_key(&hash_id(id))) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(format!("{head}{v}"))
}

/// Whether a withdrawn message was found (and replaced) in `v`.
fn walk(v: &mut Value, is_unsent: &dyn Fn(&str) -> bool) -> bool {
    match v {
        Value::Object(m) => {
            let mut changed = false;
            if let Some(Value::Object(msg)) = m.get_mut("message") {
                let id = match msg.get("id") {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                };
                if id.is_some_and(|id| is_unsent(&id)) {
                    for (k, x) in msg.iter_mut() {
                        if k != "id" && k != "type" {
                            *x = Value::String(UNSENT.to_owned());
                        }
                    }
                    changed = true;
                }
            }
            for x in m.values_mut() {
                changed |= walk(x, is_unsent);
            }
            changed
        }
        Value::Array(a) => a.iter_mut().fold(false, |c, x| walk(x, is_unsent) | c),
        // A body logged as a string: redact inside it and write it back.
        Value::String(s) if s.contains("message") && s.trim_start().starts_with(['{', '[']) => {
            let Ok(mut inner) = serde_json::from_str::<Value>(s) else { return false };
            if !walk(&mut inner, is_unsent) {
                return false;
            }
            *s = inner.to_string();
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn set(ids: &[&str]) -> HashMap<u64, Millis> {
        ids.iter().map(|i| (hash_id(i), 0)).collect()
    }

    #[test]
    fn a_withdrawn_message_is_replaced_wherever_it_is_logged() {
        let body = r#"{"events":[{"type":"message","message":{"id":"m1","type":"text","text":"my secret plan","quoteToken":"q"}},{"type":"message","message":{"id":"m2","type":"text","text":"keep me"}}]}"#;
        // As a raw string body in a JSON line.
        let line = serde_json::json!({"kind": "webhook", "time": "2026-11-20T08:00:00Z", "body": body}).to_string();
        let out = redact(&line, &set(&["m1"]));
        assert!(!out.contains("my secret plan"), "{out}");
        assert!(out.contains("[unsent]") && out.contains("keep me") && out.contains("m1"), "{out}");
        // As an object, with a numeric ID.
        let line = r#"{"body":{"events":[{"message":{"id":1234,"type":"image","contentProvider":{"type":"line"}}}]}}"#;
        let out = redact(line, &set(&["1234"]));
        assert!(out.contains(r#""contentProvider":"[unsent]""#), "{out}");
        // In a text line's extras.
        let line =
            r#"203.0.113.1 2026-11-20T08:00:00Z POST /cb 200 {"events":[{"message":{"id":"m1","text":"hi there"}}]}"#;
        let out = redact(line, &set(&["m1"]));
        assert!(
            out.starts_with("203.0.113.1 2026-11-20T08:00:00Z POST /cb 200 {") && !out.contains("hi there"),
            "{out}"
        );
    }

    #[test]
    fn other_lines_are_untouched() {
        let line = r#"{"body":"{\"events\":[{\"message\":{\"id\":\"m2\",\"text\":\"hello\"}}]}"}"#;
        assert!(matches!(redact(line, &set(&["m1"])), Cow::Borrowed(_)));
        assert!(matches!(redact(line, &set(&[])), Cow::Borrowed(_)));
        assert!(matches!(redact("not json message", &set(&["m1"])), Cow::Borrowed(_)));
    }
}
