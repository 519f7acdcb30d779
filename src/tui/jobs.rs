//! Work the screen does off its drawing thread, as one kind of job: a
//! [`Worker`] takes requests and answers them in order, and a newer request
//! makes the older ones it has not started worthless (latest request wins).
//! The filter, the detail of the selection, the text of the visible rows and
//! the guideline audit are each one worker.
//!
//! ```text
//! App::ask_jobs ── (generation, request) ─▶ worker thread ── Done ─▶ event loop
//!                                                                    └▶ App::on_done
//! ```
//! A request carries the generation it was asked in; the worker skips those
//! older than the newest waiting, and the app drops answers older than the
//! newest it asked (`Worker::is_current`). In tests a worker runs each
//! request at once, on the caller's thread ([`Worker::inline`]), so what a
//! frame shows can be settled before it is drawn.

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, unbounded};

use crate::model::{Kind, RecordId};
use crate::record_view::{RecordView, ViewOptions};
use crate::store::Store;

use super::filter;

/// An answer, with the generation of the request it answers.
pub enum Done {
    /// Matches of a slice of the timeline.
    Matched(u64, Vec<RecordId>),
    /// The selection's detail.
    Detail(u64, Box<Detail>),
    /// The text of rows around the selection.
    Rows(u64, Vec<(RecordId, String)>),
    /// The guideline audit's findings.
    Audit(u64, Result<Vec<crate::audit::Finding>, crate::audit::RuleFailed>),
    /// A job panicked (a bug): what it said, for the message line.
    Failed(String),
}

/// What the detail pane shows, loaded.
#[derive(Debug, Clone, Default)]
pub struct Detail {
    /// The selected record and its view.
    pub record: Option<(RecordId, RecordView)>,
    /// `file:line` of the records a selected finding names.
    pub places: Vec<(RecordId, String)>,
}

/// How a worker runs its requests.
enum Mode<Req> {
    Thread(Sender<(u64, Req)>),
    Inline(fn(u64, Req) -> Done, Sender<Done>),
}

/// One kind of background job (see the module's text).
pub struct Worker<Req> {
    mode: Mode<Req>,
    generation: u64,
    /// Requests asked and not answered yet (as the app counts them).
    outstanding: usize,
}

impl<Req: Send + 'static> Worker<Req> {
    /// A worker on a thread of its own, answering into `done`.
    pub fn spawn(name: &str, work: fn(u64, Req) -> Done, done: Sender<Done>) -> Worker<Req> {
        let (tx, rx) = unbounded::<(u64, Req)>();
        let answers = done.clone();
        let spawned = std::thread::Builder::new().name(name.to_owned()).spawn(move || {
            let done = answers;
            let mut newest = 0u64;
            while let Ok(first) = rx.recv() {
                let mut queue = vec![first];
                queue.extend(rx.try_iter());
                newest = queue.iter().map(|j| j.0).fold(newest, u64::max);
                for (generation, req) in queue {
                    if generation < newest {
                        continue;
                    }
                    if done.send(run(work, generation, req)).is_err() {
                        return;
                    }
                }
            }
        });
        match spawned {
            Ok(_) => Worker { mode: Mode::Thread(tx), generation: 0, outstanding: 0 },
            // No thread to be had: do the work in the caller's turn instead.
            Err(_) => Worker::inline(work, done),
        }
    }

    /// A worker that does each request at once, on the caller's thread.
    pub fn inline(work: fn(u64, Req) -> Done, done: Sender<Done>) -> Worker<Req> {
        Worker { mode: Mode::Inline(work, done), generation: 0, outstanding: 0 }
    }

    /// Ask for `req`; whatever was asked before is outdated.
    pub fn ask(&mut self, req: Req) -> u64 {
        self.renew();
        self.ask_more(req);
        self.generation
    }

    /// Outdate whatever was asked before (a request in parts follows:
    /// [`Worker::ask_more`]); the new generation.
    pub fn renew(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// Ask for one more part of the current request (a slice of a filter).
    pub fn ask_more(&mut self, req: Req) {
        self.outstanding += 1;
        match &self.mode {
            Mode::Thread(tx) => {
                let _ = tx.send((self.generation, req));
            }
            Mode::Inline(work, done) => {
                let _ = done.send(run(*work, self.generation, req));
            }
        }
    }

    /// One of its answers arrived (whichever generation).
    pub fn answered(&mut self) {
        self.outstanding = self.outstanding.saturating_sub(1);
    }

    /// Whether an answer is still to come. A caller that asks only when
    /// it is not keeps at most one request out: a job that shares the
    /// store then holds it for one request's time, not a queue's.
    pub fn busy(&self) -> bool {
        self.outstanding > 0
    }

    /// Forget what is outstanding (a job failed: its answer never comes).
    pub fn forget(&mut self) {
        self.outstanding = 0;
    }

    /// Whether an answer of `generation` answers the newest request.
    pub fn is_current(&self, generation: u64) -> bool {
        generation == self.generation
    }
}

