//! The token endpoint through the `oauth2` crate: code exchange (PKCE, no client secret) and
//! refresh; and revocation (see [`revoke`] for why it is not `oauth2`'s). `oauth2` builds the
//! token requests and reads RFC 6749 answers; the
//! HTTP under it is the project's reqwest client ([`super::transport::oauth_exchange`]), which
//! classifies what `oauth2` cannot (429 with `Retry-After`, 5xx, a proxy's HTML page), and this
//! module turns `oauth2`'s answer into a [`TokenAnswer`] or a [`XeroError`] without quoting a
//! byte of the body: a parse error says only what kind of error and at which column.

use super::XeroError;
use crate::config::XeroEndpoints;
use crate::secret::Secret;
use crate::token::{TokenAnswer, TokenResponseError};
use oauth2::basic::{BasicErrorResponse, BasicErrorResponseType, BasicTokenType};
use oauth2::{
    AsyncHttpClient, AuthUrl, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet,
    EndpointSet, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    RevocationErrorResponseType, StandardErrorResponse, StandardRevocableToken,
    StandardTokenResponse, TokenUrl,
};
use std::borrow::Cow;

/// The HTTP types `oauth2` speaks, for an [`AsyncHttpClient`] written elsewhere (the fuzz
/// target's, which answers from memory).
pub use oauth2::http::HeaderValue;
pub use oauth2::{HttpRequest, HttpResponse};

/// The id_token beside the standard fields of a token answer. `oauth2` requires `Serialize` and
/// `Debug` of extra fields; `Debug` is redacted, and the value moves into a [`Secret`] at once.
#[derive(Clone, serde::Deserialize, serde::Serialize)]
pub struct OpenIdFields {
    #[serde(default)]
    id_token: Option<String>,
}

impl std::fmt::Debug for OpenIdFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpenIdFields(<redacted>)")
    }
}

impl oauth2::ExtraTokenFields for OpenIdFields {}

type Answer = StandardTokenResponse<OpenIdFields, BasicTokenType>;
type RevocationError = StandardErrorResponse<RevocationErrorResponseType>;

/// A public client (PKCE, no secret) with the token endpoint set.
pub type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    Answer,
    oauth2::basic::BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    RevocationError,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

pub fn client(endpoints: &XeroEndpoints, client_id: &str) -> OAuthClient {
    oauth2::Client::new(ClientId::new(client_id.to_owned()))
        .set_token_uri(TokenUrl::from_url(endpoints.token_url.clone()))
}

/// The authorize URL's endpoint, for building the sign-in page's address.
pub fn auth_url(endpoints: &XeroEndpoints) -> AuthUrl {
    AuthUrl::from_url(endpoints.authorize_url.clone())
}

/// Exchanges an authorization code, sending the PKCE verifier (consumed: it is single-use).
pub async fn exchange_code<C>(
    client: &OAuthClient,
    http: &C,
    code: &Secret,
    redirect_uri: &str,
    verifier: PkceCodeVerifier,
) -> Result<TokenAnswer, XeroError>
where
    C: for<'c> AsyncHttpClient<'c, Error = XeroError>,
{
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|_| XeroError::Transient("the redirect URI is not a URL".into()))?;
    let answer = client
        .exchange_code(AuthorizationCode::new(code.expose().to_owned()))
        .set_pkce_verifier(verifier)
        .set_redirect_uri(Cow::Owned(redirect))
        .request_async(http)
        .await;
    token_answer(answer)
}

/// Spends a refresh token for a new token set; Xero rotates the refresh token.
pub async fn refresh<C>(
    client: &OAuthClient,
    http: &C,
    refresh_token: &Secret,
) -> Result<TokenAnswer, XeroError>
where
    C: for<'c> AsyncHttpClient<'c, Error = XeroError>,
{
    let token = RefreshToken::new(refresh_token.expose().to_owned());
    let answer = client
        .exchange_refresh_token(&token)
        .request_async(http)
        .await;
    token_answer(answer)
}

/// A Custom Connection's access token (the `client_credentials` grant): the client id and
/// secret go as HTTP Basic credentials, as for any confidential client; there is no refresh token.
pub async fn client_credentials<C>(
    endpoints: &XeroEndpoints,
    client_id: &str,
    secret: &Secret,
    http: &C,
) -> Result<TokenAnswer, XeroError>
where
    C: for<'c> AsyncHttpClient<'c, Error = XeroError>,
{
    let client = client(endpoints, client_id)
        .set_client_secret(ClientSecret::new(secret.expose().to_owned()));
    let answer = client
        .exchange_client_credentials()
        .request_async(http)
        .await;
    token_answer(answer)
}

