//! How departments damage data: each function takes a clean value and returns what a clerk, a
//! form or an old system would have written. Which damage happens how often, per department,
//! is decided in [`crate::departments`]; this module only knows how.
//!
//! The character tables are hand-made for the generator and deliberately not shared with any
//! linker's normaliser.

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;

use crate::names;

/// Simplified → traditional forms of name and address characters (standard forms, as OpenCC
/// would produce; surnames such as 范, 于, 余 keep their form in traditional writing too).
#[rustfmt::skip]
const TRADITIONAL: &[(char, char)] = &[
    ('张', '張'), ('刘', '劉'), ('陈', '陳'), ('杨', '楊'), ('黄', '黃'), ('赵', '趙'), ('吴', '吳'),
    ('孙', '孫'), ('马', '馬'), ('郑', '鄭'), ('冯', '馮'), ('邓', '鄧'), ('许', '許'), ('韩', '韓'),
    ('罗', '羅'), ('叶', '葉'), ('谢', '謝'), ('苏', '蘇'), ('卢', '盧'), ('钟', '鍾'), ('陆', '陸'),
    ('龙', '龍'), ('贺', '賀'), ('顾', '顧'), ('龚', '龔'), ('邹', '鄒'), ('蒋', '蔣'), ('吕', '呂'),
    ('钱', '錢'), ('贾', '賈'), ('韦', '韋'), ('闫', '閆'), ('万', '萬'), ('严', '嚴'), ('欧', '歐'),
    ('阳', '陽'), ('谭', '譚'), ('诸', '諸'), ('伟', '偉'), ('华', '華'), ('丽', '麗'),
    ('军', '軍'), ('红', '紅'), ('国', '國'), ('东', '東'), ('轩', '軒'), ('杰', '傑'), ('鸣', '鳴'),
    ('诺', '諾'), ('诗', '詩'), ('语', '語'), ('铭', '銘'), ('泽', '澤'), ('锦', '錦'), ('乐', '樂'),
    ('静', '靜'), ('凯', '凱'), ('诚', '誠'), ('涛', '濤'), ('梦', '夢'), ('书', '書'), ('艺', '藝'),
    ('晓', '曉'), ('颖', '穎'), ('强', '強'), ('刚', '剛'), ('鹏', '鵬'), ('飞', '飛'), ('辉', '輝'),
    ('兰', '蘭'), ('凤', '鳳'), ('云', '雲'), ('庆', '慶'), ('宝', '寶'), ('贵', '貴'), ('财', '財'),
    ('发', '發'), ('荣', '榮'), ('兴', '興'), ('长', '長'), ('艳', '艷'), ('洁', '潔'), ('瑶', '瑤'),
    ('莹', '瑩'), ('远', '遠'), ('帅', '帥'), ('卫', '衛'), ('学', '學'), ('树', '樹'), ('满', '滿'),
    ('来', '來'), ('胜', '勝'), ('银', '銀'), ('爱', '愛'), ('莲', '蓮'), ('丰', '豐'),
    ('门', '門'), ('桥', '橋'), ('镇', '鎮'), ('县', '縣'), ('区', '區'), ('号', '號'), ('单', '單'),
    ('乡', '鄉'), ('组', '組'), ('园', '園'), ('湾', '灣'), ('坞', '塢'), ('岭', '嶺'), ('滨', '濱'),
    ('护', '護'), ('关', '關'), ('岗', '崗'), ('边', '邊'), ('进', '進'), ('联', '聯'),
    ('绿', '綠'), ('环', '環'), ('风', '風'),
    ('顺', '順'), ('涧', '澗'), ('业', '業'), ('坝', '壩'), ('场', '場'), ('体', '體'), ('侨', '僑'),
];

/// Characters clerks confuse by sound (same toneless pinyin).
#[rustfmt::skip]
const HOMOPHONES: &[(char, char)] = &[
    ('丽', '莉'), ('静', '婧'), ('伟', '玮'), ('明', '铭'), ('华', '桦'), ('军', '君'), ('芳', '方'),
    ('娜', '那'), ('敏', '珉'), ('杰', '洁'), ('婷', '亭'), ('燕', '艳'), ('磊', '蕾'), ('涛', '滔'),
    ('霞', '侠'), ('平', '萍'), ('刚', '钢'), ('辉', '晖'), ('欣', '鑫'), ('浩', '昊'), ('宇', '雨'),
    ('涵', '晗'), ('怡', '宜'), ('佳', '嘉'), ('轩', '萱'), ('勇', '永'), ('红', '虹'), ('梅', '玫'),
    ('英', '瑛'), ('兰', '岚'), ('峰', '锋'), ('斌', '彬'), ('鹏', '朋'), ('超', '潮'), ('飞', '菲'),
    ('建', '健'), ('志', '智'), ('晨', '辰'), ('睿', '瑞'), ('琪', '琦'), ('瑶', '遥'), ('凤', '风'),
    ('珍', '真'), ('桂', '贵'), ('玉', '钰'), ('成', '诚'), ('文', '雯'), ('林', '琳'), ('颖', '莹'),
    ('慧', '惠'), ('倩', '茜'), ('龙', '隆'), ('秀', '绣'), ('东', '冬'), 
];
/// Surname homophones (rarer: people correct a wrong surname sooner).
const SURNAME_HOMOPHONES: &[(&str, &str)] = &[
    ("张", "章"),
    ("徐", "许"),
    ("杨", "阳"),
    ("吴", "伍"),
    ("王", "汪"),
    ("刘", "柳"),
    ("程", "成"),
];

