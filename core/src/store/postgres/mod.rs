//! The PostgreSQL backend: a practice's shared database (`database_url`), the same tables as the
//! SQLite file, reached by every machine of the practice. One module per table group; every
//! connection (the store's, the change feed's, the locks' one) is opened by `connect::open`, with
//! the TLS `sslmode` and `sslrootcert` ask for (`tls/`: verify-full by default for a server on
//! another machine).
//!
//! One connection per store, behind a mutex like SQLite's; a connection the server or the network
//! dropped is replaced on the next call, so a long-running app survives a database restart. The
//! schema is migrated by refinery under an advisory lock (two machines starting at once must not
//! both create it), and a schema with steps this binary does not know is refused.

mod budgets;
mod calls;
mod connect;
mod egress;
mod events;
mod journal;
mod listen;
mod lock;
mod logins;
mod notices;
mod organisations;
mod password;
mod practice;
mod rates;
#[cfg(test)]
mod scratch;
mod sealed;
mod tls;

pub use crate::model::practice::{CodeTaken, Member, PracticeRow};
pub use listen::ChangeFeed;
pub use lock::{LockSession, PracticeLock};
pub use rates::RateBook;
#[cfg(test)]
pub(crate) use scratch::Scratch;
pub use sealed::Finish;

use super::{EventTap, OrganisationChanges, RefreshIntent, Result, Store, StoreError};
use crate::model::{Event, EventKind, Login, LoginId, LoginState, Organisation, ReasonCode};
use crate::usage::{EgressCount, EgressKey};
use chrono::{DateTime, NaiveDate, Utc};
use postgres::Client;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

pub struct PostgresStore {
    /// The database, and the TLS every connection to it uses.
    target: connect::Target,
    /// `host:port/database`, named in every error about reaching it (never the password).
    server: String,
    /// The connection and when it last answered.
    client: Mutex<Option<(Client, std::time::Instant)>>,
    /// The connection holding this process's login locks.
    locks: std::sync::Arc<lock::Locks>,
    tap: OnceLock<EventTap>,
    /// Who this machine acts as, written with every event and refresh in flight.
    actor: OnceLock<Actor>,
}

/// The person and the machine behind the writes of one store.
#[derive(Debug, Clone)]
struct Actor {
    person: String,
    machine: String,
}

/// What a statement can fail with, before it is put in the caller's terms.
enum Fault {
    Pg(postgres::Error),
    /// A row the binary cannot read (a bad login id): the database was written by something else.
    Data(String),
}

impl From<postgres::Error> for Fault {
    fn from(e: postgres::Error) -> Self {
        Self::Pg(e)
    }
}

type Sql<T> = std::result::Result<T, Fault>;

fn login_id(raw: String) -> Sql<LoginId> {
    LoginId::new(raw).map_err(|e| Fault::Data(e.to_string()))
}

/// Whether `url` may be `database_url`: a PostgreSQL URL with a user and no password (a password
/// in the configuration file would be a secret in a plain file; PGPASSWORD or ~/.pgpass hold it).
pub fn check_url(url: &str) -> std::result::Result<(), String> {
    let (config, _) = connect::parse(url).map_err(|e| match e {
        StoreError::BadUrl(reason) => {
            format!("{reason}; write it as postgres://USER@HOST:PORT/DATABASE")
        }
        other => other.to_string(),
    })?;
    if config.get_password().is_some() {
        return Err("holds a password; remove it from the URL and put it in ~/.pgpass (chmod 0600) or PGPASSWORD".into());
    }
    Ok(())
}

impl PostgresStore {
    /// Connects to the database `url` names (a `postgres://` URL; the password from it, else
    /// `PGPASSWORD`, else `~/.pgpass` as libpq reads them) and brings its schema up to date.
    pub fn connect(url: &str) -> Result<Self> {
        let target = connect::config(url)?;
        let server = connect::server_name(&target.config);
        let store = Self {
            locks: std::sync::Arc::new(lock::Locks::new(target.clone(), server.clone())),
            target,
            server,
            client: Mutex::new(None),
            tap: OnceLock::new(),
            actor: OnceLock::new(),
        };
        store.with_client(|c| Ok(connect::migrate(c)))??;
        Ok(store)
    }

