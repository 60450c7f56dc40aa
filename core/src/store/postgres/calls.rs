//! The call log on PostgreSQL, as the SQLite store's `calls.rs`, each row marked with the person
//! and machine whose gateway served it.

use super::Sql;
use crate::calls::{CallFilter, CallRecord};
use crate::store::{from_ms, ms};
use chrono::{DateTime, Utc};
use postgres::Client;

pub(super) fn add(c: &mut Client, calls: &[CallRecord], by: Option<(&str, &str)>) -> Sql<()> {
    let (person, machine) = (by.map(|b| b.0), by.map(|b| b.1));
    let mut tx = c.transaction()?;
    let add = tx.prepare(
        "INSERT INTO calls (at, program, tool, tenant_id, method, path, status, bytes, duration_ms, person, machine)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )?;
    for call in calls {
        tx.execute(
            &add,
            &[
                &ms(call.at),
                &call.program,
                &call.tool,
                &call.tenant_id,
                &call.method,
                &call.path,
                &i32::from(call.status),
                &(call.bytes as i64),
                &(call.duration_ms as i32),
                &person,
                &machine,
            ],
        )?;
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn newest(c: &mut Client, filter: &CallFilter) -> Sql<Vec<CallRecord>> {
    c.query(
        "SELECT at, program, tool, tenant_id, method, path, status, bytes, duration_ms, person, machine
         FROM calls
         WHERE ($1::TEXT IS NULL OR tenant_id = $1) AND ($2::TEXT IS NULL OR lower(program) = lower($2))
           AND ($3::BIGINT IS NULL OR at >= $3)
         ORDER BY at DESC, id DESC LIMIT $4",
        &[
            &filter.tenant_id,
            &filter.program,
            &filter.since.map(ms),
            &(filter.limit as i64),
        ],
    )?
    .iter()
    .map(|row| {
        Ok(CallRecord {
            at: from_ms(row.try_get(0)?),
            program: row.try_get(1)?,
            tool: row.try_get(2)?,
            tenant_id: row.try_get(3)?,
            method: row.try_get(4)?,
            path: row.try_get(5)?,
            status: row.try_get::<_, i32>(6)? as u16,
            bytes: row.try_get::<_, i64>(7)? as u64,
            duration_ms: row.try_get::<_, i32>(8)? as u32,
            by: match (
                row.try_get::<_, Option<String>>(9)?,
                row.try_get::<_, Option<String>>(10)?,
            ) {
                (Some(person), Some(machine)) => Some(format!("{person} on {machine}")),
                _ => None,
            },
            organisation: None,
        })
    })
    .collect()
}

pub(super) fn forget(c: &mut Client, before: DateTime<Utc>) -> Sql<u64> {
    Ok(c.execute("DELETE FROM calls WHERE at < $1", &[&ms(before)])?)
}
