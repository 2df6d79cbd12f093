//! The fictitious county 护苗县 (330199): towns, villages and communities, grids, addresses.
//!
//! Codes follow the statistical convention: towns 001–099 are 街道, 101–199 镇, 201–299 乡;
//! villages 001–199 are 居委会 (社区, urban), 201–399 村委会 (村, rural). County digits 99 make the
//! code obviously fictitious.

use humiao_core::geo::GeoPoint;
use humiao_core::{Region, RegionCode};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub(crate) const COUNTY_CODE: &str = "330199000000";
pub(crate) const COUNTY_NAME: &str = "护苗县";
/// Address code of the county in citizen IDs.
pub(crate) const COUNTY_ID_PREFIX: &str = "330199";
pub(crate) const PROVINCE_NAME: &str = "浙江省";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TownKind {
    Street,
    Town,
    Township,
}

pub(crate) struct Town {
    pub code: String,
    pub name: String,
    pub kind: TownKind,
}

impl Town {
    /// The name without its 街道/镇/乡 suffix, for school names.
    pub fn short(&self) -> &str {
        self.name
            .strip_suffix("街道")
            .or_else(|| self.name.strip_suffix('镇'))
            .or_else(|| self.name.strip_suffix('乡'))
            .unwrap_or(&self.name)
    }
}

pub(crate) struct Grid {
    pub code: String,
    pub name: String,
}

pub(crate) struct Village {
    pub code: String,
    pub name: String,
    pub town: usize,
    pub rural: bool,
    pub grids: Vec<Grid>,
    /// Streets of a community, for addresses; empty for a village.
    pub roads: Vec<&'static str>,
    /// Next household serial, for 户号.
    pub next_household: u32,
    /// A made-up reference point (centroid), against which visits' positions are checked.
    pub centre: GeoPoint,
}

pub(crate) struct Places {
    pub towns: Vec<Town>,
    pub villages: Vec<Village>,
}

const TOWNS: &[(&str, &str, TownKind)] = &[
    ("001", "城关街道", TownKind::Street),
    ("002", "文昌街道", TownKind::Street),
    ("101", "青溪镇", TownKind::Town),
    ("102", "白石镇", TownKind::Town),
    ("103", "双河镇", TownKind::Town),
    ("201", "梅岭乡", TownKind::Township),
];

const VILLAGE_NAMES: &[&str] = &[
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
];
const COMMUNITY_NAMES: &[&str] = &[
    "新华",
    "文昌",
    "人民路",
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
];
const ROADS: &[&str] = &[
    "人民路",
    "解放路",
    "文化路",
    "建设路",
    "新华路",
    "中山路",
    "府前街",
    "学院路",
    "滨江路",
    "胜利路",
    "环城东路",
    "环城西路",
    "青年路",
    "体育场路",
    "健康路",
    "花园街",
];
const GRID_ORDINALS: &[&str] = &["一", "二", "三", "四"];

/// The county seat's made-up position: somewhere in northern Zhejiang, on no real place.
const COUNTY_SEAT: (f64, f64) = (30.0, 120.5);
/// Each town's seat from the county seat, in km (north, east), by the order of [`TOWNS`]: the
/// two 街道 in the centre, the 镇 and the 乡 around it.
const TOWN_OFFSETS_KM: [(f64, f64); 6] = [
    (0.0, 0.0),
    (1.5, 2.5),
    (12.0, -3.0),
    (-4.0, 13.0),
    (-13.0, -2.0),
    (5.0, -16.0),
];

