//! The timeline: every record id, ordered by (time, id).
//!
//! Files are written in time order, so the timeline is mostly a merge of a
//! few ordered lanes, one a source. Then a position keeps only which lane it
//! comes from (a byte), and its id is found by counting: how many positions
//! of that lane come before it (a count per lane every block of positions,
//! then a scan of the block) names its place in the lane, and a lane is a
//! few runs of consecutive ids. That is about a byte and a quarter a record
//! where an id is four (the screen's peak on the 330-hour bench set: 246 →
//! 237 MB). A line another clock wrote (an hour behind the lines around it)
//! goes to one more lane that lists its ids. More such lines than one in
//! 64, more sources than a byte names, or sources whose records interleave
//! one by one turn the timeline into the plain list of ids it always was;
//! both answer the same.
//!
//! Costs: a position's id, O(block) (a scan of at most 256 tags, up to 16 lanes) plus
//! O(log runs); a range, that once and O(1) a position either way; the
//! position of an id, O(log n + block); merging k new records, the list's
//! O(k log(n/k)) look-ups and O(moved) copying, plus O(moved) counting
//! again; building it again with k new records (`Rebuild`), O(n + k)
//! reads of the store in each lane's order and O(log lanes) a position.
//! The screen builds while reading each time the records inside it grow by
//! half, so O(n) in all (about three times n); merging slice by slice
//! was O(n²/slice) moved and a few random reads a record. (Hand-written: no
//! crate keeps a merge of sorted runs this way.)

use crate::model::RecordId;
use crate::time::Millis;

/// What the timeline orders by: the time, then the id (commit order).
pub type Key = (Millis, RecordId);

/// Reads the times of the records `first..first + out.len()` into `out`,
/// and their sources when asked (the store's records, in order).
pub(super) type ReadTimes<'a> = dyn Fn(RecordId, &mut [Millis], Option<&mut [u32]>) + 'a;

/// The most lanes a byte names (one value is left for "no lane").
const MAX_LANES: usize = 255;
/// [`Lanes::of_source`] of a source that has no lane yet.
const NO_LANE: u8 = u8::MAX;

#[derive(Debug)]
pub struct Timeline {
    repr: Repr,
    /// A build of the timeline with more records, under way.
    rebuild: Option<Box<Rebuild>>,
}

#[derive(Debug)]
enum Repr {
    Lanes(Lanes),
    Ids(Vec<RecordId>),
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline { repr: Repr::Lanes(Lanes::default()), rebuild: None }
    }
}

/// The positions' lanes, the lanes, and the counts that find a place.
#[derive(Debug, Default)]
struct Lanes {
    /// Per position: the lane its record is in.
    tags: Vec<u8>,
    lanes: Vec<Lane>,
    /// Per source index: its lane, or [`NO_LANE`].
    of_source: Vec<u8>,
    /// The lane of records out of their source's time order, once there is
    /// one.
    exceptions: Option<u8>,
    /// Per block of `1 << shift` positions, `stride` counts: how many
    /// positions of each lane come before the block.
    marks: Vec<u32>,
    stride: usize,
    shift: u32,
}

/// One source's records in id order, which is their time order; or (the
/// exceptions' lane) records out of their source's order, by key.
#[derive(Debug, Default, Clone)]
struct Lane {
    /// Runs of consecutive ids: (place in the lane, first id).
    segs: Vec<(u32, RecordId)>,
    len: u32,
    last: Option<Key>,
    /// The exceptions' lane: its ids in key order (`segs` is empty).
    ids: Vec<RecordId>,
}

impl Lane {
    fn id_at(&self, k: u32) -> Option<RecordId> {
        if !self.ids.is_empty() {
            return self.ids.get(k as usize).copied();
        }
        let i = self.segs.partition_point(|s| s.0 <= k);
        let &(start, first) = self.segs.get(i.checked_sub(1)?)?;
        (k < self.len).then(|| first + (k - start))
    }

    /// The last id of the lane.
    fn last_id(&self) -> Option<RecordId> {
        let &(start, first) = self.segs.last()?;
        Some(first + (self.len - start - 1))
    }

    /// The place of `id` in the lane, if it is there.
    fn rank(&self, id: RecordId) -> Option<u32> {
        if !self.ids.is_empty() {
            return self.ids.iter().position(|&x| x == id).map(|k| k as u32);
        }
        let i = self.segs.partition_point(|s| s.1 <= id);
        let &(start, first) = self.segs.get(i.checked_sub(1)?)?;
        let end = self.segs.get(i).map_or(self.len, |s| s.0);
        let k = start + (id - first);
        (k < end).then_some(k)
    }

    fn push(&mut self, id: RecordId) {
        let extends = self.segs.last().is_some_and(|&(start, first)| first + (self.len - start) == id);
        if !extends {
            self.segs.push((self.len, id));
        }
        self.len += 1;
    }
}

impl Lanes {
    fn block(&self) -> usize {
        1 << self.shift
    }

    /// The place in its lane of the record at position `p`.
    /// (`tags`: the positions' lanes, [`Lanes::tags`] but while a merge has
    /// them out.)
    fn place_in(&self, tags: &[u8], p: usize) -> Option<(u8, u32)> {
        let t = *tags.get(p)?;
        let b = p >> self.shift;
        let base = *self.marks.get(b * self.stride + usize::from(t))?;
        let before = count_eq(tags.get(b << self.shift..p)?, t);
        Some((t, base + before))
    }

    /// Per lane: its positions before `p`.
    fn counts_at(&self, p: usize) -> Vec<u32> {
        // The end of the last block has no counts of its own.
        let b = (p >> self.shift).min(self.tags.len().saturating_sub(1) >> self.shift);
        let mut counts =
            self.marks.get(b * self.stride..(b + 1) * self.stride).map(<[u32]>::to_vec).unwrap_or_default();
        counts.resize(self.stride.max(self.lanes.len()), 0);
        count_into(&mut counts, self.tags.get(b << self.shift..p).unwrap_or_default(), usize::MAX, self.lanes.len());
        counts
    }

    fn get(&self, p: usize) -> Option<RecordId> {
        self.get_in(&self.tags, p)
    }

    fn get_in(&self, tags: &[u8], p: usize) -> Option<RecordId> {
        let (t, k) = self.place_in(tags, p)?;
        self.lanes.get(usize::from(t))?.id_at(k)
    }

