//! Citizen IDs as written, and the repair of a single typing error against a valid ID.

use crate::citizen_id::{check_char, CitizenId};

use super::half_width;

/// A raw citizen ID read leniently.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdReading {
    Valid(CitizenId),
    /// A legacy 15-digit ID converted to 18 characters.
    Converted15(CitizenId),
    /// Eighteen characters of the right shape failing the checksum or the birth date: kept for
    /// repair against candidates.
    Damaged(String),
    /// Anything else (wrong length, letters): unusable.
    Unusable(String),
    Missing,
}

fn clean(raw: &str) -> String {
    raw.chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn shaped18(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 18
        && b[..17].iter().all(u8::is_ascii_digit)
        && (b[17].is_ascii_digit() || b[17] == b'X')
}

pub fn read_citizen_id(raw: &str) -> IdReading {
    let s = clean(raw);
    if s.is_empty() {
        return IdReading::Missing;
    }
    match s.len() {
        18 => match CitizenId::parse(&s) {
            Ok(id) => IdReading::Valid(id),
            Err(_) if shaped18(&s) => IdReading::Damaged(s),
            Err(_) => IdReading::Unusable(s),
        },
        15 => match CitizenId::parse(&s) {
            Ok(id) => IdReading::Converted15(id),
            Err(_) => IdReading::Unusable(s),
        },
        _ => IdReading::Unusable(s),
    }
}

/// A single typing error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdRepair {
    /// One character differs at `position` (0-based).
    SingleCharacter { position: usize },
    /// The characters at `position` and `position + 1` are swapped.
    AdjacentTransposition { position: usize },
}

impl IdRepair {
    pub fn describe_zh(&self) -> String {
        match self {
            Self::SingleCharacter { position } => format!("第{}位录入错误", position + 1),
            Self::AdjacentTransposition { position } => {
                format!("第{}、{}位颠倒", position + 1, position + 2)
            }
        }
    }
}

/// Whether `damaged` is `valid` with one typing error. None when equal or further apart.
pub fn repair_against(damaged: &str, valid: &CitizenId) -> Option<IdRepair> {
    let a = damaged.as_bytes();
    let b = valid.as_str().as_bytes();
    if a.len() != 18 || b.len() != 18 {
        return None;
    }
    let mut first = None;
    let mut count = 0;
    for i in 0..18 {
        if a[i] != b[i] {
            count += 1;
            if count > 2 {
                return None;
            }
            first.get_or_insert(i);
        }
    }
    match (count, first) {
        (1, Some(position)) => Some(IdRepair::SingleCharacter { position }),
        (2, Some(p)) if p + 1 < 18 && a[p] == b[p + 1] && a[p + 1] == b[p] => {
            Some(IdRepair::AdjacentTransposition { position: p })
        }
        _ => None,
    }
}

