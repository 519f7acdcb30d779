//! What the screen's thread does per key and per frame with a million
//! records loaded: a key and a redraw, the UI-thread share of one filter
//! slice, and one indexing step (apply blocks, analyse, merge the timeline).
//! The issue's target: keys answered within 50 ms while indexing or
//! filtering 10^6 records. `cargo bench --bench screen`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use linelens::analysis::{Analyzer, Thresholds};
use linelens::ingest::{ParseOptions, ParsedBlock, Window, commit, load_bytes};
use linelens::source::Block;
use linelens::store::Store;
use linelens::tui::action::{Action, Keymap};
use linelens::tui::app::App;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// `n` realistic lines: text API and webhook lines and JSON replies with bodies.
fn lines(n: usize, t0: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 120);
    for i in 0..n {
        let t = linelens::time::format_rfc3339(t0 + i as i64 * 3);
        let line = match i % 4 {
            0 => format!("req-{i:08} {t} POST https://api.line.me/v2/bot/message/push 200\n"),
            1 => format!("147.92.150.{} {t} POST /linebot/webhook 200\n", i % 250),
            2 => {
                format!(
                    r#"{{"kind":"api","time":"{t}","request_id":"r{i}","endpoint":"https://api.line.me/v2/bot/message/reply","status":200,"request_body":{{"replyToken":"tok{i}","messages":[]}}}}"#
                ) + "\n"
            }
            _ => format!(
                "req-{i:08} {t} POST https://api.line.me/v2/bot/message/push {}\n",
                if i % 1000 == 3 { 429 } else { 200 }
            ),
        };
        out.extend_from_slice(line.as_bytes());
    }
    out
}

const T0: i64 = 1_763_625_600_000;

fn app_with(n: usize) -> App {
    let mut store = Store::new();
    load_bytes(&mut store, "bench.log", &lines(n, T0));
    App::new(store, Analyzer::new(Thresholds::default()), Keymap::new(&BTreeMap::new()).unwrap(), "bench".into())
}

fn screen(c: &mut Criterion) {
    let mut app = app_with(1_000_000);
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut g = c.benchmark_group("screen_1M_records");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("key_and_frame", |b| {
        b.iter(|| {
            app.on_action(Action::MoveUp);
            term.draw(|f| linelens::tui::view::draw(f, &app)).unwrap();
        })
    });
    g.bench_function("filter_slice_on_ui_thread", |b| {
        b.iter(|| {
            app.start_search("status:429 push".into());
            black_box(app.next_filter_job())
        })
    });
    g.finish();

    // One indexing step as the screen takes it: 64 blocks of 512 KiB are
    // about 300k lines; measured on a store already holding a million.
    let mut g = c.benchmark_group("indexing_step");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    let extra = lines(16 * 4_000, T0 + 3_000_000);
    g.bench_function("16_blocks_into_1M", |b| {
        b.iter_batched(
            || {
                let app = app_with(1_000_000);
                let pb = ParsedBlock::parse(
                    0,
                    Block { offset: 1 << 30, first_line: 2_000_000, data: extra.clone() },
                    &ParseOptions::default(),
                );
                (app, pb)
            },
            |(mut app, pb)| {
                if let Some(store) = app.store_mut() {
                    commit(store, pb, Window::default());
                }
                app.on_ingested();
                app
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, screen);
criterion_main!(benches);
