//! `webhook-signature`: see its entry below.

use super::super::*;
use super::{Rule, RuleInfo};

pub(super) const RULE: RuleInfo = RuleInfo {
    rule: Rule::WebhookSignature,
    id: "webhook-signature",
    severity: "error (accepted), warning (rejected)",
    guideline: "Recommended verification of webhook signature when receiving webhooks",
    doc: "Error: a receipt whose signature is `invalid` or `missing` that the bot answered 2xx. Warning: receipts the bot rejected for their signature (a non-2xx answer, or a line reporting the failure): requests not from LINE, or a wrong channel secret.",
    check: |i, out| check(i.cx, out),
};

/// Cost: one pass over webhook receipts: O(records).
fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    let mut invalid = Vec::new();
    let mut missing = Vec::new();
    // Rejected: not answered 2xx (a signature-failure line has no status).
    let mut rejected = Vec::new();
    for (id, r) in cx.store.iter_kinds(|k| k == Kind::Webhook) {
        let sig = cx.store.webhook_meta(r).map(|m| m.sig);
        let bad = matches!(sig, Some(SigState::Invalid | SigState::Missing));
        if !(200..300).contains(&r.status()) {
            if bad {
                rejected.push(id);
            }
            continue;
        }
        match sig {
            Some(SigState::Invalid) => invalid.push(id),
            Some(SigState::Missing) => missing.push(id),
            _ => {}
        }
    }
    let msg = format!(
        "{} rejected for an invalid or missing x-line-signature: requests not from LINE, or a wrong channel secret (then every delivery fails)",
        of(rejected.len(), "webhook")
    );
    counted(out, cx.store, Rule::WebhookSignature, Severity::Warning, guideline::SIGNATURE, msg, rejected);
    let msg = format!(
        "{} with an invalid x-line-signature answered 2xx: verify the signature and reject forged requests",
        of(invalid.len(), "webhook")
    );
    counted(out, cx.store, Rule::WebhookSignature, Severity::Error, guideline::SIGNATURE, msg, invalid);
    let msg = format!(
        "{} without an x-line-signature answered 2xx: requests not from LINE are being processed",
        of(missing.len(), "webhook")
    );
    counted(out, cx.store, Rule::WebhookSignature, Severity::Error, guideline::SIGNATURE, msg, missing);
}
