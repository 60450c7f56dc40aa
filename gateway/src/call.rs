//! One call to Xero through a gateway, for Tenantry's own front ends (`tenantry mcp`, `tenantry
//! call`): so each is held to Xero's limits with every other local program's, is metered, and
//! gets a fresh token however long it runs. The gateway is the profile's running one, found
//! through its token agent ([`Upstream`]), never by calling the gateway's port: any local user may
//! hold that port, and would collect whatever key was presented to it. The agent's socket proves
//! it is this user's; it names its gateway's port and the run's own key, asked again before each
//! call, so a gateway that stopped is not called. Without one, a gateway of this process's own.

use crate::agent::{client as agent_client, wire::Answer as AgentAnswer};
use crate::proxy::API_PREFIXES;
use std::collections::BTreeMap;
use std::path::PathBuf;
use tenantry_core::Engine;
use tenantry_core::secret::Secret;

/// Where Tenantry's own front ends send their Xero calls: the profile's running gateway, as its token agent
/// names it, else a gateway of this process's own (started on first need, on a free port, with
/// a key nobody else has).
pub struct Upstream {
    engine: Engine,
    agent: PathBuf,
    own: tokio::sync::OnceCell<(String, Secret)>,
    /// The gateway of this process's own, while it serves: [`Upstream::settle`] ends it.
    serving: std::sync::Mutex<Option<crate::Serving>>,
    /// The URL last used, to say in the log when the choice changes.
    last: std::sync::Mutex<Option<String>>,
}

impl Upstream {
    /// For the profile whose data lives in `data_dir`.
    pub fn new(engine: Engine, data_dir: &std::path::Path) -> Self {
        Self {
            engine,
            agent: crate::agent::socket_path(data_dir),
            own: tokio::sync::OnceCell::new(),
            serving: std::sync::Mutex::new(None),
            last: std::sync::Mutex::new(None),
        }
    }

    fn note(&self, url: &str, whose: &str) {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.as_deref() != Some(url) {
            tracing::info!("calling Xero through {whose} at {url}");
            *last = Some(url.to_owned());
        }
    }

    /// The gateway's base URL and the key to present there, for the next call.
    pub async fn gateway(&self) -> Result<(String, Secret), String> {
        let path = self.agent.clone();
        let asked = tokio::task::spawn_blocking(move || agent_client::ask_gateway(&path)).await;
        if let Ok(Ok(Some(AgentAnswer::Gateway { port, key }))) = asked {
            let url = format!("http://127.0.0.1:{port}");
            self.note(&url, "the running gateway");
            return Ok((url, Secret::new(key)));
        }
        let (url, key) = self
            .own
            .get_or_try_init(|| async {
                let key = crate::key::generate();
                let own = crate::serve(
                    self.engine.clone(),
                    key.clone(),
                    0,
                    crate::limits_for(self.engine.config()),
                )
                .await
                .map_err(|e| e.to_string())?;
                let url = own.url();
                *self.serving.lock().expect("serving lock") = Some(own);
                Ok::<_, String>((url, key))
            })
            .await?;
        self.note(url, "a gateway of this process's own");
        Ok((url.clone(), key.clone()))
    }

    /// Ends the gateway of this process's own, if it started one, once its calls have ended and
    /// are in the call log: what a front end does before its process ends.
    pub async fn settle(&self) {
        let serving = self.serving.lock().expect("serving lock").take();
        if let Some(serving) = serving {
            serving.settle().await;
        }
    }
}

/// Xero's path as a call names it (a leading `/` added), or why it is not one of Xero's APIs.
pub fn api_path(path: &str) -> Result<String, String> {
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    if let Err(why) = crate::path::check(&path) {
        return Err(format!("`{path}`: {}", why.detail()));
    }
    if !API_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return Err(format!(
            "`{path}` is not one of Xero's API paths; they start with {}",
            API_PREFIXES.join(", ")
        ));
    }
    Ok(path)
}

/// Xero's answer (or the gateway's own, in Xero's problem shape).
#[derive(Debug)]
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub body: String,
}

/// Sends calls through an [`Upstream`].
pub struct Caller {
    upstream: Upstream,
    http: reqwest::Client,
}

impl Caller {
    pub fn new(upstream: Upstream) -> Self {
        Self {
            upstream,
            http: reqwest::Client::new(),
        }
    }

    /// Sends one call for `organisation` (a tenant id or, for a read, a name) to `path` (checked
    /// with [`api_path`]), with a JSON body when given; `tool` names the front end's tool (MCP's,
    /// or `each`, `call`) in the call log.
    pub async fn send(
        &self,
        tool: &str,
        method: reqwest::Method,
        organisation: &str,
        path: &str,
        query: &BTreeMap<String, String>,
        json_body: Option<Vec<u8>>,
    ) -> Result<Answer, String> {
        let (url, key) = self
            .upstream
            .gateway()
            .await
            .map_err(|e| format!("no gateway could be started: {e}"))?;
        let mut request = self
            .http
            .request(method, format!("{url}{path}"))
            .bearer_auth(key.expose())
            .header("xero-tenant-id", organisation)
            .header(crate::proxy::TOOL_HEADER, tool)
            .header("accept", "application/json");
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = json_body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let answer = request
            .send()
            .await
            .map_err(|e| format!("the gateway could not be reached: {e}"))?;
        let status = answer.status();
        let body = answer
            .text()
            .await
            .map_err(|e| format!("Xero's answer broke off: {e}"))?;
        Ok(Answer { status, body })
    }

    /// See [`Upstream::settle`].
    pub async fn settle(&self) {
        self.upstream.settle().await;
    }
}
