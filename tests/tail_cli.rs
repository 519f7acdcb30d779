//! `linelens tail` on real files: waits for expected output with a
//! deadline, never for a fixed time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

fn append(p: &Path, s: &str) {
    OpenOptions::new().create(true).append(true).open(p).unwrap().write_all(s.as_bytes()).unwrap();
}

struct Tail {
    child: Child,
    lines: Arc<Mutex<Vec<Value>>>,
}

impl Tail {
    fn start(args: &[&str]) -> Tail {
        let mut child = Command::new(env!("CARGO_BIN_EXE_linelens"))
            .arg("tail")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines() {
                let Ok(l) = l else { break };
                sink.lock().unwrap().push(serde_json::from_str(&l).unwrap());
            }
        });
        Tail { child, lines }
    }

    fn values(&self) -> Vec<Value> {
        self.lines.lock().unwrap().clone()
    }

    /// Request IDs printed so far.
    fn ids(&self) -> Vec<String> {
        self.values().iter().filter_map(|v| v["request_id"].as_str().map(str::to_owned)).collect()
    }

    fn wait_until(&self, what: &str, f: impl Fn(&Tail) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if f(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("timed out waiting for {what}; got {:?}", self.values());
    }

    /// Append probe lines until one shows: the follower is running.
    fn wait_live(&self, file: &Path) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut i = 0;
        while Instant::now() < deadline {
            append(file, &format!("probe-{i} 2026-11-20T08:00:00Z GET /v2/bot/info 200\n"));
            i += 1;
            let t = Instant::now();
            while t.elapsed() < Duration::from_millis(200) {
                if self.ids().iter().any(|id| id.starts_with("probe-")) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        panic!("tail never showed a probe line");
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.child.kill().ok();
        panic!("tail did not exit on SIGTERM");
    }
}

fn line(id: &str, status: u16) -> String {
    format!("{id} 2026-11-20T08:00:01Z POST https://api.line.me/v2/bot/message/push {status}\n")
}

#[test]
fn from_start_prints_every_record_with_source_and_line() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("mixed.log");
    append(&f, &line("r1", 200));
    append(&f, "junk here\n");
    append(
        &f,
        "{\"kind\":\"webhook\",\"time\":\"2026-11-20T08:00:02Z\",\"ip\":\"1.2.3.4\",\"path\":\"/cb\",\"status\":200,\"body\":\"{\\\"events\\\":[{\\\"type\\\":\\\"message\\\",\\\"webhookEventId\\\":\\\"E1\\\",\\\"replyToken\\\":\\\"RT\\\",\\\"source\\\":{\\\"userId\\\":\\\"U1\\\"},\\\"message\\\":{\\\"id\\\":\\\"m1\\\",\\\"text\\\":\\\"secret words\\\"}}]}\"}\n",
    );
    let t = Tail::start(&["--from-start", d.path().to_str().unwrap()]);
    t.wait_until("three records", |t| t.values().len() >= 3);
    let v = t.values();
    assert_eq!(v[0]["kind"], "api");
    assert_eq!(v[0]["request_id"], "r1");
    assert_eq!(v[0]["status"], 200);
    assert_eq!(v[0]["line"], 1);
    assert!(v[0]["source"].as_str().unwrap().ends_with("mixed.log"));
    assert_eq!(v[1], serde_json::json!({"kind": "unparsed", "source": v[0]["source"], "line": 2, "text": "junk here"}));
    assert_eq!(v[2]["kind"], "webhook");
    assert_eq!(v[2]["events"][0]["webhookEventId"], "E1");
    assert_eq!(v[2]["events"][0]["userId"], "U1");
    assert_eq!(v[2]["events"][0]["replyToken"], "RT");
    assert_eq!(v[2]["events"][0]["messageId"], "m1");
    assert!(!v[2].to_string().contains("secret words"), "message text is not printed");
    assert!(t.terminate().success());
}

