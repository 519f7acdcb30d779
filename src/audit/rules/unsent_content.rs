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

/// Cost: one pass over API records, a hash lookup each in the unsent set: O(records).
fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    if cx.store.unsent.is_empty() {
        return;
    }
    let mut hits = Vec::new();
    for (id, r) in cx.store.iter_kinds(|k| k == Kind::Api) {
        let Some(mid) = crate::line_api::content_message_id(cx.path(r)) else { continue };
        if let Some(&at) = cx.store.unsent.get(&crate::store::hash_id(mid))
            && r.ts() >= at
        {
            hits.push(id);
        }
    }
    let msg = format!(
        "{} for the content of a message its user had unsent: respect the unsend; delete what you kept of it",
        of(hits.len(), "request")
    );
    counted(out, cx.store, Rule::UnsentContent, Severity::Error, guideline::UNSEND, msg, hits);
}
