//! Each rotation case on real files in a temporary directory.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use super::*;

fn append(p: &Path, s: &str) {
    let mut f = OpenOptions::new().create(true).append(true).open(p).unwrap();
    f.write_all(s.as_bytes()).unwrap();
}

/// The text lines produced by some changes.
fn lines(changes: &[Change]) -> Vec<String> {
    let mut out = Vec::new();
    for c in changes {
        if let Change::Lines { data, .. } = c {
            out.extend(String::from_utf8_lossy(data).lines().map(str::to_owned));
        }
    }
    out
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn appended_lines_and_partial_lines() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("api.log");
    append(&p, "a\nb");
    let mut f = Follower::new(vec![d.path().to_path_buf()], true);
    let c = f.poll();
    assert!(matches!(c.first(), Some(Change::NewSource { .. })));
    assert_eq!(lines(&c), ["a"], "a partial line waits for its newline");
    append(&p, "\nc\n");
    let c = f.poll();
    assert_eq!(lines(&c), ["b", "c"]);
    // Line numbers and offsets continue.
    let Some(Change::Lines { offset, first_line, .. }) = c.first() else { panic!("{c:?}") };
    assert_eq!((*offset, *first_line), (2, 2));
    assert!(f.poll().is_empty(), "nothing new, nothing produced");
}

#[test]
fn rotation_by_rename_drains_the_old_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("api.log");
    append(&p, "1\n2\n");
    let mut f = Follower::new(vec![d.path().to_path_buf()], true);
    assert_eq!(lines(&f.poll()), ["1", "2"]);
    append(&p, "3\n");
    fs::rename(&p, d.path().join("api.log.1")).unwrap();
    append(&d.path().join("api.log.1"), "5\n"); // the writer still had it open
    append(&p, "4\n");
    let c = f.poll();
    assert_eq!(sorted(lines(&c)), ["3", "4", "5"]);
    assert!(c.iter().any(|x| matches!(x, Change::Renamed { path, .. } if path.ends_with("api.log.1"))));
    assert!(f.poll().is_empty());
}

#[test]
fn copytruncate_reads_the_file_again_and_not_the_copy() {
    for poll_between in [false, true] {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("api.log");
        append(&p, "1\n2\n");
        let mut f = Follower::new(vec![d.path().to_path_buf()], true);
        assert_eq!(lines(&f.poll()), ["1", "2"]);
        append(&p, "3\n"); // not read yet when the copy is taken
        fs::copy(&p, d.path().join("api.log.1")).unwrap();
        let mut got = Vec::new();
        if poll_between {
            got.extend(lines(&f.poll()));
        }
        OpenOptions::new().write(true).truncate(true).open(&p).unwrap();
        append(&p, "4\n");
        let c = f.poll();
        got.extend(lines(&c));
        assert_eq!(sorted(got), ["3", "4"], "poll between copy and truncate: {poll_between}");
        assert!(c.iter().any(|x| matches!(x, Change::Truncated { .. })));
        assert!(lines(&f.poll()).is_empty());
    }
}

#[test]
fn compressed_rotation_is_not_read_again() {
    let d = tempfile::tempdir().unwrap();
    let p1 = d.path().join("api.log.1");
    append(&p1, "1\n2\n");
    let mut f = Follower::new(vec![d.path().to_path_buf()], true);
    assert_eq!(lines(&f.poll()), ["1", "2"]);
    // logrotate: compress api.log.1 into api.log.2.gz, then remove it.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b"1\n2\n").unwrap();
    fs::write(d.path().join("api.log.2.gz"), e.finish().unwrap()).unwrap();
    fs::remove_file(&p1).unwrap();
    let c = f.poll();
    assert!(lines(&c).is_empty(), "{c:?}");
    assert!(c.iter().any(|x| matches!(x, Change::Gone { .. })));
    assert!(c.iter().any(|x| matches!(x, Change::NewSource { compressed: true, .. })));
}

