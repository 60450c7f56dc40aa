//! An in-memory vault for unit tests: stores the same encoded records the keychain would, and can
//! be told to fail like a locked keychain.

use super::{TokenVault, VaultError, record};
use crate::model::LoginId;
use crate::token::TokenSet;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use zeroize::Zeroizing;

#[derive(Default)]
pub struct MemoryVault {
    entries: Mutex<HashMap<LoginId, Zeroizing<String>>>,
    locked: AtomicBool,
    read_only: AtomicBool,
    loads: AtomicUsize,
}

impl MemoryVault {
    pub fn new() -> Self {
        Self::default()
    }

    /// While locked, every call fails as a locked keychain does.
    pub fn set_locked(&self, locked: bool) {
        self.locked.store(locked, Ordering::SeqCst);
    }

    /// While read-only, reads work and writes fail as a keychain locked mid-run does.
    pub fn set_read_only(&self, read_only: bool) {
        self.read_only.store(read_only, Ordering::SeqCst);
    }

    /// How many `load` calls reached the vault (tests check the hot path does not).
    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }

    /// The stored record exactly as written, for tests that compare entries byte for byte.
    pub fn raw(&self, login: &LoginId) -> Option<String> {
        self.entries
            .lock()
            .expect("memory vault lock")
            .get(login)
            .map(|text| text.to_string())
    }

    fn check(&self) -> Result<(), VaultError> {
        if self.locked.load(Ordering::SeqCst) {
            Err(VaultError::Unavailable(
                "memory vault locked by the test".into(),
            ))
        } else {
            Ok(())
        }
    }
}

impl TokenVault for MemoryVault {
    fn load(&self, login: &LoginId) -> Result<Option<TokenSet>, VaultError> {
        self.check()?;
        self.loads.fetch_add(1, Ordering::SeqCst);
        let entries = self.entries.lock().expect("memory vault lock");
        entries
            .get(login)
            .map(|text| record::decode(text))
            .transpose()
    }

    fn store(&self, login: &LoginId, tokens: &TokenSet) -> Result<(), VaultError> {
        self.check()?;
        if self.read_only.load(Ordering::SeqCst) {
            return Err(VaultError::Unavailable(
                "memory vault made read-only by the test".into(),
            ));
        }
        self.entries
            .lock()
            .expect("memory vault lock")
            .insert(login.clone(), record::encode(tokens));
        Ok(())
    }

    fn delete(&self, login: &LoginId) -> Result<(), VaultError> {
        self.check()?;
        self.entries
            .lock()
            .expect("memory vault lock")
            .remove(login);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_port_contract() {
        let vault = MemoryVault::new();
        let login = LoginId::new("u1").unwrap();
        assert_eq!(
            vault.load(&login).unwrap(),
            None,
            "a missing entry is None, not an error"
        );
        vault.store(&login, &record::sample("1")).unwrap();
        assert_eq!(vault.load(&login).unwrap(), Some(record::sample("1")));
        vault.delete(&login).unwrap();
        vault.delete(&login).expect("delete is idempotent");
        vault.set_locked(true);
        assert!(
            matches!(vault.load(&login), Err(VaultError::Unavailable(_))),
            "locked means Unavailable"
        );
    }
}
