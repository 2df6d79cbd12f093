//! Names (姓名): traditional characters folded to simplified, separators and bracketed notes
//! removed, toneless pinyin for homophones and pinyin-only records, the surname for blocking.
//!
//! Must not reorder a name ("Wei Zhang" stays "weizhang") or guess a surname inside a pinyin
//! string written without separators: both would silently invent information.

use pinyin::ToPinyin;

use super::{half_width, rewrite_in_place};

/// A person's name prepared for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalName {
    /// Simplified Chinese, no whitespace or separators (·•・.- and full-width space removed);
    /// for a pinyin-only/Latin name: lowercase ASCII letters only, e.g. "zhangwei".
    pub text: String,
    /// Toneless lowercase pinyin of the whole name without separators, e.g. 张伟 → "zhangwei";
    /// for a pinyin-only input the same as `text`. Characters with no pinyin are kept as they are.
    pub pinyin: String,
    /// Surname (姓): for Chinese text the first character, or the first two when the name starts
    /// with a known compound surname (欧阳, 司马 …); for pinyin-only input the first syllable group
    /// as written (e.g. "Zhang Wei" → "zhang").
    pub surname: String,
    /// Pinyin of the surname (for blocking on surname across homophones / pinyin-only names).
    pub surname_pinyin: String,
    /// True when the input was written only in Latin letters (pinyin-only record).
    pub pinyin_only: bool,
    /// True when at least one traditional character was folded to simplified.
    pub folded: bool,
}

/// Compound surnames (复姓), simplified. A name starting with one of these has a two-character
/// surname. 钟离 is left out: 钟 is a common surname and 离 a possible first given character.
const COMPOUND_SURNAMES: [&str; 38] = [
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文",
    "司徒", "夏侯", "轩辕", "西门", "南宫", "独孤", "端木", "申屠", "太史", "澹台", "百里", "呼延",
    "万俟", "单于", "闻人", "东郭", "公冶", "濮阳", "淳于", "宗政", "司空", "拓跋", "赫连", "鲜于",
    "闾丘", "第五",
];

/// Surnames whose reading differs from the character's default (first) reading in the `pinyin`
/// crate, e.g. 单 as a surname is shàn, not dān. Compound surnames come first, so that 单于 is
/// read chányú rather than shàn + yú. Traditional forms are listed too, so that [`pinyin_of`]
/// gives the same answer before and after folding.
const SURNAME_READINGS: [(&str, &str); 33] = [
    ("尉迟", "yuchi"),
    ("尉遲", "yuchi"),
    ("长孙", "zhangsun"),
    ("長孫", "zhangsun"),
    ("万俟", "moqi"),
    ("萬俟", "moqi"),
    ("单于", "chanyu"),
    ("單于", "chanyu"),
    ("澹台", "tantai"),
    ("澹臺", "tantai"),
    ("单", "shan"),
    ("單", "shan"),
    ("曾", "zeng"),
    ("解", "xie"),
    ("仇", "qiu"),
    ("朴", "piao"),
    ("樸", "piao"),
    ("查", "zha"),
    ("区", "ou"),
    ("區", "ou"),
    ("盖", "ge"),
    ("蓋", "ge"),
    ("乐", "yue"),
    ("樂", "yue"),
    ("种", "chong"),
    ("種", "chong"),
    ("缪", "miao"),
    ("繆", "miao"),
    ("翟", "zhai"),
    ("覃", "qin"),
    ("召", "shao"),
    ("繁", "po"),
    ("隗", "wei"),
];

/// Written in a name field for "no name": such a value is not a name and must not link records.
const PLACEHOLDERS: [&str; 19] = [
    "不详",
    "未知",
    "无",
    "无名",
    "无名氏",
    "不明",
    "暂无",
    "空",
    "未填",
    "待定",
    "待查",
    "某",
    "某某",
    "匿名",
    "unknown",
    "null",
    "none",
    "nil",
    "na",
];

