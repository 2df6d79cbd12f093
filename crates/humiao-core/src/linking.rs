//! Record linkage, first version: which golden record a mention in a department row is about.
//!
//! Rules, in order: the same normalised citizen ID; else the same name, birth date and sex with
//! a family context (a parent's or guardian's name matching); else, if the mention carries a
//! valid citizen ID, a new person. Anything else is left unmatched and listed, never guessed.
//! The stage is replaceable: callers depend on [`Linker`], not on [`ExactLinker`]
//! (probabilistic linking comes in a later version).

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::citizen_id::CitizenId;
use crate::person::{PersonId, PersonName, Sex};
use crate::records::Mention;

/// What the linker knows of an existing person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: PersonId,
    pub citizen_id: Option<CitizenId>,
    pub name: PersonName,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    /// Names of parents and guardians, for context.
    pub relative_names: Vec<PersonName>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkRule {
    /// 身份证号一致
    CitizenId,
    /// 姓名、出生日期、性别一致且家庭成员姓名吻合
    NameBirthSexFamily,
    /// New person created from a record with a valid citizen ID.
    NewPerson,
}

impl LinkRule {
    pub fn code(self) -> &'static str {
        match self {
            Self::CitizenId => "citizen_id",
            Self::NameBirthSexFamily => "name_birth_sex_family",
            Self::NewPerson => "new_person",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "citizen_id" => Self::CitizenId,
            "name_birth_sex_family" => Self::NameBirthSexFamily,
            "new_person" => Self::NewPerson,
            _ => return None,
        })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::CitizenId => "身份证号一致",
            Self::NameBirthSexFamily => "姓名、出生日期、性别一致且家庭成员姓名吻合",
            Self::NewPerson => "身份证号有效，新建人员",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkOutcome {
    Existing {
        person: PersonId,
        rule: LinkRule,
        explanation: String,
    },
    /// Create a person from this mention (it has a valid ID and a name).
    Create {
        explanation: String,
    },
    Unmatched {
        reason: String,
    },
}

/// Lookup of existing persons.
pub trait CandidateIndex {
    fn by_citizen_id(&self, id: &CitizenId) -> Option<&Candidate>;
    fn by_name_and_birth(&self, name: &PersonName, birth: NaiveDate) -> Vec<&Candidate>;
}

/// A linking strategy.
pub trait Linker {
    fn link(&self, mention: &Mention, index: &dyn CandidateIndex) -> LinkOutcome;
}

/// Deterministic linking on exact values.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExactLinker;

impl Linker for ExactLinker {
    fn link(&self, mention: &Mention, index: &dyn CandidateIndex) -> LinkOutcome {
        if let Some(id) = &mention.citizen_id {
            if let Some(candidate) = index.by_citizen_id(id) {
                return LinkOutcome::Existing {
                    person: candidate.id,
                    rule: LinkRule::CitizenId,
                    explanation: format!("身份证号 {} 一致", id.masked()),
                };
            }
        }
        if let (Some(name), Some(birth)) = (&mention.name, mention.birth_date) {
            let candidates: Vec<&Candidate> = index
                .by_name_and_birth(name, birth)
                .into_iter()
                .filter(|c| mention.sex.is_none_or(|s| s == c.sex))
                // A candidate whose valid ID differs from the mention's is a different person.
                .filter(|c| match (&mention.citizen_id, &c.citizen_id) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                })
                .filter(|c| {
                    mention
                        .relative_names
                        .iter()
                        .any(|r| c.relative_names.contains(r))
                })
                .collect();
            match candidates.as_slice() {
                [one] => {
                    return LinkOutcome::Existing {
                        person: one.id,
                        rule: LinkRule::NameBirthSexFamily,
                        explanation: format!(
                            "姓名、出生日期（{}）、性别一致，家庭成员姓名吻合",
                            birth.format("%Y-%m-%d")
                        ),
                    }
                }
                [] => {}
                many => {
                    return LinkOutcome::Unmatched {
                        reason: format!("{}名同名同生日人员家庭信息均吻合，无法确定", many.len()),
                    }
                }
            }
        }
        match (&mention.citizen_id, &mention.name) {
            (Some(_), Some(_)) => LinkOutcome::Create {
                explanation: LinkRule::NewPerson.label_zh().to_string(),
            },
            (None, _) => LinkOutcome::Unmatched {
                reason: "无有效身份证号，且未找到姓名、出生日期、性别及家庭成员均吻合的唯一人员"
                    .into(),
            },
            (Some(_), None) => LinkOutcome::Unmatched {
                reason: "身份证号未登记且记录无姓名".into(),
            },
        }
    }
}

