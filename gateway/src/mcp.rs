//! `tenantry mcp`: a Model Context Protocol server over stdio (the official Rust SDK, rmcp) for
//! AI assistants. It serves every organisation every login reaches, and never hands the
//! assistant a token: each Xero call goes through a gateway, so it is held to Xero's limits
//! with every other local program's (the profile's running gateway when there is one, else one
//! started in this process), and its token is always fresh, however long the session.
//!
//! The running gateway is found through its token agent ([`Upstream`]), never by calling the
//! gateway's port: any local user may hold that port, and would collect whatever key was
//! presented to it. The agent's socket proves it is this user's; it names its gateway's port and
//! the run's own key, asked again before each call, so a gateway that stopped is not called.
//!
//! Tools: `list_organisations`, `connection_status`, `xero_get` (any read-only call), and, only
//! when started with `--allow-writes`, `xero_request`, whose answer names the organisation
//! written to.

use crate::agent::{client as agent_client, wire::Answer};
use crate::proxy::API_PREFIXES;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ErrorData, ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tenantry_core::secret::Secret;
use tenantry_core::{Engine, Naming};

/// Where the server sends its Xero calls: the profile's running gateway, as its token agent
/// names it, else a gateway of this process's own (started on first need, on a free port, with
/// a key nobody else has).
pub struct Upstream {
    engine: Engine,
    agent: PathBuf,
    own: tokio::sync::OnceCell<(String, Secret, crate::Serving)>,
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
        if let Ok(Ok(Some(Answer::Gateway { port, key }))) = asked {
            let url = format!("http://127.0.0.1:{port}");
            self.note(&url, "the running gateway");
            return Ok((url, Secret::new(key)));
        }
        let (url, key, _) = self
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
                Ok::<_, String>((own.url(), key, own))
            })
            .await?;
        self.note(url, "a gateway of this process's own");
        Ok((url.clone(), key.clone()))
    }
}

#[derive(Clone)]
pub struct XeroTools {
    engine: Engine,
    upstream: Arc<Upstream>,
    http: reqwest::Client,
    tool_router: ToolRouter<Self>,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct Get {
    /// The organisation: its name (any case) or tenant id, as `list_organisations` gives them.
    pub organisation: String,
    /// Xero's path, e.g. `/api.xro/2.0/Invoices`, `/payroll.xro/2.0/employees`.
    pub path: String,
    /// Query parameters, e.g. {"where": "Status==\"AUTHORISED\"", "page": "1"}.
    #[serde(default)]
    pub query: Option<BTreeMap<String, String>>,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct Request {
    /// The organisation written to: its name (any case) or tenant id.
    pub organisation: String,
    /// POST, PUT, PATCH or DELETE (Xero's PUT and POST both create records).
    pub method: String,
    /// Xero's path, e.g. `/api.xro/2.0/Contacts`.
    pub path: String,
    #[serde(default)]
    pub query: Option<BTreeMap<String, String>>,
    /// The JSON body Xero's API takes for this call.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
}

fn text(t: impl Into<String>) -> Vec<ContentBlock> {
    vec![ContentBlock::text(t)]
}

fn failed(t: impl Into<String>) -> Result<CallToolResult, ErrorData> {
    Ok(CallToolResult::error(text(t)))
}

/// What the engine could not do, with its code and fix kept (as the CLI's `--json` and the
/// gateway's problems keep them), so an assistant can branch on the code and tell the person the
/// step.
fn engine_failed(e: &tenantry_core::EngineError) -> Result<CallToolResult, ErrorData> {
    failed(
        serde_json::json!({
            "error": {
                "code": e.code(),
                "message": e.to_string(),
                "fix": e.fix().map(|f| f.command_line()),
            }
        })
        .to_string(),
    )
}

#[tool_router]
impl XeroTools {
    pub fn new(engine: Engine, upstream: Upstream, allow_writes: bool) -> Self {
        let mut tool_router = Self::tool_router();
        if !allow_writes {
            tool_router.remove_route("xero_request");
        }
        Self {
            engine,
            upstream: Arc::new(upstream),
            http: reqwest::Client::new(),
            tool_router,
        }
    }

    #[tool(
        description = "Every Xero organisation Tenantry reaches, across all its logins: name, tenant id, state (connected, needs_reconnect, disconnected, error), the login it is reached through, and the calls left today of Xero's 5,000 when known."
    )]
    async fn list_organisations(&self) -> Result<CallToolResult, ErrorData> {
        let overview = match self.engine.overview().await {
            Ok(o) => o,
            Err(e) => return engine_failed(&e),
        };
        let list: Vec<serde_json::Value> = overview
            .organisations
            .iter()
            .map(|o| {
                serde_json::json!({
                    "name": o.name, "tenant_id": o.tenant_id, "state": o.state.as_str(),
                    "reason": o.reason, "login": o.through_email,
                    "calls_left_today": o.calls_left_today,
                    "fix": o.fix.as_ref().map(|f| f.command()),
                })
            })
            .collect();
        Ok(CallToolResult::success(text(
            serde_json::Value::Array(list).to_string(),
        )))
    }

