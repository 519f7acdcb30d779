//! The guideline audit: each rule of LINE's development guidelines (and of
//! the API reference they point to) that the logs can show, as findings
//! that name the rule, the guideline section and the records.
//!
//! Everything here reads the store and the analysis; nothing is printed.
//! Each rule is a file of `rules/` (its id, severity, guideline, doc and
//! check), listed once in [`rules::RULES`]; this module holds what they
//! share (the finding type, the context, the runner).

pub mod limits;
pub mod rules;

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use serde::{Deserialize, Serialize};

use crate::analysis::{Direction, Endpoint, Findings, users_of};
use crate::model::{AudienceOp, Kind, NONE, Note, Record, RecordId, Response, Sym};
use crate::signature::SigState;
use crate::store::{KindFields, Store};
use crate::time::Millis;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Where a rule comes from.
pub mod guideline {
    pub const MASS_REQUESTS: &str =
        "Messaging API development guidelines › Don't send mass requests to the LINE Platform";
    pub const MINI_MASS_REQUESTS: &str =
        "LINE MINI App development guidelines › Prohibiting mass requests to the LINE Platform";
    pub const SAME_USER: &str = "Messaging API development guidelines › Don't send mass messages to the same user";
    pub const INVALID_USER_IDS: &str = "Messaging API development guidelines › Don't send requests to invalid user IDs";
    pub const UNSEND: &str = "Messaging API development guidelines › Recommended processing on receipt of unsend event";
    pub const SIGNATURE: &str =
        "Messaging API development guidelines › Recommended verification of webhook signature when receiving webhooks";
    pub const API_LOGS: &str = "Messaging API development guidelines › Save logs for Messaging API requests";
    pub const WEBHOOK_LOGS: &str = "Messaging API development guidelines › Save logs for webhooks received";
    pub const HELPFUL_LOGS: &str = "Messaging API development guidelines › Save logs (helpful data to save in a log)";
    pub const MINI_LOGS: &str = "LINE MINI App development guidelines › Saving logs › Service message API request logs";
    pub const READABLE_LOGS: &str = "Messaging API development guidelines › Save logs (logs an investigation can read: add the format with [[formats]])";
    pub const REPLY_TOKEN: &str =
        "Messaging API reference › Send reply message (a reply token is used once, soon after its webhook)";
    pub const RETRY_KEY: &str = "Messaging API reference › Retry a failed API request (X-Line-Retry-Key on push, multicast, narrowcast, broadcast)";
    pub const WEBHOOK_ANSWER: &str =
        "Messaging API documentation › Receive webhooks (answer 2xx within 2 s; failed deliveries are redelivered)";
    pub const MINI_TOKEN: &str = "LINE MINI App documentation › Service messages (a notification token sends at most 5 messages; use the renewed one)";
}

/// One finding: a rule broken, how often, when, and the records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    pub guideline: &'static str,
    pub message: String,
    pub count: u64,
    pub first: Millis,
    pub last: Millis,
    /// The records involved, by time (at most [`MAX_RECORDS`]).
    pub records: Vec<RecordId>,
}

/// A rule that failed (panicked) while it ran: a bug, named. `rule` is
/// `None` for a failure of the runner itself, outside any rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{} failed ({reason}); this is a bug in linelens",
    rule.map_or_else(|| "the audit".to_owned(), |r| format!("the audit rule {r}"))
)]
pub struct RuleFailed {
    pub rule: Option<Rule>,
    pub reason: String,
}

/// A panic's message, as far as it is text.
fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panicked".into())
}

/// Records kept per finding (for narrowing the screen to them).
pub const MAX_RECORDS: usize = 100_000;

pub use rules::{RULES, Rule};

/// Audit settings.
#[derive(Debug, Clone)]
pub struct Audit {
    pub limits: Vec<limits::Limit>,
    /// Print the context's and each rule's time on standard error
    /// (`LINELENS_MEMORY=1` for the headless commands; never the screen).
    pub timing: bool,
}

impl Default for Audit {
    fn default() -> Audit {
        Audit { limits: limits::defaults(), timing: false }
    }
}

fn finding(
    store: &Store,
    rule: Rule,
    severity: Severity,
    guideline: &'static str,
    message: String,
    count: u64,
    mut records: Vec<RecordId>,
) -> Finding {
    records.sort_by_key(|&id| (store.get(id).map_or(i64::MIN, Record::ts), id));
    records.dedup();
    let ts = |id: Option<&RecordId>| id.and_then(|&i| store.get(i)).map_or(i64::MIN, Record::ts);
    let (first, last) = (ts(records.first()), ts(records.last()));
    records.truncate(MAX_RECORDS);
    Finding { rule, severity, guideline, message, count, first, last, records }
}

