//! `tenantry report`'s subcommands and the forms a report is printed in.

use clap::Subcommand;
use clap_complete::engine::ArgValueCandidates;

#[derive(Subcommand)]
pub enum Report {
    /// Who can reach which client: a row per login and organisation, with the organisations
    /// only one login reaches marked (`only_route`), and a summary by login.
    #[command(after_help = "Examples:\n  \
            tenantry report access\n  \
            tenantry report access --only-routes --login ann@example.com\n  \
            tenantry report access --format csv --excel > access.csv")]
    Access {
        /// How to print it: a table with a summary, CSV (RFC 4180, UTF-8), JSON or Markdown.
        #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
        format: ReportFormat,
        /// With CSV: begin with the byte-order mark Excel needs to read UTF-8.
        #[arg(long)]
        excel: bool,
        /// Only this login's rows (email, id or unique prefix); the summary stays the whole.
        #[arg(long, value_name = "LOGIN", add = ArgValueCandidates::new(crate::complete::logins))]
        login: Option<String>,
        /// Only the organisations no other login reaches.
        #[arg(long)]
        only_routes: bool,
    },
    /// Which logins hold the broad scopes Xero is retiring (by September 2027 every login must
    /// consent again: tokens are not upgraded), and the granular scopes that replace them.
    #[command(after_help = "Examples:\n  \
            tenantry report scopes\n  \
            tenantry report scopes --json")]
    Scopes {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Human,
    Csv,
    Json,
    Md,
}
