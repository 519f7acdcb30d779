//! The store: every record of every source, the side tables, the indexes and
//! the counters. It has one owner (the ingest committer or the UI loop);
//! readers borrow it.
//!
//! ```text
//! records  Vec<Vec<Stored>>  chunks of 64Ki records (16 B each): no big reallocation
//! runs     Vec<Run>          the source, base offset and base time of each run of records
//! paths    Vec<Sym>          the distinct paths records name (a record keeps a 15-bit slot)
//! api      ApiTable          for API/MINI lines that logged ids or bodies (see `api`)
//! webhooks ChunkVec<WebhookMeta>  one per webhook receipt
//! events   ChunkVec<EventMeta>    one per event object in a logged webhook body
//! order    Vec<RecordId>     the timeline: sorted by (time, source order, line)
//! indexes  hash → ids        request ID, accepted ID, retry key, webhookEventId, reply token
//! ```

mod api;
mod bits;
mod chunked;
mod index;
mod kept;
pub mod timeline;

use std::collections::BTreeMap;

use foldhash::HashMap;

pub use api::ApiTable;
pub use bits::Bits;
pub use chunked::ChunkVec;
pub use index::{MultiIndex, MultiIndex32};

use crate::model::{ApiMeta, EventMeta, Kind, NONE, Note, Record, RecordId, Sym, WebhookMeta};
use crate::time::Millis;

pub use crate::model::hash_id;

/// Interned strings: endpoint paths, user IDs, IPs, event types.
///
/// Hand-laid rather than a `HashMap<Box<str>, Sym>` beside a `Vec<Box<str>>`:
/// that stores every string twice, each in its own allocation (about 150
/// bytes per distinct user ID). Here the strings are one arena of bytes with
/// the end of each, and the table holds only symbols keyed by the string's
/// hash (hashbrown's `HashTable`): about 45 bytes per 33-character ID.
#[derive(Debug, Default)]
pub struct Interner {
    bytes: String,
    /// Where each string ends in `bytes` (it starts where the last ended).
    ends: Vec<u64>,
    table: hashbrown::HashTable<Sym>,
}

fn str_hash(s: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(s.as_bytes())
}

/// String `id` of an arena.
fn arena_str<'a>(bytes: &'a str, ends: &[u64], id: Sym) -> &'a str {
    let i = id as usize;
    let start = i.checked_sub(1).and_then(|p| ends.get(p)).copied().unwrap_or(0);
    let Some(&end) = ends.get(i) else { return "" };
    bytes.get(start as usize..end as usize).unwrap_or("")
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        let h = str_hash(s);
        let (bytes, ends) = (&self.bytes, &self.ends);
        if let Some(&id) = self.table.find(h, |&id| arena_str(bytes, ends, id) == s) {
            return id;
        }
        let id = Sym::try_from(self.ends.len()).unwrap_or(NONE - 1);
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len() as u64);
        let (bytes, ends) = (&self.bytes, &self.ends);
        self.table.insert_unique(h, id, |&id| str_hash(arena_str(bytes, ends, id)));
        id
    }
    /// `intern` for an optional value; absent or empty is `NONE`.
    pub fn opt(&mut self, s: Option<&str>) -> Sym {
        s.filter(|s| !s.is_empty()).map_or(NONE, |s| self.intern(s))
    }
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.table.find(str_hash(s), |&id| self.resolve(id) == s).copied()
    }
    /// Every string, in symbol order.
    pub fn strings(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len()).map(|i| self.resolve(i as Sym))
    }
    pub fn resolve(&self, id: Sym) -> &str {
        arena_str(&self.bytes, &self.ends, id)
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 8 + self.table.capacity() * (std::mem::size_of::<Sym>() + 1)
    }
}

/// What [`Store::timeline_step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineStep {
    /// The timeline took records in.
    Merged,
    /// A build went on; the timeline shows what it did.
    Working,
    /// Records wait to be taken in with more (see [`Store::timeline_step`]).
    Waiting,
    /// The timeline has every record.
    Done,
}

/// What [`Store::timeline_step`] knows of the records the timeline lacks.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    /// Records below this were looked at...
    scanned: RecordId,
    /// ...and the earliest key among those the timeline lacks.
    earliest: (Millis, RecordId),
}

impl Default for Waiting {
    fn default() -> Self {
        Waiting { scanned: 0, earliest: (Millis::MAX, RecordId::MAX) }
    }
}

/// The audit's sparse facts ([`Note`]) in commit order, 12 bytes each: the
/// MINI App tokens and audience of the few notes that have them (24 bytes)
/// are kept apart. Chunked: no growth by doubling (half the list again, and
/// the holes a moved list leaves in the heap).
#[derive(Debug, Default)]
pub struct Notes {
    base: ChunkVec<NoteBase>,
    ext: ChunkVec<NoteExt>,
}

#[derive(Debug, Clone, Copy)]
struct NoteBase {
    record: RecordId,
    /// Index in `Notes::ext`, or `NONE`.
    ext: u32,
    slow_ms: u16,
    response: crate::model::Response,
    audience_op: crate::model::AudienceOp,
}

#[derive(Debug, Clone, Copy)]
struct NoteExt {
    token_used: u64,
    token_returned: u64,
    audience: u64,
}

impl Notes {
    pub fn push(&mut self, n: Note) {
        let ext = if n.token_used != 0 || n.token_returned != 0 || n.audience != 0 {
            self.ext.push(NoteExt { token_used: n.token_used, token_returned: n.token_returned, audience: n.audience })
        } else {
            NONE
        };
        let (record, slow_ms, response, audience_op) = (n.record, n.slow_ms, n.response, n.audience_op);
        self.base.push(NoteBase { record, ext, slow_ms, response, audience_op });
    }

    fn note(&self, b: &NoteBase) -> Note {
        let e = self.ext.get(b.ext);
        Note {
            record: b.record,
            response: b.response,
            audience_op: b.audience_op,
            slow_ms: b.slow_ms,
            token_used: e.map_or(0, |e| e.token_used),
            token_returned: e.map_or(0, |e| e.token_returned),
            audience: e.map_or(0, |e| e.audience),
        }
    }

    pub fn get(&self, i: usize) -> Option<Note> {
        self.base.get(u32::try_from(i).ok()?).map(|b| self.note(b))
    }

    pub fn iter(&self) -> impl Iterator<Item = Note> + '_ {
        self.base.iter().map(|(_, b)| self.note(b))
    }

    /// The notes of record `id` (notes are in record order): a binary search.
    pub fn of_record(&self, id: RecordId) -> impl Iterator<Item = Note> + '_ {
        let from = self.base.partition_point(|n| n.record < id);
        (from..).map_while(move |i| self.base.get(i)).take_while(move |n| n.record == id).map(|b| self.note(b))
    }

    pub fn len(&self) -> usize {
        self.base.len()
    }

    pub fn is_empty(&self) -> bool {
        self.base.is_empty()
    }

    pub fn heap_bytes(&self) -> usize {
        self.base.heap_bytes() + self.ext.heap_bytes()
    }
}

