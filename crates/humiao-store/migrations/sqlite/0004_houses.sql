-- 人房 (people ↔ houses, issue 4): dwellings derived from the golden records' addresses, and
-- which person lives or is registered at which. Rebuilt after every linking run.
-- Keep in step with postgres/0004_houses.sql.

CREATE TABLE houses (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The dwelling in one standard spelling (town … room); stable across runs.
    address_key TEXT NOT NULL UNIQUE,
    town        TEXT,
    village     TEXT,
    created_at  TEXT NOT NULL
);

-- relation: 'residence' (居住地) or 'hukou' (户籍地).
CREATE TABLE person_houses (
    person_id INTEGER NOT NULL REFERENCES persons (id),
    house_id  INTEGER NOT NULL REFERENCES houses (id),
    relation  TEXT NOT NULL,
    PRIMARY KEY (person_id, house_id, relation)
);
CREATE INDEX person_houses_house ON person_houses (house_id);
CREATE INDEX persons_household ON persons (household_no);

-- Settings the centre changes through the CLI or the UI (e.g. linking survivorship rules),
-- one JSON value per key; every change is audited.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
