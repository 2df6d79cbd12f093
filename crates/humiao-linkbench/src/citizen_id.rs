//! Synthetic 18-digit citizen IDs (居民身份证号码, GB 11643-1999) and their legacy 15-digit form.
//!
//! The generator's own small implementation: it must not share code with the linker it feeds,
//! so a bug in one cannot hide in the other.

use chrono::{Datelike, NaiveDate};

/// Weights of the first 17 digits (ISO 7064 MOD 11-2).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each remainder.
const CHECK: &[u8; 11] = b"10X98765432";

/// The check character of 17 leading digits.
pub fn check_char(first17: &str) -> char {
    debug_assert_eq!(first17.len(), 17);
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    char::from(CHECK[(sum % 11) as usize])
}

/// An 18-character ID: region code, birth date, a 3-digit sequence whose last digit is odd for
/// men and even for women, and the check character.
pub fn build(region: &str, birth: NaiveDate, sequence: u16) -> String {
    debug_assert!(region.len() == 6 && sequence < 1000);
    let mut id = format!(
        "{region}{:04}{:02}{:02}{sequence:03}",
        birth.year(),
        birth.month(),
        birth.day()
    );
    let check = check_char(&id);
    id.push(check);
    id
}

/// The first-generation form, issued until 1999: two-digit year, no check character.
pub fn legacy15(id18: &str) -> String {
    format!("{}{}", &id18[..6], &id18[8..17])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_example_has_check_x() {
        // The example printed in GB 11643-1999.
        assert_eq!(check_char("11010519491231002"), 'X');
    }

    #[test]
    fn built_ids_carry_their_check_character() {
        let birth = NaiveDate::from_ymd_opt(2012, 3, 5).expect("valid date");
        let id = build("330199", birth, 41);
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("33019920120305041"));
        assert_eq!(id.chars().last(), Some(check_char(&id[..17])));
    }

    #[test]
    fn legacy_form_drops_century_and_check() {
        assert_eq!(legacy15("11010519491231002X"), "110105491231002");
    }
}
