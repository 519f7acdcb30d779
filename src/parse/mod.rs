//! Line classification. Each line is classified on its own; a file may mix
//! formats. Nothing is rejected: a line no format reads is `Unparsed`.
//!
//! ```text
//! line ─▶ blank? ─▶ `{` → json::parse ─▶ Line{kind, Fields}  (LINE's JSON, JSON logs)
//!                   else → text::parse ─▶ Line{kind, Fields}  (the guidelines' formats)
//!                          header row? ─▶ Header
//!                          access::parse ─▶ webhook or http   (access logs)
//!                          logline::parse ─▶ log              (any leading time)
//!                          otherwise   ─▶ Unparsed
//!
//! Each format is listed, with samples, in [`formats::FORMATS`].
//! ```
//!
//! [`Fields`] borrows from the line wherever it can; the store keeps only a
//! compact form, and the detail views parse the line again when they need
//! everything.

pub mod access;
pub mod body;
pub mod envelope;
pub mod event;
pub mod formats;
pub mod gather;
pub mod json;
pub mod logline;
pub mod pretty;
mod scan;
pub mod sdk;
pub mod text;
pub mod user;

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::model::{Kind, Level, Method};
use crate::time::Millis;

/// A body as logged: a JSON value, or a string (possibly holding JSON).
#[derive(Debug, Clone)]
pub struct Body<'a> {
    /// The JSON text of the value as it appears in the line (owned when the
    /// line came out of an envelope that escaped it): always one whole JSON
    /// value, checked by the reader that found it.
    raw: Cow<'a, str>,
    /// A string value's text, when the reader decoded it already.
    text: Option<Cow<'a, str>>,
}

impl<'a> Body<'a> {
    /// A value serde_json read.
    pub(crate) fn from_raw(raw: &'a RawValue) -> Body<'a> {
        Body { raw: Cow::Borrowed(raw.get()), text: None }
    }

    /// A value serde_json read or wrote, owned.
    pub(crate) fn owned(raw: Box<RawValue>) -> Body<'static> {
        Body { raw: Cow::Owned(Box::<str>::from(raw).into_string()), text: None }
    }

    /// A value [`scan`] checked, with its text when it decoded it (a string).
    fn checked(json: &'a str, text: Option<Cow<'a, str>>) -> Body<'a> {
        Body { raw: Cow::Borrowed(json), text }
    }

    /// The value's JSON text.
    pub fn json(&self) -> &str {
        &self.raw
    }

    /// Whether the value is a JSON string (for a webhook: the raw bytes LINE signed).
    pub fn is_string(&self) -> bool {
        self.raw.starts_with('"')
    }

    /// The body's text: a string value unescaped, any other value as written.
    pub fn text(&self) -> Cow<'_, str> {
        if let Some(t) = &self.text {
            return Cow::Borrowed(t);
        }
        let raw: &str = &self.raw;
        if raw.starts_with('"') {
            if let Some(text) = unescape_simple(raw) {
                return text;
            }
            match serde_json::from_str::<json::Text<'_>>(raw) {
                Ok(s) => s.0,
                Err(_) => Cow::Borrowed(raw),
            }
        } else {
            Cow::Borrowed(raw)
        }
    }

    fn into_owned(self) -> Body<'static> {
        Body { raw: Cow::Owned(self.raw.into_owned()), text: self.text.map(|t| Cow::Owned(t.into_owned())) }
    }
}

/// The text of a JSON string literal whose escapes are all of one character
/// (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`); `None` for anything
/// else (a `\u` escape, or not exactly one literal), which serde_json reads.
/// Written by hand: a logged webhook body is a string of a few hundred
/// escaped quotes, and serde_json's reader stops and restarts at each one
/// (a quarter of reading such a line); this copies the runs between them.
pub(super) fn unescape_simple(literal: &str) -> Option<Cow<'_, str>> {
    let inner = literal.strip_prefix('"')?.strip_suffix('"')?;
    let mut at = memchr::memchr(b'\\', inner.as_bytes())?;
    // Built as a `String` from the runs between escapes: cut at ASCII
    // backslashes, the runs stay UTF-8 and need no second check.
    let mut out = String::with_capacity(inner.len());
    out.push_str(inner.get(..at)?);
    loop {
        out.push(char::from(scan::simple_escape(*inner.as_bytes().get(at + 1)?)?));
        let rest = inner.get(at + 2..)?;
        match find_byte(rest.as_bytes(), b'\\') {
            Some(next) => {
                out.push_str(rest.get(..next)?);
                at += 2 + next;
            }
            None => {
                out.push_str(rest);
                break;
            }
        }
    }
    Some(Cow::Owned(out))
}

