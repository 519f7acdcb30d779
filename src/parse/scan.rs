//! A strict reader of a JSON object's top level: each key with the span of
//! its value, every value checked against JSON's grammar on the way.
//!
//! Written by hand because serde_json's reader stops and restarts at every
//! escape of a string it skips: a webhook body logged as a string holds a
//! few dozen escaped quotes, and skipping it cost a fifth of reading such a
//! line (another fifth went to serde's per-key and per-value machinery).
//! This reader finds a string's quotes and backslashes eight bytes at a
//! time and never leaves its loop for an escape.
//!
//! It is a fast path, not a second definition of JSON. It accepts only
//! text serde_json accepts and reads it the same way; anything it is not
//! sure of (a control byte anywhere in the line, an escaped key, nesting
//! deeper than [`MAX_DEPTH`], a malformed value) makes it give up, and the
//! caller reads the line with serde_json instead.

use std::borrow::Cow;

use super::bytes_equal;

/// Deeper nesting gives up (serde_json's own limit is 128).
const MAX_DEPTH: usize = 64;

/// A value as it appears in the text: its kind and its exact span
/// (a string's span includes its quotes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    /// A string: the literal with its quotes, and whether it has escapes.
    Str(&'a str, bool),
    Number(&'a str),
    /// `true`, `false` or `null`.
    Literal(&'a str),
    Object(&'a str),
    Array(&'a str),
}

impl<'a> Value<'a> {
    /// The value's JSON text.
    pub fn text(self) -> &'a str {
        match self {
            Value::Str(s, _) | Value::Number(s) | Value::Literal(s) | Value::Object(s) | Value::Array(s) => s,
        }
    }
}

/// Whether any byte of `b` is below 0x20 (JSON forbids them inside
/// strings; between tokens only tab, CR and LF may occur, and a line with
/// any of them is left to serde_json). 32 bytes at a time, without an
/// early exit inside a chunk, so the compiler vectorises it.
pub(crate) fn has_control(b: &[u8]) -> bool {
    let mut chunks = b.chunks_exact(32);
    for c in &mut chunks {
        if c.iter().fold(0u8, |a, &x| a | u8::from(x < 0x20)) != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(|&x| x < 0x20)
}

/// A cursor over one object's text. Every step returns `None` when the
/// text is not what this reader accepts.
pub(crate) struct Object<'a> {
    s: &'a str,
    i: usize,
    first: bool,
    done: bool,
    /// Inside the text (see [`Object::object`]): what follows the closing
    /// bracket is the enclosing value's.
    nested: bool,
}

impl<'a> Object<'a> {
    /// The object in `s`, which must hold no byte below 0x20 (see
    /// [`has_control`]): `None` unless `s` starts, after spaces, with `{`.
    pub fn new(s: &'a str) -> Option<Object<'a>> {
        let mut o = Object { s, i: 0, first: true, done: false, nested: false };
        o.spaces();
        o.eat(b'{')?;
        Some(o)
    }

    fn bytes(&self) -> &'a [u8] {
        self.s.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.i).copied()
    }

    fn spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek() == Some(c)).then(|| self.i += 1)
    }

    /// The next key, the cursor left at its value (read it with
    /// [`Object::value`] or [`Object::string_text`] before the next key), or
    /// `Some(None)` after the closing brace when only spaces follow it.
    /// `None`: give up.
    #[allow(clippy::option_option)]
    #[inline(always)]
    pub fn next_key(&mut self) -> Option<Option<&'a str>> {
        if self.step(b'}')? {
            return Some(None);
        }
        let key = match self.string()? {
            Value::Str(k, false) => k.get(1..k.len() - 1)?,
            _ => return None, // an escaped key: serde_json decodes it
        };
        self.spaces();
        self.eat(b':')?;
        self.spaces();
        Some(Some(key))
    }

    /// Whether the value at the cursor is a string.
    pub fn at_string(&self) -> bool {
        self.peek() == Some(b'"')
    }

    /// The string at the cursor (see [`Object::at_string`]), checked as
    /// [`Object::value`] checks it, with its text: escapes decoded when each
    /// stands for one character (`None` for the text when there is a `\u`
    /// escape: serde_json decodes those). One pass for both: a logged
    /// webhook body's few dozen escaped quotes were found once to skip the
    /// string and again to decode it.
    #[allow(clippy::type_complexity)]
    #[inline(always)]
    pub fn string_text(&mut self) -> Option<(Value<'a>, Option<Cow<'a, str>>)> {
        let start = self.i;
        self.eat(b'"')?;
        let (s, b) = (self.s, self.bytes());
        let mut at = quote_or_backslash(b, self.i)?;
        if b.get(at) == Some(&b'"') {
            // No escape at all: the text is borrowed.
            let text = s.get(self.i..at)?;
            self.i = at + 1;
            return Some((Value::Str(s.get(start..self.i)?, false), Some(Cow::Borrowed(text))));
        }
        // Escapes (a logged webhook body has one every few bytes): the runs
        // between them are copied eight bytes at a time as they are
        // searched, each word written whole and the length cut back to the
        // quote or backslash in it, instead of a search then a copy per run.
        let mut out: Vec<u8> = Vec::with_capacity(b.len() - start);
        out.extend_from_slice(b.get(self.i..at)?);
        let mut simple = true;
        loop {
            // `b[at]` is a backslash.
            let (one, len) = escape_at(b, at)?;
            match one {
                Some(c) => out.push(c),
                None => simple = false,
            }
            at += len;
            loop {
                let Some(word) = word_at(b, at) else {
                    let end = quote_or_backslash(b, at)?;
                    out.extend_from_slice(b.get(at..end)?);
                    at = end;
                    break;
                };
                out.extend_from_slice(&word);
                if let Some(k) = quote_or_backslash_in(word) {
                    out.truncate(out.len() - (8 - k));
                    at += k;
                    break;
                }
                at += 8;
            }
            if b.get(at) == Some(&b'"') {
                self.i = at + 1;
                let lit = s.get(start..self.i)?;
                // Cut only before ASCII escapes, the text is UTF-8 still.
                let text = if simple { String::from_utf8(out).ok().map(Cow::Owned) } else { None };
                return Some((Value::Str(lit, true), text));
            }
        }
    }

    /// Past the closing bracket: the end of the text must follow (after
    /// spaces) unless the object is nested.
    fn close(&mut self) -> Option<()> {
        self.i += 1;
        self.done = true;
        if self.nested {
            return Some(());
        }
        self.spaces();
        (self.i == self.s.len()).then_some(())
    }

    /// The object (`{`) or array (`[`) at the cursor, read by `read` with
    /// [`Object::next_key`] or [`Object::next_element`] to its closing
    /// bracket; the cursor after it. `None` when it is not one, or `read`
    /// gives up or stops before the end.
    pub fn nested_in<T>(&mut self, open: u8, read: impl FnOnce(&mut Object<'a>) -> Option<T>) -> Option<T> {
        self.eat(open)?;
        let mut inner = Object { s: self.s, i: self.i, first: true, done: false, nested: true };
        let out = read(&mut inner)?;
        if !inner.done {
            return None;
        }
        self.i = inner.i;
        Some(out)
    }

    /// The next element of an array (see [`Object::nested_in`]): `true`
    /// with the cursor at it (read it before the next), `false` after the
    /// closing bracket. `None`: give up.
    pub fn next_element(&mut self) -> Option<bool> {
        self.step(b']').map(|closed| !closed)
    }

    /// Past the comma before the next member or element (`Some(false)`), or
    /// past the closing bracket `close` (`Some(true)`). `None`: give up.
    #[inline(always)]
    fn step(&mut self, close: u8) -> Option<bool> {
        if self.done {
            return Some(true);
        }
        self.spaces();
        if self.first {
            self.first = false;
            if self.peek() == Some(close) {
                return self.close().map(|()| true);
            }
        } else {
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.spaces();
                }
                c if c == close => return self.close().map(|()| true),
                _ => return None,
            }
        }
        Some(false)
    }

    /// The byte the value at the cursor starts with.
    pub fn at(&self) -> Option<u8> {
        self.peek()
    }

    /// The string starting at the cursor (`"`), checked: every escape is one
    /// JSON knows (a `\u` with four hex digits).
    #[inline(always)]
    fn string(&mut self) -> Option<Value<'a>> {
        let start = self.i;
        self.eat(b'"')?;
        let b = self.bytes();
        let mut escaped = false;
        loop {
            let at = quote_or_backslash(b, self.i)?;
            match b.get(at)? {
                b'"' => {
                    self.i = at + 1;
                    return Some(Value::Str(self.s.get(start..self.i)?, escaped));
                }
                _ => {
                    escaped = true;
                    self.i = at + escape_at(b, at)?.1;
                }
            }
        }
    }

    fn number(&mut self) -> Option<Value<'a>> {
        let start = self.i;
        let b = self.bytes();
        let digits = |i: &mut usize| {
            let from = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                digits(&mut i);
            }
            _ => return None,
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return None;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !digits(&mut i) {
                return None;
            }
        }
        self.i = i;
        Some(Value::Number(self.s.get(start..i)?))
    }

    fn literal(&mut self) -> Option<Value<'a>> {
        let rest = self.bytes().get(self.i..)?;
        let word: &[u8] = [&b"true"[..], b"false", b"null"].into_iter().find(|w| rest.starts_with(w))?;
        let start = self.i;
        self.i += word.len();
        Some(Value::Literal(self.s.get(start..self.i)?))
    }

    /// One value at the cursor, checked whole (nested objects and arrays
    /// included), the cursor after it.
    #[inline(always)]
    pub fn value(&mut self) -> Option<Value<'a>> {
        match self.peek()? {
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(),
            b't' | b'f' | b'n' => self.literal(),
            open @ (b'{' | b'[') => {
                let start = self.i;
                self.nested()?;
                let text = self.s.get(start..self.i)?;
                Some(if open == b'{' { Value::Object(text) } else { Value::Array(text) })
            }
            _ => None,
        }
    }

    /// An object or array at the cursor, with what it holds, without
    /// recursion: a stack of the open brackets.
    fn nested(&mut self) -> Option<()> {
        let mut stack = [0u8; MAX_DEPTH];
        let mut depth = 0usize;
        // Whether the cursor is where a value (or a closing bracket) goes.
        let mut open = true;
        loop {
            self.spaces();
            if open {
                let c = self.peek()?;
                if c == b'{' || c == b'[' {
                    *stack.get_mut(depth)? = c;
                    depth += 1;
                    self.i += 1;
                    self.spaces();
                    let close = if c == b'{' { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.i += 1;
                        depth -= 1;
                        open = false;
                        if depth == 0 {
                            return Some(());
                        }
                        continue;
                    }
                    if c == b'{' {
                        self.member_key()?;
                    }
                    continue;
                }
                match c {
                    b'"' => self.string().map(drop)?,
                    b'-' | b'0'..=b'9' => self.number().map(drop)?,
                    b't' | b'f' | b'n' => self.literal().map(drop)?,
                    _ => return None,
                }
                open = false;
                continue;
            }
            // After a value: a comma, or the innermost bracket's close.
            let frame = *stack.get(depth.checked_sub(1)?)?;
            match (frame, self.peek()?) {
                (_, b',') => {
                    self.i += 1;
                    if frame == b'{' {
                        self.spaces();
                        self.member_key()?;
                    }
                    open = true;
                }
                (b'{', b'}') | (b'[', b']') => {
                    self.i += 1;
                    depth -= 1;
                    if depth == 0 {
                        return Some(());
                    }
                }
                _ => return None,
            }
        }
    }

    /// A member's key and colon inside a nested object.
    fn member_key(&mut self) -> Option<()> {
        if self.peek() != Some(b'"') {
            return None;
        }
        self.string()?;
        self.spaces();
        self.eat(b':')
    }
}

