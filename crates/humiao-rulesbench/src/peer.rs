//! The peer: the same national rules written in Rhai (`bench/rules/national.rhai`), a general
//! embedded scripting/rules engine. Facts are bound to a map per child (what any generic engine
//! needs), then the script's `assess` is called.

use chrono::NaiveDate;
use humiao_core::fact::{Fact, FactKind};
use humiao_core::records::{AssistanceType, CustodyMeasure};
use humiao_rules::vocab::{disability_code, whole_months};
use rhai::{Array, Dynamic, Engine, Map, Scope, AST};

use crate::county::Child;

/// The national rules in Rhai.
pub const NATIONAL_RHAI: &str = include_str!("../../../bench/rules/national.rhai");
use crate::Outcome;

fn started(f: &Fact, as_of: NaiveDate) -> bool {
    f.valid_from.is_none_or(|d| d <= as_of)
}

fn paid(facts: &[Fact], kind: AssistanceType, as_of: NaiveDate, months: u32) -> bool {
    let since = as_of
        .checked_sub_months(chrono::Months::new(months))
        .unwrap_or(NaiveDate::MIN);
    facts.iter().any(|f| {
        matches!(f.kind, FactKind::Payment { assistance, .. } if assistance == kind)
            && started(f, as_of)
            && f.valid_to.is_some_and(|to| to >= since)
    })
}

fn person(facts: &[Fact], as_of: NaiveDate, lookback: u32) -> Map {
    let mut m = Map::new();
    let has = |pred: &dyn Fn(&Fact) -> bool| facts.iter().any(pred);
    m.insert(
        "dead".into(),
        has(&|f| f.kind == FactKind::Death && started(f, as_of)).into(),
    );
    let missing = facts
        .iter()
        .find(|f| f.kind == FactKind::Missing && started(f, as_of));
    m.insert("missing".into(), missing.is_some().into());
    m.insert(
        "missing_months".into(),
        Dynamic::from(
            missing
                .and_then(|f| f.valid_from)
                .map_or(-1, |d| whole_months(d, as_of)),
        ),
    );
    let custody = facts
        .iter()
        .find(|f| matches!(f.kind, FactKind::Custody { .. }) && f.holds_on(as_of));
    m.insert("custody".into(), custody.is_some().into());
    m.insert(
        "custody_months".into(),
        Dynamic::from(
            custody
                .and_then(|f| {
                    f.valid_from
                        .map(|s| whole_months(s, f.valid_to.unwrap_or(as_of)))
                })
                .unwrap_or(-1),
        ),
    );
    m.insert(
        "custody_measure".into(),
        match custody.map(|f| &f.kind) {
            Some(FactKind::Custody {
                measure: CustodyMeasure::DrugRehabilitation,
            }) => "drug_rehabilitation",
            Some(FactKind::Custody {
                measure: CustodyMeasure::Imprisonment,
            }) => "imprisonment",
            Some(_) => "other_restriction",
            None => "",
        }
        .into(),
    );
    let cert = facts
        .iter()
        .filter(|f| started(f, as_of))
        .filter_map(|f| match f.kind {
            FactKind::Disability { category, grade } => Some((grade, category)),
            _ => None,
        })
        .min_by_key(|(g, _)| *g);
    m.insert(
        "dgrade".into(),
        Dynamic::from(cert.map_or(0i64, |(g, _)| i64::from(g))),
    );
    m.insert(
        "dcat".into(),
        cert.map_or("", |(_, c)| disability_code(c)).into(),
    );
    m.insert(
        "ill".into(),
        has(&|f| matches!(f.kind, FactKind::SeriousIllness { .. }) && f.holds_on(as_of)).into(),
    );
    m.insert(
        "revoked".into(),
        has(&|f| f.kind == FactKind::GuardianshipRevoked && started(f, as_of)).into(),
    );
    m.insert(
        "deported".into(),
        has(&|f| f.kind == FactKind::Deported && started(f, as_of)).into(),
    );
    m.insert(
        "works_away".into(),
        has(&|f| matches!(f.kind, FactKind::WorksAway { .. }) && f.holds_on(as_of)).into(),
    );
    m.insert(
        "divorced".into(),
        has(&|f| matches!(f.kind, FactKind::Divorce { .. }) && started(f, as_of)).into(),
    );
    m.insert(
        "enrolled".into(),
        has(&|f| matches!(f.kind, FactKind::Enrolment { .. }) && f.holds_on(as_of)).into(),
    );
    m.insert(
        "subsistence".into(),
        (paid(facts, AssistanceType::Dibao, as_of, lookback)
            || paid(facts, AssistanceType::Tekun, as_of, lookback))
        .into(),
    );
    m
}

