//! Timestamps: parsing the forms bot servers write, and formatting them back.
//!
//! Every instant is kept as milliseconds since the Unix epoch in UTC (`i64`).
//!
//! The RFC 1123/2822 and RFC 3339 parsers are written here rather than taken
//! from chrono because chrono is stricter than the logs we meet: it rejects a
//! day-of-week that does not match the date, and the LINE MINI App guideline's
//! own example (`Mon, 16 Jul 2021 10:20:23 GMT`; that day was a Friday) would
//! be lost. They are also on the hot path of every line, and a hand-rolled
//! byte parser is several times faster. chrono still does the calendar math.

use chrono::{DateTime, NaiveDate, Utc};

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// Parse any supported timestamp form: RFC 1123/2822, RFC 3339 (any offset,
/// `T` or space separator, optional fraction; a time without a zone is taken
/// as UTC), or an epoch number (milliseconds when ≥ 10^11, else seconds).
pub fn parse_time(s: &str) -> Option<Millis> {
    // Most times have nothing to trim, told from their two end bytes
    // (`trim` decodes a character at each end: a fifth of reading a
    // request-log time); a space, control or non-ASCII byte at either end
    // is left to `trim`.
    let plain = |c: Option<&u8>| c.is_some_and(|&c| c > b' ' && c < 0x80);
    let s = if plain(s.as_bytes().first()) && plain(s.as_bytes().last()) { s } else { s.trim() };
    let b = s.as_bytes();
    match b.first()? {
        b'0'..=b'9' => {
            if b.len() >= 10 && b.get(4) == Some(&b'-') {
                parse_rfc3339(b)
            } else if b.len() >= 9 && b.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
                parse_epoch(s)
            } else {
                // "05 Jul 2021 08:14:35 GMT": RFC 2822 without the weekday.
                parse_rfc2822(b)
            }
        }
        b'A'..=b'Z' | b'a'..=b'z' => parse_rfc2822(b),
        _ => None,
    }
}

/// Epoch seconds or milliseconds, possibly with a fraction.
pub fn parse_epoch(s: &str) -> Option<Millis> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() || int.len() > 16 || !int.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: i64 = int.parse().ok()?;
    if n >= 100_000_000_000 { Some(n) } else { Some(n * 1000 + frac_millis(frac.as_bytes())) }
}

/// The first three digits of a fraction of a second, as milliseconds.
fn frac_millis(frac: &[u8]) -> i64 {
    let mut ms = 0i64;
    for i in 0..3 {
        ms = ms * 10 + frac.get(i).map_or(0, |d| i64::from(d - b'0'));
    }
    ms
}

/// A small cursor over ASCII bytes.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    /// Exactly `n` digits.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let d = self.peek().filter(u8::is_ascii_digit)?;
            v = v * 10 + u32::from(d - b'0');
            self.i += 1;
        }
        Some(v)
    }
    /// One or more digits (at most `max`).
    fn digits_var(&mut self, max: usize) -> Option<(u32, usize)> {
        let start = self.i;
        let mut v = 0u32;
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            if self.i - start >= max {
                return None;
            }
            v = v * 10 + u32::from(d - b'0');
            self.i += 1;
        }
        (self.i > start).then_some((v, self.i - start))
    }
    fn word(&mut self) -> &'a [u8] {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        self.b.get(start..self.i).unwrap_or_default()
    }
    fn fraction(&mut self) -> i64 {
        if self.eat(b'.') || self.eat(b',') {
            let start = self.i;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
            frac_millis(self.b.get(start..self.i).unwrap_or_default())
        } else {
            0
        }
    }
    /// `HH:MM[:SS[.fff]]` after the hour: (minute, second, millisecond).
    fn clock_rest(&mut self) -> Option<(u32, u32, i64)> {
        if !self.eat(b':') {
            return None;
        }
        let mi = self.digits(2)?;
        let s = if self.eat(b':') { self.digits(2)? } else { 0 };
        Some((mi, s, self.fraction()))
    }
    fn rest(&self) -> &'a [u8] {
        self.b.get(self.i..).unwrap_or_default()
    }
}

fn to_millis(date: Date, clock: (u32, u32, u32, i64), off_min: i64) -> Option<Millis> {
    let of_day = clock_millis(clock)?;
    Some(day_millis(date.0, date.1, date.2)? + of_day - off_min * 60_000)
}

/// A time of day (hour, minute, second, millisecond) in milliseconds
/// after midnight; `None` for no such time.
fn clock_millis((h, mi, s, ms): (u32, u32, u32, i64)) -> Option<Millis> {
    // A leap second (":60") is kept as the last millisecond of the minute.
    let (s, ms) = if s == 60 { (59, 999) } else { (s, ms) };
    if h >= 24 || mi >= 60 || s >= 60 {
        return None; // (as chrono's `and_hms_opt` refuses them)
    }
    Some(i64::from(h * 3_600 + mi * 60 + s) * 1000 + ms)
}

