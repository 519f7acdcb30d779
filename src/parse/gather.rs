//! Entries that are one record only when their lines are read together:
//! the lines after the first hold the status, the request ID or LINE's
//! message. The first line says which kind of entry it opens, each kind
//! says which lines follow, and the lines taken are joined and read again
//! as one line (`parse_line`); when that gives no record, each line is read
//! on its own, as if no entry had been seen.
//!
//! ```text
//! {  …  }                                        a pretty-printed JSON object (see `pretty`)
//!
//! (404)                                          Python SDK v3 `ApiException` as printed
//! Reason: Not Found
//! HTTP response headers: HTTPHeaderDict({… 'x-line-request-id': '…' …})
//! HTTP response body: {"message":"Not found"}
//!
//! … Got response with http status code: 200      the Python SDK v3 README's three lines
//! … Got x-line-request-id: 7a…
//! … Got response with http body: sent_messages=[…]
//!
//! … c.l.bot.client.wire - --> POST https://api.line.me/v2/bot/message/push
//! … c.l.bot.client.wire - X-Line-Retry-Key: …    the Java SDK's wire log (OkHttp's
//! … c.l.bot.client.wire - {"to":"U…",…}           logging interceptor): one exchange
//! … c.l.bot.client.wire - --> END POST (98-byte body)
//! … c.l.bot.client.wire - <-- 200 https://api.line.me/v2/bot/message/push (223ms)
//! … c.l.bot.client.wire - x-line-request-id: …
//! … c.l.bot.client.wire - <-- END HTTP (2-byte body)
//!
//! HTTPError: Request failed with status code 415  an SDK error and the lines of its
//!     at …  {                                     entry: a Node object dump, Go's
//!   statusCode: 415, …                           `[property] message` details, the
//!   'x-line-request-id': '…', …                  body PHP and Ruby print on the next line
//! ```
//!
//! Ingest, the store (reading a record again) and `tail` all gather with
//! [`close_of`], so the three read the same record.

use std::borrow::Cow;

/// A multi-line entry holds at most this many continuation lines and bytes;
/// what follows is unparsed.
pub const ENTRY_MAX_LINES: u32 = 10_000;
pub const ENTRY_MAX_BYTES: u64 = 1 << 20;

use super::{Parsed, formats, pretty};
use crate::model::Kind;

/// The kind of entry a line opens, with what has been seen of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gather {
    /// A pretty-printed JSON object opened at this indent.
    Pretty(usize),
    /// Python v3 `ApiException`: 0 after `(NNN)`, 1 after `Reason:`, 2
    /// after the headers.
    ApiException(u8),
    /// The v3 README's lines: bit 1 the request ID seen, bit 2 the body.
    HttpInfo(u8),
    /// A wire-log exchange: whether its lines carry the wire logger's name
    /// (then every line must), and the part being read.
    Wire { marked: bool, part: WirePart },
    /// An SDK error and the lines of its entry (how many taken so far).
    Entry(usize),
    /// A JSON object hard-wrapped at a fixed width between `<----------`
    /// and `---------->` (how many lines taken so far).
    Wrapped(usize),
}

/// Where a wire-log exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WirePart {
    Request,
    /// `--> END …` seen: the response's first line comes next.
    RequestDone,
    Response,
}

/// What a line does to the entry being gathered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Part of the entry; more may follow.
    Take,
    /// Part of the entry, and its last line.
    Last,
    /// Not part of it: the entry ended on the line before.
    Stop,
}

/// Words that may open an entry, found in one pass over the line.
const OPENERS: &[&str] = &[
    "http status code: ",
    "--> ",
    "<-- ",
    "HTTPError: ",
    "Request failed with status code ",
    "HTTPFetchError: ",
    "linebot: APIError ",
    "Client error: `",
    "Server error: `",
    "#<Net::HTTP",
    "unexpected status code: ",
];

static MATCHER: std::sync::LazyLock<super::Words> = std::sync::LazyLock::new(|| super::Words::new(OPENERS));

/// Whether the line may open an entry at all (a cheap first look, before
/// the line is read).
pub fn may_open(line: &str) -> bool {
    pretty::opens(line).is_some() || wrap_opens(line) || status_in_parens(line).is_some() || MATCHER.any(line)
}