/// Binds one child's facts to the map the script reads.
fn bind(child: &Child, as_of: NaiveDate, lookback: u32) -> Map {
    let mut c = person(&child.own, as_of, lookback);
    c.insert(
        "age".into(),
        Dynamic::from(i64::from(child.person.age_on(as_of))),
    );
    c.insert("rural".into(), child.rural.into());
    c.insert(
        "paid_orphan".into(),
        paid(&child.own, AssistanceType::OrphanAllowance, as_of, lookback).into(),
    );
    c.insert(
        "paid_unsupported".into(),
        paid(
            &child.own,
            AssistanceType::UnsupportedChildAllowance,
            as_of,
            lookback,
        )
        .into(),
    );
    let lives_away = child.person.lives_away_from_registration();
    c.insert("lives_away".into(), lives_away.into());
    let since = child
        .own
        .iter()
        .filter(|f| f.kind == FactKind::LivesAway && started(f, as_of))
        .filter_map(|f| f.valid_from)
        .max();
    c.insert(
        "lives_away_months".into(),
        Dynamic::from(match (lives_away, since) {
            (false, _) => 0,
            (true, Some(d)) => whole_months(d, as_of),
            (true, None) => -1,
        }),
    );
    let latest = child
        .father
        .iter()
        .chain(&child.mother)
        .filter(|f| {
            matches!(
                f.kind,
                FactKind::Death
                    | FactKind::Missing
                    | FactKind::Custody { .. }
                    | FactKind::Divorce { .. }
            )
        })
        .filter_map(|f| f.valid_from.filter(|d| *d <= as_of))
        .max();
    c.insert(
        "days_since_change".into(),
        Dynamic::from(latest.map_or(-1, |d| (as_of - d).num_days())),
    );
    c.insert(
        "father".into(),
        Dynamic::from_map(person(&child.father, as_of, lookback)),
    );
    c.insert(
        "mother".into(),
        Dynamic::from_map(person(&child.mother, as_of, lookback)),
    );
    c
}

pub struct Peer {
    engine: Engine,
    ast: AST,
    params: Map,
    lookback: u32,
}

impl Peer {
    /// Compiles the script; parameters are those of the national pack on `as_of`.
    pub fn new(
        script: &str,
        pack: &humiao_rules::RulePack,
        as_of: NaiveDate,
    ) -> anyhow::Result<Self> {
        let mut engine = Engine::new();
        engine.set_max_expr_depths(64, 64);
        let ast = engine.compile(script)?;
        let int = |name: &str| -> anyhow::Result<i64> {
            match pack.parameter(name).map(|p| p.value_on(as_of)) {
                Some(humiao_rules::value::Value::Int(v)) => Ok(v),
                other => anyhow::bail!("parameter {name}: {other:?}"),
            }
        };
        let mut params = Map::new();
        for (key, name) in [
            ("adult_age", "adult_age"),
            ("left_max", "left_behind_max_age"),
            ("min_months", "condition_min_months"),
            ("severe_max", "severe_disability_max_grade"),
            ("preschool", "preschool_age"),
            ("school_from", "compulsory_school_from"),
            ("school_to", "compulsory_school_to"),
            ("recent_days", "recent_change_days"),
            ("migrant_months", "migrant_min_months"),
        ] {
            params.insert(key.into(), Dynamic::from(int(name)?));
        }
        let cats: Array = vec!["mental".into(), "intellectual".into()];
        params.insert("severe_cats".into(), Dynamic::from_array(cats));
        let lookback = int("payment_lookback_months")? as u32;
        Ok(Self {
            engine,
            ast,
            params,
            lookback,
        })
    }

    pub fn assess(&self, child: &Child, as_of: NaiveDate) -> anyhow::Result<Outcome> {
        let map = bind(child, as_of, self.lookback);
        let mut scope = Scope::new();
        let result: Map = self.engine.call_fn(
            &mut scope,
            &self.ast,
            "assess",
            (
                Dynamic::from_map(map),
                Dynamic::from_map(self.params.clone()),
            ),
        )?;
        let mut categories: Vec<String> = result
            .get("cats")
            .and_then(|c| c.clone().try_cast::<Array>())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|d| d.into_string().ok())
            .collect();
        categories.sort();
        categories.dedup();
        let score = result
            .get("score")
            .and_then(|s| s.as_int().ok())
            .unwrap_or(-1);
        Ok(Outcome {
            categories,
            score: score as u32,
        })
    }
}
