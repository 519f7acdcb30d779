//! Times in every form the parsers accept, and the command-line forms.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = linelens::time::parse_time(&text);
    let _ = linelens::time::parse_epoch(&text);
    let _ = linelens::time::parse_rfc3339(data);
    let _ = linelens::time::parse_rfc2822(data);
    let _ = linelens::time::parse_time_arg(&text, 1_764_547_200_000);
    let _ = linelens::time::parse_duration(&text);
    let _ = linelens::time::leading_time(&text);
    if let Some(t) = linelens::time::parse_time(&text) {
        let _ = linelens::time::format_rfc3339(t);
    }
});