/// A village's reference point: the `k`-th of its town on a sunflower spiral around the town's
/// seat, about 1.5–2.5 km from its neighbours (communities of a 街道 closer together). Derived
/// from positions only, so the rest of the county does not depend on it. In a county scaled up
/// (see [`Scale`]) the towns lie further apart, as their spirals are wider, and each further
/// set of towns lies east of the one before.
fn village_centre(town: usize, k: usize, street: bool, scale: &Scale) -> GeoPoint {
    const KM_PER_DEGREE: f64 = 111.195;
    // The spirals grow with the square root of their villages; the towns move apart twice as
    // fast, so that the two 街道, side by side in the base county, do not overlap.
    let spread = match scale.per_town {
        1 => 1.0,
        n => 2.0 * (n as f64).sqrt(),
    };
    let set = (town / TOWNS.len()) as f64;
    let (north0, east0) = TOWN_OFFSETS_KM[town % TOWN_OFFSETS_KM.len()];
    let (north0, east0) = (north0 * spread, east0 * spread + set * SET_SPAN_KM * spread);
    let spacing = if street { 0.9 } else { 1.4 };
    let r = spacing * ((k + 1) as f64).sqrt();
    let angle = (k as f64 * 137.508).to_radians();
    let (north, east) = (north0 + r * angle.cos(), east0 + r * angle.sin());
    let lat = COUNTY_SEAT.0 + north / KM_PER_DEGREE;
    let lon = COUNTY_SEAT.1 + east / (KM_PER_DEGREE * lat.to_radians().cos());
    // Six decimals (about 0.1 m), as a register would keep them.
    let round = |v: f64| (v * 1e6).round() / 1e6;
    GeoPoint::new(round(lat), round(lon)).expect("near the county seat")
}

/// How much bigger than the base county (six towns of five to eight villages) a county of
/// many children is, so that a village keeps about as many children as a real one (a few
/// hundred, one child director each) instead of every village growing: up to
/// [`CHILDREN_PER_SET`] children the base county; beyond, `per_town` times the villages per
/// town, in `sets` copies of the six towns (a 600,000-children county: 2 sets of 15 times the
/// villages, about 1,200 villages).
pub(crate) struct Scale {
    pub sets: usize,
    pub per_town: usize,
}

/// Children the base county holds at a realistic few hundred per village.
const CHILDREN_PER_SET: usize = 20_000;
/// At most this many times the villages per town, which keeps a town's village serials within
/// their ranges (001–199 communities, 201–399 villages: 8 × 20 = 160).
const MAX_PER_TOWN: usize = 20;
/// How far east each further set of towns lies, in km (before spreading).
const SET_SPAN_KM: f64 = 40.0;

impl Scale {
    pub(crate) fn for_children(children: usize) -> Scale {
        let factor = children.div_ceil(CHILDREN_PER_SET).max(1);
        let sets = factor.div_ceil(MAX_PER_TOWN);
        Scale {
            sets,
            per_town: factor.div_ceil(sets),
        }
    }
}

/// Names beyond a pool: the pool's names again with a distinguishing word, as neighbouring
/// villages are often told apart (上塘东村, 新华新社区); numbered when those run out too.
const NAME_VARIANTS: &[&str] = &[
    "东", "西", "南", "北", "中", "新", "前", "后", "上", "下", "大", "小", "东风", "红星", "光明",
    "向阳", "建设", "永安", "长安", "和谐", "丰收", "民主", "团结", "胜利", "友谊", "朝阳", "五星",
    "青年", "太平", "兴隆",
];

/// Draws names from a shuffled pool; when it is empty, the `n`-th further name is a pool name
/// with a variant word (all pool names with the first word, then with the second, …).
struct NamePool {
    pool: Vec<&'static str>,
    stems: Vec<&'static str>,
    further: usize,
}

