//! The SQLite backend: a profile's own file. Several processes (the desktop app and CLI runs)
//! share it, so it runs in WAL mode with a busy timeout. One module per table.
//!
//! The database and its WAL and shared-memory files are private to their owner: the file is
//! created 0600 before SQLite opens it, and SQLite gives the WAL and SHM files the database's
//! permissions.

mod budgets;
mod calls;
mod egress;
mod events;
mod journal;
mod logins;
mod migrations;
mod notices;
mod organisations;

use super::{EventTap, OrganisationChanges, RefreshIntent, Result, Store, StoreError, from_ms, ms};
use crate::model::{Event, EventKind, Login, LoginId, LoginState, Organisation, ReasonCode};
use crate::usage::{EgressCount, EgressKey};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::OnceLock;
use std::time::Duration;

pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// Set once by the engine when `on_event` is configured.
    tap: OnceLock<EventTap>,
    /// Named in errors about the file itself (damaged), so the user knows what to move aside.
    path: Option<PathBuf>,
}

impl SqliteStore {
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
            tap: OnceLock::new(),
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

    fn data_version(&self) -> Result<i64> {
        self.with(|c| c.query_row("PRAGMA data_version", [], |r| r.get(0)))
    }
}

fn login_id(raw: String) -> rusqlite::Result<LoginId> {
    LoginId::new(raw).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

impl Store for SqliteStore {
    fn upsert_login(&self, login: &Login) -> Result<()> {
        self.upsert_login(login)
    }
    fn login(&self, id: &LoginId) -> Result<Option<Login>> {
        self.login(id)
    }
    fn logins(&self) -> Result<Vec<Login>> {
        self.logins()
    }
    fn set_login_state(
        &self,
        id: &LoginId,
        state: LoginState,
        last_error: Option<(&str, ReasonCode)>,
    ) -> Result<()> {
        self.set_login_state(id, state, last_error)
    }
    fn record_refresh(
        &self,
        id: &LoginId,
        expires_at: DateTime<Utc>,
        refresh_issued_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.record_refresh(id, expires_at, refresh_issued_at, at)
    }
    fn record_check(&self, id: &LoginId, at: DateTime<Utc>) -> Result<()> {
        self.record_check(id, at)
    }
    fn delete_login(&self, id: &LoginId) -> Result<()> {
        self.delete_login(id)
    }
    fn record_use(&self, login: &LoginId, at: DateTime<Utc>) -> Result<()> {
        self.record_use(login, at)
    }
    fn used_since(&self, since: DateTime<Utc>) -> Result<Vec<LoginId>> {
        self.used_since(since)
    }
    fn organisations(&self) -> Result<Vec<Organisation>> {
        self.organisations()
    }
    fn organisation_name(&self, tenant_id: &str) -> Result<Option<String>> {
        self.organisation_name(tenant_id)
    }
    fn organisations_of(&self, login: &LoginId) -> Result<Vec<Organisation>> {
        self.organisations_of(login)
    }
    fn replace_organisations(
        &self,
        login: &LoginId,
        current: &[Organisation],
        now: DateTime<Utc>,
    ) -> Result<OrganisationChanges> {
        self.replace_organisations(login, current, now)
    }
    fn remove_organisation(&self, login: &LoginId, tenant_id: &str) -> Result<()> {
        self.remove_organisation(login, tenant_id)
    }
    fn begin_refresh(&self, intent: &RefreshIntent) -> Result<()> {
        self.begin_refresh(intent)
    }
    fn refresh_intent(&self, login: &LoginId) -> Result<Option<RefreshIntent>> {
        self.refresh_intent(login)
    }
    fn refresh_intents(&self) -> Result<Vec<RefreshIntent>> {
        self.refresh_intents()
    }
    fn end_refresh(&self, login: &LoginId) -> Result<()> {
        self.end_refresh(login)
    }
    fn write_event(
        &self,
        at: DateTime<Utc>,
        login: Option<&LoginId>,
        kind: EventKind,
        tenant_id: Option<&str>,
        detail: &str,
    ) -> Result<Event> {
        self.write_event(at, login, kind, tenant_id, detail)
    }
    fn events(&self, login: Option<&LoginId>, limit: usize) -> Result<Vec<Event>> {
        self.events(login, limit)
    }
    fn logged_login(&self, selector: &str) -> Result<Option<LoginId>> {
        self.logged_login(selector)
    }
    fn last_event(&self, kind: EventKind) -> Result<Option<Event>> {
        self.last_event(kind)
    }
    fn record_calls_left(&self, tenant_id: &str, day_left: u32, at: DateTime<Utc>) -> Result<()> {
        self.record_calls_left(tenant_id, day_left, at)
    }
    fn calls_left(&self) -> Result<HashMap<String, (u32, DateTime<Utc>)>> {
        self.calls_left()
    }
    fn add_egress(&self, counts: &[(EgressKey, EgressCount)]) -> Result<()> {
        self.add_egress(counts)
    }
    fn add_calls(&self, calls: &[crate::calls::CallRecord]) -> Result<()> {
        self.add_calls(calls)
    }
    fn calls(&self, filter: &crate::calls::CallFilter) -> Result<Vec<crate::calls::CallRecord>> {
        self.calls(filter)
    }
    fn forget_calls(&self, before: DateTime<Utc>) -> Result<u64> {
        self.forget_calls(before)
    }
    fn egress(&self, from: NaiveDate, until: NaiveDate) -> Result<Vec<(EgressKey, EgressCount)>> {
        self.egress(from, until)
    }
    fn egress_by_tenant(
        &self,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<HashMap<String, EgressCount>> {
        self.egress_by_tenant(from, until)
    }
    fn notices_said(&self) -> Result<HashMap<String, DateTime<Utc>>> {
        self.notices_said()
    }
    fn record_notice(&self, key: &str, at: DateTime<Utc>) -> Result<()> {
        self.record_notice(key, at)
    }
    fn data_version(&self) -> Result<i64> {
        self.data_version()
    }
    fn event_taps(&self) -> &OnceLock<EventTap> {
        &self.tap
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
        let store = SqliteStore::open(&dir.join("tenantry.db")).unwrap();
        Store::upsert_login(&store, &crate::store::fixtures::login("a")).unwrap();
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
        let err = SqliteStore::open(&path)
            .err()
            .expect("garbage must not open");
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
