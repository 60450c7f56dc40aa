//! The `events` table: the activity log ("why did this organisation drop?"). Append only; a
//! removed login's events stay, so the log still explains what happened.

use super::{Result, Store, from_ms, login_id, ms};
use crate::model::{Event, EventKind, LoginId};
use chrono::{DateTime, Utc};
use rusqlite::params;

impl Store {
    pub fn add_event(
        &self,
        at: DateTime<Utc>,
        login: Option<&LoginId>,
        kind: EventKind,
        tenant_id: Option<&str>,
        detail: &str,
    ) -> Result<()> {
        self.with(|c| {
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
        })
        .and_then(|id| {
            if let Some(tap) = self.tap.get()
                && let Some(event) = self.event(id)?
            {
                let name = match &event.tenant_id {
                    Some(tenant) => self.organisation_name(tenant)?,
                    None => None,
                };
                tap(event, name);
            }
            Ok(())
        })
    }

    /// Hands every event written from now on to `tap` (once; later taps are ignored).
    pub fn tap_events(&self, tap: super::EventTap) {
        let _ = self.tap.set(tap);
    }

    fn event(&self, id: i64) -> Result<Option<Event>> {
        Ok(self.events_where_id(id)?.into_iter().next())
    }

    /// The newest `limit` events, newest first, optionally for one login.
    pub fn events(&self, login: Option<&LoginId>, limit: usize) -> Result<Vec<Event>> {
        self.events_where(login, None, limit)
    }

    /// The login whose events `selector` names by exact id or email (any case), newest first:
    /// how `log --login` finds a login that has been removed, whose events stay.
    pub fn logged_login(&self, selector: &str) -> Result<Option<LoginId>> {
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
    pub fn last_event(&self, kind: EventKind) -> Result<Option<Event>> {
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
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::at;
    use super::*;

    #[test]
    fn events_read_newest_first_and_filter_by_login_and_kind() {
        let store = Store::in_memory().unwrap();
        let a = LoginId::new("a").unwrap();
        store
            .add_event(
                at("2026-03-01T10:00:00Z"),
                Some(&a),
                EventKind::Refreshed,
                None,
                "ok",
            )
            .unwrap();
        store
            .add_event(
                at("2026-03-01T10:01:00Z"),
                None,
                EventKind::KeepAlive,
                None,
                "run",
            )
            .unwrap();
        let all = store.events(None, 10).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].kind, EventKind::KeepAlive, "newest first");
        assert_eq!(
            store.events(Some(&a), 10).unwrap().len(),
            1,
            "filtering by login"
        );
        assert_eq!(
            store
                .last_event(EventKind::Refreshed)
                .unwrap()
                .map(|e| e.detail),
            Some("ok".into()),
            "the newest of one kind, however many others came after it"
        );
    }

    #[test]
    fn events_keep_who_the_login_was_after_it_is_removed() {
        let store = Store::in_memory().unwrap();
        let ann = super::super::fixtures::login("ann");
        store.upsert_login(&ann).unwrap();
        let when = at("2026-03-01T10:00:00Z");
        store
            .add_event(when, Some(&ann.id), EventKind::Refreshed, None, "ok")
            .unwrap();
        store.delete_login(&ann.id).unwrap();
        store
            .add_event(when, Some(&ann.id), EventKind::Removed, None, "removed")
            .unwrap();
        for event in store.events(Some(&ann.id), 10).unwrap() {
            assert_eq!(
                (event.login_name.as_deref(), event.login_email.as_deref()),
                (Some("Ann Bookkeeper"), Some("ann@example.com")),
                "{:?}: a removed login's history must still name its person, not a UUID",
                event.kind
            );
        }
        for selector in ["ANN@example.com", "ann"] {
            assert_eq!(
                store.logged_login(selector).unwrap(),
                Some(ann.id.clone()),
                "`log --login {selector}` still finds the removed login by email or id"
            );
        }
        assert_eq!(
            store.logged_login("nobody@example.com").unwrap(),
            None,
            "a login the log never saw is unknown, not an empty history"
        );
    }
}
