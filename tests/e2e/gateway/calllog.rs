//! The call log: every call through a running gateway (a program's own, `tenantry each`,
//! `tenantry call`, MCP's tools) is one row, with its program and tool, never a query's values or
//! a key; `tenantry log --calls` filters it; exactly one row per call from 16 processes at once;
//! `call_log_days = 0` keeps none.

use super::mcp::{sdk_python, session};
use super::*;
use tenantry_fake_xero::Options;

const ORGANISATION: &str = "/api.xro/2.0/Organisation";

/// The call log as `tenantry log --calls --json ARGS` prints it.
async fn logged(cli: &Tenantry, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["log", "--calls", "--json", "--limit", "1000"];
    all.extend_from_slice(args);
    let ran = cli.run(&all).await;
    assert_eq!(ran.status, 0, "{ran:?}");
    serde_json::from_str(&ran.stdout).unwrap()
}

/// Waits (10 s at most) until the log holds `n` calls: the gateway writes them off the calls'
/// path, a moment after each ends.
async fn until_logged(cli: &Tenantry, n: usize) -> Vec<serde_json::Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let calls = logged(cli, &[]).await;
        if calls.len() >= n || std::time::Instant::now() > deadline {
            return calls;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn every_call_through_the_gateway_is_one_row_without_query_values_or_keys() {
    let test = "every_call_through_the_gateway_is_one_row_without_query_values_or_keys";
    let Some(python) = sdk_python(test) else {
        return;
    };
    let Some((it, cli)) = connected(test, Options::default()).await else {
        return;
    };
    let gw = Gateway::start(&cli, &[]).await;
    let http = reqwest::Client::new();
    let harbour = it.tenant("Harbour Cafe Ltd");

    // A program's own call, with a query whose value names a customer.
    let own = gw
        .get(
            &http,
            "/api.xro/2.0/Contacts?where=Name%3D%3D%22Secret%20Customer%22&page=1",
            &harbour,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    let _ = own.text().await;
    // One the gateway refuses itself: no organisation of that name.
    let refused = gw
        .get(&http, ORGANISATION, "Nowhere Ltd")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    let _ = refused.text().await;
    let each = cli.run(&["each", "--all", "--", "GET", ORGANISATION]).await;
    assert_eq!(each.status, 0, "{each:?}");
    let call = cli
        .run(&["call", "Southern Farms", "GET", ORGANISATION])
        .await;
    assert_eq!(call.status, 0, "{call:?}");
    // MCP: two rounds of two reads, xero_get_each over five, and no write tool.
    let seen = session(&cli, &python, "2", "0", &[]).await;
    assert_eq!(seen["failed"], serde_json::json!([]), "{seen}");

    let expected = 2 + 5 + 1 + 4 + 5;
    let calls = until_logged(&cli, expected).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let calls_again = logged(&cli, &[]).await;
    assert_eq!(
        (calls.len(), calls_again.len()),
        (expected, expected),
        "one row per call, no more: {calls:#?}"
    );
    let tool_count = |tool: &str| calls.iter().filter(|c| c["tool"] == tool).count();
    assert_eq!(
        (
            tool_count("each"),
            tool_count("call"),
            tool_count("xero_get"),
            tool_count("xero_get_each")
        ),
        (5, 1, 4, 5),
        "Tenantry's front ends name their tools"
    );
    assert!(
        calls
            .iter()
            .filter(|c| c["tool"].is_string())
            .all(|c| c["program"] == "tenantry"),
        "and their program is tenantry: {calls:#?}"
    );
    let contacts = calls
        .iter()
        .find(|c| {
            c["path"]
                .as_str()
                .unwrap()
                .starts_with("/api.xro/2.0/Contacts")
        })
        .expect("the program's own call");
    assert_eq!(
        contacts["path"], "/api.xro/2.0/Contacts?where&page",
        "names, not values"
    );
    assert_eq!(contacts["organisation"], "Harbour Cafe Ltd");
    assert_eq!(contacts["status"], 200);
    assert!(contacts["tool"].is_null());
    let nowhere = calls
        .iter()
        .find(|c| c["status"] == 404)
        .expect("the refused call");
    assert_eq!(
        nowhere["tenant_id"], "nowhere ltd",
        "what it named, as it named it"
    );
    assert!(
        calls.iter().all(|c| c["bytes"].as_u64().unwrap() > 0
            && c["method"] == "GET"
            && c["at"].as_str().unwrap().ends_with('Z')),
        "{calls:#?}"
    );
    let text = serde_json::to_string(&calls).unwrap();
    assert!(
        !text.contains("Secret") && !text.contains(&gw.key),
        "no query value and no key is kept"
    );

    // The filters.
    let southern = logged(&cli, &["--org", "Southern Farms"]).await;
    assert!(
        southern.len() >= 3
            && southern
                .iter()
                .all(|c| c["organisation"] == "Southern Farms"),
        "{southern:#?}"
    );
    let program = calls
        .iter()
        .find(|c| c["tool"].is_null() && c["status"] == 200)
        .unwrap()["program"]
        .as_str()
        .unwrap()
        .to_uppercase();
    assert_eq!(
        logged(&cli, &["--program", &program]).await.len(),
        2,
        "the test's own two calls, by its program's name in any case"
    );
    assert_eq!(logged(&cli, &["--since", "1h"]).await.len(), expected);
    assert_eq!(logged(&cli, &["--since", "2099-01-01"]).await.len(), 0);
    let table = cli.run(&["log", "--calls", "--limit", "3"]).await;
    assert!(
        table.status == 0
            && table.stdout.starts_with("WHEN")
            && table.stdout.lines().count() == 1 + 3 + 1,
        "a table of the newest three, and the zone: {table:?}"
    );
    for (args, says) in [
        (
            vec!["log", "--calls", "--since", "yesterday"],
            "is not a time",
        ),
        (vec!["log", "--org", "Harbour Cafe Ltd"], "--calls"),
    ] {
        let ran = cli.run(&args).await;
        assert!(
            ran.status == 2 && ran.stderr.contains(says),
            "{args:?}: {ran:?}"
        );
    }

    // Sixteen processes at once through the running gateway: exactly sixteen more rows.
    let before = logged(&cli, &[]).await.len();
    let mut runs = tokio::task::JoinSet::new();
    for _ in 0..16 {
        runs.spawn(run(cli.command(&["call", &harbour, "GET", ORGANISATION])));
    }
    while let Some(ran) = runs.join_next().await {
        let ran = ran.unwrap();
        assert_eq!(ran.status, 0, "{ran:?}");
    }
    let after = until_logged(&cli, before + 16).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        (after.len(), logged(&cli, &[]).await.len()),
        (before + 16, before + 16),
        "exactly one row per call under a 16-process load"
    );
    gw.stop().await;

    // call_log_days = 0: no new call is logged, and none forgotten (in a practice the rows are
    // every machine's).
    let set = cli.run(&["config", "set", "call_log_days", "0"]).await;
    assert_eq!(set.status, 0, "{set:?}");
    let call = cli
        .run(&["call", "Southern Farms", "GET", ORGANISATION])
        .await;
    assert_eq!(call.status, 0, "{call:?}");
    assert_eq!(logged(&cli, &[]).await.len(), before + 16, "not logged");
    let off = cli.run(&["log", "--calls", "--limit", "1"]).await;
    assert!(
        off.status == 0 && off.stderr.contains("call_log_days is 0"),
        "and the log says so: {off:?}"
    );
}
