//! The engine's two blocking resources, the metadata store (SQLite, with a 10 s busy timeout) and
//! the token vault (the OS keychain, one round trip to its daemon per call), called on tokio's
//! blocking threads: a database another process holds, or a keychain slow to answer, must never
//! stall an async worker and with it every other login's requests.

use crate::model::LoginId;
use crate::store::postgres::LockSession;
use crate::store::{Store, StoreError};
use crate::token::TokenSet;
use crate::vault::{SealedVault, TokenVault, VaultError};
use std::sync::Arc;

/// Runs a blocking call off the async worker threads.
pub(super) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("blocking task does not panic")
}

pub(super) struct Db {
    store: Arc<dyn Store>,
    vault: Arc<dyn TokenVault>,
    /// Practice mode: the vault is the store's own database, so a refresh's end commits as one.
    sealed: Option<Arc<SealedVault>>,
}

impl Db {
    /// Starts the `on_event` hooks on this store's events.
    pub(super) fn hooks(
        &self,
        command: String,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> crate::hooks::Hooks {
        crate::hooks::Hooks::start(command, self.store.clone(), clock)
    }

    pub(super) fn new(
        store: Arc<dyn Store>,
        vault: Arc<dyn TokenVault>,
        sealed: Option<Arc<SealedVault>>,
    ) -> Self {
        Self {
            store,
            vault,
            sealed,
        }
    }

    /// Practice mode: ends a refresh in one transaction (the new token set, the login's refresh
    /// times, the event, the journal). None in local mode, where the keychain and SQLite are two
    /// systems and the protocol orders the writes instead.
    pub(super) async fn keep_refreshed_at_once(
        &self,
        lock_session: Option<&LockSession>,
        tokens: &TokenSet,
        at: chrono::DateTime<chrono::Utc>,
        detail: &str,
    ) -> Option<Result<(), VaultError>> {
        let sealed = self.sealed.clone()?;
        let session = lock_session
            .expect("a practice refresh holds a practice lock")
            .clone();
        let (tokens, detail) = (tokens.clone(), detail.to_owned());
        Some(blocking(move || sealed.keep_refreshed(&session, &tokens, at, &detail)).await)
    }

    /// Runs `f` against the store on a blocking thread. Several statements that belong together
    /// go in one call: one thread hop, and no other task's statement in between.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        blocking(move || f(store.as_ref())).await
    }

    pub(super) async fn load(&self, login: &LoginId) -> Result<Option<TokenSet>, VaultError> {
        let (vault, login) = (self.vault.clone(), login.clone());
        blocking(move || vault.load(&login)).await
    }

    pub(super) async fn keep(&self, login: &LoginId, tokens: &TokenSet) -> Result<(), VaultError> {
        let (vault, login, tokens) = (self.vault.clone(), login.clone(), tokens.clone());
        blocking(move || vault.store(&login, &tokens)).await
    }

    pub(super) async fn forget(&self, login: &LoginId) -> Result<(), VaultError> {
        let (vault, login) = (self.vault.clone(), login.clone());
        blocking(move || vault.delete(&login)).await
    }
}