#[test]
fn follows_appends_and_a_rename_rotation_each_line_once() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("api.log");
    append(&f, &line("old", 200));
    let t = Tail::start(&[d.path().to_str().unwrap()]);
    t.wait_live(&f);
    assert!(!t.ids().contains(&"old".to_owned()), "without --from-start, existing lines are not printed");
    append(&f, &line("a1", 200));
    append(&f, "a2 2026-11-20T08:00:01Z POST /v2/bot/message/push"); // partial
    t.wait_until("a1", |t| t.ids().contains(&"a1".to_owned()));
    assert!(!t.ids().contains(&"a2".to_owned()), "a partial line waits");
    append(&f, " 429\n");
    std::fs::rename(&f, d.path().join("api.log.1")).unwrap();
    append(&d.path().join("api.log.1"), &line("a3", 200)); // written to the old file after the rename
    append(&f, &line("b1", 200));
    std::fs::create_dir(d.path().join("bot-b")).unwrap();
    append(&d.path().join("bot-b/webhook.log"), "203.0.113.1 2026-11-20T08:00:05Z POST /cb 200\n");
    t.wait_until("a2, a3, b1 and the new file", |t| {
        let ids = t.ids();
        ["a2", "a3", "b1"].iter().all(|x| ids.contains(&(*x).to_owned()))
            && t.values().iter().any(|v| v["ip"] == "203.0.113.1")
    });
    let ids: Vec<String> = t.ids().into_iter().filter(|i| !i.starts_with("probe-")).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "nothing twice: {ids:?}");
    assert!(t.terminate().success(), "SIGTERM exits 0");
}

