//! From event to alert: an accepted event becomes a source record, is linked to the persons it
//! names, gives its facts, and reaches the children it concerns — re-assessed by the rules when
//! a fact changed (a parent's death, custody, divorce), or alerted at once when the event is
//! about a child's safety or schooling. Processing an event again changes nothing: the source
//! record is keyed by the department's event ID and alerts by their trigger.
//!
//! Linking here is the fast, exact part of the linker: a citizen ID, or a name with a birth date
//! that one person alone has. A mention that finds nobody stays unmatched for the centre to
//! review, and the next linking run considers it with the full model.

use std::collections::BTreeSet;

use chrono::{Months, NaiveDate};
use humiao_core::alert::{event_alert, AlertParams};
use humiao_core::event::{parse_event, DepartmentEvent, EventEffect};
use humiao_core::fact::Fact;
use humiao_core::linking::LinkRule;
use humiao_core::notify::Notification;
use humiao_core::records::PushedEvent;
use humiao_core::{Department, DepartmentRecord, Mention, MentionRole, PersonId, SourceRecordId};
use humiao_rules::RulePack;
use humiao_store::{AssessmentWrite, EventRow, NewAlert, PersonBrief, Store};
use serde::Serialize;

use crate::{assess_children, PipelineError};

/// How one mention of an event was resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MentionOutcome {
    pub role: MentionRole,
    pub person: Option<i64>,
    pub explanation: String,
}

/// What processing one event did (kept with the event, as JSON, for the centre).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EventOutcome {
    pub source_record: Option<i64>,
    pub mentions: Vec<MentionOutcome>,
    /// The children it concerns (re-assessed or alerted).
    pub children: Vec<i64>,
    pub alerts_raised: usize,
    /// In words, for the events page.
    pub summary: String,
    #[serde(skip)]
    pub notifications: Vec<Notification>,
}

/// The rules an event processor applies, loaded once (not per event).
#[derive(Debug, Clone)]
pub struct EventRules {
    pub pack: std::sync::Arc<RulePack>,
    pub alert_params: AlertParams,
    /// The day the parameters were read for.
    pub as_of: NaiveDate,
}

impl EventRules {
    pub fn new(pack: impl Into<std::sync::Arc<RulePack>>, as_of: NaiveDate) -> Self {
        let pack = pack.into();
        Self {
            alert_params: crate::alert_params(&pack, as_of),
            pack,
            as_of,
        }
    }
}

/// What a batch of event processing did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsReport {
    pub events: usize,
    pub alerts_raised: usize,
    /// Events whose subject found nobody.
    pub unlinked: usize,
    pub notifications: Vec<Notification>,
}

impl EventsReport {
    fn add(&mut self, outcome: EventOutcome) {
        self.events += 1;
        self.alerts_raised += outcome.alerts_raised;
        self.unlinked += usize::from(outcome.mentions.first().is_none_or(|m| m.person.is_none()));
        self.notifications.extend(outcome.notifications);
    }
}