/// A date: year, month, day.
type Date = (i32, u32, u32);

thread_local! {
    /// The last date [`day_millis`] converted: lines come in time order,
    /// so most share their date with the line before.
    static LAST_DAY: std::cell::Cell<Option<(Date, Millis)>> = const { std::cell::Cell::new(None) };
    /// [`rfc3339_fixed`]'s last minute as written, and its start.
    static LAST_3339: std::cell::Cell<Option<([u8; 16], Millis)>> = const { std::cell::Cell::new(None) };
    /// [`rfc1123_fixed`]'s last date as written, and its midnight.
    static LAST_1123: std::cell::Cell<Option<([u8; 16], Millis)>> = const { std::cell::Cell::new(None) };
}

/// The time `key` stands for: the one `last` keeps when `key` is the key
/// it was kept for, else what `read` makes of it (kept in turn when it
/// reads one). Lines come in time order, so most repeat the last key.
#[inline(always)]
fn kept<K: Copy + PartialEq>(
    last: &'static std::thread::LocalKey<std::cell::Cell<Option<(K, Millis)>>>,
    key: K,
    read: impl FnOnce() -> Option<Millis>,
) -> Option<Millis> {
    if let Some((k, ms)) = last.get()
        && k == key
    {
        return Some(ms);
    }
    let ms = read()?;
    last.set(Some((key, ms)));
    Some(ms)
}

