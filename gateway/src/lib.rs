//! Tenantry's local Xero API gateway: programs on this computer send the requests they would
//! send to Xero to `http://127.0.0.1:53710` with the gateway key as their bearer token and the
//! organisation (tenant id or name) as `xero-tenant-id`; the gateway puts in the right login's
//! access token, keeps every program's calls together inside Xero's limits, and streams the
//! answer back. Scripts and assistants never hold a token. No Tauri dependency: the CLI's
//! `tenantry gateway` and the desktop app both run it.
//!
//! - [`conn`]: its connections, capped and timed out; [`client`]: which program each one is.
//! - [`guard`]: who may use it (loopback `Host`, no browsers, the key), pure; [`path`]: the
//!   request path, refused where a URL parser would rewrite it, pure.
//! - [`key`]: the gateway key, kept in the vault, and each run's own key.
//! - [`budget`]: Xero's limits as one ledger, pure; [`limiter`]: the fair queue in front of it
//!   (in a practice, also taking each call's place in the practice's shared budget).
//! - [`proxy`]: the HTTP side; [`problem`]: its own answers, in Xero's problem shape;
//!   [`meter`]: the bytes of Xero's answers, counted for `tenantry usage`.
//! - [`agent`]: the token agent on a local socket, and the CLI's client for it.
//! - [`call`]: one call through a gateway, for `tenantry mcp` and `tenantry call`.
//! - [`mcp`]: `tenantry mcp`, the MCP server for AI assistants, calling through a gateway.

pub mod agent;
pub mod budget;
pub mod call;
mod calllog;
pub mod client;
mod conn;
pub mod each;
pub mod guard;
pub mod key;
pub mod limiter;
pub mod mcp;
mod meter;
pub mod path;
mod problem;
mod proxy;

pub use budget::Limits;

use std::net::SocketAddr;
use std::sync::Arc;
use tenantry_core::Engine;
use tenantry_core::secret::Secret;
use tokio_util::sync::CancellationToken;

/// The gateway's state, shared by every request.
struct Gateway {
    engine: Engine,
    keys: key::Keys,
    port: u16,
    limiter: limiter::Limiter,
    http: reqwest::Client,
    /// `api_url` without its trailing slash; request paths are appended to it.
    api_base: String,
    calls_left: CallsLeft,
    meter: Arc<meter::Meter>,
    calls: Arc<calllog::CallLog>,
}

/// What Xero says is left of each organisation's day, written to the store for `orgs`, `status`
/// and the window: at most every 2 s per organisation, off the request path, the newest count.
#[derive(Clone, Default)]
struct CallsLeft {
    dirty: Arc<std::sync::Mutex<std::collections::HashMap<String, u32>>>,
}

impl CallsLeft {
    fn note(&self, tenant: &str, day_left: u32) {
        self.dirty
            .lock()
            .expect("calls-left lock")
            .insert(tenant.to_owned(), day_left);
    }

    /// Writes what was noted every 2 s until `stop`.
    fn keep_writing(&self, engine: Engine, stop: CancellationToken) {
        let dirty = self.dirty.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
                }
                let noted = std::mem::take(&mut *dirty.lock().expect("calls-left lock"));
                for (tenant, left) in noted {
                    engine.record_calls_left(&tenant, left).await;
                }
            }
        });
    }
}

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(
        "127.0.0.1:{port} is taken (another gateway, the desktop app serving the Xero API, or another program); stop it, or choose another port with `tenantry config set gateway_port PORT`"
    )]
    PortInUse { port: u16 },
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Listen { port: u16, source: std::io::Error },
}

/// A running gateway; it stops when this is dropped.
pub struct Serving {
    addr: SocketAddr,
    stop: CancellationToken,
    limiter: limiter::Limiter,
    /// This run's own key, handed by the token agent to this user's programs (`tenantry mcp`),
    /// so they use this gateway without the profile's key ever leaving the vault for them.
    run_key: Secret,
    calls: Arc<calllog::CallLog>,
    /// The call log's writer, awaited by [`Serving::settle`].
    writer: Option<tokio::task::JoinHandle<()>>,
}

impl Serving {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL programs point their Xero SDK at.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What Xero last said was left of the organisation's day (`X-DayLimit-Remaining`).
    pub fn day_left(&self, tenant_id: &str) -> Option<u32> {
        self.limiter.day_left(tenant_id)
    }

    /// This run's own key: accepted beside the profile's key until the gateway stops.
    pub fn run_key(&self) -> &Secret {
        &self.run_key
    }

