//! The metadata store (SQLite): logins, organisations, the refresh journal and the event log.
//!
//! It holds everything but secrets: no token, code or verifier is ever written here (the refresh
//! journal identifies a refresh token by its fingerprint only). Several processes (the desktop app
//! and CLI runs) share the file, so it runs in WAL mode with a busy timeout, and every multi-row
//! change is one transaction.

mod migrations;

use crate::model::{Event, EventKind, Login, LoginId, LoginState, Organisation};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

pub struct Store {
    conn: Mutex<Connection>,
    /// Named in errors about the file itself (damaged), so the user knows what to move aside.
    path: Option<PathBuf>,
}

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

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database is locked by another process (another Tenantry, or a tool holding it open); try again in a moment"
    )]
    Busy,
    #[error("the data directory is read-only ({0}); make it writable")]
    ReadOnly(String),
    #[error("the disk is full; free some space and try again")]
    DiskFull,
    /// A read or write failed below SQLite: a full disk or quota, a file-size limit, a failing
    /// disk. Nothing half-written is kept (the transaction rolls back).
    #[error(
        "the data directory could not be written ({0}); check the disk has free space and is healthy, then try again"
    )]
    Io(String),
    #[error(
        "the database file is damaged ({0}); move it aside and reconnect your logins (tokens in the keychain are untouched)"
    )]
    Corrupt(String),
    #[error(
        "the database was written by a newer Tenantry (schema {found}, this build knows {known}); upgrade Tenantry"
    )]
    TooNew { found: i64, known: i64 },
    #[error("cannot open the database at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("database error: {0}")]
    Other(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        match e.sqlite_error_code() {
            Some(C::DatabaseBusy | C::DatabaseLocked) => Self::Busy,
            Some(C::ReadOnly) => Self::ReadOnly(e.to_string()),
            Some(C::DiskFull) => Self::DiskFull,
            Some(C::SystemIoFailure) => Self::Io(e.to_string()),
            Some(C::DatabaseCorrupt | C::NotADatabase) => Self::Corrupt(e.to_string()),
            _ => Self::Other(e.to_string()),
        }
    }
}

/// Creates the data directory readable by its owner only: it names the user's clients and holds
/// the lock files, and other accounts on the machine have no business there. An existing
/// directory is left as the user made it.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

impl StoreError {
    /// Names the damaged file: the user has to find it to move it aside.
    fn at(self, path: &Path) -> Self {
        match self {
            Self::Corrupt(detail) => Self::Corrupt(format!("{}: {detail}", path.display())),
            other => other,
        }
    }
}

type Result<T, E = StoreError> = std::result::Result<T, E>;

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

fn login_id(raw: String) -> rusqlite::Result<LoginId> {
    LoginId::new(raw).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

const LOGIN_COLUMNS: &str = "id, name, email, state, last_error, access_expires_at, refresh_issued_at, last_refresh_at, scopes, connected_at";

fn login_from_row(row: &Row<'_>) -> rusqlite::Result<Login> {
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
    })
}

const ORG_COLUMNS: &str =
    "login_id, connection_id, tenant_id, name, tenant_type, auth_event_id, created_at, updated_at";

fn org_from_row(row: &Row<'_>) -> rusqlite::Result<Organisation> {
    Ok(Organisation {
        login_id: login_id(row.get(0)?)?,
        connection_id: row.get(1)?,
        tenant_id: row.get(2)?,
        name: row.get(3)?,
        tenant_type: row.get(4)?,
        auth_event_id: row.get(5)?,
        created_at: from_ms(row.get(6)?),
        updated_at: from_ms(row.get(7)?),
    })
}

