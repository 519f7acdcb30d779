//! `linelens report` as a user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use linelens::report::Report;
use predicates::prelude::*;

/// The binary, with no user config file in reach.
fn linelens() -> Command {
    let mut c = Command::cargo_bin("linelens").unwrap();
    c.env("HOME", "/nonexistent-linelens-home").env("XDG_CONFIG_HOME", "/nonexistent-linelens-home/.config");
    c
}

fn data(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(p).display().to_string()
}

fn json_report(args: &[&str]) -> Report {
    let out = linelens().arg("report").arg("--format").arg("json").args(args).assert().success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn json_report_of_a_mixed_directory() {
    let r = json_report(&[&data("mixed")]);
    assert_eq!(r.schema, 1);
    let t = &r.totals;
    assert_eq!(
        (t.api_requests, t.webhook_receipts, t.webhook_events, t.miniapp_requests, t.header_rows, t.unparsed),
        (3, 2, 2, 2, 3, 2)
    );
    assert_eq!(r.time_range.first.as_deref(), Some("2021-07-05T08:10:00.000Z"));
    assert_eq!(r.time_range.last.as_deref(), Some("2021-07-16T10:20:24.000Z"));
    assert_eq!(r.status_counts.api.get("429"), Some(&1));
    assert_eq!(r.status_counts.api.get("404"), Some(&1));
    assert_eq!(r.status_counts.miniapp.get("429"), Some(&1));
    assert_eq!(r.status_counts.webhook.get("200"), Some(&2));
    // hidden folder skipped; files in name order, nested ones included
    let paths: Vec<&str> = r.sources.iter().map(|s| s.path.rsplit("mixed/").next().unwrap()).collect();
    assert_eq!(paths, ["api.log", "miniapp.md", "nested/webhook.jsonl"]);
    assert_eq!((r.sources[0].records, r.sources[0].unparsed, r.sources[0].header_rows), (3, 1, 1));
    assert_eq!(r.unparsed_examples.len(), 2);
    assert!(r.unparsed_examples[0].source.ends_with("api.log"));
    assert_eq!(r.unparsed_examples[0].line, 6);
    assert_eq!(r.unparsed_examples[0].text, "this line is junk");
}

#[test]
fn text_report_is_readable() {
    linelens()
        .args(["report", &data("mixed")])
        .assert()
        .success()
        .stdout(predicate::str::contains("3 files"))
        .stdout(predicate::str::contains("7 records"))
        .stdout(predicate::str::contains("429 ×1"))
        .stdout(predicate::str::contains("api.log:6  this line is junk"));
}

#[test]
fn missing_path_exits_2_with_one_line() {
    let out = linelens().args(["report", "/nonexistent/linelens-logs"]).assert().code(2).stdout("");
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/linelens-logs"), "{err}");
}

#[test]
fn bad_flags_exit_2() {
    linelens()
        .args(["report", "--since", "yesterday", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--since"));
    linelens().args(["report", "--format", "xml", "."]).assert().code(2);
}

#[test]
fn stdin_is_read_with_dash() {
    let input =
        "8e36bade Mon, 05 Jul 2021 08:14:35 GMT POST https://api.line.me/v2/bot/message/push 200\r\n\r\njunk\r\n";
    let out = linelens().args(["report", "--format", "json", "-"]).write_stdin(input).assert().success();
    let r: Report = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!((r.totals.api_requests, r.totals.unparsed), (1, 1));
    assert_eq!(r.sources[0].path, "-");
    // gzip on standard input too
    let out = linelens().args(["report", "--format", "json", "-"]).write_stdin(gz(input.as_bytes())).assert().success();
    let r: Report = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(r.sources[0].compressed);
    assert_eq!(r.totals.api_requests, 1);
}

#[cfg(unix)]
#[test]
fn unreadable_binary_gzip_crlf_and_huge_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let line = "8e36bade Mon, 05 Jul 2021 08:14:35 GMT POST https://api.line.me/v2/bot/message/push 200";
    std::fs::write(d.join("a.log"), format!("{line}\r\n{line}\r\n")).unwrap();
    // rotated and gzipped, recognised by content whatever the name
    std::fs::write(d.join("a.log.2.gz"), gz(format!("{line}\n").as_bytes())).unwrap();
    std::fs::write(d.join("archived"), gz(format!("{line}\n{line}\n").as_bytes())).unwrap();
    std::fs::write(d.join("logo.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0").unwrap();
    let mut huge = format!("{line}\n").into_bytes();
    huge.extend(std::iter::repeat_n(b'x', 8 << 20));
    huge.extend(format!("\n{line}\n").bytes());
    std::fs::write(d.join("huge.log"), huge).unwrap();
    std::fs::write(d.join("junk.log"), b"\xff\xfe invalid utf-8 \x00 here\nok line\n").unwrap();
    std::os::unix::fs::symlink(d.join("gone"), d.join("dangling.log")).unwrap();
    let out = linelens()
        .args(["report", "--format", "json", d.to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::contains("dangling.log"));
    let r: Report = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let src = |name: &str| r.sources.iter().find(|s| s.path.ends_with(name)).unwrap();
    assert_eq!(src("a.log").records, 2);
    assert!(src("a.log.2.gz").compressed);
    assert_eq!(src("a.log.2.gz").records, 1);
    assert!(src("archived").compressed);
    assert_eq!(src("archived").records, 2);
    assert_eq!(src("logo.png").skipped.as_deref(), Some("binary (PNG image)"));
    assert_eq!((src("huge.log").records, src("huge.log").unparsed), (2, 1));
    assert_eq!(src("junk.log").unparsed, 2);
    assert!(src("dangling.log").error.as_deref().unwrap().contains("no such file"));
    assert_eq!(r.totals.api_requests, 7);
}

#[test]
fn since_and_until_narrow_the_window() {
    let r = json_report(&["--since", "2021-07-05T08:14:36Z", "--until", "2021-07-05T08:14:37Z", &data("mixed")]);
    assert_eq!(r.totals.api_requests, 1);
    assert_eq!(r.totals.unparsed, 2, "unparsed lines are never filtered out");
    // a duration back from now: everything in the fixture is years old
    let r = json_report(&["--since", "1d", &data("mixed")]);
    assert_eq!(r.totals.api_requests + r.totals.webhook_receipts + r.totals.miniapp_requests, 0);
}

#[test]
fn version_and_help() {
    linelens().arg("--version").assert().success().stdout(predicate::str::starts_with("linelens "));
    linelens().arg("--help").assert().success().stdout(predicate::str::contains("Examples:"));
    linelens().args(["report", "--help"]).assert().success().stdout(predicate::str::contains("--since"));
}

#[test]
fn closed_stdout_exits_quietly() {
    // Enough sources that the JSON document is larger than a pipe buffer.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..1500 {
        std::fs::write(dir.path().join(format!("file-with-a-rather-long-name-{i:05}.log")), "x\n").unwrap();
    }
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("linelens"))
        .args(["report", "--format", "json", dir.path().to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child.stderr.as_mut().unwrap().read_to_string(&mut err).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?} {err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn sample_logs_report() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-logs");
    let r = json_report(&[sample.to_str().unwrap()]);
    assert_eq!(r.sources.len(), 13);
    assert!(r.sources.iter().all(|s| s.error.is_none() && s.skipped.is_none()));
    assert_eq!(r.sources.iter().filter(|s| s.compressed).count(), 2);
    // Health checks are `http` records; bot-c's nginx log holds its
    // webhook receipts, six answered 500 at :25.
    assert_eq!((r.totals.unparsed, r.totals.http_requests), (29, 361));
    assert_eq!(r.status_counts.http.get("200"), Some(&361));
    assert_eq!(r.status_counts.webhook.get("500"), Some(&9));
    let src = |p: &str| r.sources.iter().find(|s| s.path.ends_with(p)).unwrap();
    let names: Vec<&str> = src("bot-b/webhook.log").formats.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["line-guideline", "ncsa-combined"]);
    let nginx = src("bot-c/nginx-access.log");
    assert_eq!((nginx.line_records, nginx.http_requests, nginx.no_line_traffic), (188, 360, false));
    // bot-c's Python logging in a CRI file: log entries; 182 replies logged
    // as the SDK v3's README shows (three lines each: one API record); six
    // tracebacks joined to their error lines, each ending in the SDK v3's
    // `ApiException` block (one API 400 record); six logged bodies.
    let app = src("bot-c/app.log");
    assert_eq!((app.log_entries, app.continuation_lines, app.unparsed), (194, 412, 0));
    assert_eq!(app.line_records, 194);
    let names: Vec<&str> = app.formats.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["timed-text", "sdk-error", "webhook-body"]);
    // bot-d's wire log: 58 exchanges; its 8 exceptions (the 429s again) and
    // the start line are log lines; the time-of-day lines all dated.
    let java = src("bot-d/app.log");
    assert_eq!((java.line_records, java.log_entries, java.unparsed), (58, 9, 0));
    assert!(src("bot-c/worker.out").no_line_traffic);
    // Header rows are listed where they are.
    assert_eq!(r.header_row_examples.len(), 5);
    assert!(r.header_row_examples.iter().any(|e| e.source.ends_with("bot-b/api.log") && e.line == 1));
    assert_eq!(
        r.unparsed_shapes.first().map(|s| (s.shape.as_str(), s.count)),
        Some(("Batches: 0%|█ | 0/0 [0:0<0:0, 0.0it/s]", 22))
    );
    assert_eq!(r.status_counts.api.get("429"), Some(&67));
    assert_eq!(r.status_counts.miniapp.get("429"), Some(&8));
    assert!(r.totals.webhook_events > 500);
}

#[test]
fn no_path_means_the_current_directory() {
    let out = linelens().current_dir(data("mixed")).args(["report", "--format", "json"]).assert().success();
    let r: Report = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(r.sources.len(), 3);
}

#[test]
fn the_screen_without_a_terminal_says_so() {
    let out = linelens().arg(data("mixed")).assert().code(2).stdout("");
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("needs a terminal") && err.contains("linelens report"), "{err}");
}

#[test]
fn three_days_of_bursts_are_grouped_in_text_and_listed_whole_in_json() {
    let out = linelens().args(["report", &data("three-days")]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("429 bursts   77 in 2 groups"), "{text}");
    assert!(
        text.contains(
            "  ‼ api     /v2/bot/message/push ×66 bursts  2026-11-20 09:20:00 → 2026-11-23 02:20:05  largest ×40 at 2026-11-20 09:20:00"
        ),
        "{text}"
    );
    // The first three occurrences, dated, then how many more.
    assert!(text.contains("      ‼ api     2026-11-20 10:20:00.000–10:20:06.042  ×7"), "{text}");
    assert!(text.contains("      … 63 more (--all lists every one)"), "{text}");
    assert!(!text.contains("2026-11-20 12:20:00.000"), "the fourth is not listed: {text}");
    let all = linelens().args(["report", "--all", &data("three-days")]).assert().success();
    let all = String::from_utf8(all.get_output().stdout.clone()).unwrap();
    assert!(all.contains("2026-11-23 02:20:00.000–02:20:05.035") && !all.contains("more (--all"), "{all}");
    assert_eq!(all.lines().filter(|l| l.contains("/v2/bot/message/push ×") && l.starts_with("      ")).count(), 66);
    // JSON: every occurrence, and the groups naming them.
    let r = json_report(&[&data("three-days")]);
    assert_eq!(r.bursts.len(), 77);
    let push = r.groups.iter().find(|g| g.key == "api /v2/bot/message/push").unwrap();
    assert_eq!((push.section.as_str(), push.count, push.members.len()), ("bursts", 66, 66));
    assert_eq!(r.bursts[push.largest].count, 40);
    let members: Vec<&str> = push.members.iter().map(|&i| r.bursts[i].start.as_str()).collect();
    assert!(members.windows(2).all(|w| w[0] <= w[1]), "in time order");
    assert!(r.findings.iter().all(|f| f.group == f.rule));
}

#[test]
fn a_short_list_is_not_grouped() {
    // The sample's 4 bursts and 34 findings: listed one by one, as always.
    let out =
        linelens().args(["report", "assets/sample-logs"]).current_dir(env!("CARGO_MANIFEST_DIR")).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("429 bursts   4\n") && text.contains("findings     34 (11 error"), "{text}");
    assert!(!text.contains(" groups") && !text.contains("more (--all"), "{text}");
}

#[test]
fn audit_groups_a_long_list_the_same_way() {
    let d = tempfile::tempdir().unwrap();
    // log-completeness finds once per file: 60 files without request IDs give 60 findings of one rule.
    for h in 0..60 {
        std::fs::write(
            d.path().join(format!("api-{h:02}.log")),
            format!("{{\"kind\":\"api\",\"time\":\"2026-11-2{}T{:02}:00:00Z\",\"method\":\"POST\",\"endpoint\":\"https://api.line.me/v2/bot/message/push\",\"status\":200}}\n", h / 24, h % 24),
        )
        .unwrap();
    }
    let out = linelens().args(["audit", "--fail-on", "error"]).arg(d.path()).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("in 1 group") || text.contains(" groups"), "{text}");
    assert!(text.contains("log-completeness    ×") && text.contains("more (--all lists every one)"), "{text}");
    let all = linelens().args(["audit", "--all", "--fail-on", "error"]).arg(d.path()).assert().success();
    let all = String::from_utf8(all.get_output().stdout.clone()).unwrap();
    assert!(!all.contains("more (--all"), "{all}");
}
