//! The incident screen: terminal set-up and the event loop. The only module
//! that knows about the terminal (ratatui, crossterm).
//!
//! ```text
//! input thread   crossterm::event::read ─────────────┐
//! loader         reader + parse workers ─ blocks ────┤
//! signals        SIGTERM/SIGINT/SIGHUP ──────────────┤  main thread: select!, drain
//! ticker         250 ms (100 ms while reading) ──────┘  everything queued, apply
//!                                                        blocks, analyse a slice
//!                                                        if no key waits, draw once
//! ```
//! The main thread owns the store, the analysis and the view state; nothing
//! else touches them. It draws only when something changed, at most every
//! 16 ms, and sleeps in `select!` otherwise (no busy loop: it only polls
//! while analysis is left to do, one slice of about 8 ms per turn).

pub mod action;
pub mod app;
pub mod filter;
pub mod jobs;
pub mod view;

use std::time::{Duration, Instant};

use anyhow::Result;
use crossbeam_channel::{Receiver, never, select, tick, unbounded};
use crossterm::event::{self, Event, KeyEventKind};

use crate::analysis::Analyzer;
use crate::ingest::Loader;
use crate::settings::Settings;
use crate::source::SourceSpec;

use action::Keymap;
use app::App;

/// DECSET 1007: in the alternate screen the wheel scrolls by sending arrow keys.
const ALTERNATE_SCROLL_ON: &[u8] = b"\x1b[?1007h";
const ALTERNATE_SCROLL_OFF: &[u8] = b"\x1b[?1007l";

/// Blocks applied between updates of the timeline, strip and alerts while
/// reading (each update costs about the same whatever the number of blocks).
const BLOCKS_PER_STEP: usize = 16;

/// Blocks held at most while a job shares the store.
const HELD_MAX: usize = 64;

/// How long a slice of analysis may keep a key waiting.
const SLICE: Duration = Duration::from_millis(8);

fn input_thread() -> Receiver<Event> {
    let (tx, rx) = unbounded();
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if tx.send(ev).is_err() {
                break;
            }
        }
    });
    rx
}

/// Everything the loop waits on besides the loader.
struct Feeds {
    inputs: Receiver<Event>,
    signals: Receiver<()>,
    /// File-system events: wake-ups for the follower.
    wake: Receiver<()>,
    /// The paths followed once the initial read is done.
    roots: Vec<std::path::PathBuf>,
}

/// Following the sources after the initial read: the follower and which
/// store source each of its keys is.
struct Following {
    follower: crate::source::follow::Follower,
    sources: std::collections::HashMap<u64, u32>,
}

impl Following {
    /// Adopt every file source at the offset already read.
    fn start(app: &App, roots: &[std::path::PathBuf]) -> Following {
        let mut known = Vec::new();
        let mut sources = std::collections::HashMap::new();
        for (i, s) in app.store.sources.iter().enumerate() {
            let Some(path) = &s.path else { continue };
            // The next line number, as counted while reading (not by
            // reading the last block again: for an archive, that meant
            // decompressing it all, half a second with the screen stopped).
            let next_line = s.next_line.max(1);
            known.push((path.clone(), i as u64, s.bytes, next_line));
            sources.insert(i as u64, i as u32);
        }
        let mut follower = crate::source::follow::Follower::new(roots.to_vec(), true);
        follower.adopt(&known);
        Following { follower, sources }
    }

    /// Apply what changed on disk: (records were added, anything changed).
    /// Nothing is read while a background audit holds the store (the next
    /// poll picks it up).
    fn poll(&mut self, app: &mut App) -> (bool, bool) {
        use crate::source::follow::Change;
        if app.store_mut().is_none() {
            return (false, false);
        }
        let mut added = false;
        let changes = self.follower.poll();
        let changed = !changes.is_empty();
        for c in changes {
            match c {
                Change::NewSource { key, path, compressed } => {
                    let Some(store) = app.store_mut() else { continue };
                    let idx = store.sources.len() as u32;
                    store.sources.push(crate::store::Source {
                        display: path.display().to_string(),
                        path: Some(path),
                        compressed,
                        ..Default::default()
                    });
                    self.sources.insert(key, idx);
                }
                Change::Renamed { key, path } => {
                    let Some(store) = app.store_mut() else { continue };
                    if let Some(s) = self.sources.get(&key).and_then(|&i| store.sources.get_mut(i as usize)) {
                        s.display = path.display().to_string();
                        s.path = Some(path);
                    }
                }
                Change::Lines { key, offset, first_line, data } => {
                    let Some(&src) = self.sources.get(&key) else { continue };
                    let block = crate::source::Block { offset, first_line, data };
                    let Some(store) = app.store_mut() else { continue };
                    let opts = crate::ingest::ParseOptions { secrets: store.secrets.clone(), ..Default::default() };
                    let pb = crate::ingest::ParsedBlock::parse(src, block, &opts);
                    crate::ingest::commit(store, pb, crate::ingest::Window::default());
                    added = true;
                }
                Change::Gone { key } => {
                    let Some(store) = app.store_mut() else { continue };
                    if let Some(s) = self.sources.get(&key).and_then(|&i| store.sources.get_mut(i as usize)) {
                        s.gone = true;
                    }
                }
                Change::Truncated { .. } => {}
                Change::Unreadable { path, reason } => {
                    app.message = Some(format!("warning: {}: {reason}", path.display()));
                }
                Change::OutOfDescriptors { not_followed, limit } => {
                    app.message = Some(format!(
                        "warning: out of file descriptors (limit {limit}): {not_followed} files not followed for now"
                    ));
                }
            }
        }
        (added, changed)
    }
}

