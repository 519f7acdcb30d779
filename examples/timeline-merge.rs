//! What keeping the timeline costs while a directory is read, as the screen
//! keeps it: after every few committed blocks, `Store::timeline_step` (while
//! reading) until it waits or is done, then (every file read) until done.
//! Prints the time of those steps on the reading thread, the worst step,
//! and the time of the steps after the read.
//!
//! ```text
//! cargo run --release --example timeline-merge -- target/bench-data/330h
//! COLD=1 ...   the timeline only after the read (one build of every record)
//! CHECK=1 ...  check the order against the records' times
//! SLICE=N ...  the work of one step (default 20,000, as the screen's)
//! ```
//!
//! The times are wall times of the thread that commits, which shares the
//! cores with the parse workers: compare builds in alternate runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use linelens::ingest::{Window, load_with};
use linelens::store::{Store, TimelineStep};

fn settled(step: TimelineStep) -> bool {
    matches!(step, TimelineStep::Waiting | TimelineStep::Done)
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "target/bench-data/330h".into());
    let slice: usize = std::env::var("SLICE").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let cold = std::env::var_os("COLD").is_some();
    let specs = linelens::source::discover(&[dir.into()]).unwrap().0;
    let mut store = Store::new();
    let (mut reading, mut steps, mut worst) = (Duration::ZERO, 0u64, Duration::ZERO);
    let t = Instant::now();
    load_with(&mut store, &specs, Window::default(), 2, &mut |_| {}, &mut |s: &mut Store| {
        if cold {
            return;
        }
        loop {
            let t0 = Instant::now();
            let step = s.timeline_step(slice, true);
            let d = t0.elapsed();
            (reading, worst, steps) = (reading + d, worst.max(d), steps + 1);
            if settled(step) {
                break;
            }
        }
    });
    let read = t.elapsed();
    let t0 = Instant::now();
    loop {
        steps += 1;
        if settled(store.timeline_step(slice, false)) {
            break;
        }
    }
    let after = t0.elapsed();
    println!(
        "{} records read in {:.2} s; timeline steps {:.3} s while reading (worst {:.1} ms), {:.3} s after; {steps} steps",
        store.len(),
        read.as_secs_f64(),
        reading.as_secs_f64(),
        worst.as_secs_f64() * 1e3,
        after.as_secs_f64(),
    );
    assert_eq!(store.order().len(), store.len());
    if std::env::var_os("CHECK").is_some() {
        let mut seen = vec![false; store.len()];
        let mut prev = None;
        for id in store.order().iter() {
            let k = (store.get(id).unwrap().ts(), id);
            assert!(prev < Some(k), "out of order at {id}");
            assert!(!std::mem::replace(&mut seen[id as usize], true));
            prev = Some(k);
        }
        println!("order checked");
    }
}
