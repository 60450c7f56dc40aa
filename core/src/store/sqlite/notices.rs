//! The `notices` table: when each desktop notice (and the start-at-login offer) was last said, so
//! a restart does not repeat them.

use super::{Result, SqliteStore, from_ms, ms};
use chrono::{DateTime, Utc};
use rusqlite::params;
use std::collections::HashMap;

impl SqliteStore {
    /// When each notice was last said.
    pub(super) fn notices_said(&self) -> Result<HashMap<String, DateTime<Utc>>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached("SELECT key, said_at FROM notices")?;
            stmt.query_map([], |row| Ok((row.get(0)?, from_ms(row.get(1)?))))?
                .collect()
        })
    }

    pub(super) fn record_notice(&self, key: &str, at: DateTime<Utc>) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO notices (key, said_at) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET said_at = ?2",
                params![key, ms(at)],
            )?;
            Ok(())
        })
    }
}