#[test]
fn an_atomic_replace_reads_the_new_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("api.log");
    append(&p, "1\n");
    let mut f = Follower::new(vec![d.path().to_path_buf()], true);
    assert_eq!(lines(&f.poll()), ["1"]);
    append(&p, "2\n"); // written just before the replace: still read
    let tmp = d.path().join(".api.log.tmp");
    append(&tmp, "new 1\nnew 2\n");
    fs::rename(&tmp, &p).unwrap();
    let c = f.poll();
    assert_eq!(sorted(lines(&c)), ["2", "new 1", "new 2"]);
    assert!(c.iter().any(|x| matches!(x, Change::Gone { .. })));
}

#[test]
fn new_files_and_subdirectories_are_read_from_their_start() {
    let d = tempfile::tempdir().unwrap();
    let mut f = Follower::new(vec![d.path().to_path_buf()], false);
    assert!(f.poll().is_empty());
    fs::create_dir(d.path().join("bot-c")).unwrap();
    append(&d.path().join("bot-c/webhook.log"), "x\ny\n");
    assert_eq!(lines(&f.poll()), ["x", "y"]);
}

#[test]
fn deleted_files_are_reported_gone_and_closed() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a.log");
    let b = d.path().join("b.log");
    append(&a, "1\n");
    append(&b, "2\n");
    let mut f = Follower::new(vec![d.path().to_path_buf()], true);
    f.poll();
    assert_eq!(f.open_files(), 2);
    fs::remove_file(&a).unwrap();
    let c = f.poll();
    assert_eq!(c.iter().filter(|x| matches!(x, Change::Gone { .. })).count(), 1);
    assert_eq!(f.open_files(), 1, "the deleted file's handle is closed");
    assert!(f.poll().is_empty(), "gone is reported once");
}

#[test]
fn starting_at_the_end_reads_only_what_comes_next() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("api.log");
    append(&p, "1\n2\n");
    let mut f = Follower::new(vec![d.path().to_path_buf()], false);
    assert!(f.poll().is_empty());
    append(&p, "3\n");
    let c = f.poll();
    assert_eq!(lines(&c), ["3"]);
    let Some(Change::Lines { first_line, .. }) = c.first() else { panic!() };
    assert_eq!(*first_line, 3, "line numbers count the lines before");
}

/// lnav #104: a file rewritten in place with its own last lines
/// (`LOG="$(tail -n 2 f)"; echo "$LOG" > f`) must not show them twice.
#[test]
fn a_file_rewritten_with_its_own_tail_shows_nothing_twice() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("foo.log");
    append(&p, "1\n2\n3\n4\n");
    let mut f = Follower::new(vec![d.path().to_path_buf()], true);
    assert_eq!(lines(&f.poll()), ["1", "2", "3", "4"]);
    fs::write(&p, "3\n4\n").unwrap(); // truncated and rewritten with its tail
    append(&p, "5\n");
    let c = f.poll();
    assert_eq!(lines(&c), ["5"]);
    let Some(Change::Lines { first_line, .. }) = c.iter().find(|x| matches!(x, Change::Lines { .. })) else { panic!() };
    assert_eq!(*first_line, 3, "the kept lines still count");
    assert!(lines(&f.poll()).is_empty());
}

/// lnav #668: a file rewritten in place with the same size (and inode) is
/// read again.
#[test]
fn a_file_rewritten_in_place_with_the_same_size_is_read_again() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("test.log");
    append(&p, "test entry 09\n");
    let mut f = Follower::new(vec![d.path().to_path_buf()], true);
    assert_eq!(lines(&f.poll()), ["test entry 09"]);
    // Make sure the modification time can differ, then rewrite in place.
    let before = fs::metadata(&p).unwrap().modified().unwrap();
    loop {
        fs::write(&p, "test entry 10\n").unwrap();
        if fs::metadata(&p).unwrap().modified().unwrap() != before {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(lines(&f.poll()), ["test entry 10"]);
    assert!(lines(&f.poll()).is_empty());
}

/// lnav #951: a file deleted and created again (an IDE writing its log) is
/// followed under the same name.
#[test]
fn a_file_deleted_and_created_again_is_followed() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("idea.log");
    append(&p, "run 1\n");
    let mut f = Follower::new(vec![d.path().to_path_buf()], true);
    assert_eq!(lines(&f.poll()), ["run 1"]);
    fs::remove_file(&p).unwrap();
    append(&p, "run 2\n");
    let c = f.poll();
    assert_eq!(lines(&c), ["run 2"]);
    append(&p, "run 2, more\n");
    assert_eq!(lines(&f.poll()), ["run 2, more"]);
}

