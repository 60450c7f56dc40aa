//! What a scheduled keep-alive tells a person while the app is closed: the app's own notices (the
//! same wording and once-a-day rule, decided by `tenantry_core::watch`), shown as desktop
//! notifications, and its findings by name for the activity log that `doctor` reads.

use tenantry_core::watch::{Notice, due_notices};
use tenantry_core::{Engine, KeepAliveOutcome, KeepAliveReport};

/// Who needs a person and who keeps failing, by email, appended to the run's log line.
pub fn findings(reports: &[KeepAliveReport]) -> String {
    let who = |f: fn(&KeepAliveOutcome) -> bool| -> Vec<&str> {
        reports
            .iter()
            .filter(|r| f(&r.outcome))
            .map(|r| r.login.email.as_str())
            .collect()
    };
    let human = who(|o| matches!(o, KeepAliveOutcome::NeedsReconnect { .. }));
    let failing = who(|o| matches!(o, KeepAliveOutcome::Failed { .. }));
    let mut note = String::new();
    if !human.is_empty() {
        note.push_str(&format!("; needs a person: {}", human.join(", ")));
    }
    if !failing.is_empty() {
        note.push_str(&format!("; failing: {}", failing.join(", ")));
    }
    note
}

/// Shows every notice due now, recording each one shown, so neither this job tomorrow nor the app
/// says it again within the day. One that cannot be shown (no notification daemon in a bare
/// session) is not recorded: the scheduler's log still has the run's output.
pub async fn say_due(engine: &Engine) {
    let Ok(logins) = engine.logins().await else {
        return;
    };
    let said = engine.notices_said().await.unwrap_or_default();
    let notify_days = engine.config().notify_days;
    for notice in due_notices(&logins, engine.now(), notify_days, None, &said) {
        let shown = tokio::task::spawn_blocking({
            let notice = notice.clone();
            move || show(&notice)
        })
        .await
        .unwrap_or(false);
        if shown && let Err(e) = engine.record_notice(&notice.key).await {
            eprintln!("tenantry: could not record a notice as said: {e}");
        }
    }
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn show(_notice: &Notice) -> bool {
    false
}

#[cfg(all(unix, not(target_os = "macos")))]
fn show(notice: &Notice) -> bool {
    let shown = notify_rust::Notification::new()
        .appname("Tenantry")
        .summary(&notice.title)
        .body(&notice.body)
        .icon("dialog-warning")
        .show();
    match shown {
        Ok(_) => true,
        Err(e) => {
            eprintln!(
                "tenantry: could not show a desktop notification ({e}): {}",
                notice.title
            );
            false
        }
    }
}
