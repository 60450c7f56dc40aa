//! `tenantry mcp`: a Model Context Protocol server over stdio (the official Rust SDK, rmcp) for
//! AI assistants. It serves every organisation every login reaches, and never hands the
//! assistant a token: each Xero call goes through a gateway ([`crate::call`]), so it is held to
//! Xero's limits with every other local program's, and its token is always fresh, however long
//! the session.
//!
//! Tools: `list_organisations`, `connection_status`, `xero_get` (any read-only call),
//! `xero_get_each` (the same read to many organisations, [`crate::each`]), and, only
//! when started with `--allow-writes`, `xero_request`. A write is confirmed
//! ([`tenantry_core::confirm`]): called without a code it sends nothing and answers a preview
//! with a code bound to that exact write; only the same call with that code, within five minutes
//! and once, is sent, to the organisation named by its whole tenant id or exact name.

mod each;
mod write;

use crate::call::{Caller, Upstream, api_path};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ErrorData, ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tenantry_core::Engine;
use tenantry_core::confirm::Confirmations;

#[derive(Clone)]
pub struct XeroTools {
    engine: Engine,
    caller: Arc<Caller>,
    /// The codes this session's previews gave.
    confirmations: Arc<Mutex<Confirmations>>,
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
pub struct GetEach {
    /// The organisations: names (any case) or tenant ids, as `list_organisations` gives them; or
    /// ["all"] for every one.
    pub organisations: Vec<String>,
    /// Xero's path, e.g. `/api.xro/2.0/Invoices`.
    pub path: String,
    /// Query parameters, the same for every organisation.
    #[serde(default)]
    pub query: Option<BTreeMap<String, String>>,
    /// Follow Xero's `page` parameter to the last page, joining the records.
    #[serde(default)]
    pub all_pages: bool,
}

/// The most JSON one `xero_get_each` hands back: bodies past it are left out and counted.
pub const EACH_LIMIT: usize = 512 * 1024;

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct Request {
    /// The organisation written to: its whole tenant id or exact name (any case).
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
    /// The code a preview of this exact call gave. Without one, nothing is sent: the answer is
    /// the preview, to show the person, and the code.
    #[serde(default)]
    pub confirmation: Option<String>,
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
            caller: Arc::new(Caller::new(upstream)),
            confirmations: Arc::default(),
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
        self.read(&organisation, &path, query).await
    }

    #[tool(
        description = "The same read-only (GET) call to many Xero organisations at once, within Xero's limits: organisations [\"all\"] or a list of names or tenant ids; all_pages follows Xero's paging and joins the records. Returns {results: one per organisation (organisation, tenant_id, status, ok, pages, body, error), cut, note}; past 512 KB of bodies in all, the rest are left out (body null) and counted in cut."
    )]
    async fn xero_get_each(
        &self,
        Parameters(args): Parameters<GetEach>,
    ) -> Result<CallToolResult, ErrorData> {
        self.get_each(args).await
    }

    #[tool(
        description = "A write (POST, PUT, PATCH or DELETE) to a Xero API for one organisation, named by its whole tenant id or exact name, with a JSON body. Confirmed: called without `confirmation`, it sends nothing and answers a preview (organisation, tenant id, method, path, body summary) and a code; show the preview to the person, and only if they agree call again with the same arguments and that code (good once, for 5 minutes, for exactly that call). Only served when Tenantry's MCP server was started with --allow-writes."
    )]
    async fn xero_request(
        &self,
        Parameters(args): Parameters<Request>,
    ) -> Result<CallToolResult, ErrorData> {
        self.write(args).await
    }
}

impl XeroTools {
    async fn read(
        &self,
        organisation: &str,
        path: &str,
        query: Option<BTreeMap<String, String>>,
    ) -> Result<CallToolResult, ErrorData> {
        let path = match api_path(path) {
            Ok(path) => path,
            Err(why) => return failed(why),
        };
        let answer = match self
            .caller
            .send(
                "xero_get",
                reqwest::Method::GET,
                organisation,
                &path,
                &query.unwrap_or_default(),
                None,
            )
            .await
        {
            Ok(answer) => answer,
            Err(e) => return failed(e),
        };
        if !answer.status.is_success() {
            return failed(format!(
                "GET {path} for {organisation}: {}: {}",
                answer.status, answer.body
            ));
        }
        Ok(CallToolResult::success(text(answer.body)))
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
    let caller = tools.caller.clone();
    let service = tools
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| format!("the MCP session did not start: {e}"))?;
    let ended = service
        .waiting()
        .await
        .map_err(|e| format!("the MCP session ended with an error: {e}"));
    // The session's calls are in the call log before the process ends.
    caller.settle().await;
    ended?;
    Ok(())
}
