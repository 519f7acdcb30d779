//! Compressed sources: every format logrotate writes (`compress` makes
//! `.gz`; `compresscmd` makes `.xz`, `.zst`, `.bz2`), recognised by their
//! magic bytes whatever the name, and always decoded as a stream.
//!
//! Decoding errors (a truncated or corrupt file) name the byte of the
//! compressed file where the decoder stopped, so a reader can keep what was
//! decoded before it and say where the damage is.

use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

/// A compression format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Xz,
    Zstd,
    Bzip2,
}

const GZIP: &[u8] = &[0x1f, 0x8b];
const XZ: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];
const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
/// bzip2: `BZh`, the block size digit, then a block's or the end's magic.
const BZ_BLOCK: &[u8] = &[0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const BZ_END: &[u8] = &[0x17, 0x72, 0x45, 0x38, 0x50, 0x90];

/// The longest magic (bzip2's 10 bytes): fewer bytes may not be enough to tell.
pub const MAGIC_MAX: usize = 10;

impl Codec {
    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Xz => "xz",
            Codec::Zstd => "zstd",
            Codec::Bzip2 => "bzip2",
        }
    }

    /// The format `head` (a file's first bytes) starts with, if any.
    pub fn sniff(head: &[u8]) -> Option<Codec> {
        if head.starts_with(GZIP) {
            Some(Codec::Gzip)
        } else if head.starts_with(XZ) {
            Some(Codec::Xz)
        } else if head.starts_with(ZSTD) {
            Some(Codec::Zstd)
        } else if is_bzip2(head) {
            Some(Codec::Bzip2)
        } else {
            None
        }
    }

    /// Whether `head`, too short to decide, could still grow into a
    /// compressed file's start (an empty file could become anything).
    pub fn undecided(head: &[u8]) -> bool {
        if head.len() >= MAGIC_MAX || Codec::sniff(head).is_some() {
            return false;
        }
        // bzip2's magic has a block-size digit in it.
        let bzip2 = |tail: &[u8]| {
            head.iter().enumerate().all(|(i, b)| match i {
                0..=2 => b"BZh".get(i) == Some(b),
                3 => (b'1'..=b'9').contains(b),
                _ => tail.get(i - 4) == Some(b),
            })
        };
        [GZIP, XZ, ZSTD].iter().any(|m| m.starts_with(head)) || bzip2(BZ_BLOCK) || bzip2(BZ_END)
    }

    /// A streaming decoder over `raw` (which must yield the whole file from
    /// its first byte). Concatenated members, streams and frames are read
    /// in turn. Errors say at which byte of the compressed file decoding
    /// stopped (see [`damage`]). `path`, when the data is that file's: on
    /// damage, what the failing call had decoded before it is recovered by
    /// decoding the file again (decoders drop it), so every byte before
    /// the damage is handed out.
    pub fn decoder(self, raw: impl BufRead + Send + 'static, path: Option<&Path>) -> Box<dyn Read + Send> {
        Box::new(Decoded {
            inner: self.raw_decoder(raw),
            codec: self,
            path: path.map(Path::to_path_buf),
            out: 0,
            salvaged: None,
            failed: false,
        })
    }

    /// The bare decoder, with its count of compressed bytes consumed.
    fn raw_decoder(self, raw: impl BufRead + Send + 'static) -> (Box<dyn Read + Send>, PosHandle) {
        let pos = PosHandle::default();
        let counted = Consumed { inner: raw, pos: pos.clone() };
        let inner: Box<dyn Read + Send> = match self {
            Codec::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(counted)),
            Codec::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(counted)),
            Codec::Zstd => match zstd::stream::read::Decoder::with_buffer(counted) {
                Ok(d) => Box::new(d),
                Err(e) => Box::new(Failing(Some(e))),
            },
            Codec::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(counted)),
        };
        (inner, pos)
    }
}

fn is_bzip2(head: &[u8]) -> bool {
    head.starts_with(b"BZh")
        && head.get(3).is_some_and(|d| (b'1'..=b'9').contains(d))
        && head.get(4..10).is_some_and(|m| m == BZ_BLOCK || m == BZ_END)
}

