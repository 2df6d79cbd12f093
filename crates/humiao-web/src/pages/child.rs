//! A child's page (数字画像), photos, and the children search.
//!
//! What is fetched depends on the role (minimum necessary): lineage and linked records are
//! loaded only for roles that see them. Every view is audited before anything is rendered; a
//! child outside the jurisdiction is a 404, exactly as a child that does not exist.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use humiao_core::access::{Role, SensitiveField, Visibility};
use humiao_core::alert::Severity;
use humiao_core::fact::Fact;
use humiao_core::policy::Category;
use humiao_core::{PersonId, RegionCode, RegionLevel, SourceRecordId};
use humiao_store::{AlertFilter, AuditEntry, ChildFilter, FactRow, LinkedRecordRow};
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{AppQuery, IdPath};
use crate::pages::linking::{pair_view, PairView};
use crate::pages::views::{
    badges, department_label, encode_component, mention_role_label, record_kind_label,
    sees_lineage, sees_reasons, shown_address, shown_citizen_id, shown_relative_name, AlertView,
    Badge, ChildRowView, PlaceNames,
};
use crate::render::{local_time, page, Base};
use crate::session::{CurrentUser, Session};
use crate::AppState;

/// Where a record came from, as a reader of the page sees it.
#[derive(Debug, Clone)]
pub(crate) struct SourceView {
    pub id: i64,
    pub department: String,
    pub file: String,
    pub line: i64,
    pub known: bool,
}

pub(crate) struct ReasonView {
    pub text: String,
    pub sources: Vec<SourceView>,
}

pub(crate) struct CategoryView {
    pub code: &'static str,
    pub label: &'static str,
    pub since: String,
    pub assessed_on: String,
    pub policy: String,
    pub reasons: Vec<ReasonView>,
}

pub(crate) struct RelativeView {
    pub relation: &'static str,
    pub name: String,
    pub citizen_id: Option<String>,
}

/// A dwelling the person is tied to (人房), with the others tied to it.
pub(crate) struct HouseView {
    pub relation: &'static str,
    pub address: String,
    pub residents: Vec<ResidentView>,
}

/// Another person at the same dwelling or in the same household.
pub(crate) struct ResidentView {
    pub id: i64,
    pub name: String,
    pub sex: &'static str,
    pub age: i32,
    pub relation: &'static str,
    pub minor: bool,
}

pub(crate) struct FactView {
    pub who: String,
    pub description: String,
    pub valid_from: String,
    pub valid_to: String,
    pub source: SourceView,
}

pub(crate) struct LinkedView {
    pub id: i64,
    pub department: String,
    pub kind: String,
    pub file: String,
    pub line: i64,
    pub role: &'static str,
    pub rule: String,
    pub explanation: String,
}

/// A director's conclusion on a suspected category.
pub(crate) struct VerificationView {
    pub when: String,
    pub by: String,
    pub category: &'static str,
    pub since: String,
    /// 「情况属实，启动救助申请」 / 「排除：已有人抚养——…」.
    pub decision: String,
    pub confirmed: bool,
    /// 「规则已不再认定（日期）」, or empty.
    pub lapsed: String,
}

pub(crate) struct VisitView {
    pub when: String,
    pub by: String,
    pub position: Option<String>,
    pub aspects: Vec<(String, String)>,
    pub notes: String,
    pub photo_ids: Vec<i64>,
    /// The plausibility checks' findings ("位置偏离：…"), for review ones first.
    pub flags: Vec<String>,
}

/// An alert on the child's page, with the sources behind it for roles that see them.
pub(crate) struct ChildAlertView {
    pub alert: AlertView,
    pub sources: Vec<SourceView>,
}