    /// The lane of source `s`, made when it has none.
    fn lane_of(&mut self, s: u32) -> u8 {
        let slot = s as usize;
        if self.of_source.len() <= slot {
            self.of_source.resize(slot + 1, NO_LANE);
        }
        match self.of_source.get(slot).copied() {
            Some(t) if t != NO_LANE => t,
            _ => {
                let t = self.lanes.len() as u8;
                self.lanes.push(Lane::default());
                if let Some(x) = self.of_source.get_mut(slot) {
                    *x = t;
                }
                t
            }
        }
    }

    fn position(&self, id: RecordId, source: u32) -> Option<usize> {
        let own =
            self.of_source.get(source as usize).and_then(|&t| Some((t, self.lanes.get(usize::from(t))?.rank(id)?)));
        let (t, k) = own.or_else(|| {
            let t = self.exceptions?;
            Some((t, self.lanes.get(usize::from(t))?.rank(id)?))
        })?;
        let blocks = self.tags.len().div_ceil(self.block());
        let count = |b: usize| self.marks.get(b * self.stride + usize::from(t)).copied().unwrap_or(u32::MAX);
        // The last block with at most k of the lane before it.
        let (mut lo, mut hi) = (0, blocks);
        while lo < hi {
            let m = lo + (hi - lo) / 2;
            if count(m) <= k {
                lo = m + 1;
            } else {
                hi = m;
            }
        }
        let b = lo.checked_sub(1)?;
        let mut seen = count(b);
        let start = b << self.shift;
        for (i, &x) in self.tags.get(start..)?.iter().take(self.block()).enumerate() {
            if x == t {
                if seen == k {
                    return Some(start + i);
                }
                seen += 1;
            }
        }
        None
    }

    /// Lay the counts out for `lanes` lanes (a power of two, so a new lane
    /// seldom moves them) and count from block `from` on.
    fn recount(&mut self, from: usize) {
        let (stride, shift) = layout(self.lanes.len());
        let from = if stride != self.stride {
            self.stride = stride;
            self.shift = shift;
            0
        } else {
            from
        };
        let blocks = self.tags.len().div_ceil(self.block());
        let from = from.min(blocks);
        let mut run: Vec<u32> = match from.checked_sub(1) {
            None => vec![0; stride],
            Some(b) => {
                let mut run = self.marks.get(b * stride..(b + 1) * stride).map(<[u32]>::to_vec).unwrap_or_default();
                run.resize(stride, 0);
                count_into(
                    &mut run,
                    self.tags.get(b << self.shift..).unwrap_or_default(),
                    self.block(),
                    self.lanes.len(),
                );
                run
            }
        };
        self.marks.truncate(from * stride);
        for b in from..blocks {
            self.marks.extend_from_slice(&run);
            count_into(&mut run, self.tags.get(b << self.shift..).unwrap_or_default(), self.block(), self.lanes.len());
        }
    }

    /// Drop, giving the memory of the large lists back (see
    /// [`super::chunked::release`]).
    fn release(self) {
        super::chunked::release(self.tags);
        super::chunked::release(self.marks);
        for lane in self.lanes {
            super::chunked::release(lane.segs);
            super::chunked::release(lane.ids);
        }
    }

    fn heap_bytes(&self) -> usize {
        self.tags.capacity()
            + self.marks.capacity() * 4
            + self.of_source.capacity()
            + self
                .lanes
                .iter()
                .map(|l| l.segs.capacity() * 8 + l.ids.capacity() * 4 + std::mem::size_of::<Lane>())
                .sum::<usize>()
    }
}

/// The counts' stride (lanes to a power of two, so a new lane seldom
/// moves them) and the shift of their blocks for `lanes` lanes: a few
/// counts every block, a quarter of a byte a position for up to 64 lanes
/// (a look-up scans 128 tags on average with up to 16, 512 with more).
/// (Blocks of 128 for up to 16 lanes, half a byte a position, were 1.6 MB
/// more on the 330-hour bench set, and the screen holds two timelines
/// while it builds one: its peak.)
fn layout(lanes: usize) -> (usize, u32) {
    let stride = lanes.next_power_of_two().max(4);
    let shift = match stride {
        0..=16 => 8,
        17..=64 => 10,
        _ => 12,
    };
    (stride, shift)
}

/// How many of `tags` are `t`. Counted in bytes, 255 at a time, so the
/// compiler compares and adds 16 or 32 at once (a count in `usize` widened
/// every byte, and was most of a look-up).
fn count_eq(tags: &[u8], t: u8) -> u32 {
    tags.chunks(255).map(|c| u32::from(c.iter().fold(0u8, |a, &x| a.wrapping_add(u8::from(x == t))))).sum()
}

/// Add the lanes of the first `n` tags of `tags` to `run`: with a few
/// lanes, each counted with [`count_eq`] (a pass per lane, 16 or 32 tags an
/// instruction); with many, one pass adding a tag at a time.
fn count_into(run: &mut [u32], tags: &[u8], n: usize, lanes: usize) {
    let tags = tags.get(..n.min(tags.len())).unwrap_or_default();
    if lanes <= 16 {
        for (t, c) in run.iter_mut().enumerate().take(lanes) {
            *c += count_eq(tags, t as u8);
        }
        return;
    }
    for &t in tags {
        if let Some(c) = run.get_mut(usize::from(t)) {
            *c += 1;
        }
    }
}

/// How many trailing positions of `0..len` satisfy `after` (which holds
/// for a suffix): an exponential search from the end, then a binary one,
/// so a place near the end costs a few calls of `after`.
pub(super) fn gallop_back(len: usize, after: impl Fn(usize) -> bool) -> usize {
    let mut hi = 1usize;
    while hi <= len && after(len - hi) {
        hi *= 2;
    }
    let lo = hi / 2;
    let end = hi.min(len);
    // Among the positions lo..end from the back, those satisfying `after`
    // are the last ones: count them with a binary search.
    let (a, b) = (len - end, len - lo);
    let (mut l, mut r) = (a, b);
    while l < r {
        let m = l + (r - l) / 2;
        if after(m) {
            r = m;
        } else {
            l = m + 1;
        }
    }
    lo + (b - l)
}

