//! The centre's and stations' pages: the dashboard (总览) and the alert list, scoped to the
//! user's jurisdiction by the store.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use humiao_core::access::Role;
use humiao_core::alert::{AlertStatus, RouteLevel};
use humiao_store::{AlertFilter, CountRow};
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::AppQuery;
use crate::pages::views::{sees_reasons, AlertView};
use crate::render::{page, Base};
use crate::session::CurrentUser;
use crate::AppState;

pub(crate) struct CategoryCount {
    pub code: &'static str,
    pub label: &'static str,
    pub count: i64,
}

#[derive(Template)]
#[template(path = "centre_dashboard.html")]
struct DashboardTemplate {
    base: Base,
    today: String,
    scope: String,
    children: i64,
    towns: Vec<CountRow>,
    categories: Vec<CategoryCount>,
    alerts_open: i64,
    alerts_closed: i64,
    alerts_overdue: i64,
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let store = state.store();
    let today = state.today();
    let d = store.dashboard(&session.actor, today).await?;
    let places = state.places().await?;
    let scope = session
        .actor
        .jurisdiction
        .iter()
        .map(|c| places.name(c))
        .collect::<Vec<_>>()
        .join("、");
    page(&DashboardTemplate {
        base: Base::new(&session, "总览", "/centre"),
        today: today.format("%Y-%m-%d").to_string(),
        scope,
        children: d.children,
        towns: d.by_town,
        categories: d
            .by_category
            .iter()
            .map(|(c, n)| CategoryCount {
                code: c.code(),
                label: c.label_zh(),
                count: *n,
            })
            .collect(),
        alerts_open: d.alerts_open,
        alerts_closed: d.alerts_closed,
        alerts_overdue: d.alerts_overdue,
    })
}

#[derive(Deserialize)]
pub(crate) struct AlertsQuery {
    status: Option<String>,
    /// `mine`: only alerts routed (or escalated) to the user's own level — the station's
    /// 镇街督办, the centre's 县中心督办.
    routed: Option<String>,
}

#[derive(Template)]
#[template(path = "centre_alerts.html")]
struct AlertsTemplate {
    base: Base,
    routed_mine: bool,
    status: &'static str,
    show_detail: bool,
    alerts: Vec<AlertView>,
}

pub(crate) async fn alerts(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    AppQuery(query): AppQuery<AlertsQuery>,
) -> Result<Response, AppError> {
    let store = state.store();
    let status =
        match query.status.as_deref() {
            None | Some("") => Some(AlertStatus::Open),
            Some("all") => None,
            Some(s) => Some(AlertStatus::parse(s).ok_or_else(|| {
                AppError::BadRequest("预警状态只能是 open、closed 或 all。".into())
            })?),
        };
    let routed_mine = match query.routed.as_deref() {
        None | Some("") => false,
        Some("mine") => true,
        Some(_) => return Err(AppError::BadRequest("routed 只能是 mine。".into())),
    };
    let level = match session.actor.role {
        Role::CentreStaff => RouteLevel::County,
        _ => RouteLevel::Town,
    };
    let rows = store
        .list_alerts(
            &session.actor,
            &AlertFilter {
                status,
                person: None,
                limit: 500,
                offset: 0,
                routed_to: routed_mine.then_some(level),
            },
        )
        .await?;
    let places = state.places().await?;
    let today = state.today();
    page(&AlertsTemplate {
        base: Base::new(&session, "预警", "/centre/alerts"),
        routed_mine,
        status: status.map(AlertStatus::as_str).unwrap_or("all"),
        show_detail: sees_reasons(&session.actor),
        alerts: rows
            .iter()
            .map(|r| AlertView::new(r, &session.actor, today, &places))
            .collect(),
    })
}

pub(crate) struct RevealView {
    pub created_at: String,
    pub expires_at: String,
    pub username: String,
    pub child_id: i64,
    pub child_name: String,
    pub alert_id: i64,
    pub purpose: String,
}

#[derive(Template)]
#[template(path = "centre_reveals.html")]
struct RevealsTemplate {
    base: Base,
    reveals: Vec<RevealView>,
}

/// 详情查看记录: who read which alert's detail, when, for what stated purpose (the centre's
/// review of purpose-bound reveals).
pub(crate) async fn reveals(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let rows = state.store().reveals(500).await?;
    page(&RevealsTemplate {
        base: Base::new(&session, "详情查看记录", "/centre/reveals"),
        reveals: rows
            .into_iter()
            .map(|(r, child_name)| RevealView {
                created_at: crate::render::local_time(&r.created_at),
                expires_at: crate::render::local_time(&r.expires_at),
                username: r.username,
                child_id: r.person_id.0,
                child_name,
                alert_id: r.alert_id,
                purpose: r.purpose,
            })
            .collect(),
    })
}

pub(crate) struct EventView {
    pub id: i64,
    pub received_at: String,
    pub department: &'static str,
    pub event_id: String,
    pub kind: String,
    pub refused: bool,
    /// For a refused event: each problem as "field：problem".
    pub problems: Vec<String>,
    /// The body as sent, cut to a readable length.
    pub body: String,
    /// For an accepted event: what processing did (「涉及儿童2名，生成预警2条」), or that it
    /// waits to be processed.
    pub outcome: String,
}

#[derive(Template)]
#[template(path = "centre_events.html")]
struct EventsTemplate {
    base: Base,
    events: Vec<EventView>,
    only_refused: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct EventsQuery {
    pub status: Option<String>,
}

/// 部门推送事件: what departments pushed, newest first; refused ones with their problems, for
/// inspection. Reading it is audited (the bodies name people).
pub(crate) async fn events(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    AppQuery(query): AppQuery<EventsQuery>,
) -> Result<Response, AppError> {
    let only_refused = query.status.as_deref() == Some("refused");
    let store = state.store();
    let rows = store.events(only_refused.then_some("refused"), 200).await?;
    store
        .audit(&humiao_store::AuditEntry {
            user_id: Some(session.user.id),
            username: session.user.username.clone(),
            action: "events.view".into(),
            target_kind: "events".into(),
            target_id: if only_refused { "refused" } else { "all" }.into(),
            detail: format!("{} event(s)", rows.len()),
        })
        .await?;
    let events = rows
        .into_iter()
        .map(|e| {
            let problems: Vec<humiao_core::event::EventProblem> = e
                .problems_json
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or_default();
            EventView {
                id: e.id,
                received_at: crate::render::local_time(&e.received_at),
                department: humiao_core::Department::parse(&e.department)
                    .map_or("未知部门", |d| d.label_zh()),
                event_id: e.event_id.unwrap_or_else(|| "（无）".into()),
                kind: e
                    .kind
                    .as_deref()
                    .and_then(humiao_core::event::EventKind::parse)
                    .map_or("—".to_string(), |k| k.label_zh().to_string()),
                refused: e.status == "refused",
                problems: problems
                    .into_iter()
                    .map(|p| format!("{}：{}", p.field, p.problem))
                    .collect(),
                body: e.body.chars().take(600).collect(),
                outcome: match (&e.processed_at, &e.outcome_json) {
                    (Some(_), Some(json)) => serde_json::from_str::<serde_json::Value>(json)
                        .ok()
                        .and_then(|v| v["summary"].as_str().map(str::to_string))
                        .unwrap_or_default(),
                    _ if e.status == "accepted" => "待处理".into(),
                    _ => String::new(),
                },
            }
        })
        .collect();
    page(&EventsTemplate {
        base: Base::new(&session, "部门推送事件", "/centre/events"),
        events,
        only_refused,
    })
}
