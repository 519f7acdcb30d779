//! Log text is untrusted: a LINE user can put anything into a message, and a
//! bot logs it. Before any of it reaches a terminal, control characters,
//! escape sequences and bidirectional overrides are shown escaped.

use std::borrow::Cow;
use std::fmt::Write;

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// `s` with every unsafe character written as `\t`, `\x1b`, `\u{202e}`…
pub fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether JSON text must escape `c` although JSON allows it raw: C1
/// controls (U+0080–U+009F: U+009B is a one-byte CSI to many terminals)
/// and the invisible bidirectional marks and overrides.
fn json_unsafe(c: char) -> bool {
    ('\u{80}'..='\u{9f}').contains(&c) || (c != '\t' && c != '\n' && c != '\r' && !c.is_control() && is_unsafe(c))
}

/// JSON text made safe for a terminal: every such character written as a
/// `\u` escape (`\u009b`). JSON's own structure is ASCII, so any of these
/// can only be inside a string, where the escape means the same character.
pub fn json_text(s: &str) -> Cow<'_, str> {
    // Every such character starts with one of these bytes in UTF-8 (C1:
    // 0xC2; the marks: 0xE2; the BOM: 0xEF): most text has none at all.
    if memchr::memchr3(0xc2, 0xe2, 0xef, s.as_bytes()).is_none() || !s.chars().any(json_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if json_unsafe(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Serialize `value` as JSON (pretty or one line) with [`json_text`]
/// applied: what every JSON output of linelens goes through.
pub fn to_json<T: serde::Serialize + ?Sized>(value: &T, pretty: bool) -> String {
    let s = if pretty { serde_json::to_string_pretty(value) } else { serde_json::to_string(value) };
    let s = s.unwrap_or_default();
    match json_text(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(o) => o,
    }
}

/// At most `max` characters of `s`, with `…` marking a cut.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if s.chars().count() <= max {
        return Cow::Borrowed(s);
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    Cow::Owned(out)
}

/// `12873` → `12,873`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_control("plain text"), "plain text");
        assert_eq!(escape_control("a\x1b[31mred\x07"), "a\\x1b[31mred\\x07");
        assert_eq!(escape_control("tab\there\r\n"), "tab\\there\\r\\n");
        assert_eq!(escape_control("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(escape_control("\u{9b}31m"), "\\x9b31m");
        assert_eq!(escape_control("日本語 ok"), "日本語 ok");
    }

    #[test]
    fn json_escapes_c1_and_bidi_but_keeps_structure() {
        let v = serde_json::json!({"text": "a\u{9b}31mb\u{85}c\u{202e}d\u{7f}e\n日本", "n": 1});
        let s = to_json(&v, true);
        assert!(s.contains("a\\u009b31mb\\u0085c\\u202ed"), "{s}");
        assert!(!s.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{202e}'), "{s}");
        assert!(s.contains('\n'), "pretty-printing newlines stay");
        // The same value read back.
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
        assert_eq!(json_text("plain"), "plain");
    }

    #[test]
    fn numbers_and_cuts() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(12_873_001), "12,873,001");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
