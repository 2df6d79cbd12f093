//! Import batches, source records exactly as received, and the quarantine of rejected rows.

use chrono::Utc;
use humiao_core::{Department, DepartmentRecord, RecordKind, SourceRecordId};

use crate::{corrupt, get, now_text, Arg, Result, Sql, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchStatus {
    /// Started; rows are being committed chunk by chunk.
    Running,
    Completed,
    /// The file could not be read at all; `error` says why.
    Failed,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => Self::Running,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Running => "导入中",
            Self::Completed => "已完成",
            Self::Failed => "失败",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBatch {
    pub department: Department,
    pub record_kind: RecordKind,
    pub mapping_name: String,
    pub file_name: String,
    pub file_sha256: String,
    pub imported_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    pub id: i64,
    pub department: Department,
    pub record_kind: RecordKind,
    pub mapping_name: String,
    pub file_name: String,
    pub file_sha256: String,
    pub status: BatchStatus,
    pub rows_total: i64,
    pub rows_new: i64,
    pub rows_duplicate: i64,
    pub rows_quarantined: i64,
    pub error: Option<String>,
    pub imported_by: String,
    pub started_at: String,
    pub finished_at: Option<String>,
}

/// A valid row to keep.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSourceRecord {
    pub line: i64,
    pub content_hash: String,
    pub raw: serde_json::Value,
    pub record: DepartmentRecord,
    /// Problems that did not stop the row (e.g. an invalid optional ID), as JSON.
    pub warnings: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRow {
    pub line: i64,
    pub field: String,
    pub column: String,
    pub value: String,
    pub reason: String,
    pub raw: String,
}

/// A record waiting to be linked.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingRecord {
    pub id: SourceRecordId,
    pub department: Department,
    pub record: DepartmentRecord,
}

const BATCH_COLUMNS: &str = "id, department, record_kind, mapping_name, file_name, file_sha256, \
    status, rows_total, rows_new, rows_duplicate, rows_quarantined, error, imported_by, \
    started_at, finished_at";

fn batch_row(row: &sqlx::any::AnyRow) -> Result<BatchRow> {
    let department: String = get(row, "department")?;
    let kind: String = get(row, "record_kind")?;
    let status: String = get(row, "status")?;
    Ok(BatchRow {
        id: get(row, "id")?,
        department: Department::parse(&department)
            .ok_or_else(|| corrupt("department", &department))?,
        record_kind: RecordKind::parse(&kind).ok_or_else(|| corrupt("record kind", &kind))?,
        mapping_name: get(row, "mapping_name")?,
        file_name: get(row, "file_name")?,
        file_sha256: get(row, "file_sha256")?,
        status: BatchStatus::parse(&status).ok_or_else(|| corrupt("batch status", &status))?,
        rows_total: get(row, "rows_total")?,
        rows_new: get(row, "rows_new")?,
        rows_duplicate: get(row, "rows_duplicate")?,
        rows_quarantined: get(row, "rows_quarantined")?,
        error: get(row, "error")?,
        imported_by: get(row, "imported_by")?,
        started_at: get(row, "started_at")?,
        finished_at: get(row, "finished_at")?,
    })
}

impl Store {
    /// A completed batch of the same department and file content, if any: importing it again
    /// would change nothing.
    pub async fn completed_batch_for_file(
        &self,
        department: Department,
        file_sha256: &str,
    ) -> Result<Option<BatchRow>> {
        let row = sqlx::query(&format!(
            "SELECT {BATCH_COLUMNS} FROM import_batches WHERE department = $1 \
             AND file_sha256 = $2 AND status = 'completed' ORDER BY id LIMIT 1"
        ))
        .bind(department.code())
        .bind(file_sha256.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(batch_row).transpose()
    }

    pub async fn create_batch(&self, batch: &NewBatch) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO import_batches (department, record_kind, mapping_name, file_name, \
             file_sha256, status, imported_by, started_at) \
             VALUES ($1, $2, $3, $4, $5, 'running', $6, $7) RETURNING id",
        )
        .bind(batch.department.code())
        .bind(batch.record_kind.code())
        .bind(batch.mapping_name.clone())
        .bind(batch.file_name.clone())
        .bind(batch.file_sha256.clone())
        .bind(batch.imported_by.clone())
        .bind(now_text(Utc::now()))
        .fetch_one(&mut *tx.tx)
        .await?;
        let id = get(&row, "id")?;
        tx.commit().await?;
        Ok(id)
    }

    /// Commits one chunk of a batch: valid rows (a row already held for this department is
    /// skipped) and quarantined rows, together. Returns (new, duplicate) counts.
    pub async fn add_batch_rows(
        &self,
        batch_id: i64,
        records: &[NewSourceRecord],
        quarantined: &[QuarantineRow],
    ) -> Result<(i64, i64)> {
        let batch = self.batch(batch_id).await?;
        let mut tx = self.begin_write().await?;
        let now = now_text(Utc::now());
        let mut inserted = 0;
        for chunk in records.chunks(200) {
            let mut sql = Sql::new(
                "INSERT INTO source_records (batch_id, department, record_kind, file_name, line, \
                 content_hash, raw_json, record_json, warnings_json, created_at) VALUES ",
            );
            for (i, r) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                let record_json = serde_json::to_string(&r.record)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                sql.push("(")
                    .bind(Arg::Int(batch_id))
                    .push(", ")
                    .bind(Arg::Text(batch.department.code().into()))
                    .push(", ")
                    .bind(Arg::Text(r.record.kind().code().into()))
                    .push(", ")
                    .bind(Arg::Text(batch.file_name.clone()))
                    .push(", ")
                    .bind(Arg::Int(r.line))
                    .push(", ")
                    .bind(Arg::Text(r.content_hash.clone()))
                    .push(", ")
                    .bind(Arg::Text(r.raw.to_string()))
                    .push(", ")
                    .bind(Arg::Text(record_json))
                    .push(", ")
                    .bind(Arg::Text(r.warnings.to_string()))
                    .push(", ")
                    .bind(Arg::Text(now.clone()))
                    .push(")");
            }
            sql.push(" ON CONFLICT (department, content_hash) DO NOTHING");
            inserted += sql.query().execute(&mut *tx.tx).await?.rows_affected() as i64;
        }
        for q in quarantined {
            sqlx::query(
                "INSERT INTO quarantine (batch_id, file_name, line, field, column_name, value, \
                 reason, raw_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(batch_id)
            .bind(batch.file_name.clone())
            .bind(q.line)
            .bind(q.field.clone())
            .bind(q.column.clone())
            .bind(q.value.clone())
            .bind(q.reason.clone())
            .bind(q.raw.clone())
            .execute(&mut *tx.tx)
            .await?;
        }
        let duplicates = records.len() as i64 - inserted;
        let quarantined_rows = {
            let mut lines: Vec<i64> = quarantined.iter().map(|q| q.line).collect();
            lines.dedup();
            lines.len() as i64
        };
        sqlx::query(
            "UPDATE import_batches SET rows_total = rows_total + $1, rows_new = rows_new + $2, \
             rows_duplicate = rows_duplicate + $3, rows_quarantined = rows_quarantined + $4 \
             WHERE id = $5",
        )
        .bind(records.len() as i64 + quarantined_rows)
        .bind(inserted)
        .bind(duplicates)
        .bind(quarantined_rows)
        .bind(batch_id)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok((inserted, duplicates))
    }

    pub async fn finish_batch(
        &self,
        batch_id: i64,
        status: BatchStatus,
        error: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE import_batches SET status = $1, error = $2, finished_at = $3 WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(error.map(str::to_string))
        .bind(now_text(Utc::now()))
        .bind(batch_id)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
    }

    pub async fn batch(&self, id: i64) -> Result<BatchRow> {
        let row = sqlx::query(&format!(
            "SELECT {BATCH_COLUMNS} FROM import_batches WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        batch_row(&row)
    }

    /// Batches, newest first; only one department's when given (a liaison's view).
    pub async fn batches(&self, department: Option<Department>) -> Result<Vec<BatchRow>> {
        let mut sql = Sql::new(&format!("SELECT {BATCH_COLUMNS} FROM import_batches"));
        if let Some(d) = department {
            sql.push(" WHERE department = ")
                .bind(Arg::Text(d.code().into()));
        }
        sql.push(" ORDER BY id DESC");
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter().map(batch_row).collect()
    }

    pub async fn quarantine(&self, batch_id: i64) -> Result<Vec<QuarantineRow>> {
        let rows = sqlx::query(
            "SELECT line, field, column_name, value, reason, raw_json FROM quarantine \
             WHERE batch_id = $1 ORDER BY line, id",
        )
        .bind(batch_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(QuarantineRow {
                    line: get(row, "line")?,
                    field: get(row, "field")?,
                    column: get(row, "column_name")?,
                    value: get(row, "value")?,
                    reason: get(row, "reason")?,
                    raw: get(row, "raw_json")?,
                })
            })
            .collect()
    }

    /// Records not yet linked, in the order they arrived.
    pub async fn pending_records(&self) -> Result<Vec<PendingRecord>> {
        let rows = sqlx::query(
            "SELECT id, department, record_json FROM source_records \
             WHERE link_status = 'pending' ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let department: String = get(row, "department")?;
                let json: String = get(row, "record_json")?;
                Ok(PendingRecord {
                    id: SourceRecordId(get(row, "id")?),
                    department: Department::parse(&department)
                        .ok_or_else(|| corrupt("department", &department))?,
                    record: serde_json::from_str(&json)
                        .map_err(|e| StoreError::Corrupt(format!("record {json}: {e}")))?,
                })
            })
            .collect()
    }

    pub async fn count_source_records(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM source_records")
            .fetch_one(&self.pool)
            .await?;
        get(&row, "n")
    }
}
