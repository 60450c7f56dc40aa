//! Xero's API as the fake plays it: `/connections` (list and delete) and the Organisation call,
//! with Xero's problem bodies, its per-tenant limits, and injected faults.

use super::{Shared, lock};
use crate::signing;
use crate::world::{ApiFault, ApiVerdict, World, xero_date};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

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
        /// A user's token; a Custom Connection's has none, only its client id.
        xero_userid: Option<String>,
        client_id: String,
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
    Ok(claims
        .xero_userid
        .unwrap_or_else(|| crate::CustomConnection::principal(&claims.client_id)))
}

/// An API call's first steps: counted (with the injected fault, if one is due), then its bearer
/// token checked. The Xero user it was issued to, or the answer to send instead.
#[allow(clippy::result_large_err)] // returned at once to axum, never carried around
fn admit(world: &mut World, path: &str, headers: &HeaderMap) -> Result<String, Response> {
    if let Some(fault) = api_fault(world, path) {
        return Err(fault);
    }
    authenticate(world, headers).map_err(unauthorized)
}

pub(super) async fn connections(
    State(world): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut w = lock(&world);
    let user = match admit(&mut w, "/connections", &headers) {
        Ok(user) => user,
        Err(refused) => return refused,
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

pub(super) async fn delete_connection(
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

/// Accounting collections the fake knows; a GET of one answers Xero's envelope with an empty list
/// (Contacts holds what was written).
const ACCOUNTING: &[&str] = &[
    "Accounts",
    "BankTransactions",
    "BankTransfers",
    "BrandingThemes",
    "ContactGroups",
    "Contacts",
    "CreditNotes",
    "Currencies",
    "Employees",
    "Invoices",
    "Items",
    "Journals",
    "ManualJournals",
    "Organisation",
    "Overpayments",
    "Payments",
    "Prepayments",
    "PurchaseOrders",
    "Quotes",
    "Receipts",
    "RepeatingInvoices",
    "TaxRates",
    "TrackingCategories",
    "Users",
];

/// Every API call (accounting, payroll, assets, projects, files): its bearer token and tenant
/// checked, counted against the tenant's limits while it is in progress, then answered.
pub(super) async fn call(
    State(world): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let tenant = headers
        .get("xero-tenant-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_lowercase();
    let latency = {
        let mut w = lock(&world);
        w.record(crate::Recorded {
            method: method.to_string(),
            path: path.clone(),
            form: Vec::new(),
            authorization: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
        let user = match admit(&mut w, &path, &headers) {
            Ok(user) => user,
            Err(refused) => return refused,
        };
        let connected = w
            .connections_of(&user)
            .iter()
            .any(|c| c.tenant_id == tenant);
        if w.tenant(&tenant).is_none() || !connected {
            return api_problem(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "AuthenticationUnsuccessful",
            );
        }
        if let ApiVerdict::Limited {
            problem,
            retry_after,
        } = w.admit(&tenant)
        {
            let mut response = (StatusCode::TOO_MANY_REQUESTS, "").into_response();
            let h = response.headers_mut();
            h.insert("x-rate-limit-problem", HeaderValue::from_static(problem));
            if let Some(secs) = retry_after {
                h.insert("retry-after", HeaderValue::from(secs));
            }
            remaining_headers(&w, &tenant, h);
            return response;
        }
        w.options.api_latency
    };
    // Xero goes on with a call whose client went away, and counts it in progress until it ends:
    // the rest runs on a task of its own, which a dropped connection does not cancel.
    let finish = tokio::spawn(async move {
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let mut w = lock(&world);
        w.release(&tenant);
        let mut response = answer(&mut w, &method, &uri, &tenant, &body);
        remaining_headers(&w, &tenant, response.headers_mut());
        (response, w.options.gzip && accepts_gzip(&headers))
    });
    let Ok((mut response, gzip)) = finish.await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the fake's call panicked",
        )
            .into_response();
    };
    if gzip {
        response = compressed(response).await;
    }
    response
}

/// Whether `Accept-Encoding` takes gzip (not at `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| p.replace(' ', "") == "q=0");
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// The answer with its body gzip-compressed.
async fn compressed(response: Response) -> Response {
    use std::io::Write;
    let (mut parts, body) = response.into_parts();
    let plain = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).expect("writing to memory");
    let packed = gz.finish().expect("writing to memory");
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    Response::from_parts(parts, axum::body::Body::from(packed))
}

fn remaining_headers(w: &World, tenant: &str, h: &mut HeaderMap) {
    let left = w.remaining(tenant);
    h.insert("x-minlimit-remaining", HeaderValue::from(left.minute));
    h.insert("x-daylimit-remaining", HeaderValue::from(left.day));
    h.insert(
        "x-appminlimit-remaining",
        HeaderValue::from(left.app_minute),
    );
}

/// The answer to an admitted call.
fn answer(w: &mut World, method: &Method, uri: &Uri, tenant: &str, body: &[u8]) -> Response {
    let path = uri.path();
    let Some(resource) = path.strip_prefix("/api.xro/2.0/") else {
        // Payroll, assets, projects and files: their paged envelope, empty.
        return if method == Method::GET {
            axum::Json(serde_json::json!({
                "pagination": {"page": 1, "pageSize": 100, "pageCount": 0, "itemCount": 0},
                "items": [],
            }))
            .into_response()
        } else {
            api_problem(StatusCode::NOT_FOUND, "Not Found", "Resource not found")
        };
    };
    let resource = ACCOUNTING
        .iter()
        .find(|r| r.eq_ignore_ascii_case(resource.trim_end_matches('/')));
    let envelope_of = |w: &World, name: &str, items: Vec<serde_json::Value>| {
        let mut v = serde_json::json!({
            "Id": uuid::Uuid::new_v4().to_string(), "Status": "OK", "ProviderName": "Tenantry",
            "DateTimeUTC": format!("/Date({})/", w.now().timestamp_millis()),
        });
        v[name] = serde_json::Value::Array(items);
        v
    };
    let envelope = |w: &World, name: &str, items: Vec<serde_json::Value>| {
        axum::Json(envelope_of(w, name, items)).into_response()
    };
    match (method.as_str(), resource.copied()) {
        ("GET", Some("Organisation")) => {
            let org = w.tenant(tenant).cloned().expect("checked by the caller");
            let item = serde_json::json!({
                "OrganisationID": org.id, "Name": org.name, "LegalName": format!("{} Limited", org.name),
                "CountryCode": "NZ", "OrganisationType": if org.tenant_type == "PRACTICE" { "ACCOUNTING_PRACTICE" } else { "COMPANY" },
                "BaseCurrency": "NZD", "IsDemoCompany": org.name.starts_with("Demo Company"),
            });
            envelope(w, "Organisations", vec![item])
        }
        ("GET", Some("Contacts")) => {
            // Borrowed, not copied: this runs under the world's one lock, and a page is a
            // fifth of 500 records.
            let list = w.contacts.get(tenant).map_or(&[][..], Vec::as_slice);
            match Paging::asked(uri.query()) {
                // Xero's paged answer: the page's records and `pagination` beside them.
                Some(paging) => {
                    let mut paged = envelope_of(w, "Contacts", paging.page_of(list));
                    paged["pagination"] = paging.describe(list.len());
                    axum::Json(paged).into_response()
                }
                None => envelope(w, "Contacts", list.to_vec()),
            }
        }
        ("PUT" | "POST", Some("Contacts")) => {
            let Ok(sent) = serde_json::from_slice::<serde_json::Value>(body) else {
                return api_problem(
                    StatusCode::BAD_REQUEST,
                    "ValidationException",
                    "The request body is not JSON",
                );
            };
            let wanted = match sent.get("Contacts") {
                Some(serde_json::Value::Array(list)) => list.clone(),
                _ => vec![sent],
            };
            let mut made = Vec::new();
            for mut contact in wanted {
                if contact
                    .get("Name")
                    .and_then(|n| n.as_str())
                    .is_none_or(str::is_empty)
                {
                    return api_problem(
                        StatusCode::BAD_REQUEST,
                        "ValidationException",
                        "A Contact must have a Name",
                    );
                }
                contact["ContactID"] = uuid::Uuid::new_v4().to_string().into();
                contact["ContactStatus"] = "ACTIVE".into();
                made.push(contact);
            }
            w.contacts
                .entry(tenant.to_owned())
                .or_default()
                .extend(made.clone());
            envelope(w, "Contacts", made)
        }
        ("GET", Some(name)) => envelope(w, name, Vec::new()),
        _ => api_problem(StatusCode::NOT_FOUND, "Not Found", "Resource not found"),
    }
}

/// Xero's paging as a list call asks for it: `page` (1-based) and `pageSize` (default 100, at most
/// 1,000), as Xero's accounting OpenAPI documents them for Contacts and Invoices; a paged answer
/// carries `pagination` (`page`, `pageSize`, `pageCount`, `itemCount`).
struct Paging {
    page: usize,
    size: usize,
}

impl Paging {
    fn asked(query: Option<&str>) -> Option<Self> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query?.as_bytes())
            .map(|(k, v)| (k.to_lowercase(), v.into_owned()))
            .collect();
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        Some(Self {
            page: get("page")?.max(1),
            size: get("pagesize").unwrap_or(100).clamp(1, 1000),
        })
    }

    fn page_of(&self, list: &[serde_json::Value]) -> Vec<serde_json::Value> {
        list.iter()
            .skip((self.page - 1) * self.size)
            .take(self.size)
            .cloned()
            .collect()
    }

    /// The `pagination` element of a page of `items` records in all.
    fn describe(&self, items: usize) -> serde_json::Value {
        serde_json::json!({
            "page": self.page, "pageSize": self.size,
            "pageCount": items.div_ceil(self.size), "itemCount": items,
        })
    }
}
