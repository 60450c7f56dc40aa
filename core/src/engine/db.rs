//! The engine's two blocking resources, the metadata store (SQLite, with a 10 s busy timeout) and
//! the token vault (the OS keychain, one round trip to its daemon per call), called on tokio's
//! blocking threads: a database another process holds, or a keychain slow to answer, must never
//! stall an async worker and with it every other login's requests.

use crate::model::LoginId;
use crate::store::{Store, StoreError};
use crate::token::TokenSet;
use crate::vault::{TokenVault, VaultError};
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

    pub(super) fn new(store: Arc<dyn Store>, vault: Arc<dyn TokenVault>) -> Self {
        Self { store, vault }
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
