//! The practice's own tables (practice, members, join codes, sealed token sets): reached only in
//! practice mode, so they sit on [`PostgresStore`] itself rather than on the `Store` interface.

use super::{Fault, PostgresStore, Sql};
use crate::model::LoginId;
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

    /// Replaces the practice's key (after every token set was re-sealed, in the same transaction).
    pub fn set_practice_key(&self, key_id: &str, key_check: &[u8]) -> Result<()> {
        self.with_client(|c| {
            c.execute(
                "UPDATE practice SET key_id = $1, key_check = $2",
                &[&key_id, &key_check],
            )?;
            Ok(())
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

    pub fn keep_sealed_tokens(
        &self,
        login: &LoginId,
        key_id: &str,
        sealed: &[u8],
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.with_client(|c| {
            c.execute(
                "INSERT INTO sealed_tokens (login_id, key_id, sealed, sealed_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (login_id) DO UPDATE SET key_id = $2, sealed = $3, sealed_at = $4",
                &[&login.as_str(), &key_id, &sealed, &ms(now)],
            )?;
            Ok(())
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

fn upsert_member(
    c: &mut impl postgres::GenericClient,
    machine: &str,
    person: &str,
    key_id: &str,
    now: DateTime<Utc>,
) -> Sql<()> {
    c.execute(
        "INSERT INTO members (machine, person, joined_at, last_seen_at, key_id) VALUES ($1, $2, $3, $3, $4)
         ON CONFLICT (machine, person) DO UPDATE SET last_seen_at = $3, key_id = $4",
        &[&machine, &person, &ms(now), &key_id],
    )
    .map_err(Fault::from)?;
    Ok(())
}
