//! Following files by name, like `tail -F`, through rotation.
//!
//! Every file is tracked by identity (device, inode), not by name, with the
//! offset read so far and an open handle (so what is written to a file just
//! before it is renamed or replaced is still read). [`Follower::poll`]
//! re-scans the paths and re-checks every file; callers run it on notify
//! events and on a timer, since events get lost.
//!
//! **Identity by content, not by first sight.** A new file is judged when
//! it has enough bytes to tell what it is: logrotate, `cp` and gzip create
//! their files empty and fill them afterwards. Until then it is *pending*:
//! - its first bytes could still become a compressed file's magic, or
//! - they are a proper prefix of the start of a file followed or read
//!   before (it may be a copy being written),
//!
//! and it is looked at again on each poll (a pending file that stops
//! changing for [`SETTLE`] is judged with what it has). Then:
//! - compressed (gzip, xz, zstd, bzip2 by their magic): decoded as a stream,
//!   a bounded amount per poll (see [`Follower::busy`]), never as text;
//! - a copy of content already read (its first bytes match a followed file,
//!   or a file read before that was truncated or deleted): only what lies
//!   beyond what that file produced is read. A plain copy of a file that
//!   still holds the same content (copytruncate's copy before the
//!   truncation) is a *shadow*: it produces nothing while the original
//!   does, and takes over from where the original was read when the
//!   original is truncated or deleted;
//! - anything else: new content, read from its start.
//!
//! The rotations this covers:
//! - appended lines: read up to the last newline; a partial line waits;
//! - rename (`api.log` → `api.log.1`, new `api.log`): the old identity is
//!   drained through its handle under its new name; the new file is new;
//! - copytruncate: the file shrinks below the offset → read again from its
//!   start; the copy beside it is a shadow, then reads only what the
//!   original had beyond the read offset when it was truncated (also when
//!   the copy is deleted in the same poll, through its handle). A copy of
//!   content its original holds but has not read yet (truncated, written
//!   again and copied again between two polls) waits for the next poll,
//!   when that content is the original's fingerprint;
//! - compression (`api.log.1` → `api.log.2.gz`, also `delaycompress`,
//!   `olddir`, `dateext`): a compressed copy of content read;
//! - atomic replace (a file renamed over the path): a new identity, read
//!   from its start; a file found at a followed file's path is its
//!   successor, never a copy of it (lnav #1749);
//! - deletion: drained, closed, reported gone; the identity is forgotten
//!   (the filesystem reuses inodes at once), its content remembered.
//!
//! Out of file descriptors, files beyond what can be held open wait (one
//! [`Change::OutOfDescriptors`] says how many) and are retried each second.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::{Codec, Origin, discover, sniff_binary};

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
/// A file unchanged for this long is judged with what it has (a pending
/// file), or taken as damaged where its compressed data ends early.
pub const SETTLE: Duration = Duration::from_secs(1);
/// Bytes read per poll over all files (decompressed bytes for compressed
/// ones): a large file is read over several polls, in bounded memory, and
/// a signal is acted on between them.
const READ_BUDGET: u64 = 2 << 20;
/// Contents remembered after their file was truncated or deleted.
const HISTORY: usize = 256;
/// File descriptors left free for scanning directories and judging files:
/// a quarter of the limit, between 8 and 64.
fn fd_reserve(limit: u64) -> u64 {
    (limit / 4).clamp(8, 64)
}
/// Waiting files (out of descriptors) are retried this often.
const FD_RETRY: Duration = Duration::from_secs(1);

type Id = (u64, u64);