/// 0x80 in each byte of the eight in `v` that equals `c`, and nowhere else
/// (exact: no carry crosses a byte). For the scans done eight bytes at a
/// time.
pub(super) fn bytes_equal(v: u64, c: u8) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let v = v ^ (LO * u64::from(c));
    !(((v & LOW7) + LOW7) | v | LOW7)
}

/// The first `needle` in `b`, eight bytes at a time. For the runs between
/// a logged body's escapes (a dozen bytes between two escaped quotes),
/// where `memchr`'s set-up per call outweighed the search.
fn find_byte(b: &[u8], needle: u8) -> Option<usize> {
    let mut chunks = b.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else { break };
        let zero = bytes_equal(u64::from_le_bytes(bytes), needle);
        if zero != 0 {
            return Some(base + (zero.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks.remainder().iter().position(|&c| c == needle).map(|i| base + i)
}

/// Every field any format can carry, by canonical name.
#[derive(Debug, Default, Clone)]
pub struct Fields<'a> {
    pub time: Millis,
    pub method: Option<Method>,
    pub status: u16,
    pub request_id: Option<Cow<'a, str>>,
    pub endpoint: Option<Cow<'a, str>>,
    pub path: Option<Cow<'a, str>>,
    pub ip: Option<Cow<'a, str>>,
    pub signature: Option<Cow<'a, str>>,
    pub retry_key: Option<Cow<'a, str>>,
    pub accepted_request_id: Option<Cow<'a, str>>,
    pub notification_token: Option<Cow<'a, str>>,
    pub request_body: Option<Body<'a>>,
    pub response_body: Option<Body<'a>>,
    pub body: Option<Body<'a>>,
    /// How long the request took, in ms (JSON lines' `duration_ms` and aliases).
    pub duration_ms: Option<u64>,
    /// A log line's stated severity.
    pub level: Option<Level>,
    /// A log line's message (what follows its time, level and logger).
    pub message: Option<Cow<'a, str>>,
    /// An access line's client (`LineBotWebhook/2.0` for LINE's webhooks).
    pub user_agent: Option<Cow<'a, str>>,
    /// Where an envelope says the line came from: stream, pod, dyno, unit, host.
    pub origin: Option<Cow<'a, str>>,
    /// A user a user format's line names (an API request's recipient).
    pub user_id: Option<Cow<'a, str>>,
    /// A line reporting that a webhook's signature was rejected.
    pub signature_failure: Option<sdk::SignatureFailure>,
    /// A time of day (ms since midnight) on a line that has no date: `time`
    /// is `i64::MIN` and the date is inferred when the record is stored.
    pub clock: Option<u32>,
}

/// A classified record line.
#[derive(Debug, Clone)]
pub struct Line<'a> {
    pub kind: Kind,
    pub fields: Fields<'a>,
    /// Text formats: whatever follows the status column.
    pub extras: Option<Cow<'a, str>>,
    /// Which entry of [`formats::FORMATS`] read the line.
    pub format: formats::FormatId,
}

/// A format's name: a built-in one, then the user's (see `user`),
/// `unparsed` past them.
pub fn format_name(id: formats::FormatId) -> &'static str {
    let i = usize::from(id);
    if let Some(f) = formats::FORMATS.get(i) {
        return f.name;
    }
    user::installed().and_then(|u| u.formats.get(i - formats::FORMATS.len())).map_or("unparsed", |f| f.name.as_str())
}

fn owned(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    c.map(|c| Cow::Owned(c.into_owned()))
}

