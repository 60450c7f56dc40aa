//! HTTP to Xero, and what its failures mean. Shared by the token endpoint (through `oauth2`) and
//! the API: a transport failure, a 429 and a 5xx mean the same everywhere (try again later, or
//! after what Xero said). No classification quotes a body: token endpoint answers carry tokens.

use super::XeroError;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::time::Duration;

/// A transport failure, named by what happened and which host, never by the URL (a query could
/// carry something private) or the body.
pub(super) fn transport(e: reqwest::Error) -> XeroError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "network error"
    };
    let host = e
        .url()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    XeroError::Transient(format!("{what} talking to {host}"))
}

/// Xero's `Retry-After` in seconds, clamped to a day; a minute if absent or unreadable.
fn retry_after(headers: &HeaderMap) -> Duration {
    let secs = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(60);
    Duration::from_secs(secs.clamp(1, 24 * 3600))
}

/// 429 and 5xx mean the same for every endpoint: wait (as told), then try again.
pub(super) fn throttled_or_down(status: StatusCode, headers: &HeaderMap) -> Option<XeroError> {
    if status == StatusCode::TOO_MANY_REQUESTS {
        let problem = headers
            .get("x-rate-limit-problem")
            .and_then(|v| v.to_str().ok())
            .map(|p| p.chars().take(40).collect());
        return Some(XeroError::RateLimited {
            retry_after: retry_after(headers),
            problem,
        });
    }
    status
        .is_server_error()
        .then(|| XeroError::Transient(format!("Xero answered HTTP {}", status.as_u16())))
}

/// The token and revocation endpoints' HTTP for `oauth2`: the project's reqwest client (no
/// redirects followed, timeouts set; a clone shares its connection pool).
pub(super) struct OAuthHttp(pub(super) reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for OAuthHttp {
    type Error = XeroError;
    type Future = std::pin::Pin<
        Box<dyn Future<Output = Result<oauth2::HttpResponse, XeroError>> + Send + 'c>,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(oauth_exchange(&self.0, request))
    }
}

/// Sends `oauth2`'s request and answers with the body in memory. Failures `oauth2` would misread
/// are classified here first: transport errors, 429 with `Retry-After`, 5xx, and an error status
/// whose body is not an OAuth error (a proxy's HTML page).
async fn oauth_exchange(
    http: &reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, XeroError> {
    let request = reqwest::Request::try_from(request)
        .map_err(|_| XeroError::Transient("the token request could not be built".into()))?;
    let response = http.execute(request).await.map_err(transport)?;
    let (status, headers) = (response.status(), response.headers().clone());
    if let Some(e) = throttled_or_down(status, &headers) {
        return Err(e);
    }
    let body = response.bytes().await.map_err(transport)?;
    if status != StatusCode::OK && !is_oauth_error(&body) {
        return Err(XeroError::Transient(format!(
            "Xero answered HTTP {} with an unexpected body",
            status.as_u16()
        )));
    }
    let mut answer = oauth2::HttpResponse::new(body.to_vec());
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    Ok(answer)
}

/// Whether an error answer is RFC 6749's JSON (`{"error": …}`), which `oauth2` reads.
fn is_oauth_error(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct OAuthError {
        #[allow(dead_code)]
        error: String,
    }
    serde_json::from_slice::<OAuthError>(body).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn throttling_and_outages_are_transient_and_say_when_to_come_back() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("42"));
        headers.insert("x-rate-limit-problem", HeaderValue::from_static("minute"));
        assert_eq!(
            throttled_or_down(StatusCode::TOO_MANY_REQUESTS, &headers),
            Some(XeroError::RateLimited {
                retry_after: Duration::from_secs(42),
                problem: Some("minute".into())
            }),
            "a 429 waits as long as Xero says, and names which limit"
        );
        assert_eq!(
            throttled_or_down(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new()),
            Some(XeroError::RateLimited {
                retry_after: Duration::from_secs(60),
                problem: None
            }),
            "without Retry-After, a minute (Xero's shortest window)"
        );
        assert!(
            matches!(
                throttled_or_down(StatusCode::BAD_GATEWAY, &headers),
                Some(XeroError::Transient(m)) if m.contains("502")
            ),
            "a 5xx is an outage: try again later"
        );
        assert_eq!(throttled_or_down(StatusCode::BAD_REQUEST, &headers), None);
    }

    #[test]
    fn only_rfc_6749_error_bodies_are_read_as_oauth_errors() {
        assert!(is_oauth_error(br#"{"error":"invalid_grant"}"#));
        assert!(!is_oauth_error(b"<html>Gateway says hello</html>"));
        assert!(!is_oauth_error(br#"{"message":"not oauth"}"#));
    }
}
