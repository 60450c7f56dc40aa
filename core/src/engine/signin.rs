//! Connecting a login through the system browser. Two kinds of sign-in, two types: a
//! [`LoopbackSignIn`] owns the listener the browser comes back to; a [`LinkSignIn`] waits for the
//! `tenantry://` link the https bounce page forwards. Either is consumed by completing it.
//!
//! Completing exchanges the code, identifies the login from the verified id_token (never from
//! the access token alone), stores the token set under the login's locks, lists its
//! organisations, and names those this consent added.

use super::{Change, Engine, Inner, LOGIN_TIMEOUT};
use crate::error::EngineError;
use crate::login::{Attempt, CallbackListener, ListenError, parse_callback};
use crate::model::{EventKind, Login, LoginId, LoginState, Organisation};
use crate::secret::Secret;
use crate::token::TokenSet;
use crate::xero::access_claims;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use url::Url;

/// The result of a sign-in.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub login: Login,
    /// The organisations this consent added (by `authEventId`, or newly seen ones).
    pub added: Vec<Organisation>,
    pub organisations: Vec<Organisation>,
    /// Set when a reconnect of this login came back signed in as someone else. The intended
    /// login is untouched; the one that signed in is stored as its own login.
    pub expected_other: Option<Login>,
    /// Set when the login was stored but its organisations could not be listed.
    pub organisations_error: Option<String>,
}

/// A sign-in whose browser comes back to a loopback listener this owns.
pub struct LoopbackSignIn {
    engine: Engine,
    listener: CallbackListener,
    attempt: Attempt,
}

/// A sign-in whose callback arrives as a `tenantry://oauth/callback` link (deep-link mode).
pub struct LinkSignIn {
    engine: Engine,
    attempt: Attempt,
}

impl Engine {
    /// Starts a sign-in: binds the loopback listener and builds the authorize URL. Pass the
    /// login being reconnected, if any, so a sign-in as someone else can be reported.
    pub async fn begin_login(
        &self,
        reconnect: Option<LoginId>,
    ) -> Result<LoopbackSignIn, EngineError> {
        self.begin_login_with(reconnect, &[]).await
    }

    /// As [`Engine::begin_login`], asking Xero for `extra` scopes besides the configured ones:
    /// consenting again adds them to the login (Xero's scopes are additive).
    pub async fn begin_login_with(
        &self,
        reconnect: Option<LoginId>,
        extra: &[String],
    ) -> Result<LoopbackSignIn, EngineError> {
        self.require_client_id()?;
        let listener = CallbackListener::bind(&self.config().redirect_ports).await?;
        let attempt = self.attempt(listener.redirect_uri(), reconnect, extra);
        Ok(LoopbackSignIn {
            engine: self.clone(),
            listener,
            attempt,
        })
    }

    /// Starts a sign-in whose callback comes back through `redirect_uri` (the https bounce page)
    /// as a `tenantry://` link; finish it with [`LinkSignIn::complete`].
    pub fn begin_link_login(
        &self,
        reconnect: Option<LoginId>,
        redirect_uri: &str,
    ) -> Result<LinkSignIn, EngineError> {
        self.require_client_id()?;
        Ok(LinkSignIn {
            engine: self.clone(),
            attempt: self.attempt(redirect_uri.to_owned(), reconnect, &[]),
        })
    }

    fn require_client_id(&self) -> Result<(), EngineError> {
        if self.config().client_id.is_empty() {
            return Err(EngineError::NoClientId);
        }
        Ok(())
    }

    /// Starts a sign-in again as `login` asking for the granular scopes that replace the broad
    /// ones Xero is retiring, in one consent: the configured scopes and those the login holds,
    /// each retiring one replaced (`xero::scopes::migrated`). Its organisations stay connected.
    pub async fn begin_scope_migration(
        &self,
        login: &crate::model::Login,
    ) -> Result<LoopbackSignIn, EngineError> {
        self.require_client_id()?;
        let mut wanted = self.config().all_scopes();
        for s in &login.scopes {
            if !wanted.contains(s) {
                wanted.push(s.clone());
            }
        }
        let scopes = crate::xero::scopes::migrated(&wanted);
        let listener = CallbackListener::bind(&self.config().redirect_ports).await?;
        let attempt = self.attempt_for(listener.redirect_uri(), Some(login.id.clone()), &scopes);
        Ok(LoopbackSignIn {
            engine: self.clone(),
            listener,
            attempt,
        })
    }

