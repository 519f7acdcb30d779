//! A compact multi-map from hashes to 32-bit ids.
//!
//! Sorted levels of geometric sizes plus an unsorted tail (see
//! [`HashIndex`]): inserts are amortised O(log n) and a look-up is a
//! directory probe and a short scan per level. A HashMap of Vecs would cost several
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

/// One sorted run with its radix directory: the entries whose key's top
/// `dir_bits` bits are `b` are `sorted[dir[b]..dir[b + 1]]`. Keys are
/// uniform hashes, so a bucket holds ~8 entries and a look-up touches a
/// couple of cache lines instead of binary-searching millions of entries.
#[derive(Debug, Clone, Default)]
struct Level<const N: usize> {
    sorted: Vec<Entry<N>>,
    dir: Vec<u32>,
    dir_bits: u32,
}

impl<const N: usize> Level<N> {
    fn bucket(&self, key: u64) -> usize {
        if self.dir_bits == 0 { 0 } else { (key >> (HashIndex::<N>::KEY_BITS - self.dir_bits)) as usize }
    }

    fn rebuild_dir(&mut self) {
        let n = self.sorted.len();
        self.dir_bits = (usize::BITS - (n / 8).leading_zeros()).min(22);
        let buckets = 1usize << self.dir_bits;
        self.dir.clear();
        self.dir.reserve_exact(buckets + 1);
        let mut i = 0usize;
        for b in 0..buckets {
            while self.sorted.get(i).is_some_and(|e| self.bucket(e.hash()) < b) {
                i += 1;
            }
            self.dir.push(i as u32);
        }
        self.dir.push(n as u32);
    }

    /// The entries under `key`.
    fn run(&self, key: u64) -> impl Iterator<Item = &Entry<N>> {
        let b = self.bucket(key);
        let bucket = match (self.dir.get(b), self.dir.get(b + 1)) {
            (Some(&lo), Some(&hi)) => self.sorted.get(lo as usize..hi as usize).unwrap_or_default(),
            _ => &self.sorted,
        };
        let start = bucket.partition_point(|e| e.hash() < key);
        bucket.get(start..).unwrap_or_default().iter().take_while(move |e| e.hash() == key)
    }

    /// Merge the sorted `other` in, in place from the back, so no second
    /// copy of the run is ever held. Cost: O(len + other.len()).
    fn absorb(&mut self, other: &[Entry<N>]) {
        let n = self.sorted.len();
        // Exactly: a doubling would leave up to half the largest level
        // unused (a large block grows in place, without a copy).
        self.sorted.reserve_exact(other.len());
        self.sorted.extend_from_slice(other);
        let (mut i, mut j, mut k) = (n, other.len(), self.sorted.len());
        while j > 0 {
            let t = other.get(j - 1).copied();
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
        self.rebuild_dir();
    }
}

/// Sorted levels, each at most an eighth of the one before (a log-structured
/// merge), plus an unsorted tail of the inserts since the last
/// [`HashIndex::prepare`]. A batch becomes a level of its own and only merges
/// into a larger one when it outgrows an eighth of it, so each entry is moved
/// O(log n) times over the whole read and no call ever rewrites the whole
/// index for a small batch (the screen calls `prepare` every few blocks:
/// merging into one run each time moved every entry per batch, quadratic
/// over a long read). Look-ups search each level (three or four for
/// millions of entries).
#[derive(Debug, Clone)]
pub struct HashIndex<const N: usize> {
    /// Largest first.
    levels: Vec<Level<N>>,
    tail: Vec<Entry<N>>,
    /// Whether `tail` is sorted (a look-up then binary-searches it instead
    /// of scanning it).
    tail_sorted: bool,
}

impl<const N: usize> Default for HashIndex<N> {
    fn default() -> Self {
        HashIndex { levels: Vec::new(), tail: Vec::new(), tail_sorted: true }
    }
}

/// A tail this long becomes a level even without [`HashIndex::prepare`].
const TAIL_MAX: usize = 1 << 16;

impl<const N: usize> HashIndex<N> {
    /// The part of a hash this index keeps.
    fn key(hash: u64) -> u64 {
        if N >= 3 { hash } else { hash & 0xffff_ffff }
    }

    /// Width of a kept key in bits.
    const KEY_BITS: u32 = if N >= 3 { 64 } else { 32 };

    /// Add `id` under `hash` (0 = absent, ignored).
    pub fn insert(&mut self, hash: u64, id: u32) {
        if hash == 0 {
            return;
        }
        let e = Entry::new(Self::key(hash), id);
        if self.tail.last().is_some_and(|&l| l > e) {
            self.tail_sorted = false;
        }
        self.tail.push(e);
        if self.tail.len() > TAIL_MAX {
            self.prepare();
        }
    }

