//! The `notices` table: when each desktop notice (and the start-at-login offer) was last said, so
//! a restart does not repeat them.

use super::{Result, Store, from_ms, ms};
use chrono::{DateTime, Utc};
use rusqlite::params;
use std::collections::HashMap;

impl Store {
    /// When each notice was last said.
    pub fn notices_said(&self) -> Result<HashMap<String, DateTime<Utc>>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached("SELECT key, said_at FROM notices")?;
            stmt.query_map([], |row| Ok((row.get(0)?, from_ms(row.get(1)?))))?
                .collect()
        })
    }

    pub fn record_notice(&self, key: &str, at: DateTime<Utc>) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::at;
    use super::*;

    #[test]
    fn a_notice_said_again_moves_its_time() {
        let store = Store::in_memory().unwrap();
        store
            .record_notice("reconnect:a", at("2026-03-01T10:00:00Z"))
            .unwrap();
        store
            .record_notice("reconnect:a", at("2026-03-02T10:00:00Z"))
            .unwrap();
        assert_eq!(
            store.notices_said().unwrap().get("reconnect:a"),
            Some(&at("2026-03-02T10:00:00Z")),
            "the once-a-day rule counts from the last time it was said"
        );
    }
}