/// An in-memory index of candidates, updated as persons are created during a run.
#[derive(Debug, Default)]
pub struct MemoryIndex {
    candidates: Vec<Candidate>,
    by_id: HashMap<CitizenId, usize>,
    by_name_birth: HashMap<(PersonName, NaiveDate), Vec<usize>>,
}

impl MemoryIndex {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, candidate: Candidate) {
        let at = self.candidates.len();
        if let Some(id) = &candidate.citizen_id {
            self.by_id.insert(id.clone(), at);
        }
        self.by_name_birth
            .entry((candidate.name.clone(), candidate.birth_date))
            .or_default()
            .push(at);
        self.candidates.push(candidate);
    }

    /// Adds context names to a person already indexed (their parents became known).
    pub fn add_relative_name(&mut self, person: PersonId, name: PersonName) {
        if let Some(c) = self.candidates.iter_mut().find(|c| c.id == person) {
            if !c.relative_names.contains(&name) {
                c.relative_names.push(name);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.candidates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.candidates.is_empty()
    }
}

impl CandidateIndex for MemoryIndex {
    fn by_citizen_id(&self, id: &CitizenId) -> Option<&Candidate> {
        self.by_id.get(id).map(|&i| &self.candidates[i])
    }

    fn by_name_and_birth(&self, name: &PersonName, birth: NaiveDate) -> Vec<&Candidate> {
        self.by_name_birth
            .get(&(name.clone(), birth))
            .map(|ix| ix.iter().map(|&i| &self.candidates[i]).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::MentionRole;

    fn name(s: &str) -> PersonName {
        PersonName::parse(s).unwrap()
    }

    fn birth() -> NaiveDate {
        NaiveDate::from_ymd_opt(2014, 3, 5).unwrap()
    }

    fn id() -> CitizenId {
        CitizenId::from_parts("330199", birth(), 11).unwrap()
    }

    fn index() -> MemoryIndex {
        let mut index = MemoryIndex::new();
        index.insert(Candidate {
            id: PersonId(1),
            citizen_id: Some(id()),
            name: name("王小明"),
            sex: Sex::Male,
            birth_date: birth(),
            relative_names: vec![name("王强"), name("李梅")],
        });
        index
    }

    fn mention(citizen_id: Option<CitizenId>, relatives: &[&str]) -> Mention {
        Mention {
            role: MentionRole::Subject,
            citizen_id,
            name: Some(name("王小明")),
            sex: Some(Sex::Male),
            birth_date: Some(birth()),
            relative_names: relatives.iter().map(|r| name(r)).collect(),
        }
    }

    #[test]
    fn the_same_citizen_id_links() {
        let outcome = ExactLinker.link(&mention(Some(id()), &[]), &index());
        assert!(matches!(
            outcome,
            LinkOutcome::Existing {
                person: PersonId(1),
                rule: LinkRule::CitizenId,
                ..
            }
        ));
    }

    #[test]
    fn name_and_birth_link_only_with_family_context() {
        let with_parent = ExactLinker.link(&mention(None, &["李梅"]), &index());
        assert!(matches!(
            with_parent,
            LinkOutcome::Existing {
                rule: LinkRule::NameBirthSexFamily,
                ..
            }
        ));
        let without = ExactLinker.link(&mention(None, &[]), &index());
        assert!(matches!(without, LinkOutcome::Unmatched { .. }));
        let other_parent = ExactLinker.link(&mention(None, &["赵六"]), &index());
        assert!(matches!(other_parent, LinkOutcome::Unmatched { .. }));
    }

    #[test]
    fn a_different_valid_id_is_a_new_person_not_a_name_match() {
        let other = CitizenId::from_parts("330199", birth(), 13).unwrap();
        let outcome = ExactLinker.link(&mention(Some(other), &["李梅"]), &index());
        assert!(matches!(outcome, LinkOutcome::Create { .. }));
    }

    #[test]
    fn ambiguous_name_matches_are_not_guessed() {
        let mut index = index();
        index.insert(Candidate {
            id: PersonId(2),
            citizen_id: None,
            name: name("王小明"),
            sex: Sex::Male,
            birth_date: birth(),
            relative_names: vec![name("李梅")],
        });
        let outcome = ExactLinker.link(&mention(None, &["李梅"]), &index);
        assert!(matches!(outcome, LinkOutcome::Unmatched { .. }));
    }
}
