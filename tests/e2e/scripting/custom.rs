//! Custom Connections: a login made of a client id and secret (Xero's `client_credentials`
//! app type), connected without a browser, its secret kept in the keychain, its tokens fetched
//! once however many processes ask, no 60-day deadline, and every way it can be refused.

use super::*;
use tenantry_fake_xero::{CustomConnection, Options};

const APP: &str = "CUSTOMCONNECTIONAPP0000000000001";
const SECRET: &str = "fake-custom-secret-Qw3rty";
const FARMS: &str = "5e6f7a8b-0005-4c5d-9e0f-aa0000000005";

/// Client-credentials requests the fake has answered so far.
fn client_credentials_calls(it: &Instance) -> usize {
    it.fake
        .recorded("/connect/token")
        .iter()
        .filter(|r| {
            r.form
                .iter()
                .any(|(k, v)| k == "grant_type" && v == "client_credentials")
        })
        .count()
}

#[tokio::test]
async fn a_custom_connection_connects_with_its_secret_and_needs_no_browser_nor_deadline() {
    let test = "a_custom_connection_connects_with_its_secret_and_needs_no_browser_nor_deadline";
    if !keyring_available(test) {
        return;
    }
    let it = instance_with(
        Options {
            custom_connections: vec![CustomConnection {
                client_id: APP.into(),
                secret: SECRET.into(),
                tenant_id: FARMS.into(),
            }],
            ..Default::default()
        },
        VaultKind::Keychain,
    )
    .await;
    let cli = Tenantry::for_instance(&it);
    let connect = |secret: Option<&'static str>| {
        let mut cmd = cli.command(&["connect", "--custom-connection", "--client-id", APP]);
        match secret {
            Some(s) => cmd.env("TENANTRY_CLIENT_SECRET", s),
            None => cmd.env_remove("TENANTRY_CLIENT_SECRET"),
        };
        run(cmd)
    };

    let wrong = connect(Some("not-the-secret")).await;
    assert_eq!(wrong.status, 6, "a wrong secret: {wrong:?}");
    assert!(
        wrong.stderr.contains("invalid_client") && wrong.stderr.contains("nothing was stored"),
        "named, with what to do: {wrong:?}"
    );
    let none = connect(None).await;
    assert_eq!(
        none.status, 2,
        "no secret and no terminal to ask at: {none:?}"
    );
    assert!(none.stderr.contains("TENANTRY_CLIENT_SECRET"), "{none:?}");
    let empty: serde_json::Value =
        serde_json::from_str(&cli.run(&["status", "--json"]).await.stdout).unwrap();
    assert_eq!(
        empty["logins"],
        serde_json::json!([]),
        "a refused pair stores nothing"
    );

    let ok = connect(Some(SECRET)).await;
    assert_eq!(ok.status, 0, "{ok:?}");
    assert!(
        ok.stdout
            .contains("Connected Southern Farms <Southern Farms (custom connection)>"),
        "its organisation from /connections: {ok:?}"
    );
    assert!(
        !ok.stderr.contains("/identity/connect/authorize"),
        "no browser, no sign-in address"
    );
    let status: serde_json::Value =
        serde_json::from_str(&cli.run(&["status", "--json"]).await.stdout).unwrap();
    let login = &status["logins"][0];
    assert_eq!(login["kind"], "custom_connection");
    assert_eq!(login["state"], "connected");
    assert!(
        login["refresh_deadline"].is_null() && login["refresh_days_left"].is_null(),
        "no 60-day deadline: {login}"
    );
    let table = cli.run(&["status"]).await;
    assert!(table.stdout.contains("none (custom conn.)"), "{table:?}");

    // Its token works at Xero's API for its organisation.
    let header = cli
        .run(&["token", "Southern Farms", "--format", "header"])
        .await;
    assert_eq!(header.status, 0, "{header:?}");
    assert_eq!(
        organisation_status(&it, header.stdout.trim(), FARMS).await,
        "200",
        "Xero's API accepts the custom connection's token for its organisation"
    );

    // The secret is in the keychain, not in the data directory.
    for (path, bytes) in snapshot(it.dir.path()) {
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "{} holds the client secret",
            path.display()
        );
    }

    // An hour on, eight processes want a token at once: one new one is fetched for them all.
    let before = client_credentials_calls(&it);
    let mut runs = Vec::new();
    for _ in 0..8 {
        let mut cmd = cli.command(&["token", "Southern Farms"]);
        cmd.env("TENANTRY_TEST_CLOCK_OFFSET_SECS", "3600");
        runs.push(tokio::spawn(run(cmd)));
    }
    let mut tokens = std::collections::HashSet::new();
    for r in runs {
        let ran = r.await.unwrap();
        assert_eq!(ran.status, 0, "{ran:?}");
        tokens.insert(ran.stdout);
    }
    assert_eq!(
        client_credentials_calls(&it) - before,
        1,
        "single flight across processes, as for a user's refresh"
    );
    assert_eq!(tokens.len(), 1, "every process got the one new token");

    // Keep-alive has nothing to keep alive here.
    let before = client_credentials_calls(&it);
    let mut keep = cli.command(&["keepalive", "--older-than", "1"]);
    keep.env("TENANTRY_TEST_CLOCK_OFFSET_SECS", (50 * 86_400).to_string());
    let keep = run(keep).await;
    assert_eq!(keep.status, 0, "{keep:?}");
    assert_eq!(
        client_credentials_calls(&it),
        before,
        "no token fetched by keep-alive"
    );

    // The app's secret is changed at Xero: the next fetch is refused and a person is asked.
    it.fake
        .with(|w| w.options.custom_connections[0].secret = "rotated-at-xero".into());
    let mut later = cli.command(&["token", "Southern Farms"]);
    later.env("TENANTRY_TEST_CLOCK_OFFSET_SECS", "7200");
    let later = run(later).await;
    assert_eq!(
        later.status, 3,
        "a person must give the new secret: {later:?}"
    );
    assert!(
        later
            .stderr
            .contains("tenantry connect --custom-connection"),
        "{later:?}"
    );
    let status: serde_json::Value =
        serde_json::from_str(&cli.run(&["status", "--json"]).await.stdout).unwrap();
    assert_eq!(status["logins"][0]["reason_code"], "credentials_refused");

    let removed = cli
        .run(&["remove", "Southern Farms (custom connection)", "--yes"])
        .await;
    assert_eq!(
        removed.status, 0,
        "removed without a revocation: {removed:?}"
    );
}
