//! The fake's HTTP surface: Xero's identity endpoints, its API endpoints, and `/_fake/…` controls
//! for tests and scripts (clock, faults, sign-in user, revocation, counters).

use super::signing;
use super::world::{ApiFault, ApiVerdict, Fault, Recorded, TokenOutcome, World, xero_date};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub type Shared = Arc<Mutex<World>>;

pub fn router(world: Shared) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/openid-configuration/jwks", get(jwks))
        .route(
            "/identity/connect/authorize",
            get(authorize).post(authorize_decision),
        )
        .route("/connect/token", post(token))
        .route("/connect/revocation", post(revocation))
        .route("/connections", get(connections))
        .route("/Connections", get(connections))
        .route("/connections/{id}", delete(delete_connection))
        .route("/Connections/{id}", delete(delete_connection))
        .route("/api.xro/2.0/Organisation", get(organisation))
        .route("/_fake/clock", post(control_clock))
        .route("/_fake/approve", post(control_approve))
        .route("/_fake/fault", post(control_fault))
        .route("/_fake/revoke", post(control_revoke))
        .route("/_fake/access-lifetime", post(control_access_lifetime))
        .route("/_fake/stats", get(control_stats))
        .with_state(world)
}

fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn lock(world: &Shared) -> std::sync::MutexGuard<'_, World> {
    world.lock().expect("fake world lock")
}

async fn discovery(State(world): State<Shared>) -> impl IntoResponse {
    let issuer = lock(&world).issuer.clone();
    axum::Json(serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/identity/connect/authorize"),
        "token_endpoint": format!("{issuer}/connect/token"),
        "revocation_endpoint": format!("{issuer}/connect/revocation"),
        "jwks_uri": format!("{issuer}/.well-known/openid-configuration/jwks"),
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
    }))
}

async fn jwks() -> impl IntoResponse {
    axum::Json(signing::jwks())
}

fn error_page(status: StatusCode, message: &str) -> Response {
    // Xero shows a 500 page for a bad client id, redirect URI or scope (FACTS §2.2).
    (
        status,
        Html(format!(
            "<!doctype html><title>Error</title><h1>Sorry, something went wrong</h1><p>{}</p>",
            html_escape(message)
        )),
    )
        .into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The redirect after the user approved: a code, plus the `scope` and `session_state` Xero adds.
fn approved_redirect(w: &mut World, params: &HashMap<String, String>, code: &str) -> Response {
    super::ledger::note(code);
    let scope = params.get("scope").cloned().unwrap_or_default();
    callback_redirect(
        w,
        params,
        &[
            ("code", code),
            ("scope", &scope),
            ("session_state", "fake-session"),
        ],
    )
}

fn callback_redirect(
    w: &mut World,
    params: &HashMap<String, String>,
    pairs: &[(&str, &str)],
) -> Response {
    let mut url = url::Url::parse(&params["redirect_uri"]).expect("checked before");
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
        if let Some(state) = params.get("state") {
            q.append_pair("state", state);
        }
        if w.options.plain_oidc {
            q.append_pair("iss", &w.issuer);
        }
    }
    w.last_redirect = Some(url.to_string());
    Redirect::to(url.as_str()).into_response()
}

async fn authorize(
    State(world): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut w = lock(&world);
    if let Err(why) = w.check_authorize(&params) {
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, &why);
    }
    if let Some(user) = w.approve_as.clone() {
        return match w.approve(&params, &user, None) {
            Ok(code) => approved_redirect(&mut w, &params, &code),
            Err(why) => error_page(StatusCode::INTERNAL_SERVER_ERROR, &why),
        };
    }
    // The login page for humans: pick a test user and the organisations to connect.
    let hidden: String = params
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=hidden name=\"{}\" value=\"{}\">",
                html_escape(k),
                html_escape(v)
            )
        })
        .collect();
    let mut users = String::new();
    for user in w.users().iter().take(50) {
        let orgs: String = user
            .tenants
            .iter()
            .filter_map(|t| w.tenant(t))
            .map(|t| {
                format!(
                    "<label><input type=checkbox name=tenant value=\"{}\" checked> {}</label><br>",
                    t.id,
                    html_escape(&t.name)
                )
            })
            .collect();
        users.push_str(&format!(
            "<form method=post class=user>{hidden}<input type=hidden name=user value=\"{id}\">\
             <h2>{name}</h2><p>{email}</p>{orgs}\
             <button name=action value=allow id=\"allow-{email}\">Allow access as {given}</button> \
             <button name=action value=deny>Cancel</button></form>",
            id = user.id,
            name = html_escape(&format!("{} {}", user.given_name, user.family_name)),
            email = html_escape(&user.email),
            given = html_escape(&user.given_name),
        ));
    }
    Html(format!(
        "<!doctype html><html><head><meta charset=utf-8><title>Fake Xero: sign in</title>\
         <style>body{{font:15px system-ui,sans-serif;max-width:40em;margin:2em auto;color-scheme:light dark}}\
         .user{{border:1px solid #8884;border-radius:8px;padding:0 1em 1em;margin:1em 0}}</style></head>\
         <body><h1>Fake Xero</h1><p>This is Tenantry's built-in demo Xero. Choose who signs in and which \
         organisations to connect.</p>{users}</body></html>"
    ))
    .into_response()
}

