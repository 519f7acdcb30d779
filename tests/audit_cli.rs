//! `linelens audit`, signatures, unsend and masking as a user meets them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;
use linelens::report::{FindingReport, Report};
use serde_json::{Value, json};

const DEMO_SECRET: &str = "8c570fa6dd201bb328f1c1eac23a96d8";

/// The binary, with no user config file and no secret in the environment.
fn linelens() -> Command {
    let mut c = Command::cargo_bin("linelens").unwrap();
    c.env("HOME", "/nonexistent-linelens-home")
        .env("XDG_CONFIG_HOME", "/nonexistent-linelens-home/.config")
        .env_remove("LINE_CHANNEL_SECRET");
    c
}

fn root(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p).display().to_string()
}

fn stdout(c: &mut Command) -> String {
    String::from_utf8(c.output().unwrap().stdout).unwrap()
}

#[test]
fn the_sample_shows_every_rule_and_fails_on_errors() {
    let out = linelens()
        .args(["audit", "--format", "json", "--channel-secret-file"])
        .arg(root("assets/channel-secret.txt"))
        .arg(root("assets/sample-logs"))
        .assert()
        .code(1);
    let findings: Vec<FindingReport> = serde_json::from_slice(&out.get_output().stdout).unwrap();
    for rule in linelens::audit::RULES.iter().map(|r| r.id) {
        assert!(findings.iter().any(|f| f.rule == rule), "{rule} missing");
    }
    for f in &findings {
        assert!(!f.guideline.is_empty() && !f.message.is_empty());
        assert!(f.first <= f.last);
        assert!(f.examples.iter().all(|e| e.line > 0 && e.source.contains("sample-logs")), "{f:?}");
    }
    // The forged webhook is found only with the secret.
    assert!(findings.iter().any(|f| f.rule == "webhook-signature" && f.message.contains("invalid")));
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("findings at or above error"), "{err}");
    // Without the secret every rule still shows (the unsigned webhook is found).
    let out = linelens().args(["audit", "--format", "json"]).arg(root("assets/sample-logs")).assert().code(1);
    let findings: Vec<FindingReport> = serde_json::from_slice(&out.get_output().stdout).unwrap();
    for rule in linelens::audit::RULES.iter().map(|r| r.id) {
        assert!(findings.iter().any(|f| f.rule == rule), "{rule} missing without the secret");
    }
}

#[test]
fn audit_reads_standard_input() {
    let webhooks = std::fs::read(root("assets/sample-logs/bot-a/webhook.jsonl")).unwrap();
    let out = linelens()
        .args(["audit", "--format", "json", "--channel-secret-file"])
        .arg(root("assets/channel-secret.txt"))
        .arg("-")
        .write_stdin(webhooks)
        .assert()
        .code(1);
    let findings: Vec<FindingReport> = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let forged = findings.iter().find(|f| f.rule == "webhook-signature" && f.message.contains("invalid")).unwrap();
    assert_eq!(forged.examples[0].source, "-");
    assert!(forged.examples[0].line > 0);
}

#[test]
fn fail_on_levels() {
    let d = tempfile::tempdir().unwrap();
    // Guideline-format lines only: complete, but no bodies (an info finding).
    std::fs::write(
        d.path().join("api.log"),
        "8e36bade-c5d6-4d00-9e69-72244675a9a1 Mon, 05 Jul 2021 08:14:35 GMT POST https://api.line.me/v2/bot/message/push 200\n",
    )
    .unwrap();
    let dir = d.path().to_str().unwrap();
    linelens().args(["audit", dir]).assert().code(0);
    linelens().args(["audit", "--fail-on", "warning", dir]).assert().code(0);
    linelens().args(["audit", "--fail-on", "info", dir]).assert().code(1);
    let text = stdout(linelens().args(["audit", dir]));
    assert!(text.contains("log-completeness") && text.contains("1 info)"), "{text}");
    linelens().args(["audit", "--fail-on", "fatal", dir]).assert().code(2);
}