/// Do one job; a panic (a bug) is answered as [`Done::Failed`].
fn run<Req>(work: fn(u64, Req) -> Done, generation: u64, req: Req) -> Done {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(generation, req))) {
        Ok(done) => done,
        Err(e) => {
            let what = e
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| e.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Done::Failed(format!("a background job failed ({what}); this is a bug in linelens"))
        }
    }
}

/// The answers of every worker, in one channel for the event loop.
pub fn channel() -> (Sender<Done>, Receiver<Done>) {
    unbounded()
}

/// The detail pane's reads: a record's view, the places of records.
pub struct DetailJob {
    pub store: Arc<Store>,
    pub record: Option<RecordId>,
    pub places: Vec<RecordId>,
    pub opts: ViewOptions,
}

/// Rows whose text the timeline shows: read their lines.
pub struct RowsJob {
    pub store: Arc<Store>,
    pub ids: Vec<RecordId>,
}

/// The guideline audit over the store as it is.
pub struct AuditJob {
    pub store: Arc<Store>,
    pub found: crate::analysis::Findings,
    pub audit: crate::audit::Audit,
}

/// Every worker the screen has, and the channel they answer in.
pub struct Jobs {
    pub done: Receiver<Done>,
    pub filter: Worker<filter::Job>,
    pub detail: Worker<DetailJob>,
    pub rows: Worker<RowsJob>,
    pub audit: Worker<AuditJob>,
}

impl Jobs {
    /// Workers on threads of their own (`background`), else doing each
    /// request at once (tests: a frame's state is settled before drawing).
    pub fn new(background: bool) -> Jobs {
        let (tx, done) = channel();
        fn make<R: Send + 'static>(bg: bool, name: &str, work: fn(u64, R) -> Done, tx: &Sender<Done>) -> Worker<R> {
            if bg { Worker::spawn(name, work, tx.clone()) } else { Worker::inline(work, tx.clone()) }
        }
        Jobs {
            filter: make(background, "filter", match_slice, &tx),
            detail: make(background, "detail", load_detail, &tx),
            rows: make(background, "rows", load_rows, &tx),
            audit: make(background, "audit", run_audit, &tx),
            done,
        }
    }
}

impl Jobs {
    /// A job failed (a bug): no answer is outstanding any more.
    pub fn forget_all(&mut self) {
        self.filter.forget();
        self.detail.forget();
        self.rows.forget();
        self.audit.forget();
    }
}

fn match_slice(generation: u64, job: filter::Job) -> Done {
    let m = fuzzy_matcher::skim::SkimMatcherV2::default();
    Done::Matched(generation, filter::match_rows(&job.query, &job.rows, &m))
}

/// Cost: the record's entry and its links' lines read (see
/// [`RecordView::load`]); a line count per place.
fn load_detail(generation: u64, job: DetailJob) -> Done {
    // Debug builds only: lets the end-to-end tests check that a job's
    // panic leaves the screen up.
    #[cfg(debug_assertions)]
    #[allow(clippy::panic)]
    if std::env::var_os("LINELENS_TEST_JOB_PANIC").is_some() {
        panic!("test panic in a job");
    }
    let store = &job.store;
    let record = job.record.and_then(|id| Some((id, RecordView::load(store, id, &job.opts)?)));
    let places = job.places.iter().filter_map(|&id| Some((id, place(store, id)?))).collect();
    Done::Detail(generation, Box::new(Detail { record, places }))
}

