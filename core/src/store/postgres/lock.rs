//! Single flight across machines: a per-login PostgreSQL advisory lock, session-level, held on
//! this process's one lock connection ([`Locks`]) for the whole refresh, however many logins it
//! is refreshing at once. The server releases a session's locks when that connection or its
//! machine dies, so a crash can never leave a stale lock; a machine that lost its link is dropped
//! by the server's TCP keepalive and its locks released.
//!
//! A lock is taken with `pg_try_advisory_lock`, asked again after 2 ms, doubling to 50 ms, until
//! the wait runs out: a blocking `pg_advisory_lock` would hold the shared connection while it
//! waits. Opening a connection (TCP, TLS, authentication) per refresh cost more than the
//! refresh's other round trips together; one per process costs it once.
//!
//! The refresh's end commits on that same connection ([`LockSession`], used by
//! `finish_refresh_sealed`), after checking in the same transaction that the session holds this
//! login's lock and that the lock was not given up: while the session lives the lock cannot be
//! lost, so the commit happens under it or not at all. If the connection breaks, every lock on
//! it is gone with it; the next lock opens a new one, on which no commit of an older lock passes
//! that check.

use super::{PostgresStore, connect};
use crate::model::LoginId;
use crate::store::{Result, StoreError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// This process's connection for its logins' locks, and which of them it holds.
pub(super) struct Locks {
    target: connect::Target,
    server: String,
    /// Shared with every [`LockSession`], for the commits under the locks.
    client: Arc<Mutex<Option<postgres::Client>>>,
    /// The logins locked on the current connection, each with its lock's number.
    held: Mutex<HashMap<LoginId, u64>>,
    next: AtomicU64,
}

/// Holds one login's lock until dropped, which gives it up.
pub struct PracticeLock {
    session: LockSession,
    locks: Arc<Locks>,
    number: u64,
}

/// The connection holding a login's lock, for the commit that must happen under it.
#[derive(Clone)]
pub struct LockSession {
    /// `None` while no connection is open (it broke, and no lock has been taken since).
    pub(super) client: Arc<Mutex<Option<postgres::Client>>>,
    pub(super) login: LoginId,
    /// Set when the lock is given up: nothing more commits under it.
    pub(super) released: Arc<AtomicBool>,
}

/// The lock's 64-bit key, made by the server from the schema and the login id ($1): advisory
/// locks share one key space per database, and two practices (schemas) on one database must not
/// wait for each other. md5 is only a spreader here, not a defence.
macro_rules! login_key {
    () => {
        "(('x' || left(md5('tenantry login lock/' || current_schema() || '/' || $1), 16))::bit(64)::bigint)"
    };
}

const TRY_LOCK: &str = concat!("SELECT pg_try_advisory_lock(", login_key!(), ")");
const UNLOCK: &str = concat!("SELECT pg_advisory_unlock(", login_key!(), ")");

/// Whether this session holds the lock of login $1: `pg_locks` shows a bigint advisory key as
/// its high and low 32 bits (`classid`, `objid`) with `objsubid` 1.
pub(super) const HOLDS_LOCK: &str = concat!(
    "SELECT EXISTS (SELECT 1 FROM pg_locks, (SELECT ",
    login_key!(),
    " AS k) AS wanted WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() AND objsubid = 1 AND classid = ((k >> 32) & 4294967295)::oid AND objid = (k & 4294967295)::oid)"
);

/// The same key, for a transaction that must hold every login's lock at once (a key rotation):
/// transaction-level and session-level advisory locks on one key exclude each other.
pub(super) const LOCK_ALL_IN_TRANSACTION: &str = "SELECT count(pg_advisory_xact_lock(('x' || left(md5('tenantry login lock/' || current_schema() || '/' || login_id), 16))::bit(64)::bigint)) FROM (SELECT login_id FROM sealed_tokens ORDER BY login_id) AS held";

/// How soon a lock another holder has is asked for again, at first and at most.
const ASK_AGAIN_FIRST: Duration = Duration::from_millis(2);
const ASK_AGAIN_MOST: Duration = Duration::from_millis(50);

impl Locks {
    pub(super) fn new(target: connect::Target, server: String) -> Self {
        Self {
            target,
            server,
            client: Arc::new(Mutex::new(None)),
            held: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<LoginId, u64>> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `login`'s lock if it is free now; `None` if another holder (another machine, process, or
    /// a refresh of this process) has it.
    fn try_lock(self: &Arc<Self>, login: &LoginId) -> Result<Option<PracticeLock>> {
        let mut client = self
            .client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if client.as_ref().is_none_or(postgres::Client::is_closed) {
            // Whatever was locked on a broken connection is gone with it.
            *client = Some(connect::open(&self.target, &self.server)?);
            self.held().clear();
        }
        if self.held().contains_key(login) {
            return Ok(None);
        }
        let c = client.as_mut().expect("connected above");
        let taken = c
            .query_one(TRY_LOCK, &[&login.as_str()])
            .and_then(|row| row.try_get::<_, bool>(0));
        let taken = match taken {
            Ok(taken) => taken,
            Err(e) => {
                if c.is_closed() {
                    *client = None;
                }
                return Err(connect::store_error(e, &self.server));
            }
        };
        if !taken {
            return Ok(None);
        }
        let number = self.next.fetch_add(1, Ordering::Relaxed);
        self.held().insert(login.clone(), number);
        Ok(Some(PracticeLock {
            session: LockSession {
                client: self.client.clone(),
                login: login.clone(),
                released: Arc::new(AtomicBool::new(false)),
            },
            locks: self.clone(),
            number,
        }))
    }

    /// Gives up lock `number` of `login`, if the connection it was taken on is still the one
    /// open (otherwise the server already has).
    fn unlock(&self, login: &LoginId, number: u64) {
        let mut client = self
            .client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.held().get(login) != Some(&number) {
            return;
        }
        self.held().remove(login);
        if let Some(c) = client.as_mut() {
            let unlocked = c.query_one(UNLOCK, &[&login.as_str()]);
            if unlocked.is_err() && c.is_closed() {
                *client = None;
            }
        }
    }
}

impl Drop for Locks {
    fn drop(&mut self) {
        // Closing blocks on the client's own runtime, which panics on an async worker.
        let client = self
            .client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(client) = client {
            std::thread::spawn(move || drop(client));
        }
    }
}

impl PostgresStore {
    /// Waits until this process holds `login`'s lock, or `wait` passes ([`StoreError::Busy`]).
    /// Call it on a blocking thread.
    pub fn lock_login(&self, login: &LoginId, wait: Duration) -> Result<PracticeLock> {
        let deadline = Instant::now() + wait;
        let mut pause = ASK_AGAIN_FIRST;
        loop {
            if let Some(lock) = self.locks.try_lock(login)? {
                return Ok(lock);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::Busy);
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(ASK_AGAIN_MOST);
        }
    }
}

impl PracticeLock {
    /// The session holding the lock, for the commit that must happen under it.
    pub fn session(&self) -> LockSession {
        self.session.clone()
    }
}

impl Drop for PracticeLock {
    fn drop(&mut self) {
        // Nothing more commits under it from now; the unlock is a round trip, which must not
        // happen on an async worker: on a thread of its own.
        self.session.released.store(true, Ordering::SeqCst);
        let (locks, login, number) = (self.locks.clone(), self.session.login.clone(), self.number);
        std::thread::spawn(move || locks.unlock(&login, number));
    }
}

impl LockSession {
    /// The login whose lock this is.
    pub fn login(&self) -> &LoginId {
        &self.login
    }

    /// The server process of the lock's session, for a test that looks it up in the server's
    /// views.
    #[cfg(test)]
    pub(crate) fn backend_pid(&self) -> i32 {
        let mut held = self.client.lock().unwrap();
        let client = held.as_mut().expect("the lock is held");
        client
            .query_one("SELECT pg_backend_pid()", &[])
            .unwrap()
            .get(0)
    }
}

impl std::fmt::Debug for LockSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LockSession({})", self.login)
    }
}

impl std::fmt::Debug for PracticeLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PracticeLock")
    }
}

