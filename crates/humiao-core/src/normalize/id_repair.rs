//! Citizen IDs (公民身份号码) as written, and the repair of one typing error against a valid ID.
//!
//! [`CitizenId::parse`] stays strict; this module reads leniently and keeps a damaged ID so the
//! linker can look for the valid ID it was meant to be. It must not replace a damaged ID by a
//! repaired one on its own: a repair is only a candidate until other fields agree.

use crate::citizen_id::{check_char, CitizenId};

use super::half_width;

/// A raw citizen ID as written, cleaned (trim, remove spaces/hyphens, full-width→ASCII, x→X).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdReading {
    Valid(CitizenId),
    /// A legacy 15-digit ID converted to 18.
    Converted15(CitizenId),
    /// 18 characters of the right shape but failing the check digit or with an impossible birth
    /// date; kept for repair against candidates.
    Damaged(String),
    /// Anything else (wrong length, letters …): not usable.
    Unusable(String),
    Missing,
}

/// Removes whitespace and hyphens, folds full-width forms, upper-cases (x → X).
fn clean(raw: &str) -> String {
    raw.chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '‐' | '‑' | '–' | '—'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Seventeen digits and a digit or X.
fn shaped18(s: &[u8]) -> bool {
    s.len() == 18
        && s[..17].iter().all(u8::is_ascii_digit)
        && (s[17].is_ascii_digit() || s[17] == b'X')
}

/// Reads a citizen ID as written: valid, converted from 15 digits, damaged (repairable shape),
/// unusable, or missing.
pub fn read_citizen_id(raw: &str) -> IdReading {
    let s = clean(raw);
    if s.is_empty() {
        return IdReading::Missing;
    }
    // Only ASCII reaches the length checks below, so byte length is character count.
    if !s.is_ascii() {
        return IdReading::Unusable(s);
    }
    match s.len() {
        18 => match CitizenId::parse(&s) {
            Ok(id) => IdReading::Valid(id),
            Err(_) if shaped18(s.as_bytes()) => IdReading::Damaged(s),
            Err(_) => IdReading::Unusable(s),
        },
        15 => match CitizenId::parse(&s) {
            Ok(id) => IdReading::Converted15(id),
            Err(_) => IdReading::Unusable(s),
        },
        _ => IdReading::Unusable(s),
    }
}

/// One typing error between a damaged ID and a valid one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdRepair {
    /// One character differs at `position` (0-based).
    SingleCharacter { position: usize },
    /// Two adjacent characters are swapped at `position`, `position+1`.
    AdjacentTransposition { position: usize },
}

impl IdRepair {
    /// The error in words, positions counted from 1: "第7位录入错误", "第7、8位颠倒".
    pub fn describe_zh(&self) -> String {
        match self {
            Self::SingleCharacter { position } => format!("第{}位录入错误", position + 1),
            Self::AdjacentTransposition { position } => {
                format!("第{}、{}位颠倒", position + 1, position + 2)
            }
        }
    }
}

/// Whether a damaged ID (18 chars) is a valid ID with one typing error. None when they are equal
/// or differ by more than one error. Allocation-free (called in pair scoring); a lower-case x in
/// `damaged` counts as X.
pub fn repair_against(damaged: &str, valid: &CitizenId) -> Option<IdRepair> {
    let a = damaged.as_bytes();
    let b = valid.as_str().as_bytes();
    if a.len() != 18 || b.len() != 18 {
        return None;
    }
    let mut first = None;
    let mut count = 0;
    for i in 0..18 {
        if a[i].to_ascii_uppercase() != b[i] {
            count += 1;
            if count > 2 {
                return None;
            }
            first.get_or_insert(i);
        }
    }
    let first = first?;
    match count {
        1 => Some(IdRepair::SingleCharacter { position: first }),
        // Two differences are a transposition only when adjacent and crossed.
        _ if first + 1 < 18
            && a[first].to_ascii_uppercase() == b[first + 1]
            && a[first + 1].to_ascii_uppercase() == b[first] =>
        {
            Some(IdRepair::AdjacentTransposition { position: first })
        }
        _ => None,
    }
}

