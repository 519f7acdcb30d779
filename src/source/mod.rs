//! Sources: which files to read, and reading them.
//!
//! - [`discover`] turns command-line paths into an ordered list of sources
//!   (files, recursively through directories, hidden entries skipped,
//!   symlink loops survived, each file once).
//! - [`open`] opens a source read-only and decides how to read it: plain,
//!   compressed (gzip, xz, zstd, bzip2: by the magic bytes, whatever the
//!   name; see [`codec`]), or skipped as binary.
//! - [`BlockReader`] cuts a source into newline-aligned blocks for the parse
//!   workers, counting lines so each block knows its first line number.
//! - [`read_line_at`] reads one line again from its offset, for details.
//!
//! Only this module touches the file system.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub mod codec;
pub mod follow;

pub use codec::Codec;
use codec::Failing;

/// Where a source's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Stdin,
    File(PathBuf),
}

/// A source found by [`discover`]; `error` is set when it cannot be read at all.
#[derive(Debug, Clone)]
pub struct SourceSpec {
    pub origin: Origin,
    /// How the path is shown to the user.
    pub display: String,
    pub error: Option<String>,
    pub skipped: Option<String>,
}

/// A path named on the command line does not exist.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct MissingPath {
    pub path: String,
    pub reason: String,
}

/// Warnings met while walking directories (loops, unreadable folders).
pub type Warnings = Vec<String>;

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// Expand command-line paths into sources. `-` is standard input. A path
/// that does not exist is an error; problems inside directories are not.
pub fn discover(paths: &[PathBuf]) -> Result<(Vec<SourceSpec>, Warnings), MissingPath> {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(SourceSpec { origin: Origin::Stdin, display: "-".into(), error: None, skipped: None });
            continue;
        }
        let meta =
            std::fs::metadata(p).map_err(|e| MissingPath { path: p.display().to_string(), reason: io_reason(&e) })?;
        if !meta.is_dir() {
            // Named explicitly: read it even if hidden or a FIFO (`<(zcat …)`).
            if seen.insert(file_key(&meta, p)) {
                out.push(SourceSpec::file(p.clone()));
            }
            continue;
        }
        let walker = walkdir::WalkDir::new(p)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_dir() {
                        continue;
                    }
                    let path = e.path().to_path_buf();
                    let mut spec = SourceSpec::file(path.clone());
                    match e.metadata() {
                        Ok(m) => {
                            if !seen.insert(file_key(&m, &path)) {
                                continue;
                            }
                            if !m.is_file() {
                                spec.skipped = Some("not a regular file".into());
                            }
                        }
                        Err(err) => spec.error = Some(walk_reason(&err)),
                    }
                    out.push(spec);
                }
                Err(err) => {
                    if err.loop_ancestor().is_some() {
                        let at = err.path().map(|x| x.display().to_string()).unwrap_or_default();
                        warnings.push(format!("{at}: symbolic link loop, not followed"));
                    } else if let Some(path) = err.path() {
                        let is_dir = err.depth() == 0 || std::fs::metadata(path).is_ok_and(|m| m.is_dir());
                        if is_dir {
                            warnings.push(format!("{}: {}", path.display(), walk_reason(&err)));
                        } else {
                            let mut spec = SourceSpec::file(path.to_path_buf());
                            spec.error = Some(walk_reason(&err));
                            out.push(spec);
                        }
                    }
                }
            }
        }
    }
    Ok((out, warnings))
}

impl SourceSpec {
    fn file(path: PathBuf) -> SourceSpec {
        SourceSpec { display: path.display().to_string(), origin: Origin::File(path), error: None, skipped: None }
    }
}

#[cfg(unix)]
fn file_key(m: &std::fs::Metadata, _p: &Path) -> (u64, u64, PathBuf) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino(), PathBuf::new())
}

#[cfg(not(unix))]
fn file_key(_m: &std::fs::Metadata, p: &Path) -> (u64, u64, PathBuf) {
    (0, 0, p.canonicalize().unwrap_or_else(|_| p.to_path_buf()))
}

/// An I/O error as a short reason, without the path.
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_lowercase()
        }
    }
}

fn walk_reason(e: &walkdir::Error) -> String {
    e.io_error().map_or_else(|| e.to_string(), io_reason)
}

