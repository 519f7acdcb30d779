//! `same-user-flood`: see its entry below.

use super::super::*;
use super::{Rule, RuleInfo};

pub(super) const RULE: RuleInfo = RuleInfo {
    rule: Rule::SameUserFlood,
    id: "same-user-flood",
    severity: "warning (outbound), info (inbound)",
    guideline: "Don't send mass messages to the same user",
    doc: "Each flood of the analysis: at least `flood_min` sends to one user within `flood_window` (outbound), or `inbound_flood_min` messages from one user within `inbound_flood_window` (inbound).",
    check: |i, out| check(i.cx, i.found, out),
};

/// Cost: one sweep over the records; a record inside some flood's time span
/// (a binary search in the spans' union) is looked up in its users' floods
/// (a binary search per user): O(records × log floods + records in flood
/// spans × users per record × log floods).
fn check(cx: &Ctx, found: &Findings, out: &mut Vec<Finding>) {
    // Each user's floods per direction, by start (they do not overlap).
    let mut of_user: HashMap<(Sym, bool), Vec<usize>> = HashMap::new();
    for (i, f) in found.floods.iter().enumerate() {
        of_user.entry((f.user, f.direction == Direction::Inbound)).or_default().push(i);
    }
    for v in of_user.values_mut() {
        v.sort_by_key(|&i| found.floods.get(i).map_or(0, |f| f.start));
    }
    let (mut inbound_spans, mut outbound_spans) =
        (Spans::of(found, Direction::Inbound), Spans::of(found, Direction::Outbound));
    let mut records: Vec<Vec<RecordId>> = vec![Vec::new(); found.floods.len()];
    if !of_user.is_empty() {
        // (Users come from requests and webhooks only: `users_of`.)
        for (id, r) in cx.store.iter_kinds(|k| matches!(k, Kind::Api | Kind::Webhook)) {
            let Some(t) = r.time() else { continue };
            for (direction, inbound, spans) in
                [(Direction::Inbound, true, &mut inbound_spans), (Direction::Outbound, false, &mut outbound_spans)]
            {
                if !spans.contains(t) {
                    continue;
                }
                users_of(cx.store, r, direction, &|p| cx.endpoint_of(p), &mut |u| {
                    let Some(list) = of_user.get(&(u, inbound)) else { return };
                    let k = list.partition_point(|&i| found.floods.get(i).is_some_and(|f| f.start <= t));
                    if let Some(&i) = k.checked_sub(1).and_then(|k| list.get(k))
                        && found.floods.get(i).is_some_and(|f| t <= f.end)
                        && let Some(v) = records.get_mut(i)
                        && v.last() != Some(&id)
                    {
                        v.push(id);
                    }
                });
            }
        }
    }
    for (f, records) in found.floods.iter().zip(records) {
        let secs = (f.end - f.start) as f64 / 1000.0;
        let (sev, msg) = match f.direction {
            Direction::Outbound => (
                Severity::Warning,
                format!(
                    "{} messages sent to {} within {secs:.0} s: don't send mass messages to the same user",
                    f.count, f.user_id
                ),
            ),
            Direction::Inbound => (
                Severity::Info,
                format!(
                    "{} messages from {} within {secs:.0} s: a user flooding the bot (check the bot does not answer each one)",
                    f.count, f.user_id
                ),
            ),
        };
        out.push(finding(cx.store, Rule::SameUserFlood, sev, guideline::SAME_USER, msg, f.count, records));
    }
}

/// The union of one direction's flood spans: a record outside it is in no
/// flood, and its users (a token look-up for a reply) are not read.
struct Spans {
    union: Vec<(Millis, Millis)>,
    /// The spans starting at or before the last time asked about: records
    /// come in time order within a block, so the next answer is mostly the
    /// same and no search is needed.
    at: usize,
}

impl Spans {
    fn of(found: &Findings, direction: Direction) -> Spans {
        Spans::union(found.floods.iter().filter(|f| f.direction == direction).map(|f| (f.start, f.end)).collect())
    }

    fn union(mut v: Vec<(Millis, Millis)>) -> Spans {
        v.sort_unstable();
        let mut union: Vec<(Millis, Millis)> = Vec::with_capacity(v.len());
        for (a, b) in v {
            match union.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => union.push((a, b)),
            }
        }
        Spans { union, at: 0 }
    }

    /// Whether some span holds `t`.
    fn contains(&mut self, t: Millis) -> bool {
        let starts_by = |k: usize| k.checked_sub(1).is_none_or(|k| self.union.get(k).is_some_and(|s| s.0 <= t));
        let next_after = self.union.get(self.at).is_none_or(|s| t < s.0);
        if !(starts_by(self.at) && next_after) {
            self.at = self.union.partition_point(|s| s.0 <= t);
        }
        self.at.checked_sub(1).and_then(|k| self.union.get(k)).is_some_and(|s| t <= s.1)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Asked in any order (the hint then misses as often as it hits),
        /// the union answers as the spans themselves do.
        #[test]
        fn spans_hold_what_a_span_holds(
            spans in proptest::collection::vec((0i64..200, 0i64..30), 0..12),
            asked in proptest::collection::vec(-5i64..240, 0..60),
        ) {
            let spans: Vec<(Millis, Millis)> = spans.into_iter().map(|(a, len)| (a, a + len)).collect();
            let mut union = Spans::union(spans.clone());
            for t in asked {
                let want = spans.iter().any(|&(a, b)| a <= t && t <= b);
                proptest::prop_assert_eq!(union.contains(t), want, "t = {}", t);
            }
        }
    }

    #[test]
    fn spans_merge_touching_and_nested() {
        let u = Spans::union(vec![(10, 20), (0, 5), (20, 25), (12, 14), (30, 30)]);
        assert_eq!(u.union, vec![(0, 5), (10, 25), (30, 30)]);
    }
}
