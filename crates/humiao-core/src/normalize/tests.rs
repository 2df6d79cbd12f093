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