/// Midnight UTC of a date, in milliseconds; `None` for no such date.
fn day_millis(y: i32, mo: u32, d: u32) -> Option<Millis> {
    kept(&LAST_DAY, (y, mo, d), || {
        Some(NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
    })
}

/// `±HH:MM`, `±HHMM`, `±HH`, `Z`; `None` inside means "no zone".
fn parse_offset(c: &mut Cur) -> Option<Option<i64>> {
    match c.peek() {
        None => Some(None),
        Some(b'Z' | b'z') => {
            c.i += 1;
            Some(Some(0))
        }
        Some(sign @ (b'+' | b'-')) => {
            c.i += 1;
            let h = c.digits(2)?;
            c.eat(b':');
            let m = if c.peek().is_some_and(|x| x.is_ascii_digit()) { c.digits(2)? } else { 0 };
            let v = i64::from(h * 60 + m);
            Some(Some(if sign == b'-' { -v } else { v }))
        }
        Some(_) => None,
    }
}

/// RFC 3339 and its common relaxations (space instead of `T`, no zone = UTC,
/// `±HHMM` offsets, `UTC`/`GMT` suffix).
pub fn parse_rfc3339(b: &[u8]) -> Option<Millis> {
    rfc3339_fixed(b).or_else(|| rfc3339_general(b))
}

/// Two ASCII digits.
fn two(a: u8, b: u8) -> Option<u32> {
    (a.is_ascii_digit() && b.is_ascii_digit()).then(|| u32::from(a - b'0') * 10 + u32::from(b - b'0'))
}

/// The one shape most lines carry, `YYYY-MM-DDTHH:MM:SS[.f…](Z|±HH:MM|)`,
/// read by position; `None` sends anything else (and anything unusual in
/// this shape) to [`rfc3339_general`], which gives the same answer for what
/// this reads (a test compares them). The cursor's byte-at-a-time reading
/// was a tenth of reading a guideline text line.
fn rfc3339_fixed(b: &[u8]) -> Option<Millis> {
    let &[
        y0,
        y1,
        y2,
        y3,
        b'-',
        m0,
        m1,
        b'-',
        d0,
        d1,
        b'T' | b't' | b' ',
        h0,
        h1,
        b':',
        i0,
        i1,
        b':',
        s0,
        s1,
        ref rest @ ..,
    ] = b
    else {
        return None;
    };
    let (mut ms, mut rest) = (0, rest);
    if let [b'.' | b',', frac @ ..] = rest {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        ms = frac_millis(frac.get(..n)?);
        rest = frac.get(n..)?;
    }
    let off = match rest {
        [] | [b'Z' | b'z'] => 0,
        &[sign @ (b'+' | b'-'), oh0, oh1, b':', om0, om1] => {
            let v = i64::from(two(oh0, oh1)? * 60 + two(om0, om1)?);
            if sign == b'-' { -v } else { v }
        }
        _ => return None,
    };
    // Most lines share their minute (`YYYY-MM-DDTHH:MM`) with the line
    // before: its bytes are compared with the last minute read, not read
    // again (as `to_millis` reads them, date and clock checked).
    // (Taken whole from the text: put together byte by byte, it cost more
    // than the comparison saves.)
    let minute: [u8; 16] = b.get(..16)?.try_into().ok()?;
    let start = kept(&LAST_3339, minute, || {
        let y = two(y0, y1)? * 100 + two(y2, y3)?;
        let (h, mi) = (two(h0, h1)?, two(i0, i1)?);
        if h >= 24 || mi >= 60 {
            return None;
        }
        Some(day_millis(i32::try_from(y).ok()?, two(m0, m1)?, two(d0, d1)?)? + i64::from(h * 3_600 + mi * 60) * 1000)
    })?;
    // A leap second (":60") is kept as the last millisecond of the minute.
    let (s, ms) = match two(s0, s1)? {
        60 => (59, 999),
        s if s < 60 => (s, ms),
        _ => return None,
    };
    Some(start + i64::from(s) * 1000 + ms - off * 60_000)
}

fn rfc3339_general(b: &[u8]) -> Option<Millis> {
    let mut c = Cur { b, i: 0 };
    let y = c.digits(4)?;
    if !c.eat(b'-') {
        return None;
    }
    let mo = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let d = c.digits(2)?;
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    let h = c.digits(2)?;
    let (mi, s, ms) = c.clock_rest()?;
    c.skip_ws();
    let off = match c.rest() {
        b"UTC" | b"GMT" | b"utc" | b"gmt" => Some(0),
        _ => {
            let o = parse_offset(&mut c)?;
            if c.i != b.len() {
                return None;
            }
            o
        }
    };
    to_millis((i32::try_from(y).ok()?, mo, d), (h, mi, s, ms), off.unwrap_or(0))
}

fn month(w: &[u8]) -> Option<u32> {
    // Lower-cased on the stack and matched at once (comparing against each
    // name in turn was most of reading a request-log time).
    let &[a, b, c, ..] = w else { return None };
    Some(match [a.to_ascii_lowercase(), b.to_ascii_lowercase(), c.to_ascii_lowercase()] {
        [b'j', b'a', b'n'] => 1,
        [b'f', b'e', b'b'] => 2,
        [b'm', b'a', b'r'] => 3,
        [b'a', b'p', b'r'] => 4,
        [b'm', b'a', b'y'] => 5,
        [b'j', b'u', b'n'] => 6,
        [b'j', b'u', b'l'] => 7,
        [b'a', b'u', b'g'] => 8,
        [b's', b'e', b'p'] => 9,
        [b'o', b'c', b't'] => 10,
        [b'n', b'o', b'v'] => 11,
        [b'd', b'e', b'c'] => 12,
        _ => return None,
    })
}

/// Named zones RFC 2822 knows, in minutes east of UTC.
fn named_zone(w: &[u8]) -> Option<i64> {
    // Upper-cased on the stack: this runs once a line on some logs.
    let mut buf = [0u8; 3];
    let up = buf.get_mut(..w.len())?;
    up.copy_from_slice(w);
    up.make_ascii_uppercase();
    Some(match &*up {
        b"GMT" | b"UT" | b"UTC" | b"Z" => 0,
        b"EST" => -300,
        b"EDT" => -240,
        b"CST" => -360,
        b"CDT" => -300,
        b"MST" => -420,
        b"MDT" => -360,
        b"PST" => -480,
        b"PDT" => -420,
        b"JST" => 540,
        b"KST" => 540,
        _ => return None,
    })
}

/// RFC 1123 / RFC 2822 dates: `[Day,] DD Mon YYYY HH:MM[:SS[.fff]] ZONE`.
/// The weekday is not checked against the date (see the module doc).
pub fn parse_rfc2822(b: &[u8]) -> Option<Millis> {
    rfc1123_fixed(b).or_else(|| rfc2822_general(b))
}

/// `Www, DD Mon YYYY HH:MM:SS GMT`, the guidelines' own request-log time,
/// read by position; `None` sends anything else to [`rfc2822_general`],
/// which gives the same answer for what this reads (a test compares them).
fn rfc1123_fixed(b: &[u8]) -> Option<Millis> {
    let &[
        w0,
        w1,
        w2,
        b',',
        b' ',
        d0,
        d1,
        b' ',
        m0,
        m1,
        m2,
        b' ',
        y0,
        y1,
        y2,
        y3,
        b' ',
        h0,
        h1,
        b':',
        i0,
        i1,
        b':',
        s0,
        s1,
        b' ',
        b'G',
        b'M',
        b'T',
    ] = b
    else {
        return None;
    };
    // Most lines share their date (`Www, DD Mon YYYY`) with the line
    // before: its bytes are compared with the last date read, not read again.
    let date: [u8; 16] = b.get(..16)?.try_into().ok()?;
    let midnight = kept(&LAST_1123, date, || {
        if ![w0, w1, w2].iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        let mo = month(&[m0, m1, m2])?;
        let y = two(y0, y1)? * 100 + two(y2, y3)?;
        day_millis(i32::try_from(y).ok()?, mo, two(d0, d1)?)
    })?;
    Some(midnight + clock_millis((two(h0, h1)?, two(i0, i1)?, two(s0, s1)?, 0))?)
}

fn rfc2822_general(b: &[u8]) -> Option<Millis> {
    let mut c = Cur { b, i: 0 };
    c.skip_ws();
    if c.peek().is_some_and(|x| x.is_ascii_alphabetic()) {
        let w = c.word();
        if w.len() < 3 {
            return None;
        }
        c.eat(b',');
        c.skip_ws();
    }
    let (d, _) = c.digits_var(2)?;
    c.skip_ws();
    c.eat(b'-');
    let mo = month(c.word())?;
    c.skip_ws();
    c.eat(b'-');
    let (y, ylen) = c.digits_var(4)?;
    let y = match ylen {
        4 => y,
        2 if y < 50 => 2000 + y,
        2 => 1900 + y,
        _ => return None,
    };
    c.skip_ws();
    let (h, _) = c.digits_var(2)?;
    let (mi, s, ms) = c.clock_rest()?;
    c.skip_ws();
    let off = if c.peek().is_some_and(|x| x.is_ascii_alphabetic()) {
        named_zone(c.word())?
    } else {
        parse_offset(&mut c)?.unwrap_or(0)
    };
    c.skip_ws();
    if c.i != b.len() {
        return None;
    }
    to_millis((i32::try_from(y).ok()?, mo, d), (h, mi, s, ms), off)
}

/// A zone after a leading time: ` UTC`/`GMT`, `Z`, or an offset, with or
/// without a space before it. Leaves the cursor where it was when none.
fn trailing_zone(c: &mut Cur) -> i64 {
    let save = c.i;
    c.skip_ws();
    let rest = c.rest();
    for (name, off) in [(&b"UTC"[..], 0), (b"GMT", 0), (b"Z", 0), (b"z", 0)] {
        if rest.starts_with(name) && !rest.get(name.len()).is_some_and(u8::is_ascii_alphanumeric) {
            c.i += name.len();
            return off;
        }
    }
    if matches!(c.peek(), Some(b'+' | b'-'))
        && let Some(Some(o)) = parse_offset(c)
    {
        return o;
    }
    c.i = save;
    0
}

thread_local! {
    /// The instant a year-less time is read against (see [`syslog_time`]).
    static REFERENCE: std::cell::Cell<Option<Millis>> = const { std::cell::Cell::new(None) };
}

/// The reference in force (see [`with_reference`]): a file's last change.
pub fn reference() -> Option<Millis> {
    REFERENCE.with(std::cell::Cell::get)
}

/// Run `f` with year-less times read against `at` (a file's last
/// modification: its lines were written before it) instead of now.
/// `None` keeps the reference in force.
pub fn with_reference<T>(at: Option<Millis>, f: impl FnOnce() -> T) -> T {
    if at.is_none() {
        return f();
    }
    let before = REFERENCE.with(|r| r.replace(at));
    let out = f();
    REFERENCE.with(|r| r.set(before));
    out
}

/// A syslog (RFC 3164) time, `Nov 20` `08:00:00`, which has no year: the
/// year of the file's last change (or of now, for a live stream), or the
/// year before when that would put the line more than a day after it (a
/// December line in a file last written in January). Taken as UTC.
pub fn syslog_time(mon: &str, day: &str, clock: &str) -> Option<Millis> {
    let mo = month(mon.as_bytes())?;
    let d: u32 = day.trim().parse().ok()?;
    let mut c = Cur { b: clock.as_bytes(), i: 0 };
    let h = c.digits(2)?;
    let (mi, s, ms) = c.clock_rest()?;
    let reference = REFERENCE.with(std::cell::Cell::get).unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
    let year = chrono::DateTime::from_timestamp_millis(reference).map_or(1970, |t| chrono::Datelike::year(&t));
    let t = to_millis((year, mo, d), (h, mi, s, ms), 0)?;
    if t > reference + 86_400_000 { to_millis((year - 1, mo, d), (h, mi, s, ms), 0) } else { Some(t) }
}

/// A time of day alone at the start of a line (`08:00:00.123`, logback's
/// and log4j's default `%d{HH:mm:ss.SSS}`): how many bytes it took, and the
/// milliseconds since midnight it names. It has no date, so it gives no
/// instant by itself (see [`on_day_of`]).
pub fn leading_clock(s: &str) -> Option<(usize, u32)> {
    let mut c = Cur { b: s.as_bytes(), i: 0 };
    let h = c.digits(2)?;
    if !c.eat(b':') {
        return None;
    }
    let mi = c.digits(2)?;
    if !c.eat(b':') {
        return None;
    }
    let sec = c.digits(2)?;
    let ms = c.fraction();
    let ok = h < 24 && mi < 60 && sec <= 60 && matches!(c.peek(), Some(b' ' | b'\t' | b'|' | b']'));
    let of_day = ((h * 60 + mi) * 60 + sec.min(59)) * 1000 + u32::try_from(ms.clamp(0, 999)).unwrap_or(0);
    ok.then_some((c.i, of_day))
}

const DAY_MS: Millis = 86_400_000;

/// A time of day (ms since midnight) given a date by `reference`: on the
/// reference's day (UTC, as times without a zone are everywhere), moved a
/// day to stay within 12 hours of it: after the lines before it (`after`,
/// a log that ran past midnight), or before the file's last change.
pub fn on_day_of(of_day: u32, reference: Millis, after: bool) -> Millis {
    let day = reference.div_euclid(DAY_MS) * DAY_MS;
    let t = day + Millis::from(of_day);
    if after && t < reference - DAY_MS / 2 {
        t + DAY_MS
    } else if !after && t > reference + 60_000 {
        t - DAY_MS
    } else {
        t
    }
}

/// A time at the start of a log line, and how many bytes it took. The forms
/// bot servers and their frameworks print first on a line:
///
/// ```text
/// 2026-11-20T08:00:00.123Z   2026-11-20 08:00:00,123 +0900   (RFC 3339 and relaxations)
/// 2026/11/20 08:00:00        (Go's log package)
/// 20/Nov/2026:08:00:00 +0000 (access logs)   20/Nov/2026 08:00:00 (Werkzeug)
/// Sat Nov 20 08:00:00.123 2026 (Apache error log)
/// ```
///
/// A time without a zone is taken as UTC, as everywhere else.
pub fn leading_time(s: &str) -> Option<(Millis, usize)> {
    let b = s.as_bytes();
    let mut c = Cur { b, i: 0 };
    let first = c.peek()?;
    let (date, clock) = if first.is_ascii_digit() {
        let lead = c.digits_var(4)?;
        if lead.1 == 4 {
            // YYYY-MM-DD or YYYY/MM/DD
            let sep = c.peek().filter(|x| matches!(x, b'-' | b'/'))?;
            c.i += 1;
            let mo = c.digits(2)?;
            if !c.eat(sep) {
                return None;
            }
            let d = c.digits(2)?;
            if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
                return None;
            }
            let h = c.digits(2)?;
            let (mi, sec, ms) = c.clock_rest()?;
            ((i32::try_from(lead.0).ok()?, mo, d), (h, mi, sec, ms))
        } else {
            // DD/Mon/YYYY[: ]HH:MM:SS
            if !c.eat(b'/') {
                return None;
            }
            let mo = month(c.word())?;
            if !c.eat(b'/') {
                return None;
            }
            let y = c.digits(4)?;
            if !(c.eat(b':') || c.eat(b' ')) {
                return None;
            }
            let h = c.digits(2)?;
            let (mi, sec, ms) = c.clock_rest()?;
            ((i32::try_from(y).ok()?, mo, lead.0), (h, mi, sec, ms))
        }
    } else {
        // Day Mon DD HH:MM:SS[.fff] YYYY
        let day = c.word();
        if day.len() != 3 || !c.eat(b' ') {
            return None;
        }
        let mo = month(c.word())?;
        c.skip_ws();
        let (d, _) = c.digits_var(2)?;
        c.skip_ws();
        let (h, _) = c.digits_var(2)?;
        let (mi, sec, ms) = c.clock_rest()?;
        if !c.eat(b' ') {
            return None;
        }
        let y = c.digits(4)?;
        ((i32::try_from(y).ok()?, mo, d), (h, mi, sec, ms))
    };
    let off = trailing_zone(&mut c);
    // A time is a whole token: what follows must not continue it.
    if c.peek().is_some_and(|x| x.is_ascii_alphanumeric()) {
        return None;
    }
    Some((to_millis(date, clock, off)?, c.i))
}

