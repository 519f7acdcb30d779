use super::*;
use crate::ingest::{ParseOptions, ParsedBlock, Window, commit, load_bytes};
use crate::source::Block;
use crate::time::parse_time;

const WEBHOOK: &str = r#"{"kind":"webhook","time":"2026-11-20T08:00:01Z","ip":"147.92.150.1","path":"/cb","status":200,"signature":"s","body":"{\"destination\":\"Ubot\",\"events\":[{\"type\":\"message\",\"webhookEventId\":\"E1\",\"replyToken\":\"RT1\",\"source\":{\"type\":\"user\",\"userId\":\"Ualice\"},\"message\":{\"id\":\"m1\",\"type\":\"text\",\"text\":\"hi\"}},{\"type\":\"follow\",\"webhookEventId\":\"E2\",\"source\":{\"type\":\"user\",\"userId\":\"Ubob\"}}]}"}"#;
const REPLY: &str = r#"{"kind":"api","time":"2026-11-20T08:00:02Z","request_id":"R1","method":"POST","endpoint":"https://api.line.me/v2/bot/message/reply","status":200,"request_body":{"replyToken":"RT1","messages":[]}}"#;
const MULTICAST: &str = r#"{"kind":"api","time":"2026-11-20T08:00:03Z","request_id":"R2","method":"POST","endpoint":"https://api.line.me/v2/bot/message/multicast","status":429,"retry_key":"K1","request_body":{"to":["Ualice","Ubob"],"messages":[]}}"#;

fn store_with(lines: &[&str]) -> Store {
    let mut s = Store::new();
    load_bytes(&mut s, "t.log", lines.join("\n").as_bytes());
    s
}

#[test]
fn records_metadata_and_indexes() {
    let s = store_with(&["Request ID HTTP method API endpoint Status code", WEBHOOK, REPLY, "garbage", MULTICAST, ""]);
    assert_eq!(s.len(), 4);
    assert_eq!(s.totals.webhook_receipts, 1);
    assert_eq!(s.totals.webhook_events, 2);
    assert_eq!(s.totals.api_requests, 2);
    assert_eq!(s.totals.unparsed, 1);
    assert_eq!(s.totals.header_rows, 1);
    assert_eq!(s.sources[0].records, 3);
    assert_eq!(s.status_counts.get(&(Kind::Api, 429)), Some(&1));
    // line numbers count every line, blank or header
    let lines: Vec<u64> = s.iter().map(|(_, r)| s.line_of(r).unwrap()).collect();
    assert_eq!(lines, [2, 3, 4, 5]);

    let wh = s.get(0).unwrap();
    let meta = s.webhook_meta(wh).unwrap();
    assert!(meta.has_signature && meta.has_raw_body);
    assert_eq!(s.syms.resolve(meta.destination), "Ubot");
    let evs = s.receipt_events(&meta);
    assert_eq!(evs.len(), 2);
    assert_eq!(s.syms.resolve(evs[0].event_type), "message");
    assert_eq!(s.syms.resolve(evs[0].user), "Ualice");
    assert_eq!(evs[0].record, 0);

    assert_eq!(s.find_request("R1"), [1]);
    assert_eq!(s.find_request("R2"), [3]);
    assert!(s.find_request("nope").is_empty());
    assert_eq!(s.events_with_event_id(hash_id("E2")).collect::<Vec<_>>(), [1]);
    assert_eq!(s.events_with_reply_token(hash_id("RT1")).collect::<Vec<_>>(), [0]);
    assert_eq!(s.replies_with_token(hash_id("RT1")).collect::<Vec<_>>(), [1]);
    assert_eq!(s.requests_with_retry_key(hash_id("K1")).collect::<Vec<_>>(), [3]);
    let mc = s.get(3).unwrap();
    assert_eq!(s.api_users(&s.api.get(mc.aux).unwrap()).len(), 2);
    assert_eq!(s.errors, [3]);
    assert_eq!(s.syms.resolve(mc.path), "/v2/bot/message/multicast");
}

#[test]
fn timeline_orders_by_time_then_source_then_line() {
    let mut s = Store::new();
    load_bytes(
        &mut s,
        "a.log",
        b"r1 2026-11-20T08:00:05Z POST /v2/bot/message/push 200\n\
          r2 2026-11-20T08:00:01Z POST /v2/bot/message/push 200\n\
          junk after r2\n\
          r3 2026-11-20T08:00:03Z POST /v2/bot/message/push 200\n",
    );
    load_bytes(
        &mut s,
        "b.log",
        b"junk before anything\n\
          1.2.3.4 2026-11-20T08:00:03Z POST /cb 200\n\
          1.2.3.4 2026-11-20T08:00:01Z POST /cb 200\n",
    );
    let ts = |id: u32| s.get(id).unwrap().ts();
    // the unparsed line inherits the time of the line before it in its file
    assert_eq!(ts(2), parse_time("2026-11-20T08:00:01Z").unwrap());
    assert_eq!(ts(4), i64::MIN);
    let order = s.timeline().to_vec();
    // b's leading junk first; ties at :01 and :03 keep file order (a before b)
    assert_eq!(order, [4, 1, 2, 6, 3, 5, 0]);
    assert_eq!(s.first, parse_time("2026-11-20T08:00:01Z"));
    assert_eq!(s.last, parse_time("2026-11-20T08:00:05Z"));
}

#[test]
fn window_keeps_unparsed_and_counts_what_it_leaves_out() {
    let mut s = Store::new();
    s.sources.push(Source::default());
    let data = b"r1 2026-11-20T08:00:00Z POST /v2/bot/x 200\njunk\nr2 2026-11-20T09:00:00Z POST /v2/bot/x 200\n";
    let pb = ParsedBlock::parse(
        0,
        Block { offset: 0, first_line: 1, data: data.to_vec() },
        &ParseOptions { keep_data: true, ..Default::default() },
    );
    let win = Window { since: parse_time("2026-11-20T08:30:00Z"), until: None };
    commit(&mut s, pb, win);
    assert_eq!(s.totals.api_requests, 1);
    assert_eq!(s.totals.unparsed, 1);
    assert_eq!(s.sources[0].outside_window, 1);
    assert!(s.find_request("r1").is_empty());
    assert_eq!(s.find_request("r2").len(), 1);
}

