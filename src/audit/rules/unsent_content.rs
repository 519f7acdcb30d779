//! `unsent-content`: see its entry below.

use super::super::*;
use super::{Rule, RuleInfo};

pub(super) const RULE: RuleInfo = RuleInfo {
    rule: Rule::UnsentContent,
    id: "unsent-content",
    severity: "error",
    guideline: "Recommended processing on receipt of unsend event",
    doc: "`GET /v2/bot/message/{messageId}/content…` for a message an `unsend` event had withdrawn before the request (LINE answers 410).",
    check: |i, out| check(i.cx, out),
};

/// Cost: one look at each distinct path, then one pass over API records, a
/// hash lookup each in the content paths: O(paths + records).
fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    if cx.store.unsent.is_empty() {
        return;
    }
    // The message each content path names (hashed as the unsent set is),
    // worked out once per path: most requests share a handful of paths.
    let mut content: HashMap<Sym, u64> = HashMap::new();
    for p in cx.store.path_syms().filter(|&p| p != NONE) {
        if let Some(mid) = crate::line_api::content_message_id(cx.store.syms.resolve(p)) {
            content.insert(p, crate::store::hash_id(mid));
        }
    }
    let mut hits = Vec::new();
    if !content.is_empty() {
        for (id, r) in cx.store.iter_kinds(|k| k == Kind::Api) {
            if let Some(h) = content.get(&r.path)
                && let Some(&at) = cx.store.unsent.get(h)
                && r.ts() >= at
            {
                hits.push(id);
            }
        }
    }
    let msg = format!(
        "{} for the content of a message its user had unsent: respect the unsend; delete what you kept of it",
        of(hits.len(), "request")
    );
    counted(out, cx.store, Rule::UnsentContent, Severity::Error, guideline::UNSEND, msg, hits);
}
