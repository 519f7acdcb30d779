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
    /// An access-log line that is not a LINE webhook (health checks, other
    /// routes): counted and shown dimmed, never a webhook.
    Http,
    /// Any other timed line (application logging): time, level, message.
    Log,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Api => "api",
            Kind::Webhook => "webhook",
            Kind::MiniApp => "miniapp",
            Kind::Unparsed => "unparsed",
            Kind::Http => "http",
            Kind::Log => "log",
        }
    }
}

/// The severity a log line states. Kept in a `log` record's status bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }

    /// A level word as logging libraries print it, any case, bracketed or
    /// not (`ERROR`, `[warn]`, `WARNING`, `CRITICAL`, `E` is not one).
    pub fn parse(word: &str) -> Option<Level> {
        let w = word.trim_matches(|c: char| matches!(c, '[' | ']' | '(' | ')' | ':' | ',' | '<' | '>'));
        if w.len() > 8 || w.is_empty() {
            return None;
        }
        let mut buf = [0u8; 8];
        let lower = buf.get_mut(..w.len())?;
        lower.copy_from_slice(w.as_bytes());
        lower.make_ascii_lowercase();
        Some(match &*lower {
            b"error" | b"err" | b"fatal" | b"critical" | b"crit" | b"severe" | b"alert" | b"emerg" | b"panic" => {
                Level::Error
            }
            b"warn" | b"warning" => Level::Warn,
            b"info" | b"notice" => Level::Info,
            b"debug" | b"trace" | b"fine" | b"verbose" => Level::Debug,
            _ => return None,
        })
    }

    /// pino/bunyan numeric levels (10 trace … 60 fatal) and syslog
    /// severities are not the same scale; this reads the pino one.
    pub fn from_pino(n: i64) -> Option<Level> {
        Some(match n {
            50.. => Level::Error,
            40..=49 => Level::Warn,
            30..=39 => Level::Info,
            1..=29 => Level::Debug,
            _ => return None,
        })
    }

    pub(crate) fn from_code(c: u16) -> Option<Level> {
        Some(match c {
            1 => Level::Error,
            2 => Level::Warn,
            3 => Level::Info,
            4 => Level::Debug,
            _ => return None,
        })
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
        // Logged as written almost always: the exact words first, compared
        // as integers (the case-insensitive comparisons were 1 % of `report`).
        match s.as_bytes() {
            b"POST" => return Some(Method::Post),
            b"GET" => return Some(Method::Get),
            _ => {}
        }
        // Most words asked about are not methods: the length tells first.
        let m = match s.len() {
            3 if s.eq_ignore_ascii_case("GET") => Method::Get,
            3 if s.eq_ignore_ascii_case("PUT") => Method::Put,
            4 if s.eq_ignore_ascii_case("POST") => Method::Post,
            4 if s.eq_ignore_ascii_case("HEAD") => Method::Head,
            5 if s.eq_ignore_ascii_case("PATCH") => Method::Patch,
            6 if s.eq_ignore_ascii_case("DELETE") => Method::Delete,
            7 if s.eq_ignore_ascii_case("OPTIONS") => Method::Options,
            _ => return None,
        };
        Some(m)
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

/// One line of one source, classified. 24 bytes as a value; the store keeps
/// it in 16 (see `store::Stored`): at millions of lines the record is most
/// of linelens' memory (lnav keeps about 48 bytes a line).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// Where the line starts: source index and byte offset, packed.
    pub loc: Loc,
    /// Time (47 bits), status or log level (10 bits), kind (3 bits), method (4 bits).
    bits: u64,
    /// Interned endpoint path (API, MINI App) or request path (webhook).
    pub path: Sym,
    /// API/MINI: index into `Store::api`, or `NONE`. Webhook: index into
    /// `Store::webhooks`, or `store::INLINE | ip`. Unparsed: the line number.
    pub aux: u32,
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("ts", &self.ts())
            .field("source", &self.source())
            .field("offset", &self.offset())
            .field("kind", &self.kind())
            .field("method", &self.method())
            .field("status", &self.status())
            .field("path", &self.path)
            .field("aux", &self.aux)
            .finish()
    }
}

/// A source index (24 bits: 16 million sources) and a byte offset in the
/// (decompressed) source (40 bits: 1 TiB), packed into 8 bytes. Larger
/// values saturate.
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

const TS_BITS: u32 = 47;
const TS_MIN: i64 = -(1 << (TS_BITS - 1));
const TS_MAX: i64 = (1 << (TS_BITS - 1)) - 1;

