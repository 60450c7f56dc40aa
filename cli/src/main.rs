//! `tenantry`: Xero access tokens for scripts, and the state of every login, from the command
//! line. A thin layer over tenantry-core: parse the arguments, call the engine, print, and map
//! the outcome to a documented exit status (docs/CLI.md).

mod args;
mod check_cmd;
mod commands;
mod complete;
mod config_cmd;
mod connect_cmd;
#[cfg(feature = "demo")]
mod demo;
mod disconnect_cmd;
mod doctor;
mod gateway_cmd;
mod notify;
mod orgs_cmd;
mod passphrase;
mod practice_cmd;
mod render;
mod schedule_cmd;
mod status_cmd;
mod token_cmd;

pub use args::{Cli, Command, ConfigAction, PracticeAction, TokenFormat};
use clap::Parser;
use std::process::ExitCode;
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
        ErrorCode::NeedsReconnect | ErrorCode::ConnectionGone => exit::NEEDS_HUMAN,
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

/// `tenantry orgs | head -1`: once the reader has gone, end quietly as `cat` and `ls` do (the
/// shell sees the pipe signal) instead of failing a print and panicking with status 101. Every
/// change to the store is committed before anything is printed, so nothing is half-done.
/// (On Windows a closed pipe is an error a print cannot report; there it stays a panic.)
fn quiet_broken_pipe() {
    // Before any thread exists: the disposition is process-wide.
    sigpipe::reset();
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

fn main() -> ExitCode {
    quiet_broken_pipe();
    complete::answer_if_asked();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TENANTRY_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        // A log read from a pipe or a file is never coloured.
        .with_ansi(render::stderr_colour())
        .init();
    if let Command::Completions { shell } = &cli.command {
        return match complete::registration(*shell) {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => {
                eprintln!("tenantry: {}", failure.message);
                ExitCode::from(failure.status)
            }
        };
    }
    if let Some(outcome) = token_from_agent(&cli) {
        return finish(outcome);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    finish(runtime.block_on(commands::run(cli)))
}

fn finish(outcome: Result<u8, Failure>) -> ExitCode {
    match outcome {
        Ok(status) => ExitCode::from(status),
        Err(failure) => {
            eprintln!("tenantry: {}", failure.message);
            ExitCode::from(failure.status)
        }
    }
}

/// `tenantry token` answered by the token agent of a running gateway or desktop app, before a
/// runtime, the store or the keychain is opened: the hot path for scripts that call it often.
fn token_from_agent(cli: &Cli) -> Option<Result<u8, Failure>> {
    let Command::Token {
        org,
        format,
        json,
        env,
        login,
    } = &cli.command
    else {
        return None;
    };
    let paths = tenantry_core::config::ProfilePaths::resolve_with(
        &cli.profile,
        cli.config.as_deref(),
        cli.data_dir.as_deref(),
    )
    .ok()?;
    let format = TokenFormat::chosen(*format, *json, *env);
    let handed = token_cmd::from_agent(&paths, org, login.as_deref(), format == TokenFormat::Json)?;
    Some(handed.and_then(|h| token_cmd::print(format, &h)))
}
