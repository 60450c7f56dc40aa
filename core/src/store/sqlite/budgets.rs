//! The `api_budgets` table: what Xero last said was left of each organisation's 5,000 calls a
//! day (`X-DayLimit-Remaining`, read by the gateway from every answer), and when it said so.

use super::{Result, SqliteStore, from_ms, ms};
use chrono::{DateTime, Utc};
use rusqlite::params;
use std::collections::HashMap;

impl SqliteStore {
    /// Notes the calls left today for a tenant (lower case) as Xero said them at `at`.
    pub(super) fn record_calls_left(
        &self,
        tenant_id: &str,
        day_left: u32,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO api_budgets (tenant_id, day_left, seen_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(tenant_id) DO UPDATE SET day_left = ?2, seen_at = ?3",
                params![tenant_id.to_lowercase(), day_left, ms(at)],
            )?;
            Ok(())
        })
    }

    /// Each tenant's calls left and when Xero said so.
    pub(super) fn calls_left(&self) -> Result<HashMap<String, (u32, DateTime<Utc>)>> {
        self.with(|c| {
            let mut stmt =
                c.prepare_cached("SELECT tenant_id, day_left, seen_at FROM api_budgets")?;
            stmt.query_map([], |row| {
                Ok((row.get(0)?, (row.get(1)?, from_ms(row.get(2)?))))
            })?
            .collect()
        })
    }
}
