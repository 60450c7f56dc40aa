//! `tenantry token` and `tenantry exec`: a valid access token for an organisation, printed in the
//! shape its consumer reads (a shell, a header, a credential-plugin host) or handed to a child
//! process in its environment. Formatting is a pure function, table-tested for each consumer.
//! When a gateway or the desktop app serves this profile, its token agent answers instead of the
//! keychain: the same token, without opening the store and the keychain in this process.

use crate::{Failure, TokenFormat, exit};
use chrono::{DateTime, Utc};
use tenantry_core::Engine;
use tenantry_core::config::ProfilePaths;
use tenantry_core::quote::{
    cmd_set, fish_single_quoted, powershell_single_quoted, shell_single_quoted,
};
use tenantry_core::secret::Secret;
use tenantry_core::when::utc_rfc3339;

/// The variables `exec` sets and the shell formats export, in that order.
pub const TOKEN_VAR: &str = "XERO_ACCESS_TOKEN";
pub const EXPIRES_VAR: &str = "XERO_ACCESS_TOKEN_EXPIRES_AT";
pub const TENANT_VAR: &str = "XERO_TENANT_ID";

/// What a token is printed from: the grant and whose login it came through.
pub struct Printable<'a> {
    pub token: &'a str,
    pub tenant_id: &'a str,
    pub expires_at: DateTime<Utc>,
    pub login_id: &'a str,
    pub email: Option<&'a str>,
}

impl Printable<'_> {
    fn vars(&self) -> [(&'static str, String); 3] {
        [
            (TOKEN_VAR, self.token.to_owned()),
            (EXPIRES_VAR, utc_rfc3339(self.expires_at)),
            (TENANT_VAR, self.tenant_id.to_owned()),
        ]
    }
}

/// The text `tenantry token --format F` prints (without the final newline).
pub fn render(format: TokenFormat, p: &Printable) -> Result<String, Failure> {
    let lines = |line: &dyn Fn(&str, &str) -> String| {
        p.vars()
            .iter()
            .map(|(name, value)| line(name, value))
            .collect::<Vec<_>>()
            .join("\n")
    };
    Ok(match format {
        TokenFormat::Plain => p.token.to_owned(),
        TokenFormat::Json => serde_json::json!({
            "access_token": p.token,
            "tenant_id": p.tenant_id,
            "expires_at": utc_rfc3339(p.expires_at),
            "login": { "id": p.login_id, "email": p.email },
        })
        .to_string(),
        // Quoted whatever the server put in the token: `eval "$(…)"` must not run any of it.
        TokenFormat::Env => lines(&|n, v| format!("export {n}={}", shell_single_quoted(v))),
        TokenFormat::Fish => lines(&|n, v| format!("set -gx {n} {}", fish_single_quoted(v))),
        TokenFormat::Powershell => {
            lines(&|n, v| format!("$env:{n} = {}", powershell_single_quoted(v)))
        }
        TokenFormat::Cmd => {
            let mut out = Vec::new();
            for (name, value) in p.vars() {
                out.push(cmd_set(name, &value).ok_or_else(|| {
                    Failure::new(
                        exit::FAILURE,
                        format!(
                            "{name} holds a character cmd.exe would expand (% ! \" ^), so no safe `set` line exists; use --format powershell or json"
                        ),
                    )
                })?);
            }
            out.join("\n")
        }
        TokenFormat::Header => format!("Authorization: Bearer {}", p.token),
        // The shape kubectl-style credential plugins print (client.authentication.k8s.io/v1).
        TokenFormat::ExecCredential => serde_json::json!({
            "apiVersion": "client.authentication.k8s.io/v1",
            "kind": "ExecCredential",
            "status": {
                "token": p.token,
                "expirationTimestamp": utc_rfc3339(p.expires_at),
            },
        })
        .to_string(),
    })
}

