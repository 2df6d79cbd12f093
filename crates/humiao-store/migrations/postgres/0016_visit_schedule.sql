-- Each child's place in the visit plan (走访计划, issue 6), kept so that a director's plan is
-- one indexed read instead of every child of the grid re-evaluated on each page view. Written
-- by the assessment (the pack's visit frequencies over the child's categories and risk level,
-- a person's risk override included) and moved by each visit. A child the plan does not cover
-- has no row. Keep in step with sqlite/0016_visit_schedule.sql.
CREATE TABLE visit_schedule (
    person_id  BIGINT PRIMARY KEY REFERENCES persons (id),
    every_days BIGINT NOT NULL,
    -- Why that interval: 极危, 高危, 孤儿/事实无人抚养 or 困境/留守.
    why        TEXT NOT NULL,
    -- The general risk model's level index (0 the most severe), ordering children equally due.
    level      BIGINT,
    -- The day of the last visit (China time), NULL when never visited.
    last_visit TEXT,
    -- last_visit + every_days; NULL when never visited (due at once).
    due        TEXT
);