/// RFC 3339 in UTC with milliseconds and `Z`: `2026-11-20T08:00:00.000Z`.
pub fn format_rfc3339(ms: Millis) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => format!("@{ms}ms"),
    }
}

/// A `--since`/`--until` value: an RFC 3339 time (or any form [`parse_time`]
/// reads), or a duration back from `now` such as `90s`, `15m`, `2h`, `1d`, `1w`.
pub fn parse_time_arg(s: &str, now: Millis) -> Result<Millis, String> {
    let t = s.trim();
    if let Some(d) = parse_duration(t) {
        return Ok(now - d);
    }
    parse_time(t).ok_or_else(|| {
        format!("'{s}' is neither a time (RFC 3339, e.g. 2026-11-20T08:00:00Z) nor a duration (15m, 2h, 1d)")
    })
}

/// `15m` → milliseconds. Units: ms, s, m, h, d, w.
pub fn parse_duration(s: &str) -> Option<Millis> {
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().ok()?;
    let mult = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 604_800_000,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// A line's leading time and the text after it. Before the time there
/// may be an opening bracket, a Rails severity letter (`I, [`), or one
/// bracketed tag that is not a time (`[pipeline.log] `).
pub fn line_start(line: &str) -> Option<(Millis, &str)> {
    let t = line.trim_start();
    if let Some(x) = time_then_rest(t) {
        return Some(x);
    }
    // Rails: `I, [2026-11-20T08:00:00.123456 #1234]`
    let t = match t.as_bytes() {
        [c, b',', b' ', b'[', ..] if c.is_ascii_uppercase() => t.get(3..)?,
        _ => t,
    };
    let inner = t.strip_prefix('[')?;
    if let Some(x) = time_then_rest(inner) {
        return Some(x);
    }
    // One tag before the time: `[pipeline_20260319.log] 2026-03-19 07:00:05,172`.
    let close = inner.find(']').filter(|&i| i <= 64)?;
    let after = inner.get(close + 1..)?.trim_start();
    if after.starts_with('[') { time_then_rest(after.get(1..)?) } else { time_then_rest(after) }
}

fn time_then_rest(s: &str) -> Option<(Millis, &str)> {
    leading_time(s).and_then(|(ms, n)| Some((ms, s.get(n..)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Millis {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn leading_times() {
        // (line, time, the rest of the line after the time)
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            (
                "2025-07-13 23:45:53,732 - werkzeug - INFO - x",
                Some(("2025-07-13T23:45:53.732Z", " - werkzeug - INFO - x")),
            ),
            (
                "2026-04-23 03:45:19 +0000] [58] [INFO] Starting",
                Some(("2026-04-23T03:45:19Z", "] [58] [INFO] Starting")),
            ),
            ("2020-05-12T06:33:53.362201+00:00 app[web.1]: x", Some(("2020-05-12T06:33:53.362Z", " app[web.1]: x"))),
            ("2026-11-20T08:00:00.5+09:00 msg", Some(("2026-11-19T23:00:00.500Z", " msg"))),
            ("2026-03-19 07:00:05,172 ERROR plain", Some(("2026-03-19T07:00:05.172Z", " ERROR plain"))),
            ("2026-03-19 07:00:05 UTC msg", Some(("2026-03-19T07:00:05Z", " msg"))),
            ("2022/04/13 06:19:44 linebot: APIError", Some(("2022-04-13T06:19:44Z", " linebot: APIError"))),
            ("23/Apr/2026:03:44:54 +0000] \"POST", Some(("2026-04-23T03:44:54Z", "] \"POST"))),
            ("13/Jul/2025 23:45:53] \"POST", Some(("2025-07-13T23:45:53Z", "] \"POST"))),
            ("Sat Nov 20 08:00:00.123 2026] [error]", Some(("2026-11-20T08:00:00.123Z", "] [error]"))),
            ("2026-11-20", None),
            ("2026-11-20T08", None),
            ("2026-11-20T08:00:00Zulu", None),
            ("750166+00:00 heroku[router]: at=info", None),
            ("2023/02/28 - 01:59:59 | 200", None),
            ("12345 things", None),
            ("Nov 20 08:00:00 host sshd[1]: x", None),
            ("", None),
        ];
        for (line, want) in cases {
            let got = leading_time(line).map(|(ms, n)| (ms, line.get(n..).unwrap()));
            assert_eq!(got, want.map(|(w, rest)| (t(w), rest)), "{line}");
        }
    }

    #[test]
    fn forms() {
        let cases: &[(&str, Option<&str>)] = &[
            ("Mon, 05 Jul 2021 08:14:35 GMT", Some("2021-07-05T08:14:35Z")),
            // the MINI App guideline example: the weekday does not match the date
            ("Mon, 16 Jul 2021 10:20:23 GMT", Some("2021-07-16T10:20:23Z")),
            ("05 Jul 2021 08:14:35 +0900", Some("2021-07-04T23:14:35Z")),
            ("Mon, 5 Jul 2021 08:14:35.250 UT", Some("2021-07-05T08:14:35.250Z")),
            ("Mon, 05 Jul 21 08:14 EST", Some("2021-07-05T13:14:00Z")),
            ("2026-11-20T08:00:00Z", Some("2026-11-20T08:00:00Z")),
            ("2026-11-20T08:00:00.123456Z", Some("2026-11-20T08:00:00.123Z")),
            ("2026-11-20T17:00:00+09:00", Some("2026-11-20T08:00:00Z")),
            ("2026-11-20 08:00:00.5-0130", Some("2026-11-20T09:30:00.500Z")),
            ("2026-11-20T08:00:00", Some("2026-11-20T08:00:00Z")),
            ("2026-11-20 08:00:00 UTC", Some("2026-11-20T08:00:00Z")),
            ("1625472875", Some("2021-07-05T08:14:35Z")),
            ("1625472875123", Some("2021-07-05T08:14:35.123Z")),
            ("1625472875.5", Some("2021-07-05T08:14:35.500Z")),
            ("2026-13-20T08:00:00Z", None),
            ("2026-11-31T08:00:00Z", None),
            ("Mon, 32 Jul 2021 08:14:35 GMT", None),
            ("Mon, 05 Foo 2021 08:14:35 GMT", None),
            ("Mon, 05 Jul 2021 08:14:35 GMT trailing", None),
            ("hello", None),
            ("", None),
            ("12345", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_time(input), want.map(t), "{input}");
        }
    }

    #[test]
    fn epoch_threshold() {
        assert_eq!(parse_epoch("99999999999"), Some(99_999_999_999_000));
        assert_eq!(parse_epoch("100000000000"), Some(100_000_000_000));
    }

    #[test]
    fn format_and_args() {
        assert_eq!(format_rfc3339(t("2026-11-20T08:00:00.007Z")), "2026-11-20T08:00:00.007Z");
        let now = t("2026-11-20T08:00:00Z");
        assert_eq!(parse_time_arg("15m", now), Ok(now - 900_000));
        assert_eq!(parse_time_arg("1d", now), Ok(now - 86_400_000));
        assert_eq!(parse_time_arg("2026-11-20T07:00:00Z", now), Ok(now - 3_600_000));
        assert!(parse_time_arg("yesterday", now).is_err());
    }

    /// Whether a fixed-shape reader either declines `s` or reads it as the
    /// general one does.
    fn agrees(fixed: fn(&[u8]) -> Option<Millis>, general: fn(&[u8]) -> Option<Millis>, s: &str) -> bool {
        let f = fixed(s.as_bytes());
        f.is_none() || f == general(s.as_bytes())
    }

    #[test]
    fn fixed_shapes_read_as_the_general_readers_do() {
        for s in [
            "2026-11-20T08:00:00Z",
            "2026-11-20T08:00:00.123Z",
            "2026-11-20 08:00:00,5",
            "2026-11-20t08:00:00.123456789z",
            "2026-11-20T08:00:00+09:00",
            "2026-11-20T08:00:00-05:30",
            "2026-02-30T08:00:00Z",
            "2026-11-20T24:00:00Z",
            "2026-11-20T08:00:60Z",
            "2026-11-20T08:00:00.Z",
            "2026-11-20T08:00:00+0900",
            "2026-11-20T08:00:00 UTC",
        ] {
            assert!(agrees(rfc3339_fixed, rfc3339_general, s), "{s}");
        }
        assert!(rfc3339_fixed(b"2026-11-20T08:00:00.123Z").is_some());
        for s in [
            "Mon, 05 Jul 2021 08:14:35 GMT",
            "mon, 05 jul 2021 08:14:35 GMT",
            "Xyz, 31 Feb 2021 08:14:35 GMT",
            "Mon, 05 Jul 2021 24:14:35 GMT",
            "Mon, 05 Jul 2021 08:14:60 GMT",
            "Mon, 05 Jux 2021 08:14:35 GMT",
        ] {
            assert!(agrees(rfc1123_fixed, rfc2822_general, s), "{s}");
        }
        assert!(rfc1123_fixed(b"Mon, 05 Jul 2021 08:14:35 GMT").is_some());
    }

    proptest::proptest! {
        #[test]
        fn fixed_rfc3339_agrees(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}([.,][0-9]{0,10})?(Z|z|[+-][0-9]{2}:[0-9]{2}|[+-][0-9]{4}| UTC)?") {
            proptest::prop_assert!(agrees(rfc3339_fixed, rfc3339_general, &s));
        }

        #[test]
        fn fixed_rfc1123_agrees(s in "[A-Za-z]{3}, [0-9]{2} (Jan|feb|MAR|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Xyz) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT") {
            proptest::prop_assert!(agrees(rfc1123_fixed, rfc2822_general, &s));
        }
    }

    /// What chrono makes of a date and time (UTC), as milliseconds.
    fn by_chrono(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<Millis> {
        Some(NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_opt(h, mi, s)?.and_utc().timestamp_millis())
    }

    proptest::proptest! {
        /// The last date converted is kept (see `day_millis`): times read
        /// one after another, the same date or not, read as chrono reads
        /// each alone, and a date that does not exist stays unread.
        #[test]
        fn times_in_a_row_read_as_chrono_reads_each(
            times in proptest::collection::vec((1990i32..2040, 1u32..=12, 1u32..=31, 0u32..24, 0u32..60, 0u32..60), 1..12),
        ) {
            for (y, mo, d, h, mi, s) in times {
                for day in [d, d.min(28)] {
                    let text = format!("{y:04}-{mo:02}-{day:02}T{h:02}:{mi:02}:{s:02}Z");
                    proptest::prop_assert_eq!(parse_time(&text), by_chrono(y, mo, day, h, mi, s), "{}", text);
                }
            }
        }
    }

    proptest::proptest! {
        /// The guideline's request-log times one after another, many on the
        /// same date (whose bytes `rfc1123_fixed` keeps from the line
        /// before), read as chrono reads each alone; a day or clock that
        /// does not exist, or a weekday that is not a word, stays unread.
        #[test]
        fn rfc1123_times_in_a_row_read_as_chrono_reads_each(
            times in proptest::collection::vec((0usize..3, 27u32..=31, 0u32..=25, 0u32..60, 0u32..=60, 0usize..4), 1..16),
        ) {
            const MONTHS: [(&str, u32); 3] = [("Feb", 2), ("Nov", 11), ("Dec", 12)];
            for (m, d, h, mi, s, wd) in times {
                let (name, mo) = MONTHS[m];
                let weekday = ["Sat", "sun", "Xyz", "1ue"][wd];
                let text = format!("{weekday}, {d:02} {name} 2026 {h:02}:{mi:02}:{s:02} GMT");
                let want = if wd == 3 {
                    None
                } else if s == 60 {
                    by_chrono(2026, mo, d, h, mi, 59).map(|t| t + 999)
                } else {
                    by_chrono(2026, mo, d, h, mi, s)
                };
                proptest::prop_assert_eq!(parse_time(&text), want, "{}", text);
            }
        }
    }

    proptest::proptest! {
        /// RFC 3339 times one after another, many in the same minute (whose
        /// bytes `rfc3339_fixed` keeps from the line before), with or
        /// without a fraction and an offset, read as chrono reads each
        /// alone; a day or clock that does not exist stays unread.
        #[test]
        fn rfc3339_times_in_a_row_read_as_chrono_reads_each(
            times in proptest::collection::vec((27u32..=29, 23u32..=24, 59u32..=60, 0usize..5, 0usize..3, 0usize..3), 1..16),
        ) {
            for (d, h, mi, s, frac, off) in times {
                let s = [0, 1, 59, 60, 61][s];
                let (frac_text, frac_ms) = [("", 0), (".5", 500), (",123456", 123)][frac];
                let (off_text, off_ms) = [("Z", 0), ("+09:00", 32_400_000), ("-00:30", -1_800_000)][off];
                let text = format!("2026-02-{d:02}T{h:02}:{mi:02}:{s:02}{frac_text}{off_text}");
                let want = if s == 60 {
                    by_chrono(2026, 2, d, h, mi, 59).map(|t| t + 999)
                } else {
                    by_chrono(2026, 2, d, h, mi, s).map(|t| t + frac_ms)
                };
                proptest::prop_assert_eq!(parse_time(&text), want.map(|t| t - off_ms), "{}", text);
            }
        }
    }

    /// Whitespace around a time, ASCII or not, is trimmed as `str::trim`
    /// trims it; a control byte that is not whitespace is not.
    #[test]
    fn times_are_trimmed_as_trim_trims_them() {
        for t in ["2026-11-20T08:00:00.123Z", "Sat, 28 Nov 2026 14:00:00 GMT", "1763625600"] {
            let want = parse_time(t);
            assert!(want.is_some(), "{t}");
            for padded in [
                format!("  {t}"),
                format!("{t}\t"),
                format!("\u{a0}{t}"),
                format!("{t}\u{3000}"),
                format!("\u{b}{t}\n"),
            ] {
                assert_eq!(parse_time(&padded), want, "{padded:?}");
            }
            assert_eq!(parse_time(&format!("{t}\u{1}")), None, "{t}");
        }
    }

    #[test]
    fn a_date_that_does_not_exist_after_one_that_does() {
        assert_eq!(parse_time("2026-02-28T08:00:00Z"), by_chrono(2026, 2, 28, 8, 0, 0));
        assert_eq!(parse_time("2026-02-30T08:00:00Z"), None);
        assert_eq!(parse_time("2026-02-28T24:00:00Z"), None);
        assert_eq!(parse_time("2026-03-01T00:00:00Z"), by_chrono(2026, 3, 1, 0, 0, 0));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_time(&s);
            let _ = parse_duration(&s);
        }
    }

    #[test]
    fn a_time_of_day_takes_the_date_of_its_reference() {
        let clock = |s: &str| leading_clock(s).map(|x| x.1).unwrap();
        assert_eq!(leading_clock("08:00:02.123 [main] INFO x"), Some((12, 28_802_123)));
        assert_eq!(leading_clock("08:00:02 x"), Some((8, 28_802_000)));
        let cases = [
            // After the lines before it: the same day, or the next past midnight.
            ("23:59:59.500 x", "2026-11-20T23:59:58Z", true, "2026-11-20T23:59:59.500Z"),
            ("00:00:01 x", "2026-11-20T23:59:58Z", true, "2026-11-21T00:00:01Z"),
            // A line a little out of order stays on the day.
            ("23:59:50 x", "2026-11-20T23:59:58Z", true, "2026-11-20T23:59:50Z"),
            // Before the file's last change: the same day, or the day before.
            ("09:15:00 x", "2025-11-21T12:00:00Z", false, "2025-11-21T09:15:00Z"),
            ("23:00:00 x", "2025-11-21T01:00:00Z", false, "2025-11-20T23:00:00Z"),
        ];
        for (line, reference, after, want) in cases {
            assert_eq!(on_day_of(clock(line), t(reference), after), t(want), "{line} {reference}");
        }
    }
}
