//! Latency of the screen: 20 files, each appended 100 lines a second for
//! 10 s, with `linelens DIR` running in a pseudo-terminal (120×40). The
//! screen is replayed through a terminal emulator; the n-th appended line
//! counts as shown when the header's record count reaches n (rows scroll
//! past faster than frames, so the count is what can be observed).
//!
//! ```text
//! cargo build --release && cargo run --release --example screen-latency
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "common/latency.rs"]
mod latency;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const FILES: usize = 20;
const PER_SECOND: u64 = 100;
const SECONDS: u64 = 10;

/// "… · 1,234 records · …" in the header row.
fn record_count(header: &str) -> Option<u64> {
    let end = header.find(" records")?;
    let start = header[..end].rfind("· ")? + 2;
    header[start..end].replace(',', "").trim().parse().ok()
}

fn main() {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(|p| p.parent()).unwrap().join("linelens");
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = (0..FILES).map(|i| dir.path().join(format!("bot-{i:02}.log"))).collect();
    for p in &paths {
        std::fs::write(p, "").unwrap();
    }
    let pair = native_pty_system().openpty(PtySize { rows: 40, cols: 120, pixel_width: 0, pixel_height: 0 }).unwrap();
    let mut cmd = CommandBuilder::new(&bin);
    cmd.arg(dir.path());
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let start = Instant::now();
    let appended: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let seen = Arc::new(Mutex::new(0u64));
    {
        let (appended, latencies, seen) = (appended.clone(), latencies.clone(), seen.clone());
        std::thread::spawn(move || {
            let nz = |n: u16| std::num::NonZeroU16::new(n).unwrap();
            let mut vt = vt100::Parser::new(nz(40), nz(120), 0);
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                vt.process(&buf[..n]);
                let now = start.elapsed();
                let header = vt.screen().contents_between(0, 0, 0, 120);
                if let Some(count) = record_count(&header) {
                    let mut s = seen.lock().unwrap();
                    let times = appended.lock().unwrap();
                    while *s < count && (*s as usize) < times.len() {
                        latencies.lock().unwrap().push(now.saturating_sub(times[*s as usize]));
                        *s += 1;
                    }
                }
            }
        });
    }
    std::thread::sleep(Duration::from_secs(2)); // let the screen start and follow
    let writers: Vec<_> = paths
        .iter()
        .map(|p| {
            let p = p.clone();
            let appended = appended.clone();
            std::thread::spawn(move || {
                let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
                latency::paced(PER_SECOND, SECONDS, |n| {
                    // Record the time and append under one lock, so the
                    // n-th time is the n-th line written.
                    let mut times = appended.lock().unwrap();
                    times.push(start.elapsed());
                    writeln!(f, "s{n} 2026-11-20T08:00:00Z POST https://api.line.me/v2/bot/message/push 200").unwrap();
                });
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    std::thread::sleep(Duration::from_secs(2));
    let mut l = latencies.lock().unwrap().clone();
    println!("lines appended {}, counted on screen {}", appended.lock().unwrap().len(), l.len());
    latency::print_summary("screen latency", &mut l);
    writer.write_all(b"q").unwrap();
    let _ = child.wait();
}
