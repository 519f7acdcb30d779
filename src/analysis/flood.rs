//! Per-user floods.
//!
//! For one user with event times `t[0..n)` in order, the window ending at `j`
//! (j ≥ N−1) is hot when `t[j] − t[j−N+1]` < W. A flood is the union of the
//! index ranges `[j−N+1, j]` of hot windows that overlap (share an index);
//! unions that do not overlap are separate floods.
//!
//! Each user keeps a list of times (sorted before floods are computed, so
//! arrival order does not matter) and the floods computed from it, which
//! are recomputed only for users whose list changed since the last query.
//! Most users send or receive a message or two: one time is kept inline
//! in the user's 16 bytes of state and no list is allocated. Longer lists
//! keep 4 bytes a time (an offset from a base all users share).

use crate::model::Sym;
use crate::time::Millis;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: Millis,
    pub end: Millis,
    pub count: u64,
}

/// Floods of a sorted time list.
pub fn floods(t: &[Millis], n: usize, w: Millis) -> Vec<Span> {
    floods_by(t, |&x| x, n, w)
}

/// [`floods`] over times kept in another form (`at` gives each one's time).
fn floods_by<T>(t: &[T], at: impl Fn(&T) -> Millis, n: usize, w: Millis) -> Vec<Span> {
    let mut out = Vec::new();
    let n = n.max(1);
    let mut cur: Option<(usize, usize)> = None;
    for j in n - 1..t.len() {
        let first = j + 1 - n;
        let (Some(a), Some(b)) = (t.get(first), t.get(j)) else { continue };
        if at(b).saturating_sub(at(a)) >= w {
            continue;
        }
        cur = match cur {
            Some((s, e)) if first <= e => Some((s, j)),
            Some(done) => {
                out.push(done);
                Some((first, j))
            }
            None => Some((first, j)),
        };
    }
    out.extend(cur);
    out.into_iter()
        .filter_map(|(s, e)| Some(Span { start: at(t.get(s)?), end: at(t.get(e)?), count: (e - s + 1) as u64 }))
        .collect()
}

/// A user's times: one inline, more in a vector: 4 bytes a time as an
/// offset from the base all users share (the first time seen, less 2^31
/// ms: ±24 days around it), 8 for a user with a time outside that span.
#[derive(Debug, Default, Clone)]
enum Times {
    #[default]
    None,
    One(Millis),
    Near(Vec<u32>),
    Far(Vec<Millis>),
}

impl Times {
    fn near(t: Millis, base: Millis) -> Option<u32> {
        u32::try_from(t.checked_sub(base)?).ok()
    }

    fn last(&self, base: Millis) -> Option<Millis> {
        match self {
            Times::None => None,
            Times::One(t) => Some(*t),
            Times::Near(v) => v.last().map(|&d| base + i64::from(d)),
            Times::Far(v) => v.last().copied(),
        }
    }

    fn push(&mut self, t: Millis, base: Millis) {
        *self = match (std::mem::take(self), Self::near(t, base)) {
            (Times::None, _) => Times::One(t),
            (Times::One(a), Some(d)) => match Self::near(a, base) {
                Some(da) => Times::Near(vec![da, d]),
                None => Times::Far(vec![a, t]),
            },
            (Times::One(a), None) => Times::Far(vec![a, t]),
            (Times::Near(mut v), Some(d)) => {
                v.push(d);
                Times::Near(v)
            }
            (Times::Near(v), None) => {
                let mut w: Vec<Millis> = v.iter().map(|&d| base + i64::from(d)).collect();
                w.push(t);
                Times::Far(w)
            }
            (Times::Far(mut v), _) => {
                v.push(t);
                Times::Far(v)
            }
        };
    }

    fn sort(&mut self) {
        // Runs of sorted times (one per file read): merged in O(n).
        match self {
            Times::Near(v) => v.sort(),
            Times::Far(v) => v.sort(),
            _ => {}
        }
    }

