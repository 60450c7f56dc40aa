//! Reaching the practice database: the URL and its password, the connection, the schema, and what
//! each failure means to the person who has to fix it. Every connection Tenantry makes to it (the
//! store's, the change feed's, the locks' one) is opened by [`open`], with the TLS the URL asks for
//! (`tls/`).

use super::{password, tls};
use crate::store::StoreError;
use postgres::Client;
use postgres::error::SqlState;
use std::str::FromStr;
use std::time::Duration;

/// Each step of the schema, from `migrations/` (append only: a released step never changes).
mod embedded {
    refinery::embed_migrations!("src/store/postgres/migrations");
}

/// Held while migrating, so two machines starting at once do not both create the schema. The
/// number is Tenantry's own (`tenantry-schema` hashed); another application's lock would have to
/// pick the same 64 bits.
pub(super) const SCHEMA_LOCK: i64 = 0x7465_6e61_6e74_7279;

/// How long a connection attempt may take before the command says the server did not answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a statement sent may go unacknowledged before this side gives the connection up: a
/// link that died silently (a pulled cable, dead Wi-Fi) otherwise holds a call for the kernel's
/// ~15 minutes of retransmissions. Waiting *at* the server (for a lock) is acknowledged, so it
/// is not cut short.
const UNACKNOWLEDGED: Duration = Duration::from_secs(20);
/// What the server is asked to do for this session, so that it ends the session of a machine
/// whose link died, and frees its advisory lock, within about 25 s: probe a quiet connection
/// after 10 s, every 5 s, giving up after 3 unanswered probes; and give up an answer left
/// unacknowledged for 20 s (keepalives do not run while data is waiting). The server's defaults
/// are the system's, two hours and ~15 minutes, for which a dead machine would keep every other
/// machine from refreshing the login it was refreshing. Any user may set these (PostgreSQL 12+
/// for `tcp_user_timeout`).
const SERVER_KEEPALIVES: &str = "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3 -c tcp_user_timeout=20000";

/// The practice database as a connection needs it: the client's settings, and the TLS the
/// client cannot hold itself, with its connector built once (it may read the root certificate
/// file and the system's trusted CAs) and shared by every connection.
#[derive(Clone)]
pub(super) struct Target {
    pub config: postgres::Config,
    tls: tls::Tls,
    connector: tls::Connector,
}

/// Parses `url` and fills in what libpq would: the password from `PGPASSWORD` or the password
/// file, a connect timeout, the TLS settings (from `PGSSLMODE` and `PGSSLROOTCERT` when the URL
/// has none); and TCP keepalives and timeouts on both ends, so a machine whose link died is
/// noticed by the server, which then releases its locks, and by the machine itself.
pub(super) fn config(url: &str) -> Result<Target, StoreError> {
    let (mut config, tls) = parse(url)?;
    if config.get_password().is_none()
        && let Some(found) = password::find(&config, &password::Sources::from_env())
    {
        config.password(found);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.keepalives(true);
    config.keepalives_idle(Duration::from_secs(30));
    config.tcp_user_timeout(UNACKNOWLEDGED);
    // Sent in the start-up message (no extra round trip), after any options the URL gives.
    let options = match config.get_options() {
        Some(own) if !own.trim().is_empty() => format!("{own} {SERVER_KEEPALIVES}"),
        _ => SERVER_KEEPALIVES.to_owned(),
    };
    config.options(&options);
    config.application_name("tenantry");
    config.ssl_mode(tls.client_mode());
    let connector = tls::Connector::new(&tls).map_err(|reason| StoreError::Tls {
        server: server_name(&config),
        reason,
    })?;
    Ok(Target {
        config,
        tls,
        connector,
    })
}

/// The URL as the client reads it, and what it asks of TLS; refused when it is not PostgreSQL's,
/// names no user, or asks for TLS in a way that cannot be met.
pub(super) fn parse(url: &str) -> Result<(postgres::Config, tls::Tls), StoreError> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(StoreError::BadUrl(
            "it must start with postgres:// (for example postgres://ann@db.example.com/practice)"
                .into(),
        ));
    }
    let (rest, given) = tls::split(url, &tls::Env::from_env()).map_err(StoreError::BadUrl)?;
    let config =
        postgres::Config::from_str(&rest).map_err(|e| StoreError::BadUrl(e.to_string()))?;
    if config.get_user().is_none() {
        return Err(StoreError::BadUrl(
            "it names no user (postgres://USER@host/database)".into(),
        ));
    }
    let tls = given
        .decide(tls::reach(&config))
        .map_err(StoreError::BadUrl)?;
    Ok((config, tls))
}