#[test]
fn line_numbers_on_demand_across_blocks_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("header Request ID HTTP method API endpoint Status code\n");
    for i in 0..60_000 {
        text.push_str(&format!("r{i} 2026-11-20T08:00:00Z POST /v2/bot/message/push 200\n"));
        if i % 1000 == 0 {
            text.push_str("junk\n\n");
        }
    }
    std::fs::write(dir.path().join("a.log"), &text).unwrap();
    let (specs, _) = crate::source::discover(&[dir.path().join("a.log")]).unwrap();
    let mut s = Store::new();
    crate::ingest::load(&mut s, &specs, Window::default(), 2, &mut |_| {});
    assert!(s.sources[0].checkpoints.len() > 2, "several blocks");
    assert!(s.sources[0].line_hints.len() > 4 * s.sources[0].checkpoints.len(), "hints within the blocks");
    let mut want = Vec::new();
    for (n, l) in text.lines().enumerate() {
        if !l.is_empty() && !l.starts_with("header") {
            want.push(n as u64 + 1);
        }
    }
    assert_eq!(s.len(), want.len());
    for i in (0..want.len()).step_by(997).chain([want.len() - 1]) {
        assert_eq!(s.line_of(s.get(i as u32).unwrap()).unwrap(), want[i], "record {i}");
    }
    // Many at once, in any order, several in one block: the same numbers.
    let ids: Vec<usize> = (0..want.len()).rev().step_by(37).chain([0, 1, 2, want.len() - 1]).collect();
    let recs: Vec<Record> = ids.iter().map(|&i| s.get(i as u32).unwrap()).collect();
    let got = s.lines_of(&recs);
    for (k, &i) in ids.iter().enumerate() {
        assert_eq!(got[k], want[i], "record {i}");
    }
}

#[test]
fn the_next_line_number_is_counted_while_reading() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..30_000 {
        text.push_str(&format!("r{i} 2026-11-20T08:00:00Z POST /v2/bot/message/push 200\n\n"));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    std::fs::write(dir.path().join("b.log.1.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(dir.path().join("b.log"), &text).unwrap();
    std::fs::write(dir.path().join("c.log"), "junk\nr 2026-11-20T08:00:00Z POST /v2/bot/message/push 200").unwrap();
    std::fs::write(dir.path().join("d.log"), "").unwrap();
    let (specs, _) = crate::source::discover(&[dir.path().to_path_buf()]).unwrap();
    let mut s = Store::new();
    crate::ingest::load(&mut s, &specs, Window::default(), 2, &mut |_| {});
    let next: Vec<(String, u64)> =
        s.sources.iter().map(|src| (src.display.rsplit('/').next().unwrap().to_owned(), src.next_line)).collect();
    assert!(s.sources.iter().take(2).all(|src| src.checkpoints.len() > 2), "several blocks each");
    // 60,000 lines; an unterminated last line is still line 2; nothing read: line 1.
    let want = [("b.log", 60_001), ("b.log.1.gz", 60_001), ("c.log", 2), ("d.log", 0)];
    let want: Vec<(String, u64)> = want.iter().map(|(n, l)| ((*n).to_owned(), *l)).collect();
    assert_eq!(next, want);
}

#[test]
fn text_webhooks_keep_their_ip_inline() {
    let s = store_with(&["203.0.113.9 2026-11-20T08:00:00Z POST /cb 200"]);
    let r = s.get(0).unwrap();
    assert_ne!(r.aux & INLINE, 0);
    assert!(s.webhooks.is_empty());
    assert_eq!(s.syms.resolve(s.webhook_meta(r).unwrap().ip), "203.0.113.9");
}

#[test]
fn record_is_compact() {
    assert_eq!(std::mem::size_of::<Record>(), 24);
    assert_eq!(std::mem::size_of::<crate::model::ApiMeta>(), 24);
    assert_eq!(std::mem::size_of::<crate::model::EventMeta>(), 40);
    use crate::model::{Loc, Method};
    for ts in [0, 1, -1, i64::MIN, 1_763_625_600_123, -62_135_596_800_000, 64_060_588_800_000] {
        let r = Record::new(ts, Loc::new(3, 99), Kind::Webhook, Method::Patch, 599, 7, 8);
        assert_eq!(
            (r.ts(), r.kind(), r.method(), r.status(), r.source(), r.offset(), r.path, r.aux),
            (ts, Kind::Webhook, Method::Patch, 599, 3, 99, 7, 8)
        );
    }
    let r = Record::new(i64::MAX, Loc::new(0, 0), Kind::Unparsed, Method::None, 0, 0, 42);
    assert_eq!(r.ts(), (1 << 46) - 1);
    // Every kind and method survives packing beside the largest status.
    for kind in [Kind::Api, Kind::Webhook, Kind::MiniApp, Kind::Unparsed, Kind::Http, Kind::Log] {
        let r = Record::new(-1, Loc::new(1, 2), kind, Method::Other, 1023, 0, 0);
        assert_eq!((r.ts(), r.kind(), r.method(), r.status()), (-1, kind, Method::Other, 1023));
    }
    assert_eq!(r.unparsed_line(), Some(42));
    let l = crate::model::Loc::new(70_000, (1 << 40) - 5);
    assert_eq!((l.source(), l.offset()), (70_000, (1 << 40) - 5));
    let l = crate::model::Loc::new(u32::MAX, u64::MAX);
    assert_eq!((l.source(), l.offset()), ((1 << 24) - 1, (1 << 40) - 1));
}

#[test]
fn report_store_indexes_only_retry_keyed_requests() {
    let lines = [REPLY, MULTICAST].join("\n");
    let mut full = Store::new();
    load_bytes(&mut full, "t", lines.as_bytes());
    assert_eq!((full.find_request("R1").len(), full.find_request("R2").len()), (1, 1));
    let mut report = Store::for_use(crate::store::StoreUse::Report);
    load_bytes(&mut report, "t", lines.as_bytes());
    // R1 has no retry key; R2 (retry key K1) can be named by a 409.
    assert_eq!((report.find_request("R1").len(), report.find_request("R2").len()), (0, 1));
    assert_eq!(report.totals, full.totals);
}

#[test]
fn compressed_sources_keep_request_ids_for_the_screen_only() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b"req-gz-1 2026-11-20T08:00:00Z POST /v2/bot/message/push 200\n").unwrap();
    std::fs::write(dir.path().join("api.log.2.gz"), e.finish().unwrap()).unwrap();
    std::fs::write(dir.path().join("api.log"), "req-plain 2026-11-20T08:00:01Z POST /v2/bot/message/push 200\n")
        .unwrap();
    let (specs, _) = crate::source::discover(&[dir.path().to_path_buf()]).unwrap();
    let mut screen = Store::new();
    crate::ingest::load(&mut screen, &specs, Window::default(), 2, &mut |_| {});
    let kept: Vec<String> = screen.kept_request_ids.values().map(|s| s.into_owned()).collect();
    assert_eq!(kept, ["req-gz-1"], "only the compressed source's IDs");
    let mut report = Store::for_use(crate::store::StoreUse::Report);
    crate::ingest::load(&mut report, &specs, Window::default(), 2, &mut |_| {});
    assert!(report.kept_request_ids.is_empty());
}

