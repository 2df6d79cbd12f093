//! Turning a raw row into a typed [`DepartmentRecord`], or into the list of everything wrong
//! with it (docs/mapping.md, "Value types").

use std::collections::HashMap;
use std::fmt;

use chrono::format::{parse as parse_with, Parsed, StrftimeItems};
use chrono::{Datelike, NaiveDate};
use humiao_core::records::{
    AssistancePayment, Custody, DisabilityCertificate, Divorce, HouseholdMember, IllnessDiagnosis,
    PersonRef, StudentEnrolment,
};
use humiao_core::{
    CitizenId, DepartmentRecord, PersonName, RecordKind, RegionCode, RegionLevel, Sex,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::mapping::{FieldMapping, Mapping};
use crate::reader::{RawRow, ReadError};
use crate::schema::ValueType;

/// Field name used for problems of a whole row (wrong number of cells).
pub const ROW_FIELD: &str = "_row";

/// One problem with one field of a row. Reasons are in Chinese, for the people fixing the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldIssue {
    /// Our field name (`birth_date`), or [`ROW_FIELD`] for the whole row.
    pub field: String,
    /// The department's column header; empty when the field has no column.
    pub column: String,
    /// The offending cell as received.
    pub value: String,
    pub reason: String,
}

impl fmt::Display for FieldIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "字段 {}", self.field)?;
        } else {
            write!(f, "字段 {}（列“{}”）", self.field, self.column)?;
        }
        if !self.value.is_empty() {
            write!(f, "的值“{}”", self.value)?;
        }
        write!(f, "：{}", self.reason)
    }
}

/// A row that passed validation, with the problems that did not stop it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidRow {
    pub record: DepartmentRecord,
    pub warnings: Vec<FieldIssue>,
}

/// Where each mapped field sits in a file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderIndex {
    headers: Vec<String>,
    by_field: HashMap<&'static str, usize>,
}

impl HeaderIndex {
    /// Finds every mapped column in `headers` (compared after trimming). A column that is
    /// missing, or present more than once, fails the file; `file` names it in the error.
    pub fn new(headers: &[String], mapping: &Mapping, file: &str) -> Result<Self, ReadError> {
        let trimmed: Vec<&str> = headers.iter().map(|h| h.trim()).collect();
        let mut missing = Vec::new();
        let mut duplicated = Vec::new();
        let mut by_field = HashMap::new();
        for field in &mapping.fields {
            let Some(column) = field.column.as_deref() else {
                continue;
            };
            let mut positions = trimmed
                .iter()
                .enumerate()
                .filter(|(_, h)| **h == column)
                .map(|(i, _)| i);
            match (positions.next(), positions.next()) {
                (Some(i), None) => {
                    by_field.insert(field.spec.name, i);
                }
                (Some(_), Some(_)) => {
                    if !duplicated.iter().any(|d| d == column) {
                        duplicated.push(column.to_string());
                    }
                }
                (None, _) => {
                    if !missing.iter().any(|m| m == column) {
                        missing.push(column.to_string());
                    }
                }
            }
        }
        if !missing.is_empty() {
            return Err(ReadError::MissingColumns {
                file: file.to_string(),
                mapping: mapping.origin.clone(),
                columns: missing,
            });
        }
        if !duplicated.is_empty() {
            return Err(ReadError::DuplicateColumns {
                file: file.to_string(),
                mapping: mapping.origin.clone(),
                columns: duplicated,
            });
        }
        Ok(Self {
            headers: headers.to_vec(),
            by_field,
        })
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// 0-based index of the column a field is read from.
    pub fn column_index(&self, field: &str) -> Option<usize> {
        self.by_field.get(field).copied()
    }
}

/// A parsed cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldValue {
    Id(CitizenId),
    Name(PersonName),
    Sex(Sex),
    Date(NaiveDate),
    Region(RegionCode),
    Text(String),
    Int(i64),
    Enum(String),
}

const MIN_YEAR: i32 = 1900;
const MAX_YEAR: i32 = 2100;

