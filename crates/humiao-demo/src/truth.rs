//! Scenario tags of each child, read off the generated world.

use chrono::NaiveDate;
use humiao_core::person::age_on;
use humiao_core::records::{AssistanceType, CustodyMeasure};
use serde::{Deserialize, Serialize};

use crate::extras::six_month_line;
use crate::model::{add_days, add_months, sub_days, OutflowReason, StudentId, World, RECENT_DAYS};
use crate::rules;

/// What the demo staged for a child (a child can carry several).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// Both parents registered as working away (外出务工).
    BothParentsWorkAway,
    /// Exactly one parent working away.
    OneParentWorksAway,
    /// Both parents dead.
    Orphan,
    /// Exactly one parent dead.
    ParentDead,
    /// A parent died within the last 60 days.
    ParentDiedRecently,
    /// A parent declared missing (失踪).
    ParentMissing,
    /// A parent serving a prison sentence now.
    ParentImprisoned,
    /// A parent in compulsory drug rehabilitation now.
    ParentInDrugRehabilitation,
    /// A parent taken into custody within the last 60 days.
    ParentImprisonedRecently,
    /// A running sentence of exactly 5 months: below the 6-month condition.
    SentenceFiveMonths,
    /// A running sentence of exactly 6 months: just meets the condition.
    SentenceExactlySixMonths,
    /// A parent released from an earlier sentence (no running custody).
    ParentReleased,
    /// A parent with a grade 1–2 disability, or grade 3–4 mental or intellectual.
    ParentSeverelyDisabled,
    /// A parent with a disability that is not severe.
    ParentMildlyDisabled,
    /// A parent with a serious illness (重病) that has not ended.
    ParentSeriouslyIll,
    /// A parent whose serious illness ended (cured) before `as_of`.
    ParentIllnessCured,
    /// 17 years old, turns 18 tomorrow.
    Aged17TurnsEighteenTomorrow,
    /// Turned 18 yesterday: no longer a minor (and still paid: receiving but not entitled).
    Turned18Yesterday,
    /// Receives 孤儿基本生活费 or 事实无人抚养儿童生活补贴.
    AllowancePaid,
    /// Parents divorced.
    ParentsDivorced,
    /// Parents divorced within the last 60 days.
    ParentsDivorcedRecently,
    /// Family receives 低保.
    DibaoFamily,
    /// A parent receives 特困 support.
    TekunFamily,
    /// Holds a disability certificate.
    DisabledChild,
    /// Has a serious illness that has not ended.
    ChildSeriouslyIll,
    /// Had a serious illness, cured before `as_of`.
    ChildIllnessCured,
    /// Has a twin (same parents, same birth date).
    Twin,
    /// Lives in another village than the one of registration (人户分离).
    LivesAwayFromHukou,
    /// Living away, registered there 6 whole months or more ago (流动儿童).
    MigrantSixMonths,
    /// Living away, registered there less than 6 whole months ago.
    LivesAwayUnderSixMonths,
    /// Living away, registered on the last day that gives 6 whole months.
    ResidenceExactlySixMonths,
    /// Living away, registered one day too late for 6 whole months.
    ResidenceOneDayShort,
    /// Living away, but the register has no 居住登记 date (undetermined).
    ResidenceDateMissing,
    /// Registered as studying away (外出求学).
    StudiesAway,
    /// School roll has no ID for the child.
    NoIdAtSchool,
    /// School roll has the ID with one wrong digit.
    MistypedIdAtSchool,
    /// School roll writes the name in traditional characters.
    TraditionalNameAtSchool,
    /// The child's household-register row is malformed on purpose (quarantined on import).
    RegisterRowMalformed,
}

