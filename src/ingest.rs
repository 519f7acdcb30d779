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

use std::collections::BTreeMap;

use foldhash::HashMap;

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::model::{
    ApiMeta, AudienceOp, EventMeta, Kind, Loc, Method, Mode, NONE, Note, Record, Response, SourceType, Sym, WebhookMeta,
};
use crate::parse::gather::{Gather, Step};
use crate::parse::{self, Line, Parsed, body};
use crate::signature::{Secrets, SigState};
use crate::source::{self, Block, BlockReader, Origin, SourceSpec};
use crate::store::{EXAMPLES, Example, FieldCounts, INLINE, Interner, Store, hash_id};
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
    recent_calls: Vec<(u64, u16, Millis, parse::formats::FormatId)>,
    /// The last signature-failure line: (record, time, what it said).
    sig_failure: Option<(u32, Millis, parse::sdk::SignatureFailure)>,
}

pub use crate::parse::gather::{ENTRY_MAX_BYTES, ENTRY_MAX_LINES};

/// A LINE answer slower than this (ms) is noted: LINE's webhook timeout.
pub const SLOW_MS: u64 = 2000;

impl ParsedBlock {
    pub fn new(source: u32) -> ParsedBlock {
        ParsedBlock { source, ..ParsedBlock::default() }
    }

    /// Parse a whole block of lines.
    pub fn parse(source: u32, block: Block, keep_data: bool) -> ParsedBlock {
        ParsedBlock::parse_keeping_ids(source, block, keep_data, false)
    }

    /// [`ParsedBlock::parse`], keeping the request IDs themselves too.
    pub fn parse_keeping_ids(source: u32, block: Block, keep_data: bool, keep_ids: bool) -> ParsedBlock {
        ParsedBlock::parse_with(source, block, keep_data, keep_ids, None)
    }

    /// [`ParsedBlock::parse_keeping_ids`], verifying webhook signatures with `secrets`.
    pub fn parse_with(
        source: u32,
        block: Block,
        keep_data: bool,
        keep_ids: bool,
        secrets: Option<std::sync::Arc<Secrets>>,
    ) -> ParsedBlock {
        ParsedBlock::parse_marked(source, block, keep_data, keep_ids, secrets, false)
    }

    /// [`ParsedBlock::parse_with`]; `marks`: keep each record's line number
    /// as read (see `line_marks`).
    fn parse_marked(
        source: u32,
        block: Block,
        keep_data: bool,
        keep_ids: bool,
        secrets: Option<std::sync::Arc<Secrets>>,
        marks: bool,
    ) -> ParsedBlock {
        let mut pb = ParsedBlock::new(source);
        pb.modified = crate::time::reference();
        pb.marks = marks;
        pb.keep_ids = keep_ids;
        pb.secrets = secrets;
        pb.bytes = block.data.len() as u64;
        pb.checkpoint = (block.offset, block.first_line);
        let mut line_no = block.first_line;
        let mut pos = 0usize;
        let data = &block.data;
        while pos < data.len() {
            let end = memchr::memchr(b'\n', data.get(pos..).unwrap_or_default()).map_or(data.len(), |i| pos + i);
            let mut raw = data.get(pos..end).unwrap_or_default();
            if raw.last() == Some(&b'\r') {
                raw = raw.get(..raw.len() - 1).unwrap_or_default();
            }
            pb.add_line(raw, block.offset + pos as u64, line_no);
            line_no += 1;
            pos = end + 1;
        }
        // An entry still open at the block's end: read as far as it goes
        // (an object that did not close: its lines as they are).
        pb.finish_gather();
        // An unterminated last line is still the current line.
        pb.next_line = line_no - u64::from(data.last().is_some_and(|&b| b != b'\n'));
        if keep_data {
            pb.data = Some(block.data);
        }
        pb
    }

    /// Add one line (without its line ending): gathered into the entry
    /// being gathered or one it opens (see `parse::gather`), else
    /// classified on its own.
    pub fn add_line(&mut self, raw: &[u8], offset: u64, line_no: u64) {
        if let Some(g) = self.gather.as_mut() {
            self.gathered_bytes += raw.len() as u64 + 1;
            // The caps as `parse::gather::close_of` has them.
            let capped = self.gathered.len() > ENTRY_MAX_LINES as usize || self.gathered_bytes > ENTRY_MAX_BYTES;
            let step = if capped { Step::Stop } else { g.step(&String::from_utf8_lossy(raw)) };
            match step {
                Step::Take => {
                    self.gathered.push((raw.to_vec(), offset, line_no));
                    return;
                }
                Step::Last => {
                    self.gathered.push((raw.to_vec(), offset, line_no));
                    self.finish_gather();
                    return;
                }
                Step::Stop if matches!(g, Gather::Pretty(_)) => {
                    // An object over the caps: every line on its own.
                    self.gathered.push((raw.to_vec(), offset, line_no));
                    self.replay_gathered();
                    return;
                }
                Step::Stop => self.finish_gather(),
            }
        }
        if !self.partial
            && raw.trim_ascii_end().last() == Some(&b'{')
            && let Some(indent) = parse::pretty::opens(&String::from_utf8_lossy(raw))
        {
            self.open_gather(Gather::Pretty(indent), raw, offset, line_no);
            return;
        }
        self.add_plain(raw, offset, line_no, true);
    }

