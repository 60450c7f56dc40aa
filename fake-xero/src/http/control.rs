//! The `/_fake/…` routes: scripts steer a stand-alone fake through them as tests steer the
//! handle. Only with `test-support`: the demo in the product has no such door.

use super::{Shared, lock};
use crate::world::Fault;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/_fake/clock", post(clock))
        .route("/_fake/approve", post(approve))
        .route("/_fake/fault", post(fault))
        .route("/_fake/revoke", post(revoke))
        .route("/_fake/access-lifetime", post(access_lifetime))
        .route("/_fake/stats", get(stats))
}

#[derive(serde::Deserialize)]
struct ClockQuery {
    advance_secs: i64,
}

async fn clock(State(world): State<Shared>, Query(q): Query<ClockQuery>) -> Response {
    lock(&world).advance(chrono::Duration::seconds(q.advance_secs));
    StatusCode::NO_CONTENT.into_response()
}

#[derive(serde::Deserialize)]
struct ApproveQuery {
    user: Option<String>,
}

async fn approve(State(world): State<Shared>, Query(q): Query<ApproveQuery>) -> Response {
    let mut w = lock(&world);
    if let Some(user) = &q.user
        && w.user(user).is_none()
    {
        return (StatusCode::BAD_REQUEST, "unknown user").into_response();
    }
    w.approve_as = q.user;
    StatusCode::NO_CONTENT.into_response()
}

#[derive(serde::Deserialize)]
struct FaultQuery {
    kind: String,
    times: Option<usize>,
    ms: Option<u64>,
}

async fn fault(State(world): State<Shared>, Query(q): Query<FaultQuery>) -> Response {
    match Fault::parse(&q.kind, q.ms) {
        Some(fault) => {
            lock(&world).push_fault(fault, q.times.unwrap_or(1));
            StatusCode::NO_CONTENT.into_response()
        }
        None => (StatusCode::BAD_REQUEST, "unknown fault kind").into_response(),
    }
}

#[derive(serde::Deserialize)]
struct UserQuery {
    user: String,
}

async fn revoke(State(world): State<Shared>, Query(q): Query<UserQuery>) -> Response {
    lock(&world).revoke_user(&q.user);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(serde::Deserialize)]
struct LifetimeQuery {
    secs: i64,
}

async fn access_lifetime(State(world): State<Shared>, Query(q): Query<LifetimeQuery>) -> Response {
    lock(&world).options.access_lifetime = chrono::Duration::seconds(q.secs.max(1));
    StatusCode::NO_CONTENT.into_response()
}

async fn stats(State(world): State<Shared>) -> Response {
    let w = lock(&world);
    let per_user: serde_json::Map<String, serde_json::Value> = w
        .users()
        .iter()
        .map(|u| (u.email.clone(), w.refresh_calls(&u.id).into()))
        .collect();
    axum::Json(serde_json::json!({ "refresh_calls": per_user, "total_refresh_calls": w.total_refresh_calls() })).into_response()
}
