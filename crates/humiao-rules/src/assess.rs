//! Running a pack on one child: categories, entitlements, 应保未保 and 不应保而保, each with the
//! facts that decided it; and what could not be decided for lack of data.

use chrono::NaiveDate;
use humiao_core::fact::FactKind;
use humiao_core::policy::{Category, ChildCase, Decision, Reason};
use serde::Serialize;

use crate::eval::{eval, Env};
use crate::pack::RulePack;
use crate::value::{Evidence, Truth, Value};
use crate::vocab::{assistance_code, assistance_label, Case};

/// A category the data can neither confirm nor rule out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Undetermined {
    pub category: Category,
    /// What is missing, e.g. "父亲身份不明".
    pub missing: Vec<String>,
    /// Facts found so far.
    pub reasons: Vec<Reason>,
}

/// An entitlement the child has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntitlementOutcome {
    pub code: String,
    pub label: String,
    pub policy: String,
    /// The monthly standard in fen as of the assessment date (None if the pack cannot say).
    pub monthly_fen: Option<i64>,
    /// False when a higher entitlement of the same group is paid instead (就高不就低).
    pub payable: bool,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Assessment {
    pub decisions: Vec<Decision>,
    pub undetermined: Vec<Undetermined>,
    pub entitlements: Vec<EntitlementOutcome>,
    /// One outcome per risk model of the pack, the general one first.
    pub risk: Vec<crate::risk::RiskOutcome>,
}

impl Assessment {
    pub fn categories(&self) -> Vec<Category> {
        self.decisions.iter().map(|d| d.category).collect()
    }
}

impl RulePack {
    /// Values of every parameter as of `date` (by parameter index).
    pub fn parameter_values(&self, date: NaiveDate) -> Vec<Value> {
        self.parameters.iter().map(|p| p.value_on(date)).collect()
    }

    /// Assesses one child as of `as_of`.
    pub fn assess(&self, case: &ChildCase, as_of: NaiveDate) -> Assessment {
        let params = self.parameter_values(as_of);
        self.assess_with(case, as_of, &params)
    }

