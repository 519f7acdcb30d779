//! Screen state (keys in, state out) and screens (TestBackend + insta).

use std::collections::BTreeMap;
use std::path::PathBuf;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::action::{Action, Keymap};
use super::app::{App, Pane, View};
use super::view;
use crate::analysis::{Analyzer, Thresholds};
use crate::ingest::{Window, load};
use crate::model::Kind;
use crate::source::discover;
use crate::store::Store;

/// The app on some paths, fully read (relative paths keep snapshots
/// independent of where the repository is).
fn app_on(paths: &[&str]) -> App {
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let (specs, _) = discover(&paths).unwrap();
    // The store as the screen keeps it.
    let mut store = Store::for_use(crate::store::StoreUse::Screen);
    // The sample's webhooks are signed with the demo channel secret.
    let secret = std::fs::read_to_string("assets/channel-secret.txt").unwrap();
    store.secrets = Some(std::sync::Arc::new(crate::signature::Secrets {
        default: crate::signature::Secret::new(&secret),
        ..Default::default()
    }));
    load(&mut store, &specs, Window::default(), 2, &mut |_| {});
    let keymap = Keymap::new(&BTreeMap::new()).unwrap();
    App::new(store, Analyzer::new(Thresholds::default()), keymap, paths[0].display().to_string())
}

fn sample() -> App {
    app_on(&["assets/sample-logs"])
}

/// The sample with the timeline focused (it opens on its alerts: it has
/// error-level ones).
fn sample_on_timeline() -> App {
    let mut app = sample();
    assert_eq!(app.pane, Pane::Alerts);
    app.on_action(Action::NextPane);
    assert_eq!(app.pane, Pane::Timeline);
    app
}

/// The screen as drawn once the jobs it asks for are done (they run at
/// once in tests).
fn screen(app: &mut App, w: u16, h: u16) -> String {
    app.settle();
    drawn(app, w, h)
}

/// The screen as drawn now, with what is loaded so far.
fn drawn(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view::draw(f, app)).unwrap();
    format!("{}", t.backend())
}

#[test]
fn starts_following_the_newest_record() {
    let app = sample();
    assert!(app.follow);
    assert_eq!(app.selected + 1, app.view_len());
    // Error-level alerts: the screen opens on them, the worst selected.
    assert_eq!((app.pane, app.alert_selected), (Pane::Alerts, 0));
    // 9 from the analysis (bot-d's monthly-limit burst the ninth), then
    // every audit finding but the floods (listed as floods).
    let findings = app.audit_findings.iter().filter(|f| f.rule != crate::audit::Rule::SameUserFlood).count();
    assert_eq!(app.alerts.len(), 9 + findings);
    for rule in crate::audit::RULES.iter().filter(|r| r.rule != crate::audit::Rule::SameUserFlood) {
        assert!(
            app.alerts.iter().any(|a| matches!(&a.kind, super::app::AlertKind::Finding(f) if f.rule == rule.rule)),
            "{} is among the alerts",
            rule.id
        );
    }
}

#[test]
fn moving_up_pauses_follow_and_last_resumes_it() {
    let mut app = sample_on_timeline();
    let last = app.selected;
    app.on_action(Action::MoveUp);
    assert_eq!((app.selected, app.follow), (last - 1, false));
    app.on_action(Action::PageUp);
    assert_eq!(app.selected, last - 1 - App::PAGE);
    app.on_action(Action::First);
    assert_eq!(app.selected, 0);
    app.on_action(Action::MoveUp);
    assert_eq!(app.selected, 0);
    app.on_action(Action::Last);
    assert_eq!((app.selected, app.follow), (last, true));
    app.on_action(Action::ToggleFollow);
    assert!(!app.follow);
}

#[test]
fn error_and_429_navigation() {
    let mut app = sample_on_timeline();
    app.on_action(Action::First);
    app.on_action(Action::Next429);
    let (_, r) = app.selected_record().unwrap();
    assert_eq!(r.status(), 429);
    let first429 = app.selected;
    app.on_action(Action::NextError);
    assert!(app.selected > first429);
    assert!(app.selected_record().unwrap().1.status() >= 400);
    app.on_action(Action::First);
    app.on_action(Action::Prev429);
    assert_eq!(app.selected, 0);
    assert_eq!(app.message.as_deref(), Some("no earlier 429"));
}

#[test]
fn enter_on_an_alert_narrows_and_back_restores() {
    let mut app = sample();
    let before = app.selected;
    assert_eq!(app.pane, Pane::Alerts);
    app.on_action(Action::Open);
    match &app.view {
        View::Narrowed { ids, title } => {
            assert_eq!(ids.len(), 40, "{title}");
            assert!(ids.iter().all(|&i| app.store.get(i).is_some_and(|r| r.status() == 429)));
        }
        View::All | View::Filter => panic!("not narrowed"),
    }
    assert_eq!((app.pane, app.selected), (Pane::Timeline, 0));
    app.on_action(Action::Back);
    assert_eq!((&app.view, app.selected), (&View::All, before));
    // the flood alert narrows to the sends to that user
    app.pane = Pane::Alerts;
    app.on_action(Action::MoveDown);
    app.on_action(Action::Open);
    let View::Narrowed { ids, .. } = &app.view else { panic!("not narrowed") };
    assert_eq!(ids.len(), 25);
}

