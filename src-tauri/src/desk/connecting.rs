//! The sign-in in progress: starting it (the browser opens on Xero's page), opening the page
//! again, cancelling, and the `tenantry://` links that may finish it. Its result reaches the
//! window as [`UiEvent::ConnectFinished`].

use super::Desk;
use crate::ipc::{ConnectResult, ConnectView, IpcError, UiEvent};
use tauri::AppHandle;
use tenantry_core::config::RedirectMode;
use tenantry_core::login::{Link, parse_link};
use tenantry_core::{EngineError, ErrorCode, LinkSignIn, LoginOutcome};
use tokio_util::sync::CancellationToken;

/// One sign-in in progress.
pub struct Connecting {
    view: ConnectView,
    cancel: CancellationToken,
    /// Deep-link mode: the sign-in waiting for its `tenantry://` callback.
    awaiting_link: Option<LinkSignIn>,
}

impl Desk {
    /// Starts a sign-in and opens the browser on Xero's page (unless `incognito`: then the
    /// window offers the address to copy into a private browser window, which shares no Xero
    /// session with a browser signed in as someone else). The result arrives as the
    /// [`UiEvent::ConnectFinished`] event. A sign-in already in progress is cancelled.
    pub async fn connect(
        &self,
        app: &AppHandle,
        reconnect: Option<String>,
        incognito: bool,
    ) -> Result<ConnectView, IpcError> {
        let engine = self.engine().await?;
        let expected = match reconnect {
            Some(selector) => Some(engine.resolve_login(&selector).await?),
            None => None,
        };
        self.cancel_connect();
        let config = engine.config().clone();
        let expected_id = expected.as_ref().map(|l| l.id.clone());
        let cancel = CancellationToken::new();
        let (authorize_url, awaiting_link) = match (config.redirect_mode, &config.bounce_url) {
            (RedirectMode::DeepLink, Some(bounce)) => {
                let sign_in = engine.begin_link_login(expected_id, bounce.as_str())?;
                (sign_in.authorize_url().to_string(), Some(sign_in))
            }
            _ => {
                let sign_in = engine.begin_login(expected_id).await?;
                let url = sign_in.authorize_url().to_string();
                let (cancel, app) = (cancel.clone(), app.clone());
                tauri::async_runtime::spawn(async move {
                    let outcome = sign_in.complete(cancel).await;
                    finish(&app, outcome);
                });
                (url, None)
            }
        };
        let view = ConnectView {
            authorize_url,
            reconnect_email: expected.map(|l| l.email),
        };
        *self.connecting.lock().expect("connect lock") = Some(Connecting {
            view: view.clone(),
            cancel,
            awaiting_link,
        });
        if !incognito {
            self.open_page_again().await?;
        }
        Ok(view)
    }

    pub async fn open_page_again(&self) -> Result<(), IpcError> {
        let url = self
            .connecting
            .lock()
            .expect("connect lock")
            .as_ref()
            .map(|c| c.view.authorize_url.clone());
        let url =
            url.ok_or_else(|| IpcError::new(ErrorCode::Cancelled, "no sign-in is in progress"))?;
        tenantry_core::browser::open_off_thread(url)
            .await
            .map_err(|e| {
                IpcError::new(
                    ErrorCode::Browser,
                    format!("could not open a browser ({e}); copy the address into one"),
                )
            })
    }

    pub fn cancel_connect(&self) {
        if let Some(attempt) = self.connecting.lock().expect("connect lock").take() {
            attempt.cancel.cancel();
        }
    }

    pub fn connecting_view(&self) -> Option<ConnectView> {
        self.connecting
            .lock()
            .expect("connect lock")
            .as_ref()
            .map(|c| c.view.clone())
    }

    /// A `tenantry://` link: a sign-in callback is accepted only if its state matches the sign-in
    /// waiting for one; anything else (malformed, unsolicited, replayed) is ignored and logged
    /// without its query, which may carry a code.
    pub async fn deep_link(&self, app: &AppHandle, url: &url::Url) {
        let ignore = |why: &str| {
            tracing::warn!(why, "ignored a tenantry:// link");
            UiEvent::LinkIgnored.emit(app);
        };
        let (state, query) = match parse_link(url.as_str()) {
            Ok(Link::OAuthCallback { state, query }) => (state, query),
            Ok(Link::Login(login)) => {
                let known = match self.engine().await {
                    Ok(engine) => engine
                        .logins()
                        .await
                        .unwrap_or_default()
                        .iter()
                        .any(|l| l.id == login),
                    Err(_) => false,
                };
                return if known {
                    tracing::info!(%login, "a tenantry:// link opened a login");
                    self.show_login(app, &login)
                } else {
                    crate::window::show(app);
                    ignore("names no login of this profile")
                };
            }
            Err(e) => return ignore(&e.to_string()),
        };
        let sign_in = {
            let mut connecting = self.connecting.lock().expect("connect lock");
            let matches = connecting
                .as_ref()
                .and_then(|c| c.awaiting_link.as_ref())
                .is_some_and(|s| s.matches_state(&state));
            if matches {
                connecting.take().and_then(|c| c.awaiting_link)
            } else {
                None
            }
        };
        let Some(sign_in) = sign_in else {
            return ignore("matches no sign-in in progress");
        };
        let outcome = sign_in.complete(&query).await;
        finish(app, outcome);
    }
}

/// Ends the sign-in in progress with its outcome, for the window.
fn finish(app: &AppHandle, outcome: Result<LoginOutcome, EngineError>) {
    use tauri::Manager;
    if let Some(desk) = app.try_state::<Desk>() {
        desk.connecting.lock().expect("connect lock").take();
    }
    UiEvent::ConnectFinished(connect_result(outcome)).emit(app);
    UiEvent::Changed.emit(app);
}

/// What the window says about a finished sign-in.
fn connect_result(outcome: Result<LoginOutcome, EngineError>) -> ConnectResult {
    match outcome {
        Ok(o) => ConnectResult {
            login_name: Some(o.login.name.clone()),
            login_email: Some(o.login.email.clone()),
            added: o.added.iter().map(|org| org.name.clone()).collect(),
            already: o.organisations.len().saturating_sub(o.added.len()) as u32,
            intended_email: o.expected_other.map(|l| l.email),
            error: o
                .organisations_error
                .map(|m| IpcError::new(ErrorCode::Unreachable, m)),
        },
        Err(e) => ConnectResult {
            login_name: None,
            login_email: None,
            added: Vec::new(),
            already: 0,
            intended_email: None,
            error: Some(e.into()),
        },
    }
}
