//! The practice's own tables (practice, members, join codes, sealed token sets): reached only in
//! practice mode, so they sit on [`PostgresStore`] itself rather than on the `Store` interface.

use super::{Fault, PostgresStore, Sql};
use crate::model::{EventKind, Login, LoginId, Organisation};
use crate::store::{Result, from_ms, ms};
use chrono::{DateTime, Utc};

/// The practice as the database records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeRow {
    pub id: String,
    /// Which practice key seals its token sets.
    pub key_id: String,
    /// A known value sealed under that key: a machine's key is the practice's if it opens this.
    pub key_check: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub machine: String,
    pub person: String,
    pub joined_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The key it joined with: an old one after a rotation, until it joins again.
    pub key_id: String,
}

/// How ending a refresh went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    Kept,
    /// Nothing written: the practice key is no longer the one the set was sealed under.
    KeyRotated,
    /// Nothing written: the refresh's lock session is gone (ended by the server, or the link).
    LockLost,
}

/// What taking a join code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeTaken {
    /// Valid: the practice key wrapped under the code, now marked used.
    Wrapped {
        wrapped: Vec<u8>,
        key_id: String,
    },
    Unknown,
    Used {
        by: String,
    },
    Expired,
}

/// Opens a login's sealed token set under the old key and seals it under the new one; None when
/// it does not open.
pub type Reseal<'a> = dyn Fn(&LoginId, &[u8]) -> Option<Vec<u8>> + 'a;

impl PostgresStore {
    pub fn practice(&self) -> Result<Option<PracticeRow>> {
        self.with_client(|c| {
            c.query_opt("SELECT id, key_id, key_check FROM practice", &[])?
                .map(|r| {
                    Ok(PracticeRow {
                        id: r.try_get(0)?,
                        key_id: r.try_get(1)?,
                        key_check: r.try_get(2)?,
                    })
                })
                .transpose()
        })
    }

    /// Records the practice and its first member; false (and nothing written) if one exists.
    pub fn create_practice(
        &self,
        row: &PracticeRow,
        machine: &str,
        person: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.with_client(|c| {
            let mut tx = c.transaction()?;
            let made = tx.execute(
                "INSERT INTO practice (id, key_id, key_check, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&row.id, &row.key_id, &row.key_check, &ms(now)],
            )? == 1;
            if made {
                upsert_member(&mut tx, machine, person, &row.key_id, now)?;
                tx.commit()?;
            }
            Ok(made)
        })
    }

    /// Re-seals every token set under a new practice key in one transaction that holds every
    /// login's lock (so no refresh runs meanwhile, on any machine) and changes the practice's key
    /// only if it is still `old_key_id`. Unused join codes die with the old key; `machine` (the
    /// one rotating) is recorded as holding the new key. Returns how many token sets were
    /// re-sealed, or None if the practice's key was not `old_key_id` (nothing changed).
    /// `reseal` returns None for a row it cannot open: then nothing is changed either.
    #[allow(clippy::too_many_arguments)]
    pub fn reseal_all(
        &self,
        old_key_id: &str,
        new_key_id: &str,
        new_key_check: &[u8],
        wait: std::time::Duration,
        reseal: &Reseal<'_>,
        by: (&str, &str),
        now: DateTime<Utc>,
    ) -> Result<Option<std::result::Result<usize, LoginId>>> {
        self.with_client(|c| {
            let mut tx = c.transaction()?;
            let ms_wait = wait.as_millis().min(i32::MAX as u128);
            tx.batch_execute(&format!("SET LOCAL lock_timeout = {ms_wait}"))?;
            let current: Option<String> = tx
                .query_opt("SELECT key_id FROM practice FOR UPDATE", &[])?
                .map(|r| r.try_get(0))
                .transpose()?;
            if current.as_deref() != Some(old_key_id) {
                return Ok(None);
            }
            tx.execute(super::lock::LOCK_ALL_IN_TRANSACTION, &[])?;
            let rows = tx.query("SELECT login_id, sealed FROM sealed_tokens FOR UPDATE", &[])?;
            let mut count = 0;
            for row in &rows {
                let login = super::login_id(row.try_get(0)?)?;
                let Some(sealed) = reseal(&login, row.try_get(1)?) else {
                    return Ok(Some(Err(login))); // dropped: rolls back
                };
                tx.execute(
                    "UPDATE sealed_tokens SET key_id = $2, sealed = $3, sealed_at = $4 WHERE login_id = $1",
                    &[&login.as_str(), &new_key_id, &sealed, &ms(now)],
                )?;
                count += 1;
            }
            tx.execute(
                "UPDATE practice SET key_id = $1, key_check = $2",
                &[&new_key_id, &new_key_check],
            )?;
            tx.execute("DELETE FROM join_codes WHERE used_at IS NULL", &[])?;
            upsert_member(&mut tx, by.1, by.0, new_key_id, now)?;
            tx.commit()?;
            Ok(Some(Ok(count)))
        })
    }

