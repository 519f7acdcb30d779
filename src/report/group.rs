//! Repeated alerts as groups: the 429 bursts of one endpoint, the floods of
//! one direction, one audit rule's findings. Two weeks with an incident
//! every hour give thousands of alerts that say the same thing about a
//! different hour or user; a group says it once, with a count, the span and
//! the largest occurrence. The screen, `report` and `audit` group the same
//! way, from this module.
//!
//! A list of at most [`FLAT_UP_TO`] alerts is shown as it is (one hour of a
//! bot's trouble reads better flat); a longer one is grouped.

use std::collections::HashMap;

/// Lists of at most this many alerts are not grouped.
pub const FLAT_UP_TO: usize = 50;

/// What grouping needs to know of one alert.
#[derive(Debug, Clone)]
pub struct Item {
    /// Alerts with the same key form one group (kind and target).
    pub key: String,
    /// Higher is worse.
    pub severity: u8,
    /// The occurrence's own size (a burst's 429s, a finding's count).
    pub count: u64,
    /// First and last time, `i64::MIN` when unknown.
    pub first: i64,
    pub last: i64,
}

/// Alerts with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub key: String,
    /// The worst of its members'.
    pub severity: u8,
    /// Indices of the items, in time order (the earliest first).
    pub members: Vec<usize>,
    /// The earliest first time and the latest last time of the members
    /// (`i64::MIN` when none is known).
    pub first: i64,
    pub last: i64,
    /// The member with the largest count (the earliest of equals).
    pub largest: usize,
}

/// Group `items` by key. Groups come worst first, then the one with the
/// most recent occurrence first, then by key. Cost: O(n log n).
pub fn group(items: &[Item]) -> Vec<Group> {
    let mut at: HashMap<&str, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let g = *at.entry(it.key.as_str()).or_insert_with(|| {
            groups.push(Group {
                key: it.key.clone(),
                severity: it.severity,
                members: Vec::new(),
                first: i64::MIN,
                last: i64::MIN,
                largest: i,
            });
            groups.len() - 1
        });
        let Some(grp) = groups.get_mut(g) else { continue };
        grp.severity = grp.severity.max(it.severity);
        grp.members.push(i);
        if it.first != i64::MIN && (grp.first == i64::MIN || it.first < grp.first) {
            grp.first = it.first;
        }
        grp.last = grp.last.max(it.last);
        if let Some(best) = items.get(grp.largest)
            && (it.count > best.count || (it.count == best.count && it.first < best.first))
        {
            grp.largest = i;
        }
    }
    for g in &mut groups {
        g.members.sort_by_key(|&i| (items.get(i).map_or(i64::MIN, |x| x.first), i));
    }
    groups.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.last.cmp(&a.last)).then_with(|| a.key.cmp(&b.key)));
    groups
}

/// Whether a list of `n` alerts is shown grouped.
pub fn grouped(n: usize) -> bool {
    n > FLAT_UP_TO
}

#[cfg(test)]
mod tests {
    use super::*;

    fn it(key: &str, severity: u8, count: u64, first: i64) -> Item {
        Item { key: key.into(), severity, count, first, last: first + 10 }
    }

    #[test]
    fn groups_by_key_worst_then_most_recent() {
        let items = vec![
            it("burst push", 2, 12, 300),
            it("flood in", 1, 15, 900),
            it("burst push", 2, 40, 100),
            it("rule a", 2, 3, 50),
            it("burst push", 2, 40, 200),
            it("flood in", 1, 9, 100),
        ];
        let g = group(&items);
        let keys: Vec<&str> = g.iter().map(|g| g.key.as_str()).collect();
        // Both error groups before the warning one; of those, the most recent first.
        assert_eq!(keys, ["burst push", "rule a", "flood in"]);
        let push = &g[0];
        assert_eq!(push.members, [2, 4, 0], "in time order");
        assert_eq!((push.first, push.last), (100, 310));
        assert_eq!(push.largest, 2, "the earliest of the two largest");
        assert_eq!(g[2].members, [5, 1]);
        assert_eq!(g[2].largest, 1);
    }

    #[test]
    fn severity_is_the_worst_members_and_unknown_times_stay_unknown() {
        let mut a = it("r", 0, 1, i64::MIN);
        a.last = i64::MIN;
        let g = group(&[a.clone(), it("r", 2, 1, 5), a]);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].severity, 2);
        assert_eq!((g[0].first, g[0].last), (5, 15));
        let g = group(&[it("x", 0, 1, i64::MIN)]);
        assert_eq!(g[0].first, i64::MIN);
    }

    #[test]
    fn flat_up_to_fifty() {
        assert!(!grouped(0));
        assert!(!grouped(FLAT_UP_TO));
        assert!(grouped(FLAT_UP_TO + 1));
    }
}
