//! The fake's HTTP surface: Xero's identity endpoints ([`identity`]: the sign-in page, the token
//! and revocation endpoints, the key set), its API endpoints ([`api`]: connections, and accounting, payroll, assets, projects and files calls under Xero's limits), and (with the
//! `test-support` feature only) `/_fake/…` controls for tests and scripts ([`control`]: clock,
//! faults, sign-in user, revocation, counters).

mod api;
#[cfg(feature = "test-support")]
mod control;
mod identity;

use super::world::World;
use axum::Router;
use axum::routing::{any, delete, get, post};
use std::sync::{Arc, Mutex};

pub type Shared = Arc<Mutex<World>>;

pub fn router(world: Shared) -> Router {
    let xero = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(identity::discovery),
        )
        .route(
            "/.well-known/openid-configuration/jwks",
            get(identity::jwks),
        )
        .route(
            "/identity/connect/authorize",
            get(identity::authorize).post(identity::authorize_decision),
        )
        .route("/connectionLimit", get(identity::connection_limit_page))
        .route("/connect/token", post(identity::token))
        .route("/connect/revocation", post(identity::revocation))
        .route("/connections", get(api::connections))
        .route("/Connections", get(api::connections))
        .route("/connections/{id}", delete(api::delete_connection))
        .route("/Connections/{id}", delete(api::delete_connection))
        .route("/api.xro/2.0/{*resource}", any(api::call))
        .route("/payroll.xro/{*resource}", any(api::call))
        .route("/assets.xro/{*resource}", any(api::call))
        .route("/projects.xro/{*resource}", any(api::call))
        .route("/files.xro/{*resource}", any(api::call));
    #[cfg(feature = "test-support")]
    let xero = xero.merge(control::routes());
    xero.with_state(world)
}

/// Notes a secret the fake issued or received in the ledger the suite's secret scan reads.
#[cfg(feature = "test-support")]
use super::ledger::note;
#[cfg(not(feature = "test-support"))]
pub(super) fn note(_secret: &str) {}

pub(super) fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

pub(super) fn lock(world: &Shared) -> std::sync::MutexGuard<'_, World> {
    world.lock().expect("fake world lock")
}
