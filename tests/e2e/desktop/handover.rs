//! The guided handover in the real window, from a login's "Hand over…": Ann leaves, three of her
//! four clients are reachable through her alone; Cara consents to two in one sign-in, the window
//! keeps Ann and says what is missing, closing and opening it again continues, and once the third
//! arrives Ann is removed and revoked at Xero with no client lost.

use super::*;
use crate::reports::{T1, T2, T3, T4, T5, grant_only, leaver};

#[tokio::test]
async fn a_leaver_s_clients_are_handed_over_in_the_window_before_the_login_goes() {
    let test = "a_leaver_s_clients_are_handed_over_in_the_window_before_the_login_goes";
    let Some(url) = webdriver(test) else {
        return;
    };
    if !keyring_available(test) {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    let it = instance_with(
        Options {
            seed: leaver(),
            ..Options::default()
        },
        VaultKind::Keychain,
    )
    .await;
    let grant = |tenants: &[&str]| grant_only(&it, tenants);
    grant(&[T1, T2, T3, T4]);
    let ann = it.connect(ANN).await.login.id;
    it.connect(BEN).await;
    grant(&[T5]);
    let cara = it.connect(CARA).await.login.id;
    let ann_user = it.fake.with(|w| w.user(ANN).unwrap().id.clone());
    let config = it.write_config();
    let c = open_window(&url, &config, it.dir.path()).await;
    until("the three logins", || async {
        (count(&c, "article.login").await == 3).then_some(())
    })
    .await;

    let open = || async {
        click(
            &c,
            &format!("article.login[data-login=\"{ann}\"] button[data-action=handover]"),
        )
        .await;
        choose(&c, "#handover-to", cara.as_str()).await;
    };
    open().await;
    until_text(
        &c,
        "#handover-summary",
        "ann@example.com alone reaches 3 organisations; cara@example.com reaches 0 of them.",
    )
    .await;
    assert_eq!(count(&c, "#handover-list li.missing").await, 3);
    let shared = text(&c, "#handover-shared").await.unwrap_or_default();
    assert!(shared.contains("Delta Shared"), "Ben reaches it: {shared}");
    assert!(
        disabled(&c, "#handover-remove").await,
        "nothing is handed over yet"
    );

    // Cara consents to two of the three in one sign-in: Ann is kept, the third is named.
    grant(&[T1, T2]);
    it.fake.approve_as(Some(CARA));
    sign_in_from_the_dialog(&c).await;
    until("two handed over", || async {
        (count(&c, "#handover-list li.done").await == 2).then_some(())
    })
    .await;
    let missing = text(&c, "#handover-list li.missing")
        .await
        .unwrap_or_default();
    assert!(missing.contains("Charlie Ltd"), "{missing}");
    assert!(
        disabled(&c, "#handover-remove").await,
        "Charlie Ltd would be lost"
    );
    // Removing anyway takes ticking each organisation that would be lost; untick, and it is off.
    click(&c, "#handover-force-list input").await;
    assert!(!disabled(&c, "#handover-remove").await, "every loss named");
    click(&c, "#handover-force-list input").await;
    assert!(disabled(&c, "#handover-remove").await);
    assert!(
        !it.fake.with(|w| w.connections_of(&ann_user)).is_empty(),
        "Ann is still connected at Xero"
    );

    // Closed and opened again: it continues where it stood.
    click(&c, "#handover-close").await;
    open().await;
    until_text(
        &c,
        "#handover-summary",
        "cara@example.com reaches 2 of them",
    )
    .await;
    if std::env::var_os("TENANTRY_SCREENSHOTS").is_some() {
        // WebKit paints a dialog shown again late on a busy machine.
        tokio::time::sleep(StdDuration::from_secs(2)).await;
    }
    screenshot(&c, "handover.png").await;

    // The third arrives: Ann may go, and goes, revoked at Xero.
    grant(&[T3]);
    sign_in_from_the_dialog(&c).await;
    until("all three handed over", || async {
        (count(&c, "#handover-list li.done").await == 3).then_some(())
    })
    .await;
    assert!(
        !disabled(&c, "#handover-remove").await,
        "nothing would be lost"
    );
    click(&c, "#handover-remove").await;
    until_text(&c, "#confirm-text", "Remove ann@example.com?").await;
    click(&c, "#confirm-yes").await;
    until_text(&c, "#toasts", "Removed ann@example.com: revoked at Xero.").await;
    until("Ann's card to go", || async {
        (count(&c, "article.login").await == 2).then_some(())
    })
    .await;
    assert!(
        it.fake.with(|w| w.connections_of(&ann_user)).is_empty(),
        "revoked at Xero: her connections are gone"
    );
    let orgs = it.engine.organisations().await.unwrap();
    for tenant in [T1, T2, T3, T4] {
        assert!(
            orgs.iter().any(|o| o.tenant_id == tenant),
            "no organisation lost: {tenant}"
        );
    }
    let steps = it
        .engine
        .events(Some(&ann), 50)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == tenantry_core::model::EventKind::Handover)
        .count();
    assert!(steps >= 5, "each step is an event: {steps}");
    c.close().await.unwrap();
}

/// Chooses `value` in the `<select>` `css`, as a person picking it does (a change event).
async fn choose(c: &Client, css: &str, value: &str) {
    until(&format!("{value} among {css}'s options"), || async {
        let script = "const s = document.querySelector(arguments[0]); if (![...s.options].some(o => o.value === arguments[1])) return false; s.value = arguments[1]; s.dispatchEvent(new Event('change')); return true;";
        let done = c
            .execute(script, vec![json!(css), json!(value)])
            .await
            .ok()?;
        (done == json!(true)).then_some(())
    })
    .await;
}

async fn disabled(c: &Client, css: &str) -> bool {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .prop("disabled")
        .await
        .unwrap()
        .is_some_and(|d| d == "true")
}

/// "Sign in as …" in the handover dialog, through the connect dialog to its result, closed.
async fn sign_in_from_the_dialog(c: &Client) {
    click(c, "#handover-sign-in").await;
    until_text(c, "#connect-result", "Connected").await;
    click(c, "#connect-close").await;
}
