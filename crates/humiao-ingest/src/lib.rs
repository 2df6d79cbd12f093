//! Import front-end: department files (CSV, XLSX) in, typed records or row-level problems out.
//!
//! A [`Mapping`] (TOML, see `docs/mapping.md`) says which column of a department's export holds
//! which field of a [`RecordKind`](humiao_core::RecordKind). [`RowReader`] opens a file as the
//! mapping describes it (encoding, delimiter, sheet, header row), checks that every mapped column
//! is present and yields [`RawRow`]s; [`validate_row`] turns a row into a
//! [`DepartmentRecord`](humiao_core::DepartmentRecord) or into every [`FieldIssue`] it has.
//! [`parse_file`] does all of it, adding to each row its raw JSON and content hash.
//!
//! Nothing here touches the database: storing batches and quarantined rows is the pipeline's job.

pub mod mapping;
pub mod raw;
pub mod reader;
pub mod schema;
pub mod validate;

use std::path::Path;

use humiao_core::{Department, RecordKind};

pub use mapping::{FieldMapping, Mapping, MappingError, TextEncoding};
pub use raw::{content_hash, raw_keys};
pub use reader::{file_sha256, FileFormat, RawRow, ReadError, RowReader};
pub use schema::{FieldSpec, ValueType};
pub use validate::{parse_money, validate_row, FieldIssue, HeaderIndex, ValidRow, ROW_FIELD};

/// One data row of a file: where it was, what it said, and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRow {
    /// 1-based row number as a spreadsheet shows it.
    pub line: usize,
    /// Header → cell, as received.
    pub raw: serde_json::Value,
    /// [`content_hash`] of `raw`.
    pub content_hash: String,
    pub result: Result<ValidRow, Vec<FieldIssue>>,
}

/// The data rows of a file, parsed and validated lazily.
#[derive(Debug)]
pub struct ParsedRows {
    reader: RowReader,
    mapping: Mapping,
    keys: Vec<String>,
}

impl ParsedRows {
    /// Column names (trimmed), in file order.
    pub fn headers(&self) -> &[String] {
        self.reader.headers()
    }

    /// Size hint for progress: rows after the header (an upper bound for CSV).
    pub fn total_rows(&self) -> Option<u64> {
        self.reader.total_rows()
    }

    /// The file as named in messages.
    pub fn file_name(&self) -> &str {
        self.reader.file_name()
    }

    pub fn department(&self) -> Department {
        self.mapping.department
    }

    pub fn record_kind(&self) -> RecordKind {
        self.mapping.record_kind
    }
}

impl Iterator for ParsedRows {
    type Item = ParsedRow;

    fn next(&mut self) -> Option<ParsedRow> {
        let (department, kind) = (self.mapping.department, self.mapping.record_kind);
        Some(match self.reader.next()? {
            Ok(row) => {
                let raw = row.to_json_with_keys(&self.keys);
                let content_hash = content_hash(department, kind, &raw);
                let result = validate_row(&self.mapping, self.reader.header_index(), &row);
                ParsedRow {
                    line: row.line,
                    raw,
                    content_hash,
                    result,
                }
            }
            // A row the reader could not split into cells: quarantined like any bad row.
            Err(e) => {
                let raw = serde_json::json!({ "_error": e.to_string() });
                ParsedRow {
                    line: e.line().unwrap_or(0),
                    content_hash: content_hash(department, kind, &raw),
                    raw,
                    result: Err(vec![FieldIssue {
                        field: ROW_FIELD.to_string(),
                        column: String::new(),
                        value: String::new(),
                        reason: e.to_string(),
                    }]),
                }
            }
        })
    }
}

/// Opens `path` as `mapping` describes it and returns its headers and its rows, each parsed,
/// hashed and validated as it is read. Fails only for problems of the whole file (unreadable,
/// wrong format or encoding, missing columns); bad rows come back as `Err` results.
pub fn parse_file(path: &Path, mapping: &Mapping) -> Result<ParsedRows, ReadError> {
    let reader = RowReader::open(path, mapping)?;
    let keys = raw_keys(reader.headers());
    Ok(ParsedRows {
        reader,
        mapping: mapping.clone(),
        keys,
    })
}
