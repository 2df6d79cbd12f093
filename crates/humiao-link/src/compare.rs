//! Pairwise comparison: for each field, which agreement level two records reach.
//!
//! Level 0 always means "cannot compare" (a value missing on either side); it carries no evidence.
//! The levels are ordered from strongest agreement to disagreement, as in Splink's comparison levels.

use humiao_core::normalize::{date_relation, jaro_winkler, one_typing_error, DateRelation};
use serde::{Deserialize, Serialize};

use crate::intern::{Interner, Sym};
use crate::prepare::{IdValue, Rec};

pub const FIELD_COUNT: usize = 6;
/// Comparison levels of one pair, indexed by [`Field::index`].
pub type Levels = [u8; FIELD_COUNT];
/// The most levels any field has, including level 0.
pub const MAX_LEVELS: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    CitizenId,
    Name,
    BirthDate,
    Sex,
    Address,
    Parents,
}

impl Field {
    pub const ALL: [Field; FIELD_COUNT] = [
        Field::CitizenId,
        Field::Name,
        Field::BirthDate,
        Field::Sex,
        Field::Address,
        Field::Parents,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    /// Number of levels including level 0 (missing).
    pub fn levels(self) -> usize {
        match self {
            Field::CitizenId => 5,
            Field::Name => 5,
            Field::BirthDate => 6,
            Field::Sex => 3,
            Field::Address => 5,
            Field::Parents => 4,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Field::CitizenId => "citizen_id",
            Field::Name => "name",
            Field::BirthDate => "birth_date",
            Field::Sex => "sex",
            Field::Address => "address",
            Field::Parents => "parents",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Field::CitizenId => "身份证号",
            Field::Name => "姓名",
            Field::BirthDate => "出生日期",
            Field::Sex => "性别",
            Field::Address => "地址",
            Field::Parents => "父母/监护人姓名",
        }
    }

    pub fn level_label_zh(self, level: u8) -> &'static str {
        if level == 0 {
            return "一方缺失，不计";
        }
        match (self, level) {
            (Field::CitizenId, 1) => "完全一致",
            (Field::CitizenId, 2) => "出生日期或地区码处相差一处录入错误（可修复）",
            (Field::CitizenId, 3) => {
                "顺序码或校验码处相差一处（可能是录入错误，也可能是同日出生的另一人）"
            }
            (Field::CitizenId, _) => "不一致",
            (Field::Name, 1) => "完全一致（繁简统一后）",
            (Field::Name, 2) => "拼音相同（同音字或拼音姓名）",
            (Field::Name, 3) => "拼音相近",
            (Field::Name, _) => "不一致",
            (Field::BirthDate, 1) => "完全一致",
            (Field::BirthDate, 2) => "日月颠倒或相差一天",
            (Field::BirthDate, 3) => "同年同月",
            (Field::BirthDate, 4) => "相差一年以内",
            (Field::BirthDate, _) => "不一致",
            (Field::Sex, 1) => "一致",
            (Field::Sex, _) => "不一致",
            (Field::Address, 1) => "同一户/同一门牌",
            (Field::Address, 2) => "同村（社区）",
            (Field::Address, 3) => "同乡镇（街道）",
            (Field::Address, _) => "不同乡镇或村",
            (Field::Parents, 1) => "有父母/监护人姓名一致",
            (Field::Parents, 2) => "有父母/监护人姓名拼音相同",
            (Field::Parents, _) => "父母/监护人姓名均不一致",
        }
    }
}

/// Characters of an ID holding the region and the birth date; the rest are the serial and check.
pub const ID_REGION_AND_BIRTH: usize = 14;

/// The ID comparison level: 1 equal; one typing error apart, 2 in the region or birth date digits
/// and 3 in the serial or check digits; 4 different; 0 missing.
///
/// Why two repair levels: people born on the same day in one county have IDs differing only in
/// the serial digits, so an ID one error away in the serial part is often simply somebody else
/// born that day; an error in the birth-date digits is not.
///
/// Two checksum-valid IDs are never "one typing error apart": the checksum would have caught the
/// error, so they are different people. A converted 15-digit ID has a computed check character,
/// so it is compared on its first 17 characters.
pub fn compare_id(a: &IdValue, b: &IdValue) -> u8 {
    match (a, b) {
        (IdValue::Missing, _) | (_, IdValue::Missing) => 0,
        (IdValue::Valid(x), IdValue::Valid(y)) => {
            if x == y {
                1
            } else {
                4
            }
        }
        _ => match (a.bytes(), b.bytes()) {
            (Some(x), Some(y)) if x == y => 1,
            _ => match id_typing_error(a, b) {
                Some((_, Some(j))) if j >= ID_REGION_AND_BIRTH => 3,
                Some((i, _)) if i >= ID_REGION_AND_BIRTH => 3,
                Some(_) => 2,
                None => 4,
            },
        },
    }
}

