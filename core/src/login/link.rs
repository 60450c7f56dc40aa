//! `tenantry://` links: any web page or program can open one, so the app acts only on links it
//! recognises exactly and treats everything else as noise. Pure and table-tested; the desktop
//! shell only hands the raw text over.

/// Longer than any real callback (a code and a state are under 200 characters each).
pub const MAX_LINK_LEN: usize = 4096;

/// A link the app acts on. `Debug` never shows a callback's state or query (it carries a code).
#[derive(Clone, PartialEq, Eq)]
pub enum Link {
    /// `tenantry://oauth/callback?…`, forwarded by the https bounce page in deep-link mode. The
    /// query is checked against the pending sign-in by [`super::parse_callback`].
    OAuthCallback { state: String, query: String },
    /// `tenantry://login/<id>`: open the app on one login (what a notification's click opens).
    /// The id is only checked for shape here; the app looks it up and ignores one it lacks.
    Login(crate::model::LoginId),
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OAuthCallback { .. } => f.write_str("OAuthCallback(<redacted>)"),
            Self::Login(login) => f.debug_tuple("Login").field(login).finish(),
        }
    }
}

/// Why a link was ignored. Never quotes the link: a callback's query carries a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is longer than {MAX_LINK_LEN} characters")]
    TooLong,
    #[error("the text is not a URL")]
    NotAUrl,
    #[error("the link is not a tenantry:// link")]
    OtherScheme,
    #[error("the link carries credentials, a port or a fragment, which no Tenantry link has")]
    UnexpectedPart,
    #[error("the link names nothing Tenantry knows")]
    UnknownTarget,
    #[error("the sign-in link carries no single, non-empty state")]
    BadState,
}

