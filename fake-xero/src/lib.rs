//! A faithful fake Xero (identity + API) on loopback, for tests and the demo.
//!
//! It is a real HTTP server: the engine's Xero client talks to it exactly as it talks to Xero,
//! so the tests exercise the real request and response handling. Tests steer it through the
//! handle (clock, faults, sign-in user, counters); scripts through `/_fake/…` endpoints.

mod http;
pub mod ledger;
pub mod seed;
pub mod signing;
mod world;

pub use seed::{SHARED_TENANT, Seed, Tenant, User};
pub use world::{ApiFault, Connection, Fault, Options, Recorded, World};

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tenantry_core::config::XeroEndpoints;
use url::Url;

pub struct FakeXero {
    url: Url,
    world: http::Shared,
    task: tokio::task::JoinHandle<()>,
}

impl FakeXero {
    /// Starts on a free loopback port.
    pub async fn start(options: Options) -> anyhow::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), options).await
    }

    pub async fn start_on(addr: SocketAddr, options: Options) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let issuer = format!("http://{local}");
        let url = Url::parse(&format!("{issuer}/"))?;
        let world = Arc::new(Mutex::new(World::new(options, issuer)));
        let app = http::router(world.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, world, task })
    }

    /// The base URL (`http://127.0.0.1:PORT/`), which is also the issuer.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Endpoints to put in a Tenantry configuration to use this fake.
    pub fn endpoints(&self) -> XeroEndpoints {
        XeroEndpoints::under(&self.url)
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
