//! Who may see what: roles, jurisdictions and field masking.
//!
//! Every query for a child goes through an [`Actor`]: it says which places the user covers and
//! how each sensitive field is shown to them. Storage applies the scope in SQL; the web layer
//! applies the masking. This module decides; it does not log (auditing is the store's job).

use serde::{Deserialize, Serialize};

use crate::region::{RegionCode, RegionLevel};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 儿童主任: one or more grids.
    ChildDirector,
    /// 儿童督导员 / 未保站: a town.
    StationStaff,
    /// 未保中心 / 民政局: the county.
    CentreStaff,
    /// 部门联络员: delivers one department's data.
    DepartmentLiaison,
    /// 系统管理员: users and roles.
    Administrator,
    /// 审计员: reads the audit log.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Self::ChildDirector,
        Self::StationStaff,
        Self::CentreStaff,
        Self::DepartmentLiaison,
        Self::Administrator,
        Self::Auditor,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::ChildDirector => "child_director",
            Self::StationStaff => "station_staff",
            Self::CentreStaff => "centre_staff",
            Self::DepartmentLiaison => "department_liaison",
            Self::Administrator => "administrator",
            Self::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::ChildDirector => "儿童主任",
            Self::StationStaff => "儿童督导员（未保站）",
            Self::CentreStaff => "未保中心（民政局）",
            Self::DepartmentLiaison => "部门联络员",
            Self::Administrator => "系统管理员",
            Self::Auditor => "审计员",
        }
    }

    /// Whether the role works with children's records at all.
    pub fn sees_children(self) -> bool {
        matches!(
            self,
            Self::ChildDirector | Self::StationStaff | Self::CentreStaff
        )
    }

    /// The level of place this role is bound to.
    pub fn jurisdiction_level(self) -> RegionLevel {
        match self {
            Self::ChildDirector => RegionLevel::Grid,
            Self::StationStaff => RegionLevel::Town,
            _ => RegionLevel::County,
        }
    }
}

/// Sensitive fields of a child's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SensitiveField {
    /// 身份证号
    CitizenId,
    /// 详细住址 (building, room)
    AddressDetail,
    /// The fact behind an alert or a category (a parent's imprisonment, illness…).
    Reason,
    /// Family members' identities.
    FamilyIdentity,
    /// Each fact's department, file and line.
    Lineage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Full,
    Masked,
    Hidden,
}

/// A signed-in user, as access control sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    /// The places the user covers: grids for a director, a town, or the county.
    pub jurisdiction: Vec<RegionCode>,
}

impl Actor {
    /// Whether a child living in `residence` (or registered in `hukou` when the residence is
    /// unknown) is within this user's jurisdiction.
    pub fn covers(&self, residence: Option<&RegionCode>, hukou: Option<&RegionCode>) -> bool {
        if !self.role.sees_children() {
            return false;
        }
        let place = match (residence, self.role) {
            (Some(grid), _) => grid,
            // A director works only with children placed in their grids.
            (None, Role::ChildDirector) => return false,
            (None, _) => match hukou {
                Some(h) => h,
                None => return false,
            },
        };
        self.jurisdiction.iter().any(|j| j.contains(place))
    }

    pub fn visibility(&self, field: SensitiveField) -> Visibility {
        use SensitiveField as F;
        match (self.role, field) {
            (Role::CentreStaff, _) => Visibility::Full,
            // Directors visit homes: they need the address and family, not the reasons.
            (Role::ChildDirector, F::AddressDetail | F::FamilyIdentity) => Visibility::Full,
            (Role::ChildDirector, F::CitizenId) => Visibility::Masked,
            (Role::StationStaff, F::CitizenId | F::AddressDetail | F::FamilyIdentity) => {
                Visibility::Masked
            }
            _ => Visibility::Hidden,
        }
    }
}

/// Masks a free-text address to its first part (the village or community), dropping numbers
/// of building, unit and room.
pub fn mask_address(address: &str) -> String {
    let cut = address
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| i)
        .unwrap_or(address.len());
    format!("{}****", address[..cut].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn actor(role: Role, places: &[&str]) -> Actor {
        Actor {
            user_id: 1,
            username: "u".into(),
            role,
            jurisdiction: places.iter().map(|p| code(p)).collect(),
        }
    }

    #[test]
    fn a_director_covers_only_their_grids() {
        let director = actor(Role::ChildDirector, &["330199001001001"]);
        assert!(director.covers(Some(&code("330199001001001")), None));
        assert!(!director.covers(Some(&code("330199001001002")), None));
        assert!(!director.covers(None, Some(&code("330199001001"))));
    }

    #[test]
    fn a_station_covers_its_town_by_residence() {
        let station = actor(Role::StationStaff, &["330199001000"]);
        assert!(station.covers(Some(&code("330199001003002")), None));
        assert!(!station.covers(Some(&code("330199002001001")), Some(&code("330199001001"))));
        assert!(station.covers(None, Some(&code("330199001001"))));
    }

    #[test]
    fn roles_without_child_work_cover_nothing() {
        for role in [Role::Administrator, Role::Auditor, Role::DepartmentLiaison] {
            let a = actor(role, &["330199000000"]);
            assert!(!a.covers(Some(&code("330199001001001")), None));
        }
    }

    #[test]
    fn directors_never_see_reasons_or_full_ids() {
        let director = actor(Role::ChildDirector, &["330199001001001"]);
        assert_eq!(
            director.visibility(SensitiveField::Reason),
            Visibility::Hidden
        );
        assert_eq!(
            director.visibility(SensitiveField::CitizenId),
            Visibility::Masked
        );
        let centre = actor(Role::CentreStaff, &["330199000000"]);
        assert_eq!(centre.visibility(SensitiveField::Reason), Visibility::Full);
    }

    #[test]
    fn addresses_are_masked_before_the_first_number() {
        assert_eq!(mask_address("青石村幸福路12号3幢201室"), "青石村幸福路****");
    }
}
