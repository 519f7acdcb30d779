//! Following files by name, like `tail -F`, through rotation.
//!
//! Every file is tracked by identity (device, inode), not by name, with the
//! offset read so far and an open handle (so what is written to a file just
//! before it is renamed or replaced is still read). [`Follower::poll`]
//! re-scans the paths and re-checks every file; callers run it on notify
//! events and on a timer, since events get lost.
//!
//! - Appended lines: read up to the last newline; a partial line waits.
//! - Rotation by rename (`api.log` → `api.log.1`, new `api.log`): the old
//!   identity is drained through its handle and keeps its source (now under
//!   the new name); the new file is read from its start.
//! - copytruncate: the file shrinks below the offset → read it again from
//!   its start. The copy beside it starts with content already read: its
//!   fingerprint (first 4 KiB) matches, so only what lies beyond the read
//!   offset is produced.
//! - Compressed rotation (`api.log.1` → `api.log.2.gz`): the same
//!   fingerprint, on the decompressed content; gzip files are read once.
//! - Atomic replace (a new file renamed over the path): a new identity, read
//!   from its start; the old one is drained and closed. A file found at a
//!   known file's path is that file's successor, never a copy of it, even
//!   when it starts the same way (lnav #1749: CTest rewrites `LastTest.log`
//!   through a temporary file, every run with the same header). A temporary
//!   file seen half-written beside the file can look like a copy of it; if
//!   it then takes over the file's path, the start it skipped is read.
//! - Deleted files: drained, closed, reported gone; their records stay. The
//!   identity is forgotten, since the filesystem reuses inodes at once.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{Origin, discover, sniff_binary};

/// File-system events under some paths, as wake-ups for a [`Follower`].
pub struct Watch {
    /// Kept alive for as long as events are wanted.
    _watcher: Option<notify::RecommendedWatcher>,
    pub wake: crossbeam_channel::Receiver<()>,
    /// Every path could be watched (else only a timer will notice changes).
    pub all_watched: bool,
}

/// Watch `roots` recursively (`enabled` false: no watching at all). Events
/// are wake-ups only; access events are dropped, since the follower's own
/// reads cause them and waking on them would loop.
pub fn watch(roots: &[PathBuf], enabled: bool) -> Watch {
    let (tx, wake) = crossbeam_channel::unbounded::<()>();
    let mut watcher = enabled
        .then(|| {
            notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
                if e.is_ok_and(|e| !matches!(e.kind, notify::EventKind::Access(_))) {
                    let _ = tx.send(());
                }
            })
        })
        .and_then(Result::ok);
    let mut all_watched = watcher.is_some();
    for r in roots {
        // A file is watched through its directory: a watch on the file
        // itself is on its inode, lost once another file is renamed over it.
        let (at, mode) = match r.parent().filter(|p| r.is_file() && !p.as_os_str().is_empty()) {
            Some(dir) => (dir, notify::RecursiveMode::NonRecursive),
            None if r.is_file() => (Path::new("."), notify::RecursiveMode::NonRecursive),
            None => (r.as_path(), notify::RecursiveMode::Recursive),
        };
        let ok = watcher.as_mut().is_some_and(|w| notify::Watcher::watch(w, at, mode).is_ok());
        all_watched &= ok;
    }
    Watch { _watcher: watcher, wake, all_watched }
}

/// How much of a file's start identifies its content.
const PRINT: usize = 4096;

#[cfg(unix)]
fn identity(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn identity(m: &std::fs::Metadata) -> (u64, u64) {
    (
        m.len(),
        m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos() as u64),
    )
}

/// What a poll found.
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    /// A file to add as a source (its lines follow in `Lines`).
    NewSource { key: u64, path: PathBuf, compressed: bool },
    /// Complete lines of a source, starting at `offset` and line `first_line`.
    Lines { key: u64, offset: u64, first_line: u64, data: Vec<u8> },
    /// The source is now known under another name (rotation by rename).
    Renamed { key: u64, path: PathBuf },
    /// The file shrank: it is read again from its start.
    Truncated { key: u64 },
    /// The file is gone (its records stay).
    Gone { key: u64 },
    /// A file could not be read (reported once).
    Unreadable { path: PathBuf, reason: String },
}