async fn authorize_decision(State(world): State<Shared>, body: Bytes) -> Response {
    let pairs = parse_form(&body);
    let params: HashMap<String, String> = pairs
        .iter()
        .filter(|(k, _)| k != "tenant")
        .cloned()
        .collect();
    let tenants: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "tenant")
        .map(|(_, v)| v.clone())
        .collect();
    let mut w = lock(&world);
    if let Err(why) = w.check_authorize(&params) {
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, &why);
    }
    if params.get("action").map(String::as_str) == Some("deny") {
        return callback_redirect(&mut w, &params, &[("error", "access_denied")]);
    }
    let user = params.get("user").cloned().unwrap_or_default();
    match w.approve(&params, &user, Some(tenants)) {
        Ok(code) => approved_redirect(&mut w, &params, &code),
        Err(why) => error_page(StatusCode::INTERNAL_SERVER_ERROR, &why),
    }
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        axum::Json(serde_json::json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// Counts a token request as in flight until it is answered (or its client goes away).
struct InFlight(Shared);

impl InFlight {
    fn enter(world: &Shared) -> Self {
        let mut w = lock(world);
        w.token_in_flight += 1;
        w.token_in_flight_max = w.token_in_flight_max.max(w.token_in_flight);
        Self(world.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.0).token_in_flight -= 1;
    }
}

/// The token endpoint. `token_latency` is its response time: the answer leaves that long after
/// the request arrived, the fake's own work (deciding, signing two RS256 tokens) included, as a
/// real server's work is part of the latency a client sees. Working first and then sleeping the
/// rest keeps the fake's CPU, which shares the benchmark's cores, from adding to every answer.
async fn token(State(world): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let arrived = tokio::time::Instant::now();
    let _in_flight = InFlight::enter(&world);
    let latency = lock(&world).options.token_latency;
    let response = token_answer(&world, &headers, &body).await;
    tokio::time::sleep_until(arrived + latency).await;
    response
}

async fn token_answer(world: &Shared, headers: &HeaderMap, body: &Bytes) -> Response {
    let form = parse_form(body);
    let fault = {
        let mut w = lock(world);
        w.record(Recorded {
            method: "POST".into(),
            path: "/connect/token".into(),
            form: form.clone(),
            authorization: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
        w.take_fault()
    };
    if let Some(Fault::Delay(ms)) = fault {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    match fault {
        Some(Fault::ServerError) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
        }
        Some(Fault::Html) => {
            return Html("<html><body>Gateway says hello</body></html>").into_response();
        }
        Some(Fault::MalformedJson) => {
            return (
                [(header::CONTENT_TYPE, "application/json")],
                "{\"access_token\": \"abc",
            )
                .into_response();
        }
        Some(Fault::RateLimited) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "30"), ("x-rate-limit-problem", "minute")],
                "",
            )
                .into_response();
        }
        _ => {}
    }
    let form: HashMap<String, String> = form.into_iter().collect();
    for key in ["code", "code_verifier", "refresh_token"] {
        super::ledger::note(form.get(key).map_or("", String::as_str));
    }
    let decided = lock(world).token(&form);
    // Signed with the world unlocked: other requests go on meanwhile.
    let outcome = decided.signed();
    if let TokenOutcome::Issued(json) = &outcome {
        for key in ["access_token", "refresh_token", "id_token"] {
            super::ledger::note(json[key].as_str().unwrap_or(""));
        }
    }
    if let (Some(Fault::HoldAfterRotate(ms)), TokenOutcome::Issued(_)) = (fault, &outcome) {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    match outcome {
        TokenOutcome::Issued(json) if fault == Some(Fault::DropAfterRotate) => {
            // Xero rotated the token; the answer never arrives (the connection dies mid-body).
            drop(json);
            let failing = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("connection lost"))
            });
            Response::builder()
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, "512")
                .body(Body::from_stream(failing))
                .expect("valid response")
        }
        TokenOutcome::Issued(json) => {
            let mut response = axum::Json(json).into_response();
            response.headers_mut().insert(
                "xero-origin-id",
                HeaderValue::from_static("IdentityServer.Web"),
            );
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        TokenOutcome::Error(status, error, description) => oauth_error(status, error, description),
    }
}

