//! The machine-readable outputs scripts depend on, pinned on the shipped
//! sample: `report`, `audit`, `lookup` and `tail` as JSON (and `lookup` as
//! text). A renamed, dropped or reshaped field fails here; a deliberate
//! change is reviewed with `cargo insta review` and committed with the
//! snapshot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use assert_cmd::Command;

const SAMPLE: &str = "assets/sample-logs";

/// A request the sample answers with a 409 and a retry: its lookup shows
/// the request, its fields, bodies and retries.
const RETRIED: &str = "0af7133a-15d6-db7b-7077-56d9a75a324f";

/// The binary, run from the repository root (so sources are named as a
/// user names them) with no user config file or secret in reach.
fn linelens() -> Command {
    let mut c = Command::cargo_bin("linelens").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("HOME", "/nonexistent-linelens-home")
        .env("XDG_CONFIG_HOME", "/nonexistent-linelens-home/.config")
        .env_remove("LINE_CHANNEL_SECRET")
        .env_remove("LINELENS_MEMORY");
    c
}

fn stdout(c: &mut Command, code: i32) -> String {
    let out = c.assert().code(code);
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

/// Whether `text` is JSON (a document or, with `lines`, one per line).
fn assert_json(text: &str, lines: bool) {
    if lines {
        for l in text.lines() {
            serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        }
    } else {
        serde_json::from_str::<serde_json::Value>(text).unwrap();
    }
}

#[test]
fn report_json() {
    let out = stdout(linelens().args(["report", "--format", "json", SAMPLE]), 0);
    assert_json(&out, false);
    insta::assert_snapshot!("report_json", out);
}

#[test]
fn audit_json() {
    // The sample holds error-level findings: exit 1, as documented.
    let out = stdout(linelens().args(["audit", "--format", "json", SAMPLE]), 1);
    assert_json(&out, false);
    insta::assert_snapshot!("audit_json", out);
}

#[test]
fn lookup_json_and_text() {
    let json = stdout(linelens().args(["lookup", "--request-id", RETRIED, "--format", "json", SAMPLE]), 0);
    assert_json(&json, false);
    insta::assert_snapshot!("lookup_json", json);
    let text = stdout(linelens().args(["lookup", "--request-id", RETRIED, SAMPLE]), 0);
    insta::assert_snapshot!("lookup_text", text);
}

#[test]
fn tail_json_lines() {
    // Standard input is followed to its end: a request log, webhook
    // receipts with their bodies, and text lines of the guidelines' format.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLE);
    let head = |p: &str, n: usize| -> String {
        let text = std::fs::read_to_string(root.join(p)).unwrap();
        text.lines().take(n).map(|l| format!("{l}\n")).collect()
    };
    let input = [head("bot-a/api.jsonl", 12), head("bot-a/webhook.jsonl", 8), head("bot-b/api.log", 6)].concat();
    let out = stdout(linelens().args(["tail", "--from-start", "-"]).write_stdin(input), 0);
    assert_json(&out, true);
    assert!(out.lines().count() >= 20, "{out}");
    insta::assert_snapshot!("tail_json", out);
}