struct Tracked {
    /// Stable key for the caller (maps to a store source).
    key: u64,
    path: PathBuf,
    file: Option<File>,
    /// Bytes consumed (complete lines handed out).
    offset: u64,
    next_line: u64,
    partial: Vec<u8>,
    /// The first bytes of the content, for recognising copies.
    prefix: Vec<u8>,
    compressed: bool,
    seen: bool,
    /// A read failed (reported once until it works again).
    failing: bool,
    /// Modification time at the last poll (a rewrite in place can keep the
    /// size and the inode: lnav #668).
    mtime: Option<std::time::SystemTime>,
    /// Hashes of the last lines handed out (at most `RECENT`).
    recent: std::collections::VecDeque<u64>,
    /// After a truncation: the old `recent`, to skip new content that only
    /// repeats the old ending (a file rewritten with its own tail).
    before_truncation: Option<std::collections::VecDeque<u64>>,
    /// Judged a copy of the file then at this path, so its start (up to
    /// this offset) was skipped; read if it turns out to replace that file.
    copy_of: Option<(PathBuf, u64)>,
}

/// Lines remembered per file to recognise a rewrite with its own tail.
const RECENT: usize = 4096;

impl Tracked {
    /// A file followed from `offset` (its line `next_line`), by `key`.
    fn new(key: u64, path: PathBuf, offset: u64, next_line: u64, prefix: Vec<u8>, compressed: bool) -> Tracked {
        let file = if compressed { None } else { File::open(&path).ok() };
        Tracked {
            key,
            mtime: modified(&path),
            path,
            file,
            offset,
            next_line,
            partial: Vec::new(),
            prefix,
            compressed,
            seen: true,
            failing: false,
            recent: Default::default(),
            before_truncation: None,
            copy_of: None,
        }
    }
}

/// Follows every file under some paths.
pub struct Follower {
    roots: Vec<PathBuf>,
    files: HashMap<(u64, u64), Tracked>,
    next_key: u64,
    unreadable: std::collections::HashSet<PathBuf>,
    /// Binary files: not followed, not looked at again.
    ignored: std::collections::HashSet<(u64, u64)>,
}

impl Follower {
    /// Follow `roots`. With `from_start` false, files that exist now are
    /// followed from their current end.
    pub fn new(roots: Vec<PathBuf>, from_start: bool) -> Follower {
        let mut f = Follower {
            roots,
            files: HashMap::new(),
            next_key: 0,
            unreadable: Default::default(),
            ignored: Default::default(),
        };
        if !from_start {
            for (path, meta) in f.scan() {
                let id = identity(&meta);
                let key = f.new_key();
                let (prefix, compressed) = read_prefix(&path).unwrap_or_default();
                let end = if compressed { u64::MAX } else { meta.len() };
                // Line numbers go on from the lines already there.
                let next_line = if compressed { 0 } else { super::count_newlines(&path, 0, end).unwrap_or(0) + 1 };
                f.files.insert(id, Tracked::new(key, path, end, next_line, prefix, compressed));
            }
        }
        f
    }

    /// Follow files already read to `offset` (the screen's initial load):
    /// `known` is (path, key, offset, next line number).
    pub fn adopt(&mut self, known: &[(PathBuf, u64, u64, u64)]) {
        for (path, key, offset, next_line) in known {
            let Ok(meta) = std::fs::metadata(path) else { continue };
            let (prefix, compressed) = read_prefix(path).unwrap_or_default();
            self.next_key = self.next_key.max(key + 1);
            let offset = if compressed { u64::MAX } else { *offset };
            self.files
                .insert(identity(&meta), Tracked::new(*key, path.clone(), offset, *next_line, prefix, compressed));
        }
    }

    fn new_key(&mut self) -> u64 {
        self.next_key += 1;
        self.next_key - 1
    }