/// The entry a line opens, given what it reads as alone. A pretty-printed
/// object opens on `{` alone; the others on a `log` or unparsed line (or,
/// for `Entry`, on an SDK error that may be followed by more of itself).
pub fn opens(line: &str, parsed: &Parsed) -> Option<Gather> {
    if let Some(indent) = pretty::opens(line) {
        return Some(Gather::Pretty(indent));
    }
    let (is_sdk, plain) = match parsed {
        Parsed::Record(l) => (l.format == formats::SDK_ERROR, l.kind == Kind::Log),
        Parsed::Unparsed => (false, true),
        _ => return None,
    };
    if !is_sdk && !plain {
        return None;
    }
    if plain && status_in_parens(line).is_some() {
        return Some(Gather::ApiException(0));
    }
    if plain && wrap_opens(line) {
        return Some(Gather::Wrapped(0));
    }
    let m = MATCHER.matcher_for(line)?.find(line)?;
    match m.pattern().as_usize() {
        0 if plain => Some(Gather::HttpInfo(0)),
        1 | 2 if plain => {
            let part = if m.pattern().as_usize() == 1 { WirePart::Request } else { WirePart::Response };
            wire_opener(line, m.end(), part).then(|| Gather::Wire { marked: wire_marked(line), part })
        }
        // (Ruby's response line is no record until its body is read.)
        3.. if is_sdk || (plain && m.pattern().as_usize() == 9) => Some(Gather::Entry(0)),
        _ => None,
    }
}

impl Gather {
    /// What `line` (the next one) does to the entry.
    pub fn step(&mut self, line: &str) -> Step {
        match self {
            Gather::Pretty(indent) => {
                if pretty::closes(line, *indent) {
                    Step::Last
                } else {
                    Step::Take
                }
            }
            Gather::ApiException(stage) => {
                let inner = inner(line);
                let t = inner.trim_start();
                match *stage {
                    0 if t.starts_with("Reason: ") => {
                        *stage = 1;
                        Step::Take
                    }
                    1 if t.starts_with("HTTP response headers: ") => {
                        *stage = 2;
                        Step::Take
                    }
                    1 | 2 if t.starts_with("HTTP response body: ") => Step::Last,
                    _ => Step::Stop,
                }
            }
            Gather::HttpInfo(seen) => {
                let bit = if line.contains("x-line-request-id: ") {
                    1
                } else if line.contains("http body: ") {
                    2
                } else {
                    return Step::Stop;
                };
                if *seen & bit != 0 {
                    return Step::Stop;
                }
                *seen |= bit;
                if *seen == 3 { Step::Last } else { Step::Take }
            }
            Gather::Wire { marked, part } => {
                if *marked && !wire_marked(line) {
                    return Step::Stop;
                }
                let msg = wire_message(line);
                match *part {
                    WirePart::Request if msg.starts_with("--> END") => {
                        *part = WirePart::RequestDone;
                        Step::Take
                    }
                    WirePart::Request if msg.starts_with("<-- HTTP FAILED") => Step::Last,
                    WirePart::Request if msg.starts_with("--> ") || msg.starts_with("<-- ") => Step::Stop,
                    WirePart::Request => Step::Take,
                    WirePart::RequestDone if msg.starts_with("<-- HTTP FAILED") => Step::Last,
                    WirePart::RequestDone if msg.starts_with("<-- ") => {
                        *part = WirePart::Response;
                        Step::Take
                    }
                    WirePart::RequestDone => Step::Stop,
                    WirePart::Response if msg.starts_with("<-- END HTTP") => Step::Last,
                    WirePart::Response if msg.starts_with("--> ") || msg.starts_with("<-- ") => Step::Stop,
                    WirePart::Response => Step::Take,
                }
            }
            Gather::Wrapped(taken) => {
                let t = line.trim();
                if *taken > 0 && is_arrow(t, '>') {
                    return Step::Last;
                }
                // The object starts on the first line; a blank line ends it.
                if t.is_empty() || (*taken == 0 && !t.starts_with('{')) {
                    return Step::Stop;
                }
                *taken += 1;
                Step::Take
            }
            Gather::Entry(taken) => {
                let inner = inner(line);
                let t = inner.trim_start_matches(['>', ' ', '\t']);
                // A stack frame, a dump's indented lines, an exception line;
                // Go's `[property] message` details; a body on the line after
                // the error (PHP, Ruby).
                let body_next = *taken == 0 && (t.starts_with('{') || t.starts_with("\"{"));
                if super::is_continuation(line) || (t.starts_with('[') && t.contains("] ")) || body_next {
                    *taken += 1;
                    Step::Take
                } else {
                    Step::Stop
                }
            }
        }
    }

    /// The lines taken as one line to read again: a JSON object's with
    /// spaces (see `pretty::join`), the others with line breaks, each line
    /// after the first without its envelope (a CRI file's, a compose
    /// prefix: the first line's gives the time and origin).
    pub fn join<'a>(&self, lines: impl Iterator<Item = &'a str>) -> String {
        match self {
            Gather::Pretty(_) => pretty::join(lines),
            // Wrapped at a width, not at a token: joined as written,
            // without the arrows.
            Gather::Wrapped(_) => lines
                .map(|l| l.trim_end_matches('\r'))
                .filter(|l| !is_arrow(l.trim(), '<') && !is_arrow(l.trim(), '>'))
                .collect(),
            _ => {
                let mut out = String::new();
                for (i, l) in lines.enumerate() {
                    if i > 0 {
                        out.push('\n');
                        out.push_str(&inner(l));
                    } else {
                        out.push_str(l);
                    }
                }
                out
            }
        }
    }
}

