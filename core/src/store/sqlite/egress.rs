//! The `egress` table: calls and bytes of answers from Xero's APIs, per UTC day, organisation,
//! program and API path (`crate::usage`). Counts only grow: each write adds to its row.

use super::{Result, SqliteStore};
use crate::usage::{EgressCount, EgressKey};
use chrono::NaiveDate;
use rusqlite::params;
use std::collections::HashMap;

impl SqliteStore {
    pub(super) fn add_egress(&self, counts: &[(EgressKey, EgressCount)]) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut add = tx.prepare_cached(
                    "INSERT INTO egress (day, tenant_id, program, path, calls, wire, decoded)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT(day, tenant_id, program, path) DO UPDATE SET
                       calls = calls + excluded.calls, wire = wire + excluded.wire,
                       decoded = decoded + excluded.decoded",
                )?;
                for (k, n) in counts {
                    add.execute(params![
                        k.day.to_string(),
                        k.tenant_id.to_lowercase(),
                        k.program,
                        k.path,
                        n.calls as i64,
                        n.wire as i64,
                        n.decoded as i64,
                    ])?;
                }
            }
            tx.commit()
        })
    }

    pub(super) fn egress(
        &self,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<(EgressKey, EgressCount)>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT day, tenant_id, program, path, calls, wire, decoded FROM egress
                 WHERE day >= ?1 AND day < ?2 ORDER BY day, tenant_id, program, path",
            )?;
            stmt.query_map(params![from.to_string(), until.to_string()], |row| {
                let day: String = row.get(0)?;
                let day = day.parse::<NaiveDate>().map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        0,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?;
                Ok((
                    EgressKey {
                        day,
                        tenant_id: row.get(1)?,
                        program: row.get(2)?,
                        path: row.get(3)?,
                    },
                    EgressCount {
                        calls: row.get::<_, i64>(4)? as u64,
                        wire: row.get::<_, i64>(5)? as u64,
                        decoded: row.get::<_, i64>(6)? as u64,
                    },
                ))
            })?
            .collect()
        })
    }

    pub(super) fn egress_by_tenant(
        &self,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<HashMap<String, EgressCount>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT tenant_id, SUM(calls), SUM(wire), SUM(decoded) FROM egress
                 WHERE day >= ?1 AND day < ?2 GROUP BY tenant_id",
            )?;
            stmt.query_map(params![from.to_string(), until.to_string()], |row| {
                Ok((
                    row.get(0)?,
                    EgressCount {
                        calls: row.get::<_, i64>(1)? as u64,
                        wire: row.get::<_, i64>(2)? as u64,
                        decoded: row.get::<_, i64>(3)? as u64,
                    },
                ))
            })?
            .collect()
        })
    }
}
