//! Egress as the engine keeps it: the counts the gateway adds (in a practice, to the shared
//! database, so every member machine's calls add up), and a month's report over them.

use super::Engine;
use crate::error::EngineError;
use crate::usage::{EgressCount, EgressKey, Month, UsageReport};
use std::collections::HashMap;

impl Engine {
    /// Adds counts to the store in one transaction.
    pub async fn record_egress(
        &self,
        counts: Vec<(EgressKey, EgressCount)>,
    ) -> Result<(), EngineError> {
        self.inner.db.run(move |s| s.add_egress(&counts)).await?;
        Ok(())
    }

    /// `month`'s report, against the configured allowance.
    pub async fn usage(&self, month: Month) -> Result<UsageReport, EngineError> {
        let (from, until) = (month.first_day(), month.next_first_day());
        let (counts, organisations) = self
            .inner
            .db
            .run(move |s| Ok((s.egress(from, until)?, s.organisations()?)))
            .await?;
        let names: HashMap<String, String> = organisations
            .into_iter()
            .map(|o| (o.tenant_id.to_lowercase(), o.name))
            .collect();
        Ok(crate::usage::report(
            month,
            self.now(),
            &counts,
            &names,
            self.inner.config.egress_allowance(),
        ))
    }

    /// Each organisation's egress this month (tenant id, lower case), for `status` and `orgs`.
    pub async fn egress_this_month(&self) -> Result<HashMap<String, EgressCount>, EngineError> {
        let month = Month::of(self.now());
        let (from, until) = (month.first_day(), month.next_first_day());
        let counts = self.inner.db.run(move |s| s.egress(from, until)).await?;
        let mut by_tenant: HashMap<String, EgressCount> = HashMap::new();
        for (key, count) in counts {
            by_tenant.entry(key.tenant_id).or_default().add(count);
        }
        Ok(by_tenant)
    }
}
