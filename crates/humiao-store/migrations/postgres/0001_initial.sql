-- Humiao schema, PostgreSQL dialect. Keep in step with migrations/sqlite/0001_initial.sql.
-- Dates are ISO-8601 text (YYYY-MM-DD), timestamps RFC 3339 UTC text, so both dialects compare
-- them the same way.

CREATE TABLE regions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT,
    rural       BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE import_batches (
    id               BIGSERIAL PRIMARY KEY,
    department       TEXT NOT NULL,
    record_kind      TEXT NOT NULL,
    mapping_name     TEXT NOT NULL,
    file_name        TEXT NOT NULL,
    file_sha256      TEXT NOT NULL,
    status           TEXT NOT NULL,
    rows_total       BIGINT NOT NULL DEFAULT 0,
    rows_new         BIGINT NOT NULL DEFAULT 0,
    rows_duplicate   BIGINT NOT NULL DEFAULT 0,
    rows_quarantined BIGINT NOT NULL DEFAULT 0,
    error            TEXT,
    imported_by      TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    finished_at      TEXT
);
CREATE INDEX import_batches_file ON import_batches (department, file_sha256);

CREATE TABLE source_records (
    id            BIGSERIAL PRIMARY KEY,
    batch_id      BIGINT NOT NULL REFERENCES import_batches (id),
    department    TEXT NOT NULL,
    record_kind   TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    line          BIGINT NOT NULL,
    content_hash  TEXT NOT NULL,
    raw_json      TEXT NOT NULL,
    record_json   TEXT NOT NULL,
    warnings_json TEXT NOT NULL,
    link_status   TEXT NOT NULL DEFAULT 'pending',
    created_at    TEXT NOT NULL,
    UNIQUE (department, content_hash)
);
CREATE INDEX source_records_status ON source_records (link_status);

CREATE TABLE quarantine (
    id          BIGSERIAL PRIMARY KEY,
    batch_id    BIGINT NOT NULL REFERENCES import_batches (id),
    file_name   TEXT NOT NULL,
    line        BIGINT NOT NULL,
    field       TEXT NOT NULL,
    column_name TEXT NOT NULL,
    value       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    raw_json    TEXT NOT NULL
);
CREATE INDEX quarantine_batch ON quarantine (batch_id, line);

CREATE TABLE persons (
    id                 BIGSERIAL PRIMARY KEY,
    citizen_id         TEXT UNIQUE,
    name               TEXT NOT NULL,
    sex                TEXT NOT NULL,
    birth_date         TEXT NOT NULL,
    hukou_region       TEXT,
    hukou_address      TEXT,
    residence_grid     TEXT,
    residence_address  TEXT,
    household_no       TEXT,
    identity_source_id BIGINT NOT NULL REFERENCES source_records (id),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX persons_residence ON persons (residence_grid);
CREATE INDEX persons_hukou ON persons (hukou_region);
CREATE INDEX persons_birth ON persons (birth_date);
CREATE INDEX persons_name_birth ON persons (name, birth_date);

CREATE TABLE record_links (
    source_record_id BIGINT NOT NULL REFERENCES source_records (id),
    role             TEXT NOT NULL,
    person_id        BIGINT REFERENCES persons (id),
    rule             TEXT,
    explanation      TEXT NOT NULL,
    PRIMARY KEY (source_record_id, role)
);
CREATE INDEX record_links_person ON record_links (person_id);

CREATE TABLE relationships (
    child_id         BIGINT NOT NULL REFERENCES persons (id),
    relative_id      BIGINT NOT NULL REFERENCES persons (id),
    kind             TEXT NOT NULL,
    source_record_id BIGINT NOT NULL REFERENCES source_records (id),
    PRIMARY KEY (child_id, kind, relative_id)
);
CREATE INDEX relationships_relative ON relationships (relative_id);

CREATE TABLE facts (
    id               BIGSERIAL PRIMARY KEY,
    person_id        BIGINT NOT NULL REFERENCES persons (id),
    kind             TEXT NOT NULL,
    detail_json      TEXT NOT NULL,
    valid_from       TEXT,
    valid_to         TEXT,
    source_record_id BIGINT NOT NULL REFERENCES source_records (id),
    UNIQUE (source_record_id, person_id, kind)
);
CREATE INDEX facts_person ON facts (person_id);

CREATE TABLE child_categories (
    person_id    BIGINT NOT NULL REFERENCES persons (id),
    category     TEXT NOT NULL,
    reasons_json TEXT NOT NULL,
    policy       TEXT NOT NULL,
    since        TEXT NOT NULL,
    assessed_on  TEXT NOT NULL,
    PRIMARY KEY (person_id, category)
);

CREATE TABLE alerts (
    id             BIGSERIAL PRIMARY KEY,
    person_id      BIGINT NOT NULL REFERENCES persons (id),
    grid_code      TEXT,
    reason_code    TEXT NOT NULL,
    trigger_key    TEXT NOT NULL,
    severity       TEXT NOT NULL,
    masked_message TEXT NOT NULL,
    detail         TEXT NOT NULL,
    sources_json   TEXT NOT NULL,
    status         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    due_date       TEXT NOT NULL,
    closed_at      TEXT,
    closed_by      BIGINT,
    UNIQUE (person_id, trigger_key)
);
CREATE UNIQUE INDEX alerts_one_open ON alerts (person_id, reason_code) WHERE status = 'open';
CREATE INDEX alerts_grid ON alerts (grid_code, status);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    active        BIGINT NOT NULL DEFAULT 1,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until  TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE user_regions (
    user_id     BIGINT NOT NULL REFERENCES users (id),
    region_code TEXT NOT NULL,
    PRIMARY KEY (user_id, region_code)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE visits (
    id           BIGSERIAL PRIMARY KEY,
    person_id    BIGINT NOT NULL REFERENCES persons (id),
    alert_id     BIGINT REFERENCES alerts (id),
    user_id      BIGINT NOT NULL REFERENCES users (id),
    visited_at   TEXT NOT NULL,
    latitude     DOUBLE PRECISION,
    longitude    DOUBLE PRECISION,
    accuracy_m   DOUBLE PRECISION,
    aspects_json TEXT NOT NULL,
    notes        TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX visits_person ON visits (person_id);

CREATE TABLE photos (
    id           BIGSERIAL PRIMARY KEY,
    visit_id     BIGINT NOT NULL REFERENCES visits (id),
    person_id    BIGINT NOT NULL REFERENCES persons (id),
    content_type TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    bytes        BYTEA NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX photos_visit ON photos (visit_id);

-- Tamper-evident audit log: each row's hash covers its content and the previous row's hash.
-- audit_head serialises writers (the UPDATE takes the write lock on both databases).
CREATE TABLE audit_log (
    id          BIGINT PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     BIGINT,
    username    TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (target_kind, target_id);

CREATE TABLE audit_head (
    id        BIGINT PRIMARY KEY,
    last_id   BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
