//! Egress counts on PostgreSQL, as the SQLite store's `egress.rs`: every member machine's gateway
//! adds to the same rows, so the practice's month is one count.

use super::{Fault, Sql};
use crate::usage::{EgressCount, EgressKey};
use chrono::NaiveDate;
use postgres::Client;
use std::collections::HashMap;

pub(super) fn add_egress(c: &mut Client, counts: &[(EgressKey, EgressCount)]) -> Sql<()> {
    let mut tx = c.transaction()?;
    let add = tx.prepare(
        "INSERT INTO egress (day, tenant_id, program, path, calls, wire, decoded)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (day, tenant_id, program, path) DO UPDATE SET
           calls = egress.calls + EXCLUDED.calls, wire = egress.wire + EXCLUDED.wire,
           decoded = egress.decoded + EXCLUDED.decoded",
    )?;
    for (k, n) in counts {
        tx.execute(
            &add,
            &[
                &k.day.to_string(),
                &k.tenant_id.to_lowercase(),
                &k.program,
                &k.path,
                &(n.calls as i64),
                &(n.wire as i64),
                &(n.decoded as i64),
            ],
        )?;
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn egress(
    c: &mut Client,
    from: NaiveDate,
    until: NaiveDate,
) -> Sql<Vec<(EgressKey, EgressCount)>> {
    c.query(
        "SELECT day, tenant_id, program, path, calls, wire, decoded FROM egress
         WHERE day >= $1 AND day < $2 ORDER BY day, tenant_id, program, path",
        &[&from.to_string(), &until.to_string()],
    )?
    .iter()
    .map(|row| {
        let day: String = row.try_get(0)?;
        Ok((
            EgressKey {
                day: day.parse().map_err(|e: chrono::ParseError| {
                    Fault::Data(format!("egress day {day}: {e}"))
                })?,
                tenant_id: row.try_get(1)?,
                program: row.try_get(2)?,
                path: row.try_get(3)?,
            },
            EgressCount {
                calls: row.try_get::<_, i64>(4)? as u64,
                wire: row.try_get::<_, i64>(5)? as u64,
                decoded: row.try_get::<_, i64>(6)? as u64,
            },
        ))
    })
    .collect()
}

pub(super) fn egress_by_tenant(
    c: &mut Client,
    from: NaiveDate,
    until: NaiveDate,
) -> Sql<HashMap<String, EgressCount>> {
    c.query(
        "SELECT tenant_id, SUM(calls)::BIGINT, SUM(wire)::BIGINT, SUM(decoded)::BIGINT FROM egress
         WHERE day >= $1 AND day < $2 GROUP BY tenant_id",
        &[&from.to_string(), &until.to_string()],
    )?
    .iter()
    .map(|row| {
        Ok((
            row.try_get(0)?,
            EgressCount {
                calls: row.try_get::<_, i64>(1)? as u64,
                wire: row.try_get::<_, i64>(2)? as u64,
                decoded: row.try_get::<_, i64>(3)? as u64,
            },
        ))
    })
    .collect()
}
