//! Linking department records into golden records with the probabilistic linker, then writing
//! links, persons (survivorship), relationships and facts, and re-pointing what hangs off a person
//! when clusters merge or split.
//!
//! Every mention of a person in a record (the subject, a parent named in a child's row, a spouse
//! in a divorce) is one linker record, keyed `"<source_record_id>:<role>"`. Person ids are the
//! linker's cluster ids, so they stay stable from run to run.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use humiao_core::fact::{facts_of_record, Fact};
use humiao_core::golden::{GoldenField, Observation, SurvivorshipRules};
use humiao_core::linking::LinkRule;
use humiao_core::normalize::{id_belongs_to_someone_else, newborn_placeholder};
use humiao_core::{
    CitizenId, DepartmentRecord, Mention, MentionRole, PersonId, PersonName, RegionCode,
    RelationKind, Sex, SourceRecordId,
};
use humiao_link::{
    ClusterEvent, Decision, InputRecord, LinkConfig, LinkRun, Linker, Model, Observer,
    PairExplanation, RunMode,
};
use humiao_store::{LinkableRecord, NewPerson, ReviewRow, Store};
use serde::Serialize;

use crate::PipelineError;

/// How to run the linker.
#[derive(Debug, Clone, Default)]
pub struct LinkOptions {
    /// Re-estimate the model and re-cluster everything (otherwise only pending records are linked,
    /// with the saved model).
    pub full: bool,
    pub config: LinkConfig,
    /// Survivorship rules for golden records; None: the saved rules (`humiao link
    /// --survivorship`), or the defaults.
    pub survivorship: Option<SurvivorshipRules>,
}

/// What a linking run did, for the CLI and the logs.
#[derive(Debug, Clone, Serialize)]
pub struct LinkReport {
    pub mode: RunMode,
    pub records: usize,
    pub mentions: usize,
    pub mentions_linked: usize,
    pub mentions_unmatched: usize,
    pub persons_created: usize,
    pub persons_updated: usize,
    pub persons_merged: usize,
    pub persons_split: usize,
    /// Mentions by the rule that links them to their person.
    pub by_rule: Vec<(LinkRule, usize)>,
    pub facts: usize,
    pub relationships: usize,
    pub review_queue: usize,
    pub malformed_field_notes: usize,
    /// Dwellings (人房) derived after the run, and person ↔ dwelling links.
    pub houses: usize,
    pub house_links: usize,
    pub engine: LinkRun,
}

/// The linker key of a mention.
pub fn mention_key(record: SourceRecordId, role: MentionRole) -> String {
    format!("{}:{}", record.0, role.as_str())
}

/// The record and role a linker key names.
pub fn parse_mention_key(key: &str) -> Option<(SourceRecordId, MentionRole)> {
    let (id, role) = key.split_once(':')?;
    Some((SourceRecordId(id.parse().ok()?), MentionRole::parse(role)?))
}

fn sex_text(sex: Option<Sex>) -> String {
    match sex {
        Some(Sex::Male) => "男".into(),
        Some(Sex::Female) => "女".into(),
        None => String::new(),
    }
}

/// The raw value of a refused field, e.g. a mistyped ID the import could not accept.
fn refused(rec: &LinkableRecord, field: &str) -> String {
    rec.refused_fields
        .iter()
        .find(|(f, _)| f == field)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn id_field_of(role: MentionRole) -> &'static str {
    match role {
        MentionRole::Subject => "citizen_id",
        MentionRole::Father => "father_citizen_id",
        MentionRole::Mother => "mother_citizen_id",
        MentionRole::Guardian => "guardian_citizen_id",
        MentionRole::Husband => "husband_citizen_id",
        MentionRole::Wife => "wife_citizen_id",
        MentionRole::Spouse => "related.spouse.citizen_id",
        MentionRole::Child => "related.child.citizen_id",
    }
}

