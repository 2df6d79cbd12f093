//! Chinese free-text addresses (地址) parsed into administrative and street parts, and how far two
//! addresses agree.
//!
//! The parser is driven by suffixes (省, 市, 县, 镇, 村, 路, 号 …) read left to right, each level
//! after the one before. It is deliberately simple: it must never panic and never invent a part
//! (what it cannot place is dropped), but it does not know place names, so an unusual name that
//! contains a suffix character may be cut in the wrong place. Both records of a pair go through
//! the same rules, so such a cut usually still compares equal.

use super::{half_width, rewrite_in_place, to_simplified};

/// The parts of an address. Each part keeps its suffix ("城关镇", "东门村", "12号"), written in
/// one canonical form so that equal places compare equal:
/// - village committees are written as the village: 东门村委会, 东门村村民委员会 → 东门村;
///   湖滨居委会, 湖滨社区居委会 → 湖滨社区; a town's 街道办事处 → 街道;
/// - a building numbered with 栋 or 号楼 is written 幢 (3栋, 3号楼 → 3幢);
/// - a bare trailing number gets the suffix of its level: 解放路12 → 12号, 12号301 → 301室,
///   and "3-2-301" after a house number is 3幢 / 2单元 / 301室.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressParts {
    pub province: Option<String>,
    pub city: Option<String>,
    pub county: Option<String>,
    pub town: Option<String>,
    pub village: Option<String>,
    pub road: Option<String>,
    pub number: Option<String>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
}

/// How far two addresses agree, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AddressAgreement {
    /// Nothing to compare: either side has no village, road or town at all, or the parts given
    /// do not overlap.
    Unknown,
    /// Town or village present on both and different.
    Conflict,
    /// Same town (乡镇/街道), villages not both known.
    SameTown,
    /// Same village or community (村/社区).
    SameVillage,
    /// Same village-or-road and the same house number (or, where neither has a number, the same
    /// building of the same compound).
    SameRoadNumber,
    /// Also the same building/unit/room where present on both, with at least one of them given.
    SameDwelling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Province,
    City,
    County,
    Town,
    Village,
    Road,
    Number,
    Building,
    Unit,
    Room,
}

/// The suffixes starting with `c` and the level each closes; where one suffix starts another
/// the longer comes first. 市 is not here: whether it closes a city or a county-level city
/// depends on what came before (see `city_level`). Looking suffixes up by their first character
/// keeps the scan to one `match` for most characters of an address.
fn suffixes_starting_with(c: char) -> &'static [(&'static str, Level)] {
    use Level::*;
    match c {
        '特' => &[("特别行政区", Province)],
        '自' => &[("自治区", Province), ("自治州", City), ("自治县", County)],
        '省' => &[("省", Province)],
        '地' => &[("地区", City)],
        '盟' => &[("盟", City)],
        '州' => &[("州", City)],
        '县' => &[("县", County)],
        '旗' => &[("旗", County)],
        '区' => &[("区", County)],
        '街' => &[("街道办事处", Town), ("街道", Town), ("街", Road)],
        '镇' => &[("镇", Town)],
        '乡' => &[("乡", Town)],
        '村' => &[
            ("村民委员会", Village),
            ("村委会", Village),
            ("村", Village),
        ],
        '居' => &[("居民委员会", Village), ("居委会", Village)],
        '社' => &[("社区", Village)],
        // A residential compound numbers its buildings as a road numbers its houses.
        '小' => &[("小区", Road)],
        '大' => &[("大道", Road), ("大街", Road)],
        '胡' => &[("胡同", Road)],
        '路' => &[("路", Road)],
        '巷' => &[("巷", Road)],
        '弄' => &[("弄", Road)],
        '号' => &[("号楼", Building), ("号", Number)],
        '幢' => &[("幢", Building)],
        '栋' => &[("栋", Building)],
        '座' => &[("座", Building)],
        '单' => &[("单元", Unit)],
        '室' => &[("室", Room)],
        _ => &[],
    }
}

/// The suffixes at the start of `text`.
fn suffixes_at(text: &str) -> &'static [(&'static str, Level)] {
    text.chars().next().map_or(&[], suffixes_starting_with)
}

impl AddressParts {
    fn slot(&mut self, level: Level) -> &mut Option<String> {
        match level {
            Level::Province => &mut self.province,
            Level::City => &mut self.city,
            Level::County => &mut self.county,
            Level::Town => &mut self.town,
            Level::Village => &mut self.village,
            Level::Road => &mut self.road,
            Level::Number => &mut self.number,
            Level::Building => &mut self.building,
            Level::Unit => &mut self.unit,
            Level::Room => &mut self.room,
        }
    }

