//! The gateway's own answers, in the shape Xero's problems take (`Title`, `Status`, `Detail`), so
//! an SDK shows them as it shows Xero's, with `X-Tenantry-Error` naming the kind for programs
//! that branch on it (the same snake_case codes as `tenantry --json` and the window).

use crate::budget::Problem;
use crate::guard::Refused;
use crate::limiter::{Refusal, Why};
use crate::path::PathRefusal;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tenantry_core::{EngineError, ErrorCode};

pub fn answer(status: StatusCode, code: &str, detail: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let mut response = (
        status,
        axum::Json(serde_json::json!({
            "Type": null, "Title": title, "Status": status.as_u16(), "Detail": detail,
            "Tenantry": { "code": code },
        })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(code) {
        response.headers_mut().insert("x-tenantry-error", v);
    }
    response
}

pub fn refused(why: Refused, port: u16) -> Response {
    let code = match why {
        Refused::Host => "wrong_host",
        Refused::Browser => "browser",
        Refused::Preflight => "preflight",
        Refused::NoKey => "no_key",
        Refused::WrongKey => "wrong_key",
    };
    let mut response = answer(why.status(), code, &why.detail(port));
    if why == Refused::Preflight {
        response.headers_mut().insert(
            "allow",
            HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE"),
        );
    }
    response
}

/// The organisation's budget for the day is spent, or its queue is full: Xero's 429, as Xero
/// words it, so SDKs that honour `Retry-After` do here too.
pub fn limited(refusal: Refusal) -> Response {
    let detail = match refusal.why {
        Why::QueueFull => format!(
            "{} calls are already waiting for this organisation; slow down and retry",
            crate::limiter::MAX_WAITING
        ),
        Why::ClientBacklog => format!(
            "this program already has {} calls waiting; wait for their answers before sending more",
            crate::limiter::MAX_WAITING_PER_CLIENT
        ),
        Why::NotNow if refusal.problem == Problem::Day => {
            "this organisation's calls for the day are spent; Retry-After says when Xero gives more"
                .into()
        }
        Why::NotNow => format!(
            "Xero asked for no more calls ({} limit) for {} s; Retry-After says when to try again",
            refusal.problem.header_value(),
            refusal.retry_after.as_secs()
        ),
    };
    let mut response = answer(StatusCode::TOO_MANY_REQUESTS, "rate_limited", &detail);
    let h = response.headers_mut();
    let problem = match refusal.why {
        Why::QueueFull | Why::ClientBacklog => Problem::Concurrent,
        Why::NotNow => refusal.problem,
    };
    h.insert(
        "x-rate-limit-problem",
        HeaderValue::from_static(problem.header_value()),
    );
    h.insert(
        "retry-after",
        HeaderValue::from(refusal.retry_after.as_secs().max(1)),
    );
    response
}

/// A path no URL parser may rewrite before it reaches Xero ([`crate::path`]).
pub fn bad_path(why: PathRefusal) -> Response {
    answer(StatusCode::BAD_REQUEST, "bad_path", why.detail())
}

/// What the engine could not do, with the fix in the words of a command line.
pub fn engine(e: &EngineError) -> Response {
    let code = e.code();
    let status = match code {
        ErrorCode::UnknownOrganisation | ErrorCode::UnknownLogin => StatusCode::NOT_FOUND,
        ErrorCode::Ambiguous => StatusCode::BAD_REQUEST,
        // Xero's own answer for a tenant the token does not reach; not 401, which would say
        // the gateway key is wrong.
        ErrorCode::NeedsReconnect | ErrorCode::ConnectionGone => StatusCode::FORBIDDEN,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Unreachable => StatusCode::BAD_GATEWAY,
        ErrorCode::Keychain
        | ErrorCode::Passphrase
        | ErrorCode::Storage
        | ErrorCode::DatabaseUnreachable
        | ErrorCode::Practice => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Config
        | ErrorCode::XeroRejected
        | ErrorCode::LoginFailed
        | ErrorCode::Browser
        | ErrorCode::Cancelled
        | ErrorCode::Platform => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let detail = e.explained();
    let code = serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    answer(status, &code, &detail)
}
