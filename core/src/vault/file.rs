//! The file vault: token sets in encrypted files, for machines with no keychain (a server, WSL,
//! an SSH session, a container). Opt-in (`vault = "file"`), never a fallback for a keychain that
//! is missing.
//!
//! In the profile's data directory, under `vault/`:
//! - `identity.age`: an age X25519 identity, encrypted with the user's passphrase (age's scrypt
//!   recipient, work factor 2^16);
//! - `LOGIN.age`: one login's token set, in the keychain's record format, encrypted to that
//!   identity.
//!
//! The passphrase is stretched once per process, to unlock the identity, not once per read or
//! write: keep-alive over 50 logins would otherwise pay 100 scrypts. Every write is atomic: a
//! private temporary file, fsynced, renamed over the old one, and the directory fsynced, so a
//! crash leaves the old file or the new one, never a mix — what the keychain guarantees for an
//! entry, which the refresh protocol's crash safety rests on.

use super::{TokenVault, VaultError, record};
use crate::model::LoginId;
use crate::secret::Secret;
use crate::token::TokenSet;
use age::secrecy::{ExposeSecret, SecretString};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

/// scrypt's work factor for the identity: 2^16 (64 MiB, about a fifth of a second here) is paid
/// once per process. age's own default aims at a second, which every `tenantry token` would pay.
const WORK_FACTOR: u8 = 16;
/// The largest work factor accepted when unlocking (a vault made on a faster machine, or by a
/// later release): beyond it, a damaged or hostile file could stall the process for minutes.
const MAX_WORK_FACTOR: u8 = 22;
/// The vault's key file, in its folder.
const KEY_FILE: &str = "identity.age";
pub const ENV_PASSPHRASE: &str = "TENANTRY_PASSPHRASE";

pub struct FileVault {
    dir: PathBuf,
    identity: age::x25519::Identity,
    recipient: age::x25519::Recipient,
}

impl FileVault {
    /// Opens the vault in `dir` with `passphrase`, creating it (and its identity) on first use.
    /// A wrong passphrase is [`VaultError::WrongPassphrase`] and changes nothing.
    pub fn open(dir: &Path, passphrase: &Secret) -> Result<Self, VaultError> {
        let io_err = |e: io::Error| VaultError::Platform(format!("{}: {e}", dir.display()));
        crate::private_files::create_dir(dir).map_err(io_err)?;
        let path = dir.join(KEY_FILE);
        let identity = match std::fs::read(&path) {
            Ok(bytes) => unlock(&bytes, passphrase, &path)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => create(dir, &path, passphrase)?,
            Err(e) => return Err(io_err(e)),
        };
        Ok(Self {
            dir: dir.to_owned(),
            recipient: identity.to_public(),
            identity,
        })
    }

    /// Whether a vault has been made in `dir` (its key file is there): a new one is given its
    /// passphrase twice.
    pub fn exists(dir: &Path) -> bool {
        dir.join(KEY_FILE).exists()
    }

    /// The directory this vault keeps its files in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, login: &LoginId) -> PathBuf {
        self.dir.join(file_name(login))
    }
}

/// The passphrase from the environment, if set (an empty value is not a passphrase).
pub fn passphrase_from_env() -> Option<Secret> {
    std::env::var(ENV_PASSPHRASE)
        .ok()
        .filter(|p| !p.is_empty())
        .map(Secret::new)
}

/// A login's file name: its id where that is a safe file name everywhere (Xero's ids are UUIDs),
/// else a hash of it, so no id can name a path outside the vault.
fn file_name(login: &LoginId) -> String {
    let id = login.as_str();
    if id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        format!("{id}.age")
    } else {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(id.as_bytes());
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        format!("h-{hex}.age")
    }
}

fn age_passphrase(passphrase: &Secret) -> SecretString {
    SecretString::from(passphrase.expose().to_owned())
}

