//! Made-up Chinese names: a realistic surname distribution and given names by generation, so
//! that very common full names (王伟, 张静, 李子轩 …) repeat across the county as they do in life.

use humiao_core::Sex;
use rand::distributions::{Distribution, WeightedIndex};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Surnames with their approximate share per mille of the population.
const SURNAMES: &[(&str, u32)] = &[
    ("王", 71),
    ("李", 70),
    ("张", 67),
    ("刘", 54),
    ("陈", 45),
    ("杨", 31),
    ("黄", 22),
    ("赵", 20),
    ("吴", 20),
    ("周", 19),
    ("徐", 15),
    ("孙", 14),
    ("马", 13),
    ("朱", 13),
    ("胡", 12),
    ("郭", 11),
    ("何", 10),
    ("林", 10),
    ("高", 10),
    ("罗", 9),
    ("郑", 8),
    ("梁", 8),
    ("谢", 6),
    ("宋", 6),
    ("唐", 5),
    ("许", 5),
    ("韩", 5),
    ("冯", 5),
    ("邓", 5),
    ("曹", 5),
    ("彭", 4),
    ("曾", 4),
    ("肖", 4),
    ("田", 4),
    ("董", 4),
    ("潘", 4),
    ("袁", 3),
    ("蔡", 3),
    ("蒋", 3),
    ("余", 3),
    ("于", 3),
    ("杜", 3),
    ("叶", 3),
    ("程", 3),
    ("魏", 3),
    ("苏", 3),
    ("吕", 3),
    ("丁", 3),
    ("任", 3),
    ("卢", 3),
    ("姚", 3),
    ("沈", 3),
    ("钟", 3),
    ("姜", 3),
    ("崔", 2),
    ("谭", 2),
    ("陆", 2),
    ("范", 2),
    ("汪", 2),
    ("廖", 2),
    ("石", 2),
    ("金", 2),
    ("韦", 2),
    ("贾", 2),
    ("夏", 2),
    ("付", 2),
    ("方", 2),
    ("邹", 2),
    ("熊", 2),
    ("白", 2),
    ("孟", 2),
    ("秦", 2),
    ("邱", 2),
    ("侯", 2),
    ("江", 2),
    ("尹", 2),
    ("薛", 2),
    ("段", 2),
    ("雷", 2),
    ("龙", 2),
    ("黎", 2),
    ("史", 2),
    ("陶", 2),
    ("贺", 2),
    ("毛", 2),
    ("郝", 2),
    ("顾", 2),
    ("龚", 2),
    ("邵", 2),
    ("万", 1),
    ("覃", 1),
    ("武", 1),
    ("钱", 1),
    ("戴", 1),
    ("严", 1),
    ("莫", 1),
    ("孔", 1),
    ("向", 1),
    ("常", 1),
    ("欧阳", 1),
];