#[test]
fn enter_on_a_reply_jumps_to_its_webhook_and_back() {
    let mut app = sample_on_timeline();
    let reply = (0..app.view_len())
        .find(|&i| {
            let id = app.row(i).unwrap();
            app.store.get(id).unwrap().kind() == Kind::Api && app.exact_link_hint(id)
        })
        .unwrap();
    app.selected = reply;
    app.on_action(Action::Open);
    let (_, r) = app.selected_record().unwrap();
    assert_eq!(r.kind(), Kind::Webhook);
    assert!(app.selected < reply);
    app.on_action(Action::Back);
    assert_eq!(app.selected, reply);
}

#[test]
fn help_quit_and_toggles() {
    let mut app = sample();
    app.on_action(Action::Help);
    assert!(app.help);
    app.on_action(Action::MoveDown); // any key closes help
    assert!(!app.help);
    app.on_action(Action::ToggleUtc);
    assert!(!app.utc);
    app.on_action(Action::Quit);
    assert!(app.quit);
}

#[test]
fn snapshot_main_screen() {
    insta::assert_snapshot!("main_120x40", screen(&mut sample(), 120, 40));
}

#[test]
fn snapshot_detail_with_an_exact_link() {
    let mut app = sample();
    app.selected = (0..app.view_len())
        .find(|&i| {
            let id = app.row(i).unwrap();
            app.store.get(id).unwrap().kind() == Kind::Api && app.exact_link_hint(id)
        })
        .unwrap();
    app.follow = false;
    insta::assert_snapshot!("detail_exact_link", screen(&mut app, 120, 40));
}

#[test]
fn snapshot_alert_selected() {
    let mut app = sample();
    app.pane = Pane::Alerts;
    app.on_action(Action::Open);
    insta::assert_snapshot!("alert_selected", screen(&mut app, 120, 40));
}

#[test]
fn snapshot_help() {
    let mut app = sample();
    app.on_action(Action::Help);
    insta::assert_snapshot!("help", screen(&mut app, 120, 40));
}

#[test]
fn snapshot_small_terminal() {
    let mut app = sample();
    // A small terminal opens on the timeline (the loop tells the app its size).
    app.pane = Pane::Timeline;
    let s = screen(&mut app, 80, 24);
    // the timeline and the header stay; alerts and detail fold away
    assert!(s.contains("Timeline"));
    assert!(!s.contains("Alerts"));
    insta::assert_snapshot!("main_80x24", s);
}

#[test]
fn snapshot_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_on(&[dir.path().to_str().unwrap()]);
    app.title = "empty/".into();
    insta::assert_snapshot!("empty_directory", screen(&mut app, 100, 30));
}

#[test]
fn snapshot_a_file_of_junk_escapes_control_characters() {
    let mut app = app_on(&["tests/data/junk.log"]);
    app.follow = false;
    app.selected = 0;
    let s = screen(&mut app, 100, 30);
    assert!(!s.contains('\u{1b}'), "no escape sequence reaches the terminal");
    insta::assert_snapshot!("junk_file", s);
}

/// Run the filter to completion (the worker matches each slice at once).
fn finish_search(app: &mut App) {
    app.settle();
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        app.on_input_key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char(c)));
    }
}

fn press(app: &mut App, code: crossterm::event::KeyCode) {
    app.on_input_key(crossterm::event::KeyEvent::from(code));
}

#[test]
fn filter_as_you_type_then_clear() {
    let mut app = sample();
    app.on_action(Action::Filter);
    type_text(&mut app, "status:429");
    finish_search(&mut app);
    assert_eq!(app.view, View::Filter);
    assert_eq!(app.view_len(), 75, "67 API (8 from bot-d's wire log) and 8 MINI App 429s");
    type_text(&mut app, " kind:mini");
    // the older generation's slices are dropped: only the new query counts
    finish_search(&mut app);
    assert_eq!(app.view_len(), 8);
    press(&mut app, crossterm::event::KeyCode::Enter);
    assert!(app.input.is_none());
    assert_eq!(app.view_len(), 8, "enter keeps the filter");
    app.on_action(Action::Back);
    assert_eq!(app.view, View::All);
    // n/N walk the last filter's matches in the full timeline
    app.on_action(Action::First);
    app.on_action(Action::NextMatch);
    let (_, r) = app.selected_record().unwrap();
    assert_eq!((r.kind(), r.status()), (Kind::MiniApp, 429));
    let first = app.selected;
    app.on_action(Action::NextMatch);
    assert!(app.selected > first);
    app.on_action(Action::PrevMatch);
    assert_eq!(app.selected, first);
}

