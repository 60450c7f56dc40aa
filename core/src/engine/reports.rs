//! The reports a practice reads ([`crate::report`]), from one overview and, for who connected
//! each organisation, the event log: the CLI and the window each only word them.

use super::Engine;
use crate::error::EngineError;
use crate::report::access::{AccessReport, Only, access};
use crate::report::scopes::{LoginScopes, scopes};

/// How many of the newest events are read for who connected each organisation.
const EVENTS_READ: usize = 10_000;

impl Engine {
    /// Who can reach which client (`only` keeps some rows; the summary stays the whole).
    pub async fn access_report(&self, only: &Only) -> Result<AccessReport, EngineError> {
        let overview = self.overview().await?;
        let events = self.events(None, EVENTS_READ).await?;
        Ok(access(&overview, &events, only))
    }

    /// Every login's scopes, with those Xero is retiring.
    pub async fn scopes_report(&self) -> Result<Vec<LoginScopes>, EngineError> {
        Ok(scopes(&self.overview().await?))
    }
}
