//! The `events` table on PostgreSQL: the activity log, append only.

use super::{Sql, login_id};
use crate::model::{Event, EventKind, LoginId};
use crate::store::{from_ms, ms};
use chrono::{DateTime, Utc};
use postgres::{Client, Row};

const COLUMNS: &str =
    "id, at, login_id, kind, tenant_id, detail, login_name, login_email, person, machine";

fn from_row(row: &Row) -> Sql<Event> {
    let kind: String = row.try_get(3)?;
    Ok(Event {
        id: row.try_get(0)?,
        at: from_ms(row.try_get(1)?),
        login_id: row
            .try_get::<_, Option<String>>(2)?
            .map(login_id)
            .transpose()?,
        kind: EventKind::parse(&kind).unwrap_or(EventKind::RefreshFailed),
        tenant_id: row.try_get(4)?,
        detail: row.try_get(5)?,
        login_name: row.try_get(6)?,
        login_email: row.try_get(7)?,
        by: match (
            row.try_get::<_, Option<String>>(8)?,
            row.try_get::<_, Option<String>>(9)?,
        ) {
            (Some(person), Some(machine)) => Some(format!("{person} on {machine}")),
            _ => None,
        },
    })
}

pub(super) fn write(
    c: &mut impl postgres::GenericClient,
    at: DateTime<Utc>,
    login: Option<&LoginId>,
    kind: EventKind,
    tenant_id: Option<&str>,
    detail: &str,
    by: Option<(&str, &str)>,
) -> Sql<Event> {
    let (person, machine) = (by.map(|b| b.0), by.map(|b| b.1));
    let row = c.query_one(
        &format!("INSERT INTO events (at, login_id, kind, tenant_id, detail, person, machine, login_name, login_email)
         VALUES ($1, $2::TEXT, $3, $4, $5, $6, $7,
           COALESCE((SELECT name FROM logins WHERE id = $2),
                    (SELECT login_name FROM events WHERE login_id = $2 AND login_name IS NOT NULL ORDER BY id DESC LIMIT 1)),
           COALESCE((SELECT email FROM logins WHERE id = $2),
                    (SELECT login_email FROM events WHERE login_id = $2 AND login_email IS NOT NULL ORDER BY id DESC LIMIT 1)))
         RETURNING {COLUMNS}"),
        &[&ms(at), &login.map(LoginId::as_str), &kind.as_str(), &tenant_id, &detail, &person, &machine],
    )?;
    from_row(&row)
}

/// The newest `limit` events, newest first, for one login and of one kind when given.
pub(super) fn newest(
    c: &mut Client,
    login: Option<&LoginId>,
    kind: Option<EventKind>,
    limit: usize,
) -> Sql<Vec<Event>> {
    c.query(
        &format!(
            "SELECT {COLUMNS} FROM events WHERE ($1::TEXT IS NULL OR login_id = $1) AND ($3::TEXT IS NULL OR kind = $3) ORDER BY id DESC LIMIT $2"
        ),
        &[
            &login.map(LoginId::as_str),
            &i64::try_from(limit).unwrap_or(i64::MAX),
            &kind.map(EventKind::as_str),
        ],
    )?
    .iter()
    .map(from_row)
    .collect()
}

pub(super) fn logged_login(c: &mut Client, selector: &str) -> Sql<Option<LoginId>> {
    c.query_opt(
        "SELECT login_id FROM events WHERE login_id = $1 OR lower(login_email) = lower($1) ORDER BY id DESC LIMIT 1",
        &[&selector],
    )?
    .map(|row| login_id(row.try_get(0)?))
    .transpose()
}
