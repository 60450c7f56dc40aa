//! The small tables on PostgreSQL: the refresh journal, the day's API budgets, notices said, and
//! the change counter.

use super::{Sql, login_id};
use crate::model::LoginId;
use crate::store::{RefreshIntent, from_ms, ms};
use chrono::{DateTime, Utc};
use postgres::{Client, Row};
use std::collections::HashMap;

const INTENT: &str = "SELECT login_id, started_at, refresh_token_hash, pid FROM refresh_journal";

fn intent(row: &Row) -> Sql<RefreshIntent> {
    Ok(RefreshIntent {
        login_id: login_id(row.try_get(0)?)?,
        started_at: from_ms(row.try_get(1)?),
        refresh_token_fingerprint: row.try_get(2)?,
        pid: u32::try_from(row.try_get::<_, i64>(3)?).unwrap_or_default(),
    })
}

/// `machine` is the practice machine running the refresh: a pid alone means nothing to another.
pub(super) fn begin_refresh(
    c: &mut Client,
    intent: &RefreshIntent,
    machine: Option<&str>,
) -> Sql<()> {
    c.execute(
        "INSERT INTO refresh_journal (login_id, started_at, refresh_token_hash, pid, machine) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (login_id) DO UPDATE SET started_at = $2, refresh_token_hash = $3, pid = $4, machine = $5",
        &[
            &intent.login_id.as_str(),
            &ms(intent.started_at),
            &intent.refresh_token_fingerprint,
            &i64::from(intent.pid),
            &machine,
        ],
    )?;
    Ok(())
}

pub(super) fn refresh_intent(c: &mut Client, login: &LoginId) -> Sql<Option<RefreshIntent>> {
    c.query_opt(&format!("{INTENT} WHERE login_id = $1"), &[&login.as_str()])?
        .as_ref()
        .map(intent)
        .transpose()
}

pub(super) fn refresh_intents(c: &mut Client) -> Sql<Vec<RefreshIntent>> {
    c.query(&format!("{INTENT} ORDER BY started_at"), &[])?
        .iter()
        .map(intent)
        .collect()
}

pub(super) fn end_refresh(c: &mut impl postgres::GenericClient, login: &LoginId) -> Sql<()> {
    c.execute(
        "DELETE FROM refresh_journal WHERE login_id = $1",
        &[&login.as_str()],
    )?;
    Ok(())
}

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

/// The change counter: moved by every committed change on any machine (the schema's triggers).
pub(super) fn data_version(c: &mut Client) -> Sql<i64> {
    Ok(c.query_one("SELECT last_value FROM changes", &[])?
        .try_get(0)?)
}