    fn has_place(&self) -> bool {
        self.town.is_some() || self.village.is_some() || self.road.is_some()
    }

    /// The dwelling (one house, or one flat of a building) in one standard spelling, from the
    /// town down to the room: the key of 人房 (people ↔ houses). None when the address does not
    /// reach a house: no house number or building, or no village or road to place it in.
    pub fn dwelling(&self) -> Option<String> {
        if self.number.is_none() && self.building.is_none() {
            return None;
        }
        if self.village.is_none() && self.road.is_none() {
            return None;
        }
        Some(
            [
                &self.town,
                &self.village,
                &self.road,
                &self.number,
                &self.building,
                &self.unit,
                &self.room,
            ]
            .iter()
            .filter_map(|p| p.as_deref())
            .collect(),
        )
    }

    /// How far two addresses agree, for the linker: conflicting town or village first, then the
    /// deepest level on which both agree.
    pub fn agreement(&self, other: &AddressParts) -> AddressAgreement {
        let town = same(&self.town, &other.town);
        let village = same(&self.village, &other.village);
        if town == Some(false) || village == Some(false) {
            return AddressAgreement::Conflict;
        }
        if !self.has_place() || !other.has_place() {
            return AddressAgreement::Unknown;
        }
        // The place a house number counts along: the road when both give one, else the village.
        let place = same(&self.road, &other.road).unwrap_or(village == Some(true));
        if place {
            if let Some(level) = self.house_agreement(other) {
                return level;
            }
        }
        if village == Some(true) {
            AddressAgreement::SameVillage
        } else if town == Some(true) {
            AddressAgreement::SameTown
        } else {
            AddressAgreement::Unknown
        }
    }

    /// On the same village-or-road: the same house (number, or building of a compound where
    /// neither has a number), and whether the dwelling inside it agrees too.
    fn house_agreement(&self, other: &AddressParts) -> Option<AddressAgreement> {
        let building = same(&self.building, &other.building);
        let unit = same(&self.unit, &other.unit);
        let room = same(&self.room, &other.room);
        let inside: &[Option<bool>] = match same(&self.number, &other.number) {
            Some(true) => &[building, unit, room],
            Some(false) => return None,
            None if self.number.is_none() && other.number.is_none() && building == Some(true) => {
                &[unit, room]
            }
            None => return None,
        };
        let no_conflict = !inside.contains(&Some(false));
        let some_agree = inside.contains(&Some(true));
        Some(if no_conflict && some_agree {
            AddressAgreement::SameDwelling
        } else {
            AddressAgreement::SameRoadNumber
        })
    }
}

/// Some(equal) when both are given, None when either is missing.
fn same(a: &Option<String>, b: &Option<String>) -> Option<bool> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x == y),
        _ => None,
    }
}

/// Parses a Chinese free-text address into parts (traditional folded to simplified, full-width to
/// half-width, whitespace removed). Suffix-driven: 省/自治区/市 (as city when after a province or
/// first)/州/盟, county 县/区/市 (county-level)/旗, town 镇/乡/街道, village 村/社区/居委会, road
/// 路/街/巷/弄/大道 (and 小区), number 号, building 幢/栋/号楼/座, unit 单元, room 室 or a trailing
/// number like "301". Anything unparsable goes nowhere; never panics.
///
/// Examples: "浙江省杭州市护苗县城关镇东门村解放路12号3幢2单元301室", "护苗县城关镇东门村12号",
/// "城关镇东门村", "東門村解放路12號".
pub fn parse_address(raw: &str) -> AddressParts {
    let text = rewrite_in_place(to_simplified(raw), |c| {
        let c = half_width(c);
        (!c.is_whitespace()).then_some(c)
    });
    let mut parts = AddressParts::default();
    let mut last: Option<Level> = None;
    let mut start = 0;
    let mut pos = 0;
    while let Some(c) = text[pos..].chars().next() {
        if pos > start && (c == '市' || !suffixes_starting_with(c).is_empty()) {
            match suffix_at(&text[pos..], last, parts.city.is_some()) {
                Suffix::Closes { len, level } => {
                    let end = pos + len;
                    *parts.slot(level) = Some(canonical(level, &text[start..end]));
                    last = Some(level);
                    start = end;
                    pos = end;
                    continue;
                }
                Suffix::Drops { len } => {
                    start = pos + len;
                    pos = start;
                    continue;
                }
                Suffix::InName { len } => {
                    pos += len;
                    continue;
                }
                Suffix::None => {}
            }
        }
        pos += c.len_utf8();
    }
    if start < text.len() {
        trailing_numbers(&text[start..], last, &mut parts);
    }
    parts
}

