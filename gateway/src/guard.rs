//! Who may use the gateway, decided from a request's head before anything else happens. Pure,
//! so every refusal is unit-tested:
//! - `Host` must name the gateway's loopback address and port: a page on an attacker's domain
//!   that rebinds its DNS name to 127.0.0.1 still sends its own name (DNS rebinding);
//! - a browser's request (it carries `Origin` or `Sec-Fetch-Site`) is refused, and `OPTIONS`
//!   is refused with no CORS headers, so no preflight ever succeeds: a web page the user opens
//!   cannot use the gateway, whatever it knows;
//! - the gateway key is required on every request, as `Authorization: Bearer KEY`.

use crate::key::Keys;
use axum::http::{HeaderMap, Method, header};

/// Why a request was refused; each is answered with its own status and words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// `Host` is not the gateway's loopback name and port.
    Host,
    /// Sent by a web browser.
    Browser,
    /// `OPTIONS`: no cross-origin use, so no preflight.
    Preflight,
    /// No `Authorization: Bearer …`.
    NoKey,
    /// A bearer token that is not the gateway key.
    WrongKey,
}

impl Refused {
    pub fn status(self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Self::Host => StatusCode::MISDIRECTED_REQUEST,
            Self::Browser => StatusCode::FORBIDDEN,
            Self::Preflight => StatusCode::METHOD_NOT_ALLOWED,
            Self::NoKey | Self::WrongKey => StatusCode::UNAUTHORIZED,
        }
    }

    pub fn detail(self, port: u16) -> String {
        match self {
            Self::Host => format!(
                "this is Tenantry's gateway at 127.0.0.1:{port}; send `Host: 127.0.0.1:{port}` (or localhost:{port})"
            ),
            Self::Browser => "web pages may not use Tenantry's gateway; call it from a program on this computer".into(),
            Self::Preflight => "OPTIONS is not served: the gateway takes no requests from web pages".into(),
            Self::NoKey => "send the gateway key as `Authorization: Bearer KEY`; `tenantry gateway --print-key` prints it".into(),
            Self::WrongKey => "that is not the gateway key; `tenantry gateway --print-key` prints the current one (it changes with --rotate-key)".into(),
        }
    }
}

/// Whether `Host` names the gateway: 127.0.0.1, localhost or [::1], with its port.
pub fn host_allowed(host: Option<&str>, port: u16) -> bool {
    let Some(host) = host else {
        return false;
    };
    let Some((name, given)) = host.rsplit_once(':') else {
        return false;
    };
    given.parse::<u16>().ok() == Some(port)
        && matches!(
            name.to_ascii_lowercase().as_str(),
            "127.0.0.1" | "localhost" | "[::1]"
        )
}

/// Checks a request's head; the bearer token it carried when it passes.
pub fn check(method: &Method, headers: &HeaderMap, port: u16, keys: &Keys) -> Result<(), Refused> {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if !host_allowed(host, port) {
        return Err(Refused::Host);
    }
    if headers.contains_key(header::ORIGIN) || headers.contains_key("sec-fetch-site") {
        return Err(Refused::Browser);
    }
    if method == Method::OPTIONS {
        return Err(Refused::Preflight);
    }
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or(Refused::NoKey)?;
    if keys.accept(presented) {
        Ok(())
    } else {
        Err(Refused::WrongKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use tenantry_core::secret::Secret;

    const PORT: u16 = 53710;

    fn head(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn only_the_loopback_names_with_the_gateway_s_port_are_its_host() {
        for ok in [
            "127.0.0.1:53710",
            "localhost:53710",
            "LOCALHOST:53710",
            "[::1]:53710",
        ] {
            assert!(host_allowed(Some(ok), PORT), "{ok}");
        }
        for bad in [
            "evil.example:53710",
            "127.0.0.1",
            "127.0.0.1:80",
            "127.0.0.1.evil.example:53710",
            "localhost:53710.evil",
            "",
        ] {
            assert!(!host_allowed(Some(bad), PORT), "{bad}: a rebound name");
        }
        assert!(!host_allowed(None, PORT), "no Host at all");
    }

    #[test]
    fn each_refusal_comes_before_the_key_is_even_looked_at() {
        let key = Keys::new(Secret::new("tgw_k"), Secret::new("tgw_run"));
        let good = [
            ("host", "127.0.0.1:53710"),
            ("authorization", "Bearer tgw_k"),
        ];
        assert_eq!(check(&Method::GET, &head(&good), PORT, &key), Ok(()));
        type Head<'a> = &'a [(&'static str, &'static str)];
        let cases: [(Head, Method, Refused); 6] = [
            (
                &[
                    ("host", "evil.example:53710"),
                    ("authorization", "Bearer tgw_k"),
                ],
                Method::GET,
                Refused::Host,
            ),
            (
                &[
                    ("host", "127.0.0.1:53710"),
                    ("origin", "http://127.0.0.1:8000"),
                    ("authorization", "Bearer tgw_k"),
                ],
                Method::GET,
                Refused::Browser,
            ),
            (
                &[
                    ("host", "127.0.0.1:53710"),
                    ("sec-fetch-site", "cross-site"),
                ],
                Method::GET,
                Refused::Browser,
            ),
            (
                &[
                    ("host", "127.0.0.1:53710"),
                    ("authorization", "Bearer tgw_k"),
                ],
                Method::OPTIONS,
                Refused::Preflight,
            ),
            (&[("host", "127.0.0.1:53710")], Method::GET, Refused::NoKey),
            (
                &[
                    ("host", "127.0.0.1:53710"),
                    ("authorization", "Bearer tgw_x"),
                ],
                Method::GET,
                Refused::WrongKey,
            ),
        ];
        for (pairs, method, refused) in cases {
            assert_eq!(
                check(&method, &head(pairs), PORT, &key),
                Err(refused),
                "{pairs:?}"
            );
        }
    }
}
