//! `audience-churn`: see its entry below.

use super::super::*;
use super::{Rule, RuleInfo};

pub(super) const RULE: RuleInfo = RuleInfo {
    rule: Rule::AudienceChurn,
    id: "audience-churn",
    severity: "warning",
    guideline: "Don't send mass requests (\"repeatedly creating and deleting audiences even though they're not actually used\")",
    doc: "An audience created (`POST /v2/bot/audienceGroup/upload`, `upload/byFile`, `click`, `imp`; its ID from the response) and deleted (`DELETE /v2/bot/audienceGroup/{id}`) with no narrowcast naming it (`recipient` … `audienceGroupId`) in between.",
    check: |i, out| check(i.cx, out),
};

/// Cost: one pass over the notes, each audience's operations sorted: O(notes log notes).
fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    let mut ops: HashMap<u64, Vec<(Millis, AudienceOp, RecordId)>> = HashMap::new();
    for note in cx.store.notes.iter().filter(|n| n.audience_op != AudienceOp::None) {
        let Some(r) = cx.store.get(note.record) else { continue };
        if !(200..300).contains(&r.status()) && r.status() != 0 {
            continue;
        }
        ops.entry(note.audience).or_default().push((r.ts(), note.audience_op, note.record));
    }
    let mut churned = 0u64;
    let mut records = Vec::new();
    for v in ops.values_mut() {
        v.sort_unstable_by_key(|&(t, op, id)| (t, op as u8, id));
        let mut created: Option<RecordId> = None;
        for &(_, op, id) in v.iter() {
            match op {
                AudienceOp::Created => created = Some(id),
                AudienceOp::Used => created = None,
                AudienceOp::Deleted => {
                    if let Some(c) = created.take() {
                        churned += 1;
                        records.extend([c, id]);
                    }
                }
                AudienceOp::None => {}
            }
        }
    }
    if churned > 0 {
        let msg = format!(
            "{} created and deleted without a narrowcast using them: don't create and delete audiences you don't send to",
            of(churned as usize, "audience")
        );
        out.push(finding(
            cx.store,
            Rule::AudienceChurn,
            Severity::Warning,
            guideline::MASS_REQUESTS,
            msg,
            churned,
            records,
        ));
    }
}
