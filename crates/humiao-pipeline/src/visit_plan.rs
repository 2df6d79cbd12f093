//! Visit plans (走访计划): which children a user's area must visit how often, when each is next
//! due and which visits are overdue. The intervals are rule-pack parameters (极危 weekly, 高危
//! monthly, 孤儿 / 事实无人抚养 monthly, other 困境 and 留守 quarterly, by default); the strictest
//! that applies to a child sets the interval.

use chrono::NaiveDate;
use humiao_core::access::Actor;
use humiao_core::policy::Category;
use humiao_core::PersonId;
use humiao_rules::value::Value;
use humiao_rules::RulePack;
use humiao_store::{ChildFilter, ChildSummary, Store};

use crate::PipelineError;

/// The intervals in force on a date, in days; `None` where the pack has no such parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitFrequency {
    pub extreme: Option<i64>,
    pub high: Option<i64>,
    pub unsupported: Option<i64>,
    pub difficulty: Option<i64>,
}

impl VisitFrequency {
    pub fn of(pack: &RulePack, as_of: NaiveDate) -> Self {
        let days = |name: &str| match pack.parameter(name).map(|p| p.value_on(as_of)) {
            Some(Value::Int(d)) if d > 0 => Some(d),
            _ => None,
        };
        Self {
            extreme: days("visit_every_days_extreme"),
            high: days("visit_every_days_high"),
            unsupported: days("visit_every_days_unsupported"),
            difficulty: days("visit_every_days_difficulty"),
        }
    }

    /// The strictest interval that applies, with why: a risk level code of the general model
    /// (`extreme`, `high` …) and the child's categories.
    pub fn interval(
        &self,
        level_code: Option<&str>,
        categories: &[Category],
    ) -> Option<(i64, String)> {
        let has = |list: &[Category]| categories.iter().any(|c| list.contains(c));
        let candidates = [
            (
                level_code == Some("extreme"),
                self.extreme,
                "极危".to_string(),
            ),
            (level_code == Some("high"), self.high, "高危".to_string()),
            (
                has(&[Category::Orphan, Category::DeFactoUnsupported]),
                self.unsupported,
                "孤儿/事实无人抚养".to_string(),
            ),
            (
                has(&[
                    Category::DifficultyPoverty,
                    Category::DifficultyDisability,
                    Category::DifficultyGuardianship,
                    Category::RuralLeftBehind,
                ]),
                self.difficulty,
                "困境/留守".to_string(),
            ),
        ];
        candidates
            .into_iter()
            .filter_map(|(applies, days, why)| days.filter(|_| applies).map(|d| (d, why)))
            .min_by_key(|(d, _)| *d)
    }
}

/// One child of a visit plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanItem {
    pub child: ChildSummary,
    pub every_days: i64,
    /// Why that interval: 极危, 高危, 孤儿/事实无人抚养 or 困境/留守.
    pub why: String,
    pub last_visit: Option<NaiveDate>,
    /// The day the next visit is due: the last visit plus the interval, or today if never.
    pub due: NaiveDate,
    /// Days past `due` (0 when not overdue).
    pub overdue_days: i64,
}

/// The children in the actor's area that the pack's frequencies cover, overdue first, then by
/// due date and severity.
pub async fn visit_plan(
    store: &Store,
    actor: &Actor,
    as_of: NaiveDate,
    pack: &RulePack,
    limit: i64,
) -> Result<Vec<PlanItem>, PipelineError> {
    let frequency = VisitFrequency::of(pack, as_of);
    let general = pack.risk.first();
    let children = store
        .list_children(
            actor,
            &ChildFilter {
                as_of,
                limit,
                ..ChildFilter::default()
            },
        )
        .await?;
    let ids: Vec<PersonId> = children.iter().map(|c| c.person.id).collect();
    let last: std::collections::HashMap<PersonId, NaiveDate> = store
        .last_visits(&ids)
        .await?
        .into_iter()
        .filter_map(|(p, at)| {
            // Stored as UTC RFC 3339; the visit's day is counted in China (UTC+8).
            chrono::DateTime::parse_from_rfc3339(&at)
                .ok()
                .map(|t| (p, (t.naive_utc() + chrono::Duration::hours(8)).date()))
        })
        .collect();
    let mut plan: Vec<PlanItem> = children
        .into_iter()
        .filter_map(|child| {
            let level_code = child.risk.as_ref().and_then(|r| {
                let model = general.filter(|m| m.code == r.model)?;
                model
                    .levels
                    .get(usize::try_from(r.level).ok()?)
                    .map(|l| l.code.as_str())
            });
            let (every_days, why) = frequency.interval(level_code, &child.categories)?;
            let last_visit = last.get(&child.person.id).copied();
            let due = last_visit.map_or(as_of, |d| d + chrono::Duration::days(every_days));
            Some(PlanItem {
                every_days,
                why,
                last_visit,
                due,
                overdue_days: (as_of - due).num_days().max(0),
                child,
            })
        })
        .collect();
    plan.sort_by_key(|i| {
        (
            i.overdue_days == 0,
            i.due,
            i.child.risk.as_ref().map_or(i64::MAX, |r| r.level),
        )
    });
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strictest_interval_that_applies_wins() {
        let f = VisitFrequency::of(
            &humiao_rules::national(),
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        );
        assert_eq!(f.extreme, Some(7));
        assert_eq!(
            f.interval(Some("extreme"), &[Category::DeFactoUnsupported]),
            Some((7, "极危".into()))
        );
        assert_eq!(
            f.interval(Some("low"), &[Category::RuralLeftBehind, Category::Orphan]),
            Some((30, "孤儿/事实无人抚养".into()))
        );
        assert_eq!(
            f.interval(Some("medium"), &[Category::DifficultyPoverty]),
            Some((90, "困境/留守".into()))
        );
        assert_eq!(f.interval(Some("low"), &[Category::Migrant]), None);
        assert_eq!(f.interval(None, &[]), None);
    }
}
