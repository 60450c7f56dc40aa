//! The `logins` and `token_use` tables on PostgreSQL (the rules are the trait's, in `store`).

use super::{Sql, login_id};
use crate::model::{Login, LoginId, LoginState, ReasonCode};
use crate::store::{from_ms, ms};
use chrono::{DateTime, Utc};
use postgres::{Client, Row};

const COLUMNS: &str = "id, name, email, state, last_error, access_expires_at, refresh_issued_at, last_refresh_at, scopes, connected_at, checked_at, reason_code";

fn from_row(row: &Row) -> Sql<Login> {
    let state: String = row.try_get(3)?;
    let scopes: String = row.try_get(8)?;
    Ok(Login {
        id: login_id(row.try_get(0)?)?,
        name: row.try_get(1)?,
        email: row.try_get(2)?,
        state: LoginState::parse(&state).unwrap_or(LoginState::Error),
        last_error: row.try_get(4)?,
        access_expires_at: from_ms(row.try_get(5)?),
        refresh_issued_at: from_ms(row.try_get(6)?),
        last_refresh_at: row.try_get::<_, Option<i64>>(7)?.map(from_ms),
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        connected_at: from_ms(row.try_get(9)?),
        checked_at: row.try_get::<_, Option<i64>>(10)?.map(from_ms),
        reason_code: row
            .try_get::<_, Option<String>>(11)?
            .and_then(|c| ReasonCode::parse(&c)),
    })
}

pub(super) fn upsert(c: &mut impl postgres::GenericClient, login: &Login) -> Sql<()> {
    c.execute(
        "INSERT INTO logins (id, name, email, state, last_error, access_expires_at, refresh_issued_at, last_refresh_at, scopes, connected_at, reason_code)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO UPDATE SET name = $2, email = $3, state = $4, last_error = $5,
           access_expires_at = $6, refresh_issued_at = $7, last_refresh_at = $8, scopes = $9, reason_code = $11",
        &[
            &login.id.as_str(),
            &login.name,
            &login.email,
            &login.state.as_str(),
            &login.last_error,
            &ms(login.access_expires_at),
            &ms(login.refresh_issued_at),
            &login.last_refresh_at.map(ms),
            &login.scopes.join(" "),
            &ms(login.connected_at),
            &login.reason_code.map(ReasonCode::as_str),
        ],
    )?;
    Ok(())
}

pub(super) fn one(c: &mut Client, id: &LoginId) -> Sql<Option<Login>> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM logins WHERE id = $1"),
        &[&id.as_str()],
    )?
    .as_ref()
    .map(from_row)
    .transpose()
}

pub(super) fn all(c: &mut Client) -> Sql<Vec<Login>> {
    c.query(
        &format!("SELECT {COLUMNS} FROM logins ORDER BY email, id"),
        &[],
    )?
    .iter()
    .map(from_row)
    .collect()
}

pub(super) fn set_state(
    c: &mut Client,
    id: &LoginId,
    state: LoginState,
    last_error: Option<(&str, ReasonCode)>,
) -> Sql<()> {
    c.execute(
        "UPDATE logins SET state = $2, last_error = $3, reason_code = $4 WHERE id = $1",
        &[
            &id.as_str(),
            &state.as_str(),
            &last_error.map(|e| e.0),
            &last_error.map(|e| e.1.as_str()),
        ],
    )?;
    Ok(())
}

pub(super) fn record_refresh(
    c: &mut impl postgres::GenericClient,
    id: &LoginId,
    expires_at: DateTime<Utc>,
    refresh_issued_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Sql<()> {
    c.execute(
        "UPDATE logins SET state = 'connected', last_error = NULL, reason_code = NULL, access_expires_at = $2, refresh_issued_at = $3, last_refresh_at = $4 WHERE id = $1",
        &[&id.as_str(), &ms(expires_at), &ms(refresh_issued_at), &ms(at)],
    )?;
    Ok(())
}

pub(super) fn record_check(c: &mut Client, id: &LoginId, at: DateTime<Utc>) -> Sql<()> {
    c.execute(
        "UPDATE logins SET checked_at = $2 WHERE id = $1",
        &[&id.as_str(), &ms(at)],
    )?;
    Ok(())
}

pub(super) fn delete(c: &mut Client, id: &LoginId) -> Sql<()> {
    let mut tx = c.transaction()?;
    tx.execute(
        "DELETE FROM refresh_journal WHERE login_id = $1",
        &[&id.as_str()],
    )?;
    tx.execute(
        "DELETE FROM organisations WHERE login_id = $1",
        &[&id.as_str()],
    )?;
    tx.execute("DELETE FROM logins WHERE id = $1", &[&id.as_str()])?;
    tx.commit()?;
    Ok(())
}

pub(super) fn record_use(c: &mut Client, login: &LoginId, at: DateTime<Utc>) -> Sql<()> {
    c.execute(
        "INSERT INTO token_use (login_id, used_at) VALUES ($1, $2)
         ON CONFLICT (login_id) DO UPDATE SET used_at = GREATEST(token_use.used_at, EXCLUDED.used_at)",
        &[&login.as_str(), &ms(at)],
    )?;
    Ok(())
}

pub(super) fn used_since(c: &mut Client, since: DateTime<Utc>) -> Sql<Vec<LoginId>> {
    c.query(
        "SELECT login_id FROM token_use WHERE used_at >= $1 ORDER BY login_id",
        &[&ms(since)],
    )?
    .iter()
    .map(|row| login_id(row.try_get(0)?))
    .collect()
}
