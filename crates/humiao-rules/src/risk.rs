//! Risk models (风险评估): weighted indicators in three groups (儿童自身、家庭监护、环境支持), urgent
//! items, levels with colours, and dynamic rules over a child's assessment history.
//!
//! Unknown is not zero: an indicator the data cannot decide (most visit-fed ones before a visit)
//! is neither counted nor dropped; the score is given as a range, from "none of the unknown
//! indicators holds" to "all of them hold", and the level is that of the known part, with the
//! level it could reach said alongside.

use chrono::NaiveDate;
use humiao_core::policy::Reason;
use serde::Serialize;

use crate::pack::Rule;
use crate::value::{Evidence, Truth};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorGroup {
    /// 儿童自身
    Child,
    /// 家庭监护
    Family,
    /// 环境支持
    Environment,
}

impl IndicatorGroup {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "child" => Some(Self::Child),
            "family" => Some(Self::Family),
            "environment" => Some(Self::Environment),
            _ => None,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Child => "儿童自身",
            Self::Family => "家庭监护",
            Self::Environment => "环境支持",
        }
    }
}

/// A level of a model, e.g. 高危 (red) from a score of 40.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskLevel {
    pub code: String,
    pub label: String,
    /// The lowest score (0–100) at this level.
    pub min: u32,
    pub colour: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub code: String,
    pub group: IndicatorGroup,
    pub label: String,
    pub weight: u32,
    /// Confirmed, it sets the top level whatever the score.
    pub urgent: bool,
    /// Fed by the director's visit form; without a rule it stays unknown until a visit says.
    pub from_visit: bool,
    pub rule: Option<Rule>,
}

/// Dynamic rules over the history of assessments (玉苗家).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicRules {
    /// This level or a more severe one …
    pub persistent_level: usize,
    /// … in this many consecutive assessments (the current one included) → escalate.
    pub persistent_assessments: usize,
    /// The score up by at least this many points …
    pub rise_points: u32,
    /// … within this many days → re-visit.
    pub rise_days: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RiskModel {
    pub code: String,
    pub label: String,
    /// Most severe first.
    pub levels: Vec<RiskLevel>,
    pub dynamic: DynamicRules,
    pub indicators: Vec<Indicator>,
}

/// One indicator's outcome for a child. Its code and label are the model's
/// (`model.indicators[index]`): outcomes are made for every indicator of every child, so they
/// carry no strings of their own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorOutcome {
    pub index: usize,
    /// "true", "false" or "unknown".
    pub state: &'static str,
    /// Its share of the score (0 unless it holds).
    pub points: f64,
    /// Unknown because it waits for the director's visit (a visit-fed indicator the data does
    /// not confirm).
    pub awaits_visit: bool,
    pub reasons: Vec<Reason>,
    pub missing: Vec<String>,
}

/// A child's risk under one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskOutcome {
    /// Index of the model in the pack's `risk`.
    pub model_index: usize,
    /// The score from the indicators known to hold (0–100).
    pub score: u32,
    /// The score if every unknown indicator held.
    pub score_max: u32,
    /// The level of the known part (index into the model's levels).
    pub level: usize,
    /// The most severe level the unknown indicators could bring (index).
    pub level_max: usize,
    /// Indices of urgent indicators that hold.
    pub urgent: Vec<usize>,
    pub unknown: usize,
    pub indicators: Vec<IndicatorOutcome>,
}

fn state(t: Truth) -> &'static str {
    match t {
        Truth::True => "true",
        Truth::False => "false",
        Truth::Unknown => "unknown",
    }
}

impl RiskModel {
    fn level_of(&self, score: u32) -> usize {
        self.levels
            .iter()
            .position(|l| score >= l.min)
            .unwrap_or(self.levels.len() - 1)
    }

