//! The refresh protocol: one flight per login in a process and across processes; a lost answer
//! recovered within Xero's 30-minute grace; invalid_grant; transient failures.

use crate::util::*;
use chrono::Duration;
use tenantry_core::EngineError;
use tenantry_core::ErrorCode;
use tenantry_core::model::{EventKind, LoginState};
use tenantry_fake_xero::{Fault, Options};

#[tokio::test]
async fn sixty_four_concurrent_callers_on_an_expired_login_cause_one_refresh() {
    let it = instance().await;
    it.connect(ANN).await;
    let harbour = it.tenant("Harbour Cafe Ltd");
    it.advance(Duration::minutes(31));
    let calls: Vec<_> = (0..64)
        .map(|_| {
            let (engine, tenant) = (it.engine.clone(), harbour.clone());
            tokio::spawn(async move { engine.access_token_for(&tenant).await })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for call in calls {
        let grant = call.await.unwrap().expect("every caller gets a token");
        tokens.insert(grant.access_token.expose().to_owned());
    }
    assert_eq!(
        it.fake.refresh_calls(ANN),
        1,
        "64 callers share one refresh; a second would spend a rotated token"
    );
    assert_eq!(tokens.len(), 1, "and all of them get the same new token");
}

#[tokio::test]
async fn eight_processes_on_an_expired_login_cause_one_refresh() {
    if keyring_available("eight_processes_on_an_expired_login_cause_one_refresh") {
        processes_share_one_refresh(8).await;
    }
}

/// `n` `tenantry token` processes on an expired login, sharing a real keychain and data directory.
pub async fn processes_share_one_refresh(n: usize) {
    let options = Options {
        access_lifetime: Duration::seconds(2),
        ..Options::default()
    };
    let it = instance_with(options, VaultKind::Keychain).await;
    it.connect(ANN).await;
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await; // the 2 s token expires
    it.fake.set_access_lifetime(Duration::minutes(30)); // the refreshed one lasts
    let cli = Tenantry::for_instance(&it);
    let children: Vec<_> = (0..n)
        .map(|_| cli.command(&["token", "harbour cafe ltd"]).output())
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for child in children {
        let out = child.await.expect("run tenantry");
        assert!(
            out.status.success(),
            "tenantry token failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tokens.insert(String::from_utf8(out.stdout).unwrap());
    }
    assert_eq!(
        it.fake.refresh_calls(ANN),
        1,
        "the file lock makes {n} processes share one refresh"
    );
    assert_eq!(
        tokens.len(),
        1,
        "all {n} print the same token: the others read it from the keychain"
    );
}

#[tokio::test]
async fn a_lost_answer_is_recovered_after_a_restart_within_the_grace_period() {
    let it = instance().await;
    let ann = it.connect(ANN).await.login;
    let harbour = it.tenant("Harbour Cafe Ltd");
    it.advance(Duration::minutes(31));
    it.fake.inject(Fault::DropAfterRotate, 1);
    let err = it
        .engine
        .access_token_for(&harbour)
        .await
        .expect_err("the answer never arrived");
    assert_eq!(
        err.code(),
        ErrorCode::Unreachable,
        "a lost answer is transient, not a reason to reconnect: {err}"
    );
    assert_eq!(it.fake.refresh_calls(ANN), 1, "Xero did rotate the token");

    it.advance(Duration::minutes(10)); // restarted ten minutes later
    let restarted = it.restart().await;
    let recovered = restarted.recover().await;
    assert_eq!(
        recovered.len(),
        1,
        "start-up finds the unfinished refresh in the journal"
    );
    assert!(
        recovered[0].1.is_ok(),
        "within 30 minutes Xero accepts the old refresh token again: {:?}",
        recovered[0].1
    );
    let grant = restarted
        .access_token_for(&harbour)
        .await
        .expect("the login works without a reconnect");
    assert_eq!(grant.login_id, ann.id);
    let login = restarted.resolve_login(ANN).await.unwrap();
    assert_eq!(login.state, LoginState::Connected);
    let events = restarted.events(Some(&ann.id), 10).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == EventKind::Refreshed && e.detail.contains("lost its answer")),
        "the log explains the recovery"
    );
    assert_eq!(
        restarted.recover().await.len(),
        0,
        "the journal is clear afterwards"
    );
}

#[tokio::test]
async fn a_lost_answer_found_after_the_grace_period_needs_a_reconnect_with_a_clear_reason() {
    let it = instance().await;
    let ann = it.connect(ANN).await.login;
    let harbour = it.tenant("Harbour Cafe Ltd");
    it.advance(Duration::minutes(31));
    it.fake.inject(Fault::DropAfterRotate, 1);
    it.engine
        .access_token_for(&harbour)
        .await
        .expect_err("the answer never arrived");
    it.advance(Duration::minutes(45)); // the computer slept past the grace period
    let restarted = it.restart().await;
    let recovered = restarted.recover().await;
    match &recovered[0].1 {
        Err(EngineError::NeedsReconnect { reason, .. }) => {
            assert!(
                reason.contains("lost more than 30 minutes ago"),
                "the reason names the cause: {reason}"
            )
        }
        other => {
            panic!("past the grace, Xero refuses the old token: needs reconnect, got {other:?}")
        }
    }
    let login = restarted.resolve_login(ANN).await.unwrap();
    assert_eq!(login.state, LoginState::NeedsReconnect);
    assert!(
        login.last_error.unwrap().contains("30 minutes"),
        "status shows why"
    );
    let calls = it.fake.refresh_calls(ANN);
    let again = restarted
        .access_token_for(&harbour)
        .await
        .expect_err("still needs a human");
    assert_eq!(again.code(), ErrorCode::NeedsReconnect);
    assert_eq!(
        it.fake.refresh_calls(ANN),
        calls,
        "invalid_grant is never retried: no further call to Xero"
    );
    assert_eq!(
        restarted
            .events(Some(&ann.id), 20)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.kind == EventKind::NeedsReconnect)
            .count(),
        1
    );
}

