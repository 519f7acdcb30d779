//! `linelens formats`, and formats and webhook paths added in the config
//! file, through the binary (they are installed once per process).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;
use linelens::report::Report;
use predicates::prelude::*;

fn linelens(home: &Path) -> Command {
    let mut c = Command::cargo_bin("linelens").unwrap();
    c.env("HOME", home).env("XDG_CONFIG_HOME", home.join(".config"));
    c
}

const CONFIG: &str = r#"
webhook_paths = ["/hooks/line"]

[[formats]]
name = "nginx-timed"
regex = '^(?P<ip>\S+) - \S+ \[(?P<time>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) \S+ rt=(?P<duration_ms>[\d.]+)'
time_format = "%d/%b/%Y:%H:%M:%S %z"
samples = [
  { line = '147.92.150.193 - - [20/Nov/2026:08:00:00 +0900] "POST /callback HTTP/1.1" 200 2 rt=12', fields = { kind = "webhook", status = "200" } },
]
"#;

#[test]
fn the_formats_command_lists_every_format_with_a_sample() {
    let home = tempfile::tempdir().unwrap();
    let out = linelens(home.path()).args(["formats", "--format", "json"]).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let names: Vec<&str> = v.as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    for n in ["line-guideline", "line-json", "ncsa-combined", "uvicorn", "heroku-router", "timed-text", "cri", "syslog"]
    {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    assert!(v.as_array().unwrap().iter().all(|f| !f["samples"].as_array().unwrap().is_empty()));
    linelens(home.path()).arg("formats").assert().success().stdout(predicate::str::contains("e.g. 10.24.4.132 - -"));
}

#[test]
fn user_formats_come_first_and_webhook_paths_count() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, CONFIG).unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(
        logs.join("access.log"),
        concat!(
            "147.92.150.193 - - [20/Nov/2026:08:00:00 +0900] \"POST /callback HTTP/1.1\" 500 2 rt=2500\n",
            "10.0.0.1 - - [20/Nov/2026:08:00:01 +0900] \"GET /healthz HTTP/1.1\" 200 2 rt=1\n",
            // Not the user's format (no rt=): read by the built-in one; the
            // configured path makes it a webhook receipt.
            "147.92.150.194 - - [20/Nov/2026:08:00:02 +0900] \"POST /hooks/line HTTP/1.1\" 200 2\n",
        ),
    )
    .unwrap();
    let out =
        linelens(home.path()).args(["report", "--format", "json", "--config"]).arg(&cfg).arg(&logs).assert().success();
    let r: Report = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!((r.totals.webhook_receipts, r.totals.http_requests), (2, 1));
    let names: Vec<(&str, u64)> = r.sources[0].formats.iter().map(|f| (f.name.as_str(), f.lines)).collect();
    assert_eq!(names, [("nginx-timed", 2), ("ncsa-combined", 1)]);
    assert_eq!(r.time_range.first.as_deref(), Some("2026-11-19T23:00:00.000Z"));
    linelens(home.path())
        .args(["formats", "--config"])
        .arg(&cfg)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("nginx-timed"));
}

#[test]
fn a_failing_sample_is_a_config_error() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, CONFIG.replace(r#"status = "200""#, r#"status = "404""#)).unwrap();
    linelens(home.path())
        .args(["report", "--config"])
        .arg(&cfg)
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("format nginx-timed: sample 1: status is \"200\", not \"404\""));
}

#[test]
fn a_syslog_time_takes_its_year_from_the_files_last_change() {
    // `Dec 31` in a file last written on 1 January 2024 was written in 2023,
    // whatever year the tool runs in.
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("syslog");
    std::fs::write(&path, "Dec 31 23:59:00 host app[1]: worker started\nJan  1 00:00:05 host app[1]: tick\n").unwrap();
    let jan_first = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_704_103_200); // 2024-01-01T10:00:00Z
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(jan_first).unwrap();
    let out = linelens(home.path()).args(["report", "--format", "json"]).arg(&path).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["time_range"]["first"], "2023-12-31T23:59:00.000Z");
    assert_eq!(v["time_range"]["last"], "2024-01-01T00:00:05.000Z");
}

/// A Cloud Logging request entry, pretty-printed as `gcloud logging read
/// --format json` prints it (inside its array: indented by two).
fn pretty_entry(i: usize) -> String {
    format!(
        "  {{\n    \"httpRequest\": {{\n      \"requestMethod\": \"POST\",\n      \"requestUrl\": \"https://bot.example.com/callback\",\n      \"status\": 500,\n      \"userAgent\": \"LineBotWebhook/2.0\",\n      \"remoteIp\": \"147.92.150.{}\",\n      \"latency\": \"0.{:03}s\"\n    }},\n    \"resource\": {{\n      \"labels\": {{\n        \"service_name\": \"bot\"\n      }}\n    }},\n    \"severity\": \"ERROR\",\n    \"timestamp\": \"2026-11-20T08:{:02}:{:02}.{:03}Z\"\n  }},\n",
        i % 250,
        i % 1000,
        (i / 60) % 60,
        i % 60,
        i % 1000
    )
}

#[test]
fn pretty_printed_entries_are_one_record_each_across_blocks() {
    // More than two read blocks of entries: the ones a block's end would
    // cut stay whole.
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("cloudrun.json");
    let n = 4000;
    let mut text = String::from("[\n");
    for i in 0..n {
        text.push_str(&pretty_entry(i));
    }
    text.push_str("]\n");
    assert!(text.len() > 2 * (512 << 10), "{}", text.len());
    std::fs::write(&path, &text).unwrap();
    let out = linelens(home.path()).args(["report", "--format", "json"]).arg(&path).assert();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["totals"]["webhook_receipts"], n as u64, "{}", v["totals"]);
    // `[` stands alone, visible; `]` closes the last entry.
    assert_eq!(v["totals"]["unparsed"], 1);
    assert_eq!(v["totals"]["continuation_lines"], (n * 16 + 1) as u64);
    // `tail` prints each entry once, as one record.
    let out = linelens(home.path())
        .args(["tail", "--from-start"])
        .arg(&path)
        .timeout(std::time::Duration::from_secs(3))
        .assert();
    let records = String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .filter(|l| l.contains("\"kind\":\"webhook\""))
        .count();
    assert_eq!(records, n);
}