#[derive(Template)]
#[template(path = "child.html")]
struct ChildTemplate {
    base: Base,
    /// 未保中心: reasons, policy, lineage, registration.
    full: bool,
    lineage: bool,
    is_director: bool,
    id: i64,
    name: String,
    sex: &'static str,
    age: i32,
    birth_date: String,
    citizen_id: Option<String>,
    residence_place: String,
    residence_address: Option<String>,
    hukou_place: Option<String>,
    hukou_address: Option<String>,
    separated: bool,
    household_no: Option<String>,
    relatives: Vec<RelativeView>,
    /// 人房: the person's dwellings and who else lives or is registered there.
    houses: Vec<HouseView>,
    /// Others with the same 户号 (roles that see the household number).
    household: Vec<ResidentView>,
    badges: Vec<Badge>,
    categories: Vec<CategoryView>,
    alerts: Vec<ChildAlertView>,
    open_alert_id: Option<i64>,
    visits: Vec<VisitView>,
    /// The directors' verifications of suspected categories (核实记录), newest first.
    verifications: Vec<VerificationView>,
    facts: Vec<FactView>,
    linked: Vec<LinkedView>,
    /// 未保中心 only: the link evidence section.
    link_evidence: bool,
    /// Why these records are one person, pair by pair (strongest first, at most
    /// [`EVIDENCE_PAIRS`]).
    evidence: Vec<PairView>,
    /// How many pairs there are in all.
    evidence_total: usize,
    /// Merges and splits this person went through.
    person_events: Vec<PersonEventView>,
    /// 未保中心 only: today's evaluation with the rule pack in force.
    rules: Option<RulesView>,
    /// Directors and the centre: the risk level, and setting it with a reason.
    risk_override: Option<super::risk_override::OverrideSection>,
}

/// Today's evaluation of the child with the rule pack in force: entitlements, what cannot be
/// decided for lack of data, and the parameters used.
pub(crate) struct RulesView {
    pub pack: String,
    pub risks: Vec<RiskView>,
    /// Stored assessments, newest first: date, model, level, colour, score, dynamic flags.
    pub history: Vec<RiskHistoryView>,
    pub entitlements: Vec<EntitlementView>,
    pub undetermined: Vec<UndeterminedView>,
    pub parameters: String,
}

pub(crate) struct RiskHistoryView {
    pub date: String,
    pub model: String,
    pub level: String,
    pub colour: String,
    pub score: i64,
    pub flags: String,
}

/// A risk model's outcome: the level of what is known, the range, and the indicators that hold.
pub(crate) struct RiskView {
    pub model: String,
    pub level: String,
    pub colour: String,
    pub score: u32,
    pub score_max: u32,
    pub level_max: String,
    pub unknown: usize,
    pub urgent: String,
    pub fired: Vec<IndicatorView>,
}

pub(crate) struct IndicatorView {
    pub label: String,
    pub group: &'static str,
    pub points: String,
    pub reasons: Vec<ReasonView>,
}

pub(crate) struct EntitlementView {
    pub label: String,
    pub monthly: String,
    pub payable: bool,
    pub policy: String,
    pub reasons: Vec<ReasonView>,
}

pub(crate) struct UndeterminedView {
    pub label: &'static str,
    pub missing: String,
    pub known: Vec<ReasonView>,
}

/// The most record pairs the person page explains; the strongest come first.
const EVIDENCE_PAIRS: usize = 30;

/// A merge or split of persons by a linking run (合并/拆分).
pub(crate) struct PersonEventView {
    pub at: String,
    pub merged: bool,
    pub from: i64,
    pub into: i64,
}

/// Source records by id, from the facts and links already loaded.
#[derive(Default)]
struct Sources(HashMap<i64, SourceView>);

impl Sources {
    fn add(&mut self, id: SourceRecordId, department: &str, file: &str, line: i64) {
        self.0.entry(id.0).or_insert_with(|| SourceView {
            id: id.0,
            department: department_label(department),
            file: file.to_string(),
            line,
            known: true,
        });
    }

    fn get(&self, id: SourceRecordId) -> SourceView {
        self.0.get(&id.0).cloned().unwrap_or(SourceView {
            id: id.0,
            department: String::new(),
            file: String::new(),
            line: 0,
            known: false,
        })
    }
}

fn date(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn audit_view(session: &Session, kind: &str, id: i64, action: &str) -> AuditEntry {
    AuditEntry {
        user_id: Some(session.user.id),
        username: session.user.username.clone(),
        action: action.into(),
        target_kind: kind.into(),
        target_id: id.to_string(),
        detail: format!("role {}", session.role().code()),
    }
}

/// Evaluates the child with the active rule pack from the facts already loaded for the page.
/// What the page loaded that the rules read: relatives, facts of the child and relatives, and
/// payments to the other members of the child's 户.
struct CaseFacts<'a> {
    relatives: &'a [humiao_store::RelativeRow],
    facts: &'a [FactRow],
    household_payments: &'a [Fact],
}

