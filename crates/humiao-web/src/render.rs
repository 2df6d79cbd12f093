//! Rendering: the base layout's data (title, navigation per role, CSRF token), the one wrapper
//! that turns a template into a response, and small display helpers.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, FixedOffset};
use humiao_core::access::Role;

use crate::assets;
use crate::error::AppError;
use crate::session::Session;

#[derive(Debug, Clone)]
pub(crate) struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub active: bool,
}

/// The signed-in user as the header shows them.
#[derive(Debug, Clone)]
pub(crate) struct UserBadge {
    pub name: String,
    pub role: &'static str,
}

/// What the base layout shows around every page.
#[derive(Debug, Clone)]
pub(crate) struct Base {
    pub title: String,
    pub user: Option<UserBadge>,
    pub nav: Vec<NavItem>,
    pub csrf_token: String,
    /// A success message shown at the top of the page.
    pub notice: Option<String>,
    /// Cache-busting suffix for asset URLs.
    pub asset_version: &'static str,
    /// Phone-first pages get a narrower layout.
    pub phone: bool,
    /// A signed-in director: the page registers the service worker, shows the offline banner
    /// and the queue of unsent visits (docs/offline.md). Their user id, to keep one user's
    /// queue from being sent under another's session.
    pub offline_user: Option<i64>,
}

/// The centre's queue of record pairs awaiting review; its nav entry carries the count.
const REVIEW_PATH: &str = "/linking/review";
/// A director's alerts; its nav entry carries the number open (the in-app badge).
const ALERTS_PATH: &str = "/m/alerts";
/// A director's suspected children to verify; its nav entry carries the number pending.
const VERIFY_PATH: &str = "/m/verify";

/// The pages of each role's top navigation.
fn nav_for(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::ChildDirector => &[
            ("/m/alerts", "我的预警"),
            ("/m/plan", "走访计划"),
            (VERIFY_PATH, "待核实"),
            ("/m/children", "我的儿童"),
            ("/children", "查询"),
        ],
        Role::StationStaff => &[
            ("/centre", "总览"),
            ("/centre/alerts", "预警"),
            ("/centre/visits", "走访督导"),
            ("/centre/verifications", "核实反馈"),
            ("/children", "儿童查询"),
        ],
        Role::CentreStaff => &[
            ("/centre", "总览"),
            ("/centre/alerts", "预警"),
            ("/centre/visits", "走访督导"),
            ("/centre/verifications", "核实反馈"),
            ("/children", "儿童查询"),
            ("/imports", "数据导入"),
            (REVIEW_PATH, "待核对"),
            ("/centre/rules", "规则包"),
            ("/centre/fairness", "公平性报告"),
            ("/centre/reveals", "查看记录"),
            ("/centre/events", "推送事件"),
            ("/audit", "审计日志"),
        ],
        Role::DepartmentLiaison => &[("/imports", "数据导入")],
        Role::Administrator => &[("/admin/users", "用户管理")],
        Role::Auditor => &[("/audit", "审计日志")],
    }
}

impl Base {
    /// A page for a signed-in user; `active` is the nav entry to highlight.
    pub fn new(session: &Session, title: impl Into<String>, active: &str) -> Self {
        let role = session.role();
        Self {
            title: title.into(),
            user: Some(UserBadge {
                name: session.user.display_name.clone(),
                role: role.label_zh(),
            }),
            nav: nav_for(role)
                .iter()
                .map(|&(href, label)| NavItem {
                    href,
                    label: match (
                        session.review_pending,
                        session.open_alerts,
                        session.pending_verifications,
                    ) {
                        (Some(n), _, _) if href == REVIEW_PATH => format!("{label} ({n})"),
                        (_, Some(n), _) if href == ALERTS_PATH && n > 0 => {
                            format!("{label} ({n})")
                        }
                        (_, _, Some(n)) if href == VERIFY_PATH && n > 0 => {
                            format!("{label} ({n})")
                        }
                        _ => label.to_string(),
                    },
                    active: href == active,
                })
                .collect(),
            csrf_token: session.csrf_token.clone(),
            notice: None,
            asset_version: assets::version(),
            phone: role == Role::ChildDirector,
            offline_user: (role == Role::ChildDirector).then_some(session.user.id),
        }
    }

    /// A page without a signed-in user (login, errors).
    pub fn anonymous(title: impl Into<String>, csrf_token: String) -> Self {
        Self {
            title: title.into(),
            user: None,
            nav: Vec::new(),
            csrf_token,
            notice: None,
            asset_version: assets::version(),
            phone: true,
            offline_user: None,
        }
    }

    pub fn with_notice(mut self, notice: Option<String>) -> Self {
        self.notice = notice;
        self
    }
}

/// Renders a page; a template error is an internal error.
pub(crate) fn page<T: Template>(template: &T) -> Result<Response, AppError> {
    Ok(Html(template.render()?).into_response())
}

/// Renders a page with a status other than 200.
pub(crate) fn page_with_status<T: Template>(
    status: StatusCode,
    template: &T,
) -> Result<Response, AppError> {
    Ok((status, Html(template.render()?)).into_response())
}

pub(crate) struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate<'a> {
    base: Base,
    status: u16,
    message: &'a str,
}

pub(crate) fn render_error_page(status: StatusCode, error: ErrorPage<'_>) -> Response {
    let template = ErrorTemplate {
        base: Base::anonymous(error.title, String::new()),
        status: status.as_u16(),
        message: error.message,
    };
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering the error page failed");
            (status, error.title.to_string()).into_response()
        }
    }
}

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// A stored RFC 3339 timestamp as China time, `2026-11-22 09:30`.
pub(crate) fn local_time(stored: &str) -> String {
    DateTime::parse_from_rfc3339(stored)
        .map(|t| {
            t.with_timezone(&china())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| stored.to_string())
}

pub(crate) fn opt_local_time(stored: Option<&str>) -> String {
    stored.map(local_time).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_are_shown_in_china_time() {
        assert_eq!(local_time("2026-11-22T01:30:00Z"), "2026-11-22 09:30");
        assert_eq!(local_time("not a time"), "not a time");
    }
}
