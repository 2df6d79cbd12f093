-- The suspected-case verification loop (issue 6, 疑似名单核实): the child director's conclusion
-- on a category the rules found (事实无人抚养, 困境, 应保未保) — confirmed with what it starts
-- (启动救助申请 / 纳入个案管理) or rejected with a reason and words. A row verifies one finding:
-- the child's category as found since `category_since` (child_categories.since). When the
-- rules stop finding the category, the assessment sets `lapsed_on`; if they find it again
-- later the child is back on the list. Counted per grid for the centre and per category (and
-- rule pack) for the rules' precision. Keep in step with sqlite/0013_verifications.sql.

CREATE TABLE verifications (
    id              BIGSERIAL PRIMARY KEY,
    person_id       BIGINT NOT NULL REFERENCES persons (id),
    category        TEXT NOT NULL,
    -- The finding verified: child_categories.since and .assessed_on when decided.
    category_since  TEXT NOT NULL,
    assessed_on     TEXT NOT NULL,
    -- The grid the child lived in when decided (counts by grid, the station's scope).
    grid_code       TEXT,
    -- 'confirmed' or 'rejected'.
    verdict         TEXT NOT NULL,
    -- A confirmation's follow-up: 'application' or 'case'.
    follow_up       TEXT,
    -- A rejection's reason: wrong_data, cared_for, already_supported, not_eligible, other.
    reason_code     TEXT,
    -- A rejection's words (4–500 characters) or a confirmation's optional note.
    reason_text     TEXT NOT NULL,
    -- The rule pack in force when decided ("name version").
    pack            TEXT NOT NULL,
    user_id         BIGINT NOT NULL REFERENCES users (id),
    username        TEXT NOT NULL,
    -- The phone's identifier of a decision queued offline (one stored per identifier).
    client_id       TEXT,
    decided_at      TEXT NOT NULL,
    -- The assessment date on which the rules no longer found the category.
    lapsed_on       TEXT
);
CREATE UNIQUE INDEX verifications_client_id ON verifications (client_id);
-- One current decision per finding.
CREATE UNIQUE INDEX verifications_current ON verifications (person_id, category, category_since)
    WHERE lapsed_on IS NULL;
CREATE INDEX verifications_grid ON verifications (grid_code, category);
