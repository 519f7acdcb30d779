//! `retry-key`: see its entry below.

use super::super::*;
use super::{Rule, RuleInfo};
use std::hash::BuildHasher;

pub(super) const RULE: RuleInfo = RuleInfo {
    rule: Rule::RetryKey,
    id: "retry-key",
    severity: "warning",
    guideline: "Messaging API reference: Retry a failed API request",
    doc: "A push/multicast/narrowcast/broadcast without `X-Line-Retry-Key` answered 5xx (or no status, in a source that logs statuses: a timeout), then the same send (same endpoint and the same recipients, known from the logged body) without a key within 10 minutes: a possible duplicate; a retry key on any other endpoint; the same retry key sent again after a 409 or another 4xx.",
    check: |i, out| check(i.cx, out),
};

/// How long after a failed send a same send counts as its retry.
const RETRY_WINDOW_MS: Millis = 10 * 60_000;

/// Which stretches of [`RETRY_WINDOW_MS`] follow a failure of one path: a
/// bit per stretch, set for a failure's stretch and the next. A send at `t`
/// can follow a failure by less than the window only if its stretch's bit
/// is set, so most sends are ruled out without searching the failures'
/// times (a search per send was most of the second pass).
struct Near {
    first: i64,
    bits: crate::store::Bits,
}

/// The most stretches a path's bits cover (8 MiB of bits: 79 years of
/// 10-minute stretches); failures spread wider are searched, not marked.
const NEAR_MAX: i64 = 1 << 26;

impl Near {
    /// The bits of a path's failure times (sorted); `None` when none or too spread.
    fn of(sorted: &[Millis]) -> Option<Near> {
        let stretch = |t: Millis| t.div_euclid(RETRY_WINDOW_MS);
        let first = stretch(*sorted.first()?);
        let span = stretch(*sorted.last()?) - first + 2;
        if span > NEAR_MAX {
            return None;
        }
        let mut bits = crate::store::Bits::new(usize::try_from(span).ok()?);
        for &t in sorted {
            // (Within the span: the stretches from the first to the last + 1.)
            let k = usize::try_from(stretch(t) - first).ok()?;
            bits.set(k);
            bits.set(k + 1);
        }
        Some(Near { first, bits })
    }

    /// Whether a send at `t` may follow one of the failures within the window.
    fn may_follow(&self, t: Millis) -> bool {
        usize::try_from(t.div_euclid(RETRY_WINDOW_MS) - self.first).is_ok_and(|k| self.bits.get(k))
    }
}