/// The escape at `b[at]` (a backslash), checked: the byte it stands for
/// when it is a one-character escape (`None` for a `\u` with four hex
/// digits), and its length.
#[inline(always)]
fn escape_at(b: &[u8], at: usize) -> Option<(Option<u8>, usize)> {
    match b.get(at + 1)? {
        // (Tested first: the quotes of a JSON text logged as a string are
        // most escapes, and a plain comparison is cheaper than the jump
        // table `simple_escape` compiles to.)
        b'"' => Some((Some(b'"'), 2)),
        b'u' => b.get(at + 2..at + 6)?.iter().all(u8::is_ascii_hexdigit).then_some((None, 6)),
        &c => Some((Some(simple_escape(c)?), 2)),
    }
}

/// The byte a one-character escape stands for: `\"`, `\\`, `\/`, `\b`,
/// `\f`, `\n`, `\r`, `\t`.
#[inline(always)]
pub(super) fn simple_escape(c: u8) -> Option<u8> {
    Some(match c {
        b'"' => b'"',
        b'\\' => b'\\',
        b'/' => b'/',
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        _ => return None,
    })
}

/// Where the first `"` or `\` at or after `from` is in `b`: eight bytes at
/// a time while eight remain, then byte by byte.
#[inline(always)]
fn quote_or_backslash(b: &[u8], mut from: usize) -> Option<usize> {
    while let Some(word) = word_at(b, from) {
        if let Some(k) = quote_or_backslash_in(word) {
            return Some(from + k);
        }
        from += 8;
    }
    b.get(from..)?.iter().position(|&c| c == b'"' || c == b'\\').map(|i| from + i)
}