async fn revocation(State(world): State<Shared>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let mut w = lock(&world);
    w.record(Recorded {
        method: "POST".into(),
        path: "/connect/revocation".into(),
        form: form.clone(),
        authorization: None,
    });
    if let Some((_, token)) = form.iter().find(|(k, _)| k == "token") {
        w.revoke(token);
    }
    StatusCode::OK.into_response()
}

fn api_problem(status: StatusCode, title: &str, detail: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({
            "Type": null, "Title": title, "Status": status.as_u16(), "Detail": detail,
            "Instance": uuid::Uuid::new_v4().to_string(), "Extensions": {},
        })),
    )
        .into_response()
}

/// Counts the call and answers with the injected fault, if one is due.
fn api_fault(world: &mut World, path: &str) -> Option<Response> {
    Some(match world.api_call(path)? {
        ApiFault::Unauthorized => unauthorized("TokenExpired: token expired at 01/01/2026".into()),
        ApiFault::Forbidden => api_problem(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "The app is not allowed to use this endpoint",
        ),
        ApiFault::RateLimited(secs) => {
            let mut response = (StatusCode::TOO_MANY_REQUESTS, "").into_response();
            let h = response.headers_mut();
            h.insert("x-rate-limit-problem", HeaderValue::from_static("minute"));
            h.insert("retry-after", HeaderValue::from(secs));
            response
        }
        ApiFault::ServerError => api_problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "An error occurred",
            "Please try again later",
        ),
    })
}

/// A 401 with Xero's problem body.
fn unauthorized(detail: String) -> Response {
    api_problem(StatusCode::UNAUTHORIZED, "Unauthorized", &detail)
}

/// Checks the bearer token; returns the Xero user id it was issued to, or the 401 detail.
fn authenticate(world: &World, headers: &HeaderMap) -> Result<String, String> {
    let unauthorized = |detail: &str| detail.to_owned();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| unauthorized("AuthenticationUnsuccessful"))?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[format!("{}/resources", world.issuer)]);
    validation.set_issuer(std::slice::from_ref(&world.issuer));
    validation.validate_exp = false;
    #[derive(serde::Deserialize)]
    struct Claims {
        xero_userid: String,
        exp: i64,
    }
    let claims = jsonwebtoken::decode::<Claims>(token, &signing::decoding_key(), &validation)
        .map_err(|_| unauthorized("AuthenticationUnsuccessful"))?
        .claims;
    if world.now().timestamp() >= claims.exp {
        let at = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_default();
        return Err(unauthorized(&format!(
            "TokenExpired: token expired at {}",
            at.format("%m/%d/%Y %H:%M:%S")
        )));
    }
    Ok(claims.xero_userid)
}

async fn connections(
    State(world): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut w = lock(&world);
    if let Some(fault) = api_fault(&mut w, "/connections") {
        return fault;
    }
    let user = match authenticate(&w, &headers) {
        Ok(user) => user,
        Err(detail) => return unauthorized(detail),
    };
    let list: Vec<serde_json::Value> = w
        .connections_of(&user)
        .into_iter()
        .filter(|c| {
            q.get("authEventId")
                .is_none_or(|id| id.eq_ignore_ascii_case(&c.auth_event_id))
        })
        .map(|c| {
            let tenant = w.tenant(&c.tenant_id).cloned();
            let auth_event = (!w.options.plain_oidc).then(|| c.auth_event_id.clone());
            serde_json::json!({
                "id": c.id, "authEventId": auth_event, "tenantId": c.tenant_id,
                "tenantType": tenant.as_ref().map(|t| t.tenant_type.clone()),
                "tenantName": tenant.as_ref().map(|t| t.name.clone()),
                "createdDateUtc": xero_date(c.created), "updatedDateUtc": xero_date(c.updated),
            })
        })
        .collect();
    axum::Json(list).into_response()
}

