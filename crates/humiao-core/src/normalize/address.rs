//! Chinese free-text addresses parsed into administrative and street parts.

use super::half_width;
use super::name::to_simplified;

/// The parts of an address; each keeps its suffix ("城关镇", "东门村", "12号").
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

/// How far two addresses agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AddressAgreement {
    /// Not enough on one side to say.
    Unknown,
    /// Town or village given on both sides and different.
    Conflict,
    SameTown,
    SameVillage,
    /// Same village or road and the same house number.
    SameRoadNumber,
    /// Also the same building, unit and room where given.
    SameDwelling,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

/// Suffixes by level, longest first where one ends another.
const SUFFIXES: &[(&str, Level)] = &[
    ("特别行政区", Level::Province),
    ("自治区", Level::Province),
    ("省", Level::Province),
    ("自治州", Level::City),
    ("地区", Level::City),
    ("盟", Level::City),
    ("州", Level::City),
    ("自治县", Level::County),
    ("县", Level::County),
    ("旗", Level::County),
    ("区", Level::County),
    ("街道办事处", Level::Town),
    ("街道", Level::Town),
    ("镇", Level::Town),
    ("乡", Level::Town),
    ("居委会", Level::Village),
    ("村委会", Level::Village),
    ("社区", Level::Village),
    ("村", Level::Village),
    ("大道", Level::Road),
    ("路", Level::Road),
    ("街", Level::Road),
    ("巷", Level::Road),
    ("弄", Level::Road),
    ("号楼", Level::Building),
    ("幢", Level::Building),
    ("栋", Level::Building),
    ("座", Level::Building),
    ("单元", Level::Unit),
    ("室", Level::Room),
    ("号", Level::Number),
];

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

    /// How far two addresses agree (see [`AddressAgreement`]).
    pub fn agreement(&self, other: &AddressParts) -> AddressAgreement {
        fn same(a: &Option<String>, b: &Option<String>) -> Option<bool> {
            match (a, b) {
                (Some(x), Some(y)) => Some(x == y),
                _ => None,
            }
        }
        if same(&self.town, &other.town) == Some(false)
            || same(&self.village, &other.village) == Some(false)
        {
            return AddressAgreement::Conflict;
        }
        let place_same = same(&self.road, &other.road)
            .or_else(|| same(&self.village, &other.village))
            .unwrap_or(false);
        if place_same && same(&self.number, &other.number) == Some(true) {
            let rest = [
                same(&self.building, &other.building),
                same(&self.unit, &other.unit),
                same(&self.room, &other.room),
            ];
            if rest.iter().all(|r| *r != Some(false)) && rest.iter().any(|r| r.is_some()) {
                return AddressAgreement::SameDwelling;
            }
            if rest.iter().all(|r| *r != Some(false)) {
                return AddressAgreement::SameRoadNumber;
            }
        }
        if same(&self.village, &other.village) == Some(true) {
            return AddressAgreement::SameVillage;
        }
        if same(&self.town, &other.town) == Some(true) {
            return AddressAgreement::SameTown;
        }
        AddressAgreement::Unknown
    }
}