#[cfg(test)]
mod tests {
    use super::super::Scratch;
    use super::*;
    use crate::store::StoreError;

    #[test]
    fn a_second_holder_waits_and_a_dead_holder_frees_the_lock() {
        let scratch = Scratch::new("advisory_lock");
        let store = scratch.store();
        let a = LoginId::new("a").unwrap();
        let first = store.lock_login(&a, Duration::from_secs(5)).unwrap();
        let other = PostgresStore::connect(scratch.url()).unwrap();
        assert!(
            matches!(
                other.lock_login(&a, Duration::from_millis(200)),
                Err(StoreError::Busy)
            ),
            "while one machine refreshes a login, another must wait for it"
        );
        assert!(
            other
                .lock_login(&LoginId::new("b").unwrap(), Duration::from_millis(200))
                .is_ok(),
            "another login's lock is free: logins never wait for each other"
        );
        drop(first);
        assert!(
            other.lock_login(&a, Duration::from_secs(5)).is_ok(),
            "a holder whose connection closed (a crash, a kill) leaves no lock behind"
        );
    }

    #[test]
    fn a_refresh_commits_only_on_a_session_holding_its_own_login_s_lock() {
        use super::super::{Finish, PracticeRow};
        use crate::store::Store;
        let scratch = Scratch::new("lock_own_key");
        let store = scratch.store();
        let now = chrono::Utc::now();
        let row = PracticeRow {
            id: "p".into(),
            key_id: "k".into(),
            key_check: vec![],
        };
        assert!(store.create_practice(&row, "m", "p", now).unwrap());
        let (a, b) = (LoginId::new("a").unwrap(), LoginId::new("b").unwrap());
        for id in ["a", "b"] {
            store
                .upsert_login(&crate::store::fixtures::login(id))
                .unwrap();
        }
        let finish = |lock: &LockSession| {
            store.finish_refresh_sealed(lock, "k", b"sealed", now, now, now, "refreshed")
        };

        // A session that holds an advisory lock, but another login's, ends a's refresh.
        let b_lock = store.lock_login(&b, Duration::from_secs(5)).unwrap();
        let borrowed = LockSession {
            login: a.clone(),
            ..b_lock.session()
        };
        assert_eq!(
            finish(&borrowed).unwrap(),
            Finish::LockLost,
            "holding some lock is not holding a's: another machine may be refreshing a"
        );
        assert_eq!(
            store.sealed_tokens(&a).unwrap(),
            None,
            "and nothing was written"
        );

        let a_lock = store.lock_login(&a, Duration::from_secs(5)).unwrap();
        assert_eq!(finish(&a_lock.session()).unwrap(), Finish::Kept);
        assert!(store.sealed_tokens(&a).unwrap().is_some());

        let ended = a_lock.session();
        drop(a_lock);
        assert_eq!(
            finish(&ended).unwrap(),
            Finish::LockLost,
            "a lock given up commits nothing more"
        );
    }
}
