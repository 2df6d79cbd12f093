//! Linking pending source records to golden records, then writing relationships and facts.

use std::collections::HashMap;

use humiao_core::fact::{facts_of_record, Fact};
use humiao_core::linking::{Candidate, LinkOutcome, LinkRule, Linker, MemoryIndex};
use humiao_core::{
    DepartmentRecord, Mention, MentionRole, Person, PersonId, RelationKind, SourceRecordId,
};
use humiao_store::{LinkWriter, NewPerson, PendingRecord, Store};

use crate::PipelineError;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LinkReport {
    pub records: usize,
    pub persons_created: usize,
    pub mentions_linked: usize,
    pub mentions_unmatched: usize,
    pub by_rule: Vec<(LinkRule, usize)>,
    pub facts: usize,
    pub relationships: usize,
}

impl LinkReport {
    fn count_rule(&mut self, rule: LinkRule) {
        match self.by_rule.iter_mut().find(|(r, _)| *r == rule) {
            Some((_, n)) => *n += 1,
            None => self.by_rule.push((rule, 1)),
        }
    }
}

fn candidate(person: &Person, relative_names: Vec<humiao_core::PersonName>) -> Candidate {
    Candidate {
        id: person.id,
        citizen_id: person.citizen_id.clone(),
        name: person.name.clone(),
        sex: person.sex,
        birth_date: person.birth_date,
        relative_names,
    }
}

/// Identity fields a record gives for a new person (the register gives everything; others
/// only what the mention carries).
fn new_person(record: &PendingRecord, mention: &Mention) -> Option<NewPerson> {
    let name = mention.name.clone()?;
    let citizen_id = mention.citizen_id.clone();
    let sex = mention
        .sex
        .or_else(|| citizen_id.as_ref().map(|c| c.sex()))?;
    let birth_date = mention
        .birth_date
        .or_else(|| citizen_id.as_ref().map(|c| c.birth_date()))?;
    let mut person = NewPerson {
        citizen_id,
        name,
        sex,
        birth_date,
        hukou_region: None,
        hukou_address: None,
        residence_grid: None,
        residence_address: None,
        household_no: None,
        source: record.id,
    };
    if let (DepartmentRecord::HouseholdMember(r), MentionRole::Subject) =
        (&record.record, mention.role)
    {
        person.hukou_region = Some(r.hukou_region.clone());
        person.hukou_address = r.hukou_address.clone();
        person.residence_grid = r.residence_grid.clone();
        person.residence_address = r.residence_address.clone();
        person.household_no = Some(r.household_no.clone());
    }
    Some(person)
}

fn relation_of(role: MentionRole) -> Option<RelationKind> {
    match role {
        MentionRole::Father => Some(RelationKind::Father),
        MentionRole::Mother => Some(RelationKind::Mother),
        MentionRole::Guardian => Some(RelationKind::Guardian),
        _ => None,
    }
}

struct Run<'a, 'w> {
    linker: &'a dyn Linker,
    index: MemoryIndex,
    writer: LinkWriter<'w>,
    report: LinkReport,
}

impl Run<'_, '_> {
    /// Resolves one mention to a person (creating one when the linker says so) and records it.
    async fn resolve(
        &mut self,
        record: &PendingRecord,
        mention: &Mention,
    ) -> Result<Option<PersonId>, PipelineError> {
        let outcome = self.linker.link(mention, &self.index);
        let (person, rule, explanation) = match outcome {
            LinkOutcome::Existing {
                person,
                rule,
                explanation,
            } => {
                // The household register is the most trusted source of identity and residence.
                if mention.role == MentionRole::Subject {
                    if let DepartmentRecord::HouseholdMember(_) = record.record {
                        if let Some(fresh) = new_person(record, mention) {
                            self.writer.update_identity(person, &fresh).await?;
                        }
                    }
                }
                (Some(person), Some(rule), explanation)
            }
            LinkOutcome::Create { explanation } => match new_person(record, mention) {
                Some(fresh) => {
                    let id = self.writer.create_person(&fresh).await?;
                    self.report.persons_created += 1;
                    self.index.insert(Candidate {
                        id,
                        citizen_id: fresh.citizen_id.clone(),
                        name: fresh.name.clone(),
                        sex: fresh.sex,
                        birth_date: fresh.birth_date,
                        relative_names: mention.relative_names.clone(),
                    });
                    (Some(id), Some(LinkRule::NewPerson), explanation)
                }
                None => (
                    None,
                    None,
                    "记录缺少姓名、性别或出生日期，无法新建人员".into(),
                ),
            },
            LinkOutcome::Unmatched { reason } => (None, None, reason),
        };
        self.writer
            .link_mention(record.id, mention.role, person, rule, &explanation)
            .await?;
        match (person, rule) {
            (Some(_), Some(rule)) => {
                self.report.mentions_linked += 1;
                self.report.count_rule(rule);
            }
            _ => self.report.mentions_unmatched += 1,
        }
        Ok(person)
    }
}

