//! The crash harness: a real `tenantry refresh` process is SIGKILLed at each step of the refresh
//! protocol (fake Xero on loopback, the real keychain, again the file vault, and in a practice on
//! the suite's PostgreSQL server), then a fresh process asks for a token: the same machine after a
//! restart, or in a practice another machine. Within Xero's 30-minute grace no login may be lost
//! or need a reconnect.
//!
//! CI runs 3 trials per step; `scripts/crash-report.sh` runs 20 and writes the figures into
//! docs/RELIABILITY.md (TENANTRY_CRASH_TRIALS, TENANTRY_CRASH_REPORT*).

use crate::util::*;
use std::time::Duration;
use tenantry_core::pause;
use tenantry_core::secret::Secret;
use tenantry_core::xero::XeroClient;
use tenantry_fake_xero::Fault;

/// Where a trial kills the refreshing process.
const POINTS: [(&str, &str); 6] = [
    ("before_intent", "before the intent is written"),
    ("after_intent", "after the intent, before the request"),
    (
        "after_rotation",
        "after Xero rotated, before the reply arrives",
    ),
    ("after_reply", "after the reply, before the vault write"),
    (
        "after_keychain",
        "after the vault write, before the metadata",
    ),
    (
        "after_metadata",
        "after the metadata, before the intent is cleared",
    ),
];

#[derive(Default, Debug)]
struct Tally {
    trials: usize,
    recovered: usize,
    needs_reconnect: usize,
    other_failure: usize,
}

#[tokio::test]
async fn a_refresh_killed_at_any_step_loses_nothing() {
    if !keyring_available("a_refresh_killed_at_any_step_loses_nothing") {
        return;
    }
    let it = instance_with(Default::default(), VaultKind::Keychain).await;
    let cli = Tenantry::connected(&it, &[ANN]).await;
    trials(&it, &cli, &cli, "TENANTRY_CRASH_REPORT").await;
}

/// The file vault promises what the keychain does (its write is atomic), so the same trials.
#[tokio::test]
async fn a_refresh_killed_at_any_step_loses_nothing_with_the_file_vault() {
    let it = instance_with(Default::default(), VaultKind::File).await;
    let cli = Tenantry::connected(&it, &[ANN]).await;
    trials(&it, &cli, &cli, "TENANTRY_CRASH_REPORT_FILE_VAULT").await;
}

/// In a practice the refresh ends in one transaction under an advisory lock the server frees
/// when the killed machine's connection closes: another machine takes the lock, finds the
/// intent, and recovers.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_practice_machine_killed_at_any_step_of_a_refresh_loses_nothing_for_another() {
    if !keyring_available(
        "a_practice_machine_killed_at_any_step_of_a_refresh_loses_nothing_for_another",
    ) {
        return;
    }
    use crate::practice::{Database, machine};
    let db = Database::new("crash");
    let it = instance_with(Default::default(), VaultKind::Keychain).await;
    let (a, b) = (
        machine(&it, &db.url, "DESK-A", "Ann"),
        machine(&it, &db.url, "NIGHTLY-BOX", "the keep-alive"),
    );
    assert_eq!(
        a.run(&["practice", "init"]).await.status,
        0,
        "the practice is made"
    );
    let invite = a.run(&["practice", "invite"]).await;
    let joined = b.run(&["practice", "join", invite.stdout.trim()]).await;
    assert_eq!(joined.status, 0, "the second machine joins: {joined:?}");
    it.fake.approve_as(Some(ANN));
    let connected = a.run(&["connect"]).await;
    assert_eq!(connected.status, 0, "{connected:?}");
    trials(&it, &a.cli, &b.cli, "TENANTRY_CRASH_REPORT_PRACTICE").await;
    let key_id = db.sql("SELECT key_id FROM practice");
    for m in [&a, &b] {
        m.forget_key(&key_id);
    }
}