/// One source as the report lists it.
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub display: String,
    /// The file was deleted while followed (its records stay).
    pub gone: bool,
    pub path: Option<std::path::PathBuf>,
    pub compressed: bool,
    /// The compression, when known (`compressed` is set for a followed
    /// archive too).
    pub codec: Option<crate::source::Codec>,
    pub skipped: Option<String>,
    pub error: Option<String>,
    pub records: u64,
    pub unparsed: u64,
    pub header_rows: u64,
    pub bytes: u64,
    /// Records left out by `--since/--until`.
    pub outside_window: u64,
    /// Time of the last timed line committed (for unparsed lines after it).
    pub last_ts: Option<Millis>,
    /// Records whose line gave a time of day only (their date inferred), as
    /// runs of consecutive records: (first offset, last offset). A run per
    /// stretch of such lines, so a file of them costs a few bytes in all.
    pub inferred_runs: Vec<(u64, u64)>,
    /// Whether the last record committed was one of them (its run goes on).
    pub inferred_open: bool,
    /// Standard input cannot be read again: its text is kept here.
    pub memory: Option<Vec<u8>>,
    /// Which fields this source's records logged, per kind.
    pub fields: FieldCounts,
    /// Record lines per format (by `parse::formats::FormatId`).
    pub formats: Vec<u64>,
    /// The record a continuation line at the start of the next block joins
    /// (the last one read, when nothing but continuations followed it).
    /// With the lines and bytes it holds so far (for its cap).
    pub open_entry: Option<(RecordId, u32, u64)>,
    /// Records of LINE traffic (API, webhook, MINI App), `http` and `log`.
    pub line_records: u64,
    pub http: u64,
    pub logs: u64,
    /// Lines joined to the record above them.
    pub continuation_lines: u64,
    /// Unparsed lines by shape (see [`shape`]): count and the first one's
    /// line number and text. At most [`MAX_SHAPES`] shapes; the rest are
    /// counted under `(other shapes)`.
    pub shapes: HashMap<Box<str>, (u64, u64, Box<str>)>,
    /// (byte offset, line number) at the start of each block read: line
    /// numbers of parsed records are found from these on demand.
    pub checkpoints: Vec<(u64, u64)>,
    /// (byte offset, line number) of a line every few KiB within the
    /// blocks (`ingest::HINT_EVERY`), in offset order: where counting a
    /// record's line number may start when nothing changed the source
    /// while it was read, instead of its block's start (a report's
    /// examples: 5,097 of them on the 330-hour bench set).
    pub line_hints: Vec<(u64, u64)>,
    /// The line number of the next line to be read (1 before any): where
    /// following the source goes on counting.
    pub next_line: u64,
    /// Per block (by its offset), each record's (offset, line) relative to
    /// the block's checkpoint, as read. Kept while the source is read and
    /// after, only when it changed meanwhile (it cannot be counted again).
    pub line_marks: BTreeMap<u64, LineMarks>,
    /// Read in part (damaged, or changed while read); `error` says why.
    pub partial: bool,
}

/// A block's records' (offset, line), relative to its start, in offset
/// order, as the differences from one to the next in LEB128: about 3 bytes
/// a record where the pairs took 8 (a file's marks are kept while it is
/// read: 8.6 MB for the largest file of the 330-hour bench set). The
/// encoding is a few lines, written here rather than taken from a crate.
#[derive(Debug, Clone, Default)]
pub struct LineMarks(Box<[u8]>);

impl LineMarks {
    pub fn new(pairs: &[(u32, u32)]) -> LineMarks {
        let mut out = Vec::with_capacity(pairs.len() * 3);
        let put = |out: &mut Vec<u8>, mut v: u32| {
            while v >= 0x80 {
                out.push((v as u8) | 0x80);
                v >>= 7;
            }
            out.push(v as u8);
        };
        let mut last = (0u32, 0u32);
        for &(off, line) in pairs {
            // Pairs out of order (none are) would end the look-up early.
            put(&mut out, off.wrapping_sub(last.0));
            put(&mut out, line.wrapping_sub(last.1));
            last = (off, line);
        }
        LineMarks(out.into_boxed_slice())
    }

    /// The line (relative) of the record at offset `rel`, if one is marked there.
    pub fn line_at(&self, rel: u64) -> Option<u64> {
        let mut bytes = self.0.iter();
        let mut get = || -> Option<u32> {
            let mut v = 0u32;
            for shift in (0..35).step_by(7) {
                let b = *bytes.next()?;
                v |= u32::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
                if b & 0x80 == 0 {
                    return Some(v);
                }
            }
            None
        };
        let (mut off, mut line) = (0u32, 0u32);
        loop {
            off = off.wrapping_add(get()?);
            line = line.wrapping_add(get()?);
            match u64::from(off).cmp(&rel) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => return Some(u64::from(line)),
                std::cmp::Ordering::Greater => return None,
            }
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.0.len()
    }
}

/// How many records of one kind logged each field (for "which fields does
/// this source log", and later the log-completeness audit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindFields {
    pub records: u64,
    pub request_id: u64,
    pub method: u64,
    pub status: u64,
    pub target: u64,
    pub ip: u64,
    pub signature: u64,
    pub body: u64,
    pub raw_body: u64,
    pub request_body: u64,
    pub response_body: u64,
    pub notification_token: u64,
    pub retry_key: u64,
}

/// [`KindFields`] for API, webhook and MINI App records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldCounts {
    pub api: KindFields,
    pub webhook: KindFields,
    pub miniapp: KindFields,
    /// JSON lines with a record's fields but no readable time (unparsed).
    pub untimed: u64,
}

impl FieldCounts {
    pub fn kind_mut(&mut self, k: Kind) -> Option<&mut KindFields> {
        match k {
            Kind::Api => Some(&mut self.api),
            Kind::Webhook => Some(&mut self.webhook),
            Kind::MiniApp => Some(&mut self.miniapp),
            Kind::Unparsed | Kind::Http | Kind::Log => None,
        }
    }

    pub fn observe(&mut self, l: &crate::parse::Line) {
        let f = &l.fields;
        let Some(k) = self.kind_mut(l.kind) else { return };
        let n = |b: bool| u64::from(b);
        k.records += 1;
        k.request_id += n(f.request_id.is_some());
        k.method += n(f.method.is_some());
        k.status += n(f.status != 0);
        k.target += n(l.target().is_some());
        k.ip += n(f.ip.is_some());
        k.signature += n(f.signature.is_some());
        k.body += n(f.body.is_some());
        k.raw_body += n(f.body.as_ref().is_some_and(|b| b.is_string()));
        k.request_body += n(f.request_body.is_some());
        k.response_body += n(f.response_body.is_some());
        k.notification_token += n(f.notification_token.is_some());
        k.retry_key += n(f.retry_key.is_some());
    }

    pub fn add(&mut self, o: &FieldCounts) {
        self.untimed += o.untimed;
        for (a, b) in [(&mut self.api, &o.api), (&mut self.webhook, &o.webhook), (&mut self.miniapp, &o.miniapp)] {
            a.records += b.records;
            a.request_id += b.request_id;
            a.method += b.method;
            a.status += b.status;
            a.target += b.target;
            a.ip += b.ip;
            a.signature += b.signature;
            a.body += b.body;
            a.raw_body += b.raw_body;
            a.request_body += b.request_body;
            a.response_body += b.response_body;
            a.notification_token += b.notification_token;
            a.retry_key += b.retry_key;
        }
    }
}

/// Webhook receipts by signature state (the report's `signatures`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignatureCounts {
    pub valid: u64,
    pub invalid: u64,
    pub missing: u64,
    pub unverifiable: u64,
}

impl SignatureCounts {
    pub fn add(&mut self, s: crate::signature::SigState) {
        use crate::signature::SigState;
        match s {
            SigState::Valid => self.valid += 1,
            SigState::Invalid => self.invalid += 1,
            SigState::Missing => self.missing += 1,
            SigState::Unverifiable => self.unverifiable += 1,
        }
    }
}

/// Where unparsed lines past a file's first [`MAX_SHAPES`] shapes are counted.
pub const OTHER_SHAPES: &str = "(other shapes)";

/// Distinct unparsed shapes kept per source.
pub const MAX_SHAPES: usize = 32;

/// An unparsed line's shape, to group lines that differ only in their
/// numbers: its first six words, each cut at 24 characters, digit runs as
/// `0` and runs of one symbol as one (`-----`, a progress bar's `████`).
pub fn shape(line: &str) -> String {
    let mut out = String::new();
    for w in line.split_whitespace().take(6) {
        if !out.is_empty() {
            out.push(' ');
        }
        let mut last: Option<char> = None;
        for c in w.chars().take(24) {
            let c = if c.is_ascii_digit() { '0' } else { c };
            let repeat = last == Some(c) && !c.is_alphabetic();
            if !repeat {
                out.push(c);
            }
            last = Some(c);
        }
    }
    out
}

