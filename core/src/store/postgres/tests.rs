//! Tests of the PostgreSQL backend's connecting: a schema from a newer Tenantry refused, one
//! already current opened without the migration lock.

use super::*;

#[test]
fn a_schema_already_up_to_date_is_opened_without_waiting_for_the_migration_lock() {
    let scratch = Scratch::new("schema_current");
    // Another machine migrating holds the lock (as a slow or stuck one would).
    let mut migrating = scratch::admin(scratch.url());
    migrating
        .execute(
            "SELECT pg_advisory_lock($1)",
            &[&super::connect::SCHEMA_LOCK],
        )
        .unwrap();
    let url = scratch.url().to_owned();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(PostgresStore::connect(&url).is_ok());
    });
    let opened = rx.recv_timeout(std::time::Duration::from_secs(5));
    assert_eq!(
        opened,
        Ok(true),
        "one query said the schema is this binary's; the lock was not waited for"
    );
    // Let a connect still waiting (on code without that query) finish.
    migrating
        .execute(
            "SELECT pg_advisory_unlock($1)",
            &[&super::connect::SCHEMA_LOCK],
        )
        .unwrap();
}

#[test]
fn a_schema_from_a_newer_tenantry_is_refused() {
    let scratch = Scratch::new("newer_schema");
    let mut admin = scratch::admin(scratch.url());
    admin
        .execute(
            "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES (99, 'from_the_future', '2027-01-01T00:00:00Z', '1')",
            &[],
        )
        .unwrap();
    let err = PostgresStore::connect(scratch.url())
        .err()
        .expect("a newer schema must not be used");
    assert!(
        matches!(err, StoreError::TooNew { found: 99, .. }),
        "never write into a schema a newer binary shaped; say to upgrade, got {err:?}"
    );
}

#[test]
fn a_wrong_password_is_refused_and_says_where() {
    let url =
        scratch::server_url().replacen("postgres://tenantry@", "postgres://tenantry:wrong@", 1);
    let err = PostgresStore::connect(&url)
        .err()
        .expect("a wrong password must not connect");
    match &err {
        StoreError::Refused { server, .. } => assert!(
            server.starts_with("127.0.0.1:"),
            "the error names the server to check, got {server}"
        ),
        other => panic!("a wrong password is the user's to fix, not a retry: {other:?}"),
    }
    assert!(
        !err.to_string().contains("wrong"),
        "the message never repeats the password: {err}"
    );
}

#[test]
fn a_server_that_is_not_there_is_unreachable_by_name() {
    // A port nobody listens on: bound and closed at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = PostgresStore::connect(&format!("postgres://ann@127.0.0.1:{port}/practice"))
        .err()
        .expect("nothing listens there");
    assert!(
        matches!(&err, StoreError::Unreachable { server, .. } if *server == format!("127.0.0.1:{port}/practice")),
        "an absent server is named, so the user knows which to start, got {err:?}"
    );
}

#[test]
fn a_connection_the_server_cut_is_replaced_on_the_next_call() {
    let scratch = Scratch::new("cut_connection");
    let store = scratch.store();
    store
        .upsert_login(&crate::store::fixtures::login("a"))
        .unwrap();
    let mut admin = scratch::admin(scratch.url());
    let pid: i32 = store
        .with_client(|c| Ok(c.query_one("SELECT pg_backend_pid()", &[])?.get(0)))
        .unwrap();
    let cut: bool = admin
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap()
        .get(0);
    assert!(
        cut,
        "the store's own connection was cut (and no other test's)"
    );
    let first = store.logins();
    assert!(
        matches!(first, Err(StoreError::Unreachable { .. })),
        "the call on the cut connection fails as unreachable (a retry may work), got {first:?}"
    );
    assert_eq!(
        store.logins().unwrap().len(),
        1,
        "the next call connects again: a long-running app survives a database restart"
    );
}