/// A mention as the linker sees it.
pub fn input_of(rec: &LinkableRecord, mention: &Mention) -> InputRecord {
    let (address, household) = match (&rec.record, mention.role) {
        (DepartmentRecord::HouseholdMember(r), MentionRole::Subject) => (
            r.residence_address
                .clone()
                .or_else(|| r.hukou_address.clone())
                .unwrap_or_default(),
            r.household_no.clone(),
        ),
        // Parents named in a register row are most often of the same household.
        (DepartmentRecord::HouseholdMember(r), _) => (String::new(), r.household_no.clone()),
        (DepartmentRecord::StudentEnrolment(r), MentionRole::Subject) => {
            (r.address.clone().unwrap_or_default(), String::new())
        }
        _ => (String::new(), String::new()),
    };
    InputRecord {
        key: mention_key(rec.id, mention.role),
        source: rec.department.code().to_string(),
        citizen_id: match &mention.citizen_id {
            Some(id) => id.to_string(),
            None => refused(rec, id_field_of(mention.role)),
        },
        name: mention
            .name
            .as_ref()
            .map(|n| n.to_string())
            .unwrap_or_default(),
        sex: sex_text(mention.sex),
        birth_date: mention
            .birth_date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        address,
        household,
        parent_names: mention
            .relative_names
            .iter()
            .map(|n| n.to_string())
            .collect(),
    }
}

fn relation_of(role: MentionRole) -> Option<RelationKind> {
    match role {
        MentionRole::Father => Some(RelationKind::Father),
        MentionRole::Mother => Some(RelationKind::Mother),
        MentionRole::Guardian => Some(RelationKind::Guardian),
        _ => None,
    }
}

/// A mention with where it came from.
struct MentionAt {
    record: usize,
    mention: Mention,
}

/// Survivorship over a cluster's mentions. None when the cluster lacks a name, sex or birth date.
fn golden_record(
    rules: &SurvivorshipRules,
    records: &[LinkableRecord],
    members: &[&MentionAt],
) -> Option<NewPerson> {
    let mut obs: BTreeMap<GoldenField, Vec<Observation<SourceRecordId>>> = BTreeMap::new();
    let mut placeholder_names = Vec::new();
    for m in members {
        let rec = &records[m.record];
        let mut push = |field: GoldenField, value: Option<String>| {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                obs.entry(field).or_default().push(Observation {
                    value,
                    department: rec.department,
                    recency: rec.id.0,
                    source: rec.id,
                });
            }
        };
        let mention = &m.mention;
        // A parent's ID written on a child's record is not the child's (the linker ignores it too).
        push(
            GoldenField::CitizenId,
            mention
                .citizen_id
                .as_ref()
                .filter(|c| {
                    !mention
                        .birth_date
                        .is_some_and(|b| id_belongs_to_someone_else(c, b))
                })
                .map(|c| c.to_string()),
        );
        // 「王芳之子」 names nobody: a real name from any record wins over it.
        let name = mention.name.as_ref().map(|n| n.to_string());
        if name
            .as_deref()
            .is_some_and(|n| newborn_placeholder(n).is_some())
        {
            placeholder_names.push(Observation {
                value: name.unwrap_or_default(),
                department: rec.department,
                recency: rec.id.0,
                source: rec.id,
            });
        } else {
            push(GoldenField::Name, name);
        }
        push(
            GoldenField::Sex,
            mention.sex.map(|s| s.as_str().to_string()),
        );
        push(
            GoldenField::BirthDate,
            mention.birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
        );
        if let (DepartmentRecord::HouseholdMember(r), MentionRole::Subject) =
            (&rec.record, mention.role)
        {
            push(GoldenField::HukouRegion, Some(r.hukou_region.to_string()));
            push(GoldenField::HukouAddress, r.hukou_address.clone());
            push(
                GoldenField::ResidenceGrid,
                r.residence_grid.as_ref().map(|g| g.to_string()),
            );
            push(GoldenField::ResidenceAddress, r.residence_address.clone());
            push(GoldenField::HouseholdNo, Some(r.household_no.clone()));
        }
    }
    if !obs.contains_key(&GoldenField::Name) && !placeholder_names.is_empty() {
        obs.insert(GoldenField::Name, placeholder_names);
    }
    let pick = |field: GoldenField| {
        obs.get(&field)
            .and_then(|o| rules.survive(field, o))
            .map(|s| (s.value, s.sources))
    };
    let (name, sources) = pick(GoldenField::Name)?;
    let sex = pick(GoldenField::Sex).and_then(|(s, _)| Sex::parse(&s))?;
    let birth_date = pick(GoldenField::BirthDate)
        .and_then(|(d, _)| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())?;
    Some(NewPerson {
        citizen_id: pick(GoldenField::CitizenId).and_then(|(c, _)| CitizenId::parse(&c).ok()),
        name: PersonName::parse(&name).ok()?,
        sex,
        birth_date,
        hukou_region: pick(GoldenField::HukouRegion).and_then(|(c, _)| RegionCode::parse(&c).ok()),
        hukou_address: pick(GoldenField::HukouAddress).map(|(v, _)| v),
        residence_grid: pick(GoldenField::ResidenceGrid)
            .and_then(|(c, _)| RegionCode::parse(&c).ok()),
        residence_address: pick(GoldenField::ResidenceAddress).map(|(v, _)| v),
        household_no: pick(GoldenField::HouseholdNo).map(|(v, _)| v),
        source: *sources.first()?,
    })
}

