//! Single flight across machines: a per-login PostgreSQL advisory lock, session-level, on a
//! connection of its own held for the whole refresh. The server releases it when that connection
//! or its machine dies, so a crash can never leave a stale lock; a machine that lost its link is
//! dropped by the server's TCP keepalive and its lock released.

use super::{PostgresStore, connect};
use crate::model::LoginId;
use crate::store::Result;
use std::time::Duration;

/// Holds one login's lock until dropped. Dropping closes its connection, which releases it.
pub struct PracticeLock {
    client: Option<postgres::Client>,
    /// The server process of the lock's session: a commit that must happen under the lock
    /// checks this session still holds it (see `finish_refresh_sealed`).
    pid: i32,
}

/// The lock's 64-bit key, made by the server from the schema and the login id: advisory locks
/// share one key space per database, and two practices (schemas) on one database must not wait
/// for each other. md5 is only a spreader here, not a defence.
const LOCK: &str = "SELECT pg_backend_pid(), pg_advisory_lock(('x' || left(md5('tenantry login lock/' || current_schema() || '/' || $1), 16))::bit(64)::bigint)::text";

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
        let pid: i32 = client
            .query_one(LOCK, &[&login.as_str()])
            .map_err(|e| connect::store_error(e, &self.server))?
            .get(0);
        Ok(PracticeLock {
            client: Some(client),
            pid,
        })
    }
}

impl PracticeLock {
    /// The server process whose session holds the lock.
    pub fn session(&self) -> i32 {
        self.pid
    }

    /// Whether the server still has this lock's session (false once the connection broke: the
    /// lock is gone, and the holder must not write as if it still had it).
    pub fn held(&mut self) -> bool {
        self.client
            .as_mut()
            .is_some_and(|c| c.is_valid(Duration::from_secs(5)).is_ok())
    }
}

impl Drop for PracticeLock {
    fn drop(&mut self) {
        // The client's close blocks on its own runtime, which must not happen on an async
        // worker: close it on a thread of its own.
        if let Some(client) = self.client.take() {
            std::thread::spawn(move || drop(client));
        }
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
}
