//! Signing a login in: PKCE (S256), state and nonce, the authorize URL, and the callback.
//!
//! A [`PendingLogin`] is created per attempt and consumed by completing it, so each state, nonce
//! and verifier is usable exactly once.

pub mod callback;
pub mod link;
pub mod listener;

use crate::model::LoginId;
use crate::secret::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use url::Url;

pub use callback::{CallbackError, parse_callback};
pub use link::{Link, LinkError, login_link, parse_link};
pub use listener::{CallbackListener, ListenError, redirect_uri};

/// 32 random bytes, base64url: 43 characters, as Xero's PKCE page and its desktop sample use.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The secrets of one sign-in attempt.
#[derive(Debug)]
pub struct Pkce {
    pub state: String,
    pub nonce: String,
    pub verifier: Secret,
}

impl Pkce {
    pub fn generate() -> Self {
        Self {
            state: random_token(),
            nonce: random_token(),
            verifier: Secret::new(random_token()),
        }
    }

    /// `BASE64URL(SHA256(verifier))`, RFC 7636 S256.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.expose().as_bytes()))
    }
}

/// Builds the authorize URL. Pure: the same inputs give the same URL.
pub fn authorize_url(
    authorize_endpoint: &Url,
    client_id: &str,
    redirect_uri: &str,
    scopes: &[String],
    pkce: &Pkce,
) -> Url {
    let mut url = authorize_endpoint.clone();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", &scopes.join(" "))
        .append_pair("state", &pkce.state)
        .append_pair("nonce", &pkce.nonce)
        .append_pair("code_challenge", &pkce.challenge())
        .append_pair("code_challenge_method", "S256");
    url
}

/// One sign-in in progress: the attempt's secrets and, in loopback mode, the listener waiting for
/// the browser (in deep-link mode the callback arrives as a `tenantry://` link instead).
pub struct PendingLogin {
    pub(crate) listener: Option<CallbackListener>,
    pub(crate) pkce: Pkce,
    pub(crate) redirect_uri: String,
    /// For a reconnect, the login the user meant to sign in as.
    pub(crate) expected: Option<LoginId>,
    authorize_url: Url,
}

impl PendingLogin {
    pub(crate) fn new(
        listener: Option<CallbackListener>,
        redirect_uri: String,
        pkce: Pkce,
        authorize_url: Url,
        expected: Option<LoginId>,
    ) -> Self {
        Self {
            listener,
            pkce,
            redirect_uri,
            expected,
            authorize_url,
        }
    }

    /// The attempt's state: a deep link is accepted only if it carries this.
    pub fn state(&self) -> &str {
        &self.pkce.state
    }

    /// The page to open in the user's browser.
    pub fn authorize_url(&self) -> &Url {
        &self.authorize_url
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Where the loopback listener is bound (empty in deep-link mode).
    pub fn listening_on(&self) -> Vec<std::net::SocketAddr> {
        self.listener
            .as_ref()
            .map(|l| l.local_addrs())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc7636_appendix_b() {
        let pkce = Pkce {
            state: "s".into(),
            nonce: "n".into(),
            verifier: Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        };
        assert_eq!(
            pkce.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "the RFC's own example must hold"
        );
        let fresh = Pkce::generate();
        assert_eq!(
            fresh.verifier.expose().len(),
            43,
            "Xero wants a 43-128 character verifier"
        );
        assert_ne!(
            fresh.state,
            Pkce::generate().state,
            "every attempt gets its own state"
        );
    }

    #[test]
    fn authorize_url_carries_every_parameter() {
        let pkce = Pkce {
            state: "st".into(),
            nonce: "no".into(),
            verifier: Secret::new("v"),
        };
        let url = authorize_url(
            &Url::parse("https://login.xero.com/identity/connect/authorize").unwrap(),
            "CID",
            "http://localhost:53682/callback",
            &["offline_access".into(), "openid".into()],
            &pkce,
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
        assert!(
            !url.as_str().contains("code_verifier"),
            "the verifier never goes to the browser"
        );
    }
}
