//! The visit form (走访记录): position, photos, the six aspects and notes, answering one alert.
//! Recording it closes the alert and is audited by the store in the same transaction.

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use humiao_store::NewVisit;

use crate::error::AppError;
use crate::extract::IdPath;
use crate::pages::views::{AlertView, PlaceNames};
use crate::render::{page, page_with_status, Base};
use crate::session::{CurrentUser, Session};
use crate::upload::{read_visit_form, VisitUpload, ASPECTS, MAX_PHOTOS, MAX_PHOTO_BYTES};
use crate::AppState;

pub(crate) struct AspectField {
    /// 1-based: the field is `aspect_{index}`.
    pub index: usize,
    pub name: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "visit_form.html")]
struct VisitTemplate {
    base: Base,
    alert: AlertView,
    aspects: Vec<AspectField>,
    notes: String,
    errors: Vec<String>,
    max_photos: usize,
    max_photo_mb: usize,
}

fn render_form(
    session: &Session,
    alert: AlertView,
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
    render_form(&session, view, &VisitUpload::default(), StatusCode::OK)
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
    let upload = read_visit_form(multipart).await?;
    if !upload.errors.is_empty() {
        return render_form(&session, view, &upload, StatusCode::BAD_REQUEST);
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
    };
    let visit_id = state.store().record_visit(&session.actor, &visit).await?;
    tracing::info!(visit_id, alert_id = row.id, "visit recorded");
    Ok(Redirect::to("/m/alerts?done=visit").into_response())
}
