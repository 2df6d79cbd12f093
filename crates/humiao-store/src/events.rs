//! Event intake: department API keys (only their SHA-256 kept, revocable) and events stored
//! before they are acknowledged — accepted once per department event ID, or refused and kept
//! with their problems for inspection.

use chrono::{NaiveDate, Utc};
use humiao_core::SourceRecordId;
use humiao_core::{CitizenId, Department, DepartmentRecord, PersonId, PersonName, RegionCode};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::audit::{append, AuditEntry};
use crate::{corrupt, get, now_text, Result, Store, StoreError};

/// What keys look like: a prefix that says what they are, then 32 random bytes in hex.
const KEY_PREFIX: &str = "hmk_";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    pub id: i64,
    pub department: Department,
    pub label: String,
    /// The first characters of the key, to tell keys apart.
    pub key_prefix: String,
    pub created_at: String,
    pub created_by: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
}

/// A key that authenticated: which key, for which department.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKeyAuth {
    pub id: i64,
    pub department: Department,
}

/// What storing an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventReceipt {
    /// Stored now, under this id.
    Accepted(i64),
    /// The department sent this event ID before; the first one's id.
    Duplicate(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: i64,
    pub api_key_id: i64,
    pub department: String,
    pub event_id: Option<String>,
    pub kind: Option<String>,
    /// "accepted" or "refused".
    pub status: String,
    pub received_at: String,
    pub body: String,
    pub problems_json: Option<String>,
    pub processed_at: Option<String>,
    /// The source record it became when processed.
    pub source_record_id: Option<i64>,
    /// What processing found (links, children, alerts), as JSON.
    pub outcome_json: Option<String>,
}

/// A person as event processing needs them: who, born when, living where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonBrief {
    pub id: PersonId,
    pub name: String,
    pub birth_date: NaiveDate,
    pub residence_grid: Option<RegionCode>,
}

fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn key_row(row: &sqlx::any::AnyRow) -> Result<ApiKeyRow> {
    let department: String = get(row, "department")?;
    Ok(ApiKeyRow {
        id: get(row, "id")?,
        department: Department::parse(&department)
            .ok_or_else(|| corrupt("department", &department))?,
        label: get(row, "label")?,
        key_prefix: get(row, "key_prefix")?,
        created_at: get(row, "created_at")?,
        created_by: get(row, "created_by")?,
        revoked_at: get(row, "revoked_at")?,
        revoked_by: get(row, "revoked_by")?,
    })
}

fn event_row(row: &sqlx::any::AnyRow) -> Result<EventRow> {
    Ok(EventRow {
        id: get(row, "id")?,
        api_key_id: get(row, "api_key_id")?,
        department: get(row, "department")?,
        event_id: get(row, "event_id")?,
        kind: get(row, "kind")?,
        status: get(row, "status")?,
        received_at: get(row, "received_at")?,
        body: get(row, "body")?,
        problems_json: get(row, "problems_json")?,
        processed_at: get(row, "processed_at")?,
        source_record_id: get(row, "source_record_id")?,
        outcome_json: get(row, "outcome_json")?,
    })
}

const EVENT_COLUMNS: &str = "id, api_key_id, department, event_id, kind, status, received_at, \
                             body, problems_json, processed_at, source_record_id, outcome_json";

fn brief_row(row: &sqlx::any::AnyRow) -> Result<PersonBrief> {
    let birth: String = get(row, "birth_date")?;
    let grid: Option<String> = get(row, "residence_grid")?;
    Ok(PersonBrief {
        id: PersonId(get(row, "id")?),
        name: get(row, "name")?,
        birth_date: crate::parse_date(&birth)?,
        residence_grid: grid.and_then(|g| RegionCode::parse(&g).ok()),
    })
}

