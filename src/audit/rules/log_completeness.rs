//! `log-completeness`: see its entry below.

use super::super::*;
use super::{Rule, RuleInfo};

pub(super) const RULE: RuleInfo = RuleInfo {
    rule: Rule::LogCompleteness,
    id: "log-completeness",
    severity: "warning (missing fields), info (no helpful extras)",
    guideline: "Save logs for Messaging API requests / for webhooks received; MINI App: Service message API request logs; Save logs (helpful data to save in a log)",
    doc: "Warning, per source: records missing a field the guidelines tell you to log (API: request ID, method, endpoint, status; webhook: sender IP, method, path, status; MINI App: method, endpoint, status), with how many; and JSON lines that carry a record's fields (a kind, request ID, endpoint, path or IP) but no readable time, which can only be kept as unparsed lines. Info, per source: none of its records logs a helpful extra (API: request and response bodies; webhook: `x-line-signature`, the webhook event object; MINI App: notification token, request and response bodies).",
    check: |i, out| check(i.cx, out),
};

/// Cost: one pass over the records until every source has its 3 examples, then the field counts kept per source: O(records + sources).
fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    // The first records of each source, as examples (one pass).
    let mut first: Vec<Vec<RecordId>> = vec![Vec::new(); cx.store.sources.len()];
    let mut open = first.len();
    for (id, r) in cx.store.iter_kinds(|k| matches!(k, Kind::Api | Kind::Webhook | Kind::MiniApp)) {
        if let Some(v) = first.get_mut(r.source() as usize)
            && v.len() < 3
        {
            v.push(id);
            if v.len() == 3 {
                open -= 1;
                if open == 0 {
                    break;
                }
            }
        }
    }
    for (si, s) in cx.store.sources.iter().enumerate() {
        let f = &s.fields;
        let mut basic: Vec<String> = Vec::new();
        let mut helpful: Vec<String> = Vec::new();
        let mut lacking = 0u64;
        let mut check = |k: &KindFields, what: &str, fields: &[(&str, u64)], extras: &[(&str, u64)]| {
            if k.records == 0 {
                return;
            }
            for (name, have) in fields {
                if *have < k.records {
                    lacking = lacking.max(k.records - have);
                    basic.push(format!(
                        "{what} without {name} in {} of {}",
                        n((k.records - have) as usize),
                        n(k.records as usize)
                    ));
                }
            }
            let missing: Vec<&str> = extras.iter().filter(|(_, have)| *have == 0).map(|(x, _)| *x).collect();
            if !missing.is_empty() {
                helpful.push(format!("{what}: no {}", missing.join(", ")));
            }
        };
        check(
            &f.api,
            "API requests",
            &[
                ("request ID", f.api.request_id),
                ("method", f.api.method),
                ("endpoint", f.api.target),
                ("status", f.api.status),
            ],
            &[("request body", f.api.request_body), ("response body", f.api.response_body)],
        );
        check(
            &f.webhook,
            "webhook receipts",
            &[
                ("sender IP", f.webhook.ip),
                ("method", f.webhook.method),
                ("path", f.webhook.target),
                ("status", f.webhook.status),
            ],
            &[("x-line-signature", f.webhook.signature), ("webhook event object (body)", f.webhook.body)],
        );
        check(
            &f.miniapp,
            "MINI App requests",
            &[("method", f.miniapp.method), ("endpoint", f.miniapp.target), ("status", f.miniapp.status)],
            &[
                ("notification token", f.miniapp.notification_token),
                ("request body", f.miniapp.request_body),
                ("response body", f.miniapp.response_body),
            ],
        );
        if f.untimed > 0 {
            lacking = lacking.max(f.untimed);
            basic.push(format!(
                "{} with a record's fields but no readable time (kept as unparsed lines)",
                of(f.untimed as usize, "line")
            ));
        }
        let examples = first.get(si).cloned().unwrap_or_default();
        let g = if f.miniapp.records > f.api.records + f.webhook.records {
            guideline::MINI_LOGS
        } else if f.webhook.records > f.api.records {
            guideline::WEBHOOK_LOGS
        } else {
            guideline::API_LOGS
        };
        if !basic.is_empty() {
            let msg = format!("{}: {}", s.display, basic.join("; "));
            out.push(finding(cx.store, Rule::LogCompleteness, Severity::Warning, g, msg, lacking, examples.clone()));
        }
        if !helpful.is_empty() {
            let g = if g == guideline::MINI_LOGS { g } else { guideline::HELPFUL_LOGS };
            let msg = format!("{}: {} (helpful when investigating)", s.display, helpful.join("; "));
            out.push(finding(cx.store, Rule::LogCompleteness, Severity::Info, g, msg, 0, examples));
        }
    }
}