#[test]
fn timeline_merges_later_batches_with_earlier_times_in_place() {
    let mut s = Store::new();
    load_bytes(
        &mut s,
        "a.log",
        b"r1 2026-11-20T08:00:01Z POST /v2/bot/x 200\nr3 2026-11-20T08:00:03Z POST /v2/bot/x 200\n",
    );
    assert_eq!(s.timeline().to_vec(), [0, 1]);
    // a file flushed later brings earlier records
    load_bytes(
        &mut s,
        "b.log",
        b"r0 2026-11-20T08:00:00Z POST /v2/bot/x 200\nr2 2026-11-20T08:00:02Z POST /v2/bot/x 200\n",
    );
    assert_eq!(s.timeline().to_vec(), [2, 0, 3, 1]);
    load_bytes(&mut s, "c.log", b"r4 2026-11-20T08:00:04Z POST /v2/bot/x 200\n");
    assert_eq!(s.timeline().to_vec(), [2, 0, 3, 1, 4]);
}

/// A loader with one worker reading `p` into `s`, `ahead` blocks ahead.
fn one_worker_loader(
    s: &mut Store,
    p: &std::path::Path,
    ahead: usize,
    warn: &mut dyn FnMut(String),
) -> crate::ingest::Loader {
    let (specs, _) = crate::source::discover(&[p.to_path_buf()]).unwrap();
    let opts = crate::ingest::LoadOptions { threads: 1, background: false, ahead };
    crate::ingest::Loader::start(s, specs, Window::default(), opts, warn)
}

/// The bytes `l` has read once its reader has stopped (held back by the
/// blocks not yet applied) or finished.
fn read_when_settled(l: &crate::ingest::Loader) -> u64 {
    let mut last = u64::MAX;
    loop {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let now = l.bytes_read.load(std::sync::atomic::Ordering::Relaxed);
        if now == last {
            return now;
        }
        last = now;
    }
}

/// The reader reads at most `ahead` blocks past the last one applied,
/// however far behind the owner of the store falls, and every line is
/// still read in the end.
fn reader_stays_ahead(ahead: usize) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    let line = format!("{} 2026-11-20T08:00:00Z POST /v2/bot/message/push 200\n", "r".repeat(900));
    let lines = 3 * ahead * crate::source::BLOCK / line.len();
    std::fs::write(&p, line.repeat(lines)).unwrap();
    let mut s = Store::new();
    let mut loader = one_worker_loader(&mut s, &p, ahead, &mut |w| panic!("{w}"));
    // Room for the window and the block the reader holds while it waits.
    let most = |applied: u64| (applied + ahead as u64 + 1) * crate::source::BLOCK as u64;
    let read = read_when_settled(&loader);
    assert!(read <= most(0), "{read} bytes read before any block was applied");
    // And the whole window is used.
    let least = (ahead as u64).saturating_sub(1) * crate::source::BLOCK as u64;
    assert!(read >= least, "{read} bytes read ahead of {ahead} blocks");
    let mut applied = 0;
    while let Some(out) = loader.next_blocking() {
        applied += u64::from(loader.apply(&mut s, out, &mut |w| panic!("{w}")));
        if applied == 4 {
            let read = read_when_settled(&loader);
            assert!(read <= most(applied), "{read} bytes read after {applied} blocks");
        }
    }
    assert_eq!(s.len(), lines);
}

#[test]
fn the_reader_stays_a_window_of_blocks_ahead_of_what_is_applied() {
    reader_stays_ahead(crate::ingest::WINDOW);
}

/// A read has room to go on parsing while the owner of the store analyses
/// the blocks of one callback: more than the window.
#[test]
fn a_headless_read_has_room_for_the_blocks_analysed_at_once() {
    let one = crate::ingest::LoadOptions::headless(1);
    assert!(one.ahead >= crate::ingest::WINDOW + crate::ingest::CALLBACK_EVERY as usize);
    assert!(!one.background);
    let screen = crate::ingest::LoadOptions::screen(2);
    assert_eq!((screen.ahead, screen.background), (crate::ingest::LoadOptions::room(2), true));
    reader_stays_ahead(one.ahead);
}

/// A file truncated and written again while it is read (copytruncate
/// during a report): what was read is kept with a warning, and line
/// numbers are those of the lines as read, not of the new content.
#[test]
fn a_file_changed_while_read_keeps_its_line_numbers_as_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    let mut text = String::new();
    for i in 0..200_000 {
        text.push_str(&format!("r{i} 2026-11-20T08:00:00Z POST /v2/bot/message/push 200\n"));
        if i % 1000 == 0 {
            text.push_str("junk\n\n");
        }
    }
    std::fs::write(&p, &text).unwrap();
    let mut s = Store::new();
    let mut warnings = Vec::new();
    // One worker and results not taken: the reader stops part-way, held
    // back by the blocks not yet applied.
    let mut loader = one_worker_loader(&mut s, &p, crate::ingest::WINDOW, &mut |w| warnings.push(w));
    let last = read_when_settled(&loader);
    assert!(last < text.len() as u64, "the reader is held part-way");
    std::fs::write(&p, "new 2026-11-20T09:00:00Z POST /v2/bot/message/push 200\n".repeat(10)).unwrap();
    while let Some(out) = loader.next_blocking() {
        loader.apply(&mut s, out, &mut |w| warnings.push(w));
    }
    let src = &s.sources[0];
    assert!(src.partial);
    assert!(src.error.as_deref().unwrap().contains("changed while reading"), "{:?}", src.error);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let mut want = Vec::new();
    for (n, l) in text.lines().enumerate() {
        if !l.is_empty() {
            want.push(n as u64 + 1);
        }
    }
    assert!(s.len() > 1000);
    for i in (0..s.len()).step_by(101).chain([s.len() - 1]) {
        let r = s.get(i as u32).unwrap();
        assert_eq!(s.line_of(r).unwrap(), want[i], "record {i}");
    }
}

/// Two distinct tokens whose hashes share their low 32 bits (found by
/// search: about 2^16 tries).
fn colliding_tokens() -> (String, String) {
    let mut seen: HashMap<u32, String> = HashMap::default();
    for i in 0u64.. {
        let t = format!("tok{i}");
        let low = hash_id(&t) as u32;
        if let Some(other) = seen.insert(low, t.clone()) {
            return (other, t);
        }
    }
    unreachable!()
}

