//! The `refresh_journal` table: one intent per login whose refresh was started and is not known
//! to have finished. The crash-safety of the refresh protocol rests on it (docs/ARCHITECTURE.md).

use super::{Result, Store, from_ms, login_id, ms};
use crate::model::LoginId;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

/// A refresh that was started and not known to have finished: the token endpoint may have rotated
/// the refresh token without the answer reaching us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshIntent {
    pub login_id: LoginId,
    pub started_at: DateTime<Utc>,
    /// Fingerprint of the refresh token that was being spent.
    pub refresh_token_fingerprint: String,
    pub pid: u32,
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<RefreshIntent> {
    Ok(RefreshIntent {
        login_id: login_id(row.get(0)?)?,
        started_at: from_ms(row.get(1)?),
        refresh_token_fingerprint: row.get(2)?,
        pid: row.get(3)?,
    })
}

impl Store {
    pub fn begin_refresh(&self, intent: &RefreshIntent) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO refresh_journal (login_id, started_at, refresh_token_hash, pid) VALUES (?1, ?2, ?3, ?4)",
                params![intent.login_id.as_str(), ms(intent.started_at), intent.refresh_token_fingerprint, intent.pid],
            )?;
            Ok(())
        })
    }

    pub fn refresh_intent(&self, login: &LoginId) -> Result<Option<RefreshIntent>> {
        self.with(|c| {
            c.query_row(
                "SELECT login_id, started_at, refresh_token_hash, pid FROM refresh_journal WHERE login_id = ?1",
                [login.as_str()],
                from_row,
            )
            .optional()
        })
    }

    pub fn refresh_intents(&self) -> Result<Vec<RefreshIntent>> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT login_id, started_at, refresh_token_hash, pid FROM refresh_journal ORDER BY started_at",
            )?;
            stmt.query_map([], from_row)?.collect()
        })
    }

    pub fn end_refresh(&self, login: &LoginId) -> Result<()> {
        self.with(|c| {
            c.execute(
                "DELETE FROM refresh_journal WHERE login_id = ?1",
                [login.as_str()],
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
    fn an_intent_lasts_until_its_refresh_ends() {
        let store = Store::in_memory().unwrap();
        let a = LoginId::new("a").unwrap();
        let intent = RefreshIntent {
            login_id: a.clone(),
            started_at: at("2026-03-01T10:00:00Z"),
            refresh_token_fingerprint: "abc".into(),
            pid: 7,
        };
        store.begin_refresh(&intent).unwrap();
        assert_eq!(
            store.refresh_intent(&a).unwrap(),
            Some(intent.clone()),
            "an intent reads back as written"
        );
        assert_eq!(store.refresh_intents().unwrap(), vec![intent]);
        store.end_refresh(&a).unwrap();
        assert_eq!(
            store.refresh_intent(&a).unwrap(),
            None,
            "a finished refresh leaves no intent"
        );
    }
}
