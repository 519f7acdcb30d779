//! What the two latency benchmarks share: appending at a steady pace and
//! the summary of the latencies measured.

use std::time::{Duration, Instant};

/// Call `each(n)` for n in 0..per_second × seconds, at `per_second` a second.
pub fn paced(per_second: u64, seconds: u64, mut each: impl FnMut(u64)) {
    let every = Duration::from_micros(1_000_000 / per_second);
    let t0 = Instant::now();
    for n in 0..per_second * seconds {
        let due = t0 + every * n as u32;
        if let Some(d) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
        each(n);
    }
}

/// Print median, 99th percentile and worst of `latencies` (sorted here).
pub fn print_summary(label: &str, latencies: &mut [Duration]) {
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pct = |p: f64| latencies.get(((latencies.len() as f64 - 1.0) * p) as usize).copied().unwrap_or_default();
    println!(
        "{label} median {:.1} ms, p99 {:.1} ms, worst {:.1} ms",
        ms(pct(0.5)),
        ms(pct(0.99)),
        ms(latencies.last().copied().unwrap_or_default())
    );
}
