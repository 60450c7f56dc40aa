//! The grammar's smaller pieces: the `practice` and `config` subcommands, and the token formats.

use clap::{Subcommand, ValueEnum};

#[derive(Subcommand)]
pub enum PracticeAction {
    /// Make the practice in the (empty) database `database_url` names: its tables, a new
    /// practice key kept in this machine's keychain, and this machine as its first member.
    Init,
    /// Print a one-time join code for another machine, valid for 24 hours.
    Invite,
    /// Join the practice with a code from `tenantry practice invite` on a member machine: the
    /// practice key goes into this machine's keychain.
    Join {
        /// The code as printed (any case; dashes and spaces do not matter).
        code: String,
    },
    /// Move this computer's own logins (from before practice mode) into the practice, one at a
    /// time: each is either fully moved or left as it was.
    Migrate,
    /// Re-seal every login's tokens under a new practice key (when a machine leaves, or the key
    /// may have been seen). Every other machine must then join again with a new code.
    RotateKey,
    /// List the people and machines that have joined, and when each was last seen.
    Members {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ConfigAction {
    /// Print the configuration in effect.
    Show,
    /// Print the configuration file's path.
    Path,
    /// Print the value in effect for one key (its default if the file does not set it).
    Get {
        /// A key, e.g. `client_id` or `xero.api_url` (`tenantry config keys` lists them).
        key: String,
    },
    /// Set one key; the whole configuration is checked before anything is written.
    Set {
        /// A key, e.g. `client_id`, `redirect_ports`, `redirect_mode` or `xero.api_url`.
        key: String,
        /// Its value; lists are comma- or space-separated (`53682,53683`).
        value: String,
    },
    /// Remove one key from the file, so its default applies again.
    Unset {
        /// A key, e.g. `bounce_url`.
        key: String,
    },
    /// List every key with what it does and its default.
    Keys,
}

/// How `tenantry token` prints the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TokenFormat {
    /// The bare access token.
    Plain,
    /// JSON: access_token, tenant_id, expires_at (UTC) and the login.
    Json,
    /// `export` lines for a POSIX shell: eval "$(tenantry token ORG --format env)".
    Env,
    /// `set -gx` lines for fish: tenantry token ORG --format fish | source.
    Fish,
    /// `$env:` lines for PowerShell: … | Invoke-Expression.
    Powershell,
    /// `set` lines for cmd.exe (a batch file or `for /f`).
    Cmd,
    /// An HTTP header: `Authorization: Bearer …`.
    Header,
    /// A Kubernetes-style ExecCredential (client.authentication.k8s.io/v1) with
    /// expirationTimestamp, for credential-plugin hosts.
    ExecCredential,
}

impl TokenFormat {
    /// The format `--format`, `--json` or `--env` chose (clap lets only one through).
    pub fn chosen(format: Option<Self>, json: bool, env: bool) -> Self {
        match (format, json, env) {
            (Some(format), ..) => format,
            (None, true, _) => Self::Json,
            (None, _, true) => Self::Env,
            (None, false, false) => Self::Plain,
        }
    }
}