fn plausible(d: NaiveDate) -> Result<NaiveDate, String> {
    if (MIN_YEAR..=MAX_YEAR).contains(&d.year()) {
        Ok(d)
    } else {
        Err(format!("日期 {d} 超出合理范围（{MIN_YEAR}–{MAX_YEAR} 年）"))
    }
}

/// A date by the first matching format; an ISO date (how XLSX date cells are read) always works.
pub fn parse_date(text: &str, formats: &[String]) -> Result<NaiveDate, String> {
    let text = text.trim();
    let found = formats
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
        .or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok());
    match found {
        Some(d) => plausible(d),
        None => Err(format!("日期格式无法识别（期望 {}）", formats.join("、"))),
    }
}

/// A month by the first matching format, as its first day; an ISO date is accepted too.
pub fn parse_month(text: &str, formats: &[String]) -> Result<NaiveDate, String> {
    let text = text.trim();
    let by_format = |format: &String| {
        let mut parsed = Parsed::new();
        parse_with(&mut parsed, text, StrftimeItems::new(format)).ok()?;
        if parsed.day().is_none() {
            parsed.set_day(1).ok()?;
        }
        parsed.to_naive_date().ok()
    };
    let found = formats
        .iter()
        .find_map(by_format)
        .or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok());
    match found.and_then(|d| d.with_day(1)) {
        Some(d) => plausible(d),
        None => Err(format!("年月格式无法识别（期望 {}）", formats.join("、"))),
    }
}

/// Yuan with up to two decimals (`1234.5`, `1,234.50`, `￥1234`, `-12元`) as fen, exactly.
pub fn parse_money(input: &str) -> Result<i64, String> {
    const UNREADABLE: &str = "金额格式无法识别（应为元，最多两位小数，如 1234.50）";
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let strip_currency = |s: &str| -> String {
        let s = s
            .strip_prefix('￥')
            .or_else(|| s.strip_prefix('¥'))
            .unwrap_or(s);
        s.strip_suffix('元').unwrap_or(s).to_string()
    };
    let s = strip_currency(&compact);
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, strip_currency(&s[1..])),
        Some(b'+') => (false, strip_currency(&s[1..])),
        _ => (false, s),
    };
    let (int_part, frac_part) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let int_digits: String = if int_part.contains(',') {
        let mut groups = int_part.split(',');
        let first = groups.next().unwrap_or("");
        if !digits(first) || first.len() > 3 {
            return Err(UNREADABLE.to_string());
        }
        let mut all = first.to_string();
        for g in groups {
            if g.len() != 3 || !digits(g) {
                return Err(UNREADABLE.to_string());
            }
            all.push_str(g);
        }
        all
    } else if digits(int_part) {
        int_part.to_string()
    } else {
        return Err(UNREADABLE.to_string());
    };
    let cents: i64 = match frac_part {
        None => 0,
        Some(f) if !digits(f) => return Err(UNREADABLE.to_string()),
        Some(f) => {
            let (kept, rest) = f.split_at(f.len().min(2));
            if rest.bytes().any(|b| b != b'0') {
                return Err("金额最多两位小数".to_string());
            }
            let padded = format!("{kept:0<2}");
            padded.parse().map_err(|_| UNREADABLE.to_string())?
        }
    };
    const TOO_LARGE: &str = "金额超出范围";
    let yuan: i64 = int_digits.parse().map_err(|_| TOO_LARGE.to_string())?;
    let fen = yuan
        .checked_mul(100)
        .and_then(|f| f.checked_add(cents))
        .ok_or_else(|| TOO_LARGE.to_string())?;
    Ok(if negative { -fen } else { fen })
}

/// An integer in the type's range.
pub(crate) fn parse_int(ty: ValueType, text: &str) -> Result<i64, String> {
    let n: i64 = text.trim().parse().map_err(|_| "应为整数".to_string())?;
    if let ValueType::Int { min, max } = ty {
        if !(min..=max).contains(&n) {
            return Err(format!("应为 {min}–{max} 之间的整数"));
        }
    }
    Ok(n)
}

