//! The configuration file, and resolving thresholds: command-line flags win
//! over the file, the file over the defaults.
//!
//! The file is `--config FILE`, else `linelens/config.toml` in the platform's
//! configuration directory (`$XDG_CONFIG_HOME` or `~/.config` on Linux,
//! `~/Library/Application Support` on macOS) when it exists. Unknown keys
//! are rejected: a typo must not silently fall back to a default.
//!
//! ```toml
//! [analysis]
//! burst_gap = "10s"
//! burst_min = 5
//! flood_min = 10
//! flood_window = "60s"
//! inbound_flood_min = 10
//! inbound_flood_window = "60s"
//! infer_window = "2s"
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::analysis::Thresholds;
use crate::time::{Millis, parse_duration};

/// What went wrong with a setting, and where: the file (and key), or the flag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("config {path}: {reason}")]
    Read { path: String, reason: String },
    /// The file is not valid TOML, has an unknown key, or a table the
    /// engine refused (formats, rate limits).
    #[error("config {path}: {reason}")]
    Invalid { path: String, reason: String },
    /// A value in the file.
    #[error("config {path}: {key}: {reason}")]
    Value { path: String, key: String, reason: String },
    /// A value on the command line.
    #[error("{flag}: {reason}")]
    Flag { flag: String, reason: String },
}

/// A duration: `"10s"`, `"1m"`, `"500ms"`, or a number of seconds.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum DurationValue {
    Seconds(u64),
    Text(String),
}

/// Which kind of value a threshold takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// `"10s"`, `"2m"`, `"500ms"`, or a number of seconds; held in ms.
    Duration,
    /// A count, at least 1.
    Count,
}

/// A threshold, declared once: its key in the file's `[analysis]` table
/// (the flag is the key with hyphens: `--burst-gap`), its unit, its
/// default, its help, and the field of [`Thresholds`] it sets. The flags,
/// the file's keys, the defaults and `--help` all come from [`THRESHOLDS`].
pub struct Threshold {
    pub key: &'static str,
    pub unit: Unit,
    /// In ms for a duration.
    pub default: u64,
    pub help: &'static str,
    /// Sets the field; the value is within [`MAX_VALUE`].
    set: fn(&mut Thresholds, u64),
}

/// The largest value a threshold takes (about 34 years in ms): any field
/// holds it.
const MAX_VALUE: u64 = 1 << 40;

impl Threshold {
    /// The command-line flag's long name (`burst-gap`).
    pub fn long(&self) -> String {
        self.key.replace('_', "-")
    }

    /// The command-line flag (`--burst-gap`).
    pub fn flag(&self) -> String {
        format!("--{}", self.long())
    }

    /// The default as written (`10s`, `5`).
    pub fn default_text(&self) -> String {
        match self.unit {
            Unit::Count => self.default.to_string(),
            Unit::Duration if self.default.is_multiple_of(1000) => format!("{}s", self.default / 1000),
            Unit::Duration => format!("{}ms", self.default),
        }
    }

    /// The value a flag or the file gives, or why it is no value.
    fn read(&self, v: &DurationValue) -> Result<u64, String> {
        match self.unit {
            Unit::Duration => match v {
                DurationValue::Seconds(s) => s.checked_mul(1000),
                DurationValue::Text(t) => parse_duration(t.trim()).and_then(|ms| u64::try_from(ms).ok()),
            }
            .filter(|&ms| ms > 0 && ms <= MAX_VALUE)
            .ok_or_else(|| "expected a positive duration such as \"10s\", \"2m\" or 10".to_owned()),
            Unit::Count => match v {
                DurationValue::Seconds(n) => Some(*n),
                DurationValue::Text(t) => t.trim().parse().ok(),
            }
            .ok_or_else(|| "expected a whole number".to_owned())
            .and_then(|n| match n {
                0 => Err("must be at least 1".to_owned()),
                n if n > MAX_VALUE => Err(format!("must be at most {MAX_VALUE}")),
                n => Ok(n),
            }),
        }
    }
}

