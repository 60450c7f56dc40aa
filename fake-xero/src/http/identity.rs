//! Xero's identity endpoints as the fake plays them: discovery, the key set, the sign-in page (or
//! an automatic approval), the token endpoint with its latency and faults, and revocation.

use super::{Shared, lock, note, parse_form};
use crate::signing;
use crate::world::{Fault, Recorded, TokenOutcome, World};
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::HashMap;

pub(super) async fn discovery(State(world): State<Shared>) -> impl IntoResponse {
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

pub(super) async fn jwks(State(world): State<Shared>) -> impl IntoResponse {
    lock(&world).jwks_fetches += 1;
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
    note(code);
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

/// Where Xero sends the browser when the app has reached its connection cap; the app's redirect
/// URI is never called.
fn connection_limit_redirect(w: &mut World) -> Response {
    let to = format!("{}/connectionLimit", w.issuer);
    w.last_redirect = Some(to.clone());
    Redirect::to(&to).into_response()
}

/// The page at `/connectionLimit`, in Xero's words as far as they are reported.
pub(super) async fn connection_limit_page() -> Response {
    Html(
        "<!doctype html><title>Connection limit reached</title><h1>This app has reached its connection limit</h1>\
         <p>Maximum number of organisations already connected to this app. Ask the app's developer to \
         disconnect an organisation or move the app to a higher tier.</p>",
    )
    .into_response()
}

pub(super) async fn authorize(
    State(world): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut w = lock(&world);
    if let Err(why) = w.check_authorize(&params) {
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, &why);
    }
    if let Some(user) = w.approve_as.clone() {
        if w.passes_connection_limit(&user, None) {
            return connection_limit_redirect(&mut w);
        }
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

pub(super) async fn authorize_decision(State(world): State<Shared>, body: Bytes) -> Response {
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
    if w.passes_connection_limit(&user, Some(&tenants)) {
        return connection_limit_redirect(&mut w);
    }
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
pub(super) async fn token(
    State(world): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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
        note(form.get(key).map_or("", String::as_str));
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let decided = lock(world).token(&form, authorization);
    // Signed with the world unlocked: other requests go on meanwhile.
    let outcome = decided.signed();
    if let TokenOutcome::Issued(json) = &outcome {
        for key in ["access_token", "refresh_token", "id_token"] {
            note(json[key].as_str().unwrap_or(""));
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

pub(super) async fn revocation(State(world): State<Shared>, body: Bytes) -> Response {
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
