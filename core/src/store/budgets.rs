//! The `api_budgets` table: what Xero last said was left of each organisation's 5,000 calls a
//! day (`X-DayLimit-Remaining`, read by the gateway from every answer), and when it said so.

use super::{Result, Store, from_ms, ms};
use chrono::{DateTime, Utc};
use rusqlite::params;
use std::collections::HashMap;

impl Store {
    /// Notes the calls left today for a tenant (lower case) as Xero said them at `at`.
    pub fn record_calls_left(
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
    pub fn calls_left(&self) -> Result<HashMap<String, (u32, DateTime<Utc>)>> {
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::at;
    use super::*;

    #[test]
    fn the_latest_count_is_kept_per_tenant_whatever_its_case() {
        let store = Store::in_memory().unwrap();
        store
            .record_calls_left("ABC", 4990, at("2026-03-01T10:00:00Z"))
            .unwrap();
        store
            .record_calls_left("abc", 4980, at("2026-03-01T10:05:00Z"))
            .unwrap();
        assert_eq!(
            store.calls_left().unwrap().get("abc"),
            Some(&(4980, at("2026-03-01T10:05:00Z"))),
            "one row per organisation, the newest count"
        );
    }
}
