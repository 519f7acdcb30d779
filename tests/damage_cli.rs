//! Damaged and hostile input through the commands: truncated and corrupt
//! archives, every compression logrotate writes, nothing readable, control
//! characters meant for a terminal, lines longer than any buffer, and the
//! inputs fuzzing found.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::io::Write;
use std::path::Path;

use assert_cmd::Command;
use linelens::report::Report;
use predicates::prelude::*;

fn linelens() -> Command {
    let mut c = Command::cargo_bin("linelens").unwrap();
    c.env("HOME", "/nonexistent-linelens-home").env("XDG_CONFIG_HOME", "/nonexistent-linelens-home/.config");
    c
}

fn api_line(i: usize) -> String {
    format!(
        "req-{i:06} Fri, 20 Nov 2026 08:{:02}:{:02} GMT POST https://api.line.me/v2/bot/message/push 200\n",
        i / 60 % 60,
        i % 60
    )
}

fn lines(n: usize) -> String {
    (0..n).map(api_line).collect()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn json_report(dir: &Path) -> (Report, String) {
    let out = linelens().args(["report", "--format", "json"]).arg(dir).assert().success();
    let o = out.get_output();
    (serde_json::from_slice(&o.stdout).unwrap(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn a_truncated_gzip_keeps_every_line_before_the_damage() {
    let d = tempfile::tempdir().unwrap();
    let text = lines(3000);
    let z = gz(text.as_bytes());
    let cut = &z[..z.len() * 2 / 3];
    std::fs::write(d.path().join("api.log.2.gz"), cut).unwrap();
    // What zcat recovers is the truth to compare with.
    let mut recovered = Vec::new();
    let _ = std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(cut), &mut recovered);
    let whole = recovered.iter().filter(|&&c| c == b'\n').count() as u64;
    assert!(whole > 1000, "{whole}");
    let (r, stderr) = json_report(d.path());
    let s = &r.sources[0];
    // Every whole line, and the cut last one (unparsed or not, it is kept).
    assert!(s.records + s.unparsed >= whole, "{} + {} < {whole}", s.records, s.unparsed);
    assert!(s.records >= whole, "{} < {whole}", s.records);
    let err = s.error.as_deref().unwrap();
    assert!(err.contains("damaged gzip data at byte"), "{err}");
    assert!(s.partial && s.compressed);
    assert_eq!(s.compression.as_deref(), Some("gzip"));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("api.log.2.gz") && stderr.contains("at byte"), "{stderr}");
    // The text report says it was read in part, not that it is unreadable.
    let out = linelens().arg("report").arg(d.path()).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("(1 compressed, 0 skipped, 0 unreadable, 1 read in part)"), "{text}");
    assert!(text.contains("gzip, read in part: damaged gzip data at byte"), "{text}");
}

#[test]
fn a_corrupt_middle_keeps_the_start() {
    let d = tempfile::tempdir().unwrap();
    let mut z = gz(lines(3000).as_bytes());
    let mid = z.len() / 2;
    for b in z.iter_mut().skip(mid).take(64) {
        *b ^= 0x5a;
    }
    std::fs::write(d.path().join("api.log.gz"), &z).unwrap();
    // What a decoder gives before the damage, asked a byte at a time (as
    // zcat writes out whatever it has decoded).
    let mut dec = flate2::read::MultiGzDecoder::new(&z[..]);
    let (mut whole, mut byte) = (0u64, [0u8; 1]);
    while let Ok(1) = std::io::Read::read(&mut dec, &mut byte) {
        whole += u64::from(byte[0] == b'\n');
    }
    assert!(whole > 500, "{whole}");
    let (r, _) = json_report(d.path());
    // Corrupt deflate data can decode as a few wrong bytes before the
    // decoder notices: those lines are there too, as unparsed lines.
    let s = &r.sources[0];
    assert!(s.records + s.unparsed >= whole, "{} + {} < {whole}", s.records, s.unparsed);
    assert!(s.records + 3 >= whole, "{} records, {whole} lines", s.records);
    assert!(r.sources[0].error.as_deref().unwrap().contains("damaged gzip data"));
}

#[test]
fn xz_zstd_and_bzip2_are_read_like_gzip() {
    let d = tempfile::tempdir().unwrap();
    let text = lines(500);
    let xz = {
        let mut w = liblzma::write::XzEncoder::new(Vec::new(), 1);
        w.write_all(text.as_bytes()).unwrap();
        w.finish().unwrap()
    };
    let bz = {
        let mut w = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        w.write_all(text.as_bytes()).unwrap();
        w.finish().unwrap()
    };
    // Two zstd frames, as `cat a.zst b.zst` makes.
    let mut zst = zstd::encode_all(&text.as_bytes()[..text.len() / 2], 1).unwrap();
    zst.extend(zstd::encode_all(&text.as_bytes()[text.len() / 2..], 1).unwrap());
    std::fs::write(d.path().join("a.log.1.xz"), &xz).unwrap();
    std::fs::write(d.path().join("a.log.2.zst"), &zst).unwrap();
    std::fs::write(d.path().join("a.log.3.bz2"), &bz).unwrap();
    // Named without a suffix: recognised by content.
    std::fs::write(d.path().join("archived"), &xz).unwrap();
    let (r, stderr) = json_report(d.path());
    assert!(stderr.is_empty(), "{stderr}");
    let names: Vec<_> = r.sources.iter().map(|s| s.compression.as_deref().unwrap_or("")).collect();
    assert_eq!(names, ["xz", "zstd", "bzip2", "xz"]);
    for s in &r.sources {
        assert!(s.compressed, "{}", s.path);
        assert_eq!((s.records, s.unparsed), (500, 0), "{}", s.path);
    }
    // A record in an xz archive is found again for lookup.
    linelens()
        .args(["lookup", "--request-id", "req-000321"])
        .arg(d.path().join("a.log.1.xz"))
        .assert()
        .success()
        .stdout(predicate::str::contains("req-000321"));
}

#[test]
fn nothing_readable_exits_2_with_one_line() {
    let d = tempfile::tempdir().unwrap();
    let bad = d.path().join("api.log.gz");
    std::fs::write(&bad, b"\x1f\x8b\x08\x00garbage that is no deflate stream at all").unwrap();
    for cmd in [vec!["report"], vec!["audit"], vec!["lookup", "--request-id", "x"]] {
        let out = linelens().args(&cmd).arg(&bad).assert().code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert_eq!(err.lines().count(), 1, "{cmd:?}: {err}");
        assert!(err.contains("api.log.gz") && err.contains("nothing could be read"), "{cmd:?}: {err}");
    }
    // One readable file beside it: a partial read, exit 0 with the warning.
    std::fs::write(d.path().join("ok.log"), lines(3)).unwrap();
    linelens().arg("report").arg(d.path()).assert().success().stderr(predicate::str::contains("api.log.gz"));
}

#[test]
fn c1_controls_are_escaped_in_json_and_tail() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("evil.log");
    // U+009B is a one-byte CSI to many terminals; U+0085 and a bidi override too.
    let evil = "\u{9b}31mred\u{85}\u{202e}";
    let line = format!(
        "{{\"time\":\"2026-11-20T08:00:00Z\",\"kind\":\"api\",\"method\":\"POST\",\"endpoint\":\"/v2/bot/message/push\",\"status\":400,\"request_id\":\"r{evil}1\",\"response_body\":{{\"message\":\"{evil}\"}}}}\nnot a record {evil}\n"
    );
    std::fs::write(&p, line).unwrap();
    let bad = |s: &str| s.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{202e}');
    for args in [vec!["report", "--format", "json"], vec!["report"], vec!["audit", "--format", "json"], vec!["audit"]] {
        let out = linelens().args(&args).arg(&p).assert().success();
        let s = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert!(!bad(&s), "{args:?}: {s}");
        if args == ["report", "--format", "json"] {
            assert!(s.contains("\\u009b"), "{args:?}: the unparsed example is there, escaped");
        }
    }
    let out = linelens()
        .args(["lookup", "--format", "json", "--request-id", &format!("r{evil}1")])
        .arg(&p)
        .assert()
        .success();
    assert!(!bad(&String::from_utf8_lossy(&out.get_output().stdout)));
    let out = linelens().args(["tail", "--from-start"]).arg(&p).timeout(std::time::Duration::from_secs(3)).assert();
    let s = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(s.contains("\\u009b31mred"), "{s}");
    assert!(!bad(&s), "{s}");
    for l in s.lines() {
        let _: serde_json::Value = serde_json::from_str(l).unwrap();
    }
}

