//! The one vocabulary of fixes: the step that resolves an error, a login's or an organisation's
//! problem, as data. The engine, the health rules and the practice each say *which* step; each
//! front end words it once (the command line here, [`Fix::command`] and [`Fix::command_line`],
//! shared by the CLI, the gateway, the token agent and MCP; the window in `ui/src/ipc.ts`).

use crate::model::LoginId;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fix {
    /// Look through the organisations to find the right name or tenant id.
    ListOrganisations,
    /// Look through the logins to find the right one.
    ListLogins,
    /// Sign this login in again.
    Reconnect {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        login: LoginId,
        /// Who it is, for the words: people know emails, not Xero's user ids.
        email: String,
    },
    /// The client disconnected the app at Xero: sign the login that reached it in again (and
    /// tick the organisation on Xero's consent page), or remove the organisation from the list.
    ReconnectOrRemove {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        login: LoginId,
        email: String,
        tenant_id: String,
    },
    /// Try the login again (refresh it): the failure may have passed, or the deadline is near.
    Retry {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        login: LoginId,
        email: String,
    },
    /// Enter the Xero app's client id.
    SetClientId,
    /// Say which PostgreSQL database the practice lives in.
    SetDatabaseUrl,
    /// Make the practice, on the first machine.
    InitPractice,
    /// Join the practice: a join code from a member machine, typed here.
    JoinPractice,
    /// Make a new join code on a member machine (this one is spent, expired or stale).
    NewJoinCode,
    /// Sign in again the login whose token set does not open, then rotate the key again.
    ReconnectThenRotate { login: String },
}

impl Fix {
    /// The command (or commands) that take the step: what `orgs --json` and `status --json` give
    /// as `fix`, and the "fix:" lines under a table's rows.
    pub fn command(&self) -> String {
        match self {
            Fix::ListOrganisations => "tenantry orgs".into(),
            Fix::ListLogins => "tenantry status".into(),
            Fix::Reconnect { email, .. } => format!("tenantry connect --reconnect {email}"),
            Fix::ReconnectOrRemove {
                email, tenant_id, ..
            } => format!(
                "tenantry connect --reconnect {email} (and tick it at Xero), or remove it from the list: tenantry disconnect {tenant_id} --login {email}"
            ),
            Fix::Retry { email, .. } => format!("tenantry refresh {email}"),
            Fix::SetClientId => "tenantry config set client_id YOUR_CLIENT_ID".into(),
            Fix::SetDatabaseUrl => {
                "tenantry config set database_url postgres://USER@HOST:PORT/DATABASE".into()
            }
            Fix::InitPractice => "tenantry practice init".into(),
            Fix::JoinPractice | Fix::NewJoinCode => "tenantry practice invite".into(),
            Fix::ReconnectThenRotate { login } => {
                format!("tenantry connect --reconnect {login}, then tenantry practice rotate-key")
            }
        }
    }

    /// The step as a sentence that follows an error's: what the CLI, the gateway, the token
    /// agent and MCP say.
    pub fn command_line(&self) -> String {
        match self {
            Fix::ListOrganisations => "Run `tenantry orgs` to list them.".into(),
            Fix::ListLogins => "Run `tenantry status` to list them.".into(),
            Fix::SetClientId => {
                "Run: tenantry config set client_id YOUR_CLIENT_ID (or try `tenantry demo`).".into()
            }
            Fix::InitPractice => "Run `tenantry practice init` on the first machine, then `tenantry practice invite` there for each other machine.".into(),
            Fix::JoinPractice => "On a member machine run `tenantry practice invite`, then here `tenantry practice join CODE`.".into(),
            Fix::NewJoinCode => "Make a new one with `tenantry practice invite` on a member machine.".into(),
            other => format!("Run: {}.", other.command()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fix_is_worded_as_commands_that_exist() {
        let login = LoginId::new("u1").unwrap();
        let email = "ann@example.com".to_owned();
        let all = [
            Fix::ListOrganisations,
            Fix::ListLogins,
            Fix::Reconnect {
                login: login.clone(),
                email: email.clone(),
            },
            Fix::ReconnectOrRemove {
                login: login.clone(),
                email: email.clone(),
                tenant_id: "t-1".into(),
            },
            Fix::Retry {
                login,
                email: email.clone(),
            },
            Fix::SetClientId,
            Fix::SetDatabaseUrl,
            Fix::InitPractice,
            Fix::JoinPractice,
            Fix::NewJoinCode,
            Fix::ReconnectThenRotate { login: "u1".into() },
        ];
        for fix in all {
            let (command, sentence) = (fix.command(), fix.command_line());
            assert!(command.starts_with("tenantry "), "{fix:?}: {command}");
            assert!(
                sentence.contains("tenantry ") && sentence.ends_with('.'),
                "{fix:?}: a sentence naming the command: {sentence}"
            );
        }
    }
}
