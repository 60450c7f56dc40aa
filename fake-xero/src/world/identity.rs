//! The identity rules, following ../shared/xero/FACTS.md: single-use PKCE codes that expire after
//! 5 minutes; access tokens of 30 minutes; refresh tokens rotated on every use, the previous one
//! accepted for a 30-minute grace and `invalid_grant` after it; refresh tokens dying after 60 days
//! unused; revocation removing all of a user's connections.

use super::{Connection, World};
use crate::signing;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub(super) struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    user_id: String,
    nonce: Option<String>,
    scopes: Vec<String>,
    tenants: Vec<String>,
    issued_at: DateTime<Utc>,
    used: bool,
}

#[derive(Debug, Clone)]
pub(super) struct RefreshRecord {
    user_id: String,
    client_id: String,
    scopes: Vec<String>,
    auth_event_id: String,
    issued_at: DateTime<Utc>,
    /// When it was first spent; it is accepted again only within the grace after that.
    rotated_at: Option<DateTime<Utc>>,
    revoked: bool,
}

/// The token endpoint's verdict, before faults are applied to it. [`World::token`] decides with
/// the tokens still unsigned (`T` is [`UnsignedTokens`]); the caller signs them
/// ([`TokenOutcome::signed`]) after releasing the world's lock, so two RS256 signatures per token
/// request do not make every other request wait (1,000 refreshes took 12 s one pair at a time).
#[derive(Debug)]
pub enum TokenOutcome<T = serde_json::Value> {
    Issued(T),
    Error(u16, &'static str, &'static str),
}

#[derive(Debug)]
pub struct UnsignedTokens {
    pub(super) response: serde_json::Value,
    pub(super) access_claims: serde_json::Value,
    /// None for a client-credentials answer, which has no id_token.
    pub(super) id_claims: Option<serde_json::Value>,
}

impl TokenOutcome<UnsignedTokens> {
    pub fn signed(self) -> TokenOutcome {
        match self {
            Self::Issued(u) => {
                let mut response = u.response;
                response["access_token"] = signing::sign(&u.access_claims).into();
                if let Some(id_claims) = &u.id_claims {
                    response["id_token"] = signing::sign(id_claims).into();
                }
                TokenOutcome::Issued(response)
            }
            Self::Error(status, error, description) => {
                TokenOutcome::Error(status, error, description)
            }
        }
    }
}

impl World {
    /// Checks an authorize request; on success returns the redirect URI's base to send to.
    pub fn check_authorize(&self, p: &HashMap<String, String>) -> Result<(), String> {
        let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
        if get("response_type") != "code" {
            return Err("response_type must be code".into());
        }
        if let Some(expected) = &self.options.client_id
            && get("client_id") != expected
        {
            return Err("unknown client_id".into());
        }
        let redirect =
            url::Url::parse(get("redirect_uri")).map_err(|_| "redirect_uri is not a URL")?;
        // Xero: https, or http on localhost; exact registered URIs; no custom schemes.
        let loopback = redirect.scheme() == "http" && redirect.host_str() == Some("localhost");
        if !(loopback || redirect.scheme() == "https") {
            return Err("redirect_uri must be https or http://localhost".into());
        }
        if get("code_challenge_method") != "S256" || get("code_challenge").len() < 43 {
            return Err("PKCE S256 code_challenge required".into());
        }
        if get("state").is_empty() {
            return Err("state required".into());
        }
        Ok(())
    }

    /// Whether `user` consenting to `tenants` would take the app past its connection cap: only
    /// connections it does not have yet count, so a reconnect at the cap still works.
    pub fn passes_connection_limit(&self, user_id: &str, tenants: Option<&[String]>) -> bool {
        let Some(limit) = self.options.connection_limit else {
            return false;
        };
        let Some(user) = self.user(user_id) else {
            return false;
        };
        let asked = tenants.unwrap_or(&user.tenants);
        let new = asked
            .iter()
            .filter(|t| user.tenants.contains(t))
            .filter(|t| {
                !self
                    .connections
                    .iter()
                    .any(|c| c.user_id == user.id && &c.tenant_id == *t)
            })
            .count();
        new > 0 && self.connections.len() + new > limit
    }