/// What the first bytes of a source say about it.
pub fn sniff_binary(head: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "PNG image"),
        (b"\xff\xd8\xff", "JPEG image"),
        (b"GIF87a", "GIF image"),
        (b"GIF89a", "GIF image"),
        (b"%PDF-", "PDF document"),
        (b"PK\x03\x04", "ZIP archive"),
        (b"PK\x05\x06", "ZIP archive"),
        (b"\x7fELF", "ELF executable"),
        (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
        (b"SQLite format 3\x00", "SQLite database"),
        (b"RIFF", "RIFF media"),
        (b"\xca\xfe\xba\xbe", "Java class / Mach-O"),
        (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
        (b"MZ", "Windows executable"),
    ];
    for (m, what) in MAGIC {
        if head.starts_with(m) {
            // "BZh"/"MZ"/"RIFF" could begin a text line; require binary bytes too.
            let short = m.len() <= 4 && m.iter().all(u8::is_ascii_graphic);
            if !short || control_ratio(head) > 0.05 {
                return Some(what);
            }
        }
    }
    if head.get(257..262) == Some(b"ustar") {
        return Some("tar archive");
    }
    if non_text_ratio(head) > 0.30 {
        return Some("binary data");
    }
    None
}

fn is_binary_control(c: u8) -> bool {
    c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)
}

/// Share of bytes that are control characters other than whitespace/ESC.
fn control_ratio(head: &[u8]) -> f64 {
    if head.is_empty() {
        return 0.0;
    }
    head.iter().filter(|&&c| is_binary_control(c)).count() as f64 / head.len() as f64
}

/// Share of bytes that no text log has: controls (NUL included) and bytes
/// of invalid UTF-8. A log with a few junk bytes, or a run of NULs left by
/// a crash, stays well below what compressed or binary data shows (> 50%).
fn non_text_ratio(head: &[u8]) -> f64 {
    if head.is_empty() {
        return 0.0;
    }
    let mut bad = head.iter().filter(|&&c| is_binary_control(c)).count();
    let mut rest = head;
    while let Err(e) = std::str::from_utf8(rest) {
        // `None`: the sample ends inside a character; that is not an error.
        let Some(len) = e.error_len() else { break };
        bad += len;
        rest = rest.get(e.valid_up_to() + len..).unwrap_or_default();
    }
    bad as f64 / head.len() as f64
}

