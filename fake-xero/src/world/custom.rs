//! A Custom Connection's token grant (`client_credentials`), as Xero documents it: the app's
//! client id and secret, no refresh token and no id_token, reaching the one organisation the app
//! is connected to. Apart from the user grants in `identity.rs`, which it shares nothing with.

use super::identity::{TokenOutcome, UnsignedTokens};
use super::{Connection, CustomConnection, World};
use base64::Engine as _;
use std::collections::HashMap;

impl World {
    /// A Custom Connection's token: the client id and secret (HTTP Basic, or in the form), no
    /// refresh token, no id_token, reaching the one organisation the app is connected to.
    pub(super) fn client_credentials(
        &mut self,
        form: &HashMap<String, String>,
        authorization: Option<&str>,
    ) -> TokenOutcome<UnsignedTokens> {
        let basic = authorization
            .and_then(|a| a.strip_prefix("Basic "))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|pair| {
                pair.split_once(':')
                    .map(|(i, s)| (i.to_owned(), s.to_owned()))
            });
        let (id, secret) = basic.unwrap_or_else(|| {
            let get = |k: &str| form.get(k).cloned().unwrap_or_default();
            (get("client_id"), get("client_secret"))
        });
        let Some(app) = self
            .options
            .custom_connections
            .iter()
            .find(|c| c.client_id == id && c.secret == secret)
            .cloned()
        else {
            return TokenOutcome::Error(400, "invalid_client", "invalid client credentials");
        };
        let now = self.now();
        let principal = CustomConnection::principal(&app.client_id);
        if !self
            .connections
            .iter()
            .any(|c| c.user_id == principal && c.tenant_id == app.tenant_id)
        {
            let (id, auth_event_id) = (self.uuid(), self.uuid());
            self.connections.push(Connection {
                id,
                user_id: principal,
                tenant_id: app.tenant_id.clone(),
                auth_event_id,
                created: now,
                updated: now,
            });
        }
        let scopes: Vec<String> = form
            .get("scope")
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_else(|| vec!["accounting.settings.read".into()]);
        let exp = now + self.options.access_lifetime;
        let jti = self.random("jti-");
        TokenOutcome::Issued(UnsignedTokens {
            response: serde_json::json!({
                "expires_in": self.options.access_lifetime.num_seconds(),
                "token_type": "Bearer",
                "scope": scopes.join(" "),
            }),
            access_claims: serde_json::json!({
                "nbf": now.timestamp(), "exp": exp.timestamp(), "iat": now.timestamp(),
                "iss": self.issuer, "aud": format!("{}/resources", self.issuer),
                "client_id": app.client_id, "jti": jti, "scope": scopes,
            }),
            id_claims: None,
        })
    }
}
