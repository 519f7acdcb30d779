//! linelens: an incident log viewer for LINE bots and LINE MINI Apps.
//!
//! The engine knows nothing of the terminal or the command line; the
//! headless commands and (in `tui/`) the incident screen are two consumers
//! of it. Only the binary's entry uses `cli`; no two modules import each
//! other.
//!
//! ```text
//! cli ──▶ source ──▶ ingest ──▶ parse ──▶ store ──▶ report
//!          files      threads    lines     records    summaries
//! ```
//!
//! - `model`   Record (32 bytes), kinds, side-table metadata; no I/O.
//! - `memory`  giving the allocator's free pages back to the system.
//! - `time`    timestamp parsing and formatting.
//! - `source`  discovery, read-only opening, gzip/binary sniffing, blocks.
//! - `parse`   one line → a classified record (text, Markdown rows, JSON).
//! - `ingest`  the reader → workers → committer pipeline.
//! - `store`   records, interned strings, indexes, counters.
//! - `analysis` 429 bursts, floods, webhook ↔ reply correlation, links.
//! - `line_api` LINE's endpoints, in one catalogue (sends, retry keys, rate
//!   limits, MINI App, Login).
//! - `config`  the config file and threshold resolution.
//! - `settings` what a run uses (paths, window, thresholds, secrets, mask),
//!   filled in by `cli`, read by the engine's consumers; no flags in it.
//! - `mask`    `--mask-users` as a value handed to every writer.
//! - `report`  the `report` and `lookup` output, as text or JSON.
//! - `escape`  making untrusted log text safe for a terminal.
//! - `tail`    `linelens tail`: following files, one JSON record a line.
//! - `tui`     the incident screen; the only module that knows the terminal.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod analysis;
pub mod audit;
pub mod cli;
pub mod config;
pub mod escape;
pub mod ingest;
pub mod line_api;
pub mod mask;
pub mod memory;
pub mod model;
pub mod parse;
pub mod record_view;
pub mod report;
pub mod settings;
pub mod signals;
pub mod signature;
pub mod source;
pub mod store;
pub mod tail;
pub mod time;
pub mod tui;
pub mod unsend;