#[test]
fn report_json_carries_signatures_unsent_and_findings() {
    let out = linelens()
        .args(["report", "--format", "json"])
        .arg(root("assets/sample-logs"))
        .env("LINE_CHANNEL_SECRET", DEMO_SECRET)
        .assert()
        .success();
    let r: Report = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let s = r.signatures;
    assert_eq!((s.invalid, s.missing), (1, 1));
    assert!(s.valid > 500, "{s:?}");
    assert_eq!(s.valid + s.invalid + s.missing + s.unverifiable, r.totals.webhook_receipts);
    assert_eq!(r.unsent_messages, 2);
    assert!(!r.findings.is_empty());
    // The text report leads with the findings.
    let text = stdout(linelens().arg("report").arg(root("assets/sample-logs")));
    let (findings, bursts) = (text.find("findings").unwrap(), text.find("429 bursts").unwrap());
    assert!(findings < bursts, "{text}");
    assert!(text.contains("signatures   0 valid, 0 invalid, 1 missing"), "{text}");
}

/// A webhook whose message is later unsent, a reply to it, and another message.
fn unsend_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let wh = |t: &str, events: Value| {
        let body = json!({"destination": "Ubot", "events": events}).to_string();
        json!({"kind": "webhook", "time": t, "ip": "203.0.113.1", "method": "POST", "path": "/cb", "status": 200, "body": body})
            .to_string()
    };
    let user = json!({"type": "user", "userId": "U1111111111111111111111111111111a"});
    let lines = [
        wh(
            "2026-11-20T08:00:00Z",
            json!([{"type": "message", "replyToken": "t1", "webhookEventId": "e1", "source": user,
            "message": {"id": "m1", "type": "text", "text": "withdrawn words"}}]),
        ),
        json!({"kind": "api", "time": "2026-11-20T08:00:01Z", "request_id": "req-reply", "method": "POST",
            "endpoint": "https://api.line.me/v2/bot/message/reply", "status": 200,
            "request_body": {"replyToken": "t1", "messages": [{"type": "text", "text": "ok"}]}})
        .to_string(),
        wh(
            "2026-11-20T08:00:02Z",
            json!([{"type": "message", "replyToken": "t2", "webhookEventId": "e2", "source": user,
            "message": {"id": "m2", "type": "text", "text": "still here"}}]),
        ),
        wh(
            "2026-11-20T08:00:03Z",
            json!([{"type": "unsend", "webhookEventId": "e3", "source": user, "unsend": {"messageId": "m1"}}]),
        ),
    ];
    std::fs::write(d.path().join("bot.jsonl"), lines.join("\n") + "\n").unwrap();
    d
}

#[test]
fn an_unsent_message_is_shown_nowhere() {
    let d = unsend_dir();
    let dir = d.path().to_str().unwrap();
    let outputs = [
        stdout(linelens().args(["report", dir])),
        stdout(linelens().args(["report", "--format", "json", dir])),
        stdout(linelens().args(["audit", "--format", "json", dir])),
        stdout(linelens().args(["lookup", "--request-id", "req-reply", dir])),
        stdout(linelens().args(["lookup", "--request-id", "req-reply", "--format", "json", dir])),
        stdout(
            linelens().args(["tail", "--from-start", "--with-text", dir]).timeout(std::time::Duration::from_secs(3)),
        ),
        stdout(linelens().args(["tail", "--from-start", dir]).timeout(std::time::Duration::from_secs(3))),
    ];
    for (i, o) in outputs.iter().enumerate() {
        assert!(!o.contains("withdrawn words"), "output {i}: {o}");
    }
    let r: Report = serde_json::from_str(&outputs[1]).unwrap();
    assert_eq!(r.unsent_messages, 1);
    // tail: with --with-text the other message's text, [unsent] for the withdrawn one;
    // without it no text at all. Unsends later in the files are applied first.
    let with_text = &outputs[5];
    assert!(with_text.contains("still here") && with_text.contains("[unsent]"), "{with_text}");
    assert!(!outputs[6].contains("still here"), "{}", outputs[6]);
}

