//! Every mode against the suite's two real servers (scripts/lib/with-postgres.sh): one serving
//! TLS with a certificate for `localhost` and 127.0.0.1 from a CA made for the run
//! (`TENANTRY_TEST_PG_CA`), one with TLS off (`TENANTRY_TEST_DATABASE_URL_NOTLS`).

use crate::model::LoginId;
use crate::store::StoreError;
use crate::store::postgres::PostgresStore;
use crate::store::postgres::scratch::{admin, server_url};
use std::time::{Duration, Instant};

/// The test CA's certificate file.
fn ca() -> String {
    std::env::var("TENANTRY_TEST_PG_CA").expect(
        "TENANTRY_TEST_PG_CA is not set: run the tests through scripts/lib/with-postgres.sh",
    )
}

/// The suite's server with TLS, at `host` (the name the certificate is checked against) while
/// connecting to 127.0.0.1, with `params` added.
fn tls_server_as(host: &str, params: &str) -> String {
    let base = server_url();
    let port = base
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(port, _)| port.to_owned())
        .expect("the suite's URL names a port");
    format!("postgres://tenantry@{host}:{port}/postgres?hostaddr=127.0.0.1&{params}")
}

fn the_tls_off_server(params: &str) -> String {
    let base = std::env::var("TENANTRY_TEST_DATABASE_URL_NOTLS").expect(
        "TENANTRY_TEST_DATABASE_URL_NOTLS is not set: run the tests through scripts/lib/with-postgres.sh",
    );
    if params.is_empty() {
        base
    } else {
        format!("{base}?{params}")
    }
}

/// Whether the store's own connection is encrypted, as the server sees it.
fn encrypted(store: &PostgresStore) -> bool {
    store
        .with_client(|c| {
            Ok(c.query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )?
            .get(0))
        })
        .unwrap()
}

fn refused(url: &str) -> (String, String) {
    match PostgresStore::connect(url) {
        Err(StoreError::Tls { server, reason }) => (server, reason),
        Err(other) => panic!("{url}: a TLS refusal says so, got {other:?}"),
        Ok(_) => panic!("{url}: must not connect"),
    }
}

/// A database of the test's own on the TLS server, so the sessions in it are this test's only.
struct Database {
    admin: postgres::Client,
    name: String,
}

impl Database {
    fn new(test: &str) -> Self {
        let mut admin = admin(&server_url());
        let mut tag = [0u8; 4];
        getrandom::fill(&mut tag).expect("random bytes");
        let name = format!("tls_{test}_{:08x}", u32::from_le_bytes(tag));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("a database of the test's own");
        Self { admin, name }
    }

    fn url(&self, params: &str) -> String {
        let base = server_url();
        let (server, _) = base
            .rsplit_once('/')
            .expect("the suite's URL names a database");
        format!("{server}/{}?{params}", self.name)
    }

