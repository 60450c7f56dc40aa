//! `xero_get_each`: the same read to many organisations (`crate::each`), its bodies bounded.

use super::{EACH_LIMIT, GetEach, XeroTools, engine_failed, failed, text};
use crate::call::api_path;
use crate::each::{Reply, bounded, each};
use futures_util::StreamExt;
use rmcp::ErrorData;
use rmcp::model::CallToolResult;
use tenantry_core::fanout;

impl XeroTools {
    pub(super) async fn get_each(&self, args: GetEach) -> Result<CallToolResult, ErrorData> {
        let GetEach {
            organisations,
            path,
            query,
            all_pages,
        } = args;
        let path = match api_path(&path) {
            Ok(path) => path,
            Err(why) => return failed(why),
        };
        let selection = match organisations.as_slice() {
            [] => return failed("name the organisations to read, or [\"all\"]"),
            [all] if all.eq_ignore_ascii_case("all") => fanout::Selection::All,
            named => {
                // Every name must be one organisation, or nothing is sent.
                let mut tenants = Vec::new();
                for org in named {
                    match self.engine.resolve_organisation(org).await {
                        Ok(tenant) => tenants.push(tenant),
                        Err(e) => return engine_failed(&e),
                    }
                }
                fanout::Selection::Tenants(tenants)
            }
        };
        let overview = match self.engine.overview().await {
            Ok(o) => o,
            Err(e) => return engine_failed(&e),
        };
        let targets = fanout::targets(&overview.organisations, &selection);
        let query = query.unwrap_or_default();
        let mut replies: Vec<(usize, Reply)> = each(
            &self.caller,
            "xero_get_each",
            targets,
            &path,
            &query,
            all_pages,
        )
        .collect()
        .await;
        replies.sort_by_key(|(i, _)| *i);
        let (results, cut) = bounded(replies.into_iter().map(|(_, r)| r).collect(), EACH_LIMIT);
        let failed = results.iter().filter(|r| !r.ok).count();
        let note = match (cut, failed) {
            (0, 0) => format!("{} organisations answered", results.len()),
            (0, f) => format!(
                "{f} of {} organisations failed; see each error",
                results.len()
            ),
            (c, f) => format!(
                "{c} bodies were left out (past {} KB in all): ask for fewer organisations, or a narrower query (where, page); {f} failed",
                EACH_LIMIT / 1024
            ),
        };
        Ok(CallToolResult::success(text(
            serde_json::json!({ "results": results, "cut": cut, "note": note }).to_string(),
        )))
    }
}
