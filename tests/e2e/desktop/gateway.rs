//! Settings' "Serve the Xero API to local programs": ticked and saved in the real window, the
//! running app serves the gateway (and its token agent) on the profile's port until it is
//! unticked.

use super::*;

#[tokio::test]
async fn the_window_serves_the_xero_api_to_local_programs_when_settings_say_so() {
    let test = "the_window_serves_the_xero_api_to_local_programs_when_settings_say_so";
    let Some(url) = webdriver(test) else {
        return;
    };
    if !keyring_available(test) {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    // A Starter app: the Clients view counts the day's calls out of Starter's 1,000.
    let starter = Options::default().on_tier("starter").unwrap();
    let mut it = instance_with(starter, VaultKind::Keychain).await;
    let port = free_ports()[0];
    it.config.gateway_port = port;
    it.config.tier = Some(tenantry_core::config::Tier::Starter);
    let cli = Tenantry::connected(&it, &[ANN]).await;
    let config = it.write_config();
    let key = cli.run(&["gateway", "--print-key"]).await;
    assert_eq!(key.status, 0, "{key:?}");
    let key = key.stdout.trim().to_owned();
    let c = open_window(&url, &config, it.dir.path()).await;
    until("the login", || async {
        (count(&c, "article.login").await == 1).then_some(())
    })
    .await;

    let http = reqwest::Client::new();
    let organisation = || {
        http.get(format!("http://127.0.0.1:{port}/api.xro/2.0/Organisation"))
            .bearer_auth(&key)
            .header("xero-tenant-id", "Kiwi Plumbing")
            .send()
    };
    assert!(
        organisation().await.is_err(),
        "off by default: nothing listens"
    );

    click(&c, ".tab[data-view=settings]").await;
    until("settings to load", || async {
        text(&c, "#set-data-dir").await.filter(|t| !t.is_empty())
    })
    .await;
    click(&c, "#set-gateway").await;
    click(&c, "#settings-form button[type=submit]").await;
    let answer = until("the gateway to serve", || async {
        organisation().await.ok()
    })
    .await;
    assert_eq!(
        answer.status(),
        200,
        "the app serves the Xero API with the profile's key"
    );
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["Organisations"][0]["Name"], "Kiwi Plumbing");
    assert!(
        tenantry_core::config::Config::load(&config)
            .unwrap()
            .serve_gateway,
        "the setting was saved"
    );
    let token = cli.run(&["token", "Kiwi Plumbing"]).await;
    assert_eq!(
        token.status, 0,
        "and its token agent answers the CLI: {token:?}"
    );
    // What Xero said is left of the day shows beside the client (written every 2 s).
    click(&c, ".tab[data-view=clients]").await;
    let shown = until_text(&c, "#clients", "999 of 1,000 calls left today").await;
    assert!(
        !shown.contains("4999"),
        "Starter's day, as the fake counts it: {shown}"
    );
    screenshot(&c, "gateway-clients.png").await;
    click(&c, ".tab[data-view=settings]").await;

    click(&c, "#set-gateway").await;
    click(&c, "#settings-form button[type=submit]").await;
    until("the gateway to stop", || async {
        organisation().await.is_err().then_some(())
    })
    .await;
    c.close().await.unwrap();
}
