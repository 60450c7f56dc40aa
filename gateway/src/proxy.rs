//! The gateway's HTTP side: a request as a program would send it to Xero, checked
//! ([`guard`](crate::guard)), its organisation found, queued under Xero's limits
//! ([`limiter`](crate::limiter)), given the real access token and tenant id, forwarded to
//! `api_url`, and its answer streamed back. The call holds its place in the organisation's
//! budget until the answer's body has been passed on, as Xero counts it in progress until then.
//!
//! Retries, each at most once: a 401 for a token Tenantry thought valid costs one refresh (the
//! engine's single flight, so one for any number of callers that saw it); a 429 blocks the
//! organisation for its `Retry-After`, and a GET or HEAD then waits its turn and goes again.
//! Other methods are not retried: Xero's PUT and POST both create.

use crate::budget::{Problem, Remaining};
use crate::{Gateway, guard, problem};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tenantry_core::AccessGrant;

/// Request bodies are read whole (a retry must send the same bytes) up to Xero's own largest,
/// the Files API's 10 MB; the accounting and payroll APIs take 3.5 MB.
pub const MAX_BODY: usize = 10 * 1024 * 1024;

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
    )
}

pub(crate) async fn handle(
    State(gw): State<Arc<Gateway>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    if let Err(why) = guard::check(&parts.method, &parts.headers, gw.port, &gw.key) {
        return problem::refused(why, gw.port);
    }
    let path = parts.uri.path();
    if path.eq_ignore_ascii_case("/connections") || path.eq_ignore_ascii_case("/connections/") {
        return if parts.method == Method::GET {
            connections(&gw).await
        } else {
            problem::answer(
                StatusCode::FORBIDDEN,
                "not_through_gateway",
                "organisations are disconnected with `tenantry disconnect ORG`, not through the gateway",
            )
        };
    }
    if !API_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return problem::answer(
            StatusCode::NOT_FOUND,
            "not_xero",
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
            "no_tenant",
            "send `xero-tenant-id` with the organisation's tenant id or name; `tenantry orgs` lists them",
        );
    };
    let tenant = match gw.engine.tenant_for(selector).await {
        Ok(t) => t,
        Err(e) => return problem::engine(&e),
    };
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return problem::answer(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the body is larger than Xero takes (10 MB for files, 3.5 MB for accounting and payroll)",
            );
        }
    };
    let target = format!(
        "{}{}",
        gw.api_base,
        parts.uri.path_and_query().map_or(path, |p| p.as_str())
    );
    let call = Call {
        gw: &gw,
        method: &parts.method,
        headers: &parts.headers,
        target: &target,
        tenant: &tenant,
        client,
        body,
    };
    call.run().await
}

struct Call<'a> {
    gw: &'a Gateway,
    method: &'a Method,
    headers: &'a HeaderMap,
    target: &'a str,
    tenant: &'a str,
    /// The connection it came on: the limiter's turns are taken by connection.
    client: SocketAddr,
    body: axum::body::Bytes,
}

impl Call<'_> {
    async fn run(&self) -> Response {
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
                        "unreachable",
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
                    .map(Duration::from_secs);
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
            return stream_back(answer, permit);
        }
    }

    async fn send(&self, grant: &AccessGrant) -> Result<reqwest::Response, reqwest::Error> {
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in self.headers {
            if passed_on(name) {
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
        if !self.body.is_empty() {
            request = request.body(self.body.clone());
        }
        request.send().await
    }
}

/// Xero's answer, passed on as it streams, the call's budget held until its last byte.
fn stream_back(answer: reqwest::Response, permit: crate::limiter::Permit) -> Response {
    let status = answer.status();
    let mut headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if passed_on(name) || name == header::CONTENT_LENGTH {
            headers.append(name.clone(), value.clone());
        }
    }
    let body = answer.bytes_stream().map(move |chunk| {
        let _held = &permit;
        chunk
    });
    let mut response = Body::from_stream(body).into_response();
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// `GET /connections`: every organisation some login reaches, once each, in Xero's shape, so
/// an SDK's `get_tenants` lists them all (not just one login's).
async fn connections(gw: &Gateway) -> Response {
    let organisations = match gw.engine.organisations().await {
        Ok(o) => o,
        Err(e) => return problem::engine(&e),
    };
    let mut seen = std::collections::HashSet::new();
    let list: Vec<serde_json::Value> = organisations
        .into_iter()
        .filter(|o| o.disconnected_at.is_none() && seen.insert(o.tenant_id.to_lowercase()))
        .map(|o| {
            let at =
                |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
            serde_json::json!({
                "id": o.connection_id, "authEventId": o.auth_event_id, "tenantId": o.tenant_id,
                "tenantType": o.tenant_type, "tenantName": o.name,
                "createdDateUtc": at(o.created_at), "updatedDateUtc": at(o.updated_at),
            })
        })
        .collect();
    axum::Json(list).into_response()
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