/// The last of `places` ((offset, line number), in offset order) at or
/// before byte `off`: a source's block start or line hint to count from.
fn place_before(places: &[(u64, u64)], off: u64) -> Option<(u64, u64)> {
    let k = places.partition_point(|&(o, _)| o <= off);
    k.checked_sub(1).and_then(|k| places.get(k)).copied()
}

impl Source {
    /// Add unparsed lines of one shape.
    pub fn add_shape(&mut self, shape: &str, n: u64, line: u64, text: &str) {
        let key: Box<str> = if self.shapes.len() >= MAX_SHAPES && !self.shapes.contains_key(shape) {
            OTHER_SHAPES.into()
        } else {
            shape.into()
        };
        let e = self.shapes.entry(key).or_insert_with(|| (0, line, text.into()));
        e.0 += n;
    }

    /// All lines read that are not blank: records, continuations, unparsed, header rows.
    pub fn lines(&self) -> u64 {
        self.records + self.continuation_lines + self.unparsed + self.header_rows
    }
}

/// The first `n` non-blank lines of `text` and the blank ones among them.
pub fn entry_lines(text: &str, n: usize) -> String {
    let mut out = String::new();
    let mut seen = 0;
    for l in text.split('\n') {
        if seen == n {
            break;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(l);
        if !l.trim().is_empty() {
            seen += 1;
        }
    }
    out.trim_end().to_owned()
}

/// Per-kind totals (the report's `totals` object).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    pub api_requests: u64,
    pub webhook_receipts: u64,
    pub webhook_events: u64,
    pub miniapp_requests: u64,
    pub header_rows: u64,
    pub unparsed: u64,
    /// Access-log lines that are not LINE webhooks.
    #[serde(default)]
    pub http_requests: u64,
    /// Other timed lines (application logging).
    #[serde(default)]
    pub log_entries: u64,
    /// Untimed lines joined to the record before them (tracebacks, `at …`
    /// frames, indented continuations): part of that entry.
    #[serde(default)]
    pub continuation_lines: u64,
}

/// An unparsed line kept as an example for the report.
#[derive(Debug, Clone)]
pub struct Example {
    pub source: u32,
    pub line: u64,
    pub text: String,
}

const CHUNK: usize = 1 << 16;

/// A kind code's bit in [`Store`]'s per-chunk kinds (see
/// [`Record::kind_code`]).
fn code_bit(code: u32) -> u8 {
    1 << code
}

/// A record as the store keeps it: 16 bytes, not 24. The source, the high
/// part of the offset and of the time live in the [`Run`] the record
/// belongs to; the path is a slot in [`Store::paths`].
#[derive(Debug, Clone, Copy)]
struct Stored {
    /// Milliseconds after the run's `t0` ([`NO_TIME`]: no time).
    dt: i32,
    /// [`Record::meta`] (status, kind, method) in the low bits, the path's
    /// slot above them.
    meta: u32,
    /// Byte offset from the run's base.
    offset: u32,
    aux: u32,
}

/// [`Stored::dt`] of a record with no time.
const NO_TIME: i32 = i32::MIN;
/// Slots a record's path can name (15 bits beside the 17 of `meta`).
const PATH_SLOTS: u32 = 1 << (32 - Record::META_BITS);
/// The slot that says: the path is in [`Store::path_spill`] (a store whose
/// records name more distinct paths than there are slots).
const PATH_SPILLED: u32 = PATH_SLOTS - 1;

/// Consecutive records of one source whose offsets lie within 4 GiB of a
/// base and whose times lie within 24 days of a base time: a new run
/// starts when the source changes (blocks of several files committed in
/// turn) or an offset or a time leaves that span.
#[derive(Debug, Clone, Copy)]
struct Run {
    first: RecordId,
    source: u32,
    base: u64,
    t0: Millis,
}

/// `Record::aux` with this bit set holds a symbol itself (a webhook
/// receipt's IP) rather than an index into a side table.
pub const INLINE: u32 = 1 << 31;

#[derive(Debug, Default)]
pub struct Store {
    pub sources: Vec<Source>,
    chunks: Vec<Vec<Stored>>,
    runs: Vec<Run>,
    /// The paths records name, by slot ([`Stored::meta`]), and the slot of
    /// each.
    paths: Vec<Sym>,
    path_slots: HashMap<Sym, u32>,
    /// The last path given a slot, and its slot: most records name the
    /// path of the record before (see `path_slot`).
    last_path_slot: Option<(Sym, u32)>,
    /// Paths of the records past the slots (see [`PATH_SPILLED`]).
    path_spill: HashMap<RecordId, Sym>,
    /// Per chunk, the run holding its first record (a look-up searches only
    /// the runs of one chunk).
    chunk_runs: Vec<u32>,
    /// Per chunk, the kinds its records have (a bit per kind code): a walk over
    /// some kinds passes over a chunk with none of them without reading
    /// its records. Files are read one after another, so a chunk mostly
    /// holds one file's records, often of one kind (an access log, an
    /// application's log).
    chunk_kinds: Vec<u8>,
    pub syms: Interner,
    /// API and MINI App records' side table (the users they named too).
    pub api: ApiTable,
    pub webhooks: ChunkVec<WebhookMeta>,
    pub events: ChunkVec<EventMeta>,
    /// request ID → API/MINI records (32-bit hashes: hits are verified, see
    /// [`Store::find_request`]).
    pub by_request_id: MultiIndex32,
    /// `x-line-accepted-request-id` → the records (409s) that named it.
    pub by_accepted_id: MultiIndex,
    /// `x-line-retry-key` → API records. The four indexes below keep
    /// 32-bit hashes (8 bytes an entry, not 12): each hit is verified
    /// against the full hash its record or event keeps, so read them
    /// through [`Store::requests_with_retry_key`] and its siblings.
    by_retry_key: MultiIndex32,
    /// webhookEventId → events.
    by_event_id: MultiIndex32,
    /// replyToken → events that carried it.
    by_reply_token_event: MultiIndex32,
    /// replyToken → reply requests that used it.
    by_reply_token_api: MultiIndex32,
    /// Records answered 4xx/5xx, in commit order.
    pub errors: Vec<RecordId>,
    /// Record count per (kind, endpoint/path symbol).
    pub path_counts: HashMap<(Kind, Sym), u64>,
    pub totals: Totals,
    pub status_counts: BTreeMap<(Kind, u16), u64>,
    pub first: Option<Millis>,
    pub last: Option<Millis>,
    pub unparsed_examples: Vec<Example>,
    /// The first header rows (column titles), with where they are.
    pub header_examples: Vec<Example>,
    /// Sparse facts for the audit, in commit order.
    pub notes: Notes,
    /// Messages withdrawn by an `unsend` event: message ID hash → the time
    /// the unsend was received. Their content is never shown.
    /// Records that are multi-line entries: how many lines follow the
    /// record's own (see `parse::gather::ENTRY_MAX_LINES`).
    pub continued: HashMap<RecordId, u32>,
    pub unsent: HashMap<u64, Millis>,
    /// Webhook receipts by signature state.
    pub signatures: SignatureCounts,
    /// Channel secrets for verifying webhook signatures.
    pub secrets: Option<std::sync::Arc<crate::signature::Secrets>>,
    order: timeline::Timeline,
    /// [`Store::timeline`]'s buffer for the records to merge.
    merging: Vec<(Millis, RecordId)>,
    /// The earliest key of the records the timeline lacks, as far as
    /// [`Store::timeline_step`] has looked (see [`Waiting`]).
    waiting: Waiting,
    /// [`Store::timeline_step`] merges by look-ups until the timeline has
    /// the records below this.
    merge_until: RecordId,
    /// Index every request ID (`lookup`), or only those of requests sent
    /// with a retry key, the only ones a 409's `x-line-accepted-request-id`
    /// can name (`report` and the screen, which look nothing else up by
    /// ID: 30 MB less on the 330-hour bench set).
    pub index_all_request_ids: bool,
    /// Keep [`Store::kept_request_ids`] (the screen's rows, `lookup`).
    pub keep_archive_ids: bool,
    /// Keep the line numbers of compressed sources' records as read
    /// (`report`: its examples name their lines, and an archive would be
    /// decompressed again to count them; about 3 bytes a record).
    pub keep_archive_lines: bool,
    /// Request IDs of records from compressed sources, whose lines are
    /// costly to read again (kept when `keep_archive_ids`).
    pub kept_request_ids: kept::KeptIds,
    /// Invariants found broken (see [`Broken`]).
    pub broken: Broken,
}