impl Scenario {
    pub const ALL: [Scenario; 38] = [
        Self::BothParentsWorkAway,
        Self::OneParentWorksAway,
        Self::Orphan,
        Self::ParentDead,
        Self::ParentDiedRecently,
        Self::ParentMissing,
        Self::ParentImprisoned,
        Self::ParentInDrugRehabilitation,
        Self::ParentImprisonedRecently,
        Self::SentenceFiveMonths,
        Self::SentenceExactlySixMonths,
        Self::ParentReleased,
        Self::ParentSeverelyDisabled,
        Self::ParentMildlyDisabled,
        Self::ParentSeriouslyIll,
        Self::ParentIllnessCured,
        Self::Aged17TurnsEighteenTomorrow,
        Self::Turned18Yesterday,
        Self::AllowancePaid,
        Self::ParentsDivorced,
        Self::ParentsDivorcedRecently,
        Self::DibaoFamily,
        Self::TekunFamily,
        Self::DisabledChild,
        Self::ChildSeriouslyIll,
        Self::ChildIllnessCured,
        Self::Twin,
        Self::LivesAwayFromHukou,
        Self::MigrantSixMonths,
        Self::LivesAwayUnderSixMonths,
        Self::ResidenceExactlySixMonths,
        Self::ResidenceOneDayShort,
        Self::ResidenceDateMissing,
        Self::StudiesAway,
        Self::NoIdAtSchool,
        Self::MistypedIdAtSchool,
        Self::TraditionalNameAtSchool,
        Self::RegisterRowMalformed,
    ];

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::BothParentsWorkAway => "父母均外出务工",
            Self::OneParentWorksAway => "父母一方外出务工",
            Self::Orphan => "父母双亡",
            Self::ParentDead => "父母一方死亡",
            Self::ParentDiedRecently => "父母一方近60日内死亡",
            Self::ParentMissing => "父母一方失踪",
            Self::ParentImprisoned => "父母一方服刑在押",
            Self::ParentInDrugRehabilitation => "父母一方强制隔离戒毒",
            Self::ParentImprisonedRecently => "父母一方近60日内入监",
            Self::SentenceFiveMonths => "刑期恰为5个月（不满6个月）",
            Self::SentenceExactlySixMonths => "刑期恰为6个月",
            Self::ParentReleased => "父母一方已刑满释放",
            Self::ParentSeverelyDisabled => "父母一方重度残疾",
            Self::ParentMildlyDisabled => "父母一方轻度残疾",
            Self::ParentSeriouslyIll => "父母一方患重病",
            Self::ParentIllnessCured => "父母一方重病已治愈",
            Self::Aged17TurnsEighteenTomorrow => "17周岁，明日满18周岁",
            Self::Turned18Yesterday => "昨日已满18周岁",
            Self::AllowancePaid => "领取基本生活费/生活补贴",
            Self::ParentsDivorced => "父母离婚",
            Self::ParentsDivorcedRecently => "父母近60日内离婚",
            Self::DibaoFamily => "低保家庭",
            Self::TekunFamily => "特困供养家庭",
            Self::DisabledChild => "残疾儿童",
            Self::ChildSeriouslyIll => "儿童患重病",
            Self::ChildIllnessCured => "儿童重病已治愈",
            Self::Twin => "双胞胎",
            Self::LivesAwayFromHukou => "人户分离",
            Self::MigrantSixMonths => "流动儿童（人户分离满6个月）",
            Self::LivesAwayUnderSixMonths => "人户分离不满6个月",
            Self::ResidenceExactlySixMonths => "居住登记恰满6个月",
            Self::ResidenceOneDayShort => "居住登记差1天满6个月",
            Self::ResidenceDateMissing => "人户分离但无居住登记日期",
            Self::StudiesAway => "外出求学",
            Self::NoIdAtSchool => "学籍无身份证号",
            Self::MistypedIdAtSchool => "学籍身份证号录错一位",
            Self::TraditionalNameAtSchool => "学籍姓名为繁体字",
            Self::RegisterRowMalformed => "户籍记录格式错误",
        }
    }
}

