//! The pure decisions, table by table; then every mode against the suite's two real servers
//! (scripts/lib/with-postgres.sh): one serving TLS with a certificate for `localhost` and
//! 127.0.0.1 from a CA made for the run (`TENANTRY_TEST_PG_CA`), one with TLS off
//! (`TENANTRY_TEST_DATABASE_URL_NOTLS`).

use super::*;
use crate::model::LoginId;
use crate::store::StoreError;
use crate::store::postgres::PostgresStore;
use crate::store::postgres::scratch::{admin, server_url};
use std::time::{Duration, Instant};

fn no_env() -> Env {
    Env::default()
}

fn file(path: &str) -> Option<RootCert> {
    Some(RootCert::File(PathBuf::from(path)))
}

#[test]
fn sslmode_and_sslrootcert_come_out_of_the_url_and_the_rest_is_left_alone() {
    use SslMode::*;
    let table: [(&str, &str, Option<SslMode>, Option<RootCert>); 7] = [
        ("postgres://ann@db/p", "postgres://ann@db/p", None, None),
        (
            "postgres://ann@db/p?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            "postgres://ann@db/p",
            Some(VerifyFull),
            file("/etc/ca.pem"),
        ),
        (
            "postgres://ann@db/p?application_name=x&sslmode=require&connect_timeout=5",
            "postgres://ann@db/p?application_name=x&connect_timeout=5",
            Some(Require),
            None,
        ),
        (
            "postgres://ann@db/p?sslrootcert=%2Fhome%2Fann%2Fmy%20ca.pem&options=-c%20x%3D1",
            "postgres://ann@db/p?options=-c%20x%3D1",
            None,
            file("/home/ann/my ca.pem"),
        ),
        (
            "postgresql://ann:p?ss@db/p?sslmode=disable",
            "postgresql://ann:p?ss@db/p",
            Some(Disable),
            None,
        ),
        (
            "postgres://ann@db/p?sslrootcert=system",
            "postgres://ann@db/p",
            None,
            Some(RootCert::System),
        ),
        (
            "postgres://ann@db/p?sslmode=prefer&sslrootcert=",
            "postgres://ann@db/p",
            Some(Prefer),
            None,
        ),
    ];
    for (url, rest, mode, root) in table {
        let (left, given) = split(url, &no_env()).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(
            left, rest,
            "{url}: the client gets the URL without the two settings it cannot read, and nothing else changed"
        );
        assert_eq!(
            given.mode.map(|(m, _)| m),
            mode,
            "{url}: sslmode as written"
        );
        assert_eq!(
            given.root, root,
            "{url}: sslrootcert decoded as the client decodes values"
        );
    }
}

#[test]
fn the_environment_fills_in_what_the_url_does_not_say() {
    let env = Env {
        sslmode: Some("verify-ca".into()),
        sslrootcert: Some("/env/ca.pem".into()),
    };
    let (_, given) = split("postgres://ann@db/p", &env).unwrap();
    assert_eq!(
        (given.mode, given.root),
        (Some((SslMode::VerifyCa, Source::Env)), file("/env/ca.pem")),
        "PGSSLMODE and PGSSLROOTCERT apply when the URL says nothing, as in libpq"
    );
    let (_, given) = split("postgres://ann@db/p?sslmode=require", &env).unwrap();
    assert_eq!(
        (given.mode, given.root),
        (Some((SslMode::Require, Source::Url)), file("/env/ca.pem")),
        "the URL's sslmode wins, and PGSSLROOTCERT still fills in the root it does not name"
    );
    let (_, given) = split("postgres://ann@db/p?sslrootcert=/url/ca.pem", &env).unwrap();
    assert_eq!(
        given.root,
        file("/url/ca.pem"),
        "the URL's sslrootcert wins over PGSSLROOTCERT"
    );
    let empty = Env {
        sslmode: Some(String::new()),
        sslrootcert: Some(String::new()),
    };
    let (_, given) = split("postgres://ann@db/p", &empty).unwrap();
    assert_eq!(
        given,
        Given::default(),
        "an empty variable is no setting (an `export PGSSLMODE=` left behind)"
    );
}

