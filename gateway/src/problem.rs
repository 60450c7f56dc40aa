//! The gateway's own answers, in the shape Xero's problems take (`Title`, `Status`, `Detail`), so
//! an SDK shows them as it shows Xero's, with `X-Tenantry-Error` naming the kind for programs
//! that branch on it (the same snake_case codes as `tenantry --json` and the window).

use crate::budget::Problem;
use crate::guard::Refused;
use crate::limiter::{Refusal, Why};
use crate::path::PathRefusal;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tenantry_core::usage::GB;
use tenantry_core::usage::budget::{Scope, Spent};
use tenantry_core::{EngineError, ErrorCode};

/// What `X-Tenantry-Error` (and `Tenantry.code` in the body) names: the gateway's own refusals,
/// or the engine's [`ErrorCode`], all snake_case as documented in docs/CLI.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    WrongHost,
    Browser,
    Preflight,
    NoKey,
    WrongKey,
    /// `/connections` for anything but a read: disconnecting is the CLI's.
    NotThroughGateway,
    /// A path outside Xero's APIs.
    NotXero,
    /// No `xero-tenant-id`.
    NoTenant,
    BadPath,
    TooLarge,
    BodyUnreadable,
    BodyTimeout,
    /// Xero could not be reached (the engine's word for it, too).
    Unreachable,
    /// Xero's limits, the gateway's queue, or a client's backlog.
    RateLimited,
    /// The month's egress budget (the app's or the organisation's) is used up.
    EgressBudget,
    /// What the engine could not do.
    Engine(ErrorCode),
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WrongHost => "wrong_host",
            Self::Browser => "browser",
            Self::Preflight => "preflight",
            Self::NoKey => "no_key",
            Self::WrongKey => "wrong_key",
            Self::NotThroughGateway => "not_through_gateway",
            Self::NotXero => "not_xero",
            Self::NoTenant => "no_tenant",
            Self::BadPath => "bad_path",
            Self::TooLarge => "too_large",
            Self::BodyUnreadable => "body_unreadable",
            Self::BodyTimeout => "body_timeout",
            Self::Unreachable => "unreachable",
            Self::RateLimited => "rate_limited",
            Self::EgressBudget => "egress_budget",
            Self::Engine(code) => code.as_str(),
        }
    }
}

pub fn answer(status: StatusCode, code: Code, detail: &str) -> Response {
    let code = code.as_str();
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
        Refused::Host => Code::WrongHost,
        Refused::Browser => Code::Browser,
        Refused::Preflight => Code::Preflight,
        Refused::NoKey => Code::NoKey,
        Refused::WrongKey => Code::WrongKey,
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
    let mut response = answer(StatusCode::TOO_MANY_REQUESTS, Code::RateLimited, &detail);
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

/// The month's egress budget is used up: Xero's 429 shape, with `X-Rate-Limit-Problem:
/// egress-budget` and `Retry-After` until the month ends, so an SDK that honours it stops, and
/// a runaway script runs up no bill.
pub fn egress_budget(spent: Spent, until_month_end: std::time::Duration) -> Response {
    let gb = |bytes: u64| bytes as f64 / GB as f64;
    let whose = match spent.scope {
        Scope::App => "the app's",
        Scope::Organisation => "this organisation's",
    };
    let detail = format!(
        "{whose} egress budget of {:.0} GB for the month is used ({:.2} GB downloaded); calls are \
         refused until the month ends (Retry-After), or raise it with `tenantry config set {} GB` \
         and restart the gateway; `tenantry usage --top` names what downloaded most",
        gb(spent.budget),
        gb(spent.used),
        spent.scope.key()
    );
    let mut response = answer(StatusCode::TOO_MANY_REQUESTS, Code::EgressBudget, &detail);
    let h = response.headers_mut();
    h.insert(
        "x-rate-limit-problem",
        HeaderValue::from_static("egress-budget"),
    );
    h.insert(
        "retry-after",
        HeaderValue::from(until_month_end.as_secs().max(1)),
    );
    response
}

/// A path no URL parser may rewrite before it reaches Xero ([`crate::path`]).
pub fn bad_path(why: PathRefusal) -> Response {
    answer(StatusCode::BAD_REQUEST, Code::BadPath, why.detail())
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
        // Never a gateway call's: no call removes a login.
        ErrorCode::HandoverIncomplete => StatusCode::CONFLICT,
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
    answer(status, Code::Engine(code), &e.explained())
}