#[test]
fn stale_filter_results_are_dropped() {
    let mut app = sample();
    app.on_action(Action::Filter);
    type_text(&mut app, "status:429");
    let old = app.search.as_ref().unwrap().generation;
    let job = app.next_filter_job().unwrap();
    type_text(&mut app, "x");
    let m = fuzzy_matcher::skim::SkimMatcherV2::default();
    let ids = super::filter::match_rows(&job.query, &job.rows, &m);
    assert!(!ids.is_empty());
    assert!(app.on_done(super::jobs::Done::Matched(old, ids)));
    assert!(!app.jobs.filter.is_current(old));
    assert_eq!(app.view_len(), 0, "an answer for an old query changes nothing");
    press(&mut app, crossterm::event::KeyCode::Esc);
    assert_eq!(app.view, View::All);
}

#[test]
fn fuzzy_filter_finds_a_request_id() {
    let mut app = sample();
    let id = (0..app.view_len())
        .filter_map(|i| app.row(i))
        .find_map(|r| {
            let rec = app.store.get(r).unwrap();
            let src = &app.store.sources[rec.source() as usize];
            if rec.kind() != Kind::Api || src.compressed {
                return None;
            }
            match crate::parse::parse_line(&app.store.line_text(rec).unwrap()) {
                crate::parse::Parsed::Record(l) => l.fields.request_id.map(|c| c.into_owned()),
                _ => None,
            }
        })
        .unwrap();
    app.on_action(Action::Filter);
    type_text(&mut app, &format!("id:{}", &id[..13]));
    finish_search(&mut app);
    assert_eq!(app.view_len(), 1);
    insta::assert_snapshot!("filter_in_effect", screen(&mut app, 120, 40));
}

#[test]
fn jump_to_a_time() {
    let mut app = sample();
    app.on_action(Action::JumpToTime);
    type_text(&mut app, "08:20");
    press(&mut app, crossterm::event::KeyCode::Enter);
    let (_, r) = app.selected_record().unwrap();
    assert_eq!(crate::time::format_rfc3339(r.ts()), "2026-11-20T08:20:00.000Z");
    app.on_action(Action::JumpToTime);
    type_text(&mut app, "soon");
    press(&mut app, crossterm::event::KeyCode::Enter);
    assert!(app.message.as_deref().is_some_and(|m| m.contains("not a time")));
}

#[test]
fn jump_to_a_date_from_a_line_without_a_time() {
    let mut app = app_on(&["assets/sample-logs", "tests/data/junk.log"]);
    app.follow = false;
    app.selected = (0..app.view_len())
        .find(|&i| app.store.get(app.row(i).unwrap()).unwrap().ts() == i64::MIN)
        .expect("the junk file's lines have no time");
    app.on_action(Action::JumpToTime);
    type_text(&mut app, "11-20 08:20");
    press(&mut app, crossterm::event::KeyCode::Enter);
    assert_eq!(app.message, None);
    let (_, r) = app.selected_record().unwrap();
    assert_eq!(crate::time::format_rfc3339(r.ts()), "2026-11-20T08:20:00.000Z");
}

#[test]
fn flood_rows_carry_a_marker_without_colour() {
    let mut app = sample();
    app.pane = Pane::Alerts;
    app.on_action(Action::MoveDown); // the outbound flood
    app.on_action(Action::Open);
    let s = screen(&mut app, 120, 40);
    // All 22 visible rows of the 25 sends are marked.
    assert_eq!(s.matches('◆').count(), 22, "{s}");
    let (_, r) = app.selected_record().unwrap();
    assert!(app.in_flood(&r));
}

#[test]
fn a_compressed_record_is_read_again_in_the_background() {
    let mut app = sample();
    let pos = (0..app.view_len())
        .find(|&i| {
            let r = app.store.get(app.row(i).unwrap()).unwrap();
            r.kind() == Kind::Webhook && app.store.sources[r.source() as usize].compressed
        })
        .unwrap();
    app.selected = pos;
    app.follow = false;
    // Not loaded yet: the frame says so, and reads nothing itself.
    let before = drawn(&app, 120, 40);
    assert!(before.contains("reading the line…"), "{before}");
    app.settle();
    let s = drawn(&app, 120, 40);
    assert!(s.contains("webhook   {"), "the raw body, pretty-printed:\n{s}");
    assert!(s.contains("signature"));
    // Its line number, counted off the drawing thread.
    let (id, _) = app.selected_record().unwrap();
    let line = app.loaded.detail.record.as_ref().and_then(|(at, v)| (*at == id).then_some(v.line)).flatten();
    assert!(line.is_some_and(|l| s.contains(&format!(".gz:{l}"))), "{s}");
}

