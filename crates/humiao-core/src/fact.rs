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
    /// 刑满释放 / 解除羁押: released on `valid_from`, which ends any custody that began before.
    Released,
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
    /// 人户分离: registered as living in another village than the one of registration, since
    /// `valid_from` (the 居住登记 date) when the register gives it.
    LivesAway,
}

impl FactKind {
    /// A stable short code, used for storage and alert triggers.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Death => "death",
            Self::Missing => "missing",
            Self::Custody { .. } => "custody",
            Self::Released => "released",
            Self::Disability { .. } => "disability",
            Self::SeriousIllness { .. } => "serious_illness",
            Self::GuardianshipRevoked => "guardianship_revoked",
            Self::Deported => "deported",
            Self::Divorce { .. } => "divorce",
            Self::WorksAway { .. } => "works_away",
            Self::Payment { .. } => "payment",
            Self::Enrolment { .. } => "enrolment",
            Self::LivesAway => "lives_away",
        }
    }

    /// A short Chinese description of the fact, for centre users (sensitive).
    pub fn describe_zh(&self) -> String {
        match self {
            Self::Death => "死亡".into(),
            Self::Missing => "失踪/失联".into(),
            Self::Custody { measure } => measure.label_zh().into(),
            Self::Released => "刑满释放/解除羁押".into(),
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
            Self::LivesAway => "人户分离（居住登记）".into(),
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
            let lives_away = r
                .residence_grid
                .as_ref()
                .is_some_and(|grid| grid.parent().as_ref() != Some(&r.hukou_region));
            if lives_away && r.status == RegisterStatus::Normal {
                out.push(subject(FactKind::LivesAway, r.residence_since, None));
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
        DepartmentRecord::IllnessDiagnosis(r) => vec![subject(
            FactKind::SeriousIllness {
                illness: r.illness.clone(),
            },
            Some(r.diagnosed_on),
            r.ended_on,
        )],
        DepartmentRecord::Event(r) => r
            .event
            .facts(r.department == crate::records::Department::Court),
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

    fn member(residence_grid: &str, since: Option<NaiveDate>) -> DepartmentRecord {
        use crate::records::{HouseholdMember, PersonRef};
        DepartmentRecord::HouseholdMember(HouseholdMember {
            household_no: "H1".into(),
            citizen_id: None,
            name: crate::PersonName::parse("王小明").unwrap(),
            sex: crate::Sex::Male,
            birth_date: NaiveDate::from_ymd_opt(2015, 3, 1).unwrap(),
            relation_to_head: None,
            hukou_region: crate::RegionCode::parse("330212001001").unwrap(),
            hukou_address: None,
            residence_grid: crate::RegionCode::parse(residence_grid).ok(),
            residence_address: None,
            father: PersonRef::default(),
            mother: PersonRef::default(),
            guardian: PersonRef::default(),
            status: RegisterStatus::Normal,
            status_date: None,
            outflow_reason: None,
            outflow_since: None,
            outflow_destination: None,
            residence_since: since,
        })
    }

    #[test]
    fn living_in_another_village_is_a_dated_fact_and_at_home_none() {
        let since = NaiveDate::from_ymd_opt(2025, 4, 2);
        let away = facts_of_record(&member("330212002003001", since));
        assert_eq!(away.len(), 1);
        assert_eq!(away[0].kind, FactKind::LivesAway);
        assert_eq!(away[0].valid_from, since);
        assert!(facts_of_record(&member("330212001001004", since)).is_empty());
    }

    #[test]
    fn a_diagnosis_is_a_serious_illness_until_it_ends() {
        use crate::records::IllnessDiagnosis;
        let on = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let drafts = facts_of_record(&DepartmentRecord::IllnessDiagnosis(IllnessDiagnosis {
            record_no: "WJ1".into(),
            citizen_id: None,
            name: crate::PersonName::parse("王小明").unwrap(),
            sex: None,
            birth_date: None,
            illness: "白血病".into(),
            diagnosed_on: on(2, 10),
            ended_on: Some(on(9, 30)),
        }));
        assert_eq!(
            drafts,
            vec![FactDraft {
                about: MentionRole::Subject,
                kind: FactKind::SeriousIllness {
                    illness: "白血病".into()
                },
                valid_from: Some(on(2, 10)),
                valid_to: Some(on(9, 30)),
            }]
        );
    }
}