pub const THRESHOLDS: &[Threshold] = &[
    Threshold {
        key: "burst_gap",
        unit: Unit::Duration,
        default: 10_000,
        help: "A 429 more than this after the previous one starts a new cluster",
        set: |t, v| t.burst_gap = v as Millis,
    },
    Threshold {
        key: "burst_min",
        unit: Unit::Count,
        default: 5,
        help: "429s a cluster needs to be a burst",
        set: |t, v| t.burst_min = v,
    },
    Threshold {
        key: "flood_min",
        unit: Unit::Count,
        default: 10,
        help: "Sends to one user that make an outbound flood ...",
        set: |t, v| t.flood_min = v as usize,
    },
    Threshold {
        key: "flood_window",
        unit: Unit::Duration,
        default: 60_000,
        help: "... within less than this",
        set: |t, v| t.flood_window = v as Millis,
    },
    Threshold {
        key: "inbound_flood_min",
        unit: Unit::Count,
        default: 10,
        help: "Messages from one user that make an inbound flood ...",
        set: |t, v| t.inbound_flood_min = v as usize,
    },
    Threshold {
        key: "inbound_flood_window",
        unit: Unit::Duration,
        default: 60_000,
        help: "... within less than this",
        set: |t, v| t.inbound_flood_window = v as Millis,
    },
    Threshold {
        key: "infer_window",
        unit: Unit::Duration,
        default: 2_000,
        help: "How far before an API request a webhook may be to be offered as its likely trigger",
        set: |t, v| t.infer_window = v as Millis,
    },
];

impl Default for Thresholds {
    /// The defaults of [`THRESHOLDS`].
    fn default() -> Thresholds {
        let mut t = Thresholds {
            burst_gap: 0,
            burst_min: 0,
            flood_min: 0,
            flood_window: 0,
            inbound_flood_min: 0,
            inbound_flood_window: 0,
            infer_window: 0,
        };
        for x in THRESHOLDS {
            (x.set)(&mut t, x.default);
        }
        t
    }
}

/// The file's `[analysis]` table: threshold keys (checked against
/// [`THRESHOLDS`] when the file is read) and their values.
pub type AnalysisConfig = std::collections::BTreeMap<String, DurationValue>;

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub analysis: AnalysisConfig,
    /// Screen keys: action name → keys (replacing that action's defaults).
    #[serde(default)]
    pub keys: std::collections::BTreeMap<String, Vec<String>>,
    /// Webhook `destination` → file holding that channel's secret (a path
    /// relative to the config file's directory).
    #[serde(default)]
    pub secrets: std::collections::BTreeMap<String, PathBuf>,
    /// `"METHOD /path"` → `"N/s"`, `"N/min"` or `"N/hour"`: LINE's rate limits
    /// as the audit checks them (replacing or adding to the built-in table).
    #[serde(default)]
    pub rate_limits: std::collections::BTreeMap<String, String>,
    /// Line formats of the user's own, tried before the built-in ones.
    #[serde(default)]
    pub formats: Vec<crate::parse::user::FormatConfig>,
    /// Paths LINE posts webhooks to, besides `/callback` and `/webhook`
    /// (access-log lines of a POST to one are webhook receipts).
    #[serde(default)]
    pub webhook_paths: Vec<String>,
}

impl FileConfig {
    /// Compile the file's formats and install them, with its webhook paths,
    /// for this process.
    pub fn install_formats(&self) -> Result<(), String> {
        let formats = crate::parse::user::compile(&self.formats)?;
        crate::parse::user::install(formats);
        crate::parse::access::install_webhook_paths(self.webhook_paths.clone());
        Ok(())
    }
}

/// Threshold values given on the command line: key (`burst_gap`) → text.
pub type ThresholdFlags = std::collections::BTreeMap<&'static str, String>;

/// The default config file location, if the platform has one.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("linelens").join("config.toml"))
}

/// Read the file named by `--config`, or the default one when it exists.
pub fn load(explicit: Option<&Path>) -> Result<(FileConfig, Option<PathBuf>), ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match default_path().filter(|p| p.is_file()) {
            Some(p) => p,
            None => return Ok((FileConfig::default(), None)),
        },
    };
    let show = path.display().to_string();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| ConfigError::Read { path: show.clone(), reason: crate::source::io_reason(&e) })?;
    let cfg = parse(&text).map_err(|reason| ConfigError::Invalid { path: show, reason })?;
    Ok((cfg, Some(path)))
}

/// [`load`], then the file's formats and webhook paths installed for the
/// process; an error in them names the file.
pub fn load_installed(explicit: Option<&Path>) -> Result<(FileConfig, Option<PathBuf>), ConfigError> {
    let (file, path) = load(explicit)?;
    file.install_formats().map_err(|reason| in_file(path.as_deref(), reason))?;
    Ok((file, path))
}

