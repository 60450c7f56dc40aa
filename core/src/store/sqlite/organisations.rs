//! The `organisations` table: one row per (login, tenant), so an organisation two logins reach is
//! two rows and each login's list is replaced as Xero's `/connections` gives it. A row Xero stops
//! listing is marked disconnected, not deleted: the organisation stays in view with its fix until
//! someone reconnects the login or removes it from the list.

use super::{Result, SqliteStore, from_ms, login_id, ms};
use crate::model::{LoginId, Organisation};
use crate::store::OrganisationChanges;
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

impl SqliteStore {
    pub(super) fn organisations(&self) -> Result<Vec<Organisation>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM organisations ORDER BY name COLLATE NOCASE, tenant_id, login_id"
            ))?;
            stmt.query_map([], from_row)?.collect()
        })
    }

    /// An organisation's name by tenant id (for the `on_event` hook's TENANTRY_ORG).
    pub(super) fn organisation_name(&self, tenant_id: &str) -> Result<Option<String>> {
        self.with(|c| {
            c.query_row(
                "SELECT name FROM organisations WHERE tenant_id = ?1 COLLATE NOCASE ORDER BY last_seen_at DESC LIMIT 1",
                [tenant_id],
                |r| r.get(0),
            )
            .optional()
        })
    }

    pub(super) fn organisations_of(&self, login: &LoginId) -> Result<Vec<Organisation>> {
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
    pub(super) fn replace_organisations(
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

    pub(super) fn remove_organisation(&self, login: &LoginId, tenant_id: &str) -> Result<()> {
        self.with(|c| {
            c.execute(
                "DELETE FROM organisations WHERE login_id = ?1 AND tenant_id = ?2",
                params![login.as_str(), tenant_id],
            )?;
            Ok(())
        })
    }
}
