//! Parsing what the browser brings back to the redirect URI. Pure and table-tested: the loopback
//! listener (and later the deep-link handler) only moves bytes; every decision is made here.

use crate::secret::Secret;

/// Why a callback was not accepted. `MissingState` and `WrongState` mean "not ours" (a stale tab,
/// a forged request): the listener answers them and keeps waiting for the real one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("the callback carries no state, so it cannot be matched to this sign-in")]
    MissingState,
    #[error("the callback belongs to another sign-in attempt (state mismatch)")]
    WrongState,
    #[error("a parameter appears twice in the callback")]
    DuplicateParameter,
    #[error("the callback came from another server than the one configured (iss mismatch)")]
    IssuerMismatch,
    #[error("{}", denied_message(error, description.as_deref()))]
    Denied {
        error: String,
        description: Option<String>,
    },
    #[error("the callback carries no authorization code")]
    MissingCode,
}

fn denied_message(error: &str, description: Option<&str>) -> String {
    let what = if error == "access_denied" {
        "access was not granted in the browser (the consent page was cancelled or declined)"
            .to_string()
    } else {
        format!("Xero returned the error `{error}`")
    };
    match description {
        Some(d) if !d.is_empty() => format!("{what}: {d}"),
        _ => what,
    }
}

impl CallbackError {
    /// Whether this callback belongs to the pending sign-in (and so ends it).
    pub fn is_ours(&self) -> bool {
        !matches!(
            self,
            Self::MissingState | Self::WrongState | Self::DuplicateParameter
        )
    }
}

/// Parses a redirect's query string. `expected_issuer` is checked only when the server sends the
/// RFC 9207 `iss` parameter; unknown extra parameters are ignored.
pub fn parse_callback(
    query: &str,
    expected_state: &str,
    expected_issuer: &str,
) -> Result<Secret, CallbackError> {
    let (mut state, mut code, mut error, mut description, mut iss) = (None, None, None, None, None);
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match key.as_ref() {
            "state" => &mut state,
            "code" => &mut code,
            "error" => &mut error,
            "error_description" => &mut description,
            "iss" => &mut iss,
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(CallbackError::DuplicateParameter);
        }
    }
    let state = state.ok_or(CallbackError::MissingState)?;
    if !constant_time_eq(state.as_bytes(), expected_state.as_bytes()) {
        return Err(CallbackError::WrongState);
    }
    if let Some(iss) = iss
        && iss.trim_end_matches('/') != expected_issuer.trim_end_matches('/')
    {
        return Err(CallbackError::IssuerMismatch);
    }
    if let Some(error) = error {
        let clip = |s: String| {
            s.chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect::<String>()
        };
        return Err(CallbackError::Denied {
            error: clip(error),
            description: description.map(clip),
        });
    }
    match code {
        Some(code) if !code.is_empty() && code.len() <= 4096 => Ok(Secret::new(code)),
        _ => Err(CallbackError::MissingCode),
    }
}

/// Equal bytes, in time that depends only on the lengths: a state compared byte by byte with an
/// early exit would tell a guesser how much of it was right.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = "s7aTe";
    const ISS: &str = "https://identity.xero.com";

    #[test]
    fn table() {
        use CallbackError as E;
        let table: &[(&str, Result<&str, CallbackError>)] = &[
            ("code=abc&state=s7aTe", Ok("abc")),
            (
                "state=s7aTe&code=abc&scope=openid&session_state=x",
                Ok("abc"),
            ),
            (
                "code=abc&state=s7aTe&iss=https%3A%2F%2Fidentity.xero.com",
                Ok("abc"),
            ),
            (
                "code=abc&state=s7aTe&iss=https%3A%2F%2Fidentity.xero.com%2F",
                Ok("abc"),
            ),
            ("code=a%2Bb%3D&state=s7aTe", Ok("a+b=")),
            (
                "code=abc&state=s7aTe&iss=https%3A%2F%2Fevil.example",
                Err(E::IssuerMismatch),
            ),
            ("code=abc", Err(E::MissingState)),
            ("", Err(E::MissingState)),
            ("code=abc&state=other", Err(E::WrongState)),
            ("code=abc&state=s7aT", Err(E::WrongState)),
            (
                "code=abc&state=s7aTe&state=s7aTe",
                Err(E::DuplicateParameter),
            ),
            ("code=abc&code=def&state=s7aTe", Err(E::DuplicateParameter)),
            ("state=s7aTe", Err(E::MissingCode)),
            ("state=s7aTe&code=", Err(E::MissingCode)),
            (
                "error=access_denied&state=s7aTe",
                Err(E::Denied {
                    error: "access_denied".into(),
                    description: None,
                }),
            ),
            (
                "error=invalid_scope&error_description=Invalid+scope+for+client&state=s7aTe",
                Err(E::Denied {
                    error: "invalid_scope".into(),
                    description: Some("Invalid scope for client".into()),
                }),
            ),
            ("error=access_denied&state=wrong", Err(E::WrongState)),
        ];
        for (query, want) in table {
            let got = parse_callback(query, STATE, ISS);
            match (got, want) {
                (Ok(code), Ok(w)) => assert_eq!(
                    code.expose(),
                    *w,
                    "`{query}`: the code is passed on verbatim"
                ),
                (Err(e), Err(w)) => assert_eq!(&e, w, "`{query}`"),
                (got, want) => panic!("`{query}`: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn access_denied_reads_as_a_human_sentence() {
        let err = parse_callback("error=access_denied&state=s7aTe", STATE, ISS).unwrap_err();
        assert!(
            err.to_string().contains("not granted"),
            "the user must understand they declined: {err}"
        );
        assert!(err.is_ours(), "a refusal with our state ends the sign-in");
        assert!(
            !CallbackError::WrongState.is_ours(),
            "a stray callback must not end a pending sign-in"
        );
    }
}
