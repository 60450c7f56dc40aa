//! The `organisations` table on PostgreSQL. Names and tenant ids compare in any case, as SQLite's
//! `COLLATE NOCASE` has them.

use super::{Sql, login_id};
use crate::model::{LoginId, Organisation};
use crate::store::{OrganisationChanges, from_ms, ms};
use chrono::{DateTime, Utc};
use postgres::{Client, Row};

const COLUMNS: &str = "login_id, connection_id, tenant_id, name, tenant_type, auth_event_id, created_at, updated_at, last_seen_at, disconnected_at";

fn from_row(row: &Row) -> Sql<Organisation> {
    Ok(Organisation {
        login_id: login_id(row.try_get(0)?)?,
        connection_id: row.try_get(1)?,
        tenant_id: row.try_get(2)?,
        name: row.try_get(3)?,
        tenant_type: row.try_get(4)?,
        auth_event_id: row.try_get(5)?,
        created_at: from_ms(row.try_get(6)?),
        updated_at: from_ms(row.try_get(7)?),
        last_seen_at: from_ms(row.try_get(8)?),
        disconnected_at: row.try_get::<_, Option<i64>>(9)?.map(from_ms),
    })
}

pub(super) fn all(c: &mut Client) -> Sql<Vec<Organisation>> {
    c.query(
        &format!("SELECT {COLUMNS} FROM organisations ORDER BY lower(name), tenant_id, login_id"),
        &[],
    )?
    .iter()
    .map(from_row)
    .collect()
}

pub(super) fn name(c: &mut Client, tenant_id: &str) -> Sql<Option<String>> {
    Ok(c
        .query_opt(
            "SELECT name FROM organisations WHERE lower(tenant_id) = lower($1) ORDER BY last_seen_at DESC LIMIT 1",
            &[&tenant_id],
        )?
        .map(|row| row.try_get(0))
        .transpose()?)
}

pub(super) fn of(c: &mut Client, login: &LoginId) -> Sql<Vec<Organisation>> {
    c.query(
        &format!("SELECT {COLUMNS} FROM organisations WHERE login_id = $1 ORDER BY lower(name)"),
        &[&login.as_str()],
    )?
    .iter()
    .map(from_row)
    .collect()
}

pub(super) fn replace(
    c: &mut Client,
    login: &LoginId,
    current: &[Organisation],
    now: DateTime<Utc>,
) -> Sql<OrganisationChanges> {
    let mut tx = c.transaction()?;
    // Locks the login's rows: two machines listing the same login at once apply one after the
    // other, so each reports the difference from what the other left.
    let before: Vec<Organisation> = tx
        .query(
            &format!("SELECT {COLUMNS} FROM organisations WHERE login_id = $1 FOR UPDATE"),
            &[&login.as_str()],
        )?
        .iter()
        .map(from_row)
        .collect::<Sql<_>>()?;
    let listed_before = |tenant: &str| {
        before
            .iter()
            .any(|o| o.tenant_id == tenant && o.disconnected_at.is_none())
    };
    let mut changes = OrganisationChanges::default();
    for old in before.iter().filter(|o| o.disconnected_at.is_none()) {
        if !current.iter().any(|o| o.tenant_id == old.tenant_id) {
            tx.execute(
                "UPDATE organisations SET disconnected_at = $3 WHERE login_id = $1 AND tenant_id = $2",
                &[&login.as_str(), &old.tenant_id, &ms(now)],
            )?;
            changes.removed.push(old.clone());
        }
    }
    for org in current {
        tx.execute(
            "INSERT INTO organisations (login_id, connection_id, tenant_id, name, tenant_type, auth_event_id, created_at, updated_at, last_seen_at, disconnected_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)
             ON CONFLICT (login_id, tenant_id) DO UPDATE SET connection_id = $2, name = $4, tenant_type = $5,
               auth_event_id = $6, created_at = $7, updated_at = $8, last_seen_at = $9, disconnected_at = NULL",
            &[
                &login.as_str(),
                &org.connection_id,
                &org.tenant_id,
                &org.name,
                &org.tenant_type,
                &org.auth_event_id,
                &ms(org.created_at),
                &ms(org.updated_at),
                &ms(now),
            ],
        )?;
        if !listed_before(&org.tenant_id) {
            changes.added.push(org.clone());
        }
    }
    tx.commit()?;
    Ok(changes)
}

pub(super) fn remove(c: &mut Client, login: &LoginId, tenant_id: &str) -> Sql<()> {
    c.execute(
        "DELETE FROM organisations WHERE login_id = $1 AND tenant_id = $2",
        &[&login.as_str(), &tenant_id],
    )?;
    Ok(())
}

/// Takes `org` in as it was kept elsewhere (a machine's own profile moving into the practice),
/// disconnected or not; an organisation the login already has here is left as it is.
pub(super) fn insert_as_it_was(
    c: &mut impl postgres::GenericClient,
    login: &LoginId,
    org: &Organisation,
) -> Sql<()> {
    c.execute(
        "INSERT INTO organisations (login_id, connection_id, tenant_id, name, tenant_type, auth_event_id, created_at, updated_at, last_seen_at, disconnected_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (login_id, tenant_id) DO NOTHING",
        &[
            &login.as_str(),
            &org.connection_id,
            &org.tenant_id,
            &org.name,
            &org.tenant_type,
            &org.auth_event_id,
            &ms(org.created_at),
            &ms(org.updated_at),
            &ms(org.last_seen_at),
            &org.disconnected_at.map(ms),
        ],
    )?;
    Ok(())
}
