//! The gateway key: the bearer token local programs present instead of a Xero token. It lives
//! in the profile's vault (the OS keychain or the file vault) under an entry no login can have,
//! never in a file; `tenantry gateway --rotate-key` replaces it, and a gateway already running
//! goes on accepting only the key it started with until it is restarted.
//!
//! Kept as one of Tenantry's own vault entries ([`named`]).
//!
//! Each running gateway also makes a key of its own ([`Keys`]), never stored, which its token
//! agent hands to this user's programs: `tenantry mcp` finds the running gateway through the
//! agent's socket (which proves whose it is) and uses that key, so the profile's key is never
//! presented to whatever listens on the gateway's port, and a key that reaches the wrong
//! listener dies with the run that made it.

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

/// Which key [`kept`] hands back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The profile's key, made on first use.
    Current,
    /// A new key, replacing it.
    New,
}

/// The profile's key, or a new one, off the async workers (a vault call blocks: a keychain
/// round trip, or the file vault's disk).
pub async fn kept(
    vault: std::sync::Arc<dyn TokenVault>,
    which: Keep,
) -> Result<Secret, VaultError> {
    tokio::task::spawn_blocking(move || match which {
        Keep::Current => load_or_create(vault.as_ref()),
        Keep::New => rotate(vault.as_ref()),
    })
    .await
    .expect("a vault call does not panic")
}

/// Replaces the key with a new one. Blocking.
pub fn rotate(vault: &dyn TokenVault) -> Result<Secret, VaultError> {
    let key = generate();
    named::store(vault, &entry(), &key)?;
    Ok(key)
}

/// What a running gateway accepts: the profile's key and the run's own.
pub struct Keys {
    profile: Secret,
    run: Secret,
}

impl Keys {
    pub fn new(profile: Secret, run: Secret) -> Self {
        Self { profile, run }
    }

    /// Whether `presented` is either key; both are always compared, in constant time.
    pub fn accept(&self, presented: &str) -> bool {
        let profile = matches(&self.profile, presented);
        let run = matches(&self.run, presented);
        profile | run
    }
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
    fn a_gateway_accepts_the_profile_s_key_and_its_own_run_key_only() {
        let keys = Keys::new(Secret::new("tgw_profile"), Secret::new("tgw_run"));
        assert!(keys.accept("tgw_profile") && keys.accept("tgw_run"));
        for wrong in ["", "tgw_", "tgw_other", "tgw_runx"] {
            assert!(!keys.accept(wrong), "{wrong:?}");
        }
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
