//! The pure decisions, table by table; every mode against the suite's real servers is in
//! `servers`.

mod servers;

use super::*;
use crate::store::StoreError;

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
