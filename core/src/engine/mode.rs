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
use crate::store::postgres::{LockSession, PostgresStore, PracticeLock};
use std::path::PathBuf;
use std::sync::Arc;

pub(super) enum Locks {
    Files(PathBuf),
    Practice {
        store: Arc<PostgresStore>,
        /// One permit per lock connection this process may hold at once.
        connections: Arc<tokio::sync::Semaphore>,
    },
}

/// How many practice locks (each a server connection) one process holds at once; more refreshes
/// wait here for a turn. Every waiting caller would otherwise hold a connection of its own while
/// it waits, and a practice of several machines, each with processes refreshing many logins at
/// the same instant, runs the server out of connections ("too many clients"). Keep-alive asks for
/// this many refreshes at a time, so it never waits here.
pub(super) const LOCK_CONNECTIONS: usize = super::KEEPALIVE_CONCURRENCY;

/// A held lock; dropping it lets the next holder in.
#[derive(Debug)]
pub(super) enum Held {
    File(#[allow(dead_code)] LoginLock),
    Practice(
        Box<PracticeLock>,
        #[allow(dead_code)] tokio::sync::OwnedSemaphorePermit,
    ),
}

impl Held {
    /// The session holding a practice lock, on which a commit under it is made.
    pub(super) fn practice_session(&self) -> Option<LockSession> {
        match self {
            Self::File(_) => None,
            Self::Practice(lock, _) => Some(lock.session()),
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
            Self::Practice { store, connections } => {
                let timed_out = || LockError::TimedOut(LOCK_WAIT.as_secs()).into();
                let started = std::time::Instant::now();
                let turn = tokio::time::timeout(LOCK_WAIT, connections.clone().acquire_owned());
                let Ok(Ok(permit)) = turn.await else {
                    return Err(timed_out());
                };
                let (store, login) = (store.clone(), login.clone());
                let wait = LOCK_WAIT.saturating_sub(started.elapsed());
                match blocking(move || store.lock_login(&login, wait)).await {
                    Ok(lock) => Ok(Held::Practice(Box::new(lock), permit)),
                    Err(StoreError::Busy) => Err(timed_out()),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::postgres::Scratch;

    #[test]
    fn a_process_holds_at_most_its_share_of_lock_connections() {
        // The sync PostgreSQL client runs its own runtime: set up outside the test's.
        let scratch = Scratch::new("lock_connections");
        let store = Arc::new(PostgresStore::connect(scratch.url()).unwrap());
        let locks = Locks::Practice {
            store,
            connections: Arc::new(tokio::sync::Semaphore::new(LOCK_CONNECTIONS)),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(take_one_more_than_the_share(&locks));
    }

    async fn take_one_more_than_the_share(locks: &Locks) {
        let login = |i: usize| LoginId::new(format!("login-{i}")).unwrap();
        let mut held = Vec::new();
        for i in 0..LOCK_CONNECTIONS {
            held.push(locks.acquire(&login(i)).await.unwrap());
        }
        let last = login(LOCK_CONNECTIONS);
        let one_more = locks.acquire(&last);
        tokio::pin!(one_more);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(500), &mut one_more)
                .await
                .is_err(),
            "another login's refresh waits for a turn, rather than opening one more connection"
        );
        drop(held.pop());
        let taken = tokio::time::timeout(std::time::Duration::from_secs(10), one_more).await;
        assert!(
            matches!(taken, Ok(Ok(_))),
            "and takes its lock as soon as a connection is given back"
        );
    }
}