/// An error in a table of the file at `path`.
pub fn in_file(path: Option<&Path>, reason: String) -> ConfigError {
    ConfigError::Invalid { path: shown(path), reason }
}

/// The config file as an error names it.
fn shown(path: Option<&Path>) -> String {
    path.map_or_else(|| "(file)".to_owned(), |p| p.display().to_string())
}

/// Parse config text; the error is one line. A key of `[analysis]` that
/// is no threshold is refused: a typo must not fall back to a default.
pub fn parse(text: &str) -> Result<FileConfig, String> {
    let cfg: FileConfig = toml::from_str(text).map_err(|e| e.message().replace('\n', " "))?;
    if let Some(k) = cfg.analysis.keys().find(|k| !THRESHOLDS.iter().any(|t| t.key == k.as_str())) {
        let known: Vec<&str> = THRESHOLDS.iter().map(|t| t.key).collect();
        return Err(format!("analysis: unknown key `{k}` (known: {})", known.join(", ")));
    }
    Ok(cfg)
}

/// Flags over the file (`file`, read from `path`) over defaults; an error
/// names the flag, or the file and key, that gave a bad value.
pub fn thresholds(
    file: &AnalysisConfig,
    path: Option<&Path>,
    flags: &ThresholdFlags,
) -> Result<Thresholds, ConfigError> {
    let mut t = Thresholds::default();
    for x in THRESHOLDS {
        let v = match (flags.get(x.key), file.get(x.key)) {
            (Some(f), _) => x
                .read(&DurationValue::Text(f.clone()))
                .map_err(|reason| ConfigError::Flag { flag: x.flag(), reason })?,
            (None, Some(v)) => {
                x.read(v).map_err(|reason| ConfigError::Value { path: shown(path), key: x.key.to_owned(), reason })?
            }
            (None, None) => continue,
        };
        (x.set)(&mut t, v);
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_flags_file_defaults() {
        let file = parse("[analysis]\nburst_gap = \"20s\"\nburst_min = 7\nflood_window = 30\n").unwrap();
        let flags = ThresholdFlags::from([("burst_min", "3".to_owned())]);
        let t = thresholds(&file.analysis, None, &flags).unwrap();
        assert_eq!(t.burst_gap, 20_000); // file
        assert_eq!(t.burst_min, 3); // flag over file
        assert_eq!(t.flood_window, 30_000); // file, seconds
        assert_eq!(t.flood_min, 10); // default
        assert_eq!(
            thresholds(&AnalysisConfig::default(), None, &ThresholdFlags::default()).unwrap(),
            Thresholds::default()
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected() {
        let e = parse("[analysis]\nburst_gapp = \"10s\"\n").unwrap_err();
        assert!(e.contains("burst_gapp"), "{e}");
        assert!(!e.contains('\n'));
        assert!(parse("[analysys]\n").unwrap_err().contains("analysys"));
        let file = parse("[analysis]\nburst_gap = \"soon\"\n").unwrap();
        let e = thresholds(&file.analysis, Some(Path::new("c.toml")), &ThresholdFlags::default()).unwrap_err();
        assert!(matches!(&e, ConfigError::Value { key, .. } if key == "burst_gap"), "{e:?}");
        assert!(e.to_string().starts_with("config c.toml: burst_gap: expected a positive duration"), "{e}");
        // A flag's error names the flag, even with a file in use.
        let file = parse("[analysis]\nflood_min = 3\n").unwrap();
        let flags = ThresholdFlags::from([("flood_min", "0".to_owned())]);
        let e = thresholds(&file.analysis, Some(Path::new("c.toml")), &flags).unwrap_err();
        assert_eq!(e, ConfigError::Flag { flag: "--flood-min".into(), reason: "must be at least 1".into() });
        let flags = ThresholdFlags::from([("burst_gap", "soon".to_owned())]);
        assert!(matches!(thresholds(&AnalysisConfig::default(), None, &flags), Err(ConfigError::Flag { .. })));
    }

    #[test]
    fn the_shipped_example_is_valid() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/config.example.toml")).unwrap();
        let file = parse(&text).unwrap();
        assert_eq!(thresholds(&file.analysis, None, &ThresholdFlags::default()).unwrap(), Thresholds::default());
        // The example shows every threshold at its default.
        for t in THRESHOLDS {
            assert!(text.contains(&format!("{} = ", t.key)), "{} missing from the example", t.key);
        }
    }
}
