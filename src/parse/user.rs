//! Formats the user adds in the config file, tried before the built-in ones:
//!
//! ```toml
//! [[formats]]
//! name = "nginx-timed"
//! regex = '^(?P<ip>\S+) - \S+ \[(?P<time>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) \S+ rt=(?P<duration_ms>[\d.]+)'
//! time_format = "%d/%b/%Y:%H:%M:%S %z"   # strftime; else any built-in form
//! kind = "webhook"                        # a constant (else decided as for built-ins)
//! samples = [
//!   { line = '147.92.150.193 - - [20/Nov/2026:08:00:00 +0900] "POST /callback HTTP/1.1" 200 2 rt=0.012', fields = { kind = "webhook", status = "200", ip = "147.92.150.193" } },
//! ]
//! ```
//!
//! Named groups: `time`, `kind`, `method`, `path`, `endpoint`, `status`,
//! `request_id`, `ip`, `user_id`, `level`, `message`, `retry_key`,
//! `origin`, `duration_ms`. Constants: `kind`, `method`, `level`, `origin`.
//! Every sample is checked when the config loads: a sample that does not
//! give its fields is a config error naming the format and the sample.
//!
//! The formats are installed once per process, when the config is read
//! (the parser is called from every thread, and from places no config
//! reaches); with none installed the cost is one atomic load per line.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use serde::Deserialize;

use super::formats::{self, FormatId};
use super::{Fields, Line};
use crate::model::{Kind, Level, Method};

/// One `[[formats]]` entry as written.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FormatConfig {
    pub name: String,
    pub regex: String,
    #[serde(default)]
    pub time_format: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub origin: Option<String>,
    #[serde(default)]
    pub samples: Vec<SampleConfig>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SampleConfig {
    pub line: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// A compiled user format.
#[derive(Debug)]
pub struct UserFormat {
    pub name: String,
    re: Regex,
    time_format: Option<String>,
    kind: Option<Kind>,
    method: Option<Method>,
    level: Option<Level>,
    origin: Option<String>,
    pub samples: Vec<SampleConfig>,
}

const GROUPS: &[&str] = &[
    "time",
    "kind",
    "method",
    "path",
    "endpoint",
    "status",
    "request_id",
    "ip",
    "user_id",
    "level",
    "message",
    "retry_key",
    "origin",
    "duration_ms",
];

fn parse_kind(s: &str) -> Option<Kind> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "api" => Kind::Api,
        "webhook" => Kind::Webhook,
        "miniapp" => Kind::MiniApp,
        "http" => Kind::Http,
        "log" => Kind::Log,
        _ => return None,
    })
}

impl UserFormat {
    /// Compile one entry and check its samples; the error names the format.
    pub fn new(c: &FormatConfig) -> Result<UserFormat, String> {
        let name = &c.name;
        if name.trim().is_empty() {
            return Err("formats: a format needs a name".into());
        }
        let re = Regex::new(&c.regex).map_err(|e| format!("format {name}: regex: {}", one_line(&e.to_string())))?;
        for g in re.capture_names().flatten() {
            if !GROUPS.contains(&g) {
                return Err(format!("format {name}: unknown group (?P<{g}>); known: {}", GROUPS.join(", ")));
            }
        }
        let kind = match &c.kind {
            Some(k) => Some(parse_kind(k).ok_or_else(|| {
                format!("format {name}: kind = \"{k}\": expected api, webhook, miniapp, http or log")
            })?),
            None => None,
        };
        let method = match &c.method {
            Some(m) => Some(Method::parse(m).ok_or_else(|| format!("format {name}: method = \"{m}\": not a method"))?),
            None => None,
        };
        let level = match &c.level {
            Some(l) => Some(Level::parse(l).ok_or_else(|| format!("format {name}: level = \"{l}\": not a level"))?),
            None => None,
        };
        let f = UserFormat {
            name: name.clone(),
            re,
            time_format: c.time_format.clone(),
            kind,
            method,
            level,
            origin: c.origin.clone(),
            samples: c.samples.clone(),
        };
        for (i, s) in c.samples.iter().enumerate() {
            let Some(line) = f.parse(&s.line, 0) else {
                return Err(format!("format {name}: sample {} does not match: {}", i + 1, s.line));
            };
            for (field, want) in &s.fields {
                let got = formats::describe(&line, field);
                if got != *want {
                    return Err(format!("format {name}: sample {}: {field} is {got:?}, not {want:?}", i + 1));
                }
            }
        }
        Ok(f)
    }

