//! The HTTP API for departments (`/api/v1/…`): authenticated by an API key in the
//! `Authorization: Bearer` header, not by a session, so the session layer (and its CSRF check,
//! which guards cookies a browser sends on its own) does not apply. Answers are JSON.
//!
//! `POST /api/v1/events`: one event. It is stored before it is acknowledged; a department's
//! event ID is accepted once (a repeat answers `duplicate` with the first one's id); a
//! malformed event is refused with every problem named by its field, and kept for inspection.
//! `GET /api/openapi.json` describes it.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use humiao_core::event::{parse_event, EventProblem};
use humiao_store::{ApiKeyAuth, EventReceipt};
use serde_json::{json, Value};

use crate::AppState;

/// The OpenAPI description of this API.
const OPENAPI: &str = include_str!("../api/openapi.json");

/// An event is small; anything larger is not one.
pub(crate) const MAX_EVENT_BYTES: usize = 64 * 1024;

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// The key's department, or the answer refusing the request.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<ApiKeyAuth, Response> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let Some(key) = key else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "缺少 API 密钥：请在 Authorization 头中写 Bearer <密钥>",
        ));
    };
    match state.store().authenticate_api_key(key).await {
        Ok(Some(auth)) => Ok(auth),
        Ok(None) => Err(error(StatusCode::UNAUTHORIZED, "API 密钥无效或已吊销")),
        Err(e) => {
            tracing::error!(error = %e, "api key check failed");
            Err(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "暂时无法处理，请稍后重试",
            ))
        }
    }
}

pub(crate) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

pub(crate) async fn post_event(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let auth = match authenticate(&state, &headers).await {
        Ok(auth) => auth,
        Err(refusal) => return refusal,
    };
    if body.len() > MAX_EVENT_BYTES {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("事件不超过 {} KB", MAX_EVENT_BYTES / 1024),
        );
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    let value = serde_json::from_slice::<Value>(&body);
    // The ID a refused event carried, if readable: kept with it for inspection.
    let event_id_sent = value.as_ref().ok().and_then(|v| {
        v.get("event_id")
            .and_then(Value::as_str)
            .map(|s| s.chars().take(100).collect::<String>())
    });
    let parsed = match &value {
        Ok(value) => parse_event(value),
        Err(e) => Err(vec![EventProblem {
            field: "$".into(),
            problem: format!("不是有效的 JSON：{e}"),
        }]),
    };
    let store = state.store();
    let outcome = match parsed {
        Ok(event) => store
            .accept_event(&auth, &event.event_id, event.kind.code(), &text)
            .await
            .map(|receipt| match receipt {
                EventReceipt::Accepted(id) => {
                    state.events_arrived().notify_one();
                    (
                        StatusCode::ACCEPTED,
                        json!({ "id": id, "status": "accepted" }),
                    )
                }
                EventReceipt::Duplicate(id) => {
                    (StatusCode::OK, json!({ "id": id, "status": "duplicate" }))
                }
            }),
        Err(problems) => {
            let problems_json = serde_json::to_string(&problems).unwrap_or_default();
            store
                .refuse_event(&auth, event_id_sent.as_deref(), &text, &problems_json)
                .await
                .map(|id| {
                    (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        json!({
                            "id": id,
                            "status": "refused",
                            "error": "事件格式有误，已留存待查，请修正后以同一事件编号重新发送",
                            "problems": problems,
                        }),
                    )
                })
        }
    };
    match outcome {
        Ok((status, body)) => {
            tracing::info!(
                department = auth.department.code(),
                status = status.as_u16(),
                "event received"
            );
            (status, Json(body)).into_response()
        }
        // Not stored, so not acknowledged: the department sends it again.
        Err(e) => {
            tracing::error!(error = %e, "event not stored");
            error(StatusCode::SERVICE_UNAVAILABLE, "暂时无法保存，请稍后重发")
        }
    }
}
