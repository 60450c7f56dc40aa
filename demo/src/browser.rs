//! A scripted browser for the demo's own test users: opens the authorize URL, follows the fake's
//! redirect to the loopback callback, and returns the page Tenantry's listener answered with.
//! It is what a person's browser does after they approve, so the demo's logins are signed in
//! through the engine's real loopback flow.

use url::Url;

/// What the browser saw at the end.
#[derive(Debug, Clone)]
pub struct Visit {
    pub callback_url: Url,
    pub status: u16,
    pub page: String,
}

/// Visits `authorize`; the fake must be set to approve automatically.
pub async fn approve(authorize: &Url) -> Result<Visit, String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("building the browser's HTTP client: {e}"))?;
    let answer = http
        .get(authorize.clone())
        .send()
        .await
        .map_err(|e| format!("opening the authorize page: {e}"))?;
    if !answer.status().is_redirection() {
        return Err(format!(
            "the authorize page answered {} instead of redirecting: {}",
            answer.status(),
            answer.text().await.unwrap_or_default()
        ));
    }
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or("the authorize page redirected without a Location")?;
    let callback_url =
        Url::parse(location).map_err(|e| format!("the redirect is not a URL ({e})"))?;
    let back = http
        .get(callback_url.clone())
        .send()
        .await
        .map_err(|e| format!("following the redirect to the callback: {e}"))?;
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
    fake: &tenantry_fake_xero::FakeXero,
    user: &str,
) -> Result<tenantry_core::LoginOutcome, tenantry_core::EngineError> {
    fake.approve_as(Some(user));
    let sign_in = engine.begin_login(None).await?;
    let url = sign_in.authorize_url().clone();
    let browser = tokio::spawn(async move { approve(&url).await });
    let outcome = sign_in
        .complete(tokio_util::sync::CancellationToken::new())
        .await;
    if let Ok(Err(e)) = browser.await {
        tracing::debug!(error = %e, "the scripted browser did not reach the listener");
    }
    outcome
}