/// All valid IDs one error away from a damaged ID (single substitution at each position giving a
/// valid checksum and birth date; adjacent transpositions giving a valid one), each with the
/// error that turns it into `damaged`. Sorted, deduplicated. Empty unless `damaged` is 18
/// characters of the right shape (after the cleaning of [`read_citizen_id`]).
///
/// ISO 7064 MOD 11-2 makes this short: for each of the first 17 positions at most one digit
/// restores the checksum, and the check character itself has exactly one right value.
pub fn repair_candidates(damaged: &str) -> Vec<(CitizenId, IdRepair)> {
    let s = clean(damaged);
    let Ok(original) = <[u8; 18]>::try_from(s.as_bytes()) else {
        return Vec::new();
    };
    if !shaped18(&original) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut push_if_valid = |candidate: &[u8; 18], repair: IdRepair| {
        if candidate == &original || !shaped18(candidate) {
            return;
        }
        if check_char(&candidate[..17]) as u32 != u32::from(candidate[17]) {
            return;
        }
        // The checksum holds; parsing checks the birth date.
        if let Some(id) = std::str::from_utf8(candidate)
            .ok()
            .and_then(|s| CitizenId::parse(s).ok())
        {
            out.push((id, repair));
        }
    };
    // The check character itself mistyped.
    let mut fixed = original;
    fixed[17] = check_char(&original[..17]) as u8;
    push_if_valid(&fixed, IdRepair::SingleCharacter { position: 17 });
    // One of the first 17 digits mistyped.
    for position in 0..17 {
        for digit in b'0'..=b'9' {
            let mut candidate = original;
            candidate[position] = digit;
            push_if_valid(&candidate, IdRepair::SingleCharacter { position });
        }
    }
    // Two neighbours swapped (a swap with the check character included).
    for position in 0..17 {
        if original[position] != original[position + 1] {
            let mut candidate = original;
            candidate.swap(position, position + 1);
            push_if_valid(&candidate, IdRepair::AdjacentTransposition { position });
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// Years by which the birth date inside a citizen ID must differ from the record's own birth date
/// before the ID is taken to be somebody else's: a parent is at least this much older.
pub const FOREIGN_ID_YEARS: i32 = 12;

/// Whether a valid citizen ID cannot be the record's own because its birth date is a generation
/// away from the birth date written in the same record — typically a child's clinic or insurance
/// record carrying the mother's ID. A birth date one typing error from the ID's (a digit, two
/// adjacent digits swapped) is a typo in the date, not a different person, and does not count.
pub fn id_belongs_to_someone_else(id: &CitizenId, recorded_birth: chrono::NaiveDate) -> bool {
    use chrono::Datelike;
    let in_id = id.birth_date();
    if (in_id.year() - recorded_birth.year()).abs() < FOREIGN_ID_YEARS {
        return false;
    }
    let a = in_id.format("%Y%m%d").to_string();
    let b = recorded_birth.format("%Y%m%d").to_string();
    !one_typing_error(a.as_bytes(), b.as_bytes())
}

/// Whether two equally long strings differ by exactly one typing error: one character changed, or
/// two adjacent characters swapped (equal strings do not). Allocation-free: the linker calls it
/// on every candidate pair holding a damaged ID.
pub fn one_typing_error(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut first = None;
    let mut diffs = 0;
    for i in 0..a.len() {
        if a[i] != b[i] {
            diffs += 1;
            if diffs > 2 {
                return false;
            }
            first.get_or_insert(i);
        }
    }
    match (diffs, first) {
        (1, _) => true,
        (2, Some(i)) => i + 1 < a.len() && a[i] == b[i + 1] && a[i + 1] == b[i],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn valid() -> CitizenId {
        CitizenId::from_parts("330199", NaiveDate::from_ymd_opt(2012, 3, 5).unwrap(), 13).unwrap()
    }

    /// `id` with the character at `position` replaced.
    fn with(id: &str, position: usize, c: char) -> String {
        let mut s = id.to_string();
        s.replace_range(position..position + 1, &c.to_string());
        s
    }

    #[test]
    fn valid_ids_read_through_spaces_hyphens_and_full_width() {
        let v = valid();
        let s = v.as_str();
        assert_eq!(read_citizen_id(s), IdReading::Valid(v.clone()));
        for written in [
            format!(" {} {} ", &s[..6], &s[6..]),
            format!("{}-{}-{}", &s[..6], &s[6..14], &s[14..]),
            s.chars()
                .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
                .collect(),
            format!("\u{3000}{s}\t"),
        ] {
            assert_eq!(
                read_citizen_id(&written),
                IdReading::Valid(v.clone()),
                "{written}"
            );
        }
        let with_x = CitizenId::parse("11010519491231002X").unwrap();
        assert_eq!(
            read_citizen_id("11010519491231002x"),
            IdReading::Valid(with_x)
        );
    }

    #[test]
    fn legacy_ids_are_converted() {
        assert_eq!(
            read_citizen_id("130503670401001"),
            IdReading::Converted15(CitizenId::parse("130503196704010016").unwrap())
        );
        // A 15-digit number with an impossible date cannot be converted.
        assert!(matches!(
            read_citizen_id("130503671301001"),
            IdReading::Unusable(_)
        ));
    }

    #[test]
    fn a_wrong_check_digit_or_birth_date_is_damaged() {
        let v = valid();
        let last = if v.as_str().ends_with('0') { '1' } else { '0' };
        let damaged = with(v.as_str(), 17, last);
        assert_eq!(
            read_citizen_id(&damaged),
            IdReading::Damaged(damaged.clone())
        );
        // 30 February with a correct checksum: damaged, not unusable.
        let first17 = "11010519490230001";
        let check = check_char(first17.as_bytes());
        let bad_date = format!("{first17}{check}");
        assert_eq!(
            read_citizen_id(&bad_date),
            IdReading::Damaged(bad_date.clone())
        );
        // Lower-case x is cleaned to X in the damaged reading.
        assert_eq!(
            read_citizen_id("11010519491231003x"),
            IdReading::Damaged("11010519491231003X".into())
        );
    }

    #[test]
    fn other_shapes_are_unusable_or_missing() {
        for raw in [
            "12345",
            "33019920120305ABCD",
            "3301992012030500X1",
            "33019920120305001",
            "3301992012030500133",
            "张三",
        ] {
            assert!(
                matches!(read_citizen_id(raw), IdReading::Unusable(_)),
                "{raw}"
            );
        }
        assert_eq!(read_citizen_id("张三"), IdReading::Unusable("张三".into()));
        assert_eq!(read_citizen_id("  "), IdReading::Missing);
        assert_eq!(read_citizen_id(""), IdReading::Missing);
        assert_eq!(read_citizen_id(" - "), IdReading::Missing);
    }

    #[test]
    fn repairs_are_described_in_chinese_from_one() {
        assert_eq!(
            IdRepair::SingleCharacter { position: 6 }.describe_zh(),
            "第7位录入错误"
        );
        assert_eq!(
            IdRepair::AdjacentTransposition { position: 6 }.describe_zh(),
            "第7、8位颠倒"
        );
    }

    #[test]
    fn repair_against_finds_one_error_and_no_more() {
        let v = valid();
        let s = v.as_str();
        assert_eq!(repair_against(s, &v), None);
        let digit = |p: usize| if &s[p..=p] == "9" { '0' } else { '9' };
        assert_eq!(
            repair_against(&with(s, 10, digit(10)), &v),
            Some(IdRepair::SingleCharacter { position: 10 })
        );
        let mut swapped = s.as_bytes().to_vec();
        let p = (0..17).find(|&p| swapped[p] != swapped[p + 1]).unwrap();
        swapped.swap(p, p + 1);
        let swapped = String::from_utf8(swapped).unwrap();
        assert_eq!(
            repair_against(&swapped, &v),
            Some(IdRepair::AdjacentTransposition { position: p })
        );
        // Two separate errors.
        let two = with(&with(s, 3, digit(3)), 12, digit(12));
        assert_eq!(repair_against(&two, &v), None);
        // Two adjacent substitutions that are not a swap.
        let not_swap = with(&with(s, 8, digit(8)), 9, digit(9));
        if not_swap.as_bytes()[8] != s.as_bytes()[9] || not_swap.as_bytes()[9] != s.as_bytes()[8] {
            assert_eq!(repair_against(&not_swap, &v), None);
        }
        assert_eq!(repair_against("123", &v), None);
        assert_eq!(repair_against("", &v), None);
    }

    #[test]
    fn a_mistyped_check_character_has_the_right_one_as_candidate() {
        let v = CitizenId::parse("11010519491231002X").unwrap();
        let candidates = repair_candidates("110105194912310021");
        assert!(candidates.contains(&(v, IdRepair::SingleCharacter { position: 17 })));
        // Sorted and unique.
        assert!(candidates.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn candidates_only_for_the_right_shape() {
        assert!(repair_candidates("").is_empty());
        assert!(repair_candidates("12345").is_empty());
        assert!(repair_candidates("33019920120305ABCD").is_empty());
        // A valid ID is not its own candidate.
        let v = valid();
        assert!(repair_candidates(v.as_str()).iter().all(|(c, _)| c != &v));
    }

    fn arb_id() -> impl Strategy<Value = CitizenId> {
        (100_000u32..999_999, 0i64..(365 * 120), 0u16..1000).prop_map(|(address, days, seq)| {
            let birth = NaiveDate::from_ymd_opt(1920, 1, 1).unwrap() + chrono::Duration::days(days);
            CitizenId::from_parts(&address.to_string(), birth, seq).unwrap()
        })
    }

    proptest! {
        #[test]
        fn a_single_substitution_is_found(id in arb_id(), position in 0usize..18, step in 1usize..=10) {
            // Another character of the same kind: a digit, or at the check position also X.
            const CHARS: &[u8; 11] = b"0123456789X";
            let kinds = if position == 17 { 11 } else { 10 };
            let current = CHARS.iter().position(|&b| b == id.as_str().as_bytes()[position]).unwrap();
            let c = char::from(CHARS[(current + 1 + (step - 1) % (kinds - 1)) % kinds]);
            let damaged = with(id.as_str(), position, c);
            // MOD 11-2 detects every single substitution: the damaged ID is never valid.
            prop_assert_eq!(read_citizen_id(&damaged), IdReading::Damaged(damaged.clone()));
            let repair = IdRepair::SingleCharacter { position };
            prop_assert_eq!(repair_against(&damaged, &id), Some(repair));
            prop_assert_eq!(repair_against(&damaged.to_lowercase(), &id), Some(repair));
            let candidates = repair_candidates(&damaged);
            prop_assert!(candidates.contains(&(id.clone(), repair)));
        }

        #[test]
        fn an_adjacent_transposition_is_found(id in arb_id(), pick in 0usize..17) {
            let mut bytes = id.as_str().as_bytes().to_vec();
            // Only a swap of two different characters changes the ID.
            let swappable: Vec<usize> = (0..17).filter(|&p| bytes[p] != bytes[p + 1]).collect();
            prop_assume!(!swappable.is_empty());
            let position = swappable[pick % swappable.len()];
            bytes.swap(position, position + 1);
            let damaged = String::from_utf8(bytes).unwrap();
            let repair = IdRepair::AdjacentTransposition { position };
            prop_assert_eq!(repair_against(&damaged, &id), Some(repair));
            match read_citizen_id(&damaged) {
                IdReading::Damaged(_) => {
                    prop_assert!(repair_candidates(&damaged).contains(&(id.clone(), repair)));
                }
                // MOD 11-2 detects swaps among the first 17 digits; a swap with the check
                // character may put X among the digits, or by chance give another valid ID.
                IdReading::Unusable(_) | IdReading::Valid(_) => prop_assert_eq!(position, 16),
                other => prop_assert!(false, "a transposed ID read as {:?}", other),
            }
        }

        #[test]
        fn every_candidate_is_one_reported_error_away(id in arb_id(), position in 0usize..17, digit in 0u8..10) {
            let damaged = with(id.as_str(), position, char::from(b'0' + digit));
            for (candidate, repair) in repair_candidates(&damaged) {
                prop_assert_eq!(repair_against(&damaged, &candidate), Some(repair));
                prop_assert_ne!(candidate.as_str(), damaged.as_str());
            }
        }

        #[test]
        fn reading_never_panics(raw in "\\PC{0,24}") {
            let _ = read_citizen_id(&raw);
            let _ = repair_candidates(&raw);
        }
    }
}
