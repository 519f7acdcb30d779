//! A block's parse loop: each line gathered into an entry, joined to the
//! record before as a continuation, or classified on its own.

use super::*;
use crate::model::{Kind, Loc, Method, NONE, Record};
use crate::parse::gather::{Gather, Step};
use crate::parse::{self, Line, Parsed};
use crate::signature::Secrets;
use crate::source::Block;
use crate::store::{EXAMPLES, hash_id};
use crate::time::Millis;

/// How far apart the line hints within a block are (see
/// `Source::line_hints`): a line number is counted from at most this far.
pub const HINT_EVERY: usize = 64 << 10;

/// How a block is parsed.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Keep the block's bytes with it: a source that cannot be read again
    /// (standard input).
    pub keep_data: bool,
    /// Keep the request IDs themselves: a compressed source, whose lines
    /// are costly to read again, for the screen and `lookup`.
    pub keep_ids: bool,
    /// Keep each record's line number as read (see `line_marks`): a file
    /// that may change while it is read.
    pub marks: bool,
    /// Verify webhook signatures with these.
    pub secrets: Option<std::sync::Arc<Secrets>>,
}

impl ParsedBlock {
    pub fn new(source: u32) -> ParsedBlock {
        ParsedBlock { source, ..ParsedBlock::default() }
    }

    /// Parse a whole block of lines.
    pub fn parse(source: u32, block: Block, opts: &ParseOptions) -> ParsedBlock {
        Self::parse_returning(source, block, opts).0
    }

    /// [`ParsedBlock::parse`], handing the block's buffer back when the
    /// parsed block does not keep it, for the reader to fill again.
    pub fn parse_returning(source: u32, block: Block, opts: &ParseOptions) -> (ParsedBlock, Option<Vec<u8>>) {
        let mut pb = ParsedBlock::new(source);
        pb.modified = crate::time::reference();
        pb.marks = opts.marks;
        pb.keep_ids = opts.keep_ids;
        pb.secrets = opts.secrets.clone();
        pb.bytes = block.data.len() as u64;
        pb.checkpoint = (block.offset, block.first_line);
        let mut line_no = block.first_line;
        let mut pos = 0usize;
        let data = &block.data;
        // The block checked as UTF-8 once: its lines, cut at newlines, need
        // no check of their own (a check per line was 1.5 % of `report`).
        // simdutf8 checks it with vector instructions (std's check of the
        // blocks was another 1.3 %).
        let whole = simdutf8::basic::from_utf8(data).ok();
        let mut next_hint = HINT_EVERY;
        while pos < data.len() {
            if pos >= next_hint {
                pb.hints.push((block.offset + pos as u64, line_no));
                next_hint = pos + HINT_EVERY;
            }
            let end = memchr::memchr(b'\n', data.get(pos..).unwrap_or_default()).map_or(data.len(), |i| pos + i);
            let mut raw = data.get(pos..end).unwrap_or_default();
            if raw.last() == Some(&b'\r') {
                raw = raw.get(..raw.len() - 1).unwrap_or_default();
            }
            let text = whole.and_then(|w| w.get(pos..pos + raw.len()));
            pb.add_line(raw, text, block.offset + pos as u64, line_no);
            line_no += 1;
            pos = end + 1;
        }
        // An entry still open at the block's end: read as far as it goes
        // (an object that did not close: its lines as they are).
        pb.finish_gather();
        // An unterminated last line is still the current line.
        pb.next_line = line_no - u64::from(data.last().is_some_and(|&b| b != b'\n'));
        if opts.keep_data {
            pb.data = Some(block.data);
            return (pb, None);
        }
        (pb, Some(block.data))
    }

    /// Add one line (without its line ending): gathered into the entry
    /// being gathered or one it opens (see `parse::gather`), else
    /// classified on its own. `text`: the same line as text, when it is
    /// known to be valid UTF-8 already.
    pub fn add_line(&mut self, raw: &[u8], text: Option<&str>, offset: u64, line_no: u64) {
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
        self.add_plain(raw, text, offset, line_no, true);
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
                self.add_plain(raw, None, *offset, *line_no, false);
            }
        }
    }

    /// The gathered lines, each read on its own (none opening an entry
    /// again).
    fn replay_gathered(&mut self) {
        self.gather = None;
        for (raw, offset, line_no) in std::mem::take(&mut self.gathered) {
            self.add_plain(&raw, None, offset, line_no, false);
        }
    }

    /// Classify one line (without its line ending) and add it.
    /// (`may_open`: the line may open an entry to gather.)
    fn add_plain(&mut self, raw: &[u8], text: Option<&str>, offset: u64, line_no: u64, may_open: bool) {
        // Valid UTF-8 is the rule; the lossy conversion is only for junk.
        let text = match text.map_or_else(|| std::str::from_utf8(raw).ok(), Some) {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => String::from_utf8_lossy(raw),
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
            // (By reference: moving the line out of `parsed` copied 504 bytes.)
            Parsed::Record(ref l) => self.add_parsed_record(l, raw.len(), offset, line_no),
        }
    }

    /// Whether an API call was logged already, just before, by another
    /// hand: the same request ID and status from another format, one of them
    /// an SDK's output (a JSON line and an SDK's dump); or, without an ID on
    /// one side, the same status within two seconds from the other of the
    /// Java SDK's wire log and an SDK error (the wire log's exchange, then
    /// the exception).
    /// (`id`: the hash of its request ID, 0 without one.)
    fn same_call(&mut self, l: &Line, id: u64) -> bool {
        const KEEP: usize = 8;
        if !matches!(l.kind, Kind::Api | Kind::MiniApp) {
            return false;
        }
        let f = &l.fields;
        let sdk = |format| matches!(format, parse::formats::SDK_ERROR | parse::formats::WIRE_LOG);
        let near = |t: Millis| t == i64::MIN || f.time == i64::MIN || (t - f.time).abs() <= 2000;
        // (One hand that logs a call twice is left as it is: a line printed
        // again in its entry is joined to it, see `repeats`.)
        // Every match needs an SDK's output on one side: without one among
        // the kept calls, a call from any other hand is not searched for.
        let seen = (sdk(l.format) || self.recent_sdk_calls > 0)
            && self.recent_calls.iter().any(|&(pid, status, t, format)| {
                status == f.status
                    && format != l.format
                    && if id != 0 && pid != 0 {
                        id == pid && (sdk(format) || sdk(l.format))
                    } else {
                        sdk(format) && sdk(l.format) && near(t)
                    }
            });
        if !seen {
            if self.recent_calls.len() >= KEEP
                && let Some((_, _, _, format)) = self.recent_calls.pop_front()
                && sdk(format)
            {
                self.recent_sdk_calls -= 1;
            }
            self.recent_calls.push_back((id, f.status, f.time, l.format));
            self.recent_sdk_calls += usize::from(sdk(l.format));
        }
        seen
    }

    /// A webhook receipt from an access line (`l`) that answered a request
    /// a signature-failure line just reported (within the last few records,
    /// in the same second or without a time, and refused: 4xx or 5xx): one
    /// receipt, not two. The failure line becomes a log line; its verdict
    /// goes to the receipt.
    pub(super) fn merge_failure(&mut self, l: &Line) -> Option<parse::sdk::SignatureFailure> {
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
        // (Hashed once here, for both.)
        let id = match l.kind {
            Kind::Api | Kind::MiniApp => l.fields.request_id.as_deref().map_or(0, hash_id),
            _ => 0,
        };
        let l = if self.same_call(l, id) {
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
        self.add_record(l, offset, id)
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
}
