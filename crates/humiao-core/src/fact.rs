//! Dated facts about a person, each carrying the source record it came from (lineage).
//!
//! Facts are what the policy engine reasons over. They are derived from department records by
//! [`facts_of_record`]; the golden record's identity fields are kept separately on [`Person`].
//!
//! [`Person`]: crate::person::Person

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::person::{PersonId, SourceRecordId};
use crate::records::{
    AssistanceType, CustodyMeasure, DepartmentRecord, DisabilityCategory, DivorceChannel,
    MentionRole, OutflowReason, RegisterStatus,
};

/// What is known about a person. Closed set: a new kind of fact needs a code change on purpose,
/// since the rules must learn what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FactKind {
    /// 死亡 (natural death or declared dead).
    Death,
    /// 失踪 / 失联: reported missing or declared missing.
    Missing,
    /// 服刑在押, 强制隔离戒毒, other restriction of liberty.
    Custody { measure: CustodyMeasure },
    /// 残疾人证.
    Disability {
        category: DisabilityCategory,
        grade: u8,
    },
    /// 重病 on the locality's list.
    SeriousIllness { illness: String },
    /// 被撤销监护资格.
    GuardianshipRevoked,
    /// 被遣送(驱逐)出境.
    Deported,
    /// 离婚.
    Divorce { channel: DivorceChannel },
    /// 外出务工 (working away from home).
    WorksAway { destination: Option<String> },
    /// One month of an assistance payment.
    Payment {
        assistance: AssistanceType,
        amount_fen: i64,
    },
    /// 在校: enrolled in a school.
    Enrolment {
        school: String,
        grade: Option<String>,
    },
}

impl FactKind {
    /// A stable short code, used for storage and alert triggers.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Death => "death",
            Self::Missing => "missing",
            Self::Custody { .. } => "custody",
            Self::Disability { .. } => "disability",
            Self::SeriousIllness { .. } => "serious_illness",
            Self::GuardianshipRevoked => "guardianship_revoked",
            Self::Deported => "deported",
            Self::Divorce { .. } => "divorce",
            Self::WorksAway { .. } => "works_away",
            Self::Payment { .. } => "payment",
            Self::Enrolment { .. } => "enrolment",
        }
    }

    /// A short Chinese description of the fact, for centre users (sensitive).
    pub fn describe_zh(&self) -> String {
        match self {
            Self::Death => "死亡".into(),
            Self::Missing => "失踪/失联".into(),
            Self::Custody { measure } => measure.label_zh().into(),
            Self::Disability { category, grade } => {
                format!("{}{}级", category.label_zh(), grade)
            }
            Self::SeriousIllness { illness } => format!("重病（{illness}）"),
            Self::GuardianshipRevoked => "被撤销监护资格".into(),
            Self::Deported => "被遣送（驱逐）出境".into(),
            Self::Divorce { channel } => match channel {
                DivorceChannel::Registration => "离婚（登记）".into(),
                DivorceChannel::Judgment => "离婚（诉讼）".into(),
            },
            Self::WorksAway { destination } => match destination {
                Some(d) => format!("外出务工（{d}）"),
                None => "外出务工".into(),
            },
            Self::Payment {
                assistance,
                amount_fen,
            } => format!(
                "{} {}.{:02}元",
                assistance.label_zh(),
                amount_fen / 100,
                amount_fen % 100
            ),
            Self::Enrolment { school, grade } => match grade {
                Some(g) => format!("在读：{school} {g}"),
                None => format!("在读：{school}"),
            },
        }
    }
}

/// A fact with its validity and lineage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub person: PersonId,
    pub kind: FactKind,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub source: SourceRecordId,
}

impl Fact {
    /// Whether the fact holds on `date`: begun (or undated) and not yet ended.
    pub fn holds_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date) && self.valid_to.is_none_or(|to| to >= date)
    }
}

/// A fact before it is tied to a person: which mention of the record it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactDraft {
    pub about: MentionRole,
    pub kind: FactKind,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

fn last_day_of_month(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(first)
}

/// The facts a department record states, each about one of the record's mentions.
pub fn facts_of_record(record: &DepartmentRecord) -> Vec<FactDraft> {
    let subject = |kind, from, to| FactDraft {
        about: MentionRole::Subject,
        kind,
        valid_from: from,
        valid_to: to,
    };
    match record {
        DepartmentRecord::HouseholdMember(r) => {
            let mut out = Vec::new();
            match r.status {
                RegisterStatus::Normal => {}
                RegisterStatus::Dead => out.push(subject(FactKind::Death, r.status_date, None)),
                RegisterStatus::Missing => {
                    out.push(subject(FactKind::Missing, r.status_date, None))
                }
            }
            if r.outflow_reason == Some(OutflowReason::Work) && r.status == RegisterStatus::Normal {
                out.push(subject(
                    FactKind::WorksAway {
                        destination: r.outflow_destination.clone(),
                    },
                    r.outflow_since,
                    None,
                ));
            }
            out
        }
        DepartmentRecord::StudentEnrolment(r) => vec![subject(
            FactKind::Enrolment {
                school: r.school.clone(),
                grade: r.grade.clone(),
            },
            None,
            None,
        )],
        DepartmentRecord::AssistancePayment(r) => vec![subject(
            FactKind::Payment {
                assistance: r.assistance,
                amount_fen: r.amount_fen,
            },
            Some(r.month),
            Some(last_day_of_month(r.month)),
        )],
        DepartmentRecord::Custody(r) => vec![subject(
            FactKind::Custody { measure: r.measure },
            Some(r.start),
            r.end,
        )],
        DepartmentRecord::DisabilityCertificate(r) => vec![subject(
            FactKind::Disability {
                category: r.category,
                grade: r.grade,
            },
            r.issued_on,
            None,
        )],
        DepartmentRecord::Divorce(r) => [MentionRole::Husband, MentionRole::Wife]
            .into_iter()
            .map(|about| FactDraft {
                about,
                kind: FactKind::Divorce { channel: r.channel },
                valid_from: Some(r.date),
                valid_to: None,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fact_holds_between_its_dates_inclusive() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let fact = Fact {
            person: PersonId(1),
            kind: FactKind::Death,
            valid_from: Some(d(3, 1)),
            valid_to: Some(d(3, 31)),
            source: SourceRecordId(1),
        };
        assert!(!fact.holds_on(d(2, 28)));
        assert!(fact.holds_on(d(3, 1)));
        assert!(fact.holds_on(d(3, 31)));
        assert!(!fact.holds_on(d(4, 1)));
    }

    #[test]
    fn payment_month_covers_the_whole_month() {
        assert_eq!(
            last_day_of_month(NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
    }
}
