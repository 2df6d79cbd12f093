//! What probabilistic linking keeps between runs: the estimated model, clerks' decisions, the
//! review queue, refused joins, run summaries and person merge/split events; and the writes that
//! re-point a person's dependants when clusters merge or split.

use chrono::Utc;
use humiao_core::{Department, DepartmentRecord, MentionRole, PersonId, SourceRecordId};

use crate::audit::{append, AuditEntry};
use crate::population::LinkWriter;
use crate::{corrupt, get, now_text, Backend, Result, Store, StoreError};

/// A source record as linking reads it, with the raw values of fields the import could not use
/// (a mistyped citizen ID is kept here so the linker can repair it against a candidate).
#[derive(Debug, Clone)]
pub struct LinkableRecord {
    pub id: SourceRecordId,
    pub department: Department,
    pub record: DepartmentRecord,
    /// (field, raw value) of fields refused at import with a warning.
    pub refused_fields: Vec<(String, String)>,
    pub pending: bool,
}

/// A mention's current person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionLink {
    pub record: SourceRecordId,
    pub role: MentionRole,
    pub person: Option<PersonId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRow {
    pub record_a: String,
    pub record_b: String,
    pub probability: f64,
    pub weight: f64,
    pub person_a: Option<PersonId>,
    pub person_b: Option<PersonId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRow {
    pub record_a: String,
    pub record_b: String,
    /// `same_person` or `different_persons`.
    pub decision: String,
    pub decided_by: i64,
    pub decided_at: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonEventRow {
    pub run_id: i64,
    pub kind: String,
    pub from_person: PersonId,
    pub into_person: PersonId,
    pub at: String,
}

fn ordered(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

impl Store {
    /// Every source record, for linking (pending ones marked).
    pub async fn linkable_records(&self) -> Result<Vec<LinkableRecord>> {
        let rows = sqlx::query(
            "SELECT id, department, record_json, warnings_json, link_status FROM source_records \
             ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(linkable_row).collect()
    }

    /// One source record as linking reads it.
    pub async fn linkable_record(&self, id: SourceRecordId) -> Result<Option<LinkableRecord>> {
        let row = sqlx::query(
            "SELECT id, department, record_json, warnings_json, link_status FROM source_records \
             WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(linkable_row).transpose()
    }

    /// The source records with a mention linked to `person` (for explaining that person's links).
    pub async fn linkable_records_of(&self, person: PersonId) -> Result<Vec<LinkableRecord>> {
        let all =
            sqlx::query("SELECT DISTINCT source_record_id FROM record_links WHERE person_id = $1")
                .bind(person.0)
                .fetch_all(&self.pool)
                .await?;
        let ids: Vec<i64> = all
            .iter()
            .map(|r| get(r, "source_record_id"))
            .collect::<Result<_>>()?;
        let mut out = Vec::new();
        for id in ids {
            let row = sqlx::query(
                "SELECT id, department, record_json, warnings_json, link_status FROM source_records \
                 WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
            out.push(linkable_row(&row)?);
        }
        Ok(out)
    }

    pub async fn mention_links(&self) -> Result<Vec<MentionLink>> {
        let rows = sqlx::query(
            "SELECT source_record_id, role, person_id FROM record_links ORDER BY source_record_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let role: String = get(row, "role")?;
                Ok(MentionLink {
                    record: SourceRecordId(get(row, "source_record_id")?),
                    role: MentionRole::parse(&role).ok_or_else(|| corrupt("role", &role))?,
                    person: get::<Option<i64>>(row, "person_id")?.map(PersonId),
                })
            })
            .collect()
    }

    /// The most recently saved model, as JSON.
    pub async fn link_model(&self) -> Result<Option<String>> {
        let row = sqlx::query("SELECT model_json FROM link_models ORDER BY id DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| get(&r, "model_json")).transpose()
    }

    pub async fn link_decisions(&self) -> Result<Vec<DecisionRow>> {
        let rows = sqlx::query(
            "SELECT record_a, record_b, decision, decided_by, decided_at, note FROM link_decisions \
             ORDER BY decided_at, record_a, record_b",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DecisionRow {
                    record_a: get(row, "record_a")?,
                    record_b: get(row, "record_b")?,
                    decision: get(row, "decision")?,
                    decided_by: get(row, "decided_by")?,
                    decided_at: get(row, "decided_at")?,
                    note: get(row, "note")?,
                })
            })
            .collect()
    }

    /// Records a clerk's decision (replacing an earlier one on the same pair), removes the pair
    /// from the review queue and audits it, in one transaction.
    pub async fn decide_link(
        &self,
        a: &str,
        b: &str,
        same_person: bool,
        user_id: i64,
        username: &str,
        note: &str,
    ) -> Result<()> {
        let (a, b) = ordered(a, b);
        let decision = if same_person {
            "same_person"
        } else {
            "different_persons"
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO link_decisions (record_a, record_b, decision, decided_by, decided_at, note) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (record_a, record_b) DO UPDATE SET \
             decision = excluded.decision, decided_by = excluded.decided_by, \
             decided_at = excluded.decided_at, note = excluded.note",
        )
        .bind(a.clone())
        .bind(b.clone())
        .bind(decision)
        .bind(user_id)
        .bind(now_text(Utc::now()))
        .bind(note.to_string())
        .execute(&mut *tx.tx)
        .await?;
        sqlx::query("DELETE FROM link_review WHERE record_a = $1 AND record_b = $2")
            .bind(a.clone())
            .bind(b.clone())
            .execute(&mut *tx.tx)
            .await?;
        append(
            &mut tx.tx,
            &AuditEntry {
                user_id: Some(user_id),
                username: username.to_string(),
                action: "link_decision".into(),
                target_kind: "record_pair".into(),
                target_id: format!("{a}|{b}"),
                detail: format!("{decision} {note}").trim().to_string(),
            },
        )
        .await?;
        tx.commit().await
    }

    pub async fn review_queue(&self, limit: i64) -> Result<Vec<ReviewRow>> {
        let rows = sqlx::query(
            "SELECT record_a, record_b, probability, weight, person_a, person_b FROM link_review \
             ORDER BY weight DESC, record_a, record_b LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(review_row).collect()
    }

    pub async fn review_pair(&self, a: &str, b: &str) -> Result<Option<ReviewRow>> {
        let (a, b) = ordered(a, b);
        let row = sqlx::query(
            "SELECT record_a, record_b, probability, weight, person_a, person_b FROM link_review \
             WHERE record_a = $1 AND record_b = $2",
        )
        .bind(a)
        .bind(b)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(review_row).transpose()
    }

    pub async fn count_review(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM link_review")
            .fetch_one(&self.pool)
            .await?;
        get(&row, "n")
    }

    pub async fn link_refused(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT record_a, record_b FROM link_refused ORDER BY record_a")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((get(r, "record_a")?, get(r, "record_b")?)))
            .collect()
    }

    pub async fn person_events(&self, person: PersonId) -> Result<Vec<PersonEventRow>> {
        let rows = sqlx::query(
            "SELECT run_id, kind, from_person, into_person, at FROM person_events \
             WHERE from_person = $1 OR into_person = $1 ORDER BY id",
        )
        .bind(person.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PersonEventRow {
                    run_id: get(r, "run_id")?,
                    kind: get(r, "kind")?,
                    from_person: PersonId(get(r, "from_person")?),
                    into_person: PersonId(get(r, "into_person")?),
                    at: get(r, "at")?,
                })
            })
            .collect()
    }

    /// The person a (possibly merged-away) person id now lives on.
    pub async fn current_person(&self, person: PersonId) -> Result<PersonId> {
        let mut current = person;
        for _ in 0..32 {
            let row = sqlx::query(
                "SELECT into_person FROM person_events WHERE from_person = $1 AND kind = 'merged' \
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(current.0)
            .fetch_optional(&self.pool)
            .await?;
            match row {
                Some(r) => current = PersonId(get(&r, "into_person")?),
                None => break,
            }
        }
        Ok(current)
    }
}

fn linkable_row(row: &sqlx::any::AnyRow) -> Result<LinkableRecord> {
    let department: String = get(row, "department")?;
    let json: String = get(row, "record_json")?;
    let warnings: String = get(row, "warnings_json")?;
    let status: String = get(row, "link_status")?;
    let warnings: Vec<serde_json::Value> = serde_json::from_str(&warnings).unwrap_or_default();
    let refused_fields = warnings
        .iter()
        .filter_map(|w| {
            Some((
                w.get("field")?.as_str()?.to_string(),
                w.get("value")?.as_str()?.to_string(),
            ))
        })
        .collect();
    Ok(LinkableRecord {
        id: SourceRecordId(get(row, "id")?),
        department: Department::parse(&department)
            .ok_or_else(|| corrupt("department", &department))?,
        record: serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("record {json}: {e}")))?,
        refused_fields,
        pending: status == "pending",
    })
}

fn review_row(row: &sqlx::any::AnyRow) -> Result<ReviewRow> {
    Ok(ReviewRow {
        record_a: get(row, "record_a")?,
        record_b: get(row, "record_b")?,
        probability: get(row, "probability")?,
        weight: get(row, "weight")?,
        person_a: get::<Option<i64>>(row, "person_a")?.map(PersonId),
        person_b: get::<Option<i64>>(row, "person_b")?.map(PersonId),
    })
}

impl LinkWriter<'_> {
    /// Inserts a person with a given id, or replaces the identity fields of an existing one.
    /// A valid ID already held by another person stays there and this one keeps none (the
    /// conflict shows on the person page, from the linked records).
    pub async fn upsert_person(&mut self, id: PersonId, p: &crate::NewPerson) -> Result<()> {
        crate::population::bind_identity(
            sqlx::query(
                "INSERT INTO persons (id, citizen_id, name, sex, birth_date, hukou_region, \
                 hukou_address, residence_grid, residence_address, household_no, \
                 identity_source_id, created_at, updated_at) \
                 VALUES ($12, CASE WHEN EXISTS (SELECT 1 FROM persons o WHERE o.citizen_id = $1 \
                 AND o.id <> $12) THEN NULL ELSE $1 END, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                 $11, $11) \
                 ON CONFLICT (id) DO UPDATE SET citizen_id = excluded.citizen_id, \
                 name = excluded.name, sex = excluded.sex, birth_date = excluded.birth_date, \
                 hukou_region = excluded.hukou_region, hukou_address = excluded.hukou_address, \
                 residence_grid = excluded.residence_grid, \
                 residence_address = excluded.residence_address, \
                 household_no = excluded.household_no, \
                 identity_source_id = excluded.identity_source_id, updated_at = excluded.updated_at",
            ),
            p,
        )
        .bind(self.now.clone())
        .bind(id.0)
        .execute(&mut *self.tx.tx)
        .await?;
        Ok(())
    }

    /// Forgets what was derived from a record (links, relationships, facts) before re-deriving it.
    pub async fn clear_record(&mut self, record: SourceRecordId) -> Result<()> {
        for table in ["facts", "relationships", "record_links"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE source_record_id = $1"))
                .bind(record.0)
                .execute(&mut *self.tx.tx)
                .await?;
        }
        Ok(())
    }

    /// Moves everything that hangs off `from` onto `into` (a merge) and removes `from`.
    /// An alert of `from` that would duplicate one of `into` is closed as a duplicate instead.
    pub async fn merge_person(&mut self, from: PersonId, into: PersonId) -> Result<()> {
        let tx = &mut *self.tx.tx;
        // Duplicated alerts (same trigger, or a second open alert for the same reason) are closed.
        sqlx::query(
            "UPDATE alerts SET status = 'closed', closed_at = $3, \
             detail = detail || '（人员合并：与另一预警重复）' \
             WHERE person_id = $1 AND (trigger_key IN (SELECT trigger_key FROM alerts WHERE person_id = $2) \
             OR (status = 'open' AND reason_code IN \
                 (SELECT reason_code FROM alerts WHERE person_id = $2 AND status = 'open')))",
        )
        .bind(from.0)
        .bind(into.0)
        .bind(self.now.clone())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE alerts SET trigger_key = trigger_key || '#merged' || CAST(id AS TEXT) \
             WHERE person_id = $1 AND trigger_key IN (SELECT trigger_key FROM alerts WHERE person_id = $2)",
        )
        .bind(from.0)
        .bind(into.0)
        .execute(&mut *tx)
        .await?;
        // The merged-away person's findings go (its categories are deleted below), so the
        // decisions about them lapse; the survivor's findings are verified on their own.
        sqlx::query(
            "UPDATE verifications SET lapsed_on = $2 WHERE person_id = $1 AND lapsed_on IS NULL",
        )
        .bind(from.0)
        .bind(self.now.get(..10).unwrap_or_default().to_string())
        .execute(&mut *tx)
        .await?;
        for (table, column) in [
            ("alerts", "person_id"),
            ("verifications", "person_id"),
            ("visits", "person_id"),
            ("photos", "person_id"),
            ("risk_overrides", "person_id"),
            ("reveals", "person_id"),
            ("facts", "person_id"),
            ("record_links", "person_id"),
        ] {
            sqlx::query(&format!(
                "UPDATE {table} SET {column} = $2 WHERE {column} = $1"
            ))
            .bind(from.0)
            .bind(into.0)
            .execute(&mut *tx)
            .await?;
        }
        // Relationships follow the person; one already held by the survivor is not duplicated.
        for (column, other) in [("child_id", "relative_id"), ("relative_id", "child_id")] {
            sqlx::query(&format!(
                "DELETE FROM relationships WHERE {column} = $1 AND EXISTS (SELECT 1 FROM \
                 relationships r2 WHERE r2.{column} = $2 AND r2.kind = relationships.kind \
                 AND r2.{other} = relationships.{other})"
            ))
            .bind(from.0)
            .bind(into.0)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "UPDATE relationships SET {column} = $2 WHERE {column} = $1"
            ))
            .bind(from.0)
            .bind(into.0)
            .execute(&mut *tx)
            .await?;
        }
        // A person is not their own relative.
        sqlx::query("DELETE FROM relationships WHERE child_id = relative_id")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM child_categories WHERE person_id = $1")
            .bind(from.0)
            .execute(&mut *tx)
            .await?;
        // Houses are re-derived at the end of the run, from the survivor's addresses; the
        // survivor's risk history is its own (the next assessment starts from it).
        for table in ["person_houses", "risk_assessments"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE person_id = $1"))
                .bind(from.0)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM persons WHERE id = $1")
            .bind(from.0)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// Removes a person no record points to any more (its records became unlinkable).
    pub async fn drop_person_if_orphan(&mut self, id: PersonId) -> Result<bool> {
        let tx = &mut *self.tx.tx;
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM record_links WHERE person_id = $1) + \
             (SELECT COUNT(*) FROM alerts WHERE person_id = $1) + \
             (SELECT COUNT(*) FROM visits WHERE person_id = $1) + \
             (SELECT COUNT(*) FROM risk_overrides WHERE person_id = $1) + \
             (SELECT COUNT(*) FROM verifications WHERE person_id = $1) AS n",
        )
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await?;
        let n: i64 = get(&row, "n")?;
        if n > 0 {
            return Ok(false);
        }
        for sql in [
            "DELETE FROM relationships WHERE child_id = $1 OR relative_id = $1",
            "DELETE FROM person_houses WHERE person_id = $1",
            "DELETE FROM risk_assessments WHERE person_id = $1",
            "DELETE FROM facts WHERE person_id = $1",
            "DELETE FROM child_categories WHERE person_id = $1",
            "DELETE FROM persons WHERE id = $1",
        ] {
            sqlx::query(sql).bind(id.0).execute(&mut *tx).await?;
        }
        Ok(true)
    }

    /// Starts a run record; events refer to it.
    pub async fn start_run(&mut self, mode: &str, started_at: &str) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO link_runs (mode, started_at, finished_at, summary_json) \
             VALUES ($1, $2, $2, '{}') RETURNING id",
        )
        .bind(mode.to_string())
        .bind(started_at.to_string())
        .fetch_one(&mut *self.tx.tx)
        .await?;
        get(&row, "id")
    }

    pub async fn finish_run(&mut self, run: i64, summary_json: &str) -> Result<()> {
        sqlx::query("UPDATE link_runs SET finished_at = $1, summary_json = $2 WHERE id = $3")
            .bind(self.now.clone())
            .bind(summary_json.to_string())
            .bind(run)
            .execute(&mut *self.tx.tx)
            .await?;
        Ok(())
    }

    pub async fn person_event(
        &mut self,
        run: i64,
        kind: &str,
        from: PersonId,
        into: PersonId,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO person_events (run_id, kind, from_person, into_person, at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(run)
        .bind(kind.to_string())
        .bind(from.0)
        .bind(into.0)
        .bind(self.now.clone())
        .execute(&mut *self.tx.tx)
        .await?;
        Ok(())
    }

    pub async fn save_model(
        &mut self,
        records: i64,
        model_json: &str,
        config_json: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO link_models (created_at, records, model_json, config_json) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(self.now.clone())
        .bind(records)
        .bind(model_json.to_string())
        .bind(config_json.to_string())
        .execute(&mut *self.tx.tx)
        .await?;
        // Keep the last few models only: they are large.
        sqlx::query(
            "DELETE FROM link_models WHERE id NOT IN \
             (SELECT id FROM link_models ORDER BY id DESC LIMIT 3)",
        )
        .execute(&mut *self.tx.tx)
        .await?;
        Ok(())
    }

    /// Replaces the review queue and the refused joins with this run's.
    pub async fn replace_review(
        &mut self,
        rows: &[ReviewRow],
        refused: &[(String, String)],
    ) -> Result<()> {
        sqlx::query("DELETE FROM link_review")
            .execute(&mut *self.tx.tx)
            .await?;
        sqlx::query("DELETE FROM link_refused")
            .execute(&mut *self.tx.tx)
            .await?;
        for r in rows {
            let (a, b) = ordered(&r.record_a, &r.record_b);
            sqlx::query(
                "INSERT INTO link_review (record_a, record_b, probability, weight, person_a, \
                 person_b) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(a)
            .bind(b)
            .bind(r.probability)
            .bind(r.weight)
            .bind(r.person_a.map(|p| p.0))
            .bind(r.person_b.map(|p| p.0))
            .execute(&mut *self.tx.tx)
            .await?;
        }
        for (a, b) in refused {
            let (a, b) = ordered(a, b);
            sqlx::query("INSERT INTO link_refused (record_a, record_b) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(a)
                .bind(b)
                .execute(&mut *self.tx.tx)
                .await?;
        }
        Ok(())
    }

    /// After persons were inserted with explicit ids, moves PostgreSQL's id sequence past them.
    pub async fn sync_person_ids(&mut self, backend: Backend) -> Result<()> {
        if backend == Backend::Postgres {
            sqlx::query(
                "SELECT setval(pg_get_serial_sequence('persons', 'id'), \
                 GREATEST((SELECT COALESCE(MAX(id), 0) FROM persons), 1))",
            )
            .execute(&mut *self.tx.tx)
            .await?;
        }
        Ok(())
    }
}

impl Store {
    /// The next free person id (linking hands out ids itself so they stay stable).
    pub async fn next_person_id(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS n FROM persons")
            .fetch_one(&self.pool)
            .await?;
        get(&row, "n")
    }
}