/// `host:port/database`: what a person needs to find the server, and nothing secret.
pub(super) fn server_name(config: &postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{db}")
}

/// A new connection to `target`, with the TLS its URL asks for; `server` names it in errors.
pub(super) fn open(target: &Target, server: &str) -> Result<Client, StoreError> {
    target.connector.connect(&target.config).map_err(|e| {
        if let Some(refusal) = tls::refusal(&e) {
            return StoreError::Tls {
                server: server.to_owned(),
                reason: target.tls.explain(&refusal),
            };
        }
        let mut err = store_error(e, server);
        if let StoreError::Unreachable { reason, .. } = &mut err
            && target.config.get_password().is_none()
        {
            reason.push_str("; no password was given (database_url, PGPASSWORD or ~/.pgpass)");
        }
        err
    })
}

/// Brings the schema up to date, or refuses one with steps this binary does not know.
pub(super) fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let pg = |e: postgres::Error| StoreError::Other(format!("while migrating the schema: {e}"));
    let runner = embedded::migrations::runner().set_abort_missing(true);
    let known = runner
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0);
    // Nearly always the schema is already this binary's: one query says so, where the lock and
    // the runner's own reads cost every starting process several round trips.
    if schema_version(client) == Some(known) {
        return Ok(());
    }
    client
        .execute("SELECT pg_advisory_lock($1)", &[&SCHEMA_LOCK])
        .map_err(pg)?;
    let outcome = runner.run(client);
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&SCHEMA_LOCK])
        .map_err(pg)?;
    match outcome {
        Ok(_) => Ok(()),
        Err(e) => Err(match e.kind() {
            refinery::error::Kind::MissingVersion(newer) => StoreError::TooNew {
                found: i64::from(newer.version()),
                known,
            },
            _ => StoreError::Other(format!("while migrating the schema: {e}")),
        }),
    }
}

/// The newest step the schema has taken (refinery's history), if it has one.
fn schema_version(client: &mut Client) -> Option<i64> {
    let row = client
        .query_one("SELECT max(version) FROM refinery_schema_history", &[])
        .ok()?;
    row.try_get::<_, Option<i32>>(0).ok()?.map(i64::from)
}

/// Puts a PostgreSQL failure in the terms of what the user does next.
pub(super) fn store_error(e: postgres::Error, server: &str) -> StoreError {
    let reason = match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => e.to_string(),
    };
    let server = server.to_owned();
    let Some(code) = e.code() else {
        // No answer from a server at all: refused, timed out, or the connection dropped.
        return StoreError::Unreachable { server, reason };
    };
    match code {
        c if *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::LOCK_NOT_AVAILABLE =>
        {
            StoreError::Busy
        }
        c if *c == SqlState::INVALID_PASSWORD
            || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
            || *c == SqlState::INVALID_CATALOG_NAME
            || *c == SqlState::INSUFFICIENT_PRIVILEGE =>
        {
            StoreError::Refused { server, reason }
        }
        c if *c == SqlState::DISK_FULL => StoreError::DiskFull,
        c if *c == SqlState::READ_ONLY_SQL_TRANSACTION => {
            StoreError::ReadOnly(format!("{server}: {reason}"))
        }
        // Class 08 (connection exception) and the server going away under us (terminated,
        // shutting down, starting up).
        c if c.code().starts_with("08")
            || *c == SqlState::ADMIN_SHUTDOWN
            || *c == SqlState::CRASH_SHUTDOWN
            || *c == SqlState::CANNOT_CONNECT_NOW =>
        {
            StoreError::Unreachable { server, reason }
        }
        _ => StoreError::Other(format!("{server}: {reason}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_that_is_not_postgres_is_refused_with_an_example() {
        for bad in [
            "mysql://a@b/c",
            "db.example.com",
            "postgres://db.example.com/practice",
        ] {
            let err = parse(bad).expect_err(bad);
            assert!(
                matches!(err, StoreError::BadUrl(_)),
                "{bad}: a bad database_url must say what a good one looks like, got {err:?}"
            );
        }
    }

    #[test]
    fn the_server_is_named_without_the_password() {
        let (config, _) = parse("postgres://ann:hunter2@db.example.com:6543/practice").unwrap();
        let name = server_name(&config);
        assert_eq!(
            name, "db.example.com:6543/practice",
            "errors name where the server is, never its password"
        );
    }
}
