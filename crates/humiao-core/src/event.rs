//! Events departments push the moment something happens (a death, a detention, a school
//! absence, a mandatory report …): their kinds, and reading one from JSON with every problem
//! named by its field, so that a malformed event is refused with a clear answer.
//!
//! The JSON form (also in the OpenAPI description the web server serves):
//!
//! ```json
//! {
//!   "event_id": "GA-2026-000123",
//!   "kind": "detention",
//!   "occurred_on": "2026-11-20",
//!   "subject": { "citizen_id": "330102198602030015", "name": "王强" },
//!   "related": [{ "role": "child", "name": "王小明", "birth_date": "2016-06-01" }],
//!   "until": "2027-05-19",
//!   "place": "护苗县看守所",
//!   "details": "涉嫌盗窃被刑事拘留"
//! }
//! ```

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::alert::Severity;
use crate::citizen_id::CitizenId;
use crate::fact::{FactDraft, FactKind};
use crate::person::PersonName;
use crate::records::{CustodyMeasure, DivorceChannel, Mention, MentionRole};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Divorce,
    Death,
    Birth,
    Detention,
    Imprisonment,
    Release,
    SchoolAbsence,
    SchoolSuspension,
    VenueAdmission,
    HospitalInjury,
    PoliceIncident,
    MandatoryReport,
}

impl EventKind {
    pub const ALL: [EventKind; 12] = [
        Self::Divorce,
        Self::Death,
        Self::Birth,
        Self::Detention,
        Self::Imprisonment,
        Self::Release,
        Self::SchoolAbsence,
        Self::SchoolSuspension,
        Self::VenueAdmission,
        Self::HospitalInjury,
        Self::PoliceIncident,
        Self::MandatoryReport,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Divorce => "divorce",
            Self::Death => "death",
            Self::Birth => "birth",
            Self::Detention => "detention",
            Self::Imprisonment => "imprisonment",
            Self::Release => "release",
            Self::SchoolAbsence => "school_absence",
            Self::SchoolSuspension => "school_suspension",
            Self::VenueAdmission => "venue_admission",
            Self::HospitalInjury => "hospital_injury",
            Self::PoliceIncident => "police_incident",
            Self::MandatoryReport => "mandatory_report",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Divorce => "离婚",
            Self::Death => "死亡",
            Self::Birth => "出生",
            Self::Detention => "刑事拘留/羁押",
            Self::Imprisonment => "判处监禁/入监",
            Self::Release => "释放",
            Self::SchoolAbsence => "无故缺课",
            Self::SchoolSuspension => "停学/辍学",
            Self::VenueAdmission => "出入不适宜未成年人的场所",
            Self::HospitalInjury => "医院接诊伤情",
            Self::PoliceIncident => "110警情",
            Self::MandatoryReport => "强制报告",
        }
    }

    /// Always urgent (极危) and for the police too: mandatory reports (未成年人保护法 art. 11).
    pub fn always_urgent(self) -> bool {
        self == Self::MandatoryReport
    }
}

/// How a person is named in an event: an ID, or a name with a birth date, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPerson {
    pub citizen_id: Option<CitizenId>,
    pub name: Option<PersonName>,
    pub birth_date: Option<NaiveDate>,
}

/// The part a related person plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelatedRole {
    Child,
    Spouse,
    Father,
    Mother,
}

impl RelatedRole {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "child" => Some(Self::Child),
            "spouse" => Some(Self::Spouse),
            "father" => Some(Self::Father),
            "mother" => Some(Self::Mother),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelatedPerson {
    pub role: RelatedRole,
    pub person: EventPerson,
}

/// One event as a department sent it, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentEvent {
    /// The department's own ID: the same ID twice is the same event.
    pub event_id: String,
    pub kind: EventKind,
    pub occurred_on: NaiveDate,
    pub subject: EventPerson,
    pub related: Vec<RelatedPerson>,
    /// When a measure ends (a detention's planned end), if known.
    pub until: Option<NaiveDate>,
    pub place: Option<String>,
    /// The sensitive detail, for roles that may see reasons.
    pub details: Option<String>,
}