/// lnav #1749: a file opened by its own path (CTest's `LastTest.log`) is
/// replaced again and again by writing a temporary file and renaming it
/// over the path; each run starts with the same header, and the inodes
/// alternate as the filesystem reuses them. Every run must be read, once.
#[test]
fn a_file_replaced_by_rename_again_and_again_is_read_each_time() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("LastTest.log");
    let tmp = d.path().join("LastTest.log.tmp");
    let run = |n: usize| format!("Start testing: Nov 22 05:00 UTC\n----------\n1/1 Testing: api\nrun {n} passed\n");
    fs::write(&p, run(0)).unwrap();
    // Given the file itself, and given its directory (where the temporary
    // file is seen too).
    for root in [p.clone(), d.path().to_path_buf()] {
        let mut f = Follower::new(vec![root.clone()], false);
        let mut inodes = std::collections::HashSet::new();
        for n in 1..=30 {
            fs::write(&tmp, run(n)).unwrap();
            fs::rename(&tmp, &p).unwrap();
            inodes.insert(identity(&fs::metadata(&p).unwrap()));
            let c = f.poll();
            assert_eq!(lines(&c), run(n).lines().collect::<Vec<_>>(), "root {root:?}, run {n}: {c:?}");
            assert_eq!(f.open_files(), 1, "only the current file is held");
        }
        assert!(f.poll().is_empty());
        eprintln!("{} distinct inodes over 30 replacements", inodes.len());
    }
}

/// The same, with the temporary file seen half-written: it starts like the
/// file it will replace, so it is not judged until it differs from it (it
/// could be a copy being written); then it is new content, read once.
#[test]
fn a_replacement_seen_half_written_beside_the_file_is_read_once() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("LastTest.log");
    let tmp = d.path().join("LastTest.log.tmp");
    let header = "Start testing: Nov 22 05:00 UTC\n----------\n";
    fs::write(&p, format!("{header}old run\n")).unwrap();
    let mut f = Follower::new(vec![d.path().to_path_buf()], false);
    fs::write(&tmp, header).unwrap();
    let first = f.poll();
    assert!(lines(&first).is_empty(), "a start shared with a followed file: not judged yet: {first:?}");
    append(&tmp, "1/1 Testing: api\nnew run passed\n");
    let second = f.poll();
    fs::rename(&tmp, &p).unwrap();
    let third = f.poll();
    let mut got = lines(&second);
    got.extend(lines(&third));
    assert_eq!(
        sorted(got),
        sorted(vec![
            "Start testing: Nov 22 05:00 UTC".into(),
            "----------".into(),
            "1/1 Testing: api".into(),
            "new run passed".into()
        ])
    );
    // Line numbers are those of the file.
    let firsts: Vec<u64> = second
        .iter()
        .chain(&third)
        .filter_map(|x| if let Change::Lines { first_line, .. } = x { Some(*first_line) } else { None })
        .collect();
    assert_eq!(firsts, [1]);
    assert!(f.poll().is_empty());
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Numbered lines `from..to`, long enough that a few fill the fingerprint.
fn numbered(from: usize, to: usize) -> String {
    (from..to).map(|i| format!("2026-12-01T00:00:00Z line {i:06} {}\n", "x".repeat(60))).collect()
}

/// A directory with `name` holding `n` numbered lines, followed from the
/// start, and the lines the first poll printed.
fn started(name: &str, n: usize) -> (tempfile::TempDir, std::path::PathBuf, Follower, Vec<String>) {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join(name);
    append(&log, &numbered(0, n));
    let mut f = Follower::new(vec![d.path().to_path_buf()], true);
    let all = lines(&f.poll());
    (d, log, f, all)
}

/// Every printed line, and the ones printed more than once.
fn twice(all: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    all.iter().filter(|l| !seen.insert(l.as_str())).cloned().collect()
}

/// Make a file look older than the settling time.
fn age(p: &Path) {
    let f = fs::File::options().write(true).open(p).unwrap();
    f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(5)).unwrap();
}

