//! Made-up Chinese names with realistic, heavily skewed frequencies: a few surnames cover a
//! third of the county and each generation has its fashionable given names, so that 王伟, 李静
//! or 张子轩 recur hundreds of times in a large county, some even with the same birth date.
//!
//! Only name *drawing* lives here; how clerks mangle names is in [`crate::noise`].

use chrono::{Datelike, NaiveDate};
use pinyin::ToPinyin;
use rand::distributions::{Distribution, WeightedIndex};
use rand::Rng;

/// Sex as the police register records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

/// Surnames with their approximate share per mille (after the 2020 census lists).
#[rustfmt::skip]
const SURNAMES: &[(&str, u32)] = &[
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 45), ("杨", 31), ("黄", 22), ("赵", 20),
    ("吴", 20), ("周", 19), ("徐", 15), ("孙", 14), ("马", 13), ("朱", 13), ("胡", 12), ("郭", 11),
    ("何", 10), ("林", 10), ("高", 10), ("罗", 9), ("郑", 8), ("梁", 8), ("谢", 6), ("宋", 6),
    ("唐", 5), ("许", 5), ("韩", 5), ("冯", 5), ("邓", 5), ("曹", 5), ("彭", 4), ("曾", 4),
    ("肖", 4), ("田", 4), ("董", 4), ("潘", 4), ("袁", 3), ("蔡", 3), ("蒋", 3), ("余", 3),
    ("于", 3), ("杜", 3), ("叶", 3), ("程", 3), ("魏", 3), ("苏", 3), ("吕", 3), ("丁", 3),
    ("任", 3), ("卢", 3), ("姚", 3), ("沈", 3), ("钟", 3), ("姜", 3), ("崔", 2), ("谭", 2),
    ("陆", 2), ("范", 2), ("汪", 2), ("廖", 2), ("石", 2), ("金", 2), ("韦", 2), ("贾", 2),
    ("夏", 2), ("付", 2), ("方", 2), ("邹", 2), ("熊", 2), ("白", 2), ("孟", 2), ("秦", 2),
    ("邱", 2), ("侯", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2), ("雷", 2),
    ("龙", 2), ("黎", 2), ("史", 2), ("陶", 2), ("贺", 2), ("毛", 2), ("郝", 2), ("顾", 2),
    ("龚", 2), ("邵", 2), ("万", 1), ("钱", 1), ("严", 1), ("戴", 1), ("孔", 1), ("向", 1),
    ("常", 1), ("欧阳", 1), ("司马", 1), ("诸葛", 1),
];

/// Surnames whose reading differs from the character's commonest one.
const SURNAME_READINGS: &[(&str, &str)] = &[("曾", "zeng"), ("单", "shan"), ("仇", "qiu")];

