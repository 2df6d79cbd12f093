-- Risk assessments (issue 5): one row per child, risk model and assessment date, so that the
-- dynamic rules (persistently high, rising) can look at the history. Written with the
-- categories by every assessment. Keep in step with postgres/0005_risk.sql.

CREATE TABLE risk_assessments (
    person_id   INTEGER NOT NULL REFERENCES persons (id),
    model       TEXT NOT NULL,
    assessed_on TEXT NOT NULL,
    score       INTEGER NOT NULL,
    score_max   INTEGER NOT NULL,
    -- Index into the model's levels, 0 the most severe.
    level       INTEGER NOT NULL,
    level_label TEXT NOT NULL,
    colour      TEXT NOT NULL,
    unknown     INTEGER NOT NULL,
    -- The indicators that hold (with reasons and sources), urgent items and dynamic flags.
    detail_json TEXT NOT NULL,
    pack        TEXT NOT NULL,
    PRIMARY KEY (person_id, model, assessed_on)
);
