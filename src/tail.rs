//! `linelens tail`: the follower for scripts. One JSON object per record per
//! line on stdout, flushed at once.
//!
//! ```text
//! notify watcher ─ wake-up ─┐
//! timer (≤ 1 s) ────────────┤  poll the Follower ─▶ new complete lines ─▶ parse ─▶ JSON
//! stdin reader ─ lines ─────┤
//! SIGINT/SIGTERM ─ quit ────┘
//! ```

use crate::mask::Mask;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use crossbeam_channel::{Receiver, select, tick, unbounded};
use serde_json::{Value, json};

use crate::record_view::{RecordView, ViewOptions};

use crate::parse::{Parsed, body::parse_webhook_body, parse_line};
use crate::source::follow::{Change, Follower};

/// How `tail` prints records.
#[derive(Debug, Default)]
pub struct Printer {
    /// Print message text (never that of an unsent message).
    pub with_text: bool,
    pub secrets: Option<std::sync::Arc<crate::signature::Secrets>>,
    /// User IDs shortened in what is printed (`--mask-users`).
    pub mask: Mask,
    /// Messages unsent so far (message ID hash).
    pub unsent: std::collections::HashMap<u64, crate::time::Millis>,
    /// Per source, the time of the last record printed: the date of a line
    /// that has a time of day only.
    pub last_times: std::cell::RefCell<std::collections::HashMap<String, crate::time::Millis>>,
}

impl Printer {
    /// Remember the messages a line's unsend events withdraw.
    pub fn note_unsends(&mut self, text: &str) {
        if !text.contains("unsend") {
            return;
        }
        if let Parsed::Record(l) = parse_line(text)
            && let Some(b) = &l.fields.body
            && let Some(wb) = parse_webhook_body(&b.text())
        {
            for e in &wb.events {
                if e.kind.str().as_deref() == Some("unsend")
                    && let Some(id) = e.unsend.as_ref().and_then(|u| u.message_id.str())
                {
                    self.unsent.insert(crate::store::hash_id(&id), l.fields.time);
                }
            }
        }
    }
}

/// A record as `tail` prints it: its [`RecordView`] (the canonical keys of
/// the JSON-lines input format, `source` and `line`, a webhook's signature
/// state and its events' metadata; message text only with `with_text`, and
/// never that of an unsent message). A line that gives a time of day only
/// takes its date from the record before it in the same source, else from
/// the file's last change (now, for a stream).
pub fn record_json(text: &str, source: &str, line: u64, p: &Printer) -> Value {
    let redacted = crate::unsend::redact(text, &p.unsent);
    let text = redacted.as_ref();
    let opts = ViewOptions { with_text: p.with_text, secrets: p.secrets.clone(), infer_window: 0 };
    let parsed = parse_line(text);
    let Some(mut view) = RecordView::of_line(&parsed, text, &opts) else { return Value::Null };
    if let Parsed::Record(l) = &parsed {
        let mut last = p.last_times.borrow_mut();
        if let (i64::MIN, Some(of_day)) = (l.fields.time, l.fields.clock) {
            let reference = last.get(source).map(|&t| (t, true)).unwrap_or_else(|| {
                let modified = std::fs::metadata(source).and_then(|m| m.modified()).ok();
                let at = modified.map_or_else(chrono::Utc::now, chrono::DateTime::<chrono::Utc>::from);
                (at.timestamp_millis(), false)
            });
            view.time_inferred = true;
            view.time = Some(crate::time::on_day_of(of_day, reference.0, reference.1)).filter(|&t| t != i64::MIN);
        }
        if let Some(time) = view.time {
            last.insert(source.to_owned(), time);
        }
    }
    view.source = source.to_owned();
    view.line = Some(line);
    view.to_json()
}

/// The lines of a block of complete lines (without line endings).
fn lines_of(data: &[u8]) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
    data.split(|&c| c == b'\n').map(|raw| String::from_utf8_lossy(raw.strip_suffix(b"\r").unwrap_or(raw)))
}