/// A token handed out, by the engine in this process or by the agent of a running gateway or
/// desktop app.
pub struct Handed {
    pub token: Secret,
    pub tenant_id: String,
    pub expires_at: DateTime<Utc>,
    pub login_id: String,
    pub email: Option<String>,
}

/// The grant for `org`, through `login` when one is named.
async fn grant(
    engine: &Engine,
    org: &str,
    login: Option<&str>,
    email: bool,
) -> Result<Handed, Failure> {
    let grant = engine.grant_for(org, login).await?;
    let email = match email {
        true => engine.login_email(&grant.login_id).await?,
        false => None,
    };
    Ok(Handed {
        token: grant.access_token,
        tenant_id: grant.tenant_id.to_string(),
        expires_at: grant.expires_at,
        login_id: grant.login_id.to_string(),
        email,
    })
}

/// Set to `off` to skip the token agent (`tenantry token` then reads the keychain itself).
pub const ENV_AGENT: &str = "TENANTRY_AGENT";

/// The token from the agent of a running gateway or desktop app, if one serves this profile:
/// `None` when none does (or `TENANTRY_AGENT=off`), and the caller opens the engine itself.
/// An agent that fails to answer is said on stderr and passed over, never fatal.
pub fn from_agent(
    paths: &ProfilePaths,
    org: &str,
    login: Option<&str>,
    email: bool,
) -> Option<Result<Handed, Failure>> {
    use tenantry_gateway::agent::{client, socket_path, wire::Answer};
    if std::env::var(ENV_AGENT).is_ok_and(|v| v == "off") {
        return None;
    }
    match client::ask(&socket_path(&paths.data_dir), org, login, email) {
        Ok(None) => None,
        Ok(Some(Answer::Token {
            access_token,
            tenant_id,
            expires_at,
            login_id,
            email,
        })) => Some(Ok(Handed {
            token: Secret::new(access_token),
            tenant_id,
            expires_at,
            login_id,
            email,
        })),
        Ok(Some(Answer::Failed { code, message })) => {
            Some(Err(Failure::new(crate::exit_status(code), message)))
        }
        Ok(Some(Answer::Gateway { .. })) => {
            eprintln!(
                "tenantry: the token agent answered another question; reading the keychain instead."
            );
            None
        }
        Err(e) => {
            eprintln!("tenantry: {e}; reading the keychain instead.");
            None
        }
    }
}

/// Prints a token handed out, as `format` says.
pub fn print(format: TokenFormat, handed: &Handed) -> Result<u8, Failure> {
    let text = render(
        format,
        &Printable {
            token: handed.token.expose(),
            tenant_id: &handed.tenant_id,
            expires_at: handed.expires_at,
            login_id: &handed.login_id,
            email: handed.email.as_deref(),
        },
    )?;
    println!("{text}");
    Ok(exit::OK)
}

pub async fn token(
    engine: &Engine,
    org: &str,
    format: TokenFormat,
    login: Option<&str>,
) -> Result<u8, Failure> {
    let handed = grant(engine, org, login, format == TokenFormat::Json).await?;
    print(format, &handed)
}

/// Not found on PATH, as shells report it.
const NOT_FOUND: u8 = 127;
/// Found but not runnable (no execute permission, not an executable), as shells report it.
const CANNOT_RUN: u8 = 126;

pub async fn exec(
    engine: &Engine,
    org: &str,
    login: Option<&str>,
    command: &[String],
) -> Result<u8, Failure> {
    let handed = grant(engine, org, login, false).await?;
    exec_with(&handed, command).await
}

