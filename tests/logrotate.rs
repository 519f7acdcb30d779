//! `linelens tail` against the real `logrotate`, in every mode a LINE bot's
//! server is likely to use, with a writer appending 1,000 lines a second
//! that reopens its file after each rotation (as a bot does on the
//! postrotate signal). Each mode runs about 10 s with a forced rotation
//! after every 2,000 lines (every 2 s at that pace). What must hold: every line on disk was printed, none twice,
//! nothing printed that was not written (no compressed bytes as text), and
//! the only lines missing are lines missing on disk too (what copytruncate
//! loses between its copy and its truncate).
//!
//! Skipped, with a note, where `logrotate` is not installed (`.ci/run`
//! installs it where it can).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LINES: u64 = 10_000;
const PER_SECOND: u64 = 1_000;
/// A forced rotation after every this many lines written (about every 2 s
/// at the writer's pace; counted in lines so that a loaded machine, where
/// the writer falls behind, still sees the same rotations).
const ROTATE_EVERY: u64 = 2_000;
/// And never two rotations within this time: `dateext` names its archives
/// by the second, and logrotate refuses to rotate onto an existing name.
const ROTATE_GAP: Duration = Duration::from_millis(1_100);

fn logrotate() -> Option<PathBuf> {
    ["/usr/sbin/logrotate", "/sbin/logrotate", "/usr/bin/logrotate"].iter().map(PathBuf::from).find(|p| p.exists())
}

fn line(seq: u64) -> String {
    let ms = seq % 1000;
    let s = seq / 1000;
    format!(
        "{{\"time\":\"2026-12-01T00:{:02}:{:02}.{ms:03}Z\",\"kind\":\"api\",\"method\":\"POST\",\"endpoint\":\"https://api.line.me/v2/bot/message/push\",\"status\":200,\"request_id\":\"seq-{seq:07}\"}}\n",
        s / 60,
        s % 60
    )
}