/// What a suffix at the current position does.
enum Suffix {
    /// Closes a part of this level.
    Closes {
        len: usize,
        level: Level,
    },
    /// Closes a segment that is dropped: a 区 out of order (开发区, 工业区 after a town) is noise,
    /// not the start of the next part's name.
    Drops {
        len: usize,
    },
    /// Belongs to a longer name (the 州 of 杭州市, the 路 of 人民路社区): skipped whole, so its
    /// last character is not read as a suffix on its own (the 区 of 社区).
    InName {
        len: usize,
    },
    None,
}

/// The suffix at the start of `rest`, if any, and what it does here.
fn suffix_at(rest: &str, last: Option<Level>, has_city: bool) -> Suffix {
    let in_order = |level: Level| last.is_none_or(|l| level > l);
    if let Some(after) = rest.strip_prefix('市') {
        let len = '市'.len_utf8();
        let level = city_level(last, has_city);
        return if glued(after, level, "市") {
            Suffix::InName { len }
        } else if in_order(level) {
            Suffix::Closes { len, level }
        } else {
            Suffix::None
        };
    }
    for &(suffix, level) in suffixes_at(rest) {
        let Some(after) = rest.strip_prefix(suffix) else {
            continue;
        };
        let len = suffix.len();
        if glued(after, level, suffix) {
            return Suffix::InName { len };
        }
        if in_order(level) {
            return Suffix::Closes { len, level };
        }
        if suffix == "区" {
            return Suffix::Drops { len };
        }
    }
    Suffix::None
}

/// 市 closes the city when it comes first or right after a province, else a county-level city.
fn city_level(last: Option<Level>, has_city: bool) -> Level {
    if !has_city && last.is_none_or(|l| l <= Level::Province) {
        Level::City
    } else {
        Level::County
    }
}

/// Whether the suffix just matched is really part of a longer name:
/// - 杭州市, 通州区, 株洲县: a suffix character of a higher level right before 市/区/县;
/// - 新市镇, 东市村, 东市街, 农贸市场: 市 inside a town, village or road name;
/// - 人民路社区, 新村路, 新村社区, 中山路街道, 东门村村委会: a village or road named after
///   another village, road or town ("人民路" is the name of the 社区). A repeated suffix
///   ("城关镇村头村" has 镇 then 村, "东门村村头" 村 then 村) does not glue: it starts the next name.
fn glued(after: &str, level: Level, suffix: &str) -> bool {
    let starts_with_place = |levels: &[Level]| {
        suffixes_at(after).iter().any(|&(next, next_level)| {
            levels.contains(&next_level) && next != suffix && after.starts_with(next)
        })
    };
    if level <= Level::Town && after.starts_with(['市', '区', '县']) {
        return true;
    }
    if suffix == "市" {
        return after.starts_with('场')
            || starts_with_place(&[Level::Town, Level::Village, Level::Road]);
    }
    matches!(level, Level::Village | Level::Road)
        && starts_with_place(&[Level::Town, Level::Village, Level::Road])
}

/// One canonical spelling per level (see [`AddressParts`]).
fn canonical(level: Level, part: &str) -> String {
    match level {
        Level::Town => match part.strip_suffix("办事处") {
            Some(base) if base.ends_with("街道") => base.to_string(),
            _ => part.to_string(),
        },
        Level::Village => {
            for (committee, place) in [
                ("村民委员会", "村"),
                ("村委会", "村"),
                ("居民委员会", "社区"),
                ("居委会", "社区"),
            ] {
                if let Some(base) = part.strip_suffix(committee) {
                    if base.is_empty() {
                        break;
                    }
                    return if base.ends_with(place) {
                        base.to_string()
                    } else {
                        format!("{base}{place}")
                    };
                }
            }
            part.to_string()
        }
        Level::Building => {
            let base = part
                .strip_suffix("号楼")
                .or_else(|| part.strip_suffix('栋'));
            match base {
                Some(base)
                    if !base.is_empty() && base.bytes().all(|b| b.is_ascii_alphanumeric()) =>
                {
                    format!("{base}幢")
                }
                _ => part.to_string(),
            }
        }
        _ => part.to_string(),
    }
}

