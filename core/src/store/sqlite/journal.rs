//! The `refresh_journal` table: one intent per login whose refresh was started and is not known
//! to have finished. The crash-safety of the refresh protocol rests on it (docs/ARCHITECTURE.md).

use super::{Result, SqliteStore, from_ms, login_id, ms};
use crate::model::LoginId;
use crate::store::RefreshIntent;
use rusqlite::{OptionalExtension, Row, params};

fn from_row(row: &Row<'_>) -> rusqlite::Result<RefreshIntent> {
    Ok(RefreshIntent {
        login_id: login_id(row.get(0)?)?,
        started_at: from_ms(row.get(1)?),
        refresh_token_fingerprint: row.get(2)?,
        pid: row.get(3)?,
    })
}

impl SqliteStore {
    pub(super) fn begin_refresh(&self, intent: &RefreshIntent) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO refresh_journal (login_id, started_at, refresh_token_hash, pid) VALUES (?1, ?2, ?3, ?4)",
                params![intent.login_id.as_str(), ms(intent.started_at), intent.refresh_token_fingerprint, intent.pid],
            )?;
            Ok(())
        })
    }

    pub(super) fn refresh_intent(&self, login: &LoginId) -> Result<Option<RefreshIntent>> {
        self.with(|c| {
            c.query_row(
                "SELECT login_id, started_at, refresh_token_hash, pid FROM refresh_journal WHERE login_id = ?1",
                [login.as_str()],
                from_row,
            )
            .optional()
        })
    }

    pub(super) fn refresh_intents(&self) -> Result<Vec<RefreshIntent>> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT login_id, started_at, refresh_token_hash, pid FROM refresh_journal ORDER BY started_at",
            )?;
            stmt.query_map([], from_row)?.collect()
        })
    }

    pub(super) fn end_refresh(&self, login: &LoginId) -> Result<()> {
        self.with(|c| {
            c.execute(
                "DELETE FROM refresh_journal WHERE login_id = ?1",
                [login.as_str()],
            )?;
            Ok(())
        })
    }
}
