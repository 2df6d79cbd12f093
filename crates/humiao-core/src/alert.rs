//! Alerts (预警): what to tell the child director, how urgently, and what to keep from them.
//!
//! An alert has a masked message the director sees ("家庭变故，请尽快走访") and a detail that only
//! roles which need it may see. Routing to a grid is the caller's job (the child's residence).

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::fact::{Fact, FactKind};
use crate::person::{PersonId, RelationKind, SourceRecordId};
use crate::policy::{Category, Decision};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Urgent,
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Urgent => "urgent",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "urgent" => Self::Urgent,
            "high" => Self::High,
            "medium" => Self::Medium,
            "low" => Self::Low,
            _ => return None,
        })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Urgent => "紧急",
            Self::High => "高",
            Self::Medium => "中",
            Self::Low => "低",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Open,
    Closed,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Open => "待处理",
            Self::Closed => "已办结",
        }
    }
}

/// Deadlines and windows (*parameters*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertParams {
    /// Family changes older than this are history, not news.
    pub family_change_window_days: i64,
    pub due_days_urgent: i64,
    pub due_days_high: i64,
    pub due_days_medium: i64,
    pub due_days_low: i64,
    /// The director is reminded this many days before an alert falls due.
    pub remind_days_before: i64,
}

impl Default for AlertParams {
    fn default() -> Self {
        Self {
            family_change_window_days: 90,
            due_days_urgent: 1,
            due_days_high: 3,
            due_days_medium: 7,
            due_days_low: 15,
            remind_days_before: 1,
        }
    }
}

impl AlertParams {
    pub fn due(&self, severity: Severity, from: NaiveDate) -> NaiveDate {
        let days = match severity {
            Severity::Urgent => self.due_days_urgent,
            Severity::High => self.due_days_high,
            Severity::Medium => self.due_days_medium,
            Severity::Low => self.due_days_low,
        };
        from + Duration::days(days)
    }
}

/// An alert to be raised, before routing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertDraft {
    pub child: PersonId,
    /// Why, as a stable code: one open alert per child per reason.
    pub reason_code: String,
    /// What raised it; an alert is raised once per child per trigger, ever.
    pub trigger_key: String,
    pub severity: Severity,
    /// What the director is told: urgency, never the sensitive fact.
    pub masked_message: String,
    /// The sensitive detail behind it, for roles that need it.
    pub detail: String,
    pub due: NaiveDate,
    pub sources: Vec<SourceRecordId>,
    /// For the police as well (an incident, an unsuitable venue, a mandatory report);
    /// every urgent alert is, whatever raised it.
    pub police: bool,
}

/// Who an alert is before: the grid's director always; the town station and the county
/// centre as well from the level it is routed (or escalated) to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteLevel {
    Grid,
    Town,
    County,
}

impl RouteLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grid => "grid",
            Self::Town => "town",
            Self::County => "county",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "grid" => Self::Grid,
            "town" => Self::Town,
            "county" => Self::County,
            _ => return None,
        })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Grid => "儿童主任",
            Self::Town => "镇街儿童督导员",
            Self::County => "县未保中心",
        }
    }

    /// The supervisor above: the town over the grid, the centre over the town.
    pub fn above(self) -> Option<Self> {
        match self {
            Self::Grid => Some(Self::Town),
            Self::Town => Some(Self::County),
            Self::County => None,
        }
    }
}

/// Where a new alert goes by its severity (domain brief §6): 中/低 to the grid's director;
/// 高 to the town station as well; 紧急 at once to the centre, and marked for the police.
pub fn route_of(severity: Severity, police: bool) -> (RouteLevel, bool) {
    match severity {
        Severity::Urgent => (RouteLevel::County, true),
        Severity::High => (RouteLevel::Town, police),
        Severity::Medium | Severity::Low => (RouteLevel::Grid, police),
    }
}

/// An open alert as the deadline watch sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenAlert {
    pub severity: Severity,
    pub routed_to: RouteLevel,
    pub due: NaiveDate,
    pub reminded: bool,
}

