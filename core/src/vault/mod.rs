//! The token vault port: where token sets live, one entry per login, and nowhere else.
//!
//! Adapters: [`KeychainVault`] (the OS keychain; the real thing), [`FileVault`] (opt-in, a
//! passphrase-encrypted folder), [`SealedVault`] (practice mode: sealed rows in the practice
//! database) and `MemoryVault` (an in-memory fake for tests, with fault injection: only with
//! the `test-support` feature, which no product build turns on).
//! Adapters MUST return `Ok(None)` for a missing entry, treat `delete` of a missing entry as
//! success, and map "keychain locked or unreachable" to [`VaultError::Unavailable`] so the caller
//! can tell the user to unlock it.

mod file;
mod keychain;
#[cfg(any(test, feature = "test-support"))]
mod memory;
pub mod named;
mod record;
mod sealed;

pub use file::{ENV_PASSPHRASE, FileVault, passphrase_from_env};
pub use keychain::{KeychainVault, platform_store};
#[cfg(any(test, feature = "test-support"))]
pub use memory::MemoryVault;
pub use sealed::SealedVault;

use crate::model::LoginId;
use crate::token::TokenSet;

/// Whether the vault answers at all (running, unlocked, reachable), by reading an entry no login
/// ever has: no login's entry is touched. Blocking, like every vault call.
pub fn probe(vault: &dyn TokenVault) -> Result<(), VaultError> {
    let nobody = LoginId::new("tenantry-probe").expect("a valid login id");
    vault.load(&nobody).map(|_| ())
}

pub trait TokenVault: Send + Sync + 'static {
    fn load(&self, login: &LoginId) -> Result<Option<TokenSet>, VaultError>;
    fn store(&self, login: &LoginId, tokens: &TokenSet) -> Result<(), VaultError>;
    fn delete(&self, login: &LoginId) -> Result<(), VaultError>;
}

/// Shaped by what the caller does next.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    /// The keychain is locked, or its daemon is not running: the user must unlock or start it.
    #[error(
        "the keychain is locked or not running ({0}); unlock it (log in to the desktop session or start gnome-keyring) and try again"
    )]
    Unavailable(String),
    /// An entry exists but cannot be read as a token set: reconnecting the login replaces it.
    #[error(
        "the keychain entry for this login is damaged ({0}); reconnect the login to replace it"
    )]
    Corrupt(String),
    /// Practice mode: the practice database, which holds the sealed token sets, did not answer.
    #[error("{0}")]
    DatabaseUnreachable(String),
    /// Practice mode: a token set is sealed under another practice key than this machine's (the
    /// key was rotated and this machine has not joined again). Nothing was changed.
    #[error(
        "this machine's practice key does not open the token set ({0}); nothing was changed. Join the practice again: `tenantry practice invite` on a member machine, then `tenantry practice join CODE` here"
    )]
    WrongPracticeKey(String),
    /// Anything else the platform reported; retrying may help.
    #[error("the keychain reported an error: {0}")]
    Platform(String),
    /// The file vault's passphrase is not the one it was made with. Nothing was changed.
    #[error(
        "the passphrase does not open the file vault ({0}); nothing was changed. Set TENANTRY_PASSPHRASE to the passphrase the vault was made with"
    )]
    WrongPassphrase(String),
    /// The file vault needs a passphrase and none was given.
    #[error(
        "the file vault needs its passphrase: set TENANTRY_PASSPHRASE, or run from a terminal to be asked for it"
    )]
    NoPassphrase,
    /// The file vault's key file cannot be read: no login's tokens can be, either.
    #[error(
        "the file vault's key file is damaged ({0}); restore it from a backup, or move the vault folder aside and reconnect every login"
    )]
    KeyFileDamaged(String),
}