/// An opened source, ready to be cut into blocks.
pub struct Opened {
    pub reader: Box<dyn Read + Send>,
    pub compressed: bool,
    pub codec: Option<Codec>,
    /// A second handle on a plain file, to tell at the end of the read
    /// whether it changed meanwhile (see [`BlockReader::changed`]).
    pub file: Option<File>,
    /// Set when the source is binary: it is listed, not read.
    pub skipped: Option<&'static str>,
    /// Bytes already read from `reader` while sniffing (to be read first).
    pub head: Vec<u8>,
    /// Where [`BlockReader`] adds the bytes it reads, for progress: a plain
    /// file read without the counting wrapper (see [`open_counted`]).
    pub progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

const SNIFF: usize = 8192;

/// Counts the bytes read through it (for progress), into a shared counter:
/// the compressed bytes of a compressed file. (A wrapper gets std's
/// default `read_buf`, which zeroes each block's memory before reading into
/// it; a plain file is read without one, see [`open_counted`].)
struct Counted<R> {
    inner: R,
    counter: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// [`open`], adding the bytes read from disk to `counter` as they are read.
pub fn open_counted(origin: &Origin, counter: std::sync::Arc<std::sync::atomic::AtomicU64>) -> io::Result<Opened> {
    match origin {
        // A live pipe: sniff what the first read gives, do not wait for 8 KiB.
        Origin::Stdin => open_reader_with(Box::new(io::stdin()), true, None),
        Origin::File(p) => {
            let f = File::open(p)?;
            // Only a regular file can be checked for changes (not a FIFO).
            let check = f.metadata().is_ok_and(|m| m.is_file()).then(|| f.try_clone().ok()).flatten();
            // A regular file that does not start as a compressed one is read
            // from the `File` itself, which std reads into a block's spare
            // room as it is; the block reader counts its bytes.
            let plain = check.is_some()
                && head_now(&f, codec::MAGIC_MAX).is_some_and(|h| Codec::sniff(&h).is_none() && !Codec::undecided(&h));
            let (raw, progress): (Box<dyn Read + Send>, _) =
                if plain { (Box::new(f), Some(counter)) } else { (Box::new(Counted { inner: f, counter }), None) };
            let mut o = open_reader_with(raw, false, Some(p))?;
            if !o.compressed {
                o.file = check;
                if let Some(c) = &progress {
                    c.fetch_add(o.head.len() as u64, std::sync::atomic::Ordering::Relaxed);
                }
                o.progress = progress;
            }
            Ok(o)
        }
    }
}

/// Open a source read-only and sniff it.
pub fn open(origin: &Origin) -> io::Result<Opened> {
    open_counted(origin, std::sync::Arc::default())
}

/// Sniff an already opened byte stream (gzip, binary).
pub fn open_reader(raw: Box<dyn Read + Send>) -> io::Result<Opened> {
    open_reader_with(raw, false, None)
}

/// [`open_reader`]; `live` sniffs only what one read gives (a pipe that
/// may stay open), instead of waiting for 8 KiB; `path`: the file the bytes
/// are (see [`Codec::decoder`]).
pub fn open_reader_with(raw: Box<dyn Read + Send>, live: bool, path: Option<&Path>) -> io::Result<Opened> {
    let mut raw = BufReader::with_capacity(1 << 16, raw);
    let codec = {
        use io::BufRead;
        Codec::sniff(raw.fill_buf()?)
    };
    let mut reader: Box<dyn Read + Send> = match codec {
        Some(c) => c.decoder(raw, path),
        None => Box::new(raw),
    };
    // A compressed file damaged within its first 8 KiB: what was decoded
    // before the damage is still read (the error comes again at its end).
    let head = if live {
        let mut buf = vec![0u8; SNIFF];
        let n = read_once(&mut reader, &mut buf)?;
        buf.truncate(n);
        buf
    } else {
        let mut buf = vec![0u8; SNIFF];
        let (n, err) = read_full_keep(&mut reader, &mut buf);
        buf.truncate(n);
        if let Some(e) = err {
            if codec.is_none() || n == 0 {
                return Err(e);
            }
            reader = Box::new(Failing(Some(e)));
        }
        buf
    };
    let skipped = sniff_binary(&head);
    Ok(Opened { reader, compressed: codec.is_some(), codec, file: None, skipped, head, progress: None })
}

/// A newline-aligned piece of a source.
#[derive(Debug, Default)]
pub struct Block {
    /// Byte offset of `data[0]` in the (decompressed) source.
    pub offset: u64,
    /// Line number of the first line in `data` (1-based).
    pub first_line: u64,
    pub data: Vec<u8>,
}

/// Target block size: large enough to amortise channel hops, small enough
/// to spread work over the cores.
pub const BLOCK: usize = 512 << 10;
/// A line longer than this is cut there (the rest becomes the next line),
/// so a file with no newlines cannot exhaust memory.
pub const MAX_LINE: usize = 64 << 20;

/// Cuts a reader into [`Block`]s that end at a newline (or at EOF).
pub struct BlockReader {
    opened: Opened,
    carry: Vec<u8>,
    offset: u64,
    line: u64,
    eof: bool,
    /// Hand out complete lines as soon as they are read (a live pipe on
    /// standard input) instead of filling a whole block first.
    pub eager: bool,
    /// The read ended on an error after some data (damaged compressed
    /// data, an I/O error): everything before it was handed out.
    pub error: Option<io::Error>,
    /// The file's first bytes as read (to tell a rewrite at the end).
    start: Vec<u8>,
    /// Buffers of blocks already parsed, to read into again: a new buffer
    /// is memory the kernel has to fault in and zero, page by page, as the
    /// read fills it (2 % of `report`'s time).
    pub spare: Option<crossbeam_channel::Receiver<Vec<u8>>>,
}

/// How much of a plain file's start is compared again after reading it.
const START_CHECK: usize = 4096;

impl BlockReader {
    pub fn new(mut opened: Opened) -> BlockReader {
        let carry = std::mem::take(&mut opened.head);
        let start = if opened.file.is_some() {
            carry.get(..START_CHECK.min(carry.len())).unwrap_or_default().to_vec()
        } else {
            Vec::new()
        };
        BlockReader { opened, carry, offset: 0, line: 1, eof: false, eager: false, error: None, start, spare: None }
    }

    /// After the last block: whether the plain file changed while it was
    /// read (it shrank below what was read, or its start is no longer what
    /// was read: truncated and written again, or replaced in place).
    pub fn changed(&self) -> Option<String> {
        let f = self.opened.file.as_ref()?;
        let len = f.metadata().ok()?.len();
        if len < self.offset {
            return Some(format!(
                "changed while reading: it shrank from {} to {len} bytes (truncated?); what was read is kept",
                self.offset
            ));
        }
        if !starts_with(f, &self.start) {
            return Some("changed while reading: its start was rewritten; what was read is kept".into());
        }
        None
    }