/// Characters that separate parts of a name: whitespace, middle dots (·•・‧∙), full stops,
/// hyphens, underscores, apostrophes, commas.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '·' | '•'
                | '・'
                | '‧'
                | '∙'
                | '.'
                | '-'
                | '‐'
                | '‑'
                | '–'
                | '—'
                | '_'
                | '\''
                | '’'
                | '、'
                | ','
                | '，'
                | '。'
        )
}

fn is_open_bracket(c: char) -> bool {
    matches!(c, '(' | '[' | '{' | '（' | '【' | '〔' | '［' | '｛')
}

fn is_close_bracket(c: char) -> bool {
    matches!(c, ')' | ']' | '}' | '）' | '】' | '〕' | '］' | '｝')
}

/// A Latin letter of a pinyin name as a lowercase ASCII letter: tone marks dropped, ü written v
/// (as pinyin keyboards and the `pinyin` crate's conversion below do).
fn latin_letter(c: char) -> Option<char> {
    Some(match c {
        'a'..='z' => c,
        'A'..='Z' => c.to_ascii_lowercase(),
        'ā' | 'á' | 'ǎ' | 'à' | 'Ā' | 'Á' | 'Ǎ' | 'À' => 'a',
        'ē' | 'é' | 'ě' | 'è' | 'ê' | 'Ē' | 'É' | 'Ě' | 'È' | 'Ê' => 'e',
        'ī' | 'í' | 'ǐ' | 'ì' | 'Ī' | 'Í' | 'Ǐ' | 'Ì' => 'i',
        'ō' | 'ó' | 'ǒ' | 'ò' | 'Ō' | 'Ó' | 'Ǒ' | 'Ò' => 'o',
        'ū' | 'ú' | 'ǔ' | 'ù' | 'Ū' | 'Ú' | 'Ǔ' | 'Ù' => 'u',
        'ü' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' | 'Ü' | 'Ǖ' | 'Ǘ' | 'Ǚ' | 'Ǜ' => 'v',
        _ => return None,
    })
}

/// Traditional characters folded to simplified (繁→简), everything else unchanged.
///
/// Conversion is `fast2s`'s character table with its few context rules. One correction: 乾 is
/// kept. It is a simplified character in its own right (qián, as in names and in 乾县); only 乾
/// meaning "dry" (gān) simplifies to 干, and that sense does not occur in names or place names.
pub fn to_simplified(s: &str) -> String {
    let mut out = fast2s::convert(s);
    if s.contains('乾') {
        restore_qian(s, &mut out);
    }
    out
}

/// Puts 乾 back where `original` has it. `fast2s` maps three-byte characters to three-byte
/// characters only, so byte offsets of the two strings line up; if they ever do not, the
/// conversion is left as it is.
fn restore_qian(original: &str, converted: &mut String) {
    if original.len() != converted.len() {
        return;
    }
    for (i, c) in original.char_indices() {
        if c == '乾' && converted.get(i..i + 3).is_some() {
            converted.replace_range(i..i + 3, "乾");
        }
    }
}

