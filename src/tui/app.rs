//! The incident screen's state: one owner (the UI loop), changed only by
//! [`App::on_action`] and [`App::on_ingested`]; rendering borrows it.

use crate::analysis::{Analyzer, Burst, BurstSource, Direction, Endpoint, Findings, Flood};
use crate::model::{Kind, NONE, Record, RecordId};
use crate::store::Store;
use crate::time::Millis;

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};

use super::action::{Action, Keymap};
use super::filter::{Job, Matched, Query, Row};

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Alerts,
    Timeline,
    Detail,
}

/// How bad an alert is; the marker survives `NO_COLOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn marker(self) -> &'static str {
        match self {
            Severity::Error => "‼",
            Severity::Warning => "!",
            Severity::Info => "·",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertKind {
    Burst(Burst),
    Flood(Flood),
    Unreplied(u64),
    UnknownReplies(u64),
    /// A guideline finding of the audit.
    Finding(Box<crate::audit::Finding>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub severity: Severity,
    pub kind: AlertKind,
}

impl Alert {
    pub fn start(&self) -> Option<Millis> {
        match &self.kind {
            AlertKind::Burst(b) => Some(b.start),
            AlertKind::Flood(f) => Some(f.start),
            AlertKind::Finding(f) => (f.first != i64::MIN).then_some(f.first),
            _ => None,
        }
    }
}

/// The rows the timeline shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// Every record, in timeline order.
    All,
    /// A subset (an alert's records), with a title.
    Narrowed { title: String, ids: Vec<RecordId> },
    /// The records matching the filter so far (see `App::search`).
    Filter,
}

/// What a line of input at the bottom is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Time,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
}

/// A filter query being matched, slice by slice, on the worker.
#[derive(Debug, Clone)]
pub struct Search {
    pub text: String,
    pub query: Arc<Query>,
    pub generation: u64,
    /// Next position of the timeline to send to the worker.
    pub next: usize,
    /// Slices sent and not yet answered.
    pub in_flight: usize,
    /// Matches so far, in timeline order.
    pub matched: Vec<RecordId>,
}

impl Search {
    pub fn done(&self, len: usize) -> bool {
        self.next >= len && self.in_flight == 0
    }
}

/// Rows per slice sent to the filter worker.
pub const SLICE: usize = 8192;
/// Slices in flight at once (a newer query waits behind at most this many).
const IN_FLIGHT: usize = 2;

/// What `Back` returns to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Saved {
    view: View,
    selected: usize,
}