async fn rules_view(
    state: &AppState,
    person: &humiao_core::Person,
    loaded: &CaseFacts<'_>,
    places: &PlaceNames,
    sources: &Sources,
    today: chrono::NaiveDate,
) -> Result<RulesView, AppError> {
    use humiao_core::policy::{ChildCase, ParentFacts};
    use humiao_core::RelationKind;
    let pack = humiao_pipeline::active_pack(state.store()).await?;
    let observations: Vec<humiao_core::policy::Observation> = state
        .store()
        .observations_of(Some(&[person.id]))
        .await?
        .into_iter()
        .map(|(_, o)| o)
        .collect();
    let CaseFacts {
        relatives,
        facts,
        household_payments,
    } = loaded;
    let facts_of = |p: PersonId| -> Vec<Fact> {
        facts
            .iter()
            .filter(|f| f.fact.person == p)
            .map(|f| f.fact.clone())
            .collect()
    };
    let parent = |kind: RelationKind| {
        relatives
            .iter()
            .find(|r| r.kind == kind)
            .map(|r| facts_of(r.person.id))
    };
    let (own, father, mother) = (
        facts_of(person.id),
        parent(RelationKind::Father),
        parent(RelationKind::Mother),
    );
    // The 户's payments: the other members' and those of the child and parents.
    let household: Vec<Fact> = household_payments
        .iter()
        .chain(own.iter())
        .chain(father.iter().flatten())
        .chain(mother.iter().flatten())
        .filter(|f| matches!(f.kind, humiao_core::fact::FactKind::Payment { .. }))
        .cloned()
        .collect();
    let case = ChildCase {
        child: person,
        child_facts: &own,
        father: father.as_deref().map(|facts| ParentFacts { facts }),
        mother: mother.as_deref().map(|facts| ParentFacts { facts }),
        registered_rural: places.is_rural(person.hukou_region.as_ref()),
        household: person.household_no.as_ref().map(|_| &household[..]),
        observations: &observations,
    };
    let out = pack.assess(&case, today);
    let reasons = |rs: &[humiao_core::policy::Reason]| -> Vec<ReasonView> {
        rs.iter()
            .map(|r| ReasonView {
                text: r.text.clone(),
                sources: r.sources.iter().map(|s| sources.get(*s)).collect(),
            })
            .collect()
    };
    let history = state
        .store()
        .risk_history(person.id)
        .await?
        .into_iter()
        .take(12)
        .map(|r| {
            let flags = serde_json::from_str::<serde_json::Value>(&r.detail_json)
                .ok()
                .and_then(|v| v.get("flags").cloned())
                .and_then(|f| serde_json::from_value::<Vec<String>>(f).ok())
                .unwrap_or_default();
            RiskHistoryView {
                date: r.assessed_on.format("%Y-%m-%d").to_string(),
                model: r.model,
                level: r.level_label,
                colour: r.colour,
                score: r.score,
                flags: flags.join("；"),
            }
        })
        .collect();
    Ok(RulesView {
        history,
        pack: format!("{} {}", pack.name, pack.version),
        risks: out
            .risk
            .iter()
            .map(|r| RiskView {
                model: r.model(&pack).label.clone(),
                level: r.level_info(&pack).label.clone(),
                colour: r.level_info(&pack).colour.clone(),
                score: r.score,
                score_max: r.score_max,
                level_max: r.level_max_info(&pack).label.clone(),
                unknown: r.unknown,
                urgent: r.urgent_labels(&pack).join("、"),
                fired: r
                    .indicators
                    .iter()
                    .filter(|i| i.state == "true")
                    .map(|i| IndicatorView {
                        label: r.model(&pack).indicators[i.index].label.clone(),
                        group: r.model(&pack).indicators[i.index].group.label_zh(),
                        points: format!("{:.0}", i.points),
                        reasons: reasons(&i.reasons),
                    })
                    .collect(),
            })
            .collect(),
        entitlements: out
            .entitlements
            .iter()
            .map(|e| EntitlementView {
                label: e.label.clone(),
                monthly: e
                    .monthly_fen
                    .map(|f| format!("{}.{:02} 元/月", f / 100, f % 100))
                    .unwrap_or_else(|| "标准不详".into()),
                payable: e.payable,
                policy: e.policy.clone(),
                reasons: reasons(&e.reasons),
            })
            .collect(),
        undetermined: out
            .undetermined
            .iter()
            .map(|u| UndeterminedView {
                label: u.category.label_zh(),
                missing: u.missing.join("；"),
                known: reasons(&u.reasons),
            })
            .collect(),
        parameters: pack
            .parameters_in_force(today)
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("，"),
    })
}

