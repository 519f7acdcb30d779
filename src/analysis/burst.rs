//! 429 bursts.
//!
//! Responses with status 429, per source (Messaging API, MINI App), in time
//! order. A new cluster starts where the gap from the previous 429 is more
//! than `gap` (a gap of exactly `gap` continues the cluster); a cluster with
//! at least `min` responses is a burst.
//!
//! Clusters are kept in a map keyed by their first time. Adding a 429 finds
//! the cluster before and after it (O(log n)) and extends or merges them, so
//! the clusters are always those of the sorted sequence, whatever order the
//! 429s arrive in.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use crate::model::Sym;
use crate::time::Millis;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub start: Millis,
    pub end: Millis,
    pub count: u64,
    /// Count per endpoint path symbol.
    pub endpoints: HashMap<Sym, u64>,
}

#[derive(Debug, Clone, Default)]
pub struct Clusters {
    gap: Millis,
    by_start: BTreeMap<Millis, Cluster>,
}

impl Clusters {
    pub fn new(gap: Millis) -> Clusters {
        Clusters { gap, by_start: BTreeMap::new() }
    }

    /// Cost: O(log clusters) to find the neighbours, plus the merges it causes
    /// (each cluster is merged away once): O(n log n) over n responses.
    pub fn add(&mut self, t: Millis, endpoint: Sym) {
        let mut c = Cluster { start: t, end: t, count: 1, endpoints: HashMap::new() };
        c.endpoints.insert(endpoint, 1);
        // The cluster starting at or before t, if it reaches t.
        let before = self.by_start.range(..=t).next_back().map(|(&s, c)| (s, c.end));
        if let Some((s, end)) = before
            && t - end.min(t) <= self.gap
            && let Some(prev) = self.by_start.remove(&s)
        {
            c = merge(prev, c);
        }
        // Clusters starting after t that the new one now reaches.
        while let Some((&s, _)) = self.by_start.range(t.saturating_add(1)..).next() {
            if s - c.end > self.gap {
                break;
            }
            if let Some(next) = self.by_start.remove(&s) {
                c = merge(c, next);
            }
        }
        self.by_start.insert(c.start, c);
    }

    /// Clusters with at least `min` responses, in time order.
    pub fn bursts(&self, min: u64) -> impl Iterator<Item = &Cluster> {
        self.by_start.values().filter(move |c| c.count >= min)
    }

    /// The cluster holding a 429 at time `t`.
    pub fn cluster_at(&self, t: Millis) -> Option<&Cluster> {
        self.by_start.range(..=t).next_back().map(|(_, c)| c).filter(|c| c.end >= t)
    }
}

fn merge(mut a: Cluster, b: Cluster) -> Cluster {
    a.start = a.start.min(b.start);
    a.end = a.end.max(b.end);
    a.count += b.count;
    let (mut big, small) =
        if a.endpoints.len() >= b.endpoints.len() { (a.endpoints, b.endpoints) } else { (b.endpoints, a.endpoints) };
    for (k, v) in small {
        *big.entry(k).or_default() += v;
    }
    a.endpoints = big;
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clusters(times: &[i64]) -> Vec<(i64, i64, u64)> {
        let mut c = Clusters::new(10_000);
        for &t in times {
            c.add(t, 0);
        }
        c.bursts(1).map(|c| (c.start, c.end, c.count)).collect()
    }

    #[test]
    fn gap_of_exactly_the_limit_continues() {
        assert_eq!(clusters(&[0, 10_000, 20_000]), [(0, 20_000, 3)]);
        assert_eq!(clusters(&[0, 10_001]), [(0, 0, 1), (10_001, 10_001, 1)]);
    }

    #[test]
    fn out_of_order_merges_like_sorted() {
        let sorted = [0, 5_000, 12_000, 30_000, 30_000, 40_000, 60_000];
        let want = clusters(&sorted);
        assert_eq!(want, [(0, 12_000, 3), (30_000, 40_000, 3), (60_000, 60_000, 1)]);
        // every rotation and the reverse give the same clusters
        for k in 0..sorted.len() {
            let mut v = sorted.to_vec();
            v.rotate_left(k);
            assert_eq!(clusters(&v), want, "rotation {k}");
        }
        let mut rev = sorted.to_vec();
        rev.reverse();
        assert_eq!(clusters(&rev), want);
        // a late 429 bridging two clusters merges them
        let mut c = Clusters::new(10_000);
        for t in [0, 20_000, 10_000] {
            c.add(t, 0);
        }
        assert_eq!(c.bursts(1).map(|c| c.count).collect::<Vec<_>>(), [3]);
    }

    #[test]
    fn endpoints_are_counted_and_clusters_found() {
        let mut c = Clusters::new(10_000);
        c.add(0, 1);
        c.add(1_000, 2);
        c.add(2_000, 1);
        let b = c.bursts(3).next().unwrap();
        assert_eq!((b.endpoints.get(&1), b.endpoints.get(&2), b.endpoints.len()), (Some(&2), Some(&1), 2));
        assert!(c.cluster_at(1_000).is_some());
        assert!(c.cluster_at(2_001).is_none());
        assert_eq!(c.bursts(4).count(), 0);
    }
}
