//! The request IDs the screen keeps for records of compressed sources
//! (their lines are costly to read again), packed: a lowercase UUID (what
//! LINE's request IDs are) as its 16 bytes, found by its record's bit in a
//! bitmap with running counts (16 bytes an ID, plus 1 bit and 1/16 byte a
//! record between the first and the last kept); any other ID's bytes in one
//! chunked arena with, per record, 12 bytes (the record, where its ID
//! starts and its length). Chunks never move nor double. (A hash map of
//! boxed strings took about 65 bytes a record, one list of both kinds 28,
//! UUIDs beside their record 20.)

use std::borrow::Cow;

use super::chunked::ChunkVec;

/// A lowercase UUID (`8-4-4-4-12` hex digits) as its 16 bytes; `None` for
/// anything else (kept as written, so it comes back exactly). By the
/// digits' fixed places and a table, checked once at the end: an iterator
/// that skipped the dashes and matched each digit was most of a compressed
/// read's cost of keeping IDs on the screen's thread, and a match per
/// digit mispredicts half the time on random digits. (The `uuid` crate
/// also takes upper case, so it could not tell which IDs come back exactly.)
fn pack_uuid(s: &str) -> Option<[u8; 16]> {
    /// Where each byte's two digits start.
    const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    /// A lowercase hex digit's value; 0x10 (not a digit) for anything else.
    // (Built at compile time: an index out of range fails the build.)
    #[allow(clippy::indexing_slicing)]
    const DIGIT: [u8; 256] = {
        let mut t = [0x10u8; 256];
        let mut c = 0;
        while c < 10 {
            t[b'0' as usize + c] = c as u8;
            c += 1;
        }
        let mut c = 0;
        while c < 6 {
            t[b'a' as usize + c] = 10 + c as u8;
            c += 1;
        }
        t
    };
    let b: &[u8; 36] = s.as_bytes().try_into().ok()?;
    if [b[8], b[13], b[18], b[23]] != [b'-'; 4] {
        return None;
    }
    let digit = |at: usize| b.get(at).and_then(|&c| DIGIT.get(usize::from(c))).copied().unwrap_or(0x10);
    let (mut out, mut bad) = ([0u8; 16], 0u8);
    for (o, &i) in out.iter_mut().zip(&AT) {
        let (hi, lo) = (digit(i), digit(i + 1));
        bad |= hi | lo;
        *o = hi << 4 | lo;
    }
    (bad & 0x10 == 0).then_some(out)
}

fn unpack_uuid(b: &[u8]) -> Option<String> {
    use std::fmt::Write;
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        write!(s, "{byte:02x}").ok()?;
    }
    (b.len() == 16).then_some(s)
}
use crate::model::RecordId;

/// Which records (from the first one set) have an entry, and how many
/// entries come before each 64 records: an entry's place among the entries
/// is the count before its word plus the bits set below it there.
#[derive(Debug, Default)]
struct Present {
    first: RecordId,
    words: Vec<u64>,
    /// Entries before each word.
    before: Vec<u32>,
    total: u32,
    last: Option<RecordId>,
}

impl Present {
    /// Mark `id`, after every record marked so far; false if it is not after.
    fn push(&mut self, id: RecordId) -> bool {
        if self.last.is_some_and(|l| l >= id) || self.total == u32::MAX {
            return false;
        }
        if self.last.is_none() {
            self.first = id;
        }
        let at = (id - self.first) as usize;
        while self.words.len() <= at / 64 {
            self.words.push(0);
            self.before.push(self.total);
        }
        if let Some(w) = self.words.get_mut(at / 64) {
            *w |= 1 << (at % 64);
        }
        self.total += 1;
        self.last = Some(id);
        true
    }

