//! Mapping files: which column of a department's export holds which field (docs/mapping.md).
//!
//! A [`Mapping`] is checked against the record kind's schema when it is loaded, so a mistake in a
//! mapping file is reported once, naming the file and the field, instead of on every row.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::format::{Item, StrftimeItems};
use humiao_core::{Department, RecordKind};
use serde::Deserialize;

use crate::schema::{self, FieldSpec, ValueType};
use crate::validate;

/// Character encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// UTF-8 (with or without BOM) if the bytes are valid UTF-8, else GB18030/GBK.
    #[default]
    Auto,
    Utf8,
    /// GBK, read as GB18030 (its superset).
    Gbk,
}

impl TextEncoding {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Some(Self::Auto),
            "utf-8" | "utf8" => Some(Self::Utf8),
            "gbk" | "gb18030" | "gb2312" | "cp936" => Some(Self::Gbk),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Utf8 => "utf-8",
            Self::Gbk => "gbk",
        }
    }
}

/// How one field is read from a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMapping {
    /// The field's schema entry (name, type, defaults).
    pub spec: &'static FieldSpec,
    /// Header text of the column (trimmed); `None` when the field only has a default.
    pub column: Option<String>,
    /// Date/month formats tried in order (the type's defaults when the mapping gives none).
    pub formats: Vec<String>,
    /// Department value (trimmed) → our value; empty when the mapping gives no table.
    pub values: BTreeMap<String, String>,
    /// Whether an empty cell quarantines the row (mapping override or schema default).
    pub required: bool,
    /// Value used when the cell is empty (mapping default, else the schema's).
    pub default: Option<String>,
}

impl FieldMapping {
    pub fn name(&self) -> &'static str {
        self.spec.name
    }
}

/// A validated mapping file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// Where the mapping came from (file name), for messages.
    pub origin: String,
    /// Human name of the layout, e.g. `公安常住人口登记表`.
    pub name: String,
    pub department: Department,
    pub record_kind: RecordKind,
    pub encoding: TextEncoding,
    /// CSV delimiter byte.
    pub delimiter: u8,
    /// XLSX sheet name; `None` = first sheet.
    pub sheet: Option<String>,
    /// 1-based row holding the column names.
    pub header_row: usize,
    /// Every field that is read from a column or has a default, in schema order.
    pub fields: Vec<FieldMapping>,
}