/// The index of the entry's last line in `lines` (the first opens it; it
/// reads as `parsed` alone), within an entry's caps
/// (`ingest::ENTRY_MAX_LINES` lines after the first,
/// `ingest::ENTRY_MAX_BYTES` in all); `None` when nothing follows or, for
/// a JSON object, when it does not close there.
pub fn close_of<'a>(mut lines: impl Iterator<Item = &'a str>, parsed: &Parsed) -> Option<(Gather, usize)> {
    let first = lines.next()?;
    let mut g = opens(first, parsed)?;
    let opened = g.clone();
    let mut bytes = first.len() as u64 + 1;
    let mut last = 0;
    for (i, l) in lines.take(ENTRY_MAX_LINES as usize).enumerate() {
        bytes += l.len() as u64 + 1;
        if bytes > ENTRY_MAX_BYTES {
            break;
        }
        match g.step(l) {
            Step::Take => last = i + 1,
            Step::Last => return Some((opened, i + 1)),
            Step::Stop => break,
        }
    }
    match opened {
        Gather::Pretty(_) => None,
        _ => (last > 0).then_some((opened, last)),
    }
}

/// Whether `first` opens an entry (other than a pretty-printed object,
/// whose lines are kept together by their indent) that every one of
/// `lines` continues: an entry the end of these lines would cut.
pub fn open_at_end<'a>(first: &str, lines: impl Iterator<Item = &'a str>, parsed: &Parsed) -> bool {
    let Some(mut g) = opens(first, parsed) else { return false };
    if matches!(g, Gather::Pretty(_)) {
        return false;
    }
    let mut bytes = first.len() as u64 + 1;
    for (i, l) in lines.enumerate() {
        bytes += l.len() as u64 + 1;
        if i >= ENTRY_MAX_LINES as usize || bytes > ENTRY_MAX_BYTES {
            return false;
        }
        if g.step(l) != Step::Take {
            return false;
        }
    }
    true
}

/// The entry at the start of `text` (lines joined by `\n`) read as one
/// record, as ingest reads it: its joined text, the index of its last line
/// and the record's kind; `None` when the first line opens no entry or the
/// lines read together are no record. The store and the detail pane read a
/// record again with it.
pub fn record_of(text: &str) -> Option<(String, usize, Kind)> {
    let first = text.split('\n').next()?;
    if !may_open(first) {
        return None;
    }
    let (g, end) = close_of(text.split('\n'), &super::parse_line(first))?;
    let joined = g.join(text.split('\n').take(end + 1));
    match super::parse_line(&joined) {
        Parsed::Record(l) => {
            let kind = l.kind;
            Some((joined, end, kind))
        }
        _ => None,
    }
}

/// The line inside an envelope (a CRI file's, a compose prefix), else the
/// line.
fn inner(line: &str) -> Cow<'_, str> {
    match super::envelope::peel(line) {
        Some(p) => p.inner,
        None => Cow::Borrowed(line),
    }
}

/// `<----------` alone on its line: a wrapped object follows.
fn wrap_opens(line: &str) -> bool {
    line.starts_with("<---") && is_arrow(line.trim_end(), '<')
}

/// `<---…` (`head` `<`) or `---…>` (`head` `>`), at least three dashes.
fn is_arrow(t: &str, head: char) -> bool {
    let dashes = if head == '<' { t.strip_prefix('<') } else { t.strip_suffix('>') };
    dashes.is_some_and(|d| d.len() >= 3 && d.bytes().all(|c| c == b'-'))
}

/// `(NNN)` at the end of a line: how Python v3's `ApiException` starts.
pub fn status_in_parens(line: &str) -> Option<u16> {
    let t = line.trim_end();
    let open = t.len().checked_sub(5)?;
    let s = t.get(open..)?;
    let digits = s.strip_prefix('(')?.strip_suffix(')')?;
    let n: u16 = digits.parse().ok()?;
    (digits.bytes().all(|c| c.is_ascii_digit()) && (100..=599).contains(&n)).then_some(n)
}

/// The wire logger named on the line (`com.linecorp.bot.client.wire`,
/// abbreviated or not).
fn wire_marked(line: &str) -> bool {
    line.contains(".wire ") || line.contains(".wire:") || line.contains(".wire]") || line.contains(".wire\t")
}

