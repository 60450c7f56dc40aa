//! The fake Xero's state, following ../shared/xero/FACTS.md: the seeded users and tenants, their
//! connections, the faults a test queued, and the counters tests read. The rules live beside it:
//! `identity` (codes, tokens, rotation and revocation) and `limits` (per-tenant rate limits).

mod custom;
mod identity;
mod limits;

pub use identity::TokenOutcome;
pub use limits::{ApiVerdict, LimitStats, Limits};

use super::seed::{Seed, Tenant, User};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
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
    /// The app's connection cap (Xero's tiers since 2 March 2026: Starter 5, Core 50, Plus
    /// 1,000, Advanced 10,000; 25 for older uncertified apps). A consent that would pass it is
    /// not granted: the browser is sent to `/connectionLimit`, as Xero sends it to
    /// `authorize.xero.com/connectionLimit`, and never comes back to the app.
    pub connection_limit: Option<usize>,
    /// Custom Connection apps (Xero's `client_credentials` app type, AU/NZ/UK/US): each has a
    /// client id and secret and is connected to one organisation; a token is had for the secret.
    pub custom_connections: Vec<CustomConnection>,
    /// The API's rate limits (Xero's by default).
    pub limits: Limits,
    /// Compress API answers with gzip for a client whose `Accept-Encoding` allows it. Off by
    /// default: whether Xero's APIs compress is not in the facts the project holds
    /// (unconfirmed); tests of the gateway's egress meter turn it on to exercise decoding.
    pub gzip: bool,
    pub seed: Seed,
}

/// One Custom Connection app and the organisation it is connected to.
#[derive(Debug, Clone)]
pub struct CustomConnection {
    pub client_id: String,
    pub secret: String,
    pub tenant_id: String,
}

impl CustomConnection {
    /// Whose connections a custom connection's tokens reach (the fake's key for it; Xero's
    /// tokens for it carry no user).
    pub fn principal(client_id: &str) -> String {
        format!("custom:{client_id}")
    }
}

impl Options {
    /// Xero's limits for an app on `tier` (`starter`, `core`, `plus`, `advanced`, `enterprise`),
    /// as its 2026 pricing sets them (FACTS.md §6–7): the connection cap (5, 50, 1,000, 10,000,
    /// none) and each organisation's calls a day (1,000 on Starter, 5,000 on the others; Starter's
    /// figure is reported by third parties, Xero's own table row is unconfirmed). Egress
    /// allowances are billing, not refusals, so the fake applies none. `None` for another word.
    pub fn on_tier(self, tier: &str) -> Option<Self> {
        let (cap, per_day) = match tier {
            "starter" => (Some(5), 1000),
            "core" => (Some(50), 5000),
            "plus" => (Some(1000), 5000),
            "advanced" => (Some(10_000), 5000),
            "enterprise" => (None, 5000),
            _ => return None,
        };
        Some(Self {
            connection_limit: cap,
            limits: Limits {
                per_day,
                ..self.limits
            },
            ..self
        })
    }
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
            connection_limit: None,
            custom_connections: Vec::new(),
            gzip: false,
            limits: Limits::default(),
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

/// A request as the fake received it, for tests that assert exact bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub form: Vec<(String, String)>,
    pub authorization: Option<String>,
}

pub struct World {
    pub options: Options,
    pub issuer: String,
    offset: Duration,
    users: Vec<User>,
    tenants: Vec<Tenant>,
    connections: Vec<Connection>,
    codes: HashMap<String, identity::CodeGrant>,
    refresh_tokens: HashMap<String, identity::RefreshRecord>,
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
    rate: limits::RateState,
    /// Contacts created through the API, by tenant (what a write through the gateway leaves).
    pub contacts: HashMap<String, Vec<serde_json::Value>>,
    recorded: Vec<Recorded>,
    pub approve_as: Option<String>,
    /// Where the last authorize request was redirected (tests of the deep-link mode read the
    /// code and state from it, as the bounce page would).
    pub last_redirect: Option<String>,
    /// Limit the next consent to these tenants (`None`: every tenant the user may connect).
    pub grant_only: Option<Vec<String>>,
    counter: u64,
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
            rate: limits::RateState::default(),
            contacts: HashMap::new(),
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

    /// How many connections the app has, across every user (what Xero's cap counts).
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    pub fn connections_of(&self, user_id: &str) -> Vec<Connection> {
        self.connections
            .iter()
            .filter(|c| c.user_id == user_id)
            .cloned()
            .collect()
    }

    pub fn delete_connection(&mut self, user_id: &str, id: &str) -> bool {
        let before = self.connections.len();
        self.connections
            .retain(|c| !(c.user_id == user_id && c.id == id));
        before != self.connections.len()
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
