//! The county as the rules see it: every person with their facts, parents and registration, so
//! that assessment, a pack's dry run and one child's explanation build cases the same way.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use humiao_core::fact::{Fact, FactKind};
use humiao_core::policy::{Category, ChildCase, Observation, ParentFacts};
use humiao_core::records::AssistanceType;
use humiao_core::{Person, PersonId, RegionCode, RelationKind};
use humiao_store::{Population, Store};

use crate::PipelineError;

pub struct County {
    pub persons: Vec<Person>,
    facts: HashMap<PersonId, Vec<Fact>>,
    relatives: HashMap<PersonId, Vec<(RelationKind, PersonId)>>,
    /// Categories decided by the last assessment.
    pub previous: HashMap<PersonId, BTreeSet<Category>>,
    /// Payments to the members of each 户 (by 户号).
    household_payments: HashMap<String, Vec<Fact>>,
    /// Directors' observations of visit-fed risk indicators, by child.
    observations: HashMap<PersonId, Vec<Observation>>,
    rural: HashSet<RegionCode>,
}

impl County {
    pub async fn load(store: &Store) -> Result<Self, PipelineError> {
        Ok(Self::from(store.load_population().await?))
    }

    /// Only what assessing these children needs: them, their relatives and their facts.
    pub async fn load_of(store: &Store, children: &[PersonId]) -> Result<Self, PipelineError> {
        Ok(Self::from(store.load_population_of(children).await?))
    }

    fn from(population: Population) -> Self {
        let mut facts: HashMap<PersonId, Vec<Fact>> = HashMap::new();
        for fact in population.facts {
            facts.entry(fact.person).or_default().push(fact);
        }
        let mut relatives: HashMap<PersonId, Vec<(RelationKind, PersonId)>> = HashMap::new();
        for (child, kind, relative) in &population.relationships {
            relatives
                .entry(*child)
                .or_default()
                .push((*kind, *relative));
        }
        let mut household_payments: HashMap<String, Vec<Fact>> = HashMap::new();
        for person in &population.persons {
            let Some(no) = &person.household_no else {
                continue;
            };
            let payments = facts
                .get(&person.id)
                .into_iter()
                .flatten()
                .filter(|f| matches!(f.kind, FactKind::Payment { .. }))
                .cloned();
            household_payments
                .entry(no.clone())
                .or_default()
                .extend(payments);
        }
        let mut observations: HashMap<PersonId, Vec<Observation>> = HashMap::new();
        for (child, observation) in population.observations {
            observations.entry(child).or_default().push(observation);
        }
        let mut previous: HashMap<PersonId, BTreeSet<Category>> = HashMap::new();
        for (person, category) in &population.categories {
            previous.entry(*person).or_default().insert(*category);
        }
        Self {
            persons: population.persons,
            facts,
            relatives,
            previous,
            household_payments,
            observations,
            rural: population.rural_villages.into_iter().collect(),
        }
    }

    pub fn facts_of(&self, person: PersonId) -> &[Fact] {
        self.facts.get(&person).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn relatives_of(&self, person: PersonId) -> &[(RelationKind, PersonId)] {
        self.relatives
            .get(&person)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The case the rules look at for one person.
    pub fn case_of<'a>(&'a self, child: &'a Person) -> ChildCase<'a> {
        let relatives = self.relatives_of(child.id);
        let parent = |kind: RelationKind| {
            relatives
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, p)| ParentFacts {
                    facts: self.facts_of(*p),
                })
        };
        ChildCase {
            child,
            child_facts: self.facts_of(child.id),
            father: parent(RelationKind::Father),
            mother: parent(RelationKind::Mother),
            registered_rural: child
                .hukou_region
                .as_ref()
                .is_some_and(|h| self.rural.contains(h)),
            household: child.household_no.as_ref().map(|no| {
                self.household_payments
                    .get(no)
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
            }),
            observations: self
                .observations
                .get(&child.id)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        }
    }

    /// Whether the rules should look at this person: a minor, someone with categories from the
    /// last assessment, or someone still drawing a child's allowance (so that one paid after
    /// turning 18 is found: 不应保而保).
    pub fn assessed(&self, person: &Person, as_of: NaiveDate) -> bool {
        person.is_minor_on(as_of)
            || self.previous.contains_key(&person.id)
            || self.facts_of(person.id).iter().any(|f| {
                matches!(
                    f.kind,
                    FactKind::Payment {
                        assistance: AssistanceType::OrphanAllowance
                            | AssistanceType::UnsupportedChildAllowance,
                        ..
                    }
                )
            })
    }
}
