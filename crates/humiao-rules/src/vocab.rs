//! The vocabulary: every name a rule may use about a case, its type, and how it is read from the
//! fused facts. Packs compose these; they cannot reach data outside this list, which is what makes
//! a pack safe to upload and its decisions explainable.

use chrono::{Datelike, NaiveDate};
use humiao_core::fact::{Fact, FactKind};
use humiao_core::policy::{ChildCase, Reason};
use humiao_core::records::{AssistanceType, CustodyMeasure, DisabilityCategory};
use humiao_core::Sex;

use crate::value::{Evidence, ScalarType, Type, Value, Who};

/// A name about the case as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopVar {
    Age,
    AgeMonths,
    Sex,
    RegisteredRural,
    /// Days since the latest family change (a parent's death, going missing, custody or
    /// divorce); none when there was none.
    DaysSinceFamilyChange,
    /// 人户分离: lives in another village than the one of registration.
    LivesAway,
    /// Whole months since the 居住登记 date of living away; 0 when not living away.
    LivesAwayMonths,
    Person(Who),
}

pub const TOP_VARS: [(&str, TopVar, &str); 10] = [
    ("age", TopVar::Age, "儿童周岁年龄"),
    ("age_months", TopVar::AgeMonths, "儿童月龄"),
    ("sex", TopVar::Sex, "儿童性别：'male' 或 'female'"),
    (
        "registered_rural",
        TopVar::RegisteredRural,
        "户籍地为农村（村）",
    ),
    (
        "days_since_family_change",
        TopVar::DaysSinceFamilyChange,
        "距最近一次家庭变故（父母死亡、失踪、被羁押服刑、离婚）的天数",
    ),
    (
        "lives_away",
        TopVar::LivesAway,
        "人户分离：居住地不在户籍地所在村（社区）",
    ),
    (
        "lives_away_months",
        TopVar::LivesAwayMonths,
        "人户分离已满的月数（自居住登记日期起；未分离为0）",
    ),
    ("child", TopVar::Person(Who::Child), "儿童本人"),
    ("father", TopVar::Person(Who::Father), "父亲"),
    ("mother", TopVar::Person(Who::Mother), "母亲"),
];

impl TopVar {
    pub fn ty(self) -> Type {
        match self {
            TopVar::Age
            | TopVar::AgeMonths
            | TopVar::DaysSinceFamilyChange
            | TopVar::LivesAwayMonths => Type::Int,
            TopVar::Sex => Type::Str,
            TopVar::RegisteredRural | TopVar::LivesAway => Type::Bool,
            TopVar::Person(_) => Type::Person,
        }
    }
}

/// An attribute of a person of the case (`father.dead`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    Known,
    Dead,
    Missing,
    MissingMonths,
    Custody,
    CustodyMonths,
    CustodyMeasure,
    DisabilityGrade,
    DisabilityCategory,
    SeriousIllness,
    GuardianshipRevoked,
    Deported,
    WorksAway,
    Divorced,
    Enrolled,
}

pub const DISABILITY_CODES: [&str; 7] = [
    "visual",
    "hearing",
    "speech",
    "physical",
    "intellectual",
    "mental",
    "multiple",
];
pub const CUSTODY_CODES: [&str; 3] = ["imprisonment", "drug_rehabilitation", "other_restriction"];
pub const ASSISTANCE_CODES: [&str; 4] = [
    "dibao",
    "tekun",
    "orphan_allowance",
    "unsupported_child_allowance",
];
pub const SEX_CODES: [&str; 2] = ["male", "female"];