async fn delete_connection(
    State(world): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let mut w = lock(&world);
    let user = match authenticate(&w, &headers) {
        Ok(user) => user,
        Err(detail) => return unauthorized(detail),
    };
    if w.delete_connection(&user, &id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        api_problem(StatusCode::NOT_FOUND, "Not Found", "Resource not found")
    }
}

async fn organisation(State(world): State<Shared>, headers: HeaderMap) -> Response {
    let tenant = headers
        .get("xero-tenant-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_lowercase();
    let (org, latency) = {
        let mut w = lock(&world);
        if let Some(fault) = api_fault(&mut w, "/api.xro/2.0/Organisation") {
            return fault;
        }
        let user = match authenticate(&w, &headers) {
            Ok(user) => user,
            Err(detail) => return unauthorized(detail),
        };
        let connected = w
            .connections_of(&user)
            .iter()
            .any(|c| c.tenant_id == tenant);
        let Some(org) = w.tenant(&tenant).cloned().filter(|_| connected) else {
            return api_problem(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "AuthenticationUnsuccessful",
            );
        };
        if let ApiVerdict::Limited {
            problem,
            retry_after,
        } = w.admit(&tenant)
        {
            let mut response = (StatusCode::TOO_MANY_REQUESTS, "").into_response();
            response
                .headers_mut()
                .insert("x-rate-limit-problem", HeaderValue::from_static(problem));
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", HeaderValue::from(secs));
            }
            return response;
        }
        (org, w.options.api_latency)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut w = lock(&world);
    w.release(&tenant);
    let (minute_left, day_left) = w.remaining(&tenant);
    let mut response = axum::Json(serde_json::json!({
        "Id": uuid::Uuid::new_v4().to_string(), "Status": "OK", "ProviderName": "Tenantry",
        "DateTimeUTC": format!("/Date({})/", w.now().timestamp_millis()),
        "Organisations": [{
            "OrganisationID": org.id, "Name": org.name, "LegalName": format!("{} Limited", org.name),
            "CountryCode": "NZ", "OrganisationType": if org.tenant_type == "PRACTICE" { "PRACTICE" } else { "COMPANY" },
            "BaseCurrency": "NZD", "IsDemoCompany": org.name.starts_with("Demo Company"),
        }],
    }))
    .into_response();
    let h = response.headers_mut();
    h.insert("x-minlimit-remaining", HeaderValue::from(minute_left));
    h.insert("x-daylimit-remaining", HeaderValue::from(day_left));
    h.insert("x-appminlimit-remaining", HeaderValue::from(9999u32));
    response
}

#[derive(serde::Deserialize)]
struct ClockQuery {
    advance_secs: i64,
}

async fn control_clock(State(world): State<Shared>, Query(q): Query<ClockQuery>) -> Response {
    lock(&world).advance(chrono::Duration::seconds(q.advance_secs));
    StatusCode::NO_CONTENT.into_response()
}

#[derive(serde::Deserialize)]
struct ApproveQuery {
    user: Option<String>,
}

async fn control_approve(State(world): State<Shared>, Query(q): Query<ApproveQuery>) -> Response {
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

async fn control_fault(State(world): State<Shared>, Query(q): Query<FaultQuery>) -> Response {
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

async fn control_revoke(State(world): State<Shared>, Query(q): Query<UserQuery>) -> Response {
    lock(&world).revoke_user(&q.user);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(serde::Deserialize)]
struct LifetimeQuery {
    secs: i64,
}

async fn control_access_lifetime(
    State(world): State<Shared>,
    Query(q): Query<LifetimeQuery>,
) -> Response {
    lock(&world).options.access_lifetime = chrono::Duration::seconds(q.secs.max(1));
    StatusCode::NO_CONTENT.into_response()
}

async fn control_stats(State(world): State<Shared>) -> Response {
    let w = lock(&world);
    let per_user: serde_json::Map<String, serde_json::Value> = w
        .users()
        .iter()
        .map(|u| (u.email.clone(), w.refresh_calls(&u.id).into()))
        .collect();
    axum::Json(serde_json::json!({ "refresh_calls": per_user, "total_refresh_calls": w.total_refresh_calls() })).into_response()
}