impl Mapping {
    /// Reads and validates a mapping file.
    pub fn load(path: &Path) -> Result<Self, MappingError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| MappingError::Io {
            origin: origin.clone(),
            source,
        })?;
        Self::from_toml_str(&text, &origin)
    }

    /// Parses and validates mapping text; `origin` names it in messages.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, MappingError> {
        let raw: RawMapping = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|span| line_col(text, span.start)).unzip();
            MappingError::Syntax {
                origin: origin.to_string(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        raw.validate(origin)
    }

    /// The mapping of one field, if the field is mapped.
    pub fn field(&self, name: &str) -> Option<&FieldMapping> {
        self.fields.iter().find(|f| f.spec.name == name)
    }

    /// Columns the file must have (each once), in schema order, without repeats.
    pub fn columns(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for column in self.fields.iter().filter_map(|f| f.column.as_deref()) {
            if !out.contains(&column) {
                out.push(column);
            }
        }
        out
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn location(line: &Option<usize>, column: &Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("第 {l} 行第 {c} 列"),
        (Some(l), None) => format!("第 {l} 行"),
        _ => String::new(),
    }
}

/// A mapping file that cannot be used. Every message names the mapping file.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("无法读取映射文件 {origin}：{source}")]
    Io {
        origin: String,
        #[source]
        source: std::io::Error,
    },
    #[error("映射文件 {origin} {}格式错误：{message}", location(.line, .column))]
    Syntax {
        origin: String,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    #[error("映射文件 {origin}：未知的部门 {value}（可用：{known}）")]
    UnknownDepartment {
        origin: String,
        value: String,
        known: String,
    },
    #[error("映射文件 {origin}：未知的记录类型 record_kind = {value}（可用：{known}）")]
    UnknownRecordKind {
        origin: String,
        value: String,
        known: String,
    },
    #[error("映射文件 {origin}：未知的编码 {value}（可用：auto、utf-8、gbk）")]
    UnknownEncoding { origin: String, value: String },
    #[error(
        "映射文件 {origin}：分隔符 {value:?} 无效，应为单个 ASCII 字符（如 \",\"、\"\\t\"、\";\"）"
    )]
    BadDelimiter { origin: String, value: String },
    #[error("映射文件 {origin}：header_row 应为从 1 开始的行号，实际为 {value}")]
    BadHeaderRow { origin: String, value: i64 },
    #[error("映射文件 {origin}：记录类型 {record_kind} 没有字段 {field}（可用字段：{known}）")]
    UnknownField {
        origin: String,
        record_kind: &'static str,
        field: String,
        known: String,
    },
    #[error("映射文件 {origin}：字段 {field} 的取值 {target} 无效（“{source_value}” = \"{target}\"；可选：{allowed}）")]
    BadValuesTarget {
        origin: String,
        field: String,
        source_value: String,
        target: String,
        allowed: String,
    },
    #[error("映射文件 {origin}：字段 {field} 的类型为 {ty}，不能使用 values 取值表")]
    ValuesNotAllowed {
        origin: String,
        field: String,
        ty: String,
    },
    #[error("映射文件 {origin}：字段 {field} 的类型为 {ty}，不能使用 format/formats")]
    FormatNotAllowed {
        origin: String,
        field: String,
        ty: String,
    },
    #[error("映射文件 {origin}：字段 {field} 同时写了 format 和 formats，只能用一个")]
    FormatAndFormats { origin: String, field: String },
    #[error("映射文件 {origin}：字段 {field} 的日期格式 {format:?} 无效")]
    BadFormat {
        origin: String,
        field: String,
        format: String,
    },
    #[error("映射文件 {origin}：字段 {field} 的默认值 {value} 无效：{reason}")]
    BadDefault {
        origin: String,
        field: String,
        value: String,
        reason: String,
    },
    #[error("映射文件 {origin}：字段 {field} 的列名为空")]
    EmptyColumn { origin: String, field: String },
    #[error("映射文件 {origin}：字段 {field} 既没有 column 也没有 default")]
    NoColumn { origin: String, field: String },
    #[error("映射文件 {origin}：缺少必填字段 {field} 的映射（需要 [fields.{field}] 的 column 或 default）")]
    MissingRequiredField { origin: String, field: String },
    #[error("映射文件 {origin}：字段 {field} 在记录中必须有值，不能设为 required = false（可以改为设置 default）")]
    CannotBeOptional { origin: String, field: String },
}

impl MappingError {
    /// The field the problem is about, when it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::UnknownField { field, .. }
            | Self::BadValuesTarget { field, .. }
            | Self::ValuesNotAllowed { field, .. }
            | Self::FormatNotAllowed { field, .. }
            | Self::FormatAndFormats { field, .. }
            | Self::BadFormat { field, .. }
            | Self::BadDefault { field, .. }
            | Self::EmptyColumn { field, .. }
            | Self::NoColumn { field, .. }
            | Self::MissingRequiredField { field, .. }
            | Self::CannotBeOptional { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// A TOML value that may stand for a cell: text or a whole number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Int(i64),
}

impl Scalar {
    fn into_string(self) -> String {
        match self {
            Self::Text(s) => s,
            Self::Int(i) => i.to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    name: String,
    department: String,
    record_kind: String,
    encoding: Option<String>,
    delimiter: Option<String>,
    sheet: Option<String>,
    header_row: Option<i64>,
    #[serde(default)]
    fields: BTreeMap<String, RawField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    column: Option<String>,
    format: Option<String>,
    formats: Option<Vec<String>>,
    values: Option<BTreeMap<String, Scalar>>,
    required: Option<bool>,
    default: Option<Scalar>,
}

fn known_list<I: IntoIterator<Item = &'static str>>(items: I) -> String {
    items.into_iter().collect::<Vec<_>>().join("、")
}

impl RawMapping {
    fn validate(self, origin: &str) -> Result<Mapping, MappingError> {
        let o = || origin.to_string();
        let department =
            Department::parse(&self.department).ok_or_else(|| MappingError::UnknownDepartment {
                origin: o(),
                value: self.department.clone(),
                known: Department::ALL
                    .iter()
                    .map(|d| format!("{} {}", d.code(), d.label_zh()))
                    .collect::<Vec<_>>()
                    .join("、"),
            })?;
        let record_kind = RecordKind::parse(self.record_kind.trim()).ok_or_else(|| {
            MappingError::UnknownRecordKind {
                origin: o(),
                value: self.record_kind.clone(),
                known: known_list(RecordKind::ALL.iter().map(|k| k.code())),
            }
        })?;
        let encoding = match &self.encoding {
            None => TextEncoding::Auto,
            Some(e) => TextEncoding::parse(e).ok_or_else(|| MappingError::UnknownEncoding {
                origin: o(),
                value: e.clone(),
            })?,
        };
        let delimiter = match &self.delimiter {
            None => b',',
            Some(d) => match d.as_bytes() {
                [b] if b.is_ascii() && *b != b'"' && *b != b'\n' && *b != b'\r' => *b,
                _ => {
                    return Err(MappingError::BadDelimiter {
                        origin: o(),
                        value: d.clone(),
                    })
                }
            },
        };
        let header_row = match self.header_row {
            None => 1,
            Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
            Some(n) => {
                return Err(MappingError::BadHeaderRow {
                    origin: o(),
                    value: n,
                })
            }
        };
        let sheet = self
            .sheet
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());