impl NamePool {
    fn new(names: &[&'static str], rng: &mut ChaCha8Rng) -> NamePool {
        let mut pool = names.to_vec();
        pool.shuffle(rng);
        NamePool {
            stems: pool.clone(),
            pool,
            further: 0,
        }
    }

    fn next(&mut self) -> String {
        if let Some(name) = self.pool.pop() {
            return name.to_string();
        }
        let n = self.further;
        self.further += 1;
        let stem = self.stems[n % self.stems.len()];
        let round = n / self.stems.len();
        match NAME_VARIANTS.get(round) {
            Some(variant) => format!("{stem}{variant}"),
            None => format!("{stem}{}", round + 1),
        }
    }
}

/// More towns for a scaled county's further sets: name stems with no 街道/镇/乡 suffix.
const FURTHER_TOWN_NAMES: &[&str] = &[
    "凤鸣", "龙泉", "清源", "安仁", "永和", "古城", "云溪", "江口", "桐岭", "丰乐", "长乐", "兴仁",
    "望湖", "石塘", "金溪", "玉泉", "大桥", "新安", "平湖", "松阳", "横山", "莲花", "黄岭", "天台",
    "秀水", "仙居", "南湖", "北山", "东溪", "西湖", "三门", "九龙", "临江",
];

/// The towns of a scaled county: the six of [`TOWNS`], then for each further set six more of
/// the same kinds with the next serials of their kind and names from [`FURTHER_TOWN_NAMES`].
fn towns(scale: &Scale) -> Vec<(String, String, TownKind)> {
    let mut out: Vec<(String, String, TownKind)> = TOWNS
        .iter()
        .map(|(serial, name, kind)| (serial.to_string(), name.to_string(), *kind))
        .collect();
    let mut further = FURTHER_TOWN_NAMES.iter().cycle();
    for set in 1..scale.sets {
        for (serial, _, kind) in TOWNS {
            let per_kind = TOWNS.iter().filter(|t| t.2 == *kind).count();
            let serial = serial.parse::<usize>().expect("numeric serial") + set * per_kind;
            let suffix = match kind {
                TownKind::Street => "街道",
                TownKind::Town => "镇",
                TownKind::Township => "乡",
            };
            let stem = further.next().expect("cycled");
            out.push((format!("{serial:03}"), format!("{stem}{suffix}"), *kind));
        }
    }
    out
}

pub(crate) fn build(rng: &mut ChaCha8Rng, children: usize) -> Places {
    let scale = Scale::for_children(children);
    let mut village_pool = NamePool::new(VILLAGE_NAMES, rng);
    let mut community_pool = NamePool::new(COMMUNITY_NAMES, rng);
    let mut towns = Vec::new();
    let mut villages = Vec::new();
    for (t, (serial, name, kind)) in self::towns(&scale).into_iter().enumerate() {
        let town_code = format!("{}{serial}000", &COUNTY_CODE[..6]);
        let total = rng.gen_range(5..=8usize) * scale.per_town;
        let communities = match kind {
            TownKind::Street => total,
            TownKind::Town => rng.gen_range(1..=2) * scale.per_town,
            TownKind::Township => 0,
        };
        for i in 0..total {
            let rural = i >= communities;
            let (code_serial, name) = if rural {
                (
                    201 + (i - communities),
                    format!("{}村", village_pool.next()),
                )
            } else {
                (1 + i, format!("{}社区", community_pool.next()))
            };
            let code = format!("{}{serial}{code_serial:03}", &COUNTY_CODE[..6]);
            let grid_count = rng.gen_range(2..=4usize);
            let grids = (0..grid_count)
                .map(|g| Grid {
                    code: format!("{code}{:03}", g + 1),
                    name: format!("{name}第{}网格", GRID_ORDINALS[g]),
                })
                .collect();
            let roads = if rural {
                Vec::new()
            } else {
                let mut r: Vec<&'static str> = ROADS.to_vec();
                r.shuffle(rng);
                r.truncate(3);
                r
            };
            villages.push(Village {
                code,
                name,
                town: t,
                rural,
                grids,
                roads,
                next_household: 1,
                centre: village_centre(t, i, kind == TownKind::Street, &scale),
            });
        }
        towns.push(Town {
            code: town_code,
            name,
            kind,
        });
    }
    Places { towns, villages }
}

impl Places {
    /// County, then each town followed by its villages, each village followed by its grids.
    pub(crate) fn regions(&self) -> Vec<Region> {
        let region = |code: &str, name: &str, rural: bool| Region {
            code: RegionCode::parse(code).expect("generated codes are valid"),
            name: name.to_string(),
            rural,
            centre: None,
        };
        let mut out = vec![region(COUNTY_CODE, COUNTY_NAME, false)];
        for (t, town) in self.towns.iter().enumerate() {
            out.push(region(
                &town.code,
                &town.name,
                town.kind != TownKind::Street,
            ));
            for village in self.villages.iter().filter(|v| v.town == t) {
                // Villages carry the reference point; their grids use it.
                out.push(Region {
                    centre: Some(village.centre),
                    ..region(&village.code, &village.name, village.rural)
                });
                for grid in &village.grids {
                    out.push(region(&grid.code, &grid.name, village.rural));
                }
            }
        }
        out
    }

    pub(crate) fn grid_count(&self) -> usize {
        self.villages.iter().map(|v| v.grids.len()).sum()
    }

