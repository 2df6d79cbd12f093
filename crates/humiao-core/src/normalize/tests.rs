//! Tests of the shared helpers, and of one record going through every normaliser.

use proptest::prelude::*;

use super::*;

#[test]
fn full_width_forms_and_the_ideographic_space_become_half_width() {
    assert_eq!(half_width('Ａ'), 'A');
    assert_eq!(half_width('ｚ'), 'z');
    assert_eq!(half_width('０'), '0');
    assert_eq!(half_width('～'), '~');
    assert_eq!(half_width('\u{3000}'), ' ');
    assert_eq!(half_width('张'), '张');
    assert_eq!(half_width('·'), '·');
}

#[test]
fn rewriting_in_place_maps_and_drops() {
    let out = rewrite_in_place("Ａ张 Ｂ伟".to_string(), |c| {
        let c = half_width(c);
        (c != ' ').then_some(c)
    });
    assert_eq!(out, "A张B伟");
    assert_eq!(rewrite_in_place(String::new(), Some), "");
    assert_eq!(rewrite_in_place("abc".to_string(), |_| None), "");
}

#[test]
fn rewriting_in_place_survives_a_longer_replacement() {
    // 'a' (one byte) to '张' (three bytes) cannot be written in place: the rest is rebuilt.
    let out = rewrite_in_place("xaxa".to_string(), |c| {
        Some(if c == 'a' { '张' } else { c })
    });
    assert_eq!(out, "x张x张");
}

#[test]
fn one_traditional_full_width_record_normalises_field_by_field() {
    let name = normalize_name("張　偉").unwrap();
    assert_eq!(
        (name.text.as_str(), name.pinyin.as_str()),
        ("张伟", "zhangwei")
    );
    let birth = parse_date("２０１２年３月５日").unwrap();
    assert_eq!(
        birth.date,
        chrono::NaiveDate::from_ymd_opt(2012, 3, 5).unwrap()
    );
    let address = parse_address("護苗縣城關鎮東門村解放路１２號");
    assert_eq!(address.town.as_deref(), Some("城关镇"));
    assert_eq!(address.number.as_deref(), Some("12号"));
    let id = crate::CitizenId::from_parts("330199", birth.date, 13).unwrap();
    let wide: String = id
        .as_str()
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    assert_eq!(read_citizen_id(&wide), IdReading::Valid(id));
}

proptest! {
    #[test]
    fn rewriting_in_place_equals_collecting(s in "\\PC{0,24}") {
        let f = |c: char| {
            let c = half_width(c);
            (!c.is_whitespace()).then_some(c.to_ascii_lowercase())
        };
        let expected: String = s.chars().filter_map(f).collect();
        prop_assert_eq!(rewrite_in_place(s.clone(), f), expected);
    }

    #[test]
    fn rewriting_with_growing_replacements_equals_collecting(s in "[a-z张伟 ]{0,24}") {
        let f = |c: char| match c {
            ' ' => None,
            'a'..='m' => Some('张'),
            c => Some(c),
        };
        let expected: String = s.chars().filter_map(f).collect();
        prop_assert_eq!(rewrite_in_place(s.clone(), f), expected);
    }
}

#[test]
fn newborn_placeholders_name_the_parent_and_the_sex() {
    let n = newborn_placeholder("冯晓雪之子").unwrap();
    assert_eq!(n.parent.text, "冯晓雪");
    assert_eq!(n.sex, Some(crate::Sex::Male));
    let n = newborn_placeholder(" 馮曉雪 之女 ").unwrap();
    assert_eq!(n.parent.text, "冯晓雪");
    assert_eq!(n.sex, Some(crate::Sex::Female));
    assert_eq!(newborn_placeholder("李敏之婴").unwrap().sex, None);
    // Real names, and too short to hold a parent's name.
    for name in ["王子", "李之女", "之子", "张子涵", "Wang Zhizi", ""] {
        assert!(newborn_placeholder(name).is_none(), "{name}");
    }
}

#[test]
fn an_id_a_generation_older_than_the_record_is_someone_elses() {
    let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let mother = crate::CitizenId::from_parts("330199", date(1988, 8, 11), 6).unwrap();
    assert!(id_belongs_to_someone_else(&mother, date(2021, 5, 20)));
    // Typos in the written date, or a near date, are not another person.
    assert!(!id_belongs_to_someone_else(&mother, date(1988, 8, 11)));
    assert!(!id_belongs_to_someone_else(&mother, date(1989, 8, 11)));
    assert!(!id_belongs_to_someone_else(&mother, date(1998, 8, 11)));
    let older = crate::CitizenId::from_parts("330199", date(1958, 1, 9), 3).unwrap();
    assert!(!id_belongs_to_someone_else(&older, date(1985, 1, 9)));
    assert!(id_belongs_to_someone_else(&older, date(1985, 2, 9)));
}

#[test]
fn dwellings_are_one_spelling_down_to_the_room() {
    let a = parse_address("浙江省护苗县城关镇东门村解放路12号3幢2单元301室").dwelling();
    let b = parse_address("护苗县城关镇东门村解放路１２号３幢２单元３０１室").dwelling();
    assert!(a.is_some());
    assert_eq!(a, b);
    assert_ne!(
        a,
        parse_address("护苗县城关镇东门村解放路12号3幢2单元302室").dwelling()
    );
    // Not a house: a village only, or a number with no village or road.
    assert_eq!(parse_address("护苗县城关镇东门村").dwelling(), None);
    assert_eq!(parse_address("12号").dwelling(), None);
}
