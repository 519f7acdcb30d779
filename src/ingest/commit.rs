//! A parsed block into the store, in order: symbols translated, records
//! appended, indexes and counters updated.

use foldhash::HashMap;

use super::*;
use crate::model::{EventMeta, Kind, NONE, Note, Sym};
use crate::signature::SigState;
use crate::store::{EXAMPLES, Example, INLINE, Store};

/// Commit a parsed block into the store, in order.
pub fn commit(store: &mut Store, mut pb: ParsedBlock, window: Window) {
    let map: Vec<Sym> = pb.syms.strings().map(|s| store.syms.intern(s)).collect();
    // A block-local symbol the block's own table lacks is a bug: counted.
    let mut missing_syms = 0u64;
    let mut tr = |s: Sym| {
        if s == NONE {
            return NONE;
        }
        map.get(s as usize).copied().unwrap_or_else(|| {
            missing_syms += 1;
            NONE
        })
    };
    let src = pb.source as usize;
    if store.sources.get(src).is_none() {
        store.broken("a block of a source the store does not have");
    }
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
        let at = s.line_hints.partition_point(|&(off, _)| off <= pb.checkpoint.0);
        s.line_hints.splice(at..at, pb.hints.drain(..));
        if pb.marks {
            s.line_marks.insert(pb.checkpoint.0, crate::store::LineMarks::new(&pb.line_marks));
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
    let mut same_key: Option<((Kind, u16, Sym), u64)> = None;
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
        // A block holds far fewer lines than u32::MAX (its bytes are capped).
        let Ok(i) = u32::try_from(i) else {
            store.broken("a block of more than u32::MAX records");
            break;
        };
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
            // Counted in a run while records repeat the key of the one
            // before, not with a look-up in the map per record (see
            // `Store::path_slot`).
            let key = (kind, rec.status(), rec.path);
            match &mut same_key {
                Some((k, n)) if *k == key => *n += 1,
                run => {
                    if let Some((k, n)) = run.replace((key, 1)) {
                        *counts.entry(k).or_default() += n;
                    }
                }
            }
        }
        rec.path = tr(rec.path);
        let local_aux = pb.records.get(i as usize).map_or(NONE, |r| r.aux);
        let id = store.append(rec);
        if id == NONE {
            continue; // counted by `append`
        }
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
                let Some(meta) = pb.api.get(local_aux as usize).copied() else {
                    store.broken("an API record without its side-table entry");
                    continue;
                };
                let start = meta.users_start as usize;
                users.clear();
                users.extend(
                    pb.users.get(start..start + meta.users_len as usize).unwrap_or_default().iter().map(|&u| tr(u)),
                );
                store.index_api(id, &meta, kind == Kind::Api);
                let aux = store.api.push(&meta, &users);
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
                let Some(mut meta) = pb.webhooks.get(local_aux as usize).copied() else {
                    store.broken("a webhook record without its side-table entry");
                    continue;
                };
                meta.ip = tr(meta.ip);
                meta.destination = tr(meta.destination);
                evs.clear();
                while let Some(e) = events.next_if(|e| e.record == i) {
                    let mut e = *e;
                    e.record = id;
                    e.event_type = tr(e.event_type);
                    e.user = tr(e.user);
                    evs.push(e);
                }
                meta.events_start = store.events.push_run(&evs);
                // A receipt's events are few (a body is at most a line's bytes).
                meta.events_len = u32::try_from(evs.len()).unwrap_or(u32::MAX);
                store.signatures.add(meta.sig);
                for (k, e) in evs.iter().enumerate() {
                    let ev_idx = meta.events_start.saturating_add(u32::try_from(k).unwrap_or(u32::MAX));
                    if e.message_id != 0 && store.syms.resolve(e.event_type) == "unsend" {
                        store.unsent.entry(e.message_id).or_insert(rec.ts());
                    }
                    store.index_event(ev_idx, e);
                }
                store.totals.webhook_events += u64::from(meta.events_len);
                let aux = store.webhooks.push(meta);
                store.set_aux(id, aux);
            }
            _ => {}
        }
    }
    if let Some((k, n)) = same_key {
        *counts.entry(k).or_default() += n;
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
    if missing_syms > 0 {
        store.broken("a block-local symbol outside the block's table");
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