/// Print every record of a block of complete lines. Continuation lines (a
/// traceback under a log line) go into the record before them, as
/// `continuation` (an array of lines), so an entry is printed once; one
/// that continues an entry printed with an earlier block is printed alone,
/// as `{"kind":"continuation",…}`.
fn print_lines(out: &mut dyn Write, source: &str, first_line: u64, data: &[u8], p: &Printer) -> std::io::Result<()> {
    let mut pending: Option<(Value, u32, u64)> = None;
    // The pending record's line was split by its runtime (a CRI `P` line):
    // the next line is its rest, whatever it looks like.
    let mut split = false;
    let mut held = Held { queue: Default::default(), mask: p.mask };
    let mut emit = |out: &mut dyn Write, v: Value| held.push(out, v);
    let all: Vec<std::borrow::Cow<'_, str>> = lines_of(data).collect();
    // Lines of an entry read as one (see `parse::gather`) already printed
    // with its record.
    let mut skip_to = 0usize;
    let mut recent_errors = crate::parse::sdk::RecentErrors::default();
    for (i, text) in all.iter().enumerate() {
        let line = first_line + i as u64;
        if i < skip_to || text.trim().is_empty() {
            continue;
        }
        let opened = (!split && crate::parse::gather::may_open(text))
            .then(|| crate::parse::gather::close_of(all.iter().skip(i).map(|l| l.as_ref()), &parse_line(text)))
            .flatten();
        if let Some((g, end)) = opened {
            let lines = all.get(i..=i + end).unwrap_or_default();
            let joined = g.join(lines.iter().map(|l| l.as_ref()));
            let mut v = record_json(&joined, source, line, p);
            if !matches!(v.get("kind").and_then(Value::as_str), None | Some("unparsed" | "header")) {
                if let Some((rec, _, _)) = pending.take() {
                    emit(out, rec)?;
                }
                let more: Vec<Value> = lines
                    .iter()
                    .skip(1)
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| Value::String(l.to_string()))
                    .collect();
                let (n, bytes) = (more.len() as u32, lines.iter().skip(1).map(|l| l.len() as u64).sum());
                if let Some(m) = v.as_object_mut() {
                    m.insert("continuation".into(), Value::Array(more));
                }
                pending = Some((v, n, bytes));
                skip_to = i + 1 + end;
                continue;
            }
        }
        let rest_of_split = std::mem::take(&mut split) && pending.is_some();
        if rest_of_split {
            split = crate::parse::envelope::is_partial(text);
        }
        let mut v = if rest_of_split { Value::Null } else { record_json(text, source, line, p) };
        // The same SDK error or webhook body printed again (see `ingest`):
        // part of the entry.
        // (The body's format named without borrowing `v`, which is replaced below.)
        let (body_format, is_sdk) = match v.get("format").and_then(Value::as_str) {
            Some("webhook-body") => (Some("webhook-body"), false),
            Some("webhook-event") => (Some("webhook-event"), false),
            f => (None, f == Some("sdk-error")),
        };
        let is_body = body_format.is_some();
        let repeated =
            (is_body || is_sdk) && matches!(parse_line(text), Parsed::Record(l) if recent_errors.repeats_line(&l));
        if rest_of_split
            || repeated
            || (v.get("kind").and_then(Value::as_str) == Some("unparsed") && crate::parse::is_continuation(text))
        {
            if let Some((rec, n, bytes)) = pending.as_mut()
                && *n < crate::ingest::ENTRY_MAX_LINES
                && *bytes + text.len() as u64 <= crate::ingest::ENTRY_MAX_BYTES
            {
                *n += 1;
                *bytes += text.len() as u64;
                if let Some(Value::Array(more)) = rec.get_mut("continuation") {
                    more.push(Value::String(text.to_string()));
                } else if let Some(m) = rec.as_object_mut() {
                    m.insert("continuation".into(), Value::Array(vec![Value::String(text.to_string())]));
                }
                continue;
            }
            if v.is_null() {
                // The rest of a split line past the entry's cap: on its own.
                v = record_json(text, source, line, p);
            }
            if pending.is_none() && i == 0 {
                v = json!({"kind": "continuation", "source": source, "line": line, "text": text});
            } else if is_body && repeated {
                // A webhook body printed again apart from its entry: a log
                // line, not a second delivery (as `report` counts it).
                let mut log = json!({"kind": "log", "format": body_format, "source": source, "line": line});
                for k in ["time", "time_inferred"] {
                    if let (Some(m), Some(t)) = (log.as_object_mut(), v.get(k)) {
                        m.insert(k.into(), t.clone());
                    }
                }
                v = log;
            }
        }
        if let Some((rec, _, _)) = pending.take() {
            emit(out, rec)?;
        }
        let is_record =
            !matches!(v.get("kind").and_then(Value::as_str), None | Some("unparsed" | "header" | "continuation"));
        if is_record {
            split = crate::parse::envelope::is_partial(text);
            pending = Some((v, 0, 0));
        } else if !v.is_null() {
            emit(out, v)?;
        }
    }
    if let Some((rec, _, _)) = pending.take() {
        emit(out, rec)?;
    }
    held.flush(out)?;
    out.flush()
}

