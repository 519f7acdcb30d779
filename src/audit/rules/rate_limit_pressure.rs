//! `rate-limit-pressure`: see its entry below.

use super::super::*;
use super::{Rule, RuleInfo};

pub(super) const RULE: RuleInfo = RuleInfo {
    rule: Rule::RateLimitPressure,
    id: "rate-limit-pressure",
    severity: "warning at ≥ 80% of the limit, error at ≥ 100%",
    guideline: "Don't send mass requests to the LINE Platform",
    doc: "The peak number of requests in one calendar second, minute or hour (the limit's own window) against LINE's documented limit for the endpoint (the rate-limit table; the config's `[rate_limits]` replaces or adds rows).",
    check: |i, out| check(i.audit, i.cx, out),
};

/// Share of a limit that counts as pressure.
const PRESSURE: f64 = 0.8;

/// Cost: one pass over API and MINI App records, counting into each
/// limit's windows: a dense array of counts over the span read (a byte
/// a window) when it is not much larger than the records, else a map.
/// O(records + windows); then one more pass over API and MINI App
/// records for the records of the limits over the threshold.
fn check(audit: &Audit, cx: &Ctx, out: &mut Vec<Finding>) {
    // Requests per limit and fixed window (calendar second, minute, hour).
    let (first, last) = (cx.store.first.unwrap_or(0), cx.store.last.unwrap_or(0));
    let records = cx.store.len() as i64;
    let mut counts: Vec<Windows> = audit
        .limits
        .iter()
        .map(|l| {
            let lo = first.div_euclid(l.per);
            let n = last.div_euclid(l.per).saturating_sub(lo).saturating_add(1);
            if (0..=records.saturating_mul(2).max(1 << 16)).contains(&n) {
                Windows::dense(lo, n as usize)
            } else {
                Windows::Sparse(HashMap::new())
            }
        })
        .collect();
    // The limit of each (method, path symbol): a byte per symbol (0 not
    // looked up yet, 1 none, 2 + i limit i); symbols are dense.
    let mut limit_of: Vec<Vec<u8>> = vec![Vec::new(); 9];
    let nsyms = cx.store.syms.len();
    for (_, r) in cx.store.iter_kinds(|k| matches!(k, Kind::Api | Kind::MiniApp)) {
        let m = r.method();
        let Some(cache) = limit_of.get_mut(m as usize) else { continue };
        if cache.is_empty() {
            cache.resize(nsyms + 1, 0);
        }
        let slot = cache.get_mut(r.path as usize).map_or(0, |c| *c);
        let li = match slot {
            0 => {
                let found = audit.limits.iter().position(|l| l.matches(m, cx.path(r)));
                let code = found.and_then(|i| u8::try_from(i + 2).ok()).unwrap_or(1);
                if let Some(c) = cache.get_mut(r.path as usize) {
                    *c = code;
                }
                found
            }
            1 => None,
            c => Some(usize::from(c) - 2),
        };
        if let Some(li) = li
            && let Some(l) = audit.limits.get(li)
            && let Some(w) = counts.get_mut(li)
        {
            w.add(r.ts().div_euclid(l.per));
        }
    }
    let mut peak: BTreeMap<usize, (u64, Millis)> = BTreeMap::new();
    for (li, w) in counts.iter().enumerate() {
        if let Some(p) = w.peak() {
            peak.insert(li, p);
        }
    }
    drop(counts);
    // The limits over the threshold, and their busiest window's records,
    // gathered in one sweep for all of them.
    let over: Vec<(usize, u64, Millis)> = peak
        .into_iter()
        .filter(|&(li, (count, _))| audit.limits.get(li).is_some_and(|l| count as f64 / l.max as f64 >= PRESSURE))
        .map(|(li, (count, bucket))| (li, count, bucket))
        .collect();
    let mut records: Vec<Vec<RecordId>> = vec![Vec::new(); over.len()];
    if !over.is_empty() {
        for (id, r) in cx.store.iter_kinds(|k| matches!(k, Kind::Api | Kind::MiniApp)) {
            for (&(li, _, bucket), found) in over.iter().zip(records.iter_mut()) {
                if let Some(l) = audit.limits.get(li)
                    && r.ts().div_euclid(l.per) == bucket
                    && l.matches(r.method(), cx.path(r))
                {
                    found.push(id);
                }
            }
        }
    }
    for ((li, count, bucket), records) in over.into_iter().zip(records) {
        let Some(l) = audit.limits.get(li) else { continue };
        let share = count as f64 / l.max as f64;
        let (sev, what) = if count >= l.max {
            (Severity::Error, "at or over LINE's limit: queue and spread out these requests")
        } else {
            (Severity::Warning, "close to LINE's limit: the next spike will get 429s")
        };
        let window = l.unit().1;
        let start = bucket * l.per;
        let g = if crate::line_api::is_miniapp_pattern(&l.pattern) {
            guideline::MINI_MASS_REQUESTS
        } else {
            guideline::MASS_REQUESTS
        };
        let msg = format!(
            "{} peaked at {} requests in one {window} from {} ({:.0}% of the documented {} as of {}): {what}",
            l.key(),
            crate::escape::thousands(count),
            crate::time::format_rfc3339(start),
            share * 100.0,
            l.rate(),
            limits::TABLE_DATE
        );
        out.push(finding(cx.store, Rule::RateLimitPressure, sev, g, msg, count, records));
    }
}
