//! Xero's limits held for every local client together: many clients hammering several
//! organisations get no 429 from Xero, never more than 5 calls in progress per organisation,
//! and their budgets used in full; a 429 that comes anyway is honoured and a GET retried once;
//! a 401 costs one refresh.

use super::*;
use tenantry_fake_xero::{ApiFault, Limits, Options};

/// A "minute" of 2 s for both the fake and the gateway, with Xero's counts otherwise (20 a
/// minute here, so a window's budget is spent in well under its length).
const MINUTE_MS: u64 = 2000;
const PER_MINUTE: u32 = 20;

fn short_minute() -> Options {
    Options {
        limits: Limits {
            per_minute: PER_MINUTE,
            minute: Duration::from_millis(MINUTE_MS),
            ..Limits::default()
        },
        api_latency: Duration::from_millis(40),
        ..Options::default()
    }
}

// The fake Xero answers on the test's runtime: give it threads of its own beside 21 clients.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_clients_share_each_organisation_s_budget_without_a_single_429() {
    let test = "many_clients_share_each_organisation_s_budget_without_a_single_429";
    let Some((it, cli)) = connected(test, short_minute()).await else {
        return;
    };
    let minute = MINUTE_MS.to_string();
    let gw = std::sync::Arc::new(
        Gateway::start(&cli, &[("TENANTRY_TEST_RATE_MINUTE_MS", &minute)]).await,
    );
    let orgs = ["Harbour Cafe Ltd", "Kiwi Plumbing", "Southern Farms"];
    let run_for = Duration::from_millis(MINUTE_MS * 5 / 2);
    let started = tokio::time::Instant::now();
    let mut clients = Vec::new();
    // Seven clients per organisation, each its own connection: more than the 5 Xero allows
    // in progress.
    for i in 0..21 {
        let (gw, org) = (gw.clone(), orgs[i % orgs.len()]);
        clients.push(tokio::spawn(async move {
            // A wait in the queue is at most a window; anything longer is a stuck gateway.
            let http = reqwest::Client::builder()
                .timeout(Duration::from_millis(MINUTE_MS * 3))
                .build()
                .unwrap();
            let mut statuses = Vec::new();
            while started.elapsed() < run_for {
                let answer = gw
                    .get(&http, "/api.xro/2.0/Organisation", org)
                    .send()
                    .await
                    .expect("answered within a window's length");
                statuses.push(answer.status().as_u16());
            }
            statuses
        }));
    }
    let mut statuses = Vec::new();
    for c in clients {
        statuses.extend(c.await.unwrap());
    }
    assert!(
        statuses.iter().all(|s| *s == 200),
        "every client's call answered, none refused: {:?}",
        statuses.iter().filter(|s| **s != 200).collect::<Vec<_>>()
    );
    let mut accepted = Vec::new();
    for org in orgs {
        let tenant = it.tenant(org);
        let stats = it.fake.with(|w| w.limit_stats(&tenant));
        assert!(
            stats.refused.is_empty(),
            "{org}: Xero refused nothing: {stats:?}"
        );
        assert_eq!(
            stats.max_in_flight, 5,
            "{org}: the clients kept 5 in progress, never more"
        );
        // The run spans two whole windows and more (calls still queued at its end go in the
        // next); the fake refusing nothing shows no window got more than its budget.
        assert!(
            stats.accepted >= 2 * u64::from(PER_MINUTE),
            "{org}: two windows' budgets used in full: {}",
            stats.accepted
        );
        accepted.push(stats.accepted);
    }
    let spread = accepted.iter().max().unwrap() - accepted.iter().min().unwrap();
    assert!(
        spread <= u64::from(PER_MINUTE),
        "no organisation starved another: {accepted:?}"
    );
}

