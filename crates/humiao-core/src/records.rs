//! Department records after validation: one typed value per row a department delivered.
//!
//! The importer turns a raw row into one of these using the department's mapping file; the
//! linker reads the [`Mention`]s of a record to find the people it is about; fact extraction
//! turns it into dated facts on those people. Nothing here knows about files or columns.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::citizen_id::CitizenId;
use crate::event::DepartmentEvent;
use crate::person::{PersonName, Sex};
use crate::region::RegionCode;

/// A department that delivers data. The code is what `humiao import --source` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Department {
    /// 公安
    Police,
    /// 教育
    Education,
    /// 民政
    CivilAffairs,
    /// 司法
    Justice,
    /// 法院
    Court,
    /// 残联
    DisabledPersonsFederation,
    /// 卫健
    Health,
}

impl Department {
    pub const ALL: [Department; 7] = [
        Self::Police,
        Self::Education,
        Self::CivilAffairs,
        Self::Justice,
        Self::Court,
        Self::DisabledPersonsFederation,
        Self::Health,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Police => "police",
            Self::Education => "education",
            Self::CivilAffairs => "civil_affairs",
            Self::Justice => "justice",
            Self::Court => "court",
            Self::DisabledPersonsFederation => "disability",
            Self::Health => "health",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Police => "公安",
            Self::Education => "教育",
            Self::CivilAffairs => "民政",
            Self::Justice => "司法",
            Self::Court => "法院",
            Self::DisabledPersonsFederation => "残联",
            Self::Health => "卫健",
        }
    }

    /// Accepts the code (`police`) or the Chinese name (`公安`).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|d| d.code() == s || d.label_zh() == s)
    }
}

/// What a row describes; decides which fields a mapping may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// 户籍人口: one member of a registered household.
    HouseholdMember,
    /// 学籍: one enrolled student.
    StudentEnrolment,
    /// 救助发放: one monthly payment of an assistance programme.
    AssistancePayment,
    /// 服刑/戒毒/羁押: one period of restricted liberty.
    Custody,
    /// 残疾人证: one disability certificate.
    DisabilityCertificate,
    /// 离婚登记/判决: one divorce.
    Divorce,
    /// 重病诊断: a diagnosis of an illness on the locality's serious-illness list.
    IllnessDiagnosis,
    /// 推送事件: an event a department pushed (API or daily event file), not a mapped file
    /// row — so not in [`RecordKind::ALL`], which lists the kinds an import mapping may name.
    Event,
}

impl RecordKind {
    pub const ALL: [RecordKind; 7] = [
        Self::HouseholdMember,
        Self::StudentEnrolment,
        Self::AssistancePayment,
        Self::Custody,
        Self::DisabilityCertificate,
        Self::Divorce,
        Self::IllnessDiagnosis,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::HouseholdMember => "household_member",
            Self::StudentEnrolment => "student_enrolment",
            Self::AssistancePayment => "assistance_payment",
            Self::Custody => "custody",
            Self::DisabilityCertificate => "disability_certificate",
            Self::Divorce => "divorce",
            Self::IllnessDiagnosis => "illness_diagnosis",
            Self::Event => "event",
        }
    }

    /// A kind an import mapping may name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// Any kind a stored source record may have (pushed events too).
    pub fn parse_stored(s: &str) -> Option<Self> {
        Self::parse(s).or((s == Self::Event.code()).then_some(Self::Event))
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::HouseholdMember => "户籍人口",
            Self::StudentEnrolment => "学籍",
            Self::AssistancePayment => "救助发放",
            Self::Custody => "服刑羁押",
            Self::DisabilityCertificate => "残疾人证",
            Self::Divorce => "离婚",
            Self::IllnessDiagnosis => "重病诊断",
            Self::Event => "推送事件",
        }
    }
}

/// A reference to another person inside a record (a parent, a spouse, a guardian).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PersonRef {
    pub citizen_id: Option<CitizenId>,
    pub name: Option<PersonName>,
}

impl PersonRef {
    pub fn is_empty(&self) -> bool {
        self.citizen_id.is_none() && self.name.is_none()
    }
}

/// Status of a person in the household register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterStatus {
    #[default]
    Normal,
    /// 死亡注销, including death declared by a court.
    Dead,
    /// 宣告失踪 by a court, or a missing-person report accepted by the police.
    Missing,
}