    fn open_gather(&mut self, g: Gather, raw: &[u8], offset: u64, line_no: u64) {
        self.gather = Some(g);
        self.gathered_bytes = raw.len() as u64 + 1;
        self.gathered.push((raw.to_vec(), offset, line_no));
    }

    /// A gathered entry: one record when its lines read as one, else each
    /// line on its own.
    fn finish_gather(&mut self) {
        let Some(g) = self.gather.take() else { return };
        if self.gathered.len() < 2 {
            self.replay_gathered();
            return;
        }
        let lines = std::mem::take(&mut self.gathered);
        let texts: Vec<std::borrow::Cow<'_, str>> = lines.iter().map(|(r, _, _)| String::from_utf8_lossy(r)).collect();
        let joined = g.join(texts.iter().map(|t| t.as_ref()));
        let (Parsed::Record(l), Some((first, offset, line_no))) = (parse::parse_line(&joined), lines.first()) else {
            self.gathered = lines;
            self.replay_gathered();
            return;
        };
        self.add_parsed_record(&l, first.len(), *offset, *line_no);
        for (raw, offset, line_no) in lines.iter().skip(1) {
            // (A blank line inside is not a line of the entry.)
            if !raw.trim_ascii().is_empty() && !self.join(raw.len() as u64 + 1) {
                self.add_plain(raw, *offset, *line_no, false);
            }
        }
    }

    /// The gathered lines, each read on its own (none opening an entry
    /// again).
    fn replay_gathered(&mut self) {
        self.gather = None;
        for (raw, offset, line_no) in std::mem::take(&mut self.gathered) {
            self.add_plain(&raw, offset, line_no, false);
        }
    }