/// Every `seq-NNNNNNN` in the files under `dir`, decompressing archives.
fn on_disk(dir: &Path) -> Vec<u64> {
    let mut out = Vec::new();
    for e in walk(dir) {
        let raw = fs::read(&e).unwrap();
        let mut text = Vec::new();
        if raw.starts_with(&[0x1f, 0x8b]) {
            flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut text).unwrap();
        } else {
            text = raw;
        }
        for l in String::from_utf8_lossy(&text).lines() {
            if let Some(i) = l.find("\"seq-")
                && let Ok(n) = l[i + 5..i + 12].parse::<u64>()
            {
                out.push(n);
            }
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Append numbered lines at the given pace, reopening the file when its
/// path names another file (after a rotation that renamed it).
/// At every `ROTATE_EVERY` lines it waits until that rotation has started
/// (never for long), so that each run sees the same rotations however slow
/// logrotate is (it fsyncs, which can take seconds on a busy disk).
fn writer(path: PathBuf, stop_at: u64, written: &AtomicU64, rotations: &AtomicU64) {
    let open = |p: &Path| OpenOptions::new().append(true).open(p);
    let mut f = open(&path).unwrap();
    let mut ino = f.metadata().unwrap().ino();
    let start = Instant::now();
    for seq in 0..stop_at {
        if seq > 0 && seq % ROTATE_EVERY == 0 {
            let until = Instant::now() + Duration::from_secs(30);
            while rotations.load(Ordering::SeqCst) < seq / ROTATE_EVERY && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        if let Ok(m) = fs::metadata(&path)
            && m.ino() != ino
            && let Ok(nf) = open(&path)
        {
            f = nf;
            ino = m.ino();
        }
        f.write_all(line(seq).as_bytes()).unwrap();
        written.store(seq + 1, Ordering::Relaxed);
        let due = start + Duration::from_micros(seq * 1_000_000 / PER_SECOND);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
}

struct Outcome {
    mode: &'static str,
    printed: usize,
    twice: usize,
    junk: usize,
    disk_not_printed: usize,
    lost_on_disk: usize,
    not_written: usize,
    rotations: u64,
    /// A few lines printed twice: (seq, [(file, line)]).
    examples: Vec<(u64, Vec<(String, u64)>)>,
}

fn run_mode(lr: &Path, mode: &'static str, directives: &str) -> Outcome {
    let d = tempfile::tempdir().unwrap();
    let logs = d.path().join("logs");
    fs::create_dir(&logs).unwrap();
    let app = logs.join("app.log");
    fs::write(&app, "").unwrap();
    let directives = directives.replace("OLDDIR", &logs.join("old").display().to_string());
    if directives.contains("olddir") {
        fs::create_dir(logs.join("old")).unwrap();
    }
    let conf = d.path().join("logrotate.conf");
    fs::write(&conf, format!("{} {{\n    rotate 1000\n    missingok\n    nomail\n{directives}\n}}\n", app.display()))
        .unwrap();
    let state = d.path().join("state");

    let mut child = Command::new(env!("CARGO_BIN_EXE_linelens"))
        .arg("tail")
        .arg(&logs)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let printed = Arc::new(Mutex::new(Vec::<serde_json::Value>::new()));
    let sink = printed.clone();
    let reader = std::thread::spawn(move || {
        for l in BufReader::new(out).lines() {
            let Ok(l) = l else { break };
            sink.lock().unwrap().push(serde_json::from_str(&l).unwrap_or(serde_json::Value::Null));
        }
    });
    // Ready once a marker line appended after it started is printed.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut n = 0;
    while printed.lock().unwrap().is_empty() && Instant::now() < deadline {
        let mark = line(n).replace("seq-", "ready-");
        OpenOptions::new().append(true).open(&app).unwrap().write_all(mark.as_bytes()).unwrap();
        n += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    let written = Arc::new(AtomicU64::new(0));
    let started = Arc::new(AtomicU64::new(0));
    let w = {
        let app = app.clone();
        let (written, started) = (written.clone(), started.clone());
        std::thread::spawn(move || writer(app, LINES, &written, &started))
    };
    let mut rotations = 0;
    let mut last: Option<Instant> = None;
    while !w.is_finished() {
        if written.load(Ordering::SeqCst) >= (rotations + 1) * ROTATE_EVERY
            && last.is_none_or(|t| t.elapsed() >= ROTATE_GAP)
        {
            let run = Command::new(lr).arg("-f").arg("-s").arg(&state).arg(&conf).spawn().unwrap();
            rotations += 1;
            started.store(rotations, Ordering::SeqCst);
            let st = run.wait_with_output().unwrap().status;
            assert!(st.success(), "{mode}: logrotate failed");
            last = Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    w.join().unwrap();
    let disk: HashSet<u64> = on_disk(&logs).into_iter().collect();
    // Wait until everything on disk is printed (or a deadline), then a
    // moment more for anything printed twice to show.
    let deadline = Instant::now() + Duration::from_secs(20);
    let seqs = |v: &[serde_json::Value]| -> Vec<u64> {
        v.iter()
            .filter_map(|x| x["request_id"].as_str().and_then(|s| s.strip_prefix("seq-")).and_then(|s| s.parse().ok()))
            .collect()
    };
    while Instant::now() < deadline {
        let got: HashSet<u64> = seqs(&printed.lock().unwrap()).into_iter().collect();
        if disk.is_subset(&got) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let _ = child.wait();
    let _ = reader.join();
    let values = printed.lock().unwrap().clone();
    let all = seqs(&values);
    let mut count: HashMap<u64, usize> = HashMap::new();
    for s in &all {
        *count.entry(*s).or_default() += 1;
    }
    let got: HashSet<u64> = all.iter().copied().collect();
    let mut examples: Vec<(u64, Vec<(String, u64)>)> = Vec::new();
    let mut dup: Vec<u64> = count.iter().filter(|&(_, &n)| n > 1).map(|(&s, _)| s).collect();
    dup.sort_unstable();
    for s in dup.iter().take(3).chain(dup.iter().rev().take(2)) {
        let at = values
            .iter()
            .filter(|v| v["request_id"].as_str() == Some(&format!("seq-{s:07}")))
            .map(|v| {
                let f = v["source"].as_str().unwrap_or("").rsplit('/').next().unwrap_or("").to_owned();
                (f, v["line"].as_u64().unwrap_or(0))
            })
            .collect();
        examples.push((*s, at));
    }
    Outcome {
        examples,
        mode,
        printed: got.len(),
        twice: count.values().filter(|&&n| n > 1).count(),
        junk: values
            .iter()
            .filter(|v| v["request_id"].as_str().is_none_or(|s| !s.starts_with("seq-") && !s.starts_with("ready-")))
            .count(),
        disk_not_printed: disk.difference(&got).count(),
        lost_on_disk: (0..LINES).filter(|s| !disk.contains(s)).count(),
        not_written: got.iter().filter(|&&s| s >= LINES).count(),
        rotations,
    }
}

#[test]
fn tail_follows_real_logrotate_in_every_mode() {
    let Some(lr) = logrotate() else {
        eprintln!("note: logrotate is not installed; skipping the real-rotation test (apt-get install logrotate)");
        return;
    };
    let modes: [(&'static str, &str); 5] = [
        ("create", "    create"),
        ("create+compress+delaycompress", "    create\n    compress\n    delaycompress"),
        ("copytruncate+compress", "    copytruncate\n    compress"),
        ("copytruncate", "    copytruncate"),
        (
            "create+compress+dateext+olddir",
            "    create\n    compress\n    dateext\n    dateformat -%s\n    olddir OLDDIR",
        ),
    ];
    let handles: Vec<_> = modes
        .iter()
        .map(|&(mode, directives)| {
            let lr = lr.clone();
            let directives = directives.to_owned();
            std::thread::spawn(move || run_mode(&lr, mode, &directives))
        })
        .collect();
    let outcomes: Vec<Outcome> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    eprintln!("mode | written | printed | printed twice | junk | on disk, not printed | missing on disk | rotations");
    for o in &outcomes {
        eprintln!(
            "{} | {LINES} | {} | {} | {} | {} | {} | {}",
            o.mode, o.printed, o.twice, o.junk, o.disk_not_printed, o.lost_on_disk, o.rotations
        );
    }
    for o in &outcomes {
        assert!(o.rotations >= 3, "{}: only {} rotations", o.mode, o.rotations);
        assert_eq!(o.twice, 0, "{}: lines printed twice, e.g. {:?}", o.mode, o.examples);
        assert_eq!(o.junk, 0, "{}: records that are not written lines (compressed bytes as text?)", o.mode);
        assert_eq!(o.not_written, 0, "{}", o.mode);
        assert_eq!(o.disk_not_printed, 0, "{}: lines on disk never printed", o.mode);
        // Every line not printed is missing on disk too.
        assert!(LINES as usize - o.printed <= o.lost_on_disk, "{}: lost lines that are on disk", o.mode);
    }
}
