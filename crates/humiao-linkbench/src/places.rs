//! The fictitious county 护苗县 (region code 330199) and its addresses: towns (镇/街道/乡), urban
//! communities (社区) with roads and flats, rural villages (村) with villager groups (组).
//!
//! An [`Address`] is a position; departments render it at their own granularity with
//! [`Address::render`]. Spelling damage (traditional characters, typos) is in [`crate::noise`].

use rand::Rng;

pub const PROVINCE: &str = "浙江省";
pub const COUNTY: &str = "护苗县";
/// The county's address code in citizen IDs.
pub const COUNTY_ID_REGION: &str = "330199";
/// Address codes of places the county's migrants were born in (and one retired code of the
/// county itself, still printed on older IDs).
pub const OTHER_ID_REGIONS: &[&str] = &[
    "330102", "330106", "330381", "330522", "332501", "341221", "360121", "420621", "431124",
    "511321", "522101", "410327",
];

/// Towns with the number of urban communities and rural villages in each.
const TOWNS: &[(&str, u8, u8)] = &[
    ("城关镇", 9, 6),
    ("文昌街道", 12, 0),
    ("东湖街道", 10, 2),
    ("青溪镇", 3, 14),
    ("白石镇", 2, 16),
    ("双河镇", 2, 12),
    ("新桥镇", 3, 11),
    ("南塘镇", 1, 13),
    ("西山镇", 1, 15),
    ("梅岭乡", 0, 12),
    ("黄沙乡", 0, 10),
    ("北岸乡", 0, 9),
];

const COMMUNITY_STEMS: &[&str] = &[
    "东门",
    "西门",
    "南门",
    "北门",
    "新华",
    "文昌",
    "城东",
    "城西",
    "城南",
    "城北",
    "滨江",
    "府前",
    "学院",
    "和平",
    "幸福里",
    "锦绣",
    "阳光",
    "翠苑",
    "清河",
    "江南",
    "望江",
    "金桥",
    "绿园",
    "振兴",
    "桂花园",
    "湖滨",
    "东湖",
    "春晓",
    "青年",
    "人民",
];
const VILLAGE_STEMS: &[&str] = &[
    "上塘",
    "下湾",
    "石桥",
    "杨家",
    "李家坞",
    "东山",
    "西岭",
    "南坞",
    "北塘",
    "青石",
    "白沙",
    "黄泥岗",
    "柳溪",
    "桃源",
    "竹林",
    "梅坞",
    "枫树湾",
    "溪口",
    "岭头",
    "大坪",
    "小溪",
    "龙潭",
    "凤凰",
    "金竹",
    "银杏",
    "后山",
    "前洋",
    "新桥",
    "长坑",
    "高岭",
    "茶园",
    "荷塘",
    "马鞍",
    "双溪口",
    "葛家",
    "陈家畈",
    "王家埠",
    "洪塘",
    "上庄",
    "塘头",
    "樟树",
    "松岙",
    "石门",
    "岩下",
    "东门",
    "杨柳",
    "永安",
    "太平",
    "红星",
    "光明",
    "前进",
    "联合",
    "金山",
    "银湖",
];
const ROADS: &[&str] = &[
    "解放路",
    "人民路",
    "中山路",
    "建设路",
    "和平街",
    "新华路",
    "文化路",
    "胜利街",
    "青年路",
    "环城东路",
    "环城西路",
    "学府路",
    "兴业大道",
    "府前街",
    "滨江路",
    "健康路",
    "花园街",
    "东风巷",
];

/// Where a household is. Small integers so that millions of persons stay cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address {
    town: u8,
    /// Communities first, then villages, within the town.
    village: u8,
    /// Road (urban) or villager group (rural).
    street: u8,
    number: u16,
    /// Building, unit and room; zero for a house.
    building: u8,
    unit: u8,
    room: u16,
}

/// How much of an address a department writes down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Granularity {
    /// 城关镇
    Town,
    /// 城关镇东门社区
    Village,
    /// 城关镇东门社区解放路12号 / 青溪镇上塘村3组12号
    House,
    /// Down to 3幢2单元301室 where there is a flat.
    Full,
}

/// What precedes the town.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    None,
    County,
    ProvinceAndCounty,
}

