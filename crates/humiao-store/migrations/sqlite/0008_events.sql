-- Event intake (issue 6): departments push events with an API key. Only the SHA-256 of a key
-- is kept; a revoked key stays (with when and by whom) so old events still name it. Every
-- event is stored before it is acknowledged — a refused (malformed) one too, with its problems,
-- for inspection. A department's event ID is accepted once. Keep in step with
-- postgres/0008_events.sql.

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    department  TEXT NOT NULL,
    label       TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    -- The first characters of the key, to tell keys apart in lists.
    key_prefix  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    revoked_at  TEXT,
    revoked_by  TEXT
);

CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key_id   INTEGER NOT NULL REFERENCES api_keys (id),
    department   TEXT NOT NULL,
    -- NULL for a refused event that did not carry a readable ID.
    event_id     TEXT,
    kind         TEXT,
    -- 'accepted' or 'refused'.
    status       TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    body         TEXT NOT NULL,
    problems_json TEXT,
    processed_at TEXT
);
CREATE UNIQUE INDEX events_accepted_once ON events (department, event_id)
    WHERE status = 'accepted';
CREATE INDEX events_unprocessed ON events (status, processed_at);