/// `HH:MM[:SS]` on the day of `base`, in UTC or the local zone.
fn clock_on_day(text: &str, base: Millis, utc: bool) -> Option<Millis> {
    use chrono::{Local, NaiveTime, TimeZone, Utc};
    let t = NaiveTime::parse_from_str(text.trim(), "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text.trim(), "%H:%M"))
        .ok()?;
    let day = chrono::DateTime::<Utc>::from_timestamp_millis(base)?;
    if utc {
        Some(day.date_naive().and_time(t).and_utc().timestamp_millis())
    } else {
        let local_day = day.with_timezone(&Local).date_naive();
        Local.from_local_datetime(&local_day.and_time(t)).earliest().map(|d| d.timestamp_millis())
    }
}

/// The whole screen state.
pub struct App {
    /// Shared with a background audit while one runs; changed only when
    /// none does (see [`App::store_mut`]).
    pub store: std::sync::Arc<Store>,
    pub analyzer: Analyzer,
    pub keymap: Keymap,
    /// What the paths were, for the header.
    pub title: String,
    pub findings: Findings,
    pub alerts: Vec<Alert>,
    pub pane: Pane,
    pub view: View,
    /// Selected row of the view.
    pub selected: usize,
    /// Selected alert.
    pub alert_selected: usize,
    /// Keep the newest record selected as records arrive.
    pub follow: bool,
    pub utc: bool,
    pub help: bool,
    pub quit: bool,
    /// Bytes read and total, while loading.
    pub progress: Option<(u64, u64)>,
    /// A one-line message for the key bar (warnings, "no more errors").
    pub message: Option<String>,
    back: Vec<Saved>,
    findings_stale: bool,
    /// A line being typed (filter or time), when any.
    pub input: Option<Input>,
    /// The current or last filter.
    pub search: Option<Search>,
    /// Lines of compressed sources read again in the background for the
    /// detail pane (reading one means decompressing up to it).
    pub line_cache: std::collections::HashMap<RecordId, String>,
    /// The line asked of the background reader and not yet answered.
    pub line_pending: Option<RecordId>,
    generation: u64,
    /// Requests and 429/5xx responses per second, kept as records arrive,
    /// for the rate strip.
    rate: Rate,
    rated: RecordId,
    /// Records committed since the timeline, strip and alerts were last
    /// brought up to date.
    ingest_due: bool,
    /// The strip's buckets as last computed, and the requests rated since.
    rate_cache: std::cell::RefCell<RateCache>,
    /// The guideline audit and its last findings (recomputed at most every
    /// couple of seconds: it reads every record).
    pub audit: crate::audit::Audit,
    pub audit_findings: Vec<crate::audit::Finding>,
    pub audit_stale: bool,
}

impl App {
    pub fn new(store: Store, analyzer: Analyzer, keymap: Keymap, title: String) -> App {
        let mut app = App {
            store: std::sync::Arc::new(store),
            analyzer,
            keymap,
            title,
            findings: Findings::default(),
            alerts: Vec::new(),
            pane: Pane::Timeline,
            view: View::All,
            selected: 0,
            alert_selected: 0,
            follow: true,
            utc: true,
            help: false,
            quit: false,
            progress: None,
            message: None,
            back: Vec::new(),
            findings_stale: true,
            input: None,
            search: None,
            line_cache: std::collections::HashMap::new(),
            line_pending: None,
            generation: 0,
            rate: Rate::default(),
            rate_cache: Default::default(),
            rated: 0,
            ingest_due: true,
            audit: crate::audit::Audit::default(),
            audit_findings: Vec::new(),
            audit_stale: true,
        };
        app.on_ingested();
        app.refresh_audit();
        app
    }

    /// The store, to add records to: `None` while a background audit
    /// reads it (the caller waits for the audit to finish).
    pub fn store_mut(&mut self) -> Option<&mut Store> {
        std::sync::Arc::get_mut(&mut self.store)
    }

    /// Run the audit again, here, and refresh the alerts with its findings.
    pub fn refresh_audit(&mut self) {
        let findings = self.audit.run(&self.store, &self.findings);
        self.set_audit_findings(findings);
    }

    /// What a background audit needs: the store (shared until it is done),
    /// the analysis findings and the rules.
    pub fn audit_job(&mut self) -> (std::sync::Arc<Store>, Findings, crate::audit::Audit) {
        self.audit_stale = false;
        (self.store.clone(), self.findings.clone(), self.audit.clone())
    }

    /// The findings of an audit (run here or in the background).
    pub fn set_audit_findings(&mut self, findings: Vec<crate::audit::Finding>) {
        self.audit_findings = findings;
        self.audit_stale = false;
        self.findings_stale = true;
        self.refresh_findings();
    }

    /// New records were committed to the store: analyse them, refresh the
    /// alerts, keep the newest in view when following. All at once; the
    /// screen's loop uses [`App::mark_ingested`] and [`App::ingest_slice`]
    /// while reading, so that a key is never kept waiting.
    pub fn on_ingested(&mut self) {
        self.ingest_due = true;
        while self.ingest_slice(None).is_some() {}
    }

    /// Mark the records committed so far as due to be shown: the next
    /// slices bring the timeline, the rate strip and the alerts up to date.
    pub fn mark_ingested(&mut self) {
        self.ingest_due = true;
    }

    /// Whether [`App::ingest_slice`] has work (false while a background
    /// audit shares the store: nothing can be added then).
    pub fn ingest_pending(&self) -> bool {
        std::sync::Arc::strong_count(&self.store) == 1 && (self.ingest_due || self.analyzer.behind(&self.store))
    }

    /// One slice of the work [`App::on_ingested`] does, so the loop can
    /// answer keys between slices: the analysis of new records for about
    /// `budget` (all of them with `None`), or, once it has caught up and
    /// when the records are due, one of: merging them into the timeline,
    /// rating them for the strip, refreshing the alerts (all three with
    /// `None`). `None` when there was nothing to do, else whether what the
    /// screen shows changed. Each slice's cost is bounded by the records
    /// since the last one (the timeline merge: by the records after the
    /// earliest new one).
    pub fn ingest_slice(&mut self, budget: Option<std::time::Duration>) -> Option<bool> {
        /// Records analysed between checks of the budget.
        const CHUNK: usize = 4096;
        let t0 = std::time::Instant::now();
        let store = std::sync::Arc::get_mut(&mut self.store)?;
        if self.analyzer.behind(store) {
            let caught_up = loop {
                let max = if budget.is_some() { CHUNK } else { usize::MAX };
                let done = self.analyzer.observe_some(store, max);
                if done || budget.is_some_and(|b| t0.elapsed() >= b) {
                    break done;
                }
            };
            if !caught_up || budget.is_some() {
                return Some(false);
            }
        }
        if !self.ingest_due {
            return None;
        }
        let len = store.len() as RecordId;
        if store.timeline_len() < store.len() {
            store.timeline();
            if budget.is_some() {
                return Some(true);
            }
        }
        if self.rated < len {
            while self.rated < len {
                if let Some(r) = self.store.get(self.rated)
                    && matches!(r.kind(), Kind::Api | Kind::MiniApp)
                {
                    let sec = r.ts().div_euclid(1000);
                    let bad = r.status() == 429 || r.status() >= 500;
                    self.rate.add(sec, bad);
                    self.rate_cache.get_mut().rated(sec, bad);
                } else if let Some(r) = self.store.get(self.rated)
                    && r.kind() == Kind::Log
                    && r.is_error()
                    && let Some(t) = r.time()
                {
                    // An error-level log entry marks the strip's lower row
                    // (it is not a request).
                    let sec = t.div_euclid(1000);
                    self.rate.add_mark(sec);
                    self.rate_cache.get_mut().marked(sec);
                }
                self.rated += 1;
            }
            if budget.is_some() {
                return Some(true);
            }
        }
        self.ingest_due = false;
        self.findings_stale = true;
        self.audit_stale = true;
        self.refresh_findings();
        if self.follow {
            self.selected = self.view_len().saturating_sub(1);
        }
        Some(true)
    }

    fn refresh_findings(&mut self) {
        if !self.findings_stale {
            return;
        }
        self.findings = self.analyzer.findings(&self.store);
        let mut alerts: Vec<Alert> = Vec::new();
        for b in &self.findings.bursts {
            alerts.push(Alert { severity: Severity::Error, kind: AlertKind::Burst(b.clone()) });
        }
        for f in &self.findings.floods {
            let severity = if f.direction == Direction::Outbound { Severity::Error } else { Severity::Warning };
            alerts.push(Alert { severity, kind: AlertKind::Flood(f.clone()) });
        }
        let c = self.findings.correlation;
        if c.unreplied > 0 {
            alerts.push(Alert { severity: Severity::Warning, kind: AlertKind::Unreplied(c.unreplied) });
        }
        if c.replies_without_event > 0 {
            alerts.push(Alert { severity: Severity::Info, kind: AlertKind::UnknownReplies(c.replies_without_event) });
        }
        // Floods are listed above already, as floods.
        for f in self.audit_findings.iter().filter(|f| f.rule != "same-user-flood") {
            let severity = match f.severity {
                crate::audit::Severity::Error => Severity::Error,
                crate::audit::Severity::Warning => Severity::Warning,
                crate::audit::Severity::Info => Severity::Info,
            };
            alerts.push(Alert { severity, kind: AlertKind::Finding(Box::new(f.clone())) });
        }
        // Most severe first, then the largest, then the earliest.
        alerts.sort_by_key(|a| {
            let count = match &a.kind {
                AlertKind::Burst(b) => b.count,
                AlertKind::Flood(f) => f.count,
                AlertKind::Unreplied(n) | AlertKind::UnknownReplies(n) => *n,
                AlertKind::Finding(f) => f.count,
            };
            // The live analysis first, then the audit's findings.
            let finding = matches!(a.kind, AlertKind::Finding(_));
            (std::cmp::Reverse(a.severity), finding, std::cmp::Reverse(count), a.start())
        });
        self.alerts = alerts;
        self.alert_selected = self.alert_selected.min(self.alerts.len().saturating_sub(1));
        self.findings_stale = false;
    }

    /// Rows in the current view.
    pub fn view_len(&self) -> usize {
        match &self.view {
            View::All => self.store.order().len(),
            View::Narrowed { ids, .. } => ids.len(),
            View::Filter => self.search.as_ref().map_or(0, |s| s.matched.len()),
        }
    }

    /// The record at a row of the current view.
    pub fn row(&self, i: usize) -> Option<RecordId> {
        match &self.view {
            View::All => self.store.order().get(i).copied(),
            View::Narrowed { ids, .. } => ids.get(i).copied(),
            View::Filter => self.search.as_ref().and_then(|s| s.matched.get(i).copied()),
        }
    }

    pub fn selected_record(&self) -> Option<(RecordId, Record)> {
        let id = self.row(self.selected)?;
        Some((id, self.store.get(id)?))
    }

    fn move_to(&mut self, i: usize) {
        let len = self.view_len();
        self.selected = i.min(len.saturating_sub(1));
        // Moving away from the newest row pauses following.
        self.follow = len == 0 || self.selected + 1 == len;
    }

    /// Find the next (or previous) row after the selection matching `f`.
    fn seek(&mut self, forward: bool, what: &str, f: impl Fn(&Record) -> bool) {
        let len = self.view_len();
        let hit = if forward {
            (self.selected + 1..len).find(|&i| self.row(i).and_then(|id| self.store.get(id)).is_some_and(|r| f(&r)))
        } else {
            (0..self.selected).rev().find(|&i| self.row(i).and_then(|id| self.store.get(id)).is_some_and(|r| f(&r)))
        };
        match hit {
            Some(i) => {
                self.message = None;
                self.move_to(i);
            }
            None => self.message = Some(format!("no {} {what}", if forward { "later" } else { "earlier" })),
        }
    }

    /// Records an alert is about, in timeline order.
    fn alert_records(&self, a: &Alert) -> Vec<RecordId> {
        let order = self.store.order();
        let in_range = |start: Millis, end: Millis| {
            let lo = order.partition_point(|&r| self.store.get(r).is_some_and(|x| x.ts() < start));
            let hi = order.partition_point(|&r| self.store.get(r).is_some_and(|x| x.ts() <= end));
            order.get(lo..hi).unwrap_or_default().to_vec()
        };
        // The records of `ids` that satisfy `keep`.
        let pick = |ids: &[RecordId], keep: &dyn Fn(&Record) -> bool| -> Vec<RecordId> {
            ids.iter().copied().filter(|&r| self.store.get(r).is_some_and(|x| keep(&x))).collect()
        };
        let s = &self.store;
        match &a.kind {
            AlertKind::Burst(b) => {
                let kind = if b.source == BurstSource::Api { Kind::Api } else { Kind::MiniApp };
                pick(&in_range(b.start, b.end), &|x| x.kind() == kind && x.status() == 429)
            }
            AlertKind::Flood(f) => pick(&in_range(f.start, f.end), &|x| self.involves_user(x, f.user, f.direction)),
            AlertKind::Unreplied(_) => pick(order, &|x| {
                s.webhook_meta(*x).is_some_and(|m| {
                    s.receipt_events(&m)
                        .iter()
                        .any(|e| e.reply_token != 0 && s.replies_with_token(e.reply_token).next().is_none())
                })
            }),
            AlertKind::Finding(f) => f.records.clone(),
            AlertKind::UnknownReplies(_) => pick(order, &|x| {
                x.kind() == Kind::Api
                    && x.aux != NONE
                    && s.api.get(x.aux).is_some_and(|m| {
                        m.token != 0
                            && Endpoint::of(s.syms.resolve(x.path)) == Endpoint::Reply
                            && s.events_with_reply_token(m.token).next().is_none()
                    })
            }),
        }
    }

    /// Whether an alert's events are still happening: the newest record is
    /// within the alert's own window (the burst gap, or the flood window) of
    /// its last event.
    pub fn is_ongoing(&self, a: &Alert) -> bool {
        let Some(now) = self.store.last else { return false };
        let t = &self.analyzer.thresholds;
        match &a.kind {
            AlertKind::Burst(b) => now - b.end <= t.burst_gap,
            AlertKind::Flood(f) => {
                let w = if f.direction == Direction::Outbound { t.flood_window } else { t.inbound_flood_window };
                now - f.end < w
            }
            _ => false,
        }
    }

    /// Whether a record is part of a flood (a send inside an outbound
    /// flood, a message inside an inbound one).
    pub fn in_flood(&self, x: &Record) -> bool {
        self.findings
            .floods
            .iter()
            .any(|f| f.start <= x.ts() && x.ts() <= f.end && self.involves_user(x, f.user, f.direction))
    }

    /// Whether a record is a send to `user` (outbound) or a message from them (inbound).
    pub fn involves_user(&self, x: &Record, user: u32, direction: Direction) -> bool {
        crate::analysis::involves_user(&self.store, x, user, direction)
    }

    fn narrow(&mut self, title: String, ids: Vec<RecordId>) {
        self.back.push(Saved { view: self.view.clone(), selected: self.selected });
        self.view = View::Narrowed { title, ids };
        self.selected = 0;
        self.follow = false;
        self.pane = Pane::Timeline;
    }

    /// Jump to a record in the full timeline, remembering where we were.
    fn jump_to_record(&mut self, id: RecordId) {
        let Some(pos) = self.store.order().iter().position(|&r| r == id) else { return };
        self.back.push(Saved { view: self.view.clone(), selected: self.selected });
        self.view = View::All;
        self.move_to(pos);
    }

    /// The records exactly linked to the selected one (webhook event ↔ reply, retries).
    pub fn exact_links(&self) -> Vec<RecordId> {
        let Some((id, _)) = self.selected_record() else { return Vec::new() };
        let l = crate::analysis::links::links(&self.store, self.store.order(), id, 0);
        let mut out: Vec<RecordId> = l
            .answered_events
            .iter()
            .filter_map(|&e| self.store.events.get(e).map(|e| e.record))
            .chain(l.replies.iter().copied())
            .chain(l.same_retry_key.iter().copied())
            .chain(l.accepted_request.iter().copied())
            .chain(l.accepted_by.iter().copied())
            .collect();
        out.dedup();
        out
    }

    /// Requests and 429/5xx per bucket, `n` buckets over the whole time range.
    /// Cost: the requests rated since the last call, when the width and
    /// the time range are the same; else the buckets laid out again (see
    /// `Rate::buckets`).
    pub fn rate_buckets(&self, n: usize) -> (Vec<u64>, Vec<u64>) {
        let range = self.rate.range();
        let mut c = self.rate_cache.borrow_mut();
        match range {
            Some((first, last)) if c.valid && (c.n, c.first, c.last) == (n, first, last) => {
                // The same width and range: only the requests rated since.
                let span = i128::from(last) - i128::from(first) + 1;
                let pending = std::mem::take(&mut c.pending);
                for (sec, request, bad) in pending {
                    let i = ((i128::from(sec) - i128::from(first)) * n as i128 / span) as usize;
                    if let Some(x) = c.req.get_mut(i).filter(|_| request) {
                        *x += 1;
                    }
                    if let Some(y) = c.bad.get_mut(i).filter(|_| bad) {
                        *y += 1;
                    }
                }
            }
            _ => {
                let (req, bad) = self.rate.buckets(n);
                let (first, last) = range.unwrap_or_default();
                *c = RateCache { n, first, last, req, bad, pending: Vec::new(), valid: true };
            }
        }
        (c.req.clone(), c.bad.clone())
    }

    /// Whether a record has an exact link to show (a reply's event, a
    /// webhook's reply): the `←` marker of the timeline.
    pub fn exact_link_hint(&self, id: RecordId) -> bool {
        let Some(r) = self.store.get(id) else { return false };
        match r.kind() {
            Kind::Api if r.aux != NONE => self
                .store
                .api
                .get(r.aux)
                .is_some_and(|m| m.token != 0 && self.store.events_with_reply_token(m.token).next().is_some()),
            Kind::Webhook => self.store.webhook_meta(r).is_some_and(|m| {
                self.store
                    .receipt_events(&m)
                    .iter()
                    .any(|e| e.reply_token != 0 && self.store.replies_with_token(e.reply_token).next().is_some())
            }),
            _ => false,
        }
    }

    /// The selected record's line, when it comes from a compressed source
    /// and is neither cached nor asked for yet: (id, path, offset) to read.
    pub fn line_to_read(&mut self) -> Option<(RecordId, std::path::PathBuf, u64, usize)> {
        let (id, r) = self.selected_record()?;
        let src = self.store.sources.get(r.source() as usize)?;
        if !src.compressed || self.line_cache.contains_key(&id) || self.line_pending == Some(id) {
            return None;
        }
        self.line_pending = Some(id);
        let lines = 1 + self.store.continued.get(&id).copied().unwrap_or(0) as usize;
        Some((id, src.path.clone()?, r.offset(), lines))
    }

    /// A line read in the background arrived.
    pub fn on_line_read(&mut self, id: RecordId, text: String) {
        if self.line_cache.len() >= 256 {
            self.line_cache.clear();
        }
        self.line_cache.insert(id, text);
        if self.line_pending == Some(id) {
            self.line_pending = None;
        }
    }

    /// A key while a line of input is open: edit, confirm or cancel.
    pub fn on_input_key(&mut self, key: KeyEvent) {
        let Some(input) = self.input.as_mut() else { return };
        let plain = (key.modifiers - crossterm::event::KeyModifiers::SHIFT).is_empty();
        match key.code {
            KeyCode::Char(c) if plain => input.text.push(c),
            KeyCode::Backspace => {
                input.text.pop();
            }
            KeyCode::Enter => {
                let done = self.input.take();
                if let Some(Input { kind: InputKind::Time, text }) = done {
                    self.jump_to_time(&text);
                }
                return;
            }
            KeyCode::Esc => {
                let was = self.input.take();
                if was.is_some_and(|i| i.kind == InputKind::Filter) {
                    self.clear_filter();
                }
                return;
            }
            _ => return,
        }
        if input.kind == InputKind::Filter {
            let text = input.text.clone();
            self.start_search(text);
        }
    }

    /// Start matching `text` (results replace the filter view as they come).
    pub fn start_search(&mut self, text: String) {
        self.generation += 1;
        let query = Query::parse(&text);
        if query.is_empty() {
            self.clear_filter();
            return;
        }
        if self.view != View::Filter {
            self.back.push(Saved { view: self.view.clone(), selected: self.selected });
            self.view = View::Filter;
        }
        self.search = Some(Search {
            text,
            query: Arc::new(query),
            generation: self.generation,
            next: 0,
            in_flight: 0,
            matched: Vec::new(),
        });
        self.selected = 0;
        self.follow = false;
        self.pane = Pane::Timeline;
    }

    fn clear_filter(&mut self) {
        self.search = None;
        self.generation += 1;
        if self.view == View::Filter {
            match self.back.pop() {
                Some(s) => {
                    self.view = s.view;
                    self.move_to(s.selected);
                }
                None => self.view = View::All,
            }
        }
    }

    /// The next slice of rows to match, if the search needs one now.
    pub fn next_filter_job(&mut self) -> Option<Job> {
        let len = self.store.order().len();
        let search = self.search.as_ref()?;
        if search.next >= len || search.in_flight >= IN_FLIGHT {
            return None;
        }
        let (start, end) = (search.next, (search.next + SLICE).min(len));
        let ids: Vec<RecordId> = self.store.order().get(start..end).unwrap_or_default().to_vec();
        let rows: Vec<Row> = ids.into_iter().filter_map(|id| self.filter_row(id)).collect();
        let search = self.search.as_mut()?;
        search.next = end;
        search.in_flight += 1;
        Some(Job { generation: search.generation, query: search.query.clone(), rows })
    }

    /// Take the worker's answer for a slice (an outdated one is dropped).
    pub fn on_matched(&mut self, m: Matched) {
        let Some(search) = self.search.as_mut() else { return };
        if m.generation != search.generation {
            return;
        }
        search.in_flight = search.in_flight.saturating_sub(1);
        search.matched.extend(m.ids);
    }

    fn filter_row(&self, id: RecordId) -> Option<Row> {
        let s = &self.store;
        let r = s.get(id)?;
        let src = s.sources.get(r.source() as usize);
        let mut users = String::new();
        let mut types = String::new();
        let mut ip = String::new();
        let push = |out: &mut String, sym: u32| {
            if sym != NONE {
                out.push_str(s.syms.resolve(sym));
                out.push(' ');
            }
        };
        if let Some(m) = s.webhook_meta(r) {
            push(&mut ip, m.ip);
            for e in s.receipt_events(&m) {
                push(&mut users, e.user);
                push(&mut types, e.event_type);
            }
        } else if r.aux != NONE
            && matches!(r.kind(), Kind::Api | Kind::MiniApp)
            && let Some(m) = s.api.get(r.aux)
        {
            for &u in s.api_users(m) {
                push(&mut users, u);
            }
        } else if r.kind() == Kind::Http {
            push(&mut ip, r.aux);
        }
        let plain = src.is_some_and(|x| !x.compressed);
        Some(Row {
            id,
            kind: r.kind().as_str(),
            // A log record's status bits hold its level, which is no status.
            status: if r.kind() == Kind::Log { 0 } else { r.status() },
            level: r.level().map_or("", crate::model::Level::as_str),
            path: if r.path == NONE { String::new() } else { s.syms.resolve(r.path).to_owned() },
            ip,
            users,
            types,
            reread: match src {
                Some(x) if plain && x.memory.is_none() => x.path.clone().map(|p| (Arc::new(p), r.offset())),
                _ => None,
            },
            text: src.and_then(|x| x.memory.as_ref()).and_then(|_| s.line_text(r).ok()),
            request_id: s.kept_request_ids.get(id).map(std::borrow::Cow::into_owned),
        })
    }

    /// n/N: the next or previous match of the last filter in the current view.
    fn next_match(&mut self, forward: bool) {
        let Some(search) = &self.search else {
            self.message = Some("no search: press / to search".into());
            return;
        };
        let set: std::collections::HashSet<RecordId> = search.matched.iter().copied().collect();
        self.seek(forward, "match", |_| true);
        // `seek` moved to the next row; walk on to the next matching one.
        let len = self.view_len();
        let mut i = self.selected;
        while self.row(i).is_some_and(|id| !set.contains(&id)) {
            if forward {
                if i + 1 >= len {
                    self.message = Some("no later match".into());
                    return;
                }
                i += 1;
            } else {
                if i == 0 {
                    self.message = Some("no earlier match".into());
                    return;
                }
                i -= 1;
            }
        }
        self.move_to(i);
    }

    /// `t`: `HH:MM[:SS]` on the selected record's day (in the displayed
    /// zone), or any full time linelens reads.
    pub fn jump_to_time(&mut self, text: &str) {
        let base = self.selected_record().map_or(0, |(_, r)| r.ts());
        let target = crate::time::parse_time(text).or_else(|| clock_on_day(text, base, self.utc));
        let Some(t) = target else {
            self.message = Some(format!("not a time: {}", crate::escape::escape_control(text)));
            return;
        };
        let len = self.view_len();
        let (mut lo, mut hi) = (0, len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let ts = self.row(mid).and_then(|id| self.store.get(id)).map_or(i64::MAX, Record::ts);
            if ts < t {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        self.move_to(lo);
    }

    /// Rows a page moves.
    pub const PAGE: usize = 20;

    pub fn on_action(&mut self, a: Action) {
        self.message = None;
        if self.help {
            // Any key closes the help screen; `q` still quits.
            self.help = false;
            if a == Action::Quit {
                self.quit = true;
            }
            return;
        }
        match a {
            Action::Quit => self.quit = true,
            Action::Help => self.help = true,
            Action::ToggleUtc => self.utc = !self.utc,
            Action::ToggleFollow => {
                self.follow = !self.follow;
                if self.follow {
                    self.selected = self.view_len().saturating_sub(1);
                }
            }
            Action::NextPane => {
                self.pane = match self.pane {
                    Pane::Alerts => Pane::Timeline,
                    Pane::Timeline => Pane::Detail,
                    Pane::Detail => Pane::Alerts,
                }
            }
            Action::MoveDown | Action::MoveUp | Action::PageDown | Action::PageUp | Action::First | Action::Last
                if self.pane == Pane::Alerts =>
            {
                let last = self.alerts.len().saturating_sub(1);
                self.alert_selected = match a {
                    Action::MoveDown | Action::PageDown => (self.alert_selected + 1).min(last),
                    Action::MoveUp | Action::PageUp => self.alert_selected.saturating_sub(1),
                    Action::First => 0,
                    _ => last,
                };
            }
            Action::MoveDown => self.move_to(self.selected + 1),
            Action::MoveUp => self.move_to(self.selected.saturating_sub(1)),
            Action::PageDown => self.move_to(self.selected + Self::PAGE),
            Action::PageUp => self.move_to(self.selected.saturating_sub(Self::PAGE)),
            Action::First => self.move_to(0),
            Action::Last => self.move_to(usize::MAX),
            Action::NextError => self.seek(true, "error", |r| r.is_error()),
            Action::PrevError => self.seek(false, "error", |r| r.is_error()),
            Action::Next429 => self.seek(true, "429", |r| r.status() == 429),
            Action::Prev429 => self.seek(false, "429", |r| r.status() == 429),
            Action::Open => match self.pane {
                Pane::Alerts => {
                    if let Some(alert) = self.alerts.get(self.alert_selected).cloned() {
                        let ids = self.alert_records(&alert);
                        let title = super::view::alert_title(&alert);
                        self.narrow(title, ids);
                    }
                }
                Pane::Timeline | Pane::Detail => match self.exact_links().first() {
                    Some(&id) => self.jump_to_record(id),
                    None => self.message = Some("no exact link from this record".into()),
                },
            },
            Action::Back => {
                if let Some(s) = self.back.pop() {
                    self.view = s.view;
                    self.move_to(s.selected);
                }
            }
            Action::Filter => {
                let text = self.search.as_ref().map(|s| s.text.clone()).unwrap_or_default();
                self.input = Some(Input { kind: InputKind::Filter, text });
            }
            Action::JumpToTime => self.input = Some(Input { kind: InputKind::Time, text: String::new() }),
            Action::NextMatch => self.next_match(true),
            Action::PrevMatch => self.next_match(false),
        }
    }
}

/// The rate strip's buckets for one width and time range, and the requests
/// rated since they were computed: a frame adds only those (O(new
/// requests)); a new width or range lays them out again from the
/// per-minute and per-second counts.
#[derive(Debug, Default)]
struct RateCache {
    n: usize,
    first: i64,
    last: i64,
    req: Vec<u64>,
    bad: Vec<u64>,
    /// (second, a request?, 429/5xx or error?) of each record rated since.
    pending: Vec<(i64, bool, bool)>,
    valid: bool,
}

impl RateCache {
    /// At most this many requests wait for a frame; past that the buckets
    /// are recomputed at the next one instead.
    const PENDING_MAX: usize = 1 << 20;

    fn rated(&mut self, sec: i64, bad: bool) {
        self.push(sec, true, bad);
    }

    /// An error that is not a request (an error-level log entry).
    fn marked(&mut self, sec: i64) {
        self.push(sec, false, true);
    }

    fn push(&mut self, sec: i64, request: bool, bad: bool) {
        if !self.valid {
            return;
        }
        if self.pending.len() >= Self::PENDING_MAX {
            self.valid = false;
            self.pending = Vec::new();
        } else {
            self.pending.push((sec, request, bad));
        }
    }
}

/// Requests and 429/5xx responses per second, and per minute (so that a
/// bucket spanning hours sums its minutes, not its seconds).
#[derive(Debug, Default)]
pub(crate) struct Rate {
    secs: std::collections::BTreeMap<i64, (u64, u64)>,
    mins: std::collections::BTreeMap<i64, (u64, u64)>,
}

impl Rate {
    pub(crate) fn add(&mut self, sec: i64, bad: bool) {
        for (map, key) in [(&mut self.secs, sec), (&mut self.mins, sec.div_euclid(60))] {
            let e = map.entry(key).or_default();
            e.0 += 1;
            e.1 += u64::from(bad);
        }
    }

    /// An error that is not a request: the lower row only.
    pub(crate) fn add_mark(&mut self, sec: i64) {
        for (map, key) in [(&mut self.secs, sec), (&mut self.mins, sec.div_euclid(60))] {
            map.entry(key).or_default().1 += 1;
        }
    }

    /// The first and last seconds with a request (or a marked error).
    fn range(&self) -> Option<(i64, i64)> {
        Some((*self.secs.keys().next()?, *self.secs.keys().next_back()?))
    }

    /// Requests and 429/5xx over the seconds `[lo, hi)`: whole minutes from
    /// the minute counts, the ends from the second counts.
    fn sum(&self, lo: i64, hi: i64) -> (u64, u64) {
        let add = |a: (u64, u64), b: &(u64, u64)| (a.0 + b.0, a.1 + b.1);
        let secs =
            |a: i64, b: i64| if a < b { self.secs.range(a..b).map(|(_, v)| v).fold((0, 0), add) } else { (0, 0) };
        let (first_min, end_min) = ((lo + 59).div_euclid(60), hi.div_euclid(60));
        if first_min >= end_min {
            return secs(lo, hi);
        }
        let whole = self.mins.range(first_min..end_min).map(|(_, v)| v).fold((0, 0), add);
        let (a, b) = (secs(lo, first_min * 60), secs(end_min * 60, hi));
        (whole.0 + a.0 + b.0, whole.1 + a.1 + b.1)
    }

    /// `n` buckets over the seconds from the first to the last: second
    /// `first + d` falls in bucket ⌊d·n/span⌋, so bucket i covers
    /// `[first + ⌈i·span/n⌉, first + ⌈(i+1)·span/n⌉)`. Cost: O(n log s +
    /// minutes + 120 n) for s seconds with requests, not O(s).
    pub(crate) fn buckets(&self, n: usize) -> (Vec<u64>, Vec<u64>) {
        let (mut req, mut bad) = (vec![0u64; n], vec![0u64; n]);
        let Some((first, last)) = self.range() else { return (req, bad) };
        let (span, n128) = (i128::from(last) - i128::from(first) + 1, n.max(1) as i128);
        let edge = |i: usize| {
            let e = i128::from(first) + (i as i128 * span + n128 - 1) / n128;
            i64::try_from(e).unwrap_or(i64::MAX)
        };
        for (i, (r, b)) in req.iter_mut().zip(bad.iter_mut()).enumerate() {
            let (lo, hi) = (edge(i), edge(i + 1));
            (*r, *b) = self.sum(lo, hi);
        }
        (req, bad)
    }
}