/// A reader that fails once with the error it was made with, then ends.
pub(crate) struct Failing(pub(crate) Option<io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

/// Counts the compressed bytes the decoder has consumed.
struct Consumed<R> {
    inner: R,
    pos: PosHandle,
}

/// The count of [`Consumed`], shared with [`Decoded`] (the decoder owns
/// the reader, so the count is read through this handle).
#[derive(Clone, Default)]
struct PosHandle(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl PosHandle {
    fn add(&self, n: usize) {
        self.0.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
    }
}

impl<R: BufRead> Read for Consumed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos.add(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Consumed<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.pos.add(amt);
        self.inner.consume(amt);
    }
}

/// The decoder, with errors that name the codec and the compressed offset.
struct Decoded {
    inner: (Box<dyn Read + Send>, PosHandle),
    codec: Codec,
    path: Option<PathBuf>,
    /// Decoded bytes handed out so far.
    out: u64,
    /// After damage: the bytes recovered before it, then the error.
    salvaged: Option<(Vec<u8>, io::Error)>,
    failed: bool,
}

impl Decoded {
    /// The bytes the failed call had decoded and dropped: the file decoded
    /// again up to what was handed out, then in 4 KiB pieces up to the
    /// damage, then (a third pass) byte by byte over the last piece. Only
    /// damaged files pay for it.
    fn salvage(&self) -> Vec<u8> {
        let mut got = self.salvage_from(self.out, 4096);
        let more = self.salvage_from(self.out + got.len() as u64, 1);
        got.extend(more);
        got
    }

    /// Decode the file again, skip `from` bytes, then read `piece` bytes
    /// at a time until the damage (at most 64 MiB).
    fn salvage_from(&self, from: u64, piece: usize) -> Vec<u8> {
        let Some(path) = &self.path else { return Vec::new() };
        let Ok(f) = std::fs::File::open(path) else { return Vec::new() };
        let (mut d, _) = self.codec.raw_decoder(io::BufReader::with_capacity(1 << 16, f));
        if io::copy(&mut (&mut d).take(from), &mut io::sink()).ok() != Some(from) {
            return Vec::new();
        }
        let mut got = Vec::new();
        let mut buf = vec![0u8; piece];
        while got.len() < 64 << 20 {
            match d.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(k) => got.extend_from_slice(buf.get(..k).unwrap_or_default()),
            }
            if piece == 1 && got.len() >= 4096 {
                break;
            }
        }
        got
    }
}

impl Read for Decoded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((mut got, e)) = self.salvaged.take() {
            if got.is_empty() {
                self.failed = true;
                return Err(e);
            }
            let n = got.len().min(buf.len());
            buf.get_mut(..n).unwrap_or_default().copy_from_slice(got.get(..n).unwrap_or_default());
            got.drain(..n);
            self.out += n as u64;
            self.salvaged = Some((got, e));
            return Ok(n);
        }
        if self.failed {
            return Ok(0);
        }
        match self.inner.0.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let at = self.inner.1.0.load(std::sync::atomic::Ordering::Relaxed);
                let err =
                    io::Error::new(io::ErrorKind::InvalidData, Damaged { codec: self.codec, at, reason: reason(&e) });
                self.salvaged = Some((self.salvage(), err));
                self.read(buf)
            }
            Ok(n) => {
                self.out += n as u64;
                Ok(n)
            }
        }
    }
}

fn reason(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return "unexpected end of file".into();
    }
    let s = e.to_string();
    let s = s.split(" (os error").next().unwrap_or(&s).trim().to_lowercase();
    if s.is_empty() { "corrupt data".into() } else { s }
}

/// Where and why a compressed stream could not be decoded further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("damaged {} data at byte {at}: {reason}", codec.name())]
pub struct Damaged {
    pub codec: Codec,
    /// Bytes of the compressed file consumed when decoding stopped.
    pub at: u64,
    pub reason: String,
}

/// The damage an error from a [`Codec::decoder`] describes, if it is one.
pub fn damage(e: &io::Error) -> Option<&Damaged> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<Damaged>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_and_undecided_starts() {
        let bz = b"BZh91AY&SY\x00";
        assert_eq!(Codec::sniff(bz), Some(Codec::Bzip2));
        assert_eq!(Codec::sniff(b"BZh is a word"), None);
        for (head, undecided) in [
            (&b""[..], true),
            (b"\x1f", true),
            (b"\x1f\x8b", false), // gzip already
            (b"\xfd7zX", true),
            (b"\x28\xb5", true),
            (b"BZ", true),
            (b"BZh9", true),
            (b"BZh91AY", true),
            (b"BZh0", false), // no block size 0
            (b"BZh is a", false),
            (b"2026-12-0", false),
            (b"{", false),
        ] {
            assert_eq!(Codec::undecided(head), undecided, "{head:?}");
        }
    }
}