    /// Remove one occurrence of `t` (the times are sorted).
    fn remove(&mut self, t: Millis, base: Millis) -> bool {
        match self {
            Times::One(a) if *a == t => *self = Times::None,
            Times::Near(v) => match Self::near(t, base).map(|d| v.binary_search(&d)) {
                Some(Ok(at)) => {
                    v.remove(at);
                }
                _ => return false,
            },
            Times::Far(v) => match v.binary_search(&t) {
                Ok(at) => {
                    v.remove(at);
                }
                Err(_) => return false,
            },
            _ => return false,
        }
        true
    }

    fn floods(&self, base: Millis, n: usize, w: Millis) -> Vec<Span> {
        match self {
            Times::None => Vec::new(),
            Times::One(t) => floods(std::slice::from_ref(t), n, w),
            Times::Near(v) => floods_by(v, |&d| base + i64::from(d), n, w),
            Times::Far(v) => floods(v, n, w),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Times::Near(v) => v.capacity() * 4,
            Times::Far(v) => v.capacity() * 8,
            _ => 0,
        }
    }
}

/// A user's state: 16 bytes (every distinct user has one). One time is
/// kept here; more move to `Floods::lists`.
#[derive(Debug, Clone, Copy)]
struct UserTimes {
    /// The user's only time (when `has_one` and there is no list).
    one: Millis,
    /// Index of the user's times in `Floods::lists`, or `NO_LIST`.
    list: u32,
    has_one: bool,
    /// Changed since the floods were computed (and listed in `dirty`).
    dirty: bool,
    /// The times have one appended out of order since they were last sorted.
    unsorted: bool,
}

const NO_LIST: u32 = u32::MAX;

impl Default for UserTimes {
    fn default() -> Self {
        UserTimes { one: 0, list: NO_LIST, has_one: false, dirty: false, unsorted: false }
    }
}

impl UserTimes {
    /// The user's times, moved out (put them back with [`UserTimes::put`]).
    fn take(&self, lists: &mut [Times]) -> Times {
        match lists.get_mut(self.list as usize) {
            Some(l) => std::mem::take(l),
            None if self.has_one => Times::One(self.one),
            None => Times::None,
        }
    }

    fn put(&mut self, times: Times, lists: &mut Vec<Times>) {
        match times {
            Times::None | Times::One(_) if self.list == NO_LIST => {
                self.has_one = matches!(times, Times::One(_));
                if let Times::One(t) = times {
                    self.one = t;
                }
            }
            times => match lists.get_mut(self.list as usize) {
                Some(l) => *l = times,
                None => {
                    self.list = u32::try_from(lists.len()).unwrap_or(NO_LIST);
                    lists.push(times);
                }
            },
        }
    }

    fn sort(&mut self, lists: &mut [Times]) {
        if self.unsorted {
            if let Some(l) = lists.get_mut(self.list as usize) {
                l.sort();
            }
            self.unsorted = false;
        }
    }
}

/// No entry for this symbol.
const NO_ENTRY: u32 = u32::MAX;

/// Event times per user, with floods on demand.
#[derive(Debug, Clone)]
pub struct Floods {
    min: usize,
    window: Millis,
    /// Per user symbol (symbols are dense; most are not users), the index
    /// of its entry in `entries`, or `NO_ENTRY`.
    slot: Vec<u32>,
    entries: Vec<UserTimes>,
    /// The times of users with more than one.
    lists: Vec<Times>,
    /// The floods of the users that have any (most never do), by user.
    floods: std::collections::BTreeMap<Sym, Box<[Span]>>,
    dirty: Vec<Sym>,
    /// What times are kept as offsets from (see [`Times`]); set at the
    /// first time added.
    base: Option<Millis>,
}

impl Floods {
    pub fn new(min: usize, window: Millis) -> Floods {
        Floods {
            min,
            window,
            slot: Vec::new(),
            entries: Vec::new(),
            lists: Vec::new(),
            floods: Default::default(),
            dirty: Vec::new(),
            base: None,
        }
    }