/// A file created empty and filled afterwards (logrotate's `create`, `cp`)
/// is judged when it has content: a copy of what was read prints nothing.
#[test]
fn a_file_created_empty_then_filled_with_a_copy_prints_nothing_twice() {
    let (d, log, mut f, mut all) = started("app.log", 200);
    assert_eq!(all.len(), 200);
    let copy = d.path().join("app.log.1");
    fs::write(&copy, "").unwrap();
    all.extend(lines(&f.poll()));
    // Filled in two pieces, as `cp` does with a large file.
    let content = fs::read(&log).unwrap();
    fs::write(&copy, &content[..5000]).unwrap();
    all.extend(lines(&f.poll()));
    fs::write(&copy, &content).unwrap();
    all.extend(lines(&f.poll()));
    assert_eq!(all.len(), 200, "{:?}", twice(&all));
}

/// copytruncate: the copy is filled while the writer appends, then the file
/// is truncated. Lines written after the last read and before the
/// truncation are only in the copy: they are read from it, once.
#[test]
fn copytruncate_with_a_copy_filled_in_pieces_reads_each_line_once() {
    let (d, log, mut f, mut all) = started("app.log", 100);
    append(&log, &numbered(100, 150)); // not read yet
    let copy = d.path().join("app.log.1");
    fs::write(&copy, "").unwrap();
    all.extend(lines(&f.poll())); // the copy, empty: pending (150 lines read)
    let content = fs::read(&log).unwrap();
    fs::write(&copy, &content[..3000]).unwrap();
    all.extend(lines(&f.poll()));
    append(&log, &numbered(150, 160)); // the writer goes on
    let content = fs::read(&log).unwrap();
    fs::write(&copy, &content).unwrap();
    all.extend(lines(&f.poll()));
    append(&log, &numbered(160, 170));
    let content = fs::read(&log).unwrap();
    fs::write(&copy, &content).unwrap(); // copy done
    fs::File::options().write(true).open(&log).unwrap().set_len(0).unwrap(); // truncate
    append(&log, &numbered(170, 180));
    all.extend(lines(&f.poll()));
    all.extend(lines(&f.poll()));
    assert_eq!(twice(&all), Vec::<String>::new());
    assert_eq!(all.len(), 180);
}

/// `cp app.log tmp && mv tmp app.log.1`: a copy under a temporary name,
/// renamed; nothing twice.
#[test]
fn a_copy_then_a_rename_prints_nothing_twice() {
    let (d, log, mut f, mut all) = started("app.log", 100);
    let tmp = d.path().join("tmp");
    fs::copy(&log, &tmp).unwrap();
    all.extend(lines(&f.poll()));
    fs::rename(&tmp, d.path().join("app.log.1")).unwrap();
    all.extend(lines(&f.poll()));
    append(&log, &numbered(100, 110));
    all.extend(lines(&f.poll()));
    assert_eq!(twice(&all), Vec::<String>::new());
    assert_eq!(all.len(), 110);
}

/// A `.gz` written in pieces (as gzip does) is recognised by its magic
/// when its first bytes arrive and never read as text; its content, a
/// copy of a file read, prints nothing again.
#[test]
fn a_gzip_written_in_pieces_is_never_read_as_text() {
    let (d, log, mut f, mut all) = started("app.log.1", 300);
    let gz = gzip(&fs::read(&log).unwrap());
    let out = d.path().join("app.log.2.gz");
    fs::write(&out, "").unwrap();
    all.extend(lines(&f.poll()));
    for piece in [1, 5, 64, 500, gz.len()] {
        fs::write(&out, &gz[..piece.min(gz.len())]).unwrap();
        all.extend(lines(&f.poll()));
    }
    fs::remove_file(&log).unwrap();
    all.extend(lines(&f.poll()));
    age(&out);
    all.extend(lines(&f.poll()));
    assert_eq!(all.len(), 300, "{:?}", twice(&all));
    assert!(all.iter().all(|l| l.starts_with("2026-12-01")), "no compressed bytes as text");
}

