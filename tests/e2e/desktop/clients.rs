//! The Clients view in the real window: every organisation once with its own state, "Check with
//! Xero" finding a client that disconnected the app, the "problems only" filter, sorting, removing
//! a disconnected client from the list, and a login that needs a human shown without a countdown.

use super::*;
use tenantry_core::model::EventKind;

/// Each Clients row as "name|state" in the order shown; none while the view is not showing.
async fn client_rows(c: &Client) -> Vec<String> {
    let rows = c
        .execute(
            "return [...document.querySelectorAll('#clients tr[data-tenant]')].filter(r => !r.closest('[hidden]')).map(r => r.querySelector('th').textContent + '|' + r.dataset.state)",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(rows).unwrap()
}

#[tokio::test]
async fn the_clients_view_shows_each_organisation_s_truth_and_its_fix() {
    let test = "the_clients_view_shows_each_organisation_s_truth_and_its_fix";
    let Some(url) = webdriver(test) else {
        return;
    };
    if !keyring_available(test) {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    let (it, _cara) = three_logins_cara_needing_a_human().await;
    let config = it.write_config();
    // The app's tier allows as many connections as these logins hold: the header says so.
    let file = std::fs::read_to_string(&config).unwrap();
    let (capped, _) = tenantry_core::config::set(&file, "connection_limit", "8").unwrap();
    std::fs::write(&config, capped).unwrap();
    let c = open_window(&url, &config, it.dir.path()).await;
    until_text(&c, "#counts", "8 organisations across 3 logins").await;
    assert_eq!(
        text(&c, "#connections").await.unwrap_or_default(),
        "8 of 8 connections: cap reached",
        "the window shows how near the app is to its cap"
    );
    screenshot(&c, "connection-cap.png").await;
    until_text(&c, "#logins", "Scopes: offline_access openid profile email").await;
    // The app checks at Xero at start (after keep-alive); the button's check comes after it.
    until("the start-up check", || async {
        let run = it.engine.last_event(EventKind::CheckRun).await.ok()??;
        Some(run)
    })
    .await;
    let cara_card = c
        .execute(
            "const card = [...document.querySelectorAll('article.login')].find(a => a.textContent.includes('cara@example.com')); return [card.querySelectorAll('[data-expires]').length, card.querySelector('.access-none')?.textContent ?? null, card.querySelectorAll('meter').length]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        cara_card,
        json!([0, "—", 0]),
        "a login that needs a human shows no ticking countdown and no green deadline bar"
    );

    click(&c, ".tab[data-view=clients]").await;
    let rows = until("the clients", || async {
        let rows = client_rows(&c).await;
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    assert!(
        rows.iter().any(|r| r.ends_with("|needs_reconnect")),
        "Cara's clients need her to reconnect: {rows:?}"
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.starts_with("Shared Books Trust|"))
            .count(),
        1,
        "an organisation two logins reach is one client: {rows:?}"
    );

    // Kiwi Plumbing removes the app inside Xero; "Check with Xero" finds it.
    let ann = it.fake.with(|w| w.user(ANN).unwrap().id.clone());
    let kiwi = it.tenant("Kiwi Plumbing");
    let conn = it.fake.with(|w| {
        w.connections_of(&ann)
            .into_iter()
            .find(|c| c.tenant_id == kiwi)
            .unwrap()
    });
    it.fake.with(|w| w.delete_connection(&ann, &conn.id));
    click(&c, "#check-btn").await;
    until_text(&c, "#toasts", "disconnected: Kiwi Plumbing").await;
    until("Kiwi Plumbing marked disconnected", || async {
        client_rows(&c)
            .await
            .contains(&"Kiwi Plumbing|disconnected".to_string())
            .then_some(())
    })
    .await;
    // The table is redrawn on every overview the window fetches: read the row once it is there.
    let kiwi_row = until("Kiwi Plumbing's row", || async {
        text(&c, &format!("#clients tr[data-tenant='{kiwi}']")).await
    })
    .await;
    assert!(
        kiwi_row.contains("Disconnected at Xero")
            && kiwi_row.contains("Reconnect ann@example.com")
            && kiwi_row.contains("Remove from list"),
        "it stays in view with both fixes: {kiwi_row}"
    );
    assert_eq!(
        c.execute(
            "return document.getElementById('view-clients').hidden",
            vec![]
        )
        .await
        .unwrap(),
        json!(false),
        "the Clients view is still the one showing"
    );
    screenshot(&c, "clients.png").await;

    click(&c, "#clients-problems").await;
    let problems = client_rows(&c).await;
    assert!(
        !problems.is_empty() && problems.iter().all(|r| !r.ends_with("|connected")),
        "problems only: {problems:?}"
    );
    click(&c, "#clients-problems").await;
    click(&c, "#clients-table th[data-sort=name]").await;
    let by_name = client_rows(&c).await;
    let mut sorted = by_name.clone();
    sorted.sort_by_key(|r| r.to_lowercase());
    assert_eq!(by_name, sorted, "sorted by client name");

    click(
        &c,
        &format!("#clients tr[data-tenant='{kiwi}'] button[data-action=client-remove]"),
    )
    .await;
    click(&c, "#confirm-yes").await;
    until("Kiwi Plumbing removed from the list", || async {
        (!client_rows(&c)
            .await
            .iter()
            .any(|r| r.starts_with("Kiwi Plumbing|")))
        .then_some(())
    })
    .await;
    c.close().await.unwrap();
}