/// Why a registered person lives away (外出).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutflowReason {
    /// 外出务工
    Work,
    /// 外出求学
    Study,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdMember {
    pub household_no: String,
    pub citizen_id: Option<CitizenId>,
    pub name: PersonName,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub relation_to_head: Option<String>,
    pub hukou_region: RegionCode,
    pub hukou_address: Option<String>,
    pub residence_grid: Option<RegionCode>,
    pub residence_address: Option<String>,
    pub father: PersonRef,
    pub mother: PersonRef,
    pub guardian: PersonRef,
    pub status: RegisterStatus,
    pub status_date: Option<NaiveDate>,
    pub outflow_reason: Option<OutflowReason>,
    pub outflow_since: Option<NaiveDate>,
    pub outflow_destination: Option<String>,
    /// 居住登记日期: since when the person lives at the residence above.
    pub residence_since: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentEnrolment {
    pub student_no: String,
    pub citizen_id: Option<CitizenId>,
    pub name: PersonName,
    pub sex: Option<Sex>,
    pub birth_date: NaiveDate,
    pub school: String,
    pub grade: Option<String>,
    pub guardian_name: Option<PersonName>,
    pub guardian_phone: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssistanceType {
    /// 最低生活保障
    Dibao,
    /// 特困人员救助供养
    Tekun,
    /// 孤儿基本生活费
    OrphanAllowance,
    /// 事实无人抚养儿童生活补贴
    UnsupportedChildAllowance,
}

impl AssistanceType {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Dibao => "低保",
            Self::Tekun => "特困供养",
            Self::OrphanAllowance => "孤儿基本生活费",
            Self::UnsupportedChildAllowance => "事实无人抚养儿童生活补贴",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistancePayment {
    pub citizen_id: Option<CitizenId>,
    pub name: PersonName,
    pub assistance: AssistanceType,
    /// The month paid for, as its first day.
    pub month: NaiveDate,
    /// Amount in fen (0.01 yuan), so sums are exact.
    pub amount_fen: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustodyMeasure {
    /// 服刑在押
    Imprisonment,
    /// 强制隔离戒毒
    DrugRehabilitation,
    /// 其他限制人身自由的措施 (detention and the like)
    OtherRestriction,
}

impl CustodyMeasure {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Imprisonment => "服刑在押",
            Self::DrugRehabilitation => "强制隔离戒毒",
            Self::OtherRestriction => "被执行其他限制人身自由的措施",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Custody {
    pub citizen_id: Option<CitizenId>,
    pub name: PersonName,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub measure: CustodyMeasure,
    pub start: NaiveDate,
    /// Expected end (刑期止); `None` for an open-ended measure.
    pub end: Option<NaiveDate>,
    pub facility: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisabilityCategory {
    Visual,
    Hearing,
    Speech,
    Physical,
    Intellectual,
    Mental,
    Multiple,
}

impl DisabilityCategory {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Visual => "视力残疾",
            Self::Hearing => "听力残疾",
            Self::Speech => "言语残疾",
            Self::Physical => "肢体残疾",
            Self::Intellectual => "智力残疾",
            Self::Mental => "精神残疾",
            Self::Multiple => "多重残疾",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisabilityCertificate {
    pub certificate_no: String,
    pub citizen_id: Option<CitizenId>,
    pub name: PersonName,
    pub sex: Option<Sex>,
    pub category: DisabilityCategory,
    /// 1 (most severe) to 4.
    pub grade: u8,
    pub issued_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DivorceChannel {
    /// 民政 registration
    Registration,
    /// 法院 judgment or mediation
    Judgment,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divorce {
    pub record_no: String,
    pub husband: PersonRef,
    pub wife: PersonRef,
    pub date: NaiveDate,
    pub channel: DivorceChannel,
}

/// One validated row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DepartmentRecord {
    HouseholdMember(HouseholdMember),
    StudentEnrolment(StudentEnrolment),
    AssistancePayment(AssistancePayment),
    Custody(Custody),
    DisabilityCertificate(DisabilityCertificate),
    Divorce(Divorce),
    IllnessDiagnosis(IllnessDiagnosis),
    Event(PushedEvent),
}

/// An event a department pushed, kept as a source record like any file row: linked to the
/// persons it names, giving facts, and cited as the source of the alerts it raises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedEvent {
    pub department: Department,
    pub event: DepartmentEvent,
}

/// 重病诊断: a diagnosis (or serious-illness reimbursement) of an illness on the locality's
/// 重特大疾病 / 大病 list, as 卫健 or 医保 deliver it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IllnessDiagnosis {
    pub record_no: String,
    pub citizen_id: Option<CitizenId>,
    pub name: PersonName,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub illness: String,
    pub diagnosed_on: NaiveDate,
    /// When the illness was recorded as cured or ended; `None` while it lasts.
    pub ended_on: Option<NaiveDate>,
}

/// The part a person plays in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MentionRole {
    /// The person the row is about.
    Subject,
    Father,
    Mother,
    Guardian,
    Husband,
    Wife,
    /// The subject's spouse (an event names them).
    Spouse,
    /// A child an event names as concerned (the subject's child, or the child reported).
    Child,
}

impl MentionRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subject => "subject",
            Self::Father => "father",
            Self::Mother => "mother",
            Self::Guardian => "guardian",
            Self::Husband => "husband",
            Self::Wife => "wife",
            Self::Spouse => "spouse",
            Self::Child => "child",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "subject" => Self::Subject,
            "father" => Self::Father,
            "mother" => Self::Mother,
            "guardian" => Self::Guardian,
            "husband" => Self::Husband,
            "wife" => Self::Wife,
            "spouse" => Self::Spouse,
            "child" => Self::Child,
            _ => return None,
        })
    }
}

/// What a record says about one person, for the linker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub role: MentionRole,
    pub citizen_id: Option<CitizenId>,
    pub name: Option<PersonName>,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    /// Names of this person's parents or guardian given by the same record (context for
    /// linking without an ID: a school row names the guardian).
    pub relative_names: Vec<PersonName>,
}

