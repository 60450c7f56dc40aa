//! When each desktop notice was last said, on PostgreSQL, as the SQLite store's `notices.rs`.

use super::Sql;
use crate::store::{from_ms, ms};
use chrono::{DateTime, Utc};
use postgres::Client;
use std::collections::HashMap;

pub(super) fn notices_said(c: &mut Client) -> Sql<HashMap<String, DateTime<Utc>>> {
    c.query("SELECT key, said_at FROM notices", &[])?
        .iter()
        .map(|row| Ok((row.try_get(0)?, from_ms(row.try_get(1)?))))
        .collect()
}

pub(super) fn record_notice(c: &mut Client, key: &str, at: DateTime<Utc>) -> Sql<()> {
    c.execute(
        "INSERT INTO notices (key, said_at) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET said_at = $2",
        &[&key, &ms(at)],
    )?;
    Ok(())
}
