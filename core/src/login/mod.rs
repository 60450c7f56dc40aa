//! Signing a login in: one attempt's secrets (PKCE S256 verifier, state, nonce, from the `oauth2`
//! crate), the authorize URL, and the callback (parsed purely in [`callback`], received by the
//! loopback [`listener`] or as a `tenantry://` [`link`]).
//!
//! An [`Attempt`] is created per sign-in and consumed by completing it, so each state, nonce and
//! verifier is usable exactly once. None of them can reach a log: their `Debug` is redacted.

pub mod callback;
pub mod link;
pub mod listener;

use crate::config::XeroEndpoints;
use crate::model::LoginId;
use crate::secret::Secret;
use oauth2::{CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope};
use std::borrow::Cow;
use url::Url;

pub use callback::{CallbackError, parse_callback};
pub use link::{Link, LinkError, login_link, parse_link};
pub use listener::{CallbackListener, ListenError, redirect_uri};

/// 32 random bytes, base64url: 43 characters, as Xero's PKCE page and its desktop sample use.
const RANDOM_BYTES: u32 = 32;

/// The secrets of one sign-in attempt. The verifier is not `Clone`: it is spent once, by the
/// code exchange.
#[derive(Debug)]
pub struct Pkce {
    pub state: CsrfToken,
    pub nonce: Secret,
    verifier: PkceCodeVerifier,
    challenge: PkceCodeChallenge,
}

impl Pkce {
    pub fn generate() -> Self {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256_len(RANDOM_BYTES);
        Self {
            state: CsrfToken::new_random_len(RANDOM_BYTES),
            nonce: Secret::new(CsrfToken::new_random_len(RANDOM_BYTES).into_secret()),
            verifier,
            challenge,
        }
    }

    /// An attempt with a chosen verifier (RFC 7636's example, in tests).
    pub fn with_verifier(state: &str, nonce: &str, verifier: &str) -> Self {
        let verifier = PkceCodeVerifier::new(verifier.to_owned());
        Self {
            state: CsrfToken::new(state.to_owned()),
            nonce: Secret::new(nonce),
            challenge: PkceCodeChallenge::from_code_verifier_sha256(&verifier),
            verifier,
        }
    }

    /// `BASE64URL(SHA256(verifier))`, RFC 7636 S256.
    pub fn challenge(&self) -> &str {
        self.challenge.as_str()
    }

    pub fn state(&self) -> &str {
        self.state.secret()
    }

    /// The verifier, spent by the code exchange.
    pub fn into_verifier(self) -> PkceCodeVerifier {
        self.verifier
    }
}

/// Builds the authorize URL. Pure: the same inputs give the same URL.
pub fn authorize_url(
    endpoints: &XeroEndpoints,
    client_id: &str,
    redirect_uri: &str,
    scopes: &[String],
    pkce: &Pkce,
) -> Url {
    let client = oauth2::basic::BasicClient::new(oauth2::ClientId::new(client_id.to_owned()))
        .set_auth_uri(crate::xero::oauth::auth_url(endpoints));
    let state = pkce.state.clone();
    let mut request = client
        .authorize_url(move || state)
        .add_scopes(scopes.iter().map(|s| Scope::new(s.clone())))
        .set_pkce_challenge(pkce.challenge.clone())
        .add_extra_param("nonce", pkce.nonce.expose());
    // A redirect URI that is not a URL cannot be registered at Xero; Xero's page says so.
    if let Ok(redirect) = RedirectUrl::new(redirect_uri.to_owned()) {
        request = request.set_redirect_uri(Cow::Owned(redirect));
    }
    request.url().0
}

/// One sign-in attempt: its secrets, where the browser comes back, the page to open, and for a
/// reconnect the login the user meant to sign in as.
#[derive(Debug)]
pub struct Attempt {
    pub(crate) pkce: Pkce,
    pub(crate) redirect_uri: String,
    pub(crate) expected: Option<LoginId>,
    pub(crate) authorize_url: Url,
    /// What this sign-in asks Xero for (a token answer without `scope` is taken to grant them).
    pub(crate) scopes: Vec<String>,
}

impl Attempt {
    pub fn new(
        endpoints: &XeroEndpoints,
        client_id: &str,
        redirect_uri: String,
        scopes: &[String],
        expected: Option<LoginId>,
    ) -> Self {
        let pkce = Pkce::generate();
        let authorize_url = authorize_url(endpoints, client_id, &redirect_uri, scopes, &pkce);
        Self {
            pkce,
            redirect_uri,
            expected,
            authorize_url,
            scopes: scopes.to_vec(),
        }
    }

    /// Whether `state` is this attempt's, compared in constant time: a link from any page may
    /// carry a guess.
    pub fn matches_state(&self, state: &str) -> bool {
        callback::constant_time_eq(state.as_bytes(), self.pkce.state().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc7636_appendix_b() {
        let pkce = Pkce::with_verifier("s", "n", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            pkce.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "the RFC's own example must hold"
        );
        let fresh = Pkce::generate();
        assert_eq!(
            fresh.into_verifier().secret().len(),
            43,
            "Xero wants a 43-128 character verifier"
        );
        let (a, b) = (Pkce::generate(), Pkce::generate());
        assert_ne!(a.state(), b.state(), "every attempt gets its own state");
        assert_eq!(a.state().len(), 43, "the state is 32 random bytes too");
        assert_ne!(a.nonce, b.nonce, "and its own nonce");
    }

    #[test]
    fn an_attempt_never_shows_its_secrets() {
        let attempt = Attempt::new(
            &XeroEndpoints::default(),
            "CID",
            "http://localhost:53682/callback".into(),
            &[],
            None,
        );
        let shown = format!("{:?}", attempt.pkce);
        for secret in [
            attempt.pkce.state().to_owned(),
            attempt.pkce.nonce.expose().to_owned(),
        ] {
            assert!(
                !shown.contains(&secret),
                "Debug output reaches logs: it must not show the state or nonce"
            );
        }
        assert!(attempt.matches_state(attempt.pkce.state()));
        assert!(
            !attempt.matches_state("guess"),
            "another state is not this attempt's"
        );
    }

    #[test]
    fn authorize_url_carries_every_parameter() {
        let pkce = Pkce::with_verifier("st", "no", &"v".repeat(43));
        let url = authorize_url(
            &XeroEndpoints::default(),
            "CID",
            "http://localhost:53682/callback",
            &["offline_access".into(), "openid".into()],
            &pkce,
        );
        assert!(
            url.as_str()
                .starts_with("https://login.xero.com/identity/connect/authorize?"),
            "Xero's sign-in page"
        );
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["client_id"], "CID");
        assert_eq!(
            pairs["redirect_uri"], "http://localhost:53682/callback",
            "must equal a registered URI exactly"
        );
        assert_eq!(
            pairs["scope"], "offline_access openid",
            "scopes are space-separated"
        );
        assert_eq!(pairs["state"], "st");
        assert_eq!(pairs["nonce"], "no");
        assert_eq!(pairs["code_challenge_method"], "S256");
        assert_eq!(pairs["code_challenge"], pkce.challenge());
        assert_eq!(pairs.len(), 8, "nothing else: no verifier, no secret");
    }
}
