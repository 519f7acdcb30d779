//! The guideline audit: each rule of LINE's development guidelines (and of
//! the API reference they point to) that the logs can show, as findings
//! that name the rule, the guideline section and the records.
//!
//! Everything here reads the store and the analysis; nothing is printed.
//! Each rule is one function over the records, so a rule can be read (and
//! tested) on its own.

pub mod limits;
pub mod rules;

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use serde::{Deserialize, Serialize};

use crate::analysis::{Direction, Endpoint, Findings, users_of};
use crate::model::{AudienceOp, Kind, NONE, Note, Record, RecordId, Response, Sym};
use crate::signature::SigState;
use crate::store::{KindFields, Store, token_order};
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

/// A rule that failed (panicked) while it ran: a bug, named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the audit rule {rule} failed ({reason}); this is a bug in linelens")]
pub struct RuleFailed {
    pub rule: Rule,
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

/// How late a reply may be sent after its webhook.
const REPLY_LATE_MS: Millis = 60_000;
/// How long after a failed send a same send counts as its retry.
const RETRY_WINDOW_MS: Millis = 10 * 60_000;
/// Refusals of one user ID that make "again and again".
const REFUSED_MIN: usize = 3;
/// Service messages one notification token may send.
const TOKEN_USES: usize = 5;
/// Share of a limit that counts as pressure.
const PRESSURE: f64 = 0.8;
/// 429s to one push recipient that make a concentration (and at least half).
const CONCENTRATED_MIN: usize = 5;

/// Audit settings.
#[derive(Debug, Clone)]
pub struct Audit {
    pub limits: Vec<limits::Limit>,
}

impl Default for Audit {
    fn default() -> Audit {
        Audit { limits: limits::defaults() }
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

/// IDs named in an endpoint path, each with whether it must be a user
/// (else the chat kind the segment names): `/v2/bot/profile/{userId}`,
/// `/v2/bot/group/{groupId}/member/{userId}`, `/v2/bot/user/{userId}/…`.
fn path_ids(path: &str) -> Vec<(&str, char)> {
    let mut out = Vec::new();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    for w in segs.windows(2) {
        let [k, v] = w else { continue };
        let want = match *k {
            "profile" | "member" => 'U',
            "user" if *v != "all" => 'U',
            "group" => 'C',
            "room" => 'R',
            _ => continue,
        };
        if path.starts_with("/v2/bot/") && !v.is_empty() {
            out.push((*v, want));
        }
    }
    out
}

struct Ctx<'a> {
    store: &'a Store,
}

impl<'a> Ctx<'a> {
    fn new(store: &'a Store) -> Ctx<'a> {
        Ctx { store }
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
        match self.api(r) {
            Some(m) => self.store.api_users.slice(m.users_start, m.users_len),
            None => &[],
        }
    }

    fn api_records(&self) -> impl Iterator<Item = (RecordId, Record)> + 'a {
        self.store.iter().filter(|(_, r)| r.kind() == Kind::Api)
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
        let cx = Ctx::new(store);
        let input = rules::Input { cx: &cx, found, audit: self };
        let next = std::sync::atomic::AtomicUsize::new(0);
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get).min(list.len()).max(1);
        let work = || -> Result<Vec<Finding>, RuleFailed> {
            let mut out = Vec::new();
            while let Some(rule) = list.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
                let mut found = Vec::new();
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (rule.check)(&input, &mut found)))
                    .map_err(|p| RuleFailed { rule: rule.rule, reason: panic_text(p.as_ref()) })?;
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
                let mut found =
                    h.join().map_err(|p| RuleFailed { rule: Rule::RateLimit429, reason: panic_text(p.as_ref()) })??;
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

