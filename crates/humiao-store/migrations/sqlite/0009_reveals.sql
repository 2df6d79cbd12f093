-- Purpose-bound reveals (issue 6): a director sees "家庭变故" by default; to read the fact behind
-- an alert they state a purpose, and may read it until expires_at. Every reveal is kept (and
-- audited) for the centre to review. Keep in step with postgres/0009_reveals.sql.

CREATE TABLE reveals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    username    TEXT NOT NULL,
    alert_id    INTEGER NOT NULL REFERENCES alerts (id),
    person_id   INTEGER NOT NULL REFERENCES persons (id),
    purpose     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX reveals_user ON reveals (user_id, expires_at);
