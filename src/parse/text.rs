//! The plain-text formats the LINE guidelines print:
//!
//! ```text
//! REQUEST_ID  TIME  METHOD  ENDPOINT  STATUS [extras…]   Messaging API request log
//! SENDER_IP   TIME  METHOD  PATH      STATUS [extras…]   webhook receipt log
//!             TIME  METHOD  ENDPOINT  STATUS [extras…]   MINI App service message log
//! ```
//!
//! Fields are separated by runs of spaces or tabs; TIME itself may contain
//! spaces (`Mon, 05 Jul 2021 08:14:35 GMT`), so the line is anchored on the
//! HTTP method and everything before it is the identifier and the time.
//! The same rows written as Markdown table rows (`| … | … |`) are read too.

use std::net::IpAddr;

use super::{Fields, Line};
use crate::model::{Kind, Method};
use crate::time::parse_time;

/// At most this many fields are looked at; later ones are extras anyway.
pub(super) const MAX_FIELDS: usize = 32;

/// A field: byte range in the line. (32 bits: a line is far shorter, and
/// the array of spans a line is split into, zeroed for each line, is half
/// as long as with `usize`: its `memset` was nearly 2 % of reading a text
/// line.)
pub(super) type Span = (u32, u32);

/// A byte position as a [`Span`] keeps it.
fn pos(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

pub(super) fn split_fields(line: &str, out: &mut [Span; MAX_FIELDS]) -> usize {
    let b = line.as_bytes();
    let trimmed = line.trim_start();
    let mut n = 0;
    if trimmed.starts_with('|') {
        // Markdown row: cells between pipes, trimmed, `<url>` unwrapped.
        let mut start = 0;
        let mut first = true;
        for (i, c) in b.iter().enumerate().chain(std::iter::once((b.len(), &b'|'))) {
            if *c != b'|' {
                continue;
            }
            let (mut s, mut e) = (start, i);
            start = i + 1;
            if first {
                first = false;
                continue; // text before the first pipe (only spaces)
            }
            while s < e && matches!(b.get(s), Some(b' ' | b'\t')) {
                s += 1;
            }
            while e > s && matches!(b.get(e - 1), Some(b' ' | b'\t' | b'\r')) {
                e -= 1;
            }
            if e >= s + 2 && b.get(s) == Some(&b'<') && b.get(e - 1) == Some(&b'>') {
                s += 1;
                e -= 1;
            }
            if i == b.len() && s == e {
                break; // after the closing pipe
            }
            if let Some(slot) = out.get_mut(n) {
                *slot = (pos(s), pos(e));
                n += 1;
            }
        }
        return n;
    }
    // Fields are the non-empty runs between spaces and tabs.
    // (False once a field found no slot: the rest are not looked at.)
    let mut start = 0;
    let mut field = |end: usize| {
        let kept = end <= start
            || out
                .get_mut(n)
                .map(|slot| {
                    *slot = (pos(start), pos(end));
                    n += 1;
                })
                .is_some();
        start = end + 1;
        kept
    };
    if each_blank(b, &mut field) {
        field(b.len());
    }
    n
}

/// Call `f` with the position of each space and tab in `b`, in order, until
/// it returns false; false when it did. Eight bytes at a time: a line has a
/// dozen short fields, and a byte-by-byte loop (or memchr2, whose set-up per
/// call outweighs the search on such short runs) was a third of reading a
/// guideline line.
fn each_blank(b: &[u8], f: &mut impl FnMut(usize) -> bool) -> bool {
    let mut chunks = b.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else { break };
        let v = u64::from_le_bytes(bytes);
        let mut m = super::bytes_equal(v, b' ') | super::bytes_equal(v, b'\t');
        while m != 0 {
            if !f(base + (m.trailing_zeros() / 8) as usize) {
                return false;
            }
            m &= m - 1;
        }
        base += 8;
    }
    for (i, &c) in chunks.remainder().iter().enumerate() {
        if matches!(c, b' ' | b'\t') && !f(base + i) {
            return false;
        }
    }
    true
}

/// Whether the line is a column-title row (as printed above the guideline
/// examples) or a Markdown/ASCII table separator. A title row is words
/// only: a line with a digit, `=`, `/`, a quote or a square bracket is data
/// (a router line saying `method=POST path="/callback" status=500` is a
/// request, not a header); the guidelines' own title rows, parentheses and
/// all, stay title rows.
pub fn is_header(line: &str) -> bool {
    let t = line.trim();
    // (The byte test first: it stops at a data line's first letter or
    // digit, where a search for `---` reads the whole line.)
    if t.len() >= 3
        && t.bytes().all(|c| matches!(c, b'|' | b'-' | b':' | b'+' | b' ' | b'\t' | b'='))
        && t.contains("---")
    {
        return true;
    }
    if t.bytes().any(|c| c.is_ascii_digit() || matches!(c, b'=' | b'/' | b'"' | b'\'' | b'[' | b']' | b'`')) {
        return false;
    }
    let lower = t.to_ascii_lowercase();
    lower.contains("status") && (lower.contains("method") || lower.contains("endpoint") || lower.contains("path"))
}

