//! Importing one department file: read, validate every row, keep the valid ones exactly as
//! received, quarantine the rest with file, line, field and reason.
//!
//! Rows are committed in chunks; the batch is marked completed only at the end. A crash leaves
//! a `running` batch whose committed rows are kept; importing the file again skips them (each
//! row is identified by its content hash), so nothing acknowledged is lost and nothing doubles.

use std::path::Path;

use humiao_core::Department;
use humiao_ingest::{FieldIssue, Mapping};
use humiao_store::{BatchStatus, NewBatch, NewSourceRecord, QuarantineRow, Store, StoreError};

/// Rows per committed chunk.
const CHUNK: usize = 500;

/// Reports progress of a long import (a terminal progress bar, or nothing).
pub trait Progress {
    /// A new file begins; `total` is its size in rows when known.
    fn start(&self, file: &str, total: Option<u64>);
    fn advance(&self, rows: u64);
    fn finish(&self);
}

impl Progress for () {
    fn start(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Mapping(#[from] humiao_ingest::MappingError),
    #[error(transparent)]
    Read(#[from] humiao_ingest::ReadError),
    #[error("映射文件 {mapping} 属于{mapping_department}，与 --source {source_department} 不一致")]
    WrongDepartment {
        mapping: String,
        mapping_department: &'static str,
        source_department: &'static str,
    },
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub batch_id: i64,
    pub file: String,
    pub rows_total: i64,
    pub rows_new: i64,
    pub rows_duplicate: i64,
    pub rows_quarantined: i64,
}

#[derive(Debug)]
pub enum FileOutcome {
    Imported(ImportReport),
    /// The same content was imported before; nothing changed.
    AlreadyImported {
        batch_id: i64,
        file: String,
    },
}

fn quarantine_rows(line: i64, raw: &str, issues: &[FieldIssue]) -> Vec<QuarantineRow> {
    issues
        .iter()
        .map(|issue| QuarantineRow {
            line,
            field: issue.field.clone(),
            column: issue.column.clone(),
            value: issue.value.clone(),
            reason: issue.reason.clone(),
            raw: raw.to_string(),
        })
        .collect()
}

/// Loads a mapping and checks it belongs to `department`.
pub fn load_mapping(department: Department, path: &Path) -> Result<Mapping, ImportError> {
    let mapping = Mapping::load(path)?;
    if mapping.department != department {
        return Err(ImportError::WrongDepartment {
            mapping: path.display().to_string(),
            mapping_department: mapping.department.label_zh(),
            source_department: department.label_zh(),
        });
    }
    Ok(mapping)
}

/// Imports one file. A file that cannot be read at all is recorded as a failed batch and
/// returned as an error; bad rows are quarantined and do not fail the file.
pub async fn import_file(
    store: &Store,
    mapping: &Mapping,
    path: &Path,
    imported_by: &str,
    progress: &dyn Progress,
) -> Result<FileOutcome, ImportError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let sha = humiao_ingest::file_sha256(path).map_err(|source| ImportError::Io {
        file: path.display().to_string(),
        source,
    })?;
    if let Some(done) = store
        .completed_batch_for_file(mapping.department, &sha)
        .await?
    {
        return Ok(FileOutcome::AlreadyImported {
            batch_id: done.id,
            file: file_name,
        });
    }
    let batch_id = store
        .create_batch(&NewBatch {
            department: mapping.department,
            record_kind: mapping.record_kind,
            mapping_name: mapping.name.clone(),
            file_name: file_name.clone(),
            file_sha256: sha,
            imported_by: imported_by.to_string(),
        })
        .await?;
    let rows = match humiao_ingest::parse_file(path, mapping) {
        Ok(parsed) => parsed,
        Err(e) => {
            store
                .finish_batch(batch_id, BatchStatus::Failed, Some(&e.to_string()))
                .await?;
            return Err(e.into());
        }
    };
    progress.start(&file_name, rows.total_rows());
    let mut records = Vec::with_capacity(CHUNK);
    let mut quarantined = Vec::new();
    for row in rows {
        let line = row.line as i64;
        match row.result {
            Ok(valid) => records.push(NewSourceRecord {
                line,
                content_hash: row.content_hash,
                record: valid.record,
                warnings: serde_json::to_value(&valid.warnings).unwrap_or_default(),
                raw: row.raw,
            }),
            Err(issues) => quarantined.extend(quarantine_rows(line, &row.raw.to_string(), &issues)),
        }
        if records.len() + quarantined.len() >= CHUNK {
            let n = records.len() + quarantined.len();
            store
                .add_batch_rows(batch_id, &records, &quarantined)
                .await?;
            records.clear();
            quarantined.clear();
            progress.advance(n as u64);
        }
    }
    store
        .add_batch_rows(batch_id, &records, &quarantined)
        .await?;
    progress.advance((records.len() + quarantined.len()) as u64);
    store
        .finish_batch(batch_id, BatchStatus::Completed, None)
        .await?;
    progress.finish();
    let batch = store.batch(batch_id).await?;
    tracing::info!(
        batch = batch_id,
        file = %file_name,
        rows = batch.rows_total,
        new = batch.rows_new,
        quarantined = batch.rows_quarantined,
        "file imported"
    );
    Ok(FileOutcome::Imported(ImportReport {
        batch_id,
        file: file_name,
        rows_total: batch.rows_total,
        rows_new: batch.rows_new,
        rows_duplicate: batch.rows_duplicate,
        rows_quarantined: batch.rows_quarantined,
    }))
}
