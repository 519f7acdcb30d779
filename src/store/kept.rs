//! The request IDs the screen keeps for records of compressed sources
//! (their lines are costly to read again), packed: a lowercase UUID (what
//! LINE's request IDs are) as its 16 bytes beside the record, 20 bytes in
//! all; any other ID's bytes in one chunked arena with, per record, 12 bytes
//! (the record, where its ID starts and its length). Chunks never move nor
//! double. (A hash map of boxed strings took about 65 bytes a record, one
//! list of both kinds 28.)

use std::borrow::Cow;

use super::chunked::ChunkVec;

/// A lowercase UUID (`8-4-4-4-12` hex digits) as its 16 bytes; `None` for
/// anything else (kept as written, so it comes back exactly).
fn pack_uuid(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b.get(i) != Some(&b'-')) {
        return None;
    }
    let mut out = [0u8; 16];
    let mut digits = b.iter().filter(|&&c| c != b'-').map(|&c| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    });
    for o in &mut out {
        *o = (digits.next()?? << 4) | digits.next()??;
    }
    Some(out)
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

#[derive(Debug, Default)]
pub struct KeptIds {
    /// (record, the UUID's 16 bytes), in increasing record order (records
    /// are committed in order): 20 bytes a record.
    uuids: ChunkVec<(RecordId, [u8; 16])>,
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
        let in_order =
            last(&self.uuids).is_none_or(|(r, _)| r < id) && last(&self.others).is_none_or(|(r, _, _)| r < id);
        debug_assert!(in_order, "records are committed in order");
        // LINE's request IDs are UUIDs: kept as their 16 bytes.
        if let Some(packed) = pack_uuid(request_id) {
            if in_order && self.uuids.len() < u32::MAX as usize {
                self.uuids.push((id, packed));
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
        if let Some((_, b)) = find(&self.uuids, id, |e| e.0) {
            return unpack_uuid(&b).map(Cow::Owned);
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
        let mut u = self.uuids.iter().map(|(_, &(r, b))| (r, unpack_uuid(&b).map(Cow::Owned))).peekable();
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
        self.uuids.heap_bytes() + self.others.heap_bytes() + self.text.heap_bytes()
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
}