/// A compressed copy of a file that was truncated before it was read to
/// the end (copytruncate + compress, the copy never seen plain): what was
/// not read is read from the archive.
#[test]
fn an_archive_of_content_truncated_away_reads_only_the_unread_rest() {
    let (d, log, mut f, mut all) = started("app.log", 100);
    append(&log, &numbered(100, 120));
    let content = fs::read(&log).unwrap();
    fs::File::options().write(true).open(&log).unwrap().set_len(0).unwrap();
    append(&log, &numbered(120, 125));
    all.extend(lines(&f.poll()));
    fs::write(d.path().join("app.log.1.gz"), gzip(&content)).unwrap();
    all.extend(lines(&f.poll()));
    assert_eq!(twice(&all), Vec::<String>::new());
    assert_eq!(all.len(), 125);
}

/// Every format logrotate's `compresscmd` writes is read as a stream.
#[test]
fn xz_zstd_and_bzip2_archives_are_read() {
    let text = numbered(0, 50);
    let xz = {
        let mut w = liblzma::write::XzEncoder::new(Vec::new(), 1);
        w.write_all(text.as_bytes()).unwrap();
        w.finish().unwrap()
    };
    let zst = zstd::encode_all(text.as_bytes(), 1).unwrap();
    let bz = {
        let mut w = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        w.write_all(text.as_bytes()).unwrap();
        w.finish().unwrap()
    };
    for (name, data) in [("a.log.1.xz", xz), ("a.log.1.zst", zst), ("a.log.1.bz2", bz)] {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(name);
        fs::write(&p, data).unwrap();
        let mut f = Follower::new(vec![d.path().to_path_buf()], true);
        let c = f.poll();
        assert_eq!(lines(&c), text.lines().collect::<Vec<_>>(), "{name}");
        assert!(c.iter().any(|x| matches!(x, Change::NewSource { compressed: true, .. })), "{name}");
    }
}

/// A truncated archive: the lines before the damage, then one warning
/// naming the file and the byte.
#[test]
fn a_truncated_archive_keeps_the_lines_before_the_damage() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("old.log.gz");
    let text = numbered(0, 5000);
    let gz = gzip(text.as_bytes());
    fs::write(&p, &gz[..gz.len() / 2]).unwrap();
    age(&p);
    let mut f = Follower::new(vec![d.path().to_path_buf()], true);
    let mut c = f.poll();
    while f.busy() {
        c.extend(f.poll());
    }
    let got = lines(&c);
    assert!(got.len() > 1000, "{}", got.len());
    // Every line but the cut last one is whole and in order.
    for (i, l) in got.iter().take(got.len() - 1).enumerate() {
        assert!(l.contains(&format!("line {i:06}")), "{l}");
    }
    let warnings: Vec<_> = c.iter().filter(|x| matches!(x, Change::Unreadable { .. })).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let Change::Unreadable { reason, .. } = warnings[0] else { unreachable!() };
    assert!(reason.contains("damaged gzip data at byte"), "{reason}");
    assert!(f.poll().is_empty(), "said once");
}

/// A large archive is read a bounded piece per poll.
#[test]
fn a_large_archive_is_read_in_bounded_pieces() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("big.log.gz");
    let text = numbered(0, 300_000); // about 26 MB
    fs::write(&p, gzip(text.as_bytes())).unwrap();
    let mut f = Follower::new(vec![d.path().to_path_buf()], true);
    let (mut polls, mut n, mut largest) = (0, 0, 0);
    loop {
        let c = f.poll();
        polls += 1;
        let bytes: usize = c.iter().map(|x| if let Change::Lines { data, .. } = x { data.len() } else { 0 }).sum();
        largest = largest.max(bytes);
        n += lines(&c).len();
        if !f.busy() {
            break;
        }
    }
    assert_eq!(n, 300_000);
    assert!(polls >= 3, "{polls}");
    assert!(largest <= (2 << 20) + 4096, "{largest}");
}

/// copytruncate copies, then truncates: lines read from the file between
/// the copy and the truncation are not in the copy. The copy (a shadow
/// while the file still held its content) then has nothing new, and is
/// not taken for a truncated file and read again.
#[test]
fn a_copy_shorter_than_what_was_read_reads_nothing_again() {
    let (d, log, mut f, mut all) = started("app.log", 100);
    fs::copy(&log, d.path().join("app.log.1")).unwrap();
    all.extend(lines(&f.poll())); // a shadow of app.log
    append(&log, &numbered(100, 105)); // after the copy: read from app.log
    all.extend(lines(&f.poll()));
    fs::File::options().write(true).open(&log).unwrap().set_len(0).unwrap();
    append(&log, &numbered(105, 110));
    for _ in 0..3 {
        all.extend(lines(&f.poll()));
    }
    assert_eq!(twice(&all), Vec::<String>::new());
    assert_eq!(all.len(), 110);
}

