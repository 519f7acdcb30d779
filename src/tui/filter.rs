//! The `/` filter: field terms and fuzzy text, matched on a worker thread.
//!
//! ```text
//! UI thread: query typed ─▶ new generation ─▶ slices of Rows (in-memory fields) ─▶ worker
//! worker:    match each Row (re-reading the request ID from plain files
//!            only when a term needs it) ─▶ (generation, matching ids) ─▶ UI thread
//! UI thread: results of an old generation are dropped; the view updates as slices return
//! ```
//!
//! Terms are separated by spaces and must all match. `kind:api|webhook|wh|
//! miniapp|mini|http|log|unparsed`, `status:429` (or `4xx`, `5xx`),
//! `level:error` (log entries), `user:`, `path:`, `ip:`, `type:` (event
//! type), `id:` (request ID) and `origin:` (the envelope's stream, pod,
//! dyno, unit or host) match a substring, without regard to case; any other
//! word is matched fuzzily (skim) against all of those fields.

use std::path::PathBuf;
use std::sync::Arc;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use crate::model::RecordId;

/// One record's searchable fields, gathered on the UI thread.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: RecordId,
    pub kind: &'static str,
    pub status: u16,
    /// A log entry's level (`error`…), else empty.
    pub level: &'static str,
    pub path: String,
    pub ip: String,
    pub users: String,
    pub types: String,
    /// Where to read the request ID again (plain files only).
    pub reread: Option<(Arc<PathBuf>, u64)>,
    /// Text kept in memory (standard input), to read the request ID from.
    pub text: Option<String>,
    /// The request ID, where the store keeps it (compressed sources).
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Kind(String),
    Status(String),
    Level(String),
    Field(Field, String),
    Fuzzy(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    User,
    Path,
    Ip,
    Type,
    Id,
    Origin,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    terms: Vec<Term>,
}