// Parents' generation (born 1965–2005).
const ADULT_MALE_SINGLE: &[&str] = &[
    "伟", "强", "军", "勇", "磊", "涛", "斌", "杰", "波", "辉", "刚", "健", "明", "超", "亮", "平",
    "鹏", "华", "飞", "峰", "东", "林", "浩", "凯",
];
const ADULT_MALE_DOUBLE: &[&str] = &[
    "建国", "建华", "国强", "志强", "志明", "海涛", "建军", "国华", "永刚", "德明", "小龙", "文博",
    "俊峰", "晓东", "红军", "卫东", "振华", "立新", "新民", "金龙", "家豪", "宏伟", "志刚", "海波",
    "东升", "建平", "伟民", "国栋", "少华", "晓峰", "文军", "海军",
];
const ADULT_FEMALE_SINGLE: &[&str] = &[
    "静", "敏", "丽", "艳", "娟", "芳", "霞", "红", "燕", "玲", "萍", "英", "梅", "琴", "莉", "婷",
    "洁", "慧", "雪", "倩",
];
const ADULT_FEMALE_DOUBLE: &[&str] = &[
    "秀英", "桂英", "丽华", "秀兰", "玉兰", "海燕", "丽娟", "春梅", "晓燕", "美玲", "淑芬", "小红",
    "彩霞", "红梅", "秀珍", "雪梅", "丽萍", "晓丽", "桂兰", "凤英", "玉珍", "晓红", "丽红", "慧敏",
    "雅丽", "国芳",
];
// Grandparents' generation (born 1935–1975).
const ELDER_MALE: &[&str] = &[
    "德胜", "福生", "长发", "建国", "国庆", "金根", "永福", "兴旺", "春生", "志成", "水生", "根宝",
    "树林", "荣华", "德华", "有才", "学文", "卫国", "福", "林", "才", "忠",
];
const ELDER_FEMALE: &[&str] = &[
    "秀英", "桂英", "玉兰", "秀兰", "凤英", "桂花", "菊英", "金凤", "翠兰", "秀珍", "月娥", "素珍",
    "彩凤", "美华", "兰英", "巧云", "英", "珍",
];
// Characters to compose further names of the older generations.
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
const ADULT_MALE_FIRST: &[&str] = &[
    "建", "国", "志", "海", "永", "德", "小", "文", "俊", "晓", "红", "卫", "振", "立", "新", "金",
    "家", "宏", "东", "伟", "少", "明", "军",
];
const ADULT_MALE_SECOND: &[&str] = &[
    "国", "华", "强", "明", "涛", "军", "刚", "龙", "博", "峰", "东", "新", "民", "豪", "伟", "平",
    "波", "辉", "斌", "栋", "林", "勇",
];
const ADULT_FEMALE_FIRST: &[&str] = &[
    "秀", "丽", "玉", "海", "晓", "春", "美", "淑", "小", "彩", "红", "雪", "凤", "慧", "雅", "国",
    "艳",
];
const ADULT_FEMALE_SECOND: &[&str] = &[
    "英", "华", "兰", "燕", "娟", "梅", "芬", "红", "霞", "珍", "萍", "丽", "敏", "玲", "芳", "琴",
    "静", "莉",
];
// Children (born 2008–2026): popular full given names, and characters to compose others.
const CHILD_MALE_FULL: &[&str] = &[
    "子轩", "浩然", "宇轩", "梓豪", "俊杰", "浩宇", "一鸣", "子墨", "宇航", "博文", "晨阳", "天佑",
    "明轩", "皓轩", "奕辰", "沐阳", "宇泽", "思远", "梓睿", "铭泽", "子豪", "俊熙", "伟", "睿",
];
const CHILD_FEMALE_FULL: &[&str] = &[
    "子涵", "梓涵", "欣怡", "雨桐", "诗涵", "思涵", "可馨", "一诺", "梓萱", "紫涵", "佳怡", "语桐",
    "若汐", "欣妍", "雨萱", "梦瑶", "诗雨", "依诺", "芷若", "安琪", "静怡", "乐瑶", "静", "悦",
];
const CHILD_MALE_FIRST: &[&str] = &[
    "子", "浩", "宇", "梓", "俊", "一", "博", "晨", "天", "明", "皓", "奕", "沐", "思", "嘉", "铭",
    "泽", "睿", "文", "锦", "家", "志", "承", "景", "国", "东",
];
const CHILD_MALE_SECOND: &[&str] = &[
    "轩", "然", "豪", "杰", "鸣", "墨", "航", "文", "阳", "佑", "辰", "泽", "远", "睿", "宇", "涛",
    "凯", "瑞", "哲", "翔", "诚", "华", "东", "军", "伟", "龙",
];
const CHILD_FEMALE_FIRST: &[&str] = &[
    "子", "梓", "欣", "雨", "诗", "思", "可", "一", "佳", "语", "若", "梦", "依", "芷", "安", "静",
    "乐", "书", "艺", "婉", "雅", "心", "晓", "美",
];
const CHILD_FEMALE_SECOND: &[&str] = &[
    "涵", "怡", "桐", "馨", "诺", "萱", "妍", "瑶", "雨", "琪", "悦", "婷", "汐", "彤", "菲", "晴",
    "琳", "洁", "丽", "红", "璐", "慧", "颖", "月", "华",
];

/// Real simplified → traditional pairs, for the school export that some clerks type in 繁体.
const TRADITIONAL: &[(char, char)] = &[
    ('张', '張'),
    ('陈', '陳'),
    ('刘', '劉'),
    ('杨', '楊'),
    ('黄', '黃'),
    ('赵', '趙'),
    ('吴', '吳'),
    ('孙', '孫'),
    ('马', '馬'),
    ('郑', '鄭'),
    ('冯', '馮'),
    ('邓', '鄧'),
    ('许', '許'),
    ('韩', '韓'),
    ('罗', '羅'),
    ('叶', '葉'),
    ('谢', '謝'),
    ('苏', '蘇'),
    ('卢', '盧'),
    ('钟', '鍾'),
    ('陆', '陸'),
    ('龙', '龍'),
    ('贺', '賀'),
    ('顾', '顧'),
    ('龚', '龔'),
    ('邹', '鄒'),
    ('蒋', '蔣'),
    ('伟', '偉'),
    ('华', '華'),
    ('丽', '麗'),
    ('军', '軍'),
    ('红', '紅'),
    ('国', '國'),
    ('东', '東'),
    ('轩', '軒'),
    ('杰', '傑'),
    ('鸣', '鳴'),
    ('诺', '諾'),
    ('诗', '詩'),
    ('语', '語'),
    ('铭', '銘'),
    ('泽', '澤'),
    ('锦', '錦'),
    ('乐', '樂'),
    ('静', '靜'),
    ('阳', '陽'),
    ('凯', '凱'),
    ('诚', '誠'),
    ('涛', '濤'),
    ('梦', '夢'),
    ('书', '書'),
    ('艺', '藝'),
    ('晓', '曉'),
    ('颖', '穎'),
];