#[test]
fn the_selected_alert_stays_visible() {
    let mut app = sample();
    app.pane = Pane::Alerts;
    app.on_action(Action::Last);
    let s = screen(&mut app, 80, 12);
    // Many alerts, 7 rows: the last one (an info finding) is shown selected.
    assert!(s.contains("▶· "), "{s}");
    assert!(s.contains("log-completeness"), "{s}");
}

#[test]
fn an_alert_still_happening_is_marked_ongoing() {
    let mut store = Store::new();
    let mut text = String::new();
    for i in 0..6 {
        text.push_str(&format!("r{i} 2026-11-20T08:00:0{i}Z POST /v2/bot/message/push 429\n"));
    }
    crate::ingest::load_bytes(&mut store, "live.log", text.as_bytes());
    let keymap = Keymap::new(&BTreeMap::new()).unwrap();
    let mut app = App::new(store, Analyzer::new(Thresholds::default()), keymap, "live".into());
    assert!(app.is_ongoing(&app.alerts[0].clone()));
    assert!(screen(&mut app, 120, 40).contains("⟳ ongoing"));
    // A record 11 s after the last 429: the burst is over.
    crate::ingest::load_bytes(
        app.store_mut().unwrap(),
        "live2.log",
        b"r9 2026-11-20T08:00:16Z POST /v2/bot/message/push 200\n",
    );
    app.on_ingested();
    assert!(!app.is_ongoing(&app.alerts[0].clone()));
}

#[test]
fn new_records_follow_the_newest_unless_scrolled_up() {
    let mut app = sample_on_timeline();
    let n = app.view_len();
    crate::ingest::load_bytes(
        app.store_mut().unwrap(),
        "more.log",
        b"new1 2026-11-20T09:30:00Z POST /v2/bot/message/push 200\n",
    );
    app.on_ingested();
    assert_eq!(app.selected, n, "following: the newest record is selected");
    app.on_action(Action::MoveUp);
    let at = app.selected;
    crate::ingest::load_bytes(
        app.store_mut().unwrap(),
        "more2.log",
        b"new2 2026-11-20T09:31:00Z POST /v2/bot/message/push 200\n",
    );
    app.on_ingested();
    assert_eq!(app.selected, at, "a user who scrolled up is not moved");
    assert!(!app.follow);
}

#[test]
fn an_unsent_message_is_not_shown_or_found() {
    let d = tempfile::tempdir().unwrap();
    let body = |ev: &str| {
        serde_json::json!({"kind": "webhook", "time": "2026-11-20T08:00:00Z", "ip": "203.0.113.1", "method": "POST",
            "path": "/cb", "status": 200, "body": format!("{{\"events\":[{ev}]}}")})
        .to_string()
    };
    let lines = [
        body(
            r#"{"type":"message","webhookEventId":"e1","message":{"id":"m1","type":"text","text":"withdrawn words"}}"#,
        ),
        body(r#"{"type":"unsend","webhookEventId":"e2","unsend":{"messageId":"m1"}}"#),
    ];
    std::fs::write(d.path().join("wh.jsonl"), lines.join("\n") + "\n").unwrap();
    let mut app = app_on(&[d.path().to_str().unwrap()]);
    // (It opens on its alerts: the webhooks are unsigned.)
    app.pane = Pane::Timeline;
    app.on_action(Action::First);
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("[unsent]") && !s.contains("withdrawn"), "{s}");
    // The store's re-read line (the detail pane, the filter, lookup) is redacted.
    let (_, rec) = app.selected_record().unwrap();
    let text = app.store.line_text(rec).unwrap();
    assert!(text.contains("[unsent]") && !text.contains("withdrawn"), "{text}");
    app.on_action(Action::Filter);
    type_text(&mut app, "withdrawn");
    finish_search(&mut app);
    assert_eq!(app.view_len(), 0, "the withdrawn text is not searchable");
}

#[test]
fn enter_on_a_finding_narrows_to_its_records() {
    let mut app = sample();
    app.pane = Pane::Alerts;
    let pos = app
        .alerts
        .iter()
        .position(
            |a| matches!(&a.kind, super::app::AlertKind::Finding(f) if f.rule == crate::audit::Rule::WebhookSignature),
        )
        .unwrap();
    for _ in 0..pos {
        app.on_action(Action::MoveDown);
    }
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("┌ Finding") && s.contains("guideline Messaging API development guidelines"), "{s}");
    app.on_action(Action::Open);
    let View::Narrowed { ids, .. } = &app.view else { panic!("not narrowed") };
    let finding = app.audit_findings.iter().find(|f| f.rule == crate::audit::Rule::WebhookSignature).unwrap();
    assert_eq!(ids, &finding.records);
    let (_, r) = app.selected_record().unwrap();
    assert_eq!((r.kind(), r.status()), (Kind::Webhook, 200));
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("sig✗") && s.contains("verified  invalid"), "{s}");
}

