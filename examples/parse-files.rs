//! What reading each file's lines costs, file by file, as the parse workers
//! see it: the file (decompressed when it ends in `.gz`) is cut into 1 MiB
//! blocks at line ends and each block parsed as `ParsedBlock::parse` does
//! in the reader's pipeline; prints nanoseconds per line, best of `REPS`
//! passes (default 5) over the first `LIMIT_MB` MiB (default 60).
//!
//! Timings on a shared machine drift; instruction counts do not. To compare
//! two builds, count instructions over two passes and one pass, and divide
//! the difference by the lines:
//!
//! ```text
//! cargo build --release --example parse-files
//! for reps in 1 2; do LIMIT_MB=4 REPS=$reps valgrind --tool=cachegrind --cache-sim=no \
//!     --cachegrind-out-file=/dev/null target/release/examples/parse-files FILE 2>&1 | grep 'I *refs'; done
//! head -c 4M FILE | wc -l
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Read;

use linelens::ingest::{ParseOptions, ParsedBlock};
use linelens::source::Block;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let (limit, reps) = (env("LIMIT_MB", 60) << 20, env("REPS", 5));
    for path in std::env::args().skip(1) {
        let mut data = Vec::new();
        let f = std::fs::File::open(&path).expect("open");
        if path.ends_with(".gz") {
            flate2::read::MultiGzDecoder::new(f).read_to_end(&mut data).expect("gunzip");
        } else {
            std::io::BufReader::new(f).read_to_end(&mut data).expect("read");
        }
        data.truncate(limit);
        while data.last().is_some_and(|&b| b != b'\n') {
            data.pop();
        }
        let mut blocks = Vec::new();
        let mut start = 0;
        while start < data.len() {
            let mut end = (start + (1 << 20)).min(data.len());
            while end < data.len() && data[end - 1] != b'\n' {
                end += 1;
            }
            blocks.push(data[start..end].to_vec());
            start = end;
        }
        let lines = memchr::memchr_iter(b'\n', &data).count().max(1);
        let mut best = f64::MAX;
        for _ in 0..reps {
            let pass = blocks.clone();
            let t = std::time::Instant::now();
            for b in pass {
                let block = Block { offset: 0, first_line: 1, data: b };
                std::hint::black_box(ParsedBlock::parse(0, block, &ParseOptions::default()));
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("{path}: {:.0} MB, {lines} lines, {:.0} ns/line", data.len() as f64 / 1e6, best * 1e9 / lines as f64);
    }
}