/// Kills `killed`'s refresh of Ann's login at each step, then has `recovering` (the same profile
/// restarted, or another machine of the practice) use the login.
async fn trials(it: &Instance, killed: &Tenantry, recovering: &Tenantry, report_env: &str) {
    let trials: usize = std::env::var("TENANTRY_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let harbour = it.tenant("Harbour Cafe Ltd");
    let client = XeroClient::new(it.config.xero.clone(), CLIENT_ID);
    assert_eq!(
        pause::STEPS.len() + 1,
        POINTS.len(),
        "every pause point, plus the rotation, is exercised"
    );
    let mut report = Vec::new();
    for (point, what) in POINTS {
        let mut tally = Tally::default();
        for _ in 0..trials {
            tally.trials += 1;
            let marker = it.dir.path().join("paused");
            let _ = std::fs::remove_file(&marker);
            let calls_before = it.fake.refresh_calls(ANN);
            let mut refresh = killed.command(&["refresh", ANN]);
            if point == "after_rotation" {
                it.fake.inject(Fault::HoldAfterRotate(20_000), 1);
            } else {
                refresh
                    .env(pause::ENV_AT, point)
                    .env(pause::ENV_FILE, &marker);
            }
            refresh
                .stderr(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped());
            // Under Wine a process start now and then fails with ERROR_INTERNAL_ERROR (1359)
            // and nothing started: try again rather than fail the test on Wine's account.
            let mut started = refresh.spawn();
            for _ in 0..3 {
                if started.is_ok() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                started = refresh.spawn();
            }
            let mut child = started.expect("start tenantry refresh");
            let mut exited = false;
            let reached = until_true(|| {
                exited = matches!(child.try_wait(), Ok(Some(_)));
                exited
                    || if point == "after_rotation" {
                        it.fake.refresh_calls(ANN) > calls_before
                    } else {
                        marker.exists()
                    }
            })
            .await;
            assert!(
                reached,
                "{point}: the refreshing process neither reached the step nor ended"
            );
            if !exited {
                // tokio's kill sends SIGKILL on Unix and calls TerminateProcess on Windows: either
                // way the process ends at once, with no chance to clean up.
                child.start_kill().expect("SIGKILL");
                let status = child.wait().await.unwrap();
                #[cfg(unix)]
                assert_eq!(
                    std::os::unix::process::ExitStatusExt::signal(&status),
                    Some(9),
                    "{point}: killed by SIGKILL"
                );
                // Windows reports no signal, only the exit code TerminateProcess was given.
                #[cfg(not(unix))]
                assert!(!status.success(), "{point}: terminated");
            }

            // The next process (a restart) must get a working token with no human involved ...
            let ran = recovering.run(&["token", &harbour]).await;
            let mut works = !exited
                && ran.status == 0
                && client
                    .organisation(&Secret::new(ran.stdout.trim()), &harbour)
                    .await
                    .is_ok();
            // ... and the login must still be refreshable once Xero's grace has passed: if nobody
            // re-spent a rotated refresh token within it, this is where the loss shows.
            it.fake.advance(chrono::Duration::minutes(31));
            works &= recovering.run(&["refresh", ANN]).await.status == 0;
            let state = serde_json::from_str::<serde_json::Value>(
                &recovering.run(&["status", "--json"]).await.stdout,
            )
            .map(|v| v["logins"][0]["state"].as_str().unwrap_or("").to_owned())
            .unwrap_or_default();
            match (works, state.as_str()) {
                (true, "connected") => tally.recovered += 1,
                (_, "needs_reconnect") => tally.needs_reconnect += 1,
                _ => tally.other_failure += 1,
            }
            if !(works && state == "connected") {
                // A human reconnects, so later trials measure again.
                it.fake.approve_as(Some(ANN));
                let again = killed.run(&["connect"]).await;
                assert_eq!(
                    again.status, 0,
                    "{point}: reconnecting after a loss: {again:?}"
                );
            }
        }
        report.push(format!(
            "| {what} (`{point}`) | {} | {} | {} | {} |",
            tally.trials, tally.recovered, tally.needs_reconnect, tally.other_failure
        ));
        assert_eq!(
            (tally.needs_reconnect, tally.other_failure),
            (0, 0),
            "{point}: within the 30-minute grace a crash must never cost a login: {tally:?}"
        );
    }
    if let Some(path) = std::env::var_os(report_env) {
        let table = format!(
            "| killed | trials | recovered, no reconnect | needs reconnect | other failure |\n|---|---|---|---|---|\n{}\n",
            report.join("\n")
        );
        std::fs::write(path, table).unwrap();
    }
}

async fn until_true(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..200 {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}