/// Apply one terminal event.
pub fn on_event(app: &mut App, ev: Event) -> bool {
    match ev {
        Event::Key(k) if k.kind == KeyEventKind::Press => {
            let ctrl_c = k.modifiers.contains(crossterm::event::KeyModifiers::CONTROL)
                && k.code == crossterm::event::KeyCode::Char('c');
            if app.input.is_some() && !ctrl_c {
                app.on_input_key(k);
            } else if let Some(a) = app.keymap.resolve(k) {
                app.on_action(a);
            }
            true
        }
        Event::Resize(w, h) => {
            app.wide = view::is_wide(w, h);
            true
        }
        _ => false,
    }
}

/// Blocks applied between two returns of the allocator's free memory to
/// the system while the screen reads. The parse workers' arenas keep what
/// the blocks they parsed held once applied, and the screen's peak came at
/// the end of the read: 233-254 MB in nine runs on the 330-hour bench set
/// with the read's room ([`crate::ingest::LoadOptions::room`]), 236-241
/// in eight with a return every 256 blocks (128 MiB read), at no cost to
/// the read's time.
const TRIM_EVERY: u64 = 256;

/// Commit the blocks held, in order, while no job shares the store; the
/// number committed that the analysis has yet to see.
fn commit_held(
    app: &mut App,
    loader: &mut Loader,
    held: &mut std::collections::VecDeque<crate::ingest::Loaded>,
    warn: &mut dyn FnMut(String),
) -> usize {
    let mut added = 0;
    while let Some(store) = app.store_mut() {
        let Some(l) = held.pop_front() else { break };
        let block = loader.apply(store, l, warn);
        added += usize::from(block);
        if block && loader.applied.is_multiple_of(TRIM_EVERY) {
            crate::memory::release_free_memory();
        }
    }
    added
}

/// After blocks were committed: the first blocks show at once; later ones
/// in steps of [`BLOCKS_PER_STEP`], analysed in slices between keys.
/// Whether the screen changed.
fn step(app: &mut App, unanalysed: &mut usize) -> bool {
    if app.store.len() < FIRST_RECORDS {
        app.on_ingested();
        *unanalysed = 0;
        true
    } else {
        if *unanalysed >= BLOCKS_PER_STEP {
            app.mark_ingested();
            *unanalysed = 0;
        }
        false
    }
}

