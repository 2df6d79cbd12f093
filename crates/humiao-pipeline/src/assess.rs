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
    /// Children per level of the first (general) risk model, most severe first.
    pub risk_levels: Vec<(String, usize)>,
}

/// Each child's earlier risk assessments per model: (date, score, level), oldest first.
type Histories = HashMap<(humiao_core::PersonId, String), Vec<(NaiveDate, u32, usize)>>;

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
    let mut histories: Histories = HashMap::new();
    for (person, model, date, score, level) in store.risk_histories().await? {
        // A re-run on the same day replaces that day's row: it is not history.
        if date < as_of {
            histories.entry((person, model)).or_default().push((
                date,
                score.max(0) as u32,
                level.max(0) as usize,
            ));
        }
    }
    let pack_name = format!("{} {}", pack.name, pack.version);
    let mut level_counts: Vec<usize> = vec![0; pack.risk.first().map_or(0, |m| m.levels.len())];

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
        let assessment = pack.assess_with(&case, as_of, &params);
        let decisions = assessment.decisions;
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
            for risk in &assessment.risk {
                let model = risk.model(pack);
                if risk.model_index == 0 {
                    level_counts[risk.level] += 1;
                }
                let history = histories
                    .get(&(child.id, model.code.clone()))
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                let flags = model.dynamic_flags(history, (as_of, risk.score, risk.level));
                let fired: Vec<_> = risk
                    .indicators
                    .iter()
                    .filter(|i| i.state == "true")
                    .collect();
                let detail = serde_json::json!({
                    "indicators": fired.iter().map(|i| {
                        let ind = &model.indicators[i.index];
                        serde_json::json!({
                            "code": ind.code,
                            "label": ind.label,
                            "group": ind.group.label_zh(),
                            "points": (i.points * 10.0).round() / 10.0,
                            "reasons": i.reasons,
                        })
                    }).collect::<Vec<_>>(),
                    "urgent": risk.urgent_labels(pack),
                    "flags": flags.iter().map(|f| &f.text).collect::<Vec<_>>(),
                    "level_max": risk.level_max_info(pack).label,
                });
                let level = risk.level_info(pack);
                let change = humiao_core::alert::RiskChange {
                    model: &model.code,
                    model_label: &model.label,
                    level: risk.level,
                    level_code: &level.code,
                    level_label: &level.label,
                    alert_level: model.dynamic.persistent_level,
                    previous_level: history.last().map(|(_, _, l)| *l),
                    score: risk.score,
                    indicators: fired
                        .iter()
                        .map(|i| model.indicators[i.index].label.clone())
                        .collect(),
                    flags: flags.iter().map(|f| (f.code, f.text.clone())).collect(),
                    sources: fired
                        .iter()
                        .flat_map(|i| i.reasons.iter().flat_map(|r| r.sources.iter().copied()))
                        .collect(),
                };
                for draft in humiao_core::alert::risk_alerts(child.id, &change, as_of, alert_params)
                {
                    write.alerts.push(NewAlert {
                        draft,
                        grid: child.residence_grid.clone(),
                    });
                }
                write.risks.push(humiao_store::RiskRow {
                    person: child.id,
                    model: model.code.clone(),
                    assessed_on: as_of,
                    score: i64::from(risk.score),
                    score_max: i64::from(risk.score_max),
                    level: risk.level as i64,
                    level_label: level.label.clone(),
                    colour: level.colour.clone(),
                    unknown: risk.unknown as i64,
                    detail_json: detail.to_string(),
                    pack: pack_name.clone(),
                });
            }
        }
        write
            .decisions
            .extend(decisions.into_iter().map(|d| (child.id, d)));
    }
    report.alerts_raised = store.apply_assessment(&write).await?;
    if let Some(model) = pack.risk.first() {
        report.risk_levels = model
            .levels
            .iter()
            .zip(&level_counts)
            .map(|(l, n)| (l.label.clone(), *n))
            .collect();
    }
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