/// `file:line` of a record.
pub fn place(store: &Store, id: RecordId) -> Option<String> {
    let r = store.get(id)?;
    let src = store.sources.get(r.source() as usize)?;
    let line = store.line_of(r).map_or_else(|_| "?".to_owned(), |l| l.to_string());
    Some(format!("{}:{line}", src.display))
}

/// Cost: one line read per row.
fn load_rows(generation: u64, job: RowsJob) -> Done {
    // Every row asked is answered (empty when it is gone), so it is not asked again.
    let rows = job.ids.iter().map(|&id| (id, row_text(&job.store, id).unwrap_or_default())).collect();
    Done::Rows(generation, rows)
}

/// What a timeline row shows of its line: a request's ID (`-` when it
/// logged none), a log entry's message, an unparsed line itself.
pub fn row_text(store: &Store, id: RecordId) -> Option<String> {
    use crate::parse::{Parsed, parse_line};
    let rec = store.get(id)?;
    let text = store.line_text(rec).unwrap_or_default();
    Some(match rec.kind() {
        Kind::Unparsed => text,
        Kind::Log => {
            let first = text.lines().next().unwrap_or("");
            match parse_line(first) {
                Parsed::Record(l) => l.fields.message.map_or_else(|| first.to_owned(), |m| m.into_owned()),
                _ => first.to_owned(),
            }
        }
        _ => match parse_line(&text) {
            Parsed::Record(l) => l.fields.request_id.map_or_else(|| "-".to_owned(), |c| c.into_owned()),
            _ => "-".to_owned(),
        },
    })
}

fn run_audit(generation: u64, job: AuditJob) -> Done {
    let findings = job.audit.run(&job.store, &job.found);
    drop(job.store);
    Done::Audit(generation, findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo(g: u64, n: u32) -> Done {
        Done::Rows(g, vec![(n, n.to_string())])
    }

    #[test]
    fn the_newest_request_wins() {
        let (tx, rx) = channel();
        let mut w = Worker::inline(echo, tx);
        let first = w.ask(1);
        let second = w.ask(2);
        assert!(!w.is_current(first) && w.is_current(second));
        let got: Vec<u64> = rx.try_iter().map(|d| if let Done::Rows(g, _) = d { g } else { 0 }).collect();
        assert_eq!(got, [first, second]);
    }

    #[test]
    fn a_thread_skips_requests_a_newer_one_outdated_and_survives_a_panic() {
        fn slow(g: u64, n: u32) -> Done {
            if n == 0 {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            if n == 7 {
                #[allow(clippy::panic)]
                {
                    panic!("seven");
                }
            }
            Done::Rows(g, vec![(n, String::new())])
        }
        let (tx, rx) = channel();
        let mut w = Worker::spawn("test", slow, tx);
        w.ask(0); // busy while the next three queue
        w.ask(1);
        w.ask(2);
        let last = w.ask(3);
        // 0 may have started before the others queued, or been outdated
        // with them; 1 and 2 were outdated before they could start.
        let mut answered = Vec::new();
        while let Ok(Done::Rows(g, rows)) = rx.recv_timeout(std::time::Duration::from_secs(5)) {
            answered.push(rows.first().map_or(99, |r| r.0));
            if g == last {
                break;
            }
        }
        assert!(answered == [0, 3] || answered == [3], "{answered:?}");
        w.ask(7);
        assert!(
            matches!(rx.recv_timeout(std::time::Duration::from_secs(5)), Ok(Done::Failed(m)) if m.contains("seven"))
        );
        let after = w.ask(8);
        assert!(matches!(rx.recv_timeout(std::time::Duration::from_secs(5)), Ok(Done::Rows(g, _)) if g == after));
    }
}
