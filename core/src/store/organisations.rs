//! The `organisations` table: one row per (login, tenant), so an organisation two logins reach is
//! two rows and each login's list is replaced as Xero's `/connections` gives it. A row Xero stops
//! listing is marked disconnected, not deleted: the organisation stays in view with its fix until
//! someone reconnects the login or removes it from the list.

use super::{Result, Store, from_ms, login_id, ms};
use crate::model::{LoginId, Organisation};
use rusqlite::{OptionalExtension, Row, params};

const COLUMNS: &str = "login_id, connection_id, tenant_id, name, tenant_type, auth_event_id, created_at, updated_at, last_seen_at, disconnected_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Organisation> {
    Ok(Organisation {
        login_id: login_id(row.get(0)?)?,
        connection_id: row.get(1)?,
        tenant_id: row.get(2)?,
        name: row.get(3)?,
        tenant_type: row.get(4)?,
        auth_event_id: row.get(5)?,
        created_at: from_ms(row.get(6)?),
        updated_at: from_ms(row.get(7)?),
        last_seen_at: from_ms(row.get::<_, Option<i64>>(8)?.unwrap_or(row.get(7)?)),
        disconnected_at: row.get::<_, Option<i64>>(9)?.map(from_ms),
    })
}

/// What [`Store::replace_organisations`] changed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct OrganisationChanges {
    /// Listed now and not before (new, or back after being disconnected).
    pub added: Vec<Organisation>,
    /// Listed before and not now: marked disconnected (as stored before the mark).
    pub removed: Vec<Organisation>,
}

