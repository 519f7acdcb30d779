//! An append-only vector stored in fixed-size chunks.
//!
//! A plain `Vec` of millions of entries grows by reallocating and copying,
//! which briefly holds two copies and leaves the old one as a hole in the
//! heap; at the sizes linelens reaches that is tens of megabytes. Chunks are
//! allocated once at full size and never move. A run pushed with
//! [`ChunkVec::push_run`] never straddles two chunks, so it can be borrowed
//! as one slice.

const CHUNK: usize = 1 << 16;

/// Give a large buffer's memory back by shrinking it, then drop it.
///
/// glibc's allocator serves a large block (128 KiB at first) with a mapping
/// of its own, unmapped when freed; but freeing such a block raises that
/// threshold to the block's size (up to 32 MiB). The screen drops its old
/// timeline, megabytes, each time it builds a larger one: after that every
/// block below those megabytes came from the heap, where the holes freed
/// blocks leave stay resident (14 MB of the screen's peak on two weeks of
/// logs). Shrinking a mapped block first (`realloc`, which glibc answers
/// with `mremap`) returns its pages without the free that raises the
/// threshold; the page left is below it. Other allocators merely shrink,
/// then free. (Setting the threshold, `mallopt`, needs `unsafe`, which this
/// crate allows only for `malloc_trim`: [`crate::memory`].)
pub fn release<T>(mut v: Vec<T>) {
    v.clear();
    v.shrink_to(1);
}

#[derive(Debug, Clone)]
pub struct ChunkVec<T> {
    chunks: Vec<Vec<T>>,
    /// Index of each chunk's first element; a chunk owns the indexes up to
    /// the next chunk's base (an oversized run gets a chunk of its own size).
    bases: Vec<u32>,
    count: usize,
    /// Every chunk holds exactly [`CHUNK`] indexes (no oversized run came):
    /// an index's chunk is its high bits, no search.
    uniform: bool,
}

impl<T> Default for ChunkVec<T> {
    fn default() -> Self {
        ChunkVec { chunks: Vec::new(), bases: Vec::new(), count: 0, uniform: true }
    }
}

impl<T: Copy> ChunkVec<T> {
    /// Number of elements pushed.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Append elements that must stay contiguous; returns the first's index.
    pub fn push_run(&mut self, vs: &[T]) -> u32 {
        let fits = self.chunks.last().is_some_and(|c| c.len() + vs.len() <= c.capacity());
        if !fits {
            let base = match (self.bases.last(), self.chunks.last()) {
                (Some(&b), Some(c)) => b.saturating_add(c.capacity() as u32),
                _ => 0,
            };
            self.bases.push(base);
            let chunk = Vec::with_capacity(CHUNK.max(vs.len()));
            self.uniform &= chunk.capacity() == CHUNK;
            self.chunks.push(chunk);
        }
        let (Some(&base), Some(chunk)) = (self.bases.last(), self.chunks.last_mut()) else { return 0 };
        let start = base.saturating_add(chunk.len() as u32);
        chunk.extend_from_slice(vs);
        self.count += vs.len();
        start
    }

    /// Append one element; returns its index.
    pub fn push(&mut self, v: T) -> u32 {
        self.push_run(std::slice::from_ref(&v))
    }

    fn locate(&self, i: u32) -> (usize, usize) {
        if self.uniform {
            return ((i as usize) / CHUNK, (i as usize) % CHUNK);
        }
        let c = self.bases.partition_point(|&b| b <= i).saturating_sub(1);
        (c, (i - self.bases.get(c).copied().unwrap_or(0)) as usize)
    }

    pub fn get(&self, i: u32) -> Option<&T> {
        let (c, o) = self.locate(i);
        self.chunks.get(c)?.get(o)
    }

    pub fn get_mut(&mut self, i: u32) -> Option<&mut T> {
        let (c, o) = self.locate(i);
        self.chunks.get_mut(c)?.get_mut(o)
    }

