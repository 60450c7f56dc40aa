//! The cross-process refresh lock: one OS file lock per login in the data directory.
//!
//! The kernel releases a file lock when its process dies, so a crash can never leave a stale
//! "refresh running" flag behind. Within a process, the engine's per-login async mutex makes
//! callers queue before they get here, so this lock only arbitrates between processes.

use crate::model::LoginId;
use crate::secret::fingerprint;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long to wait for another process's refresh before giving up. A refresh is one HTTP call
/// with a 30 s timeout, so this is generous.
pub const LOCK_WAIT: Duration = Duration::from_secs(90);

#[derive(Debug)]
pub struct LoginLock {
    _file: File,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LockError {
    #[error("cannot create the lock file {path}: {reason}; check the data directory is writable")]
    Io { path: String, reason: String },
    #[error("another Tenantry process has been refreshing this login for over {0} s; try again")]
    TimedOut(u64),
}

impl LoginLock {
    pub fn path(dir: &Path, login: &LoginId) -> PathBuf {
        // Hashing keeps any user id (even another provider's `sub`) a safe file name.
        dir.join(format!("{}.lock", fingerprint(login.as_str())))
    }

    /// Blocks until this process holds the login's lock.
    pub fn acquire_blocking(dir: &Path, login: &LoginId) -> Result<Self, LockError> {
        let path = Self::path(dir, login);
        let io = |e: std::io::Error| LockError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        // Private like the rest of the data directory: other users have no business knowing
        // which logins exist, nor holding their locks.
        crate::private_files::create_dir(dir).map_err(io)?;
        let file = crate::private_files::open_file(&path).map_err(io)?;
        file.lock().map_err(io)?;
        Ok(Self { _file: file })
    }

    /// Waits on a blocking thread, so the async runtime keeps serving other logins meanwhile.
    pub async fn acquire(dir: &Path, login: &LoginId) -> Result<Self, LockError> {
        let (dir, login) = (dir.to_owned(), login.clone());
        let waiting = tokio::task::spawn_blocking(move || Self::acquire_blocking(&dir, &login));
        match tokio::time::timeout(LOCK_WAIT, waiting).await {
            Ok(joined) => joined.expect("the lock thread does not panic"),
            // The blocking thread keeps waiting; when it gets the lock it drops it at once.
            Err(_) => Err(LockError::TimedOut(LOCK_WAIT.as_secs())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let login = LoginId::new("u1").unwrap();
        let first = LoginLock::acquire_blocking(dir.path(), &login).unwrap();
        let path = LoginLock::path(dir.path(), &login);
        let other = File::options().write(true).open(&path).unwrap();
        assert!(
            matches!(other.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
            "while one holder has the lock, another open file description must not get it"
        );
        drop(first);
        assert!(
            other.try_lock().is_ok(),
            "dropping the holder releases the lock"
        );
    }
}
