//! A compact multi-map from 64-bit hashes to 32-bit ids.
//!
//! 12 bytes an entry: a sorted run plus an unsorted tail that is merged in
//! when it grows past an eighth of the run, so inserts are amortised
//! O(log n) and lookups are a binary search plus a short scan. A HashMap of
//! Vecs would cost several times the memory for millions of request IDs.

/// (hash high, hash low, id): three u32 keep the entry at 12 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry([u32; 3]);

impl Entry {
    fn new(hash: u64, id: u32) -> Entry {
        Entry([(hash >> 32) as u32, hash as u32, id])
    }
    fn hash(self) -> u64 {
        (u64::from(self.0[0]) << 32) | u64::from(self.0[1])
    }
    fn id(self) -> u32 {
        self.0[2]
    }
}

#[derive(Debug, Default, Clone)]
pub struct MultiIndex {
    sorted: Vec<Entry>,
    tail: Vec<Entry>,
}

impl MultiIndex {
    /// Add `id` under `hash` (0 = absent, ignored).
    pub fn insert(&mut self, hash: u64, id: u32) {
        if hash == 0 {
            return;
        }
        self.tail.push(Entry::new(hash, id));
        if self.tail.len() > 4096.max(self.sorted.len() / 8) {
            self.merge();
        }
    }

    /// Merge the tail into the sorted run in place, from the back, so no
    /// second copy of the run is ever held.
    fn merge(&mut self) {
        self.tail.sort_unstable();
        let n = self.sorted.len();
        self.sorted.extend_from_slice(&self.tail);
        let (mut i, mut j, mut k) = (n, self.tail.len(), self.sorted.len());
        while j > 0 {
            let t = self.tail.get(j - 1).copied();
            let s = if i > 0 { self.sorted.get(i - 1).copied() } else { None };
            let take_sorted = matches!((s, t), (Some(s), Some(t)) if s > t);
            let v = if take_sorted {
                i -= 1;
                s
            } else {
                j -= 1;
                t
            };
            k -= 1;
            if let (Some(v), Some(slot)) = (v, self.sorted.get_mut(k)) {
                *slot = v;
            }
        }
        self.tail.clear();
    }

    /// Ids stored under `hash`, ascending in the sorted part, then in insertion order.
    pub fn get(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let start = self.sorted.partition_point(|e| e.hash() < hash);
        let run = self.sorted.get(start..).unwrap_or_default().iter().take_while(move |e| e.hash() == hash);
        run.chain(self.tail.iter().filter(move |e| e.hash() == hash)).map(|e| e.id())
    }

    pub fn contains(&self, hash: u64) -> bool {
        self.get(hash).next().is_some()
    }

    pub fn len(&self) -> usize {
        self.sorted.len() + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn heap_bytes(&self) -> usize {
        (self.sorted.capacity() + self.tail.capacity()) * std::mem::size_of::<Entry>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_across_merges() {
        let mut ix = MultiIndex::default();
        for i in 0..20_000u32 {
            ix.insert(u64::from(i % 997) + 1, i);
        }
        ix.insert(0, 5);
        assert_eq!(ix.len(), 20_000);
        let got: Vec<u32> = ix.get(1).collect();
        let want: Vec<u32> = (0..20_000).filter(|i| i % 997 == 0).collect();
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, want);
        assert!(!ix.contains(0));
        assert!(!ix.contains(5000));
        assert!(!ix.contains(u64::MAX));
    }
}