#[test]
fn token_and_key_indexes_verify_their_32_bit_hits() {
    let (a, b) = colliding_tokens();
    assert_ne!(hash_id(&a), hash_id(&b));
    let webhook = |token: &str, id: &str| {
        WEBHOOK.replace("\\\"RT1\\\"", &format!("\\\"{token}\\\"")).replace("\\\"E1\\\"", &format!("\\\"{id}\\\""))
    };
    let reply = |token: &str| REPLY.replace("\"RT1\"", &format!("\"{token}\""));
    let push = |key: &str| MULTICAST.replace("\"K1\"", &format!("\"{key}\""));
    let lines = [webhook(&a, &a), webhook(&b, &b), reply(&b), reply(&a), reply(&a), push(&a), push(&b)];
    let s = store_with(&lines.iter().map(String::as_str).collect::<Vec<_>>());
    // Events 0, 1 (E2) are the first receipt's; 2, 3 the second's.
    assert_eq!(s.events_with_reply_token(hash_id(&a)).collect::<Vec<_>>(), [0]);
    assert_eq!(s.events_with_reply_token(hash_id(&b)).collect::<Vec<_>>(), [2]);
    assert_eq!(s.events_with_event_id(hash_id(&b)).collect::<Vec<_>>(), [2]);
    assert_eq!(s.replies_with_token(hash_id(&a)).collect::<Vec<_>>(), [3, 4]);
    assert_eq!(s.replies_with_token(hash_id(&b)).collect::<Vec<_>>(), [2]);
    assert_eq!(s.requests_with_retry_key(hash_id(&b)).collect::<Vec<_>>(), [6]);
}

#[test]
fn the_timeline_grown_batch_by_batch_is_the_sorted_order() {
    use crate::model::{Loc, Method};
    let mut x: u64 = 88172645463325252;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut s = Store::new();
    s.sources.push(Source::default());
    let mut all = Vec::new();
    for batch in 0..40 {
        // Batches in order, out of order, and overlapping, with equal times.
        let (base, spread) = match batch % 4 {
            0 => (batch as i64 * 1000, 1000),
            1 => (0, 50_000),
            2 => (20_000, 10),
            _ => ((next() % 40_000) as i64, 3_000),
        };
        for _ in 0..(1 + next() % 200) {
            let ts = base + (next() % spread) as i64;
            let id = s.append(Record::new(ts, Loc::new(0, all.len() as u64), Kind::Api, Method::Get, 200, NONE, NONE));
            all.push((ts, id));
        }
        // Taken in a slice at a time, as the screen does while reading.
        while s.timeline_len() < s.len() {
            let before = s.timeline_len();
            s.timeline_some(37);
            assert_eq!(s.timeline_len(), (before + 37).min(s.len()));
        }
        let got = s.timeline().to_vec();
        let mut want = all.clone();
        want.sort();
        assert_eq!(got, want.iter().map(|&(_, id)| id).collect::<Vec<_>>(), "batch {batch}");
    }
}

#[test]
fn records_come_back_whole_across_runs_and_chunks() {
    use crate::model::{Loc, Method};
    assert_eq!(std::mem::size_of::<Stored>(), 16);
    let mut s = Store::new();
    for _ in 0..3 {
        s.sources.push(Source::default());
    }
    let mut want = Vec::new();
    // Sources in turn (a run each), offsets past 4 GiB and going back,
    // times a month apart, going back, missing or at the ends of the range,
    // more distinct paths than a record has slots for, over several chunks.
    let mut offsets = [0u64; 3];
    for i in 0..(2 * CHUNK + 777) {
        let src = ((i / 1000) % 3) as u32;
        let step = if i % 5000 == 4999 { 5 << 30 } else { 200 };
        let o = &mut offsets[src as usize];
        *o = if i % 7001 == 7000 { 10 } else { *o + step };
        let ts = match i % 1013 {
            0 => i64::MIN,
            1 => i64::MAX,
            2 => -(1 << 46) + 1,
            3 => 0,
            _ => 1_763_625_600_000 + i as i64 + (i / 3001) as i64 * 30 * 86_400_000 - (i % 3) as i64 * 1_000,
        };
        let r = Record::new(ts, Loc::new(src, *o), Kind::Api, Method::Post, (i % 600) as u16, i as u32, NONE);
        want.push(r);
        assert_eq!(s.append(r), i as u32);
        assert_eq!(s.len(), i + 1);
    }
    for (id, r) in want.iter().enumerate() {
        assert_eq!(s.get(id as u32), Some(*r), "{id}");
    }
    assert_eq!(s.iter().map(|(_, r)| r).collect::<Vec<_>>(), want);
    assert!(s.runs.len() > 100 && s.chunks.len() == 3);
    assert!(!s.path_spill.is_empty() && s.paths.len() == PATH_SPILLED as usize);
}

const TRACEBACK: &str = "2026-11-20 08:00:00,100 ERROR handler failed
Traceback (most recent call last):
  File \"app.py\", line 12, in callback
    handler.handle(body, signature)
bot.errors.HandlerError: Invalid payload. size=abc

During handling of the above exception, another exception occurred:
ValueError: bad
2026-11-20 08:00:01,000 INFO next
junk that is not a continuation
    indented after junk";

/// Split `text` into blocks at each line index in `cuts` and commit them.
fn commit_in_blocks(text: &str, cuts: &[usize]) -> Store {
    let mut s = Store::new();
    s.sources.push(Source::default());
    let lines: Vec<&str> = text.lines().collect();
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied());
    bounds.push(lines.len());
    let mut offset = 0u64;
    for w in bounds.windows(2) {
        let mut data = lines[w[0]..w[1]].join("\n").into_bytes();
        data.push(b'\n');
        let len = data.len() as u64;
        let pb = ParsedBlock::parse(
            0,
            Block { offset, first_line: w[0] as u64 + 1, data },
            &ParseOptions { keep_data: true, ..Default::default() },
        );
        commit(&mut s, pb, Window::default());
        offset += len;
    }
    s
}

