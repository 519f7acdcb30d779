//! `rate-limit-429`: see its entry below.

use super::super::*;
use super::{Rule, RuleInfo};

pub(super) const RULE: RuleInfo = RuleInfo {
    rule: Rule::RateLimit429,
    id: "rate-limit-429",
    severity: "error; warning for a concentration on one user",
    guideline: "Messaging API: Don't send mass requests to the LINE Platform (and: Don't send mass messages to the same user); MINI App: Prohibiting mass requests to the LINE Platform",
    doc: "Any 429, one finding per kind of response message: \"The API rate limit has been exceeded\" (rate limit), \"You have reached your monthly limit.\" (monthly quota), none logged; separately for the Messaging API and MINI App service messages, with how many fall in a burst. Warning: at least 5 push 429s and at least half of those with a logged recipient went to one user.",
    check: |i, out| check(i.cx, i.found, out),
};

/// 429s to one push recipient that make a concentration (and at least half).
const CONCENTRATED_MIN: usize = 5;

/// Cost: one pass over the 4xx/5xx list, then a binary search per burst: O(errors log errors + bursts log errors).
fn check(cx: &Ctx, found: &Findings, out: &mut Vec<Finding>) {
    let mut by_class: BTreeMap<(bool, u8), Vec<RecordId>> = BTreeMap::new();
    let mut push_to: HashMap<Sym, Vec<RecordId>> = HashMap::new();
    let mut push_total = 0usize;
    for &id in &cx.store.errors {
        let Some(r) = cx.store.get(id).filter(|r| r.status() == 429) else { continue };
        let class = match cx.response(id) {
            Response::RateLimit => 0,
            Response::MonthlyLimit => 1,
            _ => 2,
        };
        by_class.entry((r.kind() == Kind::MiniApp, class)).or_default().push(id);
        // Push 429s whose recipient is logged.
        if r.kind() == Kind::Api
            && cx.endpoint(r) == Endpoint::Push
            && let [u] = cx.users(r)
        {
            push_total += 1;
            push_to.entry(*u).or_default().push(id);
        }
    }
    for ((mini, class), ids) in by_class {
        let source = if mini { crate::analysis::BurstSource::MiniApp } else { crate::analysis::BurstSource::Api };
        // The bursts holding one of these 429s: a binary search per burst
        // in their sorted times, O((bursts + 429s) × log 429s).
        let mut times: Vec<i64> = ids.iter().filter_map(|&i| cx.store.get(i)).map(Record::ts).collect();
        times.sort_unstable();
        let bursts = found
            .bursts
            .iter()
            .filter(|b| b.source == source)
            .filter(|b| times.get(times.partition_point(|&t| t < b.start)).is_some_and(|&t| t <= b.end))
            .count();
        let (sev, what) = match class {
            0 => (Severity::Error, "\"The API rate limit has been exceeded\": slow down and retry with backoff"),
            1 => (
                Severity::Error,
                "\"You have reached your monthly limit\": no more messages this month; raise the plan's limit or stop sending",
            ),
            _ => (Severity::Error, "no response message logged: log the response body to tell rate limit from quota"),
        };
        let who = if mini { "MINI App service message" } else { "Messaging API" };
        let in_bursts = match bursts {
            0 => "none in a burst".to_owned(),
            1 => "in 1 burst".to_owned(),
            b => format!("in {b} bursts"),
        };
        let msg = format!("{} {who} 429 responses ({in_bursts}): {what}", n(ids.len()));
        let g = if mini { guideline::MINI_MASS_REQUESTS } else { guideline::MASS_REQUESTS };
        out.push(finding(cx.store, Rule::RateLimit429, sev, g, msg, ids.len() as u64, ids));
    }
    if let Some((u, ids)) = push_to.into_iter().max_by_key(|(u, v)| (v.len(), std::cmp::Reverse(*u)))
        && ids.len() >= CONCENTRATED_MIN
        && ids.len() * 2 >= push_total
    {
        let msg = format!(
            "{} of {} push 429s (with a logged recipient) went to one user, {}: too many messages to the same user",
            n(ids.len()),
            n(push_total),
            cx.store.syms.resolve(u)
        );
        out.push(finding(
            cx.store,
            Rule::RateLimit429,
            Severity::Warning,
            guideline::SAME_USER,
            msg,
            ids.len() as u64,
            ids,
        ));
    }
}