/// The screen adopts the files it read; one that was empty then (an
/// archive logrotate had just created) is judged when it fills: as an
/// archive, never as text.
#[test]
fn an_adopted_empty_file_that_becomes_an_archive_is_not_read_as_text() {
    let (d, log, mut f, mut all) = started("app.log.1", 50);
    let gzp = d.path().join("app.log.2.gz");
    fs::write(&gzp, "").unwrap();
    let mut g = Follower::new(vec![d.path().to_path_buf()], true);
    g.adopt(&[(log.clone(), 0, fs::metadata(&log).unwrap().len(), 51), (gzp.clone(), 1, 0, 1)]);
    fs::write(&gzp, gzip(&fs::read(&log).unwrap())).unwrap();
    age(&gzp);
    let c = g.poll();
    assert!(lines(&c).is_empty(), "{c:?}");
    assert!(c.iter().any(|x| matches!(x, Change::NewSource { compressed: true, .. })), "{c:?}");
    all.extend(lines(&f.poll()));
    assert_eq!(all.len(), 50);
}

/// A small deterministic generator (xorshift) for the schedules below.
struct Schedule(u64);

impl Schedule {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// `TRACE=1` prints each step of a schedule and what each poll produced.
fn trace(what: impl FnOnce() -> String) {
    if std::env::var_os("TRACE").is_some() {
        eprintln!("{}", what());
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Rotation {
    /// `copytruncate`: copy to `.1` (the archives move up), truncate.
    CopyTruncate,
    /// `copytruncate` + `compress`: the copy is compressed to `.1.gz`,
    /// then unlinked.
    CopyTruncateCompress,
    /// `create` + `compress`: rename to `.1`, the writer reopens a new
    /// file, `.1` is compressed to `.1.gz` and unlinked.
    CreateCompress,
}

/// One run of a logrotate mode done step by step as logrotate does it
/// (archives renamed up, a copy created empty and filled in 8 KiB pieces
/// while the writer appends, the `.gz` written in pieces), with a poll or
/// not between any two steps as `seed` decides. Returns the lines printed
/// and the lines on disk at the end.
fn rotate_under_schedule(seed: u64, mode: Rotation) -> (Vec<String>, std::collections::HashSet<String>) {
    let mut s = Schedule(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().to_path_buf();
    let log = dir.join("app.log");
    let mut next = 0usize;
    let write = |s: &mut Schedule, next: &mut usize| {
        let n = (s.next() % 40) as usize;
        append(&log, &numbered(*next, *next + n));
        trace(|| format!("write {}..{}", *next, *next + n));
        *next += n;
    };
    write(&mut s, &mut next);
    let mut f = Follower::new(vec![dir.clone()], true);
    let mut all = lines(&f.poll());
    let maybe_poll = |s: &mut Schedule, f: &mut Follower, all: &mut Vec<String>| {
        if s.chance(50) {
            let changes = f.poll();
            trace(|| {
                format!(
                    "poll: {:?}",
                    changes
                        .iter()
                        .map(|c| match c {
                            Change::Lines { key, data, .. } => {
                                let t = String::from_utf8_lossy(data);
                                let seq = |l: Option<&str>| l.and_then(|l| l.get(26..32)).unwrap_or("").to_owned();
                                format!("key {key}: {}..{}", seq(t.lines().next()), seq(t.lines().last()))
                            }
                            c => format!("{c:?}"),
                        })
                        .collect::<Vec<_>>()
                )
            });
            all.extend(lines(&changes));
        }
    };
    let gz_name = |i: usize| dir.join(format!("app.log.{i}.gz"));
    let plain_name = |i: usize| dir.join(format!("app.log.{i}"));
    for archives in 0..6 {
        for _ in 0..(s.next() % 4) {
            write(&mut s, &mut next);
            maybe_poll(&mut s, &mut f, &mut all);
        }
        let name = |i| if mode == Rotation::CopyTruncate { plain_name(i) } else { gz_name(i) };
        for i in (1..=archives).rev() {
            fs::rename(name(i), name(i + 1)).unwrap();
            trace(|| format!("archive {i} renamed"));
            maybe_poll(&mut s, &mut f, &mut all);
        }
        let one = plain_name(1);
        if mode == Rotation::CreateCompress {
            fs::rename(&log, &one).unwrap();
            trace(|| "renamed to .1".into());
            maybe_poll(&mut s, &mut f, &mut all);
            fs::write(&log, "").unwrap();
            trace(|| "created".into());
        } else {
            fs::write(&one, "").unwrap();
            trace(|| "copy created".into());
            maybe_poll(&mut s, &mut f, &mut all);
            let mut copied = 0usize;
            loop {
                let content = fs::read(&log).unwrap();
                if copied >= content.len() {
                    break;
                }
                let to = (copied + 8192).min(content.len());
                OpenOptions::new().append(true).open(&one).unwrap().write_all(&content[copied..to]).unwrap();
                copied = to;
                trace(|| format!("copied to {to}"));
                if s.chance(30) {
                    write(&mut s, &mut next);
                }
                maybe_poll(&mut s, &mut f, &mut all);
            }
            if s.chance(50) {
                write(&mut s, &mut next); // lost: after the copy, before the truncation
                maybe_poll(&mut s, &mut f, &mut all);
            }
            fs::File::options().write(true).open(&log).unwrap().set_len(0).unwrap();
            trace(|| "truncated".into());
        }
        maybe_poll(&mut s, &mut f, &mut all);
        if mode != Rotation::CopyTruncate {
            let gz = gzip(&fs::read(&one).unwrap());
            let out = gz_name(1);
            fs::write(&out, "").unwrap();
            let mut at = 0;
            while at < gz.len() {
                at = (at + 1 + (s.next() % 6000) as usize).min(gz.len());
                fs::write(&out, &gz[..at]).unwrap();
                trace(|| format!("gz {at}/{}", gz.len()));
                if s.chance(30) {
                    write(&mut s, &mut next);
                }
                maybe_poll(&mut s, &mut f, &mut all);
            }
            fs::remove_file(&one).unwrap();
            trace(|| "copy removed".into());
        }
        maybe_poll(&mut s, &mut f, &mut all);
    }
    let mut disk = std::collections::HashSet::new();
    for p in fs::read_dir(&dir).unwrap().flatten() {
        age(&p.path());
        let raw = fs::read(p.path()).unwrap();
        let text = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut t = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&raw[..]), &mut t).unwrap();
            t
        } else {
            raw
        };
        disk.extend(String::from_utf8_lossy(&text).lines().map(str::to_owned));
    }
    for _ in 0..3 {
        all.extend(lines(&f.poll()));
    }
    (all, disk)
}

/// Every line written is printed once, in each logrotate mode, whenever
/// the polls fall (`SEED=n` runs one schedule; `TRACE=1` shows it).
#[test]
fn each_rotation_mode_under_any_schedule_prints_each_line_once() {
    let seeds = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).map_or(1..=80u64, |s: u64| s..=s);
    for mode in [Rotation::CopyTruncateCompress, Rotation::CopyTruncate, Rotation::CreateCompress] {
        for seed in seeds.clone() {
            let (all, disk) = rotate_under_schedule(seed, mode);
            let name = match mode {
                Rotation::CopyTruncate => "copytruncate",
                Rotation::CopyTruncateCompress => "copytruncate+compress",
                Rotation::CreateCompress => "create+compress",
            };
            let dup = twice(&all);
            assert!(dup.is_empty(), "{name}, seed {seed}: {} lines printed twice, first {:?}", dup.len(), dup.first());
            let printed: std::collections::HashSet<&String> = all.iter().collect();
            let missing = disk.iter().filter(|l| !printed.contains(l)).count();
            assert_eq!(missing, 0, "{name}, seed {seed}: lines on disk never printed");
            if mode == Rotation::CreateCompress {
                assert_eq!(all.len(), disk.len(), "{name}, seed {seed}: nothing is lost in this mode");
            }
        }
    }
}
