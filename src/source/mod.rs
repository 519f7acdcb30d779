//! Sources: which files to read, and reading them.
//!
//! - [`discover`] turns command-line paths into an ordered list of sources
//!   (files, recursively through directories, hidden entries skipped,
//!   symlink loops survived, each file once).
//! - [`open`] opens a source read-only and decides how to read it: plain,
//!   gzip (by its magic bytes, whatever the name), or skipped as binary.
//! - [`BlockReader`] cuts a source into newline-aligned blocks for the parse
//!   workers, counting lines so each block knows its first line number.
//! - [`read_line_at`] reads one line again from its offset, for details.
//!
//! Only this module touches the file system.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

pub mod follow;

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
        (b"\xfd7zXZ\x00", "xz archive"),
        (b"\x28\xb5\x2f\xfd", "zstd archive"),
        (b"BZh", "bzip2 archive"),
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
    /// Set when the source is binary: it is listed, not read.
    pub skipped: Option<&'static str>,
    /// Bytes already read from `reader` while sniffing (to be read first).
    pub head: Vec<u8>,
}

const SNIFF: usize = 8192;

fn read_up_to(r: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Counts the bytes read through it (for progress), into a shared counter.
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
        Origin::Stdin => open_reader_with(Box::new(io::stdin()), true),
        Origin::File(p) => open_reader(Box::new(Counted { inner: File::open(p)?, counter })),
    }
}

/// Open a source read-only and sniff it.
pub fn open(origin: &Origin) -> io::Result<Opened> {
    open_counted(origin, std::sync::Arc::default())
}

/// Sniff an already opened byte stream (gzip, binary).
pub fn open_reader(raw: Box<dyn Read + Send>) -> io::Result<Opened> {
    open_reader_with(raw, false)
}

/// [`open_reader`]; `live` sniffs only what one read gives (a pipe that
/// may stay open), instead of waiting for 8 KiB.
pub fn open_reader_with(raw: Box<dyn Read + Send>, live: bool) -> io::Result<Opened> {
    let mut raw = BufReader::with_capacity(1 << 16, raw);
    let magic = {
        use io::BufRead;
        raw.fill_buf()?.get(..2).map(<[u8]>::to_vec)
    };
    let compressed = magic.as_deref() == Some(&[0x1f, 0x8b]);
    let mut reader: Box<dyn Read + Send> = if compressed { Box::new(MultiGzDecoder::new(raw)) } else { Box::new(raw) };
    let head = if live {
        let mut buf = vec![0u8; SNIFF];
        let n = read_once(&mut reader, &mut buf)?;
        buf.truncate(n);
        buf
    } else {
        read_up_to(&mut reader, SNIFF)?
    };
    let skipped = sniff_binary(&head);
    Ok(Opened { reader, compressed, skipped, head })
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
}

impl BlockReader {
    pub fn new(mut opened: Opened) -> BlockReader {
        let carry = std::mem::take(&mut opened.head);
        BlockReader { opened, carry, offset: 0, line: 1, eof: false, eager: false }
    }

    /// The next block, or `None` at EOF. A final line without a newline is
    /// returned too (reports read to EOF; the follower handles partial lines).
    pub fn next_block(&mut self) -> io::Result<Option<Block>> {
        let mut buf = std::mem::take(&mut self.carry);
        let mut target = BLOCK;
        loop {
            if !self.eof && buf.len() < target && !(self.eager && buf.contains(&b'\n')) {
                let start = buf.len();
                buf.resize(target, 0);
                let slot = buf.get_mut(start..).unwrap_or_default();
                let n = if self.eager {
                    read_once(&mut self.opened.reader, slot)?
                } else {
                    read_full(&mut self.opened.reader, slot)?
                };
                buf.truncate(start + n);
                self.eof = if self.eager { n == 0 } else { start + n < target };
            }
            if buf.is_empty() {
                return Ok(None);
            }
            let cut = if self.eof {
                Some(buf.len())
            } else {
                memchr::memrchr(b'\n', &buf).map(|i| i + 1).or((buf.len() > MAX_LINE).then_some(MAX_LINE))
            };
            if let Some(cut) = cut {
                self.carry = buf.split_off(cut);
                let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
                let block = Block { offset: self.offset, first_line: self.line, data: buf };
                self.offset += block.data.len() as u64;
                // A line cut at MAX_LINE continues as a new line.
                self.line += lines + u64::from(block.data.last() != Some(&b'\n'));
                return Ok(Some(block));
            }
            // No newline yet: a long line. Read more.
            target = (buf.len() * 2).min(MAX_LINE + 1);
        }
    }
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
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Open a source for reading from `offset` of its (decompressed) bytes.
fn open_at(path: &Path, offset: u64) -> io::Result<Box<dyn Read>> {
    let mut f = File::open(path)?;
    let mut magic = [0u8; 2];
    let n = read_full(&mut f, &mut magic)?;
    f.seek(SeekFrom::Start(0))?;
    if n == 2 && magic == [0x1f, 0x8b] {
        let mut d = MultiGzDecoder::new(BufReader::new(f));
        io::copy(&mut (&mut d).take(offset), &mut io::sink())?;
        Ok(Box::new(d))
    } else {
        f.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(f))
    }
}

/// Newlines between two offsets of a source (line numbers on demand).
pub fn count_newlines(path: &Path, from: u64, to: u64) -> io::Result<u64> {
    let mut r = open_at(path, from)?.take(to.saturating_sub(from));
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = r.read(&mut buf)?;
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
        let k = r.read(&mut buf)?;
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
    let mut r = open_at(path, offset)?;
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    while out.len() < max {
        let k = r.read(&mut chunk)?;
        if k == 0 {
            break;
        }
        let part = chunk.get(..k).unwrap_or_default();
        if let Some(i) = memchr::memchr(b'\n', part) {
            out.extend_from_slice(part.get(..i).unwrap_or_default());
            break;
        }
        out.extend_from_slice(part);
    }
    out.truncate(max);
    if out.last() == Some(&b'\r') {
        out.pop();
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
