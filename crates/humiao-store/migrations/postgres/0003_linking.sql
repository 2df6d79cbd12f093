-- Probabilistic linking (issue 4): the estimated model, clerks' decisions, the review queue,
-- refused joins (state for incremental runs), person merge/split events and run summaries.
-- Keep in step with sqlite/0003_linking.sql.

CREATE TABLE link_models (
    id          BIGSERIAL PRIMARY KEY,
    created_at  TEXT NOT NULL,
    records     BIGINT NOT NULL,
    model_json  TEXT NOT NULL,
    config_json TEXT NOT NULL
);

-- A clerk's decision on a pair of mentions (keys "<source_record_id>:<role>", a < b).
CREATE TABLE link_decisions (
    record_a   TEXT NOT NULL,
    record_b   TEXT NOT NULL,
    decision   TEXT NOT NULL,
    decided_by BIGINT NOT NULL,
    decided_at TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (record_a, record_b)
);

CREATE TABLE link_review (
    record_a    TEXT NOT NULL,
    record_b    TEXT NOT NULL,
    probability DOUBLE PRECISION NOT NULL,
    weight      DOUBLE PRECISION NOT NULL,
    person_a    BIGINT,
    person_b    BIGINT,
    PRIMARY KEY (record_a, record_b)
);

CREATE TABLE link_refused (
    record_a TEXT NOT NULL,
    record_b TEXT NOT NULL,
    PRIMARY KEY (record_a, record_b)
);

CREATE TABLE link_runs (
    id           BIGSERIAL PRIMARY KEY,
    mode         TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    summary_json TEXT NOT NULL
);

CREATE TABLE person_events (
    id          BIGSERIAL PRIMARY KEY,
    run_id      BIGINT NOT NULL REFERENCES link_runs (id),
    kind        TEXT NOT NULL,
    from_person BIGINT NOT NULL,
    into_person BIGINT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX person_events_from ON person_events (from_person);
CREATE INDEX person_events_into ON person_events (into_person);

ALTER TABLE record_links ADD COLUMN probability DOUBLE PRECISION;
