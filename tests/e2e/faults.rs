//! Faults outside the token endpoint's happy path: the API (connections, Organisation) answering
//! 401/403/429/500, a token endpoint that never answers, the SQLite file locked, damaged or on a
//! disk that refuses writes, and the keychain daemon dying in the middle of a refresh. For each:
//! a clear error with a stable code, no loop hammering Xero, and nothing stored lost.

use crate::util::*;
use chrono::Duration;
#[cfg(target_os = "linux")]
use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::process::Stdio;
#[cfg(target_os = "linux")]
use std::process::{Child, Command};
use std::sync::Arc;
use tenantry_core::ErrorCode;
use tenantry_core::config::Config;
use tenantry_core::engine::Engine;
use tenantry_core::model::LoginState;
use tenantry_fake_xero::{ApiFault, Fault, Options};

const CONNECTIONS: &str = "/connections";
const ORGANISATION: &str = "/api.xro/2.0/Organisation";

#[tokio::test]
async fn connections_faults_are_reported_once_and_keep_the_stored_organisations() {
    let it = instance().await;
    let ann = it.connect(ANN).await.login;
    let before = it.engine.organisations().await.unwrap();
    let tokens_before = it.vault.load(&ann.id).unwrap().unwrap();
    let table = [
        (ApiFault::ServerError, ErrorCode::Unreachable, "try again"),
        (
            ApiFault::RateLimited(42),
            ErrorCode::RateLimited,
            "retry after 42 s",
        ),
        (
            ApiFault::Forbidden,
            ErrorCode::XeroRejected,
            "check the app's settings",
        ),
    ];
    for (fault, code, says) in table {
        let calls = it.fake.api_calls(CONNECTIONS);
        it.fake.inject_api(fault, 1);
        let err = it
            .engine
            .sync_organisations(&ann.id)
            .await
            .expect_err("the fault reaches the caller");
        assert_eq!(err.code(), code, "{fault:?}: the UI branches on this code");
        assert!(
            err.to_string().contains(says),
            "{fault:?}: the message names the next step: {err}"
        );
        assert_eq!(
            it.fake.api_calls(CONNECTIONS),
            calls + 1,
            "{fault:?}: one call, no retry loop against a failing Xero"
        );
        assert_eq!(
            it.engine.organisations().await.unwrap(),
            before,
            "{fault:?}: a failed listing must not drop the organisations we know"
        );
    }
    assert_eq!(
        it.vault.load(&ann.id).unwrap().unwrap(),
        tokens_before,
        "API faults never touch the token set"
    );
    assert_eq!(
        it.engine.sync_organisations(&ann.id).await.unwrap().len(),
        before.len(),
        "once Xero answers again, the listing works"
    );
}

#[tokio::test]
async fn a_401_on_an_unexpired_token_refreshes_once_and_retries_once() {
    let it = instance().await;
    let ann = it.connect(ANN).await.login;
    let harbour = it.tenant("Harbour Cafe Ltd");
    let refreshes = it.fake.refresh_calls(ANN);
    let listings = it.fake.api_calls(CONNECTIONS);

    // Xero revoked the access token early (or our clock is behind): one refresh fixes it.
    it.fake.inject_api(ApiFault::Unauthorized, 1);
    it.engine
        .sync_organisations(&ann.id)
        .await
        .expect("the retry with a refreshed token succeeds");
    assert_eq!(
        it.fake.refresh_calls(ANN),
        refreshes + 1,
        "a 401 costs exactly one refresh"
    );
    assert_eq!(
        it.fake.api_calls(CONNECTIONS),
        listings + 2,
        "the 401, then one retry"
    );

    it.fake.inject_api(ApiFault::Unauthorized, 1);
    it.engine
        .test_organisation(&harbour)
        .await
        .expect("the Organisation call is retried the same way");
    assert_eq!(it.fake.refresh_calls(ANN), refreshes + 2);

    // A token Xero keeps rejecting: one refresh, one retry, then a clear error. No loop.
    let api_calls = it.fake.api_calls(ORGANISATION);
    it.fake.inject_api(ApiFault::Unauthorized, 2);
    let err = it.engine.test_organisation(&harbour).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("reconnect the login if this persists"),
        "the message says what a human does next: {err}"
    );
    assert_eq!(it.fake.refresh_calls(ANN), refreshes + 3);
    assert_eq!(
        it.fake.api_calls(ORGANISATION),
        api_calls + 2,
        "exactly one retry"
    );
    assert_eq!(
        it.engine.logins().await.unwrap()[0].state,
        LoginState::Connected,
        "a 401 is not invalid_grant: the login is not marked for reconnection"
    );
}