#[cfg(unix)]
fn identity(m: &std::fs::Metadata) -> Id {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn identity(m: &std::fs::Metadata) -> Id {
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
    /// A file could not be read, or only in part (reported once).
    Unreadable { path: PathBuf, reason: String },
    /// Out of file descriptors: this many files are not followed for now
    /// (said once; they are retried as descriptors free up).
    OutOfDescriptors { not_followed: usize, limit: u64 },
}

/// A compressed file being decoded.
struct Stream {
    reader: Box<dyn Read + Send>,
    /// Decompressed bytes taken from `reader`.
    pos: u64,
    /// The size and modification time of the file when it was opened.
    stamp: (u64, Option<SystemTime>),
}

struct Tracked {
    /// Stable key for the caller (maps to a store source).
    key: u64,
    path: PathBuf,
    /// Plain files: the open handle (None while waiting for a descriptor).
    file: Option<File>,
    /// Bytes consumed (complete lines handed out); `u64::MAX`: a compressed
    /// file read to its end, or not to be read.
    offset: u64,
    next_line: u64,
    partial: Vec<u8>,
    /// The first bytes of the (decompressed) content, for recognising copies.
    prefix: Vec<u8>,
    codec: Option<Codec>,
    /// Compressed: the decoding under way (None: not started or paused).
    stream: Option<Stream>,
    /// Compressed: bytes before this are produced elsewhere.
    skip_to: u64,
    seen: bool,
    /// A read failed (reported once until it works again).
    failing: bool,
    /// Modification time at the last poll (a rewrite in place can keep the
    /// size and the inode: lnav #668).
    mtime: Option<SystemTime>,
    /// Hashes of the last lines handed out (at most `RECENT`).
    recent: VecDeque<u64>,
    /// After a truncation: the old `recent`, to skip new content that only
    /// repeats the old ending (a file rewritten with its own tail).
    before_truncation: Option<VecDeque<u64>>,
    /// Judged a copy of the file then at this path, so its start (up to
    /// this offset) was skipped; read if it turns out to replace that file.
    copy_of: Option<(PathBuf, u64)>,
    /// A plain copy of this followed file, which still holds the content.
    shadow_of: Option<Id>,
    /// Not followed for now: no file descriptor could be had.
    no_fd: bool,
}

/// Lines remembered per file to recognise a rewrite with its own tail.
const RECENT: usize = 4096;

impl Tracked {
    fn new(key: u64, path: PathBuf, offset: u64, next_line: u64, prefix: Vec<u8>, codec: Option<Codec>) -> Tracked {
        Tracked {
            key,
            mtime: modified(&path),
            path,
            file: None,
            offset,
            next_line,
            partial: Vec::new(),
            prefix,
            codec,
            stream: None,
            skip_to: 0,
            seen: true,
            failing: false,
            recent: Default::default(),
            before_truncation: None,
            copy_of: None,
            shadow_of: None,
            no_fd: false,
        }
    }
}

/// A file seen but not judged yet.
struct Pending {
    path: PathBuf,
    /// Where to start reading once judged new (a file present when
    /// following began without `from_start`: its size then).
    start: u64,
    /// Its size and modification time at the last look.
    stamp: (u64, Option<SystemTime>),
    /// When `stamp` last changed.
    since: Instant,
    reported: bool,
    /// It could not be opened for want of a file descriptor.
    no_fd: bool,
}

/// Content no longer followed (truncated away or deleted): its start and
/// how far it was read.
struct Seen {
    /// Where it was: a file found there later is its successor, not a copy.
    path: PathBuf,
    prefix: Vec<u8>,
    read_to: u64,
    next_line: u64,
}

/// What a judged file is.
enum Verdict {
    Wait,
    New,
    /// A copy: of a followed file that still holds the content (a shadow),
    /// of content produced in full elsewhere, or of content read to an offset.
    Shadow(Id),
    All(PathBuf),
    To(u64, u64),
}

/// Follows every file under some paths.
pub struct Follower {
    roots: Vec<PathBuf>,
    files: HashMap<Id, Tracked>,
    pending: HashMap<Id, Pending>,
    history: VecDeque<Seen>,
    next_key: u64,
    /// Binary files: not followed, not looked at again.
    ignored: HashSet<Id>,
    /// Plain files that may hold a descriptor at once.
    fd_budget: u64,
    fd_limit: u64,
    fd_said: bool,
    last_fd_retry: Option<Instant>,
    /// A poll left compressed data unread (its budget ran out).
    busy: bool,
}

/// The soft limit of open files, and the budget of handles under it. The
/// soft limit is first raised as far as the hard limit allows (up to
/// 65,536), as `tail -F` of thousands of files needs.
fn fd_budget() -> (u64, u64) {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let mut lim = getrlimit(Resource::Nofile);
        let want = lim.maximum.unwrap_or(u64::MAX).min(1 << 16);
        if lim.current.is_some_and(|c| c < want) {
            lim.current = Some(want);
            let _ = setrlimit(Resource::Nofile, lim);
        }
        let limit = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
        let open = std::fs::read_dir("/proc/self/fd").map_or(16, |d| d.count() as u64);
        (limit, limit.saturating_sub(open + fd_reserve(limit)))
    }
    #[cfg(not(unix))]
    {
        (u64::MAX, u64::MAX)
    }
}

