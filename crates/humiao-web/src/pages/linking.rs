//! The centre's clerical review of record linkage (人工核对): the queue of pairs the linker could
//! not decide, each pair's field-by-field explanation, and the clerk's conclusion (同一人 /
//! 不同人), which the store records, audits and takes off the queue in one transaction, and which
//! every later linking run respects.
//!
//! Only the county centre reaches these pages (the guard in [`crate::router`]): the queue spans
//! the county, so it is not scoped by jurisdiction. This module changes no person itself: a
//! conclusion takes effect when linking next runs (`humiao link`). Reading a pair's explanation
//! shows two records' identities and is audited like a child's page.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use humiao_link::PairExplanation;
use humiao_store::{AuditEntry, DecisionRow, Store};
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{AppForm, AppQuery};
use crate::pages::views::encode_component;
use crate::render::{local_time, page, Base};
use crate::session::{CurrentUser, Session};
use crate::AppState;

/// How many pairs the queue page lists (the strongest first).
const QUEUE_PAGE: i64 = 200;
/// The longest note kept with a conclusion, in characters.
const NOTE_CHARS: usize = 200;

/// A clerk's conclusion about two records (核对结论).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conclusion {
    SamePerson,
    DifferentPersons,
}

impl Conclusion {
    /// The form value, as the store also spells it.
    fn parse(s: &str) -> Option<Self> {
        match s {
            "same_person" => Some(Self::SamePerson),
            "different_persons" => Some(Self::DifferentPersons),
            _ => None,
        }
    }

    fn label_zh(self) -> &'static str {
        match self {
            Self::SamePerson => "同一人",
            Self::DifferentPersons => "不同人",
        }
    }
}

pub(crate) struct ReviewRowView {
    pub a: String,
    pub b: String,
    pub probability: String,
    pub person_a: Option<i64>,
    pub person_b: Option<i64>,
    pub href: String,
}

#[derive(Template)]
#[template(path = "linking_review.html")]
struct ReviewTemplate {
    base: Base,
    total: i64,
    rows: Vec<ReviewRowView>,
    /// Set when the queue holds more pairs than the page lists.
    truncated: bool,
}

/// One field of a pair explanation, ready to show.
pub(crate) struct FieldView {
    pub label: String,
    pub level: String,
    pub weight: String,
    /// `weight-plus`, `weight-minus` or `weight-zero`.
    pub weight_class: &'static str,
    pub left: String,
    pub right: String,
}

/// A pair explanation, ready to show (also on the person page). Values of ID fields come
/// masked from the linker.
pub(crate) struct PairView {
    pub a: String,
    pub b: String,
    /// The pair's own page, where a clerk may record a conclusion.
    pub href: String,
    pub fields: Vec<FieldView>,
    pub prior: String,
    pub name_frequency: String,
    pub total: String,
    pub probability: String,
    pub verdict: &'static str,
    pub blocking: String,
    /// The deterministic rule that linked the pair, if one did.
    pub rule: Option<String>,
    /// The constraint that kept a matching pair apart, if one did.
    pub constraint: Option<String>,
}

fn signed(weight: f64) -> String {
    format!("{weight:+.2}")
}

fn weight_class(weight: f64) -> &'static str {
    if weight > 0.0 {
        "weight-plus"
    } else if weight < 0.0 {
        "weight-minus"
    } else {
        "weight-zero"
    }
}

pub(crate) fn pair_href(a: &str, b: &str) -> String {
    format!(
        "/linking/pair?a={}&b={}",
        encode_component(a),
        encode_component(b)
    )
}

pub(crate) fn pair_view(p: &PairExplanation) -> PairView {
    PairView {
        a: p.a.clone(),
        b: p.b.clone(),
        href: pair_href(&p.a, &p.b),
        fields: p
            .fields
            .iter()
            .map(|f| FieldView {
                label: f.label.clone(),
                level: f.level_label.clone(),
                weight: signed(f.weight),
                weight_class: weight_class(f.weight),
                left: f.left.clone(),
                right: f.right.clone(),
            })
            .collect(),
        prior: signed(p.prior_weight),
        name_frequency: signed(p.name_frequency_adjustment),
        total: signed(p.total_weight),
        probability: format!("{:.2}%", p.probability * 100.0),
        verdict: p.verdict.label_zh(),
        blocking: if p.blocking.is_empty() {
            "无".to_string()
        } else {
            p.blocking
                .iter()
                .map(|b| b.label_zh())
                .collect::<Vec<_>>()
                .join("、")
        },
        rule: p.rule.clone(),
        constraint: p.constraint.clone(),
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct ReviewQuery {
    done: Option<String>,
}

pub(crate) async fn review(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    AppQuery(query): AppQuery<ReviewQuery>,
) -> Result<Response, AppError> {
    let store = state.store();
    let total = store.count_review().await?;
    let rows: Vec<ReviewRowView> = store
        .review_queue(QUEUE_PAGE)
        .await?
        .into_iter()
        .map(|r| ReviewRowView {
            href: pair_href(&r.record_a, &r.record_b),
            probability: format!("{:.1}%", r.probability * 100.0),
            person_a: r.person_a.map(|p| p.0),
            person_b: r.person_b.map(|p| p.0),
            a: r.record_a,
            b: r.record_b,
        })
        .collect();
    let notice = query
        .done
        .is_some()
        .then(|| "已记录核对结论，下次关联时生效（运行 humiao link）".to_string());
    page(&ReviewTemplate {
        base: Base::new(&session, "待人工核对", "/linking/review").with_notice(notice),
        truncated: total > rows.len() as i64,
        total,
        rows,
    })
}

#[derive(Deserialize)]
pub(crate) struct PairQuery {
    a: String,
    b: String,
}

/// An earlier conclusion on the pair.
pub(crate) struct DecidedView {
    pub conclusion: &'static str,
    pub at: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "linking_pair.html")]
struct PairTemplate {
    base: Base,
    pair: PairView,
    /// Whether the pair is in the review queue.
    queued: bool,
    person_a: Option<i64>,
    person_b: Option<i64>,
    decided: Option<DecidedView>,
}

/// The two keys in the order the store keeps pairs, so audit rows of one pair always agree.
fn ordered<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

fn audit_view(session: &Session, a: &str, b: &str) -> AuditEntry {
    let (a, b) = ordered(a, b);
    AuditEntry {
        user_id: Some(session.user.id),
        username: session.user.username.clone(),
        action: "view_link_pair".into(),
        target_kind: "record_pair".into(),
        target_id: format!("{a}|{b}"),
        detail: format!("role {}", session.role().code()),
    }
}

/// Two distinct, well-formed record keys (`123:subject`); anything else names no pair.
fn valid_pair(a: &str, b: &str) -> bool {
    a != b
        && humiao_pipeline::parse_mention_key(a).is_some()
        && humiao_pipeline::parse_mention_key(b).is_some()
}

async fn explain(store: &Store, a: &str, b: &str) -> Result<Option<PairExplanation>, AppError> {
    humiao_pipeline::explain_pair(store, a, b)
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("explaining a pair")))
}