fn unlock(
    bytes: &[u8],
    passphrase: &Secret,
    path: &Path,
) -> Result<age::x25519::Identity, VaultError> {
    let mut scrypt = age::scrypt::Identity::new(age_passphrase(passphrase));
    scrypt.set_max_work_factor(MAX_WORK_FACTOR);
    let plain = age::decrypt(&scrypt, bytes).map_err(|e| match e {
        age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => {
            VaultError::WrongPassphrase(path.display().to_string())
        }
        other => VaultError::KeyFileDamaged(format!("{}: {other}", path.display())),
    })?;
    let text = zeroize::Zeroizing::new(String::from_utf8(plain).map_err(|_| {
        VaultError::KeyFileDamaged(format!("{}: not an age identity", path.display()))
    })?);
    age::x25519::Identity::from_str(text.trim()).map_err(|e| {
        VaultError::KeyFileDamaged(format!("{}: not an age identity ({e})", path.display()))
    })
}

/// Makes the vault's identity. Two processes may start a new vault at once: each writes its own
/// candidate and links it into place without replacing anything, so exactly one wins, and the
/// other unlocks the winner's (a rename would let the loser's tokens go to a key nobody keeps).
fn create(
    dir: &Path,
    path: &Path,
    passphrase: &Secret,
) -> Result<age::x25519::Identity, VaultError> {
    let io_err = |e: io::Error| VaultError::Platform(format!("{}: {e}", path.display()));
    let identity = age::x25519::Identity::generate();
    let mut scrypt = age::scrypt::Recipient::new(age_passphrase(passphrase));
    scrypt.set_work_factor(WORK_FACTOR);
    let secret = identity.to_string();
    let sealed = age::encrypt(&scrypt, secret.expose_secret().as_bytes())
        .map_err(|e| VaultError::Platform(format!("encrypting the vault's key: {e}")))?;
    let candidate = write_temporary(dir, "identity", &sealed).map_err(io_err)?;
    let linked = std::fs::hard_link(&candidate, path);
    let _ = std::fs::remove_file(&candidate);
    match linked {
        Ok(()) => {
            sync_dir(dir).map_err(io_err)?;
            Ok(identity)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let bytes = std::fs::read(path).map_err(io_err)?;
            unlock(&bytes, passphrase, path)
        }
        Err(e) => Err(io_err(e)),
    }
}

/// Writes `bytes` to a new private file in `dir`, fsynced, and returns its path.
fn write_temporary(dir: &Path, stem: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!(".{stem}.{}.{n}.tmp", std::process::id()));
    let mut options = std::fs::File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    Ok(path)
}

/// Makes a rename or removal in `dir` durable. Windows cannot open a directory for this; there
/// `MoveFileEx`, which std's rename uses, writes through on NTFS.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

impl TokenVault for FileVault {
    fn load(&self, login: &LoginId) -> Result<Option<TokenSet>, VaultError> {
        let path = self.path(login);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(VaultError::Platform(format!("{}: {e}", path.display()))),
        };
        let plain = age::decrypt(&self.identity, &bytes)
            .map_err(|e| VaultError::Corrupt(format!("{}: {e}", path.display())))?;
        let text = zeroize::Zeroizing::new(
            String::from_utf8(plain)
                .map_err(|_| VaultError::Corrupt(format!("{}: not UTF-8", path.display())))?,
        );
        record::decode(&text).map(Some)
    }

    fn store(&self, login: &LoginId, tokens: &TokenSet) -> Result<(), VaultError> {
        let path = self.path(login);
        let io_err = |e: io::Error| VaultError::Platform(format!("{}: {e}", path.display()));
        let text = record::encode(tokens);
        let sealed = age::encrypt(&self.recipient, text.as_bytes())
            .map_err(|e| VaultError::Platform(format!("encrypting a token set: {e}")))?;
        let temporary = write_temporary(&self.dir, "login", &sealed).map_err(io_err)?;
        if let Err(e) = std::fs::rename(&temporary, &path) {
            let _ = std::fs::remove_file(&temporary);
            return Err(io_err(e));
        }
        sync_dir(&self.dir).map_err(io_err)
    }

    fn delete(&self, login: &LoginId) -> Result<(), VaultError> {
        let path = self.path(login);
        let io_err = |e: io::Error| VaultError::Platform(format!("{}: {e}", path.display()));
        match std::fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.dir).map_err(io_err),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(e)),
        }
    }
}

#[cfg(test)]
mod tests;
