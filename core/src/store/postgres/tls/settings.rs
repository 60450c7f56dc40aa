//! The two TLS settings as libpq reads them: `sslmode` and `sslrootcert` taken out of
//! `database_url` (the client crate would refuse two of libpq's modes and the root certificate),
//! else `PGSSLMODE` and `PGSSLROOTCERT`, setting by setting. Pure.

use std::path::PathBuf;

/// How much TLS a connection asks for, libpq's names and meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::store::postgres) enum SslMode {
    /// No TLS.
    Disable,
    /// TLS when the server offers it, any certificate; in the clear when it does not.
    Prefer,
    /// TLS or no connection; the certificate checked only when a root certificate is given.
    Require,
    /// TLS, and the certificate must lead to a trusted root; any host name.
    VerifyCa,
    /// TLS, a certificate from a trusted root, for the host the URL names.
    VerifyFull,
}

pub(in crate::store::postgres) const ACCEPTED_MODES: &str =
    "disable, prefer, require, verify-ca or verify-full";

impl SslMode {
    pub(in crate::store::postgres) fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "disable" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            _ => return None,
        })
    }

    pub(in crate::store::postgres) fn name(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

/// The roots a server's certificate may lead to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::store::postgres) enum RootCert {
    /// A PEM file of one or more CA certificates (`sslrootcert=PATH`): these and no others.
    File(PathBuf),
    /// The platform's trusted CAs (`sslrootcert=system`, libpq 16's word for them).
    System,
}

impl RootCert {
    pub(in crate::store::postgres) fn parse(raw: &str) -> Option<Self> {
        match raw {
            "" => None,
            "system" => Some(Self::System),
            path => Some(Self::File(PathBuf::from(path))),
        }
    }
}

/// Where a setting came from, so a message can say which to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::store::postgres) enum Source {
    Url,
    Env,
    Default,
}

/// The two settings as given, before the host is looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(in crate::store::postgres) struct Given {
    pub(in crate::store::postgres) mode: Option<(SslMode, Source)>,
    pub(in crate::store::postgres) root: Option<RootCert>,
}

/// libpq's environment variables for the two settings, read once (tests pass their own).
#[derive(Debug, Default)]
pub(in crate::store::postgres) struct Env {
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
}

impl Env {
    pub(in crate::store::postgres) fn from_env() -> Self {
        Self {
            sslmode: std::env::var("PGSSLMODE").ok(),
            sslrootcert: std::env::var("PGSSLROOTCERT").ok(),
        }
    }
}

/// Takes `sslmode` and `sslrootcert` out of `url`'s query (the client crate would refuse two of
/// libpq's modes and the root certificate), filling in from `env` what the URL does not say, as
/// libpq does, setting by setting. The rest of the URL is handed back untouched.
pub(in crate::store::postgres) fn split(url: &str, env: &Env) -> Result<(String, Given), String> {
    // Where the client crate finds the query: at the first `?` after the user and password.
    let after_credentials = url.find('@').map_or(0, |at| at + 1);
    let Some(question) = url[after_credentials..]
        .find('?')
        .map(|i| after_credentials + i)
    else {
        return Ok((url.to_owned(), Given::default().or_env(env)?));
    };
    let (head, query) = (&url[..question], &url[question + 1..]);
    let mut given = Given::default();
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|v| v.into_owned())
                .map_err(|_| format!("its {key} is not UTF-8 once decoded"))
        };
        match decoded(key)?.as_str() {
            "sslmode" => {
                let raw = decoded(value)?;
                let mode = SslMode::parse(&raw)
                    .ok_or_else(|| format!("sslmode={raw} is not one of {ACCEPTED_MODES}"))?;
                given.mode = Some((mode, Source::Url));
            }
            "sslrootcert" => given.root = RootCert::parse(&decoded(value)?),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        head.to_owned()
    } else {
        format!("{head}?{}", kept.join("&"))
    };
    Ok((rest, given.or_env(env)?))
}

impl Given {
    fn or_env(mut self, env: &Env) -> Result<Self, String> {
        if self.mode.is_none()
            && let Some(raw) = env.sslmode.as_deref().filter(|v| !v.is_empty())
        {
            let mode = SslMode::parse(raw)
                .ok_or_else(|| format!("PGSSLMODE={raw} is not one of {ACCEPTED_MODES}"))?;
            self.mode = Some((mode, Source::Env));
        }
        if self.root.is_none() {
            self.root = env.sslrootcert.as_deref().and_then(RootCert::parse);
        }
        Ok(self)
    }
}