    /// Every regular file under the roots, with its metadata.
    fn scan(&self) -> Vec<(PathBuf, std::fs::Metadata)> {
        let roots: Vec<PathBuf> = self.roots.iter().filter(|p| p.exists()).cloned().collect();
        let Ok((specs, _)) = discover(&roots) else { return Vec::new() };
        specs
            .into_iter()
            .filter(|s| s.error.is_none() && s.skipped.is_none())
            .filter_map(|s| match s.origin {
                Origin::File(p) => std::fs::metadata(&p).ok().filter(|m| m.is_file()).map(|m| (p, m)),
                Origin::Stdin => None,
            })
            .collect()
    }

    /// The files followed now, by key.
    pub fn known(&self) -> Vec<(u64, PathBuf)> {
        self.files.values().map(|t| (t.key, t.path.clone())).collect()
    }

    /// Number of files currently held open.
    pub fn open_files(&self) -> usize {
        self.files.values().filter(|t| t.file.is_some()).count()
    }

    /// Re-scan, re-check every file and return what changed.
    pub fn poll(&mut self) -> Vec<Change> {
        let mut out = Vec::new();
        for t in self.files.values_mut() {
            t.seen = false;
        }
        let found = self.scan();
        let ids: std::collections::HashSet<(u64, u64)> = found.iter().map(|(_, m)| identity(m)).collect();
        self.ignored.retain(|id| ids.contains(id));
        // First the new identities, judged against the known files as they
        // were (a copy must be recognised before its original's truncation
        // is handled), then the known ones.
        for (path, meta) in &found {
            let id = identity(meta);
            if !self.files.contains_key(&id) && !self.ignored.contains(&id) {
                self.add_new(id, path, &mut out);
            }
        }
        for (path, meta) in &found {
            let Some(t) = self.files.get_mut(&identity(meta)) else { continue };
            if t.seen {
                continue;
            }
            t.seen = true;
            if &t.path != path {
                t.path = path.clone();
                out.push(Change::Renamed { key: t.key, path: path.clone() });
                if t.copy_of.as_ref().is_some_and(|(orig, _)| orig == path) {
                    // Not a copy: a replacement written beside the file.
                    if let Err(e) = read_skipped_start(t, &mut out) {
                        out.push(Change::Unreadable { path: t.path.clone(), reason: super::io_reason(&e) });
                    }
                }
            }
            if t.compressed {
                continue;
            }
            let mtime = meta.modified().ok();
            let touched = t.mtime.is_some() && mtime != t.mtime;
            t.mtime = mtime;
            // Changed without growing, or its start no longer what was read:
            // rewritten in place (same inode, maybe the same size).
            let rewritten = touched && t.offset != u64::MAX && !starts_with_prefix(&t.path, &t.prefix);
            if meta.len() < t.offset || rewritten {
                // copytruncate (or a rewrite): read again from the start.
                t.offset = 0;
                t.partial.clear();
                t.prefix.clear();
                t.next_line = 1;
                t.before_truncation = Some(std::mem::take(&mut t.recent));
                out.push(Change::Truncated { key: t.key });
            }
            match read_new(t, &mut out) {
                Ok(()) => t.failing = false,
                Err(e) => {
                    if !t.failing {
                        out.push(Change::Unreadable { path: t.path.clone(), reason: super::io_reason(&e) });
                    }
                    t.failing = true;
                }
            }
        }
        // Identities no longer found: drain through the handle, close and
        // forget (a new file may get the same inode).
        self.files.retain(|_, t| {
            if t.seen {
                return true;
            }
            if t.file.is_some() {
                // Never by path: the path may now name another file.
                let _ = read_new(t, &mut out);
            }
            out.push(Change::Gone { key: t.key });
            false
        });
        out
    }