    /// As [`RulePack::assess`], with the parameter values already resolved (for a whole county on
    /// one date).
    pub fn assess_with(&self, case: &ChildCase, as_of: NaiveDate, params: &[Value]) -> Assessment {
        let functions = &self.functions;
        // Every rule is first evaluated without reasons (nothing formatted); those that hold or
        // are unknown are evaluated again with reasons, for the explanation.
        let quick = Case {
            inner: case,
            as_of,
            explain: false,
        };
        let case = Case {
            explain: true,
            ..quick
        };
        let mut outcomes: Vec<Option<Evidence>> = vec![None; self.categories.len()];
        let mut out = Assessment::default();
        for (i, rule) in self.categories.iter().enumerate() {
            let first = eval(
                &rule.rule.node,
                &Env {
                    case: quick,
                    params,
                    functions,
                    categories: &outcomes,
                },
                &[],
            );
            let ev = if first.value.truth() == Truth::False {
                first
            } else {
                eval(
                    &rule.rule.node,
                    &Env {
                        case,
                        params,
                        functions,
                        categories: &outcomes,
                    },
                    &[],
                )
            };
            match ev.value.truth() {
                Truth::True => out.decisions.push(Decision {
                    category: rule.category,
                    reasons: ev.reasons.clone(),
                    policy: rule.policy.clone(),
                }),
                Truth::Unknown => out.undetermined.push(Undetermined {
                    category: rule.category,
                    missing: ev.missing.clone(),
                    reasons: ev.reasons.clone(),
                }),
                Truth::False => {}
            }
            outcomes[i] = Some(ev);
        }
        let env = Env {
            case,
            params,
            functions,
            categories: &outcomes,
        };
        let quick_env = Env {
            case: quick,
            params,
            functions,
            categories: &outcomes,
        };
        // Entitlements, and the evidence of those that do not hold (for 不应保而保).
        let mut not_entitled: Vec<usize> = Vec::new();
        for (i, ent) in self.entitlements.iter().enumerate() {
            let first = eval(&ent.rule.node, &quick_env, &[]);
            if first.value.truth() != Truth::True {
                not_entitled.push(i);
                continue;
            }
            let ev = eval(&ent.rule.node, &env, &[]);
            let monthly_fen = match eval(&ent.monthly_fen.node, &env, &[]).value {
                Value::Int(v) => Some(v),
                _ => None,
            };
            out.entitlements.push(EntitlementOutcome {
                code: ent.code.clone(),
                label: ent.label.clone(),
                policy: ent.policy.clone(),
                monthly_fen,
                payable: true,
                reasons: ev.reasons,
            });
        }
        // 就高不就低: within a group only the highest standard is paid.
        let group_of = |code: &str| {
            self.entitlements
                .iter()
                .find(|e| e.code == code)
                .and_then(|e| e.group.clone())
        };
        let n = out.entitlements.len();
        for i in 0..n {
            let Some(group) = group_of(&out.entitlements[i].code) else {
                continue;
            };
            let mine = out.entitlements[i].monthly_fen.unwrap_or(0);
            let beaten = (0..n).any(|j| {
                j != i
                    && group_of(&out.entitlements[j].code).as_deref() == Some(group.as_str())
                    && {
                        let other = out.entitlements[j].monthly_fen.unwrap_or(0);
                        other > mine || (other == mine && j < i)
                    }
            });
            if beaten {
                out.entitlements[i].payable = false;
            }
        }
        let lookback = match self
            .parameter("payment_lookback_months")
            .map(|p| p.value_on(as_of))
        {
            Some(Value::Int(m)) => m,
            _ => 2,
        };
        // The payment types a group's entitlements are paid as: a payment of any counts.
        let payments_of_group = |code: &str| -> Vec<&str> {
            match group_of(code) {
                Some(g) => self
                    .entitlements
                    .iter()
                    .filter(|e| e.group.as_deref() == Some(g.as_str()))
                    .map(|e| e.payment.as_str())
                    .collect(),
                None => self
                    .entitlements
                    .iter()
                    .filter(|e| e.code == code)
                    .map(|e| e.payment.as_str())
                    .collect(),
            }
        };
        // 应保未保: a payable entitlement without a payment.
        for ent in out.entitlements.iter().filter(|e| e.payable) {
            let paid = payments_of_group(&ent.code).into_iter().any(|p| {
                case.paid_within(crate::value::Who::Child, p, lookback)
                    .value
                    == Value::Bool(true)
            });
            if paid {
                continue;
            }
            let mut reasons = ent.reasons.clone();
            reasons.push(Reason {
                text: format!("符合{}条件，但近{lookback}个月内无发放记录", ent.label),
                sources: Vec::new(),
            });
            out.decisions.push(Decision {
                category: Category::EntitledNotReceiving,
                reasons,
                policy: ent.policy.clone(),
            });
        }
        // 不应保而保: a recent payment of an allowance the pack governs, with no entitlement to it.
        let since = as_of
            .checked_sub_months(chrono::Months::new(lookback.clamp(0, 1200) as u32))
            .unwrap_or(NaiveDate::MIN);
        for i in not_entitled {
            let ent = &self.entitlements[i];
            let entitled_in_group = out
                .entitlements
                .iter()
                .any(|e| payments_of_group(&e.code).contains(&ent.payment.as_str()));
            if entitled_in_group {
                continue;
            }
            let payment = case.inner.child_facts.iter().find(|f| {
                matches!(&f.kind, FactKind::Payment { assistance, .. } if assistance_code(*assistance) == ent.payment)
                    && f.valid_to.is_some_and(|to| to >= since)
                    && f.valid_from.is_none_or(|from| from <= as_of)
            });
            let Some(payment) = payment else { continue };
            // With reasons, now that it matters.
            let why_not = eval(&ent.rule.node, &env, &[]);
            if why_not.value.truth() == Truth::Unknown {
                // Cannot tell whether the entitlement ended: not flagged, listed as undetermined.
                continue;
            }
            let mut reasons = vec![Reason {
                text: format!(
                    "近{lookback}个月内仍有{}发放记录（{}）",
                    assistance_label(&ent.payment),
                    payment
                        .valid_from
                        .map(|d| d.format("%Y-%m").to_string())
                        .unwrap_or_default()
                ),
                sources: vec![payment.source],
            }];
            reasons.push(Reason {
                text: format!("已不符合{}条件：{}", ent.label, ent.rule.source.trim()),
                sources: Vec::new(),
            });
            reasons.extend(why_not.reasons);
            out.decisions.push(Decision {
                category: Category::ReceivingNotEntitled,
                reasons,
                policy: ent.policy.clone(),
            });
        }
        // Risk: indicators may use every category, the derived ones included.
        let mut all_outcomes = outcomes;
        for derived in crate::pack::DERIVED_CATEGORIES {
            let decision = out.decisions.iter().find(|d| d.category == derived);
            all_outcomes.push(Some(match decision {
                Some(d) => Evidence {
                    value: Value::Bool(true),
                    reasons: d.reasons.clone(),
                    missing: Vec::new(),
                },
                None => Evidence::plain(Value::Bool(false)),
            }));
        }
        let env = Env {
            case,
            params,
            functions,
            categories: &all_outcomes,
        };
        let quick_env = Env {
            case: quick,
            params,
            functions,
            categories: &all_outcomes,
        };
        let explained = |node| {
            let first = eval(node, &quick_env, &[]);
            if first.value.truth() == Truth::False {
                first
            } else {
                eval(node, &env, &[])
            }
        };
        let valid_days = if case.inner.observations.is_empty() {
            None
        } else {
            self.observation_valid_days(as_of)
        };
        out.risk = self
            .risk
            .iter()
            .enumerate()
            .map(|(i, model)| {
                let inputs = model
                    .indicators
                    .iter()
                    .map(|ind| {
                        let from_rule = ind.rule.as_ref().map(|r| explained(&r.node));
                        let confirmed = from_rule
                            .as_ref()
                            .is_some_and(|e| e.value.truth() == Truth::True);
                        // What the data confirms stands; otherwise the latest visit says.
                        match observation(case.inner, &model.code, ind, as_of, valid_days) {
                            Some(evidence) if !confirmed => (Some(evidence), true),
                            _ => (from_rule, false),
                        }
                    })
                    .collect();
                model.score(i, inputs)
            })
            .collect();
        out
    }

