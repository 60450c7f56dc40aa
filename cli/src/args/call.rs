//! `tenantry call`'s arguments: one call to Xero's API, a write confirmed first.

use clap::Args;
use clap_complete::engine::ArgValueCandidates;
use std::path::PathBuf;

#[derive(Args)]
pub struct CallArgs {
    /// Organisation: for a read, its name (any case), tenant id or a unique id prefix; for a
    /// write, only its whole tenant id or exact name.
    #[arg(add = ArgValueCandidates::new(crate::complete::organisations))]
    pub org: String,
    /// GET, POST, PUT, PATCH or DELETE (Xero's PUT and POST both create records).
    #[arg(value_name = "METHOD")]
    pub method: String,
    /// Xero's path, e.g. /api.xro/2.0/Invoices.
    #[arg(value_name = "PATH")]
    pub path: String,
    /// A query parameter (repeatable), e.g. --query 'where=Status=="AUTHORISED"'.
    #[arg(long = "query", value_name = "NAME=VALUE")]
    pub query: Vec<String>,
    /// The JSON body, from a file or - for standard input.
    #[arg(long, value_name = "FILE")]
    pub body: Option<PathBuf>,
    /// Send a write without asking for the organisation's name (the preview is still printed).
    #[arg(long)]
    pub yes: bool,
}
