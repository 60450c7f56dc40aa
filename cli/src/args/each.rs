//! `tenantry each`'s arguments: one read sent to many organisations.

use clap::{Args, ValueEnum};
use clap_complete::engine::ArgValueCandidates;

#[derive(Args)]
pub struct EachArgs {
    /// Organisations: names (any case), tenant ids or unique id prefixes. Or --all, --problems
    /// or --login.
    #[arg(add = ArgValueCandidates::new(crate::complete::organisations))]
    pub orgs: Vec<String>,
    /// Every organisation some login reaches.
    #[arg(long, conflicts_with_all = ["orgs", "problems", "login"])]
    pub all: bool,
    /// The organisations not simply connected (as `tenantry orgs --problems` lists them).
    #[arg(long, conflicts_with_all = ["orgs", "login"])]
    pub problems: bool,
    /// The organisations this login reaches (email, id or unique prefix).
    #[arg(long, value_name = "LOGIN", conflicts_with = "orgs", add = ArgValueCandidates::new(crate::complete::logins))]
    pub login: Option<String>,
    /// json: an array in the organisations' order; ndjson: a line per organisation as each
    /// finishes; csv: a row per picked value (needs --pick).
    #[arg(long, value_enum, default_value_t = EachFormat::Json)]
    pub format: EachFormat,
    /// A JSONPath (RFC 9535) whose values become a CSV column (repeatable), e.g.
    /// '$.Invoices[*].Total'.
    #[arg(long, value_name = "JSONPATH")]
    pub pick: Vec<String>,
    /// Follow Xero's `page` parameter until the last page, and join the pages' records.
    #[arg(long)]
    pub all_pages: bool,
    /// The read, after `--`: GET and Xero's path with its query.
    #[arg(last = true, required = true, value_name = "GET PATH")]
    pub call: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EachFormat {
    Json,
    Ndjson,
    Csv,
}