impl EventPerson {
    /// The birth date given, or the one the citizen ID carries.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        self.birth_date
            .or_else(|| self.citizen_id.as_ref().map(CitizenId::birth_date))
    }

    fn mention(&self, role: MentionRole) -> Mention {
        Mention {
            role,
            citizen_id: self.citizen_id.clone(),
            name: self.name.clone(),
            sex: self.citizen_id.as_ref().map(CitizenId::sex),
            birth_date: self.birth_date(),
            relative_names: Vec::new(),
        }
    }
}

impl RelatedRole {
    pub fn mention_role(self) -> MentionRole {
        match self {
            Self::Child => MentionRole::Child,
            Self::Spouse => MentionRole::Spouse,
            Self::Father => MentionRole::Father,
            Self::Mother => MentionRole::Mother,
        }
    }
}

/// How an event reaches the children it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventEffect {
    /// It changes a fact about a person (a parent's death, custody or divorce): the children
    /// are re-assessed and the rules decide — categories, risk levels, family-change alerts.
    Facts,
    /// It is about a child's safety or schooling: an alert for that child at once.
    ChildAlert {
        severity: Severity,
        message: &'static str,
        /// For the police as well (an incident, an unsuitable venue, a mandatory report).
        police: bool,
    },
    /// It is about a parent and calls for a visit whatever the rules decide (a release: the
    /// parent comes home): an alert for the parent's children, who are also re-assessed on the
    /// facts it states (a release ends the custody).
    FamilyAlert { severity: Severity },
    /// Kept and linked only (a birth: the register delivers the newborn).
    Recorded,
}

impl EventKind {
    /// What this kind of event does (severities per kind; deadlines are pack parameters).
    pub fn effect(self) -> EventEffect {
        use EventEffect::*;
        match self {
            Self::Divorce | Self::Death | Self::Detention | Self::Imprisonment => Facts,
            Self::Release => FamilyAlert {
                severity: Severity::Medium,
            },
            Self::Birth => Recorded,
            Self::SchoolAbsence => ChildAlert {
                severity: Severity::Medium,
                message: "儿童近期无故缺课，请了解原因",
                police: false,
            },
            Self::SchoolSuspension => ChildAlert {
                severity: Severity::High,
                message: "儿童停学或辍学，请尽快走访劝返",
                police: false,
            },
            Self::VenueAdmission => ChildAlert {
                severity: Severity::High,
                message: "儿童出入不适宜场所，请及时联系监护人",
                police: true,
            },
            Self::HospitalInjury => ChildAlert {
                severity: Severity::High,
                message: "儿童就医伤情需核实，请尽快走访",
                police: false,
            },
            Self::PoliceIncident => ChildAlert {
                severity: Severity::High,
                message: "儿童涉及警情，请尽快走访了解",
                police: true,
            },
            Self::MandatoryReport => ChildAlert {
                severity: Severity::Urgent,
                message: "强制报告：请立即核实儿童安全",
                police: true,
            },
        }
    }
}

impl DepartmentEvent {
    /// Everyone the event names, subject first, as the linker sees them.
    pub fn mentions(&self) -> Vec<Mention> {
        let mut out = vec![self.subject.mention(MentionRole::Subject)];
        let mut roles_seen = vec![MentionRole::Subject];
        for r in &self.related {
            let role = r.role.mention_role();
            // A record has one mention per role (record links are keyed so); further children
            // named are kept in the record for people to read.
            if !roles_seen.contains(&role) {
                roles_seen.push(role);
                out.push(r.person.mention(role));
            }
        }
        out
    }