/// What [`Store::replace_organisations`] changed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct OrganisationChanges {
    pub added: Vec<Organisation>,
    pub removed: Vec<Organisation>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let open_err = |reason: String| StoreError::Open {
            path: path.display().to_string(),
            reason,
        };
        if let Some(dir) = path.parent() {
            create_private_dir(dir).map_err(|e| open_err(e.to_string()))?;
        }
        let conn = Connection::open(path).map_err(|e| StoreError::from(e).at(path))?;
        let mut store = Self::init(conn).map_err(|e| e.at(path))?;
        store.path = Some(path.to_owned());
        Ok(store)
    }

    /// An in-memory database, for unit tests.
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self> {
        conn.busy_timeout(Duration::from_secs(10))?;
        // WAL lets the desktop app read while a CLI process writes; NORMAL sync is durable across
        // process crashes (the case the refresh journal cares about) and cheap.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::run(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            path: None,
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().expect("store connection lock");
        f(&mut conn).map_err(|e| match &self.path {
            Some(path) => StoreError::from(e).at(path),
            None => StoreError::from(e),
        })
    }

    /// Changes whenever another connection (another Tenantry process) commits to the database:
    /// a cheap way for a long-running window to notice what a CLI run did.
    pub fn data_version(&self) -> Result<i64> {
        self.with(|c| c.query_row("PRAGMA data_version", [], |r| r.get(0)))
    }

    // ---- logins ----

    /// Creates the login or updates everything about it except when it was first connected.
    pub fn upsert_login(&self, login: &Login) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO logins (id, name, email, state, last_error, access_expires_at, refresh_issued_at, last_refresh_at, scopes, connected_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT(id) DO UPDATE SET name = ?2, email = ?3, state = ?4, last_error = ?5,
                   access_expires_at = ?6, refresh_issued_at = ?7, last_refresh_at = ?8, scopes = ?9",
                params![
                    login.id.as_str(), login.name, login.email, login.state.as_str(), login.last_error,
                    ms(login.access_expires_at), ms(login.refresh_issued_at), login.last_refresh_at.map(ms),
                    login.scopes.join(" "), ms(login.connected_at)
                ],
            )?;
            Ok(())
        })
    }

    pub fn login(&self, id: &LoginId) -> Result<Option<Login>> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {LOGIN_COLUMNS} FROM logins WHERE id = ?1"),
                [id.as_str()],
                login_from_row,
            )
            .optional()
        })
    }

    pub fn logins(&self) -> Result<Vec<Login>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {LOGIN_COLUMNS} FROM logins ORDER BY email, id"
            ))?;
            stmt.query_map([], login_from_row)?.collect()
        })
    }

    pub fn set_login_state(
        &self,
        id: &LoginId,
        state: LoginState,
        last_error: Option<&str>,
    ) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE logins SET state = ?2, last_error = ?3 WHERE id = ?1",
                params![id.as_str(), state.as_str(), last_error],
            )?;
            Ok(())
        })
    }

    /// Records a successful refresh: new expiry and refresh-token date, state back to connected.
    pub fn record_refresh(
        &self,
        id: &LoginId,
        expires_at: DateTime<Utc>,
        refresh_issued_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE logins SET state = 'connected', last_error = NULL, access_expires_at = ?2, refresh_issued_at = ?3, last_refresh_at = ?4 WHERE id = ?1",
                params![id.as_str(), ms(expires_at), ms(refresh_issued_at), ms(at)],
            )?;
            Ok(())
        })
    }

    /// Deletes the login, its organisations and its journal entry. Its events stay, so the log
    /// still explains what happened.
    pub fn delete_login(&self, id: &LoginId) -> Result<()> {
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

    // ---- organisations ----

    pub fn organisations(&self) -> Result<Vec<Organisation>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(&format!("SELECT {ORG_COLUMNS} FROM organisations ORDER BY name COLLATE NOCASE, tenant_id, login_id"))?;
            stmt.query_map([], org_from_row)?.collect()
        })
    }

    pub fn organisations_of(&self, login: &LoginId) -> Result<Vec<Organisation>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(&format!("SELECT {ORG_COLUMNS} FROM organisations WHERE login_id = ?1 ORDER BY name COLLATE NOCASE"))?;
            stmt.query_map([login.as_str()], org_from_row)?.collect()
        })
    }

    /// Makes `current` the login's full list of organisations (as `GET /connections` returned it),
    /// in one transaction, and says what was added and removed.
    pub fn replace_organisations(
        &self,
        login: &LoginId,
        current: &[Organisation],
    ) -> Result<OrganisationChanges> {
        self.with(|c| {
            let tx = c.transaction()?;
            let before: Vec<Organisation> = {
                let mut stmt = tx.prepare(&format!("SELECT {ORG_COLUMNS} FROM organisations WHERE login_id = ?1"))?;
                stmt.query_map([login.as_str()], org_from_row)?.collect::<rusqlite::Result<_>>()?
            };
            let mut changes = OrganisationChanges::default();
            for old in &before {
                if !current.iter().any(|o| o.tenant_id == old.tenant_id) {
                    tx.execute("DELETE FROM organisations WHERE login_id = ?1 AND tenant_id = ?2", params![login.as_str(), old.tenant_id])?;
                    changes.removed.push(old.clone());
                }
            }
            for org in current {
                tx.execute(
                    "INSERT INTO organisations (login_id, connection_id, tenant_id, name, tenant_type, auth_event_id, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT(login_id, tenant_id) DO UPDATE SET connection_id = ?2, name = ?4, tenant_type = ?5,
                       auth_event_id = ?6, created_at = ?7, updated_at = ?8",
                    params![login.as_str(), org.connection_id, org.tenant_id, org.name, org.tenant_type, org.auth_event_id, ms(org.created_at), ms(org.updated_at)],
                )?;
                if !before.iter().any(|o| o.tenant_id == org.tenant_id) {
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

    // ---- refresh journal ----

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
            c.query_row("SELECT login_id, started_at, refresh_token_hash, pid FROM refresh_journal WHERE login_id = ?1", [login.as_str()], intent_from_row)
                .optional()
        })
    }

    pub fn refresh_intents(&self) -> Result<Vec<RefreshIntent>> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT login_id, started_at, refresh_token_hash, pid FROM refresh_journal ORDER BY started_at")?;
            stmt.query_map([], intent_from_row)?.collect()
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

    // ---- background keep-alive ----

    /// Notes that a caller got an access token for `login`, so the app keeps it fresh ahead of
    /// the next call.
    pub fn record_use(&self, login: &LoginId, at: DateTime<Utc>) -> Result<()> {
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
    pub fn used_since(&self, since: DateTime<Utc>) -> Result<Vec<LoginId>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT login_id FROM token_use WHERE used_at >= ?1 ORDER BY login_id",
            )?;
            stmt.query_map([ms(since)], |row| login_id(row.get(0)?))?
                .collect()
        })
    }

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

    /// The newest event of `kind`, if any.
    pub fn last_event(&self, kind: EventKind) -> Result<Option<Event>> {
        Ok(self.events_where(None, Some(kind), 1)?.into_iter().next())
    }

    // ---- events ----

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
                "INSERT INTO events (at, login_id, kind, tenant_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![ms(at), login.map(LoginId::as_str), kind.as_str(), tenant_id, detail],
            )?;
            Ok(())
        })
    }

    /// The newest `limit` events, newest first, optionally for one login.
    pub fn events(&self, login: Option<&LoginId>, limit: usize) -> Result<Vec<Event>> {
        self.events_where(login, None, limit)
    }

    fn events_where(
        &self,
        login: Option<&LoginId>,
        kind: Option<EventKind>,
        limit: usize,
    ) -> Result<Vec<Event>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, at, login_id, kind, tenant_id, detail FROM events WHERE (?1 IS NULL OR login_id = ?1) AND (?3 IS NULL OR kind = ?3) ORDER BY id DESC LIMIT ?2",
            )?;
            let kind = kind.map(EventKind::as_str);
            stmt.query_map(params![login.map(LoginId::as_str), limit as i64, kind], |row| {
                let kind: String = row.get(3)?;
                Ok(Event {
                    id: row.get(0)?,
                    at: from_ms(row.get(1)?),
                    login_id: row.get::<_, Option<String>>(2)?.map(login_id).transpose()?,
                    kind: EventKind::parse(&kind).unwrap_or(EventKind::RefreshFailed),
                    tenant_id: row.get(4)?,
                    detail: row.get(5)?,
                })
            })?
            .collect()
        })
    }
}