/// The scenario tags of one child, in [`Scenario::ALL`] order (all but the last).
pub(crate) fn scenarios(w: &World, child: usize, student: Option<usize>) -> Vec<Scenario> {
    let as_of = w.as_of;
    let recent = sub_days(as_of, RECENT_DAYS);
    let c = &w.persons[child];
    let fam = &w.families[c.family];
    let parents = [&w.persons[fam.father], &w.persons[fam.mother]];
    let mut tags = Vec::new();
    let mut tag = |on: bool, s: Scenario| {
        if on {
            tags.push(s);
        }
    };
    let away = parents
        .iter()
        .filter(|p| {
            p.outflow
                .as_ref()
                .is_some_and(|o| o.reason == OutflowReason::Work)
        })
        .count();
    let dead_date = |p: &crate::model::Person| match p.status {
        crate::model::Status::Dead(d) if d <= as_of => Some(d),
        _ => None,
    };
    let dead = parents.iter().filter(|p| dead_date(p).is_some()).count();
    let running = |p: &crate::model::Person, measure: Option<CustodyMeasure>| {
        p.custody.iter().any(|s| {
            s.start <= as_of
                && s.end.is_none_or(|e| e >= as_of)
                && measure.is_none_or(|m| s.measure == m)
        })
    };
    let any_running_spell = |pred: &dyn Fn(NaiveDate, Option<NaiveDate>) -> bool| {
        parents.iter().any(|p| {
            p.custody.iter().any(|s| {
                s.start <= as_of && s.end.is_none_or(|e| e >= as_of) && pred(s.start, s.end)
            })
        })
    };
    tag(away == 2, Scenario::BothParentsWorkAway);
    tag(away == 1, Scenario::OneParentWorksAway);
    tag(dead == 2, Scenario::Orphan);
    tag(dead == 1, Scenario::ParentDead);
    tag(
        parents
            .iter()
            .any(|p| dead_date(p).is_some_and(|d| d >= recent)),
        Scenario::ParentDiedRecently,
    );
    tag(
        parents
            .iter()
            .any(|p| matches!(p.status, crate::model::Status::Missing(_))),
        Scenario::ParentMissing,
    );
    tag(
        parents
            .iter()
            .any(|p| running(p, Some(CustodyMeasure::Imprisonment))),
        Scenario::ParentImprisoned,
    );
    tag(
        parents
            .iter()
            .any(|p| running(p, Some(CustodyMeasure::DrugRehabilitation))),
        Scenario::ParentInDrugRehabilitation,
    );
    tag(
        any_running_spell(&|start, _| start >= recent),
        Scenario::ParentImprisonedRecently,
    );
    tag(
        any_running_spell(&|start, end| end == Some(add_months(start, 5))),
        Scenario::SentenceFiveMonths,
    );
    tag(
        any_running_spell(&|start, end| end == Some(add_months(start, 6))),
        Scenario::SentenceExactlySixMonths,
    );
    tag(
        parents.iter().any(|p| {
            !running(p, None) && p.custody.iter().any(|s| s.end.is_some_and(|e| e < as_of))
        }),
        Scenario::ParentReleased,
    );
    tag(
        parents.iter().any(|p| rules::severely_disabled(p, w)),
        Scenario::ParentSeverelyDisabled,
    );
    tag(
        parents
            .iter()
            .any(|p| p.disability.is_some() && !rules::severely_disabled(p, w)),
        Scenario::ParentMildlyDisabled,
    );
    let cured = |p: &crate::model::Person| {
        p.illness
            .is_some_and(|i| i.ended.is_some_and(|e| e < as_of))
    };
    tag(
        parents.iter().any(|p| rules::seriously_ill(p, as_of)),
        Scenario::ParentSeriouslyIll,
    );
    tag(
        parents.iter().any(|p| cured(p)),
        Scenario::ParentIllnessCured,
    );
    tag(
        age_on(c.birth, as_of) == 17 && age_on(c.birth, add_days(as_of, 1)) == 18,
        Scenario::Aged17TurnsEighteenTomorrow,
    );
    tag(
        age_on(c.birth, as_of) == 18
            && age_on(c.birth, sub_days(as_of, 1)) == 18
            && age_on(c.birth, sub_days(as_of, 2)) == 17,
        Scenario::Turned18Yesterday,
    );
    tag(
        w.payments_of(child).into_iter().any(|p| {
            matches!(
                p.assistance,
                AssistanceType::OrphanAllowance | AssistanceType::UnsupportedChildAllowance
            )
        }),
        Scenario::AllowancePaid,
    );
    tag(fam.divorce.is_some(), Scenario::ParentsDivorced);
    tag(
        fam.divorce.as_ref().is_some_and(|d| d.date >= recent),
        Scenario::ParentsDivorcedRecently,
    );
    tag(fam.dibao, Scenario::DibaoFamily);
    let members: Vec<usize> = [fam.father, fam.mother]
        .into_iter()
        .chain(fam.children.iter().copied())
        .chain(fam.grandparents.iter().copied())
        .collect();
    tag(
        members.iter().any(|&m| {
            w.payments_of(m)
                .into_iter()
                .any(|p| p.assistance == AssistanceType::Tekun)
        }),
        Scenario::TekunFamily,
    );
    tag(c.disability.is_some(), Scenario::DisabledChild);
    tag(rules::seriously_ill(c, as_of), Scenario::ChildSeriouslyIll);
    tag(cured(c), Scenario::ChildIllnessCured);
    tag(
        fam.children
            .iter()
            .any(|&s| s != child && w.persons[s].birth == c.birth),
        Scenario::Twin,
    );
    let hh = &w.households[c.household];
    tag(
        c.outflow.is_none() && hh.res_village != hh.village,
        Scenario::LivesAwayFromHukou,
    );
    let since = w.residence_since(child);
    let (exact, short) = six_month_line(as_of);
    tag(
        since.is_some_and(|s| add_months(s, 6) <= as_of),
        Scenario::MigrantSixMonths,
    );
    tag(
        since.is_some_and(|s| add_months(s, 6) > as_of),
        Scenario::LivesAwayUnderSixMonths,
    );
    tag(since == Some(exact), Scenario::ResidenceExactlySixMonths);
    tag(since == Some(short), Scenario::ResidenceOneDayShort);
    tag(
        w.lives_away(child) && since.is_none(),
        Scenario::ResidenceDateMissing,
    );
    tag(
        c.outflow
            .as_ref()
            .is_some_and(|o| o.reason == OutflowReason::Study),
        Scenario::StudiesAway,
    );
    let s = student.map(|s| &w.students[s]);
    tag(
        s.is_some_and(|s| s.id_quality == StudentId::Empty),
        Scenario::NoIdAtSchool,
    );
    tag(
        s.is_some_and(|s| s.id_quality == StudentId::Mistyped),
        Scenario::MistypedIdAtSchool,
    );
    tag(
        s.is_some_and(|s| s.traditional),
        Scenario::TraditionalNameAtSchool,
    );
    // `RegisterRowMalformed` is added by the caller once the damaged rows are chosen.
    tags
}