/// Parses a free-text address. Never panics; what it cannot place is left out.
pub fn parse_address(raw: &str) -> AddressParts {
    let half: String = raw
        .chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace())
        .collect();
    let text = to_simplified(&half);
    let mut parts = AddressParts::default();
    let mut last = None::<Level>;
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, _) = chars[i];
        let rest = &text[pos..];
        let found = SUFFIXES.iter().find(|(suffix, level)| {
            rest.starts_with(suffix)
                // A suffix closes a part only after some text, and only in order.
                && pos > start
                && last.is_none_or(|l| *level > l)
                // 杭州市, 通州区: the suffix character is part of a longer name.
                && !rest[suffix.len()..].starts_with(['市', '区', '县', '镇', '路', '街'])
        });
        let city_mark = rest.starts_with('市') && pos > start;
        if let Some((suffix, level)) = found {
            let end = pos + suffix.len();
            let value = text[start..end].to_string();
            *parts.slot(*level) = Some(value);
            last = Some(*level);
            start = end;
            i = chars.partition_point(|(p, _)| *p < end);
            continue;
        }
        if city_mark && last.is_none_or(|l| l < Level::County) {
            // 市: a city after a province (or first), else a county-level city.
            let end = pos + '市'.len_utf8();
            let value = text[start..end].to_string();
            let level = if parts.city.is_none() && last.is_none_or(|l| l <= Level::Province) {
                Level::City
            } else {
                Level::County
            };
            *parts.slot(level) = Some(value);
            last = Some(level);
            start = end;
            i += 1;
            continue;
        }
        i += 1;
    }
    // A trailing bare number after a house number is a room ("12号301").
    if start < text.len() {
        let tail = &text[start..];
        if tail.chars().all(|c| c.is_ascii_digit()) {
            let level = match last {
                Some(l) if l >= Level::Number => Level::Room,
                _ => Level::Number,
            };
            if parts.slot(level).is_none() {
                *parts.slot(level) = Some(tail.to_string());
            }
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn full_address() {
        let a = parse_address("浙江省杭州市护苗县城关镇东门村解放路12号3幢2单元301室");
        assert_eq!(a.province.as_deref(), Some("浙江省"));
        assert_eq!(a.city.as_deref(), Some("杭州市"));
        assert_eq!(a.county.as_deref(), Some("护苗县"));
        assert_eq!(a.town.as_deref(), Some("城关镇"));
        assert_eq!(a.village.as_deref(), Some("东门村"));
        assert_eq!(a.road.as_deref(), Some("解放路"));
        assert_eq!(a.number.as_deref(), Some("12号"));
        assert_eq!(a.building.as_deref(), Some("3幢"));
        assert_eq!(a.unit.as_deref(), Some("2单元"));
        assert_eq!(a.room.as_deref(), Some("301室"));
    }

    #[test]
    fn partial_and_traditional() {
        let a = parse_address("护苗县城关镇东门村12号");
        assert_eq!(a.village.as_deref(), Some("东门村"));
        assert_eq!(a.number.as_deref(), Some("12号"));
        assert_eq!(a.road, None);
        let b = parse_address("東門村解放路12號");
        assert_eq!(b.village.as_deref(), Some("东门村"));
        assert_eq!(b.road.as_deref(), Some("解放路"));
        assert_eq!(b.number.as_deref(), Some("12号"));
        let c = parse_address("城关镇湖滨社区");
        assert_eq!(c.town.as_deref(), Some("城关镇"));
        assert_eq!(c.village.as_deref(), Some("湖滨社区"));
        let d = parse_address("解放路12号301");
        assert_eq!(d.room.as_deref(), Some("301"));
    }

    #[test]
    fn agreement_levels() {
        let full = parse_address("城关镇东门村解放路12号3幢2单元301室");
        let house = parse_address("城关镇东门村解放路12号");
        let village = parse_address("城关镇东门村");
        let other_village = parse_address("城关镇西山村");
        let town = parse_address("城关镇");
        assert_eq!(full.agreement(&full), AddressAgreement::SameDwelling);
        assert_eq!(full.agreement(&house), AddressAgreement::SameRoadNumber);
        assert_eq!(full.agreement(&village), AddressAgreement::SameVillage);
        assert_eq!(
            village.agreement(&other_village),
            AddressAgreement::Conflict
        );
        assert_eq!(village.agreement(&town), AddressAgreement::SameTown);
        assert_eq!(
            town.agreement(&AddressParts::default()),
            AddressAgreement::Unknown
        );
    }

    proptest! {
        #[test]
        fn never_panics(raw in "\\PC{0,40}") {
            let _ = parse_address(&raw);
        }

        #[test]
        fn parts_come_from_the_text(raw in "[省市县镇村路号幢单元室东西12 ]{0,20}") {
            let a = parse_address(&raw);
            let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
            for part in [&a.province, &a.city, &a.county, &a.town, &a.village, &a.road, &a.number].into_iter().flatten() {
                prop_assert!(compact.contains(part.as_str()));
            }
        }
    }
}
