//! 风险等级人工调整: a director or the centre sets a child's level under a risk model with a
//! stated reason (domain brief §4: the score supports a person's decision, never makes it).
//! The override holds while the model still gives the level it overrode; every one is kept and
//! shown, and each is audited.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use humiao_core::access::{Actor, Role};
use humiao_core::{Person, PersonId};
use humiao_rules::RulePack;
use humiao_store::{NewRiskOverride, RiskRow};
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{AppForm, IdPath};
use crate::render::local_time;
use crate::session::CurrentUser;
use crate::AppState;

/// Reasons shorter than this say nothing; longer ones belong in a visit record.
const REASON_CHARS: std::ops::RangeInclusive<usize> = 4..=500;

/// Who may set a level: the director who visits and the centre.
fn may_override(actor: &Actor) -> bool {
    matches!(actor.role, Role::ChildDirector | Role::CentreStaff)
}

pub(crate) struct LevelOption {
    pub code: String,
    pub label: String,
}

pub(crate) struct OverrideView {
    pub created_at: String,
    pub username: String,
    pub from: String,
    pub to: String,
    pub reason: String,
    pub holds: bool,
}

/// The section of the child's page: the model's latest level, the level in force and the
/// form, for the general (first) model.
pub(crate) struct OverrideSection {
    pub model: String,
    pub model_label: String,
    pub computed: String,
    pub computed_colour: String,
    pub assessed_on: String,
    /// The override in force: (label, colour, who, reason).
    pub effective: Option<(String, String, String, String)>,
    pub levels: Vec<LevelOption>,
    pub history: Vec<OverrideView>,
}

/// The latest stored assessment of the pack's first model, if the child has one.
fn latest<'a>(pack: &RulePack, history: &'a [RiskRow]) -> Option<&'a RiskRow> {
    let model = pack.risk.first()?;
    history.iter().find(|r| r.model == model.code)
}

pub(crate) async fn section(
    state: &AppState,
    actor: &Actor,
    person: &Person,
) -> Result<Option<OverrideSection>, AppError> {
    if !may_override(actor) {
        return Ok(None);
    }
    let store = state.store();
    let pack = humiao_pipeline::active_pack(store).await?;
    let history = store.risk_history(person.id).await?;
    let (Some(model), Some(row)) = (pack.risk.first(), latest(&pack, &history)) else {
        return Ok(None);
    };
    let overrides = store.risk_overrides_of(person.id).await?;
    let mine: Vec<_> = overrides
        .iter()
        .filter(|o| o.set.model == model.code)
        .collect();
    let effective = mine.first().filter(|o| o.holds_at(row.level)).map(|o| {
        (
            o.set.level_label.clone(),
            o.set.colour.clone(),
            o.username.clone(),
            o.set.reason.clone(),
        )
    });
    Ok(Some(OverrideSection {
        model: model.code.clone(),
        model_label: model.label.clone(),
        computed: row.level_label.clone(),
        computed_colour: row.colour.clone(),
        assessed_on: row.assessed_on.format("%Y-%m-%d").to_string(),
        effective,
        levels: model
            .levels
            .iter()
            .map(|l| LevelOption {
                code: l.code.clone(),
                label: l.label.clone(),
            })
            .collect(),
        history: mine
            .iter()
            .enumerate()
            .map(|(i, o)| OverrideView {
                created_at: local_time(&o.created_at),
                username: o.username.clone(),
                from: o.set.computed_label.clone(),
                to: o.set.level_label.clone(),
                reason: o.set.reason.clone(),
                holds: i == 0 && o.holds_at(row.level),
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct OverrideForm {
    pub model: String,
    pub level: String,
    #[serde(default)]
    pub reason: String,
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    IdPath(id): IdPath,
    AppForm(form): AppForm<OverrideForm>,
) -> Result<Response, AppError> {
    let actor = &session.actor;
    if !may_override(actor) {
        return Err(AppError::Forbidden);
    }
    let store = state.store();
    let person = store.person_in_scope(actor, PersonId(id)).await?;
    let reason = form.reason.trim().to_string();
    if !REASON_CHARS.contains(&reason.chars().count()) {
        return Err(AppError::BadRequest(format!(
            "请写明调整理由（{}–{}字）。",
            REASON_CHARS.start(),
            REASON_CHARS.end()
        )));
    }
    let pack = humiao_pipeline::active_pack(store).await?;
    let model = pack
        .risk
        .iter()
        .find(|m| m.code == form.model)
        .ok_or_else(|| AppError::BadRequest("没有这个风险模型，请刷新页面后重试。".into()))?;
    let (index, level) = model
        .levels
        .iter()
        .enumerate()
        .find(|(_, l)| l.code == form.level)
        .ok_or_else(|| AppError::BadRequest("请选择一个风险等级。".into()))?;
    let history = store.risk_history(person.id).await?;
    let row = history
        .iter()
        .find(|r| r.model == model.code)
        .ok_or_else(|| AppError::BadRequest("该儿童尚无风险评估，无法调整。".into()))?;
    store
        .override_risk(
            actor,
            &NewRiskOverride {
                person: person.id,
                model: model.code.clone(),
                computed_level: row.level,
                computed_label: row.level_label.clone(),
                level: index as i64,
                level_label: level.label.clone(),
                colour: level.colour.clone(),
                reason,
            },
        )
        .await?;
    // The level sets how often the child is visited.
    humiao_pipeline::refresh_schedules(store, &pack, state.today(), &[person.id]).await?;
    Ok(Redirect::to(&format!("/children/{id}#risk-override")).into_response())
}