/// Run the screen until the user quits. Sources are read in the background,
/// newest files first.
pub fn run(mut specs: Vec<SourceSpec>, settings: Settings, keymap: Keymap, title: String) -> Result<()> {
    // Newest data first: the files written last are read first.
    specs.sort_by_key(|s| match &s.origin {
        crate::source::Origin::File(p) => std::cmp::Reverse(std::fs::metadata(p).and_then(|m| m.modified()).ok()),
        crate::source::Origin::Stdin => std::cmp::Reverse(None),
    });
    let mut store = settings.store(crate::store::StoreUse::Screen);
    let mut warnings: Vec<String> = Vec::new();
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let opts = crate::ingest::LoadOptions::screen(threads);
    let mut loader = Loader::start(&mut store, specs, settings.window, opts, &mut |w| warnings.push(w));
    let mut app = App::new(store, Analyzer::new(settings.thresholds), keymap, title).in_background();
    // Never timed on the screen: standard error is the terminal.
    app.audit = crate::audit::Audit { timing: false, ..settings.audit };
    app.mask = settings.mask;
    app.progress = Some((0, loader.bytes_total));
    app.reading = true;

    // ratatui::init installs a panic hook that restores the terminal. Only
    // a panic of the screen's own thread ends the screen: one on a job's
    // thread (or an audit rule's) is caught there and said on the message
    // line, and the screen goes on.
    let mut terminal = ratatui::init();
    let ui = std::thread::current().id();
    let restore_and_report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui {
            restore_and_report(info);
        }
    }));
    if let Ok((w, h)) = crossterm::terminal::size() {
        app.wide = view::is_wide(w, h);
    }
    // The mouse is not captured, so text (a request ID) can be selected and
    // copied as usual; alternate-scroll mode makes the wheel send ↑/↓.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), ALTERNATE_SCROLL_ON);
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let roots: Vec<std::path::PathBuf> = settings.paths.into_iter().filter(|p| p.as_os_str() != "-").collect();
    let watch = crate::source::follow::watch(&roots, true);
    if !watch.all_watched {
        warnings.push("cannot watch the files for changes (out of watches?); re-checking every 250 ms".into());
    }
    let feeds = Feeds {
        inputs: input_thread(),
        signals: crate::signals::channel(&[
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGHUP,
        ]),
        wake: watch.wake.clone(),
        roots,
    };
    let result = event_loop(&mut terminal, &mut app, &mut loader, &feeds, &mut warnings);
    let _ = std::io::Write::write_all(&mut std::io::stdout(), ALTERNATE_SCROLL_OFF);
    ratatui::restore();
    // What the screen held, once the terminal is back.
    if std::env::var_os("LINELENS_MEMORY").is_some() {
        for (what, bytes) in app.memory_breakdown() {
            eprintln!("memory {what:<16} {:>8.1} MB", bytes as f64 / 1e6);
        }
        for l in crate::store::process_status(&["VmHWM", "VmRSS"]) {
            eprintln!("memory {l}");
        }
    }
    result
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    loader: &mut Loader,
    feeds: &Feeds,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let (inputs, signals) = (&feeds.inputs, &feeds.signals);
    let mut following: Option<Following> = None;
    let wake = &feeds.wake;
    let slow = tick(Duration::from_millis(250));
    let fast = tick(Duration::from_millis(100));
    let mut dirty = true;
    let mut unanalysed = 0usize;
    let mut last_audit = Instant::now();
    // Every file is read: the audit starts once the analysis catches up.
    let mut audit_when_analysed = false;
    let mut last_draw = Instant::now().checked_sub(Duration::from_secs(1)).unwrap_or_else(Instant::now);
    // A key changed the screen: it is drawn at once, not held back by the
    // frame-rate cap that paces what the reading changes.
    let mut key_shown = true;
    // Blocks read while a job shared the store, in order, to commit.
    let mut held = std::collections::VecDeque::new();
    // The loader's channel closed: every block is read.
    let mut read_all = false;
    loop {
        if !held.is_empty() && !app.store_shared() {
            let mut warn = |w: String| warnings.push(w);
            unanalysed += commit_held(app, loader, &mut held, &mut warn);
            dirty |= step(app, &mut unanalysed);
        }
        if read_all && held.is_empty() && !app.store_shared() {
            read_all = false;
            loader.finish();
            app.reading = false;
            app.mark_ingested();
            audit_when_analysed = true;
            unanalysed = 0;
            dirty = true;
            // From here on, new lines come from following the files.
            following = Some(Following::start(app, &feeds.roots));
        }
        // (The first records are drawn at the full rate: they are the
        // first rows on screen.)
        let frame = if app.reading && app.store.len() >= FIRST_RECORDS { READING_FRAME } else { FRAME };
        if dirty && (!key_shown || last_draw.elapsed() >= frame) {
            terminal.draw(|f| view::draw(f, app))?;
            last_draw = Instant::now();
            dirty = false;
            key_shown = true;
            // Debug builds only: lets the end-to-end tests check that a panic
            // restores the terminal.
            #[cfg(debug_assertions)]
            #[allow(clippy::panic)]
            if std::env::var_os("LINELENS_TEST_PANIC").is_some() {
                panic!("test panic after the first frame");
            }
        }
        let loading = !loader.is_done();
        let auditing = app.auditing();
        // While a job reads the store (the audit, a detail), blocks read
        // meanwhile wait in `held` (the parse workers go on), at most a
        // channel's worth; then in their channel.
        let blocks = if loading && !read_all && (held.len() < HELD_MAX || !app.store_shared()) {
            loader.receiver().clone()
        } else {
            never()
        };
        let done = app.jobs.done.clone();
        let ticker = if loading { &fast } else { &slow };
        // With analysis left to do, the loop only looks for what is ready.
        let idle = if app.ingest_pending() { Duration::ZERO } else { Duration::from_secs(3600) };
        let mut warn = |w: String| warnings.push(w);
        select! {
            recv(inputs) -> ev => match ev {
                Ok(ev) => {
                    let changed = on_event(app, ev);
                    dirty |= changed;
                    key_shown &= !changed;
                }
                Err(_) => app.quit = true,
            },
            recv(signals) -> _ => app.quit = true,
            recv(done) -> d => {
                if let Ok(d) = d {
                    dirty |= app.on_done(d);
                }
                if unanalysed > 0 && !app.store_shared() {
                    app.mark_ingested();
                    unanalysed = 0;
                }
            },
            recv(blocks) -> msg => match msg {
                Ok((seq, out)) => {
                    held.extend(loader.accept(seq, out));
                    unanalysed += commit_held(app, loader, &mut held, &mut warn);
                    dirty |= step(app, &mut unanalysed);
                }
                // Every block is read (those held are committed first).
                // The reading threads have ended: what their arenas keep
                // free goes back to the system before the last timeline
                // build and the audit raise the peak (7-16 MiB on the
                // 330-hour bench set).
                Err(_) => {
                    read_all = true;
                    crate::memory::release_free_memory();
                }
            },
            recv(wake) -> _ => {
                while wake.try_recv().is_ok() {}
                if let Some(f) = following.as_mut() {
                    let (added, changed) = f.poll(app);
                    if added {
                        app.on_ingested();
                    }
                    dirty |= changed;
                }
            },
            recv(ticker) -> _ => {
                // Events get lost: re-check every file on the timer as well.
                if let Some(f) = following.as_mut() {
                    let (added, changed) = f.poll(app);
                    if added {
                        app.on_ingested();
                    }
                    dirty |= changed;
                }
                if unanalysed > 0 || app.timeline_waited_out() || app.findings_overdue() {
                    app.mark_ingested();
                    unanalysed = 0;
                }
                // The audit reads every record: while following, at most
                // every AUDIT_EVERY.
                if !loading && !auditing && !audit_when_analysed && app.audit_stale && last_audit.elapsed() >= AUDIT_EVERY {
                    app.ask_audit();
                    last_audit = Instant::now();
                }
                if loading {
                    let done = loader.bytes_read.load(std::sync::atomic::Ordering::Relaxed);
                    app.progress = Some((done, loader.bytes_total));
                    dirty = true;
                }
            },
            default(idle) => {},
        }
        // Drain every queued key before drawing: held keys never lag.
        while let Ok(ev) = inputs.try_recv() {
            let changed = on_event(app, ev);
            dirty |= changed;
            key_shown &= !changed;
        }
        // A slice of analysis, unless a key waits or waits to be drawn (a
        // slice takes at most about SLICE; the frame after it shows the key).
        if inputs.is_empty() && key_shown && app.ingest_pending() {
            dirty |= app.ingest_slice(Some(SLICE)).unwrap_or(false);
        }
        if audit_when_analysed && !app.auditing() && !app.store_shared() && !app.ingest_pending() {
            audit_when_analysed = false;
            app.progress = None;
            app.ask_audit();
            last_audit = Instant::now();
            dirty = true;
        }
        // What the screen shows and is not loaded: the filter's slices, the
        // selection's detail, the rows' text.
        app.ask_jobs();
        if let Some(w) = warnings.pop() {
            app.message = Some(format!("warning: {w}"));
            dirty = true;
        }
        if app.quit {
            return Ok(());
        }
    }
}

/// Up to this many records, what is read is analysed and shown at once,
/// each frame drawn at the full rate; past it, in steps of
/// [`BLOCKS_PER_STEP`] blocks and at most a frame every [`READING_FRAME`].
const FIRST_RECORDS: usize = 100_000;

/// The shortest time between two frames that show what was read or
/// followed (a key is drawn at once).
const FRAME: Duration = Duration::from_millis(16);
/// The same while files are read: the rows and the bar change at every
/// slice, and each frame is drawn by the screen's thread and parsed by the
/// terminal on the cores the reading uses.
const READING_FRAME: Duration = Duration::from_millis(40);

/// How often the audit may run again while following.
const AUDIT_EVERY: Duration = Duration::from_secs(2);

#[cfg(test)]
mod tests;
