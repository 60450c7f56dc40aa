//! The OS keychain adapter (keyring-core): the Secret Service on Linux, the Keychain on macOS,
//! the Credential Manager on Windows. One entry per login, under a configurable service name so
//! tests and dev builds never touch the user's real entries.
//!
//! Windows limits a credential to 2,560 bytes (1,280 UTF-16 characters), and a Xero token set
//! (two JWTs and a refresh token) is larger. So a record longer than the store's limit is split:
//! the chunks are written under `LOGIN.GEN.I` first, then the head entry `LOGIN` is replaced with
//! `chunked:v1:GEN:N`, then the previous generation's chunks are deleted. The head write is the
//! commit point, so a crash mid-write leaves either the old token set or the new one readable,
//! never a mix. On Linux and macOS the limit is effectively unlimited and the head holds the record.

use super::{TokenVault, VaultError, record};
use crate::model::LoginId;
use crate::token::TokenSet;
use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

const CHUNK_PREFIX: &str = "chunked:v1:";
/// How long what `load` saw of a head is trusted by `store`: longer than a refresh takes from
/// load to store with the default 30 s timeout, short enough that a long-lived process does not
/// act on what another process has since replaced. A slower store reads the head again.
const LOADED_HEAD_TRUSTED: Duration = Duration::from_secs(60);

pub struct KeychainVault {
    /// Connected on first use, and dropped when the keychain goes away, so a long-running app
    /// reconnects once its daemon is back, and commands that need no token run without one.
    store: Mutex<Option<Arc<CredentialStore>>>,
    /// Whether `store` may be (re)connected to the platform's keychain.
    platform: bool,
    service: String,
    /// Longest secret one entry may hold, in characters.
    max_entry_len: usize,
    /// Per login, the chunks its head named when `load` last read it, taken by the next `store`
    /// so it need not read the head again to find what to delete. A refresh loads and stores
    /// under the login's lock, which every process takes, so nothing writes in between. A store
    /// with no recent load before it reads the head as ever; a stale guess could only leave old
    /// chunks behind, never lose the new set, since the head write is the commit point. (With
    /// 1,000 entries in gnome-keyring that read is about 2 ms of the daemon's one thread per
    /// refresh: see docs/BENCHMARKS.md.)
    loaded: Mutex<HashMap<String, (Instant, Vec<String>)>>,
}

impl KeychainVault {
    /// The platform's keychain under `service`.
    /// Connects lazily: a keychain that is locked or not running is reported by the first call
    /// that needs it, not here.
    pub fn platform(service: &str) -> Self {
        Self {
            store: Mutex::new(None),
            platform: true,
            service: service.to_owned(),
            max_entry_len: PLATFORM_MAX_ENTRY_LEN,
            loaded: Mutex::default(),
        }
    }

    /// The platform's keychain with a smaller entry limit: tests use it to exercise the chunked
    /// layout (which Windows needs) against a real Secret Service.
    pub fn platform_with_limit(service: &str, max_entry_len: usize) -> Self {
        Self {
            max_entry_len: max_entry_len.max(64),
            ..Self::platform(service)
        }
    }

    /// Any keyring-core store; `max_entry_len` lets tests force the chunked layout.
    pub fn with_store(store: Arc<CredentialStore>, service: &str, max_entry_len: usize) -> Self {
        Self {
            store: Mutex::new(Some(store)),
            platform: false,
            service: service.to_owned(),
            max_entry_len: max_entry_len.max(64),
            loaded: Mutex::default(),
        }
    }

    fn connection(&self) -> Result<Arc<CredentialStore>, VaultError> {
        let mut slot = self.store.lock().expect("keychain store lock");
        if let Some(store) = &*slot {
            return Ok(store.clone());
        }
        if !self.platform {
            return Err(VaultError::Unavailable("the store was dropped".into()));
        }
        let store = platform_store()?;
        *slot = Some(store.clone());
        Ok(store)
    }

    /// Maps a keyring error; when the keychain has gone away, forgets the connection so the next
    /// call makes a new one (the daemon may come back under the same name).
    fn fail(&self, e: KeyringError) -> VaultError {
        let e = map_error(e);
        if self.platform && matches!(e, VaultError::Unavailable(_)) {
            *self.store.lock().expect("keychain store lock") = None;
        }
        e
    }

    fn entry(&self, user: &str) -> Result<Entry, VaultError> {
        Entry::new_in_store(&self.connection()?, &self.service, user).map_err(|e| self.fail(e))
    }

