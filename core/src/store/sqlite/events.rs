//! The `events` table: the activity log ("why did this organisation drop?"). Append only; a
//! removed login's events stay, so the log still explains what happened.

use super::{Result, SqliteStore, from_ms, login_id, ms};
use crate::model::{Event, EventKind, LoginId};
use chrono::{DateTime, Utc};
use rusqlite::params;

impl SqliteStore {
    pub(super) fn write_event(
        &self,
        at: DateTime<Utc>,
        login: Option<&LoginId>,
        kind: EventKind,
        tenant_id: Option<&str>,
        detail: &str,
    ) -> Result<Event> {
        let id = self.with(|c| {
            c.execute(
                // The login's name and email go with the event, from its row or, once the row is
                // gone (the `removed` event itself), from its newest event that has them.
                "INSERT INTO events (at, login_id, kind, tenant_id, detail, login_name, login_email)
                 VALUES (?1, ?2, ?3, ?4, ?5,
                   COALESCE((SELECT name FROM logins WHERE id = ?2),
                            (SELECT login_name FROM events WHERE login_id = ?2 AND login_name IS NOT NULL ORDER BY id DESC LIMIT 1)),
                   COALESCE((SELECT email FROM logins WHERE id = ?2),
                            (SELECT login_email FROM events WHERE login_id = ?2 AND login_email IS NOT NULL ORDER BY id DESC LIMIT 1)))",
                params![ms(at), login.map(LoginId::as_str), kind.as_str(), tenant_id, detail],
            )?;
            Ok(c.last_insert_rowid())
        })?;
        self.event(id)?.ok_or_else(|| {
            super::StoreError::Other(format!("event {id} vanished as it was written"))
        })
    }

    fn event(&self, id: i64) -> Result<Option<Event>> {
        Ok(self.events_where_id(id)?.into_iter().next())
    }

    /// The newest `limit` events, newest first, optionally for one login.
    pub(super) fn events(&self, login: Option<&LoginId>, limit: usize) -> Result<Vec<Event>> {
        self.events_where(login, None, limit)
    }

    /// The login whose events `selector` names by exact id or email (any case), newest first:
    /// how `log --login` finds a login that has been removed, whose events stay.
    pub(super) fn logged_login(&self, selector: &str) -> Result<Option<LoginId>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT login_id FROM events WHERE login_id = ?1 OR lower(login_email) = lower(?1) ORDER BY id DESC LIMIT 1",
            )?;
            let mut rows = stmt.query(params![selector])?;
            match rows.next()? {
                Some(row) => Ok(Some(login_id(row.get(0)?)?)),
                None => Ok(None),
            }
        })
    }

    /// The newest event of `kind`, if any.
    pub(super) fn last_event(&self, kind: EventKind) -> Result<Option<Event>> {
        Ok(self.events_where(None, Some(kind), 1)?.into_iter().next())
    }

    fn events_where_id(&self, id: i64) -> Result<Vec<Event>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(&format!("{EVENT_SELECT} WHERE id = ?1"))?;
            stmt.query_map(params![id], event_row)?.collect()
        })
    }

    fn events_where(
        &self,
        login: Option<&LoginId>,
        kind: Option<EventKind>,
        limit: usize,
    ) -> Result<Vec<Event>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "{EVENT_SELECT} WHERE (?1 IS NULL OR login_id = ?1) AND (?3 IS NULL OR kind = ?3) ORDER BY id DESC LIMIT ?2"
            ))?;
            let kind = kind.map(EventKind::as_str);
            stmt.query_map(params![login.map(LoginId::as_str), limit as i64, kind], event_row)?
            .collect()
        })
    }
}

const EVENT_SELECT: &str =
    "SELECT id, at, login_id, kind, tenant_id, detail, login_name, login_email FROM events";

fn event_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    let kind: String = row.get(3)?;
    Ok(Event {
        id: row.get(0)?,
        at: from_ms(row.get(1)?),
        login_id: row.get::<_, Option<String>>(2)?.map(login_id).transpose()?,
        kind: EventKind::parse(&kind).unwrap_or(EventKind::RefreshFailed),
        tenant_id: row.get(4)?,
        detail: row.get(5)?,
        login_name: row.get(6)?,
        login_email: row.get(7)?,
        by: None, // one machine, one person: nothing to attribute
    })
}