    /// How long a visit's observation counts (pack parameter `visit_observation_valid_days`;
    /// without it, until the next visit).
    fn observation_valid_days(&self, as_of: NaiveDate) -> Option<i64> {
        match self
            .parameter("visit_observation_valid_days")
            .map(|p| p.value_on(as_of))
        {
            Some(Value::Int(days)) => Some(days),
            _ => None,
        }
    }
    /// The parameters in force on `date` as (name, value) — what decisions on that date were
    /// made with, for explanations.
    pub fn parameters_in_force(&self, date: NaiveDate) -> Vec<(String, String)> {
        self.parameters
            .iter()
            .map(|p| (p.name.clone(), p.value_on(date).display()))
            .collect()
    }
}

/// The latest observation of a visit-fed indicator on or before `as_of` (and within
/// `valid_days` of it), as evidence naming the visit.
fn observation(
    case: &ChildCase,
    model: &str,
    indicator: &crate::risk::Indicator,
    as_of: NaiveDate,
    valid_days: Option<i64>,
) -> Option<Evidence> {
    if !indicator.from_visit {
        return None;
    }
    let o = case
        .observations
        .iter()
        .filter(|o| o.model == model && o.indicator == indicator.code && o.observed_on <= as_of)
        .filter(|o| valid_days.is_none_or(|d| (as_of - o.observed_on).num_days() <= d))
        .max_by_key(|o| (o.observed_on, o.visit))?;
    let seen = if o.present { "发现" } else { "未发现" };
    Some(Evidence::because(
        Value::Bool(o.present),
        Reason {
            text: format!(
                "{}走访（记录#{}）{seen}：{}",
                o.observed_on.format("%Y-%m-%d"),
                o.visit,
                indicator.label
            ),
            sources: Vec::new(),
        },
    ))
}