impl Store {
    pub fn organisations(&self) -> Result<Vec<Organisation>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM organisations ORDER BY name COLLATE NOCASE, tenant_id, login_id"
            ))?;
            stmt.query_map([], from_row)?.collect()
        })
    }

    /// An organisation's name by tenant id (for the `on_event` hook's TENANTRY_ORG).
    pub fn organisation_name(&self, tenant_id: &str) -> Result<Option<String>> {
        self.with(|c| {
            c.query_row(
                "SELECT name FROM organisations WHERE tenant_id = ?1 COLLATE NOCASE ORDER BY last_seen_at DESC LIMIT 1",
                [tenant_id],
                |r| r.get(0),
            )
            .optional()
        })
    }

    pub fn organisations_of(&self, login: &LoginId) -> Result<Vec<Organisation>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM organisations WHERE login_id = ?1 ORDER BY name COLLATE NOCASE"
            ))?;
            stmt.query_map([login.as_str()], from_row)?.collect()
        })
    }

    /// Makes `current` the login's list of connected organisations (as `GET /connections`
    /// returned it at `now`), in one transaction: rows it no longer lists are marked disconnected
    /// (keeping when they were last seen), and it says what was added and removed.
    pub fn replace_organisations(
        &self,
        login: &LoginId,
        current: &[Organisation],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<OrganisationChanges> {
        self.with(|c| {
            let tx = c.transaction()?;
            let before: Vec<Organisation> = {
                let mut stmt = tx.prepare(&format!(
                    "SELECT {COLUMNS} FROM organisations WHERE login_id = ?1"
                ))?;
                stmt.query_map([login.as_str()], from_row)?
                    .collect::<rusqlite::Result<_>>()?
            };
            let listed_before =
                |tenant: &str| before.iter().any(|o| o.tenant_id == tenant && o.disconnected_at.is_none());
            let mut changes = OrganisationChanges::default();
            for old in before.iter().filter(|o| o.disconnected_at.is_none()) {
                if !current.iter().any(|o| o.tenant_id == old.tenant_id) {
                    tx.execute(
                        "UPDATE organisations SET disconnected_at = ?3 WHERE login_id = ?1 AND tenant_id = ?2",
                        params![login.as_str(), old.tenant_id, ms(now)],
                    )?;
                    changes.removed.push(old.clone());
                }
            }
            for org in current {
                tx.execute(
                    "INSERT INTO organisations (login_id, connection_id, tenant_id, name, tenant_type, auth_event_id, created_at, updated_at, last_seen_at, disconnected_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL)
                     ON CONFLICT(login_id, tenant_id) DO UPDATE SET connection_id = ?2, name = ?4, tenant_type = ?5,
                       auth_event_id = ?6, created_at = ?7, updated_at = ?8, last_seen_at = ?9, disconnected_at = NULL",
                    params![login.as_str(), org.connection_id, org.tenant_id, org.name, org.tenant_type, org.auth_event_id, ms(org.created_at), ms(org.updated_at), ms(now)],
                )?;
                if !listed_before(&org.tenant_id) {
                    changes.added.push(org.clone());
                }
            }
            tx.commit()?;
            Ok(changes)
        })
    }

    pub fn remove_organisation(&self, login: &LoginId, tenant_id: &str) -> Result<()> {
        self.with(|c| {
            c.execute(
                "DELETE FROM organisations WHERE login_id = ?1 AND tenant_id = ?2",
                params![login.as_str(), tenant_id],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{login, org};
    use super::*;

    #[test]
    fn replacing_organisations_reports_the_difference_and_shared_tenants_stay_per_login() {
        let store = Store::in_memory().unwrap();
        store.upsert_login(&login("a")).unwrap();
        store.upsert_login(&login("b")).unwrap();
        let a = LoginId::new("a").unwrap();
        let b = LoginId::new("b").unwrap();
        let seen = super::super::fixtures::at("2026-03-02T10:00:00Z");
        let now = super::super::fixtures::at("2026-03-03T10:00:00Z");
        let first = store
            .replace_organisations(&a, &[org("a", "t1"), org("a", "shared")], seen)
            .unwrap();
        assert_eq!(first.added.len(), 2, "both are new");
        store
            .replace_organisations(&b, &[org("b", "shared")], now)
            .unwrap();
        let second = store
            .replace_organisations(&a, &[org("a", "shared"), org("a", "t3")], now)
            .unwrap();
        let tenants =
            |orgs: &[Organisation]| orgs.iter().map(|o| o.tenant_id.clone()).collect::<Vec<_>>();
        assert_eq!(tenants(&second.added), ["t3"], "only the new one is added");
        assert_eq!(
            tenants(&second.removed),
            ["t1"],
            "the dropped one is removed"
        );
        let t1 = store
            .organisations_of(&a)
            .unwrap()
            .into_iter()
            .find(|o| o.tenant_id == "t1")
            .expect("an organisation Xero stopped listing stays in view, marked");
        assert_eq!(
            (t1.disconnected_at, t1.last_seen_at),
            (Some(now), seen),
            "it says when it was found gone and keeps when it was last seen"
        );
        let third = store
            .replace_organisations(&a, &[org("a", "shared"), org("a", "t3")], now)
            .unwrap();
        assert!(
            third.removed.is_empty() && third.added.is_empty(),
            "a second look reports nothing new: the disconnection was reported once"
        );
        let back = store
            .replace_organisations(
                &a,
                &[org("a", "t1"), org("a", "shared"), org("a", "t3")],
                now,
            )
            .unwrap();
        assert_eq!(
            tenants(&back.added),
            ["t1"],
            "a reconnected client counts as added"
        );
        assert!(
            store
                .organisations_of(&a)
                .unwrap()
                .iter()
                .all(|o| o.disconnected_at.is_none()),
            "and is no longer marked"
        );
        let shared: Vec<_> = store
            .organisations()
            .unwrap()
            .into_iter()
            .filter(|o| o.tenant_id == "shared")
            .collect();
        assert_eq!(
            shared.len(),
            2,
            "an organisation reached through two logins is two rows, one per login"
        );
        store.delete_login(&a).unwrap();
        assert!(
            store.organisations_of(&a).unwrap().is_empty(),
            "deleting a login deletes its organisations"
        );
        assert_eq!(
            store.organisations_of(&b).unwrap().len(),
            1,
            "and leaves the other login's alone"
        );
    }
}