    /// Cost: O(1): an earlier time than the user's last is appended too,
    /// and the times are sorted when the floods are next computed (files are
    /// read one after the other: a user spread over several of them would
    /// otherwise pay an insertion in the middle per record).
    pub fn add(&mut self, user: Sym, t: Millis) {
        let i = user as usize;
        if self.slot.len() <= i {
            self.slot.resize(i + 1, NO_ENTRY);
        }
        let Some(slot) = self.slot.get_mut(i) else { return };
        if *slot == NO_ENTRY {
            *slot = u32::try_from(self.entries.len()).unwrap_or(NO_ENTRY);
            self.entries.push(UserTimes::default());
        }
        let base = *self.base.get_or_insert(t.saturating_sub(1 << 31));
        let Some(u) = self.entries.get_mut(*slot as usize) else { return };
        let mut times = u.take(&mut self.lists);
        if times.last(base).is_some_and(|l| t < l) {
            u.unsorted = true;
        }
        times.push(t, base);
        u.put(times, &mut self.lists);
        if !u.dirty {
            u.dirty = true;
            self.dirty.push(user);
        }
    }

    pub fn remove(&mut self, user: Sym, t: Millis) {
        let base = self.base.unwrap_or(0);
        let Some(i) = self.slot.get(user as usize).copied() else { return };
        let Some(u) = self.entries.get_mut(i as usize) else { return };
        u.sort(&mut self.lists);
        let mut times = u.take(&mut self.lists);
        let removed = times.remove(t, base);
        u.put(times, &mut self.lists);
        if removed && !u.dirty {
            u.dirty = true;
            self.dirty.push(user);
        }
    }

    /// Cost: each user that changed since the last refresh is recomputed
    /// over all of its times: O(batches × times) for a user busy in every
    /// batch (the screen refreshes every 16 blocks, `report` once).
    fn refresh(&mut self) {
        let (min, window, base) = (self.min, self.window, self.base.unwrap_or(0));
        for user in std::mem::take(&mut self.dirty) {
            let Some(i) = self.slot.get(user as usize).copied() else { continue };
            let Some(u) = self.entries.get_mut(i as usize) else { continue };
            u.sort(&mut self.lists);
            u.dirty = false;
            let f = match self.lists.get(u.list as usize) {
                Some(l) => l.floods(base, min, window),
                None if u.has_one => floods(&[u.one], min, window),
                None => Vec::new(),
            };
            if f.is_empty() {
                self.floods.remove(&user);
            } else {
                self.floods.insert(user, f.into_boxed_slice());
            }
        }
    }

    /// Every flood, per user.
    pub fn all(&mut self) -> Vec<(Sym, Span)> {
        self.refresh();
        let mut out: Vec<(Sym, Span)> = self.floods.iter().flat_map(|(&u, f)| f.iter().map(move |f| (u, *f))).collect();
        out.sort_by_key(|(u, f)| (f.start, *u));
        out
    }

    /// The flood of `user` that an event at `t` belongs to.
    pub fn flood_at(&mut self, user: Sym, t: Millis) -> Option<Span> {
        self.refresh();
        self.floods.get(&user)?.iter().find(|f| f.start <= t && t <= f.end).copied()
    }

