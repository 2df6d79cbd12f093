//! The suspected-case verification loop (疑似名单核实), after 金保未: the rules find children who
//! are suspected to be 事实无人抚养, 困境 (any type) or 应保未保 from departments' data; the child
//! director of the grid verifies on the ground and either confirms — starting an assistance
//! application (启动救助申请) or opening a case (纳入个案管理) — or rejects with a reason. The
//! result goes back to the centre and into the rules' quality report: the precision of each
//! category is confirmed ÷ (confirmed + rejected).
//!
//! This module holds the vocabulary and the validation of a decision; storing, scoping and
//! auditing are the store's.

use serde::{Deserialize, Serialize};

use crate::policy::Category;

/// The categories whose children go on the suspected list, most urgent first.
pub const SUSPECTED: [Category; 5] = [
    Category::DeFactoUnsupported,
    Category::DifficultyGuardianship,
    Category::DifficultyDisability,
    Category::DifficultyPoverty,
    Category::EntitledNotReceiving,
];

/// Whether children found in `category` are to be verified by the director.
pub fn is_suspected(category: Category) -> bool {
    SUSPECTED.contains(&category)
}

/// How urgent verifying a category is: 0 the most urgent; `None` for categories not verified.
pub fn urgency(category: Category) -> Option<usize> {
    SUSPECTED.iter().position(|c| *c == category)
}

/// What the director reads on the list instead of the reasons (which their role may not see):
/// what the rules suspect, in general words, and what to check on the ground. Nothing here is
/// about the child: the same words for every child of the category.
pub fn what_to_check(category: Category) -> &'static str {
    match category {
        Category::DeFactoUnsupported => {
            "部门数据显示父母双方可能均无法履行抚养义务（如死亡、失踪失联、重残重病、服刑在押、\
             强制隔离戒毒、被撤销监护资格等）。请入户核实：父母实际情况、儿童现由谁照料、照料是否到位。"
        }
        Category::DifficultyGuardianship => {
            "部门数据显示儿童可能缺少监护或监护不当。请入户核实：实际监护人是谁、能否履行监护职责、\
             有无委托照护。"
        }
        Category::DifficultyDisability => {
            "部门数据显示儿童本人可能因残疾或疾病陷入困境。请入户核实：儿童身体状况、康复与就医、\
             就学情况和家庭负担。"
        }
        Category::DifficultyPoverty => {
            "部门数据显示儿童家庭可能因贫困陷入困境。请入户核实：家庭收入与支出、基本生活、\
             就医与就学保障。"
        }
        Category::EntitledNotReceiving => {
            "部门数据显示儿童可能符合某项基本生活保障待遇条件，但近期没有发放记录。请核实：\
             家庭是否已申请、是否在其他地方领取、是否需要协助申请。"
        }
        _ => "请入户核实儿童的实际情况。",
    }
}

/// The director's conclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// 情况属实.
    Confirmed,
    /// 排除.
    Rejected,
}

impl Verdict {
    pub fn code(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Confirmed, Self::Rejected]
            .into_iter()
            .find(|v| v.code() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Confirmed => "情况属实",
            Self::Rejected => "排除",
        }
    }
}

/// What a confirmation starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUp {
    /// 启动救助申请: help the family apply for the allowance or assistance.
    Application,
    /// 纳入个案管理: open a case.
    Case,
}

impl FollowUp {
    pub const ALL: [FollowUp; 2] = [Self::Application, Self::Case];

    pub fn code(self) -> &'static str {
        match self {
            Self::Application => "application",
            Self::Case => "case",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Application => "启动救助申请",
            Self::Case => "纳入个案管理",
        }
    }
}

/// Why a director rejects a suspicion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// 信息有误: the departments' data is wrong (a parent is not in prison, not dead …).
    WrongData,
    /// 已有人抚养: someone cares for the child.
    CaredFor,
    /// 已享受保障: the child already receives the allowance or assistance.
    AlreadySupported,
    /// 不符合条件: the facts are right but the child does not meet the policy.
    NotEligible,
    /// 其他.
    Other,
}

impl RejectReason {
    pub const ALL: [RejectReason; 5] = [
        Self::WrongData,
        Self::CaredFor,
        Self::AlreadySupported,
        Self::NotEligible,
        Self::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::WrongData => "wrong_data",
            Self::CaredFor => "cared_for",
            Self::AlreadySupported => "already_supported",
            Self::NotEligible => "not_eligible",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::WrongData => "信息有误",
            Self::CaredFor => "已有人抚养",
            Self::AlreadySupported => "已享受保障",
            Self::NotEligible => "不符合条件",
            Self::Other => "其他",
        }
    }
}

/// A validated decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Confirmed {
        follow_up: FollowUp,
        /// An optional note (at most [`MAX_TEXT`] characters).
        note: String,
    },
    Rejected {
        reason: RejectReason,
        /// The director's words, [`MIN_TEXT`]–[`MAX_TEXT`] characters.
        text: String,
    },
}

impl Decision {
    pub fn verdict(&self) -> Verdict {
        match self {
            Self::Confirmed { .. } => Verdict::Confirmed,
            Self::Rejected { .. } => Verdict::Rejected,
        }
    }

    pub fn follow_up(&self) -> Option<FollowUp> {
        match self {
            Self::Confirmed { follow_up, .. } => Some(*follow_up),
            Self::Rejected { .. } => None,
        }
    }