fn resident_view(
    actor: &humiao_core::access::Actor,
    p: &humiao_core::Person,
    relation: &'static str,
    today: chrono::NaiveDate,
) -> Option<ResidentView> {
    Some(ResidentView {
        id: p.id.0,
        name: shown_relative_name(actor, &p.name)?,
        sex: p.sex.label_zh(),
        age: p.age_on(today),
        relation,
        minor: p.is_minor_on(today),
    })
}

/// The person's dwellings with the others tied to them, as far as the role may see addresses
/// and family identities.
async fn house_views(
    state: &AppState,
    actor: &humiao_core::access::Actor,
    person: &humiao_core::Person,
) -> Result<Vec<HouseView>, AppError> {
    let store = state.store();
    let today = state.today();
    let mut out = Vec::new();
    for house in store.houses_of(person.id).await? {
        let Some(address) = shown_address(actor, Some(&house.address_key)) else {
            continue;
        };
        let residents = store
            .residents_of(house.id)
            .await?
            .iter()
            .filter(|r| r.person.id != person.id)
            .filter_map(|r| resident_view(actor, &r.person, r.relation.label_zh(), today))
            .collect();
        out.push(HouseView {
            relation: house.relation.label_zh(),
            address,
            residents,
        });
    }
    Ok(out)
}