#[tokio::test]
async fn a_slow_token_endpoint_works_and_a_silent_one_times_out_losing_nothing() {
    let it = instance().await;
    let ann = it.connect(ANN).await.login;
    let harbour = it.tenant("Harbour Cafe Ltd");
    let impatient = Engine::open(
        Config {
            timeout_secs: 1,
            ..it.config.clone()
        },
        it.dir.path(),
        it.vault.clone(),
        Arc::new(it.clock.clone()),
    )
    .await
    .unwrap();
    // Slow but within the timeout: simply works.
    it.advance(Duration::minutes(31));
    it.fake.inject(Fault::Delay(400), 1);
    impatient
        .access_token_for(&harbour)
        .await
        .expect("a slow answer inside the timeout is fine");

    let before = it.vault.load(&ann.id).unwrap().unwrap();
    it.advance(Duration::minutes(31));
    it.fake.inject(Fault::Delay(20_000), 1);

    let started = std::time::Instant::now();
    let err = impatient.access_token_for(&harbour).await.unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the configured 1 s timeout bounds the wait, not the server"
    );
    assert_eq!(
        err.code(),
        ErrorCode::Unreachable,
        "a timeout is worth retrying"
    );
    assert!(err.to_string().contains("timed out"), "and says so: {err}");
    assert_eq!(
        it.vault.load(&ann.id).unwrap().unwrap().refresh_token,
        before.refresh_token,
        "the refresh token that may have been spent stays until an answer proves otherwise"
    );

    it.advance(Duration::seconds(5)); // past the back-off
    impatient
        .access_token_for(&harbour)
        .await
        .expect("the next attempt works (within the grace if the first one rotated)");
    assert_eq!(
        it.fake.with(|w| w.invalid_grants),
        0,
        "no refresh token was lost"
    );
}

/// The CLI on a data directory whose database another process holds an exclusive lock on.
#[tokio::test]
async fn a_database_locked_by_another_process_is_waited_for_then_reported() {
    if !keyring_available("a_database_locked_by_another_process_is_waited_for_then_reported") {
        return;
    }
    let it = instance_with(Options::default(), VaultKind::Keychain).await;
    let cli = Tenantry::for_instance(&it);
    it.connect(ANN).await;
    let harbour = it.tenant("Harbour Cafe Ltd");
    let db = it.dir.path().join("tenantry.db");
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    it.fake.advance(Duration::minutes(31));
    let refreshes = it.fake.refresh_calls(ANN);

    let ran = cli.run(&["refresh", ANN]).await;
    assert_eq!(
        ran.status, 8,
        "storage trouble has its own exit status: {ran:?}"
    );
    assert!(
        ran.stdout.contains("locked by another process"),
        "the message says why and what to do: {ran:?}"
    );
    assert_eq!(
        it.fake.refresh_calls(ANN),
        refreshes,
        "without its journal entry the refresh must not start"
    );

    holder.execute_batch("COMMIT").unwrap();
    drop(holder);
    let ran = cli.run(&["token", &harbour]).await;
    assert_eq!(ran.status, 0, "released, everything works: {ran:?}");
}

