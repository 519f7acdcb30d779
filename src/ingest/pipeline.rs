//! The reader thread, the parse workers and the loader whose results the
//! owner of the store applies in order.

use std::collections::BTreeMap;

use crossbeam_channel::{Receiver, Sender, bounded};

use super::*;
use crate::signature::Secrets;
use crate::source::{self, Block, BlockReader, Origin, SourceSpec};
use crate::store::Store;

/// What the reader learned about a source.
#[derive(Debug)]
pub enum SourceInfo {
    Compressed(crate::source::Codec),
    Skipped(String),
    Error(String),
    /// Read to its end, unchanged meanwhile: line numbers can be found by
    /// reading it again, so the ones kept while reading are dropped.
    Done,
    /// Read in part or while it changed: what was read is kept, and so are
    /// the line numbers as read.
    Partial(String),
}

pub enum Out {
    Block(Box<ParsedBlock>),
    Info(u32, SourceInfo),
}

struct Job {
    seq: u64,
    source: u32,
    /// The secrets are the worker's to add.
    opts: ParseOptions,
    /// The file's last modification: the year of year-less times.
    modified: Option<crate::time::Millis>,
    block: Block,
}

/// How many committed blocks between calls of the `committed` callback.
pub const CALLBACK_EVERY: u64 = 16;

/// Read every source into `store` (sources are appended to `store.sources`
/// in the order given). Problems with single sources are recorded on the
/// source and passed to `warn`; they never stop the rest.
pub fn load(store: &mut Store, specs: &[SourceSpec], window: Window, threads: usize, warn: &mut dyn FnMut(String)) {
    load_with(store, specs, window, threads, warn, &mut |_| {});
}

/// [`load`], calling `committed` every few blocks and at the end, on the
/// caller's thread, so incremental analysis runs while workers parse.
pub fn load_with(
    store: &mut Store,
    specs: &[SourceSpec],
    window: Window,
    threads: usize,
    warn: &mut dyn FnMut(String),
    committed: &mut dyn FnMut(&mut Store),
) {
    load_with_progress(store, specs, window, threads, warn, committed, &mut |_, _| {});
}

/// [`load_with`], telling `progress` the bytes read so far and in all
/// (compressed bytes for compressed files) after each block.
pub fn load_with_progress(
    store: &mut Store,
    specs: &[SourceSpec],
    window: Window,
    threads: usize,
    warn: &mut dyn FnMut(String),
    committed: &mut dyn FnMut(&mut Store),
    progress: &mut dyn FnMut(u64, u64),
) {
    let mut loader = Loader::start(store, specs.to_vec(), window, LoadOptions::headless(threads), warn);
    let (mut commit_time, mut callback_time) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    while let Some(out) = loader.next_blocking() {
        progress(loader.bytes_read.load(std::sync::atomic::Ordering::Relaxed), loader.bytes_total);
        let t0 = std::time::Instant::now();
        if loader.apply(store, out, warn) {
            let t1 = std::time::Instant::now();
            if loader.applied.is_multiple_of(CALLBACK_EVERY) {
                committed(store);
            }
            commit_time += t1 - t0;
            callback_time += t1.elapsed();
        }
    }
    if std::env::var_os("LINELENS_MEMORY").is_some() {
        eprintln!("timing commit {:.2} s, analysis {:.2} s", commit_time.as_secs_f64(), callback_time.as_secs_f64());
    }
    committed(store);
}

/// Lower the calling thread's scheduling priority (nice 10). On Linux a
/// nice value is a thread's own, so this leaves the other threads as they
/// are; elsewhere nothing is changed. A failure changes nothing either.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::process::setpriority_process(None, 10);
    }
}

/// A background read of some sources: a reader thread and parse workers,
/// whose results the owner of the store applies in order, all at once
/// ([`load_with`]) or a few at a time between frames (the screen).
pub struct Loader {
    rx: Receiver<(u64, Out)>,
    /// A block applied gives its place back to the reader (see [`WINDOW`]).
    credits: Sender<()>,
    pending: BTreeMap<u64, Out>,
    next: u64,
    window: Window,
    /// Blocks applied so far.
    pub applied: u64,
    /// Bytes of the sources read so far (compressed bytes for gzip).
    pub bytes_read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Total size of the sources on disk, as far as known at the start.
    pub bytes_total: u64,
    done: bool,
}

