//! The incident screen's state: one owner (the UI loop), changed only by
//! [`App::on_action`] and [`App::on_ingested`]; rendering borrows it.

use crate::analysis::{Analyzer, Burst, BurstSource, Direction, Endpoint, Findings, Flood};
use crate::model::{Kind, NONE, Record, RecordId};
use crate::store::{Store, TimelineStep};
use crate::time::Millis;

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};

use super::action::{Action, Keymap};
use super::filter::{Job, Query, Row};
use super::jobs::{AuditJob, DetailJob, Done, Jobs, RowsJob};

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
    /// The severity of a rank as groups keep it (`Severity as u8`).
    pub fn from_rank(rank: u8) -> Severity {
        match rank {
            0 => Severity::Info,
            1 => Severity::Warning,
            _ => Severity::Error,
        }
    }

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
    /// Alerts with the same key form a group: the 429 bursts of one
    /// endpoint, the floods of one direction, one audit rule's findings.
    pub fn key(&self) -> String {
        match &self.kind {
            AlertKind::Burst(b) => {
                let src = if b.source == BurstSource::MiniApp { "miniapp" } else { "api" };
                let top = crate::report::top_endpoint(&b.endpoints);
                format!("burst {src} {top}")
            }
            AlertKind::Flood(f) => {
                format!("flood {}", if f.direction == Direction::Outbound { "outbound" } else { "inbound" })
            }
            AlertKind::Unreplied(_) => "unreplied".into(),
            AlertKind::UnknownReplies(_) => "unknown-replies".into(),
            AlertKind::Finding(f) => format!("finding {}", f.rule),
        }
    }

    /// The alert's own size: a burst's 429s, a flood's messages, a count.
    pub fn count(&self) -> u64 {
        match &self.kind {
            AlertKind::Burst(b) => b.count,
            AlertKind::Flood(f) => f.count,
            AlertKind::Unreplied(n) | AlertKind::UnknownReplies(n) => *n,
            AlertKind::Finding(f) => f.count,
        }
    }

    /// When it ended, if it has a time.
    pub fn end(&self) -> Option<Millis> {
        match &self.kind {
            AlertKind::Burst(b) => Some(b.end),
            AlertKind::Flood(f) => Some(f.end),
            AlertKind::Finding(f) => (f.last != i64::MIN).then_some(f.last),
            _ => None,
        }
    }

    pub fn start(&self) -> Option<Millis> {
        match &self.kind {
            AlertKind::Burst(b) => Some(b.start),
            AlertKind::Flood(f) => Some(f.start),
            AlertKind::Finding(f) => (f.first != i64::MIN).then_some(f.first),
            _ => None,
        }
    }
}

/// A row of the alerts list: a group of repeated alerts (an index into
/// `App::groups`), or one alert (an index into `App::alerts`; `true` when
/// it is shown inside its open group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertRow {
    Group(usize),
    One(usize, bool),
}

/// How much of the time range the strips and the timeline span: `+` and
/// `-` step through these around the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Zoom {
    All,
    Day,
    Hour,
    TenMinutes,
}

impl Zoom {
    /// The span in milliseconds (`None`: the whole range).
    pub fn span(self) -> Option<Millis> {
        match self {
            Zoom::All => None,
            Zoom::Day => Some(86_400_000),
            Zoom::Hour => Some(3_600_000),
            Zoom::TenMinutes => Some(600_000),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Zoom::All => "whole range",
            Zoom::Day => "1 day",
            Zoom::Hour => "1 hour",
            Zoom::TenMinutes => "10 min",
        }
    }