    pub fn add_join_code(
        &self,
        code_hash: &str,
        wrapped: &[u8],
        key_id: &str,
        created_by: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.with_client(|c| {
            c.execute(
                "INSERT INTO join_codes (code_hash, wrapped_key, key_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&code_hash, &wrapped, &key_id, &created_by, &ms(now), &ms(expires_at)],
            )?;
            Ok(())
        })
    }

    /// Takes a join code once: valid and unused, it is marked used by `by` in the same
    /// transaction, so two machines typing the same code cannot both join with it.
    pub fn take_join_code(
        &self,
        code_hash: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<CodeTaken> {
        self.with_client(|c| {
            let mut tx = c.transaction()?;
            let Some(row) = tx.query_opt(
                "SELECT wrapped_key, key_id, expires_at, used_by FROM join_codes WHERE code_hash = $1 FOR UPDATE",
                &[&code_hash],
            )?
            else {
                return Ok(CodeTaken::Unknown);
            };
            if let Some(by) = row.try_get::<_, Option<String>>(3)? {
                return Ok(CodeTaken::Used { by });
            }
            if from_ms(row.try_get(2)?) <= now {
                return Ok(CodeTaken::Expired);
            }
            tx.execute(
                "UPDATE join_codes SET used_at = $2, used_by = $3 WHERE code_hash = $1",
                &[&code_hash, &ms(now), &by],
            )?;
            tx.commit()?;
            Ok(CodeTaken::Wrapped {
                wrapped: row.try_get(0)?,
                key_id: row.try_get(1)?,
            })
        })
    }

    /// Notes that `person` on `machine` uses the practice (joined, or started again).
    pub fn saw_member(
        &self,
        machine: &str,
        person: &str,
        key_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.with_client(|c| upsert_member(c, machine, person, key_id, now))
    }

    pub fn members(&self) -> Result<Vec<Member>> {
        self.with_client(|c| {
            c.query(
                "SELECT machine, person, joined_at, last_seen_at, key_id FROM members ORDER BY lower(person), lower(machine)",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(Member {
                    machine: r.try_get(0)?,
                    person: r.try_get(1)?,
                    joined_at: from_ms(r.try_get(2)?),
                    last_seen_at: from_ms(r.try_get(3)?),
                    key_id: r.try_get(4)?,
                })
            })
            .collect()
        })
    }

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
            // Only under the practice's current key: a machine still holding a rotated-out key
            // must not write a token set nobody else can open.
            Ok(c.execute(
                "INSERT INTO sealed_tokens (login_id, key_id, sealed, sealed_at)
                 SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM practice WHERE key_id = $2)
                 ON CONFLICT (login_id) DO UPDATE SET key_id = $2, sealed = $3, sealed_at = $4",
                &[&login.as_str(), &key_id, &sealed, &ms(now)],
            )? == 1)
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
}