    /// Heap bytes held by the time lists.
    pub fn heap_bytes(&self) -> usize {
        self.slot.capacity() * 4
            + self.entries.capacity() * std::mem::size_of::<UserTimes>()
            + self.lists.capacity() * std::mem::size_of::<Times>()
            + self.lists.iter().map(Times::heap_bytes).sum::<usize>()
            + self.floods.values().map(|f| f.len() * 24 + 48).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1000;

    #[test]
    fn hot_windows_and_unions() {
        // 10 sends 1 s apart: one window, 9 s < 60 s
        let t: Vec<i64> = (0..10).map(|i| i * S).collect();
        assert_eq!(floods(&t, 10, 60 * S), [Span { start: 0, end: 9 * S, count: 10 }]);
        // one short of the minimum
        assert!(floods(&t[..9], 10, 60 * S).is_empty());
        // exactly W apart is not hot (strictly less than W)
        let t: Vec<i64> = (0..10).map(|i| i * 60 * S / 9).collect();
        assert_eq!(t[9] - t[0], 60 * S);
        assert!(floods(&t, 10, 60 * S).is_empty());
    }

    #[test]
    fn a_user_flooded_twice_far_apart() {
        let mut t: Vec<i64> = (0..12).map(|i| i * S).collect();
        t.extend((0..15).map(|i| 3600 * S + i * S));
        let f = floods(&t, 10, 60 * S);
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].count, f[1].count), (12, 15));
        assert_eq!((f[1].start, f[1].end), (3600 * S, 3614 * S));
    }

    #[test]
    fn overlapping_windows_join_adjacent_ones_do_not() {
        // N = 3, W = 10 s. Hot windows [0,2] and [3,5] touch but do not
        // overlap: two floods. [0,2] and [2,4] share index 2: one flood.
        let t = [0, S, 2 * S, 100 * S, 101 * S, 102 * S];
        assert_eq!(floods(&t, 3, 10 * S).len(), 2);
        let t = [0, S, 2 * S, 3 * S, 4 * S];
        assert_eq!(floods(&t, 3, 10 * S), [Span { start: 0, end: 4 * S, count: 5 }]);
        // sends spread just widely enough: windows are never hot
        let t: Vec<i64> = (0..30).map(|i| i * 5 * S).collect();
        assert!(floods(&t, 3, 10 * S).is_empty());
    }

    #[test]
    fn arrival_order_does_not_matter() {
        let times: Vec<i64> = (0..25).map(|i| (i * 7919 % 25) * 2 * S).collect();
        let mut a = Floods::new(10, 60 * S);
        for &t in &times {
            a.add(1, t);
        }
        let mut sorted = times.clone();
        sorted.sort_unstable();
        assert_eq!(a.all(), floods(&sorted, 10, 60 * S).into_iter().map(|f| (1, f)).collect::<Vec<_>>());
        assert!(a.flood_at(1, 10 * S).is_some());
        a.remove(1, 0);
        assert_eq!(a.all()[0].1.count, 24);
    }

    #[test]
    fn a_user_costs_sixteen_bytes_before_its_second_time() {
        assert_eq!(std::mem::size_of::<UserTimes>(), 16);
        let mut a = Floods::new(2, 10 * S);
        for u in 0..1000 {
            a.add(u, i64::from(u) * S);
        }
        assert!(a.lists.is_empty() && a.all().is_empty());
        a.add(5, 5 * S + 1);
        assert_eq!((a.lists.len(), a.all()), (1, vec![(5, Span { start: 5 * S, end: 5 * S + 1, count: 2 })]));
        a.remove(5, 5 * S);
        a.remove(5, 5 * S + 1);
        assert!(a.all().is_empty() && a.flood_at(5, 5 * S).is_none());
    }

    #[test]
    fn times_far_from_the_first_are_kept_exactly() {
        // The first time sets the base for 4-byte offsets (±24 days); a user
        // with a time outside it keeps 8-byte times. Floods are the same.
        const DAY: i64 = 86_400 * S;
        let t0 = 1_763_625_600_000;
        for far in [t0 + 60 * DAY, t0 - 60 * DAY, t0 + 24 * DAY, t0 - 24 * DAY, -62_135_596_800_000, 64_060_588_800_000]
        {
            let mut a = Floods::new(3, 10 * S);
            a.add(9, t0); // sets the base
            let mut times: Vec<i64> = (0..4).map(|i| t0 + i * S).collect();
            times.extend((0..3).map(|i| far + i * S));
            for &t in &times {
                a.add(1, t);
            }
            let mut sorted = times.clone();
            sorted.sort_unstable();
            let want: Vec<(Sym, Span)> = floods(&sorted, 3, 10 * S).into_iter().map(|f| (1, f)).collect();
            let mut got = a.all();
            got.sort_by_key(|(u, f)| (*u, f.start));
            let mut want = want;
            want.sort_by_key(|(u, f)| (*u, f.start));
            assert_eq!(got, want, "{far}");
            assert!(a.flood_at(1, far + S).is_some_and(|f| f.count == 3), "{far}");
            a.remove(1, far);
            assert!(a.flood_at(1, far + S).is_none(), "{far}");
            a.remove(1, t0 + 3 * S);
            assert_eq!(a.flood_at(1, t0).map(|f| f.count), Some(3), "{far}");
        }
    }
}