/// The surname at the start of a (simplified) name: a compound surname, else the first character.
fn surname_of(s: &str) -> &str {
    if let Some(compound) = COMPOUND_SURNAMES.iter().find(|c| s.starts_with(**c)) {
        return &s[..compound.len()];
    }
    match s.char_indices().nth(1) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Toneless lowercase pinyin without separators; non-Han characters kept (ASCII lowercased,
/// Latin letters with tone marks reduced to their base letter, ü written v).
/// For heteronyms the `pinyin` crate's default (first) reading is used, except that a surname with
/// a special reading at the start takes it: 单→shan, 曾→zeng, 解→xie, 仇→qiu, 朴→piao, 查→zha,
/// 区→ou, 盖→ge, 乐→yue, 尉迟→yuchi, 长孙→zhangsun (and a few more, see `SURNAME_READINGS`).
pub fn pinyin_of(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    let s = s.trim_start_matches(is_separator);
    let rest = match special_reading(s) {
        Some((surname, reading)) => {
            out.push_str(reading);
            &s[surname.len()..]
        }
        None => s,
    };
    push_pinyin(&mut out, rest);
    out
}

/// The special reading of the surname at the start of `s`, with that surname.
fn special_reading(s: &str) -> Option<(&'static str, &'static str)> {
    // Most names start with none of these characters: one `match` instead of a table scan.
    let first = s.chars().next()?;
    if !matches!(
        first,
        '尉' | '长'
            | '長'
            | '万'
            | '萬'
            | '单'
            | '單'
            | '澹'
            | '曾'
            | '解'
            | '仇'
            | '朴'
            | '樸'
            | '查'
            | '区'
            | '區'
            | '盖'
            | '蓋'
            | '乐'
            | '樂'
            | '种'
            | '種'
            | '缪'
            | '繆'
            | '翟'
            | '覃'
            | '召'
            | '繁'
            | '隗'
    ) {
        return None;
    }
    SURNAME_READINGS
        .iter()
        .find(|(surname, _)| s.starts_with(surname))
        .copied()
}

/// Appends the default-reading pinyin of `s` to `out` (see [`pinyin_of`]).
fn push_pinyin(out: &mut String, s: &str) {
    let mut latin = false;
    for (c, p) in s.chars().zip(s.to_pinyin()) {
        match p {
            Some(p) => {
                let plain = p.plain();
                if plain.is_ascii() {
                    out.push_str(plain);
                } else {
                    // lü, nü, lüe, nüe
                    out.extend(plain.chars().map(|l| if l == 'ü' { 'v' } else { l }));
                }
            }
            None => {
                let c = half_width(c);
                if is_separator(c) {
                    continue;
                }
                let letter = latin_letter(c);
                latin |= letter.is_some();
                out.push(letter.unwrap_or(c));
            }
        }
    }
    // The passport spelling of ü (see `latin_name`); Han pinyin never contains "lyu".
    if latin && out.contains("lyu") {
        *out = out.replace("lyu", "lv");
    }
}

/// Normalises a raw name; None when nothing usable remains (empty, only separators, digits or
/// symbols, or a placeholder such as 不详 / 无 / unknown).
///
/// - Chinese (or mixed) input: traditional folded to simplified, full-width forms to half-width,
///   separators removed, ASCII letters lowercased, a bracketed note dropped (张伟（小名）→ 张伟).
/// - Latin-only input is a pinyin-only record: lowercase letters only, in written order
///   ("Wei Zhang" → "weizhang"), tone marks dropped, ü and the passport spelling "lyu" written v.
pub fn normalize_name(raw: &str) -> Option<NormalName> {
    let name = normalize_with(raw, true).or_else(|| {
        // Nothing outside brackets: the brackets were around the name itself, "（张伟）".
        raw.chars()
            .any(|c| is_open_bracket(half_width(c)))
            .then(|| normalize_with(raw, false))
            .flatten()
    })?;
    (!PLACEHOLDERS.contains(&name.text.as_str())).then_some(name)
}

/// Which characters of a name are kept: brackets never, their content only when not dropped.
struct Brackets {
    drop_content: bool,
    depth: u32,
}

impl Brackets {
    fn new(drop_content: bool) -> Self {
        Self {
            drop_content,
            depth: 0,
        }
    }

    /// Whether `c` (already half-width) is kept; separators are still to be removed by the caller.
    fn keeps(&mut self, c: char) -> bool {
        if is_open_bracket(c) {
            self.depth += 1;
            return false;
        }
        if is_close_bracket(c) {
            self.depth = self.depth.saturating_sub(1);
            return false;
        }
        !(self.drop_content && self.depth > 0)
    }
}

fn normalize_with(raw: &str, drop_bracketed: bool) -> Option<NormalName> {
    let mut brackets = Brackets::new(drop_bracketed);
    let mut any_letter = false;
    let mut all_latin = true;
    for c in raw.chars().map(half_width) {
        if !brackets.keeps(c) || is_separator(c) {
            continue;
        }
        match latin_letter(c) {
            Some(_) => any_letter = true,
            None => all_latin = false,
        }
    }
    if all_latin && any_letter {
        latin_name(raw, drop_bracketed)
    } else {
        chinese_name(raw, drop_bracketed)
    }
}

/// A pinyin-only name: letters in written order; the surname is the first group of letters, a
/// group ending at a separator or where a capital follows a small letter ("ZhangWei").
fn latin_name(raw: &str, drop_bracketed: bool) -> Option<NormalName> {
    let mut brackets = Brackets::new(drop_bracketed);
    let mut text = String::with_capacity(raw.len());
    let mut surname_end = None;
    let mut previous_lower = false;
    for c in raw.chars().map(half_width) {
        let letter = if brackets.keeps(c) {
            latin_letter(c)
        } else {
            None
        };
        match letter {
            Some(letter) => {
                let upper = c.is_uppercase();
                if surname_end.is_none() && previous_lower && upper {
                    surname_end = Some(text.len());
                }
                previous_lower = !upper;
                text.push(letter);
            }
            None => {
                previous_lower = false;
                if surname_end.is_none() && !text.is_empty() {
                    surname_end = Some(text.len());
                }
            }
        }
    }
    if text.is_empty() || text.bytes().all(|b| b == b'x') {
        return None;
    }
    let mut surname = text[..surname_end.unwrap_or(text.len())].to_string();
    // Passports write ü as "yu" after l (吕 → LYU); no pinyin syllable ends in l, so "lyu" is
    // always that ü.
    if text.contains("lyu") {
        text = text.replace("lyu", "lv");
        surname = surname.replace("lyu", "lv");
    }
    Some(NormalName {
        pinyin: text.clone(),
        surname_pinyin: surname.clone(),
        surname,
        text,
        pinyin_only: true,
        folded: false,
    })
}

/// A Chinese or mixed name.
fn chinese_name(raw: &str, drop_bracketed: bool) -> Option<NormalName> {
    let converted = to_simplified(raw);
    // `fast2s` keeps byte offsets, so each kept character can be compared with the original at
    // the same offset to know whether it was folded.
    let aligned = converted.len() == raw.len();
    let mut folded = !aligned && converted != raw;
    let raw_bytes = raw.as_bytes();
    let mut offset = 0;
    let mut brackets = Brackets::new(drop_bracketed);
    let mut has_letter = false;
    let text = rewrite_in_place(converted, |converted_char| {
        let at = offset;
        offset += converted_char.len_utf8();
        let c = half_width(converted_char);
        if !brackets.keeps(c) || is_separator(c) {
            return None;
        }
        if aligned && !folded {
            let mut buf = [0u8; 4];
            let bytes = converted_char.encode_utf8(&mut buf).as_bytes();
            folded = raw_bytes.get(at..at + bytes.len()) != Some(bytes);
        }
        has_letter |= c.is_alphabetic();
        Some(c.to_ascii_lowercase())
    });
    if !has_letter {
        return None;
    }
    let surname = surname_of(&text);
    // One pass for both: the surname's pinyin, then the given name's.
    let surname_pinyin = pinyin_of(surname);
    let mut pinyin = String::with_capacity(text.len() * 2);
    pinyin.push_str(&surname_pinyin);
    push_pinyin(&mut pinyin, &text[surname.len()..]);
    Some(NormalName {
        pinyin,
        surname_pinyin,
        surname: surname.to_string(),
        text,
        pinyin_only: false,
        folded,
    })
}

/// Longest strings compared on the stack; longer ones fall back to heap buffers.
const STACK_CHARS: usize = 64;

/// Jaro–Winkler similarity in [0,1] over chars (used on pinyin strings and on Chinese names).
/// Winkler's prefix bonus (up to four characters, factor 0.1) applies when the Jaro similarity is
/// above 0.7, as in the original definition and the `strsim` crate. Allocation-free for strings of
/// up to 64 characters.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let (a_len, b_len) = (a.chars().count(), b.chars().count());
    if a_len == 0 || b_len == 0 {
        return 0.0;
    }
    let jaro = if a_len <= STACK_CHARS && b_len <= STACK_CHARS {
        let mut a_buf = ['\0'; STACK_CHARS];
        let mut b_buf = ['\0'; STACK_CHARS];
        let mut matched = [false; 2 * STACK_CHARS];
        fill(&mut a_buf, a);
        fill(&mut b_buf, b);
        let (a_flags, b_flags) = matched.split_at_mut(STACK_CHARS);
        jaro_of(
            &a_buf[..a_len],
            &b_buf[..b_len],
            &mut a_flags[..a_len],
            &mut b_flags[..b_len],
        )
    } else {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        jaro_of(&a, &b, &mut vec![false; a_len], &mut vec![false; b_len])
    };
    if jaro <= 0.7 {
        return jaro;
    }
    let prefix = a
        .chars()
        .zip(b.chars())
        .take(4)
        .take_while(|(x, y)| x == y)
        .count() as f64;
    (jaro + prefix * 0.1 * (1.0 - jaro)).min(1.0)
}

fn fill(buf: &mut [char], s: &str) {
    for (slot, c) in buf.iter_mut().zip(s.chars()) {
        *slot = c;
    }
}

/// The Jaro similarity of two non-empty character slices; `a_matched` and `b_matched` are
/// scratch flags of the same lengths, all false.
fn jaro_of(a: &[char], b: &[char], a_matched: &mut [bool], b_matched: &mut [bool]) -> f64 {
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
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
    let mut half_transpositions = 0usize;
    let mut j = 0;
    for (i, ca) in a.iter().enumerate() {
        if !a_matched[i] {
            continue;
        }
        while !b_matched[j] {
            j += 1;
        }
        if *ca != b[j] {
            half_transpositions += 1;
        }
        j += 1;
    }
    let m = matches as f64;
    let t = (half_transpositions / 2) as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - t) / m) / 3.0
}