/// Cost: two passes over API records (the second a bit test per send, and for a send in a stretch after a failure a binary search in its path's failure times, then for one just after a failure, in the failures of the same recipients), a sort of the retry keys, then the reused keys' records: O(records log records).
fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    let mut wrong_endpoint: Vec<RecordId> = Vec::new();
    // Every retry key sent, and whether by a Messaging API request, sorted
    // below to find the keys a Messaging API request sent that were used
    // more than once (by any request the store indexes, MINI App ones
    // too): a look-up in the index per request read the requests at random.
    let mut keys: Vec<(u64, bool)> = Vec::new();
    // Sends without a key that failed (5xx, or no status where the source logs statuses).
    let mut failed: HashMap<(Sym, u64), Vec<(Millis, RecordId)>> = HashMap::new();
    let logs_status = |src: u32| {
        cx.store.sources.get(src as usize).is_some_and(|s| s.fields.api.status * 10 >= s.fields.api.records * 9)
    };
    // The same send again: the same endpoint and the same recipients. Only
    // where the request body named them (push, multicast); unknown
    // recipients are never taken for the same ones.
    let recipients = |users: &[Sym]| -> Option<u64> {
        match users {
            [] => None,
            [u] => Some(u64::from(*u)),
            many => {
                let mut u = many.to_vec();
                u.sort_unstable();
                Some(foldhash::quality::FixedState::default().hash_one(&u))
            }
        }
    };
    // Whether a record's path takes a retry key, once per distinct path
    // (the endpoint table is matched pattern by pattern): a byte per symbol
    // (0 not looked up yet, 1 no, 2 yes), as symbols are dense.
    let mut takes_key: Vec<u8> = vec![0; cx.store.syms.len() + 1];
    let mut takes = |r: Record| match takes_key.get_mut(r.path as usize) {
        Some(1) => false,
        Some(2) => true,
        slot => {
            let yes = crate::line_api::takes_retry_key(cx.path(r));
            if let Some(c) = slot {
                *c = 1 + u8::from(yes);
            }
            yes
        }
    };
    for (id, r) in cx.store.iter_kinds(|k| matches!(k, Kind::Api | Kind::MiniApp)) {
        let key = cx.store.api_retry_key(r);
        if key != 0 {
            keys.push((key, r.kind() == Kind::Api));
            if r.kind() == Kind::Api && !takes(r) {
                wrong_endpoint.push(id);
            }
        } else if r.kind() == Kind::Api
            && takes(r)
            && (r.status() >= 500 || (r.status() == 0 && logs_status(r.source())))
            && let Some(to) = recipients(cx.users(r))
        {
            failed.entry((r.path, to)).or_default().push((r.ts(), id));
        }
    }
    let mut dupes: Vec<RecordId> = Vec::new();
    if !failed.is_empty() {
        // By time: a send looks only at the failures in the 10 minutes
        // before it (a binary search), not at all of its recipients' ones.
        for v in failed.values_mut() {
            v.sort_unstable();
        }
        // Only sends to an endpoint with a failure in the 10 minutes before
        // them are looked at: the failures' times per path (a slot per
        // symbol, as symbols are dense), sorted. A send's recipients are
        // read only then: reading them for every send to a path that ever
        // failed was most of this rule's time.
        let mut slot_of: Vec<u32> = vec![0; cx.store.syms.len() + 1];
        let mut times: Vec<Vec<Millis>> = Vec::new();
        for (&(path, _), v) in &failed {
            let Some(slot) = slot_of.get_mut(path as usize) else { continue };
            if *slot == 0 {
                times.push(Vec::new());
                *slot = times.len() as u32;
            }
            if let Some(list) = times.get_mut(*slot as usize - 1) {
                list.extend(v.iter().map(|&(ft, _)| ft));
            }
        }
        for list in &mut times {
            list.sort_unstable();
        }
        let near: Vec<Option<Near>> = times.iter().map(|list| Near::of(list)).collect();
        let failed_before = |r: Record, t: Millis| {
            let slot = slot_of.get(r.path as usize).copied().unwrap_or(0);
            let Some(i) = slot.checked_sub(1) else { return false };
            if near.get(i as usize).and_then(Option::as_ref).is_some_and(|n| !n.may_follow(t)) {
                return false;
            }
            let Some(list) = times.get(i as usize) else { return false };
            let from = list.partition_point(|&ft| ft < t.saturating_sub(RETRY_WINDOW_MS));
            list.get(from).is_some_and(|&ft| ft < t)
        };
        for (id, r) in cx.api_records() {
            let Some(t) = r.time() else { continue };
            if !failed_before(r, t) || !takes(r) {
                continue;
            }
            // (Its entry read once, for its key and its recipients.)
            let meta = cx.api(r);
            if meta.is_some_and(|m| m.retry_key != 0) {
                continue;
            }
            let users = meta.as_ref().map_or(&[][..], |m| cx.store.api_users(m));
            let Some(fails) = recipients(users).and_then(|to| failed.get(&(r.path, to))) else { continue };
            let from = fails.partition_point(|&(ft, _)| ft < t.saturating_sub(RETRY_WINDOW_MS));
            if let Some(&(_, f)) =
                fails.get(from..).unwrap_or_default().iter().take_while(|&&(ft, _)| ft < t).find(|&&(_, f)| f != id)
            {
                dupes.extend([f, id]);
            }
        }
    }
    dupes.sort_unstable();
    dupes.dedup();
    let msg = format!(
        "{} repeated after a 5xx or timeout without X-Line-Retry-Key: users may get the message twice; send retries with a retry key",
        of(dupes.len(), "send")
    );
    counted(out, cx.store, Rule::RetryKey, Severity::Warning, guideline::RETRY_KEY, msg, dupes);
    let msg = format!(
        "{} X-Line-Retry-Key on an endpoint that does not take one (only push, multicast, narrowcast, broadcast)",
        if wrong_endpoint.len() == 1 {
            "1 request carries".to_owned()
        } else {
            format!("{} requests carry", n(wrong_endpoint.len()))
        }
    );
    counted(out, cx.store, Rule::RetryKey, Severity::Warning, guideline::RETRY_KEY, msg, wrong_endpoint);
    keys.sort_unstable();
    let reused = keys
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|same| same.len() > 1 && same.iter().any(|&(_, api)| api))
        .filter_map(|same| same.first().map(|&(key, _)| key));
    let mut after_4xx: Vec<RecordId> = Vec::new();
    for key in reused {
        let mut v: Vec<(Millis, RecordId, u16)> = cx
            .store
            .requests_with_retry_key(key)
            .filter_map(|i| cx.store.get(i).map(|r| (r.ts(), i, r.status())))
            .collect();
        v.sort_unstable();
        if let Some(pos) = v.iter().position(|&(_, _, s)| (400..500).contains(&s))
            && pos + 1 < v.len()
        {
            after_4xx.extend(v.iter().skip(pos).map(|&(_, i, _)| i));
        }
    }
    let msg = format!(
        "{} with the same retry key after a 409 or another 4xx: a 409 means it was already accepted, other 4xx will not change on retry",
        of(after_4xx.len(), "request")
    );
    counted(out, cx.store, Rule::RetryKey, Severity::Warning, guideline::RETRY_KEY, msg, after_4xx);
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A send within the window after a failure is never ruled out.
        #[test]
        fn near_never_rules_out_a_send_that_follows_a_failure(
            mut fails in proptest::collection::vec(-5_000_000_000i64..5_000_000_000, 1..20),
            after in 1i64..=RETRY_WINDOW_MS,
            pick in 0usize..20,
        ) {
            fails.sort_unstable();
            let near = Near::of(&fails).unwrap();
            let ft = fails[pick % fails.len()];
            proptest::prop_assert!(near.may_follow(ft + after));
        }
    }

    #[test]
    fn near_rules_out_sends_long_after_and_before_the_failures() {
        let near = Near::of(&[10 * RETRY_WINDOW_MS + 5, 50 * RETRY_WINDOW_MS]).unwrap();
        assert!(near.may_follow(11 * RETRY_WINDOW_MS + 4));
        assert!(!near.may_follow(13 * RETRY_WINDOW_MS));
        assert!(!near.may_follow(9 * RETRY_WINDOW_MS));
        assert!(!near.may_follow(i64::MIN / 2));
        assert!(near.may_follow(50 * RETRY_WINDOW_MS + 1));
        // Failures too far apart for bits: searched instead.
        assert!(Near::of(&[0, (NEAR_MAX + 1) * RETRY_WINDOW_MS]).is_none());
        assert!(Near::of(&[]).is_none());
    }
}