/// Links every pending record with `linker`, in one transaction.
///
/// Subjects are resolved first, household register rows before all others, so that a parent
/// named in a child's row is found even when the parent's own row comes later in the file.
pub async fn link_pending(store: &Store, linker: &dyn Linker) -> Result<LinkReport, PipelineError> {
    let mut pending = store.pending_records().await?;
    pending.sort_by_key(|r| {
        (
            !matches!(r.record, DepartmentRecord::HouseholdMember(_)),
            r.id,
        )
    });
    let population = store.load_population().await?;
    let mut names: HashMap<PersonId, Vec<humiao_core::PersonName>> = HashMap::new();
    let by_id: HashMap<PersonId, &Person> = population.persons.iter().map(|p| (p.id, p)).collect();
    for (child, _, relative) in &population.relationships {
        if let Some(r) = by_id.get(relative) {
            names.entry(*child).or_default().push(r.name.clone());
        }
    }
    let mut index = MemoryIndex::new();
    for person in &population.persons {
        index.insert(candidate(
            person,
            names.remove(&person.id).unwrap_or_default(),
        ));
    }
    let mut run = Run {
        linker,
        index,
        writer: store.link_writer().await?,
        report: LinkReport {
            records: pending.len(),
            ..Default::default()
        },
    };

    let mut resolved: HashMap<SourceRecordId, Vec<(MentionRole, Option<PersonId>)>> =
        HashMap::new();
    let mentions: Vec<Vec<Mention>> = pending.iter().map(|r| r.record.mentions()).collect();
    // Pass 1: the people records are about.
    for (record, record_mentions) in pending.iter().zip(&mentions) {
        for mention in record_mentions
            .iter()
            .filter(|m| m.role == MentionRole::Subject)
        {
            let person = run.resolve(record, mention).await?;
            resolved
                .entry(record.id)
                .or_default()
                .push((mention.role, person));
        }
    }
    // Pass 2: the others they name (parents, guardians, spouses), then relationships.
    for (record, record_mentions) in pending.iter().zip(&mentions) {
        let subject = resolved
            .get(&record.id)
            .and_then(|v| v.iter().find(|(r, _)| *r == MentionRole::Subject))
            .and_then(|(_, p)| *p);
        for mention in record_mentions
            .iter()
            .filter(|m| m.role != MentionRole::Subject)
        {
            let person = run.resolve(record, mention).await?;
            resolved
                .entry(record.id)
                .or_default()
                .push((mention.role, person));
            if let (Some(child), Some(relative), Some(kind)) =
                (subject, person, relation_of(mention.role))
            {
                if child != relative {
                    run.writer
                        .add_relationship(child, kind, relative, record.id)
                        .await?;
                    run.report.relationships += 1;
                    if let Some(name) = &mention.name {
                        run.index.add_relative_name(child, name.clone());
                    }
                }
            }
        }
    }
    // Facts, each on the person its mention resolved to.
    for record in &pending {
        let links = resolved.get(&record.id).cloned().unwrap_or_default();
        for draft in facts_of_record(&record.record) {
            let person = links
                .iter()
                .find(|(role, _)| *role == draft.about)
                .and_then(|(_, p)| *p);
            if let Some(person) = person {
                run.writer
                    .add_fact(&Fact {
                        person,
                        kind: draft.kind,
                        valid_from: draft.valid_from,
                        valid_to: draft.valid_to,
                        source: record.id,
                    })
                    .await?;
                run.report.facts += 1;
            }
        }
        let all_linked = !links.is_empty() && links.iter().all(|(_, p)| p.is_some());
        run.writer.mark_record(record.id, all_linked).await?;
    }
    let report = run.report;
    run.writer.commit().await?;
    tracing::info!(
        records = report.records,
        persons_created = report.persons_created,
        linked = report.mentions_linked,
        unmatched = report.mentions_unmatched,
        "linking finished"
    );
    Ok(report)
}