    #[tool(
        description = "The state of each Xero login (a person's Xero account): connected, expiring, lapsed, needs_reconnect or error, with how many days are left before Xero's 60-day limit and the organisations it reaches."
    )]
    async fn connection_status(&self) -> Result<CallToolResult, ErrorData> {
        let overview = match self.engine.overview().await {
            Ok(o) => o,
            Err(e) => return engine_failed(&e),
        };
        let list: Vec<serde_json::Value> = overview
            .logins
            .iter()
            .map(|l| {
                let reaches: Vec<&str> = overview
                    .rows
                    .iter()
                    .filter(|o| o.login_id == l.login.id && o.disconnected_at.is_none())
                    .map(|o| o.name.as_str())
                    .collect();
                serde_json::json!({
                    "email": l.login.email, "state": l.health.as_str(), "reason": l.reason,
                    "days_left": l.days_left, "organisations": reaches,
                    "fix": l.fix.as_ref().map(|f| f.command()),
                })
            })
            .collect();
        Ok(CallToolResult::success(text(
            serde_json::Value::Array(list).to_string(),
        )))
    }

    #[tool(
        description = "A read-only (GET) call to any Xero API for one organisation, e.g. path /api.xro/2.0/Invoices with query {\"where\": \"Status==\\\"AUTHORISED\\\"\"}. Returns Xero's JSON answer."
    )]
    async fn xero_get(
        &self,
        Parameters(Get {
            organisation,
            path,
            query,
        }): Parameters<Get>,
    ) -> Result<CallToolResult, ErrorData> {
        self.call("GET", &organisation, &path, query, None).await
    }

    #[tool(
        description = "A write (POST, PUT, PATCH or DELETE) to a Xero API for one organisation, with a JSON body. Only served when Tenantry's MCP server was started with --allow-writes. The answer names the organisation written to."
    )]
    async fn xero_request(
        &self,
        Parameters(Request {
            organisation,
            method,
            path,
            query,
            body,
        }): Parameters<Request>,
    ) -> Result<CallToolResult, ErrorData> {
        let method = method.to_ascii_uppercase();
        if !matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") {
            return failed(format!(
                "`{method}` is not a write; use POST, PUT, PATCH or DELETE (reads go through xero_get)"
            ));
        }
        self.call(&method, &organisation, &path, query, body).await
    }
}

impl XeroTools {
    async fn call(
        &self,
        method: &str,
        organisation: &str,
        path: &str,
        query: Option<BTreeMap<String, String>>,
        body: Option<serde_json::Value>,
    ) -> Result<CallToolResult, ErrorData> {
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        if let Err(why) = crate::path::check(&path) {
            return failed(format!("`{path}`: {}", why.detail()));
        }
        if !API_PREFIXES.iter().any(|p| path.starts_with(p)) {
            return failed(format!(
                "`{path}` is not one of Xero's API paths; they start with {}",
                API_PREFIXES.join(", ")
            ));
        }
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a checked method");
        let write = method != reqwest::Method::GET;
        let (url, key) = match self.upstream.gateway().await {
            Ok(gateway) => gateway,
            Err(e) => return failed(format!("no gateway could be started: {e}")),
        };
        let mut request = self
            .http
            .request(method.clone(), format!("{url}{path}"))
            .bearer_auth(key.expose())
            .header("xero-tenant-id", organisation)
            .header("accept", "application/json");
        if let Some(query) = &query {
            request = request.query(query);
        }
        if let Some(body) = &body {
            request = request.json(body);
        }
        let answer = match request.send().await {
            Ok(a) => a,
            Err(e) => return failed(format!("the gateway could not be reached: {e}")),
        };
        let status = answer.status();
        let body = answer.text().await.unwrap_or_default();
        if !status.is_success() {
            return failed(format!(
                "{method} {path} for {organisation}: {status}: {body}"
            ));
        }
        if write {
            let tenant = self
                .engine
                .tenant_for(organisation, Naming::Exact)
                .await
                .unwrap_or_else(|_| organisation.to_owned());
            let name = self
                .engine
                .organisations()
                .await
                .ok()
                .and_then(|o| {
                    o.into_iter()
                        .find(|o| o.tenant_id.eq_ignore_ascii_case(&tenant))
                })
                .map_or_else(|| organisation.to_owned(), |o| o.name);
            return Ok(CallToolResult::success(text(format!(
                "Wrote to {name} ({tenant}): {method} {path} answered {status}.\n{body}"
            ))));
        }
        Ok(CallToolResult::success(text(body)))
    }
}

// The router this server was made with (without `xero_request` unless writes are allowed).
#[tool_handler(router = self.tool_router)]
impl ServerHandler for XeroTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("tenantry", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Tenantry reaches the user's Xero organisations. Call list_organisations first; pass an organisation's name or tenant id to xero_get. Tokens are Tenantry's business: never ask for one.",
            )
    }
}

/// Serves the tools on stdin and stdout until the client closes them.
pub async fn serve_stdio(tools: XeroTools) -> Result<(), String> {
    let service = tools
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| format!("the MCP session did not start: {e}"))?;
    service
        .waiting()
        .await
        .map_err(|e| format!("the MCP session ended with an error: {e}"))?;
    Ok(())
}