/// Which generation a name is drawn for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Generation {
    Child,
    Parent,
    Elder,
}

pub(crate) struct NameGen {
    surnames: WeightedIndex<u32>,
}

impl NameGen {
    pub(crate) fn new() -> Self {
        Self {
            surnames: WeightedIndex::new(SURNAMES.iter().map(|(_, w)| *w))
                .expect("static weights are positive"),
        }
    }

    pub(crate) fn surname(&self, rng: &mut ChaCha8Rng) -> &'static str {
        SURNAMES[self.surnames.sample(rng)].0
    }

    pub(crate) fn given(&self, rng: &mut ChaCha8Rng, sex: Sex, generation: Generation) -> String {
        let pick = |rng: &mut ChaCha8Rng, list: &[&str]| -> String {
            list.choose(rng).copied().unwrap_or("明").to_string()
        };
        let compose = |rng: &mut ChaCha8Rng, first: &[&str], second: &[&str]| -> String {
            format!("{}{}", pick(rng, first), pick(rng, second))
        };
        let roll: f64 = rng.gen();
        match (generation, sex) {
            (Generation::Elder, Sex::Male) if roll < 0.2 => pick(rng, ELDER_MALE),
            (Generation::Elder, Sex::Male) => compose(rng, ELDER_MALE_FIRST, ELDER_MALE_SECOND),
            (Generation::Elder, Sex::Female) if roll < 0.2 => pick(rng, ELDER_FEMALE),
            (Generation::Elder, Sex::Female) => {
                compose(rng, ELDER_FEMALE_FIRST, ELDER_FEMALE_SECOND)
            }
            (Generation::Parent, Sex::Male) if roll < 0.2 => pick(rng, ADULT_MALE_SINGLE),
            (Generation::Parent, Sex::Male) if roll < 0.5 => pick(rng, ADULT_MALE_DOUBLE),
            (Generation::Parent, Sex::Male) => compose(rng, ADULT_MALE_FIRST, ADULT_MALE_SECOND),
            (Generation::Parent, Sex::Female) if roll < 0.2 => pick(rng, ADULT_FEMALE_SINGLE),
            (Generation::Parent, Sex::Female) if roll < 0.5 => pick(rng, ADULT_FEMALE_DOUBLE),
            (Generation::Parent, Sex::Female) => {
                compose(rng, ADULT_FEMALE_FIRST, ADULT_FEMALE_SECOND)
            }
            (Generation::Child, Sex::Male) => {
                if rng.gen_bool(0.35) {
                    pick(rng, CHILD_MALE_FULL)
                } else {
                    format!(
                        "{}{}",
                        pick(rng, CHILD_MALE_FIRST),
                        pick(rng, CHILD_MALE_SECOND)
                    )
                }
            }
            (Generation::Child, Sex::Female) => {
                if rng.gen_bool(0.35) {
                    pick(rng, CHILD_FEMALE_FULL)
                } else {
                    format!(
                        "{}{}",
                        pick(rng, CHILD_FEMALE_FIRST),
                        pick(rng, CHILD_FEMALE_SECOND)
                    )
                }
            }
        }
    }
}

/// The name written with traditional characters, or `None` if none of its characters has a
/// traditional form in our table.
pub(crate) fn to_traditional(name: &str) -> Option<String> {
    let mut changed = false;
    let out: String = name
        .chars()
        .map(|c| match TRADITIONAL.iter().find(|(s, _)| *s == c) {
            Some((_, t)) => {
                changed = true;
                *t
            }
            None => c,
        })
        .collect();
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_conversion_uses_the_table() {
        assert_eq!(to_traditional("张伟").as_deref(), Some("張偉"));
        assert_eq!(to_traditional("王明"), None);
    }
}
