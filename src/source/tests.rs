use std::io::Write;

use super::*;

fn blocks_of(data: &[u8]) -> Vec<Block> {
    let opened = open_reader(Box::new(std::io::Cursor::new(data.to_vec()))).unwrap();
    let mut r = BlockReader::new(opened);
    let mut out = Vec::new();
    while let Some(b) = r.next_block().unwrap() {
        out.push(b);
    }
    out
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn blocks_are_newline_aligned_and_count_lines() {
    let mut data = Vec::new();
    for i in 0..200_000 {
        writeln!(data, "line {i} with some padding to make blocks").unwrap();
    }
    data.extend_from_slice(b"last line without newline");
    let blocks = blocks_of(&data);
    assert!(blocks.len() > 3);
    let mut offset = 0u64;
    let mut line = 1u64;
    for b in &blocks {
        assert_eq!(b.offset, offset);
        assert_eq!(b.first_line, line);
        offset += b.data.len() as u64;
        line += b.data.iter().filter(|&&c| c == b'\n').count() as u64;
    }
    for b in &blocks[..blocks.len() - 1] {
        assert_eq!(b.data.last(), Some(&b'\n'));
    }
    let joined: Vec<u8> = blocks.iter().flat_map(|b| b.data.clone()).collect();
    assert_eq!(joined, data);
}

/// Buffers handed back for reuse still hold their old bytes (see
/// `BlockReader::next_block`): none of them may show in a later block,
/// whether the reader is a decoder or a file.
#[test]
fn reused_buffers_leave_nothing_of_their_old_bytes() {
    let mut data = Vec::new();
    for i in 0..120_000 {
        writeln!(data, "line {i} {}", "y".repeat(i % 97)).unwrap();
    }
    data.extend_from_slice(b"tail without newline");
    let dir = tempfile::tempdir().unwrap();
    let (plain, packed) = (dir.path().join("a.log"), dir.path().join("a.log.gz"));
    std::fs::write(&plain, &data).unwrap();
    std::fs::write(&packed, gz(&data)).unwrap();
    for path in [plain, packed] {
        let (tx, rx) = crossbeam_channel::bounded::<Vec<u8>>(4);
        let mut r = BlockReader::new(open(&Origin::File(path.clone())).unwrap());
        r.spare = Some(rx);
        // Stale bytes that cannot be mistaken for the data's.
        tx.send(vec![b'#'; BLOCK + 77]).unwrap();
        tx.send(vec![b'#'; 100]).unwrap();
        let mut joined = Vec::new();
        let mut blocks = 0;
        while let Some(b) = r.next_block().unwrap() {
            joined.extend_from_slice(&b.data);
            blocks += 1;
            let mut old = b.data;
            old.resize(old.capacity(), b'#');
            let _ = tx.try_send(old);
        }
        assert!(blocks > 3, "{}", path.display());
        assert!(joined == data, "{}", path.display());
    }
}

#[test]
fn a_huge_line_is_one_line() {
    let mut data = b"first\n".to_vec();
    data.extend(std::iter::repeat_n(b'x', 8 << 20));
    data.extend_from_slice(b"\nafter\n");
    let blocks = blocks_of(&data);
    let lines: Vec<&[u8]> =
        blocks.iter().flat_map(|b| b.data.split(|&c| c == b'\n').filter(|l| !l.is_empty())).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1].len(), 8 << 20);
    assert_eq!(lines[2], b"after");
}

#[test]
fn gzip_by_magic_bytes() {
    let plain = b"a\nb\n".repeat(1000);
    let opened = open_reader(Box::new(std::io::Cursor::new(gz(&plain)))).unwrap();
    assert!(opened.compressed);
    assert!(opened.skipped.is_none());
    let mut r = BlockReader::new(opened);
    let b = r.next_block().unwrap().unwrap();
    assert_eq!(b.data, plain);
    // Concatenated gzip members (as `cat a.gz b.gz`) are read whole.
    let mut two = gz(b"one\n");
    two.extend(gz(b"two\n"));
    let joined: Vec<u8> = blocks_of(&two).into_iter().flat_map(|b| b.data).collect();
    assert_eq!(joined, b"one\ntwo\n");
}

