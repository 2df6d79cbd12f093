//! Administrative places: 12-digit statistical division codes (统计用区划代码) and grids (网格).
//!
//! A county, town or village is named by its 12-digit code (province 2, city 2, county 2, town 3,
//! village 3). A grid is a locally defined sub-unit of one village or community; we name it by
//! its village's code followed by a 3-digit serial, 15 digits in all, so a grid code always says
//! which village, town and county it belongs to.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::geo::GeoPoint;

/// Level of a place in the administrative tree this system manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    County,
    Town,
    Village,
    Grid,
}

impl RegionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::County => "county",
            Self::Town => "town",
            Self::Village => "village",
            Self::Grid => "grid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "county" => Self::County,
            "town" => Self::Town,
            "village" => Self::Village,
            "grid" => Self::Grid,
            _ => return None,
        })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::County => "县（区）",
            Self::Town => "乡镇（街道）",
            Self::Village => "村（社区）",
            Self::Grid => "网格",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseRegionCodeError {
    #[error("区划代码应为12位数字（网格为15位），实际为“{0}”")]
    Malformed(String),
    #[error("区划代码“{0}”不是县、乡镇或村级代码")]
    NotCountyTownOrVillage(String),
}

/// A 12-digit code of a county, town or village, or a 15-digit grid code.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(input: &str) -> Result<Self, ParseRegionCodeError> {
        let s = input.trim();
        let malformed = || ParseRegionCodeError::Malformed(s.chars().take(30).collect());
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        match s.len() {
            12 => {
                // A county code has zeros in town and village; a town code zeros in village.
                if &s[4..6] == "00" {
                    return Err(ParseRegionCodeError::NotCountyTownOrVillage(s.to_string()));
                }
                if &s[6..9] == "000" && &s[9..12] != "000" {
                    return Err(ParseRegionCodeError::NotCountyTownOrVillage(s.to_string()));
                }
                Ok(Self(s.to_string()))
            }
            15 => Self::parse(&s[..12]).and_then(|village| match village.level() {
                RegionLevel::Village if &s[12..] != "000" => Ok(Self(s.to_string())),
                _ => Err(malformed()),
            }),
            _ => Err(malformed()),
        }
    }

    pub fn level(&self) -> RegionLevel {
        let s = &self.0;
        if s.len() == 15 {
            RegionLevel::Grid
        } else if &s[6..12] == "000000" {
            RegionLevel::County
        } else if &s[9..12] == "000" {
            RegionLevel::Town
        } else {
            RegionLevel::Village
        }
    }

    /// The code of the enclosing place, or `None` for a county.
    pub fn parent(&self) -> Option<RegionCode> {
        let s = &self.0;
        match self.level() {
            RegionLevel::County => None,
            RegionLevel::Town => Some(Self(format!("{}000000", &s[..6]))),
            RegionLevel::Village => Some(Self(format!("{}000", &s[..9]))),
            RegionLevel::Grid => Some(Self(s[..12].to_string())),
        }
    }

    /// The county, town or village this place lies in (or is).
    pub fn ancestor_at(&self, level: RegionLevel) -> Option<RegionCode> {
        let mut current = Some(self.clone());
        while let Some(code) = current {
            if code.level() == level {
                return Some(code);
            }
            if code.level() < level {
                return None;
            }
            current = code.parent();
        }
        None
    }

    /// Whether `other` is this place or lies inside it.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.ancestor_at(self.level()).as_ref() == Some(self)
    }

    /// The prefix shared by every code inside this place, for `LIKE 'prefix%'` scoping.
    pub fn scope_prefix(&self) -> &str {
        let s = &self.0;
        match self.level() {
            RegionLevel::County => &s[..6],
            RegionLevel::Town => &s[..9],
            RegionLevel::Village => &s[..12],
            RegionLevel::Grid => s,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = ParseRegionCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RegionCode> for String {
    fn from(value: RegionCode) -> Self {
        value.0
    }
}

impl std::str::FromStr for RegionCode {
    type Err = ParseRegionCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A place with its name, as kept in the region tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    /// 村 (rural) rather than 社区 (urban); decides 农村留守儿童. Meaningful for villages and grids.
    pub rural: bool,
    /// A reference point (the centroid of a village or grid), against which a visit's position
    /// is checked; `None` when not known.
    #[serde(default)]
    pub centre: Option<GeoPoint>,
}

impl Region {
    pub fn level(&self) -> RegionLevel {
        self.code.level()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn levels_are_read_from_the_zeros() {
        assert_eq!(code("330109000000").level(), RegionLevel::County);
        assert_eq!(code("330109001000").level(), RegionLevel::Town);
        assert_eq!(code("330109001201").level(), RegionLevel::Village);
        assert_eq!(code("330109001201002").level(), RegionLevel::Grid);
    }

    #[test]
    fn parents_walk_up_the_tree() {
        let grid = code("330109001201002");
        assert_eq!(grid.parent().unwrap(), code("330109001201"));
        assert_eq!(
            grid.ancestor_at(RegionLevel::Town).unwrap(),
            code("330109001000")
        );
        assert_eq!(
            grid.ancestor_at(RegionLevel::County).unwrap(),
            code("330109000000")
        );
        assert!(code("330109000000").parent().is_none());
    }

    #[test]
    fn containment_follows_the_tree() {
        let town = code("330109001000");
        assert!(town.contains(&code("330109001201002")));
        assert!(town.contains(&town));
        assert!(!town.contains(&code("330109002201002")));
        assert!(!code("330109001201002").contains(&town));
    }

    #[test]
    fn malformed_codes_are_rejected() {
        assert!(RegionCode::parse("33010900100").is_err());
        assert!(RegionCode::parse("3301090010a0").is_err());
        assert!(RegionCode::parse("330100000000").is_err()); // a city, not managed here
        assert!(RegionCode::parse("330109000001").is_err()); // village without town
        assert!(RegionCode::parse("330109001000001").is_err()); // grid under a town
        assert!(RegionCode::parse("330109001201000").is_err()); // grid serial 000
    }

    proptest! {
        #[test]
        fn any_input_never_panics(s in "\\PC{0,20}") {
            let _ = RegionCode::parse(&s);
        }

        #[test]
        fn valid_grids_round_trip(county in 1u32..99, town in 1u32..999, village in 1u32..999, grid in 1u32..999) {
            let s = format!("3301{county:02}{town:03}{village:03}{grid:03}");
            let parsed = RegionCode::parse(&s).unwrap();
            prop_assert_eq!(parsed.to_string(), s);
            prop_assert_eq!(parsed.level(), RegionLevel::Grid);
        }
    }
}