    /// The place of `id`'s entry, if it has one.
    fn place(&self, id: RecordId) -> Option<u32> {
        let at = id.checked_sub(self.first)? as usize;
        let (w, bit) = (*self.words.get(at / 64)?, at % 64);
        (w >> bit & 1 == 1)
            .then(|| self.before.get(at / 64).copied().unwrap_or(0) + (w & ((1 << bit) - 1)).count_ones())
    }

    /// Every record marked, in order.
    fn records(&self) -> impl Iterator<Item = RecordId> + '_ {
        self.words.iter().enumerate().flat_map(move |(i, &w)| {
            let base = self.first + (i * 64) as RecordId;
            (0..64u32).filter(move |b| w >> b & 1 == 1).map(move |b| base + b)
        })
    }

    fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8 + self.before.capacity() * 4
    }
}

#[derive(Debug, Default)]
pub struct KeptIds {
    /// The records with a UUID, and the UUIDs' 16 bytes in record order
    /// (records are committed in order).
    with_uuid: Present,
    uuids: ChunkVec<[u8; 16]>,
    /// (record, start in `text`, length) of the IDs that are not
    /// lowercase UUIDs, kept as written, in increasing record order.
    others: ChunkVec<(RecordId, u32, u32)>,
    text: ChunkVec<u8>,
    /// IDs not kept: past the arena's 4 GiB, or committed out of order.
    pub dropped: u64,
}

/// The entry of record `id` in `v`, sorted by record.
fn find<T: Copy>(v: &ChunkVec<T>, id: RecordId, key: impl Fn(&T) -> RecordId) -> Option<T> {
    v.get(v.partition_point(|e| key(e) < id)).copied().filter(|e| key(e) == id)
}

fn last<T: Copy>(v: &ChunkVec<T>) -> Option<T> {
    v.len().checked_sub(1).and_then(|i| u32::try_from(i).ok()).and_then(|i| v.get(i)).copied()
}

impl KeptIds {
    /// Keep `request_id` for `id`, a record after every one kept so far.
    pub fn insert(&mut self, id: RecordId, request_id: &str) {
        let in_order = self.with_uuid.last.is_none_or(|r| r < id) && last(&self.others).is_none_or(|(r, _, _)| r < id);
        debug_assert!(in_order, "records are committed in order");
        // LINE's request IDs are UUIDs: kept as their 16 bytes.
        if let Some(packed) = pack_uuid(request_id) {
            if in_order && self.with_uuid.push(id) {
                self.uuids.push(packed);
            } else {
                self.dropped += 1;
            }
            return;
        }
        let bytes = request_id.as_bytes();
        let len = u32::try_from(bytes.len()).ok();
        let room = u32::try_from(self.text.len() + bytes.len()).is_ok() && self.others.len() < u32::MAX as usize;
        match len {
            Some(len) if in_order && room => {
                let start = self.text.push_run(bytes);
                self.others.push((id, start, len));
            }
            _ => self.dropped += 1,
        }
    }

