//! The follower fed a scripted sequence of file operations: appends,
//! renames, truncations, copies, compressed copies (whole or cut short),
//! deletions and polls, on a few names in a temporary directory.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::io::Write;

const NAMES: [&str; 5] = ["app.log", "app.log.1", "app.log.2.gz", "old/app.log.3", "x.tmp"];

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let root = dir.path();
    let _ = std::fs::create_dir(root.join("old"));
    let p = |i: u8| root.join(NAMES[usize::from(i) % NAMES.len()]);
    let mut f = linelens::source::follow::Follower::new(vec![root.to_path_buf()], data.first().is_some_and(|b| b & 1 == 1));
    let mut ops = data.iter().skip(1).copied();
    let mut steps = 0;
    while let Some(op) = ops.next() {
        steps += 1;
        if steps > 64 {
            break;
        }
        let a = ops.next().unwrap_or(0);
        let b = ops.next().unwrap_or(1);
        match op % 9 {
            0 => {
                let n = usize::from(b) % 64;
                let text: Vec<u8> = ops.by_ref().take(n).collect();
                if let Ok(mut w) = std::fs::OpenOptions::new().create(true).append(true).open(p(a)) {
                    let _ = w.write_all(&text);
                }
            }
            1 => {
                let _ = std::fs::rename(p(a), p(b));
            }
            2 => {
                if let Ok(w) = std::fs::OpenOptions::new().write(true).open(p(a)) {
                    let _ = w.set_len(u64::from(b) % 32);
                }
            }
            3 => {
                let _ = std::fs::copy(p(a), p(b));
            }
            4 => {
                if let Ok(d) = std::fs::read(p(a)) {
                    let _ = std::fs::write(p(b), gz(&d));
                }
            }
            5 => {
                // A compressed copy written only in part.
                if let Ok(d) = std::fs::read(p(a)) {
                    let z = gz(&d);
                    let _ = std::fs::write(p(b), &z[..z.len() * usize::from(b % 4) / 4]);
                }
            }
            6 => {
                let _ = std::fs::remove_file(p(a));
            }
            7 => {
                let _ = std::fs::write(p(a), b"");
            }
            _ => {
                let _ = f.poll();
            }
        }
    }
    for _ in 0..64 {
        let _ = f.poll();
        if !f.busy() {
            break;
        }
    }
});
