//! Keep-alive: refresh tokens older than the threshold are refreshed before Xero's 60 days run out.

use crate::util::*;
use chrono::Duration;
use tenantry_core::ErrorCode;
use tenantry_core::KeepAliveOutcome;
use tenantry_core::clock::Clock;
use tenantry_core::model::EventKind;

#[tokio::test]
async fn keepalive_refreshes_old_logins_and_leaves_young_ones() {
    let it = instance().await;
    let ann = it.connect(ANN).await.login;
    it.connect(BEN).await;
    it.advance(Duration::days(46));
    let reports = it.engine.keepalive(Duration::days(45)).await.unwrap();
    assert_eq!(reports.len(), 2);
    for report in &reports {
        match report.outcome {
            KeepAliveOutcome::Refreshed { deadline } => {
                let left = deadline - it.clock.now();
                assert!(
                    left > Duration::days(59),
                    "a refreshed login has a fresh 60 days, got {left}"
                );
            }
            ref other => panic!(
                "{}: a 46-day-old refresh token must be refreshed, got {other:?}",
                report.login.email
            ),
        }
    }
    assert_eq!(it.fake.total_refresh_calls(), 2, "one refresh per login");
    assert!(
        it.engine
            .events(Some(&ann.id), 10)
            .await
            .unwrap()
            .iter()
            .any(|e| e.kind == EventKind::KeepAlive)
    );

    it.advance(Duration::days(10));
    let reports = it.engine.keepalive(Duration::days(45)).await.unwrap();
    assert!(
        reports
            .iter()
            .all(|r| matches!(r.outcome, KeepAliveOutcome::NotDue { .. })),
        "10-day-old tokens are left alone"
    );
    assert_eq!(it.fake.total_refresh_calls(), 2, "and Xero is not called");
}

#[tokio::test]
async fn a_login_left_for_sixty_days_needs_a_reconnect_and_says_why() {
    let it = instance().await;
    it.connect(CARA).await;
    let studio = it.tenant("Cara Design Studio");
    it.advance(Duration::days(61));
    let err = it
        .engine
        .access_token_for(&studio)
        .await
        .expect_err("Xero dropped the refresh token");
    assert_eq!(err.code(), ErrorCode::NeedsReconnect);
    assert!(
        err.to_string().contains("60 days"),
        "the message names the cause: {err}"
    );
    let reports = it.engine.keepalive(Duration::days(45)).await.unwrap();
    assert!(
        matches!(reports[0].outcome, KeepAliveOutcome::NeedsReconnect { .. }),
        "keep-alive reports it needs a human"
    );
}

#[tokio::test]
async fn logins_in_use_are_refreshed_ahead_of_expiry_and_idle_ones_are_not() {
    let it = instance().await;
    it.connect(ANN).await;
    it.connect(BEN).await;
    // A caller uses Ann's organisation; nobody uses Ben's.
    it.engine
        .access_token_for(&it.tenant("Kiwi Plumbing"))
        .await
        .unwrap();
    let (ann, ben) = (it.fake.refresh_calls(ANN), it.fake.refresh_calls(BEN));

    let early = it
        .engine
        .refresh_in_use(Duration::minutes(15), Duration::minutes(5))
        .await
        .unwrap();
    assert!(
        early.is_empty(),
        "a token with 30 minutes left is not refreshed yet"
    );
    it.advance(Duration::minutes(27));
    let ahead = it
        .engine
        .refresh_in_use(Duration::minutes(30), Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(ahead.len(), 1, "only the login in use: {ahead:?}");
    assert!(ahead[0].1.is_ok(), "{:?}", ahead[0].1);
    assert_eq!(
        it.fake.refresh_calls(ANN),
        ann + 1,
        "Ann's token, 3 minutes from expiry, was refreshed before anyone had to wait for it"
    );
    assert_eq!(
        it.fake.refresh_calls(BEN),
        ben,
        "Ben's login is not in use: refreshing it would only spend a rotation"
    );
    let again = it
        .engine
        .refresh_in_use(Duration::minutes(30), Duration::minutes(5))
        .await
        .unwrap();
    assert!(
        again.is_empty(),
        "a freshly refreshed token is not refreshed again"
    );

    it.advance(Duration::minutes(60));
    assert!(
        it.engine
            .refresh_in_use(Duration::minutes(30), Duration::minutes(5))
            .await
            .unwrap()
            .is_empty(),
        "a login nobody has used for an hour is left to keep-alive"
    );
}

#[tokio::test]
async fn keepalive_and_refresh_all_keep_at_most_eight_token_requests_in_flight() {
    use tenantry_core::engine::KEEPALIVE_CONCURRENCY;
    use tenantry_tests::bench::{Fixture, Vault};
    let logins = 3 * KEEPALIVE_CONCURRENCY;
    let fx = Fixture::new(logins, 1, Duration::minutes(30), Vault::Memory)
        .await
        .unwrap();
    // Slow enough that every request in the first wave is still open when the limit is reached,
    // even on a loaded machine (under Wine, with 40 ms, a full suite run once saw only 7 open).
    fx.fake.with(|w| {
        w.options.token_latency = std::time::Duration::from_millis(250);
        w.token_in_flight_max = 0;
    });
    let before = fx.fake.total_refresh_calls();
    let reports = fx.engine.keepalive(Duration::zero()).await.unwrap();
    assert!(
        reports
            .iter()
            .all(|r| matches!(r.outcome, KeepAliveOutcome::Refreshed { .. })),
        "every login is due with a zero threshold"
    );
    let peak = fx.fake.with(|w| std::mem::take(&mut w.token_in_flight_max));
    assert_eq!(
        peak, KEEPALIVE_CONCURRENCY,
        "keep-alive uses its whole limit of token requests and never more (Xero's limits)"
    );
    let results = fx.engine.refresh_all().await.unwrap();
    assert!(
        results.iter().all(|(_, r)| r.is_ok()),
        "refresh-all refreshes every login"
    );
    let peak = fx.fake.with(|w| w.token_in_flight_max);
    assert_eq!(
        peak, KEEPALIVE_CONCURRENCY,
        "refresh-all keeps to the same limit"
    );
    assert_eq!(
        fx.fake.total_refresh_calls() - before,
        2 * logins,
        "one request per login per run: waiting for a slot never repeats a refresh"
    );
    fx.forget();
}