impl Timeline {
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Lanes(l) => l.tags.len(),
            Repr::Ids(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether it keeps a lane a position (false: a list of ids).
    pub fn in_lanes(&self) -> bool {
        matches!(self.repr, Repr::Lanes(_))
    }

    pub fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::Lanes(l) => l.heap_bytes(),
            Repr::Ids(v) => v.capacity() * 4,
        }
    }

    /// Merge the records `new` (sorted by key; they are every id from
    /// `len()` on) in. `key` and `source` read the store. Cost: O(k log k)
    /// to sort (the caller), O(moved + k log(n/k)) look-ups to merge.
    pub(super) fn merge(&mut self, new: &[Key], key: &dyn Fn(RecordId) -> Key, source: &dyn Fn(RecordId) -> u32) {
        if new.is_empty() {
            return;
        }
        if let Repr::Lanes(l) = &mut self.repr
            && !merge_lanes(l, new, key, source)
        {
            // The lanes cannot hold it: a list of ids from now on.
            let ids: Vec<RecordId> = self.view().iter_range(0, self.len()).collect();
            self.repr = Repr::Ids(ids);
        }
        if let Repr::Ids(v) = &mut self.repr {
            merge_ids(v, new, key);
        }
    }

    pub fn view(&self) -> Order<'_> {
        Order { t: self }
    }

    /// Whether a build with more records is under way (see [`Rebuild`]).
    pub(super) fn rebuilding(&self) -> bool {
        self.rebuild.is_some()
    }

    /// Start building the timeline again with every record below `upto`
    /// (see [`Rebuild`]); false (nothing started) for a list of ids.
    pub(super) fn start_rebuild(&mut self, upto: RecordId, earliest: Key, key: &dyn Fn(RecordId) -> Key) -> bool {
        let Repr::Lanes(l) = &self.repr else { return false };
        let Ok(next) = RecordId::try_from(l.tags.len()) else { return false };
        if upto <= next {
            return false;
        }
        let lanes = Lanes {
            lanes: l.lanes.clone(),
            of_source: l.of_source.clone(),
            exceptions: l.exceptions,
            ..Lanes::default()
        };
        // The positions before the earliest new record stay as they are.
        let keep = l.tags.len() - gallop_back(l.tags.len(), |p| l.get(p).is_some_and(|x| key(x) > earliest));
        self.rebuild = Some(Box::new(Rebuild { l: lanes, next, upto, keep, late: Vec::new(), merge: None }));
        true
    }

    /// Go on with the build for about `work` records' worth. `Some(true)`:
    /// done, the timeline has every record below its `upto`; `Some(false)`:
    /// not yet; `None`: no build, or the lanes cannot hold the records (the
    /// build is dropped and nothing changed: merge them instead).
    pub(super) fn rebuild_some(
        &mut self,
        work: usize,
        key: &dyn Fn(RecordId) -> Key,
        times: &ReadTimes<'_>,
    ) -> Option<bool> {
        let r = self.rebuild.as_mut()?;
        let mut budget = work;
        // The new records in their lanes, in id order.
        while r.next < r.upto && budget > 0 {
            let n = (r.upto - r.next).min(u32::try_from(budget).unwrap_or(u32::MAX)).min(1 << 16);
            let (mut times_of, mut sources) = (vec![0; n as usize], vec![0; n as usize]);
            times(r.next, &mut times_of, Some(&mut sources));
            let keys: Vec<Key> = times_of.into_iter().zip(r.next..).collect();
            let p = classify(&r.l, r.next, &keys, &sources);
            let exceptions = exceptions_of(&r.l) + r.late.len() + p.late.len();
            if !fits(&p, r.l.exceptions.is_some(), exceptions, r.upto as usize) {
                self.rebuild = None;
                return None;
            }
            apply(&mut r.l, r.next, &p);
            r.late.extend(p.late);
            r.next += n;
            budget -= n as usize;
        }
        if r.next < r.upto {
            return Some(false);
        }
        if r.merge.is_none() {
            take_late(&mut r.l, std::mem::take(&mut r.late), key);
            (r.l.stride, r.l.shift) = layout(r.l.lanes.len());
            // Exactly: the shown timeline is still there beside it.
            r.l.tags.reserve_exact(r.upto as usize);
            r.l.marks.reserve_exact((r.upto as usize).div_ceil(r.l.block()) * r.l.stride);
            let mut m = LaneMerge::new(&r.l);
            // The kept positions and their counts, when laid out alike (the
            // exceptions' lane keeps its first places too: the new ones come
            // after the earliest new record).
            if let Repr::Lanes(old) = &self.repr
                && (old.stride, old.shift) == (r.l.stride, r.l.shift)
                && let Some(tags) = old.tags.get(..r.keep)
                && let Some(marks) = old.marks.get(..r.keep.div_ceil(old.block()) * old.stride)
            {
                r.l.tags.extend_from_slice(tags);
                r.l.marks.extend_from_slice(marks);
                let counts = old.counts_at(r.keep);
                for (p, &c) in m.placed.iter_mut().zip(&counts) {
                    *p = c;
                }
            }
            for t in 0..r.l.lanes.len() {
                m.advance(&r.l, t, key, times);
            }
            m.build();
            r.merge = Some(m);
        }
        let (l, m) = (&mut r.l, r.merge.as_mut()?);
        let total = r.upto as usize;
        let mask = l.block() - 1;
        let steps = budget.saturating_mul(POSITIONS_A_UNIT).max(1);
        for _ in 0..steps.min(total - l.tags.len().min(total)) {
            if l.tags.len() & mask == 0 {
                // The counts before this block.
                l.marks.extend_from_slice(&m.placed);
                l.marks.resize(l.marks.len() + l.stride - m.placed.len(), 0);
            }
            // The lanes hold `total` records between them: no lane runs
            // out first (checked once done).
            let w = m.tree.first().copied().unwrap_or(0);
            l.tags.push(w as u8);
            let t = usize::from(w);
            if let Some(p) = m.placed.get_mut(t) {
                *p += 1;
            }
            m.advance(l, t, key, times);
            m.replay(w);
        }
        if l.tags.len() < total {
            return Some(false);
        }
        let r = self.rebuild.take()?;
        let placed = r.merge.as_ref().map(|m| &m.placed);
        let whole = placed.is_some_and(|p| p.iter().zip(&r.l.lanes).all(|(&p, lane)| p == lane.len));
        if r.l.tags.len() != total || !whole {
            // The lanes and the records disagree (a bug): the merge by
            // look-ups answers instead.
            return None;
        }
        if let Repr::Lanes(old) = std::mem::replace(&mut self.repr, Repr::Lanes(r.l)) {
            old.release();
        }
        Some(true)
    }
}

