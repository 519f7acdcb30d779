//! Sniffing and cutting into blocks: any bytes as a source (plain, or
//! starting like gzip, xz, zstd or bzip2), through the block reader and the
//! parse workers' loop, from memory and from a file (the file path takes
//! the damage-recovery route of the decoders).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fn drain(opened: linelens::source::Opened) {
    let mut r = linelens::source::BlockReader::new(opened);
    let mut total = 0usize;
    while let Ok(Some(b)) = r.next_block() {
        total += b.data.len();
        let pb = linelens::ingest::ParsedBlock::parse(0, b, false);
        drop(pb);
        if total > 64 << 20 {
            break;
        }
    }
    let _ = r.changed();
}

fuzz_target!(|data: &[u8]| {
    let _ = linelens::source::sniff_binary(data);
    let _ = linelens::source::Codec::sniff(data);
    let _ = linelens::source::Codec::undecided(data);
    if let Ok(o) = linelens::source::open_reader(Box::new(std::io::Cursor::new(data.to_vec()))) {
        drain(o);
    }
    let Ok(mut f) = tempfile::NamedTempFile::new() else { return };
    if f.write_all(data).is_err() {
        return;
    }
    let path = f.path().to_path_buf();
    if let Ok(o) = linelens::source::open(&linelens::source::Origin::File(path.clone())) {
        drain(o);
    }
    let _ = linelens::source::read_line_at(&path, (data.len() / 2) as u64, 1 << 16);
    let _ = linelens::source::newlines_before(&path, &[0, 10, 100, 1000]);
});
