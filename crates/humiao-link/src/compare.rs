//! Pairwise comparison: for each field, which agreement level two records reach.
//!
//! Level 0 always means "cannot compare" (a value missing on either side); it carries no evidence.
//! The levels are ordered from strongest agreement to disagreement, as in Splink's comparison levels.

use humiao_core::normalize::{date_relation, jaro_winkler, DateRelation};
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
            Field::CitizenId => 4,
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
            (Field::CitizenId, 2) => "相差一处录入错误（可修复）",
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

/// Whether two 18-character IDs differ by exactly one typing error: one character, or two adjacent
/// characters swapped. Allocation-free; called on every candidate pair with a damaged ID.
pub fn one_typing_error(a: &[u8; 18], b: &[u8; 18]) -> bool {
    let mut first = None;
    let mut diffs = 0;
    for i in 0..18 {
        if a[i] != b[i] {
            diffs += 1;
            if diffs > 2 {
                return false;
            }
            if first.is_none() {
                first = Some(i);
            }
        }
    }
    match (diffs, first) {
        (1, _) => true,
        (2, Some(i)) => i + 1 < 18 && a[i] == b[i + 1] && a[i + 1] == b[i],
        _ => false,
    }
}

fn compare_id(a: &IdValue, b: &IdValue) -> u8 {
    match (a, b) {
        (IdValue::Missing, _) | (_, IdValue::Missing) => 0,
        (IdValue::Valid(x), IdValue::Valid(y)) => {
            if x == y {
                1
            } else {
                3
            }
        }
        (IdValue::Valid(x), IdValue::Damaged(y))
        | (IdValue::Damaged(y), IdValue::Valid(x))
        | (IdValue::Damaged(x), IdValue::Damaged(y)) => {
            if x == y {
                1
            } else if one_typing_error(x, y) {
                2
            } else {
                3
            }
        }
    }
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
    fn typing_errors() {
        let a = *b"330199201203050013";
        let mut one = a;
        one[8] = b'7';
        let mut swapped = a;
        swapped.swap(10, 11);
        let mut two = a;
        two[3] = b'0';
        two[9] = b'9';
        assert!(one_typing_error(&a, &one));
        assert!(one_typing_error(&a, &swapped));
        assert!(!one_typing_error(&a, &two));
        assert!(!one_typing_error(&a, &a));
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
        let other = rec(&mut s, "330199201203050021", "张丽", "", &[]);
        let none = rec(&mut s, "", "张丽", "", &[]);
        let f = Field::CitizenId.index();
        assert_eq!(compare(&a, &a, &s)[f], 1);
        assert_eq!(compare(&a, &damaged, &s)[f], 2);
        assert_eq!(compare(&a, &other, &s)[f], 3);
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
