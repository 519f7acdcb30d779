//! Signature checks: any body, any signature header, any secret.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let (secret, signature, body) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if let Some(s) = linelens::signature::Secret::new(secret) {
        let _ = linelens::signature::verify(&s, body.as_bytes(), signature);
    }
    let _ = linelens::signature::check(None, Some(body), Some(signature), None);
});
