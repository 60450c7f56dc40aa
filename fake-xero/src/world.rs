//! The fake Xero's state and rules, following ../shared/xero/FACTS.md: single-use PKCE codes that
//! expire after 5 minutes; access tokens of 30 minutes; refresh tokens rotated on every use, the
//! previous one accepted for a 30-minute grace and `invalid_grant` after it; refresh tokens dying
//! after 60 days unused; revocation removing all of a user's connections; per-tenant rate limits.

use super::seed::{Seed, Tenant, User};
use super::signing;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};

/// Knobs a test can set before start or change while running.
#[derive(Debug, Clone)]
pub struct Options {
    pub access_lifetime: Duration,
    pub grace: Duration,
    pub refresh_lifetime: Duration,
    pub code_lifetime: Duration,
    /// The registered client id; `None` accepts any (the demo).
    pub client_id: Option<String>,
    /// Sign in automatically as this user (email or id) instead of showing the login page.
    pub auto_approve: Option<String>,
    /// Latency added to every API call (not identity calls), to exercise concurrency limits.
    pub api_latency: std::time::Duration,
    /// The token endpoint's response time: each answer leaves this long after its request arrived
    /// (or later, if the fake's own work takes longer).
    pub token_latency: std::time::Duration,
    /// Behave like a plain OpenID provider rather than Xero: connections carry no `authEventId`,
    /// token responses no `scope`, and the callback carries the RFC 9207 `iss` parameter.
    pub plain_oidc: bool,
    pub seed: Seed,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            access_lifetime: Duration::minutes(30),
            grace: Duration::minutes(30),
            refresh_lifetime: Duration::days(60),
            code_lifetime: Duration::minutes(5),
            client_id: None,
            auto_approve: None,
            api_latency: std::time::Duration::ZERO,
            token_latency: std::time::Duration::ZERO,
            plain_oidc: false,
            seed: Seed::standard(),
        }
    }
}

/// A fault the token endpoint applies to its next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer 500.
    ServerError,
    /// Answer 200 with an HTML page (a captive portal, a proxy error page).
    Html,
    /// Answer 200 with truncated JSON.
    MalformedJson,
    /// Rotate the refresh token, then drop the connection before the answer arrives.
    DropAfterRotate,
    /// Answer 429 with `Retry-After: 30`.
    RateLimited,
    /// Wait this many milliseconds, then answer normally.
    Delay(u64),
    /// Rotate the refresh token, then hold the answer this many milliseconds (a client killed
    /// meanwhile never sees the new token).
    HoldAfterRotate(u64),
}

/// A fault the API (`/connections`, the Organisation call) applies to its next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiFault {
    /// 401 with Xero's problem body, as for an access token revoked before its expiry.
    Unauthorized,
    /// 403 with a problem body other than `AuthenticationUnsuccessful` (the app lacks access).
    Forbidden,
    /// 429 with `Retry-After` of this many seconds and `X-Rate-Limit-Problem: minute`.
    RateLimited(u64),
    /// 500.
    ServerError,
}