    /// The request ID kept for `id`.
    pub fn get(&self, id: RecordId) -> Option<Cow<'_, str>> {
        if let Some(b) = self.with_uuid.place(id).and_then(|i| self.uuids.get(i)) {
            return unpack_uuid(b).map(Cow::Owned);
        }
        let (_, start, len) = find(&self.others, id, |e| e.0)?;
        self.text_of(start, len)
    }

    pub fn len(&self) -> usize {
        self.uuids.len() + self.others.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every ID kept, in record order.
    pub fn values(&self) -> impl Iterator<Item = Cow<'_, str>> {
        let mut u = self
            .with_uuid
            .records()
            .zip(self.uuids.iter())
            .map(|(r, (_, b))| (r, unpack_uuid(b).map(Cow::Owned)))
            .peekable();
        let mut o = self.others.iter().map(|(_, &(r, s, l))| (r, self.text_of(s, l))).peekable();
        std::iter::from_fn(move || {
            let next = match (u.peek(), o.peek()) {
                (Some(a), Some(b)) if a.0 < b.0 => u.next(),
                (Some(_), None) => u.next(),
                _ => o.next(),
            };
            next.map(|(_, t)| t)
        })
        .flatten()
    }

    fn text_of(&self, start: u32, len: u32) -> Option<Cow<'_, str>> {
        std::str::from_utf8(self.text.slice(start, len)).ok().map(Cow::Borrowed)
    }

    pub fn heap_bytes(&self) -> usize {
        self.with_uuid.heap_bytes() + self.uuids.heap_bytes() + self.others.heap_bytes() + self.text.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_back_by_record() {
        let mut k = KeptIds::default();
        for (id, rid) in [(3, "a1"), (7, ""), (8, "c3c3"), (20, "d")] {
            k.insert(id, rid);
        }
        let got: Vec<_> = [3, 7, 8, 20, 5, 21].iter().map(|&id| k.get(id)).collect();
        assert_eq!(got, [Some("a1".into()), Some("".into()), Some("c3c3".into()), Some("d".into()), None, None]);
        assert_eq!(k.values().collect::<Vec<_>>(), ["a1", "", "c3c3", "d"]);
        assert_eq!((k.len(), k.dropped), (4, 0));
    }

    #[test]
    fn uuids_are_packed_and_come_back_as_written() {
        let mut k = KeptIds::default();
        let ids = [
            "8e36bade-c5d6-4d00-9e69-72244675a9a1",
            "8E36BADE-C5D6-4D00-9E69-72244675A9A1",
            "8e36bade-c5d6-4d00-9e69-72244675a9a",
            "8e36bade-c5d6-4d00-9e69-72244675a9ag",
            "8e36badec5d6-4d00-9e69-72244675a9a1-",
        ];
        for (i, rid) in ids.iter().enumerate() {
            k.insert(i as RecordId, rid);
        }
        for (i, rid) in ids.iter().enumerate() {
            assert_eq!(k.get(i as RecordId).as_deref(), Some(*rid));
        }
        assert_eq!(pack_uuid(ids[0]).map(|b| unpack_uuid(&b)), Some(Some(ids[0].to_owned())));
        assert!(pack_uuid(ids[1]).is_none(), "upper case is kept as written");
        // 16 bytes for the first; the others as written.
        assert_eq!((k.uuids.len(), k.text.len()), (1, 36 + 35 + 36 + 36));
        assert_eq!(k.values().collect::<Vec<_>>(), ids);
    }

    /// UUIDs and other IDs on records far apart, close together and at
    /// word edges come back by record, and in record order, as a map has
    /// them; records without one have none.
    #[test]
    fn sparse_and_dense_records_come_back_as_a_map_has_them() {
        let mut k = KeptIds::default();
        let mut map = std::collections::BTreeMap::new();
        let mut id: RecordId = 1_000_000;
        let mut seed = 7u64;
        for i in 0..20_000u32 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            id += match seed % 10 {
                0 => 1 + (seed >> 8) as u32 % 5_000,
                1..=3 => 63 + (seed >> 8) as u32 % 3,
                _ => 1,
            };
            let rid = if seed.is_multiple_of(13) {
                format!("req-{i}")
            } else {
                format!("{:08x}-c5d6-4d00-9e69-{:012x}", i, seed & 0xffff_ffff_ffff)
            };
            k.insert(id, &rid);
            map.insert(id, rid);
        }
        assert_eq!((k.len(), k.dropped), (map.len(), 0));
        for (&r, rid) in &map {
            assert_eq!(k.get(r).as_deref(), Some(rid.as_str()), "record {r}");
            if !map.contains_key(&(r + 1)) {
                assert_eq!(k.get(r + 1), None, "record {}", r + 1);
            }
        }
        assert_eq!(k.get(0), None);
        assert_eq!(k.get(999_999), None);
        assert_eq!(k.get(u32::MAX), None);
        assert!(k.values().eq(map.values().map(|v| Cow::Borrowed(v.as_str()))));
    }
}