#[test]
fn a_traceback_joins_the_log_line_before_it_across_blocks() {
    let n = TRACEBACK.lines().count();
    // The same entries whether read in one block or cut at every line.
    for cuts in [vec![], vec![1], vec![3, 5], (1..n).collect::<Vec<_>>()] {
        let s = commit_in_blocks(TRACEBACK, &cuts);
        assert_eq!(s.totals.log_entries, 2, "cuts {cuts:?}");
        // Seven lines follow the error (the blank one is not counted).
        assert_eq!(s.continued.get(&0), Some(&6), "cuts {cuts:?}");
        assert_eq!(s.totals.continuation_lines, 6, "cuts {cuts:?}");
        // The junk line breaks the entry: the indented line after it is unparsed too.
        assert_eq!(s.totals.unparsed, 2, "cuts {cuts:?}");
        let text = s.entry_text(0, s.get(0).unwrap()).unwrap();
        assert!(text.starts_with("2026-11-20 08:00:00,100 ERROR handler failed\nTraceback"), "{text}");
        assert!(text.ends_with("ValueError: bad"), "{text}");
    }
}

#[test]
fn continuations_with_no_record_before_them_are_unparsed() {
    let s = commit_in_blocks("  File \"x.py\", line 1\nValueError: x\n2026-11-20T08:00:00Z ok", &[1]);
    assert_eq!((s.totals.unparsed, s.totals.log_entries, s.totals.continuation_lines), (2, 1, 0));
}

#[test]
fn an_entry_stops_growing_at_its_cap() {
    let mut text = String::from("2026-11-20T08:00:00Z ERROR big\n");
    for i in 0..(crate::ingest::ENTRY_MAX_LINES + 5) {
        text.push_str(&format!("    at frame{i}\n"));
    }
    let s = commit_in_blocks(&text, &[4000, 9000]);
    assert_eq!(s.continued.get(&0), Some(&crate::ingest::ENTRY_MAX_LINES));
    assert_eq!(s.totals.unparsed, 5);
}

#[test]
fn unparsed_shapes_set_numbers_and_repeats_aside() {
    assert_eq!(shape("panic: index 12 of [3] is out of range"), "panic: index 0 of [0] is");
    assert_eq!(shape("Batches:  40%|████      | 10/25"), shape("Batches: 8%|█ | 2/25"));
    assert_eq!(shape("--------"), shape("----"));
    assert_ne!(shape("GET /health"), shape("GET /ready"));
    assert_eq!(shape("a b c d e f g h"), "a b c d e f");
}

#[test]
fn a_line_split_by_its_runtime_is_one_record() {
    let text = "2026-11-20T08:00:00.1Z stdout P 2026-11-20 08:00:00,100 ERROR reply fail\n\
                2026-11-20T08:00:00.2Z stdout P ed with 400\n\
                2026-11-20T08:00:00.3Z stdout F  (Invalid reply token)\n\
                2026-11-20T08:00:01Z stdout F 2026-11-20 08:00:01,000 INFO next\n\
                {\"log\":\"first half \",\"stream\":\"stderr\",\"time\":\"2026-11-20T08:00:02Z\"}\n\
                {\"log\":\"second half\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-20T08:00:02Z\"}\n\
                2026-11-20T08:00:03Z stdout P never finished";
    let s = commit_in_blocks(text, &[]);
    assert_eq!((s.totals.log_entries, s.totals.continuation_lines, s.totals.unparsed), (4, 3, 0));
    assert_eq!(s.continued.get(&0), Some(&2));
    assert!(s.entry_text(0, s.get(0).unwrap()).unwrap().ends_with("(Invalid reply token)"));
}

#[test]
fn an_untimed_record_with_nothing_before_it_is_in_no_time_range() {
    let s = store_with(&[
        r#"INFO:     147.92.150.198:0 - "POST /callback HTTP/1.1" 200 OK"#,
        "r1 2026-11-20T08:00:00Z POST /v2/bot/message/push 200",
    ]);
    assert_eq!(s.totals.webhook_receipts, 1);
    assert_eq!(s.first, parse_time("2026-11-20T08:00:00Z"));
}

#[test]
fn a_file_keeps_the_shapes_it_meets_first() {
    // More distinct shapes than a file keeps: the first ones met stay,
    // the rest are counted together, whatever the hashing.
    let word = |i: usize| format!("junk {}{}", char::from(b'a' + (i / 26) as u8), char::from(b'a' + (i % 26) as u8));
    let lines: Vec<String> = (0..crate::store::MAX_SHAPES + 10).map(word).collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let s = store_with(&refs);
    let kept = &s.sources[0].shapes;
    assert_eq!(kept.len(), crate::store::MAX_SHAPES + 1);
    assert!((0..crate::store::MAX_SHAPES).all(|i| kept.contains_key(word(i).as_str())));
    assert!(!kept.contains_key(word(crate::store::MAX_SHAPES).as_str()));
    assert_eq!(kept.get(crate::store::OTHER_SHAPES).map(|e| e.0), Some(10));
}

#[test]
fn a_pretty_printed_object_is_one_record_read_again_whole() {
    let s = store_with(&[
        // No time: not a record as a whole, so each line is read alone.
        "{",
        r#"  "note": "no time here""#,
        "}",
        "{",
        r#"  "timestamp": "2026-11-20T08:00:00Z","#,
        r#"  "severity": "ERROR","#,
        r#"  "textPayload": "reply failed: 429""#,
        "}",
    ]);
    assert_eq!((s.totals.log_entries, s.totals.unparsed, s.totals.continuation_lines), (1, 3, 4));
    let (id, rec) = (0..s.len() as u32).map(|i| (i, s.get(i).unwrap())).find(|(_, r)| r.kind() == Kind::Log).unwrap();
    let again = s.line_text(rec).unwrap();
    assert_eq!(
        again,
        r#"{ "timestamp": "2026-11-20T08:00:00Z", "severity": "ERROR", "textPayload": "reply failed: 429" }"#
    );
    assert!(s.entry_text(id, rec).unwrap().ends_with("\"reply failed: 429\"\n}"));
}

/// Every registered sample written over several lines (an SDK error's
/// block, a wire-log exchange) is one record when read from a file between
/// other lines: its other lines are its entry, and the store reads the
/// record again with the same fields.
#[test]
fn multi_line_samples_are_one_record_in_a_file() {
    use crate::parse::formats::{FORMATS, describe};
    let mut checked = 0;
    for f in FORMATS {
        for sample in f.samples.iter().filter(|s| s.line.contains('\n')) {
            let n = sample.line.lines().count();
            let s = store_with(&["2026-11-20 07:59:00 INFO before", sample.line, "2026-11-20 08:01:00 INFO after", ""]);
            let found: Vec<_> =
                (0..s.len() as u32).map(|i| s.get(i).unwrap()).filter(|r| r.kind() != Kind::Log).collect();
            assert_eq!(found.len(), 1, "{}: {}", f.name, sample.line);
            assert_eq!((s.totals.log_entries, s.totals.continuation_lines), (2, n as u64 - 1), "{}", sample.line);
            let text = s.line_text(found[0]).unwrap();
            let crate::parse::Parsed::Record(l) = crate::parse::parse_line(&text) else { panic!() };
            for (field, want) in sample.fields {
                assert_eq!(describe(&l, field), *want, "{}: {field} of {}", f.name, sample.line);
            }
            checked += 1;
        }
    }
    assert!(checked >= 6, "{checked}");
}