const TS_MASK: u64 = (1 << TS_BITS) - 1;

/// `ts` as a record holds it ([`Record::ts`] of a record given `ts`).
pub(crate) fn held_ts(ts: Millis) -> Millis {
    if ts == i64::MIN { i64::MIN } else { ts.clamp(TS_MIN + 1, TS_MAX) }
}

impl Record {
    /// `ts` in UTC milliseconds (`i64::MIN`: no time), clamped to ±2,200
    /// years; `status` 0 when not logged (kept up to 1023).
    pub fn new(ts: Millis, loc: Loc, kind: Kind, method: Method, status: u16, path: Sym, aux: u32) -> Record {
        let mut r = Record { loc, bits: 0, path, aux };
        r.set_ts(ts);
        r.bits |= u64::from(status.min(1023)) << TS_BITS;
        r.bits |= (kind as u64) << (TS_BITS + 10);
        r.bits |= (method as u64) << (TS_BITS + 13);
        r
    }

    /// UTC milliseconds. For an unparsed line: the time of the last timed
    /// line before it in the same source (so it sorts beside its
    /// neighbours), or `i64::MIN` when there is none.
    pub fn ts(self) -> Millis {
        // Sign-extend the 47-bit field.
        let v = ((self.bits & TS_MASK) << (64 - TS_BITS)) as i64 >> (64 - TS_BITS);
        if v == TS_MIN { i64::MIN } else { v }
    }

    /// The record's time, or `None` for an untimed record: use this, never
    /// [`Record::ts`], in time differences (the sentinel would overflow).
    pub fn time(self) -> Option<Millis> {
        Some(self.ts()).filter(|&t| t != i64::MIN)
    }

    pub fn set_ts(&mut self, ts: Millis) {
        let v = if ts == i64::MIN { TS_MIN } else { ts.clamp(TS_MIN + 1, TS_MAX) };
        self.bits = (self.bits & !TS_MASK) | (v as u64 & TS_MASK);
    }

    pub fn status(self) -> u16 {
        ((self.bits >> TS_BITS) & 0x3ff) as u16
    }

    pub fn kind(self) -> Kind {
        Self::kind_in_meta((self.bits >> TS_BITS) as u32)
    }

    /// The kind a [`Record::meta`] holds (read without making the record).
    pub(crate) fn kind_in_meta(meta: u32) -> Kind {
        Self::kind_of_code(Self::kind_code(meta))
    }

    /// The three bits of a [`Record::meta`] that hold the kind.
    pub(crate) fn kind_code(meta: u32) -> u32 {
        (meta >> 10) & 0x7
    }

    /// The kind a [`Record::kind_code`] stands for (every one of the eight
    /// codes stands for one).
    pub(crate) fn kind_of_code(code: u32) -> Kind {
        match code {
            0 => Kind::Api,
            1 => Kind::Webhook,
            2 => Kind::MiniApp,
            4 => Kind::Http,
            5 => Kind::Log,
            _ => Kind::Unparsed,
        }
    }

    pub fn method(self) -> Method {
        const ALL: [Method; 9] = [
            Method::None,
            Method::Get,
            Method::Post,
            Method::Put,
            Method::Delete,
            Method::Patch,
            Method::Head,
            Method::Options,
            Method::Other,
        ];
        ALL.get(((self.bits >> (TS_BITS + 13)) & 0xf) as usize).copied().unwrap_or(Method::Other)
    }

    pub fn source(self) -> u32 {
        self.loc.source()
    }

    pub fn offset(self) -> u64 {
        self.loc.offset()
    }

    /// The packed status, kind and method ([`Record::META_BITS`] bits), for
    /// compact storage beside the time.
    pub(crate) fn meta(self) -> u32 {
        (self.bits >> TS_BITS) as u32
    }

    /// How many bits [`Record::meta`] takes.
    pub(crate) const META_BITS: u32 = 64 - TS_BITS;

    /// A record from its time, [`Record::meta`] and its other fields.
    pub(crate) fn from_meta(loc: Loc, ts: Millis, meta: u32, path: Sym, aux: u32) -> Record {
        let meta = u64::from(meta) & ((1 << Self::META_BITS) - 1);
        let mut r = Record { loc, bits: meta << TS_BITS, path, aux };
        r.set_ts(ts);
        r
    }

    /// Whether the line carried its own time (unparsed lines do not).
    pub fn has_time(self) -> bool {
        self.kind() != Kind::Unparsed
    }

    /// A `log` record's level (kept where other records keep the status).
    pub fn level(self) -> Option<Level> {
        if self.kind() == Kind::Log { Level::from_code(self.status()) } else { None }
    }