fn out_of_fds(e: &io::Error) -> bool {
    // EMFILE (this process) and ENFILE (the system).
    matches!(e.raw_os_error(), Some(24 | 23))
}

impl Follower {
    /// Follow `roots`. With `from_start` false, files that exist now are
    /// followed from their current end.
    pub fn new(roots: Vec<PathBuf>, from_start: bool) -> Follower {
        let (fd_limit, fd_budget) = fd_budget();
        let mut f = Follower {
            roots,
            files: HashMap::new(),
            pending: HashMap::new(),
            history: VecDeque::new(),
            next_key: 0,
            ignored: Default::default(),
            fd_budget,
            fd_limit,
            fd_said: false,
            last_fd_retry: None,
            busy: false,
        };
        if !from_start {
            for (path, meta) in f.scan() {
                let id = identity(&meta);
                let head = raw_head(&path).unwrap_or_default();
                if Codec::undecided(&head) {
                    // Not yet anything: judged when it has grown (from here).
                    f.pending.insert(id, f.pending_at(path, meta.len(), &meta));
                    continue;
                }
                let key = f.new_key();
                let (prefix, codec) = content_prefix(&path, head);
                let end = if codec.is_some() { u64::MAX } else { meta.len() };
                // Line numbers go on from the lines already there.
                let next_line = if codec.is_some() { 0 } else { super::count_newlines(&path, 0, end).unwrap_or(0) + 1 };
                let t = Tracked::new(key, path, end, next_line, prefix, codec);
                f.track(id, t);
            }
        }
        f
    }

    fn pending_at(&self, path: PathBuf, start: u64, meta: &std::fs::Metadata) -> Pending {
        Pending {
            path,
            start,
            stamp: (meta.len(), meta.modified().ok()),
            since: Instant::now(),
            reported: false,
            no_fd: false,
        }
    }

    /// Follow files already read to `offset` (the screen's initial load):
    /// `known` is (path, key, offset, next line number).
    pub fn adopt(&mut self, known: &[(PathBuf, u64, u64, u64)]) {
        for (path, key, offset, next_line) in known {
            let Ok(meta) = std::fs::metadata(path) else { continue };
            self.next_key = self.next_key.max(key + 1);
            let head = raw_head(path).unwrap_or_default();
            if Codec::undecided(&head) {
                // Nothing read yet that tells what it is (logrotate's
                // archive or copy, created empty): judged when it grows.
                let p = self.pending_at(path.clone(), *offset, &meta);
                self.pending.insert(identity(&meta), p);
                continue;
            }
            let (prefix, codec) = content_prefix(path, head);
            let offset = if codec.is_some() { u64::MAX } else { *offset };
            let t = Tracked::new(*key, path.clone(), offset, *next_line, prefix, codec);
            self.track(identity(&meta), t);
        }
    }

    /// Add a tracked file, with a handle if it is plain and one can be had.
    fn track(&mut self, id: Id, mut t: Tracked) {
        if t.codec.is_none() {
            self.open_handle(&mut t);
        }
        self.files.insert(id, t);
    }