/// One call logged by two hands counts once: a JSON line and the SDK's dump
/// with its request ID; the wire log's exchange and the exception the SDK
/// raised for it (its ID masked). Two SDK errors of one hand stay two calls.
#[test]
fn one_call_logged_twice_counts_once() {
    let api = |s: &Store| (0..s.len() as u32).filter(|&i| s.get(i).unwrap().kind() == Kind::Api).count();
    let json = r#"{"kind":"api","time":"2026-11-20T08:00:00Z","request_id":"7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d","method":"POST","endpoint":"https://api.line.me/v2/bot/message/push","status":429}"#;
    let dump = [
        "2026-11-20T08:00:00.100Z ERROR push failed",
        "HTTPFetchError: 429 - Too Many Requests",
        "    at HTTPFetchClient.checkResponseStatus (/app/node_modules/@line/bot-sdk/dist/http-fetch.js:113:19) {",
        "  status: 429,",
        "  headers: Headers { 'x-line-request-id': '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d' },",
        "}",
    ];
    let s = store_with(&[&[json], &dump[..]].concat());
    assert_eq!((api(&s), s.totals.log_entries), (1, 2));
    // The SDK's dump first, the JSON line after it: once as well, and
    // after eight other calls in between, twice.
    let s = store_with(&[&dump[..], &[json]].concat());
    assert_eq!(api(&s), 1);
    let others: Vec<String> = (0..8)
        .map(|i| format!("9e36bade-c5d6-4d00-9e69-72244675a9a{i} Fri, 20 Nov 2026 08:00:00 GMT POST https://api.line.me/v2/bot/message/push 200"))
        .collect();
    let s = store_with(&[&dump[..], &others.iter().map(String::as_str).collect::<Vec<_>>(), &[json]].concat());
    assert_eq!(api(&s), 10);
    let wire = |m: &str| format!("2026-11-20 08:00:01.000 INFO 1 --- [exec-1] c.l.bot.client.wire : {m}");
    let lines = [
        wire("--> POST https://api.line.me/v2/bot/message/push"),
        wire("--> END POST"),
        wire("<-- 429 https://api.line.me/v2/bot/message/push (20ms)"),
        wire("<-- END HTTP"),
        "2026-11-20 08:00:01.050 ERROR 1 --- [exec-1] c.e.Bot : push failed: com.linecorp.bot.client.exception.TooManyRequestsException: You have reached your monthly limit. : ErrorResponse(requestId=xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, message=You have reached your monthly limit., details=[])".into(),
        // A second call, 10 s later: its own record.
        "2026-11-20 08:00:11.000 ERROR 1 --- [exec-1] c.e.Bot : push failed: com.linecorp.bot.client.exception.TooManyRequestsException: You have reached your monthly limit. : ErrorResponse(requestId=xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, message=You have reached your monthly limit., details=[])".into(),
    ];
    let s = store_with(&lines.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(api(&s), 2);
}

#[test]
fn a_block_of_an_unknown_source_is_counted_never_silent() {
    let mut s = Store::new();
    let line = "8e36bade-c5d6-4d00-9e69-72244675a9a1 Mon, 05 Jul 2021 08:14:35 GMT POST https://api.line.me/v2/bot/message/push 200\n";
    let pb = ParsedBlock::parse(
        7,
        Block { offset: 0, first_line: 1, data: line.as_bytes().to_vec() },
        &ParseOptions::default(),
    );
    let committed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commit(&mut s, pb, Window::default())));
    // A debug build stops at the broken invariant; a release build counts it.
    assert_eq!(committed.is_err(), cfg!(debug_assertions));
    assert!(s.broken.count >= 1);
    assert_eq!(s.broken.first, Some("a block of a source the store does not have"));
}

#[test]
fn line_marks_give_back_each_marked_line_and_nothing_between() {
    let pairs = [(0u32, 0u32), (1, 1), (200, 1), (70_000, 9), (70_001, 300_000), (u32::MAX - 1, u32::MAX)];
    let m = LineMarks::new(&pairs);
    for &(off, line) in &pairs {
        assert_eq!(m.line_at(u64::from(off)), Some(u64::from(line)), "{off}");
    }
    for off in [2, 199, 69_999, 70_002, u64::from(u32::MAX), 1 << 40] {
        assert_eq!(m.line_at(off), None, "{off}");
    }
    assert!(m.heap_bytes() < pairs.len() * 8);
    assert_eq!(LineMarks::new(&[]).line_at(0), None);
}

/// `report`'s store keeps an archive's line numbers as read; they are the
/// ones counting the decompressed lines again gives (what `lookup` does).
#[test]
fn archive_line_numbers_kept_for_report_match_the_counted_ones() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..40_000 {
        // Blank lines and a multi-line entry now and then move the numbers.
        text.push_str(&format!("r{i} 2026-11-20T08:00:00Z POST /v2/bot/message/push 200\n"));
        if i % 7 == 0 {
            text.push('\n');
        }
        if i % 1000 == 0 {
            text.push_str("Traceback (most recent call last):\n  File \"bot.py\", line 1\nValueError: x\n");
        }
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    std::fs::write(dir.path().join("api.log.2.gz"), gz.finish().unwrap()).unwrap();
    let (specs, _) = crate::source::discover(&[dir.path().to_path_buf()]).unwrap();
    let mut report = Store::for_use(StoreUse::Report);
    crate::ingest::load(&mut report, &specs, Window::default(), 2, &mut |_| {});
    let mut counted = Store::for_use(StoreUse::Lookup);
    crate::ingest::load(&mut counted, &specs, Window::default(), 2, &mut |_| {});
    assert!(report.sources[0].checkpoints.len() > 2, "several blocks");
    assert!(!report.sources[0].line_marks.is_empty(), "kept for report");
    assert!(counted.sources[0].line_marks.is_empty(), "not kept for lookup");
    let n = report.len() as u32;
    assert_eq!(n, counted.len() as u32);
    let recs: Vec<Record> = (0..n).map(|i| report.get(i).unwrap()).collect();
    let from_kept = report.lines_of(&recs);
    let from_counting = counted.lines_of(&(0..n).map(|i| counted.get(i).unwrap()).collect::<Vec<_>>());
    let differ = from_kept.iter().zip(&from_counting).position(|(a, b)| a != b);
    assert_eq!(differ, None, "first record whose kept line number differs");
    // And they are the lines' numbers in the text.
    let line_of = |name: &str| text.lines().position(|l| l.starts_with(&format!("{name} "))).unwrap() as u64 + 1;
    assert_eq!(from_kept[7], line_of("r7"));
    assert_eq!(from_kept[0], line_of("r0"));
    let last = recs.iter().rposition(|r| r.kind() == Kind::Api).unwrap();
    assert_eq!(from_kept[last], line_of("r39999"));
}

