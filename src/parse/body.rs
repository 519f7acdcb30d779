//! Webhook bodies and Messaging API request/response bodies.
//!
//! LINE adds event types and properties without notice (the "non-breaking
//! feature additions" of the Messaging API guidelines), so nothing here is
//! strict: unknown keys are ignored, an unknown event type is kept as it is,
//! and a known property of an unexpected JSON type is treated as absent
//! rather than failing the body.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};

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

/// An object read entry by entry. `None` when a key repeats: the derived
/// reader fails on a duplicated field, and such an object was always read
/// as absent.
trait FromMap<'de>: Sized + Default {
    /// Read the value of `key` into `self` when it is one of the type's
    /// (else skip it); `Ok(false)` when the type knows the key but had it
    /// already.
    fn entry<A: MapAccess<'de>>(&mut self, key: &str, seen: &mut u8, m: &mut A) -> Result<bool, A::Error>;
}

/// Mark field `bit` as seen; false when it was seen before.
fn first(seen: &mut u8, bit: u8) -> bool {
    let was = *seen & (1 << bit) != 0;
    *seen |= 1 << bit;
    !was
}

/// Any value, kept only when it is a JSON object of `T`, read in the same
/// pass as the event around it (keeping it as raw JSON and reading that
/// again read each object twice).
fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: FromMap<'de>,
{
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: FromMap<'de>> Visitor<'de> for V<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any value")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let (mut out, mut seen, mut twice) = (T::default(), 0u8, false);
            while let Some(super::json::Text(k)) = m.next_key::<super::json::Text<'de>>()? {
                twice |= !out.entry(&k, &mut seen, &mut m)?;
            }
            Ok((!twice).then_some(out))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
            while s.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V(std::marker::PhantomData))
}

/// A bool, or absent for anything else.
struct LooseBool(Option<bool>);

impl<'de> Deserialize<'de> for LooseBool {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: serde_json::Value = Deserialize::deserialize(d)?;
        Ok(LooseBool(v.as_bool()))
    }
}

/// Read `m`'s next value into `slot` when `bit` was not seen yet.
fn take<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    m: &mut A,
    seen: &mut u8,
    bit: u8,
    slot: &mut T,
) -> Result<bool, A::Error> {
    let v = m.next_value()?;
    if first(seen, bit) {
        *slot = v;
        return Ok(true);
    }
    Ok(false)
}

#[derive(Debug, Default)]
pub struct EventSource<'a> {
    pub kind: Loose<'a>,
    pub user_id: Loose<'a>,
    pub group_id: Loose<'a>,
    pub room_id: Loose<'a>,
}

impl<'de: 'a, 'a> FromMap<'de> for EventSource<'a> {
    fn entry<A: MapAccess<'de>>(&mut self, key: &str, seen: &mut u8, m: &mut A) -> Result<bool, A::Error> {
        match key {
            "type" => take(m, seen, 0, &mut self.kind),
            "userId" => take(m, seen, 1, &mut self.user_id),
            "groupId" => take(m, seen, 2, &mut self.group_id),
            "roomId" => take(m, seen, 3, &mut self.room_id),
            _ => m.next_value::<IgnoredAny>().map(|_| true),
        }
    }
}

#[derive(Debug, Default)]
pub struct DeliveryContext {
    pub is_redelivery: Option<bool>,
}

impl<'de> FromMap<'de> for DeliveryContext {
    fn entry<A: MapAccess<'de>>(&mut self, key: &str, seen: &mut u8, m: &mut A) -> Result<bool, A::Error> {
        match key {
            "isRedelivery" => {
                let v: LooseBool = m.next_value()?;
                let new = first(seen, 0);
                if new {
                    self.is_redelivery = v.0;
                }
                Ok(new)
            }
            _ => m.next_value::<IgnoredAny>().map(|_| true),
        }
    }
}

#[derive(Debug, Default)]
pub struct EventMessage<'a> {
    pub id: Loose<'a>,
    pub kind: Loose<'a>,
    pub text: Loose<'a>,
}

impl<'de: 'a, 'a> FromMap<'de> for EventMessage<'a> {
    fn entry<A: MapAccess<'de>>(&mut self, key: &str, seen: &mut u8, m: &mut A) -> Result<bool, A::Error> {
        match key {
            "id" => take(m, seen, 0, &mut self.id),
            "type" => take(m, seen, 1, &mut self.kind),
            "text" => take(m, seen, 2, &mut self.text),
            _ => m.next_value::<IgnoredAny>().map(|_| true),
        }
    }
}

