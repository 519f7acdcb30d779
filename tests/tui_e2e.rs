//! The real binary in a pseudo-terminal: it draws the screen, answers keys,
//! quits with `q` (exit 0) and on SIGTERM, and leaves the terminal restored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Session {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    output: Arc<Mutex<Vec<u8>>>,
    master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Session {
    fn start(args: &[&str]) -> Session {
        Session::start_with(args, &[])
    }

    fn start_with(args: &[&str], env: &[(&str, &str)]) -> Session {
        Session::start_at(args, env, 40, 120)
    }

    fn start_at(args: &[&str], env: &[(&str, &str)], rows: u16, cols: u16) -> Session {
        let pty = native_pty_system();
        let pair = pty.openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_linelens"));
        cmd.args(args);
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        cmd.env("TERM", "xterm-256color");
        cmd.env("HOME", "/nonexistent-linelens-home");
        cmd.env("XDG_CONFIG_HOME", "/nonexistent-linelens-home/.config");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Session { child, writer, output, master: pair.master }
    }

    /// Every byte the program wrote.
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// The screen as a terminal shows it now (the output replayed in a
    /// terminal emulator), since frames are sent as changed cells only.
    fn screen(&self, rows: u16, cols: u16) -> String {
        let nz = |n: u16| std::num::NonZeroU16::new(n).unwrap();
        let mut p = vt100::Parser::new(nz(rows), nz(cols), 0);
        p.process(&self.output.lock().unwrap());
        p.screen().contents()
    }

    /// Wait (with a deadline) until the screen shows `needle`.
    fn wait_for_on(&self, needle: &str, rows: u16, cols: u16) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.screen(rows, cols).contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("timed out waiting for {needle:?}; the screen:\n{}", self.screen(rows, cols));
    }

    fn wait_for(&self, needle: &str) {
        self.wait_for_on(needle, 40, 120);
    }

    /// Wait (with a deadline) until the raw output contains `needle`: the
    /// last bytes may still be on their way when the exit is seen.
    fn wait_raw(&self, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.text().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.kill().ok();
        panic!("did not exit; output:\n{}", self.text());
    }
}

#[test]
fn opens_the_sample_answers_keys_and_quits_with_q() {
    let mut s = Session::start(&["assets/sample-logs"]);
    s.wait_for("429 burst ×40 push");
    s.wait_for("Timeline 8,560");
    s.send("?");
    s.wait_for("Help (any key closes)");
    s.send("j"); // closes help
    // It opened on the alerts (the sample has error-level ones).
    s.wait_for("▶ Alerts");
    s.send("\r"); // narrow to the first alert
    s.wait_for("429 burst ×40 push · 40 records");
    s.send("/status:5xx");
    s.wait_for("filter: status:5xx");
    s.send("\r"); // keep the filter
    s.send("\x7f"); // backspace: back to the timeline
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
    // The alternate screen was left and the cursor shown again.
    assert!(s.wait_raw("\x1b[?1049l"), "alternate screen not left");
    assert!(s.wait_raw("\x1b[?25h"), "cursor not shown again");
}

#[cfg(unix)]
#[test]
fn sigterm_restores_the_terminal_and_exits_0() {
    let mut s = Session::start(&["assets/sample-logs"]);
    s.wait_for("Timeline");
    let pid = s.child.process_id().unwrap();
    let ok = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    assert!(ok.success());
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
    assert!(s.wait_raw("\x1b[?1049l"), "alternate screen not left");
}

#[test]
fn a_resize_redraws_at_the_new_size() {
    let mut s = Session::start(&["assets/sample-logs"]);
    s.wait_for("Timeline");
    s.master.resize(PtySize { rows: 24, cols: 80, pixel_width: 0, pixel_height: 0 }).unwrap();
    // The narrow header and key bar, drawn at the new size.
    s.wait_for_on("8,531 rec ·", 24, 80);
    s.wait_for_on("+/- zoom q quit", 24, 80);
    s.send("q");
    assert!(s.wait_exit().success());
}

#[test]
fn a_panic_restores_the_terminal() {
    // Debug builds panic after the first frame when asked to (see tui::event_loop).
    if !cfg!(debug_assertions) {
        println!("note: release build; the panic hook is only in debug builds");
        return;
    }
    let mut s = Session::start_with(&["assets/sample-logs"], &[("LINELENS_TEST_PANIC", "1")]);
    let status = s.wait_exit();
    assert!(!status.success());
    assert!(s.wait_raw("test panic after the first frame"));
    let out = s.text();
    assert!(out.contains("\x1b[?1049l"), "alternate screen not left");
    assert!(out.contains("test panic after the first frame"), "{out}");
    // The message comes after the terminal was restored.
    let restored = out.rfind("\x1b[?1049l").unwrap();
    assert!(out[restored..].contains("test panic"), "panic message printed on the restored screen");
}