/// What is left after the last suffix: a bare house or room number ("解放路12", "12号301") or the
/// short form building-unit-room ("12号3-2-301"). Anything else is dropped.
fn trailing_numbers(tail: &str, last: Option<Level>, parts: &mut AddressParts) {
    if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) {
        let (level, suffix) = match last {
            Some(l) if l >= Level::Room => return,
            Some(l) if l >= Level::Number => (Level::Room, "室"),
            _ => (Level::Number, "号"),
        };
        *parts.slot(level) = Some(format!("{tail}{suffix}"));
        return;
    }
    let mut numbers = tail.split('-');
    if let (Some(b), Some(u), Some(r), None) = (
        numbers.next(),
        numbers.next(),
        numbers.next(),
        numbers.next(),
    ) {
        let all_digits = [b, u, r]
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|x| x.is_ascii_digit()));
        if all_digits && last.is_none_or(|l| l < Level::Building) {
            parts.building = Some(format!("{b}幢"));
            parts.unit = Some(format!("{u}单元"));
            parts.room = Some(format!("{r}室"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parts(
        [province, city, county, town, village, road, number, building, unit, room]: [&str; 10],
    ) -> AddressParts {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        AddressParts {
            province: some(province),
            city: some(city),
            county: some(county),
            town: some(town),
            village: some(village),
            road: some(road),
            number: some(number),
            building: some(building),
            unit: some(unit),
            room: some(room),
        }
    }

    #[test]
    fn a_full_address_fills_every_part() {
        assert_eq!(
            parse_address("浙江省杭州市护苗县城关镇东门村解放路12号3幢2单元301室"),
            parts([
                "浙江省",
                "杭州市",
                "护苗县",
                "城关镇",
                "东门村",
                "解放路",
                "12号",
                "3幢",
                "2单元",
                "301室"
            ])
        );
    }

    #[test]
    fn the_documented_short_forms() {
        assert_eq!(
            parse_address("护苗县城关镇东门村12号"),
            parts(["", "", "护苗县", "城关镇", "东门村", "", "12号", "", "", ""])
        );
        assert_eq!(
            parse_address("城关镇东门村"),
            parts(["", "", "", "城关镇", "东门村", "", "", "", "", ""])
        );
        assert_eq!(
            parse_address("東門村解放路12號"),
            parts(["", "", "", "", "东门村", "解放路", "12号", "", "", ""])
        );
    }

    #[test]
    fn whitespace_and_full_width_forms_are_ignored() {
        assert_eq!(
            parse_address(" 城关镇　东门村 解放路１２号 ３幢 "),
            parse_address("城关镇东门村解放路12号3幢")
        );
    }

    #[test]
    fn city_and_county_level_cities() {
        let a = parse_address("浙江省金华市义乌市佛堂镇");
        assert_eq!(a.city.as_deref(), Some("金华市"));
        assert_eq!(a.county.as_deref(), Some("义乌市"));
        assert_eq!(a.town.as_deref(), Some("佛堂镇"));
        let b = parse_address("北京市朝阳区");
        assert_eq!(b.city.as_deref(), Some("北京市"));
        assert_eq!(b.county.as_deref(), Some("朝阳区"));
        let c = parse_address("广西壮族自治区南宁市青秀区");
        assert_eq!(c.province.as_deref(), Some("广西壮族自治区"));
        assert_eq!(c.city.as_deref(), Some("南宁市"));
        let d = parse_address("湖北省恩施土家族苗族自治州恩施市");
        assert_eq!(d.city.as_deref(), Some("恩施土家族苗族自治州"));
        assert_eq!(d.county.as_deref(), Some("恩施市"));
        let e = parse_address("内蒙古自治区锡林郭勒盟正蓝旗上都镇");
        assert_eq!(e.city.as_deref(), Some("锡林郭勒盟"));
        assert_eq!(e.county.as_deref(), Some("正蓝旗"));
        assert_eq!(e.town.as_deref(), Some("上都镇"));
    }

    #[test]
    fn suffix_characters_inside_names() {
        // 州 inside 杭州市, 县 before 城关镇, 市 in a village name, 村 in a road name.
        assert_eq!(parse_address("杭州市").city.as_deref(), Some("杭州市"));
        assert_eq!(
            parse_address("护苗县城关镇").county.as_deref(),
            Some("护苗县")
        );
        let a = parse_address("东市村解放路3号");
        assert_eq!((a.city, a.village.as_deref()), (None, Some("东市村")));
        let b = parse_address("城关镇新村路8号");
        assert_eq!(b.village, None);
        assert_eq!(b.road.as_deref(), Some("新村路"));
        assert_eq!(b.number.as_deref(), Some("8号"));
        let c = parse_address("城关街道人民路社区");
        assert_eq!(c.town.as_deref(), Some("城关街道"));
        assert_eq!(c.village.as_deref(), Some("人民路社区"));
        assert_eq!(c.road, None);
        let d = parse_address("城关镇镇海路5号");
        assert_eq!(d.town.as_deref(), Some("城关镇"));
        assert_eq!(d.road.as_deref(), Some("镇海路"));
        let e = parse_address("护苗县中山路街道");
        assert_eq!(e.town.as_deref(), Some("中山路街道"));
        let f = parse_address("新市镇");
        assert_eq!((f.city, f.town.as_deref()), (None, Some("新市镇")));
        let g = parse_address("城关镇村头村");
        assert_eq!(g.village.as_deref(), Some("村头村"));
    }

    #[test]
    fn committees_are_written_as_their_village() {
        for (raw, village) in [
            ("城关镇东门村委会", "东门村"),
            ("城关镇东门村村委会", "东门村"),
            ("城关镇东门村民委员会", "东门村"),
            ("城关镇东门村村民委员会", "东门村"),
            ("城关镇湖滨社区居委会", "湖滨社区"),
            ("城关镇湖滨居委会", "湖滨社区"),
            ("城关镇湖滨居民委员会", "湖滨社区"),
            ("城关镇新村社区", "新村社区"),
        ] {
            assert_eq!(
                parse_address(raw).village.as_deref(),
                Some(village),
                "{raw}"
            );
        }
        assert_eq!(
            parse_address("城关街道办事处东门村").town.as_deref(),
            Some("城关街道")
        );
    }

    #[test]
    fn buildings_units_and_rooms() {
        let a = parse_address("解放路12号301");
        assert_eq!(a.number.as_deref(), Some("12号"));
        assert_eq!(a.room.as_deref(), Some("301室"));
        let b = parse_address("解放路12");
        assert_eq!(b.number.as_deref(), Some("12号"));
        let c = parse_address("解放路12号3-2-301");
        assert_eq!(
            (c.building.as_deref(), c.unit.as_deref(), c.room.as_deref()),
            (Some("3幢"), Some("2单元"), Some("301室"))
        );
        for raw in ["解放路12号3栋", "解放路12号3号楼", "解放路12号3幢"] {
            assert_eq!(parse_address(raw).building.as_deref(), Some("3幢"), "{raw}");
        }
        assert_eq!(
            parse_address("解放路12号A座").building.as_deref(),
            Some("A座")
        );
        let d = parse_address("城关镇阳光小区3幢2单元502室");
        assert_eq!(d.road.as_deref(), Some("阳光小区"));
        assert_eq!(d.building.as_deref(), Some("3幢"));
        assert_eq!(d.room.as_deref(), Some("502室"));
        let e = parse_address("3幢201");
        assert_eq!(e.room.as_deref(), Some("201室"));
    }

    #[test]
    fn unparsable_text_goes_nowhere() {
        assert_eq!(parse_address(""), AddressParts::default());
        assert_eq!(parse_address("不详"), AddressParts::default());
        assert_eq!(parse_address("省"), AddressParts::default());
        let a = parse_address("护苗县城关镇东门村3组");
        assert_eq!(a.village.as_deref(), Some("东门村"));
        assert_eq!(a.number, None);
        // An industrial zone after the town is dropped, not glued to the village.
        let b = parse_address("护苗县城关镇经济开发区东门村");
        assert_eq!(b.village.as_deref(), Some("东门村"));
    }

    #[test]
    fn agreement_levels() {
        let full = parse_address("城关镇东门村解放路12号3幢2单元301室");
        let house = parse_address("城关镇东门村解放路12号");
        let village = parse_address("城关镇东门村");
        let other_village = parse_address("城关镇西山村");
        let other_town = parse_address("青溪镇东门村");
        let town = parse_address("城关镇");
        use AddressAgreement::*;
        assert_eq!(full.agreement(&full), SameDwelling);
        assert_eq!(full.agreement(&house), SameRoadNumber);
        assert_eq!(full.agreement(&village), SameVillage);
        assert_eq!(village.agreement(&other_village), Conflict);
        assert_eq!(village.agreement(&other_town), Conflict);
        assert_eq!(village.agreement(&town), SameTown);
        assert_eq!(town.agreement(&AddressParts::default()), Unknown);
        assert_eq!(
            parse_address("护苗县").agreement(&parse_address("护苗县")),
            Unknown
        );
        // A short form against the full one: the same dwelling.
        assert_eq!(
            full.agreement(&parse_address("東門村解放路12號3-2-301")),
            SameDwelling
        );
        // Same house, another flat: same number, not the same dwelling.
        assert_eq!(
            full.agreement(&parse_address("城关镇东门村解放路12号3幢2单元302室")),
            SameRoadNumber
        );
        // The building alone decides the dwelling; another building is the same house only.
        let building = parse_address("城关镇东门村解放路12号3幢");
        assert_eq!(building.agreement(&building), SameDwelling);
        assert_eq!(
            building.agreement(&parse_address("城关镇东门村解放路12号5幢")),
            SameRoadNumber
        );
        // Another house on the same road in the same village.
        assert_eq!(
            house.agreement(&parse_address("城关镇东门村解放路14号")),
            SameVillage
        );
        // House numbers counted in the village when no road is given.
        assert_eq!(
            parse_address("护苗县城关镇东门村12号").agreement(&parse_address("东门村12号")),
            SameRoadNumber
        );
        // A compound's building stands in for the house number.
        assert_eq!(
            parse_address("阳光小区3幢2单元301室")
                .agreement(&parse_address("城关镇阳光小区3栋2单元301室")),
            SameDwelling
        );
        // Town only on one side and village only on the other: nothing to compare.
        assert_eq!(town.agreement(&parse_address("东门村")), Unknown);
    }

    #[test]
    fn agreement_is_ordered_weakest_first() {
        use AddressAgreement::*;
        assert!(Unknown < Conflict && Conflict < SameTown && SameTown < SameVillage);
        assert!(SameVillage < SameRoadNumber && SameRoadNumber < SameDwelling);
    }

    const TOWNS: [&str; 5] = ["城关镇", "青溪镇", "梅岭乡", "文昌街道", "东湖街道"];
    const VILLAGES: [&str; 5] = ["东门村", "西山村", "湖滨社区", "长春村", "李家坞村"];
    const ROADS: [&str; 5] = ["解放路", "兴业大道", "东风巷", "幸福弄", "和平街"];

    fn arb_parts() -> impl Strategy<Value = AddressParts> {
        let pick = |pool: &'static [&'static str]| {
            proptest::option::of(proptest::sample::select(pool).prop_map(str::to_string))
        };
        let numbered = |suffix: &'static str| {
            proptest::option::of((1u32..500).prop_map(move |n| format!("{n}{suffix}")))
        };
        (
            proptest::option::of(Just("浙江省".to_string())),
            proptest::option::of(Just("护苗县".to_string())),
            pick(&TOWNS),
            pick(&VILLAGES),
            pick(&ROADS),
            numbered("号"),
            numbered("幢"),
            numbered("单元"),
            numbered("室"),
        )
            .prop_map(
                |(province, county, town, village, road, number, building, unit, room)| {
                    AddressParts {
                        province,
                        city: None,
                        county,
                        town,
                        village,
                        road,
                        number,
                        building,
                        unit,
                        room,
                    }
                },
            )
    }

    fn written(p: &AddressParts) -> String {
        [
            &p.province,
            &p.city,
            &p.county,
            &p.town,
            &p.village,
            &p.road,
            &p.number,
            &p.building,
            &p.unit,
            &p.room,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect()
    }

    proptest! {
        #[test]
        fn written_parts_parse_back(p in arb_parts()) {
            let text = written(&p);
            prop_assert_eq!(parse_address(&text), p.clone(), "{}", text);
            if p.town.is_some() || p.village.is_some() {
                prop_assert!(p.agreement(&parse_address(&text)) >= AddressAgreement::SameTown);
            }
        }

        #[test]
        fn agreement_is_symmetric(a in arb_parts(), b in arb_parts()) {
            prop_assert_eq!(a.agreement(&b), b.agreement(&a));
        }

        #[test]
        fn never_panics(raw in "\\PC{0,40}") {
            let _ = parse_address(&raw);
        }

        #[test]
        fn never_panics_on_suffix_soup(raw in "[省市县区镇乡村路街号幢栋单元室小大道社居委会办事处0-9１２ 东西\\-]{0,30}") {
            let a = parse_address(&raw);
            let _ = a.agreement(&parse_address(&raw.chars().rev().collect::<String>()));
        }
    }
}
