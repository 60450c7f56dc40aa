//! The refresh journal on PostgreSQL: a refresh's intent, written before the token endpoint is
//! called and removed once its answer is kept, as the SQLite store's `journal.rs`.

use super::{Sql, login_id};
use crate::model::LoginId;
use crate::store::{RefreshIntent, from_ms, ms};
use postgres::{Client, Row};

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