#[test]
fn rate_buckets_match_a_division_per_second() {
    // Negative seconds (before 1970) too: minutes are floored.
    // The reference: bucket ⌊(sec − first)·n / span⌋, computed per second.
    let reference = |rate: &std::collections::BTreeMap<i64, (u64, u64)>, n: usize| {
        let (mut req, mut bad) = (vec![0u64; n], vec![0u64; n]);
        let (first, last) = (*rate.keys().next().unwrap(), *rate.keys().last().unwrap());
        let span = (last - first + 1) as i128;
        for (&sec, &(r, b)) in rate {
            let i = ((sec - first) as i128 * n as i128 / span) as usize;
            req[i] += r;
            bad[i] += b;
        }
        (req, bad)
    };
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for case in 0..200 {
        let mut rate = std::collections::BTreeMap::new();
        let mut kept = crate::tui::app::Rate::default();
        let spread = [1, 7, 100, 3_600, 1_209_600, 1 << 40][case % 6];
        let base = next() as i64 % (1 << 35);
        for _ in 0..(1 + next() % 300) {
            let sec = base + (next() % spread) as i64;
            // A run of records of one second now and then, and errors
            // that are not requests.
            let req = [1, 1, 1, 0, 3, 70_000][(next() % 6) as usize];
            let bad = (next() % (req + 2)) as u32;
            let e: &mut (u64, u64) = rate.entry(sec).or_default();
            e.0 += req;
            e.1 += u64::from(bad);
            kept.add(sec, req as u32, bad);
        }
        for n in [1, 2, 3, 10, 111, 113, 500] {
            assert_eq!(kept.buckets(n), reference(&rate, n), "case {case}, n {n}");
        }
    }
    assert_eq!(crate::tui::app::Rate::default().buckets(5), (vec![0; 5], vec![0; 5]));
    // Hours busy enough to be kept dense (from one side of the switch to
    // the other), and one second with more requests than 16 bits count;
    // in odd cases a second with more than a byte counts before its hour
    // turns dense.
    for case in 0..6 {
        let mut rate = std::collections::BTreeMap::new();
        let mut kept = crate::tui::app::Rate::default();
        let base = 1_795_000_000 - 1_800 + case * 900;
        let mut add = |sec: i64, bad: bool| {
            let e: &mut (u64, u64) = rate.entry(sec).or_default();
            e.0 += 1;
            e.1 += u64::from(bad);
            kept.add(sec, 1, u32::from(bad));
        };
        if case % 2 == 1 {
            for i in 0..1_000 {
                add(base + 1_803, i % 4 == 0);
            }
        }
        for _ in 0..(case as u64 * 3_000) {
            add(base + (next() % 7_200) as i64, next() % 3 == 0);
        }
        for _ in 0..70_000 {
            add(base + 17, true);
        }
        for n in [1, 3, 10, 113, 7_200] {
            assert_eq!(kept.buckets(n), reference(&rate, n), "dense case {case}, n {n}");
        }
    }
}

#[test]
fn the_rate_strip_adds_new_records_as_a_fresh_one_counts_them() {
    let line = |i: usize, sec: usize, status: u16| {
        format!("r{i} 2026-11-20T08:{:02}:{:02}Z POST /v2/bot/message/push {status}\n", sec / 60, sec % 60)
    };
    let fresh = |text: &str| {
        let mut store = Store::new();
        crate::ingest::load_bytes(&mut store, "a.log", text.as_bytes());
        App::new(store, Analyzer::new(Thresholds::default()), Keymap::new(&BTreeMap::new()).unwrap(), "t".into())
    };
    let mut all = line(0, 0, 200) + &line(1, 3599, 200);
    let mut app = fresh(&all);
    let _ = app.rate_buckets(100);
    for (round, (from, to)) in [(1, 1800), (1800, 3599), (0, 3599)].into_iter().enumerate() {
        // Within the range: the strip adds them to what it had.
        let mut more = String::new();
        for i in 0..300 {
            // Runs of records of one second (counted together), in no order.
            let sec = from + (i / 3 * 7919) % (to - from);
            more += &line(1000 * (round + 1) + i, sec, if i % 3 == 0 { 429 } else { 200 });
        }
        crate::ingest::load_bytes(app.store_mut().unwrap(), &format!("m{round}.log"), more.as_bytes());
        app.on_ingested();
        all += &more;
        assert_eq!(app.rate_buckets(100), fresh(&all).rate_buckets(100), "round {round}");
        assert_eq!(app.rate_buckets(37), fresh(&all).rate_buckets(37), "round {round}, another width");
    }
    // A record past the range: the buckets are laid out again.
    let late = "late 2026-11-20T10:00:00Z POST /v2/bot/message/push 500\n";
    crate::ingest::load_bytes(app.store_mut().unwrap(), "late.log", late.as_bytes());
    app.on_ingested();
    all += late;
    assert_eq!(app.rate_buckets(100), fresh(&all).rate_buckets(100));
}