    /// The next block, or `None` at EOF. A final line without a newline is
    /// returned too (reports read to EOF; the follower handles partial lines).
    pub fn next_block(&mut self) -> io::Result<Option<Block>> {
        let mut buf = std::mem::take(&mut self.carry);
        // The bytes read so far: `buf` past them is room already zeroed or
        // written once, which a read fills again without zeroing it first
        // (std zeroes the spare room of a `Vec` it reads into unless the
        // reader itself reads into memory not yet written, which `File`
        // does and a decoder does not: 1.3 % of `report` went on zeroing).
        let mut len = buf.len();
        if let Some(mut spare) = self.spare.as_ref().and_then(|r| r.try_recv().ok()) {
            if spare.len() < len {
                spare.resize(len, 0);
            }
            if let Some(front) = spare.get_mut(..len) {
                front.copy_from_slice(&buf);
                buf = spare;
            }
        }
        let mut target = BLOCK;
        loop {
            let read = buf.get(..len).unwrap_or_default();
            if !self.eof && len < target && !(self.eager && read.contains(&b'\n')) {
                if buf.len() < target {
                    buf.resize(target, 0);
                }
                let room = buf.get_mut(len..target).unwrap_or_default();
                let n = if self.eager {
                    read_once(&mut self.opened.reader, room)?
                } else {
                    let (n, err) = read_full_keep(&mut self.opened.reader, room);
                    if let Some(e) = err {
                        if self.offset == 0 && len + n == 0 {
                            return Err(e); // nothing readable at all
                        }
                        // Keep what came before the error; stop there.
                        self.error = Some(e);
                        self.eof = true;
                    }
                    n
                };
                if let Some(c) = &self.opened.progress {
                    c.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                }
                self.eof |= if self.eager { n == 0 } else { len + n < target };
                len += n;
            }
            if len == 0 {
                return Ok(None);
            }
            let read = buf.get(..len).unwrap_or_default();
            let cut = if self.eof {
                Some(len)
            } else {
                memchr::memrchr(b'\n', read)
                    .map(|i| if self.eager { i + 1 } else { entry_cut(read, i + 1) })
                    .or((len > MAX_LINE).then_some(MAX_LINE))
            };
            if let Some(cut) = cut {
                self.carry = buf.get(cut..len).unwrap_or_default().to_vec();
                buf.truncate(cut);
                let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
                let block = Block { offset: self.offset, first_line: self.line, data: buf };
                self.offset += block.data.len() as u64;
                // A line cut at MAX_LINE continues as a new line.
                self.line += lines + u64::from(block.data.last() != Some(&b'\n'));
                return Ok(Some(block));
            }
            // No newline yet: a long line. Read more.
            target = (len * 2).min(MAX_LINE + 1);
        }
    }
}

/// How far back a block's end may move to keep an entry whole.
const ENTRY_WINDOW: usize = 64 << 10;

/// Where to end a block whose last complete line ends at `cut`: before the
/// line that starts the entry the next line belongs to, when the next line
/// continues one (it starts with a space or tab, or closes a bracket: a
/// traceback, a pretty-printed JSON object) and that start is within
/// [`ENTRY_WINDOW`]; else at `cut`. An entry inside one block is joined by
/// the block's parser alone (a pretty-printed object can only be read
/// whole there).
fn entry_cut(buf: &[u8], cut: usize) -> usize {
    let starts_entry = |at: usize| -> bool {
        let rest = buf.get(at..).unwrap_or_default();
        let line = rest.get(..memchr::memchr(b'\n', rest).unwrap_or(rest.len())).unwrap_or_default();
        match line.first() {
            None => true,
            Some(b' ' | b'\t') => line.trim_ascii() == b"{",
            Some(b'}' | b']') => false,
            Some(_) => true,
        }
    };
    if let Some(start) = gathered_cut(buf, cut) {
        return start;
    }
    // The next line is incomplete here; its first bytes are enough.
    if cut >= buf.len() || starts_entry(cut) {
        return cut;
    }
    let floor = cut.saturating_sub(ENTRY_WINDOW);
    let mut end = cut - 1; // the newline ending the line before
    while end > floor {
        let start = memchr::memrchr(b'\n', buf.get(floor..end).unwrap_or_default()).map_or(floor, |i| floor + i + 1);
        if start == 0 || start == floor {
            break;
        }
        if starts_entry(start) {
            return start;
        }
        end = start - 1;
    }
    cut
}

/// Lines looked back for an entry read as one record (see
/// `parse::gather`) that a block's end at `cut` would cut in two.
const GATHER_BACK: usize = 32;

/// The start of the first of the last [`GATHER_BACK`] lines before `cut`
/// that opens an entry still open at `cut` (a wire-log exchange, Python
/// v3's `ApiException` lines, a wrapped object), within [`ENTRY_WINDOW`]:
/// the block ends before it, so that its lines are read together. Once a
/// block, so its cost does not grow with the data.
fn gathered_cut(buf: &[u8], cut: usize) -> Option<usize> {
    let floor = cut.saturating_sub(ENTRY_WINDOW);
    let window = buf.get(floor..cut)?;
    // The last lines' (start, end) in `window`, nearest first.
    let mut spans: Vec<(usize, usize)> = Vec::with_capacity(GATHER_BACK);
    let mut end = window.len().checked_sub(1)?; // the newline ending the last line
    while spans.len() < GATHER_BACK {
        let start = memchr::memrchr(b'\n', window.get(..end)?).map_or(0, |i| i + 1);
        if start == 0 && floor > 0 {
            break; // (a line cut by the window)
        }
        spans.push((start, end));
        if start == 0 {
            break;
        }
        end = start - 1;
    }
    // The same lines as text, farthest first (checked, not converted: a
    // lossy conversion walked valid text in chunks).
    let lines: Vec<std::borrow::Cow<'_, str>> = spans
        .iter()
        .rev()
        .map(|&(s, e)| {
            let b = window.get(s..e).unwrap_or_default();
            std::str::from_utf8(b).map_or_else(|_| String::from_utf8_lossy(b), std::borrow::Cow::Borrowed)
        })
        .collect();
    // The farthest opener first: a wire-log response line opens an entry
    // too, but its exchange began at the request line above it.
    let i = (0..lines.len()).find(|&i| {
        let first = lines.get(i).map_or("", |l| l.as_ref());
        crate::parse::gather::may_open(first)
            && crate::parse::gather::open_at_end(
                first,
                lines.iter().skip(i + 1).map(|l| l.as_ref()),
                &crate::parse::parse_line(first),
            )
    })?;
    spans.iter().rev().nth(i).map(|&(s, _)| floor + s).filter(|&s| s > 0)
}

/// Whether an open file starts with `expected` now, read without moving
/// the handle's position where the platform allows (`pread`).
pub(crate) fn starts_with(f: &File, expected: &[u8]) -> bool {
    head_now(f, expected.len()).is_none_or(|head| head == expected)
}

/// An open file's first `len` bytes now (fewer if it is shorter), read
/// without moving the handle's position where the platform allows
/// (`pread`); `None` where the start cannot be read without moving it.
pub(crate) fn head_now(f: &File, len: usize) -> Option<Vec<u8>> {
    let mut head = vec![0u8; len];
    let mut n = 0;
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        while n < head.len() {
            match f.read_at(head.get_mut(n..).unwrap_or_default(), n as u64) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
    }
    #[cfg(not(unix))]
    {
        let mut c = f.try_clone().ok()?;
        if c.seek(SeekFrom::Start(0)).is_ok() {
            n = read_full(&mut c, &mut head).unwrap_or(0);
        }
    }
    head.truncate(n);
    Some(head)
}

/// One read (retried on interruption): whatever is available now.
fn read_once(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Read until `buf` is full or EOF.
pub(crate) fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    match read_full_keep(r, buf) {
        (_, Some(e)) => Err(e),
        (n, None) => Ok(n),
    }
}

/// [`read_full`], keeping what was read before an error: (bytes, error).
pub(crate) fn read_full_keep(r: &mut dyn Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (n, Some(e)),
        }
    }
    (n, None)
}