fn map_chars(text: &str, table: &[(char, char)]) -> String {
    text.chars()
        .map(|c| {
            table
                .iter()
                .find(|(from, _)| *from == c)
                .map_or(c, |(_, to)| *to)
        })
        .collect()
}

/// The text in traditional characters, as far as the table knows them.
pub fn traditional(text: &str) -> String {
    map_chars(text, TRADITIONAL)
}

/// One given-name character replaced by a homophone (or, rarely, the surname); unchanged when
/// no character has a homophone in the table.
pub fn homophone<R: Rng>(surname: &str, given: &str, rng: &mut R) -> String {
    if rng.gen_bool(0.1) {
        if let Some((_, other)) = SURNAME_HOMOPHONES.iter().find(|(s, _)| *s == surname) {
            return format!("{other}{given}");
        }
    }
    let chars: Vec<char> = given.chars().collect();
    let swappable: Vec<usize> = (0..chars.len())
        .filter(|&i| swap_homophone(chars[i]).is_some())
        .collect();
    if swappable.is_empty() {
        return format!("{surname}{given}");
    }
    let i = swappable[rng.gen_range(0..swappable.len())];
    let mut out = chars;
    out[i] = swap_homophone(out[i]).expect("filtered above");
    format!("{surname}{}", out.into_iter().collect::<String>())
}

fn swap_homophone(c: char) -> Option<char> {
    HOMOPHONES.iter().find_map(|&(a, b)| {
        if a == c {
            Some(b)
        } else if b == c {
            Some(a)
        } else {
            None
        }
    })
}

fn capitalised(syllable: &str) -> String {
    let mut chars = syllable.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The name in pinyin only, in one of the ways forms and old systems write it: "Zhang Wei",
/// "ZHANG WEI", "zhang zixuan", "Zhang Zi Xuan", or given name first ("Zixuan Zhang").
pub fn pinyin_written<R: Rng>(surname: &str, given: &str, rng: &mut R) -> String {
    let family = names::surname_pinyin(surname).concat();
    let given_syllables = names::syllables(given);
    let given_joined = given_syllables.concat();
    match rng.gen_range(0..10) {
        0..=3 => format!("{} {}", capitalised(&family), capitalised(&given_joined)),
        4..=6 => format!("{} {}", family.to_uppercase(), given_joined.to_uppercase()),
        7 => format!("{family} {given_joined}"),
        8 => {
            let spaced: Vec<String> = given_syllables.iter().map(|s| capitalised(s)).collect();
            format!("{} {}", capitalised(&family), spaced.join(" "))
        }
        _ => format!("{} {}", capitalised(&given_joined), capitalised(&family)),
    }
}

/// Extra spaces or a middle dot: "张 伟", "张　伟" (full-width, to pad a two-character name to
/// three), "张·伟", or a trailing space.
pub fn spaced<R: Rng>(name: &str, rng: &mut R) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() < 2 {
        return format!("{name} ");
    }
    let at = if chars.len() == 2 {
        1
    } else {
        rng.gen_range(1..chars.len())
    };
    let (head, tail): (String, String) =
        (chars[..at].iter().collect(), chars[at..].iter().collect());
    match rng.gen_range(0..10) {
        0..=3 => format!("{head} {tail}"),
        4..=5 => format!("{head}\u{3000}{tail}"),
        6..=7 => format!("{head}·{tail}"),
        8 => format!("{name} "),
        _ => format!(" {name}"),
    }
}

/// A character dropped from the given name (a three-character name loses its last or middle
/// character); two-character names are returned unchanged.
pub fn dropped<R: Rng>(surname: &str, given: &str, rng: &mut R) -> String {
    let chars: Vec<char> = given.chars().collect();
    if chars.len() < 2 {
        return format!("{surname}{given}");
    }
    let drop = if rng.gen_bool(0.7) {
        chars.len() - 1
    } else {
        0
    };
    let kept: String = chars
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != drop)
        .map(|(_, c)| *c)
        .collect();
    format!("{surname}{kept}")
}

/// One of the first 17 digits mistyped (never to the same digit).
pub fn mistyped_digit<R: Rng>(id: &str, rng: &mut R) -> String {
    let mut bytes = id.as_bytes().to_vec();
    let i = rng.gen_range(0..bytes.len().min(17));
    let old = bytes[i];
    let mut new = b'0' + rng.gen_range(0..9u8);
    if new >= old {
        new += 1;
    }
    bytes[i] = new;
    String::from_utf8(bytes).expect("ASCII in, ASCII out")
}

