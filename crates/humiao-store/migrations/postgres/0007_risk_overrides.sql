-- Risk levels set by a person (domain brief §4: "a score supports a person's decision, never
-- makes it"): a director or the centre overrides a child's level under one model with a stated
-- reason, which is kept. An override holds while the model still gives the level it overrode
-- (computed_level); when the model's level changes, the override lapses and stays in the
-- history. Keep in step with sqlite/0007_risk_overrides.sql.

CREATE TABLE risk_overrides (
    id             BIGSERIAL PRIMARY KEY,
    person_id      BIGINT NOT NULL REFERENCES persons (id),
    model          TEXT NOT NULL,
    computed_level INTEGER NOT NULL,
    computed_label TEXT NOT NULL,
    level          INTEGER NOT NULL,
    level_label    TEXT NOT NULL,
    colour         TEXT NOT NULL,
    reason         TEXT NOT NULL,
    user_id        BIGINT NOT NULL REFERENCES users (id),
    username       TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX risk_overrides_person ON risk_overrides (person_id, model);
