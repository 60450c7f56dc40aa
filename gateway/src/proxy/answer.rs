//! The bodies either way: a call's body read when its turn comes, Xero's answer streamed back
//! holding the call's place and counted, and the gateway's own `GET /connections`.

use super::{BODY_TIMEOUT, MAX_BODY, passed_on};
use crate::meter::Tally;
use crate::{Gateway, problem};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

/// Reads a call's body, which the client has been holding while the call waited its turn.
pub(super) async fn read_body(body: Body) -> Result<Bytes, Response> {
    let too_large = || {
        problem::answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            problem::Code::TooLarge,
            "the body is larger than Xero takes (10 MB for files, 3.5 MB for accounting and payroll)",
        )
    };
    match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) if is_too_large(&e) => Err(too_large()),
        Ok(Err(_)) => Err(problem::answer(
            StatusCode::BAD_REQUEST,
            problem::Code::BodyUnreadable,
            "the request's body could not be read (the connection broke, or its length was wrong)",
        )),
        Err(_) => Err(problem::answer(
            StatusCode::REQUEST_TIMEOUT,
            problem::Code::BodyTimeout,
            &format!(
                "the request's body did not arrive within {} s of the call's turn",
                BODY_TIMEOUT.as_secs()
            ),
        )),
    }
}

/// Whether reading a body failed for its size (axum's limit), rather than the connection.
fn is_too_large(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// Xero's answer, passed on as it streams, the call's budget held until its last byte and its
/// bytes counted by the meter as they pass.
pub(super) fn stream_back(
    answer: reqwest::Response,
    permit: crate::limiter::Permit,
    mut tally: Tally,
) -> Response {
    let status = answer.status();
    let mut headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if passed_on(name) || name == header::CONTENT_LENGTH {
            headers.append(name.clone(), value.clone());
        }
    }
    let body = answer.bytes_stream().map(move |chunk| {
        let _held = &permit;
        if let Ok(bytes) = &chunk {
            tally.pass(bytes);
        }
        chunk
    });
    let mut response = Body::from_stream(body).into_response();
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// `GET /connections`: every organisation some login reaches, once each, in Xero's shape, so
/// an SDK's `get_tenants` lists them all (not just one login's).
pub(super) async fn connections(gw: &Gateway) -> Response {
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
