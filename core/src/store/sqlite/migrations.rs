//! Schema migrations, keyed by SQLite's `user_version`. Append only: a released step never changes.

use super::StoreError;
use rusqlite::Connection;

const STEPS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE logins (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        state TEXT NOT NULL,
        last_error TEXT,
        access_expires_at INTEGER NOT NULL,
        refresh_issued_at INTEGER NOT NULL,
        last_refresh_at INTEGER,
        scopes TEXT NOT NULL,
        connected_at INTEGER NOT NULL
    );
    CREATE TABLE organisations (
        login_id TEXT NOT NULL REFERENCES logins(id) ON DELETE CASCADE,
        connection_id TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        name TEXT NOT NULL,
        tenant_type TEXT NOT NULL,
        auth_event_id TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (login_id, tenant_id)
    );
    CREATE INDEX organisations_by_tenant ON organisations(tenant_id);
    CREATE TABLE refresh_journal (
        login_id TEXT PRIMARY KEY,
        started_at INTEGER NOT NULL,
        refresh_token_hash TEXT NOT NULL,
        pid INTEGER NOT NULL
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        login_id TEXT,
        kind TEXT NOT NULL,
        tenant_id TEXT,
        detail TEXT NOT NULL
    );
    CREATE INDEX events_by_login ON events(login_id, id);",
    // 2: keep-alive in the background: which logins callers are using, and which notices were
    // said when (so a restart does not repeat them).
    "CREATE TABLE token_use (
        login_id TEXT PRIMARY KEY REFERENCES logins(id) ON DELETE CASCADE,
        used_at INTEGER NOT NULL
    );
    CREATE TABLE notices (
        key TEXT PRIMARY KEY,
        said_at INTEGER NOT NULL
    );",
    // 3: per-organisation truth. An organisation Xero stops listing is kept, marked with when it
    // went (and when it was last seen), instead of deleted; each login records when Xero's
    // `/connections` last answered for it; events keep the login's name and email, so a removed
    // login's history still says who it was.
    "ALTER TABLE organisations ADD COLUMN last_seen_at INTEGER;
    UPDATE organisations SET last_seen_at = updated_at;
    ALTER TABLE organisations ADD COLUMN disconnected_at INTEGER;
    ALTER TABLE logins ADD COLUMN checked_at INTEGER;
    ALTER TABLE events ADD COLUMN login_name TEXT;
    ALTER TABLE events ADD COLUMN login_email TEXT;
    UPDATE events SET
        login_name = (SELECT name FROM logins WHERE logins.id = events.login_id),
        login_email = (SELECT email FROM logins WHERE logins.id = events.login_id)
    WHERE login_id IS NOT NULL;",
    // 4: why a login is not connected, as a stable code beside the words (`status --json`'s
    // `reason_code`). Rows from before stay NULL until their next failure or success.
    "ALTER TABLE logins ADD COLUMN reason_code TEXT;",
    // 5: what Xero last said was left of each organisation's day (`X-DayLimit-Remaining`, read
    // by the gateway), and when, for `orgs`, `status` and the window.
    "CREATE TABLE api_budgets (
        tenant_id TEXT PRIMARY KEY,
        day_left INTEGER NOT NULL,
        seen_at INTEGER NOT NULL
    );",
    // 6: what Xero's APIs sent back, per UTC day (YYYY-MM-DD), organisation (lower case), program
    // and API path (ids taken out), for `tenantry usage`.
    "CREATE TABLE egress (
        day TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        program TEXT NOT NULL,
        path TEXT NOT NULL,
        calls INTEGER NOT NULL,
        wire INTEGER NOT NULL,
        decoded INTEGER NOT NULL,
        PRIMARY KEY (day, tenant_id, program, path)
    );",
    // 7: the call log (`crate::calls`): a row per call through the gateway, never a token, a key,
    // a body or a query's values; forgotten after `call_log_days`.
    "CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        program TEXT NOT NULL,
        tool TEXT,
        tenant_id TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        status INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL
    );
    CREATE INDEX calls_at ON calls (at);",
];

pub(super) fn run(conn: &mut Connection) -> Result<(), StoreError> {
    let known = STEPS.len() as i64;
    let tx = conn.transaction()?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (i, step) in STEPS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op_and_newer_schemas_are_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        run(&mut conn).expect("running migrations on an up-to-date database changes nothing");
        conn.pragma_update(None, "user_version", 99).unwrap();
        assert!(
            matches!(run(&mut conn), Err(StoreError::TooNew { found: 99, .. })),
            "never downgrade a newer database"
        );
    }
}