/// Two adjacent, different characters swapped.
pub fn transposed<R: Rng>(id: &str, rng: &mut R) -> String {
    let mut bytes = id.as_bytes().to_vec();
    for _ in 0..16 {
        let i = rng.gen_range(0..bytes.len() - 1);
        if bytes[i] != bytes[i + 1] {
            bytes.swap(i, i + 1);
            break;
        }
    }
    String::from_utf8(bytes).expect("ASCII in, ASCII out")
}

/// Spaces inside an ID, as copied from a printed form: "330199 20120305 0417" or grouped by
/// fours.
pub fn spaced_id<R: Rng>(id: &str, rng: &mut R) -> String {
    if id.len() == 18 && rng.gen_bool(0.6) {
        format!("{} {} {}", &id[..6], &id[6..14], &id[14..])
    } else {
        let chars: Vec<char> = id.chars().collect();
        chars
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// How a date is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    /// 2012-03-05
    Iso,
    /// 2012/3/5
    Slash,
    /// 20120305
    Compact,
    /// 2012年3月5日
    Chinese,
    /// 05/03/2012, day first
    DayFirst,
    /// 2012.03.05
    Dotted,
}

impl DateFormat {
    pub const ALL: [DateFormat; 6] = [
        DateFormat::Iso,
        DateFormat::Slash,
        DateFormat::Compact,
        DateFormat::Chinese,
        DateFormat::DayFirst,
        DateFormat::Dotted,
    ];

    pub fn write(self, date: NaiveDate) -> String {
        let (y, m, d) = (date.year(), date.month(), date.day());
        match self {
            DateFormat::Iso => format!("{y:04}-{m:02}-{d:02}"),
            DateFormat::Slash => format!("{y:04}/{m}/{d}"),
            DateFormat::Compact => format!("{y:04}{m:02}{d:02}"),
            DateFormat::Chinese => format!("{y:04}年{m}月{d}日"),
            DateFormat::DayFirst => format!("{d:02}/{m:02}/{y:04}"),
            DateFormat::Dotted => format!("{y:04}.{m:02}.{d:02}"),
        }
    }
}

/// Day and month swapped, when both are at most 12 and differ; otherwise unchanged.
pub fn day_month_swapped(date: NaiveDate) -> NaiveDate {
    if date.day() <= 12 && date.day() != date.month() {
        NaiveDate::from_ymd_opt(date.year(), date.day(), date.month()).unwrap_or(date)
    } else {
        date
    }
}

/// A day earlier or later (a birth just after midnight, a clerk counting wrong).
pub fn off_by_one_day<R: Rng>(date: NaiveDate, rng: &mut R) -> NaiveDate {
    if rng.gen_bool(0.5) {
        date + Duration::days(1)
    } else {
        date - Duration::days(1)
    }
}

/// The year a year off (the lunar-calendar year, or a slip).
pub fn off_by_one_year<R: Rng>(date: NaiveDate, rng: &mut R) -> NaiveDate {
    let year = if rng.gen_bool(0.5) {
        date.year() + 1
    } else {
        date.year() - 1
    };
    NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, date.month(), 28))
        .unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(11)
    }

    #[test]
    fn traditional_changes_only_known_characters() {
        assert_eq!(traditional("张丽华"), "張麗華");
        assert_eq!(traditional("范明"), "范明");
        assert_eq!(traditional("城关镇东门村"), "城關鎮東門村");
    }

    #[test]
    fn homophone_changes_one_character_of_the_given_name() {
        let mut rng = rng();
        for _ in 0..50 {
            let h = homophone("李", "丽", &mut rng);
            assert!(h == "李莉", "{h}");
        }
        assert_eq!(homophone("李", "一", &mut rng), "李一");
    }

    #[test]
    fn pinyin_names_are_ascii() {
        let mut rng = rng();
        for _ in 0..30 {
            let p = pinyin_written("张", "子轩", &mut rng);
            assert!(p.is_ascii() && p.to_lowercase().contains("zhang"), "{p}");
        }
    }

    #[test]
    fn id_damage_keeps_length_and_changes_the_id() {
        let mut rng = rng();
        let id = "33019920120305041X";
        for _ in 0..100 {
            let m = mistyped_digit(id, &mut rng);
            assert_eq!(m.len(), 18);
            assert_ne!(m, id);
            let t = transposed(id, &mut rng);
            assert_eq!(t.len(), 18);
            assert_ne!(t, id);
        }
        assert_eq!(spaced_id(id, &mut rng).replace(' ', ""), id);
    }

    #[test]
    fn dates_in_every_format() {
        let d = NaiveDate::from_ymd_opt(2012, 3, 5).expect("valid date");
        let written: Vec<String> = DateFormat::ALL.iter().map(|f| f.write(d)).collect();
        assert_eq!(
            written,
            [
                "2012-03-05",
                "2012/3/5",
                "20120305",
                "2012年3月5日",
                "05/03/2012",
                "2012.03.05"
            ]
        );
        assert_eq!(
            day_month_swapped(d),
            NaiveDate::from_ymd_opt(2012, 5, 3).expect("valid")
        );
        let late = NaiveDate::from_ymd_opt(2012, 3, 25).expect("valid date");
        assert_eq!(day_month_swapped(late), late);
    }
}
