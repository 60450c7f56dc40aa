//! The egress meter: what Xero's answers weighed, on the wire and decoded, counted by the
//! gateway per organisation, program and API path, kept in the store, and reported by
//! `tenantry usage` against the tier's allowance; bad months refused.

use super::*;
use serde_json::Value;
use std::io::Read;
use tenantry_fake_xero::Options;

/// What the client received: the body as it came (the gateway passes Xero's bytes on unchanged)
/// and decoded.
async fn fetch(
    gw: &Gateway,
    http: &reqwest::Client,
    path: &str,
    org: &str,
    gzip: bool,
) -> (u64, u64) {
    let mut request = gw.get(http, path, org);
    if gzip {
        // `br` too: the gateway must ask Xero only for what its meter decodes.
        request = request.header("accept-encoding", "br, gzip");
    }
    let answer = request.send().await.unwrap();
    assert_eq!(answer.status(), 200, "{org} {path}");
    let encoding = answer
        .headers()
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = answer.bytes().await.unwrap();
    let decoded = match encoding.as_deref() {
        Some("gzip") => {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut plain)
                .unwrap();
            assert!(plain.len() > body.len(), "compressed for real");
            plain.len()
        }
        None => body.len(),
        Some(other) => panic!("Xero was asked only for gzip, and sent {other}"),
    };
    assert_eq!(encoding.is_some(), gzip, "compressed only when asked");
    (body.len() as u64, decoded as u64)
}