/// Runs `command` with the token handed out in its environment.
pub async fn exec_with(handed: &Handed, command: &[String]) -> Result<u8, Failure> {
    let (program, args) = command.split_first().expect("clap requires a command");
    let status = tokio::process::Command::new(program)
        .args(args)
        .env(TOKEN_VAR, handed.token.expose())
        .env(EXPIRES_VAR, utc_rfc3339(handed.expires_at))
        .env(TENANT_VAR, &handed.tenant_id)
        .status()
        .await
        .map_err(|e| {
            let (status, fix) = match e.kind() {
                std::io::ErrorKind::NotFound => {
                    (NOT_FOUND, "check the command's name and your PATH")
                }
                _ => (
                    CANNOT_RUN,
                    "check that it is a program and that you may execute it",
                ),
            };
            Failure::new(status, format!("cannot run `{program}`: {e}; {fix}."))
        })?;
    // Pass the child's status on; a child killed by a signal is 128 + signal, as shells do.
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return Ok(128u8.saturating_add(signal as u8));
    }
    Ok(status
        .code()
        .map_or(exit::FAILURE, |c| c.clamp(0, 255) as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(token: &str) -> Printable<'_> {
        Printable {
            token,
            tenant_id: "9f1c2d3e-0000-4000-8000-000000000001",
            expires_at: "2026-12-02T10:30:00Z".parse().unwrap(),
            login_id: "1c3d",
            email: Some("ann@example.com"),
        }
    }

    #[test]
    fn every_format_carries_the_token_tenant_and_utc_expiry() {
        let p = sample("eyJ.abc-_");
        let expect = [
            (TokenFormat::Plain, "eyJ.abc-_"),
            (
                TokenFormat::Env,
                "export XERO_ACCESS_TOKEN='eyJ.abc-_'\nexport XERO_ACCESS_TOKEN_EXPIRES_AT='2026-12-02T10:30:00Z'\nexport XERO_TENANT_ID='9f1c2d3e-0000-4000-8000-000000000001'",
            ),
            (
                TokenFormat::Fish,
                "set -gx XERO_ACCESS_TOKEN 'eyJ.abc-_'\nset -gx XERO_ACCESS_TOKEN_EXPIRES_AT '2026-12-02T10:30:00Z'\nset -gx XERO_TENANT_ID '9f1c2d3e-0000-4000-8000-000000000001'",
            ),
            (
                TokenFormat::Powershell,
                "$env:XERO_ACCESS_TOKEN = 'eyJ.abc-_'\n$env:XERO_ACCESS_TOKEN_EXPIRES_AT = '2026-12-02T10:30:00Z'\n$env:XERO_TENANT_ID = '9f1c2d3e-0000-4000-8000-000000000001'",
            ),
            (
                TokenFormat::Cmd,
                "set \"XERO_ACCESS_TOKEN=eyJ.abc-_\"\nset \"XERO_ACCESS_TOKEN_EXPIRES_AT=2026-12-02T10:30:00Z\"\nset \"XERO_TENANT_ID=9f1c2d3e-0000-4000-8000-000000000001\"",
            ),
            (TokenFormat::Header, "Authorization: Bearer eyJ.abc-_"),
        ];
        for (format, text) in expect {
            assert_eq!(
                render(format, &p).unwrap(),
                text,
                "{format:?}: what its consumer reads"
            );
        }
        let cred: serde_json::Value =
            serde_json::from_str(&render(TokenFormat::ExecCredential, &p).unwrap()).unwrap();
        assert_eq!(
            cred,
            serde_json::json!({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                "status": {"token": "eyJ.abc-_", "expirationTimestamp": "2026-12-02T10:30:00Z"}}),
            "the ExecCredential shape credential-plugin hosts parse"
        );
    }

    #[test]
    fn a_token_cmd_cannot_carry_is_refused_rather_than_mangled() {
        let err = render(TokenFormat::Cmd, &sample("50%PATH%")).unwrap_err();
        assert!(
            err.message.contains("powershell"),
            "the refusal names a format that works: {}",
            err.message
        );
        assert!(
            render(TokenFormat::Powershell, &sample("50%PATH%")).is_ok(),
            "PowerShell's single quotes carry it"
        );
    }
}
