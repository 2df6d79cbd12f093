//! The child director's phone pages: my alerts, my children.
//!
//! A director is told *that* something changed and how urgent it is, never the detail: alerts
//! show their masked message only.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use humiao_core::access::SensitiveField;
use humiao_store::{AlertFilter, ChildFilter};
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{AppForm, AppQuery, IdPath};
use crate::pages::views::{AlertView, ChildRowView, PageQuery, Pager};
use crate::render::{page, Base};
use crate::session::CurrentUser;
use crate::AppState;

#[derive(Template)]
#[template(path = "director_alerts.html")]
struct AlertsTemplate {
    base: Base,
    open: Vec<AlertView>,
    closed: Vec<AlertView>,
    overdue: usize,
    /// All open alerts (the page shows [`OPEN_PAGE`] of them).
    open_total: i64,
    pages: Pager,
    /// What the checks flagged on the visit just saved ("位置偏离：…").
    visit_flags: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct AlertsQuery {
    done: Option<String>,
    /// The visit just saved, whose flags to show (only the director's own).
    visit: Option<String>,
    #[serde(flatten)]
    paging: PageQuery,
}

/// How many open alerts a page of 我的预警 lists (most urgent first; the count covers all).
const OPEN_PAGE: i64 = 40;
/// How many recently closed ones its first page lists below them.
const CLOSED_SHOWN: i64 = 10;

pub(crate) async fn alerts(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    AppQuery(query): AppQuery<AlertsQuery>,
) -> Result<Response, AppError> {
    let store = state.store();
    let today = state.today();
    // A phone's page: the open alerts, most urgent first, and on the first page the last few
    // closed.
    let page_no = query.paging.page();
    let open_total = store.count_open_alerts(&session.actor).await?;
    let mut rows = store
        .list_alerts(
            &session.actor,
            &AlertFilter {
                status: Some(humiao_core::alert::AlertStatus::Open),
                limit: OPEN_PAGE,
                offset: (page_no - 1) * OPEN_PAGE,
                ..Default::default()
            },
        )
        .await?;
    if page_no == 1 {
        rows.extend(
            store
                .list_alerts(
                    &session.actor,
                    &AlertFilter {
                        status: Some(humiao_core::alert::AlertStatus::Closed),
                        limit: CLOSED_SHOWN,
                        ..Default::default()
                    },
                )
                .await?,
        );
    }
    let places = state.places().await?;
    let reveals = store
        .active_reveals(session.user.id, chrono::Utc::now())
        .await?;
    let (open, closed): (Vec<_>, Vec<_>) = rows
        .iter()
        .map(|row| {
            let mut view = AlertView::new(row, &session.actor, today, &places);
            if let Some(r) = reveals.iter().rev().find(|r| r.alert_id == row.id) {
                view.reveal(row, r);
            }
            view
        })
        .partition(|a| a.open);
    let notice = match query.done.as_deref() {
        Some("visit") => Some("走访已记录，预警已办结。".to_string()),
        Some("conflict") => Some(
            "走访已记录。该预警此前已由其他走访办结，本次走访已另行保存为对该儿童的走访记录，\
             原办结记录未改动。"
                .to_string(),
        ),
        Some("reveal") => Some("已记录查看用途，限定时间内可查看该预警的详情。".to_string()),
        _ => None,
    };
    let visit_flags = match (
        query.done.as_deref(),
        query.visit.as_deref().and_then(|v| v.parse::<i64>().ok()),
    ) {
        (Some("visit"), Some(id)) => store
            .own_visit_flags(&session.actor, id)
            .await?
            .iter()
            .map(|f| format!("{}：{}", f.code.label_zh(), f.message))
            .collect(),
        _ => Vec::new(),
    };
    page(&AlertsTemplate {
        base: Base::new(&session, "我的预警", "/m/alerts").with_notice(notice),
        overdue: open.iter().filter(|a| a.overdue).count(),
        open_total,
        pages: Pager::new(page_no, OPEN_PAGE, open_total, "/m/alerts"),
        visit_flags,
        open,
        closed,
    })
}

#[derive(Template)]
#[template(path = "director_children.html")]
struct ChildrenTemplate {
    base: Base,
    children: Vec<ChildRowView>,
}

pub(crate) async fn children(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let store = state.store();
    let today = state.today();
    let rows = store
        .list_children(
            &session.actor,
            &ChildFilter {
                as_of: today,
                limit: 1000,
                ..ChildFilter::default()
            },
        )
        .await?;
    let places = state.places().await?;
    let mut children: Vec<ChildRowView> = rows
        .iter()
        .map(|s| {
            ChildRowView::new(
                s,
                today,
                &places,
                session.actor.visibility(SensitiveField::Reason),
            )
        })
        .collect();
    // Children needing attention first (open alerts, then the more severe risk level, then any
    // category), then by name (the store's order).
    children.sort_by_key(|c| {
        (
            c.open_alerts == 0,
            c.risk.as_ref().map_or(i64::MAX, |(_, _, level)| *level),
            c.badges.is_empty(),
        )
    });
    page(&ChildrenTemplate {
        base: Base::new(&session, "我的儿童", "/m/children"),
        children,
    })
}

/// How long a reveal lets its user read an alert's detail, unless the pack in force says
/// otherwise (parameter `reveal_minutes`).
pub(crate) const REVEAL_MINUTES: i64 = 30;

/// The reveal window in force: the pack's `reveal_minutes` (1–1440), else the default.
async fn reveal_window(state: &AppState) -> Result<chrono::Duration, AppError> {
    let pack = humiao_pipeline::active_pack(state.store()).await?;
    let minutes = match pack
        .parameter("reveal_minutes")
        .map(|p| p.value_on(state.today()))
    {
        Some(humiao_rules::value::Value::Int(m)) if (1..=1440).contains(&m) => m,
        _ => REVEAL_MINUTES,
    };
    Ok(chrono::Duration::minutes(minutes))
}

/// The purposes a director may state for reading an alert's detail.
const REVEAL_PURPOSES: [&str; 4] = ["走访准备", "核实情况", "协助申请救助", "转介处置"];

#[derive(Debug, Deserialize)]
pub(crate) struct RevealForm {
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub note: String,
}

/// 说明用途并查看详情: records the purpose (audited) and shows the detail for a while.
pub(crate) async fn reveal(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    IdPath(id): IdPath,
    AppForm(form): AppForm<RevealForm>,
) -> Result<Response, AppError> {
    let purpose = REVEAL_PURPOSES
        .iter()
        .find(|p| **p == form.purpose)
        .ok_or_else(|| AppError::BadRequest("请选择查看详情的用途。".into()))?;
    let note: String = form.note.trim().chars().take(100).collect();
    let stated = if note.is_empty() {
        purpose.to_string()
    } else {
        format!("{purpose}：{note}")
    };
    state
        .store()
        .reveal_alert(
            &session.actor,
            id,
            &stated,
            chrono::Utc::now(),
            reveal_window(&state).await?,
        )
        .await?;
    Ok(Redirect::to(&format!("/m/alerts?done=reveal#alert-{id}")).into_response())
}