/// What the deadline watch does with an open alert today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineStep {
    /// Due soon: remind the director (once).
    Remind,
    /// The deadline passed: the supervisor above takes it on, with a new deadline.
    Escalate { to: RouteLevel, due: NaiveDate },
}

/// The step an open alert calls for on `today`, if any. An overdue alert goes up one level
/// (director → town station → centre) and gets a fresh deadline of its severity from today;
/// at the centre it stays, overdue, on the centre's list.
pub fn deadline_step(
    alert: &OpenAlert,
    today: NaiveDate,
    params: &AlertParams,
) -> Option<DeadlineStep> {
    if alert.due < today {
        return alert.routed_to.above().map(|to| DeadlineStep::Escalate {
            to,
            due: params.due(alert.severity, today),
        });
    }
    let remind_from = alert.due - Duration::days(params.remind_days_before.max(0));
    (!alert.reminded && today >= remind_from).then_some(DeadlineStep::Remind)
}

/// The alert an event raises for one child it concerns, if the kind raises one directly
/// ([`EventEffect::ChildAlert`] / [`EventEffect::FamilyAlert`]); once per child per event.
///
/// [`EventEffect::ChildAlert`]: crate::event::EventEffect::ChildAlert
/// [`EventEffect::FamilyAlert`]: crate::event::EventEffect::FamilyAlert
pub fn event_alert(
    child: PersonId,
    department: &str,
    event: &crate::event::DepartmentEvent,
    source: SourceRecordId,
    as_of: NaiveDate,
    params: &AlertParams,
) -> Option<AlertDraft> {
    use crate::event::EventEffect;
    let (severity, message, police, reason) = match event.kind.effect() {
        EventEffect::ChildAlert {
            severity,
            message,
            police,
        } => (
            severity,
            message,
            police,
            format!("event:{}", event.kind.code()),
        ),
        EventEffect::FamilyAlert { severity } => (
            severity,
            FAMILY_CHANGE_MESSAGE,
            false,
            format!("family_change:{}", event.kind.code()),
        ),
        EventEffect::Facts | EventEffect::Recorded => return None,
    };
    Some(AlertDraft {
        child,
        reason_code: reason,
        trigger_key: format!("event:{department}:{}", event.event_id),
        severity,
        masked_message: message.to_string(),
        detail: event.describe_zh(),
        due: params.due(severity, as_of),
        sources: vec![source],
        police,
    })
}

/// A fact about one of the child's parents, as seen from the child.
#[derive(Debug, Clone, Copy)]
pub struct RelativeFact<'a> {
    pub relation: RelationKind,
    pub fact: &'a Fact,
}

pub const FAMILY_CHANGE_MESSAGE: &str = "家庭变故，请尽快走访";

/// What a newly found category asks of the director: severity, masked message and the reason
/// code (one open alert per child per reason, so the three 困境 types share one). `None` for
/// categories that describe the child without asking for a visit on their own (流动, 低保/特困
/// family, 残疾, 重病: the last two reach the director through 困境儿童（残疾型）).
fn category_alert(category: Category) -> Option<(Severity, &'static str, &'static str)> {
    Some(match category {
        Category::Orphan | Category::DeFactoUnsupported => (
            Severity::High,
            "儿童保障情况发生变化，请尽快走访核实",
            category.code(),
        ),
        Category::EntitledNotReceiving => (
            Severity::High,
            "疑似应保未保，请走访核实并协助申请",
            category.code(),
        ),
        Category::ReceivingNotEntitled => (
            Severity::Medium,
            "疑似不应保而保，请核实情况并告知家庭",
            category.code(),
        ),
        Category::RuralLeftBehind | Category::PrisonersChild => (
            Severity::Medium,
            "儿童监护情况发生变化，请走访了解",
            category.code(),
        ),
        Category::DifficultyPoverty
        | Category::DifficultyDisability
        | Category::DifficultyGuardianship => (
            Severity::Medium,
            "疑似困境儿童，请走访核实并了解需求",
            "difficulty",
        ),
        Category::Migrant
        | Category::AssistanceFamily
        | Category::DisabledChild
        | Category::SeriouslyIll => return None,
    })
}

