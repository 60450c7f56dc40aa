//! The agent's protocol: one JSON object per line each way. Versioned, so a CLI and an agent of
//! different releases refuse each other clearly instead of misreading.

use serde::{Deserialize, Serialize};
use tenantry_core::ErrorCode;

pub const VERSION: u32 = 1;
/// A request line longer than this is refused (a selector is a name or an id).
pub const MAX_LINE: usize = 4096;

#[derive(Debug, Serialize, Deserialize)]
pub struct Ask {
    pub v: u32,
    /// What is asked for; a token when not said (as agents before it was added read it).
    #[serde(default)]
    pub want: Want,
    /// The organisation, as `tenantry token` takes it: name, tenant id or unique id prefix.
    #[serde(default)]
    pub org: String,
    /// The login to use, when two reach the organisation.
    pub login: Option<String>,
    /// Whether to say the login's email too (`--format json` prints it).
    #[serde(default)]
    pub email: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Want {
    /// An access token for `org`.
    #[default]
    Token,
    /// Where this process's gateway listens, and its run key: how `tenantry mcp` finds the
    /// running gateway without presenting the profile's key to whatever holds the port.
    Gateway,
}

/// No `Debug`: it carries a token.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Token {
        /// Only ever written to the asking user's own socket.
        access_token: String,
        tenant_id: String,
        expires_at: chrono::DateTime<chrono::Utc>,
        login_id: String,
        email: Option<String>,
    },
    Gateway {
        port: u16,
        /// The gateway's run key (`key::Keys`); only ever written to the asking user's socket.
        key: String,
    },
    Failed {
        code: ErrorCode,
        message: String,
    },
}