impl Query {
    pub fn parse(q: &str) -> Query {
        let terms = q
            .split_whitespace()
            .map(|w| {
                let lower = w.to_lowercase();
                match lower.split_once(':') {
                    Some(("kind", v)) => Term::Kind(v.to_owned()),
                    Some(("status", v)) => Term::Status(v.to_owned()),
                    Some(("level", v)) => Term::Level(v.to_owned()),
                    Some(("origin", v)) => Term::Field(Field::Origin, v.to_owned()),
                    Some(("user", v)) => Term::Field(Field::User, v.to_owned()),
                    Some(("path", v)) => Term::Field(Field::Path, v.to_owned()),
                    Some(("ip", v)) => Term::Field(Field::Ip, v.to_owned()),
                    Some(("type", v)) => Term::Field(Field::Type, v.to_owned()),
                    Some(("id", v)) => Term::Field(Field::Id, v.to_owned()),
                    _ => Term::Fuzzy(w.to_owned()),
                }
            })
            .collect();
        Query { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether matching needs the line again (request ID, origin: read
    /// again from disk).
    fn needs_line(&self) -> bool {
        self.terms.iter().any(|t| matches!(t, Term::Fuzzy(_) | Term::Field(Field::Id | Field::Origin, _)))
    }

    fn matches(&self, row: &Row, line: &Reread, m: &SkimMatcherV2) -> bool {
        let id = line.request_id.as_str();
        let has = |hay: &str, needle: &str| hay.to_lowercase().contains(needle);
        self.terms.iter().all(|t| match t {
            Term::Kind(k) => {
                let k = match k.as_str() {
                    "wh" => "webhook",
                    "mini" => "miniapp",
                    other => other,
                };
                row.kind == k
            }
            Term::Status(s) => match s.as_bytes() {
                [d, b'x', b'x'] => row.status / 100 == u16::from(d.wrapping_sub(b'0')),
                _ => s.parse::<u16>().is_ok_and(|v| v == row.status),
            },
            Term::Field(Field::User, v) => has(&row.users, v),
            Term::Field(Field::Path, v) => has(&row.path, v),
            Term::Field(Field::Ip, v) => has(&row.ip, v),
            Term::Field(Field::Type, v) => has(&row.types, v),
            Term::Field(Field::Id, v) => has(id, v),
            Term::Field(Field::Origin, v) => has(&line.origin, v),
            Term::Level(l) => !row.level.is_empty() && row.level.starts_with(l.as_str()),
            Term::Fuzzy(w) => {
                let hay =
                    format!("{id} {} {} {} {} {} {}", row.path, row.ip, row.users, row.types, row.status, row.kind);
                m.fuzzy_match(&hay, w).is_some()
            }
        })
    }
}

/// A slice of rows to match (see [`super::jobs`]).
pub struct Job {
    pub query: Arc<Query>,
    pub rows: Vec<Row>,
}

/// Match rows (on the worker thread).
pub fn match_rows(q: &Query, rows: &[Row], m: &SkimMatcherV2) -> Vec<RecordId> {
    let needs_line = q.needs_line();
    rows.iter()
        .filter(|row| {
            let line = if needs_line { reread(row) } else { Reread::default() };
            q.matches(row, &line, m)
        })
        .map(|r| r.id)
        .collect()
}

/// What matching reads from the line itself.
#[derive(Debug, Default)]
struct Reread {
    request_id: String,
    origin: String,
}

fn reread(row: &Row) -> Reread {
    let text = match (&row.text, &row.reread) {
        (Some(t), _) => t.clone(),
        (None, Some((path, offset))) => crate::source::read_line_at(path, *offset, 1 << 20)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default(),
        // Compressed sources: the request ID the store keeps.
        _ => return Reread { request_id: row.request_id.clone().unwrap_or_default(), origin: String::new() },
    };
    match crate::parse::parse_line(&text) {
        crate::parse::Parsed::Record(l) => Reread {
            request_id: row
                .request_id
                .clone()
                .or_else(|| l.fields.request_id.map(|c| c.into_owned()))
                .unwrap_or_default(),
            origin: l.fields.origin.map(|c| c.into_owned()).unwrap_or_default(),
        },
        _ => Reread::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &'static str, status: u16, path: &str, users: &str) -> Row {
        Row {
            id: 1,
            kind,
            status,
            level: "",
            path: path.into(),
            ip: "147.92.150.192".into(),
            users: users.into(),
            types: "message".into(),
            reread: None,
            text: Some(format!("req-abc 2026-11-20T08:00:00Z POST {path} {status}")),
            request_id: None,
        }
    }

    #[test]
    fn terms() {
        let m = SkimMatcherV2::default();
        let r = row("api", 429, "/v2/bot/message/push", "U68be");
        let hit = |q: &str| !match_rows(&Query::parse(q), std::slice::from_ref(&r), &m).is_empty();
        assert!(hit("kind:api status:429"));
        assert!(hit("status:4xx path:/push"));
        assert!(!hit("status:5xx"));
        assert!(!hit("kind:wh"));
        assert!(hit("user:u68"));
        assert!(hit("id:req-ab"));
        assert!(hit("msgpush"), "fuzzy over the path");
        assert!(hit("reqabc"), "fuzzy over the request ID");
        assert!(!hit("zzzz"));
        assert!(hit("ip:147.92 type:mess"));
        assert!(Query::parse("  ").is_empty());
    }

    #[test]
    fn origin_and_level() {
        let m = SkimMatcherV2::default();
        let mut r = row("log", 0, "", "");
        r.level = "error";
        r.text = Some("2026-11-20T08:00:00.5Z stderr F 2026-11-20 08:00:00,500 ERROR boom".into());
        let hit = |q: &str| !match_rows(&Query::parse(q), std::slice::from_ref(&r), &m).is_empty();
        assert!(hit("origin:stderr kind:log level:err"));
        assert!(!hit("origin:stdout"));
        assert!(!hit("level:warn"));
    }
}