fn intent_from_row(row: &Row<'_>) -> rusqlite::Result<RefreshIntent> {
    Ok(RefreshIntent {
        login_id: login_id(row.get(0)?)?,
        started_at: from_ms(row.get(1)?),
        refresh_token_fingerprint: row.get(2)?,
        pid: row.get(3)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_new_data_directory_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("tenantry").join("default");
        Store::open(&dir.join("tenantry.db")).unwrap();
        for made in [&dir, &dir.parent().unwrap().to_path_buf()] {
            let mode = std::fs::metadata(made).unwrap().permissions().mode() & 0o777;
            assert_eq!(
                mode,
                0o700,
                "{}: other local users must not list it",
                made.display()
            );
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn login(id: &str) -> Login {
        Login {
            id: LoginId::new(id).unwrap(),
            name: "Ann Bookkeeper".into(),
            email: format!("{id}@example.com"),
            state: LoginState::Connected,
            last_error: None,
            access_expires_at: at("2026-03-01T10:30:00Z"),
            refresh_issued_at: at("2026-03-01T10:00:00Z"),
            last_refresh_at: None,
            scopes: vec!["openid".into(), "offline_access".into()],
            connected_at: at("2026-03-01T10:00:00Z"),
        }
    }

    fn org(login: &str, tenant: &str) -> Organisation {
        Organisation {
            login_id: LoginId::new(login).unwrap(),
            connection_id: format!("conn-{login}-{tenant}"),
            tenant_id: tenant.into(),
            name: format!("Org {tenant}"),
            tenant_type: "ORGANISATION".into(),
            auth_event_id: Some("ev1".into()),
            created_at: at("2026-03-01T10:00:00Z"),
            updated_at: at("2026-03-01T10:00:00Z"),
        }
    }

    #[test]
    fn logins_round_trip_and_upsert_keeps_first_connection_date() {
        let store = Store::in_memory().unwrap();
        let mut a = login("a");
        store.upsert_login(&a).unwrap();
        assert_eq!(
            store.login(&a.id).unwrap(),
            Some(a.clone()),
            "a stored login reads back unchanged"
        );
        a.connected_at = at("2027-01-01T00:00:00Z");
        a.name = "Ann B".into();
        store.upsert_login(&a).unwrap();
        let back = store.login(&a.id).unwrap().unwrap();
        assert_eq!(back.name, "Ann B", "reconnecting updates the name");
        assert_eq!(
            back.connected_at,
            at("2026-03-01T10:00:00Z"),
            "but 'connected since' is the first connection"
        );
    }

    #[test]
    fn replacing_organisations_reports_the_difference_and_shared_tenants_stay_per_login() {
        let store = Store::in_memory().unwrap();
        store.upsert_login(&login("a")).unwrap();
        store.upsert_login(&login("b")).unwrap();
        let a = LoginId::new("a").unwrap();
        let b = LoginId::new("b").unwrap();
        let first = store
            .replace_organisations(&a, &[org("a", "t1"), org("a", "shared")])
            .unwrap();
        assert_eq!(first.added.len(), 2, "both are new");
        store
            .replace_organisations(&b, &[org("b", "shared")])
            .unwrap();
        let second = store
            .replace_organisations(&a, &[org("a", "shared"), org("a", "t3")])
            .unwrap();
        assert_eq!(
            second
                .added
                .iter()
                .map(|o| o.tenant_id.as_str())
                .collect::<Vec<_>>(),
            ["t3"]
        );
        assert_eq!(
            second
                .removed
                .iter()
                .map(|o| o.tenant_id.as_str())
                .collect::<Vec<_>>(),
            ["t1"]
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

    #[test]
    fn journal_and_events() {
        let store = Store::in_memory().unwrap();
        let a = LoginId::new("a").unwrap();
        let intent = RefreshIntent {
            login_id: a.clone(),
            started_at: at("2026-03-01T10:00:00Z"),
            refresh_token_fingerprint: "abc".into(),
            pid: 7,
        };
        store.begin_refresh(&intent).unwrap();
        assert_eq!(store.refresh_intent(&a).unwrap(), Some(intent.clone()));
        assert_eq!(store.refresh_intents().unwrap(), vec![intent]);
        store.end_refresh(&a).unwrap();
        assert_eq!(
            store.refresh_intent(&a).unwrap(),
            None,
            "a finished refresh leaves no intent"
        );
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
    }

    #[test]
    fn a_file_that_is_not_a_database_is_reported_as_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tenantry.db");
        std::fs::write(
            &path,
            b"this is not sqlite, just some bytes that fill a page ".repeat(200),
        )
        .unwrap();
        let err = Store::open(&path).err().expect("garbage must not open");
        assert!(
            matches!(err, StoreError::Corrupt(_)),
            "damage must say so, with the fix, got {err:?}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap().len(),
            53 * 200,
            "a damaged file is left as it was for recovery"
        );
    }
}
