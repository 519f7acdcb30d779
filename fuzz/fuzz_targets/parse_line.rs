//! Line classification of every format: guideline text, Markdown rows,
//! header rows, JSON lines.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.split('\n') {
        if let linelens::parse::Parsed::Record(l) = linelens::parse::parse_line(line) {
            let _ = l.target();
            if let Some(b) = &l.fields.body {
                let _ = linelens::parse::body::parse_webhook_body(&b.text());
            }
        }
        let _ = linelens::parse::text::is_header(line);
        let _ = linelens::parse::endpoint_path(line);
        let _ = linelens::escape::escape_control(line);
    }
});
