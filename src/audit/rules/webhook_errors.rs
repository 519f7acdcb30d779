//! `webhook-errors`: see its entry below.

use super::super::*;
use super::{Rule, RuleInfo};

pub(super) const RULE: RuleInfo = RuleInfo {
    rule: Rule::WebhookErrors,
    id: "webhook-errors",
    severity: "warning; info for redeliveries",
    guideline: "Messaging API documentation: Receive webhooks",
    doc: "Warning: receipts answered with a non-2xx status; receipts answered after more than 2 s, where a duration is logged (`duration_ms` and aliases). Info: redelivered events (`deliveryContext.isRedelivery`): each means an earlier delivery failed.",
    check: |i, out| check(i.cx, out),
};

/// Cost: one pass over webhook receipts and their events, plus the notes: O(records + events + notes).
fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    let mut failed = Vec::new();
    let mut redelivered = Vec::new();
    let mut redelivered_events = 0u64;
    for (id, r) in cx.store.iter_kinds(|k| k == Kind::Webhook) {
        if r.status() != 0 && !(200..300).contains(&r.status()) {
            failed.push(id);
        }
        if let Some(m) = cx.store.webhook_meta(r) {
            let k = cx.store.receipt_events(&m).iter().filter(|e| e.is_redelivery).count() as u64;
            if k > 0 {
                redelivered_events += k;
                redelivered.push(id);
            }
        }
    }
    let slow: Vec<RecordId> = cx
        .store
        .notes
        .iter()
        .filter(|n| n.slow_ms > 0 && cx.store.get(n.record).is_some_and(|r| r.kind() == Kind::Webhook))
        .map(|n| n.record)
        .collect();
    let msg = format!(
        "{} answered with a non-2xx status: LINE counts them as failed deliveries (and may redeliver)",
        of(failed.len(), "webhook")
    );
    counted(out, cx.store, Rule::WebhookErrors, Severity::Warning, guideline::WEBHOOK_ANSWER, msg, failed);
    if !redelivered.is_empty() {
        let msg = format!(
            "{} in {}: each means an earlier delivery failed; process events idempotently by webhookEventId",
            of(redelivered_events as usize, "redelivered event"),
            of(redelivered.len(), "receipt")
        );
        out.push(finding(
            cx.store,
            Rule::WebhookErrors,
            Severity::Info,
            guideline::WEBHOOK_ANSWER,
            msg,
            redelivered_events,
            redelivered,
        ));
    }
    let msg = format!(
        "{} answered after more than 2 s: answer first, then process asynchronously",
        of(slow.len(), "webhook")
    );
    counted(out, cx.store, Rule::WebhookErrors, Severity::Warning, guideline::WEBHOOK_ANSWER, msg, slow);
}
