//! The visit form (走访记录): position, photos, the six aspects and notes, answering one alert.
//! Recording it closes the alert and is audited by the store in the same transaction.

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use humiao_core::alert::AlertParams;
use humiao_rules::RulePack;
use humiao_store::{NewObservation, NewVisit};

use crate::error::AppError;
use crate::extract::IdPath;
use crate::pages::views::{AlertView, PlaceNames};
use crate::render::{page, page_with_status, Base};
use crate::session::{CurrentUser, Session};
use crate::upload::{
    read_visit_form, VisitUpload, ASPECTS, MAX_PHOTOS, MAX_PHOTO_BYTES, OBSERVATION_PREFIX,
};
use crate::AppState;

pub(crate) struct AspectField {
    /// 1-based: the field is `aspect_{index}`.
    pub index: usize,
    pub name: &'static str,
    pub value: String,
}

/// One visit-fed risk indicator of the active pack, asked as 有 / 无 / 未观察.
pub(crate) struct ObservationField {
    /// `obs__<model>__<indicator>`.
    pub name: String,
    pub label: String,
    pub urgent: bool,
    /// "yes", "no" or "" (not observed), as last sent.
    pub value: String,
}

/// The visit-fed indicators of one risk model.
pub(crate) struct ObservationGroup {
    pub label: String,
    pub fields: Vec<ObservationField>,
}

/// The questions the active pack's risk models ask of a visit, with the answers sent.
fn observation_groups(pack: &RulePack, sent: &[(String, String)]) -> Vec<ObservationGroup> {
    pack.risk
        .iter()
        .map(|model| ObservationGroup {
            label: model.label.clone(),
            fields: model
                .indicators
                .iter()
                .filter(|i| i.from_visit)
                .map(|i| {
                    let key = format!("{}__{}", model.code, i.code);
                    ObservationField {
                        name: format!("{OBSERVATION_PREFIX}{key}"),
                        label: i.label.clone(),
                        urgent: i.urgent,
                        value: sent
                            .iter()
                            .find(|(k, _)| *k == key)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default(),
                    }
                })
                .collect(),
        })
        .filter(|g| !g.fields.is_empty())
        .collect()
}

/// The answered observations, checked against the pack: an unknown indicator or a value other
/// than yes / no / empty is an error for the director.
fn parse_observations(
    pack: &RulePack,
    sent: &[(String, String)],
) -> Result<Vec<NewObservation>, String> {
    let mut out = Vec::new();
    for (key, value) in sent {
        let known = key.split_once("__").filter(|(model, code)| {
            pack.risk.iter().any(|m| {
                m.code == *model && m.indicators.iter().any(|i| i.code == *code && i.from_visit)
            })
        });
        let Some((model, indicator)) = known else {
            return Err(format!(
                "风险观察项“{key}”不在当前规则包中，请刷新页面后重填。"
            ));
        };
        let present = match value.as_str() {
            "yes" => true,
            "no" => false,
            "" => continue,
            _ => return Err(format!("风险观察项“{key}”的取值应为“有”“无”或“未观察”。")),
        };
        out.push(NewObservation {
            model: model.to_string(),
            indicator: indicator.to_string(),
            present,
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "visit_form.html")]
struct VisitTemplate {
    base: Base,
    alert: AlertView,
    aspects: Vec<AspectField>,
    observations: Vec<ObservationGroup>,
    notes: String,
    errors: Vec<String>,
    max_photos: usize,
    max_photo_mb: usize,
}

fn render_form(
    session: &Session,
    alert: AlertView,
    pack: &RulePack,
    upload: &VisitUpload,
    status: StatusCode,
) -> Result<Response, AppError> {
    let template = VisitTemplate {
        base: Base::new(session, "走访记录", "/m/alerts"),
        alert,
        aspects: ASPECTS
            .iter()
            .zip(&upload.aspects)
            .enumerate()
            .map(|(i, (name, value))| AspectField {
                index: i + 1,
                name,
                value: value.clone(),
            })
            .collect(),
        observations: observation_groups(pack, &upload.observations),
        notes: upload.notes.clone(),
        errors: upload.errors.clone(),
        max_photos: MAX_PHOTOS,
        max_photo_mb: MAX_PHOTO_BYTES / (1024 * 1024),
    };
    if status == StatusCode::OK {
        page(&template)
    } else {
        page_with_status(status, &template)
    }
}

async fn alert_view(
    state: &AppState,
    session: &Session,
    id: i64,
) -> Result<(humiao_store::AlertRow, AlertView), AppError> {
    let store = state.store();
    let row = store.alert_in_scope(&session.actor, id).await?;
    let places = PlaceNames::load(store).await?;
    let view = AlertView::new(&row, &session.actor, state.today(), &places);
    Ok((row, view))
}

pub(crate) async fn form(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    IdPath(id): IdPath,
) -> Result<Response, AppError> {
    let (_, view) = alert_view(&state, &session, id).await?;
    let pack = humiao_pipeline::active_pack(state.store()).await?;
    render_form(
        &session,
        view,
        &pack,
        &VisitUpload::default(),
        StatusCode::OK,
    )
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    IdPath(id): IdPath,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let (row, view) = alert_view(&state, &session, id).await?;
    let multipart = multipart
        .map_err(|_| AppError::BadRequest("走访表单须以 multipart/form-data 提交。".into()))?;
    let mut upload = read_visit_form(multipart).await?;
    let pack = humiao_pipeline::active_pack(state.store()).await?;
    let observations = parse_observations(&pack, &upload.observations).unwrap_or_else(|e| {
        upload.errors.push(e);
        Vec::new()
    });
    if !upload.errors.is_empty() {
        return render_form(&session, view, &pack, &upload, StatusCode::BAD_REQUEST);
    }
    let visit = NewVisit {
        person: row.person_id,
        alert_id: Some(row.id),
        visited_at: Utc::now(),
        latitude: upload.latitude,
        longitude: upload.longitude,
        accuracy_m: upload.accuracy_m,
        aspects: upload.aspect_map(),
        notes: upload.notes.trim().to_string(),
        photos: upload.photos,
        observations,
        observed_on: state.today(),
    };
    let visit_id = state.store().record_visit(&session.actor, &visit).await?;
    tracing::info!(visit_id, alert_id = row.id, "visit recorded");
    if !visit.observations.is_empty() {
        // What the director saw changes the child's risk now, not at the next nightly run.
        // The visit is saved either way; a failure here is caught up by that run.
        match humiao_pipeline::assess_children(
            state.store(),
            &[row.person_id],
            state.today(),
            &pack,
            &AlertParams::default(),
        )
        .await
        {
            Ok(report) => {
                humiao_pipeline::notify_all(&humiao_pipeline::LogNotifier, &report.notifications);
            }
            Err(e) => {
                tracing::error!(visit_id, error = %e, "re-assessment after the visit failed")
            }
        }
    }
    Ok(Redirect::to("/m/alerts?done=visit").into_response())
}
