//! Passwords, signing in and out.
//!
//! Passwords are argon2id PHC strings; verifying one is CPU work and runs on the blocking pool.
//! An unknown user and a wrong password get the same answer and cost the same time. Five
//! consecutive failures lock the account for 15 minutes. Every sign-in, failure and lock is
//! audited; passwords never reach a log or the audit trail.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use humiao_store::{AuditEntry, UserRow};
use rand::RngCore;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::AppForm;
use crate::render::{page_with_status, Base};
use crate::session::{
    cookie, is_token, random_token, token_hash, CurrentUser, MaybeUser, LOGIN_CSRF_COOKIE,
    LOGIN_PATH, SESSION_COOKIE,
};
use crate::{AppState, SESSION_TTL};

/// Consecutive failures that lock an account.
const MAX_FAILURES: i64 = 5;
/// How long a locked account stays locked.
const LOCK_MINUTES: i64 = 15;
const WRONG_CREDENTIALS: &str = "用户名或密码错误";
const LOCKED: &str = "账号已锁定，请15分钟后再试";

/// Hashes a password as an argon2id PHC string (for creating users).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))?;
    Ok(hash.to_string())
}

/// Verifies against a stored hash; a malformed hash never verifies.
fn verify_password(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A hash to verify against when the user is unknown, so both cases take as long.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("humiao-timing-equaliser").unwrap_or_default())
}

async fn verify_blocking(stored: String, password: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || verify_password(&stored, &password))
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("password check")))
}

fn cookie_header(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTemplate {
    base: Base,
    username: String,
    error: Option<String>,
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    csrf: String,
    username: String,
    error: Option<String>,
) -> Result<Response, AppError> {
    let cookie = cookie_header(
        LOGIN_CSRF_COOKIE,
        &csrf,
        LOGIN_PATH,
        4 * 3600,
        state.config().secure_cookies,
    );
    let template = LoginTemplate {
        base: Base::anonymous("登录", csrf),
        username,
        error,
    };
    let mut response = page_with_status(status, &template)?;
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// The login form, with a fresh (or the current) pre-session CSRF token.
pub(crate) async fn login_form(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let csrf = cookie(&headers, LOGIN_CSRF_COOKIE)
        .filter(|t| is_token(t))
        .map(str::to_string)
        .unwrap_or_else(random_token);
    login_page(&state, StatusCode::OK, csrf, String::new(), None)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn audit_entry(user_id: Option<i64>, username: &str, action: &str, detail: &str) -> AuditEntry {
    AuditEntry {
        user_id,
        // Whatever was typed, bounded: it is not trusted.
        username: username.chars().take(64).collect(),
        action: action.into(),
        target_kind: "user".into(),
        target_id: user_id.map(|id| id.to_string()).unwrap_or_default(),
        detail: detail.into(),
    }
}

pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppForm(form): AppForm<LoginForm>,
) -> Result<Response, AppError> {
    // The CSRF layer has checked this cookie against the form.
    let csrf = cookie(&headers, LOGIN_CSRF_COOKIE)
        .filter(|t| is_token(t))
        .map(str::to_string)
        .unwrap_or_else(random_token);
    let username = form.username.trim().to_string();
    let store = state.store();
    let refuse = |message: &str| {
        login_page(
            &state,
            StatusCode::OK,
            csrf.clone(),
            username.clone(),
            Some(message.to_string()),
        )
    };

    let user = if username.is_empty() {
        None
    } else {
        store.user_by_username(&username).await?
    };
    let Some(user) = user.filter(|u| u.active) else {
        verify_blocking(dummy_hash().to_string(), form.password).await?;
        store
            .audit(&audit_entry(
                None,
                &username,
                "login.failure",
                "unknown or inactive user",
            ))
            .await?;
        return refuse(WRONG_CREDENTIALS);
    };

    let now = Utc::now();
    let mut failures = user.failed_logins;
    if let Some(until) = user.locked_until {
        if until > now {
            store
                .audit(&audit_entry(
                    Some(user.id),
                    &user.username,
                    "login.failure",
                    "account locked",
                ))
                .await?;
            return refuse(LOCKED);
        }
        // The lock has run out: counting starts again.
        store.reset_failed_logins(user.id).await?;
        failures = 0;
    }

    if !verify_blocking(user.password_hash.clone(), form.password).await? {
        failures += 1;
        let lock_until = (failures >= MAX_FAILURES).then(|| now + Duration::minutes(LOCK_MINUTES));
        store.record_failed_login(user.id, lock_until).await?;
        store
            .audit(&audit_entry(
                Some(user.id),
                &user.username,
                "login.failure",
                &format!("wrong password ({failures}/{MAX_FAILURES})"),
            ))
            .await?;
        if lock_until.is_some() {
            store
                .audit(&audit_entry(
                    Some(user.id),
                    &user.username,
                    "login.lock",
                    &format!("locked for {LOCK_MINUTES} minutes after {failures} failures"),
                ))
                .await?;
        }
        return refuse(WRONG_CREDENTIALS);
    }

    start_session(&state, &user).await
}

async fn start_session(state: &AppState, user: &UserRow) -> Result<Response, AppError> {
    let store = state.store();
    if user.failed_logins > 0 || user.locked_until.is_some() {
        store.reset_failed_logins(user.id).await?;
    }
    let token = random_token();
    let ttl = Duration::from_std(SESSION_TTL).expect("session lifetime fits");
    store
        .create_session(
            &token_hash(&token),
            user.id,
            &random_token(),
            Utc::now() + ttl,
        )
        .await?;
    store
        .audit(&audit_entry(
            Some(user.id),
            &user.username,
            "login.success",
            "",
        ))
        .await?;
    let secure = state.config().secure_cookies;
    Ok((
        AppendHeaders([
            (
                header::SET_COOKIE,
                cookie_header(SESSION_COOKIE, &token, "/", ttl.num_seconds(), secure),
            ),
            (
                header::SET_COOKIE,
                cookie_header(LOGIN_CSRF_COOKIE, "", LOGIN_PATH, 0, secure),
            ),
        ]),
        Redirect::to("/"),
    )
        .into_response())
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let store = state.store();
    store.delete_session(&session.token_hash).await?;
    store
        .audit(&audit_entry(
            Some(session.user.id),
            &session.user.username,
            "logout",
            "",
        ))
        .await?;
    Ok((
        AppendHeaders([
            (
                header::SET_COOKIE,
                cookie_header(SESSION_COOKIE, "", "/", 0, state.config().secure_cookies),
            ),
            // The director's pages kept for offline reading and the queue of unsent visits
            // are children's data: they leave the phone with the session (docs/offline.md).
            (
                HeaderName::from_static("clear-site-data"),
                CLEAR_SITE_DATA.to_string(),
            ),
        ]),
        Redirect::to(LOGIN_PATH),
    )
        .into_response())
}

/// What signing out clears in the browser: caches (the service worker's copies of pages) and
/// storage (the queue in IndexedDB, the service worker itself). Not cookies: the session
/// cookie is expired by name, and the login form's cookie is unaffected.
const CLEAR_SITE_DATA: &str = "\"cache\", \"storage\"";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let hash = hash_password("秘密 password").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "秘密 password"));
        assert!(!verify_password(&hash, "wrong"));
        assert!(!verify_password("not a hash", "wrong"));
    }
}
