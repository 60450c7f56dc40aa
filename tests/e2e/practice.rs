//! Practice mode through the CLI: several machines (each its own configuration, data directory
//! and keychain entries, and its own person and machine name) sharing one practice on the suite's
//! real PostgreSQL server (scripts/lib/with-postgres.sh), in a schema of its own per test.

use crate::util::*;
use chrono::Duration;
use std::collections::HashSet;
use std::process::Command;
use tenantry_core::config::Config;
use tenantry_fake_xero::Options;

/// A fresh schema on the suite's server, dropped at the end; `psql` and `pg_dump` reach it with
/// the suite's PGPASSWORD.
pub(crate) struct Database {
    pub(crate) base: String,
    pub(crate) schema: String,
    pub(crate) url: String,
}

impl Database {
    pub(crate) fn new(test: &str) -> Self {
        let base = std::env::var("TENANTRY_TEST_DATABASE_URL").expect(
            "TENANTRY_TEST_DATABASE_URL is not set: practice mode's tests need PostgreSQL; run them through scripts/test.sh",
        );
        let schema = format!(
            "e2e_{test}_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let db = Self {
            url: format!("{base}?options=-c%20search_path%3D{schema}"),
            base,
            schema,
        };
        db.sql(&format!("CREATE SCHEMA {}", db.schema));
        db
    }

