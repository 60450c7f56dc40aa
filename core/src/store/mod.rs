//! The metadata store (SQLite): logins, organisations, the refresh journal, the event log, and
//! the notes keep-alive and the window keep (token use, notices said), and what Xero last said
//! was left of each organisation's daily API budget. One module per table.
//!
//! It holds everything but secrets: no token, code or verifier is ever written here (the refresh
//! journal identifies a refresh token by its fingerprint only). Several processes (the desktop app
//! and CLI runs) share the file, so it runs in WAL mode with a busy timeout, and every multi-row
//! change is one transaction. Calls block (up to the busy timeout), so the engine makes them on
//! tokio's blocking threads, never on an async worker.
//!
//! The database and its WAL and shared-memory files are private to their owner: the file is
//! created 0600 before SQLite opens it, and SQLite gives the WAL and SHM files the database's
//! permissions.

mod budgets;
mod error;
mod events;
mod journal;
mod logins;
mod migrations;
mod notices;
mod organisations;

pub use error::StoreError;
pub use journal::RefreshIntent;
pub use organisations::OrganisationChanges;

use crate::model::LoginId;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// What the store hands each event it has written (the `on_event` hooks' queue), with the name
/// of its organisation as stored at that moment (a disconnect removes the row soon after).
pub type EventTap = Box<dyn Fn(crate::model::Event, Option<String>) + Send + Sync>;

pub struct Store {
    conn: Mutex<Connection>,
    /// Set once by the engine when `on_event` is configured.
    tap: std::sync::OnceLock<EventTap>,
    /// Named in errors about the file itself (damaged), so the user knows what to move aside.
    path: Option<PathBuf>,
}

type Result<T, E = StoreError> = std::result::Result<T, E>;

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let open_err = |e: std::io::Error| match e.kind() {
            // Not ours to write (a directory made read-only, another user's, a read-only
            // mount): the user's fix is the same, and the message says it.
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                StoreError::ReadOnly(format!("{}: {e}", path.display()))
            }
            _ => StoreError::Open {
                path: path.display().to_string(),
                reason: e.to_string(),
            },
        };
        if let Some(dir) = path.parent() {
            crate::private_files::create_dir(dir).map_err(open_err)?;
        }
        // Created private before SQLite sees it: SQLite would create it with the umask's mode,
        // and gives the WAL and SHM files whatever the database has. An existing one is tightened
        // by path only: opening and closing it here would drop the POSIX locks of any connection
        // this process already has to it (SQLite's "how to corrupt" §2.2), e.g. a second engine.
        if path.exists() {
            crate::private_files::tighten_path(path).map_err(open_err)?;
        } else {
            crate::private_files::open_file(path).map_err(open_err)?;
        }
        for side in ["-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(side);
            crate::private_files::tighten_path(Path::new(&name)).map_err(open_err)?;
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
            tap: std::sync::OnceLock::new(),
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
}

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

#[cfg(test)]
pub(crate) mod fixtures {
    use crate::model::{Login, LoginId, LoginState, Organisation};
    use chrono::{DateTime, Utc};

    pub fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    pub fn login(id: &str) -> Login {
        Login {
            id: LoginId::new(id).unwrap(),
            name: "Ann Bookkeeper".into(),
            email: format!("{id}@example.com"),
            state: LoginState::Connected,
            last_error: None,
            reason_code: None,
            access_expires_at: at("2026-03-01T10:30:00Z"),
            refresh_issued_at: at("2026-03-01T10:00:00Z"),
            last_refresh_at: None,
            scopes: vec!["openid".into(), "offline_access".into()],
            connected_at: at("2026-03-01T10:00:00Z"),
            checked_at: None,
        }
    }

    /// A login whose refresh token was issued at `refreshed`, in `state` (a failure's reason
    /// set when it is not connected).
    pub fn issued(id: &str, refreshed: &str, state: LoginState) -> Login {
        let mut l = login(id);
        l.refresh_issued_at = at(refreshed);
        l.state = state;
        l.last_error = (state != LoginState::Connected).then(|| "invalid_grant".into());
        l
    }

    pub fn org(login: &str, tenant: &str) -> Organisation {
        Organisation {
            login_id: LoginId::new(login).unwrap(),
            connection_id: format!("conn-{login}-{tenant}"),
            tenant_id: tenant.into(),
            name: format!("Org {tenant}"),
            tenant_type: "ORGANISATION".into(),
            auth_event_id: Some("ev1".into()),
            created_at: at("2026-03-01T10:00:00Z"),
            updated_at: at("2026-03-01T10:00:00Z"),
            last_seen_at: at("2026-03-01T10:00:00Z"),
            disconnected_at: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_data_directory_and_the_database_files_are_private_to_their_owner() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("tenantry").join("default");
        let store = Store::open(&dir.join("tenantry.db")).unwrap();
        store.upsert_login(&fixtures::login("a")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        for made in [&dir, &dir.parent().unwrap().to_path_buf()] {
            assert_eq!(
                mode(made),
                0o700,
                "{}: other local users must not list it",
                made.display()
            );
        }
        for file in ["tenantry.db", "tenantry.db-wal", "tenantry.db-shm"] {
            assert_eq!(
                mode(&dir.join(file)),
                0o600,
                "{file}: it names the user's clients, so only its owner may read it"
            );
        }
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