/// Open a source for reading from `offset` of its (decompressed) bytes.
/// A source from its start, decoded when compressed (streamed).
pub fn open_from_start(path: &Path) -> io::Result<Box<dyn Read>> {
    open_at(path, 0)
}

fn open_at(path: &Path, offset: u64) -> io::Result<Box<dyn Read>> {
    let mut f = File::open(path)?;
    let mut magic = [0u8; codec::MAGIC_MAX];
    let n = read_full(&mut f, &mut magic)?;
    f.seek(SeekFrom::Start(0))?;
    if let Some(c) = Codec::sniff(magic.get(..n).unwrap_or_default()) {
        // Streamed: decoded up to the offset in 64 KiB steps, never held.
        let mut d = c.decoder(BufReader::new(f), Some(path));
        io::copy(&mut (&mut d).take(offset), &mut io::sink())?;
        Ok(d)
    } else {
        f.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(f))
    }
}

/// Why a source was read only in part: damaged compressed data (with the
/// byte where it is), or an I/O error after some data.
pub fn partial_reason(e: &io::Error) -> String {
    match codec::damage(e) {
        Some(d) => format!("{d}; the lines before it were read"),
        None => format!("read error: {}; the lines before it were read", io_reason(e)),
    }
}

/// One read; a decoding error (damaged compressed data, already reported
/// when the source was read) ends the data like its end would.
fn read_or_end(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    match r.read(buf) {
        Err(e) if codec::damage(&e).is_some() => Ok(0),
        other => other,
    }
}

