//! The `logins` table (one row per Xero user, never a token) and `token_use` (when a caller last
//! got a token for a login, so the window can refresh logins in use ahead of expiry).

use super::{Result, SqliteStore, from_ms, login_id, ms};
use crate::model::{Login, LoginId, LoginState, ReasonCode};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

const COLUMNS: &str = "id, name, email, state, last_error, access_expires_at, refresh_issued_at, last_refresh_at, scopes, connected_at, checked_at, reason_code";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Login> {
    let state: String = row.get(3)?;
    let scopes: String = row.get(8)?;
    Ok(Login {
        id: login_id(row.get(0)?)?,
        name: row.get(1)?,
        email: row.get(2)?,
        state: LoginState::parse(&state).unwrap_or(LoginState::Error),
        last_error: row.get(4)?,
        access_expires_at: from_ms(row.get(5)?),
        refresh_issued_at: from_ms(row.get(6)?),
        last_refresh_at: row.get::<_, Option<i64>>(7)?.map(from_ms),
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        connected_at: from_ms(row.get(9)?),
        checked_at: row.get::<_, Option<i64>>(10)?.map(from_ms),
        reason_code: row
            .get::<_, Option<String>>(11)?
            .and_then(|c| ReasonCode::parse(&c)),
    })
}

impl SqliteStore {
    /// Creates the login or updates everything about it except when it was first connected.
    pub(super) fn upsert_login(&self, login: &Login) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO logins (id, name, email, state, last_error, access_expires_at, refresh_issued_at, last_refresh_at, scopes, connected_at, reason_code)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT(id) DO UPDATE SET name = ?2, email = ?3, state = ?4, last_error = ?5,
                   access_expires_at = ?6, refresh_issued_at = ?7, last_refresh_at = ?8, scopes = ?9, reason_code = ?11",
                params![
                    login.id.as_str(), login.name, login.email, login.state.as_str(), login.last_error,
                    ms(login.access_expires_at), ms(login.refresh_issued_at), login.last_refresh_at.map(ms),
                    login.scopes.join(" "), ms(login.connected_at), login.reason_code.map(ReasonCode::as_str)
                ],
            )?;
            Ok(())
        })
    }

    pub(super) fn login(&self, id: &LoginId) -> Result<Option<Login>> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {COLUMNS} FROM logins WHERE id = ?1"),
                [id.as_str()],
                from_row,
            )
            .optional()
        })
    }

    pub(super) fn logins(&self) -> Result<Vec<Login>> {
        self.with(|c| {
            let mut stmt =
                c.prepare_cached(&format!("SELECT {COLUMNS} FROM logins ORDER BY email, id"))?;
            stmt.query_map([], from_row)?.collect()
        })
    }

    pub(super) fn set_login_state(
        &self,
        id: &LoginId,
        state: LoginState,
        last_error: Option<(&str, ReasonCode)>,
    ) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE logins SET state = ?2, last_error = ?3, reason_code = ?4 WHERE id = ?1",
                params![
                    id.as_str(),
                    state.as_str(),
                    last_error.map(|e| e.0),
                    last_error.map(|e| e.1.as_str())
                ],
            )?;
            Ok(())
        })
    }

    /// Records a successful refresh: new expiry and refresh-token date, state back to connected.
    pub(super) fn record_refresh(
        &self,
        id: &LoginId,
        expires_at: DateTime<Utc>,
        refresh_issued_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE logins SET state = 'connected', last_error = NULL, reason_code = NULL, access_expires_at = ?2, refresh_issued_at = ?3, last_refresh_at = ?4 WHERE id = ?1",
                params![id.as_str(), ms(expires_at), ms(refresh_issued_at), ms(at)],
            )?;
            Ok(())
        })
    }

    /// Deletes the login, its organisations and its journal entry. Its events stay, so the log
    /// still explains what happened.
    /// Xero's `/connections` answered for this login at `at` (a sign-in, a check, a sync).
    pub(super) fn record_check(&self, id: &LoginId, at: DateTime<Utc>) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE logins SET checked_at = ?2 WHERE id = ?1",
                params![id.as_str(), ms(at)],
            )?;
            Ok(())
        })
    }

    pub(super) fn delete_login(&self, id: &LoginId) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "DELETE FROM refresh_journal WHERE login_id = ?1",
                [id.as_str()],
            )?;
            tx.execute(
                "DELETE FROM organisations WHERE login_id = ?1",
                [id.as_str()],
            )?;
            tx.execute("DELETE FROM logins WHERE id = ?1", [id.as_str()])?;
            tx.commit()
        })
    }

    /// Notes that a caller got an access token for `login`, so the app keeps it fresh ahead of
    /// the next call.
    pub(super) fn record_use(&self, login: &LoginId, at: DateTime<Utc>) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO token_use (login_id, used_at) VALUES (?1, ?2)
                 ON CONFLICT(login_id) DO UPDATE SET used_at = max(used_at, ?2)",
                params![login.as_str(), ms(at)],
            )?;
            Ok(())
        })
    }

    /// Logins a caller got a token for at or after `since`.
    pub(super) fn used_since(&self, since: DateTime<Utc>) -> Result<Vec<LoginId>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT login_id FROM token_use WHERE used_at >= ?1 ORDER BY login_id",
            )?;
            stmt.query_map([ms(since)], |row| login_id(row.get(0)?))?
                .collect()
        })
    }
}
