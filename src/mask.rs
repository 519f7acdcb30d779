//! `--mask-users`: user, group and room IDs shortened (`U1a2b…9f0e`) in
//! everything shown, for screenshots pasted into an incident channel.
//!
//! A value, decided once from the settings and handed to every writer
//! (report, audit, lookup, tail, the screen); no process-wide switch.

use std::borrow::Cow;

/// Whether IDs are shortened in what is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mask {
    pub on: bool,
}

impl Mask {
    /// `text` with every LINE ID (U, C or R and 32 hex digits, not part of
    /// a longer word) shortened to its first 4 and last 4 hex digits, when
    /// masking is on.
    pub fn apply(self, text: &str) -> Cow<'_, str> {
        if self.on { shorten(text) } else { Cow::Borrowed(text) }
    }
}

/// [`Mask::apply`] with masking on.
pub fn shorten(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out: Option<String> = None;
    let mut last = 0;
    let mut i = 0;
    while i + 33 <= b.len() {
        let starts = matches!(b.get(i), Some(b'U' | b'C' | b'R')) && (i == 0 || b.get(i - 1).is_none_or(|&c| !word(c)));
        let id = b.get(i + 1..i + 33).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
        let ends = b.get(i + 33).is_none_or(|&c| !word(c));
        if starts && id && ends {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
            o.push_str(text.get(last..i).unwrap_or(""));
            o.push_str(text.get(i..i + 5).unwrap_or(""));
            o.push('…');
            o.push_str(text.get(i + 29..i + 33).unwrap_or(""));
            i += 33;
            last = i;
        } else {
            i += 1;
        }
    }
    match out {
        Some(mut o) => {
            o.push_str(text.get(last..).unwrap_or(""));
            Cow::Owned(o)
        }
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_shortened_and_nothing_else() {
        let u = "U1a2b3c4d5e6f708192a3b4c5d6e79f0e";
        assert_eq!(shorten(u), "U1a2b…9f0e");
        assert_eq!(
            shorten(&format!("to {u}, C{} and \"R{}\"", "0".repeat(32), "f".repeat(32))),
            "to U1a2b…9f0e, C0000…0000 and \"Rffff…ffff\""
        );
        // Not an ID: too short, too long, inside a word, not hex.
        for s in ["U1a2b", &format!("{u}0"), &format!("xU{}", "0".repeat(32)), &format!("U{}", "g".repeat(32))] {
            assert_eq!(shorten(s), s);
        }
        assert_eq!(shorten("é U00000000000000000000000000000000 ü"), "é U0000…0000 ü");
    }
}