#[test]
fn analysis_in_slices_ends_where_analysis_at_once_does() {
    let mut whole = sample();
    // The same files read into an app that starts empty, then brought up to
    // date a slice at a time, as the screen's loop does between keys.
    let (specs, _) = discover(&[PathBuf::from("assets/sample-logs")]).unwrap();
    let mut store = Store::new();
    let secret = std::fs::read_to_string("assets/channel-secret.txt").unwrap();
    store.secrets = Some(std::sync::Arc::new(crate::signature::Secrets {
        default: crate::signature::Secret::new(&secret),
        ..Default::default()
    }));
    let keymap = Keymap::new(&BTreeMap::new()).unwrap();
    let mut sliced = App::new(store, Analyzer::new(Thresholds::default()), keymap, "assets/sample-logs".into());
    load(sliced.store_mut().unwrap(), &specs, Window::default(), 2, &mut |_| {});
    sliced.mark_ingested();
    let mut slices = 0;
    let mut shown_before_the_end = false;
    while sliced.ingest_slice(Some(std::time::Duration::ZERO)).is_some() {
        slices += 1;
        // Nothing is shown until the analysis has caught up.
        shown_before_the_end |= sliced.ingest_pending() && sliced.store.order().len() == sliced.store.len();
        assert!(slices < 100, "slices never end");
    }
    // 8,560 records: three slices of analysis (4,096 a slice), then the
    // timeline, the strip and the alerts, each a slice of its own.
    assert_eq!(slices, 6);
    assert!(shown_before_the_end, "the timeline is merged before the alerts are refreshed");
    assert!(!sliced.ingest_pending());
    // The audit runs once the analysis has caught up (the loop starts it).
    sliced.refresh_audit();
    assert_eq!(sliced.store.order().to_vec(), whole.store.order().to_vec());
    assert_eq!(sliced.rate_buckets(100), whole.rate_buckets(100));
    assert_eq!(screen(&mut sliced, 120, 40), screen(&mut whole, 120, 40));
}

/// The sample read into an app that starts empty, as the screen's first
/// blocks are, with more files still being read; nothing taken in yet.
fn sample_read_while_reading() -> App {
    let (specs, _) = discover(&[PathBuf::from("assets/sample-logs")]).unwrap();
    let keymap = Keymap::new(&BTreeMap::new()).unwrap();
    let mut app = App::new(Store::new(), Analyzer::new(Thresholds::default()), keymap, "sample".into());
    app.reading = true;
    load(app.store_mut().unwrap(), &specs, Window::default(), 2, &mut |_| {});
    app
}

/// While files are read, the alerts are refreshed at most every
/// `findings_every`; once every file is read, at the next step.
#[test]
fn alerts_are_refreshed_at_a_pace_while_reading_and_at_once_after() {
    let mut app = sample_read_while_reading();
    app.findings_every = std::time::Duration::from_secs(3600);
    app.on_ingested();
    let bursts = |app: &App| app.alerts.iter().filter(|a| matches!(a.kind, super::app::AlertKind::Burst(_))).count();
    let (before, bursts_before) = (app.alerts.len(), bursts(&app));
    assert!(bursts_before > 0, "the first alerts are shown at once");
    // A burst of 429s a day after the rest, read while reading goes on.
    let burst: String =
        (0..40).map(|i| format!("b{i} 2026-11-21T08:00:{:02}Z POST /v2/bot/message/push 429\n", i % 60)).collect();
    crate::ingest::load_bytes(app.store_mut().unwrap(), "burst.log", burst.as_bytes());
    app.on_ingested();
    assert_eq!(app.alerts.len(), before, "not yet: the last refresh was just now");
    assert!(!app.findings_overdue());
    // Once due (ten times what the last refresh took), the loop is told,
    // even if no step comes to make it.
    app.findings_every = std::time::Duration::ZERO;
    let waited = std::time::Instant::now();
    while !app.findings_overdue() && waited.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(app.findings_overdue());
    app.findings_every = std::time::Duration::from_secs(3600);
    // Every file read: refreshed with the next step.
    app.reading = false;
    app.on_ingested();
    assert_eq!((app.alerts.len(), bursts(&app)), (before + 1, bursts_before + 1));
}

