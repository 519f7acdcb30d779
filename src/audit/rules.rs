//! The audit's rules, in one list: each with its id, the severities it
//! reports, the guideline it comes from, what fires and what does not, and
//! its check. `audit --help`'s rule list and `docs/audit-rules.md` are
//! made from this list (a test fails when the page is stale).
//!
//! Adding a rule: a variant of [`Rule`], its entry in [`RULES`], and its
//! check (a function of the audit module taking a [`Input`]).

use super::{Audit, Ctx, Finding};
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

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        rule: Rule::RateLimit429,
        id: "rate-limit-429",
        severity: "error; warning for a concentration on one user",
        guideline: "Messaging API: Don't send mass requests to the LINE Platform (and: Don't send mass messages to the same user); MINI App: Prohibiting mass requests to the LINE Platform",
        doc: "Any 429, one finding per kind of response message: \"The API rate limit has been exceeded\" (rate limit), \"You have reached your monthly limit.\" (monthly quota), none logged; separately for the Messaging API and MINI App service messages, with how many fall in a burst. Warning: at least 5 push 429s and at least half of those with a logged recipient went to one user.",
        check: |i, out| super::rate_limit_429(i.cx, i.found, out),
    },
    RuleInfo {
        rule: Rule::RateLimitPressure,
        id: "rate-limit-pressure",
        severity: "warning at ≥ 80% of the limit, error at ≥ 100%",
        guideline: "Don't send mass requests to the LINE Platform",
        doc: "The peak number of requests in one calendar second, minute or hour (the limit's own window) against LINE's documented limit for the endpoint (the rate-limit table; the config's `[rate_limits]` replaces or adds rows).",
        check: |i, out| i.audit.rate_limit_pressure(i.cx, out),
    },
    RuleInfo {
        rule: Rule::SameUserFlood,
        id: "same-user-flood",
        severity: "warning (outbound), info (inbound)",
        guideline: "Don't send mass messages to the same user",
        doc: "Each flood of the analysis: at least `flood_min` sends to one user within `flood_window` (outbound), or `inbound_flood_min` messages from one user within `inbound_flood_window` (inbound).",
        check: |i, out| super::same_user_flood(i.cx, i.found, out),
    },
    RuleInfo {
        rule: Rule::InvalidUserId,
        id: "invalid-user-id",
        severity: "error; warning for an ID refused again and again",
        guideline: "Don't send requests to invalid user IDs",
        doc: "Error: a request names a user ID that is not `U` and 32 hex digits: push `to` (a group `C…` or room `R…` ID is also accepted), multicast `to[]` and the loading animation's `chatId` (users only), IDs in paths (`/v2/bot/profile/{userId}`, `…/group/{groupId}/member/{userId}`, `…/user/{userId}/…`, not `user/all`). Warning: LINE refused one user ID 3 or more times (a push answered 400 \"Failed to send messages\", a profile answered 404): the bot keeps sending to it.",
        check: |i, out| super::invalid_user_id(i.cx, out),
    },
    RuleInfo {
        rule: Rule::ReplyToken,
        id: "reply-token",
        severity: "warning (late), error (reused or refused)",
        guideline: "Messaging API reference: Send reply message",
        doc: "Warning: a reply sent more than 60 s after the (first) receipt of the webhook whose token it uses. Error: a reply token used by more than one reply request; a reply answered 400 \"Invalid reply token\".",
        check: |i, out| super::reply_token(i.cx, out),
    },
    RuleInfo {
        rule: Rule::RetryKey,
        id: "retry-key",
        severity: "warning",
        guideline: "Messaging API reference: Retry a failed API request",
        doc: "A push/multicast/narrowcast/broadcast without `X-Line-Retry-Key` answered 5xx (or no status, in a source that logs statuses: a timeout), then the same send (same endpoint and the same recipients, known from the logged body) without a key within 10 minutes: a possible duplicate; a retry key on any other endpoint; the same retry key sent again after a 409 or another 4xx.",
        check: |i, out| super::retry_key(i.cx, out),
    },
    RuleInfo {
        rule: Rule::AudienceChurn,
        id: "audience-churn",
        severity: "warning",
        guideline: "Don't send mass requests (\"repeatedly creating and deleting audiences even though they're not actually used\")",
        doc: "An audience created (`POST /v2/bot/audienceGroup/upload`, `upload/byFile`, `click`, `imp`; its ID from the response) and deleted (`DELETE /v2/bot/audienceGroup/{id}`) with no narrowcast naming it (`recipient` … `audienceGroupId`) in between.",
        check: |i, out| super::audience_churn(i.cx, out),
    },
    RuleInfo {
        rule: Rule::WebhookSignature,
        id: "webhook-signature",
        severity: "error (accepted), warning (rejected)",
        guideline: "Recommended verification of webhook signature when receiving webhooks",
        doc: "Error: a receipt whose signature is `invalid` or `missing` that the bot answered 2xx. Warning: receipts the bot rejected for their signature (a non-2xx answer, or a line reporting the failure): requests not from LINE, or a wrong channel secret.",
        check: |i, out| super::webhook_signature(i.cx, out),
    },
    RuleInfo {
        rule: Rule::WebhookErrors,
        id: "webhook-errors",
        severity: "warning; info for redeliveries",
        guideline: "Messaging API documentation: Receive webhooks",
        doc: "Warning: receipts answered with a non-2xx status; receipts answered after more than 2 s, where a duration is logged (`duration_ms` and aliases). Info: redelivered events (`deliveryContext.isRedelivery`): each means an earlier delivery failed.",
        check: |i, out| super::webhook_errors(i.cx, out),
    },
    RuleInfo {
        rule: Rule::UnsentContent,
        id: "unsent-content",
        severity: "error",
        guideline: "Recommended processing on receipt of unsend event",
        doc: "`GET /v2/bot/message/{messageId}/content…` for a message an `unsend` event had withdrawn before the request (LINE answers 410).",
        check: |i, out| super::unsent_content(i.cx, out),
    },
    RuleInfo {
        rule: Rule::LogCompleteness,
        id: "log-completeness",
        severity: "warning (missing fields), info (no helpful extras)",
        guideline: "Save logs for Messaging API requests / for webhooks received; MINI App: Service message API request logs; Save logs (helpful data to save in a log)",
        doc: "Warning, per source: records missing a field the guidelines tell you to log (API: request ID, method, endpoint, status; webhook: sender IP, method, path, status; MINI App: method, endpoint, status), with how many; and JSON lines that carry a record's fields (a kind, request ID, endpoint, path or IP) but no readable time, which can only be kept as unparsed lines. Info, per source: none of its records logs a helpful extra (API: request and response bodies; webhook: `x-line-signature`, the webhook event object; MINI App: notification token, request and response bodies).",
        check: |i, out| super::log_completeness(i.cx, out),
    },
    RuleInfo {
        rule: Rule::LogReadability,
        id: "log-readability",
        severity: "warning",
        guideline: "Save logs (logs an investigation can read: add the format with `[[formats]]`)",
        doc: "Per source: a file of more than 20 lines in which no LINE request or receipt was recognised, or with more than 10 % of its lines unparsed; names the file, the unparsed share and its largest shapes, so `audit --fail-on warning` fails on logs it cannot read.",
        check: |i, out| super::log_readability(i.cx, out),
    },
    RuleInfo {
        rule: Rule::MiniappToken,
        id: "miniapp-token",
        severity: "error",
        guideline: "LINE MINI App documentation: Service messages",
        doc: "A notification token used for more than 5 service messages; a token used again after a send with it returned a renewed one (the token used is the request body's `notificationToken`; the renewed one is the response body's, else the logged `notification_token`, the token the guideline tells you to log).",
        check: |i, out| super::miniapp_token(i.cx, out),
    },
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
         <!-- Made from src/audit/rules.rs by `cargo test`; edit the list there. -->\n\n\
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
