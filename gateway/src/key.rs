//! The gateway key: the bearer token local programs present instead of a Xero token. It lives
//! in the profile's vault (the OS keychain or the file vault) under an entry no login can have,
//! never in a file; `tenantry gateway --rotate-key` replaces it, and a gateway already running
//! goes on accepting only the key it started with until it is restarted.
//!
//! Kept as one of Tenantry's own vault entries ([`named`]).

use subtle::ConstantTimeEq;
use tenantry_core::secret::Secret;
use tenantry_core::vault::named::{self, SecretEntry};
use tenantry_core::vault::{TokenVault, VaultError};

/// The vault entry the key is kept under.
pub const ENTRY: &str = "tenantry-gateway-key";
/// Keys start with this, so a secret scanner (and a person) can tell one on sight.
pub const PREFIX: &str = "tgw_";

fn entry() -> SecretEntry {
    SecretEntry::new(ENTRY)
}

/// A new random key: 32 bytes from the OS, URL-safe base64.
pub fn generate() -> Secret {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source");
    Secret::new(format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// The profile's key, made and stored on first use. Blocking (a vault call).
pub fn load_or_create(vault: &dyn TokenVault) -> Result<Secret, VaultError> {
    match named::load(vault, &entry())? {
        Some(key) => Ok(key),
        None => rotate(vault),
    }
}

/// Replaces the key with a new one. Blocking.
pub fn rotate(vault: &dyn TokenVault) -> Result<Secret, VaultError> {
    let key = generate();
    named::store(vault, &entry(), &key)?;
    Ok(key)
}

/// Whether `presented` is the key, compared in constant time (a timing difference must not
/// tell a local attacker how much of a guess was right).
pub fn matches(key: &Secret, presented: &str) -> bool {
    bool::from(key.expose().as_bytes().ct_eq(presented.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenantry_core::vault::MemoryVault;

    #[test]
    fn the_key_is_made_once_kept_and_replaced_only_by_rotation() {
        let vault = MemoryVault::new();
        let first = load_or_create(&vault).unwrap();
        assert!(first.expose().starts_with(PREFIX) && first.expose().len() > 40);
        assert_eq!(
            load_or_create(&vault).unwrap(),
            first,
            "the same key on every start, so programs keep working"
        );
        let second = rotate(&vault).unwrap();
        assert_ne!(second, first, "rotation makes a new one");
        assert_eq!(load_or_create(&vault).unwrap(), second, "and keeps it");
    }

    #[test]
    fn only_the_whole_key_matches() {
        let key = Secret::new("tgw_abc");
        assert!(matches(&key, "tgw_abc"));
        for wrong in ["", "tgw_ab", "tgw_abcd", "TGW_ABC"] {
            assert!(!matches(&key, wrong), "{wrong:?}");
        }
    }
}