#[tokio::test]
async fn a_long_running_engine_retries_a_lost_answer_by_itself() {
    let it = instance().await;
    it.engine.enable_background_retries();
    let ann = it.connect(ANN).await.login;
    it.fake.inject(Fault::DropAfterRotate, 1);
    it.engine
        .refresh_login(&ann.id)
        .await
        .expect_err("the answer was lost");
    // The access token is still fresh, so nobody needs a refresh; the retry must happen anyway
    // before Xero's grace runs out. Backoff starts at 2 s.
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if it.restart().await.recover().await.is_empty() {
            break;
        }
    }
    assert_eq!(
        it.fake.refresh_calls(ANN),
        2,
        "one lost attempt, one background retry with the same refresh token"
    );
    let login = it.engine.resolve_login(ANN).await.unwrap();
    assert_eq!(
        login.state,
        LoginState::Connected,
        "the login recovered with no caller and no reconnect"
    );
}

#[tokio::test]
async fn a_transient_failure_keeps_serving_a_still_valid_token_and_backs_off() {
    let it = instance().await;
    it.connect(ANN).await;
    let kiwi = it.tenant("Kiwi Plumbing");
    let before = it.engine.access_token_for(&kiwi).await.unwrap();
    it.advance(Duration::seconds(29 * 60 + 30)); // inside the early-refresh margin, not yet expired
    it.fake.inject(Fault::ServerError, 1);
    let grant = it
        .engine
        .access_token_for(&kiwi)
        .await
        .expect("a still-valid token is served while Xero is down");
    assert_eq!(grant.access_token, before.access_token);
    let login = it.engine.resolve_login(ANN).await.unwrap();
    assert_eq!(login.state, LoginState::Error, "status shows the failure");
    assert!(login.last_error.unwrap().contains("HTTP 500"));
    let calls = it.fake.refresh_calls(ANN);
    it.engine.access_token_for(&kiwi).await.unwrap();
    assert_eq!(
        it.fake.refresh_calls(ANN),
        calls,
        "within the backoff nobody calls Xero again"
    );
    it.advance(Duration::minutes(1));
    let fresh = it
        .engine
        .access_token_for(&kiwi)
        .await
        .expect("after the backoff the refresh succeeds");
    assert_ne!(fresh.access_token, before.access_token);
    assert_eq!(
        it.engine.resolve_login(ANN).await.unwrap().state,
        LoginState::Connected,
        "and the login is healthy again"
    );
}

#[tokio::test]
async fn tokens_missing_from_the_keychain_mark_the_login_for_a_reconnect() {
    let it = instance().await;
    let ann = it.connect(ANN).await.login;
    it.vault.delete(&ann.id).unwrap(); // a keychain reset, or an entry deleted by hand
    let restarted = it.restart().await;
    let err = restarted
        .access_token_for(&it.tenant("Kiwi Plumbing"))
        .await
        .expect_err("no tokens, no token");
    assert_eq!(err.code(), ErrorCode::NeedsReconnect);
    let login = restarted.resolve_login(ANN).await.unwrap();
    assert_eq!(
        login.state,
        LoginState::NeedsReconnect,
        "status must not claim the login is healthy"
    );
    assert!(
        login
            .last_error
            .unwrap()
            .contains("missing from the keychain"),
        "and says why"
    );
}

#[tokio::test]
async fn a_keychain_that_refuses_the_new_tokens_loses_nothing() {
    let it = instance().await;
    let ann = it.connect(ANN).await.login;
    let kiwi = it.tenant("Kiwi Plumbing");
    let memory = it.memory.as_ref().unwrap();
    it.advance(Duration::minutes(31));
    memory.set_read_only(true); // locked mid-run: Xero rotates, the new set cannot be written
    let err = it
        .engine
        .access_token_for(&kiwi)
        .await
        .expect_err("the new tokens could not be kept");
    assert_eq!(
        err.code(),
        ErrorCode::Keychain,
        "the user is told it is the keychain: {err}"
    );
    assert_eq!(
        it.fake.refresh_calls(ANN),
        1,
        "Xero did rotate the refresh token"
    );
    let login = it.engine.resolve_login(ANN).await.unwrap();
    assert_eq!(login.state, LoginState::Error, "status shows the problem");
    assert!(login.last_error.unwrap().contains("keychain"));

    memory.set_read_only(false);
    it.advance(Duration::minutes(10)); // unlocked ten minutes later, inside Xero's grace
    let grant = it
        .engine
        .access_token_for(&kiwi)
        .await
        .expect("recovered with the old refresh token");
    assert_eq!(grant.login_id, ann.id);
    assert_eq!(
        it.engine.resolve_login(ANN).await.unwrap().state,
        LoginState::Connected
    );
    it.advance(Duration::minutes(31));
    it.engine
        .refresh_login(&ann.id)
        .await
        .expect("and the chain of refresh tokens is intact afterwards");
}