/// A finding counted by its records, when there are any.
fn counted(
    out: &mut Vec<Finding>,
    store: &Store,
    rule: Rule,
    severity: Severity,
    guideline: &'static str,
    message: String,
    records: Vec<RecordId>,
) {
    if !records.is_empty() {
        let count = records.len() as u64;
        out.push(finding(store, rule, severity, guideline, message, count, records));
    }
}

fn n(v: usize) -> String {
    crate::escape::thousands(v as u64)
}

/// `1 request`, `2 requests`.
fn of(v: usize, what: &str) -> String {
    format!("{} {what}{}", n(v), if v == 1 { "" } else { "s" })
}

/// A user ID: `U` and 32 hex digits; a group `C…` or room `R…` ID where allowed.
pub fn valid_id(id: &str, allow_chats: bool) -> bool {
    let hex = |s: &str| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
    match id.as_bytes().first() {
        Some(b'U') => hex(id.get(1..).unwrap_or("")),
        Some(b'C' | b'R') if allow_chats => hex(id.get(1..).unwrap_or("")),
        _ => false,
    }
}

struct Ctx<'a> {
    store: &'a Store,
    /// Each path symbol's endpoint, told once: rules sweeping requests asked
    /// the endpoint table for every record.
    endpoints: HashMap<Sym, Endpoint>,
}

impl<'a> Ctx<'a> {
    fn new(store: &'a Store) -> Ctx<'a> {
        let mut endpoints = HashMap::new();
        for p in store.path_syms() {
            endpoints.entry(p).or_insert_with(|| Endpoint::of(store.syms.resolve(p)));
        }
        Ctx { store, endpoints }
    }

    /// The endpoint of a path symbol.
    fn endpoint_of(&self, path: Sym) -> Endpoint {
        match self.endpoints.get(&path) {
            Some(&e) => e,
            None => Endpoint::of(if path == NONE { "" } else { self.store.syms.resolve(path) }),
        }
    }

    /// The endpoint of a record's path.
    fn endpoint(&self, r: Record) -> Endpoint {
        self.endpoint_of(r.path)
    }

    /// The notes of a record (`Store::notes` is in record order).
    fn notes(&self, id: RecordId) -> impl Iterator<Item = Note> + 'a {
        self.store.notes.of_record(id)
    }

    fn response(&self, id: RecordId) -> Response {
        self.notes(id).next().map_or(Response::None, |n| n.response)
    }

    fn path(&self, r: Record) -> &'a str {
        if r.path == NONE { "" } else { self.store.syms.resolve(r.path) }
    }

    fn api(&self, r: Record) -> Option<crate::model::ApiMeta> {
        self.store.api_of(r)
    }

    fn users(&self, r: Record) -> &'a [Sym] {
        self.store.api_users_of(r)
    }

    fn api_records(&self) -> impl Iterator<Item = (RecordId, Record)> + 'a {
        self.store.iter_kinds(|k| k == Kind::Api)
    }
}

/// Requests per window of one limit.
enum Windows {
    /// `counts[w - lo]`, allocated at the first request: a byte a window
    /// (a second-limit over two weeks: 1.2 MB); a window past 254 requests
    /// keeps its count in `over` (255 in `counts` says so).
    Dense {
        lo: Millis,
        counts: Vec<u8>,
        over: HashMap<Millis, u64>,
        len: usize,
    },
    Sparse(HashMap<Millis, u64>),
}

impl Windows {
    fn dense(lo: Millis, len: usize) -> Windows {
        Windows::Dense { lo, counts: Vec::new(), over: HashMap::new(), len }
    }

    fn add(&mut self, w: Millis) {
        if let Windows::Dense { lo, counts, over, len } = self {
            if counts.is_empty() {
                counts.resize(*len, 0);
            }
            if let Some(c) = usize::try_from(w.saturating_sub(*lo)).ok().and_then(|i| counts.get_mut(i)) {
                match *c {
                    u8::MAX => *over.entry(w).or_default() += 1,
                    254 => {
                        *c = u8::MAX;
                        over.insert(w, 255);
                    }
                    _ => *c += 1,
                }
                return;
            }
            // Outside the span read (it cannot be): counted all the same.
            *self = Windows::Sparse(self.to_map());
        }
        if let Windows::Sparse(m) = self {
            *m.entry(w).or_default() += 1;
        }
    }