async fn render_child(state: &AppState, session: &Session, id: i64) -> Result<Response, AppError> {
    let store = state.store();
    let actor = &session.actor;
    let today = state.today();
    let person = store.person_in_scope(actor, PersonId(id)).await?;
    // Directors and stations work with minors only; the centre may look at anyone it covers.
    if actor.role != Role::CentreStaff && !person.is_minor_on(today) {
        return Err(AppError::NotFound);
    }
    let full = sees_reasons(actor);
    let lineage = sees_lineage(actor);
    let places = state.places().await?;

    let relatives = store.relatives(person.id).await?;
    let houses = house_views(state, actor, &person).await?;
    let members = if full {
        store.household_members(&person).await?
    } else {
        Vec::new()
    };
    let household = members
        .iter()
        .filter_map(|p| resident_view(actor, p, "同户", today))
        .collect();
    let categories = store.categories_of(person.id).await?;
    let alert_rows = store
        .list_alerts(
            actor,
            &AlertFilter {
                status: None,
                person: Some(person.id),
                limit: 100,
                ..Default::default()
            },
        )
        .await?;
    let visits = store.visits_of(person.id).await?;
    let verifications = store.verifications_of(person.id).await?;

    // Lineage: facts about the child and the relatives, and the records linked to them.
    let mut facts: Vec<FactRow> = Vec::new();
    let mut linked: Vec<LinkedRecordRow> = Vec::new();
    let mut sources = Sources::default();
    let mut household_payments: Vec<Fact> = Vec::new();
    if lineage {
        let mut ids = vec![person.id];
        ids.extend(relatives.iter().map(|r| r.person.id));
        facts = store.facts_with_sources(&ids).await?;
        for f in &facts {
            sources.add(f.fact.source, &f.department, &f.file_name, f.line);
        }
        // Payments to the other members of the 户 (a grandparent's 低保), for the rules.
        let housemates: Vec<PersonId> = members
            .iter()
            .map(|m| m.id)
            .filter(|m| !ids.contains(m))
            .collect();
        for row in store.facts_with_sources(&housemates).await? {
            if matches!(row.fact.kind, humiao_core::fact::FactKind::Payment { .. }) {
                sources.add(row.fact.source, &row.department, &row.file_name, row.line);
                household_payments.push(row.fact);
            }
        }
        linked = store.linked_records(person.id).await?;
        for relative in &relatives {
            for r in store.linked_records(relative.person.id).await? {
                sources.add(r.id, &r.department, &r.file_name, r.line);
            }
        }
        for r in &linked {
            sources.add(r.id, &r.department, &r.file_name, r.line);
        }
    }

    let who = |p: PersonId| -> String {
        if p == person.id {
            "本人".to_string()
        } else {
            relatives
                .iter()
                .find(|r| r.person.id == p)
                .map(|r| format!("{}（{}）", r.kind.label_zh(), r.person.name))
                .unwrap_or_else(|| format!("人员#{p}"))
        }
    };
    let fact_view = |row: &FactRow| {
        let Fact {
            person: p,
            kind,
            valid_from,
            valid_to,
            source,
        } = &row.fact;
        FactView {
            who: who(*p),
            description: kind.describe_zh(),
            valid_from: date(*valid_from),
            valid_to: date(*valid_to),
            source: sources.get(*source),
        }
    };

    let rules = if full && lineage {
        let case_facts = CaseFacts {
            relatives: &relatives,
            facts: &facts,
            household_payments: &household_payments,
        };
        Some(rules_view(state, &person, &case_facts, &places, &sources, today).await?)
    } else {
        None
    };
    let category_list: Vec<Category> = categories.iter().map(|c| c.category).collect();
    let open_alert_id = alert_rows
        .iter()
        .filter(|a| a.status == humiao_core::alert::AlertStatus::Open)
        .min_by_key(|a| {
            (
                match a.severity {
                    Severity::Urgent => 0,
                    Severity::High => 1,
                    Severity::Medium => 2,
                    Severity::Low => 3,
                },
                a.due_date,
            )
        })
        .map(|a| a.id);

    // Why the records are one person: the centre's concern (it reviews links), nobody else's.
    let link_evidence = actor.role == Role::CentreStaff;
    let (evidence, evidence_total, person_events) = if link_evidence {
        let pairs = humiao_pipeline::explain_person(store, person.id)
            .await
            .map_err(|e| {
                AppError::Internal(anyhow::Error::new(e).context("explaining a person's links"))
            })?;
        let events = store
            .person_events(person.id)
            .await?
            .into_iter()
            .map(|e| PersonEventView {
                at: local_time(&e.at),
                merged: e.kind == "merged",
                from: e.from_person.0,
                into: e.into_person.0,
            })
            .collect();
        (
            pairs.iter().take(EVIDENCE_PAIRS).map(pair_view).collect(),
            pairs.len(),
            events,
        )
    } else {
        (Vec::new(), 0, Vec::new())
    };
    let template = ChildTemplate {
        link_evidence,
        evidence,
        evidence_total,
        person_events,
        full,
        lineage,
        is_director: actor.role == Role::ChildDirector,
        id: person.id.0,
        name: person.name.to_string(),
        sex: person.sex.label_zh(),
        age: person.age_on(today),
        birth_date: person.birth_date.format("%Y-%m-%d").to_string(),
        citizen_id: shown_citizen_id(actor, person.citizen_id.as_ref()),
        residence_place: places.opt_name(person.residence_grid.as_ref()),
        residence_address: shown_address(actor, person.residence_address.as_deref()),
        hukou_place: full.then(|| places.opt_name(person.hukou_region.as_ref())),
        hukou_address: if full {
            person.hukou_address.clone()
        } else {
            None
        },
        separated: full && person.lives_away_from_registration(),
        household_no: if full {
            person.household_no.clone()
        } else {
            None
        },
        houses,
        household,
        rules,
        risk_override: super::risk_override::section(state, actor, &person).await?,
        relatives: relatives
            .iter()
            .filter_map(|r| {
                Some(RelativeView {
                    relation: r.kind.label_zh(),
                    name: shown_relative_name(actor, &r.person.name)?,
                    citizen_id: if full {
                        shown_citizen_id(actor, r.person.citizen_id.as_ref())
                    } else {
                        None
                    },
                })
            })
            .collect(),
        badges: badges(&category_list, actor.visibility(SensitiveField::Reason)),
        categories: if full {
            categories
                .iter()
                .map(|c| CategoryView {
                    code: c.category.code(),
                    label: c.category.label_zh(),
                    since: c.since.format("%Y-%m-%d").to_string(),
                    assessed_on: c.assessed_on.format("%Y-%m-%d").to_string(),
                    policy: c.policy.clone(),
                    reasons: c
                        .reasons
                        .iter()
                        .map(|r| ReasonView {
                            text: r.text.clone(),
                            sources: r.sources.iter().map(|s| sources.get(*s)).collect(),
                        })
                        .collect(),
                })
                .collect()
        } else {
            Vec::new()
        },
        alerts: alert_rows
            .iter()
            .map(|row| ChildAlertView {
                alert: AlertView::new(row, actor, today, &places),
                sources: if lineage {
                    row.sources.iter().map(|s| sources.get(*s)).collect()
                } else {
                    Vec::new()
                },
            })
            .collect(),
        open_alert_id,
        verifications: verifications
            .iter()
            .map(|v| VerificationView {
                when: local_time(&v.decided_at),
                by: v.user_display_name.clone(),
                category: v.category.label_zh(),
                since: v.category_since.format("%Y-%m-%d").to_string(),
                decision: v.decision.describe_zh(),
                confirmed: v.decision.verdict() == humiao_core::verification::Verdict::Confirmed,
                lapsed: v
                    .lapsed_on
                    .map(|d| format!("规则已不再认定（{}）", d.format("%Y-%m-%d")))
                    .unwrap_or_default(),
            })
            .collect(),
        visits: visits
            .iter()
            .map(|v| VisitView {
                when: local_time(&v.visited_at),
                by: v.user_display_name.clone(),
                position: match (v.latitude, v.longitude) {
                    (Some(lat), Some(lon)) => Some(match v.accuracy_m {
                        Some(acc) => format!("{lat:.5}, {lon:.5}（精度约{acc:.0}米）"),
                        None => format!("{lat:.5}, {lon:.5}"),
                    }),
                    _ => None,
                },
                aspects: v
                    .aspects
                    .iter()
                    .map(|a| (a.label.clone(), a.text.clone()))
                    .collect(),
                notes: v.notes.clone(),
                photo_ids: v.photo_ids.clone(),
                flags: {
                    let mut flags: Vec<_> = v.flags.iter().collect();
                    flags.sort_by_key(|f| !f.code.needs_review());
                    flags
                        .iter()
                        .map(|f| format!("{}：{}", f.code.label_zh(), f.message))
                        .collect()
                },
            })
            .collect(),
        facts: facts.iter().map(fact_view).collect(),
        linked: linked
            .iter()
            .map(|r| LinkedView {
                id: r.id.0,
                department: department_label(&r.department),
                kind: record_kind_label(&r.record_kind),
                file: r.file_name.clone(),
                line: r.line,
                role: mention_role_label(r.role),
                rule: r
                    .rule
                    .map(|rule| rule.label_zh().to_string())
                    .unwrap_or_else(|| "—".into()),
                explanation: r.explanation.clone(),
            })
            .collect(),
        base: Base::new(session, format!("儿童档案 · {}", person.name), ""),
    };
    // The read is on record before anything is shown.
    store
        .audit(&audit_view(session, "person", id, "child.view"))
        .await?;
    page(&template)
}

