//! Webhook bodies and Messaging API request/response bodies.
//!
//! LINE adds event types and properties without notice (the "non-breaking
//! feature additions" of the Messaging API guidelines), so nothing here is
//! strict: unknown keys are ignored, an unknown event type is kept as it is,
//! and a known property of an unexpected JSON type is treated as absent
//! rather than failing the body.

use std::borrow::Cow;

use serde::Deserialize;

use super::json::Scalar;

/// A scalar that never fails to deserialize.
#[derive(Debug, Clone, Default)]
pub struct Loose<'a>(pub Option<Scalar<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Loose(Some(Scalar::deserialize(d)?)))
    }
}

impl<'a> Loose<'a> {
    /// As a string (numbers are written out, e.g. numeric message IDs).
    pub fn str(&self) -> Option<Cow<'_, str>> {
        match self.0.as_ref()? {
            Scalar::Str(s) if !s.is_empty() => Some(Cow::Borrowed(s)),
            Scalar::Int(i) => Some(Cow::Owned(i.to_string())),
            Scalar::Str(_) | Scalar::Float(_) | Scalar::Other => None,
        }
    }
    pub fn int(&self) -> Option<i64> {
        match self.0.as_ref()? {
            Scalar::Int(i) => Some(*i),
            Scalar::Float(f) if f.is_finite() => Some(*f as i64),
            Scalar::Str(s) => s.trim().parse().ok(),
            Scalar::Float(_) | Scalar::Other => None,
        }
    }
}

/// Deserialize any value, keeping it only when it is a JSON object of `T`.
fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    let v: &'de serde_json::value::RawValue = Deserialize::deserialize(d)?;
    Ok(if v.get().starts_with('{') { serde_json::from_str(v.get()).ok() } else { None })
}

/// A bool, or absent for anything else.
fn lenient_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v: serde_json::Value = Deserialize::deserialize(d)?;
    Ok(v.as_bool())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventSource<'a> {
    #[serde(rename = "type", default, borrow)]
    pub kind: Loose<'a>,
    #[serde(default, borrow)]
    pub user_id: Loose<'a>,
    #[serde(default, borrow)]
    pub group_id: Loose<'a>,
    #[serde(default, borrow)]
    pub room_id: Loose<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryContext {
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_redelivery: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
pub struct EventMessage<'a> {
    #[serde(default, borrow)]
    pub id: Loose<'a>,
    #[serde(rename = "type", default, borrow)]
    pub kind: Loose<'a>,
    #[serde(default, borrow)]
    pub text: Loose<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Unsend<'a> {
    #[serde(default, borrow)]
    pub message_id: Loose<'a>,
}

/// One webhook event object, with the properties linelens uses.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event<'a> {
    #[serde(rename = "type", default, borrow)]
    pub kind: Loose<'a>,
    #[serde(default, borrow)]
    pub mode: Loose<'a>,
    #[serde(default, borrow)]
    pub timestamp: Loose<'a>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    pub source: Option<EventSource<'a>>,
    #[serde(default, borrow)]
    pub webhook_event_id: Loose<'a>,
    #[serde(default, deserialize_with = "lenient")]
    pub delivery_context: Option<DeliveryContext>,
    #[serde(default, borrow)]
    pub reply_token: Loose<'a>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    pub message: Option<EventMessage<'a>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    pub unsend: Option<Unsend<'a>>,
}

/// A webhook request body. `events` holds one entry per element of the
/// array; elements that are not objects are `None` (they are not events).
#[derive(Debug, Default)]
pub struct WebhookBody<'a> {
    pub destination: Option<Cow<'a, str>>,
    pub events: Vec<Event<'a>>,
}

#[derive(Deserialize)]
struct RawWebhookBody<'a> {
    #[serde(default, borrow)]
    destination: Loose<'a>,
    #[serde(default, borrow)]
    events: Option<&'a serde_json::value::RawValue>,
}

/// Parse a webhook body; `None` when it is not a JSON object.
pub fn parse_webhook_body(text: &str) -> Option<WebhookBody<'_>> {
    let raw: RawWebhookBody = serde_json::from_str(text).ok()?;
    let mut events = Vec::new();
    if let Some(ev) = raw.events
        && let Ok(items) = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(ev.get())
    {
        for item in items {
            if item.get().starts_with('{') {
                events.push(serde_json::from_str(item.get()).unwrap_or_default());
            }
        }
    }
    let destination = raw.destination.str().map(|s| Cow::Owned(s.into_owned()));
    Some(WebhookBody { destination, events })
}

/// `to` in a push (a string) or multicast (an array) request body.
#[derive(Debug, Default)]
pub struct RequestBody {
    /// Every recipient named in `to` (string or array of strings).
    pub to: Vec<String>,
    pub reply_token: Option<String>,
    /// `chatId` of the loading-animation endpoint.
    pub chat_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRequestBody<'a> {
    #[serde(default, borrow)]
    to: Option<&'a serde_json::value::RawValue>,
    #[serde(default, borrow)]
    reply_token: Loose<'a>,
    #[serde(default, borrow)]
    chat_id: Loose<'a>,
}

/// Parse a request body's recipients; `None` when it is not a JSON object.
pub fn parse_request_body(text: &str) -> Option<RequestBody> {
    let raw: RawRequestBody = serde_json::from_str(text).ok()?;
    let mut to = Vec::new();
    if let Some(v) = raw.to {
        match serde_json::from_str::<serde_json::Value>(v.get()) {
            Ok(serde_json::Value::String(s)) => to.push(s),
            Ok(serde_json::Value::Array(a)) => {
                to.extend(a.into_iter().filter_map(|x| x.as_str().map(str::to_owned)));
            }
            _ => {}
        }
    }
    Some(RequestBody {
        to,
        reply_token: raw.reply_token.str().map(Cow::into_owned),
        chat_id: raw.chat_id.str().map(Cow::into_owned),
    })
}