pub const ATTRS: [(&str, Attr, &str); 15] = [
    ("known", Attr::Known, "身份已知（已关联到人员）"),
    ("dead", Attr::Dead, "死亡（含宣告死亡）"),
    ("missing", Attr::Missing, "失踪或失联"),
    ("missing_months", Attr::MissingMonths, "失联已满的月数"),
    (
        "custody",
        Attr::Custody,
        "正在服刑在押、强制隔离戒毒或被执行其他限制人身自由的措施",
    ),
    (
        "custody_months",
        Attr::CustodyMonths,
        "当前限制人身自由措施的期限（月；无止期按已执行计）",
    ),
    ("custody_measure", Attr::CustodyMeasure, "措施种类"),
    (
        "disability_grade",
        Attr::DisabilityGrade,
        "残疾等级（1–4，取最重）",
    ),
    ("disability_category", Attr::DisabilityCategory, "残疾类别"),
    (
        "serious_illness",
        Attr::SeriousIllness,
        "患重病（本地重病目录）",
    ),
    (
        "guardianship_revoked",
        Attr::GuardianshipRevoked,
        "被撤销监护资格",
    ),
    ("deported", Attr::Deported, "被遣送（驱逐）出境"),
    ("works_away", Attr::WorksAway, "外出务工"),
    ("divorced", Attr::Divorced, "离婚"),
    ("enrolled", Attr::Enrolled, "在校就读"),
];

impl Attr {
    pub fn ty(self) -> Type {
        match self {
            Attr::MissingMonths | Attr::CustodyMonths | Attr::DisabilityGrade => Type::Int,
            Attr::CustodyMeasure | Attr::DisabilityCategory => Type::Str,
            _ => Type::Bool,
        }
    }

    /// The codes a text attribute can take, for checking literals in a pack.
    pub fn codes(self) -> Option<&'static [&'static str]> {
        match self {
            Attr::CustodyMeasure => Some(&CUSTODY_CODES),
            Attr::DisabilityCategory => Some(&DISABILITY_CODES),
            _ => None,
        }
    }
}

/// Built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// `paid_within(person, 'assistance', months)`: a payment of that assistance for a month
    /// ending within the last `months` months.
    PaidWithin,
    /// `household_paid_within('assistance', months)`: the same for anyone of the child's 户
    /// (户号), such as a grandparent who is the 低保 applicant.
    HouseholdPaidWithin,
    Min,
    Max,
}

pub const BUILTINS: [(&str, Builtin, &str); 4] = [
    (
        "paid_within",
        Builtin::PaidWithin,
        "paid_within(人员, '救助类型', 月数)：近若干个月内有该项发放记录",
    ),
    (
        "household_paid_within",
        Builtin::HouseholdPaidWithin,
        "household_paid_within('救助类型', 月数)：同户（同一户号）成员近若干个月内有该项发放记录",
    ),
    ("min", Builtin::Min, "min(a, b)：较小者"),
    ("max", Builtin::Max, "max(a, b)：较大者"),
];

impl Builtin {
    pub fn params(self) -> &'static [Type] {
        match self {
            Builtin::PaidWithin => &[Type::Person, Type::Str, Type::Int],
            Builtin::HouseholdPaidWithin => &[Type::Str, Type::Int],
            Builtin::Min | Builtin::Max => &[Type::Int, Type::Int],
        }
    }

    pub fn returns(self) -> Type {
        match self {
            Builtin::PaidWithin | Builtin::HouseholdPaidWithin => Type::Bool,
            Builtin::Min | Builtin::Max => Type::Int,
        }
    }

    /// Allowed codes for a text argument, by position.
    pub fn codes(self, position: usize) -> Option<&'static [&'static str]> {
        match (self, position) {
            (Builtin::PaidWithin, 1) | (Builtin::HouseholdPaidWithin, 0) => Some(&ASSISTANCE_CODES),
            _ => None,
        }
    }
}

pub fn top_var(name: &str) -> Option<TopVar> {
    TOP_VARS
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(_, v, _)| *v)
}

pub fn attr(name: &str) -> Option<Attr> {
    ATTRS.iter().find(|(n, ..)| *n == name).map(|(_, a, _)| *a)
}

pub fn builtin(name: &str) -> Option<Builtin> {
    BUILTINS
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(_, b, _)| *b)
}

pub fn list_type(item: Type) -> Option<Type> {
    match item {
        Type::Int => Some(Type::List(ScalarType::Int)),
        Type::Str => Some(Type::List(ScalarType::Str)),
        _ => None,
    }
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "日期不详".into())
}