/// A record earlier than the one before it in its source (a line another
/// clock wrote): the exceptions' lane keeps those.
const OUT_OF_ORDER: u32 = u32::MAX;

/// Where new records go, worked out before anything changes.
struct Placing {
    /// Per new record (in id order): its source, or [`OUT_OF_ORDER`].
    of: Vec<u32>,
    /// The keys of those out of order.
    late: Vec<Key>,
    /// Per source: its last new record in order (key, id).
    last: foldhash::HashMap<u32, (Key, RecordId)>,
    /// Lanes, and runs of ids in them, once the new records are in.
    lanes: usize,
    segs: usize,
}

/// Sort the records `first..first + keys.len()` (`keys` and `sources` by
/// id) into lanes. Cost: O(k).
fn classify(l: &Lanes, first: RecordId, keys: &[Key], sources: &[u32]) -> Placing {
    let mut p = Placing {
        of: Vec::with_capacity(keys.len()),
        late: Vec::new(),
        last: foldhash::HashMap::default(),
        lanes: l.lanes.len(),
        segs: l.lanes.iter().map(|x| x.segs.len()).sum(),
    };
    // The source of the record before and its last (key, id): records come
    // in runs of one source, so the map is asked only when it changes.
    let mut cur: Option<(u32, Option<(Key, RecordId)>)> = None;
    for ((id, &k), &s) in (first..).zip(keys).zip(sources) {
        let prev = match cur {
            Some((c, prev)) if c == s => prev,
            _ => {
                if let Some((c, Some(last))) = cur {
                    p.last.insert(c, last);
                }
                match p.last.get(&s) {
                    Some(&x) => Some(x),
                    None => {
                        let lane = l.of_source.get(s as usize).copied().unwrap_or(NO_LANE);
                        if lane == NO_LANE {
                            p.lanes += 1;
                        }
                        l.lanes.get(usize::from(lane)).and_then(|x| Some((x.last?, x.last_id()?)))
                    }
                }
            }
        };
        if prev.is_some_and(|x| k < x.0) {
            p.of.push(OUT_OF_ORDER);
            p.late.push(k);
            cur = Some((s, prev));
            continue;
        }
        if prev.is_none_or(|x| x.1 + 1 != id) {
            p.segs += 1;
        }
        p.of.push(s);
        cur = Some((s, Some((k, id))));
    }
    if let Some((c, Some(last))) = cur {
        p.last.insert(c, last);
    }
    p
}

/// Whether lanes hold `total` records better than a list of ids would,
/// with `exceptions` of them out of their source's order: not past one in
/// 64 out of order, sources past what a byte names, or sources whose
/// records interleave one by one (a run of ids a record).
fn fits(p: &Placing, had_exceptions: bool, exceptions: usize, total: usize) -> bool {
    let lanes = p.lanes + usize::from(!had_exceptions && !p.late.is_empty());
    lanes <= MAX_LANES && exceptions * 64 <= total + (1 << 16) && p.segs * 8 <= total * 2 + (1 << 16)
}

/// Put the records `first..` of `p` in their lanes (those out of order
/// are the caller's to add, see [`take_late`]).
fn apply(l: &mut Lanes, first: RecordId, p: &Placing) {
    for (id, &s) in (first..).zip(&p.of) {
        if s == OUT_OF_ORDER {
            continue;
        }
        let t = l.lane_of(s);
        if let Some(lane) = l.lanes.get_mut(usize::from(t)) {
            lane.push(id);
        }
    }
    for (&s, &(k, _)) in &p.last {
        let t = l.of_source.get(s as usize).copied().unwrap_or(NO_LANE);
        if let Some(lane) = l.lanes.get_mut(usize::from(t)) {
            lane.last = Some(k);
        }
    }
    if !p.late.is_empty() && l.exceptions.is_none() {
        l.exceptions = Some(l.lanes.len() as u8);
        l.lanes.push(Lane::default());
    }
}

/// Add the records out of order, `late`, to the exceptions' lane: both in
/// key order, one merge.
fn take_late(l: &mut Lanes, mut late: Vec<Key>, key: &dyn Fn(RecordId) -> Key) {
    let Some(lane) = l.exceptions.and_then(|t| l.lanes.get_mut(usize::from(t))) else { return };
    if late.is_empty() {
        return;
    }
    late.sort_unstable();
    let old = std::mem::take(&mut lane.ids);
    let mut merged = Vec::with_capacity(old.len() + late.len());
    let mut a = old.into_iter().peekable();
    for k in late {
        while let Some(x) = a.next_if(|&x| key(x) < k) {
            merged.push(x);
        }
        merged.push(k.1);
    }
    merged.extend(a);
    lane.len = merged.len() as u32;
    lane.ids = merged;
}

/// Records out of order in the exceptions' lane.
fn exceptions_of(l: &Lanes) -> usize {
    l.exceptions.and_then(|t| l.lanes.get(usize::from(t))).map_or(0, |x| x.ids.len())
}

