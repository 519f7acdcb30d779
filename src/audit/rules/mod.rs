//! The audit's rules, in one list: each with its id, the severities it
//! reports, the guideline it comes from, what fires and what does not, and
//! its check. `audit --help`'s rule list and `docs/audit-rules.md` are
//! made from this list (a test fails when the page is stale).
//!
//! One file per rule: its `RULE` (id, severities, guideline, what fires
//! and what does not, and the check) and the check itself, which says its
//! cost. Adding a rule is that file, its variant of [`Rule`], and its line
//! in [`RULES`] (with the `mod` line).

use super::{Audit, Ctx, Finding};

mod audience_churn;
mod invalid_user_id;
mod log_completeness;
mod log_readability;
mod miniapp_token;
mod rate_limit_429;
mod rate_limit_pressure;
mod reply_token;
mod retry_key;
mod same_user_flood;
mod unsent_content;
mod webhook_errors;
mod webhook_signature;

use crate::analysis::Findings;

/// A rule's identity. Its id (`rate-limit-429`) is what findings, the
/// JSON and `--help` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    RateLimit429,
    RateLimitPressure,
    SameUserFlood,
    InvalidUserId,
    ReplyToken,
    RetryKey,
    AudienceChurn,
    WebhookSignature,
    WebhookErrors,
    UnsentContent,
    LogCompleteness,
    LogReadability,
    MiniappToken,
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// What a check reads.
pub struct Input<'a, 'b> {
    pub(super) cx: &'a Ctx<'b>,
    pub found: &'a Findings,
    pub audit: &'a Audit,
}

/// One rule of the list.
#[derive(Clone, Copy)]
pub struct RuleInfo {
    pub rule: Rule,
    pub id: &'static str,
    /// The severities it reports, and when each.
    pub severity: &'static str,
    /// The guideline sections it comes from.
    pub guideline: &'static str,
    /// What fires, and what does not.
    pub doc: &'static str,
    pub check: fn(&Input, &mut Vec<Finding>),
}

impl Rule {
    /// Its entry in [`RULES`] (every variant has one; a test checks it).
    pub fn info(self) -> Option<&'static RuleInfo> {
        RULES.iter().find(|r| r.rule == self)
    }

    pub fn id(self) -> &'static str {
        self.info().map_or("unlisted-rule", |r| r.id)
    }
}

/// Every rule, in the order `--help` and the rules page list them.
pub const RULES: &[RuleInfo] = &[
    rate_limit_429::RULE,
    rate_limit_pressure::RULE,
    same_user_flood::RULE,
    invalid_user_id::RULE,
    reply_token::RULE,
    retry_key::RULE,
    audience_churn::RULE,
    webhook_signature::RULE,
    webhook_errors::RULE,
    unsent_content::RULE,
    log_completeness::RULE,
    log_readability::RULE,
    miniapp_token::RULE,
];

/// The rule list for `audit --help`.
pub fn help() -> String {
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    format!("Rules (docs/audit-rules.md explains each): {}.", ids.join(", "))
}

/// `docs/audit-rules.md`, made from [`RULES`].
pub fn markdown() -> String {
    let mut s = String::from(
        "# Audit rules\n\n\
         <!-- Made from src/audit/rules/ by `cargo test`; edit the rules there. -->\n\n\
         `linelens audit` (and `report`, and the screen's alerts) checks the logs against LINE's \
         development guidelines. Every finding has a `rule`, a `severity` (`info`, `warning`, \
         `error`), the `guideline` section, a one-line message a user can act on, a `count`, the \
         `first` and `last` time, and example records. `--fail-on LEVEL` makes the command exit 1 \
         when a finding at or above LEVEL exists.\n\n",
    );
    for r in RULES {
        s.push_str(&format!(
            "## `{}`\n\n- **severity:** {}\n- **guideline:** {}\n\n{}\n\n",
            r.id, r.severity, r.guideline, r.doc
        ));
    }
    s.push_str(RATE_LIMITS);
    s
}

const RATE_LIMITS: &str = "## Rate limits\n\n\
`rate-limit-pressure` counts against LINE's limits as documented on 2025-04-23 (the date \
multicast went from 2,000 to 200 requests per second); the first matching row counts, and the \
config file's `[rate_limits]` replaces or adds rows:\n\n\
| method and endpoint | limit |\n\
|---|---|\n\
| `POST /v2/bot/message/push`, `POST /v2/bot/message/reply` | 2,000/s |\n\
| `POST /v2/bot/message/multicast` | 200/s |\n\
| `POST /v2/bot/message/narrowcast`, `POST /v2/bot/message/broadcast` | 60/hour |\n\
| `POST /v2/bot/chat/loading/start` | 100/s |\n\
| `/v2/bot/audienceGroup/*` (any method) | 60/min |\n\
| any other `/v2/bot/*` | 2,000/s |\n";
