//! The visit form (走访记录): position, photos, the aspects of the pack's visit form (the
//! national six, as a locality configures them) and notes, answering one alert. Recording it
//! closes the alert, stores the plausibility flags and is audited by the store in the same
//! transaction; a flag never refuses the visit.
//!
//! Two ways in, one path ([`record`]): the form posted by the browser, and the phone's queue of
//! visits recorded offline (`POST /m/sync/visits`, see [`crate::pages::sync`]).

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use humiao_core::alert::AlertParams;
use humiao_rules::visit::{check_params, form_of};
use humiao_rules::RulePack;
use humiao_store::{ClosedAlert, NewObservation, NewVisit};

use crate::error::AppError;
use crate::extract::IdPath;
use crate::pages::views::AlertView;
use crate::render::{local_time, page, page_with_status, Base};
use crate::session::{random_token, CurrentUser, Session};
use crate::upload::{
    read_visit_form, VisitUpload, ASPECT_PREFIX, MAX_PHOTOS, MAX_PHOTO_BYTES, OBSERVATION_PREFIX,
};
use crate::AppState;

pub(crate) struct AspectField {
    /// 1-based position: the element id is `aspect-{index}`.
    pub index: usize,
    /// The field name, `aspect_<code>`.
    pub name: String,
    pub label: String,
    pub hint: Option<String>,
    pub required: bool,
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
    /// The visit's identifier for a form posted without JavaScript (a second post of the same
    /// form stores nothing); the phone's script gives each visit its own.
    client_id: String,
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
        aspects: form_of(pack)
            .aspects
            .iter()
            .enumerate()
            .map(|(i, a)| AspectField {
                index: i + 1,
                name: format!("{ASPECT_PREFIX}{}", a.code),
                label: a.label.clone(),
                hint: a.hint.clone(),
                required: a.required,
                value: upload.aspect_text(&a.code, i + 1),
            })
            .collect(),
        observations: observation_groups(pack, &upload.observations),
        notes: upload.notes.clone(),
        errors: upload.errors.clone(),
        max_photos: MAX_PHOTOS,
        max_photo_mb: MAX_PHOTO_BYTES / (1024 * 1024),
        client_id: upload
            .client_id
            .clone()
            .unwrap_or_else(|| random_token()[..32].to_string()),
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
    let places = state.places().await?;
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

/// What became of a visit sent by the form or by the phone's queue.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Stored; the alert it answers is closed (unless it had been closed before the form was
    /// opened: a supplementary visit).
    Created { visit_id: i64 },
    /// Stored before (the same `client_id`): nothing stored now.
    Duplicate { visit_id: i64 },
    /// Stored as a visit to the child, but the alert had been closed meanwhile by another
    /// visit, which is left as it was: the director is told.
    Conflict { visit_id: i64, message: String },
}

/// The result of [`record`]: stored, or problems in the form for the director to fix.
pub(crate) enum Recorded {
    Stored(Outcome),
    Invalid {
        upload: Box<VisitUpload>,
        pack: std::sync::Arc<RulePack>,
    },
}

/// Visits recorded on the phone more than this far ahead of the server's clock are taken as
/// recorded now (the phone's clock is wrong).
const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(10);

