//! LINE's documented rate limits, in one place. Overridable in the config
//! file (`[rate_limits]`), since LINE changes them.

use crate::model::Method;
use crate::time::Millis;

/// When the table below was last checked against LINE's documentation.
pub const TABLE_DATE: &str = "2025-04-23";

/// A limit for the requests matching `method` and `pattern`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// `None`: any method.
    pub method: Option<Method>,
    /// An exact path, or a prefix ending in `*`.
    pub pattern: String,
    pub max: u64,
    /// The window the limit counts in: 1 s, 1 min or 1 h.
    pub per: Millis,
}

impl Limit {
    fn new(method: Option<Method>, pattern: &str, max: u64, per: Millis) -> Limit {
        Limit { method, pattern: pattern.to_owned(), max, per }
    }

    pub fn matches(&self, method: Method, path: &str) -> bool {
        if self.method.is_some_and(|m| m != method) {
            return false;
        }
        match self.pattern.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path.trim_end_matches('/') == self.pattern,
        }
    }

    /// `POST /v2/bot/message/push` (or the pattern alone).
    pub fn key(&self) -> String {
        match self.method {
            Some(m) => format!("{} {}", m.as_str(), self.pattern),
            None => self.pattern.clone(),
        }
    }

    /// The window's unit, short and in words: `("s", "second")`.
    pub fn unit(&self) -> (&'static str, &'static str) {
        match self.per {
            1_000 => ("s", "second"),
            60_000 => ("min", "minute"),
            _ => ("hour", "hour"),
        }
    }

    /// `2,000/s`
    pub fn rate(&self) -> String {
        format!("{}/{}", crate::escape::thousands(self.max), self.unit().0)
    }
}

/// The default table, most specific first (the first match counts).
/// The endpoints of the catalogue (`line_api`) that have a documented limit.
pub fn defaults() -> Vec<Limit> {
    crate::line_api::ENDPOINTS
        .iter()
        .filter_map(|e| e.limit.map(|(max, window)| Limit::new(e.method, e.path, max, window)))
        .collect()
}

/// Parse `"METHOD /path"` (or `"/path"`, `*` for a prefix) = `"N/s"`,
/// `"N/min"` or `"N/hour"`.
pub fn parse(key: &str, value: &str) -> Result<Limit, String> {
    let key = key.trim();
    let (method, pattern) = match key.split_once(' ') {
        Some((m, p)) => {
            (Some(Method::parse(m).ok_or_else(|| format!("rate_limits: unknown method in \"{key}\""))?), p.trim())
        }
        None => (None, key),
    };
    if !pattern.starts_with('/') {
        return Err(format!("rate_limits: \"{key}\": expected \"METHOD /path\" or \"/path\""));
    }
    let bad = || format!("rate_limits: \"{key}\" = \"{value}\": expected \"N/s\", \"N/min\" or \"N/hour\"");
    let (n, unit) = value.trim().split_once('/').ok_or_else(bad)?;
    let max: u64 = n.trim().replace(',', "").parse().map_err(|_| bad())?;
    let per = match unit.trim() {
        "s" | "sec" | "second" => 1_000,
        "m" | "min" | "minute" => 60_000,
        "h" | "hour" => 3_600_000,
        _ => return Err(bad()),
    };
    if max == 0 {
        return Err(bad());
    }
    Ok(Limit::new(method, pattern, max, per))
}

/// The defaults with overrides: an override of an existing key replaces
/// it in place; a new one is tried first.
pub fn with_overrides(overrides: &std::collections::BTreeMap<String, String>) -> Result<Vec<Limit>, String> {
    let mut table = defaults();
    let mut added = Vec::new();
    for (k, v) in overrides {
        let l = parse(k, v)?;
        match table.iter_mut().find(|t| t.method == l.method && t.pattern == l.pattern) {
            Some(t) => *t = l,
            None => added.push(l),
        }
    }
    added.extend(table);
    Ok(added)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_first_matching_limit_counts() {
        let t = defaults();
        let find = |m, p: &str| t.iter().find(|l| l.matches(m, p)).map(|l| (l.max, l.per));
        assert_eq!(find(Method::Post, "/v2/bot/message/push"), Some((2_000, 1_000)));
        assert_eq!(find(Method::Post, "/v2/bot/message/multicast"), Some((200, 1_000)));
        assert_eq!(find(Method::Post, "/v2/bot/message/narrowcast"), Some((60, 3_600_000)));
        assert_eq!(find(Method::Delete, "/v2/bot/audienceGroup/123"), Some((60, 60_000)));
        assert_eq!(find(Method::Get, "/v2/bot/profile/U1"), Some((2_000, 1_000)));
        assert_eq!(find(Method::Post, "/message/v3/notifier/send"), None);
    }

    #[test]
    fn overrides_replace_or_add() {
        let mut o = std::collections::BTreeMap::new();
        o.insert("POST /v2/bot/message/multicast".to_owned(), "2,000/s".to_owned());
        o.insert("/message/v3/*".to_owned(), "10/min".to_owned());
        let t = with_overrides(&o).unwrap();
        assert!(t.iter().any(|l| l.pattern == "/v2/bot/message/multicast" && l.max == 2_000));
        assert_eq!(t.first().unwrap().pattern, "/message/v3/*");
        assert!(parse("POST v2", "1/s").is_err());
        assert!(parse("/x", "1/day").is_err());
        assert!(parse("FETCH /x", "1/s").is_err());
        assert!(parse("/x", "0/s").is_err());
    }
}
