//! `miniapp-token`: see its entry below.

use super::super::*;
use super::{Rule, RuleInfo};

pub(super) const RULE: RuleInfo = RuleInfo {
    rule: Rule::MiniappToken,
    id: "miniapp-token",
    severity: "error",
    guideline: "LINE MINI App documentation: Service messages",
    doc: "A notification token used for more than 5 service messages; a token used again after a send with it returned a renewed one (the token used is the request body's `notificationToken`; the renewed one is the response body's, else the logged `notification_token`, the token the guideline tells you to log).",
    check: |i, out| check(i.cx, out),
};

/// Service messages one notification token may send.
const TOKEN_USES: usize = 5;

/// Cost: the MINI App token notes sorted once: O(notes log notes).
fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    // The sends by (token used, time): a token's uses are then one run.
    let mut sends: Vec<(u64, Millis, u32)> = Vec::new();
    for (i, note) in cx.store.notes.iter().enumerate().filter(|(_, n)| n.token_used != 0) {
        let Some(r) = cx.store.get(note.record).filter(|r| r.kind() == Kind::MiniApp) else { continue };
        if crate::line_api::is_miniapp_send(cx.path(r)) {
            sends.push((note.token_used, r.ts(), i as u32));
        }
    }
    sends.sort_unstable();
    let note = |i: u32| cx.store.notes.get(i as usize);
    let mut over: Vec<RecordId> = Vec::new();
    let (mut tokens_over, mut most) = (0u64, 0usize);
    let mut stale: Vec<RecordId> = Vec::new();
    for run in sends.chunk_by(|a, b| a.0 == b.0) {
        if run.len() > TOKEN_USES {
            tokens_over += 1;
            most = most.max(run.len());
            over.extend(run.iter().filter_map(|&(_, _, i)| note(i)).map(|n| n.record));
        }
        // Once a send with the token was accepted and LINE returned another
        // token, every later send with it used an old token.
        let mut renewed = false;
        for &(used, _, i) in run {
            let Some(n) = note(i) else { continue };
            if renewed {
                stale.push(n.record);
            }
            let ok = cx.store.get(n.record).is_some_and(|r| (200..300).contains(&r.status()));
            renewed |= ok && n.token_returned != 0 && n.token_returned != used;
        }
    }
    if tokens_over > 0 {
        let msg = format!(
            "{} used for more than {TOKEN_USES} service messages (up to {most}): a token sends at most {TOKEN_USES}",
            of(tokens_over as usize, "notification token")
        );
        out.push(finding(cx.store, Rule::MiniappToken, Severity::Error, guideline::MINI_TOKEN, msg, tokens_over, over));
    }
    let msg = format!(
        "{} sent with an old notification token after LINE had returned a renewed one: keep the token from each response",
        of(stale.len(), "service message")
    );
    counted(out, cx.store, Rule::MiniappToken, Severity::Error, guideline::MINI_TOKEN, msg, stale);
}