    /// Cost: one pass over API and MINI App records, counting into each
    /// limit's windows: a dense array of counts over the span read (a byte
    /// a window) when it is not much larger than the records, else a map.
    /// O(records + windows); then one pass per limit over its threshold.
    fn rate_limit_pressure(&self, cx: &Ctx, out: &mut Vec<Finding>) {
        // Requests per limit and fixed window (calendar second, minute, hour).
        let (first, last) = (cx.store.first.unwrap_or(0), cx.store.last.unwrap_or(0));
        let records = cx.store.len() as i64;
        let mut counts: Vec<Windows> = self
            .limits
            .iter()
            .map(|l| {
                let lo = first.div_euclid(l.per);
                let n = last.div_euclid(l.per).saturating_sub(lo).saturating_add(1);
                if (0..=records.saturating_mul(2).max(1 << 16)).contains(&n) {
                    Windows::dense(lo, n as usize)
                } else {
                    Windows::Sparse(HashMap::new())
                }
            })
            .collect();
        // The limit of each (method, path symbol): a byte per symbol (0 not
        // looked up yet, 1 none, 2 + i limit i); symbols are dense.
        let mut limit_of: Vec<Vec<u8>> = vec![Vec::new(); 9];
        let nsyms = cx.store.syms.len();
        for (_, r) in cx.store.iter().filter(|(_, r)| matches!(r.kind(), Kind::Api | Kind::MiniApp)) {
            let m = r.method();
            let Some(cache) = limit_of.get_mut(m as usize) else { continue };
            if cache.is_empty() {
                cache.resize(nsyms + 1, 0);
            }
            let slot = cache.get_mut(r.path as usize).map_or(0, |c| *c);
            let li = match slot {
                0 => {
                    let found = self.limits.iter().position(|l| l.matches(m, cx.path(r)));
                    let code = found.and_then(|i| u8::try_from(i + 2).ok()).unwrap_or(1);
                    if let Some(c) = cache.get_mut(r.path as usize) {
                        *c = code;
                    }
                    found
                }
                1 => None,
                c => Some(usize::from(c) - 2),
            };
            if let Some(li) = li
                && let Some(l) = self.limits.get(li)
                && let Some(w) = counts.get_mut(li)
            {
                w.add(r.ts().div_euclid(l.per));
            }
        }
        let mut peak: BTreeMap<usize, (u64, Millis)> = BTreeMap::new();
        for (li, w) in counts.iter().enumerate() {
            if let Some(p) = w.peak() {
                peak.insert(li, p);
            }
        }
        drop(counts);
        for (li, (count, bucket)) in peak {
            let Some(l) = self.limits.get(li) else { continue };
            let share = count as f64 / l.max as f64;
            if share < PRESSURE {
                continue;
            }
            let (sev, what) = if count >= l.max {
                (Severity::Error, "at or over LINE's limit: queue and spread out these requests")
            } else {
                (Severity::Warning, "close to LINE's limit: the next spike will get 429s")
            };
            let window = l.unit().1;
            let start = bucket * l.per;
            let records: Vec<RecordId> = cx
                .store
                .iter()
                .filter(|(_, r)| {
                    matches!(r.kind(), Kind::Api | Kind::MiniApp)
                        && r.ts().div_euclid(l.per) == bucket
                        && l.matches(r.method(), cx.path(*r))
                })
                .map(|(id, _)| id)
                .collect();
            let g = if l.pattern.starts_with("/message/v3/") {
                guideline::MINI_MASS_REQUESTS
            } else {
                guideline::MASS_REQUESTS
            };
            let msg = format!(
                "{} peaked at {} requests in one {window} from {} ({:.0}% of the documented {} as of {}): {what}",
                l.key(),
                crate::escape::thousands(count),
                crate::time::format_rfc3339(start),
                share * 100.0,
                l.rate(),
                limits::TABLE_DATE
            );
            out.push(finding(cx.store, Rule::RateLimitPressure, sev, g, msg, count, records));
        }
    }
}

/// Cost: one pass over the 4xx/5xx list, then a binary search per burst: O(errors log errors + bursts log errors).
fn rate_limit_429(cx: &Ctx, found: &Findings, out: &mut Vec<Finding>) {
    let mut by_class: BTreeMap<(bool, u8), Vec<RecordId>> = BTreeMap::new();
    let mut push_to: HashMap<Sym, Vec<RecordId>> = HashMap::new();
    let mut push_total = 0usize;
    for &id in &cx.store.errors {
        let Some(r) = cx.store.get(id).filter(|r| r.status() == 429) else { continue };
        let class = match cx.response(id) {
            Response::RateLimit => 0,
            Response::MonthlyLimit => 1,
            _ => 2,
        };
        by_class.entry((r.kind() == Kind::MiniApp, class)).or_default().push(id);
        // Push 429s whose recipient is logged.
        if r.kind() == Kind::Api
            && Endpoint::of(cx.path(r)) == Endpoint::Push
            && let [u] = cx.users(r)
        {
            push_total += 1;
            push_to.entry(*u).or_default().push(id);
        }
    }
    for ((mini, class), ids) in by_class {
        let source = if mini { crate::analysis::BurstSource::MiniApp } else { crate::analysis::BurstSource::Api };
        // The bursts holding one of these 429s: a binary search per burst
        // in their sorted times, O((bursts + 429s) × log 429s).
        let mut times: Vec<i64> = ids.iter().filter_map(|&i| cx.store.get(i)).map(Record::ts).collect();
        times.sort_unstable();
        let bursts = found
            .bursts
            .iter()
            .filter(|b| b.source == source)
            .filter(|b| times.get(times.partition_point(|&t| t < b.start)).is_some_and(|&t| t <= b.end))
            .count();
        let (sev, what) = match class {
            0 => (Severity::Error, "\"The API rate limit has been exceeded\": slow down and retry with backoff"),
            1 => (
                Severity::Error,
                "\"You have reached your monthly limit\": no more messages this month; raise the plan's limit or stop sending",
            ),
            _ => (Severity::Error, "no response message logged: log the response body to tell rate limit from quota"),
        };
        let who = if mini { "MINI App service message" } else { "Messaging API" };
        let in_bursts = match bursts {
            0 => "none in a burst".to_owned(),
            1 => "in 1 burst".to_owned(),
            b => format!("in {b} bursts"),
        };
        let msg = format!("{} {who} 429 responses ({in_bursts}): {what}", n(ids.len()));
        let g = if mini { guideline::MINI_MASS_REQUESTS } else { guideline::MASS_REQUESTS };
        out.push(finding(cx.store, Rule::RateLimit429, sev, g, msg, ids.len() as u64, ids));
    }
    if let Some((u, ids)) = push_to.into_iter().max_by_key(|(u, v)| (v.len(), std::cmp::Reverse(*u)))
        && ids.len() >= CONCENTRATED_MIN
        && ids.len() * 2 >= push_total
    {
        let msg = format!(
            "{} of {} push 429s (with a logged recipient) went to one user, {}: too many messages to the same user",
            n(ids.len()),
            n(push_total),
            cx.store.syms.resolve(u)
        );
        out.push(finding(
            cx.store,
            Rule::RateLimit429,
            Severity::Warning,
            guideline::SAME_USER,
            msg,
            ids.len() as u64,
            ids,
        ));
    }
}

/// Cost: one sweep over the records, each looked up in its users' floods
/// (a binary search per user): O(records × users per record × log floods).
fn same_user_flood(cx: &Ctx, found: &Findings, out: &mut Vec<Finding>) {
    // Each user's floods per direction, by start (they do not overlap).
    let mut of_user: HashMap<(Sym, bool), Vec<usize>> = HashMap::new();
    for (i, f) in found.floods.iter().enumerate() {
        of_user.entry((f.user, f.direction == Direction::Inbound)).or_default().push(i);
    }
    for v in of_user.values_mut() {
        v.sort_by_key(|&i| found.floods.get(i).map_or(0, |f| f.start));
    }
    let mut records: Vec<Vec<RecordId>> = vec![Vec::new(); found.floods.len()];
    if !of_user.is_empty() {
        for (id, r) in cx.store.iter() {
            let Some(t) = r.time() else { continue };
            for (direction, inbound) in [(Direction::Inbound, true), (Direction::Outbound, false)] {
                users_of(cx.store, r, direction, &mut |u| {
                    let Some(list) = of_user.get(&(u, inbound)) else { return };
                    let k = list.partition_point(|&i| found.floods.get(i).is_some_and(|f| f.start <= t));
                    if let Some(&i) = k.checked_sub(1).and_then(|k| list.get(k))
                        && found.floods.get(i).is_some_and(|f| t <= f.end)
                        && let Some(v) = records.get_mut(i)
                        && v.last() != Some(&id)
                    {
                        v.push(id);
                    }
                });
            }
        }
    }
    for (f, records) in found.floods.iter().zip(records) {
        let secs = (f.end - f.start) as f64 / 1000.0;
        let (sev, msg) = match f.direction {
            Direction::Outbound => (
                Severity::Warning,
                format!(
                    "{} messages sent to {} within {secs:.0} s: don't send mass messages to the same user",
                    f.count, f.user_id
                ),
            ),
            Direction::Inbound => (
                Severity::Info,
                format!(
                    "{} messages from {} within {secs:.0} s: a user flooding the bot (check the bot does not answer each one)",
                    f.count, f.user_id
                ),
            ),
        };
        out.push(finding(cx.store, Rule::SameUserFlood, sev, guideline::SAME_USER, msg, f.count, records));
    }
}

/// Cost: one pass over API records, each user symbol checked once (a byte per symbol): O(records + symbols).
fn invalid_user_id(cx: &Ctx, out: &mut Vec<Finding>) {
    let mut bad: Vec<RecordId> = Vec::new();
    let mut bad_ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut refused: HashMap<String, Vec<RecordId>> = HashMap::new();
    // Validity per symbol, a byte each (symbols are dense): bit 0 looked up,
    // bit 1 a valid user, bit 2 a valid user, group or room; for paths bit 3
    // looked up, bit 4 names a malformed ID.
    let mut seen: Vec<u8> = vec![0; cx.store.syms.len() + 1];
    for (id, r) in cx.api_records() {
        let path = cx.path(r);
        let allow_chats = !matches!(path, "/v2/bot/message/multicast" | "/v2/bot/chat/loading/start");
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
                *b |= 8 | (u8::from(path_ids(path).into_iter().any(|(v, w)| bad_in_path(v, w))) << 4);
                *b
            }
            Some(b) => *b,
            None => 0,
        };
        if path_state & 16 != 0 {
            wrong.extend(path_ids(path).into_iter().filter(|&(v, w)| bad_in_path(v, w)).map(|(v, _)| v.to_owned()));
        }
        if !wrong.is_empty() {
            bad.push(id);
            for v in wrong {
                *bad_ids.entry(v).or_default() += 1;
            }
        }
        // LINE refusing a single user: a push "Failed to send messages", a profile 404.
        let refusal = match r.status() {
            400 => Endpoint::of(path) == Endpoint::Push && cx.response(id) == Response::FailedToSend,
            404 => path.starts_with("/v2/bot/profile/"),
            _ => false,
        };
        if refusal {
            let named: Vec<&str> = users
                .iter()
                .map(|&u| cx.store.syms.resolve(u))
                .chain(path_ids(path).into_iter().map(|(v, _)| v))
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

/// Cost: one merge walk over the two reply-token indexes in key order (each hit verified against its
/// event or request), then the error list: O(tokens + errors).
fn reply_token(cx: &Ctx, out: &mut Vec<Finding>) {
    let store = cx.store;
    // Both token indexes walked in key order together: for each token, the
    // first receipt of its events and the reply requests that used it.
    let mut events = store.reply_token_events().peekable();
    let mut late: Vec<RecordId> = Vec::new();
    let mut twice: Vec<RecordId> = Vec::new();
    let mut worst: Millis = 0;
    let mut replies: Vec<(RecordId, Millis)> = Vec::new();
    let mut api = store.reply_token_requests().peekable();
    while let Some((token, first)) = api.next() {
        replies.clear();
        for id in std::iter::once(first).chain(std::iter::from_fn(|| api.next_if(|e| e.0 == token).map(|e| e.1))) {
            if let Some(r) = store.get(id).filter(|r| Endpoint::of(cx.path(*r)) == Endpoint::Reply) {
                replies.push((id, r.ts()));
            }
        }
        while events.next_if(|e| token_order(e.0) < token_order(token)).is_some() {}
        let mut received: Option<Millis> = None;
        while let Some((_, e)) = events.next_if(|e| e.0 == token) {
            let t = store.events.get(e).and_then(|e| store.get(e.record)).map(Record::ts);
            received = match (received, t) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        if replies.len() > 1 {
            twice.extend(replies.iter().map(|&(id, _)| id));
        }
        if let Some(t) = received {
            for &(id, ts) in &replies {
                if let Some(d) = ts.checked_sub(t).filter(|&d| d > REPLY_LATE_MS) {
                    worst = worst.max(d);
                    late.push(id);
                }
            }
        }
    }
    let invalid: Vec<RecordId> = store
        .errors
        .iter()
        .copied()
        .filter(|&id| {
            store.get(id).is_some_and(|r| {
                r.kind() == Kind::Api && r.status() == 400 && Endpoint::of(cx.path(r)) == Endpoint::Reply
            }) && cx.response(id) == Response::InvalidReplyToken
        })
        .collect();
    let msg = format!(
        "{} sent more than 60 s after the webhook (latest {:.1} s after): reply tokens expire; answer sooner or push",
        if late.len() == 1 { "1 reply".to_owned() } else { format!("{} replies", n(late.len())) },
        worst as f64 / 1000.0
    );
    counted(out, store, Rule::ReplyToken, Severity::Warning, guideline::REPLY_TOKEN, msg, late);
    let msg = format!(
        "{} reuse a reply token already used: a reply token can be used once",
        of(twice.len(), "reply request")
    );
    counted(out, store, Rule::ReplyToken, Severity::Error, guideline::REPLY_TOKEN, msg, twice);
    let msg = format!(
        "{} refused with 400 \"Invalid reply token\" (expired, used, or not a token)",
        if invalid.len() == 1 { "1 reply".to_owned() } else { format!("{} replies", n(invalid.len())) }
    );
    counted(out, store, Rule::ReplyToken, Severity::Error, guideline::REPLY_TOKEN, msg, invalid);
}

/// Send endpoints that take `X-Line-Retry-Key`.
fn takes_retry_key(path: &str) -> bool {
    matches!(
        path.trim_end_matches('/'),
        "/v2/bot/message/push"
            | "/v2/bot/message/multicast"
            | "/v2/bot/message/narrowcast"
            | "/v2/bot/message/broadcast"
    )
}

/// Cost: two passes over API records (a binary search in the failures of the same recipients), then the reused keys' records: O(records log failures).
fn retry_key(cx: &Ctx, out: &mut Vec<Finding>) {
    let mut wrong_endpoint: Vec<RecordId> = Vec::new();
    // Retry keys used more than once (the store indexes them).
    let mut reused: HashSet<u64> = HashSet::new();
    // Sends without a key that failed (5xx, or no status where the source logs statuses).
    let mut failed: HashMap<(Sym, u64), Vec<(Millis, RecordId)>> = HashMap::new();
    let logs_status = |src: u32| {
        cx.store.sources.get(src as usize).is_some_and(|s| s.fields.api.status * 10 >= s.fields.api.records * 9)
    };
    // The same send again: the same endpoint and the same recipients. Only
    // where the request body named them (push, multicast); unknown
    // recipients are never taken for the same ones.
    let recipients = |r: Record| -> Option<u64> {
        match cx.users(r) {
            [] => None,
            [u] => Some(u64::from(*u)),
            many => {
                let mut u = many.to_vec();
                u.sort_unstable();
                Some(crate::store::hash_id(&format!("{u:?}")))
            }
        }
    };
    for (id, r) in cx.api_records() {
        let path = cx.path(r);
        let key = cx.api(r).map_or(0, |m| m.retry_key);
        if key != 0 {
            if !takes_retry_key(path) {
                wrong_endpoint.push(id);
            }
            if cx.store.requests_with_retry_key(key).nth(1).is_some() {
                reused.insert(key);
            }
        } else if takes_retry_key(path)
            && (r.status() >= 500 || (r.status() == 0 && logs_status(r.source())))
            && let Some(to) = recipients(r)
        {
            failed.entry((r.path, to)).or_default().push((r.ts(), id));
        }
    }
    let mut dupes: Vec<RecordId> = Vec::new();
    if !failed.is_empty() {
        // By time: a send looks only at the failures in the 10 minutes
        // before it (a binary search), not at all of its recipients' ones.
        for v in failed.values_mut() {
            v.sort_unstable();
        }
        for (id, r) in cx.api_records() {
            if !takes_retry_key(cx.path(r)) || cx.api(r).is_some_and(|m| m.retry_key != 0) {
                continue;
            }
            let Some(t) = r.time() else { continue };
            let Some(fails) = recipients(r).and_then(|to| failed.get(&(r.path, to))) else { continue };
            let from = fails.partition_point(|&(ft, _)| ft < t.saturating_sub(RETRY_WINDOW_MS));
            if let Some(&(_, f)) =
                fails.get(from..).unwrap_or_default().iter().take_while(|&&(ft, _)| ft < t).find(|&&(_, f)| f != id)
            {
                dupes.extend([f, id]);
            }
        }
    }
    dupes.sort_unstable();
    dupes.dedup();
    let msg = format!(
        "{} repeated after a 5xx or timeout without X-Line-Retry-Key: users may get the message twice; send retries with a retry key",
        of(dupes.len(), "send")
    );
    counted(out, cx.store, Rule::RetryKey, Severity::Warning, guideline::RETRY_KEY, msg, dupes);
    let msg = format!(
        "{} X-Line-Retry-Key on an endpoint that does not take one (only push, multicast, narrowcast, broadcast)",
        if wrong_endpoint.len() == 1 {
            "1 request carries".to_owned()
        } else {
            format!("{} requests carry", n(wrong_endpoint.len()))
        }
    );
    counted(out, cx.store, Rule::RetryKey, Severity::Warning, guideline::RETRY_KEY, msg, wrong_endpoint);
    let mut after_4xx: Vec<RecordId> = Vec::new();
    for key in reused {
        let mut v: Vec<(Millis, RecordId, u16)> = cx
            .store
            .requests_with_retry_key(key)
            .filter_map(|i| cx.store.get(i).map(|r| (r.ts(), i, r.status())))
            .collect();
        v.sort_unstable();
        if let Some(pos) = v.iter().position(|&(_, _, s)| (400..500).contains(&s))
            && pos + 1 < v.len()
        {
            after_4xx.extend(v.iter().skip(pos).map(|&(_, i, _)| i));
        }
    }
    let msg = format!(
        "{} with the same retry key after a 409 or another 4xx: a 409 means it was already accepted, other 4xx will not change on retry",
        of(after_4xx.len(), "request")
    );
    counted(out, cx.store, Rule::RetryKey, Severity::Warning, guideline::RETRY_KEY, msg, after_4xx);
}

/// Cost: one pass over the notes, each audience's operations sorted: O(notes log notes).
fn audience_churn(cx: &Ctx, out: &mut Vec<Finding>) {
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

/// Cost: one pass over webhook receipts: O(records).
fn webhook_signature(cx: &Ctx, out: &mut Vec<Finding>) {
    let mut invalid = Vec::new();
    let mut missing = Vec::new();
    // Rejected: not answered 2xx (a signature-failure line has no status).
    let mut rejected = Vec::new();
    for (id, r) in cx.store.iter().filter(|(_, r)| r.kind() == Kind::Webhook) {
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

/// Cost: one pass over webhook receipts and their events, plus the notes: O(records + events + notes).
fn webhook_errors(cx: &Ctx, out: &mut Vec<Finding>) {
    let mut failed = Vec::new();
    let mut redelivered = Vec::new();
    let mut redelivered_events = 0u64;
    for (id, r) in cx.store.iter().filter(|(_, r)| r.kind() == Kind::Webhook) {
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

/// The message ID of a content request (`/v2/bot/message/{id}/content…`).
fn content_message_id(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v2/bot/message/")?;
    let (id, tail) = rest.split_once('/')?;
    tail.starts_with("content").then_some(id)
}

/// Cost: one pass over API records, a hash lookup each in the unsent set: O(records).
fn unsent_content(cx: &Ctx, out: &mut Vec<Finding>) {
    if cx.store.unsent.is_empty() {
        return;
    }
    let mut hits = Vec::new();
    for (id, r) in cx.store.iter().filter(|(_, r)| r.kind() == Kind::Api) {
        let Some(mid) = content_message_id(cx.path(r)) else { continue };
        if let Some(&at) = cx.store.unsent.get(&crate::store::hash_id(mid))
            && r.ts() >= at
        {
            hits.push(id);
        }
    }
    let msg = format!(
        "{} for the content of a message its user had unsent: respect the unsend; delete what you kept of it",
        of(hits.len(), "request")
    );
    counted(out, cx.store, Rule::UnsentContent, Severity::Error, guideline::UNSEND, msg, hits);
}

/// Cost: one pass over the records until every source has its 3 examples, then the field counts kept per source: O(records + sources).
fn log_completeness(cx: &Ctx, out: &mut Vec<Finding>) {
    // The first records of each source, as examples (one pass).
    let mut first: Vec<Vec<RecordId>> = vec![Vec::new(); cx.store.sources.len()];
    let mut open = first.len();
    for (id, r) in cx.store.iter().filter(|(_, r)| matches!(r.kind(), Kind::Api | Kind::Webhook | Kind::MiniApp)) {
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

/// A file this large with nothing read, or this share unparsed, is flagged.
const READABLE_MIN_LINES: u64 = 20;
const READABLE_MAX_UNPARSED_PERCENT: u64 = 10;

/// Files linelens cannot read well: more than 20 lines and no LINE request
/// or receipt recognised, or more than 10 % of the lines unparsed (`audit
/// --fail-on warning` then fails on logs it cannot read).
/// Cost: one pass over the sources, then one over the records for up to 20
/// unparsed examples of each flagged file: O(records + sources).
fn log_readability(cx: &Ctx, out: &mut Vec<Finding>) {
    let flagged: Vec<usize> = cx
        .store
        .sources
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            let lines = s.lines();
            lines > READABLE_MIN_LINES
                && (s.line_records == 0 || s.unparsed * 100 > lines * READABLE_MAX_UNPARSED_PERCENT)
        })
        .map(|(i, _)| i)
        .collect();
    if flagged.is_empty() {
        return;
    }
    let mut is_flagged = vec![false; cx.store.sources.len()];
    for &i in &flagged {
        if let Some(f) = is_flagged.get_mut(i) {
            *f = true;
        }
    }
    let mut examples: HashMap<u32, Vec<RecordId>> = HashMap::default();
    for (id, r) in cx.store.iter().filter(|(_, r)| r.kind() == Kind::Unparsed) {
        if is_flagged.get(r.source() as usize).copied().unwrap_or(false) {
            let v = examples.entry(r.source()).or_default();
            if v.len() < 20 {
                v.push(id);
            }
        }
    }
    for si in flagged {
        let Some(s) = cx.store.sources.get(si) else { continue };
        let lines = s.lines();
        let pct = (s.unparsed * 1000 / lines.max(1)) as f64 / 10.0;
        let shapes = cx.store.shapes(Some(si as u32), 3);
        let shown: Vec<String> = shapes
            .iter()
            .map(|x| format!("\"{}\" ×{}", crate::escape::truncate(x.shape, 40), n(x.count as usize)))
            .collect();
        let what = if s.line_records == 0 { "no LINE request or receipt recognised; " } else { "" };
        let msg = format!(
            "{}: {what}{pct} % of {} lines unparsed{}",
            s.display,
            n(lines as usize),
            if shown.is_empty() { String::new() } else { format!("; largest shapes {}", shown.join(", ")) }
        );
        let ex = examples.remove(&(si as u32)).unwrap_or_default();
        out.push(finding(
            cx.store,
            Rule::LogReadability,
            Severity::Warning,
            guideline::READABLE_LOGS,
            msg,
            s.unparsed,
            ex,
        ));
    }
}

/// Cost: the MINI App token notes sorted once: O(notes log notes).
fn miniapp_token(cx: &Ctx, out: &mut Vec<Finding>) {
    // The sends by (token used, time): a token's uses are then one run.
    let mut sends: Vec<(u64, Millis, u32)> = Vec::new();
    for (i, note) in cx.store.notes.iter().enumerate().filter(|(_, n)| n.token_used != 0) {
        let Some(r) = cx.store.get(note.record).filter(|r| r.kind() == Kind::MiniApp) else { continue };
        if cx.path(r).starts_with("/message/v3/notifier/send") {
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

/// Whether a finding is at or above `level` (`audit --fail-on`).
pub fn at_least(findings: &[Finding], level: Severity) -> bool {
    findings.iter().any(|f| f.severity >= level)
}

#[cfg(test)]
mod tests;