    /// A new household number (户号) in a village: town serial, village serial, 4-digit serial.
    pub(crate) fn next_household_no(&mut self, village: usize) -> String {
        let v = &mut self.villages[village];
        let serial = v.next_household;
        v.next_household += 1;
        format!("{}{serial:04}", &v.code[6..12])
    }

    /// A made-up street address in the village or community, with province and county.
    pub(crate) fn address(&self, rng: &mut ChaCha8Rng, village: usize) -> String {
        let v = &self.villages[village];
        let town = &self.towns[v.town].name;
        if v.rural {
            format!(
                "{PROVINCE_NAME}{COUNTY_NAME}{town}{}{}组{}号",
                v.name,
                rng.gen_range(1..=9),
                rng.gen_range(1..=88)
            )
        } else {
            let road = v.roads.choose(rng).copied().unwrap_or("人民路");
            format!(
                "{PROVINCE_NAME}{COUNTY_NAME}{town}{}{road}{}号{}幢{}单元{}{:02}室",
                v.name,
                rng.gen_range(1..=300),
                rng.gen_range(1..=20),
                rng.gen_range(1..=3),
                rng.gen_range(1..=18),
                rng.gen_range(1..=4)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use humiao_core::RegionLevel;
    use rand::SeedableRng;

    #[test]
    fn the_tree_is_valid_and_parents_come_first() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let places = build(&mut rng, 5_000);
        let regions = places.regions();
        assert_eq!(regions[0].level(), RegionLevel::County);
        let mut seen = std::collections::BTreeSet::new();
        for r in &regions {
            if let Some(parent) = r.code.parent() {
                assert!(seen.contains(&parent), "{} before its parent", r.code);
            }
            assert!(seen.insert(r.code.clone()), "duplicate {}", r.code);
        }
        assert!(places.villages.iter().any(|v| v.rural));
        assert!(places.villages.iter().any(|v| !v.rural));
    }

    /// How far, in metres, the nearest other village's point lies from `v`'s.
    fn nearest_village_m(places: &Places, v: &Village) -> f64 {
        places
            .villages
            .iter()
            .filter(|o| o.code != v.code)
            .map(|o| v.centre.distance_m(o.centre))
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn villages_have_points_a_few_km_apart_around_the_county_seat() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let places = build(&mut rng, 5_000);
        let seat = GeoPoint::new(COUNTY_SEAT.0, COUNTY_SEAT.1).unwrap();
        let regions = places.regions();
        for v in &places.villages {
            assert!(
                seat.distance_m(v.centre) < 25_000.0,
                "{} {:?}",
                v.name,
                v.centre
            );
            let nearest = nearest_village_m(&places, v);
            assert!(
                (500.0..6_000.0).contains(&nearest),
                "{}: nearest village {nearest:.0} m",
                v.name
            );
            let region = regions.iter().find(|r| r.code.as_str() == v.code).unwrap();
            assert_eq!(region.centre, Some(v.centre));
        }
        assert!(regions
            .iter()
            .filter(|r| r.level() == RegionLevel::Grid)
            .all(|r| r.centre.is_none()));
    }

    #[test]
    fn a_county_of_many_children_has_more_villages_not_bigger_ones() {
        assert_eq!(Scale::for_children(5_000).per_town, 1);
        assert_eq!(Scale::for_children(20_000).sets, 1);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let base = build(&mut rng, 20_000).villages.len();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let places = build(&mut rng, 600_000);
        assert_eq!(places.towns.len(), 12);
        let per_village = 600_000 / places.villages.len();
        assert!(
            (300..=800).contains(&per_village),
            "{} villages, {per_village} children each (base county {base})",
            places.villages.len()
        );
        let regions = places.regions();
        let mut seen = std::collections::BTreeSet::new();
        for r in &regions {
            if let Some(parent) = r.code.parent() {
                assert!(seen.contains(&parent), "{} before its parent", r.code);
            }
            assert!(seen.insert(r.code.clone()), "duplicate {}", r.code);
        }
        let names: std::collections::BTreeSet<&str> =
            places.villages.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names.len(), places.villages.len(), "village names repeat");
        // Neighbouring villages stay a realistic distance apart: the spirals do not overlap.
        for v in &places.villages {
            let nearest = nearest_village_m(&places, v);
            assert!(
                (500.0..6_000.0).contains(&nearest),
                "{}: {nearest:.0} m",
                v.name
            );
        }
    }
}
