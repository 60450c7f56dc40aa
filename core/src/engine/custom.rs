//! Custom Connections (Xero's `client_credentials` app type, for one organisation in AU, NZ, the
//! UK or the US): a second kind of login, connected with the app's client id and secret instead
//! of a browser. The secret goes to the vault where a user's refresh token would, and a new
//! access token is had for it through the same single-flight refresh protocol; there is no
//! refresh token, so no rotation and no 60-day deadline.

use super::signin::SignedIn;
use super::{Change, Engine, LoginOutcome};
use crate::error::EngineError;
use crate::model::LoginId;
use crate::secret::Secret;
use crate::token::TokenSet;
use crate::xero::XeroError;
use chrono::Duration;

impl Engine {
    /// Connects a Custom Connection: asks Xero for a token with `client_id` and `secret`, takes
    /// its organisation from `/connections`, and keeps the secret in the vault. A refused pair
    /// stores nothing.
    pub async fn connect_custom(
        &self,
        client_id: &str,
        secret: Secret,
    ) -> Result<LoginOutcome, EngineError> {
        let id = LoginId::custom_connection(client_id.trim())
            .map_err(|_| EngineError::CustomClientId(client_id.chars().take(40).collect()))?;
        let client_id = id.custom_client_id().expect("made as one").to_owned();
        let inner = &self.inner;
        let answer = match inner.xero.client_credentials(&client_id, &secret).await {
            Err(XeroError::ClientRejected) => return Err(EngineError::CustomConnectionRefused),
            answer => answer?,
        };
        let now = inner.clock.now();
        let tokens = TokenSet {
            access_token: answer.access_token,
            refresh_token: secret,
            id_token: None,
            issued_at: now,
            expires_at: now + Duration::seconds(answer.expires_in.clamp(1, 24 * 3600)),
            scopes: answer.scopes.unwrap_or_default(),
            refresh_issued_at: now,
        };
        let listed = inner.xero.connections(&tokens.access_token, None).await?;
        let name = listed
            .first()
            .and_then(|c| c.tenant_name.clone())
            .ok_or(EngineError::CustomConnectionEmpty)?;
        let signed_in = SignedIn {
            id,
            email: format!("{name} (custom connection)"),
            name,
        };
        let login = inner.keep_sign_in(&signed_in, &tokens, None).await?;
        let (organisations, added, organisations_error) =
            match inner.sync_organisations(&login.id, &tokens, None).await {
                Ok(synced) => (synced.all, synced.by_consent, None),
                Err(e) => (Vec::new(), Vec::new(), Some(e.to_string())),
            };
        inner.changed(Change::Login(login.id.clone()));
        Ok(LoginOutcome {
            login,
            added,
            organisations,
            expected_other: None,
            organisations_error,
        })
    }
}