impl PostgresStore {
    /// Ends a refresh in one transaction: the new sealed token set, the login's refresh times,
    /// the `refreshed` event, and the journal entry's removal. Committed together, a crash or a
    /// dropped link leaves either the old set and the intent (recovered within Xero's grace) or
    /// all of the new. Written only while the lock session `lock_session` (a server pid) still
    /// holds its lock: a machine whose lock was lost (its session ended by the server) must not
    /// write, since another may be refreshing the login now.
    #[allow(clippy::too_many_arguments)]
    pub fn finish_refresh_sealed(
        &self,
        lock_session: i32,
        login: &LoginId,
        key_id: &str,
        sealed: &[u8],
        expires_at: DateTime<Utc>,
        refresh_issued_at: DateTime<Utc>,
        at: DateTime<Utc>,
        detail: &str,
    ) -> Result<Finish> {
        let by = self
            .actor
            .get()
            .map(|a| (a.person.as_str(), a.machine.as_str()));
        let event = self.with_client(|c| {
            let mut tx = c.transaction()?;
            let held: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = $1 AND granted)",
                    &[&lock_session],
                )?
                .try_get(0)?;
            if !held {
                return Ok(Err(Finish::LockLost));
            }
            let kept = tx.execute(
                "INSERT INTO sealed_tokens (login_id, key_id, sealed, sealed_at)
                 SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM practice WHERE key_id = $2)
                 ON CONFLICT (login_id) DO UPDATE SET key_id = $2, sealed = $3, sealed_at = $4",
                &[&login.as_str(), &key_id, &sealed, &ms(at)],
            )? == 1;
            if !kept {
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
            super::small::end_refresh(&mut tx, login)?;
            tx.commit()?;
            Ok(Ok(event))
        })?;
        let event = match event {
            Ok(event) => event,
            Err(refused) => return Ok(refused),
        };
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
        let by = self
            .actor
            .get()
            .map(|a| (a.person.as_str(), a.machine.as_str()));
        self.with_client(|c| {
            let mut tx = c.transaction()?;
            let current = tx
                .query_opt("SELECT key_id FROM practice FOR SHARE", &[])?
                .map(|r| r.try_get::<_, String>(0))
                .transpose()?;
            let known = tx
                .query_opt("SELECT 1 FROM logins WHERE id = $1 FOR UPDATE", &[&login.id.as_str()])?
                .is_some();
            if known || current.as_deref() != Some(key_id) {
                return Ok(false);
            }
            super::logins::upsert(&mut tx, login)?;
            for org in organisations {
                tx.execute(
                    "INSERT INTO organisations (login_id, connection_id, tenant_id, name, tenant_type, auth_event_id, created_at, updated_at, last_seen_at, disconnected_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (login_id, tenant_id) DO NOTHING",
                    &[
                        &login.id.as_str(),
                        &org.connection_id,
                        &org.tenant_id,
                        &org.name,
                        &org.tenant_type,
                        &org.auth_event_id,
                        &ms(org.created_at),
                        &ms(org.updated_at),
                        &ms(org.last_seen_at),
                        &org.disconnected_at.map(ms),
                    ],
                )?;
            }
            tx.execute(
                "INSERT INTO sealed_tokens (login_id, key_id, sealed, sealed_at) VALUES ($1, $2, $3, $4)",
                &[&login.id.as_str(), &key_id, &sealed, &ms(now)],
            )?;
            super::events::write(&mut tx, now, Some(&login.id), EventKind::Connected, None, detail, by)?;
            tx.commit()?;
            Ok(true)
        })
    }
}

/// "Last seen" is kept to the minute: every `tenantry token` opens the practice, and rewriting
/// the member's row each time would be a write per process for nothing.
const SEEN_GRAIN_MS: i64 = 60_000;

fn upsert_member(
    c: &mut impl postgres::GenericClient,
    machine: &str,
    person: &str,
    key_id: &str,
    now: DateTime<Utc>,
) -> Sql<()> {
    c.execute(
        "INSERT INTO members (machine, person, joined_at, last_seen_at, key_id) VALUES ($1, $2, $3, $3, $4)
         ON CONFLICT (machine, person) DO UPDATE SET last_seen_at = $3, key_id = $4
         WHERE members.key_id <> $4 OR members.last_seen_at < $3 - $5",
        &[&machine, &person, &ms(now), &key_id, &SEEN_GRAIN_MS],
    )
    .map_err(Fault::from)?;
    Ok(())
}
