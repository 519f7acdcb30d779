//! A set of numbers below a fixed bound, a bit each. Written here (a few
//! lines) rather than taken from `fixedbitset`, whose `insert` panics on a
//! number past its end: here such a number is ignored when set and absent
//! when asked.

#[derive(Debug, Clone, Default)]
pub struct Bits {
    words: Vec<u64>,
}

impl Bits {
    /// Room for `0..len`, none set.
    pub fn new(len: usize) -> Bits {
        Bits { words: vec![0; len.div_ceil(64)] }
    }

    pub fn set(&mut self, i: usize) {
        if let Some(w) = self.words.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    pub fn get(&self, i: usize) -> bool {
        self.words.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Whether it has room for nothing (as `Bits::default()` has).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_and_numbers_past_the_end() {
        let mut b = Bits::new(130);
        for i in [0, 63, 64, 129] {
            assert!(!b.get(i));
            b.set(i);
            assert!(b.get(i));
        }
        assert!(!b.get(1) && !b.get(65) && !b.get(128));
        b.set(100_000);
        assert!(!b.get(100_000));
        assert!(Bits::default().is_empty() && !Bits::default().get(0) && !b.is_empty());
    }
}