    fn attempt(
        &self,
        redirect_uri: String,
        reconnect: Option<LoginId>,
        extra: &[String],
    ) -> Attempt {
        let mut scopes = self.config().all_scopes();
        for s in extra {
            if !scopes.contains(s) {
                scopes.push(s.clone());
            }
        }
        self.attempt_for(redirect_uri, reconnect, &scopes)
    }

    fn attempt_for(
        &self,
        redirect_uri: String,
        reconnect: Option<LoginId>,
        scopes: &[String],
    ) -> Attempt {
        let config = self.config();
        Attempt::new(
            &config.xero,
            &config.client_id,
            redirect_uri,
            scopes,
            reconnect,
        )
    }
}

impl LoopbackSignIn {
    /// The page to open in the user's browser.
    pub fn authorize_url(&self) -> &Url {
        &self.attempt.authorize_url
    }

    pub fn redirect_uri(&self) -> &str {
        &self.attempt.redirect_uri
    }

    /// Where the listener is bound: loopback only.
    pub fn listening_on(&self) -> Vec<std::net::SocketAddr> {
        self.listener.local_addrs()
    }

    /// Waits for the browser's callback (at most [`LOGIN_TIMEOUT`], or until `cancel`), then
    /// finishes the sign-in.
    pub async fn complete(self, cancel: CancellationToken) -> Result<LoginOutcome, EngineError> {
        let Self {
            engine,
            listener,
            attempt,
        } = self;
        let issuer = &engine.config().xero.issuer;
        let code = listener
            .wait(attempt.pkce.state(), issuer, LOGIN_TIMEOUT, cancel)
            .await?;
        engine.inner.finish_login(code, attempt).await
    }
}

impl LinkSignIn {
    /// The page to open in the user's browser.
    pub fn authorize_url(&self) -> &Url {
        &self.attempt.authorize_url
    }

    /// Whether a link's state is this sign-in's (compared in constant time).
    pub fn matches_state(&self, state: &str) -> bool {
        self.attempt.matches_state(state)
    }

    /// Finishes the sign-in with the callback's query string (`code=…&state=…`). The state must
    /// match; the sign-in is consumed either way, so a replayed link finds nothing to finish.
    pub async fn complete(self, query: &str) -> Result<LoginOutcome, EngineError> {
        let Self { engine, attempt } = self;
        let code = parse_callback(query, attempt.pkce.state(), &engine.config().xero.issuer)
            .map_err(|e| EngineError::Listen(ListenError::Callback(e)))?;
        engine.inner.finish_login(code, attempt).await
    }
}

