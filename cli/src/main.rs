//! `tenantry`: Xero access tokens for scripts, and the state of every login, from the command
//! line. A thin layer over tenantry-core: parse the arguments, call the engine, print, and map
//! errors to documented exit statuses.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tenantry_core::profile::Profile;
use tenantry_core::{Engine, EngineError};

/// Keeps Xero logins connected and hands out valid access tokens.
#[derive(Parser)]
#[command(name = "tenantry", version, about)]
struct Cli {
    /// Profile to use (each has its own configuration, data and keychain entries).
    #[arg(
        long,
        global = true,
        default_value = "default",
        env = "TENANTRY_PROFILE"
    )]
    profile: String,
    /// Configuration file to use instead of the profile's (also: TENANTRY_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a valid access token for an organisation (by name or tenant id), refreshing if needed.
    Token {
        /// Organisation name (case-insensitive, unique) or tenant id.
        org: String,
        /// Print JSON with the token, tenant id, expiry and login.
        #[arg(long, conflicts_with = "env")]
        json: bool,
        /// Print `export` lines for XERO_ACCESS_TOKEN and XERO_TENANT_ID.
        #[arg(long)]
        env: bool,
    },
}

/// Exit statuses (documented in docs/CLI.md).
mod exit {
    pub const FAILURE: u8 = 1;
    pub const NEEDS_HUMAN: u8 = 3;
    pub const NOT_FOUND: u8 = 4;
    pub const UNREACHABLE: u8 = 5;
    pub const CONFIG: u8 = 6;
    pub const KEYCHAIN: u8 = 7;
}

fn exit_status(e: &EngineError) -> u8 {
    match e.code() {
        "needs_reconnect" => exit::NEEDS_HUMAN,
        "unknown_organisation" | "unknown_login" | "ambiguous" => exit::NOT_FOUND,
        "unreachable" | "rate_limited" => exit::UNREACHABLE,
        "config" => exit::CONFIG,
        "keychain" => exit::KEYCHAIN,
        _ => exit::FAILURE,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TENANTRY_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tenantry: {e}");
            ExitCode::from(exit_status(&e))
        }
    }
}

async fn run(cli: Cli) -> Result<(), EngineError> {
    let profile = Profile::load(&cli.profile, cli.config.as_deref())?;
    let engine: Engine = profile.open_engine()?;
    match cli.command {
        Command::Token { org, json, env } => {
            let tenant = engine.resolve_organisation(&org)?;
            let grant = engine.access_token_for(&tenant).await?;
            if json {
                let login = engine
                    .logins()?
                    .into_iter()
                    .find(|l| l.id == grant.login_id);
                let value = serde_json::json!({
                    "access_token": grant.access_token.expose(),
                    "tenant_id": grant.tenant_id,
                    "expires_at": grant.expires_at.to_rfc3339(),
                    "login": { "id": grant.login_id.as_str(), "email": login.map(|l| l.email) },
                });
                println!("{value}");
            } else if env {
                println!("export XERO_ACCESS_TOKEN='{}'", grant.access_token.expose());
                println!("export XERO_TENANT_ID='{}'", grant.tenant_id);
            } else {
                println!("{}", grant.access_token.expose());
            }
        }
    }
    Ok(())
}
