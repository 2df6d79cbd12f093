//! The centre's clerical review of record linkage: the queue of pairs the linker could not decide,
//! each pair's field-by-field explanation, and the decision (同一人 / 不同人), audited and respected
//! by every later linking run.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use humiao_link::PairExplanation;
use humiao_store::AuditEntry;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{AppForm, AppQuery};
use crate::render::{page, Base};
use crate::session::{CurrentUser, Session};
use crate::AppState;

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
}

/// One field of a pair explanation, ready to show.
pub(crate) struct FieldView {
    pub label: String,
    pub level: String,
    pub weight: String,
    pub positive: bool,
    pub left: String,
    pub right: String,
}

/// A pair explanation, ready to show (also used on the person page).
pub(crate) struct PairView {
    pub a: String,
    pub b: String,
    pub fields: Vec<FieldView>,
    pub prior: String,
    pub name_frequency: String,
    pub total: String,
    pub probability: String,
    pub verdict: &'static str,
    pub blocking: String,
    pub note: Option<String>,
}

pub(crate) fn pair_view(p: &PairExplanation) -> PairView {
    PairView {
        a: p.a.clone(),
        b: p.b.clone(),
        fields: p
            .fields
            .iter()
            .map(|f| FieldView {
                label: f.label.clone(),
                level: f.level_label.clone(),
                weight: format!("{:+.2}", f.weight),
                positive: f.weight > 0.0,
                left: f.left.clone(),
                right: f.right.clone(),
            })
            .collect(),
        prior: format!("{:+.2}", p.prior_weight),
        name_frequency: format!("{:+.2}", p.name_frequency_adjustment),
        total: format!("{:+.2}", p.total_weight),
        probability: format!("{:.2}%", p.probability * 100.0),
        verdict: p.verdict.label_zh(),
        blocking: p
            .blocking
            .iter()
            .map(|b| b.label_zh())
            .collect::<Vec<_>>()
            .join("、"),
        note: p.rule.clone().or_else(|| p.constraint.clone()),
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
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
    let rows = store
        .review_queue(200)
        .await?
        .into_iter()
        .map(|r| ReviewRowView {
            href: format!(
                "/linking/pair?a={}&b={}",
                encode(&r.record_a),
                encode(&r.record_b)
            ),
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
        total,
        rows,
    })
}

#[derive(Deserialize)]
pub(crate) struct PairQuery {
    a: String,
    b: String,
}

#[derive(Template)]
#[template(path = "linking_pair.html")]
struct PairTemplate {
    base: Base,
    pair: PairView,
    queued: bool,
    decided: Option<String>,
}

fn audit(session: &Session, action: &str, a: &str, b: &str, detail: String) -> AuditEntry {
    AuditEntry {
        user_id: Some(session.user.id),
        username: session.user.username.clone(),
        action: action.into(),
        target_kind: "record_pair".into(),
        target_id: format!("{a}|{b}"),
        detail,
    }
}

fn valid_key(key: &str) -> bool {
    humiao_pipeline::parse_mention_key(key).is_some()
}

pub(crate) async fn pair(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    AppQuery(query): AppQuery<PairQuery>,
) -> Result<Response, AppError> {
    if !valid_key(&query.a) || !valid_key(&query.b) {
        return Err(AppError::NotFound);
    }
    let store = state.store();
    let explanation = humiao_pipeline::explain_pair(store, &query.a, &query.b)
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .ok_or(AppError::NotFound)?;
    store
        .audit(&audit(
            &session,
            "view_link_pair",
            &query.a,
            &query.b,
            format!("role {}", session.role().code()),
        ))
        .await?;
    let queued = store.review_pair(&query.a, &query.b).await?.is_some();
    let decided = store
        .link_decisions()
        .await?
        .into_iter()
        .find(|d| {
            (d.record_a == query.a && d.record_b == query.b)
                || (d.record_a == query.b && d.record_b == query.a)
        })
        .map(|d| {
            format!(
                "{}（{}）",
                if d.decision == "same_person" {
                    "已核对：同一人"
                } else {
                    "已核对：不同人"
                },
                d.decided_at
            )
        });
    page(&PairTemplate {
        base: Base::new(&session, "记录比对说明", "/linking/review"),
        pair: pair_view(&explanation),
        queued,
        decided,
    })
}

#[derive(Deserialize)]
pub(crate) struct DecisionForm {
    a: String,
    b: String,
    decision: String,
    #[serde(default)]
    note: String,
}

pub(crate) async fn decide(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    AppForm(form): AppForm<DecisionForm>,
) -> Result<Response, AppError> {
    if !valid_key(&form.a) || !valid_key(&form.b) || form.a == form.b {
        return Err(AppError::BadRequest("记录编号无效。".into()));
    }
    let same = match form.decision.as_str() {
        "same_person" => true,
        "different_persons" => false,
        _ => return Err(AppError::BadRequest("请选择“同一人”或“不同人”。".into())),
    };
    let note: String = form.note.trim().chars().take(200).collect();
    state
        .store()
        .decide_link(
            &form.a,
            &form.b,
            same,
            session.user.id,
            &session.user.username,
            &note,
        )
        .await?;
    Ok(Redirect::to("/linking/review?done=1").into_response())
}
