//! The command line's grammar: every command, argument and flag with the help a newcomer reads.
//! Kept apart from `main.rs` so the words people see are in one place; docs/CLI.md mirrors them.

use clap::{Parser, Subcommand};
use clap_complete::engine::ArgValueCandidates;
use std::path::PathBuf;

mod actions;
mod call;
mod connect;
mod each;
mod log;
mod read;
mod report;
pub use actions::{ConfigAction, PracticeAction, TokenFormat};
pub use call::CallArgs;
pub use connect::ConnectArgs;
pub use each::{EachArgs, EachFormat};
pub use log::LogArgs;
pub use report::{Report, ReportFormat};

const GLOBAL: &str = "Global options";

/// Keeps Xero logins connected and hands out valid access tokens to scripts and tools.
///
/// A login is one Xero user; it reaches one or more organisations (Xero's tenants). Tokens live
/// in the OS keychain; Tenantry refreshes them when needed, once, even when many programs ask at
/// the same moment, and keeps every login alive before Xero's 60-day limit.
#[derive(Parser)]
#[command(
    name = "tenantry",
    version,
    about = "Keeps Xero logins connected and hands out valid access tokens to scripts and tools.",
    long_about,
    after_help = "Start with `tenantry demo` (no Xero app needed) or `tenantry connect`.\n\
                  Exit statuses: 0 ok, 1 failure, 2 usage, 3 a person must act, 4 not found, \
                  5 Xero unreachable (try later), 6 configuration, 7 keychain, 8 storage.\n\
                  More: docs/CLI.md, or `tenantry help COMMAND`."
)]
pub struct Cli {
    /// Profile to use: each has its own configuration, data and keychain entries. A file named by
    /// --config or TENANTRY_CONFIG wins over the profile's own (a note says so).
    #[arg(
        long,
        global = true,
        default_value = "default",
        env = "TENANTRY_PROFILE",
        value_name = "NAME",
        help_heading = GLOBAL
    )]
    pub profile: String,
    /// Configuration file to use instead of the profile's (also TENANTRY_CONFIG).
    #[arg(long, global = true, value_name = "PATH", help_heading = GLOBAL)]
    pub config: Option<PathBuf>,
    /// Data directory to use instead of the profile's (also TENANTRY_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR", help_heading = GLOBAL)]
    pub data_dir: Option<PathBuf>,
    /// Whether `--profile` was on the command line (not clap's default or the environment).
    #[arg(skip)]
    pub profile_given: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Sign a Xero login in through your browser and list the organisations it reaches.
    #[command(
        visible_alias = "login",
        after_help = "Examples:\n  \
            tenantry connect\n  \
            tenantry connect --reconnect ann@example.com\n  \
            tenantry connect --reconnect ann@example.com --scope accounting.invoices\n  \
            tenantry connect --custom-connection --client-id 0A1B2C…\n  \
            tenantry connect --no-browser        # print the address, open it where you like"
    )]
    Connect(ConnectArgs),
    /// Every login's health, token expiry and 60-day deadline. Exit status 3 if a human must act
    /// (a login needs reconnecting, has lapsed, or is within `notify_days` of lapsing), 5 if one
    /// is failing for a reason that may pass.
    #[command(after_help = "Examples:\n  \
            tenantry status\n  \
            tenantry status --check              # ask Xero first\n  \
            tenantry status --json | jq '.logins[] | select(.state != \"connected\")'")]
    Status {
        /// Print JSON (fields in docs/CLI.md) instead of a table.
        #[arg(long)]
        json: bool,
        /// Confirm every login at Xero first (as `tenantry check` does), then print.
        #[arg(long)]
        check: bool,
    },
    /// Every organisation across all logins, with its state and the login it goes through.
    /// Exit status 3 if one needs a human, 5 if one is in error.
    #[command(after_help = "Examples:\n  \
            tenantry orgs\n  \
            tenantry orgs harbour                # names or ids containing `harbour`\n  \
            tenantry orgs --problems --json")]
    Orgs {
        /// Show only organisations whose name or tenant id contains this text.
        filter: Option<String>,
        /// Only organisations that are not connected.
        #[arg(long)]
        problems: bool,
        /// Print JSON (fields in docs/CLI.md) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Confirm at Xero, now, that every login (or LOGIN) works and which organisations it still
    /// reaches; records what changed. Exit status 0 only when all of it is healthy, else 3 or 5.
    #[command(after_help = "Examples:\n  \
            tenantry check\n  \
            tenantry check ann@example.com --json")]
    Check {
        /// The login to check (email, Xero user id or a unique prefix); every login if omitted.
        #[arg(add = ArgValueCandidates::new(crate::complete::logins))]
        login: Option<String>,
        /// Print JSON instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Print a valid access token for an organisation, refreshing it if needed.
    #[command(after_help = "Examples:\n  \
            curl -H \"$(tenantry token 'Harbour Cafe' --format header)\" -H \"xero-tenant-id: $TENANT\" …\n  \
            eval \"$(tenantry token 'Harbour Cafe' --format env)\"\n  \
            tenantry token 'Harbour Cafe' --format fish | source\n  \
            tenantry token 'Harbour Cafe' --format powershell | Invoke-Expression\n  \
            tenantry token 9f1c --login ann@example.com --format json")]
    Token {
        /// Organisation: its name (any case), its tenant id, or a unique prefix of the id.
        #[arg(add = ArgValueCandidates::new(crate::complete::organisations))]
        org: String,
        /// How to print it (default: the bare token).
        #[arg(long, value_enum, value_name = "FORMAT", conflicts_with_all = ["json", "env"])]
        format: Option<TokenFormat>,
        /// Same as `--format json`.
        #[arg(long, conflicts_with = "env")]
        json: bool,
        /// Same as `--format env`.
        #[arg(long)]
        env: bool,
        /// The login to use for an organisation two logins reach (email, id or unique prefix).
        #[arg(long, value_name = "LOGIN", add = ArgValueCandidates::new(crate::complete::logins))]
        login: Option<String>,
    },
    /// Run a command with XERO_ACCESS_TOKEN, XERO_ACCESS_TOKEN_EXPIRES_AT and XERO_TENANT_ID
    /// set; its exit status is passed on (127: not found, 126: cannot be run).
    #[command(after_help = "Examples:\n  \
            tenantry exec 'Harbour Cafe' -- python3 sync.py\n  \
            tenantry exec 9f1c --login ann@example.com -- ./report.sh --month 11")]
    Exec {
        /// Organisation: its name (any case), its tenant id, or a unique prefix of the id.
        #[arg(add = ArgValueCandidates::new(crate::complete::organisations))]
        org: String,
        /// The login to use for an organisation two logins reach (email, id or unique prefix).
        #[arg(long, value_name = "LOGIN", add = ArgValueCandidates::new(crate::complete::logins))]
        login: Option<String>,
        /// The command and its arguments (after `--`).
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// One call to Xero's API for an organisation, through the gateway's budgets; Xero's answer
    /// is printed. A write is previewed and sent only with --yes or once you type the
    /// organisation's name.
    #[command(after_help = "Examples:\n  \
            tenantry call 'Harbour Cafe' GET /api.xro/2.0/Invoices --query page=1\n  \
            tenantry call 'Harbour Cafe Ltd' PUT /api.xro/2.0/Contacts --body contact.json")]
    Call(CallArgs),
    /// One read sent to many organisations at once, within Xero's limits (through the gateway's
    /// budgets); a result per organisation, and exit 0 only if every one succeeded.
    #[command(after_help = "Examples:\n  \
            tenantry each --all -- GET /api.xro/2.0/Organisation\n  \
            tenantry each --login ann@example.com --format ndjson -- GET '/api.xro/2.0/Invoices?where=Status==\"AUTHORISED\"'\n  \
            tenantry each --all --all-pages --format csv --pick '$.Contacts[*].Name' -- GET /api.xro/2.0/Contacts")]
    Each(EachArgs),
    /// Refresh a login's tokens now (or every login with --all).
    #[command(after_help = "Examples:\n  \
            tenantry refresh ann@example.com\n  \
            tenantry refresh --all")]
    Refresh {
        /// The login to refresh (email, Xero user id or a unique prefix).
        #[arg(
            required_unless_present = "all",
            conflicts_with = "all",
            add = ArgValueCandidates::new(crate::complete::logins)
        )]
        login: Option<String>,
        /// Refresh every login, 8 at a time.
        #[arg(long)]
        all: bool,
    },
    /// Serve the Xero API to programs on this computer: they send Xero's requests to
    /// http://127.0.0.1:53710 with the gateway key as their bearer token and the organisation
    /// (tenant id or name) as `xero-tenant-id`; Tenantry adds the right token and keeps every
    /// program inside Xero's limits. Also answers `tenantry token` from memory while it runs.
    #[command(after_help = "Examples:\n  \
            tenantry gateway\n  \
            tenantry gateway --print-key\n  \
            curl -H \"Authorization: Bearer $(tenantry gateway --print-key)\" \\\n       \
                 -H 'xero-tenant-id: Harbour Cafe' http://127.0.0.1:53710/api.xro/2.0/Organisation")]
    Gateway {
        /// Port on 127.0.0.1 (default: the `gateway_port` setting, 53710).
        #[arg(long)]
        port: Option<u16>,
        /// Print the gateway key (made on first use, kept in the keychain) and exit.
        #[arg(long, conflicts_with = "rotate_key")]
        print_key: bool,
        /// Replace the gateway key with a new one, print it, and exit; programs given the old
        /// key are refused once the gateway restarts.
        #[arg(long)]
        rotate_key: bool,
    },
    /// Practice mode: several machines sharing one practice database (`database_url`). Make the
    /// practice on the first machine, then invite and join each other machine.
    #[command(after_help = "Examples:\n  \
            tenantry config set database_url postgres://ann@db.example.com:5432/practice\n  \
            tenantry practice init\n  \
            tenantry practice invite\n  \
            tenantry practice join 7KQ2M-XR4TB-9DHZC-PW3NA-VJ6YE-G\n  \
            tenantry practice members\n  \
            tenantry practice migrate\n  \
            tenantry practice rotate-key")]
    Practice {
        #[command(subcommand)]
        action: PracticeAction,
    },
    /// A Model Context Protocol server on stdin/stdout for AI assistants: every organisation,
    /// read through Xero's APIs with tokens kept fresh and calls held to Xero's limits (through
    /// the running gateway, else one of its own). Writes only with --allow-writes.
    #[command(after_help = "Examples:\n  \
            tenantry mcp\n  \
            tenantry mcp --allow-writes\n\
            In an assistant's MCP settings: command `tenantry`, arguments `mcp`.")]
    Mcp {
        /// Also offer `xero_request`, for POST, PUT, PATCH and DELETE calls.
        #[arg(long)]
        allow_writes: bool,
    },
    /// Refresh logins whose refresh token is older than the threshold. Quiet when all is well;
    /// for cron and timers. Exit status 3 if a login needs a human. `--install` sets up the
    /// system's scheduler to run it daily while the app is closed.
    #[command(after_help = "Examples:\n  \
            tenantry keepalive\n  \
            tenantry keepalive --install\n  \
            tenantry keepalive --print --scheduler cron")]
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
    #[command(after_help = "Examples:\n  \
            tenantry disconnect 'Harbour Cafe'\n  \
            tenantry disconnect 9f1c --login ann@example.com --yes")]
    Disconnect {
        /// Organisation: its name (any case), its tenant id, or a unique prefix of the id.
        #[arg(add = ArgValueCandidates::new(crate::complete::organisations))]
        org: String,
        /// The login to disconnect it from, when two logins reach it.
        #[arg(long, value_name = "LOGIN", add = ArgValueCandidates::new(crate::complete::logins))]
        login: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// Remove a login: revoke it at Xero (dropping all its connections) and forget it here.
    #[command(
        visible_alias = "logout",
        after_help = "Example:\n  tenantry remove ann@example.com --yes"
    )]
    Remove {
        /// The login to remove (email, Xero user id or a unique prefix).
        #[arg(add = ArgValueCandidates::new(crate::complete::logins))]
        login: String,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// What Xero's APIs sent back through the gateway this month (or --month), by organisation and
    /// by program, against your tier's egress allowance, with the month's projection.
    #[command(after_help = "Examples:\n  \
            tenantry usage\n  \
            tenantry usage --top\n  \
            tenantry usage --month 2026-11 --json")]
    Usage {
        /// A past month, as YYYY-MM (UTC months; the current one when left out).
        #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
        month: Option<tenantry_core::usage::Month>,
        /// Also name the programs and API paths that downloaded most.
        #[arg(long)]
        top: bool,
        /// Print JSON (fields in docs/CLI.md) instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Hand the organisations only FROM reaches over to TO (someone leaves): TO signs in and
    /// consents to them, and FROM is removed (revoked at Xero) only once none would be lost.
    /// Run it again to continue where it stopped.
    #[command(after_help = "Examples:\n  \
            tenantry handover ann@example.com ben@example.com\n  \
            tenantry handover ann@example.com ben@example.com --yes\n  \
            tenantry handover ann@example.com ben@example.com --force \"Old Client Ltd\"")]
    Handover {
        /// The login leaving (email, Xero user id or a unique prefix).
        #[arg(add = ArgValueCandidates::new(crate::complete::logins))]
        from: String,
        /// The login taking over.
        #[arg(add = ArgValueCandidates::new(crate::complete::logins))]
        to: String,
        /// Remove FROM without asking, once nothing would be lost.
        #[arg(long, short)]
        yes: bool,
        /// Remove FROM although this organisation would be lost (tenant id or exact name;
        /// repeatable): the list must be exactly those that would be.
        #[arg(long, value_name = "ORG")]
        force: Vec<String>,
        /// Print TO's sign-in address instead of opening a browser.
        #[arg(long)]
        no_browser: bool,
    },
    /// Reports for a practice: who can reach which client (`access`), which logins hold scopes
    /// Xero is retiring (`scopes`).
    #[command(subcommand)]
    Report(Report),
    /// The event log: connections, refreshes, failures, organisations added and removed; with
    /// --calls, the call log: every call programs made through the gateway.
    #[command(after_help = "Examples:\n  \
            tenantry log --limit 20\n  \
            tenantry log --login ann@example.com --json\n  \
            tenantry log --calls --org 'Harbour Cafe' --since 7d\n  \
            tenantry log --calls --program python3 --json")]
    Log(LogArgs),
    /// Check the set-up (configuration, keychain, data, scheduler), each problem with its fix.
    Doctor,
    /// Show or change the configuration.
    #[command(after_help = "Examples:\n  \
            tenantry config set client_id ABC123\n  \
            tenantry config get redirect_ports\n  \
            tenantry config unset bounce_url\n  \
            tenantry config keys")]
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Run the built-in fake Xero with a `demo` profile, to try every command without a Xero app.
    #[cfg(feature = "demo")]
    #[command(after_help = "Example:\n  \
            tenantry demo &\n  \
            tenantry --profile demo orgs")]
    Demo {
        /// Port for the fake Xero on 127.0.0.1.
        #[arg(long, default_value_t = 53700)]
        port: u16,
        /// Sign in automatically as this test user instead of showing the fake's login page.
        #[arg(long, value_name = "EMAIL")]
        auto_approve: Option<String>,
    },
    /// Print the shell's completion registration: commands, flags, and your organisations and
    /// logins by name, read from the profile as you type.
    #[command(after_help = "Examples:\n  \
            tenantry completions bash > ~/.local/share/bash-completion/completions/tenantry\n  \
            tenantry completions zsh > ~/.zfunc/_tenantry\n  \
            tenantry completions fish > ~/.config/fish/completions/tenantry.fish")]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
}

fn parse_month(s: &str) -> Result<tenantry_core::usage::Month, tenantry_core::usage::BadMonth> {
    s.parse()
}
