//! Visit plans (走访计划): which children a user's area must visit how often, when each is next
//! due and which visits are overdue. The intervals are rule-pack parameters (极危 weekly, 高危
//! monthly, 孤儿 / 事实无人抚养 monthly, other 困境 and 留守 quarterly, by default); the strictest
//! that applies to a child sets the interval.
//!
//! Each child's interval, last visit and due day are kept in the store's visit schedule: the
//! assessment rewrites them ([`refresh_schedules`]), a visit moves the due day, and a plan page
//! is one indexed read of its most urgent part.

use std::collections::HashMap;

use chrono::NaiveDate;
use humiao_core::access::Actor;
use humiao_core::policy::Category;
use humiao_core::PersonId;
use humiao_rules::risk::RiskModel;
use humiao_rules::value::Value;
use humiao_rules::RulePack;
use humiao_store::{visit_day, ChildSummary, ScheduleEntry, Store};

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

/// The most urgent part of a plan, with counts over all of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VisitPlan {
    pub items: Vec<PlanItem>,
    pub total: i64,
    pub overdue: i64,
    pub never: i64,
}

/// A child's schedule under the pack's frequencies: the strictest interval that applies to
/// their general risk level (a person's override included) and categories; `None` when the
/// plan does not cover them.
pub fn schedule_entry(
    frequency: &VisitFrequency,
    general: Option<&RiskModel>,
    child: &ChildSummary,
    last_visit: Option<NaiveDate>,
) -> Option<ScheduleEntry> {
    let risk = child
        .risk
        .as_ref()
        .filter(|r| general.is_some_and(|m| m.code == r.model));
    let level_code = risk.and_then(|r| {
        general?
            .levels
            .get(usize::try_from(r.level).ok()?)
            .map(|l| l.code.as_str())
    });
    let (every_days, why) = frequency.interval(level_code, &child.categories)?;
    Some(ScheduleEntry {
        person: child.person.id,
        every_days,
        why,
        level: risk.map(|r| r.level),
        last_visit,
    })
}

/// Rewrites the schedule of `persons` from their categories, risk levels and last visits: the
/// assessment calls it for the children it assessed, a risk override for its child.
pub async fn refresh_schedules(
    store: &Store,
    pack: &RulePack,
    as_of: NaiveDate,
    persons: &[PersonId],
) -> Result<(), PipelineError> {
    let frequency = VisitFrequency::of(pack, as_of);
    for chunk in persons.chunks(2000) {
        let children = store.child_summaries_unscoped(chunk).await?;
        let last: HashMap<PersonId, NaiveDate> = store
            .last_visits(chunk)
            .await?
            .into_iter()
            .filter_map(|(p, at)| {
                chrono::DateTime::parse_from_rfc3339(&at)
                    .ok()
                    .map(|t| (p, visit_day(t.with_timezone(&chrono::Utc))))
            })
            .collect();
        let mut entries: Vec<ScheduleEntry> = children
            .iter()
            .filter(|c| c.person.is_minor_on(as_of))
            .filter_map(|c| {
                schedule_entry(
                    &frequency,
                    pack.risk.first(),
                    c,
                    last.get(&c.person.id).copied(),
                )
            })
            .collect();
        // Most re-assessments change no one's plan: then nothing is written (a write waits
        // for SQLite's one writer, which the event intake needs too).
        let mut kept = store.schedules_of(chunk).await?;
        kept.sort_by_key(|e| e.person);
        entries.sort_by_key(|e| e.person);
        if kept != entries {
            store.replace_schedules(chunk, &entries).await?;
        }
    }
    Ok(())
}

/// Rewrites every child's schedule (after a whole-county assessment, or a new pack).
pub async fn refresh_all_schedules(
    store: &Store,
    pack: &RulePack,
    as_of: NaiveDate,
) -> Result<(), PipelineError> {
    let started = std::time::Instant::now();
    let minors = store.minor_ids(as_of).await?;
    refresh_schedules(store, pack, as_of, &minors).await?;
    tracing::info!(
        children = minors.len(),
        ms = started.elapsed().as_millis() as u64,
        "visit schedule refreshed"
    );
    Ok(())
}

/// Fills the schedule of a database from before it was kept (its first start after the
/// upgrade); does nothing otherwise.
pub async fn ensure_schedules(
    store: &Store,
    pack: &RulePack,
    as_of: NaiveDate,
) -> Result<(), PipelineError> {
    if store.schedule_is_empty().await? {
        refresh_all_schedules(store, pack, as_of).await?;
    }
    Ok(())
}

/// `limit` children of the actor's plan after the `offset` most urgent — overdue first (the
/// longest overdue first), then by due date and severity — with counts over the whole plan.
pub async fn visit_plan(
    store: &Store,
    actor: &Actor,
    as_of: NaiveDate,
    limit: i64,
    offset: i64,
) -> Result<VisitPlan, PipelineError> {
    let page = store.visit_schedule(actor, as_of, limit, offset).await?;
    let ids: Vec<PersonId> = page.entries.iter().map(|e| e.person).collect();
    let mut children: HashMap<PersonId, ChildSummary> = store
        .child_summaries(actor, &ids)
        .await?
        .into_iter()
        .map(|c| (c.person.id, c))
        .collect();
    let items = page
        .entries
        .into_iter()
        .filter_map(|entry| {
            let child = children.remove(&entry.person)?;
            let due = entry.due().unwrap_or(as_of);
            Some(PlanItem {
                child,
                every_days: entry.every_days,
                why: entry.why,
                last_visit: entry.last_visit,
                due,
                overdue_days: (as_of - due).num_days().max(0),
            })
        })
        .collect();
    Ok(VisitPlan {
        items,
        total: page.total,
        overdue: page.overdue,
        never: page.never,
    })
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
