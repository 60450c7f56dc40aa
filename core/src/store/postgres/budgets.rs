//! What Xero last said was left of each organisation's day, on PostgreSQL, as the SQLite
//! store's `budgets.rs`.

use super::Sql;
use crate::store::{from_ms, ms};
use chrono::{DateTime, Utc};
use postgres::Client;
use std::collections::HashMap;

pub(super) fn record_calls_left(
    c: &mut Client,
    tenant_id: &str,
    day_left: u32,
    at: DateTime<Utc>,
) -> Sql<()> {
    c.execute(
        "INSERT INTO api_budgets (tenant_id, day_left, seen_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET day_left = $2, seen_at = $3",
        &[&tenant_id.to_lowercase(), &i64::from(day_left), &ms(at)],
    )?;
    Ok(())
}

pub(super) fn calls_left(c: &mut Client) -> Sql<HashMap<String, (u32, DateTime<Utc>)>> {
    c.query("SELECT tenant_id, day_left, seen_at FROM api_budgets", &[])?
        .iter()
        .map(|row| {
            let left = u32::try_from(row.try_get::<_, i64>(1)?).unwrap_or_default();
            Ok((row.try_get(0)?, (left, from_ms(row.try_get(2)?))))
        })
        .collect()
}
