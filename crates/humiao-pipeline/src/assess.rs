//! Assessing every child against the policy rules and raising alerts for what changed.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use humiao_core::alert::{alerts_for, AlertParams, RelativeFact};
use humiao_core::fact::{Fact, FactKind};
use humiao_core::policy::{Category, ChildCase, ParentFacts};
use humiao_core::records::AssistanceType;
use humiao_core::{PersonId, RegionCode, RelationKind};
use humiao_rules::RulePack;
use humiao_store::{AssessmentWrite, NewAlert, Store};

use crate::PipelineError;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AssessReport {
    pub children: usize,
    pub by_category: Vec<(Category, usize)>,
    pub categories_added: usize,
    pub categories_removed: usize,
    pub alerts_raised: usize,
}

/// Whether a person draws a child's basic-living allowance: such a person is assessed whatever
/// their age, so that one still paid after turning 18 is found (不应保而保).
fn draws_child_allowance(facts: &[Fact]) -> bool {
    facts.iter().any(|f| {
        matches!(
            f.kind,
            FactKind::Payment {
                assistance: AssistanceType::OrphanAllowance
                    | AssistanceType::UnsupportedChildAllowance,
                ..
            }
        )
    })
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
    let population = store.load_population().await?;
    let mut facts: HashMap<PersonId, Vec<Fact>> = HashMap::new();
    for fact in population.facts {
        facts.entry(fact.person).or_default().push(fact);
    }
    let mut parents: HashMap<PersonId, Vec<(RelationKind, PersonId)>> = HashMap::new();
    for (child, kind, relative) in &population.relationships {
        parents.entry(*child).or_default().push((*kind, *relative));
    }
    let mut previous: HashMap<PersonId, BTreeSet<Category>> = HashMap::new();
    for (person, category) in &population.categories {
        previous.entry(*person).or_default().insert(*category);
    }
    let rural: HashSet<&RegionCode> = population.rural_villages.iter().collect();
    let empty: Vec<Fact> = Vec::new();
    let facts_of = |p: PersonId| facts.get(&p).unwrap_or(&empty);

    let mut report = AssessReport::default();
    let mut write = AssessmentWrite {
        as_of,
        ..Default::default()
    };
    let mut counts: HashMap<Category, usize> = HashMap::new();
    for child in &population.persons {
        let before = previous.remove(&child.id).unwrap_or_default();
        if !child.is_minor_on(as_of)
            && before.is_empty()
            && !draws_child_allowance(facts_of(child.id))
        {
            continue;
        }
        report.children += usize::from(child.is_minor_on(as_of));
        let relatives = parents.get(&child.id).map(Vec::as_slice).unwrap_or(&[]);
        let parent = |kind: RelationKind| {
            relatives
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, p)| ParentFacts {
                    facts: facts_of(*p),
                })
        };
        let case = ChildCase {
            child,
            child_facts: facts_of(child.id),
            father: parent(RelationKind::Father),
            mother: parent(RelationKind::Mother),
            registered_rural: child
                .hukou_region
                .as_ref()
                .is_some_and(|h| rural.contains(h)),
        };
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
                    facts_of(*p).iter().map(move |fact| RelativeFact {
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