    /// Give a plain file its handle, within the descriptor budget.
    fn open_handle(&self, t: &mut Tracked) {
        if self.open_files() as u64 >= self.fd_budget {
            t.no_fd = true;
            return;
        }
        match File::open(&t.path) {
            Ok(f) => {
                t.file = Some(f);
                t.no_fd = false;
            }
            Err(e) if out_of_fds(&e) => t.no_fd = true,
            Err(_) => {}
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

    /// Whether the last poll left data unread (it reads at most 2 MiB):
    /// poll again soon (after checking for signals), without waiting for
    /// an event.
    pub fn busy(&self) -> bool {
        self.busy
    }

    /// Re-scan, re-check every file and return what changed.
    pub fn poll(&mut self) -> Vec<Change> {
        let mut out = Vec::new();
        let mut budget = READ_BUDGET;
        for t in self.files.values_mut() {
            t.seen = false;
        }
        let found = self.scan();
        let ids: HashSet<Id> = found.iter().map(|(_, m)| identity(m)).collect();
        self.ignored.retain(|id| ids.contains(id));
        self.pending.retain(|id, _| ids.contains(id));
        // First the new identities, judged against the known files as they
        // were (a copy must be recognised before its original's truncation
        // is handled), then the known ones.
        for (path, meta) in &found {
            let id = identity(meta);
            if self.files.contains_key(&id) || self.ignored.contains(&id) {
                continue;
            }
            if !self.pending.contains_key(&id) {
                let p = self.pending_at(path.clone(), 0, meta);
                self.pending.insert(id, p);
            }
            self.judge_pending(id, path, meta, &mut out, &mut budget);
        }
        let retry_fds = self.last_fd_retry.is_none_or(|t| t.elapsed() >= FD_RETRY);
        if retry_fds {
            self.last_fd_retry = Some(Instant::now());
        }
        // Originals before their shadows: what happened to an original this
        // poll decides what its shadows do.
        let mut released: HashMap<Id, (u64, u64)> = HashMap::new();
        for (path, meta) in &found {
            let id = identity(meta);
            let Some(t) = self.files.get(&id) else { continue };
            if t.seen {
                continue;
            }
            if t.no_fd
                && retry_fds
                && t.codec.is_none()
                && let Some(mut t) = self.files.remove(&id)
            {
                self.open_handle(&mut t);
                self.files.insert(id, t);
            }
            let Some(t) = self.files.get_mut(&id) else { continue };
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
            if t.codec.is_some() {
                read_stream(t, &mut out, &mut budget);
                continue;
            }
            if t.shadow_of.is_some() || t.no_fd {
                continue;
            }
            let mtime = meta.modified().ok();
            let touched = t.mtime.is_some() && mtime != t.mtime;
            t.mtime = mtime;
            // Changed without growing, or its start no longer what was read:
            // rewritten in place (same inode, maybe the same size).
            let rewritten = touched && !holds_prefix(t);
            if meta.len() < t.offset || rewritten {
                // copytruncate (or a rewrite): read again from the start.
                // What was read of the old content is remembered, for a
                // copy of it that may show up later.
                released.insert(id, (t.offset, t.next_line));
                let prefix = std::mem::take(&mut t.prefix);
                remember(
                    &mut self.history,
                    Seen { path: t.path.clone(), prefix, read_to: t.offset, next_line: t.next_line },
                );
                t.offset = 0;
                t.partial.clear();
                t.next_line = 1;
                t.before_truncation = Some(std::mem::take(&mut t.recent));
                out.push(Change::Truncated { key: t.key });
            }
            read_plain(t, &mut out, &mut budget);
        }
        // Identities no longer found: drain through the handle, close and
        // forget (a new file may get the same inode). A file whose path
        // still names it was only missed by the scan (a directory that
        // could not be read, out of descriptors): it stays.
        let mut gone = Vec::new();
        for (id, t) in &self.files {
            if !t.seen && std::fs::metadata(&t.path).map(|m| identity(&m)).ok() != Some(*id) {
                gone.push(*id);
            }
        }
        // Originals first: a shadow whose original was truncated or went
        // away in this poll takes over from it before it is drained (an
        // archive made of it may have been judged its copy).
        gone.sort_by_key(|id| self.files.get(id).is_some_and(|t| t.shadow_of.is_some()));
        for id in gone {
            let Some(mut t) = self.files.remove(&id) else { continue };
            if let Some(&(offset, next_line)) = t.shadow_of.and_then(|orig| released.get(&orig)) {
                t.shadow_of = None;
                start_within(&mut t, offset, next_line);
            }
            if t.file.is_some() && t.shadow_of.is_none() {
                // Never by path: the path may now name another file.
                let mut all = u64::MAX;
                read_plain(&mut t, &mut out, &mut all);
            }
            if t.offset != u64::MAX && t.shadow_of.is_none() {
                released.insert(id, (t.offset, t.next_line));
                let prefix = std::mem::take(&mut t.prefix);
                remember(
                    &mut self.history,
                    Seen { path: t.path.clone(), prefix, read_to: t.offset, next_line: t.next_line },
                );
            }
            out.push(Change::Gone { key: t.key });
        }
        // Shadows: in step with their original, or on their own from where
        // the original was read when it was truncated or went away.
        let shadows: Vec<Id> =
            self.files.iter().filter(|(_, t)| t.shadow_of.is_some() && t.seen).map(|(id, _)| *id).collect();
        for id in shadows {
            let Some(orig) = self.files.get(&id).and_then(|t| t.shadow_of) else { continue };
            let sync = match released.get(&orig) {
                Some(&at) => Err(at),
                None => self.files.get(&orig).map(|o| (o.offset, o.next_line)).ok_or((0, 0)),
            };
            let Some(t) = self.files.get_mut(&id) else { continue };
            match sync {
                Ok((offset, next_line)) => {
                    t.offset = offset;
                    t.next_line = next_line;
                }
                Err((offset, next_line)) => {
                    t.shadow_of = None;
                    if next_line > 0 {
                        start_within(t, offset, next_line);
                    }
                    t.partial.clear();
                    read_plain(t, &mut out, &mut budget);
                }
            }
        }
        self.busy = budget == 0;
        let waiting =
            self.files.values().filter(|t| t.no_fd).count() + self.pending.values().filter(|p| p.no_fd).count();
        if waiting > 0 && !self.fd_said {
            out.push(Change::OutOfDescriptors { not_followed: waiting, limit: self.fd_limit });
            self.fd_said = true;
        } else if waiting == 0 {
            self.fd_said = false;
        }
        out
    }

    /// Look at a pending file again; follow it once it can be judged.
    fn judge_pending(
        &mut self,
        id: Id,
        path: &Path,
        meta: &std::fs::Metadata,
        out: &mut Vec<Change>,
        budget: &mut u64,
    ) {
        let Some(p) = self.pending.get_mut(&id) else { return };
        p.path = path.to_path_buf();
        let stamp = (meta.len(), meta.modified().ok());
        if stamp != p.stamp {
            p.stamp = stamp;
            p.since = Instant::now();
        }
        let settled =
            p.since.elapsed() >= SETTLE || meta.modified().ok().and_then(|m| m.elapsed().ok()) >= Some(SETTLE);
        let start = p.start;
        let head = match raw_head(path) {
            Ok(h) => {
                p.no_fd = false;
                h
            }
            Err(e) => {
                p.no_fd = out_of_fds(&e);
                if !p.no_fd && !p.reported {
                    p.reported = true;
                    out.push(Change::Unreadable { path: path.to_path_buf(), reason: super::io_reason(&e) });
                }
                return;
            }
        };
        if head.is_empty() || (Codec::undecided(&head) && !settled) {
            return;
        }
        if let Some(codec) = Codec::sniff(&head) {
            self.judge_compressed(id, path, codec, settled, out, budget);
            return;
        }
        if sniff_binary(&head).is_some() {
            self.pending.remove(&id);
            self.ignored.insert(id);
            return;
        }
        let verdict = self.verdict(&head, path, settled);
        if matches!(verdict, Verdict::Wait) {
            return;
        }
        self.pending.remove(&id);
        let key = self.new_key();
        let mut t = Tracked::new(key, path.to_path_buf(), 0, 1, Vec::new(), None);
        match verdict {
            Verdict::Wait | Verdict::New => {
                if start > 0 && start <= meta.len() {
                    t.offset = start;
                    t.next_line = super::count_newlines(path, 0, start).unwrap_or(0) + 1;
                }
            }
            Verdict::Shadow(orig) => {
                if let Some(o) = self.files.get(&orig) {
                    t.offset = o.offset;
                    t.next_line = o.next_line;
                }
                t.shadow_of = Some(orig);
            }
            // Everything in it is produced by the original: start after
            // its last complete line.
            Verdict::All(orig) => {
                let (offset, lines) = complete_lines(path).unwrap_or((0, 0));
                t.offset = offset;
                t.next_line = lines + 1;
                t.copy_of = Some((orig, offset));
            }
            Verdict::To(offset, next_line) => start_within(&mut t, offset, next_line),
        }
        t.prefix = head;
        t.prefix.truncate(PRINT);
        out.push(Change::NewSource { key, path: path.to_path_buf(), compressed: false });
        self.open_handle(&mut t);
        if t.shadow_of.is_none() && !t.no_fd {
            read_plain(&mut t, out, budget);
        }
        self.files.insert(id, t);
    }

    /// A pending compressed file: judged on its first decoded bytes.
    fn judge_compressed(
        &mut self,
        id: Id,
        path: &Path,
        codec: Codec,
        settled: bool,
        out: &mut Vec<Change>,
        budget: &mut u64,
    ) {
        let (content, clean) = match decoded_head(path, codec) {
            Ok(x) => x,
            Err(e) => {
                if let Some(p) = self.pending.get_mut(&id)
                    && !out_of_fds(&e)
                    && !p.reported
                {
                    p.reported = true;
                    out.push(Change::Unreadable { path: path.to_path_buf(), reason: super::io_reason(&e) });
                }
                return;
            }
        };
        // Still being written: wait for enough of it (or for it to settle).
        if !clean && content.len() < PRINT && !settled {
            return;
        }
        let verdict = if content.is_empty() { Verdict::New } else { self.verdict(&content, path, true) };
        self.pending.remove(&id);
        let key = self.new_key();
        let mut t = Tracked::new(key, path.to_path_buf(), 0, 1, content, Some(codec));
        match verdict {
            Verdict::Shadow(_) | Verdict::All(_) => t.offset = u64::MAX,
            Verdict::To(offset, next_line) => {
                t.skip_to = offset;
                t.next_line = next_line;
            }
            Verdict::Wait | Verdict::New => {}
        }
        out.push(Change::NewSource { key, path: path.to_path_buf(), compressed: true });
        read_stream(&mut t, out, budget);
        self.files.insert(id, t);
    }

    /// What a file whose content starts with `head` is, against every file
    /// followed (but the one at its own path: a file found at a followed
    /// file's path replaced it) and every content read before.
    fn verdict(&self, head: &[u8], path: &Path, settled: bool) -> Verdict {
        let mut wait = false;
        // A copy of what a followed file holds now but was not read yet
        // (it was truncated or rewritten since the last poll, and is read
        // again from its start later in this one): judged on the next poll,
        // once that content is read and is the file's fingerprint.
        let mut hold = false;
        let mut best: Option<Verdict> = None;
        let mut consider = |v: Verdict| {
            let rank = |v: &Verdict| match v {
                Verdict::Shadow(_) | Verdict::All(_) => u64::MAX,
                Verdict::To(o, _) => *o,
                Verdict::Wait | Verdict::New => 0,
            };
            if best.as_ref().is_none_or(|b| rank(&v) > rank(b)) {
                best = Some(v);
            }
        };
        // Shadows too: an archive made of a shadow (copytruncate's copy,
        // compressed) is a copy of it, and the shadow takes over.
        for (id, t) in &self.files {
            if t.path == path {
                continue;
            }
            match starts(head, &t.prefix) {
                Match::No => hold |= copies_unread_content(head, t),
                // Shorter than what was read and the same so far: once it
                // has settled, all of it was produced already.
                Match::Maybe => {
                    wait = true;
                    consider(Verdict::To(t.offset, t.next_line));
                }
                Match::Yes if t.codec.is_some() => consider(Verdict::All(t.path.clone())),
                Match::Yes
                    if holds_prefix(t)
                        && t.file.as_ref().and_then(|f| f.metadata().ok()).is_some_and(|m| m.len() >= t.offset) =>
                {
                    consider(Verdict::Shadow(*id))
                }
                Match::Yes => consider(Verdict::To(t.offset, t.next_line)),
            }
        }
        for s in self.history.iter().filter(|s| s.path != path) {
            match starts(head, &s.prefix) {
                Match::No => {}
                Match::Maybe => {
                    wait = true;
                    consider(Verdict::To(s.read_to, s.next_line));
                }
                Match::Yes => consider(Verdict::To(s.read_to, s.next_line)),
            }
        }
        match best {
            _ if hold => Verdict::Wait,
            _ if wait && !settled => Verdict::Wait,
            Some(v) => v,
            None => Verdict::New,
        }
    }
}

/// How a file's start compares with a known content's start.
enum Match {
    No,
    /// The file is shorter and so far the same: it may be a copy in progress.
    Maybe,
    Yes,
}

fn starts(head: &[u8], known: &[u8]) -> Match {
    if known.is_empty() {
        Match::No
    } else if head.len() >= known.len() {
        if head.get(..known.len()) == Some(known) { Match::Yes } else { Match::No }
    } else if known.starts_with(head) {
        Match::Maybe
    } else {
        Match::No
    }
}

fn remember(history: &mut VecDeque<Seen>, s: Seen) {
    if s.prefix.is_empty() {
        return;
    }
    if history.len() == HISTORY {
        history.pop_front();
    }
    history.push_back(s);
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).ok().and_then(|m| m.modified().ok())
}

/// Whether a plain tracked file still starts with what was read of it
/// (through its handle when it has one: the path may name another file).
fn holds_prefix(t: &Tracked) -> bool {
    match &t.file {
        Some(f) => super::starts_with(f, &t.prefix),
        None => File::open(&t.path).map_or(true, |f| super::starts_with(&f, &t.prefix)),
    }
}

/// Whether `head` (a new file's start) is, or may become, the start of
/// what the plain file `t` holds now, where `t` has not read that content
/// yet: it shrank, or was modified and no longer starts with what was
/// read, or nothing of it was read so far. Only when `t` changed since the
/// last poll is its start read, through its handle.
fn copies_unread_content(head: &[u8], t: &Tracked) -> bool {
    let Some(f) = t.file.as_ref().filter(|_| t.codec.is_none()) else { return false };
    let Ok(m) = f.metadata() else { return false };
    if m.len() >= t.offset && m.modified().ok() == t.mtime {
        return false;
    }
    let Some(now) = super::head_now(f, PRINT) else { return false };
    let unread = t.prefix.is_empty() || m.len() < t.offset || !now.starts_with(&t.prefix);
    unread && !matches!(starts(head, &now), Match::No)
}

/// A file's first raw bytes (enough for the fingerprint and any magic).
fn raw_head(path: &Path) -> io::Result<Vec<u8>> {
    let mut f = File::open(path)?;
    let mut head = vec![0u8; PRINT];
    let n = super::read_full(&mut f, &mut head)?;
    head.truncate(n);
    Ok(head)
}

/// The first decoded bytes of a compressed file, and whether they were
/// decoded without error (false: still being written, or damaged).
fn decoded_head(path: &Path, codec: Codec) -> io::Result<(Vec<u8>, bool)> {
    let f = File::open(path)?;
    let mut d = codec.decoder(io::BufReader::new(f), Some(path));
    let mut head = vec![0u8; PRINT];
    let (n, err) = super::read_full_keep(&mut d, &mut head);
    head.truncate(n);
    Ok((head, err.is_none()))
}

/// The first bytes of a file's content, decoded if it is compressed, from
/// its raw first bytes `head`; and its codec.
fn content_prefix(path: &Path, mut head: Vec<u8>) -> (Vec<u8>, Option<Codec>) {
    match Codec::sniff(&head) {
        Some(c) => (decoded_head(path, c).map(|(h, _)| h).unwrap_or_default(), Some(c)),
        None => {
            head.truncate(PRINT);
            (head, None)
        }
    }
}

/// Decode more of a compressed file, within the poll's budget.
fn read_stream(t: &mut Tracked, out: &mut Vec<Change>, budget: &mut u64) {
    let Some(codec) = t.codec else { return };
    if t.offset == u64::MAX {
        return;
    }
    if t.stream.is_none() {
        let opened = File::open(&t.path).and_then(|f| {
            let m = f.metadata()?;
            Ok((codec.decoder(io::BufReader::new(f), Some(&t.path)), (m.len(), m.modified().ok())))
        });
        match opened {
            Ok((reader, stamp)) => t.stream = Some(Stream { reader, pos: 0, stamp }),
            Err(e) => {
                if !out_of_fds(&e) && !t.failing {
                    t.failing = true;
                    out.push(Change::Unreadable { path: t.path.clone(), reason: super::io_reason(&e) });
                }
                return;
            }
        }
    }
    // Where to resume: after what was handed out (or skipped) before.
    let resume = t.skip_to.max(t.offset.saturating_add(t.partial.len() as u64));
    let mut buf = vec![0u8; 1 << 16];
    loop {
        if *budget == 0 {
            return;
        }
        let Some(s) = t.stream.as_mut() else { return };
        let want = (buf.len() as u64).min(*budget) as usize;
        let slot = buf.get_mut(..want).unwrap_or_default();
        let k = match s.reader.read(slot) {
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let opened_as = s.stamp;
                t.stream = None;
                let now = std::fs::metadata(&t.path).ok().map(|m| (m.len(), m.modified().ok()));
                let young = modified(&t.path).and_then(|m| m.elapsed().ok()).is_none_or(|a| a < SETTLE);
                if young || now != Some(opened_as) {
                    // Still being written: decode it again later; what was
                    // handed out is skipped then.
                    t.skip_to = resume;
                    return;
                }
                // Damaged: what came before is kept, the rest is lost.
                flush_last_line(t, out);
                out.push(Change::Unreadable { path: t.path.clone(), reason: super::partial_reason(&e) });
                t.offset = u64::MAX;
                return;
            }
        };
        *budget = budget.saturating_sub(k as u64);
        if k == 0 {
            flush_last_line(t, out);
            t.stream = None;
            t.offset = u64::MAX;
            return;
        }
        let from = s.pos;
        s.pos += k as u64;
        let chunk = buf.get(..k).unwrap_or_default();
        // Skip what is produced elsewhere, or was handed out before a pause.
        let skip = resume.saturating_sub(from).min(k as u64) as usize;
        let Some(fresh) = chunk.get(skip..).filter(|c| !c.is_empty()) else { continue };
        if t.partial.is_empty() && t.offset < from + skip as u64 {
            t.offset = from + skip as u64;
        }
        let mut data = std::mem::take(&mut t.partial);
        data.extend_from_slice(fresh);
        let (start, line) = (t.offset, t.next_line);
        emit(t, start, data, line, out);
    }
}