impl Mention {
    fn of_ref(role: MentionRole, r: &PersonRef, sex: Option<Sex>) -> Option<Self> {
        if r.is_empty() {
            return None;
        }
        Some(Self {
            role,
            citizen_id: r.citizen_id.clone(),
            name: r.name.clone(),
            // An ID carries the sex; otherwise the role may imply it.
            sex: r.citizen_id.as_ref().map(CitizenId::sex).or(sex),
            birth_date: r.citizen_id.as_ref().map(CitizenId::birth_date),
            relative_names: Vec::new(),
        })
    }
}

impl DepartmentRecord {
    pub fn kind(&self) -> RecordKind {
        match self {
            Self::HouseholdMember(_) => RecordKind::HouseholdMember,
            Self::StudentEnrolment(_) => RecordKind::StudentEnrolment,
            Self::AssistancePayment(_) => RecordKind::AssistancePayment,
            Self::Custody(_) => RecordKind::Custody,
            Self::DisabilityCertificate(_) => RecordKind::DisabilityCertificate,
            Self::Divorce(_) => RecordKind::Divorce,
            Self::IllnessDiagnosis(_) => RecordKind::IllnessDiagnosis,
            Self::Event(_) => RecordKind::Event,
        }
    }

    /// Everyone the record is about, subject first.
    pub fn mentions(&self) -> Vec<Mention> {
        let subject = |citizen_id: &Option<CitizenId>,
                       name: &PersonName,
                       sex: Option<Sex>,
                       birth: Option<NaiveDate>,
                       relatives: Vec<PersonName>| Mention {
            role: MentionRole::Subject,
            citizen_id: citizen_id.clone(),
            name: Some(name.clone()),
            sex: sex.or_else(|| citizen_id.as_ref().map(CitizenId::sex)),
            birth_date: birth.or_else(|| citizen_id.as_ref().map(CitizenId::birth_date)),
            relative_names: relatives,
        };
        match self {
            Self::HouseholdMember(r) => {
                let relatives = [&r.father, &r.mother, &r.guardian]
                    .iter()
                    .filter_map(|p| p.name.clone())
                    .collect();
                let mut out = vec![subject(
                    &r.citizen_id,
                    &r.name,
                    Some(r.sex),
                    Some(r.birth_date),
                    relatives,
                )];
                out.extend(Mention::of_ref(
                    MentionRole::Father,
                    &r.father,
                    Some(Sex::Male),
                ));
                out.extend(Mention::of_ref(
                    MentionRole::Mother,
                    &r.mother,
                    Some(Sex::Female),
                ));
                out.extend(Mention::of_ref(MentionRole::Guardian, &r.guardian, None));
                out
            }
            Self::StudentEnrolment(r) => vec![subject(
                &r.citizen_id,
                &r.name,
                r.sex,
                Some(r.birth_date),
                r.guardian_name.iter().cloned().collect(),
            )],
            Self::AssistancePayment(r) => {
                vec![subject(&r.citizen_id, &r.name, None, None, Vec::new())]
            }
            Self::Custody(r) => vec![subject(
                &r.citizen_id,
                &r.name,
                r.sex,
                r.birth_date,
                Vec::new(),
            )],
            Self::DisabilityCertificate(r) => {
                vec![subject(&r.citizen_id, &r.name, r.sex, None, Vec::new())]
            }
            Self::IllnessDiagnosis(r) => vec![subject(
                &r.citizen_id,
                &r.name,
                r.sex,
                r.birth_date,
                Vec::new(),
            )],
            Self::Event(r) => r.event.mentions(),
            Self::Divorce(r) => {
                let mut out = Vec::new();
                out.extend(Mention::of_ref(
                    MentionRole::Husband,
                    &r.husband,
                    Some(Sex::Male),
                ));
                out.extend(Mention::of_ref(
                    MentionRole::Wife,
                    &r.wife,
                    Some(Sex::Female),
                ));
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departments_parse_from_code_or_chinese_name() {
        assert_eq!(Department::parse("police"), Some(Department::Police));
        assert_eq!(
            Department::parse("残联"),
            Some(Department::DisabledPersonsFederation)
        );
        assert_eq!(Department::parse("nobody"), None);
    }

    #[test]
    fn divorce_mentions_both_spouses_with_their_sex() {
        let record = DepartmentRecord::Divorce(Divorce {
            record_no: "L1".into(),
            husband: PersonRef {
                citizen_id: None,
                name: Some(PersonName::parse("王强").unwrap()),
            },
            wife: PersonRef {
                citizen_id: Some(CitizenId::parse("11010519491231002X").unwrap()),
                name: Some(PersonName::parse("李梅").unwrap()),
            },
            date: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            channel: DivorceChannel::Registration,
        });
        let mentions = record.mentions();
        assert_eq!(mentions.len(), 2);
        assert_eq!(mentions[0].sex, Some(Sex::Male));
        assert_eq!(
            mentions[1].birth_date,
            NaiveDate::from_ymd_opt(1949, 12, 31)
        );
    }
}