/// Alerts from one assessment: a category the child did not have before, and family changes
/// (divorce, custody, death, going missing) of a parent within the window.
pub fn alerts_for(
    child: PersonId,
    previous: &BTreeSet<Category>,
    current: &[Decision],
    relatives: &[RelativeFact],
    as_of: NaiveDate,
    params: &AlertParams,
) -> Vec<AlertDraft> {
    let mut out = Vec::new();
    let mut seen_reasons = BTreeSet::new();
    for decision in current {
        if previous.contains(&decision.category) {
            continue;
        }
        let Some((severity, message, reason)) = category_alert(decision.category) else {
            continue;
        };
        if !seen_reasons.insert(reason) {
            continue;
        }
        let detail = decision
            .reasons
            .iter()
            .map(|r| r.text.as_str())
            .collect::<Vec<_>>()
            .join("；");
        out.push(AlertDraft {
            child,
            reason_code: format!("category:{reason}"),
            trigger_key: format!("category:{}:{}", decision.category.code(), as_of),
            severity,
            masked_message: message.to_string(),
            detail: format!("新认定{}：{detail}", decision.category.label_zh()),
            due: params.due(severity, as_of),
            sources: decision
                .reasons
                .iter()
                .flat_map(|r| r.sources.iter().copied())
                .collect(),
            police: false,
        });
    }
    let window_start = as_of - Duration::days(params.family_change_window_days);
    for relative in relatives {
        let fact = relative.fact;
        let severity = match fact.kind {
            FactKind::Death | FactKind::Custody { .. } | FactKind::Missing => Severity::High,
            FactKind::Divorce { .. } => Severity::Medium,
            _ => continue,
        };
        let Some(from) = fact.valid_from else {
            continue;
        };
        if from < window_start || from > as_of {
            continue;
        }
        out.push(AlertDraft {
            child,
            reason_code: format!("family_change:{}", fact.kind.code()),
            trigger_key: format!("fact:{}:{}", fact.source, fact.kind.code()),
            severity,
            masked_message: FAMILY_CHANGE_MESSAGE.to_string(),
            detail: format!(
                "{}{}（{}）",
                relative.relation.label_zh(),
                fact.kind.describe_zh(),
                from.format("%Y-%m-%d")
            ),
            due: params.due(severity, as_of),
            sources: vec![fact.source],
            police: false,
        });
    }
    out
}

/// A child's risk outcome under one model, as the alerts see it.
#[derive(Debug, Clone)]
pub struct RiskChange<'a> {
    pub model: &'a str,
    pub model_label: &'a str,
    /// Index into the model's levels, 0 the most severe.
    pub level: usize,
    pub level_code: &'a str,
    pub level_label: &'a str,
    /// Levels at or above this one (index at most this) raise an alert when reached.
    pub alert_level: usize,
    /// The level of the previous assessment, if any.
    pub previous_level: Option<usize>,
    pub score: u32,
    /// Labels of the indicators that hold, for the detail.
    pub indicators: Vec<String>,
    /// Dynamic rules that fired: (code, text).
    pub flags: Vec<(&'static str, String)>,
    pub sources: Vec<SourceRecordId>,
}