#[test]
fn records_of_some_kinds_are_the_same_as_all_records_filtered() {
    let s = store_with(&[
        "8e36bade-c5d6-4d00-9e69-72244675a9a1 Mon, 05 Jul 2021 08:14:35 GMT POST https://api.line.me/v2/bot/message/push 200",
        "147.92.150.192\t2026-11-20T08:00:00.123Z\tPOST\t/linebot/webhook\t200",
        "| Mon, 16 Jul 2021 10:20:23 GMT | POST | https://api.line.me/message/v3/notifier/send?target=service | 200 |",
        "not a record at all",
        "2026-11-20 08:00:01,000 ERROR reply failed",
        "10.0.3.1 - - [20/Nov/2026:08:00:00 +0000] \"GET /healthz HTTP/1.1\" 200 2 \"-\" \"kube-probe/1.29\"",
    ]);
    let kinds = [Kind::Api, Kind::Webhook, Kind::MiniApp, Kind::Unparsed, Kind::Log, Kind::Http];
    for k in kinds {
        let want: Vec<_> = s.iter().filter(|(_, r)| r.kind() == k).collect();
        assert_eq!(s.iter_kinds(|x| x == k).collect::<Vec<_>>(), want, "{k:?}");
        assert_eq!(want.len(), 1, "{k:?}");
    }
    assert_eq!(s.iter_kinds(|k| k != Kind::Log).count(), 5);
}

#[test]
fn a_line_that_is_not_utf8_leaves_the_lines_around_it_as_they_were() {
    let good = [
        "8e36bade-c5d6-4d00-9e69-72244675a9a1 Mon, 05 Jul 2021 08:14:35 GMT POST https://api.line.me/v2/bot/message/push 200",
        "147.92.150.192\t2026-11-20T08:00:00.123Z\tPOST\t/linebot/webhook\t200\r",
        "予約 not a record",
    ];
    let clean = store_with(&good);
    let mut bytes = Vec::new();
    for (i, l) in good.iter().enumerate() {
        bytes.extend_from_slice(l.as_bytes());
        bytes.push(b'\n');
        if i == 0 {
            bytes.extend_from_slice(b"caf\xe9 \xff\xfe broken\n");
        }
    }
    let mut damaged = Store::new();
    load_bytes(&mut damaged, "t.log", &bytes);
    let kinds = |s: &Store| {
        s.iter().map(|(_, r)| (r.kind(), r.ts(), r.status(), s.syms.resolve(r.path).to_owned())).collect::<Vec<_>>()
    };
    let mut want = kinds(&clean);
    // (An unparsed line is placed at the time of the line before it.)
    want.insert(1, (Kind::Unparsed, want[0].1, 0, String::new()));
    assert_eq!(kinds(&damaged), want);
}

#[test]
fn the_screen_appends_by_look_ups_and_builds_again_for_records_inside() {
    use crate::model::{Loc, Method};
    let mut s = Store::new();
    let mut all: Vec<(Millis, RecordId)> = Vec::new();
    let mut add = |s: &mut Store, src: u32, times: std::ops::Range<i64>| {
        while s.sources.len() <= src as usize {
            s.sources.push(Source::default());
        }
        for (i, ts) in times.enumerate() {
            let r = Record::new(ts, Loc::new(src, i as u64 * 100), Kind::Api, Method::Get, 200, NONE, NONE);
            all.push((ts, s.append(r)));
        }
        let mut want = all.clone();
        want.sort();
        want.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    };
    // Steps until the timeline has taken everything in (or waits).
    let settle = |s: &mut Store, reading: bool| {
        let mut steps = Vec::new();
        loop {
            let step = s.timeline_step(1_000, reading);
            steps.push(step);
            if matches!(step, TimelineStep::Waiting | TimelineStep::Done) || steps.len() > 1_000 {
                return steps;
            }
        }
    };
    // The first file: a build (nothing to merge into), a few steps.
    let want = add(&mut s, 0, 0..10_000);
    let steps = settle(&mut s, true);
    assert!(steps.contains(&TimelineStep::Working) && steps.ends_with(&[TimelineStep::Merged, TimelineStep::Done]));
    assert_eq!(s.timeline().to_vec(), want);
    // Records after the end are taken in while reading.
    let want = add(&mut s, 1, 20_000..21_000);
    assert_eq!(settle(&mut s, true), [TimelineStep::Merged, TimelineStep::Done]);
    assert_eq!(s.order().to_vec(), want);
    // Records inside wait while reading, until they are half of it.
    add(&mut s, 2, 5_000..6_000);
    assert_eq!(settle(&mut s, true), [TimelineStep::Waiting]);
    assert_eq!(s.order().len(), 11_000);
    add(&mut s, 2, 6_000..10_499);
    assert_eq!(settle(&mut s, true), [TimelineStep::Waiting]);
    let want = add(&mut s, 2, 10_499..10_500);
    let steps = settle(&mut s, true);
    assert!(steps.contains(&TimelineStep::Working), "{steps:?}");
    assert_eq!(steps.last(), Some(&TimelineStep::Done));
    assert_eq!(s.order().to_vec(), want);
    // Once reading is done: a few inside by look-ups, more by a build.
    let want = add(&mut s, 3, 3_000..3_100);
    assert_eq!(settle(&mut s, false), [TimelineStep::Merged, TimelineStep::Done]);
    assert_eq!(s.order().to_vec(), want);
    let want = add(&mut s, 5, 100..3_000);
    assert!(settle(&mut s, false).contains(&TimelineStep::Working));
    assert_eq!(s.order().to_vec(), want);
    assert!(s.order.in_lanes());
    // A build under way is finished by the merge all at once.
    add(&mut s, 4, 0..20_000);
    assert_eq!(s.timeline_step(1_000, true), TimelineStep::Working);
    let want = add(&mut s, 4, 30_000..30_010);
    assert_eq!(s.timeline().to_vec(), want);
}

