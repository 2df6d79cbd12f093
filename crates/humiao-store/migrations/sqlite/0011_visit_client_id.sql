-- Offline visits (issue 6, the phone): a visit recorded on the phone carries the identifier
-- the phone gave it (a UUID), so a sync that is retried or replayed stores it once. Visits
-- entered without one (older forms, imports) keep NULL, which the unique index allows many
-- times. Keep in step with postgres/0011_visit_client_id.sql.

ALTER TABLE visits ADD COLUMN client_id TEXT;
CREATE UNIQUE INDEX visits_client_id ON visits (client_id);
