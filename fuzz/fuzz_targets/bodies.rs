//! JSON and body parsing: webhook bodies, request and response bodies,
//! JSON log lines, unsend redaction.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = linelens::parse::body::parse_webhook_body(&text);
    let _ = linelens::parse::body::parse_request_body(&text);
    let _ = linelens::parse::body::parse_response_body(&text);
    let _ = linelens::parse::json::parse(&text);
    let _ = linelens::parse::json::untimed(&text);
    let mut unsent = std::collections::HashMap::new();
    unsent.insert(linelens::store::hash_id("1"), 0);
    let _ = linelens::unsend::redact(&text, &unsent);
});