    /// From now on every event and refresh this store writes names `who` (set once, when the
    /// practice is opened; later calls change nothing).
    pub fn act_as(&self, who: &crate::model::practice::Identity) {
        let _ = self.actor.set(Actor {
            person: who.person.clone(),
            machine: who.machine.clone(),
        });
    }

    /// (person, machine) this store writes as, once set by [`PostgresStore::act_as`].
    fn acting_as(&self) -> Option<(&str, &str)> {
        self.actor
            .get()
            .map(|a| (a.person.as_str(), a.machine.as_str()))
    }

    /// `host:port/database`, for messages.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Runs `f` on the connection, connecting first if there is none (or the last one broke).
    fn with_client<T>(&self, f: impl FnOnce(&mut Client) -> Sql<T>) -> Result<T> {
        let mut held = self.client.lock().expect("store connection lock");
        // A connection idle for a while may have been dropped by the server, a restart or the
        // network without this side noticing (the client only reads its socket during a call):
        // ask it first, so a call after a link came back does not fail once on a dead socket.
        // Asking costs a round trip only after an idle second, never inside a busy stretch.
        if let Some((client, last)) = held.as_mut()
            && (client.is_closed()
                || (last.elapsed() >= IDLE_CHECK && client.is_valid(IDLE_CHECK_WAIT).is_err()))
        {
            *held = None;
        }
        if held.is_none() {
            let client = connect::open(&self.target, &self.server)?;
            *held = Some((client, std::time::Instant::now()));
        }
        let (client, last) = held.as_mut().expect("connected above");
        let result = f(client);
        *last = std::time::Instant::now();
        if client.is_closed() {
            *held = None; // the next call connects again
        }
        result.map_err(|fault| self.fault(fault))
    }

    /// A statement's failure in the caller's terms.
    fn fault(&self, fault: Fault) -> StoreError {
        match fault {
            Fault::Pg(e) => connect::store_error(e, &self.server),
            Fault::Data(detail) => StoreError::Other(format!("{}: {detail}", self.server)),
        }
    }
}

/// The change counter: moved by every committed change on any machine (the schema's triggers).
fn data_version(c: &mut Client) -> Sql<i64> {
    Ok(c.query_one("SELECT last_value FROM changes", &[])?
        .try_get(0)?)
}

/// How long a connection may sit unused before it is checked, and how long the check may take.
const IDLE_CHECK: std::time::Duration = std::time::Duration::from_secs(1);
const IDLE_CHECK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Closing a connection blocks on the client's own runtime, which panics on an async
        // worker (the engine is often dropped on one): close it on a thread of its own.
        let held = self.client.get_mut().map(Option::take).unwrap_or(None);
        if let Some((client, _)) = held {
            std::thread::spawn(move || drop(client));
        }
    }
}

