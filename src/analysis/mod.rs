//! Analysis: 429 bursts, per-user floods, and request ↔ webhook correlation.
//!
//! [`Analyzer`] observes records in commit order, each at O(log n) cost (a
//! few index look-ups and sorted inserts), and answers [`Analyzer::findings`]
//! at any time. Records that arrive out of order give the same findings as
//! sorted input: bursts and floods are kept over sorted times, and "the
//! first occurrence of an event" means first in timeline order
//! (time, source, offset) among the records observed so far, swapped when an
//! earlier copy turns up later.
//!
//! Definitions (the numbers `report` prints):
//! - burst: see `burst.rs`; flood: see `flood.rs`.
//! - a *send* to a user is a Messaging API request answered 2xx whose logged
//!   body names the user: push `to`, multicast every user of `to[]` (each
//!   user once per request), reply the `source.userId` of the event whose
//!   replyToken the reply carries, when that event is logged.
//! - inbound flood times are those of the unique `message` events a user
//!   sent, at the time their webhook was received.
//! - unique events: deduplicated by webhookEventId, the first in timeline
//!   order kept; events without one are each unique.
//! - a reply request: an API request to `/v2/bot/message/reply` whose logged
//!   body has a replyToken. An event with a replyToken is replied when any
//!   reply request (whatever its status) carries its token.

pub mod burst;
pub mod flood;
pub mod links;

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use serde::{Deserialize, Serialize};

use crate::model::{EventMeta, Kind, NONE, Record, RecordId, Sym};
use crate::store::Store;
use crate::time::{Millis, format_rfc3339};

/// Thresholds; `config::THRESHOLDS` declares each (key, default, help)
/// and where its value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub burst_gap: Millis,
    pub burst_min: u64,
    pub flood_min: usize,
    pub flood_window: Millis,
    pub inbound_flood_min: usize,
    pub inbound_flood_window: Millis,
    /// How far before an API request a webhook receipt may be to be offered
    /// as its likely (inferred) trigger when no body links them.
    pub infer_window: Millis,
}

/// The endpoints the analysis cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Push,
    Multicast,
    Reply,
    Other,
}

impl Endpoint {
    pub fn of(path: &str) -> Endpoint {
        use crate::line_api::Send;
        match crate::line_api::send_of(path) {
            Some(Send::Push) => Endpoint::Push,
            Some(Send::Multicast) => Endpoint::Multicast,
            Some(Send::Reply) => Endpoint::Reply,
            _ => Endpoint::Other,
        }
    }
}

/// Which 429s: Messaging API or MINI App.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BurstSource {
    Api,
    #[serde(rename = "miniapp")]
    MiniApp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The bot sending to the user.
    Outbound,
    /// The user writing to the bot.
    Inbound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    pub source: BurstSource,
    pub start: Millis,
    pub end: Millis,
    pub count: u64,
    /// Endpoint path → count.
    pub endpoints: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flood {
    pub user: Sym,
    pub user_id: String,
    pub direction: Direction,
    pub start: Millis,
    pub end: Millis,
    pub count: u64,
}

impl Flood {
    fn new(store: &Store, user: Sym, direction: Direction, s: flood::Span) -> Flood {
        Flood {
            user,
            user_id: store.syms.resolve(user).to_owned(),
            direction,
            start: s.start,
            end: s.end,
            count: s.count,
        }
    }
}

/// Whether a record is part of `user`'s traffic in `direction`, as floods
/// count it: outbound, a send to the user (a 2xx push or multicast naming
/// them, or a 2xx reply to one of their events); inbound, a webhook receipt
/// with an event from them.
pub fn involves_user(store: &Store, x: &Record, user: Sym, direction: Direction) -> bool {
    let mut found = false;
    let endpoint = |path: Sym| Endpoint::of(store.syms.resolve(path));
    users_of(store, *x, direction, &endpoint, &mut |u| found |= u == user);
    found
}