/// A job's panic (debug builds: the detail job panics on request) is said
/// on the message line; the screen stays up and answers keys.
#[test]
#[cfg(debug_assertions)]
fn a_panic_in_a_background_job_leaves_the_screen_up() {
    let mut s = Session::start_with(&["assets/sample-logs"], &[("LINELENS_TEST_JOB_PANIC", "1")]);
    s.wait_for("a background job failed (test panic in a job)");
    s.send("?");
    s.wait_for("Help (any key closes)");
    assert!(!s.text().contains("\x1b[?1049l"), "the alternate screen was not left");
    s.send("j");
    s.send("q");
    assert!(s.wait_exit().success());
}

#[test]
fn ctrl_c_quits_and_the_wheel_arrives_as_arrows() {
    let mut s = Session::start(&["assets/sample-logs"]);
    s.wait_for("Timeline 8,560");
    assert!(s.text().contains("\x1b[?1007h"), "alternate scroll mode on");
    assert!(!s.text().contains("\x1b[?1000h"), "the mouse is not captured");
    s.send("\t"); // the timeline (it opened on the alerts)
    s.wait_for("▶ Timeline");
    s.send("\x1b[A"); // what the wheel sends: ↑ pauses following
    s.wait_for("○ paused");
    s.send("\x03");
    assert!(s.wait_exit().success());
    assert!(s.wait_raw("\x1b[?1007l"), "alternate scroll mode off again");
}

#[test]
fn the_screen_follows_new_lines_and_new_files() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("api.log");
    std::fs::write(&f, "first-req 2026-11-20T08:00:00Z POST /v2/bot/message/push 200\n").unwrap();
    let mut s = Session::start(&[d.path().to_str().unwrap()]);
    s.wait_for("first-req");
    let append = |p: &std::path::Path, t: &str| {
        std::fs::OpenOptions::new().create(true).append(true).open(p).unwrap().write_all(t.as_bytes()).unwrap();
    };
    append(&f, "second-req 2026-11-20T08:00:01Z POST /v2/bot/message/push 429\n");
    s.wait_for("second-req");
    // a new file appears, and the old one is rotated away by rename
    std::fs::rename(&f, d.path().join("api.log.1")).unwrap();
    append(&f, "third-req 2026-11-20T08:00:02Z POST /v2/bot/message/push 200\n");
    s.wait_for("third-req");
    s.wait_for("3 records");
    // a deleted file keeps its records and shows as gone
    std::fs::remove_file(d.path().join("api.log.1")).unwrap();
    s.wait_for("1 gone");
    s.wait_for("3 records");
    s.send("q");
    assert!(s.wait_exit().success());
}

/// The audit's findings are alerts; signatures are checked with the secret
/// (never shown); `--mask-users` shortens every user ID on the screen.
#[test]
fn findings_signatures_and_masked_users_on_the_screen() {
    let mut s =
        Session::start(&["--mask-users", "--channel-secret-file", "assets/channel-secret.txt", "assets/sample-logs"]);
    s.wait_for("flood → U68be…8a49");
    s.wait_for("webhook-signature");
    s.wait_for("sig✓");
    let screen = s.text();
    assert!(!screen.contains("U68be2a33f1b2c4d5e6f708192a3b8a49"), "{screen}");
    assert!(!screen.contains("8c570fa6dd201bb328f1c1eac23a96d8"), "{screen}");
    s.send("q");
    assert!(s.wait_exit().success());
}

#[test]
fn a_shows_the_alerts_on_a_small_terminal() {
    let mut s = Session::start_at(&["tests/data/three-days"], &[], 24, 80);
    // The first screen names the 429 bursts under the strips, the timeline below.
    s.wait_for_on("‼ 429 burst ×66 push", 24, 80);
    s.wait_for_on("a: list", 24, 80);
    assert!(s.screen(24, 80).contains("Timeline"), "{}", s.screen(24, 80));
    s.send("a");
    s.wait_for_on("▶ Alerts 79 in 3 groups", 24, 80);
    assert!(!s.screen(24, 80).contains("Timeline"), "{}", s.screen(24, 80));
    s.send("\r"); // opens the worst group
    s.wait_for_on("▾429 burst ×66 push", 24, 80);
    s.send("q");
    assert!(s.wait_exit().success());
}