/// While files are read, records that land inside the timeline wait to be
/// taken in with more (the alerts and the strip do not wait for them, and
/// the loop does not spin on them); once every file is read, they are in.
#[test]
fn records_inside_the_timeline_wait_while_reading_and_are_in_once_read() {
    let mut app = sample_read_while_reading();
    app.mark_ingested();
    while app.ingest_slice(Some(std::time::Duration::ZERO)).is_some() {}
    let len = app.store.len();
    assert_eq!(app.store.order().len(), len, "the first records are shown at once");
    // A line from before the others, read while reading goes on.
    let early = "early 2026-11-20T07:59:00Z POST /v2/bot/message/push 500\n";
    crate::ingest::load_bytes(app.store_mut().unwrap(), "early.log", early.as_bytes());
    app.mark_ingested();
    let mut slices = 0;
    while app.ingest_slice(Some(std::time::Duration::ZERO)).is_some() {
        slices += 1;
        assert!(slices < 20, "slices never end");
    }
    assert!(!app.ingest_pending());
    assert_eq!(app.store.order().len(), len, "it waits");
    assert_eq!(app.store.len(), len + 1);
    assert!(!app.timeline_waited_out());
    // Not past `max_wait`: a stream that goes quiet shows what it sent.
    app.max_wait = std::time::Duration::ZERO;
    assert!(app.timeline_waited_out());
    app.mark_ingested();
    while app.ingest_slice(Some(std::time::Duration::ZERO)).is_some() {}
    assert_eq!(app.store.order().len(), len + 1);
    assert!(!app.timeline_waited_out());
    let early = "early 2026-11-20T07:58:00Z POST /v2/bot/message/push 500\n";
    crate::ingest::load_bytes(app.store_mut().unwrap(), "early.log", early.as_bytes());
    app.max_wait = std::time::Duration::from_secs(3600);
    app.mark_ingested();
    while app.ingest_slice(Some(std::time::Duration::ZERO)).is_some() {}
    assert_eq!(app.store.order().len(), len + 1, "the second waits");
    // Every file read.
    app.reading = false;
    app.mark_ingested();
    while app.ingest_slice(Some(std::time::Duration::ZERO)).is_some() {}
    assert_eq!(app.store.order().len(), len + 2);
    let keys: Vec<(i64, u32)> =
        app.store.order().iter().map(|id| (app.store.get(id).map_or(i64::MIN, |r| r.ts()), id)).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "in time order");
    let early = keys.iter().position(|&(_, id)| id as usize == len + 1).unwrap();
    assert!(keys[early + 1].0 > keys[early].0 && keys[early].0 > i64::MIN, "{early}");
}

/// An entry read as one record shows what was read out of it (LINE's
/// response body) before its lines as written.
#[test]
fn detail_shows_an_entrys_body_before_its_lines() {
    let mut app = sample();
    app.follow = false;
    let (i, s) = (0..app.view_len())
        .find_map(|i| {
            let id = app.row(i).unwrap();
            if app.store.get(id).unwrap().kind() != Kind::Api || !app.store.continued.contains_key(&id) {
                return None;
            }
            app.selected = i;
            let s = screen(&mut app, 120, 60);
            let pane = s.split_once("┌ API request")?.1.to_owned();
            (pane.contains("│ then ") && pane.contains("│ response ")).then_some((i, pane))
        })
        .expect("an API record gathered from an entry, with a response body");
    let (response, then) = (s.find("│ response ").unwrap(), s.find("│ then ").unwrap());
    assert!(response < then, "row {i}:\n{s}");
}

fn three_days() -> App {
    app_on(&["tests/data/three-days"])
}

#[test]
fn three_days_group_their_alerts_and_show_dates() {
    let mut app = three_days();
    // 66 push bursts, 11 multicast bursts, 2 rate-limit-429 findings.
    assert_eq!(app.alerts.len(), 79);
    let groups: Vec<(&str, usize)> = app.groups.iter().map(|g| (g.key.as_str(), g.members.len())).collect();
    assert_eq!(
        groups,
        [
            ("burst api /v2/bot/message/push", 66),
            ("finding rate-limit-429", 2),
            ("burst api /v2/bot/message/multicast", 11)
        ]
    );
    // The largest push burst: 40 at 09:20 on the first day.
    let push = &app.groups[0];
    let big = &app.alerts[push.largest];
    assert_eq!((big.count(), big.start()), (40, crate::time::parse_time("2026-11-20T09:20:00Z")));
    // Opened on the alerts, the worst group selected; enter opens it.
    assert_eq!((app.pane, app.alert_selected), (Pane::Alerts, 0));
    let closed = screen(&mut app, 120, 40);
    assert!(closed.contains("2026-11-20 09:00 → 2026-11-23 02:50 UTC"), "{closed}");
    insta::assert_snapshot!("three_days_120x40", closed);
    app.on_action(Action::Open);
    assert_eq!(app.alert_rows.len(), 3 + 66);
    assert_eq!(app.alert_selected, 1, "the first occurrence");
    insta::assert_snapshot!("three_days_group_open", screen(&mut app, 120, 40));
    // Occurrences are in time order; enter on one narrows to its 429s.
    app.on_action(Action::Open);
    let View::Narrowed { ids, .. } = &app.view else { panic!("not narrowed") };
    assert_eq!(ids.len(), 40);
    app.on_action(Action::Back);
    app.pane = Pane::Alerts;
    // Left (or backspace) closes the group, its row selected again.
    app.on_action(Action::Collapse);
    assert_eq!((app.alert_rows.len(), app.alert_selected), (3, 0));
    app.on_action(Action::Expand);
    app.on_action(Action::Back);
    assert_eq!((app.alert_rows.len(), app.alert_selected), (3, 0));
}