// Given names by generation, commonest first, with relative weights. Each generation also
// composes two-character names from its first/second pools (the long tail).
#[rustfmt::skip]
const ELDER_MALE: &[(&str, u32)] = &[
    ("建国", 30), ("国庆", 15), ("德明", 15), ("国华", 12), ("福生", 12), ("长发", 10), ("金根", 10),
    ("永福", 10), ("志成", 10), ("水生", 10), ("春生", 8), ("根宝", 8), ("荣华", 8), ("德华", 8),
    ("有才", 8), ("学文", 8), ("卫国", 8), ("树林", 6), ("福", 6), ("林", 6), ("明", 6), ("华", 6),
    ("才", 5), ("忠", 5),
];
#[rustfmt::skip]
const ELDER_FEMALE: &[(&str, u32)] = &[
    ("秀英", 40), ("桂英", 30), ("玉兰", 25), ("秀兰", 25), ("秀珍", 15), ("凤英", 15), ("桂花", 15),
    ("菊英", 12), ("淑珍", 12), ("桂兰", 12), ("金凤", 10), ("翠兰", 10), ("素珍", 10), ("玉珍", 10),
    ("兰英", 10), ("秀芳", 10), ("月娥", 8), ("彩凤", 8), ("美华", 8), ("英", 8), ("巧云", 6),
    ("珍", 6),
];
#[rustfmt::skip]
const MIDDLE_MALE: &[(&str, u32)] = &[
    ("伟", 50), ("强", 30), ("军", 30), ("勇", 25), ("磊", 25), ("涛", 20), ("斌", 18), ("杰", 18),
    ("建华", 15), ("波", 15), ("辉", 15), ("刚", 15), ("明", 15), ("超", 15), ("建军", 12),
    ("健", 12), ("平", 12), ("鹏", 12), ("华", 12), ("飞", 12), ("峰", 12), ("志强", 12),
    ("亮", 10), ("国强", 10), ("海涛", 8), ("建平", 8), ("晓东", 8), ("卫东", 8), ("志刚", 8),
    ("宏伟", 8), ("建国", 8), ("小龙", 6), ("红军", 6), ("海波", 6), ("文军", 5), ("海军", 5),
];
#[rustfmt::skip]
const MIDDLE_FEMALE: &[(&str, u32)] = &[
    ("芳", 45), ("静", 40), ("敏", 35), ("丽", 35), ("娜", 30), ("艳", 30), ("娟", 25), ("霞", 20),
    ("红", 20), ("燕", 20), ("玲", 18), ("萍", 15), ("英", 12), ("梅", 12), ("琴", 12), ("莉", 12),
    ("海燕", 12), ("丽华", 10), ("丽娟", 10), ("春梅", 10), ("晓燕", 10), ("红梅", 8), ("雪梅", 8),
    ("丽萍", 8), ("晓红", 8), ("小红", 8), ("彩霞", 6), ("美玲", 6), ("慧敏", 6),
];
#[rustfmt::skip]
const YOUNG_MALE: &[(&str, u32)] = &[
    ("洋", 30), ("伟", 25), ("磊", 25), ("浩", 20), ("杰", 20), ("鹏", 18), ("超", 18), ("帅", 15),
    ("鑫", 15), ("宇", 15), ("涛", 12), ("俊", 12), ("凯", 12), ("博", 12), ("亮", 10), ("强", 10),
    ("阳", 10), ("军", 8), ("浩然", 8), ("家豪", 8), ("俊杰", 8), ("晨", 8), ("明", 8), ("龙", 8),
    ("飞", 8), ("宇航", 6), ("子豪", 6), ("文博", 6), ("晨阳", 5), ("志强", 5), ("子轩", 4),
];
#[rustfmt::skip]
const YOUNG_FEMALE: &[(&str, u32)] = &[
    ("婷", 30), ("静", 25), ("娜", 20), ("倩", 18), ("丽", 15), ("敏", 15), ("雪", 15), ("颖", 15),
    ("琳", 12), ("洁", 12), ("丹", 12), ("婷婷", 12), ("佳", 10), ("欣", 10), ("晶", 10), ("慧", 10),
    ("莹", 10), ("悦", 8), ("璐", 8), ("瑶", 8), ("佳琪", 8), ("梦琪", 8), ("欣怡", 8), ("雨婷", 6),
    ("思雨", 6), ("静怡", 6), ("晓雪", 6), ("雅婷", 6), ("诗雨", 5), ("晓丽", 5),
];
#[rustfmt::skip]
const CHILD_MALE: &[(&str, u32)] = &[
    ("子轩", 25), ("浩然", 18), ("宇轩", 18), ("浩宇", 15), ("梓豪", 12), ("子墨", 12), ("梓轩", 12),
    ("俊杰", 10), ("宇航", 10), ("明轩", 10), ("奕辰", 10), ("睿", 10), ("一鸣", 8), ("博文", 8),
    ("天佑", 8), ("皓轩", 8), ("沐阳", 8), ("宇泽", 8), ("梓睿", 8), ("子豪", 8), ("轩", 8),
    ("晨阳", 6), ("思远", 6), ("铭泽", 6), ("俊熙", 6), ("浩", 6), ("一诺", 6), ("辰逸", 6),
    ("嘉豪", 6), ("锦程", 5),
];
#[rustfmt::skip]
const CHILD_FEMALE: &[(&str, u32)] = &[
    ("子涵", 25), ("梓涵", 18), ("欣怡", 18), ("一诺", 18), ("雨桐", 15), ("诗涵", 15), ("梓萱", 12),
    ("可馨", 10), ("佳怡", 10), ("若汐", 10), ("雨萱", 10), ("思涵", 8), ("紫涵", 8), ("语桐", 8),
    ("欣妍", 8), ("梦瑶", 8), ("依诺", 8), ("诗雨", 6), ("安琪", 6), ("静怡", 6), ("悦", 6),
    ("涵", 6), ("萱", 6), ("梓晴", 6), ("沐晴", 6), ("书瑶", 6), ("欣悦", 6), ("芷若", 5),
    ("乐瑶", 5), ("语嫣", 5),
];

