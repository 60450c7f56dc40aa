-- The practice itself: its id, which key seals its token sets (by id, never the key), and a value
-- sealed under that key, so a machine can tell its key is the right one before writing anything.
CREATE TABLE practice (
    id TEXT PRIMARY KEY,
    one_row BOOLEAN NOT NULL DEFAULT TRUE UNIQUE CHECK (one_row),
    key_id TEXT NOT NULL,
    key_check BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- People and machines that have joined, and when each was last seen.
CREATE TABLE members (
    machine TEXT NOT NULL,
    person TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    PRIMARY KEY (machine, person)
);

-- One-time join codes: a hash of the code, and the practice key wrapped under a key derived from
-- the code (a code's holder can unwrap it; the database alone cannot).
CREATE TABLE join_codes (
    code_hash TEXT PRIMARY KEY,
    wrapped_key BYTEA NOT NULL,
    key_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    used_by TEXT
);

-- Each login's token set, sealed under the practice key named by key_id; bound to its login by
-- the seal's associated data, so a row copied to another login does not open.
CREATE TABLE sealed_tokens (
    login_id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    sealed_at BIGINT NOT NULL
);

-- Who did it: the person and the machine behind each event and each refresh in flight.
ALTER TABLE events ADD COLUMN person TEXT;
ALTER TABLE events ADD COLUMN machine TEXT;
ALTER TABLE refresh_journal ADD COLUMN machine TEXT;

CREATE TRIGGER sealed_tokens_changed AFTER INSERT OR UPDATE OR DELETE ON sealed_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION note_change();
-- Per row: a machine noting itself seen within the minute changes no row, and must not look like
-- a change to every window of the practice.
CREATE TRIGGER members_changed AFTER INSERT OR UPDATE OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION note_change();
