//! Event intake: department API keys (only their SHA-256 kept, revocable) and events stored
//! before they are acknowledged — accepted once per department event ID, or refused and kept
//! with their problems for inspection.

use chrono::Utc;
use humiao_core::Department;
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
    })
}

const EVENT_COLUMNS: &str = "id, api_key_id, department, event_id, kind, status, received_at, \
                             body, problems_json, processed_at";

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
        .bind(now_text(Utc::now()))
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
        .bind(now_text(Utc::now()))
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
}
