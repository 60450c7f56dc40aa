//! `tenantry log`'s arguments: the event log, or with --calls the call log.

use clap::Args;
use clap_complete::engine::ArgValueCandidates;

#[derive(Args)]
pub struct LogArgs {
    /// Only this login's events (email, id or unique prefix; a removed login's email or id).
    #[arg(long, value_name = "LOGIN", conflicts_with = "calls", add = ArgValueCandidates::new(crate::complete::logins))]
    pub login: Option<String>,
    /// The call log instead: every call programs made through the gateway (`tenantry each`,
    /// `call` and MCP's tools too), newest first.
    #[arg(long)]
    pub calls: bool,
    /// With --calls: only this organisation's (name, tenant id or unique id prefix).
    #[arg(long, value_name = "ORG", requires = "calls", add = ArgValueCandidates::new(crate::complete::organisations))]
    pub org: Option<String>,
    /// With --calls: only this program's (as the log names it, any case).
    #[arg(long, value_name = "PROGRAM", requires = "calls")]
    pub program: Option<String>,
    /// With --calls: only calls since then: a span back from now (`30m`, `24h`, `7d`), a local
    /// date (`2026-12-01`), or an RFC 3339 time.
    #[arg(long, value_name = "WHEN", requires = "calls")]
    pub since: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// How many, newest first (at least 1).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
}
