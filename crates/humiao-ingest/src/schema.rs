//! The fields each record kind accepts, with their value types and defaults (docs/mapping.md).
//!
//! A mapping file may only name fields listed here; validation of a row follows the value type.

use std::fmt;

use humiao_core::RecordKind;

/// How a cell is read for a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// 18-character ID (check digit verified) or legacy 15-digit ID.
    CitizenId,
    /// A person's name: whitespace removed, no digits.
    Name,
    /// `male` | `female`.
    Sex,
    /// A calendar date.
    Date,
    /// A year and month, kept as its first day.
    Month,
    /// A 12-digit village-level division code.
    Region,
    /// A 15-digit grid code.
    Grid,
    /// Any non-empty text.
    Text,
    /// An integer within `min..=max`.
    Int { min: i64, max: i64 },
    /// Yuan with up to two decimals, kept as fen.
    Money,
    /// One of our canonical values.
    Enum(&'static [&'static str]),
}

impl ValueType {
    /// The canonical values of an enumeration (`sex` included), `None` for other types.
    pub fn allowed_values(self) -> Option<&'static [&'static str]> {
        match self {
            Self::Sex => Some(&["male", "female"]),
            Self::Enum(values) => Some(values),
            _ => None,
        }
    }

    /// Whether a mapping may give a `values` table for this type.
    pub fn accepts_values_map(self) -> bool {
        matches!(self, Self::Sex | Self::Enum(_) | Self::Int { .. })
    }

    /// Whether a mapping may give `format`/`formats` for this type.
    pub fn accepts_formats(self) -> bool {
        matches!(self, Self::Date | Self::Month)
    }

    /// The formats tried when the mapping gives none.
    pub fn default_formats(self) -> &'static [&'static str] {
        match self {
            Self::Date => &["%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"],
            Self::Month => &["%Y%m", "%Y-%m", "%Y年%m月"],
            _ => &[],
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CitizenId => f.write_str("citizen_id"),
            Self::Name => f.write_str("name"),
            Self::Sex => f.write_str("sex"),
            Self::Date => f.write_str("date"),
            Self::Month => f.write_str("month"),
            Self::Region => f.write_str("region"),
            Self::Grid => f.write_str("grid"),
            Self::Text => f.write_str("text"),
            Self::Int { min, max } => write!(f, "int {min}–{max}"),
            Self::Money => f.write_str("money"),
            Self::Enum(values) => f.write_str(&values.join(" | ")),
        }
    }
}

/// One field a record kind accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: ValueType,
    /// Whether an empty cell quarantines the row unless the mapping says otherwise.
    pub required: bool,
    /// Whether the record can do without a value (its field is an `Option`). A field that is
    /// not nullable can only be made non-required by giving it a default.
    pub nullable: bool,
    /// Value used when the cell is empty and the mapping gives no default.
    pub default: Option<&'static str>,
}

const fn req(name: &'static str, ty: ValueType) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        required: true,
        nullable: false,
        default: None,
    }
}

const fn opt(name: &'static str, ty: ValueType) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        required: false,
        nullable: true,
        default: None,
    }
}

pub const REGISTER_STATUS: &[&str] = &["normal", "dead", "missing"];
pub const OUTFLOW_REASONS: &[&str] = &["work", "study", "other"];
pub const ASSISTANCE_TYPES: &[&str] = &[
    "dibao",
    "tekun",
    "orphan_allowance",
    "unsupported_child_allowance",
];
pub const CUSTODY_MEASURES: &[&str] = &["imprisonment", "drug_rehabilitation", "other_restriction"];
pub const DISABILITY_CATEGORIES: &[&str] = &[
    "visual",
    "hearing",
    "speech",
    "physical",
    "intellectual",
    "mental",
    "multiple",
];
pub const DIVORCE_CHANNELS: &[&str] = &["registration", "judgment"];

use ValueType as T;

const HOUSEHOLD_MEMBER: &[FieldSpec] = &[
    req("household_no", T::Text),
    // Required by default, but the record can do without it (`required = false`).
    FieldSpec {
        nullable: true,
        ..req("citizen_id", T::CitizenId)
    },
    req("name", T::Name),
    req("sex", T::Sex),
    req("birth_date", T::Date),
    opt("relation_to_head", T::Text),
    req("hukou_region", T::Region),
    opt("hukou_address", T::Text),
    opt("residence_grid", T::Grid),
    opt("residence_address", T::Text),
    opt("father_citizen_id", T::CitizenId),
    opt("father_name", T::Name),
    opt("mother_citizen_id", T::CitizenId),
    opt("mother_name", T::Name),
    opt("guardian_citizen_id", T::CitizenId),
    opt("guardian_name", T::Name),
    FieldSpec {
        nullable: false,
        default: Some("normal"),
        ..opt("status", T::Enum(REGISTER_STATUS))
    },
    opt("status_date", T::Date),
    opt("outflow_reason", T::Enum(OUTFLOW_REASONS)),
    opt("outflow_since", T::Date),
    opt("outflow_destination", T::Text),
    opt("residence_since", T::Date),
];

const STUDENT_ENROLMENT: &[FieldSpec] = &[
    req("student_no", T::Text),
    opt("citizen_id", T::CitizenId),
    req("name", T::Name),
    opt("sex", T::Sex),
    req("birth_date", T::Date),
    req("school", T::Text),
    opt("grade", T::Text),
    opt("guardian_name", T::Name),
    opt("guardian_phone", T::Text),
    opt("address", T::Text),
];

