//! The practice-mode vault: each login's token set sealed under the practice key and kept in the
//! practice database, so every member machine reads the same, newest set and the database (and
//! whoever administers it) sees only ciphertext. The seal is bound to the login id: a row copied
//! onto another login does not open.

use super::{TokenVault, VaultError, record};
use crate::model::LoginId;
use crate::seal::PracticeKey;
use crate::store::StoreError;
use crate::store::postgres::{Finish, LockSession, PostgresStore};
use crate::token::TokenSet;
use std::sync::Arc;

pub struct SealedVault {
    store: Arc<PostgresStore>,
    key: PracticeKey,
}

impl SealedVault {
    pub fn new(store: Arc<PostgresStore>, key: PracticeKey) -> Self {
        Self { store, key }
    }

    /// Ends a refresh: `tokens` kept together with the login's refresh times, the `refreshed`
    /// event and the journal entry's removal, in one transaction.
    pub fn keep_refreshed(
        &self,
        lock: &LockSession,
        tokens: &TokenSet,
        at: chrono::DateTime<chrono::Utc>,
        detail: &str,
    ) -> Result<(), VaultError> {
        let login = &lock.login().clone();
        let kept = self
            .store
            .finish_refresh_sealed(
                lock,
                &self.key.id(),
                &self.seal(login, tokens),
                tokens.expires_at,
                tokens.refresh_issued_at,
                at,
                detail,
            )
            .map_err(vault_error)?;
        match kept {
            Finish::Kept => Ok(()),
            Finish::KeyRotated => Err(self.rotated(login)),
            Finish::LockLost => Err(VaultError::DatabaseUnreachable(format!(
                "the practice database ended the session holding {login}'s lock before the new tokens were kept; nothing was written, and the next attempt finishes the refresh"
            ))),
        }
    }

    fn rotated(&self, login: &LoginId) -> VaultError {
        VaultError::WrongPracticeKey(format!(
            "the practice key was rotated; this machine still holds {}, so {login}'s tokens were not written",
            self.key.id()
        ))
    }

    /// `tokens` sealed for `login` under this vault's key, as `store` keeps them.
    pub fn seal(&self, login: &LoginId, tokens: &TokenSet) -> Vec<u8> {
        let plain = record::encode(tokens);
        self.key.seal(plain.as_bytes(), login.as_str().as_bytes())
    }
}

/// The database's failures in the vault's terms: unreachable stays unreachable, so the caller
/// says "the practice database", not "the keychain".
fn vault_error(e: StoreError) -> VaultError {
    match e {
        StoreError::Unreachable { .. } => VaultError::DatabaseUnreachable(e.to_string()),
        other => VaultError::Platform(other.to_string()),
    }
}

impl TokenVault for SealedVault {
    fn load(&self, login: &LoginId) -> Result<Option<TokenSet>, VaultError> {
        let Some((key_id, sealed)) = self.store.sealed_tokens(login).map_err(vault_error)? else {
            return Ok(None);
        };
        if key_id != self.key.id() {
            return Err(VaultError::WrongPracticeKey(format!(
                "{login}'s tokens are sealed under practice key {key_id}, this machine holds {}",
                self.key.id()
            )));
        }
        let plain = self
            .key
            .open(&sealed, login.as_str().as_bytes())
            .map_err(|e| VaultError::Corrupt(format!("{login}'s sealed token set: {e}")))?;
        let text = std::str::from_utf8(&plain)
            .map_err(|_| VaultError::Corrupt(format!("{login}'s sealed token set is not text")))?;
        record::decode(text).map(Some)
    }

    fn store(&self, login: &LoginId, tokens: &TokenSet) -> Result<(), VaultError> {
        let sealed = self.seal(login, tokens);
        let kept = self
            .store
            .keep_sealed_tokens(login, &self.key.id(), &sealed, chrono::Utc::now())
            .map_err(vault_error)?;
        if kept {
            Ok(())
        } else {
            Err(self.rotated(login))
        }
    }

    fn delete(&self, login: &LoginId) -> Result<(), VaultError> {
        self.store.forget_sealed_tokens(login).map_err(vault_error)
    }
}