#[derive(Debug, Default)]
pub struct Unsend<'a> {
    pub message_id: Loose<'a>,
}

impl<'de: 'a, 'a> FromMap<'de> for Unsend<'a> {
    fn entry<A: MapAccess<'de>>(&mut self, key: &str, seen: &mut u8, m: &mut A) -> Result<bool, A::Error> {
        match key {
            "messageId" => take(m, seen, 0, &mut self.message_id),
            _ => m.next_value::<IgnoredAny>().map(|_| true),
        }
    }
}

/// One webhook event object, with the properties linelens uses.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event<'a> {
    #[serde(rename = "type", default, borrow)]
    pub kind: Loose<'a>,
    #[serde(default, borrow)]
    pub mode: Loose<'a>,
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

/// The events array in one pass: each element that is an object becomes an
/// [`Event`], anything else is skipped. Fails (and the caller falls back to
/// the element-by-element path) only where an event object itself cannot be
/// read, for example a duplicated key.
#[derive(Default)]
struct FastBody<'a> {
    destination: Option<Cow<'a, str>>,
    events: Vec<Event<'a>>,
}

struct EventOrSkip<'a>(Option<Event<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for EventOrSkip<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = EventOrSkip<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an event")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, m: A) -> Result<Self::Value, A::Error> {
                Event::deserialize(serde::de::value::MapAccessDeserializer::new(m)).map(|e| EventOrSkip(Some(e)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(EventOrSkip(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(EventOrSkip(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(EventOrSkip(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(EventOrSkip(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(EventOrSkip(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(EventOrSkip(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(EventOrSkip(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for FastBody<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = FastBody<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a webhook body")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = FastBody::default();
                while let Some(super::json::Text(k)) = m.next_key::<super::json::Text<'de>>()? {
                    match k.as_ref() {
                        "destination" => {
                            let v: Loose<'a> = m.next_value()?;
                            out.destination = v.str().map(|s| Cow::Owned(s.into_owned()));
                        }
                        "events" => {
                            let list: Vec<EventOrSkip<'a>> = m.next_value()?;
                            out.events = list.into_iter().filter_map(|e| e.0).collect();
                        }
                        _ => {
                            m.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Parse a webhook body; `None` when it is not a JSON object.
pub fn parse_webhook_body(text: &str) -> Option<WebhookBody<'_>> {
    scanned::webhook_body(text).or_else(|| serde_webhook_body(text))
}

/// [`parse_webhook_body`] by serde_json.
fn serde_webhook_body(text: &str) -> Option<WebhookBody<'_>> {
    if let Ok(fast) = serde_json::from_str::<FastBody>(text) {
        return Some(WebhookBody { destination: fast.destination, events: fast.events });
    }
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
    /// A MINI App service message's `notificationToken`.
    pub notification_token: Option<String>,
    /// Every `audienceGroupId` in a narrowcast's `recipient`.
    pub audiences: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRequestBody<'a> {
    #[serde(default, deserialize_with = "recipients")]
    to: Vec<String>,
    #[serde(default, borrow)]
    reply_token: Loose<'a>,
    #[serde(default, borrow)]
    chat_id: Loose<'a>,
    #[serde(default, borrow)]
    notification_token: Loose<'a>,
    #[serde(default, borrow)]
    recipient: Option<&'a serde_json::value::RawValue>,
}

/// `to`: a string, or the strings of an array; nothing for anything else.
/// Read in the same pass as the body (it was kept as raw JSON and read
/// again into a `serde_json::Value`).
fn recipients<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any value")
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![v.to_owned()])
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(x) = s.next_element::<Loose>()? {
                if let Some(super::json::Scalar::Str(v)) = x.0 {
                    out.push(v.into_owned());
                }
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Vec::new())
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(V)
}

/// What linelens reads of a LINE response body.
#[derive(Debug, Default)]
pub struct ResponseBody {
    /// The error `message` ("The API rate limit has been exceeded. …").
    pub message: Option<String>,
    /// A MINI App send's renewed `notificationToken`.
    pub notification_token: Option<String>,
    /// The audience a create-audience call made.
    pub audience_group_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawResponseBody<'a> {
    #[serde(default, borrow)]
    message: Loose<'a>,
    #[serde(default, borrow)]
    notification_token: Loose<'a>,
    #[serde(default, borrow)]
    audience_group_id: Loose<'a>,
}

/// Parse a response body; `None` when it is not a JSON object.
pub fn parse_response_body(text: &str) -> Option<ResponseBody> {
    let raw: RawResponseBody = serde_json::from_str(text).ok()?;
    Some(ResponseBody {
        message: raw.message.str().map(Cow::into_owned),
        notification_token: raw.notification_token.str().map(Cow::into_owned),
        audience_group_id: raw.audience_group_id.str().map(Cow::into_owned),
    })
}

/// Every `audienceGroupId` anywhere in a recipient object (operators nest).
fn audience_ids(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match x {
                    serde_json::Value::String(s) if k == "audienceGroupId" => out.push(s.clone()),
                    serde_json::Value::Number(n) if k == "audienceGroupId" => out.push(n.to_string()),
                    _ => audience_ids(x, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| audience_ids(x, out)),
        _ => {}
    }
}

/// Parse a request body's recipients; `None` when it is not a JSON object.
pub fn parse_request_body(text: &str) -> Option<RequestBody> {
    scanned::request_body(text).or_else(|| serde_request_body(text))
}

/// [`parse_request_body`] by serde_json.
fn serde_request_body(text: &str) -> Option<RequestBody> {
    let raw: RawRequestBody = serde_json::from_str(text).ok()?;
    let to = raw.to;
    let mut audiences = Vec::new();
    if let Some(r) = raw.recipient
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(r.get())
    {
        audience_ids(&v, &mut audiences);
    }
    Some(RequestBody {
        to,
        reply_token: raw.reply_token.str().map(Cow::into_owned),
        chat_id: raw.chat_id.str().map(Cow::into_owned),
        notification_token: raw.notification_token.str().map(Cow::into_owned),
        audiences,
    })
}

/// [`parse_webhook_body`] in one pass of [`super::scan`], reading what the
/// serde readers above read (`FastBody`, `Event`, `lenient`) and giving up
/// (`None`, and serde_json reads it) on anything else: a control byte, an
/// escaped key, an event naming a key twice (the derived reader fails on
/// it), `events` not an array, a value serde_json would fail on. A test
/// holds the two to the same answers.
mod scanned {
    use std::borrow::Cow;

    use super::{DeliveryContext, Event, EventMessage, EventSource, Loose, RequestBody, Unsend, WebhookBody, first};
    use crate::parse::json::{Scalar, scalar_at};
    use crate::parse::scan::{Object, Value, has_control};

    pub(super) fn webhook_body(text: &str) -> Option<WebhookBody<'_>> {
        if has_control(text.as_bytes()) {
            return None;
        }
        let mut top = Object::new(text)?;
        let mut out = WebhookBody::default();
        while let Some(k) = top.next_key()? {
            match k {
                "destination" => out.destination = loose(&mut top)?.str().map(|s| Cow::Owned(s.into_owned())),
                "events" => out.events = top.nested_in(b'[', events)?,
                _ => drop(top.value()?),
            }
        }
        Some(out)
    }

    /// [`super::parse_request_body`] (`RawRequestBody`); a narrowcast's
    /// `recipient` is left to serde_json.
    pub(super) fn request_body(text: &str) -> Option<RequestBody> {
        if has_control(text.as_bytes()) {
            return None;
        }
        let mut o = Object::new(text)?;
        let (mut out, mut seen) = (RequestBody::default(), 0u8);
        let owned = |l: Loose<'_>| l.str().map(Cow::into_owned);
        while let Some(k) = o.next_key()? {
            match k {
                "to" => {
                    let to = match o.at()? {
                        b'"' => match scalar_at(&mut o)? {
                            Scalar::Str(s) => vec![s.into_owned()],
                            _ => Vec::new(),
                        },
                        b'[' => o.nested_in(b'[', recipients)?,
                        _ => scalar_at(&mut o).map(|_| Vec::new())?,
                    };
                    once(&mut seen, 0, &mut out.to, to)?;
                }
                "replyToken" => once(&mut seen, 1, &mut out.reply_token, owned(loose(&mut o)?))?,
                "chatId" => once(&mut seen, 2, &mut out.chat_id, owned(loose(&mut o)?))?,
                "notificationToken" => once(&mut seen, 3, &mut out.notification_token, owned(loose(&mut o)?))?,
                "recipient" => return None,
                _ => drop(o.value()?),
            }
        }
        Some(out)
    }

    /// The strings of `to` as an array (see `recipients`).
    fn recipients(list: &mut Object<'_>) -> Option<Vec<String>> {
        let mut out = Vec::new();
        while list.next_element()? {
            if let Scalar::Str(s) = scalar_at(list)? {
                out.push(s.into_owned());
            }
        }
        Some(out)
    }

    fn events<'a>(list: &mut Object<'a>) -> Option<Vec<Event<'a>>> {
        let mut out = Vec::new();
        while list.next_element()? {
            if list.at() == Some(b'{') {
                out.push(list.nested_in(b'{', event)?);
            } else {
                // serde_json reads other elements too, and may fail on one.
                scalar_at(list)?;
            }
        }
        Some(out)
    }

    /// A value as serde_json's `Scalar` reads it.
    fn loose<'a>(o: &mut Object<'a>) -> Option<Loose<'a>> {
        scalar_at(o).map(|s| Loose(Some(s)))
    }

    /// An object read by `read`, any other value as none (see `lenient`).
    #[allow(clippy::option_option)]
    fn lenient<'a, T>(
        o: &mut Object<'a>,
        read: impl FnOnce(&mut Object<'a>) -> Option<Option<T>>,
    ) -> Option<Option<T>> {
        if o.at() == Some(b'{') {
            return o.nested_in(b'{', read);
        }
        scalar_at(o).map(|_| None)
    }

    /// Set `slot` to the first of a key's values (the derived reader fails
    /// on a second: give up).
    fn once<T>(seen: &mut u8, bit: u8, slot: &mut T, v: T) -> Option<()> {
        first(seen, bit).then(|| *slot = v)
    }

    fn event<'a>(o: &mut Object<'a>) -> Option<Event<'a>> {
        let (mut e, mut seen) = (Event::default(), 0u8);
        while let Some(k) = o.next_key()? {
            match k {
                "type" => once(&mut seen, 0, &mut e.kind, loose(o)?)?,
                "mode" => once(&mut seen, 1, &mut e.mode, loose(o)?)?,
                "source" => once(&mut seen, 2, &mut e.source, lenient(o, source)?)?,
                "webhookEventId" => once(&mut seen, 3, &mut e.webhook_event_id, loose(o)?)?,
                "deliveryContext" => once(&mut seen, 4, &mut e.delivery_context, lenient(o, delivery)?)?,
                "replyToken" => once(&mut seen, 5, &mut e.reply_token, loose(o)?)?,
                "message" => once(&mut seen, 6, &mut e.message, lenient(o, message)?)?,
                "unsend" => once(&mut seen, 7, &mut e.unsend, lenient(o, unsend)?)?,
                _ => drop(o.value()?),
            }
        }
        Some(e)
    }

    /// Set `slot` to the first of a key's values; `twice` when it comes again.
    fn first_of<T>(seen: &mut u8, bit: u8, twice: &mut bool, slot: &mut T, v: T) {
        if first(seen, bit) {
            *slot = v;
        } else {
            *twice = true;
        }
    }

    /// Read an object's keys into the `Loose` `slots` that `slot` picks for
    /// them, each from its key's first value (see `lenient`): `Some(false)`
    /// when a key comes twice (the object is then none), `None` to give up.
    fn loose_fields<'a>(
        o: &mut Object<'a>,
        slot: impl Fn(&str) -> Option<usize>,
        slots: &mut [&mut Loose<'a>],
    ) -> Option<bool> {
        let (mut seen, mut twice) = (0u8, false);
        while let Some(k) = o.next_key()? {
            match slot(k) {
                Some(i) => {
                    let v = loose(o)?;
                    if let Some(slot) = slots.get_mut(i) {
                        first_of(&mut seen, i as u8, &mut twice, *slot, v);
                    }
                }
                None => drop(o.value()?),
            }
        }
        Some(!twice)
    }

    #[allow(clippy::option_option)]
    fn source<'a>(o: &mut Object<'a>) -> Option<Option<EventSource<'a>>> {
        let mut s = EventSource::default();
        let slots = &mut [&mut s.kind, &mut s.user_id, &mut s.group_id, &mut s.room_id];
        let slot = |k: &str| match k {
            "type" => Some(0),
            "userId" => Some(1),
            "groupId" => Some(2),
            "roomId" => Some(3),
            _ => None,
        };
        let once = loose_fields(o, slot, slots)?;
        Some(once.then_some(s))
    }

    #[allow(clippy::option_option)]
    fn delivery(o: &mut Object<'_>) -> Option<Option<DeliveryContext>> {
        let (mut d, mut seen, mut twice) = (DeliveryContext::default(), 0u8, false);
        while let Some(k) = o.next_key()? {
            let v = o.value()?;
            if k == "isRedelivery" {
                // Read as serde_json's `Value`: a bool, anything else none;
                // what it might fail on (a string with a `\u` escape, a
                // number past an integer, an array or object) is left to it.
                let b = match v {
                    Value::Literal("true") => Some(true),
                    Value::Literal("false") => Some(false),
                    Value::Literal(_) => None,
                    Value::Str(lit, _) if !lit.contains("\\u") => None,
                    Value::Number(n) if n.len() <= 18 && n.bytes().all(|c| c.is_ascii_digit()) => None,
                    _ => return None,
                };
                first_of(&mut seen, 0, &mut twice, &mut d.is_redelivery, b);
            }
        }
        Some((!twice).then_some(d))
    }

    #[allow(clippy::option_option)]
    fn message<'a>(o: &mut Object<'a>) -> Option<Option<EventMessage<'a>>> {
        let mut m = EventMessage::default();
        let slot = |k: &str| match k {
            "id" => Some(0),
            "type" => Some(1),
            "text" => Some(2),
            _ => None,
        };
        let once = loose_fields(o, slot, &mut [&mut m.id, &mut m.kind, &mut m.text])?;
        Some(once.then_some(m))
    }

    #[allow(clippy::option_option)]
    fn unsend<'a>(o: &mut Object<'a>) -> Option<Option<Unsend<'a>>> {
        let mut u = Unsend::default();
        let once = loose_fields(o, |k| (k == "messageId").then_some(0), &mut [&mut u.message_id])?;
        Some(once.then_some(u))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// An event's or a body's members, from pieces that include keys given
    /// twice, values of unexpected types and values serde_json fails on.
    fn members(keys: &'static [&'static str], values: &'static [&'static str]) -> impl Strategy<Value = String> {
        proptest::collection::vec((proptest::sample::select(keys), proptest::sample::select(values)), 0..6)
            .prop_map(|kv| kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(","))
    }

    /// One character of `s` dropped (the `at`-th, wrapping): mostly not
    /// JSON any more.
    fn drop_char(s: &mut String, at: usize) {
        let at = s.char_indices().map(|(i, _)| i).nth(at % s.chars().count().max(1)).unwrap_or(0);
        if at < s.len() {
            s.remove(at);
        }
    }

    fn body_text() -> impl Strategy<Value = String> {
        const KEYS: &[&str] = &[
            "type",
            "mode",
            "source",
            "webhookEventId",
            "deliveryContext",
            "replyToken",
            "message",
            "unsend",
            "other",
        ];
        const VALUES: &[&str] = &[
            "\"message\"",
            "\"a\\\"b\"",
            "\"caf\\u00e9\"",
            "\"\\ud800\"",
            "12",
            "-1",
            "1.5",
            "1e400",
            "true",
            "null",
            "{\"userId\":\"U1\",\"type\":\"user\",\"groupId\":3}",
            "{\"userId\":\"U1\",\"userId\":\"U2\"}",
            "{\"isRedelivery\":true}",
            "{\"isRedelivery\":\"x\"}",
            "{\"isRedelivery\":1e400}",
            "{\"isRedelivery\":false,\"isRedelivery\":true}",
            "{\"id\":\"1\",\"text\":\"hi\",\"type\":\"text\"}",
            "{\"id\":99999999999999999999}",
            "{\"messageId\":\"m\", \"x\": [1, {\"y\": \"\\ud800\"}]}",
            "[1,2]",
            "{}",
        ];
        let event = members(KEYS, VALUES).prop_map(|m| format!("{{{m}}}"));
        let element = prop_oneof![
            4 => event,
            1 => proptest::sample::select(&["1", "\"s\"", "\"\\ud800\"", "[]", "null", "1e400"][..]).prop_map(str::to_owned),
        ];
        let events = proptest::collection::vec(element, 0..4).prop_map(|e| format!("[{}]", e.join(" , ")));
        let events = prop_oneof![8 => events, 1 => Just("{}".to_owned()), 1 => Just("\"x\"".to_owned())];
        let destination = proptest::sample::select(&["\"Uabc\"", "12", "null", "\"\\ud800\"", "{}"][..]);
        (destination, events, proptest::collection::vec(any::<bool>(), 3), 0usize..200).prop_map(
            |(d, e, flags, cut)| {
                let mut s = format!("{{\"destination\":{d},\"events\":{e}");
                if flags[0] {
                    s.push_str(",\"events\":[{\"type\":\"follow\"}]");
                }
                s.push('}');
                if flags[1] && flags[2] {
                    drop_char(&mut s, cut);
                }
                s
            },
        )
    }

    proptest! {
        /// Where the scanner reads a webhook body, serde_json's readers
        /// read the same body.
        #[test]
        fn scanned_bodies_are_what_serde_reads(text in body_text()) {
            if let Some(ours) = scanned::webhook_body(&text) {
                let theirs = serde_webhook_body(&text);
                prop_assert_eq!(Some(format!("{ours:?}")), theirs.map(|t| format!("{t:?}")), "{}", text);
            }
        }
    }

    fn request_text() -> impl Strategy<Value = String> {
        const KEYS: &[&str] = &["to", "replyToken", "chatId", "notificationToken", "messages", "recipient"];
        const VALUES: &[&str] = &[
            "\"U1\"",
            "\"a\\\"b\"",
            "\"\\ud800\"",
            "[\"U1\",\"U2\", 3, {\"x\":1}, \"caf\\u00e9\"]",
            "[\"\\ud800\"]",
            "[1e400]",
            "[]",
            "12",
            "1e400",
            "null",
            "{\"to\":\"U3\"}",
            "[{\"type\":\"text\",\"text\":\"hi\"}]",
        ];
        (members(KEYS, VALUES), any::<bool>(), 0usize..200).prop_map(|(m, cut, at)| {
            let mut s = format!("{{{m}}}");
            if cut {
                drop_char(&mut s, at);
            }
            s
        })
    }

    proptest! {
        /// Where the scanner reads a request body, serde_json reads the same.
        #[test]
        fn scanned_request_bodies_are_what_serde_reads(text in request_text()) {
            if let Some(ours) = scanned::request_body(&text) {
                let theirs = serde_request_body(&text);
                prop_assert_eq!(Some(format!("{ours:?}")), theirs.map(|t| format!("{t:?}")), "{}", text);
            }
        }
    }

    #[test]
    fn a_plain_body_is_read_by_the_scanner() {
        let text = r#"{"destination":"U8e7","events":[{"deliveryContext":{"isRedelivery":false},"message":{"id":"7891","text":"予約","type":"text"},"mode":"active","replyToken":"fbcf","source":{"type":"user","userId":"U4d2"},"timestamp":1795755604389,"type":"message","webhookEventId":"01PT"}, {"type":"unsend","unsend":{"messageId":"325"}}]}"#;
        let ours = scanned::webhook_body(text).expect("read by the scanner");
        assert_eq!(format!("{ours:?}"), format!("{:?}", serde_webhook_body(text).expect("read by serde_json")));
        assert_eq!(ours.events.len(), 2);
        assert_eq!(ours.events[0].reply_token.str().as_deref(), Some("fbcf"));
        assert_eq!(ours.events[1].unsend.as_ref().and_then(|u| u.message_id.str()).as_deref(), Some("325"));
        // A key given twice inside `source` makes the source none, as
        // serde's `lenient` reads it; the event itself stays.
        let text = r#"{"destination":"U1","events":[{"type":"follow","source":{"userId":"U1","userId":"U2"}}]}"#;
        let ours = scanned::webhook_body(text).expect("read by the scanner");
        assert_eq!(format!("{ours:?}"), format!("{:?}", serde_webhook_body(text).expect("read by serde_json")));
        assert!(ours.events[0].source.is_none());
    }
}
