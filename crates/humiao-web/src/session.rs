//! Identity and CSRF: one layer for every request, one guard per group of routes.
//!
//! [`layer`] reads the session cookie, loads the session (only the SHA-256 of the token is
//! stored), puts it in the request's extensions, and refuses every unsafe method whose CSRF
//! token does not match: the session's token, or for the login form the pre-session cookie
//! (double submit). The token may come as the `X-CSRF-Token` header, the `csrf_token` field of
//! an urlencoded form, or the `csrf_token` part of a multipart form. [`require_roles`] then
//! sends anonymous browsers to the login page and refuses roles a route does not admit.
//! Handlers take [`CurrentUser`].

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Form;
use chrono::Utc;
use humiao_core::access::{Actor, Role};
use humiao_store::UserRow;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::{AppState, MAX_FORM_BYTES};

pub(crate) const SESSION_COOKIE: &str = "humiao_session";
/// The pre-session token of the login form (double-submit cookie).
pub(crate) const LOGIN_CSRF_COOKIE: &str = "humiao_login_csrf";
pub(crate) const CSRF_FIELD: &str = "csrf_token";
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";
pub(crate) const LOGIN_PATH: &str = "/login";

/// A signed-in user's session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub user: UserRow,
    pub actor: Actor,
    pub csrf_token: String,
    pub token_hash: String,
    /// The centre's navigation shows how many record pairs await review (待核对); loaded for
    /// the centre's page views only, `None` otherwise.
    pub review_pending: Option<i64>,
    /// Directors: open alerts in their grids (the badge on 我的预警).
    pub open_alerts: Option<i64>,
    /// Directors: findings in their grids still to verify (the badge on 待核实).
    pub pending_verifications: Option<i64>,
}

impl Session {
    pub fn role(&self) -> Role {
        self.user.role
    }
}

/// 32 random bytes, hex-encoded: session tokens and CSRF tokens.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `s` looks like one of our tokens (so junk never reaches the database).
pub(crate) fn is_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The value of cookie `name`, if sent.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// Compares in time independent of where the strings differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn token_matches(given: Option<&str>, expected: &str) -> bool {
    given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes()))
}

/// Loads the session and checks CSRF on unsafe methods.
pub(crate) async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let safe = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    // Assets, the service worker, the manifest and the health check need no identity: spare
    // the database. The departments' API authenticates by key, not by cookie, so a browser's
    // ambient session (and CSRF) has nothing to do with it.
    let path = req.uri().path();
    let static_path =
        path.starts_with("/assets/") || path == "/healthz" || crate::offline::is_static_path(path);
    if (safe && static_path) || path.starts_with("/api/") {
        return next.run(req).await;
    }
    let session = match load_session(&state, req.headers()).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    if !safe {
        let expected = if req.uri().path() == LOGIN_PATH {
            cookie(req.headers(), LOGIN_CSRF_COOKIE)
                .filter(|t| is_token(t))
                .map(str::to_string)
        } else {
            session.as_ref().map(|s| s.csrf_token.clone())
        };
        req = match check_csrf(req, expected.as_deref()).await {
            Ok(req) => req,
            Err(e) => return e.into_response(),
        };
    }
    if let Some(mut session) = session {
        // Pages (safe methods) show the count in the navigation; form posts redirect.
        if safe && session.role() == Role::CentreStaff {
            session.review_pending = match state.store().count_review().await {
                Ok(n) => Some(n),
                Err(e) => return AppError::from(e).into_response(),
            };
        }
        if safe && session.role() == Role::ChildDirector {
            let badges = match state.cached_badges(session.user.id) {
                Some(b) => b,
                None => {
                    let store = state.store();
                    let counted = async {
                        Ok::<_, humiao_store::StoreError>(crate::Badges {
                            open_alerts: store.count_open_alerts(&session.actor).await?,
                            pending_verifications: store
                                .count_pending_verifications(&session.actor, state.today())
                                .await?,
                        })
                    };
                    match counted.await {
                        Ok(b) => {
                            state.cache_badges(session.user.id, b);
                            b
                        }
                        Err(e) => return AppError::from(e).into_response(),
                    }
                }
            };
            session.open_alerts = Some(badges.open_alerts);
            session.pending_verifications = Some(badges.pending_verifications);
        } else if !safe && session.role() == Role::ChildDirector {
            // A visit, a decision, a reveal: what the badges count may change.
            state.forget_badges(session.user.id);
        }
        req.extensions_mut().insert(Arc::new(session));
    }
    next.run(req).await
}

