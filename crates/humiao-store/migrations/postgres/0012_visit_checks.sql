-- Plausibility checks of visits (issue 6, 走访核验): a reference point for each region (the
-- centroid of a village or grid) and the flags raised when a visit is recorded, each with why in
-- words. Keep in step with sqlite/0012_visit_checks.sql.

ALTER TABLE regions ADD COLUMN latitude DOUBLE PRECISION;
ALTER TABLE regions ADD COLUMN longitude DOUBLE PRECISION;

CREATE TABLE visit_flags (
    id        BIGSERIAL PRIMARY KEY,
    visit_id  BIGINT NOT NULL REFERENCES visits (id),
    code      TEXT NOT NULL,
    message   TEXT NOT NULL,
    -- 1: for the supervisor's review; 0: a note (the position could not be checked).
    review    BIGINT NOT NULL
);
CREATE INDEX visit_flags_visit ON visit_flags (visit_id);
CREATE INDEX visits_user_time ON visits (user_id, visited_at);
