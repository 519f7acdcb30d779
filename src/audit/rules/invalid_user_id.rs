//! `invalid-user-id`: see its entry below.

use super::super::*;
use super::{Rule, RuleInfo};

pub(super) const RULE: RuleInfo = RuleInfo {
    rule: Rule::InvalidUserId,
    id: "invalid-user-id",
    severity: "error; warning for an ID refused again and again",
    guideline: "Don't send requests to invalid user IDs",
    doc: "Error: a request names a user ID that is not `U` and 32 hex digits: push `to` (a group `C…` or room `R…` ID is also accepted), multicast `to[]` and the loading animation's `chatId` (users only), IDs in paths (`/v2/bot/profile/{userId}`, `…/group/{groupId}/member/{userId}`, `…/user/{userId}/…`, not `user/all`). Warning: LINE refused one user ID 3 or more times (a push answered 400 \"Failed to send messages\", a profile answered 404): the bot keeps sending to it.",
    check: |i, out| check(i.cx, out),
};

/// Refusals of one user ID that make "again and again".
const REFUSED_MIN: usize = 3;

/// Cost: one pass over API records, each user symbol checked once (a byte per symbol): O(records + symbols).
fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    let mut bad: Vec<RecordId> = Vec::new();
    let mut bad_ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut refused: HashMap<String, Vec<RecordId>> = HashMap::new();
    // Validity per symbol, a byte each (symbols are dense): bit 0 looked up,
    // bit 1 a valid user, bit 2 a valid user, group or room; for paths bit 3
    // looked up, bit 4 names a malformed ID, bit 5 looked up, bit 6 its
    // recipients must be users (asked once per path, not per request).
    let mut seen: Vec<u8> = vec![0; cx.store.syms.len() + 1];
    for (id, r) in cx.api_records() {
        let path = cx.path(r);
        let allow_chats = match seen.get_mut(r.path as usize) {
            Some(b) => {
                if *b & 32 == 0 {
                    *b |= 32 | (u8::from(crate::line_api::users_only(path)) << 6);
                }
                *b & 64 == 0
            }
            None => !crate::line_api::users_only(path),
        };
        let users = cx.users(r);
        let mut wrong: Vec<String> = Vec::new();
        for &u in users {
            let Some(b) = seen.get_mut(u as usize) else { continue };
            if *b & 1 == 0 {
                let id = cx.store.syms.resolve(u);
                *b |= 1 | (u8::from(valid_id(id, false)) << 1) | (u8::from(valid_id(id, true)) << 2);
            }
            if *b & if allow_chats { 4 } else { 2 } == 0 {
                wrong.push(cx.store.syms.resolve(u).to_owned());
            }
        }
        let bad_in_path = |v: &str, want: char| match want {
            'U' => !valid_id(v, false),
            c => !(v.starts_with(c) && valid_id(v, true)),
        };
        let path_state = match seen.get_mut(r.path as usize) {
            Some(b) if *b & 8 == 0 => {
                *b |= 8 | (u8::from(crate::line_api::path_ids(path).into_iter().any(|(v, w)| bad_in_path(v, w))) << 4);
                *b
            }
            Some(b) => *b,
            None => 0,
        };
        if path_state & 16 != 0 {
            wrong.extend(crate::line_api::path_ids(path).into_iter().filter(|&(v, w)| bad_in_path(v, w)).map(|(v, _)| v.to_owned()));
        }
        if !wrong.is_empty() {
            bad.push(id);
            for v in wrong {
                *bad_ids.entry(v).or_default() += 1;
            }
        }
        // LINE refusing a single user: a push "Failed to send messages", a profile 404.
        let refusal = match r.status() {
            400 => cx.endpoint(r) == Endpoint::Push && cx.response(id) == Response::FailedToSend,
            404 => crate::line_api::is_profile(path),
            _ => false,
        };
        if refusal {
            let named: Vec<&str> = users
                .iter()
                .map(|&u| cx.store.syms.resolve(u))
                .chain(crate::line_api::path_ids(path).into_iter().map(|(v, _)| v))
                .collect();
            if let [u] = named.as_slice() {
                refused.entry((*u).to_owned()).or_default().push(id);
            }
        }
    }
    let examples: Vec<String> =
        bad_ids.keys().take(3).map(|s| format!("\"{}\"", crate::escape::truncate(s, 40))).collect();
    let msg = format!(
        "{} to {} (not U and 32 hex digits, or a group/room ID where a user is needed), e.g. {}",
        of(bad.len(), "request"),
        of(bad_ids.len(), "malformed user ID"),
        examples.join(", ")
    );
    counted(out, cx.store, Rule::InvalidUserId, Severity::Error, guideline::INVALID_USER_IDS, msg, bad);
    let mut refused: Vec<(String, Vec<RecordId>)> =
        refused.into_iter().filter(|(_, v)| v.len() >= REFUSED_MIN).collect();
    refused.sort();
    for (u, ids) in refused {
        let msg = format!(
            "LINE refused {u} {} times (400 \"Failed to send messages\" or profile 404) and the bot kept sending: drop user IDs LINE refuses",
            ids.len()
        );
        out.push(finding(
            cx.store,
            Rule::InvalidUserId,
            Severity::Warning,
            guideline::INVALID_USER_IDS,
            msg,
            ids.len() as u64,
            ids,
        ));
    }
}