    /// Make look-ups fast: the tail becomes a sorted level, and levels that
    /// outgrew an eighth of the one before merge into it. Call after a
    /// batch of inserts. Cost: O(t log t) for a tail of t, plus merges
    /// amortised O(log n) per entry inserted.
    pub fn prepare(&mut self) {
        if self.tail.is_empty() {
            return;
        }
        if !self.tail_sorted {
            self.tail.sort_unstable();
            self.tail_sorted = true;
        }
        let mut level = Level { sorted: std::mem::take(&mut self.tail), ..Level::default() };
        level.sorted.shrink_to_fit();
        level.rebuild_dir();
        self.levels.push(level);
        while self.levels.len() > 1 {
            let n = self.levels.len();
            let (small, big) = match (self.levels.get(n - 1), self.levels.get(n - 2)) {
                (Some(s), Some(b)) => (s.sorted.len(), b.sorted.len()),
                _ => break,
            };
            if small <= big / 8 {
                break;
            }
            let Some(last) = self.levels.pop() else { break };
            if let Some(prev) = self.levels.last_mut() {
                prev.absorb(&last.sorted);
            }
        }
    }

    /// Ids stored under `hash`: ascending within each level, levels oldest
    /// first, then the tail in insertion order (ids inserted in ascending
    /// order come back ascending).
    pub fn get(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let hash = Self::key(hash);
        let runs = self.levels.iter().flat_map(move |l| l.run(hash));
        // A sorted tail is binary-searched; an unsorted one scanned.
        let (sorted_tail, unsorted_tail): (&[Entry<N>], &[Entry<N>]) = if self.tail_sorted {
            let at = self.tail.partition_point(|e| e.hash() < hash);
            (self.tail.get(at..).unwrap_or_default(), &[])
        } else {
            (&[], &self.tail)
        };
        runs.chain(sorted_tail.iter().take_while(move |e| e.hash() == hash))
            .chain(unsorted_tail.iter().filter(move |e| e.hash() == hash))
            .map(|e| e.id())
    }

    pub fn contains(&self, hash: u64) -> bool {
        self.get(hash).next().is_some()
    }

    pub fn len(&self) -> usize {
        self.levels.iter().map(|l| l.sorted.len()).sum::<usize>() + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn heap_bytes(&self) -> usize {
        let entries = self.levels.iter().map(|l| l.sorted.capacity()).sum::<usize>() + self.tail.capacity();
        let dirs = self.levels.iter().map(|l| l.dir.capacity()).sum::<usize>();
        entries * std::mem::size_of::<Entry<N>>() + dirs * 4
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
        let unprepared: Vec<u32> = ix.get(1).collect();
        ix.prepare();
        let got: Vec<u32> = ix.get(1).collect();
        let mut a = unprepared.clone();
        a.sort_unstable();
        let mut b = got.clone();
        b.sort_unstable();
        assert_eq!(a, b, "same hits before and after prepare");
        let want: Vec<u32> = (0..20_000).filter(|i| i % 997 == 0).collect();
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, want);
        assert!(!ix.contains(0));
        assert!(!ix.contains(5000));
        assert!(!ix.contains(u64::MAX));
    }

    #[test]
    fn directory_finds_every_key() {
        let mut ix = MultiIndex::default();
        let keys: Vec<u64> = (1..200_000u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1).collect();
        for (i, &k) in keys.iter().enumerate() {
            ix.insert(k, i as u32);
        }
        ix.prepare();
        assert!(ix.levels.iter().any(|l| l.dir_bits > 8));
        for (i, &k) in keys.iter().enumerate().step_by(101) {
            assert_eq!(ix.get(k).collect::<Vec<_>>(), [i as u32]);
        }
        assert_eq!(ix.get(u64::MAX - 2).count(), 0);
        assert_eq!(ix.get(2).count(), 0);
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

    #[test]
    fn small_batches_do_not_rewrite_the_index() {
        let mut ix = MultiIndex32::default();
        let key = |i: u32| u64::from(i.wrapping_mul(0x9E37_79B9)) | 1;
        let mut id = 0u32;
        // A large index, then many small prepared batches, as the screen does.
        for _ in 0..400_000 {
            ix.insert(key(id), id);
            id += 1;
        }
        ix.prepare();
        let big = ix.levels.first().map(|l| l.sorted.len());
        for _ in 0..40 {
            for _ in 0..1_000 {
                ix.insert(key(id), id);
                id += 1;
            }
            ix.prepare();
        }
        // 40,000 entries in batches: none reached an eighth of the first level.
        assert_eq!(ix.levels.first().map(|l| l.sorted.len()), big);
        assert!(ix.levels.len() <= 6, "{} levels", ix.levels.len());
        for l in ix.levels.windows(2) {
            assert!(l[1].sorted.len() <= l[0].sorted.len() / 8);
        }
        // Every id is found, and ids under one key come back ascending.
        for i in (0..id).step_by(97) {
            assert!(ix.get(key(i)).any(|x| x == i), "{i}");
        }
        let mut dup = MultiIndex32::default();
        for i in 0..50_000u32 {
            dup.insert(u64::from(i % 7) + 1, i);
            if i % 1_000 == 999 {
                dup.prepare();
            }
        }
        let ids: Vec<u32> = dup.get(3).collect();
        assert_eq!(ids, (0..50_000).filter(|i| i % 7 == 2).collect::<Vec<_>>());
    }
}
