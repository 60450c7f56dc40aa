//! Secret strings (tokens, codes, verifiers): redacted in `Debug`, never serialisable, zeroised on drop.
//!
//! A token that reaches a log line, an error message, SQLite or the web UI is a leak. Making the type
//! refuse those paths at compile time is cheaper than reviewing every call site.

use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::Zeroizing;

/// A secret string. It has no `Serialize` impl, `Debug` prints `Secret(<redacted>)`, and the
/// memory is zeroised when it is dropped. Read it only where it must leave the process
/// (an HTTP body, the keychain) with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The secret's text. Call only to hand it to Xero, the keychain or the one caller who asked.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A short, non-reversible fingerprint for logs and the refresh journal: enough to tell two
    /// tokens apart, useless to an attacker.
    pub fn fingerprint(&self) -> String {
        fingerprint(self.expose())
    }
}

/// First 12 hex digits of SHA-256: a stable identifier that does not reveal the value.
pub fn fingerprint(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    hex(&digest[..6])
}

/// Bytes as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("eyJhbGciOi.very-secret");
        assert!(
            !format!("{s:?}").contains("very-secret"),
            "Debug output reaches logs and error messages, so it must not contain the secret"
        );
    }

    #[test]
    fn fingerprint_is_short_stable_and_distinct() {
        let a = Secret::new("a").fingerprint();
        assert_eq!(
            a.len(),
            12,
            "a fingerprint is 6 bytes of hex, short enough for a log line"
        );
        assert_eq!(
            a,
            Secret::new("a").fingerprint(),
            "same token, same fingerprint"
        );
        assert_ne!(
            a,
            Secret::new("b").fingerprint(),
            "different tokens must be told apart"
        );
    }
}