#[test]
fn closed_stdout_exits_0() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("api.log");
    for i in 0..5000 {
        append(&f, &line(&format!("r{i}"), 200));
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_linelens"))
        .args(["tail", "--from-start", d.path().to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..3 {
        let mut s = String::new();
        out.read_line(&mut s).unwrap();
    }
    drop(out); // like `| head -3`
    // New lines make it write to the closed pipe.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        append(&f, &line("more", 200));
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "tail did not exit on a closed stdout");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn standard_input_is_followed_until_eof() {
    let out = assert_cmd::Command::cargo_bin("linelens")
        .unwrap()
        .args(["tail", "-"])
        .write_stdin(format!("{}junk\n", line("s1", 200)))
        .timeout(Duration::from_secs(20))
        .assert()
        .success();
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.get_output().stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!((lines[0]["request_id"].as_str(), lines[0]["source"].as_str()), (Some("s1"), Some("-")));
    assert_eq!(lines[1]["kind"], "unparsed");
}

#[test]
fn a_missing_path_exits_2() {
    assert_cmd::Command::cargo_bin("linelens").unwrap().args(["tail", "/nonexistent/logs"]).assert().code(2);
}

#[test]
fn without_events_the_timer_alone_follows() {
    // --poll takes the path used when the system is out of watches.
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("api.log");
    append(&f, "");
    let t = Tail::start(&["--poll", d.path().to_str().unwrap()]);
    t.wait_live(&f);
    append(&f, &line("polled", 200));
    t.wait_until("the polled line", |t| t.ids().contains(&"polled".to_owned()));
    assert!(t.terminate().success());
}

/// lnav #1749: a file named on the command line and replaced again and again
/// by a temporary file renamed over it (each run starting the same way, the
/// inodes reused) stays followed, and each run is printed once.
#[test]
fn a_file_given_by_name_and_replaced_by_rename_again_and_again() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("LastTest.log");
    let tmp = d.path().join("LastTest.log.tmp");
    append(&f, &line("run0-start", 200));
    let t = Tail::start(&[f.to_str().unwrap()]);
    t.wait_live(&f);
    for n in 1..=10 {
        // The same first line every run, as a test log's header.
        std::fs::write(&tmp, format!("{}{}", line("run-start", 200), line(&format!("run{n}"), 200))).unwrap();
        std::fs::rename(&tmp, &f).unwrap();
        t.wait_until(&format!("run {n}"), |t| t.ids().contains(&format!("run{n}")));
    }
    let ids: Vec<String> = t.ids().into_iter().filter(|i| !i.starts_with("probe-")).collect();
    assert_eq!(ids.iter().filter(|i| *i == "run-start").count(), 10, "every run's first line, once: {ids:?}");
    assert_eq!(ids.len(), 20, "nothing twice: {ids:?}");
    assert!(t.terminate().success());
}

/// Out of file descriptors (`ulimit -n`): said once, with how many files
/// wait; the files followed print each line once; the others follow as
/// descriptors free up (here: followed files deleted).
#[test]
fn out_of_file_descriptors_is_said_once_and_nothing_is_printed_twice() {
    let d = tempfile::tempdir().unwrap();
    let n = 150;
    for i in 0..n {
        append(&d.path().join(format!("f{i:03}.log")), &line(&format!("f-{i:03}"), 200));
    }
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 100 && exec \"$0\" tail --from-start \"$1\"")
        .arg(env!("CARGO_BIN_EXE_linelens"))
        .arg(d.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let errs = Arc::new(Mutex::new(String::new()));
    let (out, err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let sink = lines.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            let v: Value = serde_json::from_str(&l).unwrap();
            sink.lock().unwrap().push(v["request_id"].as_str().unwrap_or("").to_owned());
        }
    });
    let esink = errs.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            esink.lock().unwrap().push_str(&(l + "\n"));
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut deleted = std::collections::HashSet::new();
    loop {
        let got: Vec<String> = lines.lock().unwrap().clone();
        let distinct: std::collections::HashSet<&String> = got.iter().collect();
        assert_eq!(distinct.len(), got.len(), "a line printed twice: {got:?}");
        if got.len() == n {
            break;
        }
        assert!(Instant::now() < deadline, "only {} of {n} printed; stderr: {}", got.len(), errs.lock().unwrap());
        // Free descriptors: delete the files already printed.
        if !got.is_empty() && errs.lock().unwrap().contains("out of file descriptors") {
            for id in &got {
                if deleted.insert(id.clone()) {
                    let _ = std::fs::remove_file(d.path().join(format!("{}.log", id.replace('-', ""))));
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let stderr = errs.lock().unwrap().clone();
    assert_eq!(stderr.matches("out of file descriptors").count(), 1, "{stderr}");
    assert!(stderr.contains("files not followed for now"), "{stderr}");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success());
}

/// Standard input read as a file is: a signature-failure line and the
/// refused access line of the same request print as one receipt (the access
/// line, with the failure's state; the failure a `log` line), and a Python
/// SDK v3 `ApiException` over four lines prints as one API record.
#[test]
fn standard_input_merges_failures_and_gathers_entries() {
    let input = "\
2026-07-13 23:45:53,732 - linebot - ERROR - InvalidSignatureError: signature=abc
127.0.0.1 - - [13/Jul/2026 23:45:53] \"POST /callback HTTP/1.1\" 400 -
Exception when calling MessagingApi->reply_message: (400)
Reason: Bad Request
HTTP response headers: HTTPHeaderDict({'x-line-request-id': '1b6f2a0c-3d4e-4f5a-8b9c-0d1e2f3a4b5c'})
HTTP response body: {\"message\":\"Invalid reply token\"}
";
    let out = assert_cmd::Command::cargo_bin("linelens")
        .unwrap()
        .args(["tail", "-"])
        .write_stdin(input)
        .timeout(Duration::from_secs(20))
        .assert()
        .success();
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.get_output().stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<(&str, Option<&str>)> =
        lines.iter().map(|v| (v["kind"].as_str().unwrap(), v["signature_state"].as_str())).collect();
    assert_eq!(kinds, [("log", None), ("webhook", Some("invalid")), ("api", None)], "{lines:?}");
    assert_eq!(lines[2]["status"], 400);
    assert_eq!(lines[2]["request_id"], "1b6f2a0c-3d4e-4f5a-8b9c-0d1e2f3a4b5c");
    assert_eq!(lines[2]["endpoint"], "/v2/bot/message/reply");
}