/// Parses a non-empty cell for a field, through its `values` table when it has one.
pub(crate) fn parse_value(field: &FieldMapping, text: &str) -> Result<FieldValue, String> {
    let text = text.trim();
    if field.values.is_empty() {
        return parse_our_value(field, text);
    }
    match field.values.get(text) {
        Some(ours) => parse_our_value(field, ours),
        None => {
            let accepted: Vec<&str> = field.values.keys().map(String::as_str).collect();
            Err(format!(
                "取值不在映射文件的取值表中（可接受：{}）",
                accepted.join("、")
            ))
        }
    }
}

/// Parses a field's default: a department value of its `values` table, or one of ours.
pub(crate) fn parse_default(field: &FieldMapping, text: &str) -> Result<FieldValue, String> {
    let text = text.trim();
    if field.values.contains_key(text) {
        parse_value(field, text)
    } else {
        parse_our_value(field, text)
    }
}

/// Parses a value already in our terms (no `values` table).
fn parse_our_value(field: &FieldMapping, text: &str) -> Result<FieldValue, String> {
    let text = text.trim();
    let ty = field.spec.ty;
    match ty {
        ValueType::CitizenId => CitizenId::parse(text)
            .map(FieldValue::Id)
            .map_err(|e| e.to_string()),
        ValueType::Name => PersonName::parse(text)
            .map(FieldValue::Name)
            .map_err(|e| e.to_string()),
        ValueType::Sex => Sex::parse(text)
            .map(FieldValue::Sex)
            .ok_or_else(|| "性别取值无效（可选：male、female）".to_string()),
        ValueType::Date => parse_date(text, &field.formats).map(FieldValue::Date),
        ValueType::Month => parse_month(text, &field.formats).map(FieldValue::Date),
        ValueType::Region => {
            let code = RegionCode::parse(text).map_err(|e| e.to_string())?;
            if code.level() == RegionLevel::Village {
                Ok(FieldValue::Region(code))
            } else {
                Err(format!(
                    "区划代码“{code}”是{}代码，应为12位村（社区）级代码",
                    code.level().label_zh()
                ))
            }
        }
        ValueType::Grid => {
            let code = RegionCode::parse(text).map_err(|e| e.to_string())?;
            if code.level() == RegionLevel::Grid {
                Ok(FieldValue::Region(code))
            } else {
                Err(format!(
                    "网格代码“{code}”是{}代码，应为15位网格代码（村级代码加3位序号）",
                    code.level().label_zh()
                ))
            }
        }
        ValueType::Text => Ok(FieldValue::Text(text.to_string())),
        ValueType::Int { .. } => parse_int(ty, text).map(FieldValue::Int),
        ValueType::Money => parse_money(text).map(FieldValue::Int),
        ValueType::Enum(allowed) => {
            if allowed.contains(&text) {
                Ok(FieldValue::Enum(text.to_string()))
            } else {
                Err(format!("取值无效（可选：{}）", allowed.join("、")))
            }
        }
    }
}