#[test]
fn the_timeline_marks_where_the_day_changes() {
    let mut app = three_days();
    app.on_action(Action::NextPane);
    app.jump_to_time("11-23 00:00");
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("── Mon 2026-11-23 ──"), "{s}");
    assert!(s.contains("Timeline 1,083 · Mon 2026-11-23"), "{s}");
    insta::assert_snapshot!("three_days_day_separator", s);
}

#[test]
fn a_small_terminal_names_the_worst_alerts_and_a_shows_them() {
    let mut app = three_days();
    app.wide = false;
    app.on_ingested();
    app.pane = Pane::Timeline;
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("‼ 429 burst ×66 push · 79 alerts · a: list"), "{s}");
    assert!(s.contains("Timeline") && !s.contains("Alerts 79"), "{s}");
    insta::assert_snapshot!("three_days_80x24", s);
    app.on_action(Action::Alerts);
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("▶ Alerts 79 in 3 groups") && !s.contains("Timeline"), "{s}");
    app.on_action(Action::Alerts);
    assert_eq!(app.pane, Pane::Timeline);
}

#[test]
fn the_focused_pane_is_marked_without_colour() {
    let mut app = sample();
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("┏▶ Alerts 41 ━") && s.contains("┌ Timeline 8,560 ─"), "{s}");
    app.on_action(Action::NextPane);
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("┌ Alerts 41 ─") && s.contains("┏▶ Timeline 8,560 ━"), "{s}");
    app.on_action(Action::NextPane);
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("┏▶ API request") && s.contains("┌ Timeline"), "{s}");
}

#[test]
fn data_without_errors_opens_on_the_timeline() {
    let app = app_on(&["tests/data/junk.log"]);
    assert_eq!(app.pane, Pane::Timeline);
}

#[test]
fn zoom_narrows_the_timeline_and_strips_around_the_selection() {
    let mut app = three_days();
    app.on_action(Action::NextPane);
    let all = app.view_len();
    app.jump_to_time("2026-11-21 12:00");
    app.on_action(Action::ZoomIn);
    assert_eq!(app.zoom, super::app::Zoom::Day);
    let day = app.view_len();
    assert!(day < all && day > 300, "{day} of {all}");
    let (_, r) = app.selected_record().unwrap();
    assert_eq!(r.ts(), crate::time::parse_time("2026-11-21T12:00:03Z").unwrap(), "the same record stays selected");
    let (lo, hi) = app.zoom_window().unwrap();
    assert_eq!(hi - lo, 86_400_000);
    assert!((lo..=hi).contains(&r.ts()));
    app.on_action(Action::ZoomIn);
    app.on_action(Action::ZoomIn);
    assert_eq!(app.zoom, super::app::Zoom::TenMinutes);
    let s = screen(&mut app, 120, 40);
    assert!(s.contains(" 10 min ") && s.contains('↑'), "{s}");
    for _ in 0..4 {
        app.on_action(Action::ZoomOut);
    }
    assert_eq!((app.zoom, app.view_len()), (super::app::Zoom::All, all));
}

#[test]
fn jump_to_time_reads_dates_in_the_zone_shown() {
    use super::app::jump_target;
    let base = crate::time::parse_time("2026-11-21T15:30:00Z").unwrap();
    let t = |s: &str| crate::time::parse_time(s);
    for (typed, want) in [
        ("2026-11-22 09:20", t("2026-11-22T09:20:00Z")),
        ("2026-11-22 09:20:30", t("2026-11-22T09:20:30Z")),
        ("11-20 08:00", t("2026-11-20T08:00:00Z")),
        ("09:20", t("2026-11-21T09:20:00Z")),
        ("09:20:05", t("2026-11-21T09:20:05Z")),
        ("2026-11-20T08:00:00Z", t("2026-11-20T08:00:00Z")),
        ("13-40 09:20", None),
        ("tomorrow", None),
    ] {
        assert_eq!(jump_target(typed, base, true), want, "{typed}");
    }
}

#[test]
fn strips_scale_to_the_usual_level_and_mark_spikes() {
    use super::view::{bars_for_test as bars, strip_scale_for_test as scale};
    // A steady level with one spike: the level sits low, the spike is marked.
    let mut data = vec![10u64; 40];
    data[20] = 400;
    let s = scale(&data);
    assert_eq!(s, 40, "four times the median");
    let b: Vec<char> = bars(&data, s).chars().collect();
    assert_eq!(b[0], '▂');
    assert_eq!(b[20], '▲');
    assert_eq!(bars(&[0, 5], 0), "  ");
}
