//! Extractors whose rejections go through [`AppError`], so a malformed form or query string is
//! a 400 page like any other bad input.

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::Form;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// An urlencoded form.
#[derive(Debug)]
pub(crate) struct AppForm<T>(pub T);

impl<S, T> FromRequest<S> for AppForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Form::<T>::from_request(req, state)
            .await
            .map(|Form(t)| AppForm(t))
            .map_err(|_| AppError::BadRequest("表单内容无法识别，请返回后重试。".into()))
    }
}

/// A query string.
#[derive(Debug)]
pub(crate) struct AppQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| AppQuery(t))
            .map_err(|_| AppError::BadRequest("查询参数无效。".into()))
    }
}

/// A numeric id in the path; anything else is "not found" (as a missing record would be).
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdPath(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(IdPath)
            .ok_or(AppError::NotFound)
    }
}
