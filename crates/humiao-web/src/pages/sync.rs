//! The phone's queue of visits recorded offline, sent when the connection returns.
//!
//! `GET /m/sync/token`: the session's CSRF token and user id, as JSON, for the script that
//! sends the queue (a page read from the phone's cache may be older than the session).
//! Never stored by the service worker.
//!
//! `POST /m/sync/visits`: one queued visit, as the visit form's multipart body plus
//! `client_id` (the phone's UUID for the visit), `alert_id` and `recorded_at` (the phone's
//! clock), CSRF-protected like every other post (`X-CSRF-Token`). It goes through the same
//! [`visit::record`] as the form. The answer is JSON `{status, visit_id, message}`:
//!
//! | status | HTTP | meaning | the phone |
//! |---|---|---|---|
//! | `created` | 201 | stored, the alert closed | removes it from the queue |
//! | `duplicate` | 200 | stored before (same `client_id`): nothing stored now | removes it |
//! | `conflict` | 200 | stored as a visit to the child; the alert had been closed meanwhile by another visit, left untouched | removes it, shows `message` |
//! | `refused` | 404 / 422 / 413 / 400 | not stored: the child or alert is not (or no longer) in the director's scope, or the visit is invalid | keeps it in 「同步冲突」 with `message` until discarded |
//!
//! Anything else (a 5xx, no answer) leaves the visit queued for the next attempt. A session
//! that has ended answers the CSRF check with 403 and the token with a redirect to the login
//! page: the phone keeps the queue and asks the director to sign in again.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::AppError;
use crate::pages::visit::{self, Outcome, Recorded};
use crate::session::CurrentUser;
use crate::AppState;

/// `GET /m/sync/token`.
pub(crate) async fn token(CurrentUser(session): CurrentUser) -> Response {
    Json(json!({
        "csrf_token": session.csrf_token,
        "user_id": session.user.id,
    }))
    .into_response()
}

fn answer(status: StatusCode, word: &str, visit_id: Option<i64>, message: &str) -> Response {
    (
        status,
        Json(json!({ "status": word, "visit_id": visit_id, "message": message })),
    )
        .into_response()
}

/// Why a queued visit cannot be stored, for the director: the phone keeps it until they
/// discard it.
fn refused(status: StatusCode, message: &str) -> Response {
    answer(status, "refused", None, message)
}

/// `POST /m/sync/visits`.
pub(crate) async fn visits(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let recorded = async {
        let upload = visit::read_form(multipart).await?;
        if upload.client_id.is_none() {
            return Err(AppError::BadRequest(
                "缺少走访编号（client_id），无法保证不重复保存。".into(),
            ));
        }
        let alert_id = upload
            .alert_id
            .ok_or_else(|| AppError::BadRequest("缺少预警编号（alert_id）。".into()))?;
        visit::record(&state, &session, alert_id, upload).await
    }
    .await;
    Ok(match recorded {
        Ok(Recorded::Stored(Outcome::Created { visit_id })) => answer(
            StatusCode::CREATED,
            "created",
            Some(visit_id),
            "走访已同步，预警已办结。",
        ),
        Ok(Recorded::Stored(Outcome::Duplicate { visit_id })) => answer(
            StatusCode::OK,
            "duplicate",
            Some(visit_id),
            "该走访此前已同步，未重复保存。",
        ),
        Ok(Recorded::Stored(Outcome::Conflict { visit_id, message })) => {
            answer(StatusCode::OK, "conflict", Some(visit_id), &message)
        }
        Ok(Recorded::Invalid { upload, .. }) => refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("走访记录有误，未能保存：{}", upload.errors.join("；")),
        ),
        Err(AppError::NotFound) => refused(
            StatusCode::NOT_FOUND,
            "该预警不存在，或该儿童已不在您负责的网格内：本次走访未能保存。\
             请联系乡镇儿童督导员核实；核实后可删除本机上的这条记录。",
        ),
        Err(AppError::BadRequest(message)) => refused(
            StatusCode::BAD_REQUEST,
            &format!("走访记录未能保存：{message}"),
        ),
        Err(AppError::TooLarge) => refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "照片过大，未能保存：每张照片不超过10MB，一次合计不超过40MB。",
        ),
        // Internal errors: the phone keeps the visit and tries again later.
        Err(other) => return Err(other),
    })
}
