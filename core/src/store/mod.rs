//! The metadata store: logins, organisations, the refresh journal, the event log, the notes
//! keep-alive and the window keep (token use, notices said), and what Xero last said was left of
//! each organisation's daily API budget. One interface, [`Store`], two backends:
//!
//! - [`sqlite`]: a profile's own file (the default): one machine, several processes.
//! - [`postgres`]: a practice's shared database (`database_url`): several machines.
//!
//! It holds everything but secrets: no token, code or verifier is ever written through this
//! interface (the refresh journal identifies a refresh token by its fingerprint only). Every
//! multi-row change is one transaction. Calls block (on a busy file or a network round trip), so
//! the engine makes them on tokio's blocking threads, never on an async worker.
//!
//! The same behaviour tests run against both backends (`behaviour`).

#[cfg(test)]
mod behaviour;
mod error;
pub mod postgres;
pub mod sqlite;

pub use error::StoreError;
pub use sqlite::SqliteStore;

use crate::model::{Event, EventKind, Login, LoginId, LoginState, Organisation, ReasonCode};
use crate::usage::{EgressCount, EgressKey};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// What the store hands each event it has written (the `on_event` hooks' queue), with the name
/// of its organisation as stored at that moment (a disconnect removes the row soon after).
pub type EventTap = Box<dyn Fn(Event, Option<String>) + Send + Sync>;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

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

/// What [`Store::replace_organisations`] changed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct OrganisationChanges {
    /// Listed now and not before (new, or back after being disconnected).
    pub added: Vec<Organisation>,
    /// Listed before and not now: marked disconnected (as stored before the mark).
    pub removed: Vec<Organisation>,
}

/// The store's interface. Both backends keep the same rules; the behaviour tests say them.
pub trait Store: Send + Sync {
    // --- logins: one row per Xero user, never a token ---

