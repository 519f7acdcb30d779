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

/// Cost: one sweep over the records, each looked up in its users' floods
/// (a binary search per user): O(records × users per record × log floods).
fn check(cx: &Ctx, found: &Findings, out: &mut Vec<Finding>) {
    // Each user's floods per direction, by start (they do not overlap).
    let mut of_user: HashMap<(Sym, bool), Vec<usize>> = HashMap::new();
    for (i, f) in found.floods.iter().enumerate() {
        of_user.entry((f.user, f.direction == Direction::Inbound)).or_default().push(i);
    }
    for v in of_user.values_mut() {
        v.sort_by_key(|&i| found.floods.get(i).map_or(0, |f| f.start));
    }
    let mut records: Vec<Vec<RecordId>> = vec![Vec::new(); found.floods.len()];
    if !of_user.is_empty() {
        // (Users come from requests and webhooks only: `users_of`.)
        for (id, r) in cx.store.iter_kinds(|k| matches!(k, Kind::Api | Kind::Webhook)) {
            let Some(t) = r.time() else { continue };
            for (direction, inbound) in [(Direction::Inbound, true), (Direction::Outbound, false)] {
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