const ELDER_MALE_FIRST: &[&str] = &[
    "德", "福", "长", "金", "永", "兴", "春", "志", "水", "根", "树", "荣", "有", "学", "卫", "国",
    "建", "忠", "宝", "富", "满", "来", "财", "贵",
];
const ELDER_MALE_SECOND: &[&str] = &[
    "胜", "生", "发", "根", "福", "旺", "成", "宝", "林", "华", "才", "文", "国", "明", "山", "海",
    "全", "法", "富", "贵", "祥", "康", "和",
];
const ELDER_FEMALE_FIRST: &[&str] = &[
    "秀", "桂", "玉", "凤", "菊", "金", "翠", "月", "素", "彩", "美", "兰", "巧", "淑", "爱", "春",
    "冬", "雪", "银", "宝",
];
const ELDER_FEMALE_SECOND: &[&str] = &[
    "英", "兰", "花", "凤", "珍", "娥", "芬", "云", "琴", "梅", "仙", "香", "娣", "莲", "芳", "霞",
];
const MIDDLE_MALE_FIRST: &[&str] = &[
    "建", "国", "志", "海", "永", "德", "小", "文", "俊", "晓", "红", "卫", "振", "立", "新", "金",
    "家", "宏", "东", "伟", "少", "明", "军",
];
const MIDDLE_MALE_SECOND: &[&str] = &[
    "国", "华", "强", "明", "涛", "军", "刚", "龙", "博", "峰", "东", "新", "民", "豪", "伟", "平",
    "波", "辉", "斌", "栋", "林", "勇",
];
const MIDDLE_FEMALE_FIRST: &[&str] = &[
    "秀", "丽", "玉", "海", "晓", "春", "美", "淑", "小", "彩", "红", "雪", "凤", "慧", "雅", "国",
    "艳",
];
const MIDDLE_FEMALE_SECOND: &[&str] = &[
    "英", "华", "兰", "燕", "娟", "梅", "芬", "红", "霞", "珍", "萍", "丽", "敏", "玲", "芳", "琴",
    "静", "莉",
];
const YOUNG_MALE_FIRST: &[&str] = &[
    "俊", "浩", "家", "志", "文", "嘉", "子", "宇", "晨", "明", "天", "鹏", "博", "泽", "凯", "振",
    "一", "立", "建", "永",
];
const YOUNG_MALE_SECOND: &[&str] = &[
    "杰", "豪", "宇", "辉", "鹏", "伟", "博", "涛", "超", "阳", "飞", "航", "龙", "磊", "浩", "轩",
    "鑫", "凯", "亮", "峰",
];
const YOUNG_FEMALE_FIRST: &[&str] = &[
    "佳", "梦", "欣", "雨", "思", "晓", "雅", "诗", "婉", "静", "美", "丽", "慧", "紫", "若", "心",
];
const YOUNG_FEMALE_SECOND: &[&str] = &[
    "琪", "婷", "雪", "雨", "怡", "璐", "洁", "颖", "倩", "莹", "瑶", "琳", "悦", "妍", "丹", "娜",
];
const CHILD_MALE_FIRST: &[&str] = &[
    "子", "浩", "宇", "梓", "俊", "一", "博", "晨", "天", "明", "皓", "奕", "沐", "思", "嘉", "铭",
    "泽", "睿", "文", "锦", "家", "志", "承", "景",
];
const CHILD_MALE_SECOND: &[&str] = &[
    "轩", "然", "豪", "杰", "鸣", "墨", "航", "文", "阳", "佑", "辰", "泽", "远", "睿", "宇", "涛",
    "凯", "瑞", "哲", "翔", "诚", "熙", "逸", "程",
];
const CHILD_FEMALE_FIRST: &[&str] = &[
    "子", "梓", "欣", "雨", "诗", "思", "可", "一", "佳", "语", "若", "梦", "依", "芷", "安", "静",
    "乐", "书", "艺", "婉", "雅", "心", "沐", "紫",
];
const CHILD_FEMALE_SECOND: &[&str] = &[
    "涵", "怡", "桐", "馨", "诺", "萱", "妍", "瑶", "雨", "琪", "悦", "婷", "汐", "彤", "菲", "晴",
    "琳", "洁", "璐", "慧", "颖", "月", "嫣", "然",
];

/// A generation's naming fashion.
struct Fashion {
    popular: &'static [(&'static str, u32)],
    index: WeightedIndex<u32>,
    first: &'static [&'static str],
    second: &'static [&'static str],
    /// Share of names composed from the pools rather than drawn from `popular`.
    composed: f64,
}

impl Fashion {
    fn new(
        popular: &'static [(&'static str, u32)],
        first: &'static [&'static str],
        second: &'static [&'static str],
        composed: f64,
    ) -> Self {
        Self {
            popular,
            index: WeightedIndex::new(popular.iter().map(|(_, w)| *w))
                .expect("static weights are positive"),
            first,
            second,
            composed,
        }
    }

    fn draw<R: Rng>(&self, rng: &mut R) -> String {
        if rng.gen_bool(self.composed) {
            let first = self.first[rng.gen_range(0..self.first.len())];
            let second = self.second[rng.gen_range(0..self.second.len())];
            format!("{first}{second}")
        } else {
            self.popular[self.index.sample(rng)].0.to_string()
        }
    }
}

/// Draws surnames and given names; build once, share for the whole run.
pub struct NameBook {
    surnames: WeightedIndex<u32>,
    /// Indexed by [`era`] then sex (male, female).
    fashions: [[Fashion; 2]; 4],
}