/// Go on reading a copy from where its original was read (`offset`, line
/// `next_line`). A copy can be shorter: copytruncate copies, then truncates,
/// and lines read from the original in between are not in the copy. Then
/// the copy has nothing new: read on from its end.
fn start_within(t: &mut Tracked, offset: u64, next_line: u64) {
    let len = match &t.file {
        Some(f) => f.metadata().map(|m| m.len()),
        None => std::fs::metadata(&t.path).map(|m| m.len()),
    };
    if len.is_ok_and(|len| len >= offset) {
        t.offset = offset;
        t.next_line = next_line;
    } else {
        // Through the handle: the copy may be deleted by now.
        let counted = match &t.file {
            Some(f) => f.try_clone().and_then(|mut f| {
                f.seek(SeekFrom::Start(0))?;
                complete_lines_of(&mut f)
            }),
            None => complete_lines(&t.path),
        };
        let (end, lines) = counted.unwrap_or((0, 0));
        t.offset = end;
        t.next_line = lines + 1;
    }
    t.partial.clear();
}

/// At the end of a compressed file: a last line without a newline is a
/// line too.
fn flush_last_line(t: &mut Tracked, out: &mut Vec<Change>) {
    let mut last = std::mem::take(&mut t.partial);
    if !last.is_empty() {
        last.push(b'\n');
        let (start, line) = (t.offset, t.next_line);
        emit(t, start, last, line, out);
    }
}