/// How a [`Loader`] reads.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Parse workers.
    pub threads: usize,
    /// The reading threads run at a lower priority (the screen: the thread
    /// that answers keys comes first).
    pub background: bool,
    /// Blocks read and not yet applied, at most ([`LoadOptions::room`]).
    pub ahead: usize,
}

impl LoadOptions {
    /// The screen's read: at a lower priority, with [`LoadOptions::room`].
    pub fn screen(threads: usize) -> LoadOptions {
        LoadOptions { threads, background: true, ahead: Self::room(threads) }
    }

    /// A headless read ([`load_with_progress`]), with [`LoadOptions::room`].
    pub fn headless(threads: usize) -> LoadOptions {
        LoadOptions { threads, background: false, ahead: Self::room(threads) }
    }

    /// Blocks read ahead for `threads` workers: the window, and room for
    /// the workers to go on parsing while the owner of the store analyses
    /// (a headless read every [`CALLBACK_EVERY`] blocks applied, the screen
    /// between frames) and applies no block. With the window alone (8
    /// blocks for two workers, fewer than the 16 a headless analysis takes
    /// in at once) the workers ran out of blocks at each analysis: `report`
    /// on the 330-hour bench set took 2.95 s on average against 2.75 with
    /// this room (six alternating runs of each), with the same peak (the
    /// audit's). The screen, which read every file after 1.29-1.50×
    /// `report` with the window alone, read them after 1.20-1.34× with it
    /// (eight runs); its peak stays in bound because it gives the parse
    /// workers' free memory back as it reads (see [`crate::memory`]).
    pub fn room(threads: usize) -> usize {
        WINDOW * threads.max(1) + CALLBACK_EVERY as usize
    }
}

/// One result of a [`Loader`], in source order.
pub struct Loaded(Out);

impl Loader {
    /// Register `specs` as sources of `store` and start reading them.
    pub fn start(
        store: &mut Store,
        specs: Vec<SourceSpec>,
        window: Window,
        opts: LoadOptions,
        warn: &mut dyn FnMut(String),
    ) -> Loader {
        let LoadOptions { threads, background, ahead } = opts;
        let base = store.sources.len() as u32;
        let mut bytes_total = 0;
        for spec in &specs {
            store.sources.push(crate::store::Source {
                display: spec.display.clone(),
                path: match &spec.origin {
                    Origin::File(p) => Some(p.clone()),
                    Origin::Stdin => None,
                },
                error: spec.error.clone(),
                skipped: spec.skipped.clone(),
                ..Default::default()
            });
            if let Some(e) = &spec.error {
                warn(format!("{}: {e}", spec.display));
            }
            if let Origin::File(p) = &spec.origin {
                bytes_total += std::fs::metadata(p).map_or(0, |m| m.len());
            }
        }
        let threads = threads.max(1);
        let (job_tx, job_rx) = bounded::<Job>(threads);
        let room = ahead.max(1);
        // Room for every block read ahead (the credits bound them) and the
        // reader's news of its sources between them: a worker with a block
        // done waits for nothing but a credit.
        let (out_tx, out_rx) = bounded::<(u64, Out)>(room + threads * 8);
        let bytes_read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = bytes_read.clone();
        let reader_out = out_tx.clone();
        let keep = Keep { ids: store.keep_archive_ids, lines: store.keep_archive_lines };
        // Parsed blocks' buffers go back to the reader (a few: the rest are freed).
        let (spare_tx, spare_rx) = bounded::<Vec<u8>>(threads + 2);
        let (credits, credit_rx) = bounded::<()>(room);
        for _ in 0..room {
            let _ = credits.try_send(());
        }
        std::thread::spawn(move || {
            if background {
                lower_priority();
            }
            let chans = Chans { jobs: &job_tx, out: &reader_out, spare: &spare_rx, credits: &credit_rx };
            read_all(&specs, base, &chans, &counter, keep);
        });
        for _ in 0..threads {
            let rx = job_rx.clone();
            let tx = out_tx.clone();
            let spare = spare_tx.clone();
            let secrets = store.secrets.clone();
            std::thread::spawn(move || {
                if background {
                    lower_priority();
                }
                parse_worker(&rx, &tx, &spare, secrets.as_ref());
            });
        }
        Loader {
            rx: out_rx,
            credits,
            pending: BTreeMap::new(),
            next: 0,
            window,
            applied: 0,
            bytes_read,
            bytes_total,
            done: false,
        }
    }