/// Every valid ID one typing error from `damaged`, sorted and deduplicated.
pub fn repair_candidates(damaged: &str) -> Vec<(CitizenId, IdRepair)> {
    let s = clean(damaged);
    if !shaped18(&s) {
        return Vec::new();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut buf = [0u8; 18];
    buf.copy_from_slice(bytes);
    let try_push = |buf: &[u8; 18], repair: IdRepair, out: &mut Vec<(CitizenId, IdRepair)>| {
        if buf[..17].iter().all(u8::is_ascii_digit) && check_char(&buf[..17]) as u8 == buf[17] {
            if let Ok(id) = CitizenId::parse(std::str::from_utf8(buf).unwrap_or("")) {
                out.push((id, repair));
            }
        }
    };
    // The check character itself mistyped.
    let mut fixed = buf;
    fixed[17] = check_char(&buf[..17]) as u8;
    if fixed != buf {
        try_push(&fixed, IdRepair::SingleCharacter { position: 17 }, &mut out);
    }
    // One digit of the first 17 mistyped: for each position, the one digit (if any) that makes
    // the checksum hold.
    for position in 0..17 {
        let original = buf[position];
        for digit in b'0'..=b'9' {
            if digit == original {
                continue;
            }
            let mut candidate = buf;
            candidate[position] = digit;
            try_push(&candidate, IdRepair::SingleCharacter { position }, &mut out);
        }
    }
    for position in 0..17 {
        if buf[position] != buf[position + 1] {
            let mut candidate = buf;
            candidate.swap(position, position + 1);
            try_push(
                &candidate,
                IdRepair::AdjacentTransposition { position },
                &mut out,
            );
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn valid() -> CitizenId {
        CitizenId::from_parts("330199", NaiveDate::from_ymd_opt(2012, 3, 5).unwrap(), 13).unwrap()
    }

    #[test]
    fn readings() {
        let v = valid();
        assert_eq!(read_citizen_id(v.as_str()), IdReading::Valid(v.clone()));
        let spaced = format!(" {} {} ", &v.as_str()[..6], &v.as_str()[6..]);
        assert_eq!(read_citizen_id(&spaced), IdReading::Valid(v.clone()));
        assert!(matches!(
            read_citizen_id("330199120305001"),
            IdReading::Converted15(_)
        ));
        let mut damaged = v.as_str().to_string();
        damaged.replace_range(17..18, if v.as_str().ends_with('0') { "1" } else { "0" });
        assert_eq!(
            read_citizen_id(&damaged),
            IdReading::Damaged(damaged.clone())
        );
        assert!(matches!(read_citizen_id("12345"), IdReading::Unusable(_)));
        assert!(matches!(
            read_citizen_id("33019920120305ABCD"),
            IdReading::Unusable(_)
        ));
        assert_eq!(read_citizen_id("  "), IdReading::Missing);
    }

    #[test]
    fn describes_repairs() {
        assert_eq!(
            IdRepair::SingleCharacter { position: 6 }.describe_zh(),
            "第7位录入错误"
        );
        assert_eq!(
            IdRepair::AdjacentTransposition { position: 6 }.describe_zh(),
            "第7、8位颠倒"
        );
    }

    proptest! {
        #[test]
        fn single_errors_are_found(days in 0i64..30_000, seq in 1u16..999, pos in 0usize..18, digit in 0u8..10) {
            let birth = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap() + chrono::Duration::days(days);
            let id = CitizenId::from_parts("330199", birth, seq).unwrap();
            let mut bytes = id.as_str().as_bytes().to_vec();
            let replacement = b'0' + digit;
            prop_assume!(bytes[pos] != replacement);
            bytes[pos] = replacement;
            let damaged = String::from_utf8(bytes).unwrap();
            // MOD 11-2 detects every single substitution: the damaged ID is never valid.
            prop_assert!(CitizenId::parse(&damaged).is_err());
            prop_assert_eq!(repair_against(&damaged, &id), Some(IdRepair::SingleCharacter { position: pos }));
            if matches!(read_citizen_id(&damaged), IdReading::Damaged(_)) {
                prop_assert!(repair_candidates(&damaged).iter().any(|(c, _)| *c == id));
            }
        }

        #[test]
        fn transpositions_are_found(days in 0i64..30_000, seq in 1u16..999, pos in 0usize..17) {
            let birth = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap() + chrono::Duration::days(days);
            let id = CitizenId::from_parts("330199", birth, seq).unwrap();
            let mut bytes = id.as_str().as_bytes().to_vec();
            prop_assume!(bytes[pos] != bytes[pos + 1]);
            bytes.swap(pos, pos + 1);
            let damaged = String::from_utf8(bytes).unwrap();
            prop_assume!(CitizenId::parse(&damaged).is_err());
            prop_assert_eq!(repair_against(&damaged, &id), Some(IdRepair::AdjacentTransposition { position: pos }));
            if matches!(read_citizen_id(&damaged), IdReading::Damaged(_)) {
                prop_assert!(repair_candidates(&damaged).iter().any(|(c, _)| *c == id));
            }
        }
    }
}