    /// Classify one line (without its line ending) and add it.
    /// (`may_open`: the line may open an entry to gather.)
    fn add_plain(&mut self, raw: &[u8], offset: u64, line_no: u64, may_open: bool) {
        // Valid UTF-8 is the rule; the lossy conversion is only for junk.
        let text = match std::str::from_utf8(raw) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(raw),
        };
        let line = u32::try_from(line_no).unwrap_or(u32::MAX);
        if self.partial && !text.trim().is_empty() && self.join(raw.len() as u64 + 1) {
            // The rest of a split line (its last part ends the joining).
            self.partial = parse::envelope::is_partial(&text);
            return;
        }
        self.partial = false;
        let parsed = parse::parse_line(&text);
        // An SDK error or a webhook body printed again: part of the entry.
        if let Parsed::Record(l) = &parsed
            && self.recent_errors.repeats_line(l)
        {
            if self.join(raw.len() as u64 + 1) {
                return;
            }
            if matches!(l.format, parse::formats::WEBHOOK_BODY | parse::formats::WEBHOOK_EVENT) {
                // The body printed again apart from its entry: a log line,
                // not a second delivery.
                self.add_parsed_record(&l.as_log(), raw.len(), offset, line_no);
                return;
            }
        }
        if may_open
            && let Some(g) = parse::gather::opens(&text, &parsed)
                .filter(|g| !matches!(g, Gather::Pretty(_)) && !parse::envelope::is_partial(&text))
        {
            self.open_gather(g, raw, offset, line_no);
            return;
        }
        // (LINE's own formats are never the first part of a split line: not checked.)
        if let Parsed::Record(l) = &parsed
            && l.format > parse::formats::LINE_JSON
            && parse::envelope::is_partial(&text)
        {
            self.partial = true;
        }
        // Whether an unparsed line continues the entry above (decided once:
        // it may peel an envelope).
        let continues = matches!(parsed, Parsed::Unparsed) && parse::is_continuation(&text);
        match parsed {
            Parsed::Blank => {}
            Parsed::Header => {
                self.header_rows += 1;
                self.chain = None;
                if self.header_examples.len() < EXAMPLES {
                    self.header_examples.push((line_no, text.chars().take(EXAMPLE_CHARS).collect()));
                }
            }
            Parsed::Unparsed if continues && self.join(raw.len() as u64 + 1) => {}
            Parsed::Unparsed => {
                let lead = continues
                    && self.chain.is_none()
                    && self.lead as usize == self.records.len()
                    && self.lead_bytes + (raw.len() as u64) < ENTRY_MAX_BYTES;
                if lead {
                    self.lead += 1;
                    self.lead_bytes += raw.len() as u64 + 1;
                }
                self.chain = None;
                if text.trim_start().starts_with('{') && parse::json::untimed(&text) {
                    self.fields.untimed += 1;
                }
                if !lead {
                    if self.examples.len() < EXAMPLES {
                        self.examples.push((line_no, text.chars().take(EXAMPLE_CHARS).collect()));
                    }
                    let e = self
                        .shapes
                        .entry(crate::store::shape(&text))
                        .or_insert_with(|| (0, line_no, text.chars().take(EXAMPLE_CHARS).collect()));
                    e.0 += 1;
                }
                self.records.push(Record::new(
                    i64::MIN,
                    Loc::new(self.source, offset),
                    Kind::Unparsed,
                    Method::None,
                    0,
                    NONE,
                    line,
                ));
            }
            Parsed::Record(l) => self.add_parsed_record(&l, raw.len(), offset, line_no),
        }
    }

    /// Whether an API call was logged already, just before, by another
    /// hand: the same request ID and status from another format, one of them
    /// an SDK's output (a JSON line and an SDK's dump); or, without an ID on
    /// one side, the same status within two seconds from the other of the
    /// Java SDK's wire log and an SDK error (the wire log's exchange, then
    /// the exception).
    fn same_call(&mut self, l: &Line) -> bool {
        const KEEP: usize = 8;
        if !matches!(l.kind, Kind::Api | Kind::MiniApp) {
            return false;
        }
        let f = &l.fields;
        let id = f.request_id.as_deref().map_or(0, hash_id);
        let sdk = |format| matches!(format, parse::formats::SDK_ERROR | parse::formats::WIRE_LOG);
        let near = |t: Millis| t == i64::MIN || f.time == i64::MIN || (t - f.time).abs() <= 2000;
        // (One hand that logs a call twice is left as it is: a line printed
        // again in its entry is joined to it, see `repeats`.)
        let seen = self.recent_calls.iter().any(|&(pid, status, t, format)| {
            status == f.status
                && format != l.format
                && if id != 0 && pid != 0 {
                    id == pid && (sdk(format) || sdk(l.format))
                } else {
                    sdk(format) && sdk(l.format) && near(t)
                }
        });
        if !seen {
            if self.recent_calls.len() >= KEEP {
                self.recent_calls.remove(0);
            }
            self.recent_calls.push((id, f.status, f.time, l.format));
        }
        seen
    }

    /// A webhook receipt from an access line (`l`) that answered a request
    /// a signature-failure line just reported (within the last few records,
    /// in the same second or without a time, and refused: 4xx or 5xx): one
    /// receipt, not two. The failure line becomes a log line; its verdict
    /// goes to the receipt.
    fn merge_failure(&mut self, l: &Line) -> Option<parse::sdk::SignatureFailure> {
        const NEAR: u32 = 16;
        let (at, time, failure) = self.sig_failure?;
        let f = &l.fields;
        let idx = self.records.len() as u32;
        let same_second = time == i64::MIN || f.time == i64::MIN || time.div_euclid(1000) == f.time.div_euclid(1000);
        if f.status < 400 || f.body.is_some() || idx > at + NEAR || !same_second {
            return None;
        }
        let was = self.records.get(at as usize).copied()?;
        if let Some(r) = self.records.get_mut(at as usize) {
            *r = Record::new(was.ts(), Loc::new(self.source, was.offset()), Kind::Log, Method::None, 0, NONE, NONE);
        }
        self.sig_failure = None;
        // (It had been counted as a receipt that logged nothing else.)
        self.fields.webhook.records = self.fields.webhook.records.saturating_sub(1);
        Some(failure)
    }

    /// A record line of `len` bytes: counted by format, marked, and open
    /// for continuation lines.
    fn add_parsed_record(&mut self, l: &Line, len: usize, offset: u64, line_no: u64) {
        // The same call logged again by another hand (see `same_call`): a
        // log line, so that it counts once.
        let again;
        let l = if self.same_call(l) {
            again = l.as_log();
            &again
        } else {
            l
        };
        let at = usize::from(l.format);
        if self.formats.len() <= at {
            self.formats.resize(at + 1, 0);
        }
        if let Some(n) = self.formats.get_mut(at) {
            *n += 1;
        }
        if self.marks {
            let rel = |a: u64, b: u64| u32::try_from(a.saturating_sub(b)).unwrap_or(u32::MAX);
            self.line_marks.push((rel(offset, self.checkpoint.0), rel(line_no, self.checkpoint.1)));
        }
        self.chain = Some((self.records.len() as u32, 0, len as u64 + 1));
        self.add_record(l, offset)
    }

    /// Join a continuation line of `bytes` to the record before, if there
    /// is one in this block with room left.
    fn join(&mut self, bytes: u64) -> bool {
        let Some((idx, lines, size)) = self.chain.as_mut() else { return false };
        if *lines >= ENTRY_MAX_LINES || *size + bytes > ENTRY_MAX_BYTES {
            self.chain = None;
            return false;
        }
        *lines += 1;
        *size += bytes;
        let idx = *idx;
        match self.continued.last_mut() {
            Some((i, n)) if *i == idx => *n += 1,
            _ => self.continued.push((idx, 1)),
        }
        true
    }

    fn add_record(&mut self, l: &Line, offset: u64) {
        let f = &l.fields;
        self.fields.observe(l);
        let idx = self.records.len() as u32;
        let target = l.target().map(parse::endpoint_path);
        let path = self.syms.opt(target);
        let mut aux = NONE;
        match l.kind {
            Kind::Webhook => {
                let mut meta = WebhookMeta {
                    ip: self.syms.opt(f.ip.as_deref()),
                    destination: NONE,
                    events_start: self.events.len() as u32,
                    events_len: 0,
                    has_signature: f.signature.is_some(),
                    sig: SigState::Unverifiable,
                    has_raw_body: f.body.as_ref().is_some_and(|b| b.is_string()),
                    has_body: f.body.is_some(),
                };
                if let Some(b) = &f.body {
                    let text = b.text();
                    let wb = body::parse_webhook_body(&text);
                    let destination = wb.as_ref().and_then(|w| w.destination.as_deref());
                    let raw = meta.has_raw_body.then_some(text.as_ref());
                    meta.sig =
                        crate::signature::check(self.secrets.as_deref(), raw, f.signature.as_deref(), destination);
                    if let Some(wb) = &wb {
                        meta.destination = self.syms.opt(wb.destination.as_deref());
                        for ev in &wb.events {
                            let e = self.event(idx, ev);
                            self.events.push(e);
                        }
                        meta.events_len = wb.events.len() as u32;
                    }
                }
                // A line that reported the signature rejected; or the access
                // line of the request such a line just reported (see
                // `merge_failure`).
                if let Some(failure) = f.signature_failure.or_else(|| self.merge_failure(l)) {
                    meta.sig = failure.state();
                    if failure == parse::sdk::SignatureFailure::Invalid {
                        meta.has_signature = true;
                    }
                }
                if let Some(s) = f.signature_failure {
                    self.sig_failure = Some((idx, f.time, s));
                }
                if let Some(ms) = f.duration_ms.filter(|&ms| ms > SLOW_MS) {
                    let slow_ms = u16::try_from(ms).unwrap_or(u16::MAX);
                    self.notes.push(Note { record: idx, slow_ms, ..Note::default() });
                }
                if meta.has_body || meta.has_signature || meta.sig != SigState::Unverifiable {
                    aux = self.webhooks.len() as u32;
                    self.webhooks.push(meta);
                } else if meta.ip != NONE {
                    aux = INLINE | meta.ip;
                }
            }
            Kind::Api | Kind::MiniApp => {
                if let Some(id) = &f.request_id {
                    self.request_ids.push((idx, hash_id(id)));
                    if self.keep_ids {
                        self.kept_ids.push((idx, id.as_ref().into()));
                    }
                }
                if let Some(id) = &f.accepted_request_id {
                    self.accepted_ids.push((idx, hash_id(id)));
                }
                let mut meta = ApiMeta {
                    retry_key: f.retry_key.as_deref().map_or(0, hash_id),
                    token: f.notification_token.as_deref().map_or(0, hash_id),
                    users_start: self.users.len() as u32,
                    users_len: 0,
                };
                let mut note = Note { record: idx, ..Note::default() };
                let rb = f.request_body.as_ref().and_then(|b| body::parse_request_body(&b.text()));
                let target = target.unwrap_or("");
                // The response body matters for errors, MINI App tokens and new audiences only.
                let wants_response =
                    f.status >= 400 || l.kind == Kind::MiniApp || target.starts_with("/v2/bot/audienceGroup/");
                let resp = f
                    .response_body
                    .as_ref()
                    .filter(|_| wants_response)
                    .and_then(|b| body::parse_response_body(&b.text()));
                if let Some(rb) = &rb {
                    if let Some(t) = rb.reply_token.as_deref() {
                        meta.token = hash_id(t);
                    }
                    for u in rb.to.iter().chain(rb.chat_id.iter()) {
                        let s = self.syms.intern(u);
                        self.users.push(s);
                    }
                    meta.users_len = self.users.len() as u32 - meta.users_start;
                } else if let Some(u) = f.user_id.as_deref() {
                    // A user format's line naming its recipient.
                    let s = self.syms.intern(u);
                    self.users.push(s);
                    meta.users_len = 1;
                }
                if f.status >= 400 {
                    // The body's `message`, else the body itself (a bot that logs
                    // the message as a string), else a text line's extras.
                    let raw = f.response_body.as_ref().map(|b| b.text());
                    let message =
                        resp.as_ref().and_then(|r| r.message.as_deref()).or(raw.as_deref()).or(l.extras.as_deref());
                    note.response = message.map_or(Response::Other, Response::classify);
                }
                if l.kind == Kind::MiniApp {
                    // The guideline's logged token is the one in the response.
                    note.token_used = rb.as_ref().and_then(|r| r.notification_token.as_deref()).map_or(0, hash_id);
                    note.token_returned = resp
                        .as_ref()
                        .and_then(|r| r.notification_token.as_deref())
                        .or(f.notification_token.as_deref())
                        .map_or(0, hash_id);
                }
                let audiences = audience_calls(f.method, target, rb.as_ref(), resp.as_ref());
                if audiences.is_empty() {
                    if note != (Note { record: idx, ..Note::default() }) {
                        self.notes.push(note);
                    }
                } else {
                    for (op, id) in audiences {
                        self.notes.push(Note { audience_op: op, audience: hash_id(&id), ..note });
                    }
                }
                if meta != (ApiMeta { users_start: meta.users_start, ..ApiMeta::default() }) {
                    aux = self.api.len() as u32;
                    self.api.push(meta);
                }
            }
            Kind::Http => aux = self.syms.opt(f.ip.as_deref()),
            Kind::Log | Kind::Unparsed => {}
        }
        // A `log` record keeps its level where others keep the status.
        let status = if l.kind == Kind::Log { f.level.map_or(0, |v| v as u16) } else { f.status };
        let mut rec = Record::new(
            f.time,
            Loc::new(self.source, offset),
            l.kind,
            f.method.unwrap_or(Method::None),
            status,
            path,
            aux,
        );
        if f.time == i64::MIN
            && let Some(of_day) = f.clock
        {
            // The time of day until its date is known (see `commit`).
            rec.set_ts(Millis::from(of_day));
            self.clock_only.push(idx);
        }
        self.records.push(rec);
    }

    fn event(&mut self, record: u32, ev: &body::Event) -> EventMeta {
        let src = ev.source.as_ref();
        let source_type = match src.and_then(|s| s.kind.str()).as_deref() {
            None => SourceType::None,
            Some("user") => SourceType::User,
            Some("group") => SourceType::Group,
            Some("room") => SourceType::Room,
            Some(_) => SourceType::Other,
        };
        let msg = ev.message.as_ref();
        let chat = src.and_then(|s| s.group_id.str().or_else(|| s.room_id.str()));
        let message_id = msg.and_then(|m| m.id.str()).or_else(|| ev.unsend.as_ref().and_then(|u| u.message_id.str()));
        EventMeta {
            record,
            event_type: self.syms.opt(ev.kind.str().as_deref()),
            mode: ev.mode.str().map_or(Mode::None, |m| Mode::parse(&m)),
            source_type,
            user: self.syms.opt(src.and_then(|s| s.user_id.str()).as_deref()),
            chat: self.syms.opt(chat.as_deref()),
            webhook_event_id: ev.webhook_event_id.str().map_or(0, |s| hash_id(&s)),
            is_redelivery: ev.delivery_context.as_ref().and_then(|d| d.is_redelivery).unwrap_or(false),
            reply_token: ev.reply_token.str().map_or(0, |s| hash_id(&s)),
            message_id: message_id.map_or(0, |s| hash_id(&s)),
            message_type: self.syms.opt(msg.and_then(|m| m.kind.str()).as_deref()),
        }
    }
}