/// Alerts from a risk outcome: reaching a level at or above the alerting one (worse than before),
/// and each dynamic rule that fired (persistently high: escalate; rising: visit again).
pub fn risk_alerts(
    child: PersonId,
    change: &RiskChange,
    as_of: NaiveDate,
    params: &AlertParams,
) -> Vec<AlertDraft> {
    let mut out = Vec::new();
    let worse = change.previous_level.is_none_or(|p| p > change.level);
    if change.level <= change.alert_level && worse {
        let severity = if change.level == 0 {
            Severity::Urgent
        } else {
            Severity::High
        };
        out.push(AlertDraft {
            child,
            reason_code: format!("risk:{}:level", change.model),
            trigger_key: format!("risk:{}:{}:{as_of}", change.model, change.level_code),
            severity,
            masked_message: format!("风险等级为{}，请尽快走访核实", change.level_label),
            detail: format!(
                "{}评分{}，{}：{}",
                change.model_label,
                change.score,
                change.level_label,
                change.indicators.join("；")
            ),
            due: params.due(severity, as_of),
            sources: change.sources.clone(),
            police: false,
        });
    }
    for (code, text) in &change.flags {
        let (severity, message) = match *code {
            "persistent" => (Severity::High, "风险持续偏高，请升级处置"),
            _ => (Severity::Medium, "风险评分明显上升，请再次走访"),
        };
        out.push(AlertDraft {
            child,
            reason_code: format!("risk:{}:{code}", change.model),
            trigger_key: format!("risk:{}:{code}:{as_of}", change.model),
            severity,
            masked_message: message.to_string(),
            detail: format!("{}：{text}", change.model_label),
            due: params.due(severity, as_of),
            sources: change.sources.clone(),
            police: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Reason;
    use crate::records::DivorceChannel;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn divorce(on: NaiveDate) -> Fact {
        Fact {
            person: PersonId(2),
            kind: FactKind::Divorce {
                channel: DivorceChannel::Registration,
            },
            valid_from: Some(on),
            valid_to: None,
            source: SourceRecordId(7),
        }
    }

    #[test]
    fn a_recent_divorce_raises_a_masked_family_change_alert() {
        let fact = divorce(d(11, 1));
        let alerts = alerts_for(
            PersonId(1),
            &BTreeSet::new(),
            &[],
            &[RelativeFact {
                relation: RelationKind::Father,
                fact: &fact,
            }],
            d(11, 22),
            &AlertParams::default(),
        );
        assert_eq!(alerts.len(), 1);
        let alert = &alerts[0];
        assert_eq!(alert.masked_message, "家庭变故，请尽快走访");
        assert!(!alert.masked_message.contains("离婚"));
        assert!(alert.detail.contains("离婚"));
        assert_eq!(alert.due, d(11, 29));
        assert_eq!(alert.sources, vec![SourceRecordId(7)]);
    }

    #[test]
    fn an_old_divorce_is_not_news() {
        let fact = divorce(d(1, 1));
        let alerts = alerts_for(
            PersonId(1),
            &BTreeSet::new(),
            &[],
            &[RelativeFact {
                relation: RelationKind::Father,
                fact: &fact,
            }],
            d(11, 22),
            &AlertParams::default(),
        );
        assert!(alerts.is_empty());
    }

    #[test]
    fn only_new_categories_raise_alerts() {
        let decision = Decision {
            category: Category::DeFactoUnsupported,
            reasons: vec![Reason {
                text: "父亲死亡".into(),
                sources: vec![SourceRecordId(3)],
            }],
            policy: "民发〔2019〕62号".into(),
        };
        let fresh = alerts_for(
            PersonId(1),
            &BTreeSet::new(),
            std::slice::from_ref(&decision),
            &[],
            d(11, 22),
            &AlertParams::default(),
        );
        assert_eq!(fresh.len(), 1);
        assert_eq!(fresh[0].severity, Severity::High);
        assert!(!fresh[0].masked_message.contains("死亡"));
        let known = alerts_for(
            PersonId(1),
            &BTreeSet::from([Category::DeFactoUnsupported]),
            &[decision],
            &[],
            d(11, 22),
            &AlertParams::default(),
        );
        assert!(known.is_empty());
    }

    #[test]
    fn difficulty_types_share_one_alert_and_descriptive_categories_raise_none() {
        let decision = |category| Decision {
            category,
            reasons: Vec::new(),
            policy: category.policy_ref().into(),
        };
        let current: Vec<Decision> = [
            Category::DifficultyPoverty,
            Category::DifficultyDisability,
            Category::AssistanceFamily,
            Category::DisabledChild,
            Category::SeriouslyIll,
            Category::Migrant,
        ]
        .into_iter()
        .map(decision)
        .collect();
        let alerts = alerts_for(
            PersonId(1),
            &BTreeSet::new(),
            &current,
            &[],
            d(11, 22),
            &AlertParams::default(),
        );
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].reason_code, "category:difficulty");
        assert_eq!(
            alerts[0].masked_message,
            "疑似困境儿童，请走访核实并了解需求"
        );
        // The detail, for roles that may see it, names the type.
        assert!(alerts[0].detail.contains("困境儿童（贫困型）"));
    }

    #[test]
    fn urgent_alerts_go_to_the_centre_and_the_police_high_ones_to_the_town() {
        assert_eq!(
            route_of(Severity::Urgent, false),
            (RouteLevel::County, true)
        );
        assert_eq!(route_of(Severity::High, false), (RouteLevel::Town, false));
        assert_eq!(route_of(Severity::High, true), (RouteLevel::Town, true));
        assert_eq!(route_of(Severity::Medium, false), (RouteLevel::Grid, false));
    }

    #[test]
    fn an_alert_is_reminded_once_then_escalated_level_by_level() {
        let params = AlertParams::default();
        let mut alert = OpenAlert {
            severity: Severity::High,
            routed_to: RouteLevel::Grid,
            due: d(11, 25),
            reminded: false,
        };
        assert_eq!(deadline_step(&alert, d(11, 23), &params), None);
        assert_eq!(
            deadline_step(&alert, d(11, 24), &params),
            Some(DeadlineStep::Remind)
        );
        alert.reminded = true;
        assert_eq!(
            deadline_step(&alert, d(11, 25), &params),
            None,
            "due today is not late"
        );
        assert_eq!(
            deadline_step(&alert, d(11, 26), &params),
            Some(DeadlineStep::Escalate {
                to: RouteLevel::Town,
                due: d(11, 29)
            })
        );
        alert.routed_to = RouteLevel::Town;
        alert.due = d(11, 29);
        assert_eq!(
            deadline_step(&alert, d(11, 30), &params),
            Some(DeadlineStep::Escalate {
                to: RouteLevel::County,
                due: d(12, 3)
            })
        );
        alert.routed_to = RouteLevel::County;
        assert_eq!(deadline_step(&alert, d(12, 30), &params), None);
    }

    #[test]
    fn a_mandatory_report_raises_an_urgent_police_alert_once_per_event() {
        let event = crate::event::parse_event(&serde_json::json!({
            "event_id": "JY-7", "kind": "mandatory_report", "occurred_on": "2026-11-20",
            "subject": { "name": "王小明", "birth_date": "2016-06-01" },
            "details": "学校发现身上多处淤青"
        }))
        .unwrap();
        let alert = event_alert(
            PersonId(5),
            "education",
            &event,
            SourceRecordId(9),
            d(11, 22),
            &AlertParams::default(),
        )
        .unwrap();
        assert_eq!(alert.severity, Severity::Urgent);
        assert!(alert.police);
        assert_eq!(alert.trigger_key, "event:education:JY-7");
        assert_eq!(alert.due, d(11, 23));
        assert!(!alert.masked_message.contains("淤青"));
        assert!(alert.detail.contains("淤青"));
        assert_eq!(alert.sources, vec![SourceRecordId(9)]);
    }

    #[test]
    fn fact_bearing_events_leave_alerts_to_the_rules() {
        let event = crate::event::parse_event(&serde_json::json!({
            "event_id": "GA-1", "kind": "death", "occurred_on": "2026-11-20",
            "subject": { "citizen_id": "11010519491231002X" }
        }))
        .unwrap();
        assert!(event_alert(
            PersonId(5),
            "police",
            &event,
            SourceRecordId(9),
            d(11, 22),
            &AlertParams::default()
        )
        .is_none());
    }
}
