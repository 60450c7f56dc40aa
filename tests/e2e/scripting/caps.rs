//! The connection cap (shown, warned of, Xero's refusal named) and scopes (added by consenting
//! again, a mistyped one refused before the browser).

use super::*;

#[tokio::test]
async fn the_connection_cap_is_shown_warned_of_and_named_when_xero_refuses() {
    let test = "the_connection_cap_is_shown_warned_of_and_named_when_xero_refuses";
    if !keyring_available(test) {
        return;
    }
    // The app's tier allows 3 connections; Ann's consent takes all three.
    let it = instance_with(
        tenantry_fake_xero::Options {
            connection_limit: Some(3),
            ..Default::default()
        },
        VaultKind::Keychain,
    )
    .await;
    let cli = Tenantry::for_instance(&it);
    assert_eq!(
        cli.run(&["config", "set", "connection_limit", "4"])
            .await
            .status,
        0
    );
    it.fake.approve_as(Some(ANN));
    assert_eq!(cli.run(&["connect"]).await.status, 0);
    let status = cli.run(&["status"]).await;
    assert!(
        status.stdout.contains("3 of 4 connections."),
        "status shows how near the cap is: {status:?}"
    );
    let json = cli.run(&["status", "--json"]).await;
    assert_eq!(jq(".connections.used", &json.stdout).await, "3");
    assert_eq!(jq(".connections.limit", &json.stdout).await, "4");

    // At the cap (as configured), Ben's sign-in is warned of before the browser opens; Xero
    // sends the browser to its connectionLimit page, and the wait, cancelled, names the cap.
    assert_eq!(
        cli.run(&["config", "set", "connection_limit", "3"])
            .await
            .status,
        0
    );
    it.fake.approve_as(Some(BEN));
    let mut connect = cli.command(&["connect"]);
    connect
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = connect.spawn().unwrap();
    let pid = child.id().unwrap();
    until_fake(&it, "the browser sent to the connectionLimit page", |w| {
        w.last_redirect
            .as_deref()
            .is_some_and(|r| r.ends_with("/connectionLimit"))
    })
    .await;
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "cancelled: {stderr}");
    assert!(
        stderr.contains("Warning: 3 of 3 connections: the app's cap is reached")
            && stderr.contains("connection limit (3 of 3)")
            && stderr.contains("tenantry disconnect"),
        "warned before the browser, and the refusal named with its fixes: {stderr}"
    );
    assert_eq!(
        it.fake.with(|w| w.connection_count()),
        3,
        "Xero connected nothing past its cap"
    );

    // A reconnect adds no connection, so it still works at the cap.
    it.fake.approve_as(Some(ANN));
    let again = cli.run(&["connect", "--reconnect", ANN]).await;
    assert_eq!(again.status, 0, "{again:?}");
}

/// Waits (at most 20 s) until the fake's world satisfies `done`.
async fn until_fake(it: &Instance, what: &str, done: impl Fn(&tenantry_fake_xero::World) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !it.fake.with(|w| done(w)) {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_reconnect_adds_a_scope_and_a_mistyped_one_is_refused_before_the_browser() {
    let Some(it) = keychain_instance(
        "a_reconnect_adds_a_scope_and_a_mistyped_one_is_refused_before_the_browser",
    )
    .await
    else {
        return;
    };
    let cli = Tenantry::connected(&it, &[ANN]).await;
    let typo = cli
        .run(&[
            "connect",
            "--reconnect",
            ANN,
            "--scope",
            "accounting.invoice",
        ])
        .await;
    assert_eq!(typo.status, 2, "{typo:?}");
    assert!(
        typo.stderr.contains("did you mean `accounting.invoices`")
            && !typo.stderr.contains("/identity/connect/authorize"),
        "refused with the scope meant, before any sign-in address: {typo:?}"
    );
    let added = cli
        .run(&[
            "connect",
            "--reconnect",
            ANN,
            "--scope",
            "accounting.invoices",
        ])
        .await;
    assert_eq!(added.status, 0, "{added:?}");
    assert!(
        added.stderr.contains("accounting.invoices")
            && added.stdout.contains("Scopes granted:")
            && added.stdout.contains("accounting.invoices"),
        "the sign-in asked for it and Xero granted it: {added:?}"
    );
    let json = cli.run(&["status", "--json"]).await;
    assert!(
        jq(".logins[0].scopes | join(\" \")", &json.stdout)
            .await
            .contains("accounting.invoices"),
        "the login keeps the added scope: {}",
        json.stdout
    );
    // The identity check still holds: signing in as someone else adds nothing to Ann.
    it.fake.approve_as(Some(BEN));
    let wrong = cli
        .run(&[
            "connect",
            "--reconnect",
            ANN,
            "--scope",
            "accounting.contacts",
        ])
        .await;
    assert_eq!(wrong.status, 3, "a reconnect as another person: {wrong:?}");
}

/// The app's tier: its cap in `status`, and `doctor` saying when none is set and failing when
/// more organisations are connected than the tier allows.
#[tokio::test]
async fn the_tier_sets_the_cap_and_doctor_says_when_the_connections_do_not_fit() {
    let Some(it) =
        keychain_instance("the_tier_sets_the_cap_and_doctor_says_when_the_connections_do_not_fit")
            .await
    else {
        return;
    };
    let cli = Tenantry::connected(&it, &[ANN, BEN]).await;
    let doctor = cli.run(&["doctor"]).await;
    assert!(
        doctor.stdout.contains("- no tier set") && doctor.stdout.contains("config set tier"),
        "no tier is said, with how to set it: {doctor:?}"
    );
    assert_eq!(doctor.status, 0, "and is not a failure: {doctor:?}");

    assert_eq!(cli.run(&["config", "set", "tier", "core"]).await.status, 0);
    let status = cli.run(&["status"]).await;
    assert!(
        status.stdout.contains("6 of 50 connections."),
        "Core's cap, with Ann's three and Ben's three: {status:?}"
    );
    let doctor = cli.run(&["doctor"]).await;
    assert!(
        doctor
            .stdout
            .contains("✓ tier core: 6 of 50 connections, 5000 calls a day per organisation"),
        "{doctor:?}"
    );

    assert_eq!(
        cli.run(&["config", "set", "tier", "starter"]).await.status,
        0
    );
    let doctor = cli.run(&["doctor"]).await;
    assert_eq!(doctor.status, 1, "{doctor:?}");
    assert!(
        doctor
            .stdout
            .contains("✗ 6 organisations connected, more than the 5 the app's starter tier allows")
            && doctor.stdout.contains("tenantry disconnect ORG"),
        "over Starter's cap, with the fixes: {doctor:?}"
    );

    let bad = cli.run(&["config", "set", "tier", "gold"]).await;
    assert_eq!(bad.status, 6, "{bad:?}");
    assert!(
        bad.stderr.contains("starter") && bad.stderr.contains("enterprise"),
        "an unknown tier names the five: {bad:?}"
    );
}