    fn add_new(&mut self, id: (u64, u64), path: &Path, out: &mut Vec<Change>) {
        let (prefix, compressed) = match read_prefix(path) {
            Ok(p) => p,
            Err(e) => {
                if self.unreadable.insert(path.to_path_buf()) {
                    out.push(Change::Unreadable { path: path.to_path_buf(), reason: super::io_reason(&e) });
                }
                return;
            }
        };
        if sniff_binary(&prefix).is_some() {
            self.ignored.insert(id);
            return;
        }
        let skip = self.already_read(&prefix, path);
        let key = self.new_key();
        let mut t = Tracked::new(key, path.to_path_buf(), 0, 1, Vec::new(), compressed);
        out.push(Change::NewSource { key, path: path.to_path_buf(), compressed });
        if compressed {
            // Read once; what a known file has produced or will produce is skipped.
            match read_gz_from(path, skip.as_ref().map_or(0, |(o, _, _)| *o)) {
                Ok((data, start)) => emit(&mut t, start, data, skip.as_ref().map_or(1, |(_, l, _)| *l), out),
                Err(e) => out.push(Change::Unreadable { path: path.to_path_buf(), reason: super::io_reason(&e) }),
            }
            t.prefix = prefix;
            t.offset = u64::MAX;
        } else {
            match skip {
                // Everything in it is produced by the original: start after
                // its last complete line.
                Some((u64::MAX, _, orig)) => {
                    let (offset, lines) = complete_lines(path).unwrap_or((0, 0));
                    t.offset = offset;
                    t.next_line = lines + 1;
                    t.copy_of = Some((orig, offset));
                }
                Some((o, l, _)) => {
                    t.offset = o;
                    t.next_line = l;
                }
                None => {}
            }
            t.prefix = prefix;
            if let Err(e) = read_new(&mut t, out) {
                out.push(Change::Unreadable { path: path.to_path_buf(), reason: super::io_reason(&e) });
            }
        }
        self.files.insert(id, t);
    }

    /// For a new file at `path` whose content starts like `prefix` (a copy
    /// of a known file elsewhere): how much of it to skip, the line number
    /// after that, and the known file's path. A known file still holding
    /// those bytes (not truncated; read through its handle even if renamed
    /// or deleted) produces them itself, so the copy skips all of them; if
    /// it was truncated, the copy skips what was read. A file at the known
    /// file's own path replaced it: not a copy.
    fn already_read(&self, prefix: &[u8], path: &Path) -> Option<(u64, u64, PathBuf)> {
        if prefix.is_empty() {
            return None;
        }
        let t = self.files.values().find(|t| {
            let n = t.prefix.len().min(prefix.len());
            t.path != path && n > 0 && t.prefix.get(..n) == prefix.get(..n)
        })?;
        let held = t.file.as_ref().and_then(|f| f.metadata().ok()).map(|m| m.len());
        match held {
            // Still holds the content: it produces it; skip it all here.
            Some(size) if size >= t.offset && t.offset != u64::MAX => Some((u64::MAX, 0, t.path.clone())),
            _ if t.offset == u64::MAX => Some((u64::MAX, 0, t.path.clone())),
            _ => Some((t.offset, t.next_line, t.path.clone())),
        }
    }
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).ok().and_then(|m| m.modified().ok())
}

/// Whether a plain file still starts with `prefix` (what was read of it).
fn starts_with_prefix(path: &Path, prefix: &[u8]) -> bool {
    let Ok(mut f) = File::open(path) else { return true };
    let mut head = vec![0u8; prefix.len()];
    let n = super::read_full(&mut f, &mut head).unwrap_or(0);
    head.truncate(n);
    head == prefix
}

/// The first bytes of a file's (decompressed) content, and whether it is gzip.
fn read_prefix(path: &Path) -> io::Result<(Vec<u8>, bool)> {
    let opened = super::open(&Origin::File(path.to_path_buf()))?;
    let mut head = opened.head;
    head.truncate(PRINT);
    Ok((head, opened.compressed))
}

/// A gzip file's content from `skip` on: (data, offset of data).
fn read_gz_from(path: &Path, skip: u64) -> io::Result<(Vec<u8>, u64)> {
    let mut opened = super::open(&Origin::File(path.to_path_buf()))?;
    let mut all = std::mem::take(&mut opened.head);
    opened.reader.read_to_end(&mut all)?;
    let start = (skip as usize).min(all.len());
    Ok((all.split_off(start), start as u64))
}

