//! Latency of `linelens tail`: 20 files, each appended 100 lines a second
//! for 10 s; the time from each append to its record on tail's stdout,
//! then the CPU tail uses over 10 s with nothing changing.
//!
//! ```text
//! cargo build --release && cargo run --release --example tail-latency
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "common/latency.rs"]
mod latency;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FILES: usize = 20;
const PER_SECOND: u64 = 100;
const SECONDS: u64 = 10;

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // utime and stime are fields 14 and 15, after the parenthesised name.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    f.get(11).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0)
}

fn main() {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(|p| p.parent()).unwrap().join("linelens");
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = (0..FILES).map(|i| dir.path().join(format!("bot-{i:02}.log"))).collect();
    for p in &paths {
        std::fs::write(p, "").unwrap();
    }
    let mut child =
        Command::new(&bin).arg("tail").arg(dir.path()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
    let start = Instant::now();
    let sent: Arc<Mutex<HashMap<String, Duration>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let out = child.stdout.take().unwrap();
    {
        let (sent, latencies) = (sent.clone(), latencies.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let now = start.elapsed();
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                if let Some(id) = v["request_id"].as_str()
                    && let Some(t) = sent.lock().unwrap().remove(id)
                {
                    latencies.lock().unwrap().push(now - t);
                }
            }
        });
    }
    std::thread::sleep(Duration::from_millis(500)); // let tail start
    let writers: Vec<_> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let p = p.clone();
            let sent = sent.clone();
            std::thread::spawn(move || {
                let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
                latency::paced(PER_SECOND, SECONDS, |n| {
                    let id = format!("f{i}-{n}");
                    sent.lock().unwrap().insert(id.clone(), start.elapsed());
                    writeln!(f, "{id} 2026-11-20T08:00:00Z POST https://api.line.me/v2/bot/message/push 200").unwrap();
                });
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    std::thread::sleep(Duration::from_secs(1));
    let mut l = latencies.lock().unwrap().clone();
    let total = FILES as u64 * PER_SECOND * SECONDS;
    println!("lines appended {total}, seen {} ({} missing)", l.len(), sent.lock().unwrap().len());
    latency::print_summary("latency", &mut l);
    let pid = child.id();
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(10));
    let after = cpu_ticks(pid);
    println!("idle 10 s: {} CPU ticks ({:.2}% of a core)", after - before, (after - before) as f64 / 10.0);
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let _ = child.wait();
}