#[test]
fn an_unknown_sslmode_is_refused_naming_the_accepted_values() {
    for url in [
        "postgres://ann@db/p?sslmode=allow",
        "postgres://ann@db/p?sslmode=verify_full",
        "postgres://ann@db/p?sslmode=VERIFY-FULL",
        "postgres://ann@db/p?sslmode=",
    ] {
        let err = split(url, &no_env()).expect_err(url);
        assert!(
            err.contains("disable, prefer, require, verify-ca or verify-full"),
            "{url}: the refusal names what would be accepted, got {err}"
        );
    }
    let env = Env {
        sslmode: Some("on".into()),
        sslrootcert: None,
    };
    let err = split("postgres://ann@db/p", &env).expect_err("PGSSLMODE=on");
    assert!(
        err.starts_with("PGSSLMODE=on"),
        "a bad PGSSLMODE is named as the variable, so it is not looked for in database_url: {err}"
    );
    let err = crate::store::postgres::connect::parse("postgres://ann@db/p?sslmode=verify")
        .expect_err("a bad sslmode is a bad URL");
    assert!(
        matches!(err, StoreError::BadUrl(_)),
        "a bad sslmode is refused before connecting, as a configuration error: {err:?}"
    );
}

#[test]
fn loopback_is_this_machine_and_anything_else_is_the_network() {
    for (host, loopback) in [
        ("localhost", true),
        ("LocalHost", true),
        ("127.0.0.1", true),
        ("127.10.0.3", true),
        ("::1", true),
        ("[::1]", true),
        ("db.example.com", false),
        ("localhost.example.com", false),
        ("10.0.0.5", false),
        ("192.168.1.10", false),
        ("::ffff:10.0.0.5", false),
    ] {
        assert_eq!(is_loopback(host), loopback, "{host}");
    }
    for (url, expected) in [
        ("postgres://a@127.0.0.1:5432/p", Reach::Loopback),
        ("postgres://a@localhost/p", Reach::Loopback),
        ("postgres://a@[::1]:5433/p", Reach::Loopback),
        ("postgres://a@db.example.com/p", Reach::Network),
        ("postgres://a@localhost,db.example.com/p", Reach::Network),
        (
            "postgres://a@db.example.com/p?hostaddr=127.0.0.1",
            Reach::Network,
        ),
        ("postgres://a@localhost/p?hostaddr=10.0.0.5", Reach::Network),
        // A path is a Unix socket's only where the client has Unix sockets.
        #[cfg(unix)]
        ("postgres://a@%2Fvar%2Frun%2Fpostgresql/p", Reach::Socket),
    ] {
        let config = std::str::FromStr::from_str(url).unwrap();
        assert_eq!(
            reach(&config),
            expected,
            "{url}: another machine if any host or address is one"
        );
    }
}

