//! The Activity view's Calls tab: the call log (`tenantry_core::calls`), newest first, filtered
//! by organisation, program and how far back, each call's organisation named.

use crate::desk::Desk;
use crate::ipc::IpcError;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use tauri::State;
use tenantry_core::calls::CallFilter;
use ts_rs::TS;

/// The most calls the tab shows at once (the newest).
const SHOWN: usize = 500;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct CallView {
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    pub program: String,
    /// The MCP tool, or `each`, `call`, when Tenantry's own front end sent it.
    pub tool: Option<String>,
    /// The organisation's name, else what the call named.
    pub organisation: String,
    pub tenant_id: String,
    pub method: String,
    /// The path with its query's names, never their values.
    pub path: String,
    pub status: u16,
    #[ts(type = "number")]
    pub bytes: u64,
    pub duration_ms: u32,
    /// Practice mode: whose gateway served it, `PERSON on MACHINE`.
    pub by: Option<String>,
}

/// The newest calls, for the organisation `org` (a tenant id) and `program` (any case) when
/// given, from the last `hours` when given.
#[tauri::command]
pub async fn calls(
    desk: State<'_, Desk>,
    org: Option<String>,
    program: Option<String>,
    hours: Option<u32>,
) -> Result<Vec<CallView>, IpcError> {
    let engine = desk.engine().await?;
    let since = hours.map(|h| engine.now() - Duration::hours(i64::from(h)));
    let calls = engine
        .calls(CallFilter {
            tenant_id: org.filter(|t| !t.is_empty()).map(|t| t.to_lowercase()),
            program: program
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty()),
            since,
            limit: SHOWN,
        })
        .await?;
    Ok(calls
        .into_iter()
        .map(|c| CallView {
            organisation: c.organisation.unwrap_or_else(|| c.tenant_id.clone()),
            at: c.at,
            program: c.program,
            tool: c.tool,
            tenant_id: c.tenant_id,
            method: c.method,
            path: c.path,
            status: c.status,
            bytes: c.bytes,
            duration_ms: c.duration_ms,
            by: c.by,
        })
        .collect())
}