    /// The facts it states, each about one of its mentions; `court` decides how a divorce
    /// was granted.
    pub fn facts(&self, court: bool) -> Vec<FactDraft> {
        let subject = |kind, valid_to| FactDraft {
            about: MentionRole::Subject,
            kind,
            valid_from: Some(self.occurred_on),
            valid_to,
        };
        match self.kind {
            EventKind::Death => vec![subject(FactKind::Death, None)],
            EventKind::Detention => vec![subject(
                FactKind::Custody {
                    measure: CustodyMeasure::OtherRestriction,
                },
                self.until,
            )],
            EventKind::Imprisonment => vec![subject(
                FactKind::Custody {
                    measure: CustodyMeasure::Imprisonment,
                },
                self.until,
            )],
            EventKind::Release => vec![subject(FactKind::Released, None)],
            EventKind::Divorce => {
                let channel = if court {
                    DivorceChannel::Judgment
                } else {
                    DivorceChannel::Registration
                };
                let mut out = vec![subject(FactKind::Divorce { channel }, None)];
                if self.related.iter().any(|r| r.role == RelatedRole::Spouse) {
                    out.push(FactDraft {
                        about: MentionRole::Spouse,
                        ..subject(FactKind::Divorce { channel }, None)
                    });
                }
                out
            }
            _ => Vec::new(),
        }
    }

    /// What people who may see reasons read about it: the kind, date, place and details.
    pub fn describe_zh(&self) -> String {
        let mut out = format!(
            "{}（{}）",
            self.kind.label_zh(),
            self.occurred_on.format("%Y-%m-%d")
        );
        if let Some(until) = self.until {
            out.push_str(&format!("，至{}", until.format("%Y-%m-%d")));
        }
        if let Some(place) = &self.place {
            out.push_str(&format!("，地点：{place}"));
        }
        if let Some(details) = &self.details {
            out.push_str(&format!("；{details}"));
        }
        out
    }
}

/// One thing wrong with an event: the field (a JSON path) and what is wrong, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventProblem {
    pub field: String,
    pub problem: String,
}

const MAX_ID_CHARS: usize = 100;
const MAX_TEXT_CHARS: usize = 2000;
const MAX_RELATED: usize = 20;
const FIELDS: [&str; 8] = [
    "event_id",
    "kind",
    "occurred_on",
    "subject",
    "related",
    "until",
    "place",
    "details",
];

/// Collects problems while reading.
struct Reader {
    problems: Vec<EventProblem>,
}

impl Reader {
    fn problem(&mut self, field: &str, problem: impl Into<String>) {
        self.problems.push(EventProblem {
            field: field.to_string(),
            problem: problem.into(),
        });
    }

    fn text(&mut self, v: Option<&Value>, field: &str, max: usize) -> Option<String> {
        match v {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) if s.chars().count() > max => {
                self.problem(field, format!("不超过{max}个字符"));
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(_) => {
                self.problem(field, "应为文字");
                None
            }
        }
    }

    fn date(&mut self, v: Option<&Value>, field: &str) -> Option<NaiveDate> {
        let text = self.text(v, field, 40)?;
        // A date, or the date part of a timestamp (2026-11-20T08:30:00+08:00).
        let day = text.get(..10).unwrap_or(&text);
        match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            Ok(d) if (1900..=2100).contains(&chrono::Datelike::year(&d)) => Some(d),
            _ => {
                self.problem(field, format!("“{text}”不是 YYYY-MM-DD 格式的日期"));
                None
            }
        }
    }

    fn person(&mut self, v: Option<&Value>, field: &str) -> Option<EventPerson> {
        let Some(Value::Object(map)) = v else {
            self.problem(
                field,
                "应为对象：{ citizen_id, name, birth_date }，至少含身份证号或姓名",
            );
            return None;
        };
        for key in map.keys() {
            if !matches!(key.as_str(), "citizen_id" | "name" | "birth_date" | "role") {
                self.problem(&format!("{field}.{key}"), "不是可用的字段");
            }
        }
        let id_field = format!("{field}.citizen_id");
        let citizen_id = self
            .text(map.get("citizen_id"), &id_field, 18)
            .and_then(|s| match CitizenId::parse(&s) {
                Ok(id) => Some(id),
                Err(e) => {
                    self.problem(&id_field, format!("身份证号无效：{e}"));
                    None
                }
            });
        let name_field = format!("{field}.name");
        let name =
            self.text(map.get("name"), &name_field, 40)
                .and_then(|s| match PersonName::parse(&s) {
                    Ok(n) => Some(n),
                    Err(_) => {
                        self.problem(&name_field, format!("“{s}”不是有效的姓名"));
                        None
                    }
                });
        let birth_date = self.date(map.get("birth_date"), &format!("{field}.birth_date"));
        if citizen_id.is_none() && name.is_none() && !self.has_problem_under(field) {
            self.problem(field, "至少需要身份证号或姓名");
        }
        Some(EventPerson {
            citizen_id,
            name,
            birth_date,
        })
    }

    fn has_problem_under(&self, field: &str) -> bool {
        self.problems.iter().any(|p| p.field.starts_with(field))
    }
}

