//! View models shared by several pages, with the role's masking applied when they are built:
//! a template only ever receives what the user may see.

use std::collections::HashMap;

use chrono::NaiveDate;
use humiao_core::access::{mask_address, Actor, SensitiveField, Visibility};
use humiao_core::alert::{AlertStatus, RouteLevel, Severity};
use humiao_core::policy::Category;
use humiao_core::{CitizenId, Department, MentionRole, PersonName, RecordKind, RegionCode};
use humiao_store::{AlertRow, ChildSummary, Store};

use crate::error::AppError;
use crate::render::{local_time, opt_local_time};

/// Names of places by code, for display, and which villages are rural (for the rules).
#[derive(Debug, Default)]
pub(crate) struct PlaceNames(HashMap<String, String>, std::collections::HashSet<String>);

impl PlaceNames {
    pub async fn load(store: &Store) -> Result<Self, AppError> {
        let regions = store.regions().await?;
        Ok(Self(
            regions
                .iter()
                .map(|r| (r.region.code.to_string(), r.region.name.clone()))
                .collect(),
            regions
                .iter()
                .filter(|r| r.region.rural)
                .map(|r| r.region.code.to_string())
                .collect(),
        ))
    }

    /// Whether a place is a rural village (村).
    pub fn is_rural(&self, code: Option<&RegionCode>) -> bool {
        code.is_some_and(|c| self.1.contains(c.as_str()))
    }

    /// The place's name, or its code when unnamed.
    pub fn name(&self, code: &RegionCode) -> String {
        self.0
            .get(code.as_str())
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    pub fn opt_name(&self, code: Option<&RegionCode>) -> String {
        code.map(|c| self.name(c))
            .unwrap_or_else(|| "未定位".to_string())
    }
}

pub(crate) fn severity_class(severity: Severity) -> &'static str {
    severity.as_str()
}

pub(crate) fn department_label(code: &str) -> String {
    Department::parse(code)
        .map(|d| d.label_zh().to_string())
        .unwrap_or_else(|| code.to_string())
}

pub(crate) fn record_kind_label(code: &str) -> String {
    RecordKind::parse_stored(code)
        .map(|k| k.label_zh().to_string())
        .unwrap_or_else(|| code.to_string())
}

pub(crate) fn mention_role_label(role: MentionRole) -> &'static str {
    match role {
        MentionRole::Subject => "本人",
        MentionRole::Father => "父亲",
        MentionRole::Mother => "母亲",
        MentionRole::Guardian => "监护人",
        MentionRole::Husband => "丈夫",
        MentionRole::Wife => "妻子",
        MentionRole::Spouse => "配偶",
        MentionRole::Child => "子女",
    }
}

/// A citizen ID as the actor may see it; `None` when hidden.
pub(crate) fn shown_citizen_id(actor: &Actor, id: Option<&CitizenId>) -> Option<String> {
    let id = id?;
    match actor.visibility(SensitiveField::CitizenId) {
        Visibility::Full => Some(id.to_string()),
        Visibility::Masked => Some(id.masked()),
        Visibility::Hidden => None,
    }
}

/// An address as the actor may see it; `None` when hidden or unknown.
pub(crate) fn shown_address(actor: &Actor, address: Option<&str>) -> Option<String> {
    let address = address?;
    match actor.visibility(SensitiveField::AddressDetail) {
        Visibility::Full => Some(address.to_string()),
        Visibility::Masked => Some(mask_address(address)),
        Visibility::Hidden => None,
    }
}

/// A family member's name as the actor may see it.
pub(crate) fn shown_relative_name(actor: &Actor, name: &PersonName) -> Option<String> {
    match actor.visibility(SensitiveField::FamilyIdentity) {
        Visibility::Full => Some(name.to_string()),
        Visibility::Masked => Some(name.masked()),
        Visibility::Hidden => None,
    }
}

pub(crate) fn sees_reasons(actor: &Actor) -> bool {
    actor.visibility(SensitiveField::Reason) == Visibility::Full
}

pub(crate) fn sees_lineage(actor: &Actor) -> bool {
    actor.visibility(SensitiveField::Lineage) == Visibility::Full
}

#[derive(Debug, Clone)]
pub(crate) struct AlertView {
    pub id: i64,
    pub person_id: i64,
    pub child_name: String,
    pub place: String,
    pub severity_class: &'static str,
    pub severity_label: &'static str,
    /// What every role may read.
    pub message: String,
    /// The sensitive detail, only for roles that see reasons (or during a reveal).
    pub detail: Option<String>,
    /// A reveal in force: (purpose, until, local time).
    pub revealed: Option<(String, String)>,
    pub open: bool,
    pub status_label: &'static str,
    pub due: String,
    pub overdue: bool,
    pub created_at: String,
    pub closed_at: String,
    /// Who it is before besides the director (镇街督办 / 县中心督办), empty for the grid alone.
    pub routing: String,
    /// Marked for the police (公安协查).
    pub police: bool,
}