fn rule_of(link: Option<&PairExplanation>) -> LinkRule {
    use humiao_link::PairVerdict;
    match link {
        None => LinkRule::NewPerson,
        Some(l) if l.verdict == PairVerdict::AcceptedByReviewer => LinkRule::Reviewer,
        Some(l) => match l.fields[0].level {
            1 => LinkRule::CitizenId,
            2 => LinkRule::IdRepair,
            _ => LinkRule::Probabilistic,
        },
    }
}

fn explanation_of(link: Option<&PairExplanation>) -> (String, Option<f64>) {
    match link {
        None => ("未与其他记录匹配".into(), None),
        Some(l) => {
            let strongest: Vec<String> = {
                let mut f: Vec<_> = l.fields.iter().filter(|f| f.level > 0).collect();
                f.sort_by(|a, b| b.weight.total_cmp(&a.weight));
                f.iter()
                    .take(3)
                    .map(|f| format!("{}{}", f.label, f.level_label))
                    .collect()
            };
            (
                format!(
                    "与记录{}匹配概率{:.2}%：{}",
                    l.b,
                    l.probability * 100.0,
                    strongest.join("；")
                ),
                Some(l.probability),
            )
        }
    }
}

/// Builds a linker holding every mention, with saved clusters, decisions and refused joins.
/// Returns the linker, the mentions by key and the number of malformed-field notes.
async fn load_linker(
    store: &Store,
    records: &[LinkableRecord],
    old: &HashMap<String, Option<PersonId>>,
    options: &LinkOptions,
) -> Result<(Linker, HashMap<String, MentionAt>, usize), PipelineError> {
    let mut linker = Linker::new(options.config.clone());
    if !options.full {
        if let Some(model) = saved_model(store).await? {
            linker.set_model(model);
        }
    }
    linker.reserve_cluster_ids(store.next_person_id().await? as u64);
    let mut mentions = HashMap::new();
    let mut fresh = Vec::new();
    for (i, rec) in records.iter().enumerate() {
        for mention in rec.record.mentions() {
            let input = input_of(rec, &mention);
            match old.get(&input.key) {
                Some(Some(person)) if !rec.pending => linker.add_linked(&input, person.0 as u64),
                _ => fresh.push(input.clone()),
            }
            mentions.insert(input.key.clone(), MentionAt { record: i, mention });
        }
    }
    for (a, b) in store.link_refused().await? {
        linker.add_refused_edge(&a, &b);
    }
    for r in store.review_queue(i64::MAX).await? {
        linker.restore_review(&r.record_a, &r.record_b, r.probability, r.weight);
    }
    let mut notes = 0;
    for input in &fresh {
        notes += linker.add(input).len();
    }
    // Decided pairs are re-linked by every run, so a new decision takes effect at once and the
    // result stays what a full run would give.
    apply_decisions(store, &mut linker, true).await?;
    Ok((linker, mentions, notes))
}