/// Reads an event from JSON; every problem is listed, not only the first.
pub fn parse_event(value: &Value) -> Result<DepartmentEvent, Vec<EventProblem>> {
    let mut r = Reader {
        problems: Vec::new(),
    };
    let Value::Object(map) = value else {
        return Err(vec![EventProblem {
            field: "$".into(),
            problem: "事件应为 JSON 对象".into(),
        }]);
    };
    for key in map.keys() {
        if !FIELDS.contains(&key.as_str()) {
            r.problem(key, "不是可用的字段");
        }
    }
    let event_id = r.text(map.get("event_id"), "event_id", MAX_ID_CHARS);
    if event_id.is_none() && !r.has_problem_under("event_id") {
        r.problem("event_id", "必填：部门系统中的事件编号（用于去重）");
    }
    let kind = match r.text(map.get("kind"), "kind", 40) {
        Some(k) => {
            let parsed = EventKind::parse(&k);
            if parsed.is_none() {
                let all: Vec<&str> = EventKind::ALL.iter().map(|k| k.code()).collect();
                r.problem(
                    "kind",
                    format!("“{k}”不是事件类型，应为：{}", all.join("、")),
                );
            }
            parsed
        }
        None => {
            if !r.has_problem_under("kind") {
                r.problem("kind", "必填：事件类型");
            }
            None
        }
    };
    let occurred_on = r.date(map.get("occurred_on"), "occurred_on");
    if occurred_on.is_none() && !r.has_problem_under("occurred_on") {
        r.problem("occurred_on", "必填：发生日期");
    }
    let subject = r.person(map.get("subject"), "subject");
    let mut related = Vec::new();
    match map.get("related") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) if items.len() <= MAX_RELATED => {
            for (i, item) in items.iter().enumerate() {
                let field = format!("related[{i}]");
                let role = item
                    .get("role")
                    .and_then(Value::as_str)
                    .and_then(RelatedRole::parse);
                if role.is_none() {
                    r.problem(
                        &format!("{field}.role"),
                        "应为 child、spouse、father 或 mother",
                    );
                }
                if let (Some(role), Some(person)) = (role, r.person(Some(item), &field)) {
                    related.push(RelatedPerson { role, person });
                }
            }
        }
        Some(Value::Array(_)) => r.problem("related", format!("至多{MAX_RELATED}人")),
        Some(_) => r.problem("related", "应为数组"),
    }
    let until = r.date(map.get("until"), "until");
    let place = r.text(map.get("place"), "place", 200);
    let details = r.text(map.get("details"), "details", MAX_TEXT_CHARS);
    if let (Some(from), Some(to)) = (occurred_on, until) {
        if to < from {
            r.problem("until", "不能早于发生日期");
        }
    }
    match (event_id, kind, occurred_on, subject) {
        (Some(event_id), Some(kind), Some(occurred_on), Some(subject)) if r.problems.is_empty() => {
            Ok(DepartmentEvent {
                event_id,
                kind,
                occurred_on,
                subject,
                related,
                until,
                place,
                details,
            })
        }
        _ => Err(r.problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_well_formed_event_is_read() {
        let e = parse_event(&json!({
            "event_id": "GA-1",
            "kind": "detention",
            "occurred_on": "2026-11-20T08:30:00+08:00",
            "subject": { "citizen_id": "11010519491231002X", "name": "李梅" },
            "related": [{ "role": "child", "name": "王小明", "birth_date": "2016-06-01" }],
            "until": "2027-05-19",
            "details": "涉嫌盗窃"
        }))
        .unwrap();
        assert_eq!(e.kind, EventKind::Detention);
        assert_eq!(
            e.occurred_on,
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
        );
        assert_eq!(e.related[0].role, RelatedRole::Child);
        assert_eq!(e.subject.name.unwrap().as_str(), "李梅");
    }

    #[test]
    fn every_problem_is_named_by_its_field() {
        let problems = parse_event(&json!({
            "kind": "arrest",
            "occurred_on": "2026-13-40",
            "subject": { "citizen_id": "110105194912310021" },
            "related": [{ "role": "cousin", "name": "王小明" }],
            "colour": "red"
        }))
        .unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        for f in [
            "colour",
            "event_id",
            "kind",
            "occurred_on",
            "subject.citizen_id",
            "related[0].role",
        ] {
            assert!(fields.contains(&f), "{f} in {problems:?}");
        }
        assert!(problems
            .iter()
            .any(|p| p.field == "kind" && p.problem.contains("mandatory_report")));
        assert_eq!(
            parse_event(&json!([1, 2])).unwrap_err()[0].problem,
            "事件应为 JSON 对象"
        );
    }

    #[test]
    fn a_subject_needs_an_id_or_a_name() {
        let problems = parse_event(&json!({
            "event_id": "X", "kind": "death", "occurred_on": "2026-11-20",
            "subject": { "birth_date": "1980-01-01" }
        }))
        .unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "subject");
    }

    #[test]
    fn an_event_names_its_persons_and_states_its_facts() {
        let e = parse_event(&json!({
            "event_id": "FY-3", "kind": "divorce", "occurred_on": "2026-11-02",
            "subject": { "citizen_id": "11010519491231002X", "name": "李梅" },
            "related": [
                { "role": "spouse", "name": "王强" },
                { "role": "child", "name": "王小明", "birth_date": "2016-06-01" },
                { "role": "child", "name": "王小红", "birth_date": "2018-03-01" }
            ]
        }))
        .unwrap();
        let mentions = e.mentions();
        let roles: Vec<MentionRole> = mentions.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            vec![
                MentionRole::Subject,
                MentionRole::Spouse,
                MentionRole::Child
            ]
        );
        assert_eq!(
            mentions[0].birth_date,
            NaiveDate::from_ymd_opt(1949, 12, 31)
        );
        let facts = e.facts(true);
        assert_eq!(facts.len(), 2);
        assert_eq!(
            facts[1].kind,
            FactKind::Divorce {
                channel: DivorceChannel::Judgment
            }
        );
        assert_eq!(facts[1].about, MentionRole::Spouse);

        let detention = parse_event(&json!({
            "event_id": "GA-2", "kind": "detention", "occurred_on": "2026-11-20",
            "until": "2026-12-19", "subject": { "name": "王强" }
        }))
        .unwrap();
        let facts = detention.facts(false);
        assert_eq!(
            facts[0].kind,
            FactKind::Custody {
                measure: CustodyMeasure::OtherRestriction
            }
        );
        assert_eq!(facts[0].valid_to, NaiveDate::from_ymd_opt(2026, 12, 19));
        assert_eq!(
            EventKind::SchoolAbsence.effect(),
            EventEffect::ChildAlert {
                severity: Severity::Medium,
                message: "儿童近期无故缺课，请了解原因",
                police: false
            }
        );
    }
}
