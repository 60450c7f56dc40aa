-- The practice's shared metadata: the same tables as a profile's SQLite file (times as Unix
-- milliseconds), plus a change counter for the windows that watch the database. Released steps
-- never change (refinery refuses a database whose applied step differs from the binary's).
CREATE TABLE logins (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    state TEXT NOT NULL,
    last_error TEXT,
    reason_code TEXT,
    access_expires_at BIGINT NOT NULL,
    refresh_issued_at BIGINT NOT NULL,
    last_refresh_at BIGINT,
    scopes TEXT NOT NULL,
    connected_at BIGINT NOT NULL,
    checked_at BIGINT
);

CREATE TABLE organisations (
    login_id TEXT NOT NULL REFERENCES logins(id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    tenant_type TEXT NOT NULL,
    auth_event_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    disconnected_at BIGINT,
    PRIMARY KEY (login_id, tenant_id)
);
CREATE INDEX organisations_by_tenant ON organisations (lower(tenant_id));

CREATE TABLE refresh_journal (
    login_id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    refresh_token_hash TEXT NOT NULL,
    pid BIGINT NOT NULL
);

CREATE TABLE events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    login_id TEXT,
    kind TEXT NOT NULL,
    tenant_id TEXT,
    detail TEXT NOT NULL,
    login_name TEXT,
    login_email TEXT
);
CREATE INDEX events_by_login ON events (login_id, id);

CREATE TABLE token_use (
    login_id TEXT PRIMARY KEY REFERENCES logins(id) ON DELETE CASCADE,
    used_at BIGINT NOT NULL
);

CREATE TABLE notices (
    key TEXT PRIMARY KEY,
    said_at BIGINT NOT NULL
);

CREATE TABLE api_budgets (
    tenant_id TEXT PRIMARY KEY,
    day_left BIGINT NOT NULL,
    seen_at BIGINT NOT NULL
);

-- Every committed change moves the counter (a sequence: no row lock between writers) and wakes
-- the listeners on `tenantry_changes` (sent at commit, so nobody reads a change before it is there).
CREATE SEQUENCE changes;
CREATE FUNCTION note_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('changes');
    PERFORM pg_notify('tenantry_changes', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
CREATE TRIGGER logins_changed AFTER INSERT OR UPDATE OR DELETE ON logins
    FOR EACH STATEMENT EXECUTE FUNCTION note_change();
CREATE TRIGGER organisations_changed AFTER INSERT OR UPDATE OR DELETE ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION note_change();
CREATE TRIGGER refresh_journal_changed AFTER INSERT OR UPDATE OR DELETE ON refresh_journal
    FOR EACH STATEMENT EXECUTE FUNCTION note_change();
CREATE TRIGGER events_changed AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION note_change();
CREATE TRIGGER api_budgets_changed AFTER INSERT OR UPDATE OR DELETE ON api_budgets
    FOR EACH STATEMENT EXECUTE FUNCTION note_change();