/// The eight bytes of `b` from `at`, if eight remain.
#[inline(always)]
fn word_at(b: &[u8], at: usize) -> Option<[u8; 8]> {
    b.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok())
}

/// Where the first `"` or `\` in `word` is.
#[inline(always)]
fn quote_or_backslash_in(word: [u8; 8]) -> Option<usize> {
    let v = u64::from_le_bytes(word);
    let hit = bytes_equal(v, b'"') | bytes_equal(v, b'\\');
    (hit != 0).then(|| (hit.trailing_zeros() / 8) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry of `s`, or `None` where the reader gives up.
    fn entries(s: &str) -> Option<Vec<(String, String)>> {
        if has_control(s.as_bytes()) {
            return None;
        }
        let mut o = Object::new(s)?;
        let mut out = Vec::new();
        // Strings read with their text, every other key's value skipped.
        while let Some(k) = o.next_key()? {
            let v = if o.at_string() {
                let (v, text) = o.string_text()?;
                let decoded: Option<String> = serde_json::from_str(v.text()).ok();
                match text {
                    Some(t) => assert_eq!(Some(t.as_ref()), decoded.as_deref(), "{}", v.text()),
                    None => assert!(v.text().contains("\\u"), "{}", v.text()),
                }
                v
            } else {
                o.value()?
            };
            out.push((k.to_owned(), v.text().to_owned()));
        }
        Some(out)
    }

    #[test]
    fn reads_keys_and_value_spans() {
        let got =
            entries(r#" {"a": 1, "b":"x\"y", "c" : {"d":[1,2,{"e":null}],"f":"g"}, "h":[] , "i":-1.5e+3,"j":true} "#);
        let want = [
            ("a", "1"),
            ("b", r#""x\"y""#),
            ("c", r#"{"d":[1,2,{"e":null}],"f":"g"}"#),
            ("h", "[]"),
            ("i", "-1.5e+3"),
            ("j", "true"),
        ];
        assert_eq!(got, Some(want.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()));
        assert_eq!(entries("{}"), Some(vec![]));
        assert_eq!(entries(r#"{"a":{}}"#), Some(vec![("a".into(), "{}".into())]));
    }

    /// Whatever serde_json rejects, this reader gives up on (the caller
    /// then hears serde_json's verdict); a few it accepts but leaves alone
    /// (control bytes, escaped keys) are here too.
    #[test]
    fn gives_up_where_serde_json_would_fail_or_decode() {
        for bad in [
            r#"{"a":1,}"#,
            r#"{"a":1"#,
            r#"{"a" 1}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":-}"#,
            r#"{"a":1e}"#,
            r#"{"a":tru}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12g4"}"#,
            r#"{"a":"unterminated}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":[1 2]}"#,
            r#"{"a":{"b"}}"#,
            r#"{"a":{"b":1,}}"#,
            r#"{"a":{1:2}}"#,
            r#"{"a":[}"#,
            r#"{"a":1} x"#,
            r#"{"a":1}{"#,
            r#"{"\u0061":1}"#,
            "{\"a\":\"tab\there\"}",
            "{\"a\":1,\t\"b\":2}",
            r#"[1]"#,
            r#"{a:1}"#,
            "",
        ] {
            assert_eq!(entries(bad), None, "{bad}");
            let serde_ok = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(bad).is_ok();
            let ours_only = bad.contains("\\u0061") || bad.contains('\t');
            assert!(!serde_ok || ours_only, "serde_json reads {bad:?}; only a deliberate give-up may differ");
        }
        let deep = format!(r#"{{"a":{}{}}}"#, "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(entries(&deep), None);
        let ok = format!(r#"{{"a":{}{}}}"#, "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(entries(&ok).is_some());
    }

    #[test]
    fn finds_control_bytes_anywhere() {
        let mut line = vec![b'a'; 100];
        assert!(!has_control(&line));
        for at in [0, 31, 32, 63, 64, 99] {
            let mut l = line.clone();
            l[at] = 0x1f;
            assert!(has_control(&l), "{at}");
        }
        line[50] = 0x7f;
        assert!(!has_control(&line));
    }

    /// JSON text: serde_json's own output of a random value, with spaces,
    /// or that text with one byte dropped or one piece inserted.
    fn text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            (-1e9f64..1e9).prop_map(serde_json::Value::from),
            "[a-z\\\\\"/é\u{1}\t]{0,6}".prop_map(serde_json::Value::from),
        ];
        let value = leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("[a-z\\\\\"]{0,4}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        });
        let object = proptest::collection::btree_map("[a-z_]{1,6}", value, 0..5)
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()));
        (object, any::<bool>(), 0usize..400, 0usize..14).prop_map(|(v, pretty, at, piece)| {
            let mut s = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }
                .unwrap_or_default()
                .replace('\n', " ");
            let pieces = ["", "", "", "", "{", "}", "[", "]", ",", ":", "\"", "\\", "0", "-"];
            let at = s.char_indices().map(|(i, _)| i).nth(at % (s.chars().count() + 1)).unwrap_or(s.len());
            match pieces[piece] {
                "" if piece == 0 && at < s.len() => {
                    s.remove(at);
                }
                p => s.insert_str(at, p),
            }
            s
        })
    }

    proptest::proptest! {
        /// A string's text, decoded as it is found: long runs between
        /// escapes (copied a word at a time), escapes next to each other,
        /// at the ends and at every offset in a word, read as serde_json
        /// reads them (`None` for a `\u` escape: serde_json decodes those).
        #[test]
        fn string_text_reads_what_serde_json_reads(text in "[a-z\"\\\\/é\n\u{1}]{0,40}", tail in "[a-z ]{0,12}") {
            let literal = serde_json::to_string(&text).expect("a string");
            let line = format!("{literal}{tail}");
            let mut o = Object { s: &line, i: 0, first: true, done: false, nested: true };
            let (v, got) = o.string_text().expect("a string literal");
            proptest::prop_assert_eq!(v.text(), literal.as_str());
            proptest::prop_assert_eq!(o.i, literal.len());
            match got {
                Some(t) => proptest::prop_assert_eq!(t.as_ref(), text.as_str()),
                None => proptest::prop_assert!(literal.contains("\\u"), "{}", literal),
            }
        }

        /// Where the reader reads an object, serde_json reads the same
        /// entries; where serde_json fails, the reader gives up; and it
        /// reads every object serde_json reads whose keys have no escapes
        /// and whose text has no control bytes.
        #[test]
        fn agrees_with_serde_json(s in text()) {
            let serde: Result<serde_json::Map<String, serde_json::Value>, _> = serde_json::from_str(&s);
            match (entries(&s), serde) {
                (Some(ours), Ok(theirs)) => {
                    let keys: std::collections::BTreeSet<&str> = ours.iter().map(|(k, _)| k.as_str()).collect();
                    proptest::prop_assert_eq!(keys.len(), theirs.len());
                    for (k, v) in &ours {
                        let v: serde_json::Value = serde_json::from_str(v).expect("a span is JSON");
                        // serde's map keeps the last of duplicate keys.
                        let last = ours.iter().rev().find(|(k2, _)| k2 == k).map(|(_, v)| v.as_str());
                        if last.map(serde_json::from_str::<serde_json::Value>).and_then(Result::ok) == Some(v.clone()) {
                            proptest::prop_assert_eq!(theirs.get(k), Some(&v));
                        }
                    }
                }
                (Some(_), Err(e)) => proptest::prop_assert!(false, "read {s:?}, which serde_json rejects: {e}"),
                (None, Ok(theirs)) => proptest::prop_assert!(
                    has_control(s.as_bytes()) || theirs.keys().any(|k| serde_json::to_string(k).is_ok_and(|t| t.contains('\\'))),
                    "gave up on {s:?}"
                ),
                (None, Err(_)) => {}
            }
        }
    }
}