/// Revokes a refresh token: Xero then removes all of that user's connections to the app.
///
/// Written here rather than through `oauth2`: its `revoke_token` refuses every endpoint that is
/// not https (RFC 7009 §2), loopback included, and the fake Xero the tests and the demo run is
/// plain http on loopback. One code path for both keeps the tested path the shipped one; the
/// configuration allows plain http only for a server on this machine. The request goes through
/// the same HTTP client and its answer through the same classification as the other calls.
pub async fn revoke<C>(
    http: &C,
    endpoints: &XeroEndpoints,
    client_id: &str,
    refresh_token: &Secret,
) -> Result<(), XeroError>
where
    C: for<'c> AsyncHttpClient<'c, Error = XeroError>,
{
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", refresh_token.expose())
        .append_pair("token_type_hint", "refresh_token")
        .append_pair("client_id", client_id)
        .finish();
    let request = oauth2::http::Request::builder()
        .method(oauth2::http::Method::POST)
        .uri(endpoints.revocation_url.as_str())
        .header(
            oauth2::http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(oauth2::http::header::ACCEPT, "application/json")
        .body(body.into_bytes())
        .map_err(|_| XeroError::Transient("the revocation request could not be built".into()))?;
    let answer = http.call(request).await?;
    if answer.status().is_success() {
        return Ok(());
    }
    let refusal: RevocationError = serde_json::from_slice(answer.body()).map_err(|e| {
        XeroError::Transient(TokenResponseError::Malformed(describe(&e)).to_string())
    })?;
    Err(request_error(
        RequestTokenError::ServerResponse(refusal),
        |r: &RevocationError| revocation_code(r.error()),
    ))
}

fn revocation_code(kind: &RevocationErrorResponseType) -> ErrorKind<'_> {
    match kind {
        RevocationErrorResponseType::Basic(basic) => basic_code(basic),
        RevocationErrorResponseType::UnsupportedTokenType => {
            ErrorKind::Other("unsupported_token_type")
        }
    }
}

/// An OAuth error code, by what the caller does next.
enum ErrorKind<'a> {
    InvalidGrant,
    InvalidClient,
    Other(&'a str),
}

fn basic_code(kind: &BasicErrorResponseType) -> ErrorKind<'_> {
    match kind {
        BasicErrorResponseType::InvalidGrant => ErrorKind::InvalidGrant,
        BasicErrorResponseType::InvalidClient => ErrorKind::InvalidClient,
        other => ErrorKind::Other(other.as_ref()),
    }
}

/// What `oauth2`'s failure means. `Parse` carries the body, which is dropped unread.
fn request_error<T: oauth2::ErrorResponseType + std::fmt::Display + Send + Sync + 'static>(
    error: RequestTokenError<XeroError, StandardErrorResponse<T>>,
    kind: impl Fn(&StandardErrorResponse<T>) -> ErrorKind<'_>,
) -> XeroError {
    match error {
        RequestTokenError::Request(e) => e,
        RequestTokenError::ServerResponse(response) => match kind(&response) {
            ErrorKind::InvalidGrant => XeroError::NeedsReconnect,
            ErrorKind::InvalidClient => XeroError::ClientRejected,
            ErrorKind::Other(code) => XeroError::Rejected {
                code: code.chars().take(40).collect(),
                description: response
                    .error_description()
                    .map(|d| d.chars().filter(|c| !c.is_control()).take(200).collect()),
            },
        },
        RequestTokenError::Parse(e, _body) => {
            XeroError::Transient(TokenResponseError::Malformed(describe(e.inner())).to_string())
        }
        // oauth2's own words: an empty body, or a Content-Type other than JSON (a proxy's page).
        RequestTokenError::Other(what) => XeroError::Transient(what.chars().take(120).collect()),
    }
}

/// A serde_json error by kind and column: its own message may quote the value it choked on.
fn describe(e: &serde_json::Error) -> String {
    let kind = match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "missing or mistyped field",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    format!("{kind} at column {}", e.column())
}

