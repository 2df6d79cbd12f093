//! The policy engine, first version: which children are 孤儿, 事实无人抚养儿童 or 农村留守儿童,
//! and which of those entitled to an allowance receive none (应保未保).
//!
//! Every decision carries its reasons (the facts, with their source records) and the policy
//! document it rests on. The thresholds are [`PolicyParams`] so a locality can change them;
//! rule packs as data come later (issue 5). This module must not read the clock: pass `as_of`.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::fact::{Fact, FactKind};
use crate::person::{Person, RelationKind, SourceRecordId};
use crate::records::{AssistanceType, DisabilityCategory};

/// A category a child can be placed in, or a status of their entitlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 孤儿
    Orphan,
    /// 事实无人抚养儿童
    DeFactoUnsupported,
    /// 农村留守儿童
    RuralLeftBehind,
    /// 应保未保: entitled to an allowance, no payment on record.
    EntitledNotReceiving,
    /// 不应保而保: an allowance still paid, no longer entitled.
    ReceivingNotEntitled,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Self::Orphan,
        Self::DeFactoUnsupported,
        Self::RuralLeftBehind,
        Self::EntitledNotReceiving,
        Self::ReceivingNotEntitled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Orphan => "orphan",
            Self::DeFactoUnsupported => "de_facto_unsupported",
            Self::RuralLeftBehind => "rural_left_behind",
            Self::EntitledNotReceiving => "entitled_not_receiving",
            Self::ReceivingNotEntitled => "receiving_not_entitled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Orphan => "孤儿",
            Self::DeFactoUnsupported => "事实无人抚养儿童",
            Self::RuralLeftBehind => "农村留守儿童",
            Self::EntitledNotReceiving => "应保未保",
            Self::ReceivingNotEntitled => "不应保而保",
        }
    }

    /// The policy document the decision rests on.
    pub fn policy_ref(self) -> &'static str {
        match self {
            Self::Orphan => "国办发〔2010〕54号",
            Self::DeFactoUnsupported => "民发〔2019〕62号；民发〔2020〕125号",
            Self::RuralLeftBehind => "国发〔2016〕13号",
            Self::EntitledNotReceiving | Self::ReceivingNotEntitled => {
                "民发〔2019〕62号；国办发〔2010〕54号"
            }
        }
    }
}

/// Thresholds of the rules (*parameters* in the domain brief).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyParams {
    /// Minors are under this age (18).
    pub adult_age: i32,
    /// 农村留守儿童 are under this age (16).
    pub left_behind_max_age: i32,
    /// Custody and lost contact count as conditions from this many months (6).
    pub condition_min_months: u32,
    /// An allowance counts as received if paid for a month ending within this many months (2).
    pub payment_lookback_months: u32,
}

impl Default for PolicyParams {
    fn default() -> Self {
        Self {
            adult_age: 18,
            left_behind_max_age: 16,
            condition_min_months: 6,
            payment_lookback_months: 2,
        }
    }
}

/// Why a decision was made: one fact (or absence of one) in words, and the records behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub text: String,
    pub sources: Vec<SourceRecordId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub category: Category,
    pub reasons: Vec<Reason>,
    pub policy: String,
}

/// What is known about one parent. `None` in [`ChildCase`] means the parent is not known at all.
#[derive(Debug, Clone, Copy)]
pub struct ParentFacts<'a> {
    pub facts: &'a [Fact],
}

/// Everything the rules look at for one child.
#[derive(Debug, Clone, Copy)]
pub struct ChildCase<'a> {
    pub child: &'a Person,
    pub child_facts: &'a [Fact],
    pub father: Option<ParentFacts<'a>>,
    pub mother: Option<ParentFacts<'a>>,
    /// Registered (户籍) in a rural village (村).
    pub registered_rural: bool,
}

fn fmt_date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "日期不详".into())
}