async fn usage(cli: &Tenantry) -> Value {
    let ran = cli.run(&["usage", "--json"]).await;
    assert_eq!(ran.status, 0, "{ran:?}");
    serde_json::from_str(&ran.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_byte_xero_sends_back_is_counted_by_organisation_program_and_path() {
    let test = "every_byte_xero_sends_back_is_counted_by_organisation_program_and_path";
    let options = Options {
        gzip: true,
        ..Options::default()
    };
    let Some((it, cli)) = connected(test, options).await else {
        return;
    };
    assert_eq!(cli.run(&["config", "set", "tier", "core"]).await.status, 0);
    let gw = Gateway::start(&cli, &[]).await;
    let http = reqwest::Client::new();
    let (mut cafe, mut plumbing) = ((0, 0), (0, 0));
    for i in 0..6 {
        let (w, d) = fetch(
            &gw,
            &http,
            "/api.xro/2.0/Organisation",
            "Harbour Cafe Ltd",
            i % 2 == 0,
        )
        .await;
        cafe = (cafe.0 + w, cafe.1 + d);
    }
    for _ in 0..4 {
        let (w, d) = fetch(&gw, &http, "/api.xro/2.0/Contacts", "Kiwi Plumbing", false).await;
        plumbing = (plumbing.0 + w, plumbing.1 + d);
    }

    // Written as each answer ends, off the request path: give the writer a moment.
    let mut report = usage(&cli).await;
    for _ in 0..100 {
        if report["total"]["calls"] == 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        report = usage(&cli).await;
    }
    let total = &report["total"];
    assert_eq!(total["calls"], 10, "{report:#}");
    assert_eq!(
        total["wire"],
        cafe.0 + plumbing.0,
        "wire bytes exact: {report:#}"
    );
    assert_eq!(
        total["decoded"],
        cafe.1 + plumbing.1,
        "decoded bytes exact: {report:#}"
    );
    let org = |name: &str| {
        report["by_organisation"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {report:#}"))
    };
    let c = org("Harbour Cafe Ltd");
    assert_eq!(
        (
            c["calls"].as_u64(),
            c["wire"].as_u64(),
            c["decoded"].as_u64()
        ),
        (Some(6), Some(cafe.0), Some(cafe.1))
    );
    assert_eq!(c["key"], it.tenant("Harbour Cafe Ltd").to_lowercase());
    let p = org("Kiwi Plumbing");
    assert_eq!(
        (p["wire"].as_u64(), p["decoded"].as_u64()),
        (Some(plumbing.0), Some(plumbing.1))
    );

    // The program is this test's process, as the OS names it.
    #[cfg(target_os = "linux")]
    {
        let me = std::fs::read_to_string("/proc/self/comm").unwrap();
        assert_eq!(report["by_program"][0]["key"], me.trim(), "{report:#}");
    }
    let paths: Vec<&str> = report["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"/api.xro/2.0/Organisation") && paths.contains(&"/api.xro/2.0/Contacts"),
        "{paths:?}"
    );
    // Core's 10 GB allowance.
    assert_eq!(report["allowance_bytes"], 10_000_000_000u64);
    assert_eq!(
        report["month"],
        chrono::Utc::now().format("%Y-%m").to_string()
    );

    // Each organisation's month beside its state, in `orgs` and `status`.
    let orgs: Value = serde_json::from_str(&cli.run(&["orgs", "--json"]).await.stdout).unwrap();
    let cafe_row = orgs
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Harbour Cafe Ltd")
        .unwrap();
    assert_eq!(cafe_row["egress_this_month"]["wire"], cafe.0);
    assert_eq!(cafe_row["egress_this_month"]["decoded"], cafe.1);
    let status: Value = serde_json::from_str(&cli.run(&["status", "--json"]).await.stdout).unwrap();
    let listed: Vec<&str> = status["egress_this_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    let largest = if plumbing.0 > cafe.0 {
        "Kiwi Plumbing"
    } else {
        "Harbour Cafe Ltd"
    };
    assert_eq!(listed.len(), 2, "{status:#}");
    assert_eq!(listed[0], largest, "largest first");
    let ran = cli.run(&["orgs"]).await;
    assert!(
        ran.stdout.contains("downloaded this month in 6 calls"),
        "{}",
        ran.stdout
    );

    // Kept in the store: the gateway gone, the count stays.
    gw.stop().await;
    assert_eq!(usage(&cli).await["total"], *total);

    // As people read it.
    let ran = cli.run(&["usage", "--top"]).await;
    assert_eq!(ran.status, 0, "{ran:?}");
    for said in [
        "Harbour Cafe Ltd",
        "Kiwi Plumbing",
        "10.00 GB a month",
        "/api.xro/2.0/Contacts",
        "in 10 calls",
    ] {
        assert!(ran.stdout.contains(said), "{said:?} in:\n{}", ran.stdout);
    }
    // Another month: nothing yet.
    let ran = cli.run(&["usage", "--month", "2020-01", "--json"]).await;
    let old: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(old["total"]["calls"], 0);
}

#[tokio::test]
async fn a_month_in_the_wrong_form_is_refused_naming_the_form() {
    let it = instance_with(Options::default(), VaultKind::Memory).await;
    let cli = Tenantry::for_instance(&it);
    for bad in ["2026-13", "12-2026", "2026-1", "last"] {
        let ran = cli.run(&["usage", "--month", bad]).await;
        assert_eq!(ran.status, 2, "{bad}: {ran:?}");
        assert!(ran.stderr.contains("YYYY-MM"), "{bad}: {}", ran.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_egress_budget_an_organisation_s_calls_are_refused_until_the_month_ends() {
    let test = "past_its_egress_budget_an_organisation_s_calls_are_refused_until_the_month_ends";
    let Some((it, cli)) = connected(test, Options::default()).await else {
        return;
    };
    assert_eq!(
        cli.run(&["config", "set", "egress_org_budget_gb", "1"])
            .await
            .status,
        0
    );
    // The month so far: Harbour Cafe a few hundred bytes short of its 1 GB (one answer's worth).
    let cafe = it.tenant("Harbour Cafe Ltd").to_lowercase();
    let now = chrono::Utc::now();
    it.engine
        .record_egress(vec![(
            tenantry_core::usage::EgressKey {
                day: now.date_naive(),
                tenant_id: cafe.clone(),
                program: "python3".into(),
                path: "/api.xro/2.0/Invoices".into(),
            },
            tenantry_core::usage::EgressCount {
                calls: 40_000,
                wire: 1_000_000_000 - 100,
                decoded: 1_000_000_000 - 100,
            },
        )])
        .await
        .unwrap();
    let gw = Gateway::start(&cli, &[]).await;
    let http = reqwest::Client::new();
    let call = |org: &'static str| gw.get(&http, "/api.xro/2.0/Organisation", org).send();

    // The answer that passes the budget is passed on; the next call is refused.
    let before = it.fake.api_calls("/api.xro/2.0/Organisation");
    assert_eq!(call("Harbour Cafe Ltd").await.unwrap().status(), 200);
    let refused = call("Harbour Cafe Ltd").await.unwrap();
    assert_eq!(refused.status(), 429);
    let h = refused.headers().clone();
    assert_eq!(h["x-rate-limit-problem"], "egress-budget");
    assert_eq!(h["x-tenantry-error"], "egress_budget");
    let (_, month_end) = tenantry_core::usage::Month::of(now).bounds();
    let retry: i64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    let until_end = (month_end - chrono::Utc::now()).num_seconds();
    assert!(
        (retry - until_end).abs() <= 60,
        "Retry-After {retry} s, the month ends in {until_end} s"
    );
    let body: Value = refused.json().await.unwrap();
    let detail = body["Detail"].as_str().unwrap();
    assert!(
        detail.contains("egress_org_budget_gb") && detail.contains("1 GB"),
        "{detail}"
    );
    assert_eq!(
        it.fake.api_calls("/api.xro/2.0/Organisation"),
        before + 1,
        "the refused call never reached Xero"
    );
    // Another organisation has its own budget.
    assert_eq!(call("Kiwi Plumbing").await.unwrap().status(), 200);

    // Said once, as an event (which runs the on_event hook).
    let mut said = Vec::new();
    for _ in 0..50 {
        let log: Value = serde_json::from_str(&cli.run(&["log", "--json"]).await.stdout).unwrap();
        said = log
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "egress")
            .cloned()
            .collect();
        if !said.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(
        said[0]["tenant_id"].as_str().map(str::to_lowercase),
        Some(cafe)
    );
    let words = said[0]["detail"].as_str().unwrap();
    assert!(
        words.contains("100%") && words.contains("Harbour Cafe Ltd"),
        "{words}"
    );

    // A restart reads the month back from the store: still refused.
    gw.stop().await;
    let gw = Gateway::start(&cli, &[]).await;
    let again = gw
        .get(&http, "/api.xro/2.0/Organisation", "Harbour Cafe Ltd")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 429);
    gw.stop().await;
}
