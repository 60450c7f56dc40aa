//! The tour: the engine working end to end against the built-in fake Xero, with the real OS
//! keychain, step by step in a terminal (`cargo run -p tenantry-demo --example tour`).

use chrono::Duration;
use std::sync::Arc;
use tenantry_core::clock::{Clock, OffsetClock};
use tenantry_core::config::Config;
use tenantry_core::model::{LoginState, REFRESH_TOKEN_LIFETIME};
use tenantry_core::secret::fingerprint;
use tenantry_core::vault::{KeychainVault, TokenVault};
use tenantry_core::{Engine, LoginOutcome};
use tenantry_demo::browser;
use tenantry_demo::{FakeXero, Options};
use tokio_util::sync::CancellationToken;

const CLIENT_ID: &str = tenantry_demo::DEMO_CLIENT_ID;

fn step(n: u32, text: &str) {
    println!("\n\x1b[1m{n}. {text}\x1b[0m");
}

async fn sign_in(engine: &Engine, fake: &FakeXero, email: &str) -> anyhow::Result<LoginOutcome> {
    fake.approve_as(Some(email));
    let sign_in = engine.begin_login(None).await?;
    let url = sign_in.authorize_url().clone();
    println!(
        "   browser opens {}…",
        &url.as_str()[..url.as_str().find('?').unwrap_or(0)]
    );
    println!("   waiting for the redirect to {}", sign_in.redirect_uri());
    let browser = tokio::spawn(async move { browser::approve(&url).await });
    let outcome = sign_in.complete(CancellationToken::new()).await?;
    browser.await?.map_err(anyhow::Error::msg)?;
    let added: Vec<_> = outcome.added.iter().map(|o| o.name.as_str()).collect();
    println!(
        "   ✓ {} <{}> connected; this consent added: {}",
        outcome.login.name,
        outcome.login.email,
        added.join(", ")
    );
    Ok(outcome)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let fake = FakeXero::start(Options {
        client_id: Some(CLIENT_ID.into()),
        ..Options::default()
    })
    .await?;
    let data = tempfile::tempdir()?;
    let service = format!("tenantry-demo-{}", std::process::id());
    let ports: Vec<u16> = (0..3)
        .map(|_| {
            std::net::TcpListener::bind("127.0.0.1:0").map(|l| l.local_addr().map(|a| a.port()))
        })
        .collect::<Result<Result<_, _>, _>>()??;
    let config = Config {
        client_id: CLIENT_ID.into(),
        redirect_ports: ports,
        keychain_service: service.clone(),
        xero: tenantry_demo::endpoints(&fake),
        ..Config::default()
    };
    let vault: Arc<dyn TokenVault> = Arc::new(KeychainVault::platform(&service));
    let clock = OffsetClock::new();
    let engine = Engine::open(config, data.path(), vault.clone(), Arc::new(clock.clone())).await?;

    println!(
        "Tenantry demo: the engine against the built-in fake Xero at {} (nothing leaves this computer).",
        fake.url()
    );
    println!(
        "Tokens go to the OS keychain under the service name `{service}`; they are removed at the end."
    );

    step(
        1,
        "Connect a login through the browser sign-in (PKCE, loopback redirect)",
    );
    sign_in(&engine, &fake, "ann@example.com").await?;
    step(
        2,
        "Connect a second login (one organisation is shared with the first)",
    );
    sign_in(&engine, &fake, "ben@example.com").await?;

    step(3, "Organisations across all logins");
    let orgs = engine.organisations().await?;
    let logins = engine.logins().await?;
    let email = |id: &tenantry_core::model::LoginId| {
        logins
            .iter()
            .find(|l| &l.id == id)
            .map(|l| l.email.clone())
            .unwrap_or_default()
    };
    println!(
        "   {:<22} {:<13} {:<38} reached through",
        "name", "type", "tenant id"
    );
    for org in &orgs {
        println!(
            "   {:<22} {:<13} {:<38} {}",
            org.name,
            org.tenant_type,
            org.tenant_id,
            email(&org.login_id)
        );
    }

    step(4, "A valid access token for \"Kiwi Plumbing\"");
    let kiwi = engine.resolve_organisation("kiwi plumbing").await?;
    let grant = engine.access_token_for(&kiwi).await?;
    println!(
        "   token {} (fingerprint; the token itself is never printed here), valid until {}, from {}",
        fingerprint(grant.access_token.expose()),
        grant.expires_at.format("%H:%M:%S UTC"),
        email(&grant.login_id)
    );

    step(
        5,
        "31 minutes later: 16 callers at once ask for that organisation's token",
    );
    fake.advance(Duration::minutes(31));
    clock.advance(Duration::minutes(31));
    let before = fake.refresh_calls("ann@example.com");
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let (e, t) = (engine.clone(), kiwi.clone());
            tokio::spawn(async move { e.access_token_for(&t).await })
        })
        .collect();
    let mut distinct = std::collections::HashSet::new();
    for call in calls {
        distinct.insert(fingerprint(call.await??.access_token.expose()));
    }
    println!(
        "   ✓ refresh requests sent to Xero: {}; distinct tokens handed out: {}",
        fake.refresh_calls("ann@example.com") - before,
        distinct.len()
    );

    step(
        6,
        "Test the connection (GET /api.xro/2.0/Organisation with xero-tenant-id)",
    );
    let info = engine.test_organisation(&kiwi).await?;
    println!(
        "   ✓ {} ({}, {})",
        info.legal_name.unwrap_or(info.name),
        info.organisation_type.unwrap_or_default(),
        info.country_code.unwrap_or_default()
    );

    step(
        7,
        "46 days later: keep-alive refreshes every login before Xero's 60-day limit",
    );
    fake.advance(Duration::days(46));
    clock.advance(Duration::days(46));
    for report in engine.keepalive(Duration::days(45)).await? {
        let what = match report.outcome {
            tenantry_core::KeepAliveOutcome::Refreshed { deadline } => {
                format!("✓ refreshed; new deadline {}", deadline.format("%Y-%m-%d"))
            }
            tenantry_core::KeepAliveOutcome::NotDue { deadline } => {
                format!("not due; deadline {}", deadline.format("%Y-%m-%d"))
            }
            tenantry_core::KeepAliveOutcome::NeedsReconnect { reason } => {
                format!("needs reconnect: {reason}")
            }
            tenantry_core::KeepAliveOutcome::Failed { message, .. } => format!("failed: {message}"),
        };
        println!("   {:<18} {what}", report.login.email);
    }

    step(8, "Status");
    let now = clock.now();
    for login in engine.logins().await? {
        let state = match login.state {
            LoginState::Connected => "connected",
            LoginState::NeedsReconnect => "needs reconnect",
            LoginState::Error => "error",
        };
        let deadline = login.refresh_issued_at + REFRESH_TOKEN_LIFETIME;
        println!(
            "   {:<18} {:<16} access token until {}   refresh deadline {} ({} days left)",
            login.email,
            state,
            login.access_expires_at.format("%H:%M"),
            deadline.format("%Y-%m-%d"),
            (deadline - now).num_days()
        );
    }

    step(9, "Activity log (newest first)");
    for event in engine.events(None, 12).await? {
        println!(
            "   {}  {:<20} {:<18} {}",
            event.at.format("%m-%d %H:%M"),
            event.kind.as_str(),
            event.login_id.as_ref().map(&email).unwrap_or_default(),
            event.detail
        );
    }

    step(
        10,
        "Clean up: remove both logins (revoked at the fake Xero, keychain entries deleted)",
    );
    for login in engine.logins().await? {
        engine.remove_login(&login.id).await?;
    }
    println!("   ✓ done. Next: `./scripts/test.sh` runs the whole suite.");
    Ok(())
}