/// A newborn written before being named (新生儿临时名): 「母亲姓名之子」, 「王芳之女」, 「王芳之婴」.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewbornName {
    /// The parent named in the placeholder (almost always the mother).
    pub parent: NormalName,
    /// The sex the placeholder states: 之子/之男 male, 之女 female; None for 之婴/之儿.
    pub sex: Option<crate::Sex>,
}

/// Suffixes after 之 that make a newborn placeholder, with the sex each states. Longer ones first.
const NEWBORN_SUFFIXES: [(&str, Option<crate::Sex>); 11] = [
    ("之男婴", Some(crate::Sex::Male)),
    ("之女婴", Some(crate::Sex::Female)),
    ("之长子", Some(crate::Sex::Male)),
    ("之长女", Some(crate::Sex::Female)),
    ("之次子", Some(crate::Sex::Male)),
    ("之次女", Some(crate::Sex::Female)),
    ("之子", Some(crate::Sex::Male)),
    ("之女", Some(crate::Sex::Female)),
    ("之男", Some(crate::Sex::Male)),
    ("之婴", None),
    ("之儿", None),
];

/// Reads a newborn placeholder name, or None when `raw` is not one.
///
/// Why: birth and vaccination records are written before the baby is named, as the mother's name
/// plus 之子/之女. Compared as a name, 「王芳之子」 would count against the child's real name and
/// its "surname" would be the mother's; read as a placeholder, the name is unknown and the mother's
/// name and the stated sex become evidence instead.
pub fn newborn_placeholder(raw: &str) -> Option<NewbornName> {
    let name = normalize_name(raw)?;
    if name.pinyin_only {
        return None;
    }
    let (parent, sex) = NEWBORN_SUFFIXES.iter().find_map(|(suffix, sex)| {
        let parent = name.text.strip_suffix(suffix)?;
        // A parent's name has at least two characters: 「之子」 alone or 「王之子」 is not a placeholder.
        (parent.chars().count() >= 2).then_some((parent, *sex))
    })?;
    Some(NewbornName {
        parent: normalize_name(parent)?,
        sex,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(raw: &str) -> NormalName {
        normalize_name(raw).unwrap_or_else(|| panic!("{raw:?} should normalise"))
    }

    #[test]
    fn common_traditional_names_fold_to_simplified() {
        for (traditional, simplified) in [
            ("張偉", "张伟"),
            ("劉麗華", "刘丽华"),
            ("陳靜", "陈静"),
            ("黃", "黄"),
            ("鄭", "郑"),
            ("趙", "赵"),
            ("蕭", "萧"),
            ("萧", "萧"),
            ("歐陽娜娜", "欧阳娜娜"),
            ("鍾", "钟"),
            ("嶽", "岳"),
            ("馮", "冯"),
            ("龔", "龚"),
            ("閆", "闫"),
            ("淩", "凌"),
            ("豔", "艳"),
        ] {
            assert_eq!(to_simplified(traditional), simplified, "{traditional}");
        }
    }

    #[test]
    fn simplified_text_is_left_alone() {
        for s in [
            "张伟", "后", "发", "余", "干", "里", "范", "谷", "叶", "萧", "肖", "沈", "台",
        ] {
            assert_eq!(to_simplified(s), s);
        }
    }

    #[test]
    fn qian_in_names_and_places_is_kept() {
        assert_eq!(to_simplified("劉乾"), "刘乾");
        assert_eq!(to_simplified("乾隆"), "乾隆");
        assert_eq!(to_simplified("乾縣乾安"), "乾县乾安");
        assert_eq!(name("張乾").text, "张乾");
        assert_eq!(name("張乾").pinyin, "zhangqian");
    }

    #[test]
    fn a_traditional_name_is_folded_with_its_pinyin_and_surname() {
        let n = name(" 張 偉 ");
        assert_eq!(n.text, "张伟");
        assert_eq!(n.pinyin, "zhangwei");
        assert_eq!(n.surname, "张");
        assert_eq!(n.surname_pinyin, "zhang");
        assert!(n.folded);
        assert!(!n.pinyin_only);
        assert!(!name("张伟").folded);
    }

    #[test]
    fn full_width_forms_are_not_counted_as_folding() {
        let n = name("张伟Ａ");
        assert_eq!(n.text, "张伟a");
        assert!(!n.folded);
    }

    #[test]
    fn separators_and_full_width_space_are_removed() {
        assert_eq!(name("张 伟").text, "张伟");
        assert_eq!(name("张\u{3000}伟").text, "张伟");
        assert_eq!(name("阿依古丽·买买提").text, "阿依古丽买买提");
        assert_eq!(name("阿依古丽•买买提").text, "阿依古丽买买提");
        assert_eq!(name("阿依古丽・买买提").text, "阿依古丽买买提");
        assert_eq!(name("阿依古丽.买买提").text, "阿依古丽买买提");
        assert_eq!(name("阿依古丽-买买提").text, "阿依古丽买买提");
    }

    #[test]
    fn a_bracketed_note_is_dropped() {
        assert_eq!(name("张伟（小名）").text, "张伟");
        assert_eq!(name("张伟(曾用名張三)").text, "张伟");
        assert_eq!(name("【张伟】").text, "张伟");
    }

    #[test]
    fn pinyin_only_names_keep_written_order() {
        for raw in [
            "Zhang Wei",
            "ZHANG WEI",
            "ZHANG Wei",
            "zhang-wei",
            "zhang wei",
            "Ｚｈａｎｇ Ｗｅｉ",
            "Zhāng Wěi",
            "ZhangWei",
        ] {
            let n = name(raw);
            assert_eq!(n.text, "zhangwei", "{raw}");
            assert_eq!(n.pinyin, "zhangwei", "{raw}");
            assert_eq!(n.surname, "zhang", "{raw}");
            assert_eq!(n.surname_pinyin, "zhang", "{raw}");
            assert!(n.pinyin_only, "{raw}");
            assert!(!n.folded, "{raw}");
        }
        let reversed = name("Wei Zhang");
        assert_eq!(reversed.text, "weizhang");
        assert_eq!(reversed.surname, "wei");
        // Written without a separator the surname cannot be told apart: the whole group.
        assert_eq!(name("zhangwei").surname, "zhangwei");
        assert_eq!(name("ZHANGWEI").surname, "zhangwei");
    }

    #[test]
    fn chinese_and_pinyin_spellings_share_pinyin() {
        assert_eq!(name("张伟").pinyin, name("Zhang Wei").pinyin);
        assert_eq!(
            name("欧阳娜娜").surname_pinyin,
            name("Ouyang Nana").surname_pinyin
        );
        // ü: 吕 is lü; forms write LV, LYU or Lü.
        assert_eq!(name("吕小明").pinyin, "lvxiaoming");
        for raw in ["Lv Xiaoming", "LYU Xiaoming", "Lü Xiaoming"] {
            assert_eq!(name(raw).pinyin, "lvxiaoming", "{raw}");
            assert_eq!(name(raw).surname_pinyin, "lv", "{raw}");
        }
        assert_eq!(pinyin_of("Lyu Xiaoming"), "lvxiaoming");
        // "nyu" is n + yu (陈宇), not ü.
        assert_eq!(name("Chen Yu").pinyin, "chenyu");
        assert_eq!(name("Chenyu").pinyin, pinyin_of("陈宇"));
    }

    #[test]
    fn mixed_scripts_stay_in_the_chinese_branch() {
        let n = name("张Wei");
        assert_eq!(n.text, "张wei");
        assert_eq!(n.pinyin, "zhangwei");
        assert!(!n.pinyin_only);
        assert_eq!(name("张伟2").text, "张伟2");
    }

    #[test]
    fn homophones_share_pinyin() {
        assert_eq!(pinyin_of("张丽"), pinyin_of("张莉"));
        assert_eq!(pinyin_of("王静"), pinyin_of("王婧"));
        assert_eq!(name("劉麗").pinyin, name("刘莉").pinyin);
        assert_ne!(name("劉麗").text, name("刘莉").text);
    }

    #[test]
    fn surnames_with_a_special_reading_use_it_first() {
        for (s, expected) in [
            ("单雄信", "shanxiongxin"),
            ("曾国藩", "zengguofan"),
            ("解缙", "xiejin"),
            ("仇英", "qiuying"),
            ("朴槿惠", "piaojinhui"),
            ("查良镛", "zhaliangyong"),
            ("区丽", "ouli"),
            ("盖聂", "genie"),
            ("乐嘉", "yuejia"),
            ("尉迟恭", "yuchigong"),
            ("长孙无忌", "zhangsunwuji"),
            ("單雄信", "shanxiongxin"),
            ("尉遲恭", "yuchigong"),
            ("单于", "chanyu"),
            ("覃", "qin"),
            ("翟", "zhai"),
        ] {
            assert!(pinyin_of(s).starts_with(expected), "{s}: {}", pinyin_of(s));
        }
        assert_eq!(pinyin_of("单雄信"), "shanxiongxin");
        // Only at the start: 简单 keeps the default reading.
        assert_eq!(pinyin_of("简单"), "jiandan");
        assert_eq!(name("曾").surname_pinyin, "zeng");
        assert_eq!(name("尉迟恭").surname, "尉迟");
        assert_eq!(name("尉迟恭").surname_pinyin, "yuchi");
    }

    #[test]
    fn compound_surnames_are_two_characters() {
        for (full, surname) in [
            ("欧阳娜娜", "欧阳"),
            ("司马光", "司马"),
            ("诸葛亮", "诸葛"),
            ("上官婉儿", "上官"),
            ("東方朔", "东方"),
            ("皇甫嵩", "皇甫"),
            ("慕容复", "慕容"),
            ("夏侯惇", "夏侯"),
            ("张伟", "张"),
            ("欧丽", "欧"),
        ] {
            assert_eq!(name(full).surname, surname, "{full}");
        }
        assert_eq!(name("司马光").surname_pinyin, "sima");
    }

    #[test]
    fn pinyin_keeps_characters_without_pinyin_and_drops_separators() {
        assert_eq!(pinyin_of("张伟2"), "zhangwei2");
        assert_eq!(pinyin_of("Zhang Wei"), "zhangwei");
        assert_eq!(
            pinyin_of("阿依古丽·买买提"),
            "ayiguli".to_string() + "maimaiti"
        );
        assert_eq!(pinyin_of("#"), "#");
        assert_eq!(pinyin_of(""), "");
    }

    #[test]
    fn unusable_names_give_none() {
        for raw in [
            "", "  ", " · ", "####", "123", "（）", "不详", "无", "未知", "Unknown", "NULL", "xxx",
            "XX", "-",
        ] {
            assert_eq!(normalize_name(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn jaro_winkler_matches_published_values() {
        // Winkler (1990) / strsim reference values.
        assert!((jaro_winkler("martha", "marhta") - 0.9611).abs() < 1e-4);
        assert!((jaro_winkler("dwayne", "duane") - 0.84).abs() < 1e-4);
        assert!((jaro_winkler("dixon", "dicksonx") - 0.8133).abs() < 1e-4);
        assert_eq!(jaro_winkler("abc", "abc"), 1.0);
        assert_eq!(jaro_winkler("abc", ""), 0.0);
        assert_eq!(jaro_winkler("", ""), 1.0);
        assert_eq!(jaro_winkler("abc", "xyz"), 0.0);
        // No prefix bonus below a Jaro similarity of 0.7.
        assert!((jaro_winkler("abcdxyzw", "abcdqrst") - 2.0 / 3.0).abs() < 1e-12);
        assert!(jaro_winkler("wangwei", "wangwen") > 0.9);
        assert!(jaro_winkler("zhangli", "liuhua") < 0.7);
        // Over characters, not bytes.
        assert!((jaro_winkler("张伟", "张伟伟") - jaro_winkler("ab", "abb")).abs() < 1e-12);
    }

    #[test]
    fn jaro_winkler_handles_long_strings_off_the_stack() {
        let a = "a".repeat(100) + "b";
        let b = "a".repeat(100) + "c";
        let x = jaro_winkler(&a, &b);
        assert!(x > 0.95 && x < 1.0, "{x}");
        assert!((x - jaro_winkler(&b, &a)).abs() < 1e-12);
    }

    #[test]
    fn simplification_is_idempotent_on_every_cjk_character() {
        let ranges = [
            0x3400u32..0x4DC0,
            0x4E00..0xA000,
            0xF900..0xFB00,
            0x20000..0x2FA20,
        ];
        for c in ranges.into_iter().flatten().filter_map(char::from_u32) {
            let mut buf = [0u8; 4];
            let once = to_simplified(c.encode_utf8(&mut buf));
            assert_eq!(once.len(), c.len_utf8(), "{c} changed byte length");
            assert_eq!(to_simplified(&once), once, "{c}");
        }
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(raw in "[张張王李劉刘丽麗伟偉欧陽阳乾萧蕭吕單 ·•()（）a-zA-ZＡ-Ｚāǚü0-9-]{0,10}") {
            if let Some(n) = normalize_name(&raw) {
                let again = normalize_name(&n.text).expect("normalised text normalises");
                prop_assert_eq!(&again.text, &n.text);
                prop_assert_eq!(&again.pinyin, &n.pinyin);
                prop_assert_eq!(again.pinyin_only, n.pinyin_only);
                prop_assert!(!again.folded);
            }
        }

        #[test]
        fn normalisation_never_panics(raw in "\\PC{0,16}") {
            if let Some(n) = normalize_name(&raw) {
                prop_assert!(!n.text.is_empty());
                prop_assert!(n.text.starts_with(&n.surname) || n.pinyin_only);
            }
        }

        #[test]
        fn simplified_is_idempotent(raw in "\\PC{0,12}") {
            let once = to_simplified(&raw);
            prop_assert_eq!(to_simplified(&once), once);
        }

        #[test]
        fn pinyin_is_lowercase_ascii_for_han_names(raw in "[张王李刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤]{1,4}") {
            let p = pinyin_of(&raw);
            prop_assert!(p.bytes().all(|b| b.is_ascii_lowercase()), "{}", p);
        }

        #[test]
        fn jaro_winkler_is_symmetric_and_bounded(a in "[a-z张伟]{0,10}", b in "[a-z张伟]{0,10}") {
            let x = jaro_winkler(&a, &b);
            prop_assert!((0.0..=1.0).contains(&x));
            prop_assert!((x - jaro_winkler(&b, &a)).abs() < 1e-12);
            prop_assert_eq!(x == 1.0, a == b);
        }
    }
}
