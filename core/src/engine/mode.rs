//! The engine's mode: a profile of one machine, or a member of a practice. Everything that
//! differs between them is here, and each mode holds only what it has, so an impossible pair (a
//! practice refresh without a practice lock, a local profile with a change feed) cannot be made.
//!
//! Where a login's single-flight lock lives beyond this process: an OS file lock in the data
//! directory (one machine), or a PostgreSQL advisory lock on a connection of its own (a
//! practice: every machine of it). Both are released by their owner's death (the kernel, or the
//! server closing the session), so neither can be left stale. Inside a process the per-login
//! flight mutex still queues callers first. A practice's held lock also carries how to end the
//! refresh under it: in one transaction on the lock's own connection.

use super::PracticeSeat;
use super::db::blocking;
use crate::error::EngineError;
use crate::lock::{LOCK_WAIT, LockError, LoginLock};
use crate::model::LoginId;
use crate::model::practice::Member;
use crate::store::StoreError;
use crate::store::postgres::{ChangeFeed, PostgresStore, PracticeLock};
use crate::token::TokenSet;
use crate::vault::{SealedVault, VaultError};
use std::path::PathBuf;
use std::sync::Arc;

pub(super) enum Mode {
    /// One machine: the store is a SQLite file, the vault the keychain or the file vault.
    Local {
        /// Where the per-login lock files are.
        lock_dir: PathBuf,
    },
    /// A member of a practice: store, token sets and locks all in its PostgreSQL database.
    Practice(Box<Practice>),
}

pub(super) struct Practice {
    pub(super) store: Arc<PostgresStore>,
    pub(super) sealed: Arc<SealedVault>,
    pub(super) seat: PracticeSeat,
}

impl Practice {
    pub(super) fn new(
        store: Arc<PostgresStore>,
        sealed: Arc<SealedVault>,
        seat: PracticeSeat,
    ) -> Self {
        Self {
            store,
            sealed,
            seat,
        }
    }
}

/// A held lock; dropping it lets the next holder in.
pub(super) enum Held {
    File(#[allow(dead_code)] LoginLock),
    Practice {
        lock: Box<PracticeLock>,
        sealed: Arc<SealedVault>,
    },
}

impl Held {
    /// Whether the refresh's end is one transaction in the practice's database.
    pub(super) fn in_practice(&self) -> bool {
        matches!(self, Self::Practice { .. })
    }

    /// In a practice, ends a refresh in one transaction on the lock's own connection (the new
    /// token set, the login's refresh times, the event, the journal). None locally, where the
    /// keychain and SQLite are two systems and the protocol orders the writes instead.
    pub(super) async fn keep_at_once(
        &self,
        tokens: &TokenSet,
        at: chrono::DateTime<chrono::Utc>,
        detail: &str,
    ) -> Option<Result<(), VaultError>> {
        let Self::Practice { lock, sealed, .. } = self else {
            return None;
        };
        let (session, sealed) = (lock.session(), sealed.clone());
        let (tokens, detail) = (tokens.clone(), detail.to_owned());
        Some(blocking(move || sealed.keep_refreshed(&session, &tokens, at, &detail)).await)
    }
}

impl Mode {
    /// Practice mode's database and who this machine acts as; None for a local profile.
    pub(super) fn seat(&self) -> Option<&PracticeSeat> {
        match self {
            Self::Local { .. } => None,
            Self::Practice(p) => Some(&p.seat),
        }
    }

    /// Everyone who has joined the practice; empty for a local profile.
    pub(super) async fn members(&self) -> Result<Vec<Member>, EngineError> {
        match self {
            Self::Local { .. } => Ok(Vec::new()),
            Self::Practice(p) => {
                let store = p.store.clone();
                Ok(blocking(move || store.members()).await?)
            }
        }
    }

    /// The practice's shared call budget, on a connection of its own, holding slots as this
    /// process; None locally, where one gateway holds every budget of the profile.
    pub(super) fn shared_rates(&self) -> Option<crate::rates::SharedRates> {
        let Self::Practice(p) = self else {
            return None;
        };
        let mut tag = [0u8; 4];
        getrandom::fill(&mut tag).expect("random bytes");
        let holder = format!(
            "{}/{}/{:08x}",
            p.seat.identity.machine,
            std::process::id(),
            u32::from_le_bytes(tag)
        );
        Some(crate::rates::SharedRates::new(p.store.rate_book(holder)))
    }

    /// The practice database's notifications of every machine's commits; None locally.
    pub(super) fn change_feed(&self) -> Option<ChangeFeed> {
        match self {
            Self::Local { .. } => None,
            Self::Practice(p) => Some(p.store.listen()),
        }
    }

    /// Waits (off the async workers) until this process holds `login`'s lock, for at most
    /// [`LOCK_WAIT`]. In a practice an unreachable database is an error: no token request is
    /// sent without the lock.
    pub(super) async fn acquire(&self, login: &LoginId) -> Result<Held, EngineError> {
        match self {
            Self::Local { lock_dir } => Ok(Held::File(LoginLock::acquire(lock_dir, login).await?)),
            Self::Practice(p) => {
                let (store, login) = (p.store.clone(), login.clone());
                match blocking(move || store.lock_login(&login, LOCK_WAIT)).await {
                    Ok(lock) => Ok(Held::Practice {
                        lock: Box::new(lock),
                        sealed: p.sealed.clone(),
                    }),
                    Err(StoreError::Busy) => Err(LockError::TimedOut(LOCK_WAIT.as_secs()).into()),
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
    fn a_process_holds_all_its_logins_locks_on_one_connection() {
        // The sync PostgreSQL client runs its own runtime: set up outside the test's.
        let scratch = Scratch::new("lock_connections");
        let store = Arc::new(PostgresStore::connect(scratch.url()).unwrap());
        let key = crate::seal::PracticeKey::generate();
        let seat = PracticeSeat {
            server: store.server().to_owned(),
            identity: crate::model::practice::Identity {
                person: "p".into(),
                machine: "m".into(),
            },
            key_id: key.id(),
        };
        let sealed = Arc::new(SealedVault::new(store.clone(), key));
        let locks = Mode::Practice(Box::new(Practice::new(store, sealed, seat)));
        let other = PostgresStore::connect(scratch.url()).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let login = |i: usize| LoginId::new(format!("login-{i}")).unwrap();
        let held: Vec<Held> = runtime.block_on(async {
            let mut held = Vec::new();
            for i in 0..20 {
                held.push(locks.acquire(&login(i)).await.unwrap());
            }
            held
        });
        let pids: std::collections::HashSet<i32> = held
            .iter()
            .map(|h| match h {
                Held::Practice { lock, .. } => lock.session().backend_pid(),
                Held::File(_) => unreachable!("a practice"),
            })
            .collect();
        assert_eq!(
            pids.len(),
            1,
            "twenty logins' locks on one server connection, not twenty (a practice of busy machines would run the server out of connections)"
        );
        assert!(
            matches!(
                other.lock_login(&login(3), std::time::Duration::from_millis(100)),
                Err(StoreError::Busy)
            ),
            "and each is held against every other process"
        );
        drop(held);
        assert!(
            other
                .lock_login(&login(3), std::time::Duration::from_secs(5))
                .is_ok(),
            "until given up"
        );
        drop(locks);
        drop(runtime);
    }
}