    /// The user approved: issue a single-use code and create the consented connections.
    pub fn approve(
        &mut self,
        p: &HashMap<String, String>,
        user_id: &str,
        tenants: Option<Vec<String>>,
    ) -> Result<String, String> {
        let user = self.user(user_id).cloned().ok_or("unknown user")?;
        let tenants = tenants
            .or_else(|| self.grant_only.clone())
            .unwrap_or_else(|| user.tenants.clone());
        let tenants: Vec<String> = tenants
            .into_iter()
            .filter(|t| user.tenants.contains(t))
            .collect();
        let code = self.random("code-");
        let get = |k: &str| p.get(k).cloned().unwrap_or_default();
        self.codes.insert(
            code.clone(),
            CodeGrant {
                client_id: get("client_id"),
                redirect_uri: get("redirect_uri"),
                challenge: get("code_challenge"),
                user_id: user.id.clone(),
                nonce: p.get("nonce").cloned(),
                scopes: get("scope").split_whitespace().map(str::to_owned).collect(),
                tenants,
                issued_at: self.now(),
                used: false,
            },
        );
        Ok(code)
    }

    /// The token endpoint's decision; `authorization` is the request's Authorization header
    /// (a confidential client's HTTP Basic credentials).
    pub fn token(
        &mut self,
        form: &HashMap<String, String>,
        authorization: Option<&str>,
    ) -> TokenOutcome<UnsignedTokens> {
        let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
        if get("grant_type") == "client_credentials" {
            return self.client_credentials(form, authorization);
        }
        if let Some(expected) = &self.options.client_id
            && get("client_id") != expected
        {
            return TokenOutcome::Error(400, "invalid_client", "unknown client");
        }
        match get("grant_type") {
            "authorization_code" => self.exchange(form),
            "refresh_token" => self.refresh(form),
            _ => TokenOutcome::Error(400, "unsupported_grant_type", "unsupported grant type"),
        }
    }