    /// Whether the screen's error keys stop here: a LINE request or receipt
    /// that failed, a server error on another route, an error-level log line.
    pub fn is_error(self) -> bool {
        match self.kind() {
            Kind::Api | Kind::Webhook | Kind::MiniApp => self.status() >= 400,
            Kind::Http => self.status() >= 500,
            Kind::Log => self.level() == Some(Level::Error),
            Kind::Unparsed => false,
        }
    }

    /// The line number of an unparsed line (kept in `aux`).
    pub fn unparsed_line(self) -> Option<u32> {
        (self.kind() == Kind::Unparsed).then_some(self.aux)
    }
}

/// What an API (or MINI App) request line carried besides the basic fields.
/// Hashes are `store::hash_id` of the string; 0 means absent. The request ID
/// lives in `Store::by_request_id`, `accepted_request_id` (rare: 409s) in
/// `Store::by_accepted_id`, and which fields a source logs in its
/// `FieldCounts`. 24 bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiMeta {
    pub retry_key: u64,
    /// API: the `replyToken` in the request body. MINI App: the `notificationToken`.
    pub token: u64,
    /// Users named in the request body (`to`, `to[]`, `chatId`): a range of `Store::api_users`.
    pub users_start: u32,
    pub users_len: u32,
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
    /// The signature checked against the channel secret.
    pub sig: crate::signature::SigState,
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

/// An event's `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum Mode {
    #[default]
    None,
    Active,
    Standby,
    Other,
}

impl Mode {
    pub fn parse(s: &str) -> Mode {
        match s {
            "active" => Mode::Active,
            "standby" => Mode::Standby,
            _ => Mode::Other,
        }
    }
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            Mode::None => None,
            Mode::Active => Some("active"),
            Mode::Standby => Some("standby"),
            Mode::Other => Some("other"),
        }
    }
}

/// One event object of a logged webhook body. 40 bytes: what the analysis,
/// the audit and the screen read of it; the rest of the body is read again
/// from the line when it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventMeta {
    pub webhook_event_id: u64,
    pub reply_token: u64,
    /// `message.id`, or for an `unsend` event `unsend.messageId`; hashed.
    pub message_id: u64,
    /// The webhook receipt record this event came in.
    pub record: RecordId,
    /// Interned event `type` (unknown types are kept as they are).
    pub event_type: Sym,
    pub user: Sym,
    pub source_type: SourceType,
    pub mode: Mode,
    pub is_redelivery: bool,
}

/// What a LINE error response said, from its body's `message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum Response {
    #[default]
    None,
    /// 429 "The API rate limit has been exceeded. Try again later."
    RateLimit,
    /// 429 "You have reached your monthly limit."
    MonthlyLimit,
    /// 400 "Invalid reply token"
    InvalidReplyToken,
    /// 400 "Failed to send messages" (for example to a user ID that does not exist)
    FailedToSend,
    Other,
}

impl Response {
    /// Classify an error message (case and punctuation ignored).
    pub fn classify(message: &str) -> Response {
        let m = message.to_ascii_lowercase();
        if m.contains("monthly limit") {
            Response::MonthlyLimit
        } else if m.contains("rate limit") {
            Response::RateLimit
        } else if m.contains("invalid reply token") {
            Response::InvalidReplyToken
        } else if m.contains("failed to send messages") {
            Response::FailedToSend
        } else {
            Response::Other
        }
    }
}

/// What an audience call did with an audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum AudienceOp {
    #[default]
    None,
    Created,
    /// Named in a narrowcast's recipient.
    Used,
    Deleted,
}

/// Facts about a few records the audit needs and the record has no room
/// for: kept sparsely (errors, MINI App sends, audience calls, slow answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Note {
    pub record: RecordId,
    pub response: Response,
    pub audience_op: AudienceOp,
    /// How long the bot took to answer a webhook, when logged and over 2 s
    /// (ms, at most 65,535). 32 bytes in all.
    pub slow_ms: u16,
    /// MINI App: the notification token a send used (request body) and the
    /// one LINE returned (response body, or the logged `notification_token`).
    pub token_used: u64,
    pub token_returned: u64,
    /// Hash of the audience group ID (see `audience_op`).
    pub audience: u64,
}

/// Hash an identifier for the indexes. Never 0 (0 means "absent").
pub fn hash_id(s: &str) -> u64 {
    match xxhash_rust::xxh3::xxh3_64(s.as_bytes()) {
        0 => 1,
        h => h,
    }
}