/// Validates one row against a mapping: every problem of the row is reported, not just the
/// first. An invalid ID in an optional field is dropped and reported as a warning.
pub fn validate_row(
    mapping: &Mapping,
    header: &HeaderIndex,
    row: &RawRow,
) -> Result<ValidRow, Vec<FieldIssue>> {
    let expected = header.headers().len();
    let extra_is_empty = row
        .cells
        .get(expected..)
        .is_some_and(|extra| extra.iter().all(|c| c.trim().is_empty()));
    if !extra_is_empty {
        return Err(vec![FieldIssue {
            field: ROW_FIELD.to_string(),
            column: String::new(),
            value: String::new(),
            reason: format!("该行有 {} 列，表头有 {expected} 列", row.cells.len()),
        }]);
    }

    let mut issues = Vec::new();
    let mut warnings = Vec::new();
    let mut values = Values::default();
    // Whether the row had something in a field (to tell "empty" from "invalid").
    let mut had_text: HashMap<&'static str, bool> = HashMap::new();
    for field in &mapping.fields {
        let name = field.spec.name;
        let column = || field.column.clone().unwrap_or_default();
        let cell: &str = match field.column {
            Some(_) => match header.column_index(name) {
                Some(i) => row.cells.get(i).map_or("", String::as_str),
                None => {
                    issues.push(FieldIssue {
                        field: name.to_string(),
                        column: column(),
                        value: String::new(),
                        reason: "表头中没有这一列".to_string(),
                    });
                    continue;
                }
            },
            None => "",
        };
        let mut text = cell.trim();
        let from_default = text.is_empty();
        if from_default {
            text = field.default.as_deref().map_or("", str::trim);
        }
        had_text.insert(name, !text.is_empty());
        if text.is_empty() {
            if field.required {
                issues.push(FieldIssue {
                    field: name.to_string(),
                    column: column(),
                    value: cell.to_string(),
                    reason: "必填字段为空".to_string(),
                });
            }
            continue;
        }
        let parsed = if from_default {
            parse_default(field, text)
        } else {
            parse_value(field, text)
        };
        match parsed {
            Ok(v) => {
                values.0.insert(name, v);
            }
            Err(reason) if field.spec.ty == ValueType::CitizenId && !field.required => {
                warnings.push(FieldIssue {
                    field: name.to_string(),
                    column: column(),
                    value: cell.to_string(),
                    reason: format!("{reason}；该身份证号已忽略"),
                });
            }
            Err(reason) => issues.push(FieldIssue {
                field: name.to_string(),
                column: column(),
                value: cell.to_string(),
                reason,
            }),
        }
    }

    // 残疾人证号: the holder's ID followed by category and grade digits.
    if mapping.record_kind == RecordKind::DisabilityCertificate
        && !had_text.get("citizen_id").copied().unwrap_or(false)
    {
        if let Some(FieldValue::Text(number)) = values.0.get("certificate_no") {
            let chars: Vec<char> = number.chars().collect();
            if chars.len() == 20 {
                let head: String = chars[..18].iter().collect();
                if let Ok(id) = CitizenId::parse(&head) {
                    values.0.insert("citizen_id", FieldValue::Id(id));
                }
            }
        }
    }

    if !issues.is_empty() {
        return Err(issues);
    }
    match values.build(mapping.record_kind) {
        Some(record) => Ok(ValidRow { record, warnings }),
        // Unreachable for a validated mapping: every structural field is required or defaulted.
        None => Err(vec![FieldIssue {
            field: ROW_FIELD.to_string(),
            column: String::new(),
            value: String::new(),
            reason: "映射文件缺少构成记录所需的字段".to_string(),
        }]),
    }
}