/// The naming era of a birth date: 0 born before 1960, 1 before 1985, 2 before 2005, 3 later.
fn era(birth: NaiveDate) -> usize {
    match birth.year() {
        ..=1959 => 0,
        1960..=1984 => 1,
        1985..=2004 => 2,
        _ => 3,
    }
}

impl Default for NameBook {
    fn default() -> Self {
        Self::new()
    }
}

impl NameBook {
    pub fn new() -> Self {
        Self {
            surnames: WeightedIndex::new(SURNAMES.iter().map(|(_, w)| *w))
                .expect("static weights are positive"),
            fashions: [
                [
                    Fashion::new(ELDER_MALE, ELDER_MALE_FIRST, ELDER_MALE_SECOND, 0.5),
                    Fashion::new(ELDER_FEMALE, ELDER_FEMALE_FIRST, ELDER_FEMALE_SECOND, 0.5),
                ],
                [
                    Fashion::new(MIDDLE_MALE, MIDDLE_MALE_FIRST, MIDDLE_MALE_SECOND, 0.45),
                    Fashion::new(
                        MIDDLE_FEMALE,
                        MIDDLE_FEMALE_FIRST,
                        MIDDLE_FEMALE_SECOND,
                        0.45,
                    ),
                ],
                [
                    Fashion::new(YOUNG_MALE, YOUNG_MALE_FIRST, YOUNG_MALE_SECOND, 0.5),
                    Fashion::new(YOUNG_FEMALE, YOUNG_FEMALE_FIRST, YOUNG_FEMALE_SECOND, 0.5),
                ],
                [
                    Fashion::new(CHILD_MALE, CHILD_MALE_FIRST, CHILD_MALE_SECOND, 0.55),
                    Fashion::new(CHILD_FEMALE, CHILD_FEMALE_FIRST, CHILD_FEMALE_SECOND, 0.55),
                ],
            ],
        }
    }

    pub fn surname<R: Rng>(&self, rng: &mut R) -> &'static str {
        SURNAMES[self.surnames.sample(rng)].0
    }

    pub fn given<R: Rng>(&self, sex: Sex, birth: NaiveDate, rng: &mut R) -> String {
        self.fashions[era(birth)][usize::from(sex == Sex::Female)].draw(rng)
    }

    /// A twin's given name: same first character as the sibling's (子涵, 子轩), as parents of
    /// twins often choose; falls back to any other name for one-character names.
    pub fn twin_given<R: Rng>(
        &self,
        sibling: &str,
        sex: Sex,
        birth: NaiveDate,
        rng: &mut R,
    ) -> String {
        let fashion = &self.fashions[era(birth)][usize::from(sex == Sex::Female)];
        let first = sibling.chars().next().map(String::from).unwrap_or_default();
        for _ in 0..8 {
            let candidate = if sibling.chars().count() == 2 {
                let second = fashion.second[rng.gen_range(0..fashion.second.len())];
                format!("{first}{second}")
            } else {
                fashion.draw(rng)
            };
            if candidate != sibling {
                return candidate;
            }
        }
        format!("{sibling}{}", fashion.second[0])
    }
}

/// Toneless pinyin syllables of a surname (one per character, surname readings applied).
pub fn surname_pinyin(surname: &str) -> Vec<String> {
    if let Some((_, reading)) = SURNAME_READINGS.iter().find(|(s, _)| *s == surname) {
        return vec![reading.to_string()];
    }
    syllables(surname)
}

/// Toneless pinyin syllables, one per character; a character without a reading is kept as is.
pub fn syllables(text: &str) -> Vec<String> {
    text.chars()
        .map(|c| match c.to_pinyin() {
            Some(p) => p.plain().to_string(),
            None => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn common_names_are_common() {
        let book = NameBook::new();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let birth = NaiveDate::from_ymd_opt(1978, 6, 1).expect("valid date");
        let wei = (0..10_000)
            .filter(|_| book.given(Sex::Male, birth, &mut rng) == "伟")
            .count();
        // About 4–5% of men of that generation are called 伟.
        assert!((250..700).contains(&wei), "{wei}");
    }

    #[test]
    fn twins_share_the_first_character() {
        let book = NameBook::new();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let birth = NaiveDate::from_ymd_opt(2016, 6, 1).expect("valid date");
        let twin = book.twin_given("子涵", Sex::Female, birth, &mut rng);
        assert!(twin.starts_with('子') && twin != "子涵", "{twin}");
    }

    #[test]
    fn surname_readings_override_the_common_reading() {
        assert_eq!(surname_pinyin("曾"), ["zeng"]);
        assert_eq!(surname_pinyin("欧阳"), ["ou", "yang"]);
        assert_eq!(syllables("子轩"), ["zi", "xuan"]);
    }
}
