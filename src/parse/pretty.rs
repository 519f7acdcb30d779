//! A JSON value printed over several lines (`gcloud logging read --format
//! json`, `jq .`, a logger's pretty printer, a copied Cloud Logging entry):
//!
//! ```text
//! {                                   ← `{` alone opens it (any indent)
//!   "httpRequest": { … },
//!   "timestamp": "2025-03-19T01:09:09.120515Z"
//! }                                   ← `}` or `},` at the same indent closes it
//! ```
//!
//! Its lines are joined with spaces (a JSON string never holds a raw line
//! break, so nothing inside a string changes) and read as one JSON line.
//! When that reads as a record, the record starts at the `{` line and the
//! other lines continue it; otherwise each line is read on its own, as if
//! no entry had been seen.

/// The indent of a line that opens a pretty-printed object: `{` alone.
pub fn opens(line: &str) -> Option<usize> {
    let t = line.trim_end();
    let body = t.trim_start_matches([' ', '\t']);
    (body == "{").then(|| t.len() - 1)
}

/// Whether the line closes the object opened at `indent`.
pub fn closes(line: &str, indent: usize) -> bool {
    let t = line.trim_end();
    let body = t.trim_start_matches([' ', '\t']);
    t.len() - body.len() == indent && (body == "}" || body == "},")
}

/// The lines of an object as one line of JSON.
pub fn join<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for l in lines {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(l.trim());
    }
    if out.ends_with("},") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_closes_and_joins() {
        assert_eq!(opens("{"), Some(0));
        assert_eq!(opens("  {  "), Some(2));
        assert_eq!(opens("{\"a\":1}"), None);
        assert_eq!(opens("  [{"), None);
        assert!(closes("}", 0) && closes("  },", 2) && !closes("  }", 0) && !closes("}", 2));
        let text = "  {\n    \"a\": \"x  y\",\n    \"b\": [1,\n 2]\n  },\n  {";
        let gather = |text: &str| {
            let (g, end) = crate::parse::gather::close_of(text.split('\n'), &crate::parse::Parsed::Unparsed)?;
            Some(g.join(text.split('\n').take(end + 1)))
        };
        assert_eq!(gather(text).as_deref(), Some(r#"{ "a": "x  y", "b": [1, 2] }"#));
        assert_eq!(gather("{\n  \"a\": 1"), None);
    }
}
