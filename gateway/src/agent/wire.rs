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
    /// The organisation, as `tenantry token` takes it: name, tenant id or unique id prefix.
    pub org: String,
    /// The login to use, when two reach the organisation.
    pub login: Option<String>,
    /// Whether to say the login's email too (`--format json` prints it).
    #[serde(default)]
    pub email: bool,
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
    Failed {
        code: ErrorCode,
        message: String,
    },
}