#[derive(Default)]
struct Values(HashMap<&'static str, FieldValue>);

impl Values {
    fn text(&self, f: &str) -> Option<String> {
        match self.0.get(f)? {
            FieldValue::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
    fn id(&self, f: &str) -> Option<CitizenId> {
        match self.0.get(f)? {
            FieldValue::Id(v) => Some(v.clone()),
            _ => None,
        }
    }
    fn name(&self, f: &str) -> Option<PersonName> {
        match self.0.get(f)? {
            FieldValue::Name(v) => Some(v.clone()),
            _ => None,
        }
    }
    fn sex(&self, f: &str) -> Option<Sex> {
        match self.0.get(f)? {
            FieldValue::Sex(v) => Some(*v),
            _ => None,
        }
    }
    fn date(&self, f: &str) -> Option<NaiveDate> {
        match self.0.get(f)? {
            FieldValue::Date(v) => Some(*v),
            _ => None,
        }
    }
    fn region(&self, f: &str) -> Option<RegionCode> {
        match self.0.get(f)? {
            FieldValue::Region(v) => Some(v.clone()),
            _ => None,
        }
    }
    fn int(&self, f: &str) -> Option<i64> {
        match self.0.get(f)? {
            FieldValue::Int(v) => Some(*v),
            _ => None,
        }
    }
    /// An enumeration value as the core type (our canonical values are its serde names).
    fn enumeration<T: DeserializeOwned>(&self, f: &str) -> Option<T> {
        match self.0.get(f)? {
            FieldValue::Enum(v) => serde_json::from_value(serde_json::Value::from(v.as_str())).ok(),
            _ => None,
        }
    }
    fn person(&self, id: &str, name: &str) -> PersonRef {
        PersonRef {
            citizen_id: self.id(id),
            name: self.name(name),
        }
    }

    fn build(&self, kind: RecordKind) -> Option<DepartmentRecord> {
        Some(match kind {
            RecordKind::HouseholdMember => DepartmentRecord::HouseholdMember(HouseholdMember {
                household_no: self.text("household_no")?,
                citizen_id: self.id("citizen_id"),
                name: self.name("name")?,
                sex: self.sex("sex")?,
                birth_date: self.date("birth_date")?,
                relation_to_head: self.text("relation_to_head"),
                hukou_region: self.region("hukou_region")?,
                hukou_address: self.text("hukou_address"),
                residence_grid: self.region("residence_grid"),
                residence_address: self.text("residence_address"),
                father: self.person("father_citizen_id", "father_name"),
                mother: self.person("mother_citizen_id", "mother_name"),
                guardian: self.person("guardian_citizen_id", "guardian_name"),
                status: self.enumeration("status").unwrap_or_default(),
                status_date: self.date("status_date"),
                outflow_reason: self.enumeration("outflow_reason"),
                outflow_since: self.date("outflow_since"),
                outflow_destination: self.text("outflow_destination"),
                residence_since: self.date("residence_since"),
            }),
            RecordKind::StudentEnrolment => DepartmentRecord::StudentEnrolment(StudentEnrolment {
                student_no: self.text("student_no")?,
                citizen_id: self.id("citizen_id"),
                name: self.name("name")?,
                sex: self.sex("sex"),
                birth_date: self.date("birth_date")?,
                school: self.text("school")?,
                grade: self.text("grade"),
                guardian_name: self.name("guardian_name"),
                guardian_phone: self.text("guardian_phone"),
                address: self.text("address"),
            }),
            RecordKind::AssistancePayment => {
                DepartmentRecord::AssistancePayment(AssistancePayment {
                    citizen_id: self.id("citizen_id"),
                    name: self.name("name")?,
                    assistance: self.enumeration("assistance")?,
                    month: self.date("month")?,
                    amount_fen: self.int("amount")?,
                })
            }
            RecordKind::Custody => DepartmentRecord::Custody(Custody {
                citizen_id: self.id("citizen_id"),
                name: self.name("name")?,
                sex: self.sex("sex"),
                birth_date: self.date("birth_date"),
                measure: self.enumeration("measure")?,
                start: self.date("start")?,
                end: self.date("end"),
                facility: self.text("facility"),
            }),
            RecordKind::DisabilityCertificate => {
                DepartmentRecord::DisabilityCertificate(DisabilityCertificate {
                    certificate_no: self.text("certificate_no")?,
                    citizen_id: self.id("citizen_id"),
                    name: self.name("name")?,
                    sex: self.sex("sex"),
                    category: self.enumeration("category")?,
                    grade: u8::try_from(self.int("grade")?).ok()?,
                    issued_on: self.date("issued_on"),
                })
            }
            RecordKind::Divorce => DepartmentRecord::Divorce(Divorce {
                record_no: self.text("record_no")?,
                husband: self.person("husband_citizen_id", "husband_name"),
                wife: self.person("wife_citizen_id", "wife_name"),
                date: self.date("date")?,
                channel: self.enumeration("channel")?,
            }),
            RecordKind::IllnessDiagnosis => DepartmentRecord::IllnessDiagnosis(IllnessDiagnosis {
                record_no: self.text("record_no")?,
                citizen_id: self.id("citizen_id"),
                name: self.name("name")?,
                sex: self.sex("sex"),
                birth_date: self.date("birth_date"),
                illness: self.text("illness")?,
                diagnosed_on: self.date("diagnosed_on")?,
                ended_on: self.date("ended_on"),
            }),
            RecordKind::Event => return None,
        })
    }
}

#[cfg(test)]
mod tests;
