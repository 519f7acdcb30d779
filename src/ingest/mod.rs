//! Reading sources into the store, on every core.
//!
//! ```text
//!  reader thread ──Job{seq, block}──▶ N parse workers ──Out{seq, ParsedBlock}──┐
//!       │  (open, sniff, cut newline-aligned blocks, count lines)              │
//!       └──────────Out{seq, SourceInfo}──────────────────────────────────────┤
//!                                     committer (caller's thread) ◀────────────┘
//!                                     reorders by seq, interns, indexes, counts
//! ```
//!
//! Workers never touch the store: each block gets its own small interner and
//! side tables ([`ParsedBlock`]), and the committer translates them. Channels
//! are bounded, so memory stays flat however large the input is.

//!
//! Its rooms: `pipeline` (the reader thread, the workers and the loader the
//! committer drives), `block` (a block's parse loop: lines, gathered
//! entries, continuations), `facts` (what a LINE record says: requests,
//! webhook events, audiences, tokens) and `commit` (a parsed block into the
//! store).

mod block;
mod commit;
mod facts;
mod pipeline;

pub use block::{HINT_EVERY, ParseOptions};
pub use commit::commit;
pub use pipeline::{
    CALLBACK_EVERY, LoadOptions, Loaded, Loader, Out, SourceInfo, WINDOW, load, load_bytes, load_with,
    load_with_progress,
};

use foldhash::HashMap;

use crate::model::{ApiMeta, EventMeta, Note, Record, Sym, WebhookMeta};
use crate::parse::{self};
use crate::signature::Secrets;
use crate::store::{FieldCounts, Interner};
use crate::time::Millis;

/// Longest unparsed example text kept for the report.
const EXAMPLE_CHARS: usize = 200;

/// The parsed form of one block, with block-local symbols and indexes.
#[derive(Debug, Default)]
pub struct ParsedBlock {
    pub source: u32,
    records: Vec<Record>,
    /// (record index in `records`, request ID hash)
    request_ids: Vec<(u32, u64)>,
    /// (record index in `records`, accepted request ID hash)
    accepted_ids: Vec<(u32, u64)>,
    /// Request IDs themselves, kept for compressed sources when asked
    /// (their lines are costly to read again): (record index, ID).
    kept_ids: Vec<(u32, Box<str>)>,
    keep_ids: bool,
    /// Which fields this block's records logged.
    fields: FieldCounts,
    /// Offset and line number of the block's first line.
    checkpoint: (u64, u64),
    /// Offset and line number of a line every [`HINT_EVERY`] bytes within
    /// the block (see `Source::line_hints`).
    hints: Vec<(u64, u64)>,
    /// The line number a line after the block's would have (the block's
    /// first plus its newlines).
    next_line: u64,
    /// (offset, line) of each parsed record, both relative to the
    /// checkpoint, when `marks` is set: the line numbers as read, kept until
    /// the source is known not to have changed while it was read.
    line_marks: Vec<(u32, u32)>,
    marks: bool,
    api: Vec<ApiMeta>,
    users: Vec<Sym>,
    webhooks: Vec<WebhookMeta>,
    /// `record` is the index in `records` until committed.
    events: Vec<EventMeta>,
    /// Block-local symbols, translated to the store's when committed.
    syms: Interner,
    header_rows: u64,
    examples: Vec<(u64, String)>,
    bytes: u64,
    /// Kept for standard input, which cannot be re-read.
    data: Option<Vec<u8>>,
    /// Channel secrets to verify webhook signatures with.
    secrets: Option<std::sync::Arc<Secrets>>,
    /// `record` is the index in `records` until committed.
    notes: Vec<Note>,
    /// Record lines per format (by `parse::formats::FormatId`).
    formats: Vec<u64>,
    /// Continuation lines joined to a record of this block: (record
    /// index, lines), ascending.
    continued: Vec<(u32, u32)>,
    /// The record the next continuation line joins, with the lines and
    /// bytes it has already: none at the block's start, after an unparsed
    /// line or a header row, or once an entry is full.
    chain: Option<(u32, u32, u64)>,
    /// The block's first records that are unparsed lines shaped like
    /// continuations: they join the source's last record when the block
    /// before ended in one (decided when committed), else stay unparsed.
    lead: u32,
    lead_bytes: u64,
    /// The last record's line was the first part of a split line (a CRI
    /// `P` line): the next line joins it whatever it is.
    partial: bool,
    /// Unparsed lines by shape: count, first line number and text.
    shapes: HashMap<String, (u64, u64, String)>,
    /// The lines of an entry being gathered to be read as one (see
    /// `parse::gather`): (line, offset, line number), its kind and bytes.
    gathered: Vec<(Vec<u8>, u64, u64)>,
    gather: Option<parse::gather::Gather>,
    gathered_bytes: u64,
    /// The last SDK errors read: the same error printed again continues
    /// the entry instead of counting twice.
    recent_errors: parse::sdk::RecentErrors,
    /// The block's first header rows: (line number, text).
    header_examples: Vec<(u64, String)>,
    /// The file's last change, for the date of a time of day alone.
    modified: Option<Millis>,
    /// Records whose line gave a time of day only (ascending): their `ts`
    /// holds it until `commit` finds the date.
    clock_only: Vec<u32>,
    /// The last API calls read: (request ID hash or 0, status, time, format).
    recent_calls: std::collections::VecDeque<(u64, u16, Millis, parse::formats::FormatId)>,
    /// How many of `recent_calls` an SDK printed.
    recent_sdk_calls: usize,
    /// The block's targets as written, and what each says (see
    /// `target_info`), by the target's symbol.
    targets: Interner,
    target_info: Vec<facts::TargetInfo>,
    /// The last signature-failure line: (record, time, what it said).
    sig_failure: Option<(u32, Millis, parse::sdk::SignatureFailure)>,
}

pub use crate::parse::gather::{ENTRY_MAX_BYTES, ENTRY_MAX_LINES};

/// A LINE answer slower than this (ms) is noted: LINE's webhook timeout.
pub const SLOW_MS: u64 = 2000;

/// Which records to keep, by time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    pub since: Option<Millis>,
    pub until: Option<Millis>,
}

impl Window {
    pub fn contains(&self, t: Millis) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u)
    }
}
