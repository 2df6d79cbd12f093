//! Assessing every child against the policy rules and raising alerts for what changed.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use humiao_core::alert::{alerts_for, AlertParams, RelativeFact};
use humiao_core::policy::Category;
use humiao_core::RelationKind;
use humiao_rules::RulePack;
use humiao_store::{AssessmentWrite, NewAlert, Store};

use crate::county::County;
use crate::PipelineError;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AssessReport {
    pub children: usize,
    pub by_category: Vec<(Category, usize)>,
    pub categories_added: usize,
    pub categories_removed: usize,
    pub alerts_raised: usize,
}

/// Assesses every child as of `as_of` with the rule pack and writes decisions and alerts in one
/// transaction. Running it twice on the same data changes nothing the second time.
pub async fn assess_all(
    store: &Store,
    as_of: NaiveDate,
    pack: &RulePack,
    alert_params: &AlertParams,
) -> Result<AssessReport, PipelineError> {
    let params = pack.parameter_values(as_of);
    let county = County::load(store).await?;
    let mut previous = county.previous.clone();

    let mut report = AssessReport::default();
    let mut write = AssessmentWrite {
        as_of,
        ..Default::default()
    };
    let mut counts: HashMap<Category, usize> = HashMap::new();
    for child in &county.persons {
        let before = previous.remove(&child.id).unwrap_or_default();
        if !county.assessed(child, as_of) {
            continue;
        }
        report.children += usize::from(child.is_minor_on(as_of));
        let relatives = county.relatives_of(child.id);
        let case = county.case_of(child);
        let decisions = pack.assess_with(&case, as_of, &params).decisions;
        let now: BTreeSet<Category> = decisions.iter().map(|d| d.category).collect();
        for category in before.difference(&now) {
            write.removed.push((child.id, *category));
            report.categories_removed += 1;
        }
        report.categories_added += now.difference(&before).count();
        for category in &now {
            *counts.entry(*category).or_default() += 1;
        }
        if child.is_minor_on(as_of) {
            let relative_facts: Vec<RelativeFact> = relatives
                .iter()
                .filter(|(k, _)| matches!(k, RelationKind::Father | RelationKind::Mother))
                .flat_map(|(kind, p)| {
                    county.facts_of(*p).iter().map(move |fact| RelativeFact {
                        relation: *kind,
                        fact,
                    })
                })
                .collect();
            for draft in alerts_for(
                child.id,
                &before,
                &decisions,
                &relative_facts,
                as_of,
                alert_params,
            ) {
                // Routed to the grid where the child lives, not where they are registered.
                write.alerts.push(NewAlert {
                    draft,
                    grid: child.residence_grid.clone(),
                });
            }
        }
        write
            .decisions
            .extend(decisions.into_iter().map(|d| (child.id, d)));
    }
    report.alerts_raised = store.apply_assessment(&write).await?;
    let mut by_category: Vec<(Category, usize)> = counts.into_iter().collect();
    by_category.sort();
    report.by_category = by_category;
    tracing::info!(
        children = report.children,
        added = report.categories_added,
        removed = report.categories_removed,
        alerts = report.alerts_raised,
        "assessment finished"
    );
    Ok(report)
}