    fn read(&self, user: &str) -> Result<Option<Zeroizing<String>>, VaultError> {
        match self.entry(user)?.get_password() {
            Ok(text) => Ok(Some(Zeroizing::new(text))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn write(&self, user: &str, text: &str) -> Result<(), VaultError> {
        self.entry(user)?
            .set_password(text)
            .map_err(|e| self.fail(e))
    }

    fn remove(&self, user: &str) -> Result<(), VaultError> {
        match self.entry(user)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn loaded_heads(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Vec<String>)>> {
        self.loaded.lock().expect("keychain head cache lock")
    }

    fn chunk_names(login: &LoginId, head: &str) -> Option<Vec<String>> {
        let rest = head.strip_prefix(CHUNK_PREFIX)?;
        let (generation, count) = rest.split_once(':')?;
        let count: usize = count.parse().ok().filter(|n| (1..=64).contains(n))?;
        Some(
            (0..count)
                .map(|i| format!("{login}.{generation}.{i}"))
                .collect(),
        )
    }
}

impl TokenVault for KeychainVault {
    fn load(&self, login: &LoginId) -> Result<Option<TokenSet>, VaultError> {
        self.loaded_heads().remove(login.as_str());
        let Some(head) = self.read(login.as_str())? else {
            return Ok(None);
        };
        if !head.starts_with(CHUNK_PREFIX) {
            let tokens = record::decode(&head)?;
            self.loaded_heads()
                .insert(login.to_string(), (Instant::now(), Vec::new()));
            return Ok(Some(tokens));
        }
        let names = Self::chunk_names(login, &head)
            .ok_or_else(|| VaultError::Corrupt("bad chunk header".into()))?;
        let mut text = Zeroizing::new(String::new());
        for name in &names {
            let chunk = self
                .read(name)?
                .ok_or_else(|| VaultError::Corrupt("a chunk is missing".into()))?;
            text.push_str(&chunk);
        }
        let tokens = record::decode(&text)?;
        self.loaded_heads()
            .insert(login.to_string(), (Instant::now(), names));
        Ok(Some(tokens))
    }

    fn store(&self, login: &LoginId, tokens: &TokenSet) -> Result<(), VaultError> {
        let text = record::encode(tokens);
        let loaded = self.loaded_heads().remove(login.as_str());
        let previous = match loaded {
            Some((at, names)) if at.elapsed() < LOADED_HEAD_TRUSTED => Some(names),
            _ => self
                .read(login.as_str())?
                .and_then(|head| Self::chunk_names(login, &head)),
        };
        if text.len() <= self.max_entry_len {
            self.write(login.as_str(), &text)?;
        } else {
            let generation = new_generation();
            // The record is ASCII JSON, so byte chunks are character chunks.
            let chunks: Vec<&str> = text
                .as_bytes()
                .chunks(self.max_entry_len)
                .map(|c| std::str::from_utf8(c).expect("token records are ASCII"))
                .collect();
            for (i, chunk) in chunks.iter().enumerate() {
                self.write(&format!("{login}.{generation}.{i}"), chunk)?;
            }
            self.write(
                login.as_str(),
                &format!("{CHUNK_PREFIX}{generation}:{}", chunks.len()),
            )?;
        }
        // Old chunks are garbage once the head points elsewhere; failing to delete them loses nothing.
        for name in previous.unwrap_or_default() {
            if let Err(e) = self.remove(&name) {
                tracing::warn!(error = %e, "could not delete an old keychain chunk");
            }
        }
        Ok(())
    }

    fn delete(&self, login: &LoginId) -> Result<(), VaultError> {
        self.loaded_heads().remove(login.as_str());
        let chunks = self
            .read(login.as_str())?
            .and_then(|head| Self::chunk_names(login, &head));
        self.remove(login.as_str())?;
        for name in chunks.unwrap_or_default() {
            self.remove(&name)?;
        }
        Ok(())
    }
}

fn new_generation() -> String {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).expect("the OS random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn map_error(e: KeyringError) -> VaultError {
    match e {
        KeyringError::NoStorageAccess(inner) => VaultError::Unavailable(inner.to_string()),
        KeyringError::NoDefaultStore => VaultError::Unavailable("no keychain store".into()),
        KeyringError::BadEncoding(_) | KeyringError::BadDataFormat(..) => {
            VaultError::Corrupt("not text".into())
        }
        KeyringError::PlatformFailure(inner) => {
            // zbus reports a missing session bus or daemon as a platform failure.
            let text = inner.to_string();
            if text.contains("NotFound")
                || text.contains("ServiceUnknown")
                || text.contains("Connection")
            {
                VaultError::Unavailable(text)
            } else {
                VaultError::Platform(text)
            }
        }
        other => VaultError::Platform(other.to_string()),
    }
}

#[cfg(target_os = "windows")]
const PLATFORM_MAX_ENTRY_LEN: usize = 1200; // 2,560 bytes of UTF-16, with headroom.
#[cfg(not(target_os = "windows"))]
const PLATFORM_MAX_ENTRY_LEN: usize = 64 * 1024;

/// A connection to the platform's keychain, as [`KeychainVault::platform`] makes on first use.
/// Public so benchmarks can time the keychain alone, with no Tenantry code in between.
#[cfg(target_os = "linux")]
pub fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    let store = zbus_secret_service_keyring_store::Store::new().map_err(map_error)?;
    Ok(store)
}

#[cfg(target_os = "macos")]
pub fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    let store = apple_native_keyring_store::keychain::Store::new().map_err(map_error)?;
    Ok(store)
}

#[cfg(target_os = "windows")]
pub fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    let store = windows_native_keyring_store::Store::new().map_err(map_error)?;
    Ok(store)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
pub fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    Err(VaultError::Unavailable(
        "no supported keychain on this platform".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(max: usize) -> KeychainVault {
        let store: Arc<CredentialStore> = keyring_core::mock::Store::new().unwrap();
        KeychainVault::with_store(store, "tenantry-unit", max)
    }

    #[test]
    fn small_limit_splits_and_reads_back() {
        let vault = vault(300);
        let login = LoginId::new("u-1").unwrap();
        assert_eq!(vault.load(&login).unwrap(), None, "missing entry is None");
        vault.store(&login, &record::sample("one")).unwrap();
        let head = vault.read("u-1").unwrap().unwrap();
        assert!(
            head.starts_with(CHUNK_PREFIX),
            "a record over the limit must be split, as on Windows"
        );
        assert_eq!(
            vault.load(&login).unwrap(),
            Some(record::sample("one")),
            "chunks reassemble exactly"
        );
        vault.store(&login, &record::sample("two")).unwrap();
        assert_eq!(
            vault.load(&login).unwrap(),
            Some(record::sample("two")),
            "a rewrite replaces the set"
        );
        let old = KeychainVault::chunk_names(&login, &head).unwrap();
        assert!(
            vault.read(&old[0]).unwrap().is_none(),
            "the previous generation's chunks are cleaned up"
        );
        vault.delete(&login).unwrap();
        vault.delete(&login).expect("delete is idempotent");
        assert_eq!(vault.load(&login).unwrap(), None);
        let new_head =
            KeychainVault::chunk_names(&login, &vault.read("u-1").unwrap().unwrap_or_default());
        assert!(new_head.is_none(), "nothing is left behind after delete");
    }

    #[test]
    fn a_store_relies_on_its_own_load_only_and_never_loses_the_new_set() {
        let store: Arc<CredentialStore> = keyring_core::mock::Store::new().unwrap();
        // Two processes' vaults over one keychain.
        let a = KeychainVault::with_store(store.clone(), "tenantry-unit", 300);
        let b = KeychainVault::with_store(store, "tenantry-unit", 300);
        let login = LoginId::new("u-4").unwrap();
        a.store(&login, &record::sample("one")).unwrap();
        let first = KeychainVault::chunk_names(&login, &a.read("u-4").unwrap().unwrap()).unwrap();
        b.store(&login, &record::sample("two")).unwrap();
        assert!(
            a.read(&first[0]).unwrap().is_none(),
            "a store with no load before it reads the head, so it finds and deletes the old chunks"
        );
        let second = KeychainVault::chunk_names(&login, &a.read("u-4").unwrap().unwrap()).unwrap();
        assert_eq!(a.load(&login).unwrap(), Some(record::sample("two")));
        a.store(&login, &record::sample("three")).unwrap();
        assert!(
            a.read(&second[0]).unwrap().is_none(),
            "after a load, the chunks it saw are the ones deleted"
        );
        // Outside any lock, b replaces the set between a's load and a's store.
        assert_eq!(a.load(&login).unwrap(), Some(record::sample("three")));
        b.store(&login, &record::sample("four")).unwrap();
        a.store(&login, &record::sample("five")).unwrap();
        assert_eq!(
            b.load(&login).unwrap(),
            Some(record::sample("five")),
            "the head is the commit point: a stale idea of the old chunks never loses the new set"
        );
    }

    #[test]
    fn a_crash_before_the_head_write_leaves_the_old_set_readable() {
        let vault = vault(300);
        let login = LoginId::new("u-2").unwrap();
        vault.store(&login, &record::sample("old")).unwrap();
        // Simulate a crash after new chunks were written but before the head moved.
        vault.write("u-2.deadbeef.0", "{\"partial\":").unwrap();
        assert_eq!(
            vault.load(&login).unwrap(),
            Some(record::sample("old")),
            "the head is the commit point"
        );
    }

    #[test]
    fn a_missing_chunk_is_reported_as_damage() {
        let vault = vault(300);
        let login = LoginId::new("u-3").unwrap();
        vault.store(&login, &record::sample("x")).unwrap();
        let head = vault.read("u-3").unwrap().unwrap();
        let names = KeychainVault::chunk_names(&login, &head).unwrap();
        vault.remove(&names[1]).unwrap();
        assert!(
            matches!(vault.load(&login), Err(VaultError::Corrupt(_))),
            "a torn entry must not parse as tokens"
        );
    }
}