/// Merge into the lanes; false (nothing changed) when the lanes would
/// take more room than a list of ids (see [`fits`]).
fn merge_lanes(l: &mut Lanes, new: &[Key], key: &dyn Fn(RecordId) -> Key, source: &dyn Fn(RecordId) -> u32) -> bool {
    let old_len = l.tags.len();
    let Some(first) = u32::try_from(old_len).ok() else { return false };
    // The new keys by id (they are every id from `first` on), not read
    // from the store again.
    let mut keys: Vec<Key> = vec![(0, 0); new.len()];
    for &k in new {
        if let Some(slot) = keys.get_mut((k.1 - first) as usize) {
            *slot = k;
        }
    }
    let sources: Vec<u32> = (first..).take(keys.len()).map(source).collect();
    let p = classify(l, first, &keys, &sources);
    if !fits(&p, l.exceptions.is_some(), exceptions_of(l) + p.late.len(), old_len + new.len()) {
        return false;
    }
    apply(l, first, &p);
    if l.lanes.len() > l.stride {
        l.recount(0);
    }
    let tag = |id: RecordId| match p.of.get((id - first) as usize).copied() {
        Some(OUT_OF_ORDER) => l.exceptions.unwrap_or(0),
        s => l.of_source.get(s.unwrap_or(0) as usize).copied().unwrap_or(0),
    };
    let new_tags: Vec<u8> = new.iter().map(|&(_, id)| tag(id)).collect();
    // The positions' lanes out of `l` while they move: the look-ups read
    // the old ones through the counts, which change only after.
    let mut tags = std::mem::take(&mut l.tags);
    let first_moved =
        merge_back(&mut tags, new, new_tags.iter().copied(), |v, p, k| l.get_in(v, p).is_some_and(|x| key(x) > k));
    l.tags = tags;
    l.recount(first_moved >> l.shift);
    // The exceptions' ids last: old places were read with the old list.
    take_late(l, p.late, key);
    true
}

/// The timeline built again with every record below `upto`, a step at a
/// time (see [`Timeline::rebuild_some`]): the new records are put in their
/// lanes, then the lanes, each in key order, are merged into positions. A
/// merge of k records into n by look-ups (as [`merge_lanes`] does) costs k
/// random reads of the store, a few each, plus moving every position after
/// the earliest of them; this costs a read of every record, in each lane's
/// order, so a few times cheaper a record: the screen takes what it read
/// while reading this way (a build every time the records grow by half:
/// about three reads a record in all, whatever the order files come in),
/// and merges by look-ups what lands at the end.
#[derive(Debug)]
struct Rebuild {
    /// The lanes with the new records (the shown timeline keeps its own
    /// until the build is done); positions and counts as merged so far.
    l: Lanes,
    /// The next record to put in its lane; the build takes the ids below `upto`.
    next: RecordId,
    upto: RecordId,
    /// The shown timeline's first positions, before the earliest new
    /// record: kept as they are.
    keep: usize,
    /// The keys of new records out of their source's order.
    late: Vec<Key>,
    /// Once every record is in its lane: merging them.
    merge: Option<LaneMerge>,
}

/// The lanes' merge, a loser tree over their next records: per lane, how
/// many are placed, the run of ids its next one is in and its next keys
/// read ahead (read in order, a few dozen at a time); per node, the lane
/// that lost there (node 0: the one that won).
#[derive(Debug)]
struct LaneMerge {
    placed: Vec<u32>,
    seg: Vec<usize>,
    ahead: Vec<Ahead>,
    /// Per lane (the leaves, padded to a power of two): its next key
    /// ([`packed`]), `u128::MAX` once it has none.
    head: Vec<u128>,
    tree: Vec<u16>,
}

/// Keys read ahead for a lane.
#[derive(Debug, Default)]
struct Ahead {
    keys: Vec<u128>,
    at: usize,
}

/// Positions merged for one unit of [`Timeline::rebuild_some`]'s work (a
/// unit is a record put in its lane).
const POSITIONS_A_UNIT: usize = 4;

/// Keys a lane reads at once.
const AHEAD: usize = 64;

/// A key as one number that orders as the key does (a lane's next key is
/// compared a few times for every position).
fn packed(k: Key) -> u128 {
    (u128::from((k.0 as u64) ^ (1 << 63)) << 32) | u128::from(k.1)
}

impl LaneMerge {
    fn new(l: &Lanes) -> LaneMerge {
        let n = l.lanes.len().next_power_of_two().max(2);
        LaneMerge {
            placed: vec![0; l.lanes.len()],
            seg: vec![0; l.lanes.len()],
            ahead: (0..l.lanes.len()).map(|_| Ahead::default()).collect(),
            head: vec![u128::MAX; n],
            tree: vec![0; n],
        }
    }

    /// Read lane `t`'s next keys from place `from` on.
    fn read_ahead(&mut self, l: &Lanes, t: usize, from: u32, key: &dyn Fn(RecordId) -> Key, times: &ReadTimes) {
        let (Some(lane), Some(a), Some(seg)) = (l.lanes.get(t), self.ahead.get_mut(t), self.seg.get_mut(t)) else {
            return;
        };
        a.keys.clear();
        a.at = 0;
        let mut k = from;
        let mut buf = [0 as Millis; AHEAD];
        while a.keys.len() < AHEAD && k < lane.len {
            let Some(id) = lane.id_in_order(k, seg) else { break };
            if !lane.ids.is_empty() {
                a.keys.push(packed(key(id)));
                k += 1;
                continue;
            }
            // The rest of this run of ids, up to what fits.
            let end = lane.segs.get(*seg + 1).map_or(lane.len, |x| x.0);
            let n = ((end - k) as usize).min(AHEAD - a.keys.len());
            let Some(out) = buf.get_mut(..n) else { break };
            times(id, out, None);
            a.keys.extend(out.iter().zip(id..).map(|(&t, id)| packed((t, id))));
            k += n as u32;
        }
    }

    /// Lane `t`'s head: its record at place `placed[t]`.
    #[inline]
    fn advance(&mut self, l: &Lanes, t: usize, key: &dyn Fn(RecordId) -> Key, times: &ReadTimes<'_>) {
        let k = self.next_key(l, t, key, times);
        if let Some(h) = self.head.get_mut(t) {
            *h = k;
        }
    }

    /// Lane `t`'s next key, its place being `placed[t]`.
    #[inline]
    fn next_key(&mut self, l: &Lanes, t: usize, key: &dyn Fn(RecordId) -> Key, times: &ReadTimes) -> u128 {
        if let Some(a) = self.ahead.get_mut(t)
            && let Some(&k) = a.keys.get(a.at)
        {
            a.at += 1;
            return k;
        }
        self.next_key_ahead(l, t, key, times)
    }

    #[cold]
    fn next_key_ahead(&mut self, l: &Lanes, t: usize, key: &dyn Fn(RecordId) -> Key, times: &ReadTimes) -> u128 {
        let from = self.placed.get(t).copied().unwrap_or(u32::MAX);
        self.read_ahead(l, t, from, key, times);
        let Some(a) = self.ahead.get_mut(t) else { return u128::MAX };
        let k = a.keys.get(a.at).copied().unwrap_or(u128::MAX);
        a.at += 1;
        k
    }