/// Whole months from `from` to `to`: the most k with `from` + k months ≤ `to` (0 when `to` is
/// earlier). Adding months clamps to the month's end (08-31 + 6 months = 02-28), as the law's
/// "满6个月" is counted.
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut months =
        i64::from(to.year() - from.year()) * 12 + i64::from(to.month()) - i64::from(from.month());
    let add = |k: i64| {
        u32::try_from(k)
            .ok()
            .and_then(|k| from.checked_add_months(chrono::Months::new(k)))
    };
    while months > 0 && add(months).is_none_or(|d| d > to) {
        months -= 1;
    }
    months.max(0)
}

fn started_by(fact: &Fact, as_of: NaiveDate) -> bool {
    fact.valid_from.is_none_or(|from| from <= as_of)
}

fn custody_code(m: CustodyMeasure) -> &'static str {
    match m {
        CustodyMeasure::Imprisonment => "imprisonment",
        CustodyMeasure::DrugRehabilitation => "drug_rehabilitation",
        CustodyMeasure::OtherRestriction => "other_restriction",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_months_count_like_adding_months() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(whole_months(d(2025, 8, 31), d(2026, 2, 28)), 6);
        assert_eq!(whole_months(d(2025, 8, 31), d(2026, 2, 27)), 5);
        assert_eq!(whole_months(d(2026, 5, 22), d(2026, 11, 22)), 6);
        assert_eq!(whole_months(d(2026, 5, 23), d(2026, 11, 22)), 5);
        assert_eq!(whole_months(d(2026, 5, 23), d(2026, 1, 1)), 0);
    }
}

pub fn disability_code(c: DisabilityCategory) -> &'static str {
    match c {
        DisabilityCategory::Visual => "visual",
        DisabilityCategory::Hearing => "hearing",
        DisabilityCategory::Speech => "speech",
        DisabilityCategory::Physical => "physical",
        DisabilityCategory::Intellectual => "intellectual",
        DisabilityCategory::Mental => "mental",
        DisabilityCategory::Multiple => "multiple",
    }
}

pub fn assistance_code(a: AssistanceType) -> &'static str {
    match a {
        AssistanceType::Dibao => "dibao",
        AssistanceType::Tekun => "tekun",
        AssistanceType::OrphanAllowance => "orphan_allowance",
        AssistanceType::UnsupportedChildAllowance => "unsupported_child_allowance",
    }
}

fn reason(text: String, fact: &Fact) -> Reason {
    Reason {
        text,
        sources: vec![fact.source],
    }
}

/// One case as the rules see it.
///
/// `explain` says whether values carry their reasons: assessing a county first evaluates every
/// rule without them (no text is formatted) and then re-evaluates, with reasons, only the rules
/// that came out true or unknown — what the explanation shows.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    pub inner: &'a ChildCase<'a>,
    pub as_of: NaiveDate,
    pub explain: bool,
}