    fn time(&self, s: &str) -> Option<crate::time::Millis> {
        let s = s.trim();
        match &self.time_format {
            Some(fmt) => chrono::DateTime::parse_from_str(s, fmt)
                .map(|t| t.timestamp_millis())
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, fmt).map(|t| t.and_utc().timestamp_millis()))
                .ok(),
            None => crate::time::parse_time(s).or_else(|| crate::time::leading_time(s).map(|x| x.0)),
        }
    }

    /// The line as a record of this format (`id`: its format id).
    pub fn parse<'a>(&self, line: &'a str, id: FormatId) -> Option<Line<'a>> {
        let c = self.re.captures(line)?;
        let g = |n: &str| c.name(n).map(|m| m.as_str()).filter(|s| !s.is_empty());
        let b = |n: &str| g(n).map(Cow::Borrowed);
        let time = match g("time") {
            Some(t) => self.time(t)?,
            None => i64::MIN,
        };
        let method = g("method").and_then(Method::parse).or(self.method);
        let status = g("status").and_then(super::text::parse_status).unwrap_or(0);
        let level = g("level").and_then(Level::parse).or(self.level);
        let mut f = Fields {
            time,
            method,
            status,
            request_id: b("request_id"),
            ip: b("ip"),
            retry_key: b("retry_key"),
            message: b("message"),
            level,
            origin: b("origin").or_else(|| self.origin.clone().map(Cow::Owned)),
            duration_ms: g("duration_ms").and_then(|d| d.parse::<f64>().ok()).map(|d| d.max(0.0).round() as u64),
            user_id: b("user_id"),
            ..Fields::default()
        };
        let path = g("path");
        let endpoint = g("endpoint");
        let kind = match g("kind").and_then(parse_kind).or(self.kind) {
            Some(k) => k,
            None if endpoint.is_some_and(|e| crate::line_api::is_miniapp(super::endpoint_path(e))) => Kind::MiniApp,
            None if f.request_id.is_some() || endpoint.is_some() => Kind::Api,
            None if f.ip.is_some() && path.is_some() && method.is_some() => {
                super::access::classify(method.unwrap_or(Method::Other), path.unwrap_or(""), None)
            }
            None if time != i64::MIN => Kind::Log,
            None => return None,
        };
        match kind {
            Kind::Webhook | Kind::Http => f.path = path.or(endpoint).map(Cow::Borrowed),
            _ => f.endpoint = endpoint.or(path).map(Cow::Borrowed),
        }
        if kind != Kind::Log && time == i64::MIN && g("time").is_some() {
            return None;
        }
        Some(Line { kind, fields: f, extras: None, format: id })
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the config file adds to the parser.
#[derive(Debug, Default)]
pub struct Installed {
    pub formats: Vec<UserFormat>,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// Install the config's formats for this process. The first call wins
/// (one config per run).
pub fn install(formats: Vec<UserFormat>) {
    let _ = INSTALLED.set(Installed { formats });
}

pub fn installed() -> Option<&'static Installed> {
    INSTALLED.get()
}

/// Compile every `[[formats]]` entry; the first error names its format.
pub fn compile(list: &[FormatConfig]) -> Result<Vec<UserFormat>, String> {
    let mut out = Vec::new();
    for c in list {
        if out.iter().any(|f: &UserFormat| f.name == c.name) || formats::FORMATS.iter().any(|f| f.name == c.name) {
            return Err(format!("format {}: the name is taken", c.name));
        }
        out.push(UserFormat::new(c)?);
    }
    if out.len() + formats::FORMATS.len() > usize::from(u8::MAX) {
        return Err("formats: too many".into());
    }
    Ok(out)
}

/// The first user format that reads the line.
pub fn parse(line: &str) -> Option<Line<'_>> {
    let inst = INSTALLED.get()?;
    inst.formats.iter().enumerate().find_map(|(i, f)| f.parse(line, u8::try_from(formats::FORMATS.len() + i).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Result<Vec<UserFormat>, String> {
        #[derive(Deserialize)]
        struct F {
            formats: Vec<FormatConfig>,
        }
        let f: F = toml::from_str(text).map_err(|e| e.to_string())?;
        compile(&f.formats)
    }

    const NGINX: &str = r#"
[[formats]]
name = "nginx-timed"
regex = '^(?P<ip>\S+) - \S+ \[(?P<time>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) \S+ rt=(?P<duration_ms>[\d.]+)'
time_format = "%d/%b/%Y:%H:%M:%S %z"
samples = [
  { line = '147.92.150.193 - - [20/Nov/2026:08:00:00 +0900] "POST /callback HTTP/1.1" 200 2 rt=12', fields = { kind = "webhook", status = "200", ip = "147.92.150.193", time = "2026-11-19T23:00:00.000Z", duration_ms = "12" } },
  { line = '10.0.0.1 - - [20/Nov/2026:08:00:00 +0000] "GET /healthz HTTP/1.1" 200 2 rt=1', fields = { kind = "http" } },
]
"#;

    #[test]
    fn a_user_format_reads_its_samples() {
        let f = cfg(NGINX).unwrap();
        let l = f[0].parse(&f[0].samples[0].line, 42).unwrap();
        assert_eq!((l.kind, l.format, l.fields.duration_ms), (Kind::Webhook, 42, Some(12)));
    }

    #[test]
    fn a_failing_sample_is_a_config_error_naming_the_format() {
        let bad = NGINX.replace(r#"status = "200", ip"#, r#"status = "500", ip"#);
        let e = cfg(&bad).unwrap_err();
        assert!(e.contains("nginx-timed") && e.contains("sample 1") && e.contains("status"), "{e}");
        let e = cfg(&NGINX.replace("rt=12'", "xx'")).unwrap_err();
        assert!(e.contains("sample 1 does not match"), "{e}");
        let e = cfg(&NGINX.replace("(?P<ip>", "(?P<addr>")).unwrap_err();
        assert!(e.contains("unknown group (?P<addr>)"), "{e}");
        let e = cfg(&NGINX.replace("name = \"nginx-timed\"", "name = \"ncsa-combined\"")).unwrap_err();
        assert!(e.contains("name is taken"), "{e}");
        let e = cfg("[[formats]]\nname = \"x\"\nregex = \"(\"\n").unwrap_err();
        assert!(e.contains("format x: regex") && !e.contains('\n'), "{e}");
    }

    #[test]
    fn constants_and_levels() {
        let f = cfg(
            "[[formats]]\nname = \"worker\"\nregex = '^(?P<time>\\S+) \\[(?P<level>\\w+)\\] (?P<message>.*)$'\norigin = \"worker\"\n",
        )
        .unwrap();
        let l = f[0].parse("2026-11-20T08:00:00Z [ERROR] push failed", 40).unwrap();
        assert_eq!(
            (l.kind, l.fields.level, l.fields.message.as_deref(), l.fields.origin.as_deref()),
            (Kind::Log, Some(Level::Error), Some("push failed"), Some("worker"))
        );
    }
}
