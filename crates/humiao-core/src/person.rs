//! People: golden records (实有人口) and the values that describe them.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::citizen_id::CitizenId;
use crate::region::RegionCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "male" => Some(Self::Male),
            "female" => Some(Self::Female),
            _ => None,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Male => "男",
            Self::Female => "女",
        }
    }
}

/// Identifier of a golden record. Stable: a person keeps it when new records join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PersonId(pub i64);

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Identifier of a source record (one row as received from a department).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceRecordId(pub i64);

impl fmt::Display for SourceRecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseNameError {
    #[error("姓名为空")]
    Empty,
    #[error("姓名过长（{0}个字符）")]
    TooLong(usize),
    #[error("姓名含有数字或控制字符")]
    InvalidCharacter,
}

/// A person's name as written, trimmed, inner whitespace removed (Chinese names carry none;
/// exports often pad them). Minority and foreign names keep their `·` separators.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, ParseNameError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if s.is_empty() {
            return Err(ParseNameError::Empty);
        }
        let n = s.chars().count();
        if n > 40 {
            return Err(ParseNameError::TooLong(n));
        }
        if s.chars().any(|c| c.is_control() || c.is_ascii_digit()) {
            return Err(ParseNameError::InvalidCharacter);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `张*明`: first and last character kept, the middle hidden; `张*` for two characters.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        match chars.len() {
            0 | 1 => "*".to_string(),
            2 => format!("{}*", chars[0]),
            n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
        }
    }

    pub fn surname(&self) -> char {
        self.0.chars().next().expect("non-empty by construction")
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName({})", self.masked())
    }
}

impl TryFrom<String> for PersonName {
    type Error = ParseNameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PersonName> for String {
    fn from(value: PersonName) -> Self {
        value.0
    }
}

/// Age in whole years on `as_of`.
pub fn age_on(birth: NaiveDate, as_of: NaiveDate) -> i32 {
    let mut age = as_of.year() - birth.year();
    if (as_of.month(), as_of.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// A golden record: the system's current best view of one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub citizen_id: Option<CitizenId>,
    pub name: PersonName,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    /// 户籍地: the village of household registration.
    pub hukou_region: Option<RegionCode>,
    pub hukou_address: Option<String>,
    /// 居住地: the grid where the person actually lives; services follow it.
    pub residence_grid: Option<RegionCode>,
    pub residence_address: Option<String>,
    /// Household register number (户号) this person belongs to, if known.
    pub household_no: Option<String>,
}

impl Person {
    pub fn age_on(&self, as_of: NaiveDate) -> i32 {
        age_on(self.birth_date, as_of)
    }

    pub fn is_minor_on(&self, as_of: NaiveDate) -> bool {
        self.age_on(as_of) < 18 && self.birth_date <= as_of
    }

    /// 人户分离: registered in one village, living in another.
    pub fn lives_away_from_registration(&self) -> bool {
        match (&self.hukou_region, &self.residence_grid) {
            (Some(h), Some(r)) => r.parent().as_ref() != Some(h),
            _ => false,
        }
    }
}

/// How a relative stands to a child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    Father,
    Mother,
    Guardian,
}

impl RelationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Father => "father",
            Self::Mother => "mother",
            Self::Guardian => "guardian",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "father" => Self::Father,
            "mother" => Self::Mother,
            "guardian" => Self::Guardian,
            _ => return None,
        })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Father => "父亲",
            Self::Mother => "母亲",
            Self::Guardian => "监护人",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_masked() {
        let name = PersonName::parse(" 张 小明 ").unwrap();
        assert_eq!(name.as_str(), "张小明");
        assert_eq!(name.masked(), "张*明");
        assert_eq!(PersonName::parse("李四").unwrap().masked(), "李*");
        assert_eq!(PersonName::parse("   "), Err(ParseNameError::Empty));
        assert_eq!(
            PersonName::parse("王5"),
            Err(ParseNameError::InvalidCharacter)
        );
    }

    #[test]
    fn age_counts_whole_years() {
        let birth = NaiveDate::from_ymd_opt(2008, 6, 15).unwrap();
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 6, 14).unwrap()),
            17
        );
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()),
            18
        );
    }
}