fn decided_view(row: &DecisionRow) -> DecidedView {
    DecidedView {
        conclusion: Conclusion::parse(&row.decision)
            .map(Conclusion::label_zh)
            .unwrap_or("未知"),
        at: local_time(&row.decided_at),
        note: row.note.clone(),
    }
}

pub(crate) async fn pair(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    AppQuery(query): AppQuery<PairQuery>,
) -> Result<Response, AppError> {
    let (a, b) = (query.a.as_str(), query.b.as_str());
    if !valid_pair(a, b) {
        return Err(AppError::NotFound);
    }
    let store = state.store();
    let explanation = explain(store, a, b).await?.ok_or(AppError::NotFound)?;
    let queued = store.review_pair(a, b).await?;
    let (first, second) = ordered(a, b);
    let decided = store
        .link_decisions()
        .await?
        .iter()
        .find(|d| d.record_a == first && d.record_b == second)
        .map(decided_view);
    // Person ids as the queue knows them; the explanation itself names records only.
    let (person_a, person_b) = match &queued {
        Some(r) if r.record_a == a => (r.person_a, r.person_b),
        Some(r) => (r.person_b, r.person_a),
        None => (None, None),
    };
    let template = PairTemplate {
        base: Base::new(&session, "记录比对说明", "/linking/review"),
        pair: pair_view(&explanation),
        queued: queued.is_some(),
        person_a: person_a.map(|p| p.0),
        person_b: person_b.map(|p| p.0),
        decided,
    };
    // The read is on record before anything is shown.
    store.audit(&audit_view(&session, a, b)).await?;
    page(&template)
}

#[derive(Deserialize)]
pub(crate) struct DecisionForm {
    a: String,
    b: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

pub(crate) async fn decide(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    AppForm(form): AppForm<DecisionForm>,
) -> Result<Response, AppError> {
    if !valid_pair(&form.a, &form.b) {
        return Err(AppError::NotFound);
    }
    let conclusion = Conclusion::parse(&form.decision)
        .ok_or_else(|| AppError::BadRequest("请选择“同一人”或“不同人”。".into()))?;
    let store = state.store();
    // A conclusion about records that do not exist would bind nothing: refuse it as the page
    // would. A queued pair exists; any other must still be explainable.
    if store.review_pair(&form.a, &form.b).await?.is_none()
        && explain(store, &form.a, &form.b).await?.is_none()
    {
        return Err(AppError::NotFound);
    }
    let note: String = form.note.trim().chars().take(NOTE_CHARS).collect();
    store
        .decide_link(
            &form.a,
            &form.b,
            conclusion == Conclusion::SamePerson,
            session.user.id,
            &session.user.username,
            &note,
        )
        .await?;
    Ok(Redirect::to("/linking/review?done=1").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conclusions_parse_from_their_form_values_only() {
        assert_eq!(
            Conclusion::parse("same_person"),
            Some(Conclusion::SamePerson)
        );
        assert_eq!(
            Conclusion::parse("different_persons"),
            Some(Conclusion::DifferentPersons)
        );
        assert_eq!(Conclusion::parse("same"), None);
        assert_eq!(Conclusion::parse(""), None);
    }

    #[test]
    fn a_pair_needs_two_distinct_well_formed_keys() {
        assert!(valid_pair("1:subject", "2:father"));
        assert!(!valid_pair("1:subject", "1:subject"));
        assert!(!valid_pair("1", "2:subject"));
        assert!(!valid_pair("x:subject", "2:subject"));
        assert!(!valid_pair("1:cousin", "2:subject"));
    }

    #[test]
    fn pair_links_encode_the_keys() {
        assert_eq!(
            pair_href("1:subject", "22:mother"),
            "/linking/pair?a=1%3Asubject&b=22%3Amother"
        );
    }

    #[test]
    fn weights_are_signed_with_two_decimals() {
        assert_eq!(signed(1.234), "+1.23");
        assert_eq!(signed(-0.5), "-0.50");
        assert_eq!(weight_class(0.0), "weight-zero");
        assert_eq!(weight_class(-0.1), "weight-minus");
    }
}