/// Links pending records (or everything with `options.full`) and writes the result in one
/// transaction.
pub async fn link_records(
    store: &Store,
    options: &LinkOptions,
    observer: &dyn Observer,
) -> Result<LinkReport, PipelineError> {
    let survivorship = match &options.survivorship {
        Some(rules) => rules.clone(),
        None => crate::saved_survivorship(store).await?,
    };
    let records = store.linkable_records().await?;
    let old = current_links(store).await?;
    let (mut linker, mentions, notes) = load_linker(store, &records, &old, options).await?;
    let started = humiao_store_now();
    let run = if options.full || linker.model().is_none() {
        linker.link_all(true, observer)
    } else {
        linker.link_new(observer)
    };

    // Which mentions changed person, and which clusters need their golden record recomputed.
    let mut clusters: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
    for (key, cluster) in linker.assignments() {
        if let Some(c) = cluster {
            clusters.entry(c).or_default().push(key);
        }
    }
    let mut affected_records: BTreeSet<usize> = BTreeSet::new();
    let mut affected_clusters: BTreeSet<u64> = BTreeSet::new();
    let mut old_persons: BTreeSet<PersonId> = BTreeSet::new();
    for (key, m) in &mentions {
        let now = linker.cluster_of(key);
        let before = old.get(key).copied().flatten();
        if records[m.record].pending || now != before.map(|p| p.0 as u64) || options.full {
            affected_records.insert(m.record);
            if let Some(c) = now {
                affected_clusters.insert(c);
            }
            if let Some(p) = before {
                old_persons.insert(p);
            }
        }
    }
    for e in &run.events {
        match *e {
            ClusterEvent::Merged { into, .. } | ClusterEvent::Split { into, .. } => {
                affected_clusters.insert(into);
            }
        }
    }
    // Golden records.
    let existing: BTreeSet<PersonId> = old.values().flatten().copied().collect();
    let mut persons: BTreeMap<u64, NewPerson> = BTreeMap::new();
    for &c in &affected_clusters {
        let members: Vec<&MentionAt> = clusters
            .get(&c)
            .into_iter()
            .flatten()
            .filter_map(|k| mentions.get(*k))
            .collect();
        if let Some(p) = golden_record(&survivorship, &records, &members) {
            persons.insert(c, p);
        }
    }

    let mut report = LinkReport {
        mode: run.mode,
        records: records.len(),
        mentions: mentions.len(),
        mentions_linked: 0,
        mentions_unmatched: 0,
        persons_created: 0,
        persons_updated: 0,
        persons_merged: 0,
        persons_split: 0,
        by_rule: Vec::new(),
        facts: 0,
        relationships: 0,
        review_queue: 0,
        malformed_field_notes: notes,
        houses: 0,
        house_links: 0,
        engine: run.clone(),
    };
    let mut by_rule: BTreeMap<LinkRule, usize> = BTreeMap::new();

    let mut w = store.link_writer().await?;
    let run_id = w
        .start_run(
            match run.mode {
                RunMode::Full => "full",
                RunMode::Incremental => "incremental",
            },
            &started,
        )
        .await?;
    // Merged-away persons give up their citizen ID first, so the survivor can take it.
    for e in &run.events {
        if let ClusterEvent::Merged { from, .. } = *e {
            w.release_citizen_id(PersonId(from as i64)).await?;
        }
    }
    for (&c, p) in &persons {
        let id = PersonId(c as i64);
        if existing.contains(&id) {
            report.persons_updated += 1;
        } else {
            report.persons_created += 1;
        }
        w.upsert_person(id, p).await?;
    }
    for e in &run.events {
        match *e {
            ClusterEvent::Merged { from, into } => {
                let (from, into) = (PersonId(from as i64), PersonId(into as i64));
                if persons.contains_key(&(into.0 as u64)) {
                    w.merge_person(from, into).await?;
                    w.person_event(run_id, "merged", from, into).await?;
                    report.persons_merged += 1;
                }
            }
            ClusterEvent::Split { from, into } => {
                w.person_event(
                    run_id,
                    "split",
                    PersonId(from as i64),
                    PersonId(into as i64),
                )
                .await?;
                report.persons_split += 1;
            }
        }
    }
    // Re-derive links, relationships and facts of every affected record.
    let person_of = |key: &str| -> Option<PersonId> {
        linker
            .cluster_of(key)
            .filter(|c| {
                persons.contains_key(c)
                    || (!affected_clusters.contains(c) && existing.contains(&PersonId(*c as i64)))
            })
            .map(|c| PersonId(c as i64))
    };
    let mut linked_records = Vec::new();
    let mut unmatched_records = Vec::new();
    for &i in &affected_records {
        let rec = &records[i];
        // A pending record has nothing derived from it yet.
        if !rec.pending {
            w.clear_record(rec.id).await?;
        }
        let record_mentions = rec.record.mentions();
        let mut resolved: Vec<(MentionRole, Option<PersonId>)> = Vec::new();
        for mention in &record_mentions {
            let key = mention_key(rec.id, mention.role);
            let person = person_of(&key);
            let link = linker.strongest_link(&key);
            let (rule, (explanation, probability)) = match person {
                Some(_) => (Some(rule_of(link.as_ref())), explanation_of(link.as_ref())),
                None => (
                    None,
                    (
                        "记录缺少可用的姓名、性别或出生日期，且未与其他记录匹配".to_string(),
                        None,
                    ),
                ),
            };
            w.link_mention_scored(
                rec.id,
                mention.role,
                person,
                rule,
                &explanation,
                probability,
            )
            .await?;
            match rule {
                Some(r) => {
                    report.mentions_linked += 1;
                    *by_rule.entry(r).or_default() += 1;
                }
                None => report.mentions_unmatched += 1,
            }
            resolved.push((mention.role, person));
        }
        let subject = resolved
            .iter()
            .find(|(r, _)| *r == MentionRole::Subject)
            .and_then(|(_, p)| *p);
        for (role, person) in &resolved {
            if let (Some(child), Some(relative), Some(kind)) =
                (subject, *person, relation_of(*role))
            {
                if child != relative {
                    w.add_relationship(child, kind, relative, rec.id).await?;
                    report.relationships += 1;
                }
            }
        }
        for draft in facts_of_record(&rec.record) {
            if let Some(person) = resolved
                .iter()
                .find(|(role, _)| *role == draft.about)
                .and_then(|(_, p)| *p)
            {
                w.add_fact(&Fact {
                    person,
                    kind: draft.kind,
                    valid_from: draft.valid_from,
                    valid_to: draft.valid_to,
                    source: rec.id,
                })
                .await?;
                report.facts += 1;
            }
        }
        if !resolved.is_empty() && resolved.iter().all(|(_, p)| p.is_some()) {
            linked_records.push(rec.id);
        } else {
            unmatched_records.push(rec.id);
        }
    }
    w.mark_records(&linked_records, true).await?;
    w.mark_records(&unmatched_records, false).await?;
    // Persons whose records all went elsewhere or became unlinkable.
    for p in old_persons {
        if !persons.contains_key(&(p.0 as u64)) && linker.members_of(p.0 as u64).is_empty() {
            w.drop_person_if_orphan(p).await?;
        }
    }
    if run.model_estimated {
        let model = linker.model().expect("estimated");
        w.save_model(
            linker.len() as i64,
            &serde_json::to_string(model).expect("model serialises"),
            &serde_json::to_string(linker.config()).expect("config serialises"),
        )
        .await?;
    }
    let review: Vec<ReviewRow> = linker
        .review_queue()
        .into_iter()
        .map(|r| ReviewRow {
            person_a: person_of(&r.a),
            person_b: person_of(&r.b),
            record_a: r.a,
            record_b: r.b,
            probability: r.probability,
            weight: r.weight,
        })
        .collect();
    report.review_queue = review.len();
    let refused: Vec<(String, String)> = linker
        .refused_edges()
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    w.replace_review(&review, &refused).await?;
    report.by_rule = by_rule.into_iter().collect();
    w.finish_run(
        run_id,
        &serde_json::to_string(&report).expect("report serialises"),
    )
    .await?;
    w.sync_person_ids(store.backend()).await?;
    w.commit().await?;
    // Derived data, rebuilt in full: a crash before this point is repaired by the next run.
    let houses = crate::derive_houses(store).await?;
    report.houses = houses.houses;
    report.house_links = houses.links;
    tracing::info!(
        mode = ?report.mode,
        records = report.records,
        persons_created = report.persons_created,
        merged = report.persons_merged,
        split = report.persons_split,
        linked = report.mentions_linked,
        unmatched = report.mentions_unmatched,
        review = report.review_queue,
        "linking finished"
    );
    Ok(report)
}

