//! The whole engine on one input: parse, commit, analyse, audit, report,
//! and look up the request ID named on the first line.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (id, body) = match data.iter().position(|&c| c == b'\n') {
        Some(i) => (String::from_utf8_lossy(&data[..i]).into_owned(), &data[i + 1..]),
        None => (String::new(), data),
    };
    let mut store = linelens::store::Store::new();
    let src = linelens::ingest::load_bytes(&mut store, "fuzz.log", body);
    if let Some(s) = store.sources.get_mut(src as usize) {
        s.memory = Some(body.to_vec());
    }
    let mut analyzer = linelens::analysis::Analyzer::new(Default::default());
    analyzer.observe_new(&mut store);
    let found = analyzer.findings(&store);
    let audit = linelens::audit::Audit::default().run(&store, &found);
    let report = linelens::report::Report::build(&store, &found, &audit);
    let _ = linelens::report::write_json(&report, &mut std::io::sink());
    let _ = linelens::report::write_text(&report, &mut std::io::sink());
    if !id.trim().is_empty() {
        if let Some(l) = linelens::report::lookup::lookup(&mut store, &mut analyzer, id.trim()) {
            let _ = linelens::report::lookup::write_json(&l, &mut std::io::sink());
            let _ = linelens::report::lookup::write_text(&l, &mut std::io::sink());
        }
    }
});
