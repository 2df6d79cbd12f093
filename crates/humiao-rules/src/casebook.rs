//! Case books: a family's facts and the categories a pack must give them, in TOML, so the centre
//! can test a pack before activating it (`humiao rules test PACK BOOK`).
//!
//! ```toml
//! [[case]]
//! name = "父母双亡 → 孤儿"
//! as_of = "2026-11-22"
//! child = { birth = "2015-03-01", sex = "male", rural = true, residence = "home" }  # or "away", "unknown"
//! father = [{ type = "death", from = "2020-01-01" }]
//! mother = [{ type = "death", from = "2021-01-01" }]
//! expect = ["orphan", "entitled_not_receiving"]
//! expect_undetermined = []                   # optional
//! expect_monthly_fen = { orphan_allowance = 162000 }   # optional
//! ```
//!
//! A parent left out is unknown to the data; `father = []` is a known father with no facts.
//! `household = [...]` gives facts of other members of the child's 户 (a grandparent's 低保);
//! `household_known = false` makes the 户 unknown. `observations = { domestic_violence = true }`
//! is what a visit on the case's date observed (indicator codes of the general risk model;
//! `"self_harm.low_mood"` for another model's). `expect_model_levels = { self_harm = "high" }`
//! checks other models' levels.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use humiao_core::fact::{Fact, FactKind};
use humiao_core::person::{Person, PersonId, PersonName, SourceRecordId};
use humiao_core::policy::{Category, ChildCase, Observation, ParentFacts};
use humiao_core::{RegionCode, Sex};
use serde::Deserialize;
use toml::Spanned;

use crate::pack::{PackError, PackErrors, RulePack};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBook {
    #[serde(rename = "case", default)]
    cases: Vec<Spanned<RawCase>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: String,
    as_of: NaiveDate,
    child: RawChild,
    #[serde(default)]
    child_facts: Vec<RawFact>,
    #[serde(default)]
    father: Option<Vec<RawFact>>,
    #[serde(default)]
    mother: Option<Vec<RawFact>>,
    /// Facts of other members of the child's 户 (a grandparent's 低保, say).
    #[serde(default)]
    household: Vec<RawFact>,
    /// `false`: the child's 户号 is unknown, so nothing is known of the household.
    #[serde(default = "known")]
    household_known: bool,
    /// What a visit on the case's date observed: `{ domestic_violence = true }` for the general
    /// model's indicators, `"model.indicator"` for another model's.
    #[serde(default)]
    observations: BTreeMap<String, bool>,
    expect: Vec<String>,
    #[serde(default)]
    expect_undetermined: Option<Vec<String>>,
    #[serde(default)]
    expect_monthly_fen: BTreeMap<String, i64>,
    /// The general risk model's level code (e.g. "medium").
    #[serde(default)]
    expect_risk_level: Option<String>,
    /// The general risk model's score range [known, if every unknown held].
    #[serde(default)]
    expect_risk_score: Option<[u32; 2]>,
    /// Other models' level codes by model code (`{ self_harm = "high" }`).
    #[serde(default)]
    expect_model_levels: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChild {
    birth: NaiveDate,
    #[serde(default = "default_sex")]
    sex: String,
    #[serde(default)]
    rural: bool,
    /// Where the child lives against the registration: `home` (the default), `away`
    /// (人户分离; the 居住登记 date is a `lives_away` fact) or `unknown`.
    #[serde(default)]
    residence: Residence,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Residence {
    #[default]
    Home,
    Away,
    Unknown,
}

/// The registration village and residence grid a case's child gets.
fn residence(r: Residence) -> (Option<RegionCode>, Option<RegionCode>) {
    let code = |c: &str| RegionCode::parse(c).ok();
    match r {
        Residence::Home => (code("330212001001"), code("330212001001001")),
        Residence::Away => (code("330212001001"), code("330212002003001")),
        Residence::Unknown => (code("330212001001"), None),
    }
}

fn known() -> bool {
    true
}

fn default_sex() -> String {
    "male".into()
}

#[derive(Debug, Deserialize)]
struct RawFact {
    #[serde(flatten)]
    kind: FactKind,
    #[serde(default)]
    from: Option<NaiveDate>,
    #[serde(default)]
    to: Option<NaiveDate>,
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    pub name: String,
    pub line: usize,
    /// Empty when the case passed; otherwise each difference in words.
    pub failures: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookReport {
    pub cases: Vec<CaseResult>,
}

impl BookReport {
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.failures.is_empty()).count()
    }

    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |t| t.matches('\n').count() + 1)
}

fn facts(raw: &[RawFact], person: i64, next_source: &mut i64) -> Vec<Fact> {
    raw.iter()
        .map(|f| {
            *next_source += 1;
            Fact {
                person: PersonId(person),
                kind: f.kind.clone(),
                valid_from: f.from,
                valid_to: f.to,
                source: SourceRecordId(*next_source),
            }
        })
        .collect()
}

fn codes(list: &[String], file: &str, line: usize) -> Result<Vec<Category>, PackError> {
    list.iter()
        .map(|c| {
            Category::parse(c).ok_or_else(|| PackError {
                file: file.to_string(),
                line,
                column: 1,
                problem: format!("未知类别代码“{c}”"),
            })
        })
        .collect()
}

fn names(list: &[Category]) -> String {
    if list.is_empty() {
        return "（无）".into();
    }
    list.iter()
        .map(|c| format!("{}({})", c.label_zh(), c.code()))
        .collect::<Vec<_>>()
        .join("、")
}