#[tokio::test]
async fn a_damaged_database_is_named_and_left_untouched() {
    if !keyring_available("a_damaged_database_is_named_and_left_untouched") {
        return;
    }
    let it = instance_with(Options::default(), VaultKind::Keychain).await;
    let cli = Tenantry::for_instance(&it);
    let ann = it.connect(ANN).await.login;
    let db = it.dir.path().join("tenantry.db");
    // Checkpoint: the damage must hit the only copy of page 1, not one the WAL would shadow.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[..100].copy_from_slice(&[0x5a; 100]); // the header: "file is not a database"
    std::fs::write(&db, &bytes).unwrap();

    for command in [&["status"][..], &["token", "Harbour Cafe Ltd"]] {
        let ran = cli.run(command).await;
        assert_eq!(ran.status, 8, "{command:?}: {ran:?}");
        assert!(
            ran.stderr.contains("damaged") && ran.stderr.contains(&db.display().to_string()),
            "{command:?}: the message names the file to move aside: {ran:?}"
        );
    }
    assert_eq!(
        std::fs::read(&db).unwrap(),
        bytes,
        "Tenantry never rewrites a file it cannot read: the user may want to recover it"
    );
    assert!(
        it.vault.load(&ann.id).unwrap().is_some(),
        "the tokens in the keychain survive the damaged metadata"
    );
}

/// Every write to a regular file fails (RLIMIT_FSIZE 0, as on a full disk); reads still work.
/// Unix only: the limit is set with the shell's `ulimit`, and Windows has no such limit.
#[cfg(unix)]
#[tokio::test]
async fn a_disk_that_refuses_writes_stops_a_refresh_before_xero_is_asked() {
    if !keyring_available("a_disk_that_refuses_writes_stops_a_refresh_before_xero_is_asked") {
        return;
    }
    let it = instance_with(Options::default(), VaultKind::Keychain).await;
    let cli = Tenantry::for_instance(&it);
    let ann = it.connect(ANN).await.login;
    let harbour = it.tenant("Harbour Cafe Ltd");
    let tokens = it.vault.load(&ann.id).unwrap().unwrap();
    // An open connection keeps the WAL and shared-memory files, so the child can open the
    // database and fails at its first write, as it would when the disk fills mid-run.
    let _keep_wal = rusqlite::Connection::open(it.dir.path().join("tenantry.db")).unwrap();
    let refreshes = it.fake.refresh_calls(ANN);

    let mut full = std::process::Command::new("sh");
    full.arg("-c")
        .arg(r#"trap '' XFSZ; ulimit -f 0; exec "$0" "$@""#)
        .arg(tenantry_bin())
        .args(["refresh", ANN])
        .env("TENANTRY_CONFIG", &cli.config)
        .env("TENANTRY_DATA_DIR", &cli.data)
        .stdin(Stdio::null());
    let out = tokio::process::Command::from(full).output().await.unwrap();
    // `refresh` reports per login on stdout.
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(8), "storage exit status: {said}");
    assert!(
        said.contains("could not be written") && said.contains("free space"),
        "the message says what to do: {said}"
    );
    assert_eq!(
        it.fake.refresh_calls(ANN),
        refreshes,
        "a refresh that cannot journal its intent must not spend the refresh token"
    );
    assert_eq!(
        it.vault.load(&ann.id).unwrap().unwrap(),
        tokens,
        "the stored token set is untouched"
    );
    let ran = cli.run(&["token", &harbour]).await;
    assert_eq!(ran.status, 0, "with space again, everything works: {ran:?}");
}

/// A D-Bus session bus and a gnome-keyring of the test's own, so the test can kill the keyring
/// daemon without disturbing the keyring every other test shares. The bus has no service
/// directories: nothing auto-starts a second daemon behind the test's back. Linux only, as the
/// Secret Service is: macOS's and Windows' keychains are the system's, with no daemon to kill.
#[cfg(target_os = "linux")]
struct PrivateKeyring {
    dir: tempfile::TempDir,
    bus: Child,
    address: String,
    daemon: Option<Child>,
}