    /// Stops, once the calls under way have ended (2 s at most) and the call log has written
    /// them: what a host that is about to end (`tenantry call`, `each`, `mcp`) does, so no call
    /// it made is missing from the log.
    pub async fn settle(mut self) {
        self.calls.settled(std::time::Duration::from_secs(2)).await;
        self.stop.cancel();
        if let Some(writer) = self.writer.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), writer).await;
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Serves the gateway on 127.0.0.1:`port` (0: a free port) to programs presenting `key` (or
/// the run's own key), under `limits`.
pub async fn serve(
    engine: Engine,
    key: Secret,
    port: u16,
    limits: Limits,
) -> Result<Serving, GatewayError> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => GatewayError::PortInUse { port },
            _ => GatewayError::Listen { port, source },
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| GatewayError::Listen { port, source })?;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(
            engine.config().timeout_secs.max(30) * 4,
        ))
        // Xero's answers are passed on as they are, redirects included.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let api_base = engine
        .config()
        .xero
        .api_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let stop = CancellationToken::new();
    let shared = engine.shared_rates();
    if let Some(rates) = &shared {
        let stopping = stop.clone();
        rates.keep_leases(async move { stopping.cancelled().await });
    }
    let limiter = limiter::Limiter::shared(limits, shared);
    let calls_left = CallsLeft::default();
    calls_left.keep_writing(engine.clone(), stop.clone());
    let meter = Arc::new(meter::Meter::new(
        tenantry_core::usage::budget::Budgets::of(engine.config()),
    ));
    meter.keep_writing(engine.clone(), stop.clone());
    let calls = Arc::new(calllog::CallLog::new(engine.config().call_log_days));
    let writer = calls.keep_writing(engine.clone(), stop.clone());
    let run_key = key::generate();
    let gateway = Arc::new(Gateway {
        engine,
        keys: key::Keys::new(key, run_key.clone()),
        port: addr.port(),
        limiter: limiter.clone(),
        http,
        api_base,
        calls_left,
        meter,
        calls: calls.clone(),
    });
    let app = axum::Router::new()
        .fallback(proxy::handle)
        .with_state(gateway);
    tokio::spawn(conn::serve(listener, app, stop.clone()));
    Ok(Serving {
        addr,
        stop,
        limiter,
        run_key,
        calls,
        writer: Some(writer),
    })
}

/// Xero's limits for the profile's app: each organisation's day as its tier or `daily_limit`
/// says (1,000 calls on Starter, else 5,000). Debug builds only: `TENANTRY_TEST_RATE_MINUTE_MS`
/// shortens the minute, so the end-to-end tests can run minutes of traffic in seconds against a
/// fake Xero shortened the same way. Release builds ignore the variable.
pub fn limits_for(config: &tenantry_core::config::Config) -> Limits {
    let limits = Limits {
        per_day: config.daily_call_limit(),
        ..Limits::default()
    };
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("TENANTRY_TEST_RATE_MINUTE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        return Limits {
            minute: std::time::Duration::from_millis(ms.max(100)),
            ..limits
        };
    }
    limits
}

/// What a long-running host (`tenantry gateway`, the desktop app) runs: the gateway and the
/// token agent.
pub struct Hosted {
    pub serving: Serving,
    /// `None` when another process already answers token requests for this profile, or the
    /// socket could not be made (said in the log); the gateway serves all the same.
    pub agent: Option<agent::server::Agent>,
}

/// Why a host could not start its gateway.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error("the gateway key cannot be read or made: {0}")]
    Key(#[from] tenantry_core::vault::VaultError),
}

impl Hosted {
    /// Starts the gateway on `port` with the profile's key (made on first use, in the vault the
    /// engine was opened with) and the agent for the profile whose data is in `data_dir`.
    pub async fn start(
        engine: Engine,
        data_dir: &std::path::Path,
        port: u16,
    ) -> Result<Self, HostError> {
        let key = key::kept(engine.machine_vault(), key::Keep::Current).await?;
        let limits = limits_for(engine.config());
        let serving = serve(engine.clone(), key, port, limits).await?;
        let announced = agent::server::GatewayAt {
            port: serving.addr().port(),
            run_key: serving.run_key().clone(),
        };
        let path = agent::socket_path(data_dir);
        let agent = match agent::server::Agent::start(engine, path, Some(announced)).await {
            Ok(agent) => Some(agent),
            Err(e) => {
                tracing::warn!(error = %e, "the token agent is not running");
                None
            }
        };
        Ok(Self { serving, agent })
    }

    /// Stops the agent, then the gateway once its calls have ended and are in the call log.
    pub async fn settle(self) {
        drop(self.agent);
        self.serving.settle().await;
    }

    /// Where the agent listens, when it does.
    pub fn agent_path(&self) -> Option<&std::path::Path> {
        self.agent.as_ref().map(|a| a.path())
    }
}

#[cfg(test)]
mod tests {
    use tenantry_core::config::{Config, Tier};

    #[test]
    fn the_day_budget_follows_the_tier_or_daily_limit() {
        let mut config = Config::default();
        assert_eq!(
            super::limits_for(&config).per_day,
            5000,
            "Xero's for every app"
        );
        config.tier = Some(Tier::Starter);
        assert_eq!(super::limits_for(&config).per_day, 1000, "Starter's");
        config.tier = Some(Tier::Plus);
        assert_eq!(super::limits_for(&config).per_day, 5000);
        config.daily_limit = Some(300);
        assert_eq!(
            super::limits_for(&config).per_day,
            300,
            "set alone, it wins"
        );
    }
}
