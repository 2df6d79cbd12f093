//! A deterministic synthetic county (护苗县, code 330199 — fictitious) and the files its
//! departments would deliver: the 公安 household register, the 教育 school roll (XLSX), 民政
//! assistance payments (GBK), 司法 prisoners, 残联 certificates, divorces and 卫健 serious-illness
//! diagnoses, each in its own layout with a mapping file (docs/mapping.md), plus `truth.json`:
//! which children the system should find, and why.
//!
//! Every person is synthetic. The same seed and `as_of` give byte-identical files.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use humiao_core::person::age_on;
use humiao_core::policy::Category;
use humiao_core::{CitizenId, Department, Region, RegionCode, Sex};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

mod extras;
mod mappings;
mod model;
mod names;
mod output;
mod places;
mod rules;
mod truth;

pub use truth::Scenario;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Number of children (0–17, plus one who turned 18 yesterday).
    pub children: usize,
    pub seed: u64,
    /// The day the data is "exported"; every date is relative to it.
    pub as_of: NaiveDate,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            children: 5000,
            seed: 2026,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date"),
        }
    }
}

/// One department file set to import, with its mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSpec {
    pub department: Department,
    pub mapping: PathBuf,
    pub files: Vec<PathBuf>,
}

/// Rows written to one department file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSummary {
    pub department: Department,
    /// `record_kind` of its mapping.
    pub record_kind: String,
    /// Relative to the output directory, `/`-separated.
    pub path: String,
    pub mapping: String,
    /// Data rows (header and title rows not counted), malformed ones included.
    pub rows: usize,
    /// 1-based lines (as a spreadsheet shows them) of rows malformed on purpose: the rows the
    /// importer should quarantine.
    pub malformed_lines: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoSummary {
    pub county_code: RegionCode,
    pub county_name: String,
    pub seed: u64,
    pub as_of: NaiveDate,
    pub towns: usize,
    /// Villages (村, rural) and communities (社区, urban).
    pub villages: usize,
    pub rural_villages: usize,
    pub grids: usize,
    pub persons: usize,
    /// Persons generated as children (including the one who just turned 18).
    pub children: usize,
    /// Children under 18 on `as_of`.
    pub minors: usize,
    pub households: usize,
    /// Full names carried by more than one person.
    pub repeated_names: usize,
    pub files: Vec<FileSummary>,
    /// Expected number of children in each category on `as_of`.
    pub categories: BTreeMap<Category, usize>,
    /// Number of children carrying each scenario tag.
    pub scenarios: BTreeMap<Scenario, usize>,
}

/// The ground truth for one child with at least one scenario or category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthChild {
    pub citizen_id: Option<CitizenId>,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub age: i32,
    pub household_no: String,
    /// 户籍 village.
    pub hukou_region: RegionCode,
    pub rural: bool,
    pub father_citizen_id: Option<CitizenId>,
    pub mother_citizen_id: Option<CitizenId>,
    pub scenarios: Vec<Scenario>,
    /// Categories the policy engine should decide on `as_of` (default parameters), sorted.
    pub expected: Vec<Category>,
}

#[derive(Debug, Clone)]
pub struct DemoCounty {
    /// County, towns, villages and grids, each parent before its children.
    pub regions: Vec<Region>,
    /// In import order: the 公安 register first.
    pub imports: Vec<ImportSpec>,
    pub summary: DemoSummary,
    pub truth: Vec<TruthChild>,
}

#[derive(Serialize)]
struct TruthFile<'a> {
    generator: &'static str,
    summary: &'a DemoSummary,
    children: &'a [TruthChild],
}