    /// Whether every source has been read and applied.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The receiver to wait on in a `select!` (results may arrive out of order).
    pub fn receiver(&self) -> &Receiver<(u64, Out)> {
        &self.rx
    }

    /// Hand over a result received from [`Loader::receiver`]; returns the
    /// results now ready in order.
    pub fn accept(&mut self, seq: u64, out: Out) -> Vec<Loaded> {
        self.pending.insert(seq, out);
        self.ready()
    }

    fn ready(&mut self) -> Vec<Loaded> {
        let mut v = Vec::new();
        while let Some(out) = self.pending.remove(&self.next) {
            self.next += 1;
            v.push(Loaded(out));
        }
        v
    }

    /// Mark the end of input (the receiver disconnected).
    pub fn finish(&mut self) {
        self.done = true;
    }

    /// The next result in order, waiting for it; `None` when all are done.
    pub fn next_blocking(&mut self) -> Option<Loaded> {
        loop {
            if let Some(out) = self.pending.remove(&self.next) {
                self.next += 1;
                return Some(Loaded(out));
            }
            match self.rx.recv() {
                Ok((seq, out)) => {
                    self.pending.insert(seq, out);
                }
                Err(_) => {
                    self.done = true;
                    return None;
                }
            }
        }
    }

    /// Apply one result to the store; true when it was a block of records.
    pub fn apply(&mut self, store: &mut Store, loaded: Loaded, warn: &mut dyn FnMut(String)) -> bool {
        match loaded.0 {
            Out::Block(pb) => {
                // Never full: a credit comes back for each one taken.
                let _ = self.credits.try_send(());
                commit(store, *pb, self.window);
                self.applied += 1;
                true
            }
            Out::Info(src, info) => {
                let Some(s) = store.sources.get_mut(src as usize) else { return false };
                match info {
                    SourceInfo::Compressed(c) => {
                        s.compressed = true;
                        s.codec = Some(c);
                    }
                    SourceInfo::Skipped(why) => s.skipped = Some(why),
                    SourceInfo::Error(e) => {
                        warn(format!("{}: {e}", s.display));
                        s.error = Some(e);
                    }
                    // An archive's are kept when read for that.
                    SourceInfo::Done if !s.compressed => s.line_marks = Default::default(),
                    SourceInfo::Done => {}
                    SourceInfo::Partial(e) => {
                        warn(format!("{}: {e}", s.display));
                        s.error = Some(e);
                        s.partial = true;
                    }
                }
                false
            }
        }
    }
}

/// What is kept of compressed sources (see `Store::keep_archive_ids`,
/// `Store::keep_archive_lines`).
#[derive(Debug, Clone, Copy)]
struct Keep {
    ids: bool,
    lines: bool,
}

fn parse_worker(
    rx: &Receiver<Job>,
    tx: &Sender<(u64, Out)>,
    spare: &Sender<Vec<u8>>,
    secrets: Option<&std::sync::Arc<Secrets>>,
) {
    for job in rx {
        let (pb, data) = crate::time::with_reference(job.modified, || {
            ParsedBlock::parse_returning(job.source, job.block, &ParseOptions { secrets: secrets.cloned(), ..job.opts })
        });
        // Only block-sized buffers: one grown for a very long line (up to
        // `MAX_LINE`) is freed, not kept going round.
        if let Some(data) = data.filter(|d| (source::BLOCK..=2 * source::BLOCK).contains(&d.capacity())) {
            let _ = spare.try_send(data);
        }
        if tx.send((job.seq, Out::Block(Box::new(pb)))).is_err() {
            return;
        }
    }
}

