//! Rows as received, kept as JSON, and the hashes that recognise them again.
//!
//! The raw JSON of a row maps each header to its cell, so a stored record can always be shown
//! the way the department delivered it, extra columns included. Its content hash identifies the
//! row across deliveries: the same row in a re-sent file (another name, another line, another
//! encoding) hashes the same.

use humiao_core::{Department, RecordKind};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::reader::RawRow;

/// Object keys for the columns of a file: the trimmed header, `_colN` (1-based) for a blank
/// header, and `name#2`, `name#3`… for a header that repeats.
pub fn raw_keys(headers: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::with_capacity(headers.len());
    for (i, header) in headers.iter().enumerate() {
        let base = match header.trim() {
            "" => extra_key(i),
            h => h.to_string(),
        };
        let mut key = base.clone();
        let mut n = 2;
        while keys.contains(&key) {
            key = format!("{base}#{n}");
            n += 1;
        }
        keys.push(key);
    }
    keys
}

/// Key of a cell beyond the header (or under a blank header): `_col` and its 1-based column.
fn extra_key(index: usize) -> String {
    format!("_col{}", index + 1)
}

impl RawRow {
    /// The row as a JSON object, header → cell (see [`raw_keys`]); cells beyond the header are
    /// kept under `_colN`.
    pub fn to_json(&self, headers: &[String]) -> Value {
        self.to_json_with_keys(&raw_keys(headers))
    }

    /// [`RawRow::to_json`] with keys computed once per file by [`raw_keys`].
    pub fn to_json_with_keys(&self, keys: &[String]) -> Value {
        let mut object = Map::new();
        for (i, cell) in self.cells.iter().enumerate() {
            let key = match keys.get(i) {
                Some(k) => k.clone(),
                None => {
                    let mut k = extra_key(i);
                    while object.contains_key(&k) || keys.contains(&k) {
                        k.push('+');
                    }
                    k
                }
            };
            object.insert(key, Value::String(cell.clone()));
        }
        Value::Object(object)
    }
}

/// Hex SHA-256 of a row's content for a department and record kind. Object keys are sorted,
/// so the hash depends on the content only, not on key order, line, file name or encoding.
pub fn content_hash(department: Department, record_kind: RecordKind, raw: &Value) -> String {
    let mut text = String::new();
    text.push_str("humiao-raw-v1\n");
    text.push_str(department.code());
    text.push('\n');
    text.push_str(record_kind.code());
    text.push('\n');
    canonical_json(raw, &mut text);
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// JSON with object keys sorted at every level and no whitespace.
fn canonical_json(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical_json(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn duplicate_blank_and_extra_columns_are_kept() {
        let keys = raw_keys(&headers(&["姓名", "备注", "", "备注", "_col3"]));
        assert_eq!(keys, ["姓名", "备注", "_col3", "备注#2", "_col3#2"]);
        let row = RawRow {
            line: 7,
            cells: ["张三", "a", "b", "c", "d", "多出"]
                .map(String::from)
                .to_vec(),
        };
        let json = row.to_json(&headers(&["姓名", "备注", "", "备注", "_col3"]));
        assert_eq!(json["备注#2"], "c");
        assert_eq!(json["_col6"], "多出");
        assert_eq!(json.as_object().unwrap().len(), 6);
    }

    #[test]
    fn hash_depends_on_content_department_and_kind() {
        let row = |cells: &[&str]| RawRow {
            line: 2,
            cells: cells.iter().map(|s| s.to_string()).collect(),
        };
        let h = headers(&["a", "b"]);
        let base = content_hash(
            Department::Police,
            RecordKind::HouseholdMember,
            &row(&["1", "2"]).to_json(&h),
        );
        assert_eq!(base.len(), 64);
        assert_ne!(
            base,
            content_hash(
                Department::Police,
                RecordKind::HouseholdMember,
                &row(&["1", "3"]).to_json(&h)
            )
        );
        assert_ne!(
            base,
            content_hash(
                Department::Education,
                RecordKind::HouseholdMember,
                &row(&["1", "2"]).to_json(&h)
            )
        );
        // Key order does not matter.
        let reordered = row(&["2", "1"]).to_json(&headers(&["b", "a"]));
        assert_eq!(
            base,
            content_hash(Department::Police, RecordKind::HouseholdMember, &reordered)
        );
    }

    proptest! {
        #[test]
        fn hash_is_independent_of_line(
            cells in proptest::collection::vec("\\PC{0,12}", 1..8),
            a in 1usize..100_000,
            b in 1usize..100_000,
        ) {
            let h: Vec<String> = (0..cells.len()).map(|i| format!("列{i}")).collect();
            let first = RawRow { line: a, cells: cells.clone() };
            let second = RawRow { line: b, cells };
            let kind = RecordKind::StudentEnrolment;
            prop_assert_eq!(
                content_hash(Department::Education, kind, &first.to_json(&h)),
                content_hash(Department::Education, kind, &second.to_json(&h))
            );
        }
    }
}
