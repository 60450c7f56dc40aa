//! The call log's reads and writes (`crate::calls`), on the store's blocking threads.

use super::Engine;
use crate::calls::{CallFilter, CallRecord, keep_from};
use crate::error::EngineError;

impl Engine {
    /// Appends calls the gateway served, in one transaction.
    pub async fn record_calls(&self, calls: Vec<CallRecord>) -> Result<(), EngineError> {
        self.inner.db.run(move |s| s.add_calls(&calls)).await?;
        Ok(())
    }

    /// The newest calls `filter` names, newest first, each with its organisation's name where
    /// an organisation has that tenant id.
    pub async fn calls(&self, filter: CallFilter) -> Result<Vec<CallRecord>, EngineError> {
        let (mut calls, organisations) = self
            .inner
            .db
            .run(move |s| Ok((s.calls(&filter)?, s.organisations()?)))
            .await?;
        let names = crate::model::names_by_tenant(organisations);
        for call in &mut calls {
            call.organisation = names.get(&call.tenant_id).cloned();
        }
        Ok(calls)
    }

    /// Forgets the calls older than `call_log_days`; how many there were. (The gateway does not
    /// ask with the log off.)
    pub async fn forget_old_calls(&self) -> Result<u64, EngineError> {
        let before = keep_from(self.now(), self.config().call_log_days);
        Ok(self.inner.db.run(move |s| s.forget_calls(before)).await?)
    }
}