impl Fields<'_> {
    /// The same fields, owning their text.
    pub fn into_owned(self) -> Fields<'static> {
        Fields {
            time: self.time,
            method: self.method,
            status: self.status,
            request_id: owned(self.request_id),
            endpoint: owned(self.endpoint),
            path: owned(self.path),
            ip: owned(self.ip),
            signature: owned(self.signature),
            retry_key: owned(self.retry_key),
            accepted_request_id: owned(self.accepted_request_id),
            notification_token: owned(self.notification_token),
            request_body: self.request_body.map(Body::into_owned),
            response_body: self.response_body.map(Body::into_owned),
            body: self.body.map(Body::into_owned),
            duration_ms: self.duration_ms,
            level: self.level,
            message: owned(self.message),
            user_agent: owned(self.user_agent),
            origin: owned(self.origin),
            user_id: owned(self.user_id),
            signature_failure: self.signature_failure,
            clock: self.clock,
        }
    }
}

impl Line<'_> {
    /// A `log` line in this line's place, keeping its time and format: what
    /// a record logged a second time counts as (see `ingest`).
    pub fn as_log(&self) -> Line<'static> {
        let fields = Fields { time: self.fields.time, clock: self.fields.clock, ..Fields::default() };
        Line { kind: Kind::Log, fields, extras: None, format: self.format }
    }

    /// The same line, owning its text (for a line read out of an envelope).
    pub fn into_owned(self) -> Line<'static> {
        Line { kind: self.kind, fields: self.fields.into_owned(), extras: owned(self.extras), format: self.format }
    }

    /// The endpoint or path as logged (URL or path).
    pub fn target(&self) -> Option<&str> {
        match self.kind {
            Kind::Webhook => self.fields.path.as_deref().or(self.fields.endpoint.as_deref()),
            _ => self.fields.endpoint.as_deref().or(self.fields.path.as_deref()),
        }
    }
}

/// What one line is. (Short-lived, one per line: not worth boxing.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Parsed<'a> {
    Blank,
    Header,
    Record(Line<'a>),
    Unparsed,
}

/// A substring searcher for a fixed pattern, built once (on first use):
/// `memchr::memmem::find` builds one per call, which costs more than the
/// search itself on a short line.
macro_rules! needle {
    ($pattern:literal) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($pattern));
        &*FINDER
    }};
}
pub(crate) use needle;

/// `s.splitn(N, ' ')` as an array, `None` past the pieces there are: the
/// first words of a line, found by a plain byte loop. They are short, and
/// the standard library's searcher set up a search per word (a fifth of
/// reading a container's log line, whose envelope is split twice or more).
pub(crate) fn words<const N: usize>(s: &str) -> [Option<&str>; N] {
    cut_words(s, false)
}

/// `s.rsplitn(N, ' ')` as an array, last word first (see [`words`]).
pub(crate) fn rwords<const N: usize>(s: &str) -> [Option<&str>; N] {
    cut_words(s, true)
}

fn cut_words<const N: usize>(s: &str, from_end: bool) -> [Option<&str>; N] {
    let mut out = [None; N];
    let mut rest = s;
    for (i, slot) in out.iter_mut().enumerate() {
        let cut = match (i + 1 == N, from_end) {
            (true, _) => None,
            // (memchr's search: a byte-by-byte loop was a tenth of reading
            // a container's log line.)
            (false, false) => memchr::memchr(b' ', rest.as_bytes()),
            (false, true) => memchr::memrchr(b' ', rest.as_bytes()),
        };
        let Some(at) = cut else {
            *slot = Some(rest);
            break;
        };
        let (word, left) =
            if from_end { (rest.get(at + 1..), rest.get(..at)) } else { (rest.get(..at), rest.get(at + 1..)) };
        *slot = word;
        rest = left.unwrap_or_default();
    }
    out
}

/// A fixed set of words to find in a line: an Aho-Corasick automaton that
/// says which word matched and where, behind a packed (SIMD, "Teddy")
/// searcher that first tells whether any of them occurs at all. Most lines
/// hold none, and the packed search rules them out several times faster
/// than the automaton's byte-by-byte walk (which was a fifth of reading an
/// application's log line). Both come from the `aho-corasick` crate.
pub(crate) struct Words {
    any: Option<aho_corasick::packed::Searcher>,
    pub(crate) matcher: Option<aho_corasick::AhoCorasick>,
}

impl Words {
    pub(crate) fn new(words: &[&str]) -> Words {
        Words {
            any: aho_corasick::packed::Config::new().builder().extend(words).build(),
            matcher: aho_corasick::AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(words)
                .ok(),
        }
    }