/// Invariants found broken while committing: each is a bug, counted and
/// said (`LINELENS_MEMORY=1`), never a silent drop; a debug build stops at
/// the first.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Broken {
    pub count: u64,
    /// What the first one was.
    pub first: Option<&'static str>,
}

/// A shape of unparsed lines (see [`Store::shapes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape<'a> {
    pub shape: &'a str,
    pub count: u64,
    /// Where its first line is, and that line.
    pub source: &'a str,
    pub line: u64,
    pub text: &'a str,
}

/// What a store is read for (see [`Store::for_use`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreUse {
    /// `report` and `audit`: summaries, nothing looked up by ID or user;
    /// archives' line numbers kept (their examples' lines).
    Report,
    /// `lookup`: every request ID indexed.
    Lookup,
    /// The screen: users indexed (`user:`), archives' request IDs kept (its rows).
    Screen,
}

/// The most of one line [`Store::line_text`] returns: a whole line as
/// ingestion cuts it, so every record read can be parsed again (`lookup`
/// finds it whatever its length); displays cut it themselves and say so.
pub const MAX_LINE_TEXT: usize = crate::source::MAX_LINE;

/// How many unparsed examples the store keeps.
pub const EXAMPLES: usize = 5;

impl Store {
    /// A store that keeps every index (`lookup`, tests).
    pub fn new() -> Store {
        Store { index_all_request_ids: true, keep_archive_ids: true, ..Store::default() }
    }

    /// A store for what it is used for: each use keeps the indexes it
    /// reads (see `index_all_request_ids`, `keep_archive_ids`).
    pub fn for_use(what: StoreUse) -> Store {
        match what {
            StoreUse::Lookup => Store::new(),
            StoreUse::Screen => Store { keep_archive_ids: true, ..Store::default() },
            StoreUse::Report => Store { keep_archive_lines: true, ..Store::default() },
        }
    }

    pub fn len(&self) -> usize {
        // Every chunk but the last is full (see `append`; `get` finds a
        // record by `id / CHUNK`): O(1). A sum over the chunks here was
        // paid at each record appended, a cost growing with the store.
        self.chunks.last().map_or(0, |last| (self.chunks.len() - 1) * CHUNK + last.len())
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.first().is_none_or(Vec::is_empty)
    }

    pub fn get(&self, id: RecordId) -> Option<Record> {
        let i = id as usize;
        let c = i / CHUNK;
        let st = self.chunks.get(c)?.get(i % CHUNK)?;
        Some(self.decode(id, st, self.run_of(c, id)?))
    }

    /// The run holding record `id` (in chunk `c`): a binary search over the
    /// runs that start within the chunk, a handful.
    fn run_of(&self, c: usize, id: RecordId) -> Option<&Run> {
        let lo = *self.chunk_runs.get(c)? as usize;
        let hi = self.chunk_runs.get(c + 1).map_or(self.runs.len(), |&h| h as usize + 1);
        let runs = self.runs.get(lo..hi)?;
        let k = runs.partition_point(|r| r.first <= id);
        runs.get(k.checked_sub(1)?)
    }

    /// (Inlined into the sweeps over the records, with the rare spilled
    /// path out of line: called, it was a fifth of the audit's time, and a
    /// sweep that reads only a record's kind and status paid for all of it.)
    #[inline(always)]
    fn decode(&self, id: RecordId, st: &Stored, run: &Run) -> Record {
        let loc = crate::model::Loc::new(run.source, run.base + u64::from(st.offset));
        let ts = if st.dt == NO_TIME { i64::MIN } else { run.t0 + i64::from(st.dt) };
        let slot = st.meta >> Record::META_BITS;
        let path = match slot {
            PATH_SPILLED => self.spilled_path(id),
            _ => self.paths.get(slot as usize).copied().unwrap_or(NONE),
        };
        Record::from_meta(loc, ts, st.meta, path, st.aux)
    }

    /// The path of a record whose path has no slot (see [`PATH_SPILLED`]).
    #[cold]
    #[inline(never)]
    fn spilled_path(&self, id: RecordId) -> Sym {
        self.path_spill.get(&id).copied().unwrap_or(NONE)
    }

    /// The slot of `path` in [`Store::paths`], added if new
    /// ([`PATH_SPILLED`] once the slots are used up).
    /// (The last path's slot is taken without a look-up in the map: with
    /// the per-status counts' look-up, one per record was about a sixth of
    /// committing a block.)
    fn path_slot(&mut self, path: Sym) -> u32 {
        if let Some((last, slot)) = self.last_path_slot
            && last == path
        {
            return slot;
        }
        let slot = match self.path_slots.get(&path) {
            Some(&slot) => slot,
            None => {
                let slot = self.paths.len() as u32;
                if slot >= PATH_SPILLED {
                    return PATH_SPILLED;
                }
                self.paths.push(path);
                self.path_slots.insert(path, slot);
                slot
            }
        };
        self.last_path_slot = Some((path, slot));
        slot
    }

