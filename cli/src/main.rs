//! `tenantry`: Xero access tokens for scripts, and the state of every login, from the command
//! line. A thin layer over tenantry-core: parse the arguments, call the engine, print, and map
//! the outcome to a documented exit status (docs/CLI.md).

mod check_cmd;
mod commands;
mod config_cmd;
mod connect_cmd;
#[cfg(feature = "demo")]
mod demo;
mod disconnect_cmd;
mod doctor;
mod notify;
mod orgs_cmd;
mod passphrase;
mod render;
mod schedule_cmd;
mod status_cmd;

use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tenantry_core::{EngineError, ErrorCode, Fix};

/// Keeps Xero logins connected and hands out valid access tokens to scripts and tools.
///
/// A login is one Xero user; it reaches one or more organisations. Tokens live in the OS
/// keychain; Tenantry refreshes them when needed, once, even when many programs ask at the
/// same moment. Start with `tenantry demo` (no Xero app needed) or `tenantry connect`.
#[derive(Parser)]
#[command(name = "tenantry", version, about, long_about)]
pub struct Cli {
    /// Profile to use: each has its own configuration, data and keychain entries.
    #[arg(
        long,
        global = true,
        default_value = "default",
        env = "TENANTRY_PROFILE"
    )]
    profile: String,
    /// Configuration file to use instead of the profile's (also TENANTRY_CONFIG).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Data directory to use instead of the profile's (also TENANTRY_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Sign a Xero login in through your browser and list the organisations it reaches.
    Connect {
        /// The login you mean to reconnect (email, Xero user id or a unique prefix).
        #[arg(long, value_name = "LOGIN")]
        reconnect: Option<String>,
        /// Print the sign-in address instead of opening a browser.
        #[arg(long)]
        no_browser: bool,
    },
    /// Every login's health, token expiry and 60-day deadline. Exit status 3 if a human must act
    /// (a login needs reconnecting, has lapsed, or is within `notify_days` of lapsing), 5 if one
    /// is failing for a reason that may pass.
    Status {
        #[arg(long)]
        json: bool,
        /// Confirm every login at Xero first (as `tenantry check` does), then print.
        #[arg(long)]
        check: bool,
    },
    /// Every organisation across all logins, with its state and the login it goes through
    /// (optionally only those whose name or id contains FILTER). Exit status 3 if one needs a
    /// human, 5 if one is in error.
    Orgs {
        filter: Option<String>,
        /// Only organisations that are not connected.
        #[arg(long)]
        problems: bool,
        #[arg(long)]
        json: bool,
    },
    /// Confirm at Xero, now, that every login (or LOGIN) works and which organisations it still
    /// reaches; records what changed. Exit status 0 only when all of it is healthy, else 3 or 5.
    Check {
        /// Email, Xero user id or unique prefix.
        login: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print a valid access token for an organisation, refreshing it if needed.
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
    /// Run a command with XERO_ACCESS_TOKEN and XERO_TENANT_ID set; its exit status is passed on.
    Exec {
        /// Organisation name or tenant id.
        org: String,
        /// The command and its arguments (after `--`).
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// Refresh a login's tokens now (or every login with --all).
    Refresh {
        /// Email, Xero user id or unique prefix.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        login: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Refresh logins whose refresh token is older than the threshold. Quiet when all is well;
    /// for cron and timers. Exit status 3 if a login needs a human. `--install` sets up the
    /// system's scheduler to run it daily while the app is closed.
    Keepalive {
        /// Threshold in days (default: `keepalive_days` from the configuration, 45).
        #[arg(long, value_name = "DAYS")]
        older_than: Option<u32>,
        /// Run daily by the system's scheduler: a systemd user timer (else a crontab line) on
        /// Linux, a launchd agent on macOS, a Task Scheduler task on Windows. Safe to repeat.
        #[arg(long, conflicts_with_all = ["uninstall", "print", "older_than", "scheduled"])]
        install: bool,
        /// With --install or --print: which scheduler (systemd, cron, launchd, task-scheduler).
        #[arg(long, value_name = "NAME")]
        scheduler: Option<String>,
        /// Remove what --install set up (from every scheduler it is found in).
        #[arg(long, conflicts_with_all = ["print", "older_than", "scheduled"])]
        uninstall: bool,
        /// Print the files --install would write for a scheduler, and install nothing.
        #[arg(long, conflicts_with_all = ["older_than", "scheduled"])]
        print: bool,
        /// Set by the installed job, so the activity log and `doctor` can tell scheduled runs.
        #[arg(long, hide = true)]
        scheduled: bool,
    },
    /// Disconnect one organisation from a login at Xero.
    Disconnect {
        /// Organisation name or tenant id.
        org: String,
        /// The login to disconnect it from, when two logins reach it.
        #[arg(long, value_name = "LOGIN")]
        login: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// Remove a login: revoke it at Xero (dropping all its connections) and forget it here.
    Remove {
        /// Email, Xero user id or unique prefix.
        login: String,
        #[arg(long, short)]
        yes: bool,
    },
    /// The event log: connections, refreshes, failures, organisations added and removed.
    Log {
        #[arg(long, value_name = "LOGIN")]
        login: Option<String>,
        #[arg(long)]
        json: bool,
        /// How many events, newest first.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Check the set-up, each problem with its fix.
    Doctor,
    /// Show or change the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Run the built-in fake Xero with a `demo` profile, to try every command without a Xero app.
    #[cfg(feature = "demo")]
    Demo {
        /// Port for the fake Xero on 127.0.0.1.
        #[arg(long, default_value_t = 53700)]
        port: u16,
        /// Sign in automatically as this test user instead of showing the fake's login page.
        #[arg(long, value_name = "EMAIL")]
        auto_approve: Option<String>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
}

#[derive(Subcommand)]
pub enum ConfigAction {
    /// Print the configuration in effect.
    Show,
    /// Print the configuration file's path.
    Path,
    /// Set one key (e.g. `client_id ABC`, `redirect_ports 53682,53683`, `xero.api_url https://…`).
    Set { key: String, value: String },
}

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
        ErrorCode::Unreachable | ErrorCode::RateLimited => exit::UNREACHABLE,
        ErrorCode::Config => exit::CONFIG,
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

/// The command line's words for a fix.
pub fn fix_hint(fix: &Fix) -> String {
    match fix {
        Fix::ListOrganisations => "Run `tenantry orgs` to list them.".into(),
        Fix::ListLogins => "Run `tenantry status` to list them.".into(),
        Fix::Reconnect { email, .. } => format!("Run: tenantry connect --reconnect {email}"),
        Fix::ReconnectOrRemove {
            email, tenant_id, ..
        } => format!(
            "Run: tenantry connect --reconnect {email} (and tick it), or remove it from the list: tenantry disconnect {tenant_id} --login {email}"
        ),
        Fix::SetClientId => {
            "Run: tenantry config set client_id YOUR_CLIENT_ID (or try `tenantry demo`).".into()
        }
    }
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        let sentence = format!("{e}.").replace("..", ".");
        Self {
            message: match e.fix() {
                Some(fix) => format!("{sentence} {}", fix_hint(&fix)),
                None => sentence,
            },
            status: exit_status(e.code()),
        }
    }
}

#[cfg(feature = "demo")]
impl From<tenantry_demo::DemoError> for Failure {
    fn from(e: tenantry_demo::DemoError) -> Self {
        match e {
            tenantry_demo::DemoError::Setup(reason) => Self::new(exit::CONFIG, reason),
            tenantry_demo::DemoError::Engine(e) => e.into(),
        }
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
    if let Command::Completions { shell } = &cli.command {
        clap_complete::generate(
            *shell,
            &mut Cli::command(),
            "tenantry",
            &mut std::io::stdout(),
        );
        return ExitCode::SUCCESS;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(commands::run(cli)) {
        Ok(status) => ExitCode::from(status),
        Err(failure) => {
            eprintln!("tenantry: {}", failure.message);
            ExitCode::from(failure.status)
        }
    }
}