/// Every user a record is part of the traffic of in `direction`, as floods
/// count it (see [`involves_user`]), passed to `f` (a user may come twice).
/// `endpoint` tells a path symbol's endpoint (a caller sweeping many
/// records looks each path up once). Cost: the record's recipients or
/// events, plus one token lookup for a reply.
pub fn users_of(
    store: &Store,
    x: Record,
    direction: Direction,
    endpoint: &dyn Fn(Sym) -> Endpoint,
    f: &mut dyn FnMut(Sym),
) {
    match direction {
        Direction::Inbound => {
            if let Some(m) = store.webhook_meta(x) {
                store.receipt_events(&m).iter().filter(|e| e.user != NONE).for_each(|e| f(e.user));
            }
        }
        Direction::Outbound => {
            if x.kind() != Kind::Api || !(200..300).contains(&x.status()) || x.aux == NONE {
                return;
            }
            let Some(m) = store.api.get(x.aux) else { return };
            store.api_users(&m).iter().for_each(|&u| f(u));
            if m.token != 0 && endpoint(x.path) == Endpoint::Reply {
                for e in store.events_with_reply_token(m.token) {
                    if let Some(e) = store.events.get(e).filter(|e| e.user != NONE) {
                        f(e.user);
                    }
                }
            }
        }
    }
}

/// Webhook ↔ reply bookkeeping (exact links only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correlation {
    pub events_with_reply_token: u64,
    pub replied: u64,
    pub unreplied: u64,
    pub replies_without_event: u64,
}

/// Everything the analysis found, most severe first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    pub bursts: Vec<Burst>,
    pub floods: Vec<Flood>,
    pub correlation: Correlation,
}

/// Timeline order of a record: time, then source, then position.
pub fn timeline_key(r: Record) -> (Millis, u32, u64) {
    (r.ts(), r.source(), r.offset())
}

#[derive(Debug, Clone)]
pub struct Analyzer {
    pub thresholds: Thresholds,
    /// Records with smaller ids have been observed.
    next: RecordId,
    api_429: burst::Clusters,
    miniapp_429: burst::Clusters,
    outbound: flood::Floods,
    inbound: flood::Floods,
    corr: Correlation,
    endpoint_of: HashMap<Sym, Endpoint>,
    message_sym: Option<Sym>,
    /// Reply tokens of the replies observed, and of the events observed;
    /// the events' webhookEventIds.
    replied_tokens: Seen,
    event_tokens: Seen,
    event_ids: Seen,
    /// The webhook record being observed and its time: its events' own
    /// record, whose time is then not looked up again.
    receipt: Option<(RecordId, Millis)>,
}

/// Hashes that may have been seen: a bit per slot of the hash's top bits,
/// so never a wrong "no" (512 KiB, made at the first hash). Most reply
/// tokens are used once and most events delivered once: for each event
/// and reply, the look-ups of the others that share its token or its
/// webhookEventId, in the store's indexes, mostly found nothing and missed
/// the cache doing it (a third of the analysis' time); a clear bit answers
/// them at once. At a million hashes a bit is set in about a fifth of the
/// slots.
#[derive(Debug, Clone, Default)]
struct Seen {
    bits: crate::store::Bits,
}

impl Seen {
    const BITS: u32 = 22;

    fn slot(hash: u64) -> usize {
        (hash >> (64 - Self::BITS)) as usize
    }

    fn insert(&mut self, hash: u64) {
        if self.bits.is_empty() {
            self.bits = crate::store::Bits::new(1 << Self::BITS);
        }
        self.bits.set(Self::slot(hash));
    }

    fn may_contain(&self, hash: u64) -> bool {
        self.bits.get(Self::slot(hash))
    }
}

/// Whether an event (by index) has been observed when the analyzer is at
/// record `at` and event `at_event` of it.
fn observed(e: &EventMeta, idx: u32, at: RecordId, at_event: u32) -> bool {
    e.record < at || (e.record == at && idx < at_event)
}

impl Analyzer {
    pub fn new(thresholds: Thresholds) -> Analyzer {
        Analyzer {
            thresholds,
            next: 0,
            api_429: burst::Clusters::new(thresholds.burst_gap),
            miniapp_429: burst::Clusters::new(thresholds.burst_gap),
            outbound: flood::Floods::new(thresholds.flood_min, thresholds.flood_window),
            inbound: flood::Floods::new(thresholds.inbound_flood_min, thresholds.inbound_flood_window),
            corr: Correlation::default(),
            endpoint_of: HashMap::new(),
            message_sym: None,
            replied_tokens: Seen::default(),
            event_tokens: Seen::default(),
            event_ids: Seen::default(),
            receipt: None,
        }
    }

    /// Observe every record committed since the last call.
    pub fn observe_new(&mut self, store: &mut Store) {
        self.observe_some(store, usize::MAX);
    }

