-- The call log: a row per call through a member machine's gateway, with who serves it (never a
-- token, a key, a body or a query's values); forgotten after `call_log_days`.
CREATE TABLE calls (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    program TEXT NOT NULL,
    tool TEXT,
    tenant_id TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    bytes BIGINT NOT NULL,
    duration_ms INTEGER NOT NULL,
    person TEXT,
    machine TEXT
);
CREATE INDEX calls_at ON calls (at);