pub(crate) async fn show(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    IdPath(id): IdPath,
) -> Result<Response, AppError> {
    match render_child(&state, &session, id).await {
        // A person merged into another since the link was made: go to where they live now.
        Err(AppError::NotFound) => {
            let current = state.store().current_person(PersonId(id)).await?;
            if current.0 != id
                && state
                    .store()
                    .person_in_scope(&session.actor, current)
                    .await
                    .is_ok()
            {
                Ok(
                    axum::response::Redirect::to(&format!("/children/{}", current.0))
                        .into_response(),
                )
            } else {
                Err(AppError::NotFound)
            }
        }
        other => other,
    }
}

pub(crate) async fn photo(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    IdPath(id): IdPath,
) -> Result<Response, AppError> {
    let store = state.store();
    let photo = store.photo_in_scope(&session.actor, id).await?;
    store
        .audit(&audit_view(&session, "photo", id, "photo.view"))
        .await?;
    let content_type = match photo.content_type.as_str() {
        t @ ("image/jpeg" | "image/png" | "image/webp") => t.to_string(),
        _ => "application/octet-stream".to_string(),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (header::CONTENT_DISPOSITION, "inline".to_string()),
        ],
        photo.bytes,
    )
        .into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct SearchQuery {
    q: Option<String>,
    category: Option<String>,
    place: Option<String>,
    page: Option<String>,
}

