//! The practice's token sets, sealed under the practice key (`vault::SealedVault` seals and opens
//! them; the database sees only ciphertext): keeping one, ending a refresh with it in one
//! transaction, and taking in a login from a machine's own profile.

use super::{PostgresStore, Sql};
use crate::model::{EventKind, Login, LoginId, Organisation};
use crate::store::{Result, ms};
use chrono::{DateTime, Utc};

/// How ending a refresh went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    Kept,
    /// Nothing written: the practice key is no longer the one the set was sealed under.
    KeyRotated,
    /// Nothing written: the refresh's lock session is gone (ended by the server, or the link).
    LockLost,
}

impl PostgresStore {
    /// A login's sealed token set and the id of the key that sealed it.
    pub fn sealed_tokens(&self, login: &LoginId) -> Result<Option<(String, Vec<u8>)>> {
        self.with_client(|c| {
            c.query_opt(
                "SELECT key_id, sealed FROM sealed_tokens WHERE login_id = $1",
                &[&login.as_str()],
            )?
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .transpose()
        })
    }

    /// Keeps a login's sealed token set; false (nothing written) if `key_id` is no longer the
    /// practice's key.
    pub fn keep_sealed_tokens(
        &self,
        login: &LoginId,
        key_id: &str,
        sealed: &[u8],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.with_client(|c| {
            let mut tx = c.transaction()?;
            let kept = put(&mut tx, login, key_id, sealed, now)?;
            tx.commit()?;
            Ok(kept)
        })
    }

    pub fn forget_sealed_tokens(&self, login: &LoginId) -> Result<()> {
        self.with_client(|c| {
            c.execute(
                "DELETE FROM sealed_tokens WHERE login_id = $1",
                &[&login.as_str()],
            )?;
            Ok(())
        })
    }

    /// Ends a refresh in one transaction: the new sealed token set, the login's refresh times,
    /// the `refreshed` event, and the journal entry's removal. Committed together, a crash or a
    /// dropped link leaves either the old set and the intent (recovered within Xero's grace) or
    /// all of the new. Committed on the connection holding the login's lock (`lock`), after
    /// checking in the same transaction that it holds this login's lock: a machine whose lock
    /// was lost (its session ended by the server) must not write, since another may be
    /// refreshing the login now, and while the session lives its lock cannot be lost.
    #[allow(clippy::too_many_arguments)]
    pub fn finish_refresh_sealed(
        &self,
        lock: &super::LockSession,
        key_id: &str,
        sealed: &[u8],
        expires_at: DateTime<Utc>,
        refresh_issued_at: DateTime<Utc>,
        at: DateTime<Utc>,
        detail: &str,
    ) -> Result<Finish> {
        let by = self.acting_as();
        let login = &lock.login;
        if lock.released.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(Finish::LockLost);
        }
        let mut held = lock
            .client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(client) = held.as_mut() else {
            return Ok(Finish::LockLost);
        };
        let event = (|| -> Sql<std::result::Result<_, Finish>> {
            let mut tx = client.transaction()?;
            let holds: bool = tx
                .query_one(super::lock::HOLDS_LOCK, &[&login.as_str()])?
                .try_get(0)?;
            if !holds {
                return Ok(Err(Finish::LockLost));
            }
            if !put(&mut tx, login, key_id, sealed, at)? {
                return Ok(Err(Finish::KeyRotated));
            }
            super::logins::record_refresh(&mut tx, login, expires_at, refresh_issued_at, at)?;
            let event = super::events::write(
                &mut tx,
                at,
                Some(login),
                EventKind::Refreshed,
                None,
                detail,
                by,
            )?;
            super::journal::end_refresh(&mut tx, login)?;
            tx.commit()?;
            Ok(Ok(event))
        })();
        let event = match event {
            Ok(Ok(event)) => event,
            Ok(Err(refused)) => return Ok(refused),
            // A broken connection leaves the commit's outcome unknown: all of it or none, which
            // the refresh protocol recovers from either way (the intent stays until it knows).
            Err(fault) => return Err(self.fault(fault)),
        };
        drop(held);
        if let Some(tap) = self.tap.get() {
            tap(event, None); // a refresh names no organisation
        }
        Ok(Finish::Kept)
    }

    /// Takes a login from a machine's own profile into the practice in one transaction: its row,
    /// its organisations (as they were, disconnected ones too), its sealed token set and an event.
    /// False, with nothing written, if the practice already has the login (another machine
    /// connected it) or `key_id` is no longer the practice's key.
    pub fn adopt_login(
        &self,
        login: &Login,
        organisations: &[Organisation],
        key_id: &str,
        sealed: &[u8],
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let by = self.acting_as();
        self.with_client(|c| {
            let mut tx = c.transaction()?;
            let known = tx
                .query_opt(
                    "SELECT 1 FROM logins WHERE id = $1 FOR UPDATE",
                    &[&login.id.as_str()],
                )?
                .is_some();
            if known {
                return Ok(false);
            }
            super::logins::upsert(&mut tx, login)?;
            for org in organisations {
                super::organisations::insert_as_it_was(&mut tx, &login.id, org)?;
            }
            // Under a key that is no longer the practice's, nothing: returning drops the
            // transaction, which rolls back the rows above.
            if !put(&mut tx, &login.id, key_id, sealed, now)? {
                return Ok(false);
            }
            super::events::write(
                &mut tx,
                now,
                Some(&login.id),
                EventKind::Connected,
                None,
                detail,
                by,
            )?;
            tx.commit()?;
            Ok(true)
        })
    }
}

/// Writes `login`'s sealed set, only under the practice's current key: a machine still holding a
/// rotated-out key must not write a set nobody else can open. False when nothing was written.
/// Reads the practice's row `FOR SHARE`, so a key rotation in progress (which holds it `FOR
/// UPDATE` until it commits) is waited for and its new key seen: a set written meanwhile under
/// the old key would be missed by the rotation's re-sealing and open for nobody afterwards.
/// Call it inside a transaction; the share lock lasts until its commit.
fn put(
    tx: &mut postgres::Transaction<'_>,
    login: &LoginId,
    key_id: &str,
    sealed: &[u8],
    at: DateTime<Utc>,
) -> Sql<bool> {
    let current: Option<String> = tx
        .query_opt("SELECT key_id FROM practice FOR SHARE", &[])?
        .map(|r| r.try_get(0))
        .transpose()?;
    if current.as_deref() != Some(key_id) {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO sealed_tokens (login_id, key_id, sealed, sealed_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (login_id) DO UPDATE SET key_id = $2, sealed = $3, sealed_at = $4",
        &[&login.as_str(), &key_id, &sealed, &ms(at)],
    )?;
    Ok(true)
}