pub fn parse_link(raw: &str) -> Result<Link, LinkError> {
    if raw.len() > MAX_LINK_LEN {
        return Err(LinkError::TooLong);
    }
    let url = url::Url::parse(raw).map_err(|_| LinkError::NotAUrl)?;
    if url.scheme() != "tenantry" {
        return Err(LinkError::OtherScheme);
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.port().is_some()
        || url.fragment().is_some()
    {
        return Err(LinkError::UnexpectedPart);
    }
    match (url.host_str(), url.path()) {
        (Some("oauth"), "/callback") => {
            let query = url.query().unwrap_or("").to_owned();
            let mut states = url::form_urlencoded::parse(query.as_bytes())
                .filter(|(k, _)| k == "state")
                .map(|(_, v)| v.into_owned());
            match (states.next(), states.next()) {
                (Some(state), None) if !state.is_empty() => {
                    Ok(Link::OAuthCallback { state, query })
                }
                _ => Err(LinkError::BadState),
            }
        }
        (Some("login"), path) => {
            if url.query().is_some() {
                return Err(LinkError::UnexpectedPart);
            }
            let id = path.strip_prefix('/').unwrap_or_default();
            // Xero user ids are GUIDs; anything else (a path, an encoded slash) is not one.
            let plausible = !id.is_empty()
                && id.len() <= 64
                && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            match crate::model::LoginId::new(id) {
                Ok(login) if plausible => Ok(Link::Login(login)),
                _ => Err(LinkError::UnknownTarget),
            }
        }
        _ => Err(LinkError::UnknownTarget),
    }
}

/// The link that opens the app on `login`.
pub fn login_link(login: &crate::model::LoginId) -> String {
    format!("tenantry://login/{login}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounce_pages_link_is_recognised() {
        assert_eq!(
            parse_link("tenantry://oauth/callback?code=abc&state=S1&scope=openid"),
            Ok(Link::OAuthCallback {
                state: "S1".into(),
                query: "code=abc&state=S1&scope=openid".into()
            }),
            "the one link the bounce page produces must work"
        );
    }

    #[test]
    fn malformed_and_foreign_links_are_refused_with_a_reason() {
        let long = format!(
            "tenantry://oauth/callback?state=S&code={}",
            "a".repeat(5000)
        );
        let table: [(&str, LinkError); 20] = [
            ("", LinkError::NotAUrl),
            ("tenantry", LinkError::NotAUrl),
            ("oauth/callback?state=S", LinkError::NotAUrl),
            ("tenantry:", LinkError::UnknownTarget),
            ("tenantry://", LinkError::UnknownTarget),
            ("tenantry:oauth/callback?state=S", LinkError::UnknownTarget),
            ("tenantry://oauth", LinkError::UnknownTarget),
            (
                "tenantry://oauth/callback/extra?state=S",
                LinkError::UnknownTarget,
            ),
            (
                "tenantry://OAUTH.evil/callback?state=S",
                LinkError::UnknownTarget,
            ),
            (
                "tenantry://evil.example/callback?state=S",
                LinkError::UnknownTarget,
            ),
            ("https://oauth/callback?state=S", LinkError::OtherScheme),
            (
                "javascript:alert(1)//tenantry://oauth",
                LinkError::OtherScheme,
            ),
            ("tenantry://oauth/callback", LinkError::BadState),
            ("tenantry://oauth/callback?code=c", LinkError::BadState),
            (
                "tenantry://oauth/callback?state=&code=c",
                LinkError::BadState,
            ),
            (
                "tenantry://oauth/callback?state=a&state=b",
                LinkError::BadState,
            ),
            (
                "tenantry://me:pw@oauth/callback?state=S",
                LinkError::UnexpectedPart,
            ),
            (
                "tenantry://oauth:8080/callback?state=S",
                LinkError::UnexpectedPart,
            ),
            (
                "tenantry://oauth/callback?state=S#frag",
                LinkError::UnexpectedPart,
            ),
            (long.as_str(), LinkError::TooLong),
        ];
        for (raw, expected) in table {
            assert_eq!(
                parse_link(raw),
                Err(expected.clone()),
                "{raw:.60}: a link that is not exactly ours must be ignored"
            );
            assert!(
                !expected.to_string().contains("state=S"),
                "the reason never quotes the link"
            );
        }
    }

    #[test]
    fn a_login_link_names_one_login_and_nothing_else() {
        let id = crate::model::LoginId::new("4f0c8a2e-7d3b-4c5e-9a61-2b8f1d0e6c37").unwrap();
        assert_eq!(
            parse_link(&login_link(&id)),
            Ok(Link::Login(id.clone())),
            "the link a notification carries must open that login"
        );
        for raw in [
            "tenantry://login",
            "tenantry://login/",
            "tenantry://login/a/b",
            "tenantry://login/a%2Fb",
            "tenantry://login/..",
            "tenantry://login/%00",
            "tenantry://evil/4f0c8a2e",
        ] {
            assert_eq!(
                parse_link(raw),
                Err(LinkError::UnknownTarget),
                "{raw}: only a bare id is a login link"
            );
        }
        assert_eq!(
            parse_link("tenantry://login/4f0c8a2e?x=1"),
            Err(LinkError::UnexpectedPart),
            "a login link carries no query"
        );
        let long = format!("tenantry://login/{}", "a".repeat(65));
        assert_eq!(
            parse_link(&long),
            Err(LinkError::UnknownTarget),
            "no Xero user id is that long"
        );
    }

    #[test]
    fn a_callback_link_never_shows_its_code_or_state() {
        let link =
            parse_link("tenantry://oauth/callback?code=SECRETCODE&state=SECRETSTATE").unwrap();
        let shown = format!("{link:?}");
        assert!(
            !shown.contains("SECRETCODE") && !shown.contains("SECRETSTATE"),
            "Debug output reaches logs: {shown}"
        );
    }

    #[test]
    fn odd_bytes_in_the_query_are_carried_not_interpreted() {
        // Percent-encoded NUL and invalid UTF-8 reach parse_callback as-is, where the state
        // comparison rejects them; nothing here decodes them into anything dangerous.
        let Ok(Link::OAuthCallback { state, .. }) =
            parse_link("tenantry://oauth/callback?state=%00%FF&code=%0A")
        else {
            panic!("a syntactically valid link parses");
        };
        assert_eq!(state, "\u{0}\u{FFFD}", "lossy decoding, never a panic");
    }
}