impl Inner {
    async fn finish_login(
        self: &Arc<Self>,
        code: Secret,
        attempt: Attempt,
    ) -> Result<LoginOutcome, EngineError> {
        let Attempt {
            pkce,
            redirect_uri,
            expected,
            scopes,
            ..
        } = attempt;
        let nonce = pkce.nonce.clone();
        let answer = self
            .xero
            .exchange_code(&code, &redirect_uri, pkce.into_verifier())
            .await?;
        let id_token = answer.id_token.clone().ok_or(EngineError::NoIdToken)?;
        let now = self.clock.now();
        let claims = self
            .xero
            .verify_id_token(&id_token, Some(nonce.expose()), now)
            .await?;
        let login_id = LoginId::new(claims.user_id()).map_err(|_| EngineError::IdentityMismatch)?;
        let tokens = TokenSet::from_answer(answer, now, None, &scopes)?;
        let access = access_claims(tokens.access_token.expose()).unwrap_or_default();
        if access
            .xero_userid
            .as_deref()
            .is_some_and(|uid| uid != login_id.as_str())
        {
            return Err(EngineError::IdentityMismatch);
        }
        let expected_other = match expected {
            Some(wanted) if wanted != login_id => self.db.run(move |s| s.login(&wanted)).await?,
            _ => None,
        };
        let signed_in = SignedIn {
            id: login_id,
            name: claims.display_name(),
            email: claims.email.clone().unwrap_or_default(),
        };
        let login = self
            .keep_sign_in(&signed_in, &tokens, expected_other.as_ref())
            .await?;
        let listed = self
            .sync_organisations(
                &login.id,
                &tokens,
                access.authentication_event_id.as_deref(),
            )
            .await;
        let (organisations, added, organisations_error) = match listed {
            Ok(synced) => (synced.all, synced.by_consent, None),
            Err(e) => (Vec::new(), Vec::new(), Some(e.to_string())),
        };
        self.changed(Change::Login(login.id.clone()));
        Ok(LoginOutcome {
            login,
            added,
            organisations,
            expected_other,
            organisations_error,
        })
    }

    /// Stores the new token set and the login's metadata under the login's locks (another
    /// process may be refreshing it right now), and returns the login as stored.
    pub(super) async fn keep_sign_in(
        &self,
        who: &SignedIn,
        tokens: &TokenSet,
        expected_other: Option<&Login>,
    ) -> Result<Login, EngineError> {
        let slot = self.slot(&who.id);
        let _flight = slot.flight.lock().await;
        let _lock = self.mode.acquire(&who.id).await?;
        self.db.keep(&who.id, tokens).await?;
        let now = self.clock.now();
        let (id, name, email) = (who.id.clone(), who.name.clone(), who.email.clone());
        let (expires_at, refresh_issued_at, scopes) = (
            tokens.expires_at,
            tokens.refresh_issued_at,
            tokens.scopes.clone(),
        );
        let other = expected_other.map(|o| o.email.clone());
        let login = self
            .db
            .run(move |s| {
                let previous = s.login(&id)?;
                let login = Login {
                    id: id.clone(),
                    name,
                    email,
                    state: LoginState::Connected,
                    last_error: None,
                    reason_code: None,
                    access_expires_at: expires_at,
                    refresh_issued_at,
                    last_refresh_at: previous.as_ref().and_then(|p| p.last_refresh_at),
                    scopes,
                    connected_at: previous.as_ref().map_or(now, |p| p.connected_at),
                    checked_at: previous.as_ref().and_then(|p| p.checked_at),
                };
                s.upsert_login(&login)?;
                s.end_refresh(&id)?; // any interrupted refresh is moot now
                let detail = connected_detail(&login.email, previous.is_some(), other.as_deref());
                if let Err(e) = s.add_event(now, Some(&id), EventKind::Connected, None, &detail) {
                    tracing::warn!(error = %e, "could not record an event");
                }
                Ok(login)
            })
            .await?;
        slot.set(Some(Arc::new(tokens.clone())));
        Ok(login)
    }
}

/// Who the verified id_token says signed in.
pub(super) struct SignedIn {
    pub(super) id: LoginId,
    pub(super) name: String,
    pub(super) email: String,
}

/// The activity log's words for a sign-in.
fn connected_detail(email: &str, known: bool, intended: Option<&str>) -> String {
    match (known, intended) {
        (_, Some(other)) => format!("signed in as {email} while reconnecting {other}"),
        (true, None) => "reconnected".to_string(),
        (false, None) => "connected".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_says_whether_a_sign_in_was_new_a_reconnect_or_someone_else() {
        assert_eq!(connected_detail("ann@x", false, None), "connected");
        assert_eq!(connected_detail("ann@x", true, None), "reconnected");
        assert_eq!(
            connected_detail("ben@x", false, Some("ann@x")),
            "signed in as ben@x while reconnecting ann@x",
            "a reconnect that came back as another user says who, so the log explains the new login"
        );
    }
}