pub(crate) struct PlaceOption {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

pub(crate) struct CategoryOption {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "children_search.html")]
struct SearchTemplate {
    base: Base,
    q: String,
    categories: Vec<CategoryOption>,
    places: Vec<PlaceOption>,
    children: Vec<ChildRowView>,
    error: Option<String>,
    page: i64,
    prev_link: Option<String>,
    next_link: Option<String>,
}

const PAGE_SIZE: i64 = 50;

pub(crate) async fn search(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    AppQuery(query): AppQuery<SearchQuery>,
) -> Result<Response, AppError> {
    let store = state.store();
    let actor = &session.actor;
    let today = state.today();
    let q = query
        .q
        .unwrap_or_default()
        .trim()
        .chars()
        .take(40)
        .collect::<String>();
    let category_code = query.category.unwrap_or_default();
    let reasons = actor.visibility(SensitiveField::Reason);
    // A category whose name discloses a sensitive fact is no filter for users who may not
    // see reasons: the list it gives would disclose it too.
    let may_filter_by = |c: &Category| reasons == Visibility::Full || !c.names_a_sensitive_fact();
    let mut error = None;
    let category = Category::parse(&category_code).filter(|c| {
        let allowed = may_filter_by(c);
        if !allowed {
            error = Some("无权按该类别查询。".to_string());
        }
        allowed
    });
    let place_code = query.place.unwrap_or_default();
    let place = if place_code.is_empty() {
        None
    } else {
        match RegionCode::parse(&place_code) {
            Ok(code) => Some(code),
            Err(_) => {
                error = Some("地区代码无效。".to_string());
                None
            }
        }
    };
    let page_no = query
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=10_000).contains(p))
        .unwrap_or(1);
    let mut rows = store
        .list_children(
            actor,
            &ChildFilter {
                as_of: today,
                query: (!q.is_empty()).then(|| q.clone()),
                category,
                place: place.clone(),
                with_open_alert: false,
                limit: PAGE_SIZE + 1,
                offset: (page_no - 1) * PAGE_SIZE,
            },
        )
        .await?;
    let has_next = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);

    let regions = store.regions().await?;
    let places = state.places().await?;
    // Places the user covers, to narrow by: towns and villages (and grids for directors).
    let place_options = regions
        .iter()
        .filter(|r| {
            let code = &r.region.code;
            actor.jurisdiction.iter().any(|j| j.contains(code))
                && match actor.role {
                    Role::ChildDirector => true,
                    _ => code.level() != RegionLevel::Grid,
                }
        })
        .map(|r| PlaceOption {
            code: r.region.code.to_string(),
            label: format!(
                "{}{}",
                match r.region.code.level() {
                    RegionLevel::County => "",
                    RegionLevel::Town => "· ",
                    RegionLevel::Village => "·· ",
                    RegionLevel::Grid => "··· ",
                },
                r.region.name
            ),
            selected: r.region.code.as_str() == place_code,
        })
        .collect();
    let link = |p: i64| {
        format!(
            "/children?q={}&category={}&place={}&page={p}",
            encode_component(&q),
            encode_component(&category_code),
            encode_component(&place_code)
        )
    };
    let template = SearchTemplate {
        base: Base::new(&session, "儿童查询", "/children"),
        categories: Category::ALL
            .iter()
            .filter(|c| may_filter_by(c))
            .map(|c| CategoryOption {
                code: c.code(),
                label: c.label_zh(),
                selected: Some(*c) == category,
            })
            .collect(),
        places: place_options,
        children: rows
            .iter()
            .map(|s| ChildRowView::new(s, today, &places, reasons))
            .collect(),
        error,
        page: page_no,
        prev_link: (page_no > 1).then(|| link(page_no - 1)),
        next_link: has_next.then(|| link(page_no + 1)),
        q,
    };
    page(&template)
}