impl Fault {
    pub fn parse(kind: &str, ms: Option<u64>) -> Option<Self> {
        Some(match kind {
            "500" | "server_error" => Self::ServerError,
            "html" => Self::Html,
            "malformed_json" => Self::MalformedJson,
            "drop_after_rotate" => Self::DropAfterRotate,
            "429" | "rate_limited" => Self::RateLimited,
            "delay" => Self::Delay(ms.unwrap_or(1000)),
            "hold_after_rotate" => Self::HoldAfterRotate(ms.unwrap_or(10_000)),
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Connection {
    pub id: String,
    pub user_id: String,
    pub tenant_id: String,
    pub auth_event_id: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct CodeGrant {
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
struct RefreshRecord {
    user_id: String,
    client_id: String,
    scopes: Vec<String>,
    auth_event_id: String,
    issued_at: DateTime<Utc>,
    /// When it was first spent; it is accepted again only within the grace after that.
    rotated_at: Option<DateTime<Utc>>,
    revoked: bool,
}

/// A request as the fake received it, for tests that assert exact bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub form: Vec<(String, String)>,
    pub authorization: Option<String>,
}

#[derive(Debug, Default, Clone)]
struct RateWindow {
    minute_start: Option<DateTime<Utc>>,
    minute_count: u32,
    day_start: Option<DateTime<Utc>>,
    day_count: u32,
    in_flight: u32,
}

pub const MINUTE_LIMIT: u32 = 60;
pub const DAY_LIMIT: u32 = 5000;
pub const CONCURRENT_LIMIT: u32 = 5;

pub struct World {
    pub options: Options,
    pub issuer: String,
    offset: Duration,
    users: Vec<User>,
    tenants: Vec<Tenant>,
    connections: Vec<Connection>,
    codes: HashMap<String, CodeGrant>,
    refresh_tokens: HashMap<String, RefreshRecord>,
    faults: VecDeque<Fault>,
    api_faults: VecDeque<ApiFault>,
    /// API calls answered (successfully or not), by path.
    pub api_calls: HashMap<String, usize>,
    /// Times the key set (JWKS) was fetched.
    pub jwks_fetches: usize,
    refresh_calls: HashMap<String, usize>,
    /// Refreshes that spent a refresh token already rotated (accepted within the grace): each one
    /// is a refresh token used twice, which outside the grace costs the login.
    pub reused_refreshes: usize,
    /// `invalid_grant` answers to refresh requests.
    pub invalid_grants: usize,
    /// Token requests being answered right now, and the most there ever were at once.
    pub token_in_flight: usize,
    pub token_in_flight_max: usize,
    rate: HashMap<String, RateWindow>,
    recorded: Vec<Recorded>,
    pub approve_as: Option<String>,
    /// Where the last authorize request was redirected (tests of the deep-link mode read the
    /// code and state from it, as the bounce page would).
    pub last_redirect: Option<String>,
    /// Limit the next consent to these tenants (`None`: every tenant the user may connect).
    pub grant_only: Option<Vec<String>>,
    counter: u64,
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
    response: serde_json::Value,
    access_claims: serde_json::Value,
    id_claims: serde_json::Value,
}

impl TokenOutcome<UnsignedTokens> {
    pub fn signed(self) -> TokenOutcome {
        match self {
            Self::Issued(u) => {
                let mut response = u.response;
                response["access_token"] = signing::sign(&u.access_claims).into();
                response["id_token"] = signing::sign(&u.id_claims).into();
                TokenOutcome::Issued(response)
            }
            Self::Error(status, error, description) => {
                TokenOutcome::Error(status, error, description)
            }
        }
    }
}

pub enum ApiVerdict {
    Go,
    Limited {
        problem: &'static str,
        retry_after: Option<i64>,
    },
}

impl World {
    pub fn new(options: Options, issuer: String) -> Self {
        let seed = options.seed.clone();
        let approve_as = options.auto_approve.clone();
        Self {
            options,
            issuer,
            offset: Duration::zero(),
            users: seed.users,
            tenants: seed.tenants,
            connections: Vec::new(),
            codes: HashMap::new(),
            refresh_tokens: HashMap::new(),
            faults: VecDeque::new(),
            api_faults: VecDeque::new(),
            api_calls: HashMap::new(),
            jwks_fetches: 0,
            refresh_calls: HashMap::new(),
            reused_refreshes: 0,
            invalid_grants: 0,
            token_in_flight: 0,
            token_in_flight_max: 0,
            rate: HashMap::new(),
            recorded: Vec::new(),
            approve_as,
            last_redirect: None,
            grant_only: None,
            counter: 0,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    pub fn advance(&mut self, by: Duration) {
        self.offset += by;
    }

    fn random(&mut self, prefix: &str) -> String {
        let mut bytes = [0u8; 24];
        getrandom_fill(&mut bytes);
        self.counter += 1;
        format!("{prefix}{}{}", self.counter, URL_SAFE_NO_PAD.encode(bytes))
    }

    fn uuid(&mut self) -> String {
        uuid::Uuid::new_v4().to_string()
    }

    pub fn users(&self) -> &[User] {
        &self.users
    }

    pub fn tenants(&self) -> &[Tenant] {
        &self.tenants
    }

    pub fn user(&self, who: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.id == who || u.email.eq_ignore_ascii_case(who))
    }

    pub fn tenant(&self, id: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.id == id)
    }

    pub fn record(&mut self, r: Recorded) {
        if self.recorded.len() > 10_000 {
            self.recorded.drain(..5_000);
        }
        self.recorded.push(r);
    }

    pub fn recorded(&self, path: &str) -> Vec<Recorded> {
        self.recorded
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    pub fn push_fault(&mut self, fault: Fault, times: usize) {
        self.faults.extend(std::iter::repeat_n(fault, times));
    }

    pub fn take_fault(&mut self) -> Option<Fault> {
        self.faults.pop_front()
    }

    pub fn push_api_fault(&mut self, fault: ApiFault, times: usize) {
        self.api_faults.extend(std::iter::repeat_n(fault, times));
    }

    /// Counts an API call to `path` and returns the fault to apply to it, if any.
    pub fn api_call(&mut self, path: &str) -> Option<ApiFault> {
        *self.api_calls.entry(path.to_owned()).or_default() += 1;
        self.api_faults.pop_front()
    }

    pub fn refresh_calls(&self, user: &str) -> usize {
        let id = self
            .user(user)
            .map(|u| u.id.clone())
            .unwrap_or_else(|| user.to_string());
        self.refresh_calls.get(&id).copied().unwrap_or(0)
    }

    pub fn total_refresh_calls(&self) -> usize {
        self.refresh_calls.values().sum()
    }

    pub fn connections_of(&self, user_id: &str) -> Vec<Connection> {
        self.connections
            .iter()
            .filter(|c| c.user_id == user_id)
            .cloned()
            .collect()
    }

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

    pub fn token(&mut self, form: &HashMap<String, String>) -> TokenOutcome<UnsignedTokens> {
        let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
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
            id_claims,
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

    pub fn delete_connection(&mut self, user_id: &str, id: &str) -> bool {
        let before = self.connections.len();
        self.connections
            .retain(|c| !(c.user_id == user_id && c.id == id));
        before != self.connections.len()
    }

    /// Counts an API call against the tenant's limits (60/min, 5,000/day, 5 at once).
    pub fn admit(&mut self, tenant: &str) -> ApiVerdict {
        let now = self.now();
        let w = self.rate.entry(tenant.to_owned()).or_default();
        if w.minute_start
            .is_none_or(|s| now - s >= Duration::minutes(1))
        {
            w.minute_start = Some(now);
            w.minute_count = 0;
        }
        if w.day_start.is_none_or(|s| now - s >= Duration::days(1)) {
            w.day_start = Some(now);
            w.day_count = 0;
        }
        if w.in_flight >= CONCURRENT_LIMIT {
            return ApiVerdict::Limited {
                problem: "concurrent",
                retry_after: None,
            };
        }
        if w.minute_count >= MINUTE_LIMIT {
            let wait = Duration::minutes(1) - (now - w.minute_start.expect("set above"));
            return ApiVerdict::Limited {
                problem: "minute",
                retry_after: Some(wait.num_seconds().max(1)),
            };
        }
        if w.day_count >= DAY_LIMIT {
            let wait = Duration::days(1) - (now - w.day_start.expect("set above"));
            return ApiVerdict::Limited {
                problem: "day",
                retry_after: Some(wait.num_seconds().max(1)),
            };
        }
        w.minute_count += 1;
        w.day_count += 1;
        w.in_flight += 1;
        ApiVerdict::Go
    }

    pub fn release(&mut self, tenant: &str) {
        if let Some(w) = self.rate.get_mut(tenant) {
            w.in_flight = w.in_flight.saturating_sub(1);
        }
    }

    pub fn remaining(&self, tenant: &str) -> (u32, u32) {
        let w = self.rate.get(tenant).cloned().unwrap_or_default();
        (
            MINUTE_LIMIT.saturating_sub(w.minute_count),
            DAY_LIMIT.saturating_sub(w.day_count),
        )
    }
}

fn getrandom_fill(bytes: &mut [u8]) {
    // uuid v4 uses the OS random source; two of them give 32 random bytes.
    let a = uuid::Uuid::new_v4();
    let b = uuid::Uuid::new_v4();
    let pool: Vec<u8> = a.as_bytes().iter().chain(b.as_bytes()).copied().collect();
    for (dst, src) in bytes.iter_mut().zip(pool) {
        *dst = src;
    }
}

/// Xero's connection date format: no zone, 7 fractional digits.
pub fn xero_date(at: DateTime<Utc>) -> String {
    format!(
        "{}{:07}",
        at.format("%Y-%m-%dT%H:%M:%S."),
        at.timestamp_subsec_nanos() / 100
    )
}