    /// The tree over the heads, built bottom up.
    fn build(&mut self) {
        let n = self.head.len();
        let mut win = vec![0u16; 2 * n];
        for (i, w) in win.iter_mut().skip(n).enumerate() {
            *w = i as u16;
        }
        for node in (1..n).rev() {
            let (a, b) = (win.get(2 * node).copied().unwrap_or(0), win.get(2 * node + 1).copied().unwrap_or(0));
            let (ka, kb) = (self.key_of(a), self.key_of(b));
            let (w, lose) = if ka <= kb { (a, b) } else { (b, a) };
            if let Some(x) = win.get_mut(node) {
                *x = w;
            }
            if let Some(x) = self.tree.get_mut(node) {
                *x = lose;
            }
        }
        if let Some(x) = self.tree.get_mut(0) {
            *x = win.get(1).copied().unwrap_or(0);
        }
    }

    fn key_of(&self, t: u16) -> u128 {
        self.head.get(usize::from(t)).copied().unwrap_or(u128::MAX)
    }

    /// Play lane `w`'s new head up the tree.
    fn replay(&mut self, mut w: u16) {
        let n = self.head.len();
        let mut node = (usize::from(w) + n) >> 1;
        let mut kw = self.key_of(w);
        while node >= 1 {
            let Some(slot) = self.tree.get_mut(node) else { break };
            let lose = *slot;
            let kl = self.head.get(usize::from(lose)).copied().unwrap_or(u128::MAX);
            // Chosen without a branch: which side wins is a coin toss when
            // lanes interleave record by record.
            let less = kl < kw;
            *slot = std::hint::select_unpredictable(less, w, lose);
            w = std::hint::select_unpredictable(less, lose, w);
            kw = std::hint::select_unpredictable(less, kl, kw);
            node >>= 1;
        }
        if let Some(x) = self.tree.get_mut(0) {
            *x = w;
        }
    }
}

impl Lane {
    /// The id at place `k`, for places asked in order: `seg` is the run the
    /// last one was in.
    fn id_in_order(&self, k: u32, seg: &mut usize) -> Option<RecordId> {
        if !self.ids.is_empty() {
            return self.ids.get(k as usize).copied();
        }
        if k >= self.len {
            return None;
        }
        while self.segs.get(*seg + 1).is_some_and(|x| x.0 <= k) {
            *seg += 1;
        }
        let &(start, first) = self.segs.get(*seg)?;
        Some(first + (k - start))
    }
}

/// Merged in place from the back: each new record's place is found by
/// galloping back from the last one's (a few look-ups), and the old records
/// after it move up as one run. Only the records after the earliest new one
/// move, with no second copy of the timeline: O(moved) copying and
/// O(k log(n/k)) look-ups, not a look-up per old record.
fn merge_ids(order: &mut Vec<RecordId>, new: &[Key], key: &dyn Fn(RecordId) -> Key) {
    merge_back(order, new, new.iter().map(|&(_, id)| id), |v, p, k| v.get(p).is_some_and(|&x| key(x) > k));
}

/// Merge the entries `vals` of the keys `new` (sorted) into `v`, whose
/// entry at position `p` comes after key `k` when `after(v, p, k)`: appended
/// when none does, else in place from the back (see [`merge_ids`]).
/// Returns the first position that changed.
fn merge_back<T: Copy + Default>(
    v: &mut Vec<T>,
    new: &[Key],
    vals: impl DoubleEndedIterator<Item = T> + ExactSizeIterator,
    after: impl Fn(&[T], usize, Key) -> bool,
) -> usize {
    let old_len = v.len();
    if old_len == 0 || new.first().is_none_or(|&f| !after(v, old_len - 1, f)) {
        v.extend(vals);
        return old_len;
    }
    v.resize(old_len + new.len(), T::default());
    let (mut end, mut write) = (old_len, v.len());
    for (&k, x) in new.iter().zip(vals).rev() {
        let moved = gallop_back(end, |p| after(v, p, k));
        let from = end - moved;
        v.copy_within(from..end, write - moved);
        write -= moved + 1;
        if let Some(slot) = v.get_mut(write) {
            *slot = x;
        }
        end = from;
    }
    write
}

/// A look at the timeline: record ids by position.
#[derive(Debug, Clone, Copy)]
pub struct Order<'a> {
    t: &'a Timeline,
}

impl<'a> Order<'a> {
    pub fn len(&self) -> usize {
        self.t.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    /// The record at position `p`. Cost: a scan of one block of positions.
    pub fn get(&self, p: usize) -> Option<RecordId> {
        match &self.t.repr {
            Repr::Lanes(l) => l.get(p),
            Repr::Ids(v) => v.get(p).copied(),
        }
    }

    pub fn last(&self) -> Option<RecordId> {
        self.get(self.len().checked_sub(1)?)
    }

    /// Every record id (the timeline is always every id from 0 up to its
    /// length, in another order).
    pub fn contains(&self, id: RecordId) -> bool {
        (id as usize) < self.len()
    }

    /// The position of record `id` of source `source`. Cost: O(log n) plus
    /// a block's scan (lanes); O(n) for a list of ids.
    pub fn position(&self, id: RecordId, source: u32) -> Option<usize> {
        match &self.t.repr {
            Repr::Lanes(l) => l.position(id, source),
            Repr::Ids(v) => v.iter().position(|&r| r == id),
        }
    }

    /// The first position whose record does not satisfy `pred` (which
    /// holds for a prefix): a binary search.
    pub fn partition_point(&self, pred: impl Fn(RecordId) -> bool) -> usize {
        let (mut l, mut r) = (0, self.len());
        while l < r {
            let m = l + (r - l) / 2;
            if self.get(m).is_some_and(&pred) {
                l = m + 1;
            } else {
                r = m;
            }
        }
        l
    }

    /// The ids of positions `lo..hi`, in order. Cost: a block's scan, then
    /// O(1) a position.
    pub fn iter_range(&self, lo: usize, hi: usize) -> Iter<'a> {
        let hi = hi.min(self.len());
        let lo = lo.min(hi);
        match &self.t.repr {
            Repr::Ids(v) => Iter(IterRepr::Ids(v.get(lo..hi).unwrap_or_default().iter())),
            Repr::Lanes(l) => {
                let counts = l.counts_at(lo);
                let segs = vec![usize::MAX; l.lanes.len()];
                Iter(IterRepr::Lanes { l, pos: lo, end: hi, counts, segs, back: Vec::new() })
            }
        }
    }