/// Blocks read and not yet applied, per parse worker, before the room for
/// an analysis ([`LoadOptions::room`] adds it). Without a bound, a worker
/// left behind (the screen's run at a lower priority) held up every block
/// after its own in the loader's `pending` while the other went on: 25
/// blocks, 9 MB of parsed records, on the 330-hour bench set, and memory
/// the allocator kept after the read.
pub const WINDOW: usize = 4;

/// The reader's channels: jobs to the workers, what it learns to the
/// loader, spare buffers back from the workers, and the credits (one taken
/// for each block read, given back when it is applied).
struct Chans<'a> {
    jobs: &'a Sender<Job>,
    out: &'a Sender<(u64, Out)>,
    spare: &'a Receiver<Vec<u8>>,
    credits: &'a Receiver<()>,
}

fn read_all(
    specs: &[SourceSpec],
    base: u32,
    chans: &Chans<'_>,
    counter: &std::sync::Arc<std::sync::atomic::AtomicU64>,
    keep_compressed: Keep,
) {
    let Chans { jobs, out, spare, credits } = *chans;
    // A credit taken and not yet spent on a block.
    let mut credit = false;
    let mut seq = 0u64;
    let info = |seq: &mut u64, src: u32, i: SourceInfo| {
        let ok = out.send((*seq, Out::Info(src, i))).is_ok();
        *seq += 1;
        ok
    };
    for (i, spec) in specs.iter().enumerate() {
        let src = base + i as u32;
        if spec.error.is_some() || spec.skipped.is_some() {
            continue;
        }
        let opened = match source::open_counted(&spec.origin, counter.clone()) {
            Ok(o) => o,
            Err(e) => {
                info(&mut seq, src, SourceInfo::Error(source::io_reason(&e)));
                continue;
            }
        };
        if let Some(c) = opened.codec
            && !info(&mut seq, src, SourceInfo::Compressed(c))
        {
            return;
        }
        if let Some(why) = opened.skipped {
            info(&mut seq, src, SourceInfo::Skipped(format!("binary ({why})")));
            continue;
        }
        let keep = spec.origin == Origin::Stdin;
        let keep_ids = keep_compressed.ids && opened.compressed;
        // A plain file can change while it is read (it is live); a
        // compressed one is read again to count lines (unless its lines
        // are kept), standard input kept.
        let marks = opened.file.is_some() || (keep_compressed.lines && opened.compressed);
        let modified = match &spec.origin {
            Origin::File(path) => std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| chrono::DateTime::<chrono::Utc>::from(t).timestamp_millis().into()),
            Origin::Stdin => None,
        };
        let mut reader = BlockReader::new(opened);
        reader.eager = keep; // standard input: show lines as they come
        reader.spare = Some(spare.clone());
        loop {
            // Wait for room before reading the next block (the loader gone:
            // nothing more to read for).
            if !credit {
                if credits.recv().is_err() {
                    return;
                }
                credit = true;
            }
            match reader.next_block() {
                Ok(Some(block)) => {
                    let opts = ParseOptions { keep_data: keep, keep_ids, marks, secrets: None };
                    if jobs.send(Job { seq, source: src, opts, modified, block }).is_err() {
                        return;
                    }
                    credit = false;
                    seq += 1;
                }
                Ok(None) => {
                    let end = match (&reader.error, reader.changed()) {
                        (Some(e), _) => SourceInfo::Partial(source::partial_reason(e)),
                        (None, Some(why)) => SourceInfo::Partial(why),
                        (None, None) => SourceInfo::Done,
                    };
                    if !info(&mut seq, src, end) {
                        return;
                    }
                    break;
                }
                Err(e) => {
                    info(&mut seq, src, SourceInfo::Error(source::io_reason(&e)));
                    break;
                }
            }
        }
    }
}

/// Parse and commit one block synchronously (tests, small inputs).
pub fn load_bytes(store: &mut Store, display: &str, data: &[u8]) -> u32 {
    let src = store.sources.len() as u32;
    store.sources.push(crate::store::Source { display: display.to_owned(), ..Default::default() });
    let block = Block { offset: 0, first_line: 1, data: data.to_vec() };
    let opts = ParseOptions { keep_data: true, secrets: store.secrets.clone(), ..ParseOptions::default() };
    commit(store, ParsedBlock::parse(src, block, &opts), Window::default());
    src
}