    /// All records in commit order.
    pub fn iter(&self) -> impl Iterator<Item = (RecordId, Record)> + '_ {
        self.iter_kinds(|_| true)
    }

    /// Every path symbol a record may carry (each at least once): the
    /// slotted ones, then the spilled ones.
    pub fn path_syms(&self) -> impl Iterator<Item = Sym> + '_ {
        self.paths.iter().copied().chain(self.path_spill.values().copied())
    }

    /// The records of the kinds `wanted` says yes to, in commit order. The
    /// kind is read from the stored form: the others are never decoded (a
    /// rule over requests skipped most of the store at full price).
    pub fn iter_kinds<'s>(
        &'s self,
        wanted: impl Fn(Kind) -> bool + 's,
    ) -> impl Iterator<Item = (RecordId, Record)> + 's {
        self.iter_kinds_in(0, self.len() as RecordId, wanted)
    }

    /// [`Store::iter_kinds`] over the records `from..to` alone: a binary
    /// search over the runs to start, then each record in O(1) (a look-up
    /// by ID searches its chunk's runs each time). A record without a run
    /// (an invariant broken) is left out, as [`Store::get`] leaves it.
    pub fn iter_kinds_in<'s>(
        &'s self,
        from: RecordId,
        to: RecordId,
        wanted: impl Fn(Kind) -> bool + 's,
    ) -> impl Iterator<Item = (RecordId, Record)> + 's {
        let mut run = self.runs.partition_point(|r| r.first <= from).saturating_sub(1);
        let (lo, hi) = (from as usize, (to as usize).min(self.len()));
        // The kinds asked for, as a chunk's kinds are kept.
        let mask = (0..8).filter(|&code| wanted(Record::kind_of_code(code))).fold(0u8, |m, code| m | code_bit(code));
        // Each chunk's part of the range as a slice (none for a chunk
        // without any of those kinds).
        let stored = (lo / CHUNK..hi.div_ceil(CHUNK)).flat_map(move |c| {
            let (first, last) = (lo.max(c * CHUNK), hi.min((c + 1) * CHUNK));
            let part = self
                .chunks
                .get(c)
                .filter(|_| self.chunk_kinds.get(c).is_none_or(|&k| k & mask != 0))
                .and_then(|ch| ch.get(first - c * CHUNK..last - c * CHUNK));
            part.unwrap_or_default().iter().zip(first..)
        });
        stored.filter_map(move |(st, i)| {
            let id = i as RecordId;
            if !wanted(Record::kind_in_meta(st.meta)) {
                return None;
            }
            while self.runs.get(run + 1).is_some_and(|r| r.first <= id) {
                run += 1;
            }
            let r = self.runs.get(run).filter(|r| r.first <= id)?;
            Some((id, self.decode(id, st, r)))
        })
    }

    /// Append a record; returns its id. Updates counters and the generic
    /// indexes; kind-specific metadata is linked by the caller via `aux`.
    pub fn push(&mut self, rec: Record) -> RecordId {
        let id = self.append(rec);
        if id != NONE && rec.kind() != Kind::Unparsed {
            self.add_counts(rec.kind(), rec.status(), rec.path, 1);
        }
        id
    }

    /// Join `n` more continuation lines to record `id`'s entry, counted in
    /// the totals and in its source's coverage.
    pub fn add_continuations(&mut self, id: RecordId, n: u32) {
        if n == 0 {
            return;
        }
        *self.continued.entry(id).or_default() += n;
        self.totals.continuation_lines += u64::from(n);
        if let Some(src) = self.get(id).and_then(|r| self.sources.get_mut(r.source() as usize)) {
            src.continuation_lines += u64::from(n);
        }
    }

    /// Count `n` records of a kind, status and path (see [`Store::append`]).
    pub fn add_counts(&mut self, kind: Kind, status: u16, path: Sym, n: u64) {
        *self.status_counts.entry((kind, status)).or_default() += n;
        *self.path_counts.entry((kind, path)).or_default() += n;
    }

    /// [`Store::push`] without the per-status and per-path counts, which a
    /// caller appending a whole batch adds once per distinct key.
    /// Count a broken invariant (see [`Broken`]).
    pub fn broken(&mut self, what: &'static str) {
        self.broken.count += 1;
        self.broken.first.get_or_insert(what);
        debug_assert!(false, "broken invariant: {what}");
    }

    pub fn append(&mut self, rec: Record) -> RecordId {
        let Some(id) = RecordId::try_from(self.len()).ok().filter(|&i| i != NONE) else {
            // Past 4,294,967,295 records a record cannot be named.
            self.broken("more records than a record ID can name");
            return NONE;
        };
        let (source, offset, ts) = (rec.source(), rec.offset(), rec.ts());
        let dt = |r: &Run| -> Option<i32> {
            if ts == i64::MIN {
                return Some(NO_TIME);
            }
            i32::try_from(ts.checked_sub(r.t0)?).ok().filter(|&d| d != NO_TIME)
        };
        let fits = |r: &Run| {
            r.source == source && offset >= r.base && offset - r.base <= u64::from(u32::MAX) && dt(r).is_some()
        };
        if !self.runs.last().is_some_and(fits) {
            let t0 = if ts == i64::MIN { self.runs.last().map_or(0, |r| r.t0) } else { ts };
            self.runs.push(Run { first: id, source, base: offset, t0 });
        }
        let run = self.runs.last().copied().unwrap_or(Run { first: id, source, base: offset, t0: ts });
        let slot = self.path_slot(rec.path);
        if slot == PATH_SPILLED {
            self.path_spill.insert(id, rec.path);
        }
        let st = Stored {
            // `fits` keeps the time and the offset within a run's 32 bits.
            dt: dt(&run).unwrap_or(NO_TIME),
            meta: (rec.meta() & ((1 << Record::META_BITS) - 1)) | (slot << Record::META_BITS),
            offset: u32::try_from(offset - run.base).unwrap_or(u32::MAX),
            aux: rec.aux,
        };
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(st),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(st);
                self.chunks.push(c);
                self.chunk_runs.push(self.runs.len().saturating_sub(1) as u32);
                self.chunk_kinds.push(0);
            }
        }
        if let Some(kinds) = self.chunk_kinds.last_mut() {
            *kinds |= code_bit(Record::kind_code(st.meta));
        }
        let src = self.sources.get_mut(rec.source() as usize);
        let (ts, status) = (rec.ts(), rec.status());
        match rec.kind() {
            Kind::Unparsed => {
                self.totals.unparsed += 1;
                if let Some(s) = src {
                    s.unparsed += 1;
                }
            }
            k => {
                match k {
                    Kind::Api => self.totals.api_requests += 1,
                    Kind::Webhook => self.totals.webhook_receipts += 1,
                    Kind::Http => self.totals.http_requests += 1,
                    Kind::Log => self.totals.log_entries += 1,
                    _ => self.totals.miniapp_requests += 1,
                }
                if let Some(s) = src {
                    s.records += 1;
                    match k {
                        Kind::Http => s.http += 1,
                        Kind::Log => s.logs += 1,
                        _ => s.line_records += 1,
                    }
                }
                // LINE requests and receipts that failed (the audit's and
                // the analysis' list; `http` and `log` records are not in it).
                if status >= 400 && matches!(k, Kind::Api | Kind::Webhook | Kind::MiniApp) {
                    self.errors.push(id);
                }
                // A record whose line had no time, with no timed line
                // before it, is in no time range.
                if ts != i64::MIN {
                    self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
                    self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
                }
            }
        }
        id
    }

    fn source_of(&self, id: RecordId) -> u32 {
        self.time_and_source(id).map_or(0, |x| x.1)
    }

    fn key(&self, id: RecordId) -> (Millis, RecordId) {
        (self.time_and_source(id).map_or(i64::MIN, |x| x.0), id)
    }

    /// A record's [`Record::ts`] and source, without the rest of
    /// [`Store::get`] (the timeline's merge asks for millions).
    fn time_and_source(&self, id: RecordId) -> Option<(Millis, u32)> {
        let i = id as usize;
        let c = i / CHUNK;
        let st = self.chunks.get(c)?.get(i % CHUNK)?;
        let run = self.run_of(c, id)?;
        let ts = if st.dt == NO_TIME { i64::MIN } else { run.t0 + i64::from(st.dt) };
        // As `decode` makes it: clamped to what a record holds.
        let source = crate::model::Loc::new(run.source, 0).source();
        Some((crate::model::held_ts(ts), source))
    }

    /// The times ([`Record::ts`]) of the records `first..first + out.len()`,
    /// and their sources when `sources` is given (the same length), read in
    /// order: [`Store::time_and_source`] a record, with the chunk and the
    /// run found once for all (the timeline's build reads millions).
    fn times_into(&self, first: RecordId, out: &mut [Millis], mut sources: Option<&mut [u32]>) {
        let end = first as usize + out.len();
        let mut id = first as usize;
        while id < end {
            let c = id / CHUNK;
            let run_i = self.chunk_runs.get(c).and_then(|&lo| {
                let runs = self.runs.get(lo as usize..)?;
                Some(lo as usize + runs.partition_point(|r| r.first as usize <= id).checked_sub(1)?)
            });
            let (Some(chunk), Some(run_i)) = (self.chunks.get(c), run_i) else { break };
            // A run at a time within the chunk.
            for run_i in run_i.. {
                let Some(run) = self.runs.get(run_i) else { break };
                let upto = end
                    .min(c * CHUNK + chunk.len())
                    .min(self.runs.get(run_i + 1).map_or(usize::MAX, |r| r.first as usize));
                if upto <= id {
                    break;
                }
                let i = id - first as usize;
                let (Some(stored), Some(slots)) =
                    (chunk.get(id % CHUNK..).and_then(|x| x.get(..upto - id)), out.get_mut(i..i + (upto - id)))
                else {
                    break;
                };
                for (slot, st) in slots.iter_mut().zip(stored) {
                    *slot = if st.dt == NO_TIME { i64::MIN } else { crate::model::held_ts(run.t0 + i64::from(st.dt)) };
                }
                if let Some(s) = sources.as_deref_mut().and_then(|s| s.get_mut(i..i + (upto - id))) {
                    s.fill(crate::model::Loc::new(run.source, 0).source());
                }
                id = upto;
                if id >= end || id.is_multiple_of(CHUNK) {
                    break;
                }
            }
            if id < end && !id.is_multiple_of(CHUNK) {
                break;
            }
        }
        // Past the last record (not asked for).
        let done = id.saturating_sub(first as usize);
        if let Some(rest) = out.get_mut(done..) {
            rest.fill(i64::MIN);
        }
        if let Some(rest) = sources.and_then(|s| s.get_mut(done..)) {
            rest.fill(0);
        }
    }

    /// How many records the timeline holds (less than [`Store::len`] while
    /// the newest wait to be merged in).
    pub fn timeline_len(&self) -> usize {
        self.order.len()
    }

    /// The timeline: record ids ordered by time; ties keep commit order
    /// (which is file order, then line order). Built on first use and
    /// extended as records arrive: the new ids are sorted and merged in, so
    /// an update costs O(n + k log k), not a full sort (`report` never
    /// needs it). See [`timeline`] for how it is kept.
    pub fn timeline(&mut self) -> timeline::Order<'_> {
        self.timeline_some(usize::MAX)
    }

    /// [`Store::timeline`], taking in at most `most` of the records it
    /// lacks (the oldest first), by look-ups (a build under way is finished
    /// first).
    pub fn timeline_some(&mut self, most: usize) -> timeline::Order<'_> {
        while self.rebuild_some(usize::MAX) == Some(false) {}
        let start = self.order.len() as RecordId;
        let len = (self.len() as RecordId).min(start.saturating_add(u32::try_from(most).unwrap_or(u32::MAX)));
        if start < len {
            // The new records' keys, sorted, in a buffer kept from one call
            // to the next: each free of a mapping of megabytes raises glibc's
            // threshold for giving an allocation a mapping of its own, and
            // what is allocated below it comes from a heap whose holes stay
            // resident (about 20 MB of the screen's peak).
            let mut new = std::mem::take(&mut self.merging);
            new.clear();
            new.extend((start..len).map(|id| self.key(id)));
            new.sort_unstable();
            let mut order = std::mem::take(&mut self.order);
            order.merge(&new, &|id| self.key(id), &|id| self.source_of(id));
            self.order = order;
            self.merging = new;
        }
        self.waiting = Waiting::default();
        self.order.view()
    }

    /// [`timeline::Timeline::rebuild_some`] on the store's records.
    fn rebuild_some(&mut self, work: usize) -> Option<bool> {
        let mut order = std::mem::take(&mut self.order);
        let step = order.rebuild_some(work, &|id| self.key(id), &|id, out, src| self.times_into(id, out, src));
        self.order = order;
        step
    }

    /// One step of bringing the timeline up to date, about `most` records'
    /// worth, as the screen takes what it reads. Records that land at its
    /// end are merged by look-ups (O(k)); others, while `reading`, wait
    /// until they are half the timeline, then it is built again with them,
    /// a step at a time (see `timeline::Rebuild`): each record is read
    /// about three times in all, in order, where merging each by look-ups
    /// costs a few random reads and moves every position after it. (At a
    /// quarter, five times: on the 330-hour bench set 26 million positions
    /// placed in 10 builds, 21 million in 8 at half.) Once reading is done,
    /// whichever of the two is cheaper.
    pub fn timeline_step(&mut self, most: usize, reading: bool) -> TimelineStep {
        if self.order.rebuilding() {
            return match self.rebuild_some(most) {
                Some(false) => TimelineStep::Working,
                Some(true) => {
                    self.waiting = Waiting::default();
                    TimelineStep::Merged
                }
                // The lanes cannot hold them: merged by look-ups.
                None => {
                    self.timeline_some(most);
                    TimelineStep::Merged
                }
            };
        }
        let (n, len) = (self.order.len() as RecordId, self.len() as RecordId);
        if n >= len {
            return TimelineStep::Done;
        }
        if self.merge_until > n {
            self.timeline_some(most);
            return TimelineStep::Merged;
        }
        // The earliest key waiting, each record read once while it waits.
        let from = self.waiting.scanned.max(n);
        let mut earliest = self.waiting.earliest;
        let mut times = vec![0; if from < len { 4096 } else { 0 }];
        for start in (from..len).step_by(4096) {
            let part = times.get_mut(..(len - start).min(4096) as usize).unwrap_or_default();
            self.times_into(start, part, None);
            for (&t, id) in part.iter().zip(start..) {
                earliest = earliest.min((t, id));
            }
        }
        self.waiting.scanned = len;
        self.waiting.earliest = earliest;
        let at_end = self.order.view().last().is_none_or(|id| self.key(id) < earliest);
        let (k, n) = (len - n, n);
        // A build reads every record, a merge by look-ups a few random
        // places a new record: about ten times the cost a record.
        let build = self.order.in_lanes()
            && match (at_end, reading) {
                // Appended by look-ups, unless they outnumber the timeline
                // (then they need sorting more than merging).
                (true, _) => k > n,
                (false, true) => k >= n / 2,
                (false, false) => k > n / 9,
            };
        let mut order = std::mem::take(&mut self.order);
        let started = build && order.start_rebuild(len, earliest, &|id| self.key(id));
        self.order = order;
        if started {
            return self.timeline_step(most, reading);
        }
        if reading && !at_end && self.order.in_lanes() {
            return TimelineStep::Waiting;
        }
        self.timeline_some(most);
        self.merge_until = len;
        TimelineStep::Merged
    }

    /// Point a record at its side-table entry.
    pub fn set_aux(&mut self, id: RecordId, aux: u32) {
        let i = id as usize;
        if let Some(r) = self.chunks.get_mut(i / CHUNK).and_then(|c| c.get_mut(i % CHUNK)) {
            r.aux = aux;
        }
    }

    /// The timeline as last built by [`Store::timeline`] (possibly missing
    /// records committed since).
    pub fn order(&self) -> timeline::Order<'_> {
        self.order.view()
    }

    /// The timeline position of record `id` (see [`Store::order`]).
    pub fn order_position(&self, id: RecordId) -> Option<usize> {
        self.order.view().position(id, self.get(id)?.source())
    }

    /// Sort the indexes' recent entries so look-ups are binary searches.
    /// Call after committing a batch, before analysing it.
    pub fn prepare_indexes(&mut self) {
        self.by_request_id.prepare();
        self.by_accepted_id.prepare();
        self.by_retry_key.prepare();
        self.by_event_id.prepare();
        self.by_reply_token_event.prepare();
        self.by_reply_token_api.prepare();
    }

    /// Index an API record's retry key and (a reply's) token, from its
    /// side-table entry.
    pub fn index_api(&mut self, id: RecordId, meta: &ApiMeta, reply: bool) {
        self.by_retry_key.insert(meta.retry_key, id);
        if reply {
            self.by_reply_token_api.insert(meta.token, id);
        }
    }

    /// Index event `idx` by its webhookEventId and reply token.
    pub fn index_event(&mut self, idx: u32, e: &EventMeta) {
        self.by_event_id.insert(e.webhook_event_id, idx);
        self.by_reply_token_event.insert(e.reply_token, idx);
    }

    /// The side-table entry of API or MINI App record `id`.
    pub fn api_meta(&self, id: RecordId) -> Option<ApiMeta> {
        self.api_of(self.get(id)?)
    }

    /// An API or MINI App record's side-table entry (one that logged no
    /// IDs or bodies has none).
    pub fn api_of(&self, r: Record) -> Option<ApiMeta> {
        Self::api_entry(r).and_then(|i| self.api.get(i))
    }

    /// The side-table entry of an API or MINI App record, if it has one.
    fn api_entry(r: Record) -> Option<u32> {
        (matches!(r.kind(), Kind::Api | Kind::MiniApp) && r.aux != NONE).then_some(r.aux)
    }

    /// [`Store::api_of`]'s token alone (0: none).
    pub fn api_token(&self, r: Record) -> u64 {
        Self::api_entry(r).and_then(|i| self.api.token(i)).unwrap_or(0)
    }

    /// [`Store::api_of`]'s retry key alone (0: none).
    pub fn api_retry_key(&self, r: Record) -> u64 {
        Self::api_entry(r).and_then(|i| self.api.retry_key(i)).unwrap_or(0)
    }

    /// The users an API or MINI App record's body named.
    pub fn api_users_of(&self, r: Record) -> &[Sym] {
        Self::api_entry(r).map_or(&[], |i| self.api.users_of(i))
    }

    /// API records sent with retry key `key` (a hash).
    pub fn requests_with_retry_key(&self, key: u64) -> impl Iterator<Item = RecordId> + '_ {
        self.by_retry_key.get(key).filter(move |&r| self.get(r).is_some_and(|rec| self.api_retry_key(rec) == key))
    }

    /// API records (replies) that used reply token `token`.
    pub fn replies_with_token(&self, token: u64) -> impl Iterator<Item = RecordId> + '_ {
        self.replies_with_token_records(token).map(|(id, _)| id)
    }

    /// [`Store::replies_with_token`], each with its record (read once, to
    /// check its token).
    pub fn replies_with_token_records(&self, token: u64) -> impl Iterator<Item = (RecordId, Record)> + '_ {
        self.by_reply_token_api
            .get(token)
            .filter_map(move |id| self.get(id).filter(|&r| self.api_token(r) == token).map(|r| (id, r)))
    }

    /// Events that carried reply token `token`.
    pub fn events_with_reply_token(&self, token: u64) -> impl Iterator<Item = u32> + '_ {
        self.by_reply_token_event
            .get(token)
            .filter(move |&e| self.events.get(e).is_some_and(|m| m.reply_token == token))
    }

    /// Events with webhookEventId `id` (a hash).
    pub fn events_with_event_id(&self, id: u64) -> impl Iterator<Item = u32> + '_ {
        self.by_event_id.get(id).filter(move |&e| self.events.get(e).is_some_and(|m| m.webhook_event_id == id))
    }

    /// How many API requests and how many events carry a reply token (the
    /// entries of the two token indexes).
    pub fn reply_token_counts(&self) -> (usize, usize) {
        (self.by_reply_token_api.len(), self.by_reply_token_event.len())
    }

    /// Users an API record's body named.
    pub fn api_users(&self, meta: &ApiMeta) -> &[Sym] {
        self.api.users(meta)
    }

    /// A webhook record's metadata (receipts logged without body or
    /// signature keep only their IP, inline in the record).
    pub fn webhook_meta(&self, rec: Record) -> Option<WebhookMeta> {
        if rec.kind() != Kind::Webhook || rec.aux == NONE {
            return None;
        }
        if rec.aux & INLINE != 0 {
            return Some(WebhookMeta { ip: rec.aux & !INLINE, destination: NONE, ..WebhookMeta::default() });
        }
        self.webhooks.get(rec.aux).copied()
    }

    /// Events of a webhook receipt.
    pub fn receipt_events(&self, meta: &WebhookMeta) -> &[EventMeta] {
        self.events.slice(meta.events_start, meta.events_len)
    }

    /// Whether the record's line gave a time of day only, its date inferred
    /// (from the lines before it or the file's last change).
    pub fn date_inferred(&self, rec: Record) -> bool {
        let Some(src) = self.sources.get(rec.source() as usize) else { return false };
        let o = rec.offset();
        let i = src.inferred_runs.partition_point(|r| r.1 < o);
        src.inferred_runs.get(i).is_some_and(|r| r.0 <= o)
    }

    /// API/MINI records whose logged request ID is `id`: index hits,
    /// verified against the re-read line.
    pub fn find_request(&self, id: &str) -> Vec<RecordId> {
        self.by_request_id
            .get(hash_id(id))
            .filter(|&r| {
                let Some(rec) = self.get(r) else { return false };
                let Ok(text) = self.line_text(rec) else { return false };
                match crate::parse::parse_line(&text) {
                    crate::parse::Parsed::Record(l) => l.fields.request_id.as_deref() == Some(id),
                    _ => false,
                }
            })
            .collect()
    }

    /// The text of a record's line, read again from its source (at most
    /// `MAX_LINE_TEXT` bytes; invalid UTF-8 replaced), with the content of
    /// unsent messages replaced (see [`crate::unsend`]).
    pub fn line_text(&self, rec: Record) -> std::io::Result<String> {
        let text = self.raw_line_text(rec)?;
        Ok(match crate::unsend::redact(&text, &self.unsent) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(s) => s,
        })
    }

    fn raw_line_text(&self, rec: Record) -> std::io::Result<String> {
        let text = self.raw_lines(rec, 1, MAX_LINE_TEXT)?;
        // A record read from an entry's lines together (a pretty-printed
        // object, an SDK error's block, a wire-log exchange): the entry, as
        // ingest read it (see `parse::gather`). Read a little first (most
        // entries are short), then up to the entry's caps.
        if rec.kind() != Kind::Unparsed && crate::parse::gather::may_open(&text) {
            let most =
                (crate::parse::gather::ENTRY_MAX_LINES as usize + 1, crate::parse::gather::ENTRY_MAX_BYTES as usize);
            for (lines, bytes) in [(16, 8 << 10), (256, 64 << 10), most] {
                let more = self.raw_lines(rec, lines, bytes)?;
                let Some((joined, end, kind)) = crate::parse::gather::record_of(&more) else { continue };
                // An entry that runs to the window's end may go on after it.
                if end + 1 >= more.split('\n').count() && lines < most.0 {
                    continue;
                }
                // (Unless ingest read the line alone: the record says which.)
                if kind == rec.kind() {
                    return Ok(joined);
                }
                break;
            }
        }
        Ok(text)
    }

    /// `n` lines from the record's (joined by `\n`, line endings removed),
    /// at most `max` bytes.
    fn raw_lines(&self, rec: Record, n: usize, max: usize) -> std::io::Result<String> {
        let src = self.sources.get(rec.source() as usize).ok_or_else(|| std::io::Error::other("no such source"))?;
        let bytes = match (&src.memory, &src.path) {
            (Some(mem), _) => {
                let rest = mem.get(rec.offset() as usize..).unwrap_or_default();
                crate::source::first_lines(rest, n, max)
            }
            (None, Some(path)) => crate::source::read_lines_at(path, rec.offset(), n, max)?,
            (None, None) => return Err(std::io::Error::other("source cannot be read again")),
        };
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A record's whole entry: its line and the continuation lines joined
    /// to it (a traceback under a log line), unsent content redacted.
    pub fn entry_text(&self, id: RecordId, rec: Record) -> std::io::Result<String> {
        let n = 1 + self.continued.get(&id).copied().unwrap_or(0) as usize;
        if n == 1 {
            return self.line_text(rec);
        }
        // Blank lines inside the entry are read too; allow for them.
        let text = self.raw_lines(rec, n * 2 - 1, crate::parse::gather::ENTRY_MAX_BYTES as usize + MAX_LINE_TEXT)?;
        let kept = entry_lines(&text, n);
        Ok(match crate::unsend::redact(&kept, &self.unsent) {
            std::borrow::Cow::Borrowed(_) => kept,
            std::borrow::Cow::Owned(s) => s,
        })
    }

    /// Line numbers of many records at once. Cost: each byte of a source is
    /// read at most once, however many records are asked for (a compressed
    /// source is decompressed once, up to its last record; a plain one is
    /// read from each record's block start or the previous record, whichever
    /// is later), so it grows with the data, not with records × block size.
    pub fn lines_of(&self, recs: &[Record]) -> Vec<u64> {
        let mut out = vec![0u64; recs.len()];
        // Per source on disk: (offset, index) of the records asked.
        let mut on_disk: BTreeMap<u32, Vec<(u64, usize)>> = BTreeMap::new();
        for (i, r) in recs.iter().enumerate() {
            let src = self.sources.get(r.source() as usize);
            let readable = src.is_some_and(|s| s.memory.is_none() && s.line_marks.is_empty() && s.path.is_some());
            match r.unparsed_line() {
                None if readable => on_disk.entry(r.source()).or_default().push((r.offset(), i)),
                _ => {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = self.line_of(*r).unwrap_or(0);
                    }
                }
            }
        }
        // One job per source, shared among the cores, archives first:
        // decompressing them is most of the cost.
        let compressed = |src: u32| self.sources.get(src as usize).is_some_and(|s| s.compressed);
        let mut jobs: Vec<(u32, Vec<(u64, usize)>)> = on_disk.into_iter().collect();
        jobs.sort_by_key(|(src, _)| !compressed(*src));
        for (_, want) in &mut jobs {
            want.sort_unstable();
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(jobs.len());
        let found: Vec<Vec<(usize, u64)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut got = Vec::new();
                        while let Some((src, want)) = jobs.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                        {
                            if compressed(*src) {
                                self.gz_lines(*src, want, &mut got);
                            } else {
                                self.plain_lines(*src, want, &mut got);
                            }
                        }
                        got
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap_or_default()).collect()
        });
        for (i, line) in found.into_iter().flatten() {
            if let Some(slot) = out.get_mut(i) {
                *slot = line;
            }
        }
        out
    }

    /// [`Store::lines_of`] for the records of one compressed source at
    /// `want` (offset, index; sorted): decompressed once, up to the last.
    fn gz_lines(&self, src: u32, want: &[(u64, usize)], got: &mut Vec<(usize, u64)>) {
        let Some(path) = self.sources.get(src as usize).and_then(|s| s.path.as_ref()) else { return };
        let offsets: Vec<u64> = want.iter().map(|&(o, _)| o).collect();
        if let Ok(counts) = crate::source::newlines_before(path, &offsets) {
            got.extend(want.iter().zip(counts).map(|(&(_, i), n)| (i, n + 1)));
        }
    }

    /// [`Store::lines_of`] for the records of one plain source at `want`
    /// (offset, index; sorted): from each record's block start or the
    /// previous record, whichever is later.
    fn plain_lines(&self, src: u32, want: &[(u64, usize)], got: &mut Vec<(usize, u64)>) {
        let Some(s) = self.sources.get(src as usize) else { return };
        let Some(Ok(mut f)) = s.path.as_ref().map(std::fs::File::open) else { return };
        // (offset, line) of the cursor: the last place counted to.
        let mut at: Option<(u64, u64)> = None;
        for &(off, i) in want {
            let block = place_before(&s.checkpoints, off).unwrap_or((0, 1));
            // A line hint within the block is nearer.
            let block = place_before(&s.line_hints, off).filter(|h| h.0 >= block.0).unwrap_or(block);
            let (from, line) = match at {
                Some(c) if c.0 >= block.0 && c.0 <= off => c,
                _ => block,
            };
            let Ok(n) = crate::source::count_newlines_in(&mut f, from, off) else { continue };
            at = Some((off, line + n));
            got.push((i, line + n));
        }
    }

    /// The 1-based line number of a record: kept for unparsed lines, found
    /// for the others by counting newlines from the nearest block start.
    pub fn line_of(&self, rec: Record) -> std::io::Result<u64> {
        if let Some(l) = rec.unparsed_line() {
            return Ok(u64::from(l));
        }
        let src = self.sources.get(rec.source() as usize).ok_or_else(|| std::io::Error::other("no such source"))?;
        let at = rec.offset();
        let (start, line) = place_before(&src.checkpoints, at).unwrap_or((0, 1));
        // Line numbers as read, for a file that changed while it was read.
        if let Some(dl) = src.line_marks.get(&start).and_then(|m| m.line_at(at.saturating_sub(start))) {
            return Ok(line + dl);
        }
        let newlines = match (&src.memory, &src.path) {
            (Some(mem), _) => {
                let seg = mem.get(start as usize..at as usize).unwrap_or_default();
                memchr::memchr_iter(b'\n', seg).count() as u64
            }
            (None, Some(path)) => crate::source::count_newlines(path, start, at)?,
            (None, None) => 0,
        };
        Ok(line + newlines)
    }

    /// Count `n` header rows for a source.
    pub fn add_header_rows(&mut self, source: u32, n: u64) {
        self.totals.header_rows += n;
        if let Some(s) = self.sources.get_mut(source as usize) {
            s.header_rows += n;
        }
    }

    /// The largest shapes of unparsed lines over the sources (only `only`
    /// when given), largest first, at most `top`; each with the first line
    /// of its shape seen.
    pub fn shapes(&self, only: Option<u32>, top: usize) -> Vec<Shape<'_>> {
        let mut merged: BTreeMap<&str, Shape<'_>> = BTreeMap::new();
        for (i, src) in self.sources.iter().enumerate() {
            if only.is_some_and(|o| o as usize != i) {
                continue;
            }
            // The bucket past the per-file cap is no shape to show.
            for (shape, (n, line, text)) in src.shapes.iter().filter(|(k, _)| &***k != OTHER_SHAPES) {
                let e = merged.entry(shape).or_insert(Shape {
                    shape,
                    count: 0,
                    source: src.display.as_str(),
                    line: *line,
                    text,
                });
                e.count += n;
            }
        }
        let mut v: Vec<Shape<'_>> = merged.into_values().collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.shape.cmp(b.shape)));
        v.truncate(top);
        v
    }

    /// Heap bytes per structure, for the memory figures in the benchmark.
    pub fn memory_breakdown(&self) -> Vec<(&'static str, usize)> {
        use std::mem::size_of;
        vec![
            (
                "records",
                self.len() * size_of::<Stored>()
                    + self.runs.capacity() * size_of::<Run>()
                    + self.paths.capacity() * 12
                    + self.path_spill.capacity() * 9,
            ),
            ("order", self.order.heap_bytes()),
            ("api", self.api.heap_bytes().0),
            ("api_users", self.api.heap_bytes().1),
            ("webhooks", self.webhooks.heap_bytes()),
            ("events", self.events.heap_bytes()),
            ("by_request_id", self.by_request_id.heap_bytes()),
            (
                "other indexes",
                self.by_accepted_id.heap_bytes()
                    + self.by_retry_key.heap_bytes()
                    + self.by_event_id.heap_bytes()
                    + self.by_reply_token_event.heap_bytes()
                    + self.by_reply_token_api.heap_bytes(),
            ),
            ("errors", self.errors.capacity() * 4),
            ("notes", self.notes.heap_bytes()),
            ("syms", self.syms.heap_bytes()),
            ("kept request IDs", self.kept_request_ids.heap_bytes()),
        ]
    }
}

/// Lines of `/proc/self/status` that start with one of `keys` (`VmHWM`,
/// `VmRSS`): the process's memory, for `LINELENS_MEMORY=1`. Empty where
/// there is no `/proc`.
pub fn process_status(keys: &[&str]) -> Vec<String> {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| s.lines().filter(|l| keys.iter().any(|k| l.starts_with(k))).map(str::to_owned).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
