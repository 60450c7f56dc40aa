//! The practice's own tables (the practice and its key, members, join codes): reached only in
//! practice mode, so they sit on [`PostgresStore`] itself rather than on the `Store` interface.
//! The sealed token sets are `sealed.rs`'s.

use super::{Fault, PostgresStore, Sql};
use crate::model::LoginId;
use crate::model::practice::{CodeTaken, Member, PracticeRow};
use crate::store::{Result, from_ms, ms};
use chrono::{DateTime, Utc};

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
            // Every login's lock first, then the practice's row: a refresh holding a login's
            // lock reads the row (FOR SHARE) before it commits, so taking the row first would
            // wait for that refresh while it waits for the row.
            tx.execute(super::lock::LOCK_ALL_IN_TRANSACTION, &[])?;
            // From here until the commit, a token set kept under the old key waits for this
            // transaction and is then refused (`sealed::put`), so none is left under it.
            let current: Option<String> = tx
                .query_opt("SELECT key_id FROM practice FOR UPDATE", &[])?
                .map(|r| r.try_get(0))
                .transpose()?;
            if current.as_deref() != Some(old_key_id) {
                return Ok(None);
            }
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

    /// Records a join code valid for `lifetime` from the database server's clock (every
    /// machine's clock may be wrong, the server's is the one they share), sweeping codes that
    /// have expired. Returns when it expires, by that clock.
    pub fn add_join_code(
        &self,
        code_hash: &str,
        wrapped: &[u8],
        key_id: &str,
        created_by: &str,
        lifetime: chrono::Duration,
    ) -> Result<DateTime<Utc>> {
        self.with_client(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                &format!("DELETE FROM join_codes WHERE expires_at <= {SERVER_NOW_MS}"),
                &[],
            )?;
            let expires_at: i64 = tx
                .query_one(
                    &format!(
                        "INSERT INTO join_codes (code_hash, wrapped_key, key_id, created_by, created_at, expires_at)
                         SELECT $1, $2, $3, $4, n, n + $5 FROM (SELECT {SERVER_NOW_MS} AS n) AS server
                         RETURNING expires_at"
                    ),
                    &[&code_hash, &wrapped, &key_id, &created_by, &lifetime.num_milliseconds()],
                )?
                .try_get(0)?;
            tx.commit()?;
            Ok(from_ms(expires_at))
        })
    }

    /// Takes a join code once: valid and unused, it is marked used by `by` in the same
    /// transaction, so two machines typing the same code cannot both join with it. Whether it
    /// has expired is the database server's judgement, not the joining machine's clock's; an
    /// expired code is deleted.
    pub fn take_join_code(&self, code_hash: &str, by: &str) -> Result<CodeTaken> {
        self.with_client(|c| {
            let mut tx = c.transaction()?;
            let Some(row) = tx.query_opt(
                &format!(
                    "SELECT wrapped_key, key_id, expires_at <= {SERVER_NOW_MS}, used_by FROM join_codes WHERE code_hash = $1 FOR UPDATE"
                ),
                &[&code_hash],
            )?
            else {
                return Ok(CodeTaken::Unknown);
            };
            if let Some(by) = row.try_get::<_, Option<String>>(3)? {
                return Ok(CodeTaken::Used { by });
            }
            if row.try_get::<_, bool>(2)? {
                tx.execute(
                    &format!("DELETE FROM join_codes WHERE expires_at <= {SERVER_NOW_MS}"),
                    &[],
                )?;
                tx.commit()?;
                return Ok(CodeTaken::Expired);
            }
            tx.execute(
                &format!(
                    "UPDATE join_codes SET used_at = {SERVER_NOW_MS}, used_by = $2 WHERE code_hash = $1"
                ),
                &[&code_hash, &by],
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
}

/// The database server's time in milliseconds since the epoch, as the tables keep times.
const SERVER_NOW_MS: &str = "(extract(epoch from now()) * 1000)::bigint";

/// "Last seen" is kept to the minute: every `tenantry token` opens the practice, and rewriting
/// the member's row each time would be a write per process for nothing.
const SEEN_GRAIN_MS: i64 = 60_000;

pub(super) fn upsert_member(
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