impl Store for PostgresStore {
    fn upsert_login(&self, login: &Login) -> Result<()> {
        self.with_client(|c| logins::upsert(c, login))
    }
    fn login(&self, id: &LoginId) -> Result<Option<Login>> {
        self.with_client(|c| logins::one(c, id))
    }
    fn logins(&self) -> Result<Vec<Login>> {
        self.with_client(logins::all)
    }
    fn set_login_state(
        &self,
        id: &LoginId,
        state: LoginState,
        last_error: Option<(&str, ReasonCode)>,
    ) -> Result<()> {
        self.with_client(|c| logins::set_state(c, id, state, last_error))
    }
    fn record_refresh(
        &self,
        id: &LoginId,
        expires_at: DateTime<Utc>,
        refresh_issued_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.with_client(|c| logins::record_refresh(c, id, expires_at, refresh_issued_at, at))
    }
    fn record_check(&self, id: &LoginId, at: DateTime<Utc>) -> Result<()> {
        self.with_client(|c| logins::record_check(c, id, at))
    }
    fn delete_login(&self, id: &LoginId) -> Result<()> {
        self.with_client(|c| logins::delete(c, id))
    }
    fn record_use(&self, login: &LoginId, at: DateTime<Utc>) -> Result<()> {
        self.with_client(|c| logins::record_use(c, login, at))
    }
    fn used_since(&self, since: DateTime<Utc>) -> Result<Vec<LoginId>> {
        self.with_client(|c| logins::used_since(c, since))
    }
    fn organisations(&self) -> Result<Vec<Organisation>> {
        self.with_client(organisations::all)
    }
    fn organisation_name(&self, tenant_id: &str) -> Result<Option<String>> {
        self.with_client(|c| organisations::name(c, tenant_id))
    }
    fn organisations_of(&self, login: &LoginId) -> Result<Vec<Organisation>> {
        self.with_client(|c| organisations::of(c, login))
    }
    fn replace_organisations(
        &self,
        login: &LoginId,
        current: &[Organisation],
        now: DateTime<Utc>,
    ) -> Result<OrganisationChanges> {
        self.with_client(|c| organisations::replace(c, login, current, now))
    }
    fn remove_organisation(&self, login: &LoginId, tenant_id: &str) -> Result<()> {
        self.with_client(|c| organisations::remove(c, login, tenant_id))
    }
    fn begin_refresh(&self, intent: &RefreshIntent) -> Result<()> {
        let machine = self.actor.get().map(|a| a.machine.as_str());
        self.with_client(|c| journal::begin_refresh(c, intent, machine))
    }
    fn refresh_intent(&self, login: &LoginId) -> Result<Option<RefreshIntent>> {
        self.with_client(|c| journal::refresh_intent(c, login))
    }
    fn refresh_intents(&self) -> Result<Vec<RefreshIntent>> {
        self.with_client(journal::refresh_intents)
    }
    fn end_refresh(&self, login: &LoginId) -> Result<()> {
        self.with_client(|c| journal::end_refresh(c, login))
    }
    fn write_event(
        &self,
        at: DateTime<Utc>,
        login: Option<&LoginId>,
        kind: EventKind,
        tenant_id: Option<&str>,
        detail: &str,
    ) -> Result<Event> {
        let by = self.acting_as();
        self.with_client(|c| events::write(c, at, login, kind, tenant_id, detail, by))
    }
    fn events(&self, login: Option<&LoginId>, limit: usize) -> Result<Vec<Event>> {
        self.with_client(|c| events::newest(c, login, None, limit))
    }
    fn logged_login(&self, selector: &str) -> Result<Option<LoginId>> {
        self.with_client(|c| events::logged_login(c, selector))
    }
    fn last_event(&self, kind: EventKind) -> Result<Option<Event>> {
        self.with_client(|c| Ok(events::newest(c, None, Some(kind), 1)?.into_iter().next()))
    }
    fn record_calls_left(&self, tenant_id: &str, day_left: u32, at: DateTime<Utc>) -> Result<()> {
        self.with_client(|c| budgets::record_calls_left(c, tenant_id, day_left, at))
    }
    fn calls_left(&self) -> Result<HashMap<String, (u32, DateTime<Utc>)>> {
        self.with_client(budgets::calls_left)
    }
    fn add_egress(&self, counts: &[(EgressKey, EgressCount)]) -> Result<()> {
        self.with_client(|c| egress::add_egress(c, counts))
    }
    fn add_calls(&self, rows: &[crate::calls::CallRecord]) -> Result<()> {
        let by = self.acting_as();
        self.with_client(|c| calls::add(c, rows, by))
    }
    fn calls(&self, filter: &crate::calls::CallFilter) -> Result<Vec<crate::calls::CallRecord>> {
        self.with_client(|c| calls::newest(c, filter))
    }
    fn forget_calls(&self, before: DateTime<Utc>) -> Result<u64> {
        self.with_client(|c| calls::forget(c, before))
    }
    fn egress(&self, from: NaiveDate, until: NaiveDate) -> Result<Vec<(EgressKey, EgressCount)>> {
        self.with_client(|c| egress::egress(c, from, until))
    }
    fn egress_by_tenant(
        &self,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<HashMap<String, EgressCount>> {
        self.with_client(|c| egress::egress_by_tenant(c, from, until))
    }
    fn notices_said(&self) -> Result<HashMap<String, DateTime<Utc>>> {
        self.with_client(notices::notices_said)
    }
    fn record_notice(&self, key: &str, at: DateTime<Utc>) -> Result<()> {
        self.with_client(|c| notices::record_notice(c, key, at))
    }
    fn data_version(&self) -> Result<i64> {
        self.with_client(data_version)
    }
    fn event_taps(&self) -> &OnceLock<EventTap> {
        &self.tap
    }
}

#[cfg(test)]
mod tests;