/// Newlines between two offsets of a source (line numbers on demand).
pub fn count_newlines(path: &Path, from: u64, to: u64) -> io::Result<u64> {
    newlines_in(&mut open_at(path, from)?.take(to.saturating_sub(from)))
}

/// Newlines between two offsets of an open plain file.
pub fn count_newlines_in(f: &mut File, from: u64, to: u64) -> io::Result<u64> {
    f.seek(SeekFrom::Start(from))?;
    newlines_in(&mut f.take(to.saturating_sub(from)))
}

/// Newlines in what a reader gives, to its end (or to damage).
fn newlines_in(r: &mut dyn Read) -> io::Result<u64> {
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = read_or_end(r, &mut buf)?;
        if k == 0 {
            return Ok(n);
        }
        n += memchr::memchr_iter(b'\n', buf.get(..k).unwrap_or_default()).count() as u64;
    }
}

/// For each of `offsets` (ascending, in the decompressed source), the
/// number of newlines before it: one pass, however many offsets (for a
/// gzip source, one decompression instead of one per offset).
pub fn newlines_before(path: &Path, offsets: &[u64]) -> io::Result<Vec<u64>> {
    let mut r = open_at(path, 0)?;
    let mut buf = vec![0u8; 1 << 16];
    let (mut pos, mut n) = (0u64, 0u64);
    let mut out = Vec::with_capacity(offsets.len());
    let mut want = offsets.iter().peekable();
    while want.peek().is_some() {
        let k = read_or_end(&mut r, &mut buf)?;
        let chunk = buf.get(..k).unwrap_or_default();
        while let Some(&&o) = want.peek() {
            if k > 0 && o > pos + k as u64 {
                break;
            }
            let upto = (o.saturating_sub(pos) as usize).min(k);
            out.push(n + memchr::memchr_iter(b'\n', chunk.get(..upto).unwrap_or_default()).count() as u64);
            want.next();
        }
        if k == 0 {
            break;
        }
        n += memchr::memchr_iter(b'\n', chunk).count() as u64;
        pos += k as u64;
    }
    Ok(out)
}

/// Read one line again, from its byte offset in the (decompressed) source.
/// At most `max` bytes are returned. Gzip sources are decompressed up to the
/// offset (rotated archives are read rarely in detail).
pub fn read_line_at(path: &Path, offset: u64, max: usize) -> io::Result<Vec<u8>> {
    read_lines_at(path, offset, 1, max)
}

/// `n` lines from `offset`, joined by `\n` without their line endings, at
/// most `max` bytes.
pub fn read_lines_at(path: &Path, offset: u64, n: usize, max: usize) -> io::Result<Vec<u8>> {
    let mut r = open_at(path, offset)?;
    let mut raw = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut newlines = 0;
    while raw.len() < max && newlines < n {
        let k = read_or_end(&mut r, &mut chunk)?;
        if k == 0 {
            break;
        }
        let part = chunk.get(..k).unwrap_or_default();
        newlines += memchr::memchr_iter(b'\n', part).count();
        raw.extend_from_slice(part);
    }
    Ok(first_lines(&raw, n, max))
}

/// The first `n` lines of `data`, joined by `\n` without their line
/// endings, at most `max` bytes.
pub fn first_lines(data: &[u8], n: usize, max: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, line) in data.split(|&c| c == b'\n').take(n).enumerate() {
        if i > 0 {
            if out.len() >= max {
                break;
            }
            out.push(b'\n');
        }
        out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
    }
    out.truncate(max);
    out
}

#[cfg(test)]
mod tests;