    /// Each window's count (windows with none left out).
    fn each(&self, f: &mut dyn FnMut(Millis, u64)) {
        match self {
            Windows::Dense { lo, counts, over, .. } => {
                for (i, &c) in counts.iter().enumerate().filter(|&(_, &c)| c > 0) {
                    let w = lo + i as Millis;
                    f(w, if c == u8::MAX { over.get(&w).copied().unwrap_or(0) } else { u64::from(c) });
                }
            }
            Windows::Sparse(m) => m.iter().for_each(|(&w, &c)| f(w, c)),
        }
    }

    fn to_map(&self) -> HashMap<Millis, u64> {
        let mut m = HashMap::new();
        self.each(&mut |w, c| {
            m.insert(w, c);
        });
        m
    }

    /// The busiest window (the earliest of equals) and its count.
    fn peak(&self) -> Option<(u64, Millis)> {
        let mut best: Option<(u64, Millis)> = None;
        self.each(&mut |w, c| {
            if c > 0 && best.is_none_or(|(bc, bw)| c > bc || (c == bc && w < bw)) {
                best = Some((c, w));
            }
        });
        best
    }
}

impl Audit {
    /// Every finding, most severe first, then largest count, then earliest.
    ///
    /// The rules of [`RULES`] run on scoped threads, one per core, each
    /// taking the next rule not yet taken. A rule that panics is a bug: the
    /// run fails naming it, rather than reporting without its findings.
    pub fn run(&self, store: &Store, found: &Findings) -> Result<Vec<Finding>, RuleFailed> {
        self.run_rules(RULES, store, found)
    }

    /// [`Audit::run`] with the rules of `list`.
    fn run_rules(&self, list: &[rules::RuleInfo], store: &Store, found: &Findings) -> Result<Vec<Finding>, RuleFailed> {
        let t0 = std::time::Instant::now();
        let cx = Ctx::new(store);
        if self.timing {
            eprintln!("timing audit context {:.2} s", t0.elapsed().as_secs_f64());
        }
        let input = rules::Input { cx: &cx, found, audit: self };
        // The longest rules are taken first, so that no thread is left
        // with a long one at the end while the other waits.
        let mut list: Vec<&rules::RuleInfo> = list.iter().collect();
        list.sort_by_key(|r| std::cmp::Reverse(expected_cost(r.rule)));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get).min(list.len()).max(1);
        let timed = self.timing;
        let work = || -> Result<Vec<Finding>, RuleFailed> {
            let mut out = Vec::new();
            while let Some(&rule) = list.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
                let mut found = Vec::new();
                let t0 = std::time::Instant::now();
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (rule.check)(&input, &mut found)))
                    .map_err(|p| RuleFailed { rule: Some(rule.rule), reason: panic_text(p.as_ref()) })?;
                if timed {
                    eprintln!("timing audit rule {} {:.2} s", rule.rule.id(), t0.elapsed().as_secs_f64());
                }
                out.append(&mut found);
            }
            Ok(out)
        };
        let mut out = Vec::new();
        std::thread::scope(|scope| -> Result<(), RuleFailed> {
            let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
            for h in handles {
                // `work` catches a rule's panic itself; a join error is one
                // outside any rule.
                let mut found = h.join().map_err(|p| RuleFailed { rule: None, reason: panic_text(p.as_ref()) })??;
                out.append(&mut found);
            }
            Ok(())
        })?;
        out.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.count.cmp(&a.count))
                .then(a.first.cmp(&b.first))
                .then(a.rule.id().cmp(b.rule.id()))
        });
        Ok(out)
    }
}

/// A rule's time on the 330-hour bench set, in hundredths of a second
/// (`LINELENS_MEMORY=1` prints each rule's time): the order the rules are
/// taken in, longest first. Only the order matters.
fn expected_cost(rule: Rule) -> u8 {
    match rule {
        Rule::RetryKey => 16,
        Rule::ReplyToken => 11,
        Rule::InvalidUserId => 10,
        Rule::RateLimitPressure => 8,
        Rule::SameUserFlood => 7,
        Rule::LogCompleteness | Rule::WebhookSignature => 3,
        Rule::WebhookErrors | Rule::UnsentContent | Rule::MiniappToken => 2,
        Rule::RateLimit429 => 1,
        Rule::AudienceChurn | Rule::LogReadability => 0,
    }
}

/// Whether a finding is at or above `level` (`audit --fail-on`).
pub fn at_least(findings: &[Finding], level: Severity) -> bool {
    findings.iter().any(|f| f.severity >= level)
}

#[cfg(test)]
mod tests;