/// Runs every case of a book against `pack`. A malformed book is an error naming file and line;
/// a case whose outcome differs is a failure in the report.
pub fn run(pack: &RulePack, file: &str, text: &str) -> Result<BookReport, PackErrors> {
    let book: RawBook = toml::from_str(text).map_err(|e| {
        let line = line_of(text, e.span().map_or(0, |s| s.start));
        PackErrors(vec![PackError {
            file: file.to_string(),
            line,
            column: 1,
            problem: format!("案例集格式错误：{}", e.message()),
        }])
    })?;
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for spanned in &book.cases {
        let line = line_of(text, spanned.span().start);
        let case = spanned.get_ref();
        let expected = match codes(&case.expect, file, line) {
            Ok(c) => c,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let expected_undetermined = match case
            .expect_undetermined
            .as_deref()
            .map(|u| codes(u, file, line))
            .transpose()
        {
            Ok(c) => c,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let Some(sex) = Sex::parse(&case.child.sex).or(match case.child.sex.as_str() {
            "male" => Some(Sex::Male),
            "female" => Some(Sex::Female),
            _ => None,
        }) else {
            errors.push(PackError {
                file: file.to_string(),
                line,
                column: 1,
                problem: format!("性别“{}”应为 male 或 female", case.child.sex),
            });
            continue;
        };
        let (hukou_region, residence_grid) = residence(case.child.residence);
        let child = Person {
            id: PersonId(1),
            citizen_id: None,
            name: PersonName::parse("案例儿童").expect("a valid name"),
            sex,
            birth_date: case.child.birth,
            hukou_region,
            hukou_address: None,
            residence_grid,
            residence_address: None,
            household_no: None,
        };
        let mut source = 0;
        let child_facts = facts(&case.child_facts, 1, &mut source);
        let father = case.father.as_deref().map(|f| facts(f, 2, &mut source));
        let mother = case.mother.as_deref().map(|f| facts(f, 3, &mut source));
        // The 户: the child, the known parents and the other members given.
        let mut household = facts(&case.household, 4, &mut source);
        household.extend(child_facts.iter().cloned());
        household.extend(father.iter().chain(&mother).flatten().cloned());
        let mut observations: Vec<Observation> = Vec::new();
        let mut bad_key = None;
        for (key, present) in &case.observations {
            let (model, indicator) = key.split_once('.').unwrap_or(("general", key));
            let visit_fed = pack.risk.iter().any(|m| {
                m.code == model
                    && m.indicators
                        .iter()
                        .any(|i| i.code == indicator && i.from_visit)
            });
            if !visit_fed {
                bad_key = Some(key.clone());
            }
            observations.push(Observation {
                model: model.to_string(),
                indicator: indicator.to_string(),
                present: *present,
                observed_on: case.as_of,
                visit: 1,
            });
        }
        if let Some(key) = bad_key {
            errors.push(PackError {
                file: file.to_string(),
                line,
                column: 1,
                problem: format!("observations：“{key}”不是风险模型中由走访填报的指标"),
            });
            continue;
        }
        let child_case = ChildCase {
            child: &child,
            child_facts: &child_facts,
            father: father.as_deref().map(|facts| ParentFacts { facts }),
            mother: mother.as_deref().map(|facts| ParentFacts { facts }),
            registered_rural: case.child.rural,
            household: case.household_known.then_some(household.as_slice()),
            observations: &observations,
        };
        let outcome = pack.assess(&child_case, case.as_of);
        let mut failures = Vec::new();
        let mut got = outcome.categories();
        got.sort();
        got.dedup();
        let mut want = expected;
        want.sort();
        want.dedup();
        if got != want {
            failures.push(format!("类别应为 {}，实际为 {}", names(&want), names(&got)));
        }
        if let Some(mut want_u) = expected_undetermined {
            let mut got_u: Vec<Category> =
                outcome.undetermined.iter().map(|u| u.category).collect();
            got_u.sort();
            want_u.sort();
            if got_u != want_u {
                failures.push(format!(
                    "无法判定的类别应为 {}，实际为 {}",
                    names(&want_u),
                    names(&got_u)
                ));
            }
        }
        for (code, want_fen) in &case.expect_monthly_fen {
            let got_fen = outcome
                .entitlements
                .iter()
                .find(|e| &e.code == code && e.payable)
                .and_then(|e| e.monthly_fen);
            if got_fen != Some(*want_fen) {
                failures.push(format!(
                    "待遇 {code} 月标准应为 {want_fen} 分，实际为 {}",
                    got_fen.map_or("（无）".into(), |f| format!("{f} 分"))
                ));
            }
        }
        let risk = outcome.risk.first();
        if let Some(want) = &case.expect_risk_level {
            let got = risk
                .map(|r| r.level_info(pack).code.as_str())
                .unwrap_or("（无风险模型）");
            if got != want {
                failures.push(format!("风险等级应为 {want}，实际为 {got}"));
            }
        }
        if let Some([lo, hi]) = case.expect_risk_score {
            let got = risk.map(|r| (r.score, r.score_max));
            if got != Some((lo, hi)) {
                failures.push(format!(
                    "风险评分应为 {lo}–{hi}，实际为 {}",
                    got.map_or("（无）".into(), |(a, b)| format!("{a}–{b}"))
                ));
            }
        }
        for (model, want) in &case.expect_model_levels {
            let got = outcome
                .risk
                .iter()
                .find(|r| &r.model(pack).code == model)
                .map(|r| r.level_info(pack).code.clone());
            match got {
                None => failures.push(format!("规则包中没有风险模型 {model}")),
                Some(got) if &got != want => {
                    failures.push(format!("风险模型 {model} 的等级应为 {want}，实际为 {got}"))
                }
                Some(_) => {}
            }
        }
        cases.push(CaseResult {
            name: case.name.clone(),
            line,
            failures,
        });
    }
    if !errors.is_empty() {
        return Err(PackErrors(errors));
    }
    Ok(BookReport { cases })
}