    /// Observe at most `max` of the records committed since the last call
    /// (the screen analyses in slices between keys); true when every
    /// committed record has been observed.
    pub fn observe_some(&mut self, store: &mut Store, max: usize) -> bool {
        store.prepare_indexes();
        let store: &Store = store;
        let len = store.len() as RecordId;
        let end = len.min(self.next.saturating_add(RecordId::try_from(max).unwrap_or(RecordId::MAX)));
        // (Only these kinds are observed: the others are not decoded.)
        let observed = |k| matches!(k, Kind::Api | Kind::MiniApp | Kind::Webhook);
        for (id, rec) in store.iter_kinds_in(self.next, end, observed) {
            self.observe(store, id, rec);
        }
        self.next = self.next.max(end);
        self.next >= len
    }

    /// Whether records committed to `store` wait to be observed.
    pub fn behind(&self, store: &Store) -> bool {
        (self.next as usize) < store.len()
    }

    fn endpoint(&mut self, store: &Store, path: Sym) -> Endpoint {
        *self.endpoint_of.entry(path).or_insert_with(|| Endpoint::of(store.syms.resolve(path)))
    }

    /// Cost per record: a burst insert (O(log clusters)), a flood insert per
    /// user sent to or heard from, and for replies and events the records
    /// sharing their reply token or event ID (index look-ups; a token is used
    /// once or twice): O(n log n) over the whole read.
    fn observe(&mut self, store: &Store, id: RecordId, rec: Record) {
        let status = rec.status();
        match rec.kind() {
            Kind::Api => {
                if status == 429 {
                    self.api_429.add(rec.ts(), rec.path);
                }
                if rec.aux == NONE {
                    return;
                }
                let ok = (200..300).contains(&status);
                // (Of its side-table entry, only what the endpoint needs is read.)
                match self.endpoint(store, rec.path) {
                    Endpoint::Push | Endpoint::Multicast if ok => match store.api_users_of(rec) {
                        // (A push names one user: no copy to sort.)
                        &[u] => self.outbound.add(u, rec.ts()),
                        many => {
                            let mut users: Vec<Sym> = many.to_vec();
                            users.sort_unstable();
                            users.dedup();
                            for u in users {
                                self.outbound.add(u, rec.ts());
                            }
                        }
                    },
                    Endpoint::Reply => {
                        let token = store.api_token(rec);
                        if token != 0 {
                            self.observe_reply(store, id, rec, token);
                            self.replied_tokens.insert(token);
                        }
                    }
                    _ => {}
                }
            }
            Kind::MiniApp if status == 429 => self.miniapp_429.add(rec.ts(), rec.path),
            Kind::Webhook => {
                let Some(meta) = store.webhook_meta(rec) else { return };
                self.receipt = Some((id, rec.ts()));
                for k in 0..meta.events_len {
                    let idx = meta.events_start + k;
                    if let Some(e) = store.events.get(idx).copied() {
                        self.observe_event(store, id, idx, &e);
                        // After: its own look-ups ask for the others.
                        if e.reply_token != 0 {
                            self.event_tokens.insert(e.reply_token);
                        }
                        if e.webhook_event_id != 0 {
                            self.event_ids.insert(e.webhook_event_id);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Observed reply requests carrying `token`, before record `at`.
    fn replies_with(&mut self, store: &Store, token: u64, at: RecordId) -> Vec<(RecordId, Record)> {
        let mut out = Vec::new();
        if !self.replied_tokens.may_contain(token) {
            return out;
        }
        for (r, rec) in store.replies_with_token_records(token) {
            if r < at && self.endpoint(store, rec.path) == Endpoint::Reply {
                out.push((r, rec));
            }
        }
        out
    }

    /// Whether event `idx` is the kept (first) occurrence among those
    /// observed at (`at`, `at_event`).
    fn is_kept(&self, store: &Store, idx: u32, e: &EventMeta, at: RecordId, at_event: u32) -> bool {
        if e.webhook_event_id == 0 {
            return true;
        }
        let key = |e: &EventMeta, i: u32| (store.get(e.record).map(timeline_key), i);
        let mine = key(e, idx);
        store.events_with_event_id(e.webhook_event_id).filter(|&o| o != idx).all(|o| {
            let Some(other) = store.events.get(o) else { return true };
            !observed(other, o, at, at_event) || key(other, o) > mine
        })
    }

    /// Observed unique events carrying reply token `token`, other than `skip`.
    fn unique_events_with(&self, store: &Store, token: u64, at: RecordId, at_event: u32, skip: u32) -> Vec<EventMeta> {
        if !self.event_tokens.may_contain(token) {
            return Vec::new();
        }
        store
            .events_with_reply_token(token)
            .filter(|&i| i != skip)
            .filter_map(|i| store.events.get(i).map(|e| (i, *e)))
            .filter(|(i, e)| observed(e, *i, at, at_event) && self.is_kept(store, *i, e, at, at_event))
            .map(|(_, e)| e)
            .collect()
    }

    fn observe_event(&mut self, store: &Store, at: RecordId, idx: u32, e: &EventMeta) {
        // Events are observed one after another: `idx` itself is not yet
        // observed at (at, idx) and is at (at, idx + 1).
        if e.webhook_event_id == 0 {
            self.add_unique(store, at, idx + 1, idx, e, 1);
            return;
        }
        // The occurrence kept so far, if any (none when no event observed
        // so far may have had this ID: most events are delivered once).
        if !self.event_ids.may_contain(e.webhook_event_id) {
            self.add_unique(store, at, idx + 1, idx, e, 1);
            return;
        }
        let key = |ev: &EventMeta, i: u32| (store.get(ev.record).map(timeline_key), i);
        let prior = store
            .events_with_event_id(e.webhook_event_id)
            .filter(|&o| o != idx)
            .filter_map(|o| store.events.get(o).map(|ev| (o, *ev)))
            .filter(|(o, ev)| observed(ev, *o, at, idx))
            .min_by_key(|(o, ev)| key(ev, *o));
        match prior {
            None => self.add_unique(store, at, idx + 1, idx, e, 1),
            Some((o, old)) if key(e, idx) < key(&old, o) => {
                // An earlier copy arrived late: it becomes the kept one. The
                // old copy is withdrawn as things stood before this event.
                self.add_unique(store, at, idx, o, &old, -1);
                self.add_unique(store, at, idx + 1, idx, e, 1);
            }
            Some(_) => {}
        }
    }

    /// Add (`sign` = 1) or withdraw (`sign` = -1) a unique event, with the
    /// events observed being those before (`at`, `at_event`).
    fn add_unique(&mut self, store: &Store, at: RecordId, at_event: u32, idx: u32, e: &EventMeta, sign: i64) {
        let received = match self.receipt {
            Some((r, t)) if r == e.record => t,
            _ => store.get(e.record).map_or(i64::MIN, Record::ts),
        };
        let message = *self.message_sym.get_or_insert_with(|| store.syms.get("message").unwrap_or(NONE));
        if e.event_type == message && e.event_type != NONE && e.user != NONE {
            if sign > 0 {
                self.inbound.add(e.user, received);
            } else {
                self.inbound.remove(e.user, received);
            }
        }
        if e.reply_token == 0 {
            return;
        }
        let replies = self.replies_with(store, e.reply_token, at + 1);
        let others = self.unique_events_with(store, e.reply_token, at, at_event, idx);
        let c = &mut self.corr;
        let add = |x: &mut u64, n: u64| *x = if sign > 0 { *x + n } else { x.saturating_sub(n) };
        add(&mut c.events_with_reply_token, 1);
        if replies.is_empty() {
            add(&mut c.unreplied, 1);
        } else {
            add(&mut c.replied, 1);
        }
        if others.is_empty() {
            // The first event with this token: its replies now have an event,
            // and the 2xx ones are sends to the event's user.
            let n = replies.len() as u64;
            if sign > 0 {
                c.replies_without_event = c.replies_without_event.saturating_sub(n);
            } else {
                c.replies_without_event += n;
            }
            if e.user != NONE {
                for (_, r) in replies.iter().filter(|(_, r)| (200..300).contains(&r.status())) {
                    if sign > 0 {
                        self.outbound.add(e.user, r.ts());
                    } else {
                        self.outbound.remove(e.user, r.ts());
                    }
                }
            }
        }
    }

    fn observe_reply(&mut self, store: &Store, id: RecordId, rec: Record, token: u64) {
        let events = self.unique_events_with(store, token, id, 0, u32::MAX);
        if events.is_empty() {
            self.corr.replies_without_event += 1;
            return;
        }
        let earlier = self.replies_with(store, token, id);
        if earlier.is_empty() {
            let n = events.len() as u64;
            self.corr.replied += n;
            self.corr.unreplied = self.corr.unreplied.saturating_sub(n);
        }
        if (200..300).contains(&rec.status())
            && let Some(user) = events.iter().map(|e| e.user).find(|&u| u != NONE)
        {
            self.outbound.add(user, rec.ts());
        }
    }

    /// The 429 cluster (burst or not) a record belongs to.
    pub fn burst_of(&self, rec: &Record) -> Option<Burst> {
        if rec.status() != 429 {
            return None;
        }
        let (source, clusters) = match rec.kind() {
            Kind::Api => (BurstSource::Api, &self.api_429),
            Kind::MiniApp => (BurstSource::MiniApp, &self.miniapp_429),
            _ => return None,
        };
        clusters.cluster_at(rec.ts()).filter(|c| c.count >= self.thresholds.burst_min).map(|c| Burst {
            source,
            start: c.start,
            end: c.end,
            count: c.count,
            endpoints: BTreeMap::new(),
        })
    }

    /// The flood of `user` in `direction` holding time `t`.
    pub fn flood_of(&mut self, store: &Store, user: Sym, direction: Direction, t: Millis) -> Option<Flood> {
        let f = match direction {
            Direction::Outbound => &mut self.outbound,
            Direction::Inbound => &mut self.inbound,
        };
        f.flood_at(user, t).map(|s| Flood::new(store, user, direction, s))
    }

    /// Everything found so far, most severe first (largest count, then earliest).
    /// Cost: the clusters and the floods of every user, once: O(responses + users' times).
    pub fn findings(&mut self, store: &Store) -> Findings {
        let mut bursts = Vec::new();
        for (source, clusters) in [(BurstSource::Api, &self.api_429), (BurstSource::MiniApp, &self.miniapp_429)] {
            for c in clusters.bursts(self.thresholds.burst_min) {
                let mut endpoints = BTreeMap::new();
                for (&p, &n) in &c.endpoints {
                    *endpoints.entry(store.syms.resolve(p).to_owned()).or_default() += n;
                }
                bursts.push(Burst { source, start: c.start, end: c.end, count: c.count, endpoints });
            }
        }
        bursts.sort_by(|a, b| b.count.cmp(&a.count).then(a.start.cmp(&b.start)).then(a.source.cmp(&b.source)));
        let mut floods = Vec::new();
        for (direction, f) in [(Direction::Outbound, &mut self.outbound), (Direction::Inbound, &mut self.inbound)] {
            floods.extend(f.all().into_iter().map(|(user, s)| Flood::new(store, user, direction, s)));
        }
        floods.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.start.cmp(&b.start))
                .then(a.direction.cmp(&b.direction))
                .then(a.user_id.cmp(&b.user_id))
        });
        Findings { bursts, floods, correlation: self.corr }
    }

    /// Heap bytes held by the analysis state.
    pub fn heap_bytes(&self) -> usize {
        self.outbound.heap_bytes()
            + self.inbound.heap_bytes()
            + [&self.replied_tokens, &self.event_tokens, &self.event_ids]
                .iter()
                .map(|s| s.bits.heap_bytes())
                .sum::<usize>()
    }
}

/// A burst as the report writes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BurstReport {
    pub source: BurstSource,
    pub start: String,
    pub end: String,
    pub count: u64,
    pub endpoints: BTreeMap<String, u64>,
}

/// A flood as the report writes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FloodReport {
    pub user_id: String,
    pub direction: Direction,
    pub start: String,
    pub end: String,
    pub count: u64,
}

impl From<&Burst> for BurstReport {
    fn from(b: &Burst) -> Self {
        BurstReport {
            source: b.source,
            start: format_rfc3339(b.start),
            end: format_rfc3339(b.end),
            count: b.count,
            endpoints: b.endpoints.clone(),
        }
    }
}

impl From<&Flood> for FloodReport {
    fn from(f: &Flood) -> Self {
        FloodReport {
            user_id: f.user_id.clone(),
            direction: f.direction,
            start: format_rfc3339(f.start),
            end: format_rfc3339(f.end),
            count: f.count,
        }
    }
}

#[cfg(test)]
mod tests;