/// Processes accepted events not yet processed, oldest first, up to `limit`. Each is marked
/// processed after its effects are written, so a crash between the two only repeats work that
/// changes nothing the second time.
pub async fn process_pending_events(
    store: &Store,
    as_of: NaiveDate,
    rules: &EventRules,
    limit: i64,
) -> Result<EventsReport, PipelineError> {
    let mut report = EventsReport::default();
    for row in store.unprocessed_events(limit).await? {
        match process_event(store, &row, as_of, rules).await {
            Ok(outcome) => report.add(outcome),
            // An event that can never be processed (unreadable as stored) must not hold up
            // the ones behind it: it is marked with why, for the centre, and skipped.
            Err(PipelineError::Corrupt(why)) => {
                tracing::error!(event = row.id, %why, "event cannot be processed");
                let outcome = EventOutcome {
                    summary: format!("无法处理：{why}"),
                    ..Default::default()
                };
                let json = serde_json::to_string(&outcome).unwrap_or_default();
                store
                    .mark_event_processed(row.id, None, &json, &format!("failed: {why}"))
                    .await?;
                report.events += 1;
            }
            // Anything else (the database) is retried on the next round.
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

/// Processes every accepted event again, in arrival order (after a restore, or to show that a
/// replay raises the same alerts: it raises none twice).
pub async fn replay_events(
    store: &Store,
    as_of: NaiveDate,
    rules: &EventRules,
) -> Result<EventsReport, PipelineError> {
    let mut report = EventsReport::default();
    let mut after = 0;
    loop {
        let rows = store.accepted_events_after(after, 500).await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.id;
        for row in &rows {
            report.add(process_event(store, row, as_of, rules).await?);
        }
    }
    Ok(report)
}

/// Processes one accepted event and marks it processed.
pub async fn process_event(
    store: &Store,
    row: &EventRow,
    as_of: NaiveDate,
    rules: &EventRules,
) -> Result<EventOutcome, PipelineError> {
    let event = serde_json::from_str(&row.body)
        .map_err(|e| e.to_string())
        .and_then(|v| parse_event(&v).map_err(|p| format!("{p:?}")));
    let department = Department::parse(&row.department);
    let (event, department) = match (event, department) {
        (Ok(event), Some(department)) => (event, department),
        (Err(e), _) => return Err(PipelineError::Corrupt(format!("event {}: {e}", row.id))),
        (_, None) => {
            return Err(PipelineError::Corrupt(format!(
                "event {}: unknown department {}",
                row.id, row.department
            )))
        }
    };
    let record = DepartmentRecord::Event(PushedEvent {
        department,
        event: event.clone(),
    });
    let source = store.event_source_record(row, &record).await?;
    let (mentions, resolved) = link_event(store, &record, source, &event).await?;
    let children = children_concerned(store, &event, &resolved).await?;
    let mut outcome = EventOutcome {
        source_record: Some(source.0),
        mentions,
        children: children.iter().map(|c| c.id.0).collect(),
        ..Default::default()
    };
    // The facts it states (a death, a custody, a divorce, a release) re-assess the children;
    // the rules decide what follows.
    if !event.facts(department == Department::Court).is_empty() {
        let ids: Vec<PersonId> = children.iter().map(|c| c.id).collect();
        if !ids.is_empty() {
            let report =
                assess_children(store, &ids, as_of, &rules.pack, &rules.alert_params).await?;
            outcome.alerts_raised = report.alerts_raised;
            outcome.notifications = report.notifications;
        }
    }
    match event.kind.effect() {
        EventEffect::Facts | EventEffect::Recorded => {}
        EventEffect::ChildAlert { .. } | EventEffect::FamilyAlert { .. } => {
            let alerts: Vec<NewAlert> = children
                .iter()
                .filter_map(|child| {
                    event_alert(
                        child.id,
                        department.code(),
                        &event,
                        source,
                        as_of,
                        &rules.alert_params,
                    )
                    // Routed to where the child lives, not where they are registered.
                    .map(|draft| NewAlert {
                        draft,
                        grid: child.residence_grid.clone(),
                    })
                })
                .collect();
            let write = AssessmentWrite {
                as_of,
                alerts,
                ..Default::default()
            };
            let raised = store.apply_assessment_raising(&write).await?;
            outcome.alerts_raised += raised.len();
            outcome.notifications.extend(raised.iter().map(|&i| {
                Notification::for_alert(write.alerts[i].grid.clone(), &write.alerts[i].draft)
            }));
        }
    }
    outcome.summary = summary(&event, &outcome);
    let json = serde_json::to_string(&outcome).unwrap_or_default();
    // Audited as the system's change to these children's records (ids only, no names).
    let detail = format!(
        "source record {}; children {:?}; alerts {}",
        source.0, outcome.children, outcome.alerts_raised
    );
    store
        .mark_event_processed(row.id, Some(source), &json, &detail)
        .await?;
    tracing::info!(
        event = row.id,
        kind = event.kind.code(),
        children = outcome.children.len(),
        alerts = outcome.alerts_raised,
        "event processed"
    );
    Ok(outcome)
}

fn summary(event: &DepartmentEvent, outcome: &EventOutcome) -> String {
    let subject = outcome.mentions.first();
    if subject.is_none_or(|m| m.person.is_none()) && outcome.children.is_empty() {
        return format!(
            "{}：未能关联到人员（{}），已留待数据关联人工核对",
            event.kind.label_zh(),
            subject.map(|m| m.explanation.as_str()).unwrap_or("无")
        );
    }
    format!(
        "{}：涉及儿童{}名，生成预警{}条",
        event.kind.label_zh(),
        outcome.children.len(),
        outcome.alerts_raised
    )
}

/// A mention resolved to a person.
#[derive(Debug, Clone)]
struct Resolved {
    role: MentionRole,
    person: PersonBrief,
}

/// Links each mention exactly (ID, or name + birth date held by one person alone), writes the
/// links and the event's facts, and marks the record. Returns what happened per mention.
async fn link_event(
    store: &Store,
    record: &DepartmentRecord,
    source: SourceRecordId,
    event: &DepartmentEvent,
) -> Result<(Vec<MentionOutcome>, Vec<Resolved>), PipelineError> {
    let mut outcomes = Vec::new();
    let mut rules = Vec::new();
    let mut resolved: Vec<Resolved> = Vec::new();
    for mention in record.mentions() {
        let (person, rule, explanation) = resolve(store, &mention, &resolved).await?;
        rules.push(rule);
        outcomes.push(MentionOutcome {
            role: mention.role,
            person: person.as_ref().map(|p| p.id.0),
            explanation: explanation.clone(),
        });
        if let Some(person) = person {
            resolved.push(Resolved {
                role: mention.role,
                person,
            });
        }
    }
    let mut writer = store.link_writer().await?;
    for (outcome, rule) in outcomes.iter().zip(rules) {
        writer
            .link_mention(
                source,
                outcome.role,
                outcome.person.map(PersonId),
                rule,
                &outcome.explanation,
            )
            .await?;
    }
    let court = matches!(record, DepartmentRecord::Event(e) if e.department == Department::Court);
    for draft in event.facts(court) {
        if let Some(r) = resolved.iter().find(|r| r.role == draft.about) {
            writer
                .add_fact(&Fact {
                    person: r.person.id,
                    kind: draft.kind,
                    valid_from: draft.valid_from,
                    valid_to: draft.valid_to,
                    source,
                })
                .await?;
        }
    }
    writer
        .mark_record(source, outcomes.iter().all(|o| o.person.is_some()))
        .await?;
    writer.commit().await?;
    Ok((outcomes, resolved))
}

/// One mention to one person, exactly, or nobody with the reason.
async fn resolve(
    store: &Store,
    mention: &Mention,
    earlier: &[Resolved],
) -> Result<(Option<PersonBrief>, Option<LinkRule>, String), PipelineError> {
    if let Some(id) = &mention.citizen_id {
        return Ok(match store.person_by_citizen_id(id).await? {
            Some(p) => (Some(p), Some(LinkRule::CitizenId), "身份证号一致".into()),
            None => (None, None, "身份证号在全县人员中未找到".into()),
        });
    }
    let Some(name) = &mention.name else {
        return Ok((None, None, "既无身份证号也无姓名".into()));
    };
    // A child named by an event about a parent: look among that parent's children first.
    if mention.role == MentionRole::Child {
        if let Some(subject) = earlier.iter().find(|r| r.role == MentionRole::Subject) {
            let children = store
                .person_briefs(&store.children_of(&[subject.person.id]).await?)
                .await?;
            let matching: Vec<_> = children
                .into_iter()
                .filter(|c| {
                    c.name == name.as_str() && mention.birth_date.is_none_or(|b| b == c.birth_date)
                })
                .collect();
            if let [one] = matching.as_slice() {
                return Ok((
                    Some(one.clone()),
                    Some(LinkRule::NameBirth),
                    "当事人子女中姓名一致（且出生日期一致，如有）".into(),
                ));
            }
        }
    }
    let Some(birth) = mention.birth_date else {
        return Ok((None, None, "无身份证号，仅有姓名，无法唯一确定".into()));
    };
    let found = store.persons_by_name_birth(name, birth).await?;
    Ok(match found.as_slice() {
        [one] => (
            Some(one.clone()),
            Some(LinkRule::NameBirth),
            "姓名与出生日期一致，全县唯一".into(),
        ),
        [] => (None, None, "姓名与出生日期在全县人员中未找到".into()),
        many => (
            None,
            None,
            format!("姓名与出生日期相同者{}人，待人工核对", many.len()),
        ),
    })
}

fn is_minor_on(person: &PersonBrief, on: NaiveDate) -> bool {
    person
        .birth_date
        .checked_add_months(Months::new(18 * 12))
        .is_some_and(|adult| on < adult)
}

/// The children an event concerns: the subject if a minor; the children it names; and, for an
/// adult subject (a parent), that person's and their spouse's children.
async fn children_concerned(
    store: &Store,
    event: &DepartmentEvent,
    resolved: &[Resolved],
) -> Result<Vec<PersonBrief>, PipelineError> {
    let on = event.occurred_on;
    let mut ids: BTreeSet<PersonId> = BTreeSet::new();
    let mut parents = Vec::new();
    for r in resolved {
        match r.role {
            MentionRole::Subject if is_minor_on(&r.person, on) => {
                ids.insert(r.person.id);
            }
            MentionRole::Subject | MentionRole::Spouse => parents.push(r.person.id),
            MentionRole::Child => {
                ids.insert(r.person.id);
            }
            _ => {}
        }
    }
    // A parent's event reaches all their children; a child named explicitly is enough for an
    // event about that child.
    let about_parent = !matches!(event.kind.effect(), EventEffect::ChildAlert { .. });
    if !parents.is_empty() && (about_parent || ids.is_empty()) {
        ids.extend(store.children_of(&parents).await?);
    }
    let ids: Vec<PersonId> = ids.into_iter().collect();
    Ok(store
        .person_briefs(&ids)
        .await?
        .into_iter()
        .filter(|p| is_minor_on(p, on))
        .collect())
}