#[test]
fn binary_files_are_recognised_but_junk_logs_are_not() {
    assert_eq!(sniff_binary(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("PNG image"));
    assert_eq!(sniff_binary(b"PK\x03\x04\x14\0\0\0"), Some("ZIP archive"));
    assert_eq!(sniff_binary(b"\x7fELF\x02\x01\x01\0"), Some("ELF executable"));
    let mut tar = vec![0u8; 512];
    tar[..8].copy_from_slice(b"file.txt");
    tar[257..262].copy_from_slice(b"ustar");
    assert_eq!(sniff_binary(&tar), Some("tar archive"));
    assert_eq!(sniff_binary(&[0u8, 1, 2, 3, 0, 0, 5, 6]), Some("binary data"));
    // Compressed-looking bytes (not gzip): mostly invalid UTF-8.
    let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    assert_eq!(sniff_binary(&noise), Some("binary data"));
    // A log that crashed and left a run of NULs is still a log.
    let mut crashed = b"2026-11-20T08:00:00Z GET /x 200\n".repeat(200);
    crashed.extend(std::iter::repeat_n(0u8, 512));
    assert_eq!(sniff_binary(&crashed), None);
    // A log with a few junk bytes is still a log.
    let mut log = b"2026-11-20T08:00:00Z GET /x 200\n".repeat(100);
    log.extend_from_slice(b"\x00\xff\xfe garbage \x01\x02\n");
    assert_eq!(sniff_binary(&log), None);
    // Text that happens to begin like a magic number.
    assert_eq!(sniff_binary(b"MZ-prefixed request id 2026-11-20T08:00:00Z POST /x 200\n"), None);
    // A gzipped PNG is binary after decompression.
    let opened = open_reader(Box::new(std::io::Cursor::new(gz(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")))).unwrap();
    assert!(opened.compressed);
    assert_eq!(opened.skipped, Some("PNG image"));
}

#[test]
fn read_line_at_plain_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let data = b"zero\r\none\ntwo without newline";
    std::fs::write(dir.path().join("a.log"), data).unwrap();
    std::fs::write(dir.path().join("a.log.1.gz"), gz(data)).unwrap();
    for name in ["a.log", "a.log.1.gz"] {
        let p = dir.path().join(name);
        assert_eq!(read_line_at(&p, 0, 100).unwrap(), b"zero");
        assert_eq!(read_line_at(&p, 6, 100).unwrap(), b"one");
        assert_eq!(read_line_at(&p, 10, 100).unwrap(), b"two without newline");
        assert_eq!(read_line_at(&p, 10, 3).unwrap(), b"two");
    }
}

#[cfg(unix)]
#[test]
fn discovery_walks_skips_hidden_survives_loops_and_dedupes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("bot-a/sub")).unwrap();
    std::fs::create_dir_all(d.join(".git")).unwrap();
    std::fs::write(d.join("bot-a/api.log"), "x\n").unwrap();
    std::fs::write(d.join("bot-a/sub/b.log"), "x\n").unwrap();
    std::fs::write(d.join(".hidden.log"), "x\n").unwrap();
    std::fs::write(d.join(".git/config"), "x\n").unwrap();
    std::os::unix::fs::symlink(d, d.join("bot-a/sub/loop")).unwrap();
    std::os::unix::fs::symlink(d.join("bot-a/api.log"), d.join("same.log")).unwrap();
    std::os::unix::fs::symlink(d.join("missing"), d.join("dangling.log")).unwrap();
    let (specs, warnings) = discover(&[d.to_path_buf()]).unwrap();
    let names: Vec<String> =
        specs.iter().map(|s| s.display.strip_prefix(&d.display().to_string()).unwrap().to_owned()).collect();
    assert_eq!(names, ["/bot-a/api.log", "/bot-a/sub/b.log", "/dangling.log"]);
    assert!(specs[2].error.is_some());
    assert!(warnings.iter().any(|w| w.contains("loop")), "{warnings:?}");
    // A hidden file named explicitly is read.
    let (specs, _) = discover(&[d.join(".hidden.log")]).unwrap();
    assert_eq!(specs.len(), 1);
    // A missing path is an error naming it.
    let err = discover(&[d.join("nope")]).unwrap_err();
    assert!(err.to_string().contains("nope"));
    // `-` is standard input.
    assert_eq!(discover(&["-".into()]).unwrap().0[0].origin, Origin::Stdin);
}

#[test]
fn eager_blocks_hand_out_lines_as_they_arrive() {
    // A reader that yields one short chunk per read, like a live pipe.
    struct Trickle(Vec<&'static [u8]>);
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            let chunk = self.0.remove(0);
            buf[..chunk.len()].copy_from_slice(chunk);
            Ok(chunk.len())
        }
    }
    let opened = open_reader_with(Box::new(Trickle(vec![b"one\n", b"tw", b"o\nthree\n"])), true, None).unwrap();
    // The sniffing read takes what the first read gives: "one\n".
    let mut r = BlockReader::new(opened);
    r.eager = true;
    // The first line comes from the first read alone (no waiting for more).
    assert_eq!(r.next_block().unwrap().unwrap().data, b"one\n");
    let mut rest = Vec::new();
    while let Some(b) = r.next_block().unwrap() {
        assert_eq!(b.data.last(), Some(&b'\n'), "blocks are complete lines");
        rest.extend(b.data);
    }
    assert_eq!(rest, b"two\nthree\n");
}

/// Every format, cut short: read from a file, every line a byte-by-byte
/// decoder gives before the damage is handed out, then the error names the
/// codec and the byte.
#[test]
fn truncated_archives_of_every_format_keep_the_lines_before_the_damage() {
    // Little to compress, so that every format has several blocks (a zstd
    // or bzip2 block is decoded whole or not at all).
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let text: String = (0..8000)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            format!("line {i:05} {x:016x}{:016x}\n", x.rotate_left(29))
        })
        .collect();
    let xz = {
        let mut w = liblzma::write::XzEncoder::new(Vec::new(), 1);
        w.write_all(text.as_bytes()).unwrap();
        w.finish().unwrap()
    };
    let bz = {
        let mut w = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        w.write_all(text.as_bytes()).unwrap();
        w.finish().unwrap()
    };
    let zst = zstd::encode_all(text.as_bytes(), 1).unwrap();
    let d = tempfile::tempdir().unwrap();
    for (name, codec, data) in [
        ("a.gz", Codec::Gzip, gz(text.as_bytes())),
        ("a.xz", Codec::Xz, xz),
        ("a.zst", Codec::Zstd, zst),
        ("a.bz2", Codec::Bzip2, bz),
    ] {
        assert_eq!(Codec::sniff(&data), Some(codec), "{name}");
        let cut = data.get(..data.len() * 3 / 5).unwrap();
        let p = d.path().join(name);
        std::fs::write(&p, cut).unwrap();
        // The most a decoder gives, asked a byte at a time.
        let mut most = Vec::new();
        let mut dec = codec.decoder(std::io::BufReader::new(std::io::Cursor::new(cut.to_vec())), None);
        let mut b = [0u8; 1];
        while let Ok(1) = dec.read(&mut b) {
            most.push(b[0]);
        }
        let opened = open(&Origin::File(p.clone())).unwrap();
        let mut r = BlockReader::new(opened);
        let mut got = Vec::new();
        while let Some(block) = r.next_block().unwrap() {
            got.extend(block.data);
        }
        let whole = memchr::memchr_iter(b'\n', &most).count();
        assert!(whole > 0, "{name}");
        assert!(memchr::memchr_iter(b'\n', &got).count() >= whole, "{name}: fewer lines than a decoder gives");
        assert!(text.as_bytes().starts_with(&got[..got.len().min(most.len())]), "{name}: only real content");
        let e = r.error.as_ref().expect("an error at the end");
        let dmg = codec::damage(e).unwrap_or_else(|| panic!("{name}: {e}"));
        assert_eq!(dmg.codec, codec);
        assert!(dmg.at > 0 && dmg.at <= cut.len() as u64, "{name}: {dmg:?}");
    }
}

