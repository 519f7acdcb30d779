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

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("config {path}: {reason}")]
    Invalid { path: String, reason: String },
}

/// A duration: `"10s"`, `"1m"`, `"500ms"`, or a number of seconds.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum DurationValue {
    Seconds(u64),
    Text(String),
}

impl DurationValue {
    fn millis(&self, key: &str) -> Result<Millis, String> {
        match self {
            DurationValue::Seconds(s) => i64::try_from(*s).ok().and_then(|s| s.checked_mul(1000)),
            DurationValue::Text(t) => parse_duration(t.trim()),
        }
        .filter(|&ms| ms > 0)
        .ok_or_else(|| format!("{key}: expected a positive duration such as \"10s\", \"2m\" or 10"))
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AnalysisConfig {
    pub burst_gap: Option<DurationValue>,
    pub burst_min: Option<u64>,
    pub flood_min: Option<u64>,
    pub flood_window: Option<DurationValue>,
    pub inbound_flood_min: Option<u64>,
    pub inbound_flood_window: Option<DurationValue>,
    pub infer_window: Option<DurationValue>,
}

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

/// Threshold values given on the command line (all optional).
#[derive(Debug, Clone, Default)]
pub struct ThresholdFlags {
    pub burst_gap: Option<String>,
    pub burst_min: Option<u64>,
    pub flood_min: Option<u64>,
    pub flood_window: Option<String>,
    pub inbound_flood_min: Option<u64>,
    pub inbound_flood_window: Option<String>,
    pub infer_window: Option<String>,
}

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

/// Parse config text; the error is one line.
pub fn parse(text: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| e.message().replace('\n', " "))
}

/// Flags over file over defaults.
pub fn thresholds(file: &AnalysisConfig, flags: &ThresholdFlags) -> Result<Thresholds, String> {
    let d = Thresholds::default();
    let dur = |flag: &Option<String>, file: &Option<DurationValue>, key: &str, default: Millis| match (flag, file) {
        (Some(f), _) => DurationValue::Text(f.clone()).millis(&format!("--{}", key.replace('_', "-"))),
        (None, Some(v)) => v.millis(key),
        (None, None) => Ok(default),
    };
    let count = |flag: Option<u64>, file: Option<u64>, key: &str, default: u64| {
        let v = flag.or(file).unwrap_or(default);
        if v == 0 { Err(format!("{key}: must be at least 1")) } else { Ok(v) }
    };
    let a = file;
    Ok(Thresholds {
        burst_gap: dur(&flags.burst_gap, &a.burst_gap, "burst_gap", d.burst_gap)?,
        burst_min: count(flags.burst_min, a.burst_min, "burst_min", d.burst_min)?,
        flood_min: count(flags.flood_min, a.flood_min, "flood_min", d.flood_min as u64)? as usize,
        flood_window: dur(&flags.flood_window, &a.flood_window, "flood_window", d.flood_window)?,
        inbound_flood_min: count(
            flags.inbound_flood_min,
            a.inbound_flood_min,
            "inbound_flood_min",
            d.inbound_flood_min as u64,
        )? as usize,
        inbound_flood_window: dur(
            &flags.inbound_flood_window,
            &a.inbound_flood_window,
            "inbound_flood_window",
            d.inbound_flood_window,
        )?,
        infer_window: dur(&flags.infer_window, &a.infer_window, "infer_window", d.infer_window)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_flags_file_defaults() {
        let file = parse("[analysis]\nburst_gap = \"20s\"\nburst_min = 7\nflood_window = 30\n").unwrap();
        let flags = ThresholdFlags { burst_min: Some(3), ..Default::default() };
        let t = thresholds(&file.analysis, &flags).unwrap();
        assert_eq!(t.burst_gap, 20_000); // file
        assert_eq!(t.burst_min, 3); // flag over file
        assert_eq!(t.flood_window, 30_000); // file, seconds
        assert_eq!(t.flood_min, 10); // default
        assert_eq!(thresholds(&AnalysisConfig::default(), &ThresholdFlags::default()).unwrap(), Thresholds::default());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected() {
        let e = parse("[analysis]\nburst_gapp = \"10s\"\n").unwrap_err();
        assert!(e.contains("burst_gapp"), "{e}");
        assert!(!e.contains('\n'));
        assert!(parse("[analysys]\n").unwrap_err().contains("analysys"));
        let file = parse("[analysis]\nburst_gap = \"soon\"\n").unwrap();
        assert!(thresholds(&file.analysis, &ThresholdFlags::default()).unwrap_err().contains("burst_gap"));
        let flags = ThresholdFlags { flood_min: Some(0), ..Default::default() };
        assert!(thresholds(&AnalysisConfig::default(), &flags).is_err());
    }

    #[test]
    fn the_shipped_example_is_valid() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/config.example.toml")).unwrap();
        let file = parse(&text).unwrap();
        assert_eq!(thresholds(&file.analysis, &ThresholdFlags::default()).unwrap(), Thresholds::default());
    }
}
