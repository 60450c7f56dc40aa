//! A faithful fake Xero (identity + API) on loopback, for tests and the demo.
//!
//! It is a real HTTP server: the engine's Xero client talks to it exactly as it talks to Xero,
//! so the tests exercise the real request and response handling. It knows nothing of Tenantry
//! (no dependency on the engine), so it is an independent reading of ../shared/xero/FACTS.md
//! rather than a mirror of the client. Tests steer it through the handle (clock, faults, sign-in
//! user, counters); with the `test-support` feature, scripts also through `/_fake/…` routes.

mod http;
#[cfg(feature = "test-support")]
pub mod ledger;
pub mod seed;
pub mod signing;
mod world;

pub use seed::{SHARED_TENANT, Seed, Tenant, User};
pub use world::{
    ApiFault, ApiVerdict, Connection, CustomConnection, Fault, LimitStats, Limits, Options,
    Recorded, World,
};

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use url::Url;

pub struct FakeXero {
    url: Url,
    world: http::Shared,
    task: tokio::task::JoinHandle<()>,
}

impl FakeXero {
    /// Starts on a free loopback port.
    pub async fn start(options: Options) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), options).await
    }

    pub async fn start_on(addr: SocketAddr, options: Options) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let issuer = format!("http://{local}");
        let url = Url::parse(&format!("{issuer}/")).expect("a socket address makes a valid URL");
        let world = Arc::new(Mutex::new(World::new(options, issuer)));
        let app = http::router(world.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, world, task })
    }

    /// The base URL (`http://127.0.0.1:PORT/`), which is also the issuer. Every endpoint sits
    /// under it where Xero has it (`XeroEndpoints::under` in the engine's configuration).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Runs `f` on the fake's state.
    pub fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.world.lock().expect("fake world lock"))
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.with(|w| w.advance(by));
    }

    /// Who signs in when the browser reaches the authorize page (`None`: show the login page).
    pub fn approve_as(&self, user: Option<&str>) {
        self.with(|w| w.approve_as = user.map(str::to_owned));
    }

    pub fn inject(&self, fault: Fault, times: usize) {
        self.with(|w| w.push_fault(fault, times));
    }

    pub fn inject_api(&self, fault: ApiFault, times: usize) {
        self.with(|w| w.push_api_fault(fault, times));
    }

    /// API calls answered so far to `path` (`/connections`, `/api.xro/2.0/Organisation`).
    pub fn api_calls(&self, path: &str) -> usize {
        self.with(|w| w.api_calls.get(path).copied().unwrap_or(0))
    }

    /// Times a client fetched the signing keys.
    pub fn jwks_fetches(&self) -> usize {
        self.with(|w| w.jwks_fetches)
    }

    pub fn refresh_calls(&self, user: &str) -> usize {
        self.with(|w| w.refresh_calls(user))
    }

    pub fn total_refresh_calls(&self) -> usize {
        self.with(|w| w.total_refresh_calls())
    }

    pub fn recorded(&self, path: &str) -> Vec<Recorded> {
        self.with(|w| w.recorded(path))
    }

    pub fn revoke_user(&self, user: &str) {
        self.with(|w| w.revoke_user(user));
    }

    pub fn set_access_lifetime(&self, lifetime: chrono::Duration) {
        self.with(|w| w.options.access_lifetime = lifetime);
    }
}

impl Drop for FakeXero {
    fn drop(&mut self) {
        self.task.abort();
    }
}
