//! The Activity view's Calls tab in the real window: the calls programs made through the gateway
//! (here `tenantry each` and `tenantry call`, each through a gateway of its own, writing to the
//! same store), with their tools, never a query's values, filtered by client, program and time.

use super::*;

/// Calls for the window to show: `each` over every client, and one `call` with a query.
pub(super) async fn make_calls(it: &Instance) {
    let cli = Tenantry::for_instance(it);
    let each = cli
        .run(&["each", "--all", "--", "GET", "/api.xro/2.0/Organisation"])
        .await;
    assert_eq!(each.status, 0, "{each:?}");
    let call = cli
        .run(&[
            "call",
            "Southern Farms",
            "GET",
            "/api.xro/2.0/Contacts",
            "--query",
            "where=Name==\"Secret Customer\"",
        ])
        .await;
    assert_eq!(call.status, 0, "{call:?}");
}

#[tokio::test]
async fn the_calls_tab_lists_the_gateways_calls_and_filters_them() {
    let test = "the_calls_tab_lists_the_gateways_calls_and_filters_them";
    let Some(url) = webdriver(test) else {
        return;
    };
    if !keyring_available(test) {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    let it = instance_with(Options::default(), VaultKind::Keychain).await;
    it.connect(ANN).await;
    it.connect(BEN).await;
    make_calls(&it).await;
    let config = it.write_config();
    let c = open_window(&url, &config, it.dir.path()).await;
    until("the logins", || async {
        (count(&c, "article.login").await == 2).then_some(())
    })
    .await;
    click(&c, ".tab[data-view=activity]").await;
    click(&c, "#activity-tab-calls").await;
    until("a row per call", || async {
        (count(&c, "#calls tr").await == 6).then_some(())
    })
    .await;
    let table = text(&c, "#calls").await.unwrap_or_default();
    assert!(
        table.contains("tenantry (each)")
            && table.contains("tenantry (call)")
            && table.contains("GET /api.xro/2.0/Contacts?where")
            && !table.contains("Secret"),
        "each call with its tool, and no query value: {table}"
    );
    assert!(
        text(&c, "#activity-events")
            .await
            .is_none_or(|t| t.is_empty()),
        "the events are hidden meanwhile"
    );

    let southern = it.tenant("Southern Farms");
    c.execute(
        &format!(
            "const s = document.getElementById('calls-org'); s.value = '{southern}'; s.dispatchEvent(new Event('change'));"
        ),
        vec![],
    )
    .await
    .unwrap();
    until("Southern Farms' two calls", || async {
        (count(&c, "#calls tr").await == 2).then_some(())
    })
    .await;
    type_into(&c, "#calls-program", "python").await;
    until_text(&c, "#calls", "No calls match").await;
    c.execute(
        "const p = document.getElementById('calls-program'); p.value = 'TENANTRY'; p.dispatchEvent(new Event('input'));\
         const s = document.getElementById('calls-org'); s.value = ''; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await
    .unwrap();
    until("every call again, by its program in any case", || async {
        (count(&c, "#calls tr").await == 6).then_some(())
    })
    .await;
    click(&c, "#activity-tab-events").await;
    until_text(&c, "#activity", "connected").await;
    c.close().await.unwrap();
}