    /// Whether the session `pid` in this database is encrypted; None while there is none.
    fn session_encrypted(&mut self, pid: i32) -> Option<bool> {
        self.admin
            .query_opt(
                "SELECT ssl FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE pid = $1 AND datname = $2",
                &[&pid, &self.name],
            )
            .unwrap()
            .map(|row| row.get(0))
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = self.admin.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

#[test]
fn verify_full_with_the_ca_connects_and_the_store_the_feed_and_a_lock_are_all_encrypted() {
    let mut db = Database::new("all_encrypted");
    let store =
        PostgresStore::connect(&db.url(&format!("sslmode=verify-full&sslrootcert={}", ca())))
            .expect("verify-full with the CA that signed the server's certificate connects");
    let store_session: i32 = store
        .with_client(|c| Ok(c.query_one("SELECT pg_backend_pid()", &[])?.get(0)))
        .unwrap();
    let _feed = store.listen();
    let started = Instant::now();
    let feed_session = loop {
        let found = db
            .admin
            .query_opt(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'tenantry listen'",
                &[&db.name],
            )
            .unwrap();
        if let Some(row) = found {
            break row.get::<_, i32>(0);
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the change feed connects within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let lock = store
        .lock_login(&LoginId::new("a").unwrap(), Duration::from_secs(5))
        .unwrap();
    for (connection, pid) in [
        ("the store's connection", store_session),
        ("the change feed's LISTEN connection", feed_session),
        ("a refresh's lock connection", lock.session().backend_pid()),
    ] {
        assert_eq!(
            db.session_encrypted(pid),
            Some(true),
            "{connection} is TLS, as pg_stat_ssl sees it: every connection goes through one connector"
        );
    }
}

#[test]
fn verify_full_refuses_a_certificate_for_another_name_and_names_the_server() {
    let store = PostgresStore::connect(&tls_server_as(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", ca()),
    ))
    .expect("the same server, CA and address, by a name its certificate holds, connects");
    assert!(encrypted(&store), "over TLS");
    let url = tls_server_as(
        "db.wrong.invalid",
        &format!("sslmode=verify-full&sslrootcert={}", ca()),
    );
    let (server, reason) = refused(&url);
    assert!(
        server.starts_with("db.wrong.invalid:") && server.ends_with("/postgres"),
        "the error names the server as the URL does, got {server}"
    );
    assert!(
        reason.contains("not valid for db.wrong.invalid (it is for localhost, 127.0.0.1)")
            && reason.contains("check the host name in database_url"),
        "the message says whose name the certificate lacks, whose it has, and what to check: {reason}"
    );
}

#[test]
fn verify_ca_with_the_ca_connects_by_any_name_but_not_with_another_ca() {
    let store = PostgresStore::connect(&tls_server_as(
        "db.wrong.invalid",
        &format!("sslmode=verify-ca&sslrootcert={}", ca()),
    ))
    .expect("verify-ca checks the chain, not the name");
    assert!(encrypted(&store), "and the connection is TLS");

    // A file of many CAs, none of them the one that signed the server's certificate.
    let bundle = "/etc/ssl/certs/ca-certificates.crt";
    assert!(
        std::path::Path::new(bundle).exists(),
        "{bundle} (ca-certificates, installed by scripts/setup.sh) is the file of other CAs"
    );
    for mode in ["verify-ca", "require"] {
        let (_, reason) = refused(&tls_server_as(
            "localhost",
            &format!("sslmode={mode}&sslrootcert={bundle}"),
        ));
        assert!(
            reason.contains(&format!("not signed by a CA in sslrootcert {bundle}")),
            "{mode} with a root file trusts that file's CAs only (require: as verify-ca, as in libpq): {reason}"
        );
    }
}

#[test]
fn verify_full_without_sslrootcert_trusts_only_the_systems_cas() {
    let (server, reason) = refused(&format!("{}?sslmode=verify-full", server_url()));
    assert!(
        server.starts_with("127.0.0.1:"),
        "names the server: {server}"
    );
    assert!(
        reason.contains("not signed by a CA this system trusts")
            && reason.contains("sslrootcert=PATH"),
        "the test's CA is in no system store: say so and how to name it, got {reason}"
    );
    let (_, reason) = refused(&format!(
        "{}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
        server_url()
    ));
    assert!(
        reason.contains("cannot read sslrootcert /nonexistent/ca.pem"),
        "a root certificate file that cannot be read is named: {reason}"
    );
}

#[test]
fn require_against_a_server_without_tls_is_refused_and_prefer_goes_in_the_clear() {
    for mode in ["require", "verify-full"] {
        let (server, reason) = refused(&the_tls_off_server(&format!(
            "sslmode={mode}&sslrootcert={}",
            ca()
        )));
        assert!(
            server.starts_with("127.0.0.1:"),
            "names the server: {server}"
        );
        assert!(
            reason.contains("does not offer TLS")
                && reason.contains(&format!("sslmode={mode} in database_url requires it")),
            "{mode}: no TLS, no connection, and the message says why: {reason}"
        );
    }
    // No sslmode: on this machine, prefer.
    for params in ["sslmode=prefer", "sslmode=disable", ""] {
        let store = PostgresStore::connect(&the_tls_off_server(params))
            .unwrap_or_else(|e| panic!("{params}: a server without TLS is used in the clear: {e}"));
        assert!(
            !encrypted(&store),
            "{params}: in the clear, since the server offers nothing else"
        );
    }
    let store = PostgresStore::connect(&format!("{}?sslmode=prefer", server_url())).unwrap();
    assert!(
        encrypted(&store),
        "prefer takes TLS wherever the server offers it"
    );
}