    /// Scores a child from each indicator's evidence (None: no rule) and whether a visit
    /// observed it; a visit-fed indicator neither confirmed by data nor observed waits for a
    /// visit.
    pub(crate) fn score(
        &self,
        model_index: usize,
        evidence: Vec<(Option<Evidence>, bool)>,
    ) -> RiskOutcome {
        let total: u32 = self.indicators.iter().map(|i| i.weight).sum::<u32>().max(1);
        let mut known = 0u32;
        let mut unknown_weight = 0u32;
        let mut urgent = Vec::new();
        let mut unknown = 0;
        let mut outcomes = Vec::with_capacity(self.indicators.len());
        for (index, (ind, (ev, observed))) in self.indicators.iter().zip(evidence).enumerate() {
            let (truth, reasons, missing, awaits_visit) = match ev {
                Some(ev) if ev.value.truth() == Truth::True => {
                    (Truth::True, ev.reasons, ev.missing, false)
                }
                Some(_) | None if ind.from_visit && !observed => {
                    (Truth::Unknown, Vec::new(), Vec::new(), true)
                }
                Some(ev) if ev.value.truth() == Truth::Unknown => {
                    (Truth::Unknown, ev.reasons, ev.missing, false)
                }
                _ => (Truth::False, Vec::new(), Vec::new(), false),
            };
            match truth {
                Truth::True => {
                    known += ind.weight;
                    if ind.urgent {
                        urgent.push(index);
                    }
                }
                Truth::Unknown => {
                    unknown_weight += ind.weight;
                    unknown += 1;
                }
                Truth::False => {}
            }
            outcomes.push(IndicatorOutcome {
                index,
                state: state(truth),
                points: if truth == Truth::True {
                    100.0 * f64::from(ind.weight) / f64::from(total)
                } else {
                    0.0
                },
                awaits_visit,
                reasons,
                missing,
            });
        }
        let scale = |w: u32| ((f64::from(w) * 100.0) / f64::from(total)).round() as u32;
        let score = scale(known);
        let score_max = scale(known + unknown_weight);
        let (level, level_max) = if urgent.is_empty() {
            (self.level_of(score), self.level_of(score_max))
        } else {
            (0, 0)
        };
        RiskOutcome {
            model_index,
            score,
            score_max,
            level,
            level_max,
            urgent,
            unknown,
            indicators: outcomes,
        }
    }

    /// Dynamic flags for the current assessment, given the earlier ones (oldest first) as
    /// (date, score, level index).
    pub fn dynamic_flags(
        &self,
        history: &[(NaiveDate, u32, usize)],
        current: (NaiveDate, u32, usize),
    ) -> Vec<DynamicFlag> {
        let rules = &self.dynamic;
        let mut flags = Vec::new();
        let mut run = 0;
        for &(_, _, level) in history.iter().chain(std::iter::once(&current)).rev() {
            if level <= rules.persistent_level {
                run += 1;
            } else {
                break;
            }
        }
        if run >= rules.persistent_assessments {
            flags.push(DynamicFlag {
                code: "persistent",
                text: format!(
                    "连续{run}次评估为{}或以上，应升级处置",
                    self.levels[rules.persistent_level].label
                ),
            });
        }
        let (today, score, _) = current;
        if let Some(&(date, low, _)) = history
            .iter()
            .filter(|(d, ..)| (today - *d).num_days() <= rules.rise_days)
            .min_by_key(|(_, s, _)| *s)
        {
            if score >= low + rules.rise_points {
                flags.push(DynamicFlag {
                    code: "rising",
                    text: format!(
                        "{}天内评分由{low}升至{score}（{}起），应再次走访",
                        (today - date).num_days(),
                        date
                    ),
                });
            }
        }
        flags
    }
}

/// A dynamic rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DynamicFlag {
    /// `persistent` or `rising`.
    pub code: &'static str,
    pub text: String,
}

impl RiskOutcome {
    /// The model this outcome is of.
    pub fn model<'p>(&self, pack: &'p crate::RulePack) -> &'p RiskModel {
        &pack.risk[self.model_index]
    }

    /// The level reached by what is known.
    pub fn level_info<'p>(&self, pack: &'p crate::RulePack) -> &'p RiskLevel {
        &self.model(pack).levels[self.level]
    }

    /// The most severe level the unknown indicators could bring.
    pub fn level_max_info<'p>(&self, pack: &'p crate::RulePack) -> &'p RiskLevel {
        &self.model(pack).levels[self.level_max]
    }

    /// The labels of the urgent indicators that hold.
    pub fn urgent_labels(&self, pack: &crate::RulePack) -> Vec<String> {
        let model = self.model(pack);
        self.urgent
            .iter()
            .map(|&i| model.indicators[i].label.clone())
            .collect()
    }
}