fn months_after(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

fn started_by(fact: &Fact, as_of: NaiveDate) -> bool {
    fact.valid_from.is_none_or(|from| from <= as_of)
}

/// Dead, or declared missing: the "one parent" branch of 事实无人抚养.
fn dead_or_missing(who: &str, parent: ParentFacts, as_of: NaiveDate) -> Option<Reason> {
    parent
        .facts
        .iter()
        .find(|f| matches!(f.kind, FactKind::Death | FactKind::Missing) && started_by(f, as_of))
        .map(|f| Reason {
            text: format!(
                "{who}{}（{}）",
                f.kind.describe_zh(),
                fmt_date(f.valid_from)
            ),
            sources: vec![f.source],
        })
}

fn is_dead(parent: Option<ParentFacts<'_>>, as_of: NaiveDate) -> Option<&Fact> {
    parent?
        .facts
        .iter()
        .find(|f| f.kind == FactKind::Death && started_by(f, as_of))
}

/// Severe disability: grade 1–2 of any kind, or grade 3–4 mental or intellectual.
fn severe_disability(kind: &FactKind) -> bool {
    match kind {
        FactKind::Disability { category, grade } => {
            *grade <= 2
                || matches!(
                    category,
                    DisabilityCategory::Intellectual | DisabilityCategory::Mental
                )
        }
        _ => false,
    }
}

/// One of the conditions of 民发〔2019〕62号 (and 〔2020〕125号) that leaves a parent unable to
/// raise the child, as of `as_of`.
fn parent_condition(
    who: &str,
    parent: ParentFacts,
    as_of: NaiveDate,
    params: &PolicyParams,
) -> Option<Reason> {
    let months = params.condition_min_months;
    parent.facts.iter().find_map(|f| {
        let text = match &f.kind {
            k if severe_disability(k) && started_by(f, as_of) => {
                format!("{who}重残：{}", k.describe_zh())
            }
            FactKind::SeriousIllness { .. } if f.holds_on(as_of) => {
                format!("{who}{}", f.kind.describe_zh())
            }
            FactKind::Custody { measure } if f.holds_on(as_of) => {
                let start = f.valid_from?;
                // The measure must last at least `months`: by its planned end, or, when
                // open-ended, by the time already served.
                let end = f.valid_to.unwrap_or(as_of);
                if months_after(start, months) > end {
                    return None;
                }
                format!(
                    "{who}{}，{}起至{}，不少于{months}个月",
                    measure.label_zh(),
                    fmt_date(Some(start)),
                    f.valid_to
                        .map(|d| fmt_date(Some(d)))
                        .unwrap_or_else(|| "今".into())
                )
            }
            FactKind::Missing => {
                let from = f.valid_from?;
                if months_after(from, months) > as_of {
                    return None;
                }
                format!("{who}失联，自{}起已满{months}个月", fmt_date(Some(from)))
            }
            FactKind::GuardianshipRevoked if started_by(f, as_of) => {
                format!("{who}被撤销监护资格")
            }
            FactKind::Deported if started_by(f, as_of) => format!("{who}被遣送（驱逐）出境"),
            _ => return None,
        };
        Some(Reason {
            text,
            sources: vec![f.source],
        })
    })
}

/// Not able to act as guardian, for 留守: any current custody, severe disability or illness.
fn no_guardian_capacity(who: &str, parent: ParentFacts, as_of: NaiveDate) -> Option<Reason> {
    parent.facts.iter().find_map(|f| {
        let capable = match &f.kind {
            k if severe_disability(k) => !started_by(f, as_of),
            FactKind::SeriousIllness { .. } | FactKind::Custody { .. } => !f.holds_on(as_of),
            _ => true,
        };
        (!capable).then(|| Reason {
            text: format!("{who}无监护能力：{}", f.kind.describe_zh()),
            sources: vec![f.source],
        })
    })
}

fn works_away(who: &str, parent: ParentFacts, as_of: NaiveDate) -> Option<Reason> {
    parent
        .facts
        .iter()
        .find(|f| matches!(f.kind, FactKind::WorksAway { .. }) && f.holds_on(as_of))
        .map(|f| Reason {
            text: format!("{who}{}", f.kind.describe_zh()),
            sources: vec![f.source],
        })
}

/// Decides the child's categories as of `as_of`. An unknown parent satisfies no condition.
pub fn assess(case: &ChildCase, as_of: NaiveDate, params: &PolicyParams) -> Vec<Decision> {
    let child = case.child;
    if child.birth_date > as_of || child.age_on(as_of) >= params.adult_age {
        return Vec::new();
    }
    let age = child.age_on(as_of);
    let age_reason = Reason {
        text: format!(
            "{}出生，{}周岁，未满{}周岁",
            fmt_date(Some(child.birth_date)),
            age,
            params.adult_age
        ),
        sources: Vec::new(),
    };
    let father_label = RelationKind::Father.label_zh();
    let mother_label = RelationKind::Mother.label_zh();
    let mut decisions = Vec::new();

    let decide = |category: Category, mut reasons: Vec<Reason>| {
        reasons.insert(0, age_reason.clone());
        Decision {
            category,
            reasons,
            policy: category.policy_ref().to_string(),
        }
    };

    // 孤儿: both parents dead. Such a child is not also 事实无人抚养.
    if let (Some(f), Some(m)) = (is_dead(case.father, as_of), is_dead(case.mother, as_of)) {
        decisions.push(decide(
            Category::Orphan,
            vec![
                Reason {
                    text: format!("父亲死亡（{}）", fmt_date(f.valid_from)),
                    sources: vec![f.source],
                },
                Reason {
                    text: format!("母亲死亡（{}）", fmt_date(m.valid_from)),
                    sources: vec![m.source],
                },
            ],
        ));
    } else if let (Some(father), Some(mother)) = (case.father, case.mother) {
        let father_condition = parent_condition(father_label, father, as_of, params);
        let mother_condition = parent_condition(mother_label, mother, as_of, params);
        let reasons = match (father_condition, mother_condition) {
            (Some(f), Some(m)) => Some(vec![f, m]),
            (None, Some(m)) => dead_or_missing(father_label, father, as_of).map(|f| vec![f, m]),
            (Some(f), None) => dead_or_missing(mother_label, mother, as_of).map(|m| vec![f, m]),
            (None, None) => None,
        };
        if let Some(reasons) = reasons {
            decisions.push(decide(Category::DeFactoUnsupported, reasons));
        }
    }

    // 应保未保: entitled to the basic living allowance but no payment within the lookback.
    if let Some(entitled) = decisions.first().map(|d| d.category) {
        let allowance = match entitled {
            Category::Orphan => AssistanceType::OrphanAllowance,
            _ => AssistanceType::UnsupportedChildAllowance,
        };
        let since = as_of
            .checked_sub_months(Months::new(params.payment_lookback_months))
            .unwrap_or(NaiveDate::MIN);
        let paid = case.child_facts.iter().any(|f| {
            matches!(f.kind, FactKind::Payment { assistance, .. } if assistance == allowance)
                && f.valid_to.is_some_and(|to| to >= since)
                && started_by(f, as_of)
        });
        if !paid {
            let base = decisions[0].reasons[1..].to_vec();
            let mut reasons = base;
            reasons.push(Reason {
                text: format!(
                    "符合{}认定条件，但{}个月内无{}发放记录",
                    entitled.label_zh(),
                    params.payment_lookback_months,
                    allowance.label_zh()
                ),
                sources: Vec::new(),
            });
            decisions.push(decide(Category::EntitledNotReceiving, reasons));
        }
    }

    // 农村留守儿童: under 16, rural registration, both parents away working, or one away and
    // the other unable to act as guardian.
    if age < params.left_behind_max_age && case.registered_rural {
        if let (Some(father), Some(mother)) = (case.father, case.mother) {
            let father_away = works_away(father_label, father, as_of);
            let mother_away = works_away(mother_label, mother, as_of);
            let reasons = match (father_away, mother_away) {
                (Some(f), Some(m)) => Some(vec![f, m]),
                (Some(f), None) => {
                    no_guardian_capacity(mother_label, mother, as_of).map(|m| vec![f, m])
                }
                (None, Some(m)) => {
                    no_guardian_capacity(father_label, father, as_of).map(|f| vec![f, m])
                }
                (None, None) => None,
            };
            if let Some(mut reasons) = reasons {
                reasons.push(Reason {
                    text: "户籍地为农村".into(),
                    sources: Vec::new(),
                });
                decisions.push(decide(Category::RuralLeftBehind, reasons));
            }
        }
    }
    decisions
}

#[cfg(test)]
mod tests;
