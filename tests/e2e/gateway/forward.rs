//! Forwarding: each organisation answered through the login that reaches it, with the real
//! token put in; and everything the gateway must refuse, refused before any token is used.

use super::*;
use tenantry_fake_xero::Options;

#[tokio::test]
async fn each_organisation_is_served_through_its_own_login_and_writes_land_there() {
    let test = "each_organisation_is_served_through_its_own_login_and_writes_land_there";
    let Some((it, cli)) = connected(test, Options::default()).await else {
        return;
    };
    let gw = Gateway::start(&cli, &[]).await;
    let http = reqwest::Client::new();

    // By name (Ann's organisation) and by tenant id (Ben's): each answered as that organisation.
    let harbour = gw
        .get(&http, "/api.xro/2.0/Organisation", "harbour cafe ltd")
        .send()
        .await
        .unwrap();
    assert_eq!(harbour.status(), 200, "a name is enough");
    assert!(
        harbour.headers().contains_key("x-daylimit-remaining"),
        "Xero's limit headers are passed on"
    );
    let body: serde_json::Value = harbour.json().await.unwrap();
    assert_eq!(
        body["Organisations"][0]["Name"], "Harbour Cafe Ltd",
        "{body}"
    );
    let farms = it.tenant("Southern Farms");
    let body: serde_json::Value = gw
        .get(&http, "/api.xro/2.0/Organisation", &farms)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["Organisations"][0]["Name"], "Southern Farms",
        "Ben's organisation through Ben's token (Ann's would be refused by Xero): {body}"
    );

    // A write lands in the organisation named, and only there.
    let made = http
        .put(format!("{}/api.xro/2.0/Contacts", gw.url))
        .bearer_auth(&gw.key)
        .header("xero-tenant-id", "Kiwi Plumbing")
        .json(&serde_json::json!({"Contacts": [{"Name": "Gateway Test Ltd"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 200, "{:?}", made.text().await);
    let kiwi = it.tenant("Kiwi Plumbing");
    it.fake.with(|w| {
        assert_eq!(
            w.contacts.get(&kiwi).map(Vec::len),
            Some(1),
            "the contact is in the organisation the request named"
        );
        assert_eq!(w.contacts.len(), 1, "and in no other");
    });
    let recorded = it.fake.recorded("/api.xro/2.0/Contacts");
    assert_eq!(recorded.len(), 1, "one call reached Xero");
    let sent = recorded[0].authorization.as_deref().unwrap_or_default();
    assert!(
        sent.starts_with("Bearer ey") && !sent.contains(&gw.key),
        "Xero saw the login's access token, never the gateway key"
    );

    // `/connections`: every organisation either login reaches, once each.
    let list: Vec<serde_json::Value> = http
        .get(format!("{}/connections", gw.url))
        .bearer_auth(&gw.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut names: Vec<&str> = list
        .iter()
        .filter_map(|c| c["tenantName"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "Ben's Practice",
            "Harbour Cafe Ltd",
            "Kiwi Plumbing",
            "Shared Books Trust",
            "Southern Farms"
        ],
        "Ann's and Ben's, the shared one once"
    );

    // What Xero said was left of each organisation's day reaches `orgs` and `status` (the
    // gateway writes it every 2 s).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let orgs = loop {
        let ran = cli.run(&["orgs", "--json"]).await;
        let orgs: Vec<serde_json::Value> = serde_json::from_str(&ran.stdout).unwrap();
        let harbour = orgs
            .iter()
            .find(|o| o["name"] == "Harbour Cafe Ltd")
            .unwrap();
        if !harbour["calls_left_today"].is_null() || std::time::Instant::now() > deadline {
            break orgs;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let left =
        |name: &str| orgs.iter().find(|o| o["name"] == name).unwrap()["calls_left_today"].clone();
    assert_eq!(
        left("Harbour Cafe Ltd"),
        4999,
        "one call of 5,000 spent today"
    );
    assert_eq!(left("Southern Farms"), 4999);
    assert_eq!(
        left("Ben's Practice"),
        serde_json::Value::Null,
        "not called: not known"
    );
    let status: serde_json::Value =
        serde_json::from_str(&cli.run(&["status", "--json"]).await.stdout).unwrap();
    assert_eq!(
        status["calls_left_today"].as_array().map(Vec::len),
        Some(3),
        "status lists the three organisations called: {status}"
    );
    let table = cli.run(&["orgs", "Harbour"]).await;
    assert!(
        table
            .stdout
            .contains("4999 of Xero's 5,000 calls left today"),
        "and the table says it: {table:?}"
    );
}

#[tokio::test]
async fn what_is_not_a_local_program_s_xero_call_is_refused_with_what_to_do() {
    let test = "what_is_not_a_local_program_s_xero_call_is_refused_with_what_to_do";
    let Some((it, cli)) = connected(test, Options::default()).await else {
        return;
    };
    let gw = Gateway::start(&cli, &[]).await;
    let http = reqwest::Client::new();
    let org_calls = || it.fake.api_calls("/api.xro/2.0/Organisation");
    let before = org_calls();
    let url = format!("{}/api.xro/2.0/Organisation", gw.url);
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "no key",
            http.get(&url).header("xero-tenant-id", "Kiwi Plumbing"),
            401,
            "no_key",
        ),
        (
            "a wrong key",
            http.get(&url)
                .bearer_auth("tgw_guess")
                .header("xero-tenant-id", "Kiwi Plumbing"),
            401,
            "wrong_key",
        ),
        (
            "a rebound DNS name",
            gw.get(&http, "/api.xro/2.0/Organisation", "Kiwi Plumbing")
                .header("host", format!("attacker.example:{}", gw.port)),
            421,
            "wrong_host",
        ),
        (
            "a web page's request",
            gw.get(&http, "/api.xro/2.0/Organisation", "Kiwi Plumbing")
                .header("origin", "http://127.0.0.1:8000"),
            403,
            "browser",
        ),
        (
            "a preflight",
            http.request(reqwest::Method::OPTIONS, &url)
                .header("access-control-request-method", "GET"),
            405,
            "preflight",
        ),
        (
            "no organisation",
            http.get(&url).bearer_auth(&gw.key),
            400,
            "no_tenant",
        ),
        (
            "an organisation no login reaches",
            gw.get(&http, "/api.xro/2.0/Organisation", "Nobody's Books"),
            404,
            "unknown_organisation",
        ),
        (
            "a path that is not Xero's",
            gw.get(&http, "/admin", "Kiwi Plumbing"),
            404,
            "not_xero",
        ),
        (
            "a body larger than Xero takes",
            http.post(format!("{}/files.xro/1.0/Files", gw.url))
                .bearer_auth(&gw.key)
                .header("xero-tenant-id", "Kiwi Plumbing")
                .body(vec![b'x'; 11 * 1024 * 1024]),
            413,
            "too_large",
        ),
    ];
    for (what, request, status, code) in cases {
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), status, "{what}");
        assert!(
            answer
                .headers()
                .keys()
                .all(|k| !k.as_str().starts_with("access-control-")),
            "{what}: no CORS header ever, so no web page can read an answer"
        );
        assert_eq!(
            answer
                .headers()
                .get("x-tenantry-error")
                .and_then(|v| v.to_str().ok()),
            Some(code),
            "{what}: a code programs can branch on"
        );
        let body: serde_json::Value = answer.json().await.unwrap();
        assert!(
            body["Detail"].as_str().is_some_and(|d| d.len() > 20),
            "{what}: says what to do: {body}"
        );
    }
    assert_eq!(org_calls(), before, "nothing refused ever reached Xero");
}
