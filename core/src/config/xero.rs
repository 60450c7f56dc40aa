//! Where Xero is: its identity and API endpoints, Xero's own by default; set only to use another
//! OpenID provider or the fake Xero, which lays its endpoints out as Xero does under one base URL.

use serde::{Deserialize, Serialize};
use url::Url;

/// Xero's endpoints by default; set them only to use another OpenID provider or the fake Xero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct XeroEndpoints {
    pub issuer: String,
    pub authorize_url: Url,
    pub token_url: Url,
    pub revocation_url: Url,
    pub jwks_url: Url,
    pub api_url: Url,
}

impl Default for XeroEndpoints {
    fn default() -> Self {
        let url = |s: &str| Url::parse(s).expect("built-in Xero URL");
        Self {
            issuer: "https://identity.xero.com".into(),
            authorize_url: url("https://login.xero.com/identity/connect/authorize"),
            token_url: url("https://identity.xero.com/connect/token"),
            revocation_url: url("https://identity.xero.com/connect/revocation"),
            jwks_url: url("https://identity.xero.com/.well-known/openid-configuration/jwks"),
            api_url: url("https://api.xero.com"),
        }
    }
}

impl XeroEndpoints {
    /// Endpoints of a server laid out like Xero's under one base URL (the fake Xero, a test server).
    pub fn under(base: &Url) -> Self {
        let at = |path: &str| base.join(path).expect("joining a path onto a base URL");
        Self {
            issuer: base.as_str().trim_end_matches('/').to_owned(),
            authorize_url: at("identity/connect/authorize"),
            token_url: at("connect/token"),
            revocation_url: at("connect/revocation"),
            jwks_url: at(".well-known/openid-configuration/jwks"),
            api_url: base.clone(),
        }
    }
}