        let specs = schema::fields(record_kind);
        let mut raw_fields = self.fields;
        for name in raw_fields.keys() {
            if !specs.iter().any(|s| s.name == name) {
                return Err(MappingError::UnknownField {
                    origin: o(),
                    record_kind: record_kind.code(),
                    field: name.clone(),
                    known: known_list(specs.iter().map(|s| s.name)),
                });
            }
        }
        let mut fields = Vec::new();
        for spec in specs {
            match raw_fields.remove(spec.name) {
                Some(raw) => fields.push(field_mapping(origin, spec, raw)?),
                None if spec.required => {
                    return Err(MappingError::MissingRequiredField {
                        origin: o(),
                        field: spec.name.to_string(),
                    })
                }
                None => {}
            }
        }
        Ok(Mapping {
            origin: o(),
            name: self.name.trim().to_string(),
            department,
            record_kind,
            encoding,
            delimiter,
            sheet,
            header_row,
            fields,
        })
    }
}

fn field_mapping(
    origin: &str,
    spec: &'static FieldSpec,
    raw: RawField,
) -> Result<FieldMapping, MappingError> {
    let o = || origin.to_string();
    let f = || spec.name.to_string();
    let column = match raw.column {
        Some(c) if c.trim().is_empty() => {
            return Err(MappingError::EmptyColumn {
                origin: o(),
                field: f(),
            })
        }
        Some(c) => Some(c.trim().to_string()),
        None => None,
    };

    let formats = match (raw.format, raw.formats) {
        (Some(_), Some(_)) => {
            return Err(MappingError::FormatAndFormats {
                origin: o(),
                field: f(),
            })
        }
        (Some(one), None) => vec![one],
        (None, Some(many)) => many,
        (None, None) => Vec::new(),
    };
    if !formats.is_empty() && !spec.ty.accepts_formats() {
        return Err(MappingError::FormatNotAllowed {
            origin: o(),
            field: f(),
            ty: spec.ty.to_string(),
        });
    }
    for format in &formats {
        let broken = format.trim().is_empty()
            || StrftimeItems::new(format).any(|item| matches!(item, Item::Error));
        if broken {
            return Err(MappingError::BadFormat {
                origin: o(),
                field: f(),
                format: format.clone(),
            });
        }
    }
    let formats = if formats.is_empty() {
        spec.ty
            .default_formats()
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        formats
    };

    let mut values = BTreeMap::new();
    if let Some(table) = raw.values {
        if !spec.ty.accepts_values_map() {
            return Err(MappingError::ValuesNotAllowed {
                origin: o(),
                field: f(),
                ty: spec.ty.to_string(),
            });
        }
        for (from, to) in table {
            let to = to.into_string();
            let target_ok = match spec.ty {
                ValueType::Int { .. } => validate::parse_int(spec.ty, to.trim()).is_ok(),
                ty => ty
                    .allowed_values()
                    .is_some_and(|allowed| allowed.contains(&to.trim())),
            };
            if !target_ok {
                let allowed = match spec.ty {
                    ValueType::Int { min, max } => format!("{min}–{max} 的整数"),
                    ty => ty.allowed_values().unwrap_or(&[]).join("、"),
                };
                return Err(MappingError::BadValuesTarget {
                    origin: o(),
                    field: f(),
                    source_value: from,
                    target: to,
                    allowed,
                });
            }
            values.insert(from.trim().to_string(), to.trim().to_string());
        }
    }

    let default = raw
        .default
        .map(Scalar::into_string)
        .filter(|d| !d.trim().is_empty())
        .or_else(|| spec.default.map(str::to_string));
    let required = raw.required.unwrap_or(spec.required);
    let mapping = FieldMapping {
        spec,
        column,
        formats,
        values,
        required,
        default,
    };
    if mapping.column.is_none() && mapping.default.is_none() {
        return Err(MappingError::NoColumn {
            origin: o(),
            field: f(),
        });
    }
    if !required && !spec.nullable && mapping.default.is_none() {
        return Err(MappingError::CannotBeOptional {
            origin: o(),
            field: f(),
        });
    }
    if let Some(default) = &mapping.default {
        if let Err(reason) = validate::parse_default(&mapping, default) {
            return Err(MappingError::BadDefault {
                origin: o(),
                field: f(),
                value: default.clone(),
                reason,
            });
        }
    }
    Ok(mapping)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUSEHOLD: &str = r#"
name = "公安常住人口登记表"
department = "公安"
record_kind = "household_member"
encoding = "GBK"
header_row = 2

[fields.household_no]
column = " 户号 "
[fields.citizen_id]
column = "公民身份号码"
[fields.name]
column = "姓名"
[fields.sex]
column = "性别"
values = { "男" = "male", "1" = "male", "女" = "female", "2" = "female" }
[fields.birth_date]
column = "出生日期"
format = "%Y%m%d"
[fields.hukou_region]
column = "户籍地区划"
[fields.status]
column = "人员状态"
values = { "正常" = "normal", "死亡" = "dead", "失踪" = "missing" }
"#;

    fn err(text: &str) -> MappingError {
        Mapping::from_toml_str(text, "x.toml").unwrap_err()
    }

    #[test]
    fn a_household_mapping_loads() {
        let m = Mapping::from_toml_str(HOUSEHOLD, "police.toml").unwrap();
        assert_eq!(m.department, Department::Police);
        assert_eq!(m.record_kind, RecordKind::HouseholdMember);
        assert_eq!(m.encoding, TextEncoding::Gbk);
        assert_eq!(m.header_row, 2);
        assert_eq!(m.delimiter, b',');
        let household_no = m.field("household_no").unwrap();
        assert_eq!(household_no.column.as_deref(), Some("户号"));
        assert_eq!(m.field("birth_date").unwrap().formats, ["%Y%m%d"]);
        let status = m.field("status").unwrap();
        assert!(!status.required);
        assert_eq!(status.default.as_deref(), Some("normal"));
        assert_eq!(m.field("sex").unwrap().values["女"], "female");
        assert!(m.field("father_name").is_none());
        assert_eq!(m.columns()[0], "户号");
    }

    #[test]
    fn unknown_field_is_named() {
        let text = format!("{HOUSEHOLD}\n[fields.shoe_size]\ncolumn = \"鞋码\"\n");
        let e = err(&text);
        assert!(matches!(e, MappingError::UnknownField { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains("x.toml") && msg.contains("shoe_size"), "{msg}");
    }

    #[test]
    fn bad_values_target_is_named() {
        let text = HOUSEHOLD.replace("\"男\" = \"male\"", "\"男\" = \"man\"");
        let e = err(&text);
        assert_eq!(e.field(), Some("sex"));
        let msg = e.to_string();
        assert!(
            msg.starts_with("映射文件 x.toml：字段 sex 的取值 man 无效"),
            "{msg}"
        );
    }

    #[test]
    fn malformed_toml_reports_its_line() {
        let text = "name = \"x\"\ndepartment = \"police\"\nrecord_kind = household_member\n";
        match err(text) {
            MappingError::Syntax { line, origin, .. } => {
                assert_eq!(line, Some(3));
                assert_eq!(origin, "x.toml");
            }
            other => panic!("{other:?}"),
        }
        // A misspelt key is reported at its line too.
        let text = HOUSEHOLD.replace("column = \"姓名\"", "colum = \"姓名\"");
        let e = err(&text);
        let line = HOUSEHOLD
            .lines()
            .position(|l| l.contains("\"姓名\""))
            .unwrap()
            + 1;
        assert!(
            matches!(e, MappingError::Syntax { line: Some(l), .. } if l == line),
            "{e}"
        );
        assert!(e.to_string().contains(&format!("第 {line} 行")));
    }

    #[test]
    fn missing_required_field_is_named() {
        let text = HOUSEHOLD.replace("[fields.name]\ncolumn = \"姓名\"\n", "");
        let e = err(&text);
        assert!(matches!(e, MappingError::MissingRequiredField { .. }));
        assert_eq!(e.field(), Some("name"));
    }

    #[test]
    fn unknown_department_kind_and_encoding_are_rejected() {
        assert!(matches!(
            err(&HOUSEHOLD.replace("\"公安\"", "\"税务\"")),
            MappingError::UnknownDepartment { .. }
        ));
        assert!(matches!(
            err(&HOUSEHOLD.replace("\"household_member\"", "\"pets\"")),
            MappingError::UnknownRecordKind { .. }
        ));
        assert!(matches!(
            err(&HOUSEHOLD.replace("\"GBK\"", "\"latin1\"")),
            MappingError::UnknownEncoding { .. }
        ));
        assert!(matches!(
            err(&HOUSEHOLD.replace("header_row = 2", "header_row = 0")),
            MappingError::BadHeaderRow { .. }
        ));
    }

    #[test]
    fn format_and_values_only_where_they_make_sense() {
        let text = HOUSEHOLD.replace(
            "column = \"姓名\"",
            "column = \"姓名\"\nvalues = { \"a\" = \"b\" }",
        );
        assert!(matches!(err(&text), MappingError::ValuesNotAllowed { .. }));
        let text = HOUSEHOLD.replace("column = \"姓名\"", "column = \"姓名\"\nformat = \"%Y\"");
        assert!(matches!(err(&text), MappingError::FormatNotAllowed { .. }));
        let text = HOUSEHOLD.replace("\"%Y%m%d\"", "\"%Q%m\"");
        assert!(matches!(err(&text), MappingError::BadFormat { .. }));
    }

    #[test]
    fn defaults_are_checked_and_may_replace_a_column() {
        let text = HOUSEHOLD.replace(
            "[fields.sex]\ncolumn = \"性别\"",
            "[fields.sex]\ndefault = \"男\"",
        );
        let m = Mapping::from_toml_str(&text, "x.toml").unwrap();
        assert_eq!(m.field("sex").unwrap().column, None);
        let text = HOUSEHOLD.replace(
            "[fields.sex]\ncolumn = \"性别\"",
            "[fields.sex]\ndefault = \"unknown\"",
        );
        assert!(matches!(err(&text), MappingError::BadDefault { .. }));
        let text = HOUSEHOLD.replace("[fields.sex]\ncolumn = \"性别\"", "[fields.sex]\n");
        assert!(matches!(err(&text), MappingError::NoColumn { .. }));
    }

    #[test]
    fn structural_fields_cannot_be_made_optional() {
        let text = HOUSEHOLD.replace("column = \"姓名\"", "column = \"姓名\"\nrequired = false");
        assert!(matches!(err(&text), MappingError::CannotBeOptional { .. }));
        // The household citizen_id may be optional: the record holds an Option.
        let text = HOUSEHOLD.replace(
            "column = \"公民身份号码\"",
            "column = \"公民身份号码\"\nrequired = false",
        );
        let m = Mapping::from_toml_str(&text, "x.toml").unwrap();
        assert!(!m.field("citizen_id").unwrap().required);
    }

    #[test]
    fn int_values_tables_accept_numbers() {
        let text = r#"
name = "残疾人证"
department = "disability"
record_kind = "disability_certificate"
delimiter = "\t"
[fields.certificate_no]
column = "证号"
[fields.name]
column = "姓名"
[fields.category]
column = "类别"
values = { "视力" = "visual", "肢体" = "physical" }
[fields.grade]
column = "等级"
values = { "一级" = 1, "二级" = "2" }
"#;
        let m = Mapping::from_toml_str(text, "d.toml").unwrap();
        assert_eq!(m.delimiter, b'\t');
        assert_eq!(m.field("grade").unwrap().values["一级"], "1");
        let bad = text.replace("\"二级\" = \"2\"", "\"五级\" = 5");
        assert!(matches!(err(&bad), MappingError::BadValuesTarget { .. }));
    }
}
