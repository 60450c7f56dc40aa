-- Xero's limits held for the whole practice: every member machine's gateway takes each call's
-- place here before sending it, so four machines together send an organisation no more than its
-- one budget (5 in progress, 60 a minute, the day's) nor the app more than its minute's.
--
-- Times are the database server's clock (clock_timestamp()): the one clock every machine shares.
-- No change trigger on these tables: they move with every call, and are nobody's view of the data.

-- A row per organisation (its tenant id, lower case) and one for the app ('*'): the windows the
-- calls are counted in, and a 429's block. A window opens at the first call after the last one
-- ended, as Xero's do; `minute_id` moves at each, so late answers correct only their own window.
CREATE TABLE rate_windows (
    scope TEXT PRIMARY KEY,
    minute_start TIMESTAMPTZ,
    minute_count INTEGER NOT NULL DEFAULT 0,
    minute_id BIGINT NOT NULL DEFAULT 0,
    day_start TIMESTAMPTZ,
    day_count INTEGER NOT NULL DEFAULT 0,
    blocked_until TIMESTAMPTZ,
    blocked_problem TEXT
);

-- Calls in progress, a row each, on a lease their gateway renews every second or so: a machine
-- that dies (or loses its link) stops renewing, and its calls stop counting when the lease ends.
CREATE TABLE rate_slots (
    id BIGSERIAL PRIMARY KEY,
    scope TEXT NOT NULL,
    holder TEXT NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL
);
CREATE INDEX rate_slots_by_scope ON rate_slots (scope);
CREATE INDEX rate_slots_by_holder ON rate_slots (holder);

-- May a call to p_scope go now? One statement, one round trip: the organisation's row is locked
-- and its windows rolled; only a call that may go as far as the organisation's limits say locks
-- the app's row as well (always in that order, so two takes never deadlock, and the calls that
-- wait for one organisation's slots do not queue every other organisation's behind the app's
-- row). The call is counted and given a slot, or the reason it may not go returned:
--   verdict 'go': slot, window_id (the organisation's minute window) and app_window_id are set;
--   verdict 'wait': problem says which limit, wait_ms how long (NULL: until a call ends);
--   verdict 'refuse': the organisation's day is spent, wait_ms until it ends.
-- A 429's block ('wait' with its problem and the rest of its Retry-After) is for the caller to
-- wait out or refuse, as it does with its own.
CREATE FUNCTION rate_take(
    p_scope TEXT, p_holder TEXT,
    p_concurrent INTEGER, p_per_minute INTEGER, p_per_day INTEGER, p_app_per_minute INTEGER,
    p_minute_ms BIGINT, p_day_ms BIGINT, p_lease_ms BIGINT,
    OUT verdict TEXT, OUT slot BIGINT, OUT window_id BIGINT, OUT app_window_id BIGINT,
    OUT problem TEXT, OUT wait_ms BIGINT
) LANGUAGE plpgsql AS $$
DECLARE
    at TIMESTAMPTZ := clock_timestamp();
    a rate_windows;
    t rate_windows;
    busy INTEGER;
    p_minute INTERVAL := p_minute_ms * INTERVAL '1 millisecond';
    p_day INTERVAL := p_day_ms * INTERVAL '1 millisecond';
    p_lease INTERVAL := p_lease_ms * INTERVAL '1 millisecond';
BEGIN
    SELECT * INTO t FROM rate_windows WHERE scope = p_scope FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO rate_windows (scope) VALUES (p_scope) ON CONFLICT DO NOTHING;
        SELECT * INTO t FROM rate_windows WHERE scope = p_scope FOR UPDATE;
    END IF;
    IF t.minute_start IS NULL OR at >= t.minute_start + p_minute THEN
        t.minute_start := at; t.minute_count := 0; t.minute_id := t.minute_id + 1;
    END IF;
    IF t.day_start IS NULL OR at >= t.day_start + p_day THEN
        t.day_start := at; t.day_count := 0;
    END IF;

    DELETE FROM rate_slots WHERE scope = p_scope AND lease_until <= at;
    SELECT count(*) INTO busy FROM rate_slots WHERE scope = p_scope;

    verdict := 'wait';
    IF t.blocked_until > at THEN
        problem := coalesce(t.blocked_problem, 'minute');
        wait_ms := ceil(extract(epoch FROM t.blocked_until - at) * 1000);
    ELSIF t.day_count >= p_per_day THEN
        verdict := 'refuse';
        problem := 'day';
        wait_ms := ceil(extract(epoch FROM t.day_start + p_day - at) * 1000);
    ELSIF busy >= p_concurrent THEN
        problem := 'concurrent';
    ELSIF t.minute_count >= p_per_minute THEN
        problem := 'minute';
        wait_ms := ceil(extract(epoch FROM t.minute_start + p_minute - at) * 1000);
    ELSE
        SELECT * INTO a FROM rate_windows WHERE scope = '*' FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO rate_windows (scope) VALUES ('*') ON CONFLICT DO NOTHING;
            SELECT * INTO a FROM rate_windows WHERE scope = '*' FOR UPDATE;
        END IF;
        IF a.minute_start IS NULL OR at >= a.minute_start + p_minute THEN
            a.minute_start := at; a.minute_count := 0; a.minute_id := a.minute_id + 1;
        END IF;
        IF a.blocked_until > at THEN
            problem := 'appminute';
            wait_ms := ceil(extract(epoch FROM a.blocked_until - at) * 1000);
        ELSIF a.minute_count >= p_app_per_minute THEN
            problem := 'appminute';
            wait_ms := ceil(extract(epoch FROM a.minute_start + p_minute - at) * 1000);
        ELSE
            verdict := 'go';
            t.minute_count := t.minute_count + 1;
            t.day_count := t.day_count + 1;
            a.minute_count := a.minute_count + 1;
            INSERT INTO rate_slots (scope, holder, lease_until)
                VALUES (p_scope, p_holder, at + p_lease) RETURNING id INTO slot;
        END IF;
        UPDATE rate_windows SET minute_start = a.minute_start, minute_count = a.minute_count,
            minute_id = a.minute_id WHERE scope = '*';
        app_window_id := a.minute_id;
    END IF;

    UPDATE rate_windows SET minute_start = t.minute_start, minute_count = t.minute_count,
        minute_id = t.minute_id, day_start = t.day_start, day_count = t.day_count
        WHERE scope = p_scope;
    window_id := t.minute_id;
END $$;

-- A call has ended: its slot is freed, and its answer's X-…-Remaining headers raise the counts
-- to meet Xero's (which include calls made by programs outside Tenantry): the day's always, the
-- minute's only if the window the call was counted in is still the current one.
CREATE FUNCTION rate_release(
    p_slot BIGINT, p_scope TEXT, p_window BIGINT, p_app_window BIGINT,
    p_minute_left INTEGER, p_day_left INTEGER, p_app_left INTEGER,
    p_per_minute INTEGER, p_per_day INTEGER, p_app_per_minute INTEGER
) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM rate_slots WHERE id = p_slot;
    IF p_minute_left IS NOT NULL OR p_day_left IS NOT NULL THEN
        UPDATE rate_windows SET
            day_count = greatest(day_count, p_per_day - coalesce(p_day_left, p_per_day)),
            minute_count = CASE WHEN minute_id = p_window
                THEN greatest(minute_count, p_per_minute - coalesce(p_minute_left, p_per_minute))
                ELSE minute_count END
        WHERE scope = p_scope
            AND (day_count < p_per_day - coalesce(p_day_left, p_per_day)
                OR (minute_id = p_window
                    AND minute_count < p_per_minute - coalesce(p_minute_left, p_per_minute)));
    END IF;
    -- Only a count that rises is written (and its row locked): usually Xero agrees.
    IF p_app_left IS NOT NULL THEN
        UPDATE rate_windows SET minute_count = p_app_per_minute - p_app_left
        WHERE scope = '*' AND minute_id = p_app_window
            AND minute_count < p_app_per_minute - p_app_left;
    END IF;
END $$;

-- Xero answered 429 all the same: nobody in the practice sends to p_scope (or, for the app's
-- limit, anywhere) until the Retry-After has passed, and a spent minute or day is counted full
-- with its window ending then.
CREATE FUNCTION rate_block(
    p_scope TEXT, p_problem TEXT, p_wait_ms BIGINT, p_minute_ms BIGINT, p_day_ms BIGINT,
    p_per_minute INTEGER, p_per_day INTEGER
) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
    till TIMESTAMPTZ := clock_timestamp() + p_wait_ms * INTERVAL '1 millisecond';
    p_minute INTERVAL := p_minute_ms * INTERVAL '1 millisecond';
    p_day INTERVAL := p_day_ms * INTERVAL '1 millisecond';
    target TEXT := CASE WHEN p_problem = 'appminute' THEN '*' ELSE p_scope END;
BEGIN
    INSERT INTO rate_windows (scope) VALUES (target) ON CONFLICT DO NOTHING;
    UPDATE rate_windows SET
        blocked_until = greatest(coalesce(blocked_until, till), till),
        blocked_problem = CASE WHEN till >= coalesce(blocked_until, till) THEN p_problem
            ELSE blocked_problem END,
        minute_start = CASE WHEN p_problem = 'minute' THEN till - p_minute ELSE minute_start END,
        minute_count = CASE WHEN p_problem = 'minute' THEN p_per_minute ELSE minute_count END,
        day_start = CASE WHEN p_problem = 'day' THEN till - p_day ELSE day_start END,
        day_count = CASE WHEN p_problem = 'day' THEN p_per_day ELSE day_count END
    WHERE scope = target;
END $$;