    /// Runs one statement as the suite's user; its output, unaligned.
    pub(crate) fn sql(&self, statement: &str) -> String {
        let out = Command::new("psql")
            .args([&self.base, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c"])
            .arg(format!("SET search_path = {}; {statement}", self.schema))
            .output()
            .expect("run psql (setup installs postgresql-client)");
        assert!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Everything the practice database holds, as a database administrator's backup has it.
    fn dump(&self) -> String {
        let out = Command::new("pg_dump")
            .args([&self.base, "--schema", &self.schema, "--no-owner"])
            .output()
            .expect("run pg_dump");
        assert!(
            out.status.success(),
            "pg_dump: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([&self.base, "-X", "-q", "-c"])
            .arg(format!("DROP SCHEMA {} CASCADE", self.schema))
            .output();
    }
}

/// One machine of the practice: its own configuration file, data directory, keychain service
/// and names.
pub(crate) struct Machine {
    pub(crate) cli: Tenantry,
    service: String,
}

pub(crate) fn machine(it: &Instance, url: &str, name: &str, person: &str) -> Machine {
    let dir = it.dir.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let service = format!("{}-{name}", it.config.keychain_service);
    let config = Config {
        database_url: Some(url.to_owned()),
        machine_name: Some(name.to_owned()),
        person_name: Some(person.to_owned()),
        keychain_service: service.clone(),
        ..it.config.clone()
    };
    let path = dir.join("config.toml");
    config.save(&path).unwrap();
    Machine {
        cli: Tenantry {
            config: path,
            data: dir,
            passphrase: None,
        },
        service,
    }
}

impl Machine {
    pub(crate) async fn run(&self, args: &[&str]) -> Ran {
        self.cli.run(args).await
    }

    /// Leaves no practice key in the real keychain.
    pub(crate) fn forget_key(&self, key_id: &str) {
        let entry = tenantry_core::practice::key_entry(key_id);
        let _ = tenantry_core::vault::named::delete(self.vault().as_ref(), &entry);
    }

    /// The machine's vault: its own keychain service in the suite's Secret Service.
    pub(crate) fn vault(&self) -> std::sync::Arc<dyn tenantry_core::vault::TokenVault> {
        std::sync::Arc::new(tenantry_core::vault::KeychainVault::platform(&self.service))
    }

    /// An engine in this process on the machine's configuration and vault, as its `tenantry`
    /// processes open it.
    pub(crate) async fn engine(&self, it: &Instance) -> tenantry_core::Engine {
        let config = Config::load(&self.cli.config).unwrap();
        let clock = std::sync::Arc::new(it.clock.clone());
        tenantry_core::Engine::open(config, &self.cli.data, self.vault(), clock)
            .await
            .expect("the machine opens the practice")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn machines_join_one_practice_and_share_one_refresh() {
    if !keyring_available("machines_join_one_practice_and_share_one_refresh") {
        return;
    }
    let db = Database::new("share");
    let options = Options {
        access_lifetime: Duration::seconds(2),
        ..Options::default()
    };
    let it = instance_with(options, VaultKind::Keychain).await;
    let a = machine(&it, &db.url, "DESK-A", "Ann");
    let b = machine(&it, &db.url, "DESK-B", "Ben");
    let c = machine(&it, &db.url, "DESK-C", "Cara");

    let before = a.run(&["status"]).await;
    assert_eq!(
        before.status, 6,
        "no practice yet is a set-up step: {before:?}"
    );
    assert!(
        before.stderr.contains("tenantry practice init"),
        "and it says which command makes one: {before:?}"
    );
    let init = a.run(&["practice", "init"]).await;
    assert_eq!(init.status, 0, "{init:?}");
    let key_id = db.sql("SELECT key_id FROM practice");
    let again = b.run(&["practice", "init"]).await;
    assert_eq!(
        again.status, 6,
        "a second init must not replace the practice: {again:?}"
    );

    let outsider = b.run(&["status"]).await;
    assert_eq!(outsider.status, 6, "{outsider:?}");
    assert!(
        outsider.stderr.contains("has not joined") && outsider.stderr.contains("practice join"),
        "a machine without the key is told how to join, and reads nothing: {outsider:?}"
    );

    let invite = a.run(&["practice", "invite"]).await;
    assert_eq!(invite.status, 0, "{invite:?}");
    let code = invite.stdout.trim().to_owned();
    let joined = b.run(&["practice", "join", &code]).await;
    assert_eq!(joined.status, 0, "{joined:?}");
    let reused = c.run(&["practice", "join", &code]).await;
    assert_eq!(reused.status, 6, "{reused:?}");
    assert!(
        reused.stderr.contains("already used (by Ben on DESK-B)"),
        "a code joins one machine only, and the refusal says who used it: {reused:?}"
    );
    assert!(
        !db.dump().contains(&code) && !db.dump().contains(&code.replace('-', "")),
        "the database keeps a hash of the code, never the code"
    );

    it.fake.approve_as(Some(ANN));
    let connected = a.run(&["connect"]).await;
    assert_eq!(connected.status, 0, "Ann connects on DESK-A: {connected:?}");
    let seen = b.run(&["status", "--json"]).await;
    assert_eq!(seen.status, 0, "{seen:?}");
    assert!(
        seen.stdout.contains(ANN),
        "a login connected on one machine is the practice's, seen on another: {seen:?}"
    );

    // Both machines at once, after the 2-second token has expired: one refresh between them.
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    it.fake.set_access_lifetime(Duration::minutes(30));
    let refreshes_before = it.fake.refresh_calls(ANN);
    let runs: Vec<_> = (0..4)
        .flat_map(|_| [&a, &b])
        .map(|m| m.cli.command(&["token", "harbour cafe ltd"]).output())
        .collect();
    let mut tokens = HashSet::new();
    for run in runs {
        let out = run.await.expect("run tenantry");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        tokens.insert(String::from_utf8(out.stdout).unwrap());
    }
    assert_eq!(
        it.fake.refresh_calls(ANN) - refreshes_before,
        1,
        "the advisory lock makes eight processes on two machines share one refresh"
    );
    assert_eq!(tokens.len(), 1, "and every one prints the same new token");
    let tokens_first = &tokens.iter().next().cloned().unwrap();
    let spent: Vec<String> = it
        .fake
        .recorded("/connect/token")
        .into_iter()
        .flat_map(|r| r.form)
        .filter(|(key, _)| key == "refresh_token")
        .map(|(_, value)| value)
        .collect();
    assert_eq!(
        spent.iter().collect::<HashSet<_>>().len(),
        spent.len(),
        "no refresh token was spent twice"
    );

    let log = b.run(&["log"]).await;
    assert!(
        log.stdout.contains("(by Ann on DESK-A)"),
        "the log names who connected the login and where: {log:?}"
    );
    let members = a.run(&["practice", "members", "--json"]).await;
    assert_eq!(members.status, 0, "{members:?}");
    let listed: serde_json::Value = serde_json::from_str(&members.stdout).unwrap();
    let names: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["person"].as_str().unwrap(),
                m["machine"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [("Ann", "DESK-A"), ("Ben", "DESK-B")],
        "the members are the two machines that joined, not the one refused"
    );

    // What a database administrator sees: no token, code or verifier the fake issued.
    let dump = db.dump();
    assert!(
        dump.contains("sealed_tokens") && dump.contains(ANN),
        "the dump holds the practice's data (the scan below is not of an empty file)"
    );
    let mut secrets: Vec<String> = tokens.into_iter().map(|t| t.trim().to_owned()).collect();
    for request in it.fake.recorded("/connect/token") {
        for (key, value) in request.form {
            if matches!(key.as_str(), "code" | "code_verifier" | "refresh_token") {
                secrets.push(value);
            }
        }
    }
    assert!(
        secrets.len() >= 4,
        "codes, verifiers, spent and printed tokens are scanned"
    );
    for secret in &secrets {
        assert!(
            !dump.contains(secret.as_str()),
            "a secret reached the practice database"
        );
    }

    // A machine leaves: the key is rotated, and only machines that join again read tokens.
    let rotated = a.run(&["practice", "rotate-key"]).await;
    assert_eq!(rotated.status, 0, "{rotated:?}");
    assert!(
        rotated.stdout.contains("1 token set re-sealed"),
        "{rotated:?}"
    );
    let new_key_id = db.sql("SELECT key_id FROM practice");
    assert_ne!(new_key_id, key_id, "the practice has a new key");
    let stale = b.run(&["token", "harbour cafe ltd"]).await;
    assert_eq!(stale.status, 6, "the old key opens nothing: {stale:?}");
    assert!(
        stale.stderr.contains("join"),
        "and the machine is told to join again: {stale:?}"
    );
    let kept = a.run(&["token", "harbour cafe ltd"]).await;
    assert_eq!(
        kept.stdout, *tokens_first,
        "the re-sealed token set is the same one, read under the new key: {kept:?}"
    );
    let code = a
        .run(&["practice", "invite"])
        .await
        .stdout
        .trim()
        .to_owned();
    let back = b.run(&["practice", "join", &code]).await;
    assert_eq!(back.status, 0, "{back:?}");

    // Remove the login through the practice, so the fake and the keychain are left clean.
    let removed = b.run(&["remove", ANN, "--yes"]).await;
    assert_eq!(removed.status, 0, "{removed:?}");
    for m in [&a, &b, &c] {
        m.forget_key(&key_id);
        m.forget_key(&new_key_id);
    }
}

/// A cold `tenantry token` whose stored access token is fresh serves it without the login's
/// lock: another machine refreshing that login (holding its lock) does not hold up a read, and
/// no lock connection is opened for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_token_with_a_fresh_stored_token_does_not_wait_for_the_login_s_lock() {
    let test = "a_cold_token_with_a_fresh_stored_token_does_not_wait_for_the_login_s_lock";
    if !keyring_available(test) {
        return;
    }
    let db = Database::new("cold_read");
    let it = instance_with(Options::default(), VaultKind::Keychain).await;
    let a = machine(&it, &db.url, "DESK-A", "Ann");
    assert_eq!(a.run(&["practice", "init"]).await.status, 0);
    it.fake.approve_as(Some(ANN));
    let connected = a.run(&["connect"]).await;
    assert_eq!(connected.status, 0, "{connected:?}");
    let login = tenantry_core::model::LoginId::new(db.sql("SELECT id FROM logins")).unwrap();

    // Another machine holds Ann's lock (as while it refreshes her login).
    let url = db.url.clone();
    let held = tokio::task::spawn_blocking(move || {
        let other = tenantry_core::store::postgres::PostgresStore::connect(&url).unwrap();
        let lock = other
            .lock_login(&login, std::time::Duration::from_secs(5))
            .unwrap();
        (other, lock)
    })
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let token = a.run(&["token", "Harbour Cafe Ltd"]).await;
    assert_eq!(token.status, 0, "{token:?}");
    assert!(!token.stdout.trim().is_empty());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "served without waiting for the lock (up to 90 s): {:?}",
        started.elapsed()
    );
    tokio::task::spawn_blocking(move || drop(held))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unreachable_practice_database_is_named_and_costs_no_token_request() {
    let it = instance().await;
    let port = free_ports()[0];
    let url = format!("postgres://tenantry@127.0.0.1:{port}/practice");
    let m = machine(&it, &url, "DESK-D", "Dee");
    let ran = m.run(&["token", "harbour cafe ltd"]).await;
    assert_eq!(
        ran.status, 5,
        "a database down is passing, as Xero down is: {ran:?}"
    );
    assert!(
        ran.stderr.contains(&format!("127.0.0.1:{port}")),
        "the error names the server to check: {ran:?}"
    );
    assert_eq!(
        it.fake.total_refresh_calls(),
        0,
        "no token request without the lock"
    );
}

#[tokio::test]
async fn a_practice_database_without_the_tls_asked_for_is_refused_with_what_to_change() {
    let it = instance().await;
    let plain = std::env::var("TENANTRY_TEST_DATABASE_URL_NOTLS").expect(
        "TENANTRY_TEST_DATABASE_URL_NOTLS is not set: run the tests through scripts/test.sh",
    );
    let server = plain
        .strip_prefix("postgres://tenantry@")
        .expect("the suite's URL names its user");
    let m = machine(&it, &format!("{plain}?sslmode=require"), "DESK-T", "Tess");
    let ran = m.run(&["token", "harbour cafe ltd"]).await;
    assert_eq!(
        ran.status, 6,
        "a TLS refusal is the configuration's to change, not a retry: {ran:?}"
    );
    assert!(
        ran.stderr.contains(server)
            && ran
                .stderr
                .contains("does not offer TLS, and sslmode=require in database_url requires it"),
        "the user is told which server, what is wrong and which setting asked for it: {ran:?}"
    );
    assert_eq!(
        it.fake.total_refresh_calls(),
        0,
        "nothing is sent in the clear instead"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_machines_own_logins_move_into_the_practice_each_whole_or_not_at_all() {
    if !keyring_available("a_machines_own_logins_move_into_the_practice_each_whole_or_not_at_all") {
        return;
    }
    let db = Database::new("migrate");
    let it = instance_with(Options::default(), VaultKind::Keychain).await;
    let m = machine(&it, &db.url, "DESK-M", "Mia");
    let n = machine(&it, &db.url, "DESK-N", "Ned");
    // Both machines start as local profiles; both connect Ann, and M connects Ben too.
    for (machine, users) in [(&m, &[ANN, BEN][..]), (&n, &[ANN][..])] {
        assert_eq!(
            machine
                .run(&["config", "unset", "database_url"])
                .await
                .status,
            0
        );
        for user in users {
            it.fake.approve_as(Some(user));
            let connected = machine.run(&["connect"]).await;
            assert_eq!(connected.status, 0, "{connected:?}");
        }
    }
    let local_token = m.run(&["token", "harbour cafe ltd"]).await.stdout;
    let status: serde_json::Value =
        serde_json::from_str(&m.run(&["status", "--json"]).await.stdout).unwrap();
    let ids: Vec<String> = status["logins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);

    for machine in [&m, &n] {
        let set = machine
            .run(&["config", "set", "database_url", &db.url])
            .await;
        assert_eq!(set.status, 0, "{set:?}");
    }
    assert_eq!(m.run(&["practice", "init"]).await.status, 0);
    let moved = m.run(&["practice", "migrate"]).await;
    assert_eq!(moved.status, 0, "{moved:?}");
    assert!(
        moved.stdout.contains(&format!("moved      {ANN}"))
            && moved.stdout.contains(&format!("moved      {BEN}")),
        "each login is named as moved: {moved:?}"
    );
    let refreshes = it.fake.total_refresh_calls();
    let shared = m.run(&["token", "harbour cafe ltd"]).await;
    assert_eq!(
        shared.stdout, local_token,
        "the practice serves the very token set the local profile held: {shared:?}"
    );
    assert_eq!(
        it.fake.total_refresh_calls(),
        refreshes,
        "moving spent no refresh token"
    );
    let keychain = tenantry_core::vault::KeychainVault::platform(&m.service);
    for id in &ids {
        let login = tenantry_core::model::LoginId::new(id.clone()).unwrap();
        assert!(
            tenantry_core::vault::TokenVault::load(&keychain, &login)
                .unwrap()
                .is_none(),
            "a moved login's local token set is gone: one refresh chain, not two"
        );
    }
    let again = m.run(&["practice", "migrate"]).await;
    assert!(again.stdout.contains("no logins to move"), "{again:?}");

    // N's own Ann is the same Xero login the practice now has: it is left as it was.
    let code = m
        .run(&["practice", "invite"])
        .await
        .stdout
        .trim()
        .to_owned();
    assert_eq!(n.run(&["practice", "join", &code]).await.status, 0);
    let kept = n.run(&["practice", "migrate"]).await;
    assert_eq!(kept.status, 0, "{kept:?}");
    assert!(
        kept.stdout.contains(&format!("in already {ANN}")),
        "a login the practice already has is not overwritten: {kept:?}"
    );
    let n_keychain = tenantry_core::vault::KeychainVault::platform(&n.service);
    let ann = tenantry_core::model::LoginId::new(ids[0].clone()).unwrap();
    let ben = tenantry_core::model::LoginId::new(ids[1].clone()).unwrap();
    let n_ann = if tenantry_core::vault::TokenVault::load(&n_keychain, &ann)
        .unwrap()
        .is_some()
    {
        ann
    } else {
        ben
    };
    assert!(
        tenantry_core::vault::TokenVault::load(&n_keychain, &n_ann)
            .unwrap()
            .is_some(),
        "and its local token set is untouched"
    );
    let _ = tenantry_core::vault::TokenVault::delete(&n_keychain, &n_ann);
    let key_id = db.sql("SELECT key_id FROM practice");
    for machine in [&m, &n] {
        machine.forget_key(&key_id);
    }
}