fn humiao_store_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Explains a record's links from the saved state (model, clusters, decisions).
pub async fn explain_record(
    store: &Store,
    key: &str,
    limit: usize,
) -> Result<Option<humiao_link::RecordExplanation>, PipelineError> {
    let records = store.linkable_records().await?;
    let options = LinkOptions::default();
    let old = current_links(store).await?;
    let (mut linker, _, _) = load_linker(store, &records, &old, &options).await?;
    linker.index_all();
    if linker.model().is_none() {
        return Ok(None);
    }
    Ok(linker.explain_record(key, limit))
}

/// Explains one pair of mentions from the saved state: only the two records are loaded, and
/// scored with the saved model. None when a record is unknown or no model was saved yet.
pub async fn explain_pair(
    store: &Store,
    a: &str,
    b: &str,
) -> Result<Option<PairExplanation>, PipelineError> {
    let (Some((ra, _)), Some((rb, _))) = (parse_mention_key(a), parse_mention_key(b)) else {
        return Ok(None);
    };
    let Some(model) = saved_model(store).await? else {
        return Ok(None);
    };
    let links = current_links(store).await?;
    let mut linker = Linker::new(LinkConfig::default());
    linker.set_model(model);
    let mut unlinked = Vec::new();
    for id in [ra, rb] {
        let Some(rec) = store.linkable_record(id).await? else {
            return Ok(None);
        };
        for mention in rec.record.mentions() {
            let input = input_of(&rec, &mention);
            if input.key != a && input.key != b {
                continue;
            }
            match links.get(&input.key).copied().flatten() {
                Some(person) => linker.add_linked(&input, person.0 as u64),
                None => unlinked.push(input),
            }
        }
    }
    for input in &unlinked {
        linker.add(input);
    }
    apply_decisions(store, &mut linker, false).await?;
    linker.index_all();
    Ok(linker.explain_pair(a, b))
}

