//! The gateway's HTTP side: a request as a program would send it to Xero, checked
//! ([`guard`](crate::guard)), its organisation found, queued under Xero's limits
//! ([`limiter`](crate::limiter)), given the real access token and tenant id, forwarded to
//! `api_url`, and its answer streamed back. The call holds its place in the organisation's
//! budget until the answer's body has been passed on, as Xero counts it in progress until then.
//!
//! A call's body is read when its turn comes, not while it waits: a waiting call holds its
//! place in the queue, and its body stays in the client's socket.
//!
//! Retries, each at most once: a 401 for a token Tenantry thought valid costs one refresh (the
//! engine's single flight, so one for any number of callers that saw it); a 429 blocks the
//! organisation for its `Retry-After`, and a GET or HEAD then waits its turn and goes again.
//! Other methods are not retried: Xero's PUT and POST both create.

mod answer;

use crate::budget::{LONGEST_WAIT, Problem, Remaining};
use crate::calllog::Entry;
use crate::client::Lazy;
use crate::meter::Tally;
use crate::{Gateway, guard, path, problem};
use answer::{connections, read_body, stream_back};
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Request, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;
use std::time::Duration;
use tenantry_core::usage::{EgressKey, UNKNOWN_PROGRAM, api_path};
use tenantry_core::{AccessGrant, Naming};

/// Request bodies are read whole (a retry must send the same bytes) up to Xero's own largest,
/// the Files API's 10 MB; the accounting and payroll APIs take 3.5 MB.
pub const MAX_BODY: usize = 10 * 1024 * 1024;
/// How long a call's body may take to arrive once its turn has come (it holds one of the
/// organisation's calls in progress meanwhile).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// The paths Xero's APIs live under at `api.xero.com`; anything else is not Xero's.
pub(crate) const API_PREFIXES: &[&str] = &[
    "/api.xro/",
    "/payroll.xro/",
    "/assets.xro/",
    "/projects.xro/",
    "/files.xro/",
    "/bankfeeds.xro/",
    "/finance.xro/",
    "/practicemanager/",
];

/// Headers that belong to one hop (RFC 9110 §7.6.1), and those the gateway replaces.
fn passed_on(name: &HeaderName) -> bool {
    !matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "host"
            | "authorization"
            | "xero-tenant-id"
            | "content-length"
            | TOOL_HEADER
    )
}

/// Names the MCP tool (or `each`, `call`) a call of Tenantry's own front ends was sent for, for
/// the call log; never passed on to Xero.
pub const TOOL_HEADER: &str = "x-tenantry-tool";

pub(crate) async fn handle(
    State(gw): State<Arc<Gateway>>,
    Extension(client): Extension<Lazy>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    if let Err(why) = guard::check(&parts.method, &parts.headers, gw.port, &gw.keys) {
        return problem::refused(why, gw.port);
    }
    // Looked up now that the key was presented, once per connection.
    let who = client.get().await;
    let program = who.name.as_deref().unwrap_or(UNKNOWN_PROGRAM);
    let tool = parts.headers.get(TOOL_HEADER).and_then(|v| v.to_str().ok());
    let mut entry = Entry::begin(
        &gw.calls,
        gw.engine.now(),
        program,
        tool,
        parts.method.as_str(),
        &parts.uri,
    );
    let response = serve(&gw, &parts, body, who.key, program, &mut entry).await;
    // An answer of the gateway's own (Xero's are logged as their bodies end).
    if let Some(entry) = entry {
        let bytes = axum::body::HttpBody::size_hint(response.body())
            .exact()
            .unwrap_or(0);
        entry.end(response.status().as_u16(), bytes);
    }
    response
}

async fn serve(
    gw: &Gateway,
    parts: &axum::http::request::Parts,
    body: Body,
    client: crate::client::ClientKey,
    program: &str,
    entry: &mut Option<Entry>,
) -> Response {
    let path = match path::check(parts.uri.path()) {
        Ok(path) => path,
        Err(why) => return problem::bad_path(why),
    };
    if path.eq_ignore_ascii_case("/connections") || path.eq_ignore_ascii_case("/connections/") {
        return if parts.method == Method::GET {
            connections(gw).await
        } else {
            problem::answer(
                StatusCode::FORBIDDEN,
                problem::Code::NotThroughGateway,
                "organisations are disconnected with `tenantry disconnect ORG`, not through the gateway",
            )
        };
    }
    if !API_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return problem::answer(
            StatusCode::NOT_FOUND,
            problem::Code::NotXero,
            &format!(
                "`{path}` is not one of Xero's APIs; the gateway serves /connections and paths under {}",
                API_PREFIXES.join(", ")
            ),
        );
    }
    let Some(selector) = parts
        .headers
        .get("xero-tenant-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return problem::answer(
            StatusCode::BAD_REQUEST,
            problem::Code::NoTenant,
            "send `xero-tenant-id` with the organisation's tenant id or name; `tenantry orgs` lists them",
        );
    };
    // A read may name its organisation loosely; a write only by its whole id or exact name.
    let naming = match parts.method {
        Method::GET | Method::HEAD => Naming::Loose,
        _ => Naming::Exact,
    };
    if let Some(entry) = entry.as_mut() {
        entry.organisation(selector);
    }
    let tenant = match gw.engine.tenant_for(selector, naming).await {
        Ok(t) => t,
        Err(e) => return problem::engine(&e),
    };
    if let Some(entry) = entry.as_mut() {
        entry.organisation(&tenant);
    }
    let now = gw.engine.now();
    if let Some(spent) = gw.meter.spent(&tenant.to_lowercase(), now) {
        let (_, month_end) = tenantry_core::usage::Month::of(now).bounds();
        let left = (month_end - now).to_std().unwrap_or_default();
        return problem::egress_budget(spent, left);
    }
    let target = format!(
        "{}{}",
        gw.api_base,
        parts.uri.path_and_query().map_or(path, |p| p.as_str())
    );
    let call = Call {
        gw,
        method: &parts.method,
        headers: &parts.headers,
        target: &target,
        tenant: &tenant,
        client,
        program,
        path,
        bytes: Bytes::new(),
        entry,
    };
    call.run(body).await
}

