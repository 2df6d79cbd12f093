//! Names: traditional→simplified folding, separators removed, toneless pinyin for homophones and
//! pinyin-only records.

use pinyin::ToPinyin;

use super::half_width;

/// A person's name prepared for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalName {
    /// Simplified Chinese without whitespace or separators; for a Latin (pinyin-only) name,
    /// lowercase ASCII letters only, e.g. "zhangwei".
    pub text: String,
    /// Toneless lowercase pinyin of the whole name, e.g. 张伟 → "zhangwei".
    pub pinyin: String,
    /// The surname: the first character, or two for a compound surname; for a pinyin-only name
    /// the first written syllable group.
    pub surname: String,
    pub surname_pinyin: String,
    pub pinyin_only: bool,
    /// At least one traditional character was folded.
    pub folded: bool,
}

const COMPOUND_SURNAMES: [&str; 24] = [
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文",
    "司徒", "夏侯", "轩辕", "西门", "南宫", "独孤", "端木", "申屠", "太史", "澹台", "百里", "呼延",
];

/// Surnames whose reading differs from the character's most common one.
fn surname_reading(surname: &str) -> Option<&'static str> {
    Some(match surname {
        "单" => "shan",
        "曾" => "zeng",
        "解" => "xie",
        "仇" => "qiu",
        "朴" => "piao",
        "查" => "zha",
        "区" => "ou",
        "盖" => "ge",
        "乐" => "yue",
        "尉迟" => "yuchi",
        "长孙" => "zhangsun",
        "种" => "chong",
        "缪" => "miao",
        "翟" => "zhai",
        "覃" => "qin",
        _ => return None,
    })
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '·' | '•' | '・' | '.' | '-' | '_' | '‧' | '∙' | '、' | ','
        )
}

/// Traditional characters folded to simplified.
pub fn to_simplified(s: &str) -> String {
    fast2s::convert(s)
}

/// Toneless lowercase pinyin without separators; characters without pinyin are kept (ASCII
/// lowercased). A leading surname with a special reading uses it.
pub fn pinyin_of(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    let surname = surname_of(s);
    let rest = match surname_reading(surname) {
        Some(reading) => {
            out.push_str(reading);
            &s[surname.len()..]
        }
        None => s,
    };
    for (c, p) in rest.chars().zip(rest.to_pinyin()) {
        match p {
            Some(p) => out.push_str(p.plain()),
            None => out.extend(c.to_lowercase()),
        }
    }
    out
}