/// The last records printed, held back a few records so that a
/// signature-failure line and the access line of the same request (within
/// 16 records, the same second, refused) print as one receipt, as ingest
/// counts them (see `ingest`'s `merge_failure`): the access line with the
/// failure's signature state, the failure line as a `log` line.
struct Held {
    queue: std::collections::VecDeque<Value>,
    mask: Mask,
}

impl Held {
    const NEAR: usize = 16;

    fn push(&mut self, out: &mut dyn Write, mut v: Value) -> std::io::Result<()> {
        fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
            v.get(k).and_then(Value::as_str)
        }
        // The second of an RFC 3339 time (`2026-07-13T23:45:53`).
        fn second(v: &Value) -> Option<&str> {
            str_of(v, "time").map(|t| t.get(..19).unwrap_or(t))
        }
        let refused_receipt = str_of(&v, "kind") == Some("webhook")
            && str_of(&v, "format") != Some("signature-failure")
            && v.get("status").and_then(Value::as_u64).is_some_and(|s| s >= 400)
            && v.get("events").is_none();
        if refused_receipt {
            let near = self
                .queue
                .iter_mut()
                .rev()
                .take(Self::NEAR)
                .find(|h| str_of(h, "format") == Some("signature-failure") && str_of(h, "kind") == Some("webhook"));
            if let Some(failure) = near
                && (second(failure).is_none() || second(&v).is_none() || second(failure) == second(&v))
                && let (Some(f), Some(m)) = (failure.as_object_mut(), v.as_object_mut())
            {
                if let Some(state) = f.remove("signature_state") {
                    m.insert("signature_state".into(), state);
                }
                f.insert("kind".into(), "log".into());
            }
        }
        self.queue.push_back(v);
        while self.queue.len() > Self::NEAR {
            if let Some(first) = self.queue.pop_front() {
                write_record(out, &first, self.mask)?;
            }
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        while let Some(v) = self.queue.pop_front() {
            write_record(out, &v, self.mask)?;
        }
        Ok(())
    }
}

fn write_record(out: &mut dyn Write, v: &Value, mask: Mask) -> std::io::Result<()> {
    out.write_all(mask.apply(&crate::escape::to_json(v, false)).as_bytes())?;
    out.write_all(b"\n")
}

/// The most lines of standard input read as one block.
const STDIN_BLOCK_LINES: usize = 4096;

/// Standard input's lines, in blocks: the complete lines that arrived
/// together (so that an entry's lines are read together, as a file's are),
/// then `None` at its end. A line that is not UTF-8 is read lossily, never
/// the end of following.
fn stdin_lines() -> Receiver<Option<Vec<String>>> {
    let (tx, rx) = unbounded();
    std::thread::spawn(move || {
        let mut input = std::io::BufReader::with_capacity(1 << 16, std::io::stdin().lock());
        let mut block = Vec::new();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = input.read_until(b'\n', &mut buf).unwrap_or(0);
            if n > 0 {
                let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                block.push(String::from_utf8_lossy(line).into_owned());
            }
            // Send what has arrived before waiting for more.
            let waiting = input.buffer().contains(&b'\n');
            if (n == 0 || !waiting || block.len() >= STDIN_BLOCK_LINES)
                && !block.is_empty()
                && tx.send(Some(std::mem::take(&mut block))).is_err()
            {
                return;
            }
            if n == 0 {
                break;
            }
        }
        let _ = tx.send(None);
    });
    rx
}

