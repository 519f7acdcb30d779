//! A compact multi-map from hashes to 32-bit ids.
//!
//! A sorted run plus an unsorted tail that is merged in when it grows past
//! an eighth of the run, so inserts are amortised O(log n) and lookups are
//! a binary search plus a short scan. A HashMap of Vecs would cost several
//! times the memory for millions of request IDs.
//!
//! `W` is the hash width in 32-bit words: [`MultiIndex`] keeps 64-bit hashes
//! (12 bytes an entry); [`MultiIndex32`] keeps 32-bit hashes (8 bytes), for
//! indexes whose callers verify each hit against the line itself.

/// Hash words (high first) then the id; `[u32; N]` keeps the entry packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry<const N: usize>([u32; N]);

impl<const N: usize> Entry<N> {
    fn new(hash: u64, id: u32) -> Self {
        let mut e = [0u32; N];
        let words = N - 1;
        for (i, w) in e.iter_mut().take(words).enumerate() {
            *w = (hash >> (32 * (words - 1 - i))) as u32;
        }
        if let Some(last) = e.last_mut() {
            *last = id;
        }
        Entry(e)
    }
    fn hash(self) -> u64 {
        self.0.iter().take(N - 1).fold(0u64, |h, &w| (h << 32) | u64::from(w))
    }
    fn id(self) -> u32 {
        self.0.last().copied().unwrap_or(0)
    }
}

/// 64-bit hashes: a hit is taken as a match.
pub type MultiIndex = HashIndex<3>;
/// 32-bit hashes: callers verify hits.
pub type MultiIndex32 = HashIndex<2>;

#[derive(Debug, Clone)]
pub struct HashIndex<const N: usize> {
    sorted: Vec<Entry<N>>,
    tail: Vec<Entry<N>>,
}

impl<const N: usize> Default for HashIndex<N> {
    fn default() -> Self {
        HashIndex { sorted: Vec::new(), tail: Vec::new() }
    }
}

impl<const N: usize> HashIndex<N> {
    /// The part of a hash this index keeps.
    fn key(hash: u64) -> u64 {
        if N >= 3 { hash } else { hash & 0xffff_ffff }
    }

    /// Add `id` under `hash` (0 = absent, ignored).
    pub fn insert(&mut self, hash: u64, id: u32) {
        if hash == 0 {
            return;
        }
        self.tail.push(Entry::new(Self::key(hash), id));
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
        let hash = Self::key(hash);
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
        (self.sorted.capacity() + self.tail.capacity()) * std::mem::size_of::<Entry<N>>()
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

    #[test]
    fn narrow_index_keeps_low_bits() {
        let mut ix = MultiIndex32::default();
        assert_eq!(std::mem::size_of::<Entry<2>>(), 8);
        assert_eq!(std::mem::size_of::<Entry<3>>(), 12);
        for i in 0..10_000u32 {
            ix.insert((u64::from(i) << 32) | u64::from(i % 50 + 1), i);
        }
        assert_eq!(ix.get(7).count(), 200);
        assert_eq!(ix.get(u64::MAX << 32 | 7).count(), 200);
    }
}