#[cfg(target_os = "linux")]
impl PrivateKeyring {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<busconfig><type>session</type><listen>unix:dir={}</listen>
<auth>EXTERNAL</auth><policy context="default"><allow send_destination="*" eavesdrop="true"/>
<allow eavesdrop="true"/><allow own="*"/></policy></busconfig>"#,
                dir.path().display()
            ),
        )
        .unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon is installed (scripts/setup.sh)");
        let mut address = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(bus.stdout.take().unwrap()),
            &mut address,
        )
        .unwrap();
        let mut keyring = Self {
            dir,
            bus,
            address: address.trim().to_owned(),
            daemon: None,
        };
        keyring.start_daemon();
        keyring
    }

    /// Starts (or restarts, on the same keyring file) the daemon, unlocked.
    fn start_daemon(&mut self) {
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("XDG_DATA_HOME", self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon is installed (scripts/setup.sh)");
        std::io::Write::write_all(&mut daemon.stdin.take().unwrap(), b"tenantry-private").unwrap();
        self.daemon = Some(daemon);
        for _ in 0..100 {
            if self.has_owner() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("gnome-keyring-daemon did not take org.freedesktop.secrets within 10 s");
    }

    fn has_owner(&self) -> bool {
        bus_name_owned("org.freedesktop.secrets", Some(&self.address))
    }

    fn kill_daemon(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            daemon.kill().unwrap();
            daemon.wait().unwrap();
        }
        for _ in 0..50 {
            if !self.has_owner() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the killed daemon's bus name outlived it");
    }

    fn cli(&self, cli: &Tenantry, args: &[&str]) -> tokio::process::Command {
        let mut command = cli.command(args);
        command.env("DBUS_SESSION_BUS_ADDRESS", &self.address);
        command
    }
}

#[cfg(target_os = "linux")]
impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

#[cfg(target_os = "linux")]
fn tools_present(test: &str) -> bool {
    let present = ["dbus-daemon", "gnome-keyring-daemon", "dbus-send"]
        .iter()
        .all(|tool| which(tool).is_some());
    if !present {
        if std::env::var_os("TENANTRY_REQUIRE_KEYRING").is_some() {
            panic!("{test}: dbus-daemon and gnome-keyring-daemon are required");
        }
        eprintln!("SKIPPED {test}: no dbus-daemon/gnome-keyring-daemon; run ./scripts/test.sh");
    }
    present
}

#[cfg(target_os = "linux")]
fn which(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(tool))
        .find(|p| Path::new(p).is_file())
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_keychain_daemon_dying_mid_refresh_loses_no_login() {
    if !tools_present("the_keychain_daemon_dying_mid_refresh_loses_no_login") {
        return;
    }
    let mut keyring = PrivateKeyring::start();
    let it = instance().await; // the fake and a data directory; the CLI uses `keyring`
    let cli = Tenantry::for_instance(&it);
    it.fake.approve_as(Some(ANN));
    let ran = run(keyring.cli(&cli, &["connect"])).await;
    assert_eq!(
        ran.status, 0,
        "connect stores the tokens in the private keyring: {ran:?}"
    );
    let harbour = it.tenant("Harbour Cafe Ltd");

    // Xero rotates, then holds its answer while the daemon dies: the new token set cannot be
    // stored. This is the worst moment: only the journal and Xero's grace can save the login.
    it.fake.inject(Fault::HoldAfterRotate(1_500), 1);
    let refreshes = it.fake.refresh_calls(ANN);
    let refresh = keyring.cli(&cli, &["refresh", ANN]).output();
    let refresh = tokio::spawn(refresh);
    for _ in 0..100 {
        if it.fake.refresh_calls(ANN) > refreshes {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(it.fake.refresh_calls(ANN), refreshes + 1, "Xero rotated");
    keyring.kill_daemon();
    let out = refresh.await.unwrap().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(7), "keychain exit status: {said}");
    assert!(
        said.to_lowercase().contains("keychain"),
        "the message names the keychain: {said}"
    );

    let status = run(keyring.cli(&cli, &["status"])).await;
    assert!(
        status.stdout.contains(ANN),
        "status reads metadata only and still lists the login: {status:?}"
    );
    let token = run(keyring.cli(&cli, &["token", &harbour])).await;
    assert_eq!(token.status, 7, "no keychain, no token, clearly: {token:?}");

    keyring.start_daemon();
    let token = run(keyring.cli(&cli, &["token", &harbour])).await;
    assert_eq!(
        token.status, 0,
        "the daemon is back: the login recovers: {token:?}"
    );
    assert_eq!(
        it.fake.with(|w| (w.invalid_grants, w.reused_refreshes)),
        (0, 1),
        "the lost rotation was recovered by re-spending the old token within the grace, once"
    );
    it.fake.advance(Duration::minutes(31));
    let ran = run(keyring.cli(&cli, &["refresh", ANN])).await;
    assert_eq!(
        ran.status, 0,
        "and the login still refreshes after the grace: {ran:?}"
    );
}