    /// The index of the first element for which `before` is false, the
    /// elements being those for which it holds followed by the others (a
    /// binary search, as `slice::partition_point`, over the chunks).
    pub fn partition_point(&self, before: impl Fn(&T) -> bool) -> u32 {
        let (mut lo, mut hi) = (0u32, u32::try_from(self.count).unwrap_or(u32::MAX));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid) {
                Some(v) if before(v) => lo = mid + 1,
                _ => hi = mid,
            }
        }
        lo
    }

    /// A run pushed with `push_run` (empty when out of range).
    pub fn slice(&self, start: u32, len: u32) -> &[T] {
        let (c, o) = self.locate(start);
        self.chunks.get(c).and_then(|ch| ch.get(o..o + len as usize)).unwrap_or(&[])
    }

    /// Elements with their indexes, in push order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.chunks
            .iter()
            .zip(&self.bases)
            .flat_map(|(ch, &base)| ch.iter().enumerate().map(move |(o, v)| (base + o as u32, v)))
    }

    /// Heap bytes held (chunks are allocated whole).
    pub fn heap_bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.capacity() * std::mem::size_of::<T>()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_point_over_chunks_is_the_slices() {
        let mut v = ChunkVec::default();
        let all: Vec<u32> = (0..(2 * CHUNK as u32 + 5)).map(|i| i / 3).collect();
        for &x in &all {
            v.push(x);
        }
        for x in [0, 1, 7, 21_845, 43_690, 43_691, 50_000] {
            assert_eq!(v.partition_point(|&e| e < x) as usize, all.partition_point(|&e| e < x), "{x}");
        }
        assert_eq!(ChunkVec::<u32>::default().partition_point(|_| true), 0);
    }

    #[test]
    fn an_index_is_found_the_same_with_or_without_the_search() {
        let mut v = ChunkVec::default();
        // Runs that do not fit leave a gap at a chunk's end.
        for i in 0..30_000u32 {
            v.push_run(&[i, i, i, i, i][..(i % 5) as usize + 1]);
        }
        assert!(v.uniform);
        let searched = |v: &ChunkVec<u32>, i: u32| {
            let c = v.bases.partition_point(|&b| b <= i).saturating_sub(1);
            (c, (i - v.bases.get(c).copied().unwrap_or(0)) as usize)
        };
        let end = (v.chunks.len() * CHUNK) as u32;
        for i in (0..end).step_by(7) {
            assert_eq!(v.locate(i), searched(&v, i), "{i}");
        }
        // Past the last chunk: nothing either way.
        assert!((end..end + 2 * CHUNK as u32).step_by(7).all(|i| v.get(i).is_none()));
        v.push_run(&vec![1; CHUNK + 1]);
        assert!(!v.uniform);
    }

    #[test]
    fn runs_stay_contiguous_and_indexes_are_stable() {
        let mut v = ChunkVec::default();
        let mut runs = Vec::new();
        for i in 0..40_000u32 {
            let run: Vec<u32> = (0..(i % 7)).map(|k| i * 10 + k).collect();
            runs.push((v.push_run(&run), run));
        }
        for (start, run) in &runs {
            assert_eq!(v.slice(*start, run.len() as u32), run.as_slice());
        }
        assert_eq!(v.len(), runs.iter().map(|(_, r)| r.len()).sum::<usize>());
        assert!(v.heap_bytes() >= v.len() * 4);
        let idx = v.push(7);
        assert_eq!(v.get(idx), Some(&7));
        assert_eq!(v.iter().count(), v.len());
        // A run larger than a chunk gets a chunk of its own.
        let big: Vec<u32> = (0..100_000).collect();
        let s = v.push_run(&big);
        assert_eq!(v.slice(s, 100_000), big.as_slice());
        let nine = v.push(9);
        assert_eq!(v.get(nine), Some(&9));
    }
}
