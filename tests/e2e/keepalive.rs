//! Keep-alive: refresh tokens older than the threshold are refreshed before Xero's 60 days run out.

use crate::util::*;
use chrono::Duration;
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
    assert_eq!(err.code(), "needs_reconnect");
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
