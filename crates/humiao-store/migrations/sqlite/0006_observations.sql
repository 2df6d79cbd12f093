-- Observations of visit-fed risk indicators (issue 5): what the child director saw on a visit,
-- one row per visit and indicator (codes of the rule pack's risk model). The child is the
-- visit's, so a merge that re-points visits carries them along. Keep in step with
-- postgres/0006_observations.sql.

CREATE TABLE visit_observations (
    visit_id    INTEGER NOT NULL REFERENCES visits (id),
    model       TEXT NOT NULL,
    indicator   TEXT NOT NULL,
    -- 1: seen; 0: looked for and not seen.
    present     INTEGER NOT NULL,
    observed_on TEXT NOT NULL,
    PRIMARY KEY (visit_id, model, indicator)
);