    fn exchange(&mut self, form: &HashMap<String, String>) -> TokenOutcome<UnsignedTokens> {
        let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
        let now = self.now();
        let Some(grant) = self.codes.get_mut(get("code")) else {
            return TokenOutcome::Error(400, "invalid_grant", "unknown code");
        };
        if grant.used || now - grant.issued_at > self.options.code_lifetime {
            return TokenOutcome::Error(400, "invalid_grant", "code used or expired");
        }
        grant.used = true;
        let grant = grant.clone();
        if grant.redirect_uri != get("redirect_uri") || grant.client_id != get("client_id") {
            return TokenOutcome::Error(400, "invalid_grant", "redirect_uri or client_id mismatch");
        }
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(get("code_verifier").as_bytes()));
        if challenge != grant.challenge {
            return TokenOutcome::Error(400, "invalid_grant", "PKCE verification failed");
        }
        let auth_event_id = self.uuid();
        for tenant in &grant.tenants {
            if let Some(existing) = self
                .connections
                .iter_mut()
                .find(|c| c.user_id == grant.user_id && &c.tenant_id == tenant)
            {
                existing.updated = now;
                existing.auth_event_id = auth_event_id.clone();
            } else {
                let id = uuid::Uuid::new_v4().to_string();
                self.connections.push(Connection {
                    id,
                    user_id: grant.user_id.clone(),
                    tenant_id: tenant.clone(),
                    auth_event_id: auth_event_id.clone(),
                    created: now,
                    updated: now,
                });
            }
        }
        TokenOutcome::Issued(self.issue(
            &grant.user_id,
            &grant.client_id,
            &grant.scopes,
            &auth_event_id,
            grant.nonce.as_deref(),
        ))
    }

    fn refresh(&mut self, form: &HashMap<String, String>) -> TokenOutcome<UnsignedTokens> {
        let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
        let now = self.now();
        let (grace, lifetime) = (self.options.grace, self.options.refresh_lifetime);
        let Some(record) = self.refresh_tokens.get_mut(get("refresh_token")) else {
            self.invalid_grants += 1;
            return TokenOutcome::Error(400, "invalid_grant", "unknown refresh token");
        };
        *self
            .refresh_calls
            .entry(record.user_id.clone())
            .or_default() += 1;
        if record.revoked
            || now - record.issued_at > lifetime
            || record.rotated_at.is_some_and(|at| now - at > grace)
        {
            self.invalid_grants += 1;
            return TokenOutcome::Error(
                400,
                "invalid_grant",
                "refresh token expired, revoked or reused",
            );
        }
        if record.rotated_at.is_some() {
            self.reused_refreshes += 1;
        }
        if record.client_id != get("client_id") {
            return TokenOutcome::Error(400, "invalid_grant", "client mismatch");
        }
        record.rotated_at.get_or_insert(now);
        let record = record.clone();
        TokenOutcome::Issued(self.issue(
            &record.user_id,
            &record.client_id,
            &record.scopes,
            &record.auth_event_id,
            None,
        ))
    }

    fn issue(
        &mut self,
        user_id: &str,
        client_id: &str,
        scopes: &[String],
        auth_event_id: &str,
        nonce: Option<&str>,
    ) -> UnsignedTokens {
        let now = self.now();
        let user = self
            .user(user_id)
            .cloned()
            .expect("tokens are issued to known users");
        let exp = now + self.options.access_lifetime;
        let jti = self.random("jti-");
        let access_claims = serde_json::json!({
            "nbf": now.timestamp(), "exp": exp.timestamp(), "iat": now.timestamp(),
            "iss": self.issuer, "aud": format!("{}/resources", self.issuer),
            "client_id": client_id, "sub": user.id.replace('-', ""), "auth_time": now.timestamp(),
            "xero_userid": user.id, "global_session_id": jti, "jti": jti,
            "authentication_event_id": auth_event_id, "scope": scopes,
        });
        let mut id_claims = serde_json::json!({
            "nbf": now.timestamp(), "exp": (now + Duration::minutes(5)).timestamp(), "iat": now.timestamp(),
            "iss": self.issuer, "aud": client_id, "sub": user.id.replace('-', ""), "auth_time": now.timestamp(),
            "xero_userid": user.id, "email": user.email, "given_name": user.given_name,
            "family_name": user.family_name, "preferred_username": user.email,
        });
        if let Some(nonce) = nonce {
            id_claims["nonce"] = nonce.into();
        }
        let refresh = self.random("rt-");
        self.refresh_tokens.insert(
            refresh.clone(),
            RefreshRecord {
                user_id: user.id.clone(),
                client_id: client_id.to_owned(),
                scopes: scopes.to_vec(),
                auth_event_id: auth_event_id.to_owned(),
                issued_at: now,
                rotated_at: None,
                revoked: false,
            },
        );
        let mut response = serde_json::json!({
            "expires_in": self.options.access_lifetime.num_seconds(),
            "token_type": "Bearer",
            "refresh_token": refresh,
            "scope": scopes.join(" "),
        });
        if self.options.plain_oidc {
            response.as_object_mut().expect("object").remove("scope");
        }
        UnsignedTokens {
            response,
            access_claims,
            id_claims: Some(id_claims),
        }
    }

    /// Revocation: the refresh token (and every token of that user and client) stops working and
    /// all of the user's connections to the app are removed.
    pub fn revoke(&mut self, token: &str) {
        let Some(user_id) = self.refresh_tokens.get(token).map(|r| r.user_id.clone()) else {
            return;
        };
        self.revoke_user(&user_id);
    }

    pub fn revoke_user(&mut self, who: &str) {
        let Some(user_id) = self.user(who).map(|u| u.id.clone()) else {
            return;
        };
        for record in self
            .refresh_tokens
            .values_mut()
            .filter(|r| r.user_id == user_id)
        {
            record.revoked = true;
        }
        self.connections.retain(|c| c.user_id != user_id);
    }
}
