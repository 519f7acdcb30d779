//! The screen on a large directory, as a user meets it: `linelens DIR` in a
//! pseudo-terminal (200×50), its output replayed through a terminal
//! emulator. Measures the time to the first rows on screen, the time until
//! every file is read (the header's "reading" bar gone) beside `linelens
//! report` on the same directory, how long a key pressed while reading
//! takes to show (`?` opens the help, `?` closes it; each is timed until
//! the screen shows it), and the screen's peak memory over the whole run
//! (read once the audit's findings have joined the alerts). Runs `RUNS`
//! rounds (default 3), each a `report` then the screen, and prints each
//! round and the best of each side, as `benches/report.sh` compares the
//! best of three runs with the floor.
//!
//! ```text
//! bash benches/report.sh --hours        # writes target/bench-data/330h
//! cargo build --release && cargo run --release --example screen-load -- [DIR]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "common/latency.rs"]
#[allow(dead_code)]
mod latency;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const HELP: &str = "Help (any key closes)";
/// Wide enough for the header's whole progress bar.
const COLS: u16 = 200;
const ROWS: u16 = 50;

/// "┌ Timeline 1,234 ──" in the timeline's title: the rows shown.
fn timeline_rows(screen: &str) -> Option<u64> {
    let start = screen.find("Timeline ")? + "Timeline ".len();
    let rest = &screen[start..];
    let end = rest.find(|c: char| !(c.is_ascii_digit() || c == ','))?;
    rest[..end].replace(',', "").parse().ok()
}

fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What one run of the screen showed.
struct Session {
    first: Option<Duration>,
    read: Option<Duration>,
    peak_kb: Option<u64>,
    keys: Vec<Duration>,
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "target/bench-data/330h".into());
    let runs: usize = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(3).max(1);
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(|p| p.parent()).unwrap().join("linelens");
    assert!(std::path::Path::new(&dir).is_dir(), "{dir}: no such directory (bash benches/report.sh --hours writes it)");
    let report = || {
        let t = Instant::now();
        let status =
            std::process::Command::new(&bin).arg("report").arg(&dir).stdout(std::process::Stdio::null()).status();
        assert!(status.unwrap().success());
        t.elapsed()
    };
    // The first run warms the page cache.
    report();
    let s = |d: Option<Duration>| d.map_or_else(|| "never".to_owned(), |d| format!("{:.2} s", d.as_secs_f64()));
    let ratio = |a: Option<Duration>, b: Duration| {
        a.map_or_else(|| "-".into(), |a| format!("{:.2}", a.as_secs_f64() / b.as_secs_f64()))
    };
    println!("directory {dir}");
    let (mut reports, mut sessions) = (Vec::new(), Vec::new());
    for round in 1..=runs {
        let r = report();
        let x = session(&bin, &dir);
        println!(
            "round {round}: every file read after {} (`report`: {:.2} s, ratio {}), first rows after {}, peak {:.0} MB",
            s(x.read),
            r.as_secs_f64(),
            ratio(x.read, r),
            s(x.first),
            x.peak_kb.unwrap_or(0) as f64 / 1024.0
        );
        reports.push(r);
        sessions.push(x);
    }
    let best_report = reports.iter().min().copied().unwrap_or_default();
    let best_read = sessions.iter().filter_map(|x| x.read).min();
    let first = sessions.iter().map(|x| x.first).max().flatten();
    println!("first rows on screen after {} at worst", s(first));
    println!(
        "every file read after {} (`report`: {:.2} s, ratio {}; best of {runs} each)",
        s(best_read),
        best_report.as_secs_f64(),
        ratio(best_read, best_report)
    );
    if let Some(kb) = sessions.iter().filter_map(|x| x.peak_kb).max() {
        println!("peak memory of the screen {:.0} MB", kb as f64 / 1024.0);
    }
    let mut keys: Vec<Duration> = sessions.into_iter().flat_map(|x| x.keys).collect();
    if keys.is_empty() {
        println!("no key was timed while reading");
    } else {
        latency::print_summary(&format!("{} keys while reading:", keys.len()), &mut keys);
    }
}

/// The screen on `dir` in a pseudo-terminal, until the audit's findings
/// have joined the alerts.
fn session(bin: &std::path::Path, dir: &str) -> Session {
    let pair =
        native_pty_system().openpty(PtySize { rows: ROWS, cols: COLS, pixel_width: 0, pixel_height: 0 }).unwrap();
    let mut cmd = CommandBuilder::new(bin);
    cmd.cwd(std::env::current_dir().unwrap());
    cmd.arg(dir);
    cmd.env("TERM", "xterm-256color");
    let start = Instant::now();
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let pid = child.process_id().unwrap();
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let screen = Arc::new(Mutex::new(vt100::Parser::new(nz(ROWS), nz(COLS), 0)));
    // (first rows, every file read), as times since the start.
    let marks: Arc<Mutex<(Option<Duration>, Option<Duration>)>> = Arc::default();
    {
        let (screen, marks) = (screen.clone(), marks.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 1 << 16];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut s = screen.lock().unwrap();
                s.process(&buf[..n]);
                let text = s.screen().contents();
                let header = text.lines().next().unwrap_or("");
                let mut m = marks.lock().unwrap();
                // First rows: the timeline shows records (its title counts
                // the rows drawn in the same frame).
                if m.0.is_none() && timeline_rows(&text).is_some_and(|c| c > 0) {
                    m.0 = Some(start.elapsed());
                }
                if m.0.is_some() && m.1.is_none() && !header.contains(" · reading") {
                    m.1 = Some(start.elapsed());
                }
            }
        });
    }
    let shows = |want: bool| screen.lock().unwrap().screen().contents().contains(HELP) == want;
    let mut keys = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    while marks.lock().unwrap().1.is_none() && Instant::now() < deadline {
        if marks.lock().unwrap().0.is_none() {
            std::thread::sleep(Duration::from_millis(1));
            continue;
        }
        // A key while reading: `?` opens the help, `?` closes it.
        for open in [true, false] {
            let sent = Instant::now();
            writer.write_all(b"?").unwrap();
            writer.flush().unwrap();
            while !shows(open) && sent.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_micros(200));
            }
            if marks.lock().unwrap().1.is_none() {
                keys.push(sent.elapsed());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (first, read) = *marks.lock().unwrap();

    // The peak over the whole run: the audit starts once every file is
    // read, and its findings join the alerts when it is done. Wait until
    // the alerts' title has not changed for two seconds.
    let alerts = || {
        let text = screen.lock().unwrap().screen().contents();
        text.lines().find_map(|l| l.find("Alerts ").map(|i| l[i..].chars().take(40).collect::<String>()))
    };
    let (mut last, mut since) = (alerts(), Instant::now());
    while since.elapsed() < Duration::from_secs(2) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        let now = alerts();
        if now != last {
            (last, since) = (now, Instant::now());
        }
    }
    let peak = peak_kb(pid);
    writer.write_all(b"q").unwrap();
    writer.flush().unwrap();
    let _ = child.wait();
    Session { first, read, peak_kb: peak, keys }
}

fn nz(n: u16) -> std::num::NonZero<u16> {
    std::num::NonZero::new(n).unwrap()
}