impl Address {
    /// A random address in the county: any town, any of its communities or villages; 80% of
    /// community homes are flats.
    pub fn random<R: Rng>(rng: &mut R) -> Self {
        let town = rng.gen_range(0..TOWNS.len());
        let (_, communities, villages) = TOWNS[town];
        let village = rng.gen_range(0..communities + villages);
        let urban = village < communities;
        let flat = urban && rng.gen_bool(0.8);
        Self {
            town: town as u8,
            village,
            street: if urban {
                rng.gen_range(0..ROADS.len() as u8)
            } else {
                rng.gen_range(1..=12)
            },
            number: if urban {
                rng.gen_range(1..=300)
            } else {
                rng.gen_range(1..=120)
            },
            building: if flat { rng.gen_range(1..=24) } else { 0 },
            unit: if flat { rng.gen_range(1..=4) } else { 0 },
            room: if flat {
                rng.gen_range(1..=18) * 100 + rng.gen_range(1..=4)
            } else {
                0
            },
        }
    }

    /// Another home in the same village or community (a move next door).
    pub fn nearby<R: Rng>(&self, rng: &mut R) -> Self {
        let mut other = Self::random(rng);
        other.town = self.town;
        other.village = self.village;
        if !self.is_urban() {
            other.street = rng.gen_range(1..=12);
            other.building = 0;
            other.unit = 0;
            other.room = 0;
        }
        other
    }

    pub fn is_urban(&self) -> bool {
        self.village < TOWNS[self.town as usize].1
    }

    pub fn same_village(&self, other: &Address) -> bool {
        self.town == other.town && self.village == other.village
    }

    /// The house number, for typo noise.
    pub fn with_number(mut self, number: u16) -> Self {
        self.number = number.max(1);
        self
    }

    pub fn number(&self) -> u16 {
        self.number
    }

    fn village_name(&self) -> String {
        let (_, communities, _) = TOWNS[self.town as usize];
        // Stems spread over towns so that names repeat across towns (there are 东门村 in
        // more than one town) but not within one.
        let t = usize::from(self.town);
        if self.is_urban() {
            let stem = COMMUNITY_STEMS[(t * 7 + usize::from(self.village)) % COMMUNITY_STEMS.len()];
            format!("{stem}社区")
        } else {
            let v = usize::from(self.village - communities);
            let stem = VILLAGE_STEMS[(t * 11 + v) % VILLAGE_STEMS.len()];
            format!("{stem}村")
        }
    }

    /// The address as a department writes it.
    pub fn render(&self, granularity: Granularity, prefix: Prefix) -> String {
        let mut s = String::with_capacity(64);
        match prefix {
            Prefix::None => {}
            Prefix::County => s.push_str(COUNTY),
            Prefix::ProvinceAndCounty => {
                s.push_str(PROVINCE);
                s.push_str(COUNTY);
            }
        }
        s.push_str(TOWNS[self.town as usize].0);
        if granularity == Granularity::Town {
            return s;
        }
        s.push_str(&self.village_name());
        if granularity == Granularity::Village {
            return s;
        }
        if self.is_urban() {
            s.push_str(ROADS[self.street as usize]);
            s.push_str(&format!("{}号", self.number));
        } else {
            s.push_str(&format!("{}组{}号", self.street, self.number));
        }
        if granularity == Granularity::Full && self.building > 0 {
            s.push_str(&format!(
                "{}幢{}单元{}室",
                self.building, self.unit, self.room
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn renders_at_every_granularity() {
        let a = Address {
            town: 0,
            village: 0,
            street: 0,
            number: 12,
            building: 3,
            unit: 2,
            room: 301,
        };
        assert_eq!(
            a.render(Granularity::Full, Prefix::ProvinceAndCounty),
            "浙江省护苗县城关镇东门社区解放路12号3幢2单元301室"
        );
        assert_eq!(
            a.render(Granularity::House, Prefix::None),
            "城关镇东门社区解放路12号"
        );
        assert_eq!(
            a.render(Granularity::Village, Prefix::County),
            "护苗县城关镇东门社区"
        );
        assert_eq!(a.render(Granularity::Town, Prefix::None), "城关镇");
    }

    #[test]
    fn villages_have_groups_not_flats() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..200 {
            let a = Address::random(&mut rng);
            let text = a.render(Granularity::Full, Prefix::None);
            if a.is_urban() {
                assert!(text.contains("社区"), "{text}");
            } else {
                assert!(text.contains('村') && text.contains('组'), "{text}");
                assert!(!text.contains('室'), "{text}");
            }
            assert!(a.nearby(&mut rng).same_village(&a));
        }
    }
}