    pub fn reject_reason(&self) -> Option<RejectReason> {
        match self {
            Self::Rejected { reason, .. } => Some(*reason),
            Self::Confirmed { .. } => None,
        }
    }

    /// The note of a confirmation or the words of a rejection.
    pub fn text(&self) -> &str {
        match self {
            Self::Confirmed { note, .. } => note,
            Self::Rejected { text, .. } => text,
        }
    }

    /// The decision in words: 「情况属实，启动救助申请」, 「排除：已有人抚养——祖父母照料」.
    pub fn describe_zh(&self) -> String {
        match self {
            Self::Confirmed { follow_up, note } if note.is_empty() => {
                format!("情况属实，{}", follow_up.label_zh())
            }
            Self::Confirmed { follow_up, note } => {
                format!("情况属实，{}（{note}）", follow_up.label_zh())
            }
            Self::Rejected { reason, text } => format!("排除：{}——{text}", reason.label_zh()),
        }
    }
}

/// The shortest and longest free text of a rejection (characters, after trimming).
pub const MIN_TEXT: usize = 4;
pub const MAX_TEXT: usize = 500;

/// Why a decision cannot be accepted, in words for the director.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("请选择核实结论：情况属实或排除。")]
    NoVerdict,
    #[error("情况属实时，请选择后续处置：启动救助申请或纳入个案管理。")]
    NoFollowUp,
    #[error("排除时，请选择排除原因。")]
    NoReason,
    #[error("排除时，请写明核实情况（{MIN_TEXT}至{MAX_TEXT}字）。")]
    TextTooShort,
    #[error("说明不能超过{MAX_TEXT}字。")]
    TextTooLong,
}

/// Validates a decision as the form gives it: `verdict` (`confirmed` / `rejected`),
/// `follow_up` (`application` / `case`, for a confirmation), `reason` (a [`RejectReason`]
/// code, for a rejection) and `text` (required for a rejection, optional otherwise).
pub fn validate(
    verdict: &str,
    follow_up: &str,
    reason: &str,
    text: &str,
) -> Result<Decision, DecisionError> {
    let text = text.trim();
    let length = text.chars().count();
    if length > MAX_TEXT {
        return Err(DecisionError::TextTooLong);
    }
    match Verdict::parse(verdict.trim()).ok_or(DecisionError::NoVerdict)? {
        Verdict::Confirmed => Ok(Decision::Confirmed {
            follow_up: FollowUp::parse(follow_up.trim()).ok_or(DecisionError::NoFollowUp)?,
            note: text.to_string(),
        }),
        Verdict::Rejected => {
            let reason = RejectReason::parse(reason.trim()).ok_or(DecisionError::NoReason)?;
            if length < MIN_TEXT {
                return Err(DecisionError::TextTooShort);
            }
            Ok(Decision::Rejected {
                reason,
                text: text.to_string(),
            })
        }
    }
}

/// The rules' precision for one category, from the directors' decisions: confirmed ÷
/// (confirmed + rejected); `None` before any decision.
pub fn precision(confirmed: u64, rejected: u64) -> Option<f64> {
    let decided = confirmed + rejected;
    (decided > 0).then(|| confirmed as f64 / decided as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suspected_categories_are_de_facto_unsupported_difficulty_and_entitled_not_receiving() {
        for c in Category::ALL {
            let expected = matches!(
                c,
                Category::DeFactoUnsupported
                    | Category::DifficultyPoverty
                    | Category::DifficultyDisability
                    | Category::DifficultyGuardianship
                    | Category::EntitledNotReceiving
            );
            assert_eq!(is_suspected(c), expected, "{c:?}");
            assert_eq!(urgency(c).is_some(), expected);
            // The words shown to directors never name a category whose name is itself the fact.
            assert!(!(expected && c.names_a_sensitive_fact()));
        }
        assert_eq!(urgency(Category::DeFactoUnsupported), Some(0));
    }

    #[test]
    fn a_confirmation_needs_a_follow_up_and_a_rejection_a_reason_and_words() {
        assert_eq!(
            validate("confirmed", "case", "", ""),
            Ok(Decision::Confirmed {
                follow_up: FollowUp::Case,
                note: String::new()
            })
        );
        assert_eq!(
            validate("confirmed", "", "", ""),
            Err(DecisionError::NoFollowUp)
        );
        assert_eq!(validate("", "", "", ""), Err(DecisionError::NoVerdict));
        assert_eq!(
            validate("rejected", "", "", "祖父母照料良好"),
            Err(DecisionError::NoReason)
        );
        assert_eq!(
            validate("rejected", "", "cared_for", "  好的 "),
            Err(DecisionError::TextTooShort)
        );
        assert_eq!(
            validate("rejected", "", "cared_for", &"很".repeat(501)),
            Err(DecisionError::TextTooLong)
        );
        let ok = validate("rejected", "case", "cared_for", " 祖父母照料良好 ").unwrap();
        assert_eq!(ok.reject_reason(), Some(RejectReason::CaredFor));
        assert_eq!(ok.follow_up(), None);
        assert_eq!(ok.describe_zh(), "排除：已有人抚养——祖父母照料良好");
        assert_eq!(
            DecisionError::TextTooShort.to_string(),
            "排除时，请写明核实情况（4至500字）。"
        );
    }

    #[test]
    fn precision_is_confirmed_over_decided() {
        assert_eq!(precision(0, 0), None);
        assert_eq!(precision(3, 1), Some(0.75));
    }
}