#[tokio::test]
async fn a_429_is_waited_out_and_a_401_costs_one_refresh() {
    let test = "a_429_is_waited_out_and_a_401_costs_one_refresh";
    let Some((it, cli)) = connected(test, Options::default()).await else {
        return;
    };
    let gw = Gateway::start(&cli, &[]).await;
    let http = reqwest::Client::new();
    let org_calls = || it.fake.api_calls("/api.xro/2.0/Organisation");

    let before = org_calls();
    it.fake.inject_api(ApiFault::RateLimited(1), 1);
    let started = std::time::Instant::now();
    let answer = gw
        .get(&http, "/api.xro/2.0/Organisation", "Kiwi Plumbing")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "a GET refused with 429 is retried");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "after the Retry-After Xero gave"
    );
    assert_eq!(org_calls() - before, 2, "once");

    it.fake.inject_api(ApiFault::RateLimited(1), 1);
    let write = http
        .put(format!("{}/api.xro/2.0/Contacts", gw.url))
        .bearer_auth(&gw.key)
        .header("xero-tenant-id", "Kiwi Plumbing")
        .json(&serde_json::json!({"Name": "Twice Ltd"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        write.status(),
        429,
        "a write is not sent twice: Xero's PUT creates"
    );
    assert!(
        write.headers().contains_key("retry-after"),
        "the client is told when"
    );

    let refreshes = it.fake.refresh_calls(ANN);
    it.fake.inject_api(ApiFault::Unauthorized, 1);
    let answer = gw
        .get(&http, "/api.xro/2.0/Organisation", "Kiwi Plumbing")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "answered with a replaced token");
    assert_eq!(
        it.fake.refresh_calls(ANN) - refreshes,
        1,
        "one refresh for the 401"
    );
}

/// Starter's day (Xero's 2026 tiers): a fake Xero on Starter gives each organisation 1,000 calls
/// a day. Another program has spent 990 of Kiwi Plumbing's today; through a gateway whose profile
/// says `tier = "starter"`, 20 calls: the first answer's `X-DayLimit-Remaining` tells the gateway
/// what is left, exactly 10 more reach Xero, and the gateway refuses the other 10 itself with the
/// day problem, so Xero refuses none. (That the gateway's own day starts at the tier's 1,000 is
/// `gateway::tests::the_day_budget_follows_the_tier_or_daily_limit`.)
#[tokio::test]
async fn on_starter_an_organisation_s_1000_calls_a_day_are_kept_to() {
    let test = "on_starter_an_organisation_s_1000_calls_a_day_are_kept_to";
    if !keyring_available(test) {
        return;
    }
    // The minute's budget out of the way: this is about the day.
    let options = Options {
        limits: Limits {
            per_minute: 100_000,
            ..Limits::default()
        },
        ..Options::default()
    }
    .on_tier("starter")
    .expect("a Xero tier");
    let it = instance_with(options, VaultKind::Keychain).await;
    // Ann's three organisations fit Starter's five connections.
    let cli = Tenantry::connected(&it, &[ANN]).await;
    let set = cli.run(&["config", "set", "tier", "starter"]).await;
    assert_eq!(set.status, 0, "{set:?}");
    let tenant = it.tenant("Kiwi Plumbing");
    it.fake.with(|w| {
        for _ in 0..990 {
            assert!(matches!(
                w.admit(&tenant),
                tenantry_fake_xero::ApiVerdict::Go
            ));
            w.release(&tenant);
        }
    });
    let gw = Gateway::start(&cli, &[]).await;
    let http = reqwest::Client::new();
    let mut answers = Vec::new();
    for _ in 0..20 {
        let answer = gw
            .get(&http, "/api.xro/2.0/Organisation", "Kiwi Plumbing")
            .send()
            .await
            .unwrap();
        let problem = answer
            .headers()
            .get("x-rate-limit-problem")
            .map(|v| v.to_str().unwrap().to_owned());
        answers.push((answer.status().as_u16(), problem));
    }
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(ok, 10, "the day's last 10 calls answered: {answers:?}");
    assert!(
        answers[10..]
            .iter()
            .all(|(s, p)| *s == 429 && p.as_deref() == Some("day")),
        "the rest refused by the gateway with the day problem: {answers:?}"
    );
    let stats = it.fake.with(|w| w.limit_stats(&tenant));
    assert_eq!(stats.accepted, 1000, "exactly Starter's 1,000 reached Xero");
    assert!(stats.refused.is_empty(), "and Xero refused none: {stats:?}");
}