/// An IP address, with or without a port (`147.92.150.198:443`,
/// `[2001:db8::1]:443`): the sender of a webhook, never a request ID.
/// Returns the address without the port.
fn parse_ip(s: &str) -> Option<&str> {
    // Most first fields are request IDs or IPv4 senders. A UUID's first
    // `-` is its ninth byte, outside an address's alphabet: one comparison
    // rejects it (the pass over the alphabet below, which it would fail
    // there, is a loop with a branch it mispredicts per line).
    if s.as_bytes().get(8) == Some(&b'-') {
        return None;
    }
    // An IPv4 address is all digits and dots: in the alphabet below.
    if is_dotted_quad(s) {
        return Some(s);
    }
    // Anything else with a byte outside an address's alphabet is none.
    if !s.bytes().all(|c| c.is_ascii_hexdigit() || matches!(c, b'.' | b':' | b'[' | b']')) {
        return None;
    }
    let bare = s.strip_prefix('[').and_then(|x| x.strip_suffix(']')).unwrap_or(s);
    if bare.parse::<IpAddr>().is_ok() {
        return Some(bare);
    }
    if let Some((host, port)) = s.rsplit_once(':')
        && !port.is_empty()
        && port.bytes().all(|c| c.is_ascii_digit())
    {
        let host = host.strip_prefix('[').and_then(|x| x.strip_suffix(']')).unwrap_or(host);
        if host.parse::<IpAddr>().is_ok() {
            return Some(host);
        }
    }
    None
}

/// An IPv4 address as the standard library reads one (four numbers up to
/// 255, without leading zeros), checked in one pass: most senders are IPv4,
/// and the general parser cost a tenth of reading a webhook line. Anything
/// else goes to the general parser.
pub(super) fn is_dotted_quad(s: &str) -> bool {
    let b = s.as_bytes();
    let mut at = 0;
    for part in 0..4 {
        if part > 0 {
            if b.get(at) != Some(&b'.') {
                return false;
            }
            at += 1;
        }
        let start = at;
        let mut value = 0u32;
        while let Some(&c) = b.get(at).filter(|c| c.is_ascii_digit()) {
            value = value.saturating_mul(10).saturating_add(u32::from(c - b'0'));
            at += 1;
        }
        let digits = at - start;
        if digits == 0 || digits > 3 || value > 255 || (digits > 1 && b.get(start) == Some(&b'0')) {
            return false;
        }
    }
    at == b.len()
}

/// An HTTP status: three digits, 100..=599.
pub fn parse_status(s: &str) -> Option<u16> {
    if s.len() != 3 {
        return None;
    }
    let v: u16 = s.parse().ok()?;
    (100..=599).contains(&v).then_some(v)
}

/// Try the three text formats. `None`: not one of them.
pub fn parse(line: &str) -> Option<Line<'_>> {
    let mut spans = [(0u32, 0u32); MAX_FIELDS];
    let n = split_fields(line, &mut spans);
    let spans = spans.get(..n)?;
    let field = |i: usize| spans.get(i).and_then(|&(s, e)| line.get(s as usize..e as usize));
    let span = |a: usize, b: usize| -> Option<&str> {
        let s = spans.get(a)?.0 as usize;
        let e = spans.get(b.checked_sub(1)?)?.1 as usize;
        line.get(s..e)
    };
    // The method is anchored after at least one field and followed by two.
    // (A method's word is three to seven letters: the fields before it, a
    // time's words and numbers, are passed over by their length and first
    // byte before any comparison.)
    let b = line.as_bytes();
    let could_be_method = |&(s, e): &Span| {
        (3..=7).contains(&e.saturating_sub(s)) && b.get(s as usize).is_some_and(u8::is_ascii_alphabetic)
    };
    let (m, method) = (1..n.saturating_sub(2)).find_map(|i| {
        spans.get(i).filter(|sp| could_be_method(sp)).and_then(|_| field(i)).and_then(Method::parse).map(|m| (i, m))
    })?;
    let endpoint = field(m + 1)?;
    let status = parse_status(field(m + 2)?)?;
    let first = field(0)?;
    let (kind, time, id) = if let Some(ip) = parse_ip(first) {
        (Kind::Webhook, parse_time(span(1, m)?)?, Some(ip))
    } else if let Some(t) = span(0, m).and_then(parse_time) {
        // A 4-field line is a MINI App's unless its endpoint is the
        // Messaging API's or LINE Login's (a request logged without its ID).
        use crate::line_api::{Api, api_of};
        let k =
            if matches!(api_of(endpoint), Some(Api::MessagingApi | Api::Login)) { Kind::Api } else { Kind::MiniApp };
        (k, t, None)
    } else {
        (Kind::Api, parse_time(span(1, m)?)?, Some(first).filter(|s| *s != "-"))
    };
    let extras_start = spans.get(m + 3).map(|s| s.0 as usize);
    let mut f = Fields { time, method: Some(method), status, ..Fields::default() };
    match kind {
        Kind::Webhook => {
            f.ip = id.map(Into::into);
            f.path = Some(endpoint.into());
        }
        _ => {
            f.request_id = id.map(Into::into);
            f.endpoint = Some(endpoint.into());
        }
    }
    let extras = extras_start.and_then(|s| line.get(s..)).map(|x| x.trim_end().into());
    Some(Line { kind, fields: f, extras, format: super::formats::LINE_TEXT })
}
