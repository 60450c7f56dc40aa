//! The Access view in the real window: who can reach which client, the clients one login alone
//! reaches marked, filtered and sorted, and Export CSV… saved where the save dialog says (its
//! answer given by the debug build's `--test-save-as`).

use super::*;

#[tokio::test]
async fn the_access_view_marks_single_routes_filters_sorts_and_exports_csv() {
    let test = "the_access_view_marks_single_routes_filters_sorts_and_exports_csv";
    let Some(url) = webdriver(test) else {
        return;
    };
    if !keyring_available(test) {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    let it = instance_with(Options::default(), VaultKind::Keychain).await;
    // Ann and Ben both reach Shared Books Trust; each reaches two clients alone.
    it.connect(ANN).await;
    it.connect(BEN).await;
    let config = it.write_config();
    let saved = it.dir.path().join("exported.csv");
    let c = open_window_with(
        &url,
        &["--test-save-as", saved.to_str().unwrap()],
        &config,
        it.dir.path(),
    )
    .await;
    until("the logins", || async {
        (count(&c, "article.login").await == 2).then_some(())
    })
    .await;
    click(&c, ".tab[data-view=access]").await;
    until("a row per login and client", || async {
        (count(&c, "#access-rows tr").await == 6).then_some(())
    })
    .await;
    assert_eq!(
        count(&c, "#access-rows tr.only-route").await,
        4,
        "Harbour Cafe, Kiwi Plumbing, Ben's Practice and Southern Farms have one route each"
    );
    let summary = text(&c, "#access-summary").await.unwrap_or_default();
    assert!(
        summary.contains("2 logins, 5 clients; 4 reachable through one login only"),
        "{summary}"
    );

    type_into(&c, "#access-filter", "kiwi").await;
    until("the filter", || async {
        (count(&c, "#access-rows tr").await == 1).then_some(())
    })
    .await;
    c.execute(
        "const f = document.getElementById('access-filter'); f.value = ''; f.dispatchEvent(new Event('input'));",
        vec![],
    )
    .await
    .unwrap();
    click(&c, "#access-only").await;
    until("only the single routes", || async {
        (count(&c, "#access-rows tr").await == 4).then_some(())
    })
    .await;
    click(&c, "#access-only").await;
    click(&c, "#access-table th[data-sort=organisation]").await;
    click(&c, "#access-table th[data-sort=organisation]").await;
    let first = c
        .execute(
            "return document.querySelector('#access-rows tr td:nth-child(2)').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        first.as_str().unwrap().starts_with("Southern Farms"),
        "sorted by client, descending: {first}"
    );

    click(&c, "#access-export").await;
    let csv = until("the CSV saved", || async {
        std::fs::read_to_string(&saved).ok()
    })
    .await;
    assert!(
        csv.starts_with('\u{feff}'),
        "with the byte-order mark Excel needs"
    );
    assert_eq!(csv.lines().count(), 7, "a header and six rows: {csv}");
    assert!(csv.contains("only_route") && csv.contains("Shared Books Trust"));
    c.close().await.unwrap();
}