/// The end of a file's last complete line, and the number of lines before it.
fn complete_lines(path: &Path) -> io::Result<(u64, u64)> {
    complete_lines_of(&mut File::open(path)?)
}

/// [`complete_lines`] of what is left to read in `f`.
fn complete_lines_of(f: &mut File) -> io::Result<(u64, u64)> {
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

/// [`read_new`], reporting a failing read once until it works again.
fn read_plain(t: &mut Tracked, out: &mut Vec<Change>, budget: &mut u64) {
    match read_new(t, out, budget) {
        Ok(()) => t.failing = false,
        Err(e) => {
            if !t.failing {
                out.push(Change::Unreadable { path: t.path.clone(), reason: super::io_reason(&e) });
            }
            t.failing = true;
        }
    }
}

/// Read what was appended to a plain file (at most `budget` bytes); hand
/// out complete lines.
fn read_new(t: &mut Tracked, out: &mut Vec<Change>, budget: &mut u64) -> io::Result<()> {
    let Some(f) = t.file.as_mut() else { return Ok(()) };
    let pos = t.offset + t.partial.len() as u64;
    f.seek(SeekFrom::Start(pos))?;
    let mut buf = std::mem::take(&mut t.partial);
    let before = buf.len();
    // Exactly what will be read: no doubling of the buffer past it.
    let len = f.metadata().map_or(0, |m| m.len());
    buf.reserve_exact(len.saturating_sub(pos).min(*budget) as usize);
    let r = f.take(*budget).read_to_end(&mut buf);
    *budget = budget.saturating_sub((buf.len() - before) as u64);
    if let Err(e) = r {
        t.partial = buf;
        return Err(e);
    }
    if buf.len() > super::MAX_LINE && !buf.contains(&b'\n') {
        // A line longer than ingestion allows is cut there, as when reading.
        buf.push(b'\n');
    }
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