const ASSISTANCE_PAYMENT: &[FieldSpec] = &[
    opt("citizen_id", T::CitizenId),
    req("name", T::Name),
    req("assistance", T::Enum(ASSISTANCE_TYPES)),
    req("month", T::Month),
    req("amount", T::Money),
];

const CUSTODY: &[FieldSpec] = &[
    opt("citizen_id", T::CitizenId),
    req("name", T::Name),
    opt("sex", T::Sex),
    opt("birth_date", T::Date),
    req("measure", T::Enum(CUSTODY_MEASURES)),
    req("start", T::Date),
    opt("end", T::Date),
    opt("facility", T::Text),
];

const DISABILITY_CERTIFICATE: &[FieldSpec] = &[
    req("certificate_no", T::Text),
    opt("citizen_id", T::CitizenId),
    req("name", T::Name),
    opt("sex", T::Sex),
    req("category", T::Enum(DISABILITY_CATEGORIES)),
    req("grade", T::Int { min: 1, max: 4 }),
    opt("issued_on", T::Date),
];

const DIVORCE: &[FieldSpec] = &[
    req("record_no", T::Text),
    req("husband_name", T::Name),
    opt("husband_citizen_id", T::CitizenId),
    req("wife_name", T::Name),
    opt("wife_citizen_id", T::CitizenId),
    req("date", T::Date),
    req("channel", T::Enum(DIVORCE_CHANNELS)),
];

const ILLNESS_DIAGNOSIS: &[FieldSpec] = &[
    req("record_no", T::Text),
    opt("citizen_id", T::CitizenId),
    req("name", T::Name),
    opt("sex", T::Sex),
    opt("birth_date", T::Date),
    req("illness", T::Text),
    req("diagnosed_on", T::Date),
    opt("ended_on", T::Date),
];

/// The fields of a record kind, in documentation order.
pub fn fields(kind: RecordKind) -> &'static [FieldSpec] {
    match kind {
        RecordKind::HouseholdMember => HOUSEHOLD_MEMBER,
        RecordKind::StudentEnrolment => STUDENT_ENROLMENT,
        RecordKind::AssistancePayment => ASSISTANCE_PAYMENT,
        RecordKind::Custody => CUSTODY,
        RecordKind::DisabilityCertificate => DISABILITY_CERTIFICATE,
        RecordKind::Divorce => DIVORCE,
        RecordKind::IllnessDiagnosis => ILLNESS_DIAGNOSIS,
        // Events arrive as JSON (API or event file), never through a mapping.
        RecordKind::Event => &[],
    }
}

/// One field of a record kind by name.
pub fn field(kind: RecordKind, name: &str) -> Option<&'static FieldSpec> {
    fields(kind).iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use humiao_core::records::{
        AssistanceType, CustodyMeasure, DisabilityCategory, DivorceChannel, OutflowReason,
        RegisterStatus,
    };
    use humiao_core::Sex;
    use serde::de::DeserializeOwned;

    fn all_deserialize<T: DeserializeOwned>(values: &[&str]) {
        for v in values {
            let parsed: Result<T, _> = serde_json::from_value(serde_json::Value::from(*v));
            assert!(
                parsed.is_ok(),
                "{v} is not a value of {}",
                std::any::type_name::<T>()
            );
        }
    }

    #[test]
    fn enumeration_values_are_the_core_serde_names() {
        all_deserialize::<RegisterStatus>(REGISTER_STATUS);
        all_deserialize::<OutflowReason>(OUTFLOW_REASONS);
        all_deserialize::<AssistanceType>(ASSISTANCE_TYPES);
        all_deserialize::<CustodyMeasure>(CUSTODY_MEASURES);
        all_deserialize::<DisabilityCategory>(DISABILITY_CATEGORIES);
        all_deserialize::<DivorceChannel>(DIVORCE_CHANNELS);
        all_deserialize::<Sex>(ValueType::Sex.allowed_values().unwrap());
    }

    #[test]
    fn field_names_are_unique_and_required_fields_match_the_spec() {
        for kind in RecordKind::ALL {
            let names: Vec<_> = fields(kind).iter().map(|f| f.name).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), names.len(), "{kind:?}");
        }
        let required = |kind| -> Vec<&str> {
            fields(kind)
                .iter()
                .filter(|f| f.required)
                .map(|f| f.name)
                .collect()
        };
        assert_eq!(
            required(RecordKind::HouseholdMember),
            [
                "household_no",
                "citizen_id",
                "name",
                "sex",
                "birth_date",
                "hukou_region"
            ]
        );
        assert_eq!(
            required(RecordKind::AssistancePayment),
            ["name", "assistance", "month", "amount"]
        );
        assert_eq!(
            required(RecordKind::DisabilityCertificate),
            ["certificate_no", "name", "category", "grade"]
        );
        assert_eq!(
            field(RecordKind::HouseholdMember, "status")
                .unwrap()
                .default,
            Some("normal")
        );
        assert!(field(RecordKind::Divorce, "sex").is_none());
    }

    #[test]
    fn every_required_field_except_household_id_is_structural() {
        for kind in RecordKind::ALL {
            for f in fields(kind) {
                if f.required && !(kind == RecordKind::HouseholdMember && f.name == "citizen_id") {
                    assert!(!f.nullable, "{kind:?}.{}", f.name);
                }
            }
        }
    }
}