    /// Creates the login or updates everything about it except when it was first connected.
    fn upsert_login(&self, login: &Login) -> Result<()>;
    fn login(&self, id: &LoginId) -> Result<Option<Login>>;
    /// Every login, by email then id.
    fn logins(&self) -> Result<Vec<Login>>;
    fn set_login_state(
        &self,
        id: &LoginId,
        state: LoginState,
        last_error: Option<(&str, ReasonCode)>,
    ) -> Result<()>;
    /// Records a successful refresh: new expiry and refresh-token date, state back to connected.
    fn record_refresh(
        &self,
        id: &LoginId,
        expires_at: DateTime<Utc>,
        refresh_issued_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Xero's `/connections` answered for this login at `at` (a sign-in, a check, a sync).
    fn record_check(&self, id: &LoginId, at: DateTime<Utc>) -> Result<()>;
    /// Deletes the login, its organisations and its journal entry. Its events stay, so the log
    /// still explains what happened.
    fn delete_login(&self, id: &LoginId) -> Result<()>;
    /// Notes that a caller got an access token for `login` (never moving the note back), so the
    /// app keeps it fresh ahead of the next call.
    fn record_use(&self, login: &LoginId, at: DateTime<Utc>) -> Result<()>;
    /// Logins a caller got a token for at or after `since`.
    fn used_since(&self, since: DateTime<Utc>) -> Result<Vec<LoginId>>;

    // --- organisations: one row per (login, tenant) ---

    /// Every organisation row, by name (any case), tenant, login.
    fn organisations(&self) -> Result<Vec<Organisation>>;
    /// An organisation's name by tenant id, any case (for the `on_event` hook's TENANTRY_ORG).
    fn organisation_name(&self, tenant_id: &str) -> Result<Option<String>>;
    fn organisations_of(&self, login: &LoginId) -> Result<Vec<Organisation>>;
    /// Makes `current` the login's list of connected organisations (as `GET /connections`
    /// returned it at `now`), in one transaction: rows it no longer lists are marked disconnected
    /// (keeping when they were last seen), and it says what was added and removed.
    fn replace_organisations(
        &self,
        login: &LoginId,
        current: &[Organisation],
        now: DateTime<Utc>,
    ) -> Result<OrganisationChanges>;
    fn remove_organisation(&self, login: &LoginId, tenant_id: &str) -> Result<()>;

    // --- the refresh journal: the crash-safety of the refresh protocol rests on it ---

    /// Writes (or replaces) the login's intent.
    fn begin_refresh(&self, intent: &RefreshIntent) -> Result<()>;
    fn refresh_intent(&self, login: &LoginId) -> Result<Option<RefreshIntent>>;
    /// Every intent, oldest first.
    fn refresh_intents(&self) -> Result<Vec<RefreshIntent>>;
    fn end_refresh(&self, login: &LoginId) -> Result<()>;

    // --- events: the activity log, append only ---

    /// Appends an event, with the login's name and email from its row or, once the row is gone
    /// (the `removed` event itself), from its newest event that has them; returns it as stored.
    fn write_event(
        &self,
        at: DateTime<Utc>,
        login: Option<&LoginId>,
        kind: EventKind,
        tenant_id: Option<&str>,
        detail: &str,
    ) -> Result<Event>;
    /// The newest `limit` events, newest first, optionally for one login.
    fn events(&self, login: Option<&LoginId>, limit: usize) -> Result<Vec<Event>>;
    /// The login whose events `selector` names by exact id or email (any case), newest first:
    /// how `log --login` finds a login that has been removed, whose events stay.
    fn logged_login(&self, selector: &str) -> Result<Option<LoginId>>;
    /// The newest event of `kind`, if any.
    fn last_event(&self, kind: EventKind) -> Result<Option<Event>>;

    // --- what Xero last said was left of each organisation's day, and notices said ---

    /// Notes the calls left today for a tenant (kept lower case) as Xero said them at `at`.
    fn record_calls_left(&self, tenant_id: &str, day_left: u32, at: DateTime<Utc>) -> Result<()>;
    /// Each tenant's calls left and when Xero said so.
    fn calls_left(&self) -> Result<HashMap<String, (u32, DateTime<Utc>)>>;
    // --- egress: what Xero's APIs sent back (`crate::usage`) ---

    /// Adds each count to what is kept under its key, in one transaction.
    fn add_egress(&self, counts: &[(EgressKey, EgressCount)]) -> Result<()>;
    /// Every count kept for the days `from..until`.
    fn egress(&self, from: NaiveDate, until: NaiveDate) -> Result<Vec<(EgressKey, EgressCount)>>;
    /// The same days' counts summed per organisation (tenant id, lower case), by the database.
    fn egress_by_tenant(
        &self,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<HashMap<String, EgressCount>>;

    // --- the call log (`crate::calls`) ---

    /// Appends the calls, in one transaction; in a practice each is marked with who serves it.
    fn add_calls(&self, calls: &[crate::calls::CallRecord]) -> Result<()>;
    /// The newest calls the filter names, newest first.
    fn calls(&self, filter: &crate::calls::CallFilter) -> Result<Vec<crate::calls::CallRecord>>;
    /// Forgets the calls before `before`; how many there were.
    fn forget_calls(&self, before: DateTime<Utc>) -> Result<u64>;

    /// When each notice was last said.
    fn notices_said(&self) -> Result<HashMap<String, DateTime<Utc>>>;
    fn record_notice(&self, key: &str, at: DateTime<Utc>) -> Result<()>;

    // --- the store as a whole ---

    /// Changes whenever another connection (another Tenantry process or machine) commits: a
    /// cheap way for a long-running window to notice what someone else did.
    fn data_version(&self) -> Result<i64>;
    /// Where the `on_event` tap lives (set once).
    fn event_taps(&self) -> &OnceLock<EventTap>;

    /// Appends an event and hands it to the `on_event` tap, if one is set.
    fn add_event(
        &self,
        at: DateTime<Utc>,
        login: Option<&LoginId>,
        kind: EventKind,
        tenant_id: Option<&str>,
        detail: &str,
    ) -> Result<()> {
        let event = self.write_event(at, login, kind, tenant_id, detail)?;
        if let Some(tap) = self.event_taps().get() {
            let name = match &event.tenant_id {
                Some(tenant) => self.organisation_name(tenant)?,
                None => None,
            };
            tap(event, name);
        }
        Ok(())
    }

    /// Hands every event written from now on to `tap` (once; later taps are ignored).
    fn tap_events(&self, tap: EventTap) {
        let _ = self.event_taps().set(tap);
    }
}

/// The store a profile's configuration names: the practice database when `database_url` is set,
/// else the profile's own file in `data_dir` (created if missing). Blocks: call it off async
/// workers (the PostgreSQL client runs its own runtime, and refuses to start inside another).
pub fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Arc<dyn Store>> {
    Ok(match database_url {
        Some(url) => Arc::new(postgres::PostgresStore::connect(url)?),
        None => Arc::new(SqliteStore::open(&data_dir.join("tenantry.db"))?),
    })
}

/// As [`open`], for a look that must create nothing: None when the profile has no file yet.
pub fn open_existing(
    database_url: Option<&str>,
    data_dir: &Path,
) -> Result<Option<Arc<dyn Store>>> {
    if database_url.is_none() && !data_dir.join("tenantry.db").exists() {
        return Ok(None);
    }
    open(database_url, data_dir).map(Some)
}

/// Times are stored as Unix milliseconds in both backends: one format, no zone to get wrong.
fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn from_ms(v: i64) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
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