#[test]
fn each_mode_means_what_libpq_says_and_the_default_depends_on_the_host() {
    use Check::*;
    use Reach::*;
    use SslMode::*;
    let system = || ChainAndName(RootCert::System);
    let ca = || PathBuf::from("/ca.pem");
    // (sslmode, sslrootcert, where the server is) → the plan, or the start of the refusal.
    type Case = (
        Option<SslMode>,
        Option<RootCert>,
        Reach,
        Result<Plan, &'static str>,
    );
    let table: Vec<Case> = vec![
        // No sslmode anywhere: verify-full across a network, prefer on this machine.
        (None, None, Network, Ok(Plan::Required(system()))),
        (None, None, Loopback, Ok(Plan::IfOffered)),
        (
            None,
            file("/ca.pem"),
            Network,
            Ok(Plan::Required(ChainAndName(RootCert::File(ca())))),
        ),
        (
            None,
            Some(RootCert::System),
            Loopback,
            Ok(Plan::Required(system())),
        ),
        (Some(Disable), None, Network, Ok(Plan::Off)),
        (Some(Prefer), None, Network, Ok(Plan::IfOffered)),
        // prefer can be downgraded anyway: a root certificate would check nothing that matters.
        (Some(Prefer), file("/ca.pem"), Network, Ok(Plan::IfOffered)),
        (Some(Require), None, Network, Ok(Plan::Required(Nothing))),
        // libpq: require with a root certificate is verify-ca.
        (
            Some(Require),
            file("/ca.pem"),
            Network,
            Ok(Plan::Required(Chain(ca()))),
        ),
        (
            Some(VerifyCa),
            file("/ca.pem"),
            Loopback,
            Ok(Plan::Required(Chain(ca()))),
        ),
        (
            Some(VerifyCa),
            None,
            Network,
            Err("sslmode=verify-ca needs sslrootcert=PATH"),
        ),
        (
            Some(VerifyFull),
            None,
            Loopback,
            Ok(Plan::Required(system())),
        ),
        (
            Some(VerifyFull),
            file("/ca.pem"),
            Network,
            Ok(Plan::Required(ChainAndName(RootCert::File(ca())))),
        ),
        (
            Some(VerifyFull),
            Some(RootCert::System),
            Network,
            Ok(Plan::Required(system())),
        ),
        // libpq 16: the system's CAs only with the host name checked.
        (
            Some(VerifyCa),
            Some(RootCert::System),
            Network,
            Err("sslrootcert=system needs sslmode=verify-full"),
        ),
        (
            Some(Require),
            Some(RootCert::System),
            Network,
            Err("sslrootcert=system needs sslmode=verify-full"),
        ),
        (
            Some(Disable),
            Some(RootCert::System),
            Loopback,
            Err("sslrootcert=system needs sslmode=verify-full"),
        ),
        // PostgreSQL never speaks TLS on a Unix socket; libpq ignores sslmode there.
        (Some(VerifyFull), None, Socket, Ok(Plan::Off)),
        (None, None, Socket, Ok(Plan::Off)),
    ];
    for (mode, root, reach, expected) in table {
        let given = Given {
            mode: mode.map(|m| (m, Source::Url)),
            root: root.clone(),
        };
        let case = format!("sslmode {mode:?}, sslrootcert {root:?}, {reach:?}");
        match (given.decide(reach), expected) {
            (Ok(tls), Ok(plan)) => assert_eq!(tls.plan, plan, "{case}"),
            (Err(e), Err(start)) => assert!(e.starts_with(start), "{case}: {e}"),
            (got, expected) => panic!("{case}: got {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn a_refusal_says_what_is_wrong_and_what_to_change() {
    let network_default = Given::default().decide(Reach::Network).unwrap();
    let with_file = Given {
        mode: Some((SslMode::VerifyFull, Source::Url)),
        root: file("/home/ann/ca.pem"),
    }
    .decide(Reach::Network)
    .unwrap();
    let from_env = Given {
        mode: Some((SslMode::Require, Source::Env)),
        root: None,
    }
    .decide(Reach::Network)
    .unwrap();
    let wrong_name = Refusal::WrongName {
        expected: "db.example.com".into(),
        presented: vec!["other.example.com".into()],
    };
    for (tls, refusal, says) in [
        (
            &network_default,
            &wrong_name,
            &[
                "not valid for db.example.com (it is for other.example.com)",
                "check the host name in database_url",
                "sslmode=verify-ca",
            ][..],
        ),
        (
            &network_default,
            &Refusal::UnknownIssuer,
            &[
                "not signed by a CA this system trusts",
                "sslrootcert=PATH",
                "verify-full is the default for a server on another machine",
            ],
        ),
        (
            &with_file,
            &Refusal::UnknownIssuer,
            &["not signed by a CA in sslrootcert /home/ann/ca.pem"],
        ),
        (
            &network_default,
            &Refusal::NotOffered,
            &[
                "does not offer TLS",
                "sslmode=verify-full (the default: database_url gives none) requires it",
            ],
        ),
        (
            &from_env,
            &Refusal::NotOffered,
            &["sslmode=require from PGSSLMODE requires it"],
        ),
        (&with_file, &Refusal::OutOfDate, &["expired", "clock"]),
    ] {
        let message = tls.explain(refusal);
        for part in says {
            assert!(
                message.contains(part),
                "{refusal:?}: the message names the fault and the fix ({part}), got {message}"
            );
        }
    }
}

// Against the suite's servers.

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
