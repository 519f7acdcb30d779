//! The audit's rules, in one list: each with its id, the severities it
//! reports, the guideline it comes from, what fires and what does not, and
//! its check. `audit --help`'s rule list and `docs/audit-rules.md` are
//! made from this list (a test fails when the page is stale).
//!
//! One file per rule: its `RULE` (id, severities, guideline, what fires
//! and what does not, and the check) and the check itself, which says its
//! cost. Adding a rule is that file and its line in the `rules!` list below.

use super::{Audit, Ctx, Finding};

use crate::analysis::Findings;

/// The list: a line per rule, its file and its variant of [`Rule`]. Each
/// line declares the file's module, the variant, and the rule's place in
/// [`RULES`] (the order `--help` and the rules page list them).
macro_rules! rules {
    ($($file:ident => $variant:ident,)*) => {
        $(mod $file;)*

        /// A rule's identity. Its id (`rate-limit-429`) is what findings,
        /// the JSON and `--help` name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $($variant,)*
        }

        /// Every rule.
        pub const RULES: &[RuleInfo] = &[$($file::RULE,)*];
    };
}

rules! {
    rate_limit_429 => RateLimit429,
    rate_limit_pressure => RateLimitPressure,
    same_user_flood => SameUserFlood,
    invalid_user_id => InvalidUserId,
    reply_token => ReplyToken,
    retry_key => RetryKey,
    audience_churn => AudienceChurn,
    webhook_signature => WebhookSignature,
    webhook_errors => WebhookErrors,
    unsent_content => UnsentContent,
    log_completeness => LogCompleteness,
    log_readability => LogReadability,
    miniapp_token => MiniappToken,
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
        // `rules!` makes the variants and `RULES` in one order.
        RULES.get(self as usize)
    }

    pub fn id(self) -> &'static str {
        self.info().map_or("unlisted-rule", |r| r.id)
    }
}

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
