//! `report` findings on the sample logs, `lookup`, and the config file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use linelens::analysis::{BurstSource, Direction};
use linelens::report::Report;
use linelens::report::lookup::Lookup;
use predicates::prelude::*;

fn sample() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-logs").display().to_string()
}

/// The binary with a home of its own, so no user config file is read.
fn linelens(home: &Path) -> Command {
    let mut c = Command::cargo_bin("linelens").unwrap();
    c.env("HOME", home).env("XDG_CONFIG_HOME", home.join(".config"));
    c
}

fn report(home: &Path, extra: &[&str]) -> Report {
    let out = linelens(home).args(["report", "--format", "json"]).args(extra).arg(sample()).assert().success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

/// The request ID of the n-th line of a sample file matching `needle`.
fn request_id(file: &str, needle: &str, n: usize) -> String {
    let text = std::fs::read_to_string(PathBuf::from(sample()).join(file)).unwrap();
    let line = text.lines().filter(|l| l.contains(needle)).nth(n).unwrap();
    if line.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        v["request_id"].as_str().unwrap().to_owned()
    } else {
        line.split_whitespace().next().unwrap().to_owned()
    }
}

fn lookup(home: &Path, id: &str) -> Lookup {
    let out = linelens(home).args(["lookup", "--format", "json", "--request-id", id, &sample()]).assert().success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

#[test]
fn report_shows_exactly_what_the_generator_planted() {
    let home = tempfile::tempdir().unwrap();
    let r = report(home.path(), &[]);
    let bursts: Vec<(BurstSource, &str, &str, u64)> =
        r.bursts.iter().map(|b| (b.source, b.start.as_str(), b.end.as_str(), b.count)).collect();
    assert_eq!(
        bursts,
        [
            (BurstSource::Api, "2026-11-20T08:20:00.000Z", "2026-11-20T08:20:29.000Z", 40),
            (BurstSource::Api, "2026-11-20T08:10:00.000Z", "2026-11-20T08:10:16.000Z", 12),
            // bot-d's monthly limit: eight pushes refused, each in the wire
            // log and raised as the SDK's exception, counted once.
            (BurstSource::Api, "2026-11-20T08:30:00.000Z", "2026-11-20T08:30:49.000Z", 8),
            (BurstSource::MiniApp, "2026-11-20T08:35:00.000Z", "2026-11-20T08:35:10.000Z", 8),
        ]
    );
    assert_eq!(r.bursts[0].endpoints.get("/v2/bot/message/push"), Some(&40));
    let floods: Vec<(&str, Direction, &str, u64)> =
        r.floods.iter().map(|f| (f.user_id.as_str(), f.direction, f.start.as_str(), f.count)).collect();
    assert_eq!(
        floods,
        [
            ("U68be2a33f1b2c4d5e6f708192a3b8a49", Direction::Outbound, "2026-11-20T08:15:00.000Z", 25),
            ("U9b6e5d4c3b2a19080706f5e4d3c2d888", Direction::Inbound, "2026-11-20T08:50:00.000Z", 15),
            // the bot replied to each of those 15 messages
            ("U9b6e5d4c3b2a19080706f5e4d3c2d888", Direction::Outbound, "2026-11-20T08:50:00.300Z", 15),
        ]
    );
    // Cross-checked by an independent computation over the raw files.
    let c = r.correlation;
    // (bot-c's six logged bodies at :25 carry reply tokens whose replies
    // failed with "Invalid reply token": unreplied.)
    assert_eq!((c.events_with_reply_token, c.replied, c.unreplied, c.replies_without_event), (758, 705, 53, 6));
}

#[test]
fn thresholds_from_flags_and_config_file() {
    let home = tempfile::tempdir().unwrap();
    assert!(report(home.path(), &["--burst-min", "41"]).bursts.is_empty());
    assert_eq!(report(home.path(), &["--burst-min", "4"]).bursts.len(), 5, "the near miss of 4 becomes a burst");
    let cfg = home.path().join("c.toml");
    std::fs::write(&cfg, "[analysis]\nburst_min = 13\nflood_min = 26\n").unwrap();
    let r = report(home.path(), &["--config", cfg.to_str().unwrap()]);
    assert_eq!(r.bursts.len(), 1);
    assert!(r.floods.iter().all(|f| f.direction == Direction::Inbound));
    // a flag beats the file
    let r = report(home.path(), &["--config", cfg.to_str().unwrap(), "--burst-min", "5"]);
    assert_eq!(r.bursts.len(), 4);
    // the default location is read when present
    let dir = home.path().join(".config/linelens");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), "[analysis]\nburst_min = 100\n").unwrap();
    assert!(report(home.path(), &[]).bursts.is_empty());
}

