-- From event to alert (issue 6). Keep in step with sqlite/0010_routing.sql.
--
-- An alert is before the grid's director always, and from routed_to up also before the town
-- station ('town') or the county centre ('county'): by severity when raised, and one level up
-- each time its deadline passes. police = 1: marked for the police too. Each routing step
-- (raised, reminded, escalated) is kept in alert_steps, so an alert can say why it is where it
-- is. The dates are the deadline watch's "today" (a controllable clock), not wall time.

ALTER TABLE alerts ADD COLUMN routed_to TEXT NOT NULL DEFAULT 'grid';
ALTER TABLE alerts ADD COLUMN police INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN reminded_on TEXT;
CREATE INDEX alerts_open_due ON alerts (status, due_date);

CREATE TABLE alert_steps (
    id        BIGSERIAL PRIMARY KEY,
    alert_id  BIGINT NOT NULL REFERENCES alerts (id),
    on_date   TEXT NOT NULL,
    at        TEXT NOT NULL,
    -- 'raised', 'reminded' or 'escalated'.
    step      TEXT NOT NULL,
    -- The level the alert is at after this step.
    level     TEXT NOT NULL,
    due_date  TEXT NOT NULL,
    note      TEXT NOT NULL
);
CREATE INDEX alert_steps_alert ON alert_steps (alert_id);

-- An accepted event becomes a source record (linked, giving facts, cited by alerts) when it is
-- processed; what processing found is kept with the event for the centre to read.
ALTER TABLE events ADD COLUMN source_record_id BIGINT REFERENCES source_records (id);
ALTER TABLE events ADD COLUMN outcome_json TEXT;
