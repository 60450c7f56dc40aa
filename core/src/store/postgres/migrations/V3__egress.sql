-- What Xero's APIs sent back, per UTC day (YYYY-MM-DD), organisation (lower case), program and
-- API path (ids taken out): every member machine's gateway adds to the same rows.
CREATE TABLE egress (
    day TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    program TEXT NOT NULL,
    path TEXT NOT NULL,
    calls BIGINT NOT NULL,
    wire BIGINT NOT NULL,
    decoded BIGINT NOT NULL,
    PRIMARY KEY (day, tenant_id, program, path)
);
