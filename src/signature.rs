//! Webhook signature verification, as LINE specifies it: the
//! `x-line-signature` header is the base64 of HMAC-SHA256 over the raw
//! request body, keyed with the channel secret. Only a body logged as a
//! string (the bytes LINE signed) can be checked.
//!
//! Secrets never leave this module: [`Secret`] has no `Display`, its `Debug`
//! prints a placeholder, and errors name the file, never its content.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use hmac::{KeyInit, Mac};

/// What a webhook receipt's signature is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum SigState {
    /// No raw body logged, or no secret given for its channel.
    #[default]
    Unverifiable,
    Valid,
    Invalid,
    /// A raw body logged without a signature.
    Missing,
}

impl SigState {
    pub fn as_str(self) -> &'static str {
        match self {
            SigState::Unverifiable => "unverifiable",
            SigState::Valid => "valid",
            SigState::Invalid => "invalid",
            SigState::Missing => "missing",
        }
    }
}

/// A channel secret. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(hidden)")
    }
}

impl Secret {
    pub fn new(s: &str) -> Option<Secret> {
        let s = s.trim();
        (!s.is_empty()).then(|| Secret(s.as_bytes().to_vec()))
    }
}

/// The secrets to verify with: one for every channel, and per `destination`
/// (the bot's user ID in a webhook body) for a bot serving several.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    pub default: Option<Secret>,
    pub by_destination: HashMap<String, Secret>,
}

/// A secret file that cannot be used (its path only: never its content).
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("channel secret file {0}: {1}")]
    Unreadable(String, String),
    #[error("channel secret file {0} is empty")]
    Empty(String),
}

/// Read a secret file (surrounding whitespace and the final newline ignored).
pub fn read_secret(path: &Path) -> Result<Secret, SecretError> {
    let shown = crate::escape::escape_control(&path.display().to_string()).into_owned();
    let text = std::fs::read(path).map_err(|e| SecretError::Unreadable(shown.clone(), crate::source::io_reason(&e)))?;
    Secret::new(&String::from_utf8_lossy(&text)).ok_or(SecretError::Empty(shown))
}

impl Secrets {
    /// From a secret file (else the value of an environment variable) and
    /// a destination → secret file map.
    pub fn load(
        file: Option<&Path>,
        env: Option<&str>,
        by_destination: &std::collections::BTreeMap<String, PathBuf>,
    ) -> Result<Secrets, SecretError> {
        let default = match file {
            Some(p) => Some(read_secret(p)?),
            None => env.and_then(Secret::new),
        };
        let mut map = HashMap::new();
        for (dest, p) in by_destination {
            map.insert(dest.clone(), read_secret(p)?);
        }
        Ok(Secrets { default, by_destination: map })
    }

    pub fn is_empty(&self) -> bool {
        self.default.is_none() && self.by_destination.is_empty()
    }

    fn for_destination(&self, destination: Option<&str>) -> Option<&Secret> {
        destination.and_then(|d| self.by_destination.get(d)).or(self.default.as_ref())
    }

    /// The state of one receipt: `raw_body` is the body when logged as a
    /// string, `destination` the body's.
    pub fn check(&self, raw_body: Option<&str>, signature: Option<&str>, destination: Option<&str>) -> SigState {
        check(Some(self), raw_body, signature, destination)
    }
}

/// [`Secrets::check`], with or without secrets (without: a signature can be
/// missing, never valid or invalid).
pub fn check(
    secrets: Option<&Secrets>,
    raw_body: Option<&str>,
    signature: Option<&str>,
    destination: Option<&str>,
) -> SigState {
    let Some(body) = raw_body else { return SigState::Unverifiable };
    let Some(sig) = signature.map(str::trim).filter(|s| !s.is_empty()) else { return SigState::Missing };
    match secrets.and_then(|s| s.for_destination(destination)) {
        Some(secret) if verify(secret, body.as_bytes(), sig) => SigState::Valid,
        Some(_) => SigState::Invalid,
        None => SigState::Unverifiable,
    }
}

/// Whether `signature` (base64) is HMAC-SHA256 of `body` under `secret`,
/// compared in constant time (`Mac::verify_slice`).
pub fn verify(secret: &Secret, body: &[u8], signature: &str) -> bool {
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else { return false };
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&secret.0) else { return false };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn secrets(s: &str) -> Secrets {
        Secrets { default: Secret::new(s), ..Default::default() }
    }

    #[test]
    fn the_documented_example_verifies() {
        let body = r#"{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}"#;
        let s = secrets("8c570fa6dd201bb328f1c1eac23a96d8");
        assert_eq!(s.check(Some(body), Some("GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="), None), SigState::Valid);
        // One changed character in the signature, in the body, or the wrong secret.
        assert_eq!(s.check(Some(body), Some("GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLt="), None), SigState::Invalid);
        let tampered = body.replace("events", "Events");
        assert_eq!(
            s.check(Some(&tampered), Some("GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="), None),
            SigState::Invalid
        );
        assert_eq!(
            secrets("other").check(Some(body), Some("GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="), None),
            SigState::Invalid
        );
        assert_eq!(s.check(Some(body), Some("not base64!"), None), SigState::Invalid);
    }

    #[test]
    fn states_without_body_signature_or_secret() {
        let s = secrets("x");
        assert_eq!(s.check(None, Some("abc"), None), SigState::Unverifiable, "no raw body");
        assert_eq!(s.check(Some("{}"), None, None), SigState::Missing);
        assert_eq!(s.check(Some("{}"), Some("  "), None), SigState::Missing);
        assert_eq!(Secrets::default().check(Some("{}"), Some("abc"), None), SigState::Unverifiable, "no secret");
        assert_eq!(Secrets::default().check(Some("{}"), None, None), SigState::Missing);
    }

    #[test]
    fn a_destination_picks_its_own_secret() {
        let mut s = secrets("default-secret");
        s.by_destination.insert("Ubot2".into(), Secret::new("second").unwrap());
        let body = "{}";
        let sig = |k: &str| {
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(k.as_bytes()).unwrap();
            mac.update(body.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        };
        assert_eq!(s.check(Some(body), Some(&sig("second")), Some("Ubot2")), SigState::Valid);
        assert_eq!(s.check(Some(body), Some(&sig("default-secret")), Some("Ubot2")), SigState::Invalid);
        assert_eq!(s.check(Some(body), Some(&sig("default-secret")), Some("Uother")), SigState::Valid);
    }

    #[test]
    fn a_secret_is_never_in_debug_output_or_errors() {
        let s = secrets("8c570fa6dd201bb328f1c1eac23a96d8");
        assert!(!format!("{s:?}").contains("8c570fa6"));
        let d = tempfile::tempdir().unwrap();
        let e = read_secret(&d.path().join("missing")).unwrap_err().to_string();
        assert!(e.contains("missing"), "{e}");
        std::fs::write(d.path().join("empty"), "\n").unwrap();
        assert!(read_secret(&d.path().join("empty")).unwrap_err().to_string().contains("is empty"));
    }
}