#[test]
fn a_record_on_a_line_longer_than_16_mib_is_found_by_lookup() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("api.jsonl");
    let big = "x".repeat(20 << 20);
    let line = format!(
        "{{\"time\":\"2026-11-20T08:00:00Z\",\"kind\":\"api\",\"method\":\"POST\",\"endpoint\":\"/v2/bot/message/push\",\"status\":200,\"request_id\":\"long-1\",\"request_body\":{{\"to\":\"U1\",\"messages\":[{{\"type\":\"text\",\"text\":\"{big}\"}}]}}}}\n"
    );
    std::fs::write(&p, line).unwrap();
    let (r, _) = json_report(d.path());
    assert_eq!(r.totals.api_requests, 1);
    let out = linelens().args(["lookup", "--format", "json", "--request-id", "long-1"]).arg(&p).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        v["records"].as_array().map(Vec::len),
        Some(1),
        "{}",
        &String::from_utf8_lossy(&out.get_output().stdout)[..200]
    );
}

/// Found by fuzzing the engine: an unparsed line (no time) before an API
/// line, then a lookup, subtracted the "no time" sentinel (an overflow
/// that a debug build, like this test's, panics on).
#[test]
fn fuzz_regression_untimed_record_before_a_looked_up_request() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("f.log");
    std::fs::write(&p, "}\nr1 Fri, 20 Nov 2026 08:00:00 GMT POST /v2/bot/message/push 200\n").unwrap();
    linelens().args(["lookup", "--request-id", "r1"]).arg(&p).assert().success();
    linelens().args(["report"]).arg(&p).assert().success();
}
