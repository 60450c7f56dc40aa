//! Single flight across machines: a per-login PostgreSQL advisory lock, session-level, on a
//! connection of its own held for the whole refresh. The server releases it when that connection
//! or its machine dies, so a crash can never leave a stale lock; a machine that lost its link is
//! dropped by the server's TCP keepalive and its lock released.
//!
//! The refresh's end commits on that same connection ([`LockSession`], used by
//! `finish_refresh_sealed`), after checking in the same transaction that the session holds this
//! login's lock: while the session lives the lock cannot be lost, so the commit happens under it
//! or not at all.

use super::{PostgresStore, connect};
use crate::model::LoginId;
use crate::store::Result;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Holds one login's lock until dropped. Dropping closes its connection, which releases it.
pub struct PracticeLock {
    session: LockSession,
}

/// The connection holding a login's lock, for the commit that must happen under it.
#[derive(Clone)]
pub struct LockSession {
    /// `None` once the lock was dropped (the connection is being closed).
    pub(super) client: Arc<Mutex<Option<postgres::Client>>>,
    pub(super) login: LoginId,
}

/// The lock's 64-bit key, made by the server from the schema and the login id ($1): advisory
/// locks share one key space per database, and two practices (schemas) on one database must not
/// wait for each other. md5 is only a spreader here, not a defence.
macro_rules! login_key {
    () => {
        "(('x' || left(md5('tenantry login lock/' || current_schema() || '/' || $1), 16))::bit(64)::bigint)"
    };
}

const LOCK: &str = concat!("SELECT pg_advisory_lock(", login_key!(), ")::text");

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

impl PostgresStore {
    /// Blocks until this connection holds `login`'s lock, or `wait` passes
    /// ([`StoreError::Busy`]). Call it on a blocking thread.
    pub fn lock_login(&self, login: &LoginId, wait: Duration) -> Result<PracticeLock> {
        let mut client = connect::open(&self.target, &self.server)?;
        // lock_timeout bounds the wait for an advisory lock; the setting is this session's only.
        let ms = wait.as_millis().min(i32::MAX as u128);
        client
            .batch_execute(&format!("SET lock_timeout = {ms}"))
            .map_err(|e| connect::store_error(e, &self.server))?;
        client
            .execute(LOCK, &[&login.as_str()])
            .map_err(|e| connect::store_error(e, &self.server))?;
        Ok(PracticeLock {
            session: LockSession {
                client: Arc::new(Mutex::new(Some(client))),
                login: login.clone(),
            },
        })
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
        // The client's close blocks on its own runtime, which must not happen on an async
        // worker: close it on a thread of its own.
        let taken = self
            .session
            .client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(client) = taken {
            std::thread::spawn(move || drop(client));
        }
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
            client: b_lock.session().client,
            login: a.clone(),
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
