//! Secrets of Tenantry's own (the gateway key, a practice key) kept in the profile's vault under
//! entries no login can have. The vault holds token sets, so a secret is kept as one (in its
//! access-token slot, with no meaning in the others): one storage path, already crash-safe and
//! chunked where Windows needs, and a keychain entry a person can find and delete by name.

use super::{TokenVault, VaultError};
use crate::model::LoginId;
use crate::secret::Secret;
use crate::token::TokenSet;
use chrono::Utc;

/// A vault entry for one of Tenantry's own secrets. Names start with `tenantry-`: not a Xero user
/// id (those are UUIDs), nor a Custom Connection's (`custom-…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEntry(LoginId);

impl SecretEntry {
    pub fn new(name: &str) -> Self {
        debug_assert!(name.starts_with("tenantry-"), "an entry no login can have");
        Self(LoginId::new(name).expect("entry names are printable ASCII"))
    }

    pub fn name(&self) -> &str {
        self.0.as_str()
    }
}

/// The secret under `entry`, if one was kept. Blocking (a vault call).
pub fn load(vault: &dyn TokenVault, entry: &SecretEntry) -> Result<Option<Secret>, VaultError> {
    Ok(vault.load(&entry.0)?.map(|set| set.access_token))
}

/// Keeps `secret` under `entry`, replacing what was there. Blocking.
pub fn store(
    vault: &dyn TokenVault,
    entry: &SecretEntry,
    secret: &Secret,
) -> Result<(), VaultError> {
    let now = Utc::now();
    let set = TokenSet {
        access_token: secret.clone(),
        refresh_token: secret.clone(),
        id_token: None,
        issued_at: now,
        expires_at: now,
        scopes: Vec::new(),
        refresh_issued_at: now,
    };
    vault.store(&entry.0, &set)
}

/// Removes the entry (nothing there is success). Blocking.
pub fn delete(vault: &dyn TokenVault, entry: &SecretEntry) -> Result<(), VaultError> {
    vault.delete(&entry.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::MemoryVault;

    #[test]
    fn a_secret_reads_back_and_is_gone_once_deleted() {
        let vault = MemoryVault::new();
        let entry = SecretEntry::new("tenantry-test-secret");
        assert_eq!(load(&vault, &entry).unwrap(), None, "nothing kept yet");
        store(&vault, &entry, &Secret::new("s3cret")).unwrap();
        assert_eq!(
            load(&vault, &entry).unwrap(),
            Some(Secret::new("s3cret")),
            "the secret comes back as kept"
        );
        delete(&vault, &entry).unwrap();
        assert_eq!(load(&vault, &entry).unwrap(), None, "deleted means gone");
        delete(&vault, &entry).expect("deleting what is not there is no error");
    }
}