impl<'a> Case<'a> {
    /// The facts of a person of the case; None when the person is not known.
    pub fn facts(&self, who: Who) -> Option<&'a [Fact]> {
        match who {
            Who::Child => Some(self.inner.child_facts),
            Who::Father => self.inner.father.map(|p| p.facts),
            Who::Mother => self.inner.mother.map(|p| p.facts),
        }
    }

    /// A value because of a fact; the text is only written when explaining.
    fn because_of(&self, value: Value, fact: &Fact, text: impl FnOnce() -> String) -> Evidence {
        if self.explain {
            Evidence::because(value, reason(text(), fact))
        } else {
            Evidence::plain(value)
        }
    }

    /// A value with a reason that has no source record (the birth date, the registration).
    fn noted(&self, value: Value, text: impl FnOnce() -> String) -> Evidence {
        if self.explain {
            Evidence::because(
                value,
                Reason {
                    text: text(),
                    sources: Vec::new(),
                },
            )
        } else {
            Evidence::plain(value)
        }
    }

    fn unknown(&self, missing: impl FnOnce() -> String) -> Evidence {
        if self.explain {
            Evidence::unknown(missing())
        } else {
            Evidence::plain(Value::Unknown)
        }
    }

    pub fn top(&self, var: TopVar) -> Evidence {
        let child = self.inner.child;
        match var {
            TopVar::Age => {
                let age = child.age_on(self.as_of);
                self.noted(Value::Int(i64::from(age)), || {
                    format!("{}出生，{age}周岁", date(Some(child.birth_date)))
                })
            }
            TopVar::AgeMonths => {
                Evidence::plain(Value::Int(whole_months(child.birth_date, self.as_of)))
            }
            TopVar::Sex => Evidence::plain(Value::Str(
                match child.sex {
                    Sex::Male => "male",
                    Sex::Female => "female",
                }
                .into(),
            )),
            TopVar::RegisteredRural => {
                if self.inner.registered_rural {
                    self.noted(Value::Bool(true), || "户籍地为农村".into())
                } else {
                    Evidence::plain(Value::Bool(false))
                }
            }
            TopVar::DaysSinceFamilyChange => {
                let latest = [Who::Father, Who::Mother]
                    .into_iter()
                    .filter_map(|w| self.facts(w).map(|f| (w, f)))
                    .flat_map(|(w, facts)| facts.iter().map(move |f| (w, f)))
                    .filter(|(_, f)| {
                        matches!(
                            f.kind,
                            FactKind::Death
                                | FactKind::Missing
                                | FactKind::Custody { .. }
                                | FactKind::Divorce { .. }
                        )
                    })
                    .filter_map(|(w, f)| Some((f.valid_from.filter(|d| *d <= self.as_of)?, w, f)))
                    .max_by_key(|(d, ..)| *d);
                match latest {
                    Some((d, w, f)) => {
                        let days = (self.as_of - d).num_days();
                        self.because_of(Value::Int(days), f, || {
                            format!(
                                "{}{}（{}，{days}天前）",
                                w.label_zh(),
                                f.kind.describe_zh(),
                                date(Some(d))
                            )
                        })
                    }
                    None if self.facts(Who::Father).is_none()
                        || self.facts(Who::Mother).is_none() =>
                    {
                        self.unknown(|| "父母身份不明，无法确定近期有无家庭变故".into())
                    }
                    None => Evidence::plain(Value::Null),
                }
            }
            TopVar::LivesAway | TopVar::LivesAwayMonths => self.lives_away(var),
            TopVar::Person(w) => Evidence::plain(Value::Person(w)),
        }
    }

    /// `lives_away` from the golden record (residence grid vs registration village), with the
    /// register's 人户分离 fact as its source when there is one; `lives_away_months` from the
    /// latest such fact's 居住登记 date.
    fn lives_away(&self, var: TopVar) -> Evidence {
        let child = self.inner.child;
        let (Some(hukou), Some(grid)) = (&child.hukou_region, &child.residence_grid) else {
            return self.unknown(|| "儿童居住地或户籍地不详".into());
        };
        if !child.lives_away_from_registration() {
            return Evidence::plain(if var == TopVar::LivesAway {
                Value::Bool(false)
            } else {
                Value::Int(0)
            });
        }
        let fact = self
            .inner
            .child_facts
            .iter()
            .filter(|f| f.kind == FactKind::LivesAway && started_by(f, self.as_of))
            .max_by_key(|f| f.valid_from);
        let where_ = || format!("户籍地{hukou}，现居网格{grid}");
        match (var, fact) {
            (TopVar::LivesAway, Some(f)) => {
                self.because_of(Value::Bool(true), f, || format!("人户分离：{}", where_()))
            }
            (TopVar::LivesAway, None) => {
                self.noted(Value::Bool(true), || format!("人户分离：{}", where_()))
            }
            (_, Some(f)) if f.valid_from.is_some() => {
                let since = f.valid_from.unwrap_or(self.as_of);
                let months = whole_months(since, self.as_of);
                self.because_of(Value::Int(months), f, || {
                    format!("自{}起在现居地居住，已满{months}个月", date(Some(since)))
                })
            }
            _ => self.unknown(|| "人户分离的居住登记日期不详".into()),
        }
    }

    /// Reads one attribute of a person from the facts, as of the case date.
    pub fn attribute(&self, who: Who, attr: Attr) -> Evidence {
        let label = who.label_zh();
        let Some(facts) = self.facts(who) else {
            return if attr == Attr::Known {
                Evidence::plain(Value::Bool(false))
            } else {
                self.unknown(|| format!("{label}身份不明（未关联到{label}的记录）"))
            };
        };
        let as_of = self.as_of;
        let first = |pred: &dyn Fn(&Fact) -> bool| facts.iter().find(|f| pred(f));
        let flag = |fact: Option<&Fact>, text: &dyn Fn(&Fact) -> String| match fact {
            Some(f) => self.because_of(Value::Bool(true), f, || text(f)),
            None => Evidence::plain(Value::Bool(false)),
        };
        match attr {
            Attr::Known => Evidence::plain(Value::Bool(true)),
            Attr::Dead => flag(
                first(&|f| f.kind == FactKind::Death && started_by(f, as_of)),
                &|f| format!("{label}死亡（{}）", date(f.valid_from)),
            ),
            Attr::Missing => flag(
                first(&|f| f.kind == FactKind::Missing && started_by(f, as_of)),
                &|f| format!("{label}失踪/失联（自{}）", date(f.valid_from)),
            ),
            Attr::MissingMonths => {
                match first(&|f| f.kind == FactKind::Missing && started_by(f, as_of)) {
                    Some(f) => match f.valid_from {
                        Some(from) => {
                            let months = whole_months(from, as_of);
                            self.because_of(Value::Int(months), f, || {
                                format!("{label}失联，自{}起已满{months}个月", date(Some(from)))
                            })
                        }
                        None => self.unknown(|| format!("{label}失联的起始日期不详")),
                    },
                    None => Evidence::plain(Value::Null),
                }
            }
            Attr::Custody | Attr::CustodyMonths | Attr::CustodyMeasure => {
                // A release on or after a custody's start ends it, whatever end the custody
                // record planned.
                let release_of = |custody: &Fact| {
                    facts.iter().find(|r| {
                        r.kind == FactKind::Released
                            && started_by(r, as_of)
                            && custody
                                .valid_from
                                .is_none_or(|from| r.valid_from.is_none_or(|on| on >= from))
                    })
                };
                let held =
                    |f: &Fact| matches!(f.kind, FactKind::Custody { .. }) && f.holds_on(as_of);
                let current = first(&|f| held(f) && release_of(f).is_none());
                let Some(f) = current else {
                    let no = if attr == Attr::Custody {
                        Value::Bool(false)
                    } else {
                        Value::Null
                    };
                    return match first(&held).and_then(release_of) {
                        Some(release) => self.because_of(no, release, || {
                            format!("{label}已于{}刑满释放/解除羁押", date(release.valid_from))
                        }),
                        None => Evidence::plain(no),
                    };
                };
                let FactKind::Custody { measure } = f.kind else {
                    unreachable!("matched above")
                };
                let text = || {
                    let until = f.valid_to.map(|d| date(Some(d))).unwrap_or("今".into());
                    format!(
                        "{label}{}，{}起至{until}",
                        measure.label_zh(),
                        date(f.valid_from)
                    )
                };
                match attr {
                    Attr::Custody => self.because_of(Value::Bool(true), f, text),
                    Attr::CustodyMeasure => {
                        self.because_of(Value::Str(custody_code(measure).into()), f, text)
                    }
                    _ => match f.valid_from {
                        Some(start) => {
                            let months = whole_months(start, f.valid_to.unwrap_or(as_of));
                            self.because_of(Value::Int(months), f, || {
                                format!("{}，期限{months}个月", text())
                            })
                        }
                        None => self.unknown(|| format!("{label}限制人身自由措施的起始日期不详")),
                    },
                }
            }
            Attr::DisabilityGrade | Attr::DisabilityCategory => {
                // The most severe certificate (lowest grade) in force.
                let cert = facts
                    .iter()
                    .filter(|f| started_by(f, as_of))
                    .filter_map(|f| match f.kind {
                        FactKind::Disability { category, grade } => Some((grade, category, f)),
                        _ => None,
                    })
                    .min_by_key(|(grade, ..)| *grade);
                match cert {
                    None => Evidence::plain(Value::Null),
                    Some((grade, category, f)) => {
                        let value = if attr == Attr::DisabilityGrade {
                            Value::Int(i64::from(grade))
                        } else {
                            Value::Str(disability_code(category).into())
                        };
                        self.because_of(value, f, || {
                            format!("{label}持残疾人证：{}{grade}级", category.label_zh())
                        })
                    }
                }
            }
            Attr::SeriousIllness => flag(
                first(&|f| matches!(f.kind, FactKind::SeriousIllness { .. }) && f.holds_on(as_of)),
                &|f| format!("{label}{}", f.kind.describe_zh()),
            ),
            Attr::GuardianshipRevoked => flag(
                first(&|f| f.kind == FactKind::GuardianshipRevoked && started_by(f, as_of)),
                &|_| format!("{label}被撤销监护资格"),
            ),
            Attr::Deported => flag(
                first(&|f| f.kind == FactKind::Deported && started_by(f, as_of)),
                &|_| format!("{label}被遣送（驱逐）出境"),
            ),
            Attr::WorksAway => flag(
                first(&|f| matches!(f.kind, FactKind::WorksAway { .. }) && f.holds_on(as_of)),
                &|f| format!("{label}{}", f.kind.describe_zh()),
            ),
            Attr::Divorced => flag(
                first(&|f| matches!(f.kind, FactKind::Divorce { .. }) && started_by(f, as_of)),
                &|f| format!("{label}{}（{}）", f.kind.describe_zh(), date(f.valid_from)),
            ),
            Attr::Enrolled => flag(
                first(&|f| matches!(f.kind, FactKind::Enrolment { .. }) && f.holds_on(as_of)),
                &|f| format!("{label}{}", f.kind.describe_zh()),
            ),
        }
    }

    /// `paid_within(who, assistance, months)`.
    pub fn paid_within(&self, who: Who, assistance: &str, months: i64) -> Evidence {
        let label = who.label_zh();
        let Some(facts) = self.facts(who) else {
            return self.unknown(|| format!("{label}身份不明（未关联到{label}的记录）"));
        };
        self.paid_in(facts, label, assistance, months)
    }

    /// `household_paid_within(assistance, months)`: a payment to anyone of the child's 户.
    pub fn household_paid_within(&self, assistance: &str, months: i64) -> Evidence {
        let Some(facts) = self.inner.household else {
            return self.unknown(|| "儿童户号不详，无法查看同户成员的发放记录".into());
        };
        self.paid_in(facts, "同户成员", assistance, months)
    }

    fn paid_in(&self, facts: &[Fact], label: &str, assistance: &str, months: i64) -> Evidence {
        let since = self
            .as_of
            .checked_sub_months(chrono::Months::new(months.clamp(0, 1200) as u32))
            .unwrap_or(NaiveDate::MIN);
        let paid = facts.iter().filter(|f| started_by(f, self.as_of)).find(|f| {
            matches!(&f.kind, FactKind::Payment { assistance: a, .. } if assistance_code(*a) == assistance)
                && f.valid_to.is_some_and(|to| to >= since)
        });
        match paid {
            Some(f) => self.because_of(Value::Bool(true), f, || {
                format!(
                    "{label}近{months}个月内有发放记录：{}（{}）",
                    f.kind.describe_zh(),
                    date(f.valid_from)
                )
            }),
            None => self.noted(Value::Bool(false), || {
                format!(
                    "{label}近{months}个月内无{}发放记录",
                    assistance_label(assistance)
                )
            }),
        }
    }
}

pub fn assistance_label(code: &str) -> &'static str {
    match code {
        "dibao" => AssistanceType::Dibao.label_zh(),
        "tekun" => AssistanceType::Tekun.label_zh(),
        "orphan_allowance" => AssistanceType::OrphanAllowance.label_zh(),
        "unsupported_child_allowance" => AssistanceType::UnsupportedChildAllowance.label_zh(),
        _ => "该项救助",
    }
}
