//! The data model shared by every layer. No I/O here.
//!
//! A [`Record`] is 32 bytes: what the timeline, the indexes and the analysis
//! need, plus where the line lives (source, byte offset, line number) so the
//! full text can be read again on demand. Strings that repeat (endpoint paths,
//! user IDs, event types) are interned; identifiers that are unique per line
//! (request IDs, webhookEventIds, reply tokens) are kept as 64-bit hashes in
//! the indexes and verified against the re-read line when looked up.

use serde::Serialize;

use crate::time::Millis;

/// Dense record number, in commit order.
pub type RecordId = u32;
/// Interned string id (see `store::Interner`). `NONE` means absent.
pub type Sym = u32;
/// No symbol.
pub const NONE: Sym = u32::MAX;

/// What a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Kind {
    /// A Messaging API request the bot sent.
    Api,
    /// A webhook the bot received.
    Webhook,
    /// A LINE MINI App service message request.
    #[serde(rename = "miniapp")]
    MiniApp,
    /// A line no format recognised; kept and counted, never dropped.
    Unparsed,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Api => "api",
            Kind::Webhook => "webhook",
            Kind::MiniApp => "miniapp",
            Kind::Unparsed => "unparsed",
        }
    }
}

/// HTTP method, or `Other` for anything unusual (kept in the line text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Method {
    None,
    Get,
    Post,
    Put,
    Delete,
    Patch,
    Head,
    Options,
    Other,
}

impl Method {
    /// Case-insensitive; `None` if the word is not an HTTP method at all.
    pub fn parse(s: &str) -> Option<Method> {
        const ALL: [(&str, Method); 7] = [
            ("GET", Method::Get),
            ("POST", Method::Post),
            ("PUT", Method::Put),
            ("DELETE", Method::Delete),
            ("PATCH", Method::Patch),
            ("HEAD", Method::Head),
            ("OPTIONS", Method::Options),
        ];
        ALL.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)).map(|(_, m)| *m)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::None => "-",
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Other => "?",
        }
    }
}

/// One line of one source, classified. 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// UTC milliseconds. For an unparsed line: the time of the last timed
    /// line before it in the same source (so it sorts beside its neighbours),
    /// or `i64::MIN` when there is none; see [`Record::has_time`].
    pub ts: Millis,
    /// Where the line starts: source index and byte offset, packed.
    pub loc: Loc,
    /// 1-based line number in the source.
    pub line: u32,
    /// Interned endpoint path (API, MINI App) or request path (webhook).
    pub path: Sym,
    /// Index into the kind's side table (`Store::api`, `Store::webhooks`,
    /// `Store::miniapp`), or `NONE`.
    pub aux: u32,
    /// HTTP status; 0 when not logged.
    pub status: u16,
    pub kind: Kind,
    pub method: Method,
}

/// A source index (24 bits: 16 million sources) and a byte offset in the
/// (decompressed) source (40 bits: 1 TiB), packed into 8 bytes so a
/// [`Record`] stays at 32 bytes. Larger values saturate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc(u64);

impl Loc {
    const OFFSET_BITS: u32 = 40;
    const OFFSET_MAX: u64 = (1 << Self::OFFSET_BITS) - 1;
    const SOURCE_MAX: u32 = (1 << (64 - Self::OFFSET_BITS)) - 1;

    pub fn new(source: u32, offset: u64) -> Loc {
        Loc((u64::from(source.min(Self::SOURCE_MAX)) << Self::OFFSET_BITS) | offset.min(Self::OFFSET_MAX))
    }
    pub fn source(self) -> u32 {
        (self.0 >> Self::OFFSET_BITS) as u32
    }
    pub fn offset(self) -> u64 {
        self.0 & Self::OFFSET_MAX
    }
}

impl Record {
    pub fn source(&self) -> u32 {
        self.loc.source()
    }
    pub fn offset(&self) -> u64 {
        self.loc.offset()
    }

    /// Whether the line carried its own time (unparsed lines do not).
    pub fn has_time(&self) -> bool {
        self.kind != Kind::Unparsed
    }
}

/// What an API (or MINI App) request line carried besides the basic fields.
/// Hashes are `store::hash_id` of the string; 0 means absent. The request ID
/// itself lives in `Store::by_request_id`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiMeta {
    pub retry_key: u64,
    pub accepted_request_id: u64,
    /// `replyToken` in the request body (reply API).
    pub reply_token: u64,
    /// The MINI App `notificationToken`, hashed.
    pub notification_token: u64,
    /// Users named in the request body (`to`, `to[]`): a range of `Store::api_users`.
    pub users_start: u32,
    pub users_len: u32,
    pub has_request_body: bool,
    pub has_response_body: bool,
}

/// What a webhook receipt line carried besides the basic fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookMeta {
    /// Interned sender IP.
    pub ip: Sym,
    /// Interned `destination` of the body.
    pub destination: Sym,
    /// Range of this receipt's events in `Store::events`.
    pub events_start: u32,
    pub events_len: u32,
    pub has_signature: bool,
    /// The body was logged as a string (the raw bytes LINE signed).
    pub has_raw_body: bool,
    /// A body was logged (raw or parsed).
    pub has_body: bool,
}

/// Source of a webhook event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum SourceType {
    #[default]
    None,
    User,
    Group,
    Room,
    Other,
}

/// One event object of a logged webhook body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventMeta {
    /// The webhook receipt record this event came in.
    pub record: RecordId,
    /// Interned event `type` (unknown types are kept as they are).
    pub event_type: Sym,
    /// Interned `mode` (`active`, `standby`).
    pub mode: Sym,
    /// The event's own `timestamp`, UTC ms; `i64::MIN` if absent.
    pub timestamp: Millis,
    pub source_type: SourceType,
    pub user: Sym,
    pub group: Sym,
    pub room: Sym,
    pub webhook_event_id: u64,
    pub is_redelivery: bool,
    pub reply_token: u64,
    /// `message.id`, hashed.
    pub message_id: u64,
    /// Interned `message.type`.
    pub message_type: Sym,
    /// `unsend.messageId`, hashed.
    pub unsend_message_id: u64,
}