/// The audiences an API call creates, uses (narrowcast) or deletes.
fn audience_calls(
    method: Option<Method>,
    path: &str,
    rb: Option<&body::RequestBody>,
    resp: Option<&body::ResponseBody>,
) -> Vec<(AudienceOp, String)> {
    const CREATE: [&str; 4] = ["upload", "upload/byFile", "click", "imp"];
    let Some(rest) = path.strip_prefix("/v2/bot/audienceGroup/") else {
        return if method == Some(Method::Post) && path == "/v2/bot/message/narrowcast" {
            rb.map(|r| r.audiences.iter().map(|a| (AudienceOp::Used, a.clone())).collect()).unwrap_or_default()
        } else {
            Vec::new()
        };
    };
    match method {
        Some(Method::Post) if CREATE.contains(&rest) => {
            resp.and_then(|r| r.audience_group_id.clone()).map(|id| vec![(AudienceOp::Created, id)]).unwrap_or_default()
        }
        Some(Method::Delete) if !rest.is_empty() && !rest.contains('/') => vec![(AudienceOp::Deleted, rest.to_owned())],
        _ => Vec::new(),
    }
}

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

/// Commit a parsed block into the store, in order.
pub fn commit(store: &mut Store, mut pb: ParsedBlock, window: Window) {
    let map: Vec<Sym> = pb.syms.strings().map(|s| store.syms.intern(s)).collect();
    let tr = |s: Sym| if s == NONE { NONE } else { map.get(s as usize).copied().unwrap_or(NONE) };
    let src = pb.source as usize;
    if let Some(s) = store.sources.get_mut(src) {
        s.bytes += pb.bytes;
        s.fields.add(&pb.fields);
        // Blocks arrive in file order, except the start of a followed file
        // that first looked like a copy (see `source::follow`).
        let at = s.checkpoints.partition_point(|&(off, _)| off <= pb.checkpoint.0);
        if at == s.checkpoints.len() {
            s.next_line = pb.next_line;
        }
        s.checkpoints.insert(at, pb.checkpoint);
        if pb.marks {
            s.line_marks.insert(pb.checkpoint.0, std::mem::take(&mut pb.line_marks).into_boxed_slice());
        }
        if let Some(d) = pb.data.take() {
            s.memory.get_or_insert_with(Vec::new).extend_from_slice(&d);
        }
    }
    store.add_header_rows(pb.source, pb.header_rows);
    keep_examples(&mut store.unparsed_examples, pb.source, pb.examples.drain(..));
    keep_examples(&mut store.header_examples, pb.source, pb.header_examples.drain(..));
    let mut request_ids = pb.request_ids.iter().peekable();
    let mut kept_ids = pb.kept_ids.iter().peekable();
    let mut accepted_ids = pb.accepted_ids.iter().peekable();
    let mut events = pb.events.iter().peekable();
    let mut notes = pb.notes.iter().peekable();
    let mut clock_only = pb.clock_only.iter().peekable();
    // Per-status and per-path counts, added once per distinct key.
    let mut counts: HashMap<(Kind, u16, Sym), u64> = HashMap::default();
    let mut users: Vec<Sym> = Vec::new();
    let mut evs: Vec<EventMeta> = Vec::new();
    // The block's leading continuation lines join the entry the block
    // before ended in, if it did.
    // At most up to the entry's cap; the rest stay unparsed.
    let mut reopened = None;
    let joined_lead = match store.sources.get(src).and_then(|s| s.open_entry) {
        Some((id, lines, bytes)) if pb.lead > 0 && bytes + pb.lead_bytes <= ENTRY_MAX_BYTES => {
            let n = pb.lead.min(ENTRY_MAX_LINES.saturating_sub(lines));
            store.add_continuations(id, n);
            if n == pb.lead {
                reopened = Some((id, lines + n, bytes + pb.lead_bytes));
            }
            n
        }
        _ => 0,
    };
    let mut continued = pb.continued.iter().peekable();
    let mut open_entry = None;
    if let Some(source) = store.sources.get_mut(src) {
        // In the order the shapes first appear, so that which ones a file
        // keeps under its cap does not depend on the map's hashing.
        let mut shapes: Vec<_> = pb.shapes.drain().collect();
        shapes.sort_unstable_by_key(|(_, (_, line, _))| *line);
        for (shape, (n, line, text)) in shapes {
            source.add_shape(&shape, n, line, &text);
        }
        if source.formats.len() < pb.formats.len() {
            source.formats.resize(pb.formats.len(), 0);
        }
        for (c, n) in source.formats.iter_mut().zip(&pb.formats) {
            *c += n;
        }
    }
    for (i, rec) in pb.records.iter().enumerate() {
        let i = i as u32;
        if i < joined_lead {
            continue;
        }
        let mut rec = *rec;
        let Some(source) = store.sources.get_mut(src) else { return };
        let kind = rec.kind();
        if kind == Kind::Unparsed {
            rec.set_ts(source.last_ts.unwrap_or(i64::MIN));
            source.inferred_open = false;
        } else {
            // A time of day alone takes its date from the timed lines before
            // it in the file, else from the file's last change; without
            // either it has no time.
            let clock_only = clock_only.next_if(|&&r| r == i).is_some();
            let inferred = clock_only && {
                let of_day = u32::try_from(rec.ts()).unwrap_or(0);
                let reference = source.last_ts.map(|r| (r, true)).or(pb.modified.map(|m| (m, false)));
                rec.set_ts(reference.map_or(i64::MIN, |(r, after)| crate::time::on_day_of(of_day, r, after)));
                reference.is_some()
            };
            match (inferred, source.inferred_open, source.inferred_runs.last_mut()) {
                (true, true, Some(run)) => run.1 = rec.offset(),
                (true, _, _) => source.inferred_runs.push((rec.offset(), rec.offset())),
                (false, _, _) => {}
            }
            source.inferred_open = inferred;
            // A record whose line has no time (uvicorn, morgan) sorts after
            // the line before it, as an unparsed line does.
            match rec.time() {
                Some(t) => source.last_ts = Some(t),
                None => rec.set_ts(source.last_ts.unwrap_or(i64::MIN)),
            }
            if rec.time().is_some_and(|t| !window.contains(t)) {
                source.outside_window += 1;
                while request_ids.next_if(|(r, _)| *r == i).is_some() {}
                while kept_ids.next_if(|(r, _)| *r == i).is_some() {}
                while accepted_ids.next_if(|(r, _)| *r == i).is_some() {}
                while events.next_if(|e| e.record == i).is_some() {}
                while notes.next_if(|n| n.record == i).is_some() {}
                continue;
            }
            rec.aux = NONE;
        }
        if kind != Kind::Unparsed {
            *counts.entry((kind, rec.status(), rec.path)).or_default() += 1;
        }
        rec.path = tr(rec.path);
        let local_aux = pb.records.get(i as usize).map_or(NONE, |r| r.aux);
        let id = store.append(rec);
        while continued.next_if(|(r, _)| *r < i).is_some() {}
        if let Some((_, n)) = continued.next_if(|(r, _)| *r == i) {
            store.add_continuations(id, *n);
        }
        if let Some((c, lines, bytes)) = pb.chain
            && c == i
        {
            open_entry = Some((id, lines, bytes));
        }
        while let Some(n) = notes.next_if(|n| n.record == i) {
            store.notes.push(Note { record: id, ..*n });
        }
        let has_retry_key = pb.api.get(local_aux as usize).is_some_and(|m| m.retry_key != 0);
        while let Some((_, h)) = request_ids.next_if(|(r, _)| *r == i) {
            if store.index_all_request_ids || has_retry_key {
                store.by_request_id.insert(*h, id);
            }
        }
        while let Some((_, rid)) = kept_ids.next_if(|(r, _)| *r == i) {
            store.kept_request_ids.insert(id, rid);
        }
        while let Some((_, h)) = accepted_ids.next_if(|(r, _)| *r == i) {
            store.by_accepted_id.insert(*h, id);
        }
        match kind {
            Kind::Api | Kind::MiniApp if local_aux != NONE => {
                let Some(mut meta) = pb.api.get(local_aux as usize).copied() else { continue };
                let start = meta.users_start as usize;
                users.clear();
                users.extend(
                    pb.users.get(start..start + meta.users_len as usize).unwrap_or_default().iter().map(|&u| tr(u)),
                );
                meta.users_start = store.api_users.push_run(&users);
                for &u in &users {
                    store.index_user(u, id);
                }
                store.index_api(id, &meta, kind == Kind::Api);
                let aux = store.api.push(meta);
                store.set_aux(id, aux);
            }
            Kind::Http if local_aux != NONE => store.set_aux(id, tr(local_aux)),
            Kind::Webhook if local_aux == NONE || local_aux & INLINE != 0 => {
                store.signatures.add(SigState::Unverifiable);
                if local_aux != NONE {
                    store.set_aux(id, INLINE | tr(local_aux & !INLINE));
                }
            }
            Kind::Webhook => {
                let Some(mut meta) = pb.webhooks.get(local_aux as usize).copied() else { continue };
                meta.ip = tr(meta.ip);
                meta.destination = tr(meta.destination);
                evs.clear();
                while let Some(e) = events.next_if(|e| e.record == i) {
                    let mut e = *e;
                    e.record = id;
                    e.event_type = tr(e.event_type);
                    e.user = tr(e.user);
                    e.chat = tr(e.chat);
                    e.message_type = tr(e.message_type);
                    evs.push(e);
                }
                meta.events_start = store.events.push_run(&evs);
                meta.events_len = evs.len() as u32;
                store.signatures.add(meta.sig);
                for (k, e) in evs.iter().enumerate() {
                    let ev_idx = meta.events_start + k as u32;
                    if e.message_id != 0 && store.syms.resolve(e.event_type) == "unsend" {
                        store.unsent.entry(e.message_id).or_insert(rec.ts());
                    }
                    store.index_event(ev_idx, e);
                    store.index_user(e.user, id);
                }
                store.totals.webhook_events += u64::from(meta.events_len);
                let aux = store.webhooks.push(meta);
                store.set_aux(id, aux);
            }
            _ => {}
        }
    }
    for ((kind, status, path), n) in counts {
        store.add_counts(kind, status, tr(path), n);
    }
    // The entry the next block's leading continuations join: this block's
    // last record when the block ended in it; the same as before when the
    // block held nothing but continuations of it.
    let all_joined = joined_lead as usize == pb.records.len();
    if let Some(s) = store.sources.get_mut(src) {
        s.open_entry = match (pb.records.is_empty(), all_joined) {
            (true, _) => s.open_entry, // blank lines only
            (false, true) => reopened,
            (false, false) => open_entry,
        };
    }
}

