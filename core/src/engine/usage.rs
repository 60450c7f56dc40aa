//! Egress as the engine keeps it: the counts the gateway adds (in a practice, to the shared
//! database, so every member machine's calls add up), and a month's report over them.

use super::Engine;
use crate::error::EngineError;
use crate::model::EventKind;
use crate::usage::budget::Mark;
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
        let names = crate::model::names_by_tenant(organisations);
        Ok(crate::usage::report(
            month,
            self.now(),
            &counts,
            &names,
            self.inner.config.egress_allowance(),
        ))
    }

    /// `month`'s counts per organisation (tenant id, lower case), as the store holds them (in a
    /// practice, every machine's).
    pub async fn egress_by_tenant(
        &self,
        month: Month,
    ) -> Result<HashMap<String, EgressCount>, EngineError> {
        let (from, until) = (month.first_day(), month.next_first_day());
        Ok(self
            .inner
            .db
            .run(move |s| s.egress_by_tenant(from, until))
            .await?)
    }

    /// Says a mark passed in `month`, once: a notice noted in the store (so another process or
    /// machine, or a restart, does not say it again) and an `egress` event, which runs the
    /// `on_event` hook. `true` when it was said now.
    pub async fn say_egress_mark(&self, month: Month, mark: Mark) -> Result<bool, EngineError> {
        let now = self.now();
        let said = self
            .inner
            .db
            .run(move |s| {
                let key = mark.notice_key(month);
                if s.notices_said()?.contains_key(&key) {
                    return Ok(false);
                }
                s.record_notice(&key, now)?;
                let tenant = mark.tenant_id.as_deref();
                let name = match tenant {
                    Some(t) => s.organisation_name(t)?,
                    None => None,
                };
                s.write_event(
                    now,
                    None,
                    EventKind::Egress,
                    tenant,
                    &mark.words(name.as_deref()),
                )?;
                Ok(true)
            })
            .await?;
        Ok(said)
    }
}
