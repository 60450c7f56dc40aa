//! The Usage view in the real window: the month's downloads through the gateway against the
//! tier's allowance, a chart of the month day by day and a bar per client, from what the store
//! holds.

use super::*;
use chrono::Datelike;
use tenantry_core::usage::{EgressCount, EgressKey};

/// Puts a month's downloads in the store: each organisation some megabytes a day, so far.
pub(super) async fn seed_egress(it: &Instance, names: &[&str]) -> u64 {
    let today = chrono::Utc::now().date_naive();
    let first = today.day();
    let mut counts = Vec::new();
    let mut total = 0;
    for (i, name) in names.iter().enumerate() {
        for day in 1..=first {
            let wire = (i as u64 + 1) * 40_000_000 + u64::from(day) * 3_000_000;
            total += wire;
            counts.push((
                EgressKey {
                    day: today.with_day(day).unwrap(),
                    tenant_id: it.tenant(name).to_lowercase(),
                    program: "python3".into(),
                    path: "/api.xro/2.0/Invoices".into(),
                },
                EgressCount {
                    calls: 120,
                    wire,
                    decoded: wire * 4,
                },
            ));
        }
    }
    it.engine.record_egress(counts).await.unwrap();
    total
}

#[tokio::test]
async fn the_usage_view_charts_the_month_against_the_allowance() {
    let test = "the_usage_view_charts_the_month_against_the_allowance";
    let Some(url) = webdriver(test) else {
        return;
    };
    if !keyring_available(test) {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    let mut it = instance_with(Options::default(), VaultKind::Keychain).await;
    it.connect(ANN).await;
    it.config.tier = Some(tenantry_core::config::Tier::Core);
    let config = it.write_config();
    let total = seed_egress(&it, &["Harbour Cafe Ltd", "Kiwi Plumbing"]).await;
    let c = open_window(&url, &config, it.dir.path()).await;
    until("the login", || async {
        (count(&c, "article.login").await == 1).then_some(())
    })
    .await;
    click(&c, ".tab[data-view=usage]").await;
    let days = chrono::Utc::now().date_naive().day() as usize;
    until("a bar for each day so far", || async {
        (count(&c, "#usage-days rect.bar").await == days).then_some(())
    })
    .await;
    let summary = text(&c, "#usage-summary").await.unwrap_or_default();
    let gb = format!("{:.2} GB", total as f64 / 1e9);
    assert!(
        summary.contains(&gb) && summary.contains("of Core's 10.00 GB allowance"),
        "{summary} (expected {gb})"
    );
    assert_eq!(
        count(&c, "#usage-days line.allowance").await,
        1,
        "the allowance line"
    );
    assert_eq!(
        count(&c, "#usage-orgs .usage-row").await,
        2,
        "a bar per client"
    );
    let names = c
        .execute(
            "return [...document.querySelectorAll('#usage-orgs .usage-name')].map(e => e.textContent)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        names,
        serde_json::json!(["Kiwi Plumbing", "Harbour Cafe Ltd"]),
        "the largest first"
    );
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    screenshot(&c, "usage.png").await;
    c.close().await.unwrap();
}

/// An egress mark another process passed (a `tenantry gateway` at 80 % of the app's budget) is
/// said by the window as a desktop notification, once, naming the setting that raises the budget.
#[tokio::test]
async fn the_window_says_an_egress_mark_once() {
    let test = "the_window_says_an_egress_mark_once";
    let Some(url) = webdriver(test) else {
        return;
    };
    if !keyring_available(test) {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    let it = instance_with(Options::default(), VaultKind::Keychain).await;
    it.connect(ANN).await;
    let daemon = crate::notify_daemon::NotifyDaemon::start().await;
    let config = it.write_config();
    let c = open_window(&url, &config, it.dir.path()).await;
    until("the login", || async {
        (count(&c, "article.login").await == 1).then_some(())
    })
    .await;
    use tenantry_core::usage::budget::{Mark, Of, Scope};
    let mark = Mark {
        of: Of::Budget(Scope::App),
        percent: 80,
        limit: 5 * tenantry_core::usage::GB,
        tenant_id: None,
    };
    let month = tenantry_core::usage::Month::of(it.engine.now());
    assert!(it.engine.say_egress_mark(month, mark).await.unwrap());
    let said = until("the egress notification", || async {
        daemon
            .shown()
            .into_iter()
            .find(|n| n.summary == "Xero egress this month")
    })
    .await;
    assert!(
        said.body.contains("80%") && said.body.contains("egress_budget_gb"),
        "it says how much and how to raise it: {said:?}"
    );
    tokio::time::sleep(StdDuration::from_secs(3)).await;
    let times = daemon
        .shown()
        .iter()
        .filter(|n| n.summary == "Xero egress this month")
        .count();
    assert_eq!(times, 1, "said once");
    c.close().await.unwrap();
}