/// Keep a block's example lines, up to [`EXAMPLES`] in all.
fn keep_examples(kept: &mut Vec<Example>, source: u32, lines: impl Iterator<Item = (u64, String)>) {
    for (line, text) in lines {
        if kept.len() < EXAMPLES {
            kept.push(Example { source, line, text });
        }
    }
}

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
    keep: bool,
    keep_ids: bool,
    /// Keep line numbers as read (a file that may change while read).
    marks: bool,
    /// The file's last modification: the year of year-less times.
    modified: Option<crate::time::Millis>,
    block: Block,
}

/// How many committed blocks between calls of the `committed` callback.
const CALLBACK_EVERY: u64 = 16;

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
    let mut loader = Loader::start(store, specs.to_vec(), window, threads, warn);
    let (mut commit_time, mut callback_time) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    while let Some(out) = loader.next_blocking() {
        progress(loader.bytes_read.load(std::sync::atomic::Ordering::Relaxed), loader.bytes_total);
        let t0 = std::time::Instant::now();
        if loader.apply(store, out, warn) {
            let t1 = std::time::Instant::now();
            if loader.applied % CALLBACK_EVERY == 0 {
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

/// One result of a [`Loader`], in source order.
pub struct Loaded(Out);

impl Loader {
    /// Register `specs` as sources of `store` and start reading them.
    pub fn start(
        store: &mut Store,
        specs: Vec<SourceSpec>,
        window: Window,
        threads: usize,
        warn: &mut dyn FnMut(String),
    ) -> Loader {
        Loader::start_with(store, specs, window, threads, false, warn)
    }

    /// [`Loader::start`]; `background`: the reading threads run at a lower
    /// priority (the screen: the thread that answers keys comes first).
    pub fn start_with(
        store: &mut Store,
        specs: Vec<SourceSpec>,
        window: Window,
        threads: usize,
        background: bool,
        warn: &mut dyn FnMut(String),
    ) -> Loader {
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
        // Room for the workers to keep parsing while the committer analyses.
        let (out_tx, out_rx) = bounded::<(u64, Out)>(threads * 8);
        let bytes_read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = bytes_read.clone();
        let reader_out = out_tx.clone();
        let keep_ids = store.index_all_request_ids;
        std::thread::spawn(move || {
            if background {
                lower_priority();
            }
            read_all(&specs, base, &job_tx, &reader_out, &counter, keep_ids);
        });
        for _ in 0..threads {
            let rx = job_rx.clone();
            let tx = out_tx.clone();
            let secrets = store.secrets.clone();
            std::thread::spawn(move || {
                if background {
                    lower_priority();
                }
                parse_worker(&rx, &tx, secrets.as_ref());
            });
        }
        Loader {
            rx: out_rx,
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
                    SourceInfo::Done => s.line_marks = Default::default(),
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

fn parse_worker(rx: &Receiver<Job>, tx: &Sender<(u64, Out)>, secrets: Option<&std::sync::Arc<Secrets>>) {
    for job in rx {
        let pb = crate::time::with_reference(job.modified, || {
            ParsedBlock::parse_marked(job.source, job.block, job.keep, job.keep_ids, secrets.cloned(), job.marks)
        });
        if tx.send((job.seq, Out::Block(Box::new(pb)))).is_err() {
            return;
        }
    }
}

fn read_all(
    specs: &[SourceSpec],
    base: u32,
    jobs: &Sender<Job>,
    out: &Sender<(u64, Out)>,
    counter: &std::sync::Arc<std::sync::atomic::AtomicU64>,
    keep_compressed_ids: bool,
) {
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
        let keep_ids = keep_compressed_ids && opened.compressed;
        // A plain file can change while it is read (it is live); a
        // compressed one is read again to count lines, standard input kept.
        let marks = opened.file.is_some();
        let modified = match &spec.origin {
            Origin::File(path) => std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| chrono::DateTime::<chrono::Utc>::from(t).timestamp_millis().into()),
            Origin::Stdin => None,
        };
        let mut reader = BlockReader::new(opened);
        reader.eager = keep; // standard input: show lines as they come
        loop {
            match reader.next_block() {
                Ok(Some(block)) => {
                    if jobs.send(Job { seq, source: src, keep, keep_ids, marks, modified, block }).is_err() {
                        return;
                    }
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
    commit(store, ParsedBlock::parse_with(src, block, true, false, store.secrets.clone()), Window::default());
    src
}