/// The positions (0-based) where two IDs differ when they are one typing error apart; None when
/// they are not (or either is missing).
pub fn id_typing_error(a: &IdValue, b: &IdValue) -> Option<(usize, Option<usize>)> {
    let (x, y) = (a.bytes()?, b.bytes()?);
    let unchecked = matches!(a, IdValue::Unchecked(_)) || matches!(b, IdValue::Unchecked(_));
    let len = if unchecked { 17 } else { 18 };
    if !one_typing_error(&x[..len], &y[..len]) {
        return None;
    }
    let mut diffs = (0..len).filter(|&i| x[i] != y[i]);
    let first = diffs.next()?;
    Some((first, diffs.next()))
}

/// Pinyin similarity above which two different names count as "close".
const NAME_CLOSE: f64 = 0.90;

fn compare_name(a: &Rec, b: &Rec, strings: &Interner) -> u8 {
    if a.name.is_none() || b.name.is_none() {
        return 0;
    }
    if a.name == b.name {
        return 1;
    }
    if a.name_pinyin == b.name_pinyin {
        return 2;
    }
    let similarity = jaro_winkler(
        strings.resolve(a.name_pinyin),
        strings.resolve(b.name_pinyin),
    );
    if similarity >= NAME_CLOSE {
        3
    } else {
        4
    }
}

fn compare_birth(a: &Rec, b: &Rec) -> u8 {
    let (Some(x), Some(y)) = (a.birth, b.birth) else {
        return 0;
    };
    if x == y {
        return 1;
    }
    // An ambiguous written date whose other reading matches is a day/month swap.
    if a.birth_alt == Some(y) || b.birth_alt == Some(x) {
        return 2;
    }
    match date_relation(x, y) {
        DateRelation::Same => 1,
        DateRelation::DayMonthSwapped | DateRelation::OffByOneDay => 2,
        DateRelation::SameYearMonth => 3,
        DateRelation::SameYear | DateRelation::Within(_) => 4,
        DateRelation::Different => 5,
    }
}

fn compare_sex(a: &Rec, b: &Rec) -> u8 {
    match (a.sex, b.sex) {
        (0, _) | (_, 0) => 0,
        (x, y) if x == y => 1,
        _ => 2,
    }
}

fn both(a: Sym, b: Sym) -> bool {
    a.is_some() && b.is_some()
}

fn compare_address(a: &Rec, b: &Rec) -> u8 {
    if (both(a.household, b.household) && a.household == b.household)
        || (both(a.dwelling, b.dwelling) && a.dwelling == b.dwelling)
        || (both(a.house, b.house) && a.house == b.house)
    {
        return 1;
    }
    if both(a.village, b.village) {
        return if a.village == b.village { 2 } else { 4 };
    }
    if both(a.town, b.town) {
        return if a.town == b.town { 3 } else { 4 };
    }
    0
}

fn compare_parents(a: &Rec, b: &Rec) -> u8 {
    let present = |r: &Rec| r.parents.iter().any(|p| p.is_some());
    if !present(a) || !present(b) {
        return 0;
    }
    let shares = |xs: &[Sym; 3], ys: &[Sym; 3]| {
        xs.iter()
            .filter(|x| x.is_some())
            .any(|x| ys.iter().any(|y| y == x))
    };
    if shares(&a.parents, &b.parents) {
        1
    } else if shares(&a.parents_pinyin, &b.parents_pinyin) {
        2
    } else {
        3
    }
}

/// Compares two records field by field.
pub fn compare(a: &Rec, b: &Rec, strings: &Interner) -> Levels {
    [
        compare_id(&a.id, &b.id),
        compare_name(a, b, strings),
        compare_birth(a, b),
        compare_sex(a, b),
        compare_address(a, b),
        compare_parents(a, b),
    ]
}

/// Packs levels into one integer (3 bits per field), for counting identical patterns.
pub fn pack(levels: &Levels) -> u32 {
    levels
        .iter()
        .enumerate()
        .fold(0, |acc, (i, &l)| acc | (u32::from(l) << (3 * i)))
}

