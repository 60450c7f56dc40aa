//! `xero_request`: a write, sent only with the code its preview gave (`tenantry_core::confirm`),
//! to the organisation named by its whole tenant id or exact name.

use super::{Request, XeroTools, engine_failed, failed, text};
use crate::call::api_path;
use rmcp::ErrorData;
use rmcp::model::CallToolResult;
use tenantry_core::confirm::{self, Confirmations};

impl XeroTools {
    pub(super) async fn write(&self, args: Request) -> Result<CallToolResult, ErrorData> {
        let Request {
            organisation,
            method,
            path,
            query,
            body,
            confirmation,
        } = args;
        let method = method.to_ascii_uppercase();
        if !matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") {
            return failed(format!(
                "`{method}` is not a write; use POST, PUT, PATCH or DELETE (reads go through xero_get)"
            ));
        }
        let path = match api_path(&path) {
            Ok(path) => path,
            Err(why) => return failed(why),
        };
        // Exactly the organisation named, or nothing: never a prefix or a near name.
        let org = match self.engine.organisation_for_write(&organisation).await {
            Ok(org) => org,
            Err(e) => return engine_failed(&e),
        };
        let query = query.unwrap_or_default();
        let bytes = body
            .as_ref()
            .map(|b| serde_json::to_vec(b).expect("a JSON value serialises"));
        let write = confirm::Write::new(
            &org.tenant_id,
            &method,
            &path,
            &query,
            bytes.as_deref().unwrap_or_default(),
        );
        let now = self.engine.now();
        let Some(code) = confirmation else {
            let (code, until) = self.confirmations().issue(write.clone(), now);
            let preview = serde_json::json!({
                "sent": false,
                "preview": {
                    "organisation": org.name, "tenant_id": org.tenant_id, "method": method,
                    "path": path, "query": query,
                    "body": body.as_ref().map_or_else(|| "no body".to_owned(), confirm::summary),
                    "body_bytes": bytes.as_ref().map_or(0, Vec::len),
                    "body_sha256": write.body_hash(),
                },
                "confirmation": code,
                "expires_at": tenantry_core::when::utc_rfc3339(until),
                "next": format!(
                    "Nothing was sent. Show this preview to the person. Only if they agree, call xero_request again with exactly the same arguments and \"confirmation\": \"{code}\" (once, within {} minutes).",
                    confirm::VALID_FOR.num_minutes()
                ),
            });
            return Ok(CallToolResult::success(text(preview.to_string())));
        };
        if let Err(refused) = self.confirmations().redeem(&code, &write, now) {
            return failed(
                serde_json::json!({
                    "error": { "code": "confirmation_refused", "message": refused.to_string() }
                })
                .to_string(),
            );
        }
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a checked method");
        let answer = match self
            .caller
            .send(
                "xero_request",
                method.clone(),
                &org.tenant_id,
                &path,
                &query,
                bytes,
            )
            .await
        {
            Ok(answer) => answer,
            Err(e) => return failed(e),
        };
        let (status, name, tenant) = (answer.status, &org.name, &org.tenant_id);
        if !status.is_success() {
            return failed(format!(
                "{method} {path} for {name} ({tenant}): {status}: {}",
                answer.body
            ));
        }
        Ok(CallToolResult::success(text(format!(
            "Wrote to {name} ({tenant}): {method} {path} answered {status}.\n{}",
            answer.body
        ))))
    }

    fn confirmations(&self) -> std::sync::MutexGuard<'_, Confirmations> {
        self.confirmations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