async fn saved_model(store: &Store) -> Result<Option<Model>, PipelineError> {
    match store.link_model().await? {
        None => Ok(None),
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| humiao_store::StoreError::Corrupt(format!("link model: {e}")).into()),
    }
}

/// Gives the linker every clerk's decision; `relink` also makes the next run re-link the records.
async fn apply_decisions(
    store: &Store,
    linker: &mut Linker,
    relink: bool,
) -> Result<(), PipelineError> {
    for d in store.link_decisions().await? {
        let decision = if d.decision == "same_person" {
            Decision::SamePerson
        } else {
            Decision::DifferentPersons
        };
        linker.decide(&d.record_a, &d.record_b, decision);
        if relink {
            linker.mark_dirty(&d.record_a);
            linker.mark_dirty(&d.record_b);
        }
    }
    Ok(())
}

/// The person each mention is linked to now, by linker key.
async fn current_links(store: &Store) -> Result<HashMap<String, Option<PersonId>>, PipelineError> {
    Ok(store
        .mention_links()
        .await?
        .into_iter()
        .map(|l| (mention_key(l.record, l.role), l.person))
        .collect())
}

/// Why each of a person's records belongs to them: every pair among the person's mentions,
/// scored with the saved model (strongest first). Empty when no model was saved yet.
pub async fn explain_person(
    store: &Store,
    person: PersonId,
) -> Result<Vec<PairExplanation>, PipelineError> {
    let Some(model) = saved_model(store).await? else {
        return Ok(Vec::new());
    };
    let links = current_links(store).await?;
    let mut linker = Linker::new(LinkConfig::default());
    linker.set_model(model);
    let mut keys = Vec::new();
    for rec in store.linkable_records_of(person).await? {
        for mention in rec.record.mentions() {
            let input = input_of(&rec, &mention);
            if links.get(&input.key).copied().flatten() == Some(person) {
                linker.add_linked(&input, person.0 as u64);
                keys.push(input.key);
            }
        }
    }
    apply_decisions(store, &mut linker, false).await?;
    linker.index_all();
    let mut out = Vec::new();
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            if let Some(e) = linker.explain_pair(a, b) {
                out.push(e);
            }
        }
    }
    out.sort_by(|x, y| y.total_weight.total_cmp(&x.total_weight));
    Ok(out)
}