/// Follow `paths` and print records as they arrive, until a signal, a
/// closed stdout, or (for `-` alone) the end of standard input.
/// `poll_only`: do not watch for events; re-check on the timer alone (what
/// happens anyway when the system runs out of watches).
pub fn run(
    paths: Vec<PathBuf>,
    from_start: bool,
    poll_only: bool,
    mut printer: Printer,
    out: &mut dyn Write,
    warn: &mut dyn FnMut(String),
) -> Result<()> {
    let follow_stdin = paths.iter().any(|p| p.as_os_str() == "-");
    let roots: Vec<PathBuf> = paths.into_iter().filter(|p| p.as_os_str() != "-").collect();
    let signals = crate::signals::channel(&[signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM]);
    // notify events are only wake-ups; the timer re-checks every file anyway.
    let watch = crate::source::follow::watch(&roots, !poll_only);
    let wake = &watch.wake;
    let period = if watch.all_watched {
        Duration::from_secs(1)
    } else {
        if !poll_only {
            warn("cannot watch the files for changes (out of watches?); polling every 250 ms".into());
        }
        Duration::from_millis(250)
    };
    let timer = tick(period);
    let mut stdin = if follow_stdin { stdin_lines() } else { crossbeam_channel::never() };
    let mut stdin_line = 0u64;
    let mut stdin_open = follow_stdin;
    let mut follower = Follower::new(roots.clone(), from_start);
    // The files that exist are known from the start (their names, too).
    let mut names: std::collections::HashMap<u64, String> =
        follower.known().into_iter().map(|(k, p)| (k, p.display().to_string())).collect();
    // Returns whether the follower has more to read at once (a large file
    // is read a bounded piece per poll).
    let mut poll = |out: &mut dyn Write, warn: &mut dyn FnMut(String), p: &mut Printer| -> std::io::Result<bool> {
        let changes = follower.poll();
        // Unsends anywhere in what was read are applied before any of it is
        // printed (with --from-start: the whole of the files).
        for c in &changes {
            if let Change::Lines { data, .. } = c {
                lines_of(data).for_each(|l| p.note_unsends(&l));
            }
        }
        for c in changes {
            match c {
                Change::NewSource { key, path, .. } | Change::Renamed { key, path } => {
                    names.insert(key, path.display().to_string());
                }
                Change::Lines { key, first_line, data, .. } => {
                    let name = names.get(&key).cloned().unwrap_or_default();
                    print_lines(out, &name, first_line, &data, p)?;
                }
                Change::Unreadable { path, reason } => warn(format!("{}: {reason}", path.display())),
                Change::OutOfDescriptors { not_followed, limit } => warn(format!(
                    "out of file descriptors (limit {limit}): {not_followed} files not followed for now; \
                     they are retried as descriptors free up (raise it with `ulimit -n`)"
                )),
                Change::Truncated { .. } | Change::Gone { .. } => {}
            }
        }
        Ok(follower.busy())
    };
    let mut busy = poll(out, warn, &mut printer)?;
    loop {
        if busy {
            // More to read now; a signal still ends it between pieces.
            if signals.try_recv().is_ok() {
                return Ok(());
            }
            busy = poll(out, warn, &mut printer)?;
            continue;
        }
        select! {
            recv(signals) -> _ => return Ok(()),
            recv(wake) -> _ => {
                // Coalesce a burst of events into one poll.
                while wake.try_recv().is_ok() {}
                busy = poll(out, warn, &mut printer)?;
            },
            recv(timer) -> _ => busy = poll(out, warn, &mut printer)?,
            recv(stdin) -> line => match line {
                Ok(Some(block)) => {
                    let first = stdin_line + 1;
                    stdin_line += block.len() as u64;
                    block.iter().for_each(|l| printer.note_unsends(l));
                    print_lines(out, "-", first, block.join("\n").as_bytes(), &printer)?;
                }
                _ => {
                    stdin_open = false;
                    stdin = crossbeam_channel::never();
                }
            },
        }
        if follow_stdin && !stdin_open && roots.is_empty() {
            return Ok(());
        }
    }
}