    /// Whether the line holds any of the words (the packed searcher's
    /// answer where it is available, the automaton's otherwise).
    pub(crate) fn any(&self, line: &str) -> bool {
        match &self.any {
            Some(p) => p.find(line).is_some(),
            None => self.matcher.as_ref().is_some_and(|m| m.is_match(line)),
        }
    }

    /// The automaton, for a line that holds one of the words.
    pub(crate) fn matcher_for(&self, line: &str) -> Option<&aho_corasick::AhoCorasick> {
        if self.any(line) { self.matcher.as_ref() } else { None }
    }
}

/// Classify one line (without its line ending).
pub fn parse_line(line: &str) -> Parsed<'_> {
    parse_line_at(line, 0)
}

/// [`parse_line`] inside `depth` envelopes.
fn parse_line_at(line: &str, depth: u8) -> Parsed<'_> {
    // A byte-order mark (files written by Windows tools) is not content.
    let edge = |b: Option<&u8>| b.is_some_and(|&c| c.is_ascii_whitespace() || c == 0xEF || c == 0xBF);
    let t = if edge(line.as_bytes().first()) || edge(line.as_bytes().last()) {
        line.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\u{feff}')
    } else {
        line // (most lines: nothing to trim, told from two bytes)
    };
    if t.is_empty() {
        return Parsed::Blank;
    }
    // The user's own formats come first (see `user`).
    if let Some(l) = user::parse(t) {
        return Parsed::Record(l);
    }
    if t.starts_with('{') {
        return match json::parse_at(t, depth) {
            Some(l) => Parsed::Record(l),
            None => Parsed::Unparsed,
        };
    }
    if let Some(l) = text::parse(t) {
        return Parsed::Record(l);
    }
    if text::is_header(t) {
        return Parsed::Header;
    }
    if let Some(p) = envelope::peel(t) {
        return envelope::inner(p, depth);
    }
    if let Some(l) = access::parse(t).or_else(|| logline::parse(t, depth)) {
        return Parsed::Record(l);
    }
    // An SDK's error, a logged webhook body or a signature failure on a
    // line without a time (a traceback's last line, a bot's print).
    if let Some(l) = sdk::parse(t, i64::MIN) {
        return Parsed::Record(l);
    }
    Parsed::Unparsed
}

/// Whether an unparsed line continues the entry above it: a traceback or
/// stack frame, an exception's closing line, an indented line, or a line of
/// brackets (the end of pretty-printed JSON). Such a line joins the record
/// before it (see `ingest`) instead of standing alone as unparsed.
pub fn is_continuation(line: &str) -> bool {
    // Behind an envelope (`db_1  | …`, a CRI file's `… stderr F …`): the
    // line inside decides.
    if let Some(p) = envelope::peel(line) {
        return p.inner != line && is_continuation(&p.inner);
    }
    if line.starts_with([' ', '\t']) {
        return !line.trim().is_empty();
    }
    let t = line.trim_end();
    const STARTS: &[&str] = &[
        "Traceback (most recent call last)",
        "Caused by:",
        "During handling of the above exception",
        "The above exception was the direct cause",
        "at ",
        "... ",
        "…",
        "Stack trace:",
        "goroutine ",
    ];
    if STARTS.iter().any(|s| t.starts_with(s)) {
        return true;
    }
    if !t.is_empty() && t.bytes().all(|c| matches!(c, b'{' | b'}' | b'[' | b']' | b',' | b'(' | b')' | b';')) {
        return true;
    }
    is_exception_line(t)
}

/// `ValueError: …`, `linebot.exceptions.LineBotApiError: …`,
/// `java.lang.IllegalStateException: …`, `TypeError: …`: a dotted name
/// ending in Error, Exception, Exit, Interrupt or Warning, then a colon or
/// the end of the line.
fn is_exception_line(t: &str) -> bool {
    let name_end = t.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$'))).unwrap_or(t.len());
    let (name, rest) = t.split_at(name_end);
    let first_ok = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    first_ok
        && (rest.is_empty() || rest.starts_with(':'))
        && ["Error", "Exception", "Exit", "Interrupt", "Warning", "Failure"].iter().any(|s| name.ends_with(s))
}

pub use crate::line_api::endpoint_path;

#[cfg(test)]
mod tests;