/// Records a visit answering alert `alert_id` as read from the form: the one path of the
/// browser's form post and of the phone's sync.
///
/// A `client_id` already recorded by this director answers `Duplicate` before anything else
/// (even if the child has left the grid since: the visit was stored when it was theirs). An
/// alert outside the director's scope is `NotFound`. What the director must fix comes back as
/// [`Recorded::Invalid`]. The store keeps visit, photos and the closing in one transaction.
pub(crate) async fn record(
    state: &AppState,
    session: &Session,
    alert_id: i64,
    mut upload: VisitUpload,
) -> Result<Recorded, AppError> {
    let store = state.store();
    if let Some(client_id) = &upload.client_id {
        if let Some(visit_id) = store.visit_by_client_id(&session.actor, client_id).await? {
            return Ok(Recorded::Stored(Outcome::Duplicate { visit_id }));
        }
    }
    let row = store.alert_in_scope(&session.actor, alert_id).await?;
    let pack = humiao_pipeline::active_pack(store).await?;
    let aspects = form_of(&pack)
        .collect(&upload.aspects)
        .unwrap_or_else(|problems| {
            upload.errors.extend(problems);
            Vec::new()
        });
    let observations = parse_observations(&pack, &upload.observations).unwrap_or_else(|e| {
        upload.errors.push(e);
        Vec::new()
    });
    if !upload.errors.is_empty() {
        return Ok(Recorded::Invalid {
            upload: Box::new(upload),
            pack,
        });
    }
    let now = Utc::now();
    let visited_at = upload
        .recorded_at
        .filter(|t| *t <= now + CLOCK_SKEW)
        .unwrap_or(now);
    // The visit's day by the application's "today": a visit queued two days ago was
    // observed two days before today.
    let days_ago = (humiao_store::visit_day(now) - humiao_store::visit_day(visited_at))
        .num_days()
        .max(0);
    let visit = NewVisit {
        person: row.person_id,
        alert_id: Some(row.id),
        visited_at,
        latitude: upload.latitude,
        longitude: upload.longitude,
        accuracy_m: upload.accuracy_m,
        aspects,
        notes: upload.notes.trim().to_string(),
        photos: std::mem::take(&mut upload.photos),
        observations,
        observed_on: state.today() - chrono::Duration::days(days_ago),
        checks: check_params(&pack, state.today()),
        client_id: upload.client_id.clone(),
    };
    let recorded = store.record_visit(&session.actor, &visit).await?;
    let visit_id = recorded.id;
    if recorded.duplicate {
        return Ok(Recorded::Stored(Outcome::Duplicate { visit_id }));
    }
    tracing::info!(
        visit_id,
        alert_id = row.id,
        photos = visit.photos.len(),
        queued = upload.recorded_at.is_some(),
        "visit recorded"
    );
    if !visit.observations.is_empty() {
        // What the director saw changes the child's risk now, not at the next nightly run.
        // The visit is saved either way; a failure here is caught up by that run.
        match humiao_pipeline::assess_children(
            store,
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
    Ok(Recorded::Stored(match recorded.alert_closed_before {
        // Closed before the form was opened: the director knew (补充走访记录).
        Some(closed) if upload.expect_open => Outcome::Conflict {
            visit_id,
            message: conflict_message(&closed),
        },
        _ => Outcome::Created { visit_id },
    }))
}

/// 「该预警已于…由其他走访办结，本次走访已另行保存」
fn conflict_message(closed: &ClosedAlert) -> String {
    let when = closed
        .closed_at
        .as_deref()
        .map(|t| format!("于{}", local_time(t)))
        .unwrap_or_default();
    let by = closed
        .closed_by
        .as_deref()
        .map(|name| format!("（{name}）"))
        .unwrap_or_default();
    format!(
        "该预警已{when}由其他走访{by}办结，本次走访已另行保存为对该儿童的走访记录，\
         原办结记录未改动。"
    )
}

/// The multipart body, or the director's explanation why it is not one.
pub(crate) async fn read_form(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<VisitUpload, AppError> {
    let multipart = multipart
        .map_err(|_| AppError::BadRequest("走访表单须以 multipart/form-data 提交。".into()))?;
    read_visit_form(multipart).await
}

/// The form posted by the browser (without JavaScript, or as a fallback).
pub(crate) async fn submit(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    IdPath(id): IdPath,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    // Outside the director's scope: not found, before reading the body.
    state.store().alert_in_scope(&session.actor, id).await?;
    let upload = read_form(multipart).await?;
    match record(&state, &session, id, upload).await? {
        // The alerts page tells the director what the checks flagged (their own visit only).
        Recorded::Stored(Outcome::Created { visit_id } | Outcome::Duplicate { visit_id }) => {
            Ok(Redirect::to(&format!("/m/alerts?done=visit&visit={visit_id}")).into_response())
        }
        Recorded::Stored(Outcome::Conflict { .. }) => {
            Ok(Redirect::to("/m/alerts?done=conflict").into_response())
        }
        Recorded::Invalid { upload, pack } => {
            let (_, view) = alert_view(&state, &session, id).await?;
            render_form(&session, view, &pack, &upload, StatusCode::BAD_REQUEST)
        }
    }
}