/// Generates the county and writes its files under `out_dir`:
/// `departments/…` (data), `mappings/…toml` and `truth.json`.
pub fn generate(config: &DemoConfig, out_dir: &Path) -> anyhow::Result<DemoCounty> {
    anyhow::ensure!(config.children > 0, "children must be at least 1");
    let as_of = config.as_of;
    // Grandparents are born up to ~95 years before `as_of`; IDs need years from 1900.
    anyhow::ensure!(
        (2000..=2090).contains(&as_of.year()),
        "as_of must lie between 2000 and 2090, not {as_of}"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut world = model::World::generate(&mut rng, config.children, as_of);

    let mut student_of: Vec<Option<usize>> = vec![None; world.persons.len()];
    for (i, s) in world.students.iter().enumerate() {
        student_of[s.child] = Some(i);
    }
    let child_ids: Vec<usize> = (0..world.persons.len())
        .filter(|&p| world.is_child(p))
        .collect();
    let mut tags: Vec<Vec<Scenario>> = child_ids
        .iter()
        .map(|&c| truth::scenarios(&world, c, student_of[c]))
        .collect();
    let expected: Vec<Vec<Category>> = child_ids
        .iter()
        .map(|&c| rules::categories(&world, c))
        .collect();
    let mut slot: Vec<Option<usize>> = vec![None; world.persons.len()];
    for (i, &c) in child_ids.iter().enumerate() {
        slot[c] = Some(i);
    }
    let staged = |c: usize| slot[c].is_some_and(|i| !tags[i].is_empty() || !expected[i].is_empty());
    // Damage the register rows of a few children whose families have nothing staged.
    let untouched: Vec<usize> = child_ids
        .iter()
        .copied()
        .filter(|&c| {
            let fam = &world.families[world.persons[c].family];
            !fam.children.iter().any(|&s| staged(s)) && age_on(world.persons[c].birth, as_of) >= 1
        })
        .collect();
    world.damage_register(&mut rng, &untouched);
    for (c, _) in &world.register_damage {
        if let Some(i) = slot[*c] {
            tags[i].push(Scenario::RegisterRowMalformed);
        }
    }

    let mut truth_children = Vec::new();
    let mut categories: BTreeMap<Category, usize> = Category::ALL.iter().map(|c| (*c, 0)).collect();
    let mut scenarios: BTreeMap<Scenario, usize> = Scenario::ALL.iter().map(|s| (*s, 0)).collect();
    for (i, &c) in child_ids.iter().enumerate() {
        let tags = std::mem::take(&mut tags[i]);
        let expected = expected[i].clone();
        for t in &tags {
            *scenarios.entry(*t).or_default() += 1;
        }
        for e in &expected {
            *categories.entry(*e).or_default() += 1;
        }
        if tags.is_empty() && expected.is_empty() {
            continue;
        }
        let p = &world.persons[c];
        let hh = &world.households[p.household];
        let village = &world.places.villages[hh.village];
        truth_children.push(TruthChild {
            citizen_id: Some(p.id.clone()),
            name: p.name.clone(),
            sex: p.sex,
            birth_date: p.birth,
            age: age_on(p.birth, as_of),
            household_no: hh.no.clone(),
            hukou_region: RegionCode::parse(&village.code)?,
            rural: village.rural,
            father_citizen_id: p.father.map(|f| world.persons[f].id.clone()),
            mother_citizen_id: p.mother.map(|m| world.persons[m].id.clone()),
            scenarios: tags,
            expected,
        });
    }

    let files = output::render(&world, &mut rng)?;

    let mut name_counts: HashMap<&str, usize> = HashMap::new();
    for p in &world.persons {
        *name_counts.entry(p.name.as_str()).or_default() += 1;
    }
    let summary = DemoSummary {
        county_code: RegionCode::parse(places::COUNTY_CODE)?,
        county_name: places::COUNTY_NAME.to_string(),
        seed: config.seed,
        as_of,
        towns: world.places.towns.len(),
        villages: world.places.villages.len(),
        rural_villages: world.places.villages.iter().filter(|v| v.rural).count(),
        grids: world.places.grid_count(),
        persons: world.persons.len(),
        children: child_ids.len(),
        minors: child_ids
            .iter()
            .filter(|&&c| rules::is_minor(&world.persons[c], &world))
            .count(),
        households: world.households.len(),
        repeated_names: name_counts.values().filter(|&&n| n > 1).count(),
        files: files
            .iter()
            .map(|f| FileSummary {
                department: f.department,
                record_kind: f.record_kind.to_string(),
                path: f.path.to_string(),
                mapping: f.mapping_path.to_string(),
                rows: f.rows,
                malformed_lines: f.malformed_lines.clone(),
            })
            .collect(),
        categories,
        scenarios,
    };

    let mut imports = Vec::new();
    for f in &files {
        let data = out_dir.join(f.path);
        let mapping = out_dir.join(f.mapping_path);
        for path in [&data, &mapping] {
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
        }
        fs::write(&data, &f.bytes).with_context(|| format!("cannot write {}", data.display()))?;
        fs::write(&mapping, f.mapping)
            .with_context(|| format!("cannot write {}", mapping.display()))?;
        imports.push(ImportSpec {
            department: f.department,
            mapping,
            files: vec![data],
        });
    }
    let truth_path = out_dir.join("truth.json");
    let mut json = serde_json::to_vec_pretty(&TruthFile {
        generator: "humiao-demo",
        summary: &summary,
        children: &truth_children,
    })?;
    json.push(b'\n');
    fs::write(&truth_path, json)
        .with_context(|| format!("cannot write {}", truth_path.display()))?;

    Ok(DemoCounty {
        regions: world.places.regions(),
        imports,
        summary,
        truth: truth_children,
    })
}

#[cfg(test)]
mod tests;
