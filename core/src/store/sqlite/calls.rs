//! The `calls` table: the call log (`crate::calls`), a row per call through the gateway.

use super::{Result, SqliteStore, from_ms, ms};
use crate::calls::{CallFilter, CallRecord};
use chrono::{DateTime, Utc};
use rusqlite::params;

impl SqliteStore {
    pub(super) fn add_calls(&self, calls: &[CallRecord]) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut add = tx.prepare_cached(
                    "INSERT INTO calls (at, program, tool, tenant_id, method, path, status, bytes, duration_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?;
                for call in calls {
                    add.execute(params![
                        ms(call.at),
                        call.program,
                        call.tool,
                        call.tenant_id,
                        call.method,
                        call.path,
                        call.status,
                        call.bytes as i64,
                        call.duration_ms,
                    ])?;
                }
            }
            tx.commit()
        })
    }

    pub(super) fn calls(&self, filter: &CallFilter) -> Result<Vec<CallRecord>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT at, program, tool, tenant_id, method, path, status, bytes, duration_ms FROM calls
                 WHERE (?1 IS NULL OR tenant_id = ?1) AND (?2 IS NULL OR lower(program) = lower(?2))
                   AND (?3 IS NULL OR at >= ?3)
                 ORDER BY at DESC, id DESC LIMIT ?4",
            )?;
            stmt.query_map(
                params![
                    filter.tenant_id,
                    filter.program,
                    filter.since.map(ms),
                    filter.limit as i64
                ],
                |row| {
                    Ok(CallRecord {
                        at: from_ms(row.get(0)?),
                        program: row.get(1)?,
                        tool: row.get(2)?,
                        tenant_id: row.get(3)?,
                        method: row.get(4)?,
                        path: row.get(5)?,
                        status: row.get(6)?,
                        bytes: row.get::<_, i64>(7)? as u64,
                        duration_ms: row.get(8)?,
                        by: None,
                        organisation: None,
                    })
                },
            )?
            .collect()
        })
    }

    pub(super) fn forget_calls(&self, before: DateTime<Utc>) -> Result<u64> {
        self.with(|c| Ok(c.execute("DELETE FROM calls WHERE at < ?1", params![ms(before)])? as u64))
    }
}
