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
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Session {
    fn start(args: &[&str]) -> Session {
        let pty = native_pty_system();
        let pair = pty.openpty(PtySize { rows: 40, cols: 120, pixel_width: 0, pixel_height: 0 }).unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_linelens"));
        cmd.args(args);
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        cmd.env("TERM", "xterm-256color");
        cmd.env("HOME", "/nonexistent-linelens-home");
        cmd.env("XDG_CONFIG_HOME", "/nonexistent-linelens-home/.config");
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
        Session { child, writer, output, _master: pair.master }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// Wait (with a deadline) until the output contains `needle`.
    fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.text().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("timed out waiting for {needle:?}; output so far:\n{}", self.text());
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
    s.wait_for("429 burst");
    s.wait_for("Timeline");
    s.send("?");
    s.wait_for("Help (any key closes)");
    s.send("j"); // closes help
    s.send("\t\t"); // to the alerts
    s.send("\r"); // narrow to the first alert
    s.wait_for("records (");
    s.send("/status:5xx");
    s.wait_for("filter: status:5xx");
    s.send("\r"); // keep the filter
    s.send("\x7f"); // backspace: back to the timeline
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
    // The alternate screen was left and the cursor shown again.
    let out = s.text();
    assert!(out.contains("\x1b[?1049l"), "alternate screen not left");
    assert!(out.contains("\x1b[?25h"), "cursor not shown again");
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
    assert!(s.text().contains("\x1b[?1049l"), "alternate screen not left");
}