/// What OkHttp wrote: the text after the logger's prefix (after the wire
/// logger's name and its separator when the line has it).
pub fn wire_message(line: &str) -> &str {
    let after = match line.find(".wire") {
        Some(i) => line.get(i + 5..).unwrap_or(""),
        None => line,
    };
    // The separator after the name (` - `, `: `, ` | `, `] `), not an arrow's dashes.
    let t = after.trim_start();
    let t = match t.as_bytes() {
        [b'-' | b':' | b'|' | b']', b' ' | b'\t', ..] => t.get(1..).unwrap_or(t).trim_start(),
        _ => t,
    };
    // Without the logger's name: the message starts at the first arrow.
    if after.len() == line.len()
        && let Some(i) = line.find("--> ").into_iter().chain(line.find("<-- ")).min()
    {
        return line.get(i..).unwrap_or(t);
    }
    t
}

/// `--> METHOD URL` or `<-- NNN [MSG] URL (…ms…)` at `at` (after the
/// arrow), naming a LINE host or written by the wire logger.
fn wire_opener(line: &str, at: usize, part: WirePart) -> bool {
    let Some(rest) = line.get(at..) else { return false };
    let mut words = rest.split_whitespace();
    let first = words.next().unwrap_or("");
    let ok = match part {
        WirePart::Request => crate::model::Method::parse(first).is_some(),
        _ => status_prefix(first).is_some(),
    };
    let url = words.find(|w| w.starts_with("http://") || w.starts_with("https://"));
    ok && url.is_some_and(|u| u.contains("line.me/") || wire_marked(line))
}

/// A status (three digits, 100 to 599) at the start of `s`.
pub fn status_prefix(s: &str) -> Option<u16> {
    let digits = s.get(..3)?;
    let n: u16 = digits.parse().ok()?;
    let after = s.as_bytes().get(3);
    ((100..=599).contains(&n) && after.is_none_or(|c| !c.is_ascii_digit())).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_line;

    fn close(text: &str) -> Option<usize> {
        let first = text.split('\n').next().unwrap_or("");
        close_of(text.split('\n'), &parse_line(first)).map(|x| x.1)
    }

    #[test]
    fn entries_close_where_their_kind_says() {
        let cases: &[(&str, Option<usize>)] = &[
            // v3 ApiException: the body line is the last; a line that is
            // no part of it ends it; `(404)` alone is no entry.
            ("(404)\nReason: Not Found\nHTTP response headers: H({})\nHTTP response body: {}\nnext", Some(3)),
            ("ApiException: (429)\nReason: Too Many Requests\nother", Some(1)),
            ("(404)\nnothing", None),
            ("see (200)", None),
            // The README's three lines, in any order, each once.
            ("a http status code: 200\nb x-line-request-id: 1\nc http body: x\nd", Some(2)),
            ("a http status code: 200\nb http body: x\nb http body: y", Some(1)),
            // Wire exchange, with and without the logger's name.
            (
                "t c.l.bot.client.wire - --> POST https://api.line.me/v2/bot/message/push\nt c.l.bot.client.wire - \
                 X-Line-Retry-Key: k\nt c.l.bot.client.wire - --> END POST\nt c.l.bot.client.wire - <-- 200 \
                 https://api.line.me/v2/bot/message/push (3ms)\nt c.l.bot.client.wire - <-- END HTTP\nt other",
                Some(4),
            ),
            ("--> POST https://api.line.me/x\n--> END POST\nother line\n<-- 200 https://api.line.me/x", Some(1)),
            ("t c.l.bot.client.wire - --> GET https://api.line.me/x\nt c.l.other - --> END GET", None),
            ("--> POST https://example.com/x\n--> END POST", None),
            // An SDK error and its entry.
            ("HTTPError: Request failed with status code 415\n    at x\n  statusCode: 415,\n}\nnext", Some(3)),
            ("linebot: APIError 400 bad\n[/a] b\n [/c] d\nnext", Some(2)),
            (
                "[400] Client error: `POST https://api.line.me/v2/bot/message/reply` resulted in a `400 Bad Request` \
              response:\n{\"message\":\"Invalid reply token\"}\n{\"x\":1}",
                Some(1),
            ),
            ("HTTPError: Request failed with status code 415\nnext", None),
        ];
        for (text, want) in cases {
            assert_eq!(close(text), *want, "{text}");
        }
    }

    #[test]
    fn status_in_parens_reads_three_digits() {
        assert_eq!(status_in_parens("(404)"), Some(404));
        assert_eq!(status_in_parens("x: ApiException: (429)  "), Some(429));
        assert_eq!(status_in_parens("(4040)"), None);
        assert_eq!(status_in_parens("(099)"), None);
        assert_eq!(status_in_parens("404"), None);
    }
}