/// The end of a file's last complete line, and the number of lines before it.
fn complete_lines(path: &Path) -> io::Result<(u64, u64)> {
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let (mut pos, mut end, mut lines) = (0u64, 0u64, 0u64);
    loop {
        let n = f.read(&mut buf)?;
        let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else { break };
        lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
        if let Some(i) = memchr::memrchr(b'\n', chunk) {
            end = pos + i as u64 + 1;
        }
        pos += n as u64;
    }
    Ok((end, lines))
}

/// A file judged a copy turned out to be a replacement: hand out the start
/// that was skipped (its own lines, from line 1).
fn read_skipped_start(t: &mut Tracked, out: &mut Vec<Change>) -> io::Result<()> {
    let Some((_, len)) = t.copy_of.take() else { return Ok(()) };
    let Some(f) = t.file.as_mut() else { return Ok(()) };
    f.seek(SeekFrom::Start(0))?;
    let mut data = Vec::new();
    f.take(len).read_to_end(&mut data)?;
    if !data.is_empty() {
        out.push(Change::Lines { key: t.key, offset: 0, first_line: 1, data });
    }
    Ok(())
}

/// Read what was appended to a plain file; hand out complete lines.
fn read_new(t: &mut Tracked, out: &mut Vec<Change>) -> io::Result<()> {
    if t.file.is_none() {
        t.file = Some(File::open(&t.path)?);
    }
    let Some(f) = t.file.as_mut() else { return Ok(()) };
    let pos = t.offset + t.partial.len() as u64;
    f.seek(SeekFrom::Start(pos))?;
    let mut buf = std::mem::take(&mut t.partial);
    f.read_to_end(&mut buf)?;
    if t.prefix.len() < PRINT {
        // Keep the fingerprint current while the file is young.
        let want = PRINT - t.prefix.len();
        let from = (t.prefix.len() as u64).saturating_sub(t.offset) as usize;
        if t.offset <= t.prefix.len() as u64 {
            t.prefix.extend(buf.iter().skip(from).take(want));
        }
    }
    let start = t.offset;
    let next_line = t.next_line;
    emit(t, start, buf, next_line, out);
    Ok(())
}

fn line_hash(line: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(line)
}

/// Hand out the complete lines of `data` (read at `start`); keep the rest.
fn emit(t: &mut Tracked, start: u64, mut data: Vec<u8>, first_line: u64, out: &mut Vec<Change>) {
    let cut = match memchr::memrchr(b'\n', &data) {
        Some(i) => i + 1,
        None => {
            t.partial = data;
            return;
        }
    };
    t.partial = data.split_off(cut);
    let lines = memchr::memchr_iter(b'\n', &data).count() as u64;
    t.offset = start + data.len() as u64;
    t.next_line = first_line + lines;
    let hashes: Vec<u64> = data.split(|&c| c == b'\n').take(lines as usize).map(line_hash).collect();
    // After a truncation, leading lines that repeat the old ending were
    // already shown: skip them (they still count as lines of the file).
    let mut skip_lines = 0usize;
    if let Some(old) = t.before_truncation.take() {
        let max = hashes.len().min(old.len());
        skip_lines = (1..=max)
            .rev()
            .find(|&k| old.iter().skip(old.len() - k).zip(hashes.iter().take(k)).all(|(a, b)| a == b))
            .unwrap_or(0);
    }
    for h in &hashes {
        if t.recent.len() == RECENT {
            t.recent.pop_front();
        }
        t.recent.push_back(*h);
    }
    let skip_bytes = if skip_lines == 0 {
        0
    } else {
        memchr::memchr_iter(b'\n', &data).nth(skip_lines - 1).map_or(data.len(), |i| i + 1)
    };
    if skip_bytes >= data.len() {
        return;
    }
    let data = data.split_off(skip_bytes);
    out.push(Change::Lines {
        key: t.key,
        offset: start + skip_bytes as u64,
        first_line: first_line + skip_lines as u64,
        data,
    });
}

#[cfg(test)]
mod tests;
