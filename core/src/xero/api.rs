//! Xero's API as Tenantry uses it: `/connections` (list and delete) and the Organisation call
//! that proves a connection works. Failures are classified by the next step: 401 (refresh once
//! and retry once), 403 `AuthenticationUnsuccessful` (the connection is gone), 404, 429 and 5xx.

use super::transport::{throttled_or_down, transport};
use super::{Connection, OrganisationInfo, XeroClient, XeroError};
use crate::secret::Secret;
use reqwest::{Response, StatusCode};
use serde::Deserialize;

impl XeroClient {
    /// The user's connections; with `auth_event_id`, only those that one consent added.
    pub async fn connections(
        &self,
        access_token: &Secret,
        auth_event_id: Option<&str>,
    ) -> Result<Vec<Connection>, XeroError> {
        let mut request = self
            .http()
            .get(self.api("connections"))
            .bearer_auth(access_token.expose());
        if let Some(id) = auth_event_id {
            request = request.query(&[("authEventId", id)]);
        }
        let response = api_result(request.send().await.map_err(transport)?).await?;
        response
            .json()
            .await
            .map_err(|e| XeroError::Transient(format!("unreadable connections list: {e}")))
    }

    /// Disconnects one organisation (by connection id, not tenant id).
    pub async fn delete_connection(
        &self,
        access_token: &Secret,
        connection_id: &str,
    ) -> Result<(), XeroError> {
        let url = self.api(&format!("connections/{connection_id}"));
        let response = self
            .http()
            .delete(url)
            .bearer_auth(access_token.expose())
            .send()
            .await
            .map_err(transport)?;
        api_result(response).await.map(drop)
    }

    /// `GET /api.xro/2.0/Organisation` for one tenant: proves the connection works end to end.
    pub async fn organisation(
        &self,
        access_token: &Secret,
        tenant_id: &str,
    ) -> Result<OrganisationInfo, XeroError> {
        self.organisation_counted(access_token, tenant_id)
            .await
            .map(|(info, _)| info)
    }

    /// As [`XeroClient::organisation`], with the bytes of the answer's body, for the egress
    /// meter (the client asks for no compression: on the wire and decoded are the same).
    pub async fn organisation_counted(
        &self,
        access_token: &Secret,
        tenant_id: &str,
    ) -> Result<(OrganisationInfo, u64), XeroError> {
        let response = self
            .http()
            .get(self.api("api.xro/2.0/Organisation"))
            .bearer_auth(access_token.expose())
            .header("xero-tenant-id", tenant_id)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(transport)?;
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Body {
            organisations: Vec<Org>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Org {
            name: String,
            legal_name: Option<String>,
            country_code: Option<String>,
            organisation_type: Option<String>,
        }
        let unreadable = |e: &dyn std::fmt::Display| {
            XeroError::Transient(format!("unreadable Organisation answer: {e}"))
        };
        let bytes = api_result(response)
            .await?
            .bytes()
            .await
            .map_err(|e| unreadable(&e))?;
        let body: Body = serde_json::from_slice(&bytes).map_err(|e| unreadable(&e))?;
        let org = body
            .organisations
            .into_iter()
            .next()
            .ok_or_else(|| XeroError::Transient("empty Organisation answer".into()))?;
        let info = OrganisationInfo {
            name: org.name,
            legal_name: org.legal_name,
            country_code: org.country_code,
            organisation_type: org.organisation_type,
        };
        Ok((info, bytes.len() as u64))
    }
}

/// Passes a success through and classifies API failures.
async fn api_result(response: Response) -> Result<Response, XeroError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if let Some(e) = throttled_or_down(status, response.headers()) {
        return Err(e);
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Problem {
        detail: Option<String>,
    }
    let detail = response
        .bytes()
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<Problem>(&b).ok())
        .and_then(|p| p.detail)
        .map(|d| d.chars().take(120).collect::<String>())
        .unwrap_or_default();
    Err(match status {
        StatusCode::FORBIDDEN if detail.starts_with("AuthenticationUnsuccessful") => {
            XeroError::ConnectionGone
        }
        StatusCode::UNAUTHORIZED => XeroError::Unauthorized(if detail.is_empty() {
            "HTTP 401".into()
        } else {
            detail
        }),
        StatusCode::NOT_FOUND => XeroError::NotFound,
        _ => XeroError::Rejected {
            code: format!("HTTP {}", status.as_u16()),
            description: (!detail.is_empty()).then_some(detail),
        },
    })
}