#[test]
fn the_secret_is_never_printed() {
    let d = unsend_dir();
    let dir = d.path().to_str().unwrap();
    let secret_file = root("assets/channel-secret.txt");
    let cfg = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(cfg.path(), format!("[secrets]\nUbot = \"{secret_file}\"\n")).unwrap();
    let cfg = cfg.path().to_str().unwrap();
    let runs: Vec<Vec<&str>> = vec![
        vec!["report", "--channel-secret-file", &secret_file, dir],
        vec!["report", "--format", "json", "--config", cfg, dir],
        vec!["audit", "--channel-secret-file", &secret_file, "--format", "json", dir],
        vec!["lookup", "--request-id", "req-reply", "--channel-secret-file", &secret_file, dir],
        vec!["lookup", "--request-id", "nope", "--channel-secret-file", &secret_file, dir],
        vec!["report", "--channel-secret-file", "/nonexistent/secret", dir],
        vec!["report", "--channel-secret-file", &secret_file, "--burst-min", "x", dir],
    ];
    for args in runs {
        let out = linelens().args(&args).env("LINE_CHANNEL_SECRET", DEMO_SECRET).output().unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!all.contains(DEMO_SECRET), "{args:?}: {all}");
    }
    let out = linelens()
        .args(["tail", "--from-start", "--channel-secret-file", &secret_file, dir])
        .timeout(std::time::Duration::from_secs(3))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(DEMO_SECRET));
    // A missing secret file: one line naming the file, exit 2.
    let out = linelens().args(["report", "--channel-secret-file", "/nonexistent/secret", dir]).assert().code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/secret"), "{err}");
}

#[test]
fn mask_users_everywhere() {
    let sample = root("assets/sample-logs");
    let full = "U68be2a33f1b2c4d5e6f708192a3b8a49";
    for args in [
        vec!["report", "--mask-users", &sample],
        vec!["report", "--mask-users", "--format", "json", &sample],
        vec!["audit", "--mask-users", &sample],
    ] {
        let out = stdout(linelens().args(&args));
        assert!(out.contains("U68be…8a49") && !out.contains(full), "{args:?}");
    }
    // lookup: the push's `to` in its request body.
    let id = "0af7133a-15d6-db7b-7077-56d9a75a324f";
    let plain = stdout(linelens().args(["lookup", "--request-id", id, &sample]));
    let masked = stdout(linelens().args(["lookup", "--mask-users", "--request-id", id, &sample]));
    assert!(plain.contains("Ua563608b52d9e701c66720fa5fea0f03"), "{plain}");
    assert!(masked.contains("Ua563…0f03") && !masked.contains("Ua563608b52d9e701c66720fa5fea0f03"), "{masked}");
    let d = unsend_dir();
    let out = stdout(
        linelens()
            .args(["tail", "--from-start", "--mask-users", d.path().to_str().unwrap()])
            .timeout(std::time::Duration::from_secs(3)),
    );
    assert!(out.contains("U1111…111a") && !out.contains("U1111111111111111111111111111111a"), "{out}");
    // Masked JSON is still JSON.
    let out = stdout(linelens().args(["report", "--mask-users", "--format", "json", &sample]));
    serde_json::from_str::<Report>(&out).unwrap();
}

#[test]
fn config_secrets_per_destination_and_rate_limits() {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let d = tempfile::tempdir().unwrap();
    let logs = d.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let body = json!({"destination": "Ubot2", "events": []}).to_string();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"second-channel").unwrap();
    mac.update(body.as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let line = json!({"kind": "webhook", "time": "2026-11-20T08:00:00Z", "ip": "203.0.113.1", "status": 200,
        "x-line-signature": sig, "body": body});
    std::fs::write(logs.join("wh.jsonl"), format!("{line}\n")).unwrap();
    // The secret file is named relative to the config file.
    std::fs::write(d.path().join("second.secret"), "second-channel\n").unwrap();
    let cfg = d.path().join("config.toml");
    std::fs::write(&cfg, "[secrets]\nUbot2 = \"second.secret\"\n").unwrap();
    let report = |extra: &[&str]| -> Report {
        let out = linelens().args(["report", "--format", "json"]).args(extra).arg(&logs).assert().success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    };
    assert_eq!(report(&["--config", cfg.to_str().unwrap()]).signatures.valid, 1);
    assert_eq!(report(&[]).signatures.unverifiable, 1);
    // The destination's own secret wins over the default one.
    let wrong = d.path().join("wrong.secret");
    std::fs::write(&wrong, "other").unwrap();
    let r = report(&["--config", cfg.to_str().unwrap(), "--channel-secret-file", wrong.to_str().unwrap()]);
    assert_eq!(r.signatures.valid, 1);
    // A bad rate limit: one line naming the file and the key, exit 2.
    std::fs::write(&cfg, "[rate_limits]\n\"POST /v2/bot/message/push\" = \"lots\"\n").unwrap();
    let out = linelens().args(["audit", "--config", cfg.to_str().unwrap()]).arg(&logs).assert().code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("config.toml") && err.contains("rate_limits") && err.lines().count() == 1, "{err}");
}