fn surname_of(s: &str) -> &str {
    if let Some(compound) = COMPOUND_SURNAMES.iter().find(|c| s.starts_with(**c)) {
        return &s[..compound.len()];
    }
    match s.char_indices().nth(1) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Normalises a raw name; None when nothing usable remains.
pub fn normalize_name(raw: &str) -> Option<NormalName> {
    let cleaned: String = raw.chars().map(half_width).collect();
    let latin = cleaned
        .chars()
        .all(|c| c.is_ascii_alphabetic() || is_separator(c));
    if latin {
        let text: String = cleaned
            .chars()
            .filter(char::is_ascii_alphabetic)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if text.is_empty() {
            return None;
        }
        let surname: String = cleaned
            .split(is_separator)
            .find(|p| !p.is_empty())
            .unwrap_or("")
            .to_ascii_lowercase();
        return Some(NormalName {
            pinyin: text.clone(),
            surname_pinyin: surname.clone(),
            surname,
            text,
            pinyin_only: true,
            folded: false,
        });
    }
    let compact: String = cleaned.chars().filter(|c| !is_separator(*c)).collect();
    if compact.is_empty() {
        return None;
    }
    let text = to_simplified(&compact);
    // A name must contain at least one letter of some script (not only digits or symbols).
    if !text.chars().any(char::is_alphabetic) {
        return None;
    }
    let folded = text != compact;
    let surname = surname_of(&text).to_string();
    Some(NormalName {
        pinyin: pinyin_of(&text),
        surname_pinyin: pinyin_of(&surname),
        surname,
        text,
        pinyin_only: false,
        folded,
    })
}

/// Jaro–Winkler similarity over characters, in [0, 1].
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_matched = vec![false; a.len()];
    let mut b_matched = vec![false; b.len()];
    let mut matches = 0usize;
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_matched[j] && b[j] == *ca {
                a_matched[i] = true;
                b_matched[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut j = 0;
    for (i, ca) in a.iter().enumerate() {
        if !a_matched[i] {
            continue;
        }
        while !b_matched[j] {
            j += 1;
        }
        if *ca != b[j] {
            transpositions += 1;
        }
        j += 1;
    }
    let m = matches as f64;
    let jaro =
        (m / a.len() as f64 + m / b.len() as f64 + (m - transpositions as f64 / 2.0) / m) / 3.0;
    let prefix = a.iter().zip(&b).take(4).take_while(|(x, y)| x == y).count() as f64;
    jaro + prefix * 0.1 * (1.0 - jaro)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_traditional_and_separators() {
        let n = normalize_name(" 張 偉 ").unwrap();
        assert_eq!(n.text, "张伟");
        assert_eq!(n.pinyin, "zhangwei");
        assert_eq!(n.surname, "张");
        assert_eq!(n.surname_pinyin, "zhang");
        assert!(n.folded);
        assert!(!n.pinyin_only);
        for (t, s) in [
            ("劉麗華", "刘丽华"),
            ("陳靜", "陈静"),
            ("鄭明軒", "郑明轩"),
            ("蕭", "萧"),
        ] {
            assert_eq!(to_simplified(t), s);
        }
        assert_eq!(
            normalize_name("阿依古丽·买买提").unwrap().text,
            "阿依古丽买买提"
        );
    }

    #[test]
    fn pinyin_only_names() {
        for raw in ["Zhang Wei", "ZHANG WEI", "zhang-wei", "Ｚｈａｎｇ Ｗｅｉ"] {
            let n = normalize_name(raw).unwrap();
            assert_eq!(n.text, "zhangwei", "{raw}");
            assert_eq!(n.pinyin, "zhangwei");
            assert_eq!(n.surname_pinyin, "zhang");
            assert!(n.pinyin_only);
        }
        assert_eq!(
            normalize_name("张伟").unwrap().pinyin,
            normalize_name("Zhang Wei").unwrap().pinyin
        );
    }

    #[test]
    fn homophones_share_pinyin_and_surname_readings() {
        assert_eq!(pinyin_of("张丽"), pinyin_of("张莉"));
        assert_eq!(pinyin_of("王静"), pinyin_of("王婧"));
        assert_eq!(pinyin_of("单雄"), "shanxiong");
        assert_eq!(pinyin_of("曾国"), "zengguo");
        assert_eq!(normalize_name("欧阳娜娜").unwrap().surname, "欧阳");
    }

    #[test]
    fn unusable_names() {
        assert_eq!(normalize_name(""), None);
        assert_eq!(normalize_name(" · "), None);
        assert_eq!(normalize_name("####"), None);
        assert_eq!(normalize_name("123"), None);
    }

    #[test]
    fn jaro_winkler_known_values() {
        assert!((jaro_winkler("martha", "marhta") - 0.9611).abs() < 1e-3);
        assert_eq!(jaro_winkler("abc", "abc"), 1.0);
        assert_eq!(jaro_winkler("abc", ""), 0.0);
        assert!(jaro_winkler("wangwei", "wangwen") > 0.9);
        assert!(jaro_winkler("zhangli", "liuhua") < 0.7);
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(raw in "[张張王李劉刘丽麗伟偉 ·a-zA-Z]{0,8}") {
            if let Some(n) = normalize_name(&raw) {
                let again = normalize_name(&n.text).unwrap();
                prop_assert_eq!(&again.text, &n.text);
                prop_assert_eq!(&again.pinyin, &n.pinyin);
            }
        }

        #[test]
        fn simplified_is_idempotent(raw in "\\PC{0,12}") {
            let once = to_simplified(&raw);
            prop_assert_eq!(to_simplified(&once), once);
        }

        #[test]
        fn jaro_winkler_is_symmetric_and_bounded(a in "[a-z]{0,10}", b in "[a-z]{0,10}") {
            let x = jaro_winkler(&a, &b);
            prop_assert!((0.0..=1.0).contains(&x));
            prop_assert!((x - jaro_winkler(&b, &a)).abs() < 1e-12);
        }
    }
}
