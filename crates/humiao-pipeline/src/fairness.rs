//! The fairness and quality report (公平性与质量报告): how risk levels and categories are spread
//! by town, sex, age band, registration (户籍) and disability, and which indicators fire for
//! almost everyone or for no one — so that bias and broken indicators show (the lessons of the
//! Allegheny tool's audits). Aggregates only: no child is named.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use humiao_core::fact::FactKind;
use humiao_core::policy::Category;
use humiao_core::{RegionCode, RegionLevel, Sex};
use humiao_rules::RulePack;
use humiao_store::Store;

use crate::county::County;
use crate::PipelineError;

/// One group of children along one dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    pub dimension: &'static str,
    pub group: String,
    pub children: usize,
    /// Children per risk level (the general model's levels, most severe first); those never
    /// assessed are not counted.
    pub levels: Vec<usize>,
    /// Children per category, in [`Category::ALL`] order.
    pub categories: Vec<usize>,
}

/// How often one indicator holds among the assessed children.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorRate {
    pub label: String,
    pub group: &'static str,
    pub from_visit: bool,
    pub fired: usize,
    pub rate: f64,
    /// A warning when it fires for almost everyone or for no one.
    pub flag: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FairnessReport {
    pub as_of: NaiveDate,
    pub level_labels: Vec<String>,
    pub children: usize,
    pub assessed: usize,
    pub groups: Vec<GroupRow>,
    pub indicators: Vec<IndicatorRate>,
}

/// Share of assessed children above which an indicator "fires for almost everyone".
const ALMOST_ALL: f64 = 0.9;

fn age_band(age: i32) -> &'static str {
    match age {
        0..=2 => "0–2岁",
        3..=5 => "3–5岁",
        6..=11 => "6–11岁",
        12..=15 => "12–15岁",
        _ => "16–17岁",
    }
}

/// Builds the report from the latest stored assessments and categories.
pub async fn fairness_report(
    store: &Store,
    pack: &RulePack,
    as_of: NaiveDate,
) -> Result<FairnessReport, PipelineError> {
    let county = County::load(store).await?;
    let model = pack.risk.first();
    let latest: HashMap<_, _> = match model {
        Some(m) => store
            .latest_risks(&m.code)
            .await?
            .into_iter()
            .map(|(p, level, detail)| (p, (level, detail)))
            .collect(),
        None => HashMap::new(),
    };
    let names: HashMap<String, String> = store
        .regions()
        .await?
        .into_iter()
        .map(|r| (r.region.code.to_string(), r.region.name))
        .collect();
    let level_count = model.map_or(0, |m| m.levels.len());
    let mut groups: BTreeMap<(usize, &'static str, String), GroupRow> = BTreeMap::new();
    let mut fired: HashMap<String, usize> = HashMap::new();
    let (mut children, mut assessed) = (0, 0);
    for person in county.persons.iter().filter(|p| p.is_minor_on(as_of)) {
        children += 1;
        let risk = latest.get(&person.id);
        if let Some((_, detail)) = risk {
            assessed += 1;
            let codes: HashSet<String> = serde_json::from_str::<serde_json::Value>(detail)
                .ok()
                .and_then(|v| v.get("indicators").cloned())
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|i| i.get("code").and_then(|c| c.as_str()).map(String::from))
                .collect();
            for code in codes {
                *fired.entry(code).or_default() += 1;
            }
        }
        let categories = county.previous.get(&person.id);
        let town = person
            .residence_grid
            .as_ref()
            .and_then(|g| g.ancestor_at(RegionLevel::Town))
            .map(|t| {
                names
                    .get(t.as_str())
                    .cloned()
                    .unwrap_or_else(|| t.to_string())
            })
            .unwrap_or_else(|| "未定位".into());
        let county_of = |c: &RegionCode| c.ancestor_at(RegionLevel::County);
        let registration = match (&person.hukou_region, &person.residence_grid) {
            (Some(h), Some(r)) if county_of(h) != county_of(r) => "非本县户籍",
            (None, _) => "户籍不详",
            _ if person.lives_away_from_registration() => "本县户籍、人户分离",
            _ => "本县户籍、人户一致",
        };
        let disabled = county.facts_of(person.id).iter().any(|f| {
            matches!(f.kind, FactKind::Disability { .. }) && f.valid_from.is_none_or(|d| d <= as_of)
        });
        let dims: [(usize, &'static str, String); 5] = [
            (0, "乡镇（街道）", town),
            (
                1,
                "性别",
                match person.sex {
                    Sex::Male => "男".into(),
                    Sex::Female => "女".into(),
                },
            ),
            (2, "年龄段", age_band(person.age_on(as_of)).into()),
            (3, "户籍", registration.into()),
            (
                4,
                "残疾",
                if disabled {
                    "持残疾人证"
                } else {
                    "无残疾人证"
                }
                .into(),
            ),
        ];
        for (order, dimension, group) in dims {
            let row = groups
                .entry((order, dimension, group.clone()))
                .or_insert_with(|| GroupRow {
                    dimension,
                    group,
                    children: 0,
                    levels: vec![0; level_count],
                    categories: vec![0; Category::ALL.len()],
                });
            row.children += 1;
            if let Some((level, _)) = risk {
                if let Some(slot) = row.levels.get_mut(*level as usize) {
                    *slot += 1;
                }
            }
            for (i, c) in Category::ALL.iter().enumerate() {
                if categories.is_some_and(|set| set.contains(c)) {
                    row.categories[i] += 1;
                }
            }
        }
    }
    let indicators = model
        .map(|m| {
            m.indicators
                .iter()
                .map(|ind| {
                    let n = fired.get(&ind.code).copied().unwrap_or(0);
                    let rate = if assessed == 0 {
                        0.0
                    } else {
                        n as f64 / assessed as f64
                    };
                    let flag = if assessed == 0 {
                        None
                    } else if n == 0 && ind.from_visit {
                        Some("尚无走访数据")
                    } else if n == 0 {
                        Some("无人触发")
                    } else if rate >= ALMOST_ALL {
                        Some("几乎人人触发")
                    } else {
                        None
                    };
                    IndicatorRate {
                        label: ind.label.clone(),
                        group: ind.group.label_zh(),
                        from_visit: ind.from_visit,
                        fired: n,
                        rate,
                        flag,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(FairnessReport {
        as_of,
        level_labels: model.map_or(Vec::new(), |m| {
            m.levels.iter().map(|l| l.label.clone()).collect()
        }),
        children,
        assessed,
        groups: groups.into_values().collect(),
        indicators,
    })
}