#[test]
fn bad_config_is_one_clear_line_and_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("c.toml");
    std::fs::write(&cfg, "[analysis]\nburst_gapp = \"10s\"\n").unwrap();
    let out = linelens(home.path())
        .args(["report", "--config", cfg.to_str().unwrap(), &sample()])
        .assert()
        .code(2)
        .stdout("");
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("c.toml") && err.contains("burst_gapp"), "{err}");
    linelens(home.path())
        .args(["report", "--config", "/nonexistent/linelens.toml", &sample()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/linelens.toml"));
    linelens(home.path())
        .args(["report", "--burst-gap", "soon", &sample()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--burst-gap"));
}

#[test]
fn lookup_a_reply_shows_the_event_it_answered() {
    let home = tempfile::tempdir().unwrap();
    let id = request_id("bot-a/api.jsonl", "message/reply", 3);
    let l = lookup(home.path(), &id);
    assert_eq!(l.records.len(), 1);
    let f = &l.records[0];
    assert_eq!(f.request.request_id.as_deref(), Some(id.as_str()));
    assert_eq!(f.answered_events.len(), 1);
    let e = &f.answered_events[0];
    assert_eq!(e.event_type.as_deref(), Some("message"));
    assert!(e.webhook_event_id.as_deref().is_some_and(|x| x.starts_with("01")));
    assert!(e.user_id.as_deref().is_some_and(|u| u.starts_with('U')));
    assert_eq!(e.receipt.status, Some(200));
    assert!(f.fields.contains_key("request_body"));
    assert!(f.inferred_webhook.is_none(), "the body links it exactly");
}

#[test]
fn lookup_a_409_shows_its_retries_and_the_accepted_request() {
    let home = tempfile::tempdir().unwrap();
    let id = request_id("bot-a/api.jsonl", "\"status\":409", 0);
    let f = lookup(home.path(), &id).records.remove(0);
    let rel: Vec<(&str, Option<u16>)> = f.retries.iter().map(|r| (r.relation.as_str(), r.record.status)).collect();
    assert_eq!(rel, [("same retry key", Some(500)), ("same retry key", Some(200)), ("accepted request", Some(200))]);
    // and the accepted request points back at the 409
    let accepted = f.retries[2].record.request_id.clone().unwrap();
    let g = lookup(home.path(), &accepted).records.remove(0);
    assert!(g.retries.iter().any(|r| r.relation == "accepted by" && r.record.status == Some(409)));
}

#[test]
fn lookup_shows_burst_and_flood_membership_and_inferred_links() {
    let home = tempfile::tempdir().unwrap();
    let id = request_id("bot-a/api.jsonl", "\"status\":429", 5);
    let f = lookup(home.path(), &id).records.remove(0);
    assert_eq!(f.burst.as_ref().map(|b| b.count), Some(40));
    let id = request_id("bot-a/api.jsonl", "U68be2a33f1b2c4d5e6f708192a3b8a49", 0);
    let f = lookup(home.path(), &id).records.remove(0);
    assert_eq!(f.floods.iter().map(|x| x.count).collect::<Vec<_>>(), [25]);
    // a text-log reply has no body: only an inferred link, labelled so
    let id = request_id("bot-b/api.log", "message/reply", 2);
    let f = lookup(home.path(), &id).records.remove(0);
    assert!(f.answered_events.is_empty());
    let i = f.inferred_webhook.expect("a webhook shortly before");
    assert_eq!(i.label, "inferred by time");
    assert!(i.seconds_before <= 2.0);
    linelens(home.path())
        .args(["lookup", "--request-id", &id, &sample()])
        .assert()
        .success()
        .stdout(predicate::str::contains("inferred by time, not an exact link"));
}

#[test]
fn lookup_of_an_unknown_id_exits_1() {
    let home = tempfile::tempdir().unwrap();
    linelens(home.path())
        .args(["lookup", "--request-id", "00000000-0000-0000-0000-000000000000", &sample()])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("00000000-0000-0000-0000-000000000000"));
}

/// SDKs' error output carries request IDs: `lookup` finds them as records.
#[test]
fn lookup_finds_the_request_id_of_an_sdk_error() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bot.log"),
        "[2023-04-01 23:48:37,569] ERROR in app: Exception on /callback [POST]\n\
         Traceback (most recent call last):\n\
         \x20 File \"app.py\", line 58, in callback\n\
         linebot.exceptions.LineBotApiError: LineBotApiError: status_code=400, request_id=f3a62d1e-fe44-4848-995f-88013d707d95, error_response={\"details\": [], \"message\": \"Invalid reply token\"}, headers={}\n",
    )
    .unwrap();
    let out = linelens(home.path())
        .args(["lookup", "--request-id", "f3a62d1e-fe44-4848-995f-88013d707d95", "--format", "json"])
        .arg(dir.path())
        .assert()
        .success();
    let l: Lookup = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(l.records.len(), 1, "{l:?}");
    assert!(l.text_matches.is_empty());
    let out = linelens(home.path()).args(["report", "--format", "json"]).arg(dir.path()).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["status_counts"]["api"]["400"], 1, "{}", v["status_counts"]);
}

/// An ID no record carries is searched for in every line's text: found in
/// text, exit 0 with the lines; found nowhere, exit 1.
#[test]
fn lookup_falls_back_to_the_text_of_every_line() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, b"2026-11-20 08:00:01,000 ERROR push failed request_id=abc-123 status=429\n")
        .unwrap();
    std::fs::write(dir.path().join("app.log.1.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(dir.path().join("app.log"), "Error occurred: push failed, request abc-123\nunrelated\n").unwrap();
    let out = linelens(home.path())
        .args(["lookup", "--request-id", "abc-123", "--format", "json"])
        .arg(dir.path())
        .assert()
        .success();
    let l: Lookup = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(l.records.is_empty());
    let got: Vec<(String, u64, String)> = l
        .text_matches
        .iter()
        .map(|m| (Path::new(&m.source).file_name().unwrap().to_string_lossy().into_owned(), m.line, m.kind.clone()))
        .collect();
    assert_eq!(got, [("app.log".into(), 1, "unparsed".into()), ("app.log.1.gz".into(), 1, "log".into())]);
    linelens(home.path())
        .args(["lookup", "--request-id", "abc-123"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("app.log:1  [unparsed]  Error occurred"));
    linelens(home.path())
        .args(["lookup", "--request-id", "zzz-999"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no line holds it"));
}