impl Store {
    /// Creates a key for a department. Returns its id and the key itself, which is shown once
    /// and never stored. Audited.
    pub async fn create_api_key(
        &self,
        department: Department,
        label: &str,
        created_by: &str,
    ) -> Result<(i64, String)> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let key = format!("{KEY_PREFIX}{}", hex::encode(bytes));
        let prefix: String = key.chars().take(KEY_PREFIX.len() + 8).collect();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO api_keys (department, label, key_hash, key_prefix, created_at, \
             created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(department.code())
        .bind(label.to_string())
        .bind(key_hash(&key))
        .bind(prefix.clone())
        .bind(now_text(Utc::now()))
        .bind(created_by.to_string())
        .fetch_one(&mut *tx.tx)
        .await?;
        let id: i64 = get(&row, "id")?;
        append(
            &mut tx.tx,
            &AuditEntry {
                user_id: None,
                username: created_by.to_string(),
                action: "apikey.create".into(),
                target_kind: "api_key".into(),
                target_id: id.to_string(),
                detail: format!("{} {label} ({prefix}…)", department.code()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok((id, key))
    }

    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRow>> {
        sqlx::query(
            "SELECT id, department, label, key_prefix, created_at, created_by, revoked_at, \
             revoked_by FROM api_keys ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(key_row)
        .collect()
    }

    /// Revokes a key at once (its next request is refused). Audited. `NotFound` for a key that
    /// does not exist or is already revoked.
    pub async fn revoke_api_key(&self, id: i64, revoked_by: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1, revoked_by = $2 \
             WHERE id = $3 AND revoked_at IS NULL",
        )
        .bind(now_text(Utc::now()))
        .bind(revoked_by.to_string())
        .bind(id)
        .execute(&mut *tx.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append(
            &mut tx.tx,
            &AuditEntry {
                user_id: None,
                username: revoked_by.to_string(),
                action: "apikey.revoke".into(),
                target_kind: "api_key".into(),
                target_id: id.to_string(),
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The department of a key that exists and is not revoked.
    pub async fn authenticate_api_key(&self, key: &str) -> Result<Option<ApiKeyAuth>> {
        if !key.starts_with(KEY_PREFIX) || key.len() > 200 {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT id, department FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash(key))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let department: String = get(&row, "department")?;
            Ok(ApiKeyAuth {
                id: get(&row, "id")?,
                department: Department::parse(&department)
                    .ok_or_else(|| corrupt("department", &department))?,
            })
        })
        .transpose()
    }

    /// Stores a well-formed event, committed before it returns: once per department event ID.
    pub async fn accept_event(
        &self,
        key: &ApiKeyAuth,
        event_id: &str,
        kind: &str,
        body: &str,
    ) -> Result<EventReceipt> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO events (api_key_id, department, event_id, kind, status, received_at, \
             body) VALUES ($1, $2, $3, $4, 'accepted', $5, $6) \
             ON CONFLICT (department, event_id) WHERE status = 'accepted' DO NOTHING \
             RETURNING id",
        )
        .bind(key.id)
        .bind(key.department.code())
        .bind(event_id.to_string())
        .bind(kind.to_string())
        .bind(crate::now_text_ms(Utc::now()))
        .bind(body.to_string())
        .fetch_optional(&mut *tx.tx)
        .await?;
        let receipt = match inserted {
            Some(row) => EventReceipt::Accepted(get(&row, "id")?),
            None => {
                let row = sqlx::query(
                    "SELECT id FROM events WHERE department = $1 AND event_id = $2 \
                     AND status = 'accepted'",
                )
                .bind(key.department.code())
                .bind(event_id.to_string())
                .fetch_one(&mut *tx.tx)
                .await?;
                EventReceipt::Duplicate(get(&row, "id")?)
            }
        };
        tx.commit().await?;
        Ok(receipt)
    }

    /// Keeps a refused event with its problems, for inspection.
    pub async fn refuse_event(
        &self,
        key: &ApiKeyAuth,
        event_id: Option<&str>,
        body: &str,
        problems_json: &str,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO events (api_key_id, department, event_id, status, received_at, body, \
             problems_json) VALUES ($1, $2, $3, 'refused', $4, $5, $6) RETURNING id",
        )
        .bind(key.id)
        .bind(key.department.code())
        .bind(event_id.map(str::to_string))
        .bind(crate::now_text_ms(Utc::now()))
        .bind(body.to_string())
        .bind(problems_json.to_string())
        .fetch_one(&mut *tx.tx)
        .await?;
        let id = get(&row, "id")?;
        tx.commit().await?;
        Ok(id)
    }

    /// Events, newest first; `status` "accepted" or "refused" narrows them.
    pub async fn events(&self, status: Option<&str>, limit: i64) -> Result<Vec<EventRow>> {
        let rows = match status {
            Some(status) => {
                sqlx::query(&format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE status = $1 \
                     ORDER BY id DESC LIMIT $2"
                ))
                .bind(status.to_string())
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {EVENT_COLUMNS} FROM events ORDER BY id DESC LIMIT $1"
                ))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(event_row).collect()
    }

    /// Accepted events not yet processed, oldest first.
    pub async fn unprocessed_events(&self, limit: i64) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE status = 'accepted' \
             AND processed_at IS NULL ORDER BY id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_row).collect()
    }

    /// Accepted events in arrival order from `after_id` on (replaying them).
    pub async fn accepted_events_after(&self, after_id: i64, limit: i64) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE status = 'accepted' AND id > $1 \
             ORDER BY id LIMIT $2"
        ))
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_row).collect()
    }

    /// One event by id.
    pub async fn event(&self, id: i64) -> Result<EventRow> {
        let row = sqlx::query(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        event_row(&row)
    }

    /// The source record an accepted event becomes: one per department event ID, in a batch of
    /// that department's events of the day it arrived (`推送事件 police 2026-11-23`). Creating
    /// it again returns the same record.
    pub async fn event_source_record(
        &self,
        event: &EventRow,
        record: &DepartmentRecord,
    ) -> Result<SourceRecordId> {
        let event_id = event
            .event_id
            .clone()
            .ok_or_else(|| corrupt("event_id", "missing on an accepted event"))?;
        let day = event
            .received_at
            .get(..10)
            .unwrap_or(&event.received_at)
            .to_string();
        let file_name = format!("推送事件 {} {day}", event.department);
        let record_json =
            serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = now_text(Utc::now());
        let mut tx = self.begin_write().await?;
        let batch = sqlx::query(
            "SELECT id FROM import_batches WHERE department = $1 AND record_kind = 'event' \
             AND file_name = $2",
        )
        .bind(event.department.clone())
        .bind(file_name.clone())
        .fetch_optional(&mut *tx.tx)
        .await?;
        let batch_id: i64 = match batch {
            Some(row) => get(&row, "id")?,
            None => get(
                &sqlx::query(
                    "INSERT INTO import_batches (department, record_kind, mapping_name, \
                     file_name, file_sha256, status, imported_by, started_at, finished_at) \
                     VALUES ($1, 'event', 'api', $2, '', 'completed', 'api', $3, $3) \
                     RETURNING id",
                )
                .bind(event.department.clone())
                .bind(file_name.clone())
                .bind(now.clone())
                .fetch_one(&mut *tx.tx)
                .await?,
                "id",
            )?,
        };
        let content_hash = format!("event:{event_id}");
        let inserted = sqlx::query(
            "INSERT INTO source_records (batch_id, department, record_kind, file_name, line, \
             content_hash, raw_json, record_json, warnings_json, created_at) \
             VALUES ($1, $2, 'event', $3, $4, $5, $6, $7, '[]', $8) \
             ON CONFLICT (department, content_hash) DO NOTHING RETURNING id",
        )
        .bind(batch_id)
        .bind(event.department.clone())
        .bind(file_name)
        .bind(event.id)
        .bind(content_hash.clone())
        .bind(event.body.clone())
        .bind(record_json)
        .bind(now)
        .fetch_optional(&mut *tx.tx)
        .await?;
        let id: i64 = match inserted {
            Some(row) => {
                sqlx::query(
                    "UPDATE import_batches SET rows_total = rows_total + 1, \
                     rows_new = rows_new + 1 WHERE id = $1",
                )
                .bind(batch_id)
                .execute(&mut *tx.tx)
                .await?;
                get(&row, "id")?
            }
            None => get(
                &sqlx::query(
                    "SELECT id FROM source_records WHERE department = $1 AND content_hash = $2",
                )
                .bind(event.department.clone())
                .bind(content_hash)
                .fetch_one(&mut *tx.tx)
                .await?,
                "id",
            )?,
        };
        tx.commit().await?;
        Ok(SourceRecordId(id))
    }

    /// The person holding this citizen ID, if any.
    pub async fn person_by_citizen_id(&self, id: &CitizenId) -> Result<Option<PersonBrief>> {
        let row = sqlx::query(
            "SELECT id, name, birth_date, residence_grid FROM persons WHERE citizen_id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(brief_row).transpose()
    }

    /// Persons with this name and birth date (to link a mention without an ID only when one
    /// person answers).
    pub async fn persons_by_name_birth(
        &self,
        name: &PersonName,
        birth: NaiveDate,
    ) -> Result<Vec<PersonBrief>> {
        let rows = sqlx::query(
            "SELECT id, name, birth_date, residence_grid FROM persons \
             WHERE name = $1 AND birth_date = $2 ORDER BY id LIMIT 5",
        )
        .bind(name.to_string())
        .bind(crate::date_text(birth))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(brief_row).collect()
    }

    /// These persons, briefly (those that exist), in id order.
    pub async fn person_briefs(&self, ids: &[PersonId]) -> Result<Vec<PersonBrief>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let row = sqlx::query(
                "SELECT id, name, birth_date, residence_grid FROM persons WHERE id = $1",
            )
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
            if let Some(row) = row {
                out.push(brief_row(&row)?);
            }
        }
        out.sort_by_key(|p| p.id);
        Ok(out)
    }

    /// Notes that an event was processed — the source record it became and what was found —
    /// and audits it as a change made by the system to the children it reached (`detail`).
    pub async fn mark_event_processed(
        &self,
        id: i64,
        source_record: Option<SourceRecordId>,
        outcome_json: &str,
        detail: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE events SET processed_at = $1, source_record_id = $2, outcome_json = $3 \
             WHERE id = $4",
        )
        .bind(crate::now_text_ms(Utc::now()))
        .bind(source_record.map(|s| s.0))
        .bind(outcome_json.to_string())
        .bind(id)
        .execute(&mut *tx.tx)
        .await?;
        append(
            &mut tx.tx,
            &AuditEntry {
                user_id: None,
                username: "system:events".into(),
                action: "event.process".into(),
                target_kind: "event".into(),
                target_id: id.to_string(),
                detail: detail.to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The channel a department's daily event file comes in on: a key row no one can present
    /// (its hash is not a SHA-256), so file events are stored, deduplicated and listed exactly
    /// as pushed ones, and name their channel.
    pub async fn file_channel_key(&self, department: Department) -> Result<ApiKeyAuth> {
        let hash = format!("file-channel:{}", department.code());
        let existing = sqlx::query("SELECT id FROM api_keys WHERE key_hash = $1")
            .bind(hash.clone())
            .fetch_optional(&self.pool)
            .await?;
        let id = match existing {
            Some(row) => get(&row, "id")?,
            None => {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(
                    "INSERT INTO api_keys (department, label, key_hash, key_prefix, created_at, \
                     created_by) VALUES ($1, '每日事件文件', $2, 'file', $3, 'system') \
                     ON CONFLICT (key_hash) DO UPDATE SET label = excluded.label RETURNING id",
                )
                .bind(department.code())
                .bind(hash)
                .bind(now_text(Utc::now()))
                .fetch_one(&mut *tx.tx)
                .await?;
                tx.commit().await?;
                get(&row, "id")?
            }
        };
        Ok(ApiKeyAuth { id, department })
    }

    /// Up to `limit` minors with a citizen ID and a parent with one (for the demo's event
    /// simulator: events about real persons of the demo county, so they link).
    pub async fn sample_families(&self, limit: i64) -> Result<Vec<SampleFamily>> {
        let rows = sqlx::query(
            "SELECT c.citizen_id AS child_id, c.name AS child_name, c.birth_date, \
             p.citizen_id AS parent_id, p.name AS parent_name, r.kind \
             FROM relationships r JOIN persons c ON c.id = r.child_id \
             JOIN persons p ON p.id = r.relative_id \
             WHERE r.kind IN ('father', 'mother') AND c.citizen_id IS NOT NULL \
             AND p.citizen_id IS NOT NULL AND c.birth_date > $1 ORDER BY c.id LIMIT $2",
        )
        .bind(crate::date_text(
            (Utc::now() - chrono::Duration::days(17 * 365)).date_naive(),
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let birth: String = get(row, "birth_date")?;
                Ok(SampleFamily {
                    child_citizen_id: get(row, "child_id")?,
                    child_name: get(row, "child_name")?,
                    child_birth: crate::parse_date(&birth)?,
                    parent_citizen_id: get(row, "parent_id")?,
                    parent_name: get(row, "parent_name")?,
                    parent_is_father: get::<String>(row, "kind")? == "father",
                })
            })
            .collect()
    }
}

/// A child and one parent, by their IDs (the event simulator's targets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleFamily {
    pub child_citizen_id: String,
    pub child_name: String,
    pub child_birth: NaiveDate,
    pub parent_citizen_id: String,
    pub parent_name: String,
    pub parent_is_father: bool,
}
