//! User administration (read-only for now): users, roles and jurisdictions.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;

use crate::error::AppError;
use crate::render::{page, Base};
use crate::session::CurrentUser;
use crate::AppState;

pub(crate) struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: &'static str,
    pub jurisdiction: String,
    pub active: bool,
    pub locked: bool,
    pub failed_logins: i64,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersTemplate {
    base: Base,
    users: Vec<UserView>,
}

pub(crate) async fn users(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let store = state.store();
    let users = store.users().await?;
    let places = state.places().await?;
    let now = Utc::now();
    page(&UsersTemplate {
        base: Base::new(&session, "用户管理", "/admin/users"),
        users: users
            .iter()
            .map(|u| UserView {
                id: u.id,
                username: u.username.clone(),
                display_name: u.display_name.clone(),
                role: u.role.label_zh(),
                jurisdiction: u
                    .jurisdiction
                    .iter()
                    .map(|c| format!("{}（{c}）", places.name(c)))
                    .collect::<Vec<_>>()
                    .join("、"),
                active: u.active,
                locked: u.locked_until.is_some_and(|t| t > now),
                failed_logins: u.failed_logins,
            })
            .collect(),
    })
}