#[test]
fn times_read_in_order_are_the_records_times_and_sources() {
    use crate::model::{Loc, Method};
    let mut s = Store::new();
    for _ in 0..3 {
        s.sources.push(Source::default());
    }
    // Runs of a source each, times a month apart and going back, untimed
    // records, over several chunks.
    for i in 0..(2 * CHUNK + 777) {
        let src = ((i / 1000) % 3) as u32;
        let ts = match i % 1013 {
            0 => i64::MIN,
            _ => 1_763_625_600_000 + i as i64 + (i / 3001) as i64 * 30 * 86_400_000 - (i % 3) as i64 * 1_000,
        };
        s.append(Record::new(ts, Loc::new(src, i as u64 * 10), Kind::Api, Method::Post, 200, NONE, NONE));
    }
    assert!(s.runs.len() > 100);
    let n = s.len() as RecordId;
    for (first, len) in [(0, 10), (0, n as usize), (999, 3), (CHUNK as RecordId - 5, 10), (n - 3, 10), (n, 2)] {
        let mut times = vec![7; len];
        let mut sources = vec![7; len];
        s.times_into(first, &mut times, Some(&mut sources));
        for (i, (&t, &src)) in times.iter().zip(&sources).enumerate() {
            let want = s.time_and_source(first + i as RecordId).unwrap_or((i64::MIN, 0));
            assert_eq!((t, src), want, "record {}", first as usize + i);
        }
    }
}

#[test]
fn progress_counts_every_byte_on_disk_of_plain_and_compressed_files() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let text = "r1 2026-11-20T08:00:00Z POST /v2/bot/message/push 200\n".repeat(40_000);
    let plain = dir.path().join("a.log");
    std::fs::write(&plain, &text).unwrap();
    let gz = dir.path().join("b.log.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    std::fs::write(&gz, e.finish().unwrap()).unwrap();
    // Shorter than any magic number: sniffed as the reader goes.
    let tiny = dir.path().join("c.log");
    std::fs::write(&tiny, "x").unwrap();
    let size = |p: &std::path::Path| std::fs::metadata(p).unwrap().len();
    let total = size(&plain) + size(&gz) + size(&tiny);
    let (specs, _) = crate::source::discover(&[dir.path().to_path_buf()]).unwrap();
    let mut s = Store::new();
    let mut loader = crate::ingest::Loader::start(
        &mut s,
        specs,
        Window::default(),
        crate::ingest::LoadOptions::headless(2),
        &mut |_| {},
    );
    while let Some(out) = loader.next_blocking() {
        loader.apply(&mut s, out, &mut |_| {});
    }
    assert_eq!(loader.bytes_total, total);
    assert_eq!(loader.bytes_read.load(std::sync::atomic::Ordering::Relaxed), total);
    assert_eq!(s.len(), 80_001);
}

#[test]
fn records_of_a_range_by_kind_are_those_looked_up_by_id() {
    let mut s = Store::new();
    let api = "r1 2026-11-20T08:00:00Z POST /v2/bot/message/push 200\n";
    let hook = "147.92.150.192 2026-11-20T08:00:01Z POST /callback 200\n";
    // Sources interleaved block by block: many runs, some of one record.
    for i in 0..40 {
        let text = format!("{}junk {i}\n{}", api.repeat(i % 3 + 1), hook.repeat(i % 2));
        load_bytes(&mut s, &format!("s{}", i % 4), text.as_bytes());
    }
    let n = s.len() as RecordId;
    let wanted = |k: Kind| matches!(k, Kind::Api | Kind::Webhook);
    for (from, to) in [(0, n), (0, 0), (1, 2), (5, 17), (n - 3, n), (n / 2, n + 5)] {
        let got: Vec<(RecordId, Record)> = s.iter_kinds_in(from, to, wanted).collect();
        let want: Vec<(RecordId, Record)> =
            (from..to.min(n)).filter_map(|id| s.get(id).map(|r| (id, r))).filter(|(_, r)| wanted(r.kind())).collect();
        assert_eq!(got, want, "{from}..{to}");
        assert!(!want.is_empty() || from == to || from + 1 == to, "{from}..{to} finds something");
    }
}

/// A walk over some kinds passes over the chunks that hold none of them
/// (see `chunk_kinds`) and still returns every record of those kinds:
/// chunks of one kind, of another, and mixed, with ranges starting and
/// ending inside them.
#[test]
fn a_walk_by_kind_passes_over_chunks_without_them_and_misses_nothing() {
    use crate::model::{Loc, Method};
    let mut s = Store::new();
    s.sources.push(Source::default());
    // Chunk 0: logs; chunk 1: requests; chunk 2: logs then webhooks; chunk 3 partly filled, mixed.
    let kind_of = |i: usize| match i / CHUNK {
        0 => Kind::Log,
        1 => Kind::Api,
        2 if i % CHUNK < CHUNK / 2 => Kind::Log,
        2 => Kind::Webhook,
        _ if i.is_multiple_of(3) => Kind::Api,
        _ => Kind::Unparsed,
    };
    let n = 3 * CHUNK + 500;
    for i in 0..n {
        let r = Record::new(
            1_763_625_600_000 + i as i64,
            Loc::new(0, 100 * i as u64),
            kind_of(i),
            Method::Post,
            200,
            NONE,
            NONE,
        );
        s.append(r);
    }
    assert_eq!(s.chunk_kinds.len(), 4);
    let all: Vec<(RecordId, Record)> = s.iter().collect();
    let log = all.first().map(|(_, r)| code_bit(Record::kind_code(r.meta())));
    assert_eq!(s.chunk_kinds.first().copied(), log);
    assert_eq!(all.len(), n);
    let n = n as RecordId;
    let chunk = CHUNK as RecordId;
    let wants: [&dyn Fn(Kind) -> bool; 5] = [
        &|k| k == Kind::Api,
        &|k| k == Kind::Webhook,
        &|k| matches!(k, Kind::Api | Kind::MiniApp),
        &|k| k == Kind::Http,
        &|_| true,
    ];
    for wanted in wants {
        for (from, to) in [(0, n), (chunk - 3, chunk + 3), (chunk + 5, 3 * chunk + 7), (2 * chunk + 1, n + 9), (n, n)] {
            let got: Vec<(RecordId, Record)> = s.iter_kinds_in(from, to, wanted).collect();
            let want: Vec<(RecordId, Record)> =
                all.iter().copied().filter(|&(id, r)| id >= from && id < to && wanted(r.kind())).collect();
            assert_eq!(got, want, "{from}..{to}");
        }
    }
}
