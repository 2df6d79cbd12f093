//! How a mention in a department record came to belong to its golden record. The linker itself
//! (probabilistic, explainable, incremental) lives in the `humiao-link` crate; this is the
//! vocabulary the rest of the system stores and shows.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkRule {
    /// 身份证号一致
    CitizenId,
    /// 身份证号相差一处录入错误，其余信息吻合
    IdRepair,
    /// 概率匹配（姓名、出生日期、地址、父母等综合比对）
    Probabilistic,
    /// 人工核对确认
    Reviewer,
    /// The first record of a person: nothing else matched it.
    NewPerson,
    /// 姓名与出生日期一致且全县唯一 (an event without an ID, linked on arrival).
    NameBirth,
}

impl LinkRule {
    pub const ALL: [LinkRule; 6] = [
        Self::CitizenId,
        Self::IdRepair,
        Self::Probabilistic,
        Self::Reviewer,
        Self::NewPerson,
        Self::NameBirth,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::CitizenId => "citizen_id",
            Self::IdRepair => "id_repair",
            Self::Probabilistic => "probabilistic",
            Self::Reviewer => "reviewer",
            Self::NewPerson => "new_person",
            Self::NameBirth => "name_birth",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::CitizenId => "身份证号一致",
            Self::IdRepair => "身份证号可修复的录入错误，其余信息吻合",
            Self::Probabilistic => "概率匹配（多字段综合比对）",
            Self::Reviewer => "人工核对确认为同一人",
            Self::NewPerson => "未与其他记录匹配，新建人员",
            Self::NameBirth => "姓名与出生日期一致且全县唯一",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for rule in LinkRule::ALL {
            assert_eq!(LinkRule::parse(rule.code()), Some(rule));
        }
        assert_eq!(LinkRule::parse("name_birth_sex_family"), None);
    }
}