struct Call<'a> {
    gw: &'a Gateway,
    method: &'a Method,
    headers: &'a HeaderMap,
    target: &'a str,
    tenant: &'a str,
    /// The program it came from: the limiter's turns are taken by program.
    client: crate::client::ClientKey,
    /// Its name, for the egress meter.
    program: &'a str,
    /// The checked request path, for the egress meter.
    path: &'a str,
    /// The body, read when the call's turn first comes (a retry sends the same bytes again).
    bytes: Bytes,
    /// Its row in the call log, handed to the answer's tally when Xero answers.
    entry: &'a mut Option<Entry>,
}

impl Call<'_> {
    async fn run(mut self, body: Body) -> Response {
        // Not a field: a body is not `Sync`, and the call is borrowed across awaits.
        let mut body = Some(body);
        let idempotent = matches!(*self.method, Method::GET | Method::HEAD);
        let mut grant: Option<AccessGrant> = None;
        let (mut replaced, mut waited) = (false, false);
        loop {
            // The token first: a refresh may take a while, and the budget's window should open
            // when the call leaves, not before (Xero opens its window when the call arrives).
            let mut g = match grant.take() {
                Some(g) => g,
                None => match self.gw.engine.access_token_for(self.tenant).await {
                    Ok(g) => g,
                    Err(e) => return problem::engine(&e),
                },
            };
            let permit = match self.gw.limiter.acquire(self.tenant, self.client).await {
                Ok(p) => p,
                Err(refusal) => return problem::limited(refusal),
            };
            if let Some(unread) = body.take() {
                match read_body(unread).await {
                    Ok(bytes) => self.bytes = bytes,
                    Err(refused) => return refused,
                }
            }
            // A long wait in the queue may have outlived it: the engine's cache answers at once
            // when it has not.
            if g.expires_at - self.gw.engine.now() < chrono::Duration::seconds(30) {
                g = match self.gw.engine.access_token_for(self.tenant).await {
                    Ok(g) => g,
                    Err(e) => return problem::engine(&e),
                };
            }
            let answer = match self.send(&g).await {
                Ok(a) => a,
                Err(e) => {
                    return problem::answer(
                        StatusCode::BAD_GATEWAY,
                        problem::Code::Unreachable,
                        &format!("Xero could not be reached ({e}); try again shortly"),
                    );
                }
            };
            let status = answer.status();
            let remaining = Remaining::from_headers(answer.headers());
            permit.observe(remaining);
            if let Some(day) = remaining.day {
                self.gw.calls_left.note(self.tenant, day);
            }
            if status == StatusCode::UNAUTHORIZED && !replaced {
                replaced = true;
                drop(permit);
                match self.gw.engine.replace_rejected(&g).await {
                    Ok(fresh) => {
                        grant = Some(fresh);
                        continue;
                    }
                    Err(e) => return problem::engine(&e),
                }
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                let h = answer.headers();
                let problem = h
                    .get("x-rate-limit-problem")
                    .and_then(|v| v.to_str().ok())
                    .map_or(Problem::Minute, Problem::from_header);
                let retry_after = h
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|s| Duration::from_secs(s).min(LONGEST_WAIT));
                tracing::info!(
                    tenant = self.tenant,
                    problem = problem.header_value(),
                    "Xero answered 429"
                );
                permit.throttled(problem, retry_after);
                if idempotent && !waited && problem != Problem::Day {
                    waited = true;
                    grant = Some(g);
                    drop(permit);
                    continue;
                }
            }
            let key = EgressKey {
                day: self.gw.engine.now().date_naive(),
                tenant_id: self.tenant.to_lowercase(),
                program: self.program.to_owned(),
                path: api_path(self.path),
            };
            let tally = Tally::new(self.gw.meter.clone(), key, answer.headers())
                .logging(self.entry.take(), status.as_u16());
            return stream_back(answer, permit, tally);
        }
    }

    async fn send(&self, grant: &AccessGrant) -> Result<reqwest::Response, reqwest::Error> {
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in self.headers {
            if *name == header::ACCEPT_ENCODING {
                // Only codings the egress meter can decode.
                if let Some(value) = crate::meter::measurable(value) {
                    headers.append(name.clone(), value);
                }
            } else if passed_on(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        let mut request = self
            .gw
            .http
            .request(self.method.clone(), self.target)
            .headers(headers)
            .bearer_auth(grant.access_token.expose())
            .header("xero-tenant-id", &*grant.tenant_id);
        if !self.bytes.is_empty() {
            request = request.body(self.bytes.clone());
        }
        request.send().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_headers_and_the_ones_the_gateway_sets_are_not_passed_on() {
        for name in [
            "authorization",
            "host",
            "xero-tenant-id",
            "connection",
            "transfer-encoding",
        ] {
            assert!(!passed_on(&HeaderName::from_static(name)), "{name}");
        }
        for name in [
            "accept",
            "content-type",
            "if-modified-since",
            "x-minlimit-remaining",
        ] {
            assert!(passed_on(&HeaderName::from_static(name)), "{name}");
        }
    }
}