async fn load_session(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, AppError> {
    let Some(token) = cookie(headers, SESSION_COOKIE).filter(|t| is_token(t)) else {
        return Ok(None);
    };
    let hash = token_hash(token);
    let Some(row) = state.store().session(&hash, Utc::now()).await? else {
        return Ok(None);
    };
    Ok(Some(Session {
        actor: row.user.actor(),
        user: row.user,
        csrf_token: row.csrf_token,
        token_hash: hash,
        review_pending: None,
        open_alerts: None,
        pending_verifications: None,
    }))
}

/// Passes the request on (with its body intact) if it carries the expected token.
async fn check_csrf(req: Request, expected: Option<&str>) -> Result<Request, AppError> {
    // Without a session (or login cookie) no token can be right: refuse before reading a body.
    let Some(expected) = expected else {
        return Err(AppError::Csrf);
    };
    if let Some(given) = req.headers().get(CSRF_HEADER) {
        return if token_matches(given.to_str().ok(), expected) {
            Ok(req)
        } else {
            Err(AppError::Csrf)
        };
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let multipart = content_type.starts_with("multipart/form-data");
    let urlencoded = content_type.starts_with("application/x-www-form-urlencoded");
    if !multipart && !urlencoded {
        return Err(AppError::Csrf);
    }
    let (parts, body) = req.into_parts();
    // Multipart bodies are bounded by the hard request limit; ordinary forms are small.
    let limit = if multipart {
        usize::MAX
    } else {
        MAX_FORM_BYTES
    };
    let bytes = to_bytes(body, limit).await.map_err(|e| {
        if is_length_limit(&e) {
            AppError::TooLarge
        } else {
            AppError::BadRequest("请求内容读取失败，请重试。".into())
        }
    })?;
    let probe = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
    let given = if multipart {
        multipart_token(probe).await
    } else {
        Form::<Vec<(String, String)>>::from_request(probe, &())
            .await
            .ok()
            .and_then(|Form(pairs)| pairs.into_iter().find(|(k, _)| k == CSRF_FIELD))
            .map(|(_, v)| v)
    };
    if token_matches(given.as_deref(), expected) {
        Ok(Request::from_parts(parts, Body::from(bytes)))
    } else {
        Err(AppError::Csrf)
    }
}

async fn multipart_token(probe: Request) -> Option<String> {
    let mut multipart = Multipart::from_request(probe, &()).await.ok()?;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some(CSRF_FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

/// Whether a body error came from a length limit (ours or the hard request limit).
pub(crate) fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// Admits only signed-in users of `roles`.
pub(crate) async fn require_roles(
    State(roles): State<&'static [Role]>,
    req: Request,
    next: Next,
) -> Response {
    match req.extensions().get::<Arc<Session>>() {
        None => AppError::Unauthenticated.into_response(),
        Some(s) if !roles.contains(&s.role()) => AppError::Forbidden.into_response(),
        Some(_) => next.run(req).await,
    }
}

/// The signed-in user; routes behind [`require_roles`] always have one.
#[derive(Debug, Clone)]
pub(crate) struct CurrentUser(pub Arc<Session>);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Arc<Session>>()
            .cloned()
            .map(CurrentUser)
            .ok_or(AppError::Unauthenticated)
    }
}

/// The signed-in user, if any (for pages open to everyone, like the login form).
#[derive(Debug, Clone)]
pub(crate) struct MaybeUser(pub Option<Arc<Session>>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeUser {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(parts.extensions.get::<Arc<Session>>().cloned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; humiao_session_x=2; humiao_session=abc"
                .parse()
                .unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn tokens_are_64_hex_digits() {
        assert!(is_token(&random_token()));
        assert!(!is_token("abc"));
        assert_ne!(random_token(), random_token());
    }

    #[test]
    fn token_comparison_needs_an_exact_match() {
        assert!(token_matches(Some("abc"), "abc"));
        assert!(!token_matches(Some("abd"), "abc"));
        assert!(!token_matches(Some("ab"), "abc"));
        assert!(!token_matches(None, "abc"));
    }
}
