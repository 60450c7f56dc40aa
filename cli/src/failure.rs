//! What a failed command says and the exit status it ends with: one sentence saying what went
//! wrong and what to do next, and a status from the documented table (docs/CLI.md). Every
//! engine failure's code maps to exactly one status, exhaustively.

use tenantry_core::{EngineError, ErrorCode};

/// Exit statuses (documented in docs/CLI.md and the README).
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const NEEDS_HUMAN: u8 = 3;
    pub const NOT_FOUND: u8 = 4;
    pub const UNREACHABLE: u8 = 5;
    pub const CONFIG: u8 = 6;
    pub const KEYCHAIN: u8 = 7;
    pub const STORAGE: u8 = 8;
    pub const CANCELLED: u8 = 130;
}

/// A failure: one sentence saying what went wrong and what to do next, and its exit status.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub status: u8,
}

impl Failure {
    pub fn new(status: u8, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            status,
        }
    }
}

/// The exit status for a kind of failure. Exhaustive: a new kind of failure must be given one.
pub fn exit_status(code: ErrorCode) -> u8 {
    match code {
        // A disconnected organisation waits for a person as a refused login does.
        // So does a handover whose taking-over login has not consented to every organisation.
        ErrorCode::NeedsReconnect | ErrorCode::ConnectionGone | ErrorCode::HandoverIncomplete => {
            exit::NEEDS_HUMAN
        }
        ErrorCode::UnknownOrganisation | ErrorCode::UnknownLogin | ErrorCode::Ambiguous => {
            exit::NOT_FOUND
        }
        // The practice database down is as passing as Xero down: nothing was lost, retry later.
        ErrorCode::Unreachable | ErrorCode::RateLimited | ErrorCode::DatabaseUnreachable => {
            exit::UNREACHABLE
        }
        // Joining again or a new code is a person's set-up step, as configuration is.
        ErrorCode::Config | ErrorCode::Practice => exit::CONFIG,
        // A wrong or missing passphrase is the vault's, as a locked keychain is.
        ErrorCode::Keychain | ErrorCode::Passphrase => exit::KEYCHAIN,
        ErrorCode::Storage => exit::STORAGE,
        ErrorCode::Cancelled => exit::CANCELLED,
        ErrorCode::XeroRejected
        | ErrorCode::LoginFailed
        | ErrorCode::Browser
        | ErrorCode::Platform => exit::FAILURE,
    }
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        Self {
            message: e.explained(),
            status: exit_status(e.code()),
        }
    }
}

#[cfg(feature = "demo")]
impl From<tenantry_demo::DemoError> for Failure {
    fn from(e: tenantry_demo::DemoError) -> Self {
        match e {
            tenantry_demo::DemoError::Setup(reason) => Self::new(exit::CONFIG, reason),
            running @ tenantry_demo::DemoError::AlreadyRunning { .. } => {
                Self::new(exit::FAILURE, running.to_string())
            }
            tenantry_demo::DemoError::Engine(e) => e.into(),
        }
    }
}
