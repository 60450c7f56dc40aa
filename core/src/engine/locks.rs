//! Where a login's single-flight lock lives beyond this process: an OS file lock in the data
//! directory (one machine), or a PostgreSQL advisory lock on a connection of its own (a
//! practice: every machine of it). Both are released by their owner's death (the kernel, or the
//! server closing the session), so neither can be left stale. Inside a process the per-login
//! flight mutex still queues callers first.

use super::db::blocking;
use crate::error::EngineError;
use crate::lock::{LOCK_WAIT, LockError, LoginLock};
use crate::model::LoginId;
use crate::store::StoreError;
use crate::store::postgres::{PostgresStore, PracticeLock};
use std::path::PathBuf;
use std::sync::Arc;

pub(super) enum Locks {
    Files(PathBuf),
    Practice(Arc<PostgresStore>),
}

/// A held lock; dropping it lets the next holder in.
#[derive(Debug)]
pub(super) enum Held {
    File(#[allow(dead_code)] LoginLock),
    Practice(Box<PracticeLock>),
}

impl Held {
    /// The server session holding a practice lock, which a commit under it checks.
    pub(super) fn practice_session(&self) -> Option<i32> {
        match self {
            Self::File(_) => None,
            Self::Practice(lock) => Some(lock.session()),
        }
    }
}

impl Locks {
    /// Waits (off the async workers) until this process holds `login`'s lock, for at most
    /// [`LOCK_WAIT`]. In a practice an unreachable database is an error: no token request is
    /// sent without the lock.
    pub(super) async fn acquire(&self, login: &LoginId) -> Result<Held, EngineError> {
        match self {
            Self::Files(dir) => Ok(Held::File(LoginLock::acquire(dir, login).await?)),
            Self::Practice(store) => {
                let (store, login) = (store.clone(), login.clone());
                match blocking(move || store.lock_login(&login, LOCK_WAIT)).await {
                    Ok(lock) => Ok(Held::Practice(Box::new(lock))),
                    Err(StoreError::Busy) => Err(LockError::TimedOut(LOCK_WAIT.as_secs()).into()),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }
}
