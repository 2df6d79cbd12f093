//! Citizen identity number (公民身份号码) per GB 11643-1999.
//!
//! Holding a [`CitizenId`] proves the value is an 18-character ID whose birth date is a real date and
//! whose check character matches ISO 7064 MOD 11-2. Legacy 15-digit IDs are converted on parsing.
//! This module must not guess repairs of mistyped IDs: that is the linker's job.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::person::Sex;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// A valid 18-character citizen ID, upper-case `X` check character.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CitizenId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseCitizenIdError {
    #[error("身份证号为空")]
    Empty,
    #[error("身份证号长度应为18位或15位，实际为{0}位")]
    WrongLength(usize),
    #[error("身份证号含非法字符")]
    InvalidCharacter,
    #[error("身份证号中的出生日期无效")]
    InvalidBirthDate,
    #[error("身份证号校验位错误：应为{expected}，实际为{actual}")]
    CheckDigitMismatch { expected: char, actual: char },
}

/// The check character for the first 17 digits of an ID.
pub fn check_char(first17: &[u8]) -> char {
    debug_assert_eq!(first17.len(), 17);
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

impl CitizenId {
    /// Parses an 18-character ID, or converts a legacy 15-digit one (year 19xx, check char added).
    /// Surrounding whitespace is ignored and a lower-case `x` accepted.
    pub fn parse(input: &str) -> Result<Self, ParseCitizenIdError> {
        let s: String = input
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        match s.chars().count() {
            0 => Err(ParseCitizenIdError::Empty),
            18 => Self::parse18(&s),
            15 => Self::from_legacy15(&s),
            n => Err(ParseCitizenIdError::WrongLength(n)),
        }
    }

    fn parse18(s: &str) -> Result<Self, ParseCitizenIdError> {
        let bytes = s.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit) {
            return Err(ParseCitizenIdError::InvalidCharacter);
        }
        let last = bytes[17] as char;
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(ParseCitizenIdError::InvalidCharacter);
        }
        birth_date_of(&s[6..14]).ok_or(ParseCitizenIdError::InvalidBirthDate)?;
        let expected = check_char(&bytes[..17]);
        if expected != last {
            return Err(ParseCitizenIdError::CheckDigitMismatch {
                expected,
                actual: last,
            });
        }
        Ok(Self(s.to_string()))
    }

    fn from_legacy15(s: &str) -> Result<Self, ParseCitizenIdError> {
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseCitizenIdError::InvalidCharacter);
        }
        // Legacy IDs were issued before 2000, so the two-digit year is 19xx.
        let first17 = format!("{}19{}", &s[..6], &s[6..]);
        birth_date_of(&first17[6..14]).ok_or(ParseCitizenIdError::InvalidBirthDate)?;
        let check = check_char(first17.as_bytes());
        Ok(Self(format!("{first17}{check}")))
    }

    /// Builds an ID from its parts, computing the check character. Used by generators and tests.
    pub fn from_parts(address: &str, birth: NaiveDate, sequence: u16) -> Option<Self> {
        if address.len() != 6 || !address.bytes().all(|b| b.is_ascii_digit()) || sequence > 999 {
            return None;
        }
        let first17 = format!("{address}{}{sequence:03}", birth.format("%Y%m%d"));
        let check = check_char(first17.as_bytes());
        Self::parse18(&format!("{first17}{check}")).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit address code of first registration (not where the person lives now).
    pub fn address_code(&self) -> &str {
        &self.0[..6]
    }

    pub fn birth_date(&self) -> NaiveDate {
        birth_date_of(&self.0[6..14]).expect("validated on construction")
    }

    /// Odd sequence numbers are issued to men, even to women.
    pub fn sex(&self) -> Sex {
        let digit = self.0.as_bytes()[16] - b'0';
        if digit % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// `330102********1234`: region and last four kept, the birth date hidden.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

fn birth_date_of(yyyymmdd: &str) -> Option<NaiveDate> {
    let year: i32 = yyyymmdd.get(0..4)?.parse().ok()?;
    let month: u32 = yyyymmdd.get(4..6)?.parse().ok()?;
    let day: u32 = yyyymmdd.get(6..8)?.parse().ok()?;
    if !(1900..=2100).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

impl fmt::Display for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Debug never prints the full number, so IDs cannot leak into logs through `{:?}`.
impl fmt::Debug for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CitizenId({})", self.masked())
    }
}

impl TryFrom<String> for CitizenId {
    type Error = ParseCitizenIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CitizenId> for String {
    fn from(value: CitizenId) -> Self {
        value.0
    }
}

impl std::str::FromStr for CitizenId {
    type Err = ParseCitizenIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_known_valid_id_parses() {
        // Example from GB 11643 documentation.
        let id = CitizenId::parse("11010519491231002X").unwrap();
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.address_code(), "110105");
    }

    #[test]
    fn lower_case_x_and_spaces_are_accepted() {
        assert!(CitizenId::parse(" 11010519491231002x ").is_ok());
    }

    #[test]
    fn wrong_check_digit_is_rejected_with_expected_value() {
        assert_eq!(
            CitizenId::parse("110105194912310021"),
            Err(ParseCitizenIdError::CheckDigitMismatch {
                expected: 'X',
                actual: '1'
            })
        );
    }

    #[test]
    fn fifteen_digit_id_is_converted() {
        // 15-digit form of 130503670401001 -> 130503 19670401 001 + check.
        let id = CitizenId::parse("130503670401001").unwrap();
        assert_eq!(id.as_str(), "130503196704010016");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1967, 4, 1).unwrap()
        );
    }

    #[test]
    fn impossible_birth_date_is_rejected() {
        let bad = "110105194902300019"; // 30 February
        assert_eq!(
            CitizenId::parse(bad),
            Err(ParseCitizenIdError::InvalidBirthDate)
        );
    }

    #[test]
    fn wrong_length_and_characters_are_rejected() {
        assert_eq!(
            CitizenId::parse("1234"),
            Err(ParseCitizenIdError::WrongLength(4))
        );
        assert_eq!(CitizenId::parse(""), Err(ParseCitizenIdError::Empty));
        assert_eq!(
            CitizenId::parse("11010519491231A02X"),
            Err(ParseCitizenIdError::InvalidCharacter)
        );
    }

    #[test]
    fn masked_keeps_region_and_last_four() {
        let id = CitizenId::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "110105********002X");
        assert!(!format!("{id:?}").contains("19491231"));
    }

    fn arb_id() -> impl Strategy<Value = CitizenId> {
        (100000u32..999999, 0i64..(365 * 120), 0u16..1000).prop_map(|(addr, days, seq)| {
            let birth = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(days);
            CitizenId::from_parts(&addr.to_string(), birth, seq).unwrap()
        })
    }

    proptest! {
        #[test]
        fn generated_ids_round_trip_through_display(id in arb_id()) {
            prop_assert_eq!(CitizenId::parse(&id.to_string()).unwrap(), id);
        }

        #[test]
        fn any_single_digit_change_is_detected(id in arb_id(), pos in 0usize..17, delta in 1u8..10) {
            let mut bytes = id.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            // MOD 11-2 detects every single-digit error; the date may also become invalid.
            prop_assert!(CitizenId::parse(&changed).is_err());
        }

        #[test]
        fn adjacent_transposition_is_detected(id in arb_id(), pos in 0usize..16) {
            let mut bytes = id.as_str().as_bytes().to_vec();
            prop_assume!(bytes[pos] != bytes[pos + 1]);
            bytes.swap(pos, pos + 1);
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(CitizenId::parse(&changed).is_err());
        }

        #[test]
        fn legacy_ids_convert_to_valid_18(addr in 100000u32..999999, days in 0i64..(365 * 99), seq in 0u16..1000) {
            let birth = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(days);
            let legacy = format!("{addr}{}{seq:03}", birth.format("%y%m%d"));
            let id = CitizenId::parse(&legacy).unwrap();
            prop_assert_eq!(id.birth_date(), birth);
            prop_assert_eq!(CitizenId::parse(id.as_str()).unwrap(), id);
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,24}") {
            let _ = CitizenId::parse(&s);
        }
    }
}