pub fn unpack(packed: u32) -> Levels {
    let mut out = [0; FIELD_COUNT];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = ((packed >> (3 * i)) & 7) as u8;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prepare::{prepare, InputRecord};
    use proptest::prelude::*;

    fn rec(strings: &mut Interner, id: &str, name: &str, birth: &str, parents: &[&str]) -> Rec {
        prepare(
            &InputRecord {
                key: "k".into(),
                source: "police".into(),
                citizen_id: id.into(),
                name: name.into(),
                birth_date: birth.into(),
                parent_names: parents.iter().map(|p| p.to_string()).collect(),
                ..Default::default()
            },
            strings,
        )
        .0
    }

    #[test]
    fn id_levels() {
        let a = *b"330199201203050013";
        let mut one = a;
        one[8] = b'7';
        let mut swapped = a;
        swapped.swap(10, 11);
        let mut two = a;
        two[3] = b'0';
        two[9] = b'9';
        let valid = IdValue::Valid(a);
        assert_eq!(compare_id(&valid, &IdValue::Damaged(one)), 2);
        assert_eq!(compare_id(&valid, &IdValue::Damaged(swapped)), 2);
        assert_eq!(compare_id(&valid, &IdValue::Damaged(two)), 4);
        assert_eq!(compare_id(&valid, &IdValue::Valid(a)), 1);
        assert_eq!(compare_id(&valid, &IdValue::Missing), 0);
        // An error in the serial digits: weaker, a neighbour born the same day looks the same.
        let mut serial = a;
        serial[15] = b'4';
        assert_eq!(compare_id(&valid, &IdValue::Damaged(serial)), 3);
        // Two checksum-valid IDs are different people, however close.
        assert_eq!(compare_id(&valid, &IdValue::Valid(one)), 4);
        // A converted 15-digit ID with a typo has a different computed check character too.
        let mut converted = one;
        converted[17] = b'9';
        assert_eq!(compare_id(&valid, &IdValue::Unchecked(converted)), 2);
        assert_eq!(
            id_typing_error(&valid, &IdValue::Unchecked(converted)),
            Some((8, None))
        );
        assert_eq!(
            id_typing_error(&valid, &IdValue::Damaged(swapped)),
            Some((10, Some(11)))
        );
    }

    #[test]
    fn traditional_homophone_and_pinyin_names() {
        let mut s = Interner::default();
        let a = rec(&mut s, "", "张丽", "2012-03-05", &[]);
        let trad = rec(&mut s, "", "張麗", "2012-03-05", &[]);
        let homophone = rec(&mut s, "", "张莉", "2012-03-05", &[]);
        let pinyin = rec(&mut s, "", "Zhang Li", "2012-03-05", &[]);
        let other = rec(&mut s, "", "王芳", "2012-03-05", &[]);
        assert_eq!(compare(&a, &trad, &s)[Field::Name.index()], 1);
        assert_eq!(compare(&a, &homophone, &s)[Field::Name.index()], 2);
        assert_eq!(compare(&a, &pinyin, &s)[Field::Name.index()], 2);
        assert_eq!(compare(&a, &other, &s)[Field::Name.index()], 4);
    }

    #[test]
    fn dates_swapped_and_off_by_one() {
        let mut s = Interner::default();
        let a = rec(&mut s, "", "张丽", "2012-03-05", &[]);
        let swapped = rec(&mut s, "", "张丽", "03/05/2012", &[]);
        let off = rec(&mut s, "", "张丽", "2012-03-06", &[]);
        let month = rec(&mut s, "", "张丽", "2012-03-25", &[]);
        let far = rec(&mut s, "", "张丽", "2001-03-05", &[]);
        let b = Field::BirthDate.index();
        assert_eq!(compare(&a, &a, &s)[b], 1);
        assert_eq!(compare(&a, &swapped, &s)[b], 2, "{:?}", swapped.birth);
        assert_eq!(compare(&a, &off, &s)[b], 2);
        assert_eq!(compare(&a, &month, &s)[b], 3);
        assert_eq!(compare(&far, &a, &s)[b], 5);
    }

    #[test]
    fn ids_exact_repairable_and_different() {
        let mut s = Interner::default();
        let a = rec(&mut s, "330199201203050013", "张丽", "", &[]);
        let damaged = rec(&mut s, "330199201203050018", "张丽", "", &[]);
        let in_birth = rec(&mut s, "330199201208050013", "张丽", "", &[]);
        let other = rec(&mut s, "330199201203050021", "张丽", "", &[]);
        let none = rec(&mut s, "", "张丽", "", &[]);
        let f = Field::CitizenId.index();
        assert_eq!(compare(&a, &a, &s)[f], 1);
        assert_eq!(compare(&a, &damaged, &s)[f], 3);
        assert_eq!(compare(&a, &in_birth, &s)[f], 2);
        assert_eq!(compare(&a, &other, &s)[f], 4);
        assert_eq!(compare(&a, &none, &s)[f], 0);
    }

    #[test]
    fn parents() {
        let mut s = Interner::default();
        let a = rec(&mut s, "", "张丽", "", &["张伟", "李娜"]);
        let b = rec(&mut s, "", "张丽", "", &["李娜"]);
        let c = rec(&mut s, "", "张丽", "", &["李那"]);
        let d = rec(&mut s, "", "张丽", "", &["王强"]);
        let e = rec(&mut s, "", "张丽", "", &[]);
        let p = Field::Parents.index();
        assert_eq!(compare(&a, &b, &s)[p], 1);
        assert_eq!(compare(&a, &c, &s)[p], 2);
        assert_eq!(compare(&a, &d, &s)[p], 3);
        assert_eq!(compare(&a, &e, &s)[p], 0);
    }

    proptest! {
        #[test]
        fn pack_round_trips(levels in proptest::array::uniform6(0u8..6)) {
            prop_assert_eq!(unpack(pack(&levels)), levels);
        }
    }
}
