//! Policy vocabulary: the categories the software knows, a decision with its reasons and policy
//! document, and the case (a child with the facts of the child and parents) rules look at.
//!
//! Which child is in which category is decided by rule packs (crate `humiao-rules`), written by
//! the centre as data; the categories themselves are fixed here because alerts, pages and
//! routing need to know what each one means.

use serde::{Deserialize, Serialize};

use crate::fact::Fact;
use crate::person::{Person, SourceRecordId};

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
    /// 困境儿童（贫困型）: poverty causes hardship in living, medical care or schooling.
    DifficultyPoverty,
    /// 困境儿童（残疾型）: the child's own disability or illness causes hardship.
    DifficultyDisability,
    /// 困境儿童（监护缺失/不当型）: lack or failure of guardianship.
    DifficultyGuardianship,
    /// 流动儿童: lives away from the place of household registration.
    Migrant,
    /// 服刑人员未成年子女: a parent serving a sentence.
    PrisonersChild,
    /// 低保/特困家庭成员: in a family receiving 低保 or 特困 support.
    AssistanceFamily,
    /// 残疾儿童: holds a disability certificate.
    DisabledChild,
    /// 重病儿童: an illness on the locality's serious-illness list.
    SeriouslyIll,
}

impl Category {
    pub const ALL: [Category; 13] = [
        Self::Orphan,
        Self::DeFactoUnsupported,
        Self::RuralLeftBehind,
        Self::EntitledNotReceiving,
        Self::ReceivingNotEntitled,
        Self::DifficultyPoverty,
        Self::DifficultyDisability,
        Self::DifficultyGuardianship,
        Self::Migrant,
        Self::PrisonersChild,
        Self::AssistanceFamily,
        Self::DisabledChild,
        Self::SeriouslyIll,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Orphan => "orphan",
            Self::DeFactoUnsupported => "de_facto_unsupported",
            Self::RuralLeftBehind => "rural_left_behind",
            Self::EntitledNotReceiving => "entitled_not_receiving",
            Self::ReceivingNotEntitled => "receiving_not_entitled",
            Self::DifficultyPoverty => "difficulty_poverty",
            Self::DifficultyDisability => "difficulty_disability",
            Self::DifficultyGuardianship => "difficulty_guardianship",
            Self::Migrant => "migrant",
            Self::PrisonersChild => "prisoners_child",
            Self::AssistanceFamily => "assistance_family",
            Self::DisabledChild => "disabled_child",
            Self::SeriouslyIll => "seriously_ill",
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
            Self::DifficultyPoverty => "困境儿童（贫困型）",
            Self::DifficultyDisability => "困境儿童（残疾型）",
            Self::DifficultyGuardianship => "困境儿童（监护缺失/不当型）",
            Self::Migrant => "流动儿童",
            Self::PrisonersChild => "服刑人员未成年子女",
            Self::AssistanceFamily => "低保/特困家庭成员",
            Self::DisabledChild => "残疾儿童",
            Self::SeriouslyIll => "重病儿童",
        }
    }

    /// Whether the category's name itself discloses a sensitive fact (a parent's sentence, the
    /// child's illness), so that users who may not see the reasons see [`Self::MASKED_LABEL_ZH`].
    pub fn names_a_sensitive_fact(self) -> bool {
        matches!(self, Self::PrisonersChild | Self::SeriouslyIll)
    }

    /// What users who may not see the reasons read instead of a sensitive category's name.
    pub const MASKED_LABEL_ZH: &'static str = "需重点关注";

    /// A list of categories for people to read: 「孤儿、应保未保」, or 「（无）」 when empty.
    pub fn labels_zh(list: &[Category]) -> String {
        if list.is_empty() {
            return "（无）".into();
        }
        list.iter()
            .map(|c| c.label_zh())
            .collect::<Vec<_>>()
            .join("、")
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
            Self::DifficultyPoverty | Self::DifficultyDisability | Self::DifficultyGuardianship => {
                "国发〔2016〕36号"
            }
            Self::Migrant => "地方规定",
            Self::PrisonersChild => "民发〔2019〕62号",
            Self::AssistanceFamily => "社会救助暂行办法",
            Self::DisabledChild => "残疾人证（残联）",
            Self::SeriouslyIll => "地方重特大疾病目录",
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

/// What the child director observed on a visit about one visit-fed risk indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// The risk model's and the indicator's codes in the rule pack (`general`,
    /// `domestic_violence`).
    pub model: String,
    pub indicator: String,
    /// Seen (true) or looked for and not seen (false). An indicator the director did not
    /// answer has no observation.
    pub present: bool,
    pub observed_on: chrono::NaiveDate,
    /// The visit that recorded it.
    pub visit: i64,
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
    /// Payments (at least) to the members of the child's 户 (same 户号, the child and parents
    /// included); `None` when the child's 户号 is unknown. 低保 and 特困 are paid to the household's
    /// applicant, who may be a grandparent.
    pub household: Option<&'a [Fact]>,
    /// The director's observations from visits (any order; the latest per indicator counts).
    pub observations: &'a [Observation],
}
