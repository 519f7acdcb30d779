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

/// The Java SDK's wire log under logback's default pattern (a time of day
/// and no date): one API record per exchange, dated from the line before
/// it (across midnight), or from the file's last change when no line has a
/// date; marked as inferred.
#[test]
fn wire_log_exchanges_with_inferred_dates() {
    let home = tempfile::tempdir().unwrap();
    let wire = |clock: &str, msg: &str| format!("{clock} [http-nio-8080-exec-1] INFO  c.l.bot.client.wire - {msg}\n");
    let exchange = |t1: &str, t2: &str, id: &str| {
        [
            wire(t1, "--> POST https://api.line.me/v2/bot/message/push"),
            wire(t1, "Content-Type: application/json; charset=UTF-8"),
            wire(t1, "X-Line-Retry-Key: 5f0c8a7e-1b2d-4c3e-9f8a-7b6c5d4e3f2a"),
            wire(t1, ""),
            wire(t1, r#"{"to":"U4af4980629a0f1a5e3f5e3d3b9b1e0c1","messages":[{"type":"text","text":"hi"}]}"#),
            wire(t1, "--> END POST (82-byte body)"),
            wire(t2, "<-- 429 https://api.line.me/v2/bot/message/push (223ms)"),
            wire(t2, &format!("x-line-request-id: {id}")),
            wire(t2, ""),
            wire(t2, r#"{"message":"You have reached your monthly limit."}"#),
            wire(t2, "<-- END HTTP (52-byte body)"),
        ]
        .concat()
    };
    let dated = home.path().join("dated.log");
    let text = format!(
        "2026-11-20 23:59:58.000 [main] INFO c.e.Bot - started\n{}{}",
        exchange("23:59:59.100", "23:59:59.323", "a1b2c3d4-0000-4000-8000-000000000001"),
        exchange("00:00:01.100", "00:00:01.400", "a1b2c3d4-0000-4000-8000-000000000002")
    );
    std::fs::write(&dated, text).unwrap();
    let undated = home.path().join("undated.log");
    std::fs::write(&undated, exchange("09:15:00.000", "09:15:00.250", "a1b2c3d4-0000-4000-8000-000000000003")).unwrap();
    let noon = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_763_726_400); // 2025-11-21T12:00:00Z
    std::fs::File::options().write(true).open(&undated).unwrap().set_modified(noon).unwrap();

    let report = linelens(home.path()).args(["report", "--format", "json"]).arg(home.path()).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&report.get_output().stdout).unwrap();
    assert_eq!(
        (v["totals"]["api_requests"].as_u64(), v["totals"]["unparsed"].as_u64()),
        (Some(3), Some(0)),
        "{}",
        v["totals"]
    );
    for (id, time) in [
        ("a1b2c3d4-0000-4000-8000-000000000001", "2026-11-20T23:59:59.100Z"),
        ("a1b2c3d4-0000-4000-8000-000000000002", "2026-11-21T00:00:01.100Z"),
        ("a1b2c3d4-0000-4000-8000-000000000003", "2025-11-21T09:15:00.000Z"),
    ] {
        let out = linelens(home.path())
            .args(["lookup", "--format", "json", "--request-id", id])
            .arg(home.path())
            .assert()
            .success();
        let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        let r = &v["records"][0]["request"];
        assert_eq!(
            (r["time"].as_str(), r["time_inferred"].as_bool(), r["status"].as_u64()),
            (Some(time), Some(true), Some(429)),
            "{id}"
        );
        assert_eq!(v["records"][0]["fields"]["retry_key"], "5f0c8a7e-1b2d-4c3e-9f8a-7b6c5d4e3f2a");
    }
    // `tail` reads the same exchanges, dated the same way.
    let out = linelens(home.path())
        .args(["tail", "--from-start"])
        .arg(&dated)
        .timeout(std::time::Duration::from_secs(3))
        .assert();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let api: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "api")
        .collect();
    assert_eq!(api.len(), 2, "{stdout}");
    assert_eq!(api[1]["time"], "2026-11-21T00:00:01.100Z");
    assert_eq!((api[1]["time_inferred"].as_bool(), api[1]["status"].as_u64()), (Some(true), Some(429)));
    assert_eq!(api[1]["request_body"]["to"], "U4af4980629a0f1a5e3f5e3d3b9b1e0c1");
}