    pub fn iter(&self) -> Iter<'a> {
        self.iter_range(0, self.len())
    }

    pub fn to_vec(&self) -> Vec<RecordId> {
        self.iter().collect()
    }
}

/// The ids of a range of positions (see [`Order::iter_range`]).
pub struct Iter<'a>(IterRepr<'a>);

enum IterRepr<'a> {
    Ids(std::slice::Iter<'a, RecordId>),
    Lanes {
        l: &'a Lanes,
        pos: usize,
        end: usize,
        /// Per lane: its positions before `pos`.
        counts: Vec<u32>,
        /// Per lane: the run of ids its next place is in (`usize::MAX`: not
        /// looked up yet).
        segs: Vec<usize>,
        /// Per lane: its positions before `end` (counted at the first
        /// [`Iter::next_back`]).
        back: Vec<u32>,
    },
}

impl Iterator for Iter<'_> {
    type Item = RecordId;

    fn next(&mut self) -> Option<RecordId> {
        match &mut self.0 {
            IterRepr::Ids(it) => it.next().copied(),
            IterRepr::Lanes { l, pos, end, counts, segs, .. } => {
                if *pos >= *end {
                    return None;
                }
                let t = usize::from(*l.tags.get(*pos)?);
                *pos += 1;
                let c = counts.get_mut(t)?;
                let k = *c;
                *c += 1;
                let lane = l.lanes.get(t)?;
                let s = segs.get_mut(t)?;
                if *s == usize::MAX && lane.ids.is_empty() {
                    *s = lane.segs.partition_point(|x| x.0 <= k).checked_sub(1)?;
                }
                lane.id_in_order(k, s)
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.len();
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {
    fn len(&self) -> usize {
        match &self.0 {
            IterRepr::Ids(it) => it.len(),
            IterRepr::Lanes { pos, end, .. } => end.saturating_sub(*pos),
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<RecordId> {
        match &mut self.0 {
            IterRepr::Ids(it) => it.next_back().copied(),
            IterRepr::Lanes { l, pos, end, back, .. } => {
                if *pos >= *end {
                    return None;
                }
                if back.is_empty() {
                    *back = l.counts_at(*end);
                }
                *end -= 1;
                let t = usize::from(*l.tags.get(*end)?);
                let c = back.get_mut(t)?;
                *c = c.checked_sub(1)?;
                l.lanes.get(t)?.id_at(*c)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gallop_back_counts_the_suffix() {
        let v: Vec<u32> = (0..100).collect();
        for k in [0, 1, 2, 3, 7, 8, 9, 36, 37, 63, 64, 65, 99, 100, 150] {
            let after = |p: usize| v.get(p).is_some_and(|&x| x >= 100 - k.min(100));
            assert_eq!(gallop_back(v.len(), after), (k as usize).min(100), "back {k}");
        }
        assert_eq!(gallop_back(0, |_| true), 0);
        assert_eq!(gallop_back(v.len(), |_| false), 0);
    }

    /// Records as (time, source), by id; `grow` commits them batch by batch
    /// and checks every question against a sort.
    struct Case {
        recs: Vec<(Millis, u32)>,
        t: Timeline,
        rng: u64,
        /// Take batches in by building the timeline again (see
        /// [`Rebuild`]), a few records' worth a step, not by look-ups.
        build: bool,
    }

    impl Case {
        fn new(seed: u64) -> Case {
            Case { recs: Vec::new(), t: Timeline::default(), rng: seed | 1, build: false }
        }
        fn building(seed: u64) -> Case {
            Case { build: true, ..Case::new(seed) }
        }
        /// Every case, both ways.
        fn both(seed: u64) -> [Case; 2] {
            [Case::new(seed), Case::building(seed)]
        }
        fn next(&mut self) -> u64 {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            self.rng
        }
        fn commit(&mut self, batch: &[(Millis, u32)]) {
            let start = self.recs.len() as RecordId;
            self.recs.extend_from_slice(batch);
            let recs = &self.recs;
            let key = |id: RecordId| (recs.get(id as usize).map_or(i64::MIN, |r| r.0), id);
            let source = |id: RecordId| recs.get(id as usize).map_or(0, |r| r.1);
            let mut new: Vec<Key> = (start..recs.len() as RecordId).map(key).collect();
            new.sort_unstable();
            let built = self.build && {
                let times = |first: RecordId, out: &mut [Millis], mut src: Option<&mut [u32]>| {
                    for (i, slot) in out.iter_mut().enumerate() {
                        let r = recs.get(first as usize + i).copied().unwrap_or((i64::MIN, 0));
                        *slot = r.0;
                        if let Some(x) = src.as_deref_mut().and_then(|s| s.get_mut(i)) {
                            *x = r.1;
                        }
                    }
                };
                let before = self.t.view().to_vec();
                let earliest = new.first().copied().unwrap_or((0, 0));
                assert!(self.t.start_rebuild(recs.len() as RecordId, earliest, &key) || !self.t.in_lanes());
                // A step at a time; what is shown stays as it was until done.
                let mut steps = 0;
                let done = loop {
                    match self.t.rebuild_some(1 + (steps % 5), &key, &times) {
                        Some(false) => assert_eq!(self.t.view().to_vec(), before),
                        Some(true) => break true,
                        None => break false,
                    }
                    steps += 1;
                };
                assert!(!self.t.rebuilding());
                done
            };
            if !built {
                self.t.merge(&new, &key, &source);
                // A build gives up only where the lanes cannot hold it.
                assert!(!self.build || !self.t.in_lanes(), "a build gave up on lanes that hold it");
            }
            self.check();
        }
        fn check(&mut self) {
            let mut want: Vec<Key> = self.recs.iter().enumerate().map(|(i, r)| (r.0, i as RecordId)).collect();
            want.sort_unstable();
            let want: Vec<RecordId> = want.into_iter().map(|k| k.1).collect();
            let o = self.t.view();
            assert_eq!(o.len(), want.len());
            assert_eq!(o.to_vec(), want);
            for (p, &id) in want.iter().enumerate() {
                assert_eq!(o.get(p), Some(id), "get {p}");
                let src = self.recs.get(id as usize).map_or(0, |r| r.1);
                assert_eq!(o.position(id, src), Some(p), "position of {id}");
            }
            assert_eq!(o.get(want.len()), None);
            assert_eq!(o.last(), want.last().copied());
            let n = want.len() as u64 + 1;
            let picks: Vec<(usize, usize)> =
                (0..20).map(|_| ((self.next() % n) as usize, (self.next() % n) as usize)).collect();
            let o = self.t.view();
            for (a, b) in picks {
                let (lo, hi) = (a.min(b), a.max(b));
                let part = want.get(lo..hi).unwrap_or_default();
                assert_eq!(o.iter_range(lo, hi).collect::<Vec<_>>(), part, "{lo}..{hi}");
                assert!(o.iter_range(lo, hi).rev().eq(part.iter().rev().copied()), "{lo}..{hi} backwards");
                // From both ends at once: every third from the back.
                let mut it = o.iter_range(lo, hi);
                let (mut front, mut back, mut n) = (Vec::new(), Vec::new(), 0);
                loop {
                    n += 1;
                    let from_back = n % 3 == 0;
                    let Some(x) = (if from_back { it.next_back() } else { it.next() }) else { break };
                    if from_back { back.push(x) } else { front.push(x) }
                }
                back.reverse();
                front.extend(back);
                assert_eq!(front, part, "{lo}..{hi} from both ends");
                if let Some(&id) = want.get(lo) {
                    let t = self.recs.get(id as usize).map_or(0, |r| r.0);
                    let recs = &self.recs;
                    let pp = o.partition_point(|r| recs.get(r as usize).is_some_and(|x| x.0 < t));
                    assert_eq!(pp, want.partition_point(|&r| recs.get(r as usize).is_some_and(|x| x.0 < t)));
                }
            }
        }
    }

    #[test]
    fn sources_in_time_order_are_kept_as_lanes_and_answer_as_a_sort_does() {
        for (seed, mut c) in (1..=30u64).flat_map(|seed| Case::both(seed * 7919).map(|c| (seed, c))) {
            let sources = 1 + (seed % 7) as u32;
            let mut clock: Vec<Millis> = vec![0; sources as usize];
            for _ in 0..12 {
                // A block of one source, or a few interleaved; equal times,
                // sources read at different paces (later blocks with
                // earlier times).
                let mut batch = Vec::new();
                for _ in 0..(1 + c.next() % 3) {
                    let s = (c.next() % u64::from(sources)) as u32;
                    for _ in 0..(1 + c.next() % 400) {
                        let step = (c.next() % 3) as Millis;
                        let Some(t) = clock.get_mut(s as usize) else { continue };
                        *t += step * (1 + i64::from(s));
                        batch.push((*t, s));
                    }
                }
                c.commit(&batch);
            }
            assert!(c.t.in_lanes(), "seed {seed}");
            assert!(c.t.heap_bytes() < c.recs.len() * 2 + 4096, "seed {seed}: {} bytes", c.t.heap_bytes());
        }
    }

    #[test]
    fn records_out_of_their_sources_order_are_exceptions_with_the_same_answers() {
        for (seed, mut c) in (1..=20u64).flat_map(|seed| Case::both(seed * 104_729).map(|c| (seed, c))) {
            c.commit(&[(10, 0), (20, 1), (30, 0), (40, 1)]);
            assert!(c.t.in_lanes());
            // A line another clock wrote: an hour back, in either source,
            // then more at once, some between earlier exceptions.
            let back = (c.next() % 30) as Millis;
            c.commit(&[(50, 1), (back, (seed % 2) as u32), (60, 2), (61, 2)]);
            for _ in 0..5 {
                let mut batch: Vec<(Millis, u32)> = (0..(c.next() % 50)).map(|i| (100 + i as Millis, 0)).collect();
                batch.push(((c.next() % 100) as Millis, 1 + (c.next() % 2) as u32));
                batch.push(((c.next() % 100) as Millis, 0));
                c.commit(&batch);
            }
            assert!(c.t.in_lanes(), "seed {seed}");
        }
    }

    #[test]
    fn many_records_out_of_order_turn_the_timeline_into_ids_with_the_same_answers() {
        for mut c in Case::both(9) {
            let batch: Vec<(Millis, u32)> = (0..3_000u32).map(|i| (Millis::from(i), 0)).collect();
            c.commit(&batch);
            assert!(c.t.in_lanes());
            // Past one in 64 (and the slack of a thousand).
            let batch: Vec<(Millis, u32)> = (0..3_000u32).map(|i| (Millis::from((i * 7919) % 3_000), 0)).collect();
            c.commit(&batch);
            assert!(!c.t.in_lanes());
            c.commit(&[(5, 1), (1, 0)]);
        }
    }

    #[test]
    fn sources_interleaved_record_by_record_are_kept_as_ids() {
        for mut c in Case::both(3) {
            // In time order within each source, but a run of ids a record.
            let batch: Vec<(Millis, u32)> = (0..50_000u32).map(|i| (Millis::from(i / 2), i % 2)).collect();
            c.commit(&batch);
            assert!(!c.t.in_lanes());
            c.commit(&[(25_000, 0), (25_000, 1)]);
        }
    }

    #[test]
    fn more_sources_than_a_byte_names_turn_the_timeline_into_ids() {
        for mut c in Case::both(5) {
            let batch: Vec<(Millis, u32)> = (0..255u32).map(|s| (Millis::from(s % 10), s)).collect();
            c.commit(&batch);
            assert!(c.t.in_lanes(), "255 lanes fit");
            c.commit(&[(3, 255), (4, 0)]);
            assert!(!c.t.in_lanes());
        }
    }

    #[test]
    fn lanes_past_sixteen_and_sixty_four_lay_the_counts_out_again() {
        for mut c in Case::both(11) {
            for n in [3u32, 17, 65, 200] {
                let batch: Vec<(Millis, u32)> = (0..600u32).map(|i| (Millis::from(1000 * n + i / 7), i % n)).collect();
                c.commit(&batch);
                assert!(c.t.in_lanes(), "{n} sources");
            }
        }
    }
}
