//! The desktop app end to end: a real WebKit window under Xvfb, driven through tauri-driver and
//! WebKitWebDriver, with the real Secret Service keyring and the fake Xero on loopback.
//! `scripts/test.sh` starts Xvfb and tauri-driver and sets TENANTRY_WEBDRIVER; without it these
//! tests say they were skipped (and fail if TENANTRY_REQUIRE_KEYRING is set, as in CI).

use crate::util::*;
use chrono::Duration;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;
use tenantry_fake_xero::Options;

mod access;
mod calls;
mod clients;
mod gateway;
mod handover;
mod memory;
mod practice;
mod usage;

/// The app is single-instance, so its tests take turns.
pub(crate) static ONE_WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn webdriver(test: &str) -> Option<String> {
    match std::env::var("TENANTRY_WEBDRIVER") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("TENANTRY_REQUIRE_KEYRING").is_some() => {
            panic!("{test}: scripts/test.sh must start tauri-driver (TENANTRY_WEBDRIVER unset)")
        }
        Err(_) => {
            eprintln!("SKIPPED {test}: no WebDriver; run ./scripts/test.sh");
            None
        }
    }
}

fn app_bin() -> PathBuf {
    tenantry_bin().with_file_name("tenantry-desktop")
}

/// Ends any instance of the app still running (a previous test's window closing, or one left by
/// a failed test): the app is single-instance, so a new launch would hand over to it and exit.
async fn no_app_running() {
    let bin = app_bin();
    for _ in 0..50 {
        let running: Vec<String> = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| std::fs::read_link(e.path().join("exe")).is_ok_and(|exe| exe == bin))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        if running.is_empty() && !single_instance_name_owned() {
            return;
        }
        if !running.is_empty() {
            let _ = std::process::Command::new("kill").args(&running).status();
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("an earlier instance of the app would not exit");
}

/// Whether the D-Bus name the single-instance plugin claims is still owned. A process that has
/// just exited may keep it until the bus notices; a new instance launched meanwhile would hand its
/// arguments to the dead one and exit, leaving WebDriver waiting for a window forever.
fn single_instance_name_owned() -> bool {
    bus_name_owned("app.tenantry.desktop.SingleInstance", None)
}

async fn open_window(url: &str, config: &Path, data: &Path) -> Client {
    open_window_with(url, &[], config, data).await
}

async fn open_window_with(url: &str, extra: &[&str], config: &Path, data: &Path) -> Client {
    open_app_window(url, &app_bin(), extra, config, data).await
}

/// A window of `application` (the app, or a script that starts it in another environment).
async fn open_app_window(
    url: &str,
    application: &Path,
    extra: &[&str],
    config: &Path,
    data: &Path,
) -> Client {
    no_app_running().await;
    let caps = json!({
        "browserName": "wry",
        "tauri:options": {
            "application": application,
            "args": extra.iter().map(|a| a.to_string()).chain(["--config".into(), config.display().to_string(), "--data-dir".into(), data.display().to_string()]).collect::<Vec<_>>(),
        }
    });
    let caps = caps.as_object().expect("object").clone();
    // The driver allows one session. A test that failed left its session open; end it here, or
    // every window test after it fails with "Maximum number of active sessions".
    let stale = LAST_SESSION.lock().expect("session lock").take();
    if let Some(id) = stale {
        let _ = reqwest::Client::new()
            .delete(format!("{}/session/{id}", url.trim_end_matches('/')))
            .send()
            .await;
    }
    // A session waits for the app's window; an app that cannot start must fail the test, not hang it.
    let client = tokio::time::timeout(
        StdDuration::from_secs(60),
        ClientBuilder::native().capabilities(caps).connect(url),
    )
    .await
    .expect("the app's window appeared within 60 s")
    .expect("a WebDriver session with the app");
    *LAST_SESSION.lock().expect("session lock") = client.session_id().await.ok().flatten();
    client
}

/// The session the last window was opened in (closed or not; deleting a closed one is harmless).
static LAST_SESSION: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Waits until `check` finds what it wants (the UI updates asynchronously from backend events).
async fn until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..150 {
        if let Some(found) = check().await {
            return found;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The text of the first element matching `css`, if it is displayed.
async fn text(c: &Client, css: &str) -> Option<String> {
    let el = c.find(Locator::Css(css)).await.ok()?;
    if !el.is_displayed().await.ok()? {
        return None;
    }
    el.text().await.ok()
}

async fn until_text(c: &Client, css: &str, needle: &str) -> String {
    let mut shown = None;
    for _ in 0..150 {
        shown = text(c, css).await;
        if let Some(found) = shown.as_ref().filter(|t| t.contains(needle)) {
            return found.clone();
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    // Say what was there instead, and the window's notices: the step, and the app's own words.
    let toasts = text(c, "#toasts").await;
    panic!("timed out waiting for `{needle}` in {css}, which showed {shown:?}; notices: {toasts:?}")
}

async fn count(c: &Client, css: &str) -> usize {
    c.find_all(Locator::Css(css))
        .await
        .map(|v| v.len())
        .unwrap_or(0)
}

/// Clicks `css` once it is there and clickable (a closing dialog may still cover it briefly).
async fn click(c: &Client, css: &str) {
    until(&format!("{css} to accept a click"), || async {
        let el = c.find(Locator::Css(css)).await.ok()?;
        el.click().await.ok()
    })
    .await;
}

/// Visible rows of the organisation tables (the filter hides rows with the `hidden` attribute).
async fn visible_orgs(c: &Client) -> Vec<String> {
    let script = "return [...document.querySelectorAll('tr[data-key]')].filter(r => !r.hidden && !r.closest('[hidden]')).map(r => r.querySelector('th').textContent.trim())";
    let value = c.execute(script, vec![]).await.expect("script runs");
    serde_json::from_value(value).unwrap_or_default()
}

async fn screenshot(c: &Client, name: &str) {
    if let Some(dir) = std::env::var_os("TENANTRY_SCREENSHOTS") {
        let png = c.screenshot().await.expect("screenshot");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join(name), png).unwrap();
    }
}

#[tokio::test]
async fn the_window_s_demo_joins_a_demo_the_cli_is_running() {
    let test = "the_window_s_demo_joins_a_demo_the_cli_is_running";
    let Some(url) = webdriver(test) else {
        return;
    };
    if !keyring_available(test) {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    let dir = test_dir();
    let cli = Tenantry {
        config: dir.path().join("demo.toml"),
        data: dir.path().join("data"),
        passphrase: None,
    };
    let (mut demo, _port, _) = cli.start_demo().await;
    let connect = cli.run(&["--profile", "demo", "connect"]).await;
    assert_eq!(connect.status, 0, "{connect:?}");
    let before = std::fs::read_to_string(&cli.config).unwrap();

    // `--demo` finds the CLI's demo running for this profile and opens it as it is, rather than
    // seeding three logins into a fake of its own and pointing the profile there.
    let c = open_window_with(&url, &["--demo"], &cli.config, &cli.data).await;
    until_text(&c, "#counts", "3 organisations across 1 logins").await;
    assert!(
        text(&c, "#logins").await.unwrap_or_default().contains(ANN),
        "the login the CLI connected"
    );
    assert!(
        text(&c, "#mode-badge").await.unwrap().contains("Demo"),
        "still the demo"
    );
    assert_eq!(
        std::fs::read_to_string(&cli.config).unwrap(),
        before,
        "the profile still points at the CLI's fake"
    );
    c.close().await.unwrap();
    demo.start_kill().unwrap();
    let _ = demo.wait().await;
}

#[tokio::test]
async fn first_run_offers_the_demo_which_shows_logins_and_filters_organisations() {
    let Some(url) =
        webdriver("first_run_offers_the_demo_which_shows_logins_and_filters_organisations")
    else {
        return;
    };
    let _turn = ONE_WINDOW.lock().await;
    let dir = test_dir();
    let c = open_window(
        &url,
        &dir.path().join("demo.toml"),
        &dir.path().join("data"),
    )
    .await;
    until_text(&c, "#view-first-run", "Try the demo").await;
    let uris = text(&c, "#first-run-uris").await.unwrap();
    assert!(
        uris.contains("http://localhost:53682/callback"),
        "the exact redirect URIs to register are shown: {uris}"
    );
    screenshot(&c, "first-run.png").await;
    click(&c, "#try-demo").await;
    until("three demo logins", || async {
        (count(&c, "article.login").await == 3).then_some(())
    })
    .await;
    assert!(
        text(&c, "#mode-badge").await.unwrap().contains("Demo"),
        "the window says it runs against the fake"
    );
    let all = visible_orgs(&c).await;
    assert_eq!(
        all.len(),
        8,
        "Ann 3, Ben 3, Cara 2 (the shared one appears under both): {all:?}"
    );
    let shared = c.find_all(Locator::Css(".tag")).await.unwrap().len();
    assert_eq!(
        shared, 2,
        "the organisation reached through two logins is marked under each"
    );

    let search = c.find(Locator::Css("#search")).await.unwrap();
    search.send_keys("farm").await.unwrap();
    let filtered = until("the filter to apply", || async {
        let v = visible_orgs(&c).await;
        (v.len() == 1).then_some(v)
    })
    .await;
    assert_eq!(
        filtered,
        ["Southern Farms"],
        "typing filters organisations across all logins"
    );
    assert_eq!(
        text(&c, "#counts").await.unwrap(),
        "1 of 8 organisations match"
    );
    assert_eq!(
        count(&c, "article.login:not([hidden])").await,
        1,
        "logins with no match are hidden"
    );
    search.clear().await.unwrap();
    search.send_keys("5e6f7a8b-0007").await.unwrap();
    let by_id = until("filter by tenant id", || async {
        let v = visible_orgs(&c).await;
        (v.len() == 1).then_some(v)
    })
    .await;
    assert_eq!(
        by_id,
        ["Demo Company (NZ)"],
        "tenant ids are searchable too"
    );
    click(&c, ".tab[data-view=settings]").await;
    let about = until_text(&c, "#about", "Tenantry").await;
    assert_eq!(
        about,
        concat!("Tenantry ", env!("CARGO_PKG_VERSION")),
        "Settings names the version, as a bug report needs"
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn with_no_keychain_the_window_says_so_and_recovers_when_it_returns() {
    let test = "with_no_keychain_the_window_says_so_and_recovers_when_it_returns";
    let Some(url) = webdriver(test) else {
        return;
    };
    let _turn = ONE_WINDOW.lock().await;
    let dir = test_dir();
    // The app alone gets a session bus address where nothing listens (yet): no Secret Service,
    // as on a server, in WSL or over SSH. tauri-driver passes no environment, so a wrapper does.
    let bus = dir.path().join("bus");
    let wrapper = dir.path().join("no-keychain.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nDBUS_SESSION_BUS_ADDRESS=unix:path={} exec {} \"$@\"\n",
            bus.display(),
            app_bin().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let c = open_app_window(
        &url,
        &wrapper,
        &[],
        &dir.path().join("default.toml"),
        &dir.path().join("data"),
    )
    .await;
    until_text(&c, "#problem-title", "cannot reach your keychain").await;
    let steps = text(&c, "#problem-steps").await.unwrap();
    assert!(
        steps.contains("gnome-keyring-daemon --unlock"),
        "the screen says how to start a keychain: {steps}"
    );
    assert!(
        text(&c, "#problem-message")
            .await
            .unwrap()
            .contains("keychain"),
        "the engine's own reason is shown too"
    );
    assert_eq!(
        text(&c, "#view-first-run").await,
        None,
        "no welcome as if nothing were wrong"
    );
    tokio::time::sleep(StdDuration::from_millis(500)).await; // let WebKit paint it first
    screenshot(&c, "no-keychain.png").await;

    // The keychain comes back (the bus the app was told of now leads to the suite's own):
    // "Try again" opens what the launch asked for, here the first-run page.
    let address = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    let Some(real) = address
        .strip_prefix("unix:path=")
        .map(|rest| rest.split(',').next().unwrap_or(rest).to_owned())
    else {
        eprintln!("SKIPPED the recovery half of {test}: the session bus is not a path ({address})");
        return;
    };
    std::os::unix::fs::symlink(real, &bus).unwrap();
    click(&c, "#problem-retry").await;
    until_text(&c, "#view-first-run", "Try the demo").await;
    assert_eq!(
        text(&c, "#view-problem").await,
        None,
        "the problem screen goes once the keychain answers"
    );
    c.close().await.unwrap();
}

/// Types `value` into the (cleared) input `css`.
async fn type_into(c: &Client, css: &str, value: &str) {
    let field = c.find(Locator::Css(css)).await.expect("the field is there");
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

#[tokio::test]
async fn a_file_vault_is_unlocked_in_the_window_and_a_wrong_passphrase_is_said() {
    let Some(url) =
        webdriver("a_file_vault_is_unlocked_in_the_window_and_a_wrong_passphrase_is_said")
    else {
        return;
    };
    let _turn = ONE_WINDOW.lock().await;
    // A profile whose tokens are in the file vault, Ann signed in; the app gets no
    // TENANTRY_PASSPHRASE, so the window must ask.
    let it = instance_with(Options::default(), VaultKind::File).await;
    it.connect(ANN).await;
    let c = open_window(&url, &it.write_config(), it.dir.path()).await;
    until_text(&c, "#problem-title", "Unlock the file vault").await;
    assert_eq!(
        text(&c, "#vault-passphrase-again").await,
        None,
        "an existing vault asks for its passphrase once"
    );
    assert_eq!(
        text(&c, "#problem-retry").await,
        None,
        "the form replaces Try again"
    );
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    screenshot(&c, "unlock-file-vault.png").await;
    type_into(&c, "#vault-passphrase", "not the passphrase").await;
    click(&c, "#unlock-btn").await;
    until_text(&c, "#problem-message", "does not open the file vault").await;
    type_into(&c, "#vault-passphrase", FILE_PASSPHRASE).await;
    click(&c, "#unlock-btn").await;
    until("Ann's login, from the unlocked vault", || async {
        (count(&c, "article.login").await == 1).then_some(())
    })
    .await;
    click(&c, ".tab[data-view=settings]").await;
    let kept = until_text(&c, "#set-vault", "the file vault at").await;
    assert!(
        kept.contains(&it.dir.path().join("vault").display().to_string()),
        "Settings says where the tokens are: {kept}"
    );
    c.close().await.unwrap();

    // A vault not made yet takes its passphrase twice; a mismatch makes nothing.
    let dir = test_dir();
    let config = dir.path().join("new.toml");
    let mut fresh = tenantry_core::config::Config {
        vault: tenantry_core::config::VaultChoice::File,
        ..Default::default()
    };
    fresh.keychain_service = it.config.keychain_service.clone();
    fresh.save(&config).unwrap();
    let data = dir.path().join("data");
    let c = open_window(&url, &config, &data).await;
    until_text(&c, "#problem-title", "Unlock the file vault").await;
    type_into(&c, "#vault-passphrase", "one thing").await;
    type_into(&c, "#vault-passphrase-again", "another").await;
    click(&c, "#unlock-btn").await;
    until_text(&c, "#unlock-error", "differ").await;
    let key = data.join("vault/identity.age");
    assert!(
        !key.exists(),
        "a mismatch must not make a vault nobody can open"
    );
    type_into(&c, "#vault-passphrase", "one thing").await;
    type_into(&c, "#vault-passphrase-again", "one thing").await;
    click(&c, "#unlock-btn").await;
    until_text(&c, "#view-first-run", "Try the demo").await;
    assert!(
        key.exists(),
        "the vault was made with the passphrase typed twice"
    );
    c.close().await.unwrap();
}

/// A window on a profile configured for the fake Xero (real mode), Ann approved automatically.
async fn real_mode(url: &str, options: Options) -> (Instance, Client) {
    let it = instance_with(options, VaultKind::Keychain).await;
    it.fake.approve_as(Some(ANN));
    let config = it.write_config();
    let c = open_window(url, &config, it.dir.path()).await;
    until_text(&c, "#empty", "No logins yet").await;
    (it, c)
}

#[tokio::test]
async fn connect_refresh_needs_reconnect_reconnect_disconnect_and_remove() {
    let Some(url) = webdriver("connect_refresh_needs_reconnect_reconnect_disconnect_and_remove")
    else {
        return;
    };
    if !keyring_available("connect_refresh_needs_reconnect_reconnect_disconnect_and_remove") {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    let (it, c) = real_mode(&url, Options::default()).await;

    // Connect: the app opens $BROWSER (a helper that follows the fake's redirect) and waits.
    click(&c, "#connect-btn").await;
    until_text(
        &c,
        "#connect-result",
        "Connected Ann Bookkeeper <ann@example.com>",
    )
    .await;
    let added = text(&c, "#connect-added").await.unwrap();
    assert!(
        added.contains("Kiwi Plumbing") && added.contains("Harbour Cafe Ltd"),
        "the organisations this consent added are named: {added}"
    );
    click(&c, "#connect-close").await;
    until("Ann's organisations", || async {
        (visible_orgs(&c).await.len() == 3).then_some(())
    })
    .await;
    assert_eq!(text(&c, ".login .badge").await.unwrap(), "Connected");
    let before = text(&c, "[data-expires]").await.unwrap();
    assert!(
        before.starts_with("expires in 29:") || before.starts_with("expires in 30:"),
        "a live countdown of the 30-minute token: {before}"
    );

    // Refresh now: Xero now issues 10-minute tokens, so the countdown visibly changes.
    it.fake.set_access_lifetime(Duration::minutes(10));
    click(&c, "button[data-action=refresh]").await;
    until_text(&c, "[data-expires]", "expires in 9:").await;
    assert_ne!(
        text(&c, ".facts div:nth-child(3) dd").await.unwrap(),
        "never",
        "last refresh is shown"
    );
    assert_eq!(it.fake.refresh_calls(ANN), 1);

    // A refresh made by the CLI in another process shows up in the open window.
    it.fake.set_access_lifetime(Duration::minutes(5));
    let cli = Tenantry::for_instance(&it);
    assert_eq!(cli.run(&["refresh", ANN]).await.status, 0);
    until_text(&c, "[data-expires]", "expires in 4:").await;

    // Xero revokes the grant: the next refresh marks the login, and Reconnect restores it.
    it.fake.revoke_user(ANN);
    click(&c, "button[data-action=refresh]").await;
    until_text(&c, ".login .badge", "Needs reconnect").await;
    assert!(
        text(&c, ".login .error")
            .await
            .unwrap()
            .contains("sign in again"),
        "the reason is shown"
    );
    // The browser is still signed in to Xero as Ben: the window says what happened and how to fix it.
    it.fake.approve_as(Some(BEN));
    click(&c, "button[data-action=reconnect]").await;
    let hint = until_text(
        &c,
        "#connect-hint",
        "signed in to Xero as ben@example.com, not ann@example.com",
    )
    .await;
    assert_eq!(
        text(&c, "#connect-result").await.unwrap(),
        "ann@example.com was not reconnected.",
        "the failure leads, not a success line about Ben"
    );
    assert!(
        hint.contains("sign out of Xero")
            && hint.contains("private (incognito) browser window")
            && hint.contains("already connected: 0, new: 3"),
        "with both fixes and what the sign-in that happened reached: {hint}"
    );
    // The private-window fix: a new sign-in for Ann that opens no browser, its link to copy.
    click(&c, "#connect-private").await;
    until_text(&c, "#connect-who", "private (incognito) browser window").await;
    let link = c
        .find(Locator::Css("#connect-copy"))
        .await
        .unwrap()
        .attr("data-value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        link.contains("/identity/connect/authorize"),
        "the link to copy: {link}"
    );
    // The private window: Ann signs in there. Had the app sent its browser (still signed in as
    // Ben) to the link, that sign-in would have used it up and this one would be refused.
    it.fake.approve_as(Some(ANN));
    let visit = tenantry_demo::browser::approve(&url::Url::parse(&link).unwrap())
        .await
        .unwrap();
    assert_eq!(visit.status, 200, "the private window reaches the callback");
    until_text(&c, "#connect-result", "Connected Ann Bookkeeper").await;
    click(&c, "#connect-close").await;
    until("both logins healthy", || async {
        let badges = c.find_all(Locator::Css(".login .badge")).await.ok()?;
        let mut texts = Vec::new();
        for b in badges {
            texts.push(b.text().await.ok()?);
        }
        (texts == ["Connected", "Connected"]).then_some(())
    })
    .await;

    // Test connection calls the Organisation endpoint.
    click(&c, "tr[data-key^='harbour'] button[data-action=test]").await;
    until_text(&c, "#toasts", "Harbour Cafe Ltd: connection works").await;

    // Disconnect asks first, then deletes the connection at Xero.
    click(&c, "tr[data-key^='kiwi'] button[data-action=disconnect]").await;
    until_text(&c, "#confirm-text", "Disconnect Kiwi Plumbing").await;
    click(&c, "#confirm-yes").await;
    until("Kiwi Plumbing to go", || async {
        (!visible_orgs(&c)
            .await
            .contains(&"Kiwi Plumbing".to_string()))
        .then_some(())
    })
    .await;
    let ann_id = it.fake.with(|w| w.user(ANN).unwrap().id.clone());
    assert!(
        it.fake
            .with(|w| w.connections_of(&ann_id))
            .iter()
            .all(|conn| conn.tenant_id != it.tenant("Kiwi Plumbing"))
    );

    // Activity explains what happened.
    click(&c, ".tab[data-view=activity]").await;
    let log = until_text(&c, "#activity", "disconnected").await;
    assert!(
        log.contains("needs reconnect") && log.contains("organisation added"),
        "{log}"
    );
    click(&c, ".tab[data-view=logins]").await;

    // Remove asks first, revokes at Xero, and forgets the login.
    click(
        &c,
        "button[data-action=remove][data-email='ann@example.com']",
    )
    .await;
    until_text(&c, "#confirm-text", "Remove ann@example.com").await;
    click(&c, "#confirm-yes").await;
    until("Ann's card to go", || async {
        (count(&c, "article.login").await == 1).then_some(())
    })
    .await;
    assert!(
        text(&c, "article.login")
            .await
            .unwrap()
            .contains("ben@example.com"),
        "Ben's login is untouched"
    );
    assert!(
        it.fake.with(|w| w.connections_of(&ann_id)).is_empty(),
        "revoked at Xero"
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_deep_link_completes_a_sign_in_and_an_unsolicited_one_is_ignored() {
    let Some(url) = webdriver("a_deep_link_completes_a_sign_in_and_an_unsolicited_one_is_ignored")
    else {
        return;
    };
    if !keyring_available("a_deep_link_completes_a_sign_in_and_an_unsolicited_one_is_ignored") {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    let mut it = instance_with(Options::default(), VaultKind::Keychain).await;
    it.config.redirect_mode = tenantry_core::config::RedirectMode::DeepLink;
    it.config.bounce_url = Some(
        "https://bounce.localhost/tenantry-callback.html"
            .parse()
            .unwrap(),
    );
    it.fake.approve_as(Some(ANN));
    let config = it.write_config();
    let c = open_window(&url, &config, it.dir.path()).await;
    until_text(&c, "#empty", "No logins yet").await;

    // A link nobody asked for: ignored, said so, nothing stored.
    let forged = "tenantry://oauth/callback?code=stolen&state=forged";
    let second = tokio::process::Command::new(app_bin())
        .arg(forged)
        .status()
        .await
        .unwrap();
    assert!(
        second.success(),
        "a second instance hands the link to the running one and exits"
    );
    until_text(&c, "#toasts", "Ignored a tenantry:// link").await;
    assert!(it.engine.logins().await.unwrap().is_empty());

    // The real sign-in: Xero redirects to the bounce page, which forwards code and state.
    click(&c, "#connect-btn").await;
    let redirect = until("the fake to redirect to the bounce page", || async {
        it.fake.with(|w| w.last_redirect.clone())
    })
    .await;
    let redirect = url::Url::parse(&redirect).unwrap();
    assert_eq!(
        redirect.host_str(),
        Some("bounce.localhost"),
        "deep-link mode registers the https bounce page"
    );
    let query = redirect.query().unwrap();

    // Malformed links carrying the real code and state, while the sign-in waits: each ignored,
    // and none may consume or cancel the sign-in in progress.
    until("the first notice to go", || async {
        let toasts = text(&c, "#toasts").await.unwrap_or_default();
        (!toasts.contains("Ignored a tenantry:// link")).then_some(())
    })
    .await;
    for malformed in [
        format!("tenantry://evil/callback?{query}"),
        format!("tenantry://oauth/callback?{query}&state=again"),
        format!("tenantry://oauth/callback?{query}#x"),
        format!("tenantry://oauth:1/callback?{query}"),
    ] {
        let second = tokio::process::Command::new(app_bin())
            .arg(&malformed)
            .output()
            .await
            .unwrap();
        assert!(
            second.status.success(),
            "{malformed}: handed over and ignored; the second instance exited {} saying: {}",
            second.status,
            String::from_utf8_lossy(&second.stderr)
        );
    }
    until_text(&c, "#toasts", "Ignored a tenantry:// link").await;
    assert!(it.engine.logins().await.unwrap().is_empty());

    let link = format!("tenantry://oauth/callback?{query}");
    let second = tokio::process::Command::new(app_bin())
        .arg(&link)
        .status()
        .await
        .unwrap();
    assert!(second.success());
    until_text(&c, "#connect-result", "Connected Ann Bookkeeper").await;
    click(&c, "#connect-close").await;
    until("Ann's organisations", || async {
        (visible_orgs(&c).await.len() == 3).then_some(())
    })
    .await;

    // Replaying the same link later is ignored: the sign-in it belonged to is finished.
    tokio::process::Command::new(app_bin())
        .arg(&link)
        .status()
        .await
        .unwrap();
    until("the replay to be refused", || async {
        let toasts = text(&c, "#toasts").await.unwrap_or_default();
        (toasts.matches("Ignored a tenantry:// link").count() >= 1).then_some(())
    })
    .await;
    assert_eq!(it.engine.logins().await.unwrap().len(), 1);
    c.close().await.unwrap();
}

/// Not a test: `scripts/screenshots.sh` runs it (light, then dark) to refresh docs/screenshots.
#[tokio::test]
#[ignore = "run by scripts/screenshots.sh"]
async fn screenshots() {
    let url = std::env::var("TENANTRY_WEBDRIVER").expect("run by scripts/screenshots.sh");
    let theme = std::env::var("TENANTRY_SCREENSHOT_THEME").unwrap_or_else(|_| "light".into());
    let dir = test_dir();
    let c = open_window(
        &url,
        &dir.path().join("demo.toml"),
        &dir.path().join("data"),
    )
    .await;
    until_text(&c, "#view-first-run", "Try the demo").await;
    screenshot(&c, &format!("first-run-{theme}.png")).await;
    click(&c, "#try-demo").await;
    until("the demo logins", || async {
        (count(&c, "article.login").await == 3).then_some(())
    })
    .await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    screenshot(&c, &format!("logins-{theme}.png")).await;
    click(&c, "[data-action=reconnect]").await;
    until_text(&c, "#connect-waiting", "Waiting for you to approve").await;
    screenshot(&c, &format!("connecting-{theme}.png")).await;
    click(&c, "#connect-cancel").await;
    click(&c, ".tab[data-view=activity]").await;
    until_text(&c, "#activity", "refreshed").await;
    // Let WebKit paint the table it just filled (an immediate capture can precede the paint).
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    screenshot(&c, &format!("activity-{theme}.png")).await;
    click(&c, ".tab[data-view=settings]").await;
    until("settings to load", || async {
        text(&c, "#set-data-dir").await.filter(|t| !t.is_empty())
    })
    .await;
    screenshot(&c, &format!("settings-{theme}.png")).await;
    c.close().await.unwrap();

    // With a real Xero app (here the fake in real mode): the start-at-login offer, and a login
    // opened from its link as a notification's click opens it.
    let mut it = instance_with(Options::default(), VaultKind::Keychain).await;
    it.connect(ANN).await;
    it.connect(BEN).await;
    // On Core, whose 10 GB allowance the Usage view's chart draws.
    it.config.tier = Some(tenantry_core::config::Tier::Core);
    let config = it.write_config();
    let c = open_window(&url, &config, it.dir.path()).await;
    until_text(&c, "#autostart-offer", "Start Tenantry when you log in?").await;
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    screenshot(&c, &format!("autostart-offer-{theme}.png")).await;
    let ben = it.engine.resolve_login(BEN).await.unwrap().id;
    tokio::process::Command::new(app_bin())
        .arg(tenantry_core::login::login_link(&ben))
        .status()
        .await
        .unwrap();
    until("Ben's login to be opened", || async {
        (count(&c, "article.login.focused").await == 1).then_some(())
    })
    .await;
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    screenshot(&c, &format!("opened-login-{theme}.png")).await;
    usage::seed_egress(
        &it,
        &["Harbour Cafe Ltd", "Kiwi Plumbing", "Southern Farms"],
    )
    .await;
    click(&c, ".tab[data-view=usage]").await;
    until("the usage chart", || async {
        (count(&c, "#usage-days rect.bar").await > 0).then_some(())
    })
    .await;
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    screenshot(&c, &format!("usage-{theme}.png")).await;
    click(&c, ".tab[data-view=access]").await;
    until("the access table", || async {
        (count(&c, "#access-rows tr").await > 0).then_some(())
    })
    .await;
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    screenshot(&c, &format!("access-{theme}.png")).await;
    calls::make_calls(&it).await;
    click(&c, ".tab[data-view=activity]").await;
    click(&c, "#activity-tab-calls").await;
    until("the call log", || async {
        (count(&c, "#calls tr").await == 6).then_some(())
    })
    .await;
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    screenshot(&c, &format!("calls-{theme}.png")).await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn first_run_connect_to_xero_saves_the_client_id_and_signs_in() {
    let Some(url) = webdriver("first_run_connect_to_xero_saves_the_client_id_and_signs_in") else {
        return;
    };
    if !keyring_available("first_run_connect_to_xero_saves_the_client_id_and_signs_in") {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    let mut it = instance_with(Options::default(), VaultKind::Keychain).await;
    it.fake.approve_as(Some(BEN));
    it.config.client_id = String::new(); // not set up yet: the first-run screen
    let config = it.write_config();
    let c = open_window(&url, &config, it.dir.path()).await;
    until_text(&c, "#view-first-run", "Connect to Xero").await;
    click(&c, "#first-run-save").await;
    until_text(&c, "#first-run-error", "client_id").await; // an empty Client ID is refused, named
    assert!(
        tenantry_core::config::Config::load(&config)
            .unwrap()
            .client_id
            .is_empty(),
        "nothing was written"
    );
    c.find(Locator::Css("#first-run-client"))
        .await
        .unwrap()
        .send_keys(CLIENT_ID)
        .await
        .unwrap();
    click(&c, "#first-run-save").await;
    until_text(
        &c,
        "#connect-result",
        "Connected Ben Accountant <ben@example.com>",
    )
    .await;
    click(&c, "#connect-close").await;
    assert_eq!(
        tenantry_core::config::Config::load(&config)
            .unwrap()
            .client_id,
        CLIENT_ID,
        "the Client ID was saved"
    );
    click(&c, ".tab[data-view=settings]").await;
    let shown = until("the settings form", || async {
        let v = c
            .find(Locator::Css("#set-client"))
            .await
            .ok()?
            .prop("value")
            .await
            .ok()??;
        (!v.is_empty()).then_some(v)
    })
    .await;
    assert_eq!(shown, CLIENT_ID, "Settings shows it for later changes");
    let uris = text(&c, "#set-uris").await.unwrap();
    assert!(
        uris.contains(&format!(
            "http://localhost:{}/callback",
            it.config.redirect_ports[0]
        )),
        "with the URIs to register: {uris}"
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn fifty_logins_and_a_thousand_organisations_stay_usable() {
    let Some(url) = webdriver("fifty_logins_and_a_thousand_organisations_stay_usable") else {
        return;
    };
    if !keyring_available("fifty_logins_and_a_thousand_organisations_stay_usable") {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    let dir = test_dir();
    let c = open_window_with(
        &url,
        &["--demo-size", "50x20"],
        &dir.path().join("demo.toml"),
        &dir.path().join("data"),
    )
    .await;
    // 50 sign-ins through the fake first; give them time.
    for _ in 0..4 {
        if text(&c, "#counts")
            .await
            .is_some_and(|t| t.contains("1000 organisations across 50 logins"))
        {
            break;
        }
        tokio::time::sleep(StdDuration::from_secs(5)).await;
    }
    until_text(&c, "#counts", "1000 organisations across 50 logins").await;
    // The list is virtualised: a few cards are in the DOM, and scrolling brings in the rest.
    let rendered = count(&c, "article.login").await;
    assert!(
        (1..10).contains(&rendered),
        "only the cards in view are rendered, not 50: {rendered}"
    );
    let last = until(
        "scrolling to the end to bring in the last login",
        || async {
            c.execute("window.scrollTo(0, document.body.scrollHeight)", vec![])
                .await
                .ok()?;
            text(&c, "#logins")
                .await
                .filter(|t| t.contains("user049@example.com"))
        },
    )
    .await;
    assert!(
        !last.contains("user000@example.com"),
        "and the first ones leave the DOM"
    );
    let far = c
        .execute(
            "return [...document.querySelectorAll('article.login')].find(a => a.textContent.includes('user049@example.com')).dataset.login",
            vec![],
        )
        .await
        .unwrap();
    let far = far.as_str().unwrap().to_owned();
    c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    until_text(&c, "#logins", "user000@example.com").await;
    // A login link to a card far out of view scrolls to it and renders it.
    tokio::process::Command::new(app_bin())
        .arg(format!("tenantry://login/{far}"))
        .status()
        .await
        .unwrap();
    let focused = until("the far login to be shown", || focused_login(&c)).await;
    assert_eq!(focused, far);
    c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    until_text(&c, "#logins", "user000@example.com").await;
    c.find(Locator::Css("#search"))
        .await
        .unwrap()
        .send_keys("client 049-1")
        .await
        .unwrap();
    let rows = until("the filter to narrow 1,000 rows to 10", || async {
        let v = visible_orgs(&c).await;
        (v.len() == 10).then_some(v)
    })
    .await;
    assert!(
        rows.iter().all(|r| r.starts_with("Client 049-1")),
        "only the matching organisations remain: {rows:?}"
    );
    assert_eq!(
        count(&c, "article.login:not([hidden])").await,
        1,
        "and only the login that reaches them"
    );
    // What one keystroke costs at this size, for the record (benchmarks measure it properly).
    let ms = c
        .execute("const el = document.getElementById('search'); const t = performance.now(); for (let i = 0; i < 100; i++) el.dispatchEvent(new Event('input')); return (performance.now() - t) / 100;", vec![])
        .await
        .unwrap();
    eprintln!("filtering 1,000 organisations took {ms} ms per keystroke (mean of 100) in this run");
    c.close().await.unwrap();
}

/// Not a test: `scripts/bench.sh` runs it on a release build and writes what it measured to
/// TENANTRY_BENCH_DESKTOP: launch to first paint of the full list (50 logins, 1,000
/// organisations, already connected), opening the Clients view to its first paint, filtering
/// cost per keystroke in both views, and the app's resident memory while the CLI refreshes every
/// login every 30 s.
#[tokio::test]
#[ignore = "run by scripts/bench.sh"]
async fn desktop_benchmark() {
    use tenantry_tests::bench::{Fixture, Spread, Vault};
    let url = std::env::var("TENANTRY_WEBDRIVER").expect("run by scripts/bench.sh");
    let report = std::env::var_os("TENANTRY_BENCH_DESKTOP").expect("run by scripts/bench.sh");
    let setting = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (launches, idle_minutes) = (
        setting("TENANTRY_BENCH_LAUNCHES", 10),
        setting("TENANTRY_BENCH_IDLE_MINUTES", 30),
    );
    let _turn = ONE_WINDOW.lock().await;
    let fx = Fixture::new(50, 20, Duration::minutes(30), Vault::Keychain)
        .await
        .expect("50 logins signed in");
    let epoch_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
            * 1000.0
    };

    let mut paints = Vec::new();
    let mut clients_paints = Vec::new();
    let (mut filter, mut clients_filter) = (Vec::new(), Vec::new());
    let mut window = None;
    for launch in 0..launches {
        no_app_running().await;
        let launched = epoch_ms();
        let c = open_window(&url, &fx.config_file, fx.data_dir()).await;
        let painted = marked(&c, "tenantry:first-list-paint").await;
        assert_eq!(
            text(&c, "#counts").await.unwrap_or_default(),
            "1000 organisations across 50 logins",
            "the painted list is the full one (its cards in view are in the DOM)"
        );
        paints.push(painted - launched);
        let last = launch + 1 == launches;
        if last {
            filter = keystrokes(&c, "search").await;
        }

        // The Clients view draws its whole table when its tab opens: from the click to two frames
        // after the 1,000 rows are in the DOM.
        let clicked = c
            .execute(
                "const t = performance.timeOrigin + performance.now(); document.querySelector('.tab[data-view=clients]').click(); return t;",
                vec![],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap();
        let drawn = marked(&c, "tenantry:first-clients-paint").await;
        assert_eq!(
            text(&c, "#clients-counts").await.unwrap_or_default(),
            "1000 of 1000 organisations shown; 0 need attention",
            "the Clients view painted every organisation"
        );
        clients_paints.push(drawn - clicked);
        if last {
            clients_filter = keystrokes(&c, "clients-search").await;
            window = Some(c);
        } else {
            c.close().await.unwrap();
        }
    }
    let c = window.expect("at least one launch");

    // Idle, with every login refreshed by another process every 30 s (the window follows): the
    // first half on the Logins view, the second on the Clients view, so both views' redraws are
    // in the run and the slope of the last half is one view's standing still.
    let app = app_pid().expect("the app's process");
    let mut samples = Vec::new();
    let started = std::time::Instant::now();
    let refresh_every = StdDuration::from_secs(30);
    let idle = StdDuration::from_secs(idle_minutes * 60);
    let show = |view: &'static str| {
        let c = c.clone();
        async move {
            c.execute(
                "document.querySelector(`.tab[data-view=${arguments[0]}]`).click();",
                vec![json!(view)],
            )
            .await
            .unwrap();
        }
    };
    show("logins").await;
    let mut on_clients = false;
    while started.elapsed() < idle {
        if !on_clients && started.elapsed() >= idle / 2 {
            show("clients").await;
            on_clients = true;
        }
        // Async: the fake Xero answering it runs on this test's runtime.
        let mut refresh = fx.cli(&tenantry_bin());
        refresh
            .args(["refresh", "--all"])
            .stdout(std::process::Stdio::null());
        let refresh = tokio::process::Command::from(refresh)
            .status()
            .await
            .unwrap();
        assert!(refresh.success(), "the CLI refreshes every login");
        tokio::time::sleep(refresh_every).await;
        samples.push((
            started.elapsed().as_secs_f64() / 60.0,
            tree_rss_kib(app) as f64 / 1024.0,
        ));
    }
    c.close().await.unwrap();
    fx.forget();
    let mut json = json!({
        "logins": 50, "organisations": 1000,
        "first_paint_ms": Spread::of(paints),
        "filter_ms": Spread::of(filter.clone()),
        "filter_first_round_ms": filter[..24.min(filter.len())],
        "clients_first_paint_ms": Spread::of(clients_paints),
        "clients_filter_ms": Spread::of(clients_filter.clone()),
        "clients_filter_first_round_ms": clients_filter[..24.min(clients_filter.len())],
    });
    if let (Some(first), Some(last)) = (samples.first(), samples.last()) {
        let half = samples.len() / 2;
        json["idle"] = json!({
            "minutes": idle_minutes, "refresh_every_s": refresh_every.as_secs(),
            "first_mib": first.1, "last_mib": last.1,
            "slope_mib_per_min": slope(&samples[half..]),
            "logins_view_slope_mib_per_min": slope(&samples[..half]),
            "samples": samples,
        });
    }
    std::fs::write(report, json.to_string()).unwrap();
}

/// When the page set the performance mark `name` (ms since the epoch), once it has.
async fn marked(c: &Client, name: &str) -> f64 {
    until(&format!("the mark {name}"), || async {
        c.execute(
            "const m = performance.getEntriesByName(arguments[0])[0]; return m ? performance.timeOrigin + m.startTime : null",
            vec![json!(name)],
        )
        .await
        .ok()
        .and_then(|v| v.as_f64())
    })
    .await
}

/// Types and deletes a filter into the input `id` five times, keystroke by keystroke, and returns
/// what each cost: the input handler plus the layout it forces.
async fn keystrokes(c: &Client, id: &str) -> Vec<f64> {
    let times = c
        .execute(
            "const el = document.getElementById(arguments[0]); const text = 'client 049-1'; const out = [];
             const key = (v) => { el.value = v; const t = performance.now(); el.dispatchEvent(new Event('input')); void document.body.offsetHeight; out.push(performance.now() - t); };
             for (let round = 0; round < 5; round++) {
               for (let i = 1; i <= text.length; i++) key(text.slice(0, i));
               for (let i = text.length - 1; i >= 0; i--) key(text.slice(0, i));
             }
             return out;",
            vec![json!(id)],
        )
        .await
        .unwrap();
    serde_json::from_value(times).unwrap()
}

/// The running app's process id.
fn app_pid() -> Option<u32> {
    let bin = app_bin();
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .filter(|e| std::fs::read_link(e.path().join("exe")).is_ok_and(|exe| exe == bin))
        .find_map(|e| e.file_name().to_str()?.parse().ok())
}

/// Resident memory of a process and all its descendants (the app and its WebKit processes).
fn tree_rss_kib(root: u32) -> u64 {
    let field = |pid: u32, name: &str| -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    let pids: Vec<u32> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i] as u64;
        tree.extend(pids.iter().filter(|&&p| field(p, "PPid:") == Some(parent)));
        i += 1;
    }
    tree.iter().filter_map(|&p| field(p, "VmRSS:")).sum()
}

/// Least-squares slope of (x, y) points.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let num: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let den: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if den == 0.0 { 0.0 } else { num / den }
}

/// Three logins signed in with the real keychain, Cara's grant then withdrawn at Xero so that
/// she needs a human; returns the instance and Cara's id.
async fn three_logins_cara_needing_a_human() -> (Instance, tenantry_core::model::LoginId) {
    let it = instance_with(Options::default(), VaultKind::Keychain).await;
    for user in [ANN, BEN, CARA] {
        it.connect(user).await;
    }
    let cara = it.engine.resolve_login(CARA).await.unwrap().id;
    it.fake.revoke_user(CARA);
    assert!(
        it.engine.refresh_login(&cara).await.is_err(),
        "a withdrawn grant cannot be refreshed"
    );
    (it, cara)
}

/// The login the window has opened (outlined), if any.
async fn focused_login(c: &Client) -> Option<String> {
    let el = c.find(Locator::Css("article.login.focused")).await.ok()?;
    el.attr("data-login").await.ok().flatten()
}

/// Moves a login's refresh token `days` into the past in the app's store: what the app sees
/// when that login was last refreshed `days` ago.
fn age_login(it: &Instance, email: &str, days: i64) {
    let db = rusqlite::Connection::open(it.dir.path().join("tenantry.db")).unwrap();
    let id = it.fake.with(|w| w.user(email).unwrap().id.clone());
    let old = (chrono::Utc::now() - Duration::days(days)).timestamp_millis();
    db.execute(
        "UPDATE logins SET refresh_issued_at = ?1 WHERE id = ?2",
        rusqlite::params![old, id],
    )
    .unwrap();
}

#[tokio::test]
async fn the_app_keeps_logins_alive_backs_off_offline_and_notifies_once_when_a_human_must_act() {
    let test =
        "the_app_keeps_logins_alive_backs_off_offline_and_notifies_once_when_a_human_must_act";
    let Some(url) = webdriver(test) else {
        return;
    };
    if !keyring_available(test) {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    // Cara needs a human. Ann's refresh token is 46 days old (past the 45-day threshold), Ben's
    // is new.
    let (it, cara) = three_logins_cara_needing_a_human().await;
    age_login(&it, ANN, 46);
    let before = |u| it.fake.refresh_calls(u);
    let (ann, ben, cara_calls) = (before(ANN), before(BEN), before(CARA));
    let daemon = crate::notify_daemon::NotifyDaemon::start().await;

    // "A minute" is 100 ms for this window: hourly keep-alive every 6 s, back-off from 0.1 s.
    let config = it.write_config();
    let c = open_window_with(&url, &["--test-minute-ms", "100"], &config, it.dir.path()).await;
    until("keep-alive at start to refresh Ann", || async {
        (it.fake.refresh_calls(ANN) == ann + 1).then_some(())
    })
    .await;
    let reconnect = until("the notification that Cara needs a human", || async {
        daemon
            .shown()
            .into_iter()
            .find(|n| n.summary == "Reconnect cara@example.com")
    })
    .await;
    assert_eq!(reconnect.app_name, "Tenantry");
    assert!(
        reconnect.body.contains("sign in again") && reconnect.actions.contains(&"default".into()),
        "it says what to do, and a click opens the app: {reconnect:?}"
    );
    // Thirty background ticks later: nothing more was refreshed and nothing said twice.
    tokio::time::sleep(StdDuration::from_secs(3)).await;
    assert_eq!(
        (before(ANN), before(BEN), before(CARA)),
        (ann + 1, ben, cara_calls),
        "exactly the login past the threshold was refreshed; Ben is young and Cara needs a human"
    );
    let shown = daemon.shown();
    assert_eq!(
        shown.len(),
        1,
        "one notification, not one per tick, and none for healthy logins: {shown:?}"
    );

    // Clicking it opens the window on Cara's login.
    daemon.click(reconnect.id).await;
    let focused = until("the window to open on Cara", || focused_login(&c)).await;
    assert_eq!(
        focused,
        cara.as_str(),
        "the notification's login is the one shown"
    );
    screenshot(&c, "notification-opened.png").await;

    // Xero goes away while Ben falls due: runs back off, are logged, and resume when it returns.
    it.fake.inject(tenantry_fake_xero::Fault::ServerError, 4);
    age_login(&it, BEN, 46);
    // Each run is in the activity log, saying what it did and when the next try is.
    let offline = until("a run that could not reach Xero", || async {
        it.engine
            .events(None, 200)
            .await
            .unwrap()
            .into_iter()
            .find(|e| {
                e.kind == tenantry_core::model::EventKind::KeepAliveRun
                    && e.detail.contains("Xero could not be reached")
            })
    })
    .await;
    assert!(
        offline.detail.contains("next try in 1 min"),
        "the first retry is a minute away, not an hour: {}",
        offline.detail
    );
    until("Ben to be refreshed once Xero answers again", || async {
        (it.fake.refresh_calls(BEN) == ben + 1).then_some(())
    })
    .await;
    let runs: Vec<String> = it
        .engine
        .events(None, 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == tenantry_core::model::EventKind::KeepAliveRun)
        .map(|e| e.detail)
        .collect();
    assert!(
        runs.iter().any(|d| d.contains("1 refreshed")),
        "the run after the outage refreshed Ben: {runs:?}"
    );
    assert_eq!(
        it.fake.refresh_calls(ANN),
        ann + 1,
        "and left Ann, refreshed minutes ago, alone"
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn start_at_login_is_offered_once_and_a_login_link_opens_that_login() {
    let test = "start_at_login_is_offered_once_and_a_login_link_opens_that_login";
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
    let entry = std::path::PathBuf::from(std::env::var("HOME").unwrap())
        .join(".config/autostart/Tenantry.desktop");
    let _ = std::fs::remove_file(&entry);
    let config = it.write_config();
    let c = open_window(&url, &config, it.dir.path()).await;
    let offer = until_text(&c, "#autostart-offer", "Start Tenantry when you log in?").await;
    assert!(
        offer.contains("60 days"),
        "the offer gives its reason: {offer}"
    );
    screenshot(&c, "autostart-offer.png").await;
    assert!(!entry.exists(), "start at login is off by default");
    click(&c, "#autostart-yes").await;
    until("the autostart entry", || async {
        entry.exists().then_some(())
    })
    .await;
    let desktop_entry = std::fs::read_to_string(&entry).unwrap();
    assert!(
        desktop_entry.contains("tenantry-desktop --hidden"),
        "it starts the app in the tray, without a window: {desktop_entry}"
    );
    assert!(
        text(&c, "#autostart-offer").await.is_none(),
        "the answered offer goes away"
    );

    // A tenantry://login/<id> link (what a notification opens) shows that login.
    let ben = it.engine.resolve_login(BEN).await.unwrap().id;
    let link = tenantry_core::login::login_link(&ben);
    assert!(
        tokio::process::Command::new(app_bin())
            .arg(&link)
            .status()
            .await
            .unwrap()
            .success()
    );
    let focused = until("Ben's login to be shown", || focused_login(&c)).await;
    assert_eq!(focused, ben.as_str());
    // One naming no login of this profile is ignored and said so.
    tokio::process::Command::new(app_bin())
        .arg("tenantry://login/0000-not-a-login")
        .status()
        .await
        .unwrap();
    until_text(&c, "#toasts", "Ignored a tenantry:// link").await;

    // Settings turn it off again; the offer is not made a second time.
    click(&c, ".tab[data-view=settings]").await;
    until("the start-at-login box to show it is on", || async {
        let el = c.find(Locator::Css("#set-autostart")).await.ok()?;
        el.prop("checked")
            .await
            .ok()
            .flatten()
            .filter(|v| v == "true")
    })
    .await;
    click(&c, "#set-autostart").await;
    until("the autostart entry to go", || async {
        (!entry.exists()).then_some(())
    })
    .await;
    c.close().await.unwrap();
    let c = open_window(&url, &config, it.dir.path()).await;
    until("Ann and Ben", || async {
        (count(&c, "article.login").await == 2).then_some(())
    })
    .await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert!(
        text(&c, "#autostart-offer").await.is_none(),
        "an offer once answered is not made again"
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn the_tray_shows_the_worst_state_and_its_menu_refreshes_opens_and_quits() {
    let test = "the_tray_shows_the_worst_state_and_its_menu_refreshes_opens_and_quits";
    let Some(url) = webdriver(test) else {
        return;
    };
    if !keyring_available(test) {
        return;
    }
    let _turn = ONE_WINDOW.lock().await;
    let (it, cara) = three_logins_cara_needing_a_human().await;
    // The panel's side of the tray protocol, up before the app starts, as on a desktop.
    let host = crate::tray_host::TrayHost::start().await;
    let config = it.write_config();
    let c = open_window(&url, &config, it.dir.path()).await;
    // The window shows the logins before the test acts, as a person would see them first.
    until_text(&c, "#logins", "cara@example.com").await;
    until("the tray icon to register with the panel", || async {
        host.item()
    })
    .await;
    // Red: a login needs a human (the colours are tray::icon's).
    until("the icon to show the worst state", || async {
        host.icon_centre()
            .await
            .filter(|c| c.starts_with("#C62828"))
    })
    .await;
    let menu = until("the tray menu", || async {
        host.menu().await.filter(|m| m.len() == 4)
    })
    .await;
    let labels: Vec<(&str, bool)> = menu.iter().map(|e| (e.label.as_str(), e.enabled)).collect();
    assert_eq!(
        labels,
        [
            ("Open Tenantry", true),
            ("1 login needs attention…", true),
            ("Refresh all logins", true),
            ("Quit Tenantry", true),
        ],
        "the menu counts the logins needing attention"
    );

    let before = |u| it.fake.refresh_calls(u);
    let (ann, ben, cara_calls) = (before(ANN), before(BEN), before(CARA));
    host.click("Refresh all").await;
    until("Ann and Ben to be refreshed from the tray", || async {
        (before(ANN) == ann + 1 && before(BEN) == ben + 1).then_some(())
    })
    .await;
    assert_eq!(
        before(CARA),
        cara_calls,
        "a login that needs a human is not sent to Xero again"
    );

    host.click("1 login needs attention").await;
    let focused = until("the window to open on Cara", || focused_login(&c)).await;
    assert_eq!(
        focused,
        cara.as_str(),
        "the attention item opens the login needing it"
    );

    // Cara reconnects: nothing needs attention, the icon turns green and the item greys out.
    it.connect(CARA).await;
    until("the icon to turn green", || async {
        host.icon_centre()
            .await
            .filter(|c| c.starts_with("#2E7D32"))
    })
    .await;
    let menu = host.menu().await.unwrap();
    assert_eq!(
        (menu[1].label.as_str(), menu[1].enabled),
        ("Nothing needs attention", false),
        "{menu:?}"
    );

    // Closing the window (as a window manager asks) keeps the app in the tray; "Open" brings
    // the window back.
    assert_eq!(window("state"), "viewable");
    window("close");
    until("the window to hide", || async {
        (window("state") == "hidden").then_some(())
    })
    .await;
    assert!(
        app_pid().is_some(),
        "closing the window does not quit the app"
    );
    host.click("Open Tenantry").await;
    until("the window to come back", || async {
        (window("state") == "viewable").then_some(())
    })
    .await;

    host.click("Quit").await;
    until("the app to quit", || async {
        app_pid().is_none().then_some(())
    })
    .await;
    let _ = c.close().await;

    // With close_to_tray off, closing the window quits, as it would without a tray.
    let mut it = it;
    it.config.close_to_tray = false;
    let config = it.write_config();
    let c = open_window(&url, &config, it.dir.path()).await;
    until_text(&c, "#logins", "ann@example.com").await;
    window("close");
    until("the app to quit on close", || async {
        app_pid().is_none().then_some(())
    })
    .await;
    let _ = c.close().await;
}

/// Asks the app's window to close as a window manager does, or reports whether it is shown
/// (`support/close-window.py`).
fn window(action: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e/support/close-window.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .args(["Tenantry", action])
        .output()
        .expect("python3 runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
