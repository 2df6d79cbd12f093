//! Assessing every child against the policy rules and raising alerts for what changed.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use humiao_core::alert::{alerts_for, AlertParams, RelativeFact};
use humiao_core::policy::Category;
use humiao_core::{Person, PersonId, RelationKind};
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
    /// What to tell the people responsible, one per raised alert (send with [`notify_all`]).
    ///
    /// [`notify_all`]: crate::notify_all
    pub notifications: Vec<humiao_core::notify::Notification>,
}

/// Each child's earlier risk assessments per model: (date, score, level), oldest first.
type Histories = HashMap<(humiao_core::PersonId, String), Vec<(NaiveDate, u32, usize)>>;

/// Assesses every child as of `as_of` with the rule pack and writes decisions and alerts in one
/// transaction, then the visit schedule. Running it twice on the same data changes nothing the
/// second time.
pub async fn assess_all(
    store: &Store,
    as_of: NaiveDate,
    pack: &RulePack,
    alert_params: &AlertParams,
) -> Result<AssessReport, PipelineError> {
    let started = std::time::Instant::now();
    let county = County::load(store).await?;
    let histories = histories(store.risk_histories().await?, as_of);
    let loaded = started.elapsed();
    let mut run = Run::new(pack, as_of, alert_params, histories);
    let mut previous = county.previous.clone();
    for child in &county.persons {
        let before = previous.remove(&child.id).unwrap_or_default();
        run.assess(&county, child, before);
    }
    let evaluated = started.elapsed();
    let report = run.finish(store).await?;
    crate::refresh_all_schedules(store, pack, as_of).await?;
    tracing::info!(
        load_ms = loaded.as_millis() as u64,
        evaluate_ms = (evaluated - loaded).as_millis() as u64,
        write_ms = (started.elapsed() - evaluated).as_millis() as u64,
        "assessment timings"
    );
    Ok(report)
}

/// Re-assesses some persons as of `as_of` — one child after a change, or the children of a
/// parent whose record changed ([`Store::children_of`]) — exactly as [`assess_all`] would
/// assess them, and writes their decisions, risk and alerts in one transaction. Persons who
/// are not to be assessed (adults without allowances or categories) are skipped.
pub async fn assess_children(
    store: &Store,
    children: &[PersonId],
    as_of: NaiveDate,
    pack: &RulePack,
    alert_params: &AlertParams,
) -> Result<AssessReport, PipelineError> {
    let county = County::load_of(store, children).await?;
    let histories = histories(store.risk_histories_of(children).await?, as_of);
    let mut run = Run::new(pack, as_of, alert_params, histories);
    for child in county.persons.iter().filter(|p| children.contains(&p.id)) {
        let before = county.previous.get(&child.id).cloned().unwrap_or_default();
        run.assess(&county, child, before);
    }
    let report = run.finish(store).await?;
    crate::refresh_schedules(store, pack, as_of, children).await?;
    Ok(report)
}

/// Earlier assessments by child and model, oldest first; a row of `as_of` itself is not history
/// (a re-run on the same day replaces it).
fn histories(rows: Vec<(PersonId, String, NaiveDate, i64, i64)>, as_of: NaiveDate) -> Histories {
    let mut histories: Histories = HashMap::new();
    for (person, model, date, score, level) in rows {
        if date < as_of {
            histories.entry((person, model)).or_default().push((
                date,
                score.max(0) as u32,
                level.max(0) as usize,
            ));
        }
    }
    histories
}

/// One assessment run: what it has decided so far and what it will write.
struct Run<'a> {
    pack: &'a RulePack,
    params: Vec<humiao_rules::value::Value>,
    as_of: NaiveDate,
    alert_params: &'a AlertParams,
    histories: Histories,
    pack_name: String,
    level_counts: Vec<usize>,
    counts: HashMap<Category, usize>,
    report: AssessReport,
    write: AssessmentWrite,
}

impl<'a> Run<'a> {
    fn new(
        pack: &'a RulePack,
        as_of: NaiveDate,
        alert_params: &'a AlertParams,
        histories: Histories,
    ) -> Self {
        Self {
            pack,
            params: pack.parameter_values(as_of),
            as_of,
            alert_params,
            histories,
            pack_name: format!("{} {}", pack.name, pack.version),
            level_counts: vec![0; pack.risk.first().map_or(0, |m| m.levels.len())],
            counts: HashMap::new(),
            report: AssessReport::default(),
            write: AssessmentWrite {
                as_of,
                ..Default::default()
            },
        }
    }

    /// Evaluates one person whose last categories were `before`.
    fn assess(&mut self, county: &County, child: &Person, before: BTreeSet<Category>) {
        let (pack, as_of, alert_params) = (self.pack, self.as_of, self.alert_params);
        let (report, write, counts) = (&mut self.report, &mut self.write, &mut self.counts);
        if !county.assessed(child, as_of) {
            return;
        }
        report.children += usize::from(child.is_minor_on(as_of));
        let relatives = county.relatives_of(child.id);
        let case = county.case_of(child);
        let assessment = pack.assess_with(&case, as_of, &self.params);
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
                    self.level_counts[risk.level] += 1;
                }
                let history = self
                    .histories
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
                    pack: self.pack_name.clone(),
                });
            }
        }
        write
            .decisions
            .extend(decisions.into_iter().map(|d| (child.id, d)));
    }

    async fn finish(self, store: &Store) -> Result<AssessReport, PipelineError> {
        let Run {
            pack,
            level_counts,
            counts,
            mut report,
            write,
            ..
        } = self;
        let raised = store.apply_assessment_raising(&write).await?;
        report.alerts_raised = raised.len();
        report.notifications = raised
            .iter()
            .map(|&i| {
                let alert = &write.alerts[i];
                humiao_core::notify::Notification::for_alert(alert.grid.clone(), &alert.draft)
            })
            .collect();
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
}