/// A block does not end inside an entry read as one record: a wire-log
/// exchange that the block's size would cut starts the next block; a block
/// whose end cuts no entry ends where it would.
#[test]
fn a_block_ends_before_an_entry_it_would_cut() {
    let exchange = "\
08:00:00.100 [OkHttp] INFO  c.l.bot.client.wire - --> POST https://api.line.me/v2/bot/message/push
08:00:00.100 [OkHttp] INFO  c.l.bot.client.wire - X-Line-Retry-Key: 0b6a1f4e-3c1d-4e7a-9a55-2f0b8c7d6e5f
08:00:00.100 [OkHttp] INFO  c.l.bot.client.wire - {\"to\":\"U4af4980629a0f1a5e3f5e3d3b9b1e0c1\",\"messages\":[]}
08:00:00.100 [OkHttp] INFO  c.l.bot.client.wire - --> END POST (60-byte body)
08:00:00.323 [OkHttp] INFO  c.l.bot.client.wire - <-- 429 https://api.line.me/v2/bot/message/push (223ms)
08:00:00.323 [OkHttp] INFO  c.l.bot.client.wire - x-line-request-id: 9d3a6c1e-2b4f-4e8a-b7c6-1f0e2d3c4b5a
08:00:00.323 [OkHttp] INFO  c.l.bot.client.wire - <-- END HTTP (52-byte body)
";
    let filler = "08:00:00.000 [main] INFO  c.e.Bot - working on something that takes a line\n";
    for before in [BLOCK - 300, BLOCK - 40] {
        let mut data = Vec::new();
        while data.len() + filler.len() < before {
            data.extend_from_slice(filler.as_bytes());
        }
        let opener_at = data.len();
        data.extend_from_slice(exchange.as_bytes());
        for _ in 0..100 {
            data.extend_from_slice(filler.as_bytes());
        }
        let blocks = blocks_of(&data);
        assert_eq!(blocks[0].data.len(), opener_at, "the first block ends before `--> POST`");
        assert!(blocks[1].data.starts_with(b"08:00:00.100 [OkHttp] INFO  c.l.bot.client.wire - --> POST"));
    }
    // Filler alone: each block ends at its last newline.
    let mut data = Vec::new();
    while data.len() < 2 * BLOCK {
        data.extend_from_slice(filler.as_bytes());
    }
    let blocks = blocks_of(&data);
    let last_newline = BLOCK - BLOCK % filler.len();
    assert_eq!(blocks[0].data.len(), last_newline);
}
