//! The one place where errors become HTTP responses.
//!
//! Bad input is the user's to fix: a 4xx page with a clear message, not logged as an error.
//! Anything internal becomes a generic 500 page; its detail travels in a response extension to
//! [`log_internal_errors`], which logs it inside the request's span, and is never shown.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use humiao_store::StoreError;

use crate::render::{render_error_page, ErrorPage};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Absent, or outside the user's jurisdiction: the two look the same.
    #[error("not found")]
    NotFound,
    /// Signed in, but the role may not use this page.
    #[error("forbidden")]
    Forbidden,
    /// A form without a valid CSRF token (or a session that has ended).
    #[error("csrf token missing or wrong")]
    Csrf,
    /// Not signed in: browsers go to the login page.
    #[error("not signed in")]
    Unauthenticated,
    #[error("request body too large")]
    TooLarge,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(message) => Self::BadRequest(message),
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<humiao_pipeline::PipelineError> for AppError {
    fn from(e: humiao_pipeline::PipelineError) -> Self {
        match e {
            humiao_pipeline::PipelineError::Store(e) => e.into(),
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(anyhow::Error::new(e).context("rendering a template"))
    }
}

/// The detail of an internal error, for the logging middleware only.
#[derive(Debug, Clone)]
struct InternalDetail(Arc<String>);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            Self::Unauthenticated => return Redirect::to("/login").into_response(),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "未找到",
                "您要查看的页面或记录不存在，或不在您的管辖范围内。".to_string(),
            ),
            Self::Forbidden => (
                StatusCode::FORBIDDEN,
                "无权访问",
                "您的角色无权使用此页面。".to_string(),
            ),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "请求已失效",
                "表单已过期或来源无法验证，请返回页面刷新后重试；如会话已结束，请重新登录。"
                    .to_string(),
            ),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "内容过大",
                "提交的内容过大。每张照片不超过10MB，一次提交合计不超过40MB。".to_string(),
            ),
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, "请求有误", message.clone()),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "系统错误",
                "系统暂时无法完成请求，请稍后再试。如问题持续，请联系管理员。".to_string(),
            ),
        };
        let mut response = render_error_page(
            status,
            ErrorPage {
                title,
                message: &message,
            },
        );
        if let Self::Internal(e) = &self {
            response
                .extensions_mut()
                .insert(InternalDetail(Arc::new(format!("{e:#}"))));
        }
        response
    }
}

/// Logs the detail of internal errors in the request's span. Messages of store errors name
/// no person: the store masks values in its own error texts.
pub(crate) async fn log_internal_errors(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if let Some(InternalDetail(detail)) = response.extensions_mut().remove::<InternalDetail>() {
        tracing::error!(error = %detail, "request failed");
    } else if response.status() == StatusCode::PAYLOAD_TOO_LARGE
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"text/plain"))
    {
        // The hard body limit answers with a bare 413; give it the page.
        return AppError::TooLarge.into_response();
    }
    response
}