    fn step(self, inward: bool) -> Zoom {
        match (self, inward) {
            (Zoom::All, true) => Zoom::Day,
            (Zoom::Day, true) => Zoom::Hour,
            (Zoom::Hour | Zoom::TenMinutes, true) => Zoom::TenMinutes,
            (Zoom::All | Zoom::Day, false) => Zoom::All,
            (Zoom::Hour, false) => Zoom::Day,
            (Zoom::TenMinutes, false) => Zoom::Hour,
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

/// What the background jobs loaded for the frame: drawing reads these and
/// never a file.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The detail pane's: the selected record's view, a finding's places.
    pub detail: super::jobs::Detail,
    /// What the detail was last asked for.
    detail_asked: Option<DetailKey>,
    /// Timeline rows' text (request ID, log message, unparsed line), for
    /// the rows around the selection.
    pub rows: std::collections::HashMap<RecordId, String>,
    /// The rows last asked for.
    rows_asked: Vec<RecordId>,
    /// Unsent messages known when the rows were read (their text changes).
    rows_unsent: usize,
    /// A key was pressed since the detail and rows were last asked for.
    keyed: bool,
    /// When they were last asked for.
    asked_at: Option<std::time::Instant>,
}

/// What the detail pane needs loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DetailKey {
    record: Option<RecordId>,
    places: Vec<RecordId>,
    /// Records in the store (links may come with new ones), unless reading.
    records: usize,
    unsent: usize,
}

/// The work of one slice of [`App::ingest_slice`] on the timeline: records
/// merged by look-ups, or put in their lanes by a build (four times as many
/// positions merged); a few ms on the 330-hour bench set's timeline.
const TIMELINE_SLICE: usize = 20_000;

/// The least time between two refreshes of the alerts while files are read
/// (see `App::refresh_findings_due`).
const FINDINGS_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// While reading, how often the detail and rows are asked for when no key
/// was pressed (each new block moves the selection to the newest record,
/// and a job that reads the store holds the commits back).
const ASK_EVERY_WHILE_READING: std::time::Duration = std::time::Duration::from_millis(100);

/// Timeline rows read around the selection, each way.
const ROWS_AROUND: usize = 100;
/// Row texts kept at most before the cache starts again.
const ROWS_KEPT: usize = 20_000;

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

/// A time typed after `t`, in the zone shown: `YYYY-MM-DD HH:MM[:SS]`,
/// `MM-DD HH:MM[:SS]` (in the year of `base`), `HH:MM[:SS]` (on the day of
/// `base`), or any full time linelens reads (RFC 3339, epoch…).
pub fn jump_target(text: &str, base: Millis, utc: bool) -> Option<Millis> {
    use chrono::{Datelike, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
    let text = text.trim();
    let at = |d: NaiveDateTime| -> Option<Millis> {
        if utc {
            Some(d.and_utc().timestamp_millis())
        } else {
            Local.from_local_datetime(&d).earliest().map(|d| d.timestamp_millis())
        }
    };
    let base = chrono::DateTime::<Utc>::from_timestamp_millis(base)?;
    let base_day = if utc { base.date_naive() } else { base.with_timezone(&Local).date_naive() };
    let clock =
        |t: &str| NaiveTime::parse_from_str(t, "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(t, "%H:%M")).ok();
    if let Some((day, time)) = text.split_once(' ')
        && let Some(time) = clock(time.trim())
    {
        let day = day.trim();
        let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .ok()
            .or_else(|| NaiveDate::parse_from_str(&format!("{}-{day}", base_day.year()), "%Y-%m-%d").ok());
        if let Some(d) = date {
            return at(d.and_time(time));
        }
    }
    if let Some(t) = clock(text) {
        return at(base_day.and_time(t));
    }
    crate::time::parse_time(text)
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
    /// Groups of repeated alerts, when there are too many to list flat
    /// (see [`crate::report::group`]); empty otherwise.
    pub groups: Vec<crate::report::group::Group>,
    /// The key of the group opened into its occurrences.
    pub open_group: Option<String>,
    /// What the alerts list shows, row by row.
    pub alert_rows: Vec<AlertRow>,
    pub pane: Pane,
    /// A key was pressed: the screen no longer picks the focus itself.
    touched: bool,
    /// Whether the screen is wide enough to show the alerts beside the
    /// timeline (set by the loop from the terminal's size).
    pub wide: bool,
    /// The span of the strips and the timeline, and the time it is
    /// centred on (the newest record while following).
    pub zoom: Zoom,
    pub zoom_center: Millis,

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
    /// Files are still being read: records that land inside the timeline
    /// wait to be taken in with more (see `Store::timeline_step`), at most
    /// `max_wait` (a stream that goes quiet shows what it sent).
    pub reading: bool,
    pub max_wait: std::time::Duration,
    /// Since when records have waited, while they do.
    waiting_since: Option<std::time::Instant>,
    /// A one-line message for the key bar (warnings, "no more errors").
    pub message: Option<String>,
    back: Vec<Saved>,
    findings_stale: bool,
    /// When the alerts were last refreshed, and what it took (see
    /// [`App::refresh_findings_due`]).
    findings_refreshed: Option<(std::time::Instant, std::time::Duration)>,
    /// The least time between two refreshes of the alerts while files are
    /// read (250 ms unless set).
    pub findings_every: std::time::Duration,
    /// A line being typed (filter or time), when any.
    pub input: Option<Input>,
    /// The current or last filter.
    pub search: Option<Search>,
    /// The background workers (see [`super::jobs`]).
    pub jobs: Jobs,
    /// What they loaded for the frame to show.
    pub loaded: Loaded,
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
    /// User IDs shortened in everything shown (`--mask-users`).
    pub mask: crate::mask::Mask,
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
            groups: Vec::new(),
            open_group: None,
            alert_rows: Vec::new(),
            pane: Pane::Timeline,
            touched: false,
            wide: true,
            zoom: Zoom::All,
            zoom_center: 0,
            view: View::All,
            selected: 0,
            alert_selected: 0,
            follow: true,
            utc: true,
            help: false,
            quit: false,
            progress: None,
            reading: false,
            max_wait: std::time::Duration::from_secs(2),
            waiting_since: None,
            message: None,
            back: Vec::new(),
            findings_stale: true,
            findings_refreshed: None,
            findings_every: FINDINGS_EVERY,
            input: None,
            search: None,
            jobs: Jobs::new(false),
            loaded: Loaded::default(),
            rate: Rate::default(),
            rate_cache: Default::default(),
            rated: 0,
            ingest_due: true,
            audit: crate::audit::Audit::default(),
            mask: crate::mask::Mask::default(),
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

    /// What the screen holds, structure by structure (`LINELENS_MEMORY=1`):
    /// the store's, the analysis, and the screen's own.
    pub fn memory_breakdown(&self) -> Vec<(&'static str, usize)> {
        let mut out = self.store.memory_breakdown();
        out.push(("analysis", self.analyzer.heap_bytes()));
        out.push(("rate strip", self.rate.heap_bytes()));
        out.push(("row texts", self.loaded.rows.values().map(|t| t.capacity() + 32).sum()));
        out.push(("alerts", self.alerts.capacity() * std::mem::size_of::<Alert>()));
        out
    }

    /// Workers on threads of their own from now on (the screen; tests keep
    /// them doing each request at once).
    pub fn in_background(mut self) -> App {
        self.jobs = Jobs::new(true);
        self
    }

    /// Ask the workers for what the screen needs and is not loaded or
    /// asked for: slices of the filter, the detail of the selection, the
    /// text of the rows around it. Cheap: nothing is read here.
    pub fn ask_jobs(&mut self) {
        while let Some(job) = self.next_filter_job() {
            self.jobs.filter.ask_more(job);
        }
        let reading_pace = self.progress.is_some()
            && !self.loaded.keyed
            && self.loaded.asked_at.is_some_and(|t| t.elapsed() < ASK_EVERY_WHILE_READING);
        if reading_pace {
            return;
        }
        self.loaded.keyed = false;
        self.loaded.asked_at = Some(std::time::Instant::now());
        let (record, places) = self.detail_wanted();
        let key = DetailKey {
            record,
            places,
            records: if self.progress.is_some() { 0 } else { self.store.len() },
            unsent: self.store.unsent.len(),
        };
        if self.loaded.detail_asked.as_ref() != Some(&key) && !self.jobs.detail.busy() {
            let opts = crate::record_view::ViewOptions {
                infer_window: self.analyzer.thresholds.infer_window,
                ..Default::default()
            };
            self.jobs.detail.ask(DetailJob {
                store: self.store.clone(),
                record: key.record,
                places: key.places.clone(),
                opts,
            });
            self.loaded.detail_asked = Some(key);
        }
        if self.loaded.rows_unsent != self.store.unsent.len() || self.loaded.rows.len() > ROWS_KEPT {
            self.loaded.rows.clear();
            self.loaded.rows_unsent = self.store.unsent.len();
        }
        let rows = self.rows_wanted();
        if !rows.is_empty() && rows != self.loaded.rows_asked && !self.jobs.rows.busy() {
            self.loaded.rows_asked = rows.clone();
            self.jobs.rows.ask(RowsJob { store: self.store.clone(), ids: rows });
        }
    }

    /// What the detail pane shows: a finding's records' places, or the
    /// selected record (a group shows what is in memory).
    fn detail_wanted(&self) -> (Option<RecordId>, Vec<RecordId>) {
        if self.pane == Pane::Alerts {
            if let Some(AlertRow::Group(_)) = self.alert_rows.get(self.alert_selected) {
                return (None, Vec::new());
            }
            if let Some(a) = self.alert_at(self.alert_selected)
                && let AlertKind::Finding(x) = &a.kind
            {
                return (None, x.records.iter().take(3).copied().collect());
            }
        }
        (self.selected_record().map(|(id, _)| id), Vec::new())
    }

    /// Rows around the selection whose text is read from their line and
    /// not loaded yet. An archive's rows are not read (that means
    /// decompressing up to each): its requests show the IDs the store keeps.
    fn rows_wanted(&self) -> Vec<RecordId> {
        let s = &self.store;
        let lo = self.selected.saturating_sub(ROWS_AROUND);
        let hi = self.selected.saturating_add(ROWS_AROUND).min(self.view_len());
        (lo..hi)
            .filter_map(|i| self.row(i))
            .filter(|id| !self.loaded.rows.contains_key(id))
            .filter(|&id| {
                s.get(id).is_some_and(|r| {
                    matches!(r.kind(), Kind::Api | Kind::MiniApp | Kind::Log | Kind::Unparsed)
                        && s.sources.get(r.source() as usize).is_some_and(|x| !x.compressed)
                })
            })
            .collect()
    }

    /// A worker's answer; whether the screen changed.
    pub fn on_done(&mut self, done: Done) -> bool {
        match done {
            Done::Matched(g, ids) => {
                self.jobs.filter.answered();
                self.on_matched(g, ids);
            }
            Done::Detail(g, d) => {
                self.jobs.detail.answered();
                if !self.jobs.detail.is_current(g) {
                    return false;
                }
                self.loaded.detail = *d;
            }
            Done::Rows(g, rows) => {
                self.jobs.rows.answered();
                // Rows' text does not go stale: an older answer is kept too.
                self.loaded.rows.extend(rows);
                if self.jobs.rows.is_current(g) {
                    self.loaded.rows_asked.clear();
                }
            }
            Done::Audit(g, findings) => {
                self.jobs.audit.answered();
                if !self.jobs.audit.is_current(g) {
                    return false;
                }
                self.set_audit_findings(findings);
            }
            Done::Failed(m) => {
                self.jobs.forget_all();
                self.message = Some(m);
            }
        }
        true
    }

    /// Ask for what the screen needs and take every answer, until nothing
    /// more is asked. With workers that do each request at once (tests),
    /// the state is then what the frame should show.
    pub fn settle(&mut self) {
        loop {
            self.ask_jobs();
            let mut any = false;
            while let Ok(d) = self.jobs.done.try_recv() {
                self.on_done(d);
                any = true;
            }
            if !any {
                break;
            }
        }
    }

    /// Run the guideline audit in the background; its findings arrive as
    /// [`Done::Audit`]. The store is shared with it until it is done.
    pub fn ask_audit(&mut self) {
        let (store, found, audit) = self.audit_job();
        self.jobs.audit.ask(AuditJob { store, found, audit });
    }

    /// An audit was asked and has not answered.
    pub fn auditing(&self) -> bool {
        self.jobs.audit.busy()
    }

    /// A worker holds the store: nothing can be added to it until it is done.
    pub fn store_shared(&self) -> bool {
        std::sync::Arc::strong_count(&self.store) > 1
    }

    /// What a background audit needs: the store (shared until it is done),
    /// the analysis findings and the rules.
    pub fn audit_job(&mut self) -> (std::sync::Arc<Store>, Findings, crate::audit::Audit) {
        self.audit_stale = false;
        (self.store.clone(), self.findings.clone(), self.audit.clone())
    }

    /// The findings of an audit (run here or in the background).
    /// The audit's findings; a failed rule (a bug) is said in the message
    /// line, and the findings before stay.
    pub fn set_audit_findings(&mut self, findings: Result<Vec<crate::audit::Finding>, crate::audit::RuleFailed>) {
        match findings {
            Ok(f) => self.audit_findings = f,
            Err(e) => self.message = Some(e.to_string()),
        }
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

    /// Records have waited to be taken into the timeline for `max_wait`:
    /// the loop marks them due again (nothing else may come to do it).
    pub fn timeline_waited_out(&self) -> bool {
        self.waiting_since.is_some_and(|t| t.elapsed() >= self.max_wait)
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
        // While reading, a slice at a time (see `Store::timeline_step`).
        let reading = self.reading && self.waiting_since.is_none_or(|t| t.elapsed() < self.max_wait);
        loop {
            match store.timeline_step(if budget.is_some() { TIMELINE_SLICE } else { usize::MAX }, reading) {
                TimelineStep::Waiting => {
                    self.waiting_since.get_or_insert_with(std::time::Instant::now);
                    break;
                }
                TimelineStep::Done => {
                    self.waiting_since = None;
                    break;
                }
                step => {
                    if step == TimelineStep::Merged {
                        self.waiting_since = None;
                    }
                    if budget.is_some() {
                        return Some(step == TimelineStep::Merged);
                    }
                }
            }
        }
        if self.rated < len {
            // One ordered sweep over the new records of the kinds the strip
            // counts (a look-up by ID per record, twice for most, searched
            // the runs of its chunk each time). A file's records come in
            // time order, so the records of one second are counted together
            // and added once.
            let wanted = |k| matches!(k, Kind::Api | Kind::MiniApp | Kind::Log);
            let (rate, cache) = (&mut self.rate, self.rate_cache.get_mut());
            let mut add = |(sec, req, bad): (i64, u32, u32)| {
                rate.add(sec, req, bad);
                cache.push(sec, req, bad);
            };
            let mut run: Option<(i64, u32, u32)> = None;
            for (_, r) in self.store.iter_kinds_in(self.rated, len, wanted) {
                let (sec, req, bad) = if matches!(r.kind(), Kind::Api | Kind::MiniApp) {
                    (r.ts().div_euclid(1000), 1, u32::from(r.status() == 429 || r.status() >= 500))
                } else if r.is_error()
                    && let Some(t) = r.time()
                {
                    // An error-level log entry marks the strip's lower row
                    // (it is not a request).
                    (t.div_euclid(1000), 0, 1)
                } else {
                    continue;
                };
                match &mut run {
                    Some((s, rq, b)) if *s == sec => (*rq, *b) = (rq.saturating_add(req), b.saturating_add(bad)),
                    _ => {
                        if let Some(done) = run.replace((sec, req, bad)) {
                            add(done);
                        }
                    }
                }
            }
            if let Some(done) = run {
                add(done);
            }
            self.rated = len;
            if budget.is_some() {
                return Some(true);
            }
        }
        self.ingest_due = false;
        self.findings_stale = true;
        self.audit_stale = true;
        if self.refresh_findings_due() {
            self.refresh_findings();
        }
        if self.follow {
            self.selected = self.view_len().saturating_sub(1);
        }
        Some(true)
    }

    /// Whether the alerts are refreshed with the records just taken in:
    /// always once the files are read; while they are, the first time at
    /// once, then at most every `findings_every` and ten times as long
    /// apart as the last refresh took. A refresh lists every flood and
    /// burst found so far and recomputes the floods of every user seen
    /// since the last one, so one per step of reading (every 16 blocks)
    /// cost steps × incidents: 5-10 % of the screen thread's time on the
    /// 330-hour bench set. Paced so, it costs at most about a tenth of the
    /// time the reading takes, whatever the incidents. One skipped is made
    /// with a later step, or once due when no step comes
    /// ([`App::findings_overdue`]).
    fn refresh_findings_due(&self) -> bool {
        match self.findings_refreshed {
            Some((at, took)) if self.reading => at.elapsed() >= self.findings_every.max(took * 10),
            _ => true,
        }
    }

    /// A refresh of the alerts was put off while reading and is now due:
    /// the loop marks the records due again (no step may come to do it).
    pub fn findings_overdue(&self) -> bool {
        self.findings_stale && self.refresh_findings_due()
    }

    fn refresh_findings(&mut self) {
        if !self.findings_stale {
            return;
        }
        let started = std::time::Instant::now();
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
        for f in self.audit_findings.iter().filter(|f| f.rule != crate::audit::Rule::SameUserFlood) {
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
        let selected = self.alert_rows.get(self.alert_selected).map(|r| self.row_key(*r));
        self.alerts = alerts;
        self.groups = if crate::report::group::grouped(self.alerts.len()) {
            let items: Vec<crate::report::group::Item> = self
                .alerts
                .iter()
                .map(|a| crate::report::group::Item {
                    key: a.key(),
                    severity: a.severity as u8,
                    count: a.count(),
                    first: a.start().unwrap_or(i64::MIN),
                    last: a.end().unwrap_or(i64::MIN),
                })
                .collect();
            crate::report::group::group(&items)
        } else {
            Vec::new()
        };
        self.lay_out_alerts();
        // The same row stays selected (a group by its key, an alert by its start).
        if let Some(key) = selected
            && let Some(i) = self.alert_rows.iter().position(|r| self.row_key(*r) == key)
        {
            self.alert_selected = i;
        }
        self.alert_selected = self.alert_selected.min(self.alert_rows.len().saturating_sub(1));
        // Before any key: with error-level alerts, the wide screen opens on
        // the alerts list, its worst entry selected.
        if !self.touched {
            self.alert_selected = 0;
            if self.wide && self.alerts.iter().any(|a| a.severity == Severity::Error) {
                self.pane = Pane::Alerts;
            }
        }
        self.findings_stale = false;
        // (Only those while reading pace the next: the first while reading
        // comes at once.)
        self.findings_refreshed = self.reading.then(|| (started, started.elapsed()));
    }

    /// What identifies a row across refreshes.
    fn row_key(&self, r: AlertRow) -> (String, Option<Millis>) {
        match r {
            AlertRow::Group(g) => (self.groups.get(g).map_or(String::new(), |g| format!("group {}", g.key)), None),
            AlertRow::One(i, _) => self.alerts.get(i).map_or((String::new(), None), |a| (a.key(), a.start())),
        }
    }

    /// The alerts list's rows: every alert when flat; else each group
    /// (an alert alone in its group as itself), the open one followed by
    /// its occurrences in time order.
    fn lay_out_alerts(&mut self) {
        if self.groups.is_empty() {
            self.alert_rows = (0..self.alerts.len()).map(|i| AlertRow::One(i, false)).collect();
            return;
        }
        let mut rows = Vec::with_capacity(self.groups.len());
        for (gi, g) in self.groups.iter().enumerate() {
            match g.members.as_slice() {
                [one] => rows.push(AlertRow::One(*one, false)),
                members => {
                    rows.push(AlertRow::Group(gi));
                    if self.open_group.as_deref() == Some(g.key.as_str()) {
                        rows.extend(members.iter().map(|&i| AlertRow::One(i, true)));
                    }
                }
            }
        }
        self.alert_rows = rows;
    }

    /// The alert of a row, when it is one alert.
    pub fn alert_at(&self, row: usize) -> Option<&Alert> {
        match self.alert_rows.get(row)? {
            AlertRow::One(i, _) => self.alerts.get(*i),
            AlertRow::Group(_) => None,
        }
    }

    /// Open the selected group into its occurrences (the first selected).
    fn open_selected_group(&mut self) -> bool {
        let Some(AlertRow::Group(g)) = self.alert_rows.get(self.alert_selected).copied() else { return false };
        let Some(key) = self.groups.get(g).map(|g| g.key.clone()) else { return false };
        self.open_group = Some(key);
        self.lay_out_alerts();
        self.alert_selected = (self.alert_selected + 1).min(self.alert_rows.len().saturating_sub(1));
        true
    }

    /// Close the open group, selecting its row.
    fn close_group(&mut self) -> bool {
        let Some(key) = self.open_group.take() else { return false };
        self.lay_out_alerts();
        let row = self
            .groups
            .iter()
            .position(|g| g.key == key)
            .and_then(|g| self.alert_rows.iter().position(|r| *r == AlertRow::Group(g)));
        self.alert_selected = row.unwrap_or(0);
        true
    }

    /// The zoomed span `[start, end]` (`None`: the whole range), centred on
    /// the newest record while following, else on `zoom_center`, and
    /// moved inside the time range read.
    pub fn zoom_window(&self) -> Option<(Millis, Millis)> {
        let span = self.zoom.span()?;
        let (first, last) = (self.store.first?, self.store.last?);
        let center = if self.follow { last } else { self.zoom_center };
        let mut lo = center.saturating_sub(span / 2);
        let mut hi = lo.saturating_add(span);
        if hi > last {
            hi = last;
            lo = hi.saturating_sub(span);
        }
        if lo < first {
            lo = first;
            hi = lo.saturating_add(span);
        }
        Some((lo, hi))
    }

    /// Positions `[lo, hi)` of the full timeline the `All` view shows: all
    /// of it, or the zoomed span's. Cost: two binary searches.
    fn all_range(&self) -> (usize, usize) {
        let order = self.store.order();
        match self.zoom_window() {
            None => (0, order.len()),
            Some((lo, hi)) => {
                let ts = |r: RecordId| self.store.get(r).map_or(i64::MIN, |x| x.ts());
                let a = order.partition_point(|r| ts(r) < lo);
                let b = order.partition_point(|r| ts(r) <= hi).max(a);
                (a, b)
            }
        }
    }

    /// Zoom to `z` around the selected record (the newest while following).
    fn set_zoom(&mut self, z: Zoom) {
        let keep = self.selected_record();
        if let Some((_, r)) = keep {
            self.zoom_center = r.ts();
        }
        self.zoom = z;
        if let Some((id, _)) = keep
            && self.view == View::All
        {
            self.select_in_all(id);
        }
        self.message = Some(format!("zoom: {}", z.name()));
    }

    /// Select a record of the `All` view, moving the zoomed span to it
    /// when it lies outside.
    fn select_in_all(&mut self, id: RecordId) {
        let Some(pos) = self.store.order_position(id) else { return };
        let (lo, hi) = self.all_range();
        if !(lo..hi).contains(&pos) {
            if let Some(r) = self.store.get(id) {
                self.zoom_center = r.ts();
            }
            self.follow = false;
        }
        let (lo, _) = self.all_range();
        self.move_to(pos.saturating_sub(lo));
    }

    /// Rows in the current view.
    pub fn view_len(&self) -> usize {
        match &self.view {
            View::All => {
                let (lo, hi) = self.all_range();
                hi - lo
            }
            View::Narrowed { ids, .. } => ids.len(),
            View::Filter => self.search.as_ref().map_or(0, |s| s.matched.len()),
        }
    }

    /// The record at a row of the current view.
    pub fn row(&self, i: usize) -> Option<RecordId> {
        match &self.view {
            View::All => self.store.order().get(self.all_range().0 + i),
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
        // Moving away from the newest row pauses following; a zoomed span
        // stays where it was.
        let follow = len == 0 || self.selected + 1 == len;
        if self.follow && !follow && self.zoom != Zoom::All {
            self.zoom_center = self.zoom_window().map_or(self.zoom_center, |(lo, hi)| lo + (hi - lo) / 2);
        }
        self.follow = follow;
    }

    /// Find the next (or previous) row after the selection matching `f`.
    fn seek(&mut self, forward: bool, what: &str, f: impl Fn(&Record) -> bool) {
        let len = self.view_len();
        let (from, to) = if forward { (self.selected + 1, len) } else { (0, self.selected.min(len)) };
        let hit = if self.view == View::All {
            // The timeline read in one sweep (a row at a time would look
            // each up on its own).
            let lo = self.all_range().0;
            let mut rows = self.store.order().iter_range(lo + from, lo + to).enumerate();
            let is = |&(_, id): &(usize, RecordId)| self.store.get(id).is_some_and(|r| f(&r));
            if forward { rows.find(is) } else { rows.rev().find(is) }.map(|(i, _)| from + i)
        } else {
            let mut rows = from..to;
            let is = |&i: &usize| self.row(i).and_then(|id| self.store.get(id)).is_some_and(|r| f(&r));
            if forward { rows.find(is) } else { rows.rev().find(is) }
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
            let lo = order.partition_point(|r| self.store.get(r).is_some_and(|x| x.ts() < start));
            let hi = order.partition_point(|r| self.store.get(r).is_some_and(|x| x.ts() <= end));
            order.iter_range(lo, hi)
        };
        // The records of `ids` that satisfy `keep`.
        let pick = |ids: crate::store::timeline::Iter<'_>, keep: &dyn Fn(&Record) -> bool| -> Vec<RecordId> {
            ids.filter(|&r| self.store.get(r).is_some_and(|x| keep(&x))).collect()
        };
        let s = &self.store;
        match &a.kind {
            AlertKind::Burst(b) => {
                let kind = if b.source == BurstSource::Api { Kind::Api } else { Kind::MiniApp };
                pick(in_range(b.start, b.end), &|x| x.kind() == kind && x.status() == 429)
            }
            AlertKind::Flood(f) => pick(in_range(f.start, f.end), &|x| self.involves_user(x, f.user, f.direction)),
            AlertKind::Unreplied(_) => pick(order.iter(), &|x| {
                s.webhook_meta(*x).is_some_and(|m| {
                    s.receipt_events(&m)
                        .iter()
                        .any(|e| e.reply_token != 0 && s.replies_with_token(e.reply_token).next().is_none())
                })
            }),
            AlertKind::Finding(f) => f.records.clone(),
            AlertKind::UnknownReplies(_) => pick(order.iter(), &|x| {
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
        if !self.store.order().contains(id) {
            return;
        }
        self.back.push(Saved { view: self.view.clone(), selected: self.selected });
        self.view = View::All;
        self.select_in_all(id);
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

    /// The seconds the strips span: the zoomed span, else from the first
    /// to the last second with a request.
    pub fn strip_range(&self) -> Option<(i64, i64)> {
        match self.zoom_window() {
            Some((lo, hi)) => Some((lo.div_euclid(1000), hi.div_euclid(1000))),
            None => self.rate.range(),
        }
    }

    /// Requests and 429/5xx per bucket, `n` buckets over [`App::strip_range`].
    /// Cost: the requests rated since the last call, when the width and
    /// the range are the same; else the buckets laid out again (see
    /// `Rate::buckets_in`).
    pub fn rate_buckets(&self, n: usize) -> (Vec<u64>, Vec<u64>) {
        let range = self.strip_range();
        let mut c = self.rate_cache.borrow_mut();
        match range {
            Some((first, last)) if c.valid && (c.n, c.first, c.last) == (n, first, last) => {
                // The same width and range: only the requests rated since.
                let span = i128::from(last) - i128::from(first) + 1;
                // Drained, not dropped: the list keeps its room for the
                // next frame (see `Store::timeline` on freeing megabytes).
                let mut pending = std::mem::take(&mut c.pending);
                for (sec, req, bad) in pending.drain(..).filter(|p| (first..=last).contains(&p.0)) {
                    let i = ((i128::from(sec) - i128::from(first)) * n as i128 / span) as usize;
                    if let Some(x) = c.req.get_mut(i) {
                        *x += u64::from(req);
                    }
                    if let Some(y) = c.bad.get_mut(i) {
                        *y += u64::from(bad);
                    }
                }
                c.pending = pending;
            }
            _ => {
                let (first, last) = range.unwrap_or_default();
                let (req, bad) = match range {
                    Some(_) => self.rate.buckets_in(n, first, last),
                    None => (vec![0; n], vec![0; n]),
                };
                let mut pending = std::mem::take(&mut c.pending);
                pending.clear();
                *c = RateCache { n, first, last, req, bad, pending, valid: true };
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

    /// A key while a line of input is open: edit, confirm or cancel.
    pub fn on_input_key(&mut self, key: KeyEvent) {
        self.loaded.keyed = true;
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
        let generation = self.jobs.filter.renew();
        let query = Query::parse(&text);
        if query.is_empty() {
            self.clear_filter();
            return;
        }
        if self.view != View::Filter {
            self.back.push(Saved { view: self.view.clone(), selected: self.selected });
            self.view = View::Filter;
        }
        self.search =
            Some(Search { text, query: Arc::new(query), generation, next: 0, in_flight: 0, matched: Vec::new() });
        self.selected = 0;
        self.follow = false;
        self.pane = Pane::Timeline;
    }

    fn clear_filter(&mut self) {
        self.search = None;
        self.jobs.filter.renew();
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
        let ids: Vec<RecordId> = self.store.order().iter_range(start, end).collect();
        let rows: Vec<Row> = ids.into_iter().filter_map(|id| self.filter_row(id)).collect();
        let search = self.search.as_mut()?;
        search.next = end;
        search.in_flight += 1;
        Some(Job { query: search.query.clone(), rows })
    }

    /// Take the worker's answer for a slice of generation `generation` (an
    /// outdated one is dropped).
    pub fn on_matched(&mut self, generation: u64, ids: Vec<RecordId>) {
        let Some(search) = self.search.as_mut() else { return };
        if generation != search.generation {
            return;
        }
        search.in_flight = search.in_flight.saturating_sub(1);
        search.matched.extend(ids);
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
            for &u in s.api_users(&m) {
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
        // The day and year of a partial time: the selection's, else (a
        // line without a time is selected) the newest record's.
        let dated = |r: Record| (r.ts() != i64::MIN).then_some(r.ts());
        let base = self
            .selected_record()
            .and_then(|(_, r)| dated(r))
            .or_else(|| self.store.order().last().and_then(|id| self.store.get(id)).and_then(dated))
            .unwrap_or(0);
        let target = jump_target(text, base, self.utc);
        let Some(t) = target else {
            self.message = Some(format!("not a time: {}", crate::escape::escape_control(text)));
            return;
        };
        if self.view == View::All
            && let Some((lo, hi)) = self.zoom_window()
            && !(lo..=hi).contains(&t)
        {
            self.zoom_center = t;
            self.follow = false;
        }
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
        self.loaded.keyed = true;
        self.message = None;
        self.touched = true;
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
                let last = self.alert_rows.len().saturating_sub(1);
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
            Action::Alerts => {
                self.pane = if self.pane == Pane::Alerts { Pane::Timeline } else { Pane::Alerts };
            }
            Action::Expand if self.pane == Pane::Alerts => {
                self.open_selected_group();
            }
            Action::Collapse if self.pane == Pane::Alerts => {
                self.close_group();
            }
            Action::Expand | Action::Collapse => {}
            Action::ZoomIn => self.set_zoom(self.zoom.step(true)),
            Action::ZoomOut => self.set_zoom(self.zoom.step(false)),
            Action::Back if self.pane == Pane::Alerts && self.close_group() => {}
            Action::Open if self.pane == Pane::Alerts && self.open_selected_group() => {}
            Action::Open => match self.pane {
                Pane::Alerts => {
                    if let Some(alert) = self.alert_at(self.alert_selected).cloned() {
                        let ids = self.alert_records(&alert);
                        let title = alert_title(&alert);
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
    /// (second, requests, 429/5xx and errors) of each run of records of
    /// one second rated since.
    pending: Vec<(i64, u32, u32)>,
    valid: bool,
}

impl RateCache {
    /// At most this many runs wait for a frame; past that the buckets
    /// are recomputed at the next one instead.
    const PENDING_MAX: usize = 1 << 20;

    /// `req` requests and `bad` 429/5xx responses or errors (an
    /// error-level log entry is not a request) in second `sec`.
    fn push(&mut self, sec: i64, req: u32, bad: u32) {
        if !self.valid {
            return;
        }
        if self.pending.len() >= Self::PENDING_MAX {
            self.valid = false;
            self.pending = Vec::new();
        } else {
            self.pending.push((sec, req, bad));
        }
    }
}

/// Requests and 429/5xx responses per second, and per minute (so that a
/// bucket spanning hours sums its minutes, not its seconds).
#[derive(Debug, Default)]
pub(crate) struct Rate {
    secs: Seconds,
    mins: std::collections::BTreeMap<i64, (u64, u64)>,
}

/// Counts per second with traffic, kept per hour: an hour with few busy
/// seconds as one sorted array of (second, requests, 429/5xx), 6 bytes a
/// second; an hour busy for more than two thirds of its seconds as a dense
/// array of 3,600 pairs of bytes, 2 bytes a second. Counts past 65,535 in
/// one second (past 255 in a dense hour) carry over to `over`. (A B-tree
/// entry a second took about 36 bytes, 43 MB on the 330-hour bench set;
/// 12-byte sparse entries 18 MB; pairs of 16-bit counts 5.5 MB.) Records
/// arrive in each file's order, so a second is mostly appended; one from
/// another file's block is inserted among at most 2,400.
#[derive(Debug, Default)]
struct Seconds {
    hours: std::collections::BTreeMap<i64, Hour>,
    over: std::collections::BTreeMap<i64, (u64, u64)>,
}

/// A busy hour is dense: a byte for each count of each of its 3,600
/// seconds (what passes 255 carries over to [`Seconds::over`]); a quiet one
/// sparse: (second, requests, 429/5xx) in 16 bits each (what passes 65,535
/// carries over).
#[derive(Debug)]
enum Hour {
    Sparse(Vec<(u16, u16, u16)>),
    Dense(Box<[[u8; 2]]>),
}

/// Busy seconds past which an hour is kept dense (where it takes less).
const DENSE_FROM: usize = 2400;

impl Hour {
    /// Add to the counts of second `off` (of the hour); what does not fit
    /// a count goes to `carry` (second, requests, 429/5xx).
    fn add(&mut self, off: u16, req: u32, bad: u32, carry: &mut dyn FnMut(u16, u64, u64)) {
        /// `c + add` kept up to `max`; what passes it, returned.
        fn keep<T: Copy + Into<u32> + TryFrom<u32>>(c: &mut T, add: u32, max: T) -> u64 {
            let total = (*c).into() + add;
            *c = T::try_from(total.min(max.into())).unwrap_or(max);
            u64::from(total.saturating_sub(max.into()))
        }
        if let Hour::Sparse(v) = self
            && v.len() >= DENSE_FROM
        {
            // Its seconds so far, added again as a dense hour's (what
            // passes a byte carries over there).
            let seconds = std::mem::take(v);
            *self = Hour::Dense(vec![[0u8; 2]; 3600].into_boxed_slice());
            for (o, r, b) in seconds {
                self.add(o, r.into(), b.into(), carry);
            }
        }
        let (xr, xb) = match self {
            Hour::Dense(d) => match d.get_mut(usize::from(off)) {
                Some([r, b]) => (keep(r, req, u8::MAX), keep(b, bad, u8::MAX)),
                None => return,
            },
            Hour::Sparse(v) => {
                let at = match v.last() {
                    Some(l) if l.0 < off => Err(v.len()),
                    _ => v.binary_search_by_key(&off, |e| e.0),
                };
                let at = match at {
                    Ok(i) => i,
                    Err(i) => {
                        if v.len() == v.capacity() {
                            v.reserve_exact(v.len() / 4 + 16);
                        }
                        v.insert(i, (off, 0, 0));
                        i
                    }
                };
                match v.get_mut(at) {
                    Some((_, r, b)) => (keep(r, req, u16::MAX), keep(b, bad, u16::MAX)),
                    None => return,
                }
            }
        };
        if xr + xb > 0 {
            carry(off, xr, xb);
        }
    }

    /// The busy seconds' offsets and counts, in order.
    fn iter(&self) -> Box<dyn DoubleEndedIterator<Item = (u16, u16, u16)> + '_> {
        match self {
            Hour::Sparse(v) => Box::new(v.iter().copied()),
            Hour::Dense(d) => Box::new(
                d.iter()
                    .enumerate()
                    .filter(|(_, c)| **c != [0, 0])
                    .map(|(o, &[r, b])| (o as u16, u16::from(r), u16::from(b))),
            ),
        }
    }

    /// Requests and 429/5xx over the offsets `[lo, hi)`.
    fn sum(&self, lo: i64, hi: i64) -> (u64, u64) {
        let (lo, hi) = (lo.clamp(0, 3600) as usize, hi.clamp(0, 3600) as usize);
        let fold = |a: (u64, u64), r: u16, b: u16| (a.0 + u64::from(r), a.1 + u64::from(b));
        match self {
            Hour::Dense(d) => {
                d.get(lo..hi).unwrap_or_default().iter().fold((0, 0), |a, &[r, b]| fold(a, r.into(), b.into()))
            }
            Hour::Sparse(v) => {
                let a = v.partition_point(|e| usize::from(e.0) < lo);
                let b = v.partition_point(|e| usize::from(e.0) < hi);
                v.get(a..b).unwrap_or_default().iter().fold((0, 0), |a, &(_, r, b)| fold(a, r, b))
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Hour::Sparse(v) => v.capacity() * 6 + 64,
            Hour::Dense(d) => d.len() * 2 + 64,
        }
    }
}

impl Seconds {
    fn add(&mut self, sec: i64, req: u32, bad: u32) {
        let (hour, off) = (sec.div_euclid(3600), sec.rem_euclid(3600) as u16);
        let h = self.hours.entry(hour).or_insert_with(|| Hour::Sparse(Vec::new()));
        // What does not fit a second's count carries over to `over`.
        let over = &mut self.over;
        h.add(off, req, bad, &mut |o, xr, xb| {
            let e = over.entry(hour * 3600 + i64::from(o)).or_default();
            e.0 += xr;
            e.1 += xb;
        });
    }

    fn first(&self) -> Option<i64> {
        self.hours.iter().find_map(|(h, v)| Some(h * 3600 + i64::from(v.iter().next()?.0)))
    }

    fn last(&self) -> Option<i64> {
        self.hours.iter().rev().find_map(|(h, v)| Some(h * 3600 + i64::from(v.iter().next_back()?.0)))
    }

    /// Requests and 429/5xx over the seconds `[a, b)`.
    fn sum(&self, a: i64, b: i64) -> (u64, u64) {
        let mut out = (0u64, 0u64);
        if a >= b {
            return out;
        }
        for (&h, v) in self.hours.range(a.div_euclid(3600)..=(b - 1).div_euclid(3600)) {
            let base = h * 3600;
            let (r, x) = v.sum(a - base, b - base);
            out = (out.0 + r, out.1 + x);
        }
        for (_, &(r, x)) in self.over.range(a..b) {
            out = (out.0 + r, out.1 + x);
        }
        out
    }

    fn heap_bytes(&self) -> usize {
        self.hours.values().map(Hour::heap_bytes).sum::<usize>() + self.over.len() * 48
    }
}

impl Rate {
    /// Bytes it holds, about (a minute's B-tree entry and its share of a node).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.secs.heap_bytes() + self.mins.len() * std::mem::size_of::<(i64, (u64, u64))>() * 3 / 2
    }

    /// `req` requests and `bad` 429/5xx responses or errors in second
    /// `sec` (an error that is not a request counts in the lower row only).
    pub(crate) fn add(&mut self, sec: i64, req: u32, bad: u32) {
        self.secs.add(sec, req, bad);
        let e = self.mins.entry(sec.div_euclid(60)).or_default();
        e.0 += u64::from(req);
        e.1 += u64::from(bad);
    }

    /// The first and last seconds with a request (or a marked error).
    fn range(&self) -> Option<(i64, i64)> {
        Some((self.secs.first()?, self.secs.last()?))
    }

    /// Requests and 429/5xx over the seconds `[lo, hi)`: whole minutes from
    /// the minute counts, the ends from the second counts.
    fn sum(&self, lo: i64, hi: i64) -> (u64, u64) {
        let add = |a: (u64, u64), b: &(u64, u64)| (a.0 + b.0, a.1 + b.1);
        let (first_min, end_min) = ((lo + 59).div_euclid(60), hi.div_euclid(60));
        if first_min >= end_min {
            return self.secs.sum(lo, hi);
        }
        let whole = self.mins.range(first_min..end_min).map(|(_, v)| v).fold((0, 0), add);
        let (a, b) = (self.secs.sum(lo, first_min * 60), self.secs.sum(end_min * 60, hi));
        (whole.0 + a.0 + b.0, whole.1 + a.1 + b.1)
    }

    /// `n` buckets over the seconds from the first to the last: second
    /// `first + d` falls in bucket ⌊d·n/span⌋, so bucket i covers
    /// `[first + ⌈i·span/n⌉, first + ⌈(i+1)·span/n⌉)`. Cost: O(n log s +
    /// minutes + 120 n) for s seconds with requests, not O(s).
    #[cfg(test)]
    pub(crate) fn buckets(&self, n: usize) -> (Vec<u64>, Vec<u64>) {
        match self.range() {
            Some((first, last)) => self.buckets_in(n, first, last),
            None => (vec![0; n], vec![0; n]),
        }
    }

    /// [`Rate::buckets`] over the seconds `first..=last`.
    pub(crate) fn buckets_in(&self, n: usize, first: i64, last: i64) -> (Vec<u64>, Vec<u64>) {
        let (mut req, mut bad) = (vec![0u64; n], vec![0u64; n]);
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

pub fn alert_title(a: &Alert) -> String {
    match &a.kind {
        AlertKind::Burst(b) => {
            let top = b.endpoints.iter().max_by_key(|(_, n)| **n).map(|(p, _)| p.rsplit('/').next().unwrap_or(p));
            let src = if b.source == BurstSource::MiniApp { "MINI " } else { "" };
            format!("{src}429 burst ×{} {}", b.count, top.unwrap_or(""))
        }
        AlertKind::Flood(f) => {
            let arrow = if f.direction == Direction::Outbound { "→" } else { "←" };
            format!("flood {arrow} {} ×{}", f.user_id, f.count)
        }
        AlertKind::Unreplied(n) => format!("{} webhook events never replied", crate::escape::thousands(*n)),
        AlertKind::UnknownReplies(n) => format!("{} replies to unknown reply tokens", crate::escape::thousands(*n)),
        AlertKind::Finding(f) => format!("{}: {}", f.rule, f.message),
    }
}
