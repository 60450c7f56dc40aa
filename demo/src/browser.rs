//! A scripted browser: opens the authorize URL, follows the fake's redirect to the loopback
//! callback, and returns the page Tenantry's listener answered with.

use anyhow::{Context, bail};
use url::Url;

/// What the browser saw at the end.
#[derive(Debug, Clone)]
pub struct Visit {
    pub callback_url: Url,
    pub status: u16,
    pub page: String,
}

/// Visits `authorize`; the fake must be set to approve automatically.
pub async fn approve(authorize: &Url) -> anyhow::Result<Visit> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let answer = http
        .get(authorize.clone())
        .send()
        .await
        .context("opening the authorize page")?;
    if !answer.status().is_redirection() {
        bail!(
            "the authorize page answered {} instead of redirecting: {}",
            answer.status(),
            answer.text().await.unwrap_or_default()
        );
    }
    let location = answer
        .headers()
        .get("location")
        .context("redirect without Location")?
        .to_str()?;
    let callback_url = Url::parse(location)?;
    let back = http
        .get(callback_url.clone())
        .send()
        .await
        .context("following the redirect to the callback")?;
    let status = back.status().as_u16();
    Ok(Visit {
        callback_url,
        status,
        page: back.text().await.unwrap_or_default(),
    })
}

/// Signs `user` in through the whole loopback flow: the fake approves as them, and this browser
/// carries the redirect back to the engine's listener. A browser that fails leaves the listener
/// waiting, so the sign-in's own result says everything.
pub async fn sign_in(
    engine: &tenantry_core::Engine,
    fake: &crate::fake_xero::FakeXero,
    user: &str,
) -> Result<tenantry_core::LoginOutcome, tenantry_core::EngineError> {
    fake.approve_as(Some(user));
    let pending = engine.begin_login(None).await?;
    let url = pending.authorize_url().clone();
    let browser = tokio::spawn(async move { approve(&url).await });
    let outcome = engine
        .complete_login(pending, tokio_util::sync::CancellationToken::new())
        .await;
    let _ = browser.await;
    outcome
}