/// Checks a successful answer and moves its tokens into secrets.
fn token_answer(
    answer: Result<Answer, RequestTokenError<XeroError, BasicErrorResponse>>,
) -> Result<TokenAnswer, XeroError> {
    let answer = answer.map_err(|e| request_error(e, |r| basic_code(r.error())))?;
    let unusable = |e: TokenResponseError| XeroError::Transient(e.to_string());
    use oauth2::TokenResponse as _;
    if *answer.token_type() != BasicTokenType::Bearer {
        let kind = answer.token_type().as_ref().chars().take(20).collect();
        return Err(unusable(TokenResponseError::NotBearer(kind)));
    }
    if answer.access_token().secret().is_empty() {
        return Err(unusable(TokenResponseError::Malformed(
            "empty access_token".into(),
        )));
    }
    let expires_in = answer
        .expires_in()
        .ok_or_else(|| unusable(TokenResponseError::Malformed("no expires_in".into())))?;
    Ok(TokenAnswer {
        access_token: Secret::new(answer.access_token().secret().as_str()),
        refresh_token: answer
            .refresh_token()
            .map(|t| Secret::new(t.secret().as_str())),
        id_token: answer.extra_fields().id_token.as_deref().map(Secret::new),
        expires_in: i64::try_from(expires_in.as_secs()).unwrap_or(i64::MAX),
        scopes: answer
            .scopes()
            .map(|scopes| scopes.iter().map(|s| s.to_string()).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An HTTP client that answers every request with `status` and `body`, as JSON.
    fn answering(
        status: u16,
        body: &'static str,
    ) -> impl Fn(oauth2::HttpRequest) -> std::future::Ready<Result<oauth2::HttpResponse, XeroError>>
    {
        move |_request| {
            let mut response = oauth2::HttpResponse::new(body.as_bytes().to_vec());
            *response.status_mut() = oauth2::http::StatusCode::from_u16(status).unwrap();
            response.headers_mut().insert(
                oauth2::http::header::CONTENT_TYPE,
                oauth2::http::HeaderValue::from_static("application/json"),
            );
            std::future::ready(Ok(response))
        }
    }

    fn client() -> OAuthClient {
        super::client(&XeroEndpoints::default(), "CID")
    }

    async fn refreshed(status: u16, body: &'static str) -> Result<TokenAnswer, XeroError> {
        refresh(&client(), &answering(status, body), &Secret::new("r0")).await
    }

    #[tokio::test]
    async fn xeros_recorded_answer_becomes_secrets_and_scopes() {
        let answer = refreshed(200, r#"{"id_token":"i","access_token":"a","expires_in":1800,"token_type":"Bearer","refresh_token":"r","scope":"email profile openid offline_access"}"#)
            .await
            .expect("Xero's own answer is accepted");
        assert_eq!(answer.access_token.expose(), "a");
        assert_eq!(
            answer.refresh_token.unwrap().expose(),
            "r",
            "the rotated token"
        );
        assert_eq!(
            answer.id_token.unwrap().expose(),
            "i",
            "the id_token is kept"
        );
        assert_eq!(answer.expires_in, 1800);
        assert_eq!(
            answer.scopes.unwrap(),
            ["email", "profile", "openid", "offline_access"],
            "scope is space-separated"
        );
    }

    #[tokio::test]
    async fn bad_answers_are_transient_and_never_quote_the_body() {
        let table = [
            (200, "<html>oops</html>", "not JSON"),
            (200, "{\"access_token\":\"SECRETVALUE\"", "truncated"),
            (
                200,
                "{\"access_token\":\"SECRETVALUE\",\"expires_in\":\"soon\",\"token_type\":\"Bearer\"}",
                "mistyped",
            ),
            (
                200,
                "{\"access_token\":\"SECRETVALUE\",\"expires_in\":1,\"token_type\":\"mac\"}",
                "Bearer",
            ),
            (
                200,
                "{\"access_token\":\"SECRETVALUE\",\"token_type\":\"Bearer\"}",
                "no expires_in",
            ),
            (200, "", "empty"),
        ];
        for (status, body, want) in table {
            let err = refreshed(status, body)
                .await
                .err()
                .unwrap_or_else(|| panic!("`{body}` must be rejected"));
            let msg = err.to_string();
            assert!(
                matches!(err, XeroError::Transient(_)),
                "`{body}`: an unreadable answer may be a proxy's; retry later"
            );
            assert!(
                msg.contains(want),
                "`{body}` -> `{msg}` should say `{want}` so the user knows what went wrong"
            );
            assert!(
                !msg.contains("SECRETVALUE"),
                "error messages reach logs, so they must not quote tokens"
            );
        }
    }

    #[tokio::test]
    async fn oauth_errors_are_classified_by_the_next_step() {
        assert_eq!(
            refreshed(400, r#"{"error":"invalid_grant"}"#).await.err(),
            Some(XeroError::NeedsReconnect),
            "invalid_grant: a human must sign in again"
        );
        assert_eq!(
            refreshed(400, r#"{"error":"invalid_client"}"#).await.err(),
            Some(XeroError::ClientRejected),
            "invalid_client: the configuration is wrong"
        );
        assert_eq!(
            refreshed(
                400,
                r#"{"error":"unauthorized_client","error_description":"no\nway"}"#
            )
            .await
            .err(),
            Some(XeroError::Rejected {
                code: "unauthorized_client".into(),
                description: Some("noway".into())
            }),
            "any other code is passed on, without control characters"
        );
    }
}