impl AlertView {
    /// Shows the detail to a user who stated a purpose for it, until the reveal ends.
    pub fn reveal(&mut self, row: &AlertRow, reveal: &humiao_store::RevealRow) {
        self.detail = Some(row.detail.clone());
        self.revealed = Some((reveal.purpose.clone(), local_time(&reveal.expires_at)));
    }

    pub fn new(row: &AlertRow, actor: &Actor, today: NaiveDate, places: &PlaceNames) -> Self {
        Self {
            id: row.id,
            person_id: row.person_id.0,
            child_name: row.child_name.to_string(),
            place: places.opt_name(row.grid.as_ref()),
            severity_class: severity_class(row.severity),
            severity_label: row.severity.label_zh(),
            message: row.masked_message.clone(),
            detail: sees_reasons(actor).then(|| row.detail.clone()),
            revealed: None,
            open: row.status == AlertStatus::Open,
            status_label: if row.is_overdue(today) {
                "已逾期"
            } else {
                row.status.label_zh()
            },
            due: row.due_date.format("%Y-%m-%d").to_string(),
            overdue: row.is_overdue(today),
            created_at: local_time(&row.created_at),
            closed_at: opt_local_time(row.closed_at.as_deref()),
            routing: match row.routed_to {
                RouteLevel::Grid => String::new(),
                RouteLevel::Town => "镇街督办".into(),
                RouteLevel::County => "县中心督办".into(),
            },
            police: row.police,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Badge {
    pub code: &'static str,
    pub label: &'static str,
}

/// Category badges; when the user may not see reasons, a category whose name discloses a
/// sensitive fact is shown under a neutral name (and code, which ends up in the page's HTML).
pub(crate) fn badges(categories: &[Category], reasons: Visibility) -> Vec<Badge> {
    let mut out: Vec<Badge> = Vec::new();
    for c in categories {
        let badge = if reasons != Visibility::Full && c.names_a_sensitive_fact() {
            Badge {
                code: "attention",
                label: Category::MASKED_LABEL_ZH,
            }
        } else {
            Badge {
                code: c.code(),
                label: c.label_zh(),
            }
        };
        if out.iter().all(|b| b.code != badge.code) {
            out.push(badge);
        }
    }
    out
}

/// One child in a list.
#[derive(Debug, Clone)]
pub(crate) struct ChildRowView {
    pub id: i64,
    pub name: String,
    pub sex: &'static str,
    pub age: i32,
    pub place: String,
    pub badges: Vec<Badge>,
    pub open_alerts: i64,
    /// The latest risk level: (label, colour, index with 0 the most severe).
    pub risk: Option<(String, String, i64)>,
}

impl ChildRowView {
    pub fn new(
        summary: &ChildSummary,
        today: NaiveDate,
        places: &PlaceNames,
        reasons: Visibility,
    ) -> Self {
        let p = &summary.person;
        Self {
            id: p.id.0,
            name: p.name.to_string(),
            sex: p.sex.label_zh(),
            age: p.age_on(today),
            place: places.opt_name(p.residence_grid.as_ref()),
            badges: badges(&summary.categories, reasons),
            open_alerts: summary.open_alerts,
            risk: summary.risk.as_ref().map(|r| {
                let label = if r.overridden {
                    format!("{}（人工）", r.label)
                } else {
                    r.label.clone()
                };
                (label, r.colour.clone(), r.level)
            }),
        }
    }
}

/// A value for a URL query string, percent-encoded (record keys, search words).
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_component("王 a&b"), "%E7%8E%8B%20a%26b");
        assert_eq!(encode_component("12:subject"), "12%3Asubject");
    }
}

/// `?page=N` of a paged list (1 when absent or nonsense).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    pub fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| (1..=10_000).contains(p))
            .unwrap_or(1)
    }
}

/// Links to the previous and next pages of a list of `total` items, `per_page` a page.
pub(crate) struct Pager {
    pub page: i64,
    pub pages: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    pub fn new(page: i64, per_page: i64, total: i64, path: &str) -> Self {
        let pages = ((total + per_page - 1) / per_page.max(1)).max(1);
        let link = |p: i64| {
            if p == 1 {
                path.to_string()
            } else {
                format!("{path}?page={p}")
            }
        };
        Self {
            page,
            pages,
            prev: (page > 1).then(|| link((page - 1).min(pages))),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}
