//! The child director's phone pages: my alerts, my children.
//!
//! A director is told *that* something changed and how urgent it is, never the detail: alerts
//! show their masked message only.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use humiao_core::access::SensitiveField;
use humiao_store::{AlertFilter, ChildFilter};
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::AppQuery;
use crate::pages::views::{AlertView, ChildRowView, PlaceNames};
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
}

#[derive(Deserialize)]
pub(crate) struct AlertsQuery {
    done: Option<String>,
}

pub(crate) async fn alerts(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    AppQuery(query): AppQuery<AlertsQuery>,
) -> Result<Response, AppError> {
    let store = state.store();
    let today = state.today();
    let rows = store
        .list_alerts(
            &session.actor,
            &AlertFilter {
                status: None,
                person: None,
                limit: 300,
            },
        )
        .await?;
    let places = PlaceNames::load(store).await?;
    let (open, closed): (Vec<_>, Vec<_>) = rows
        .iter()
        .map(|row| AlertView::new(row, &session.actor, today, &places))
        .partition(|a| a.open);
    let notice =
        (query.done.as_deref() == Some("visit")).then(|| "走访已记录，预警已办结。".to_string());
    page(&AlertsTemplate {
        base: Base::new(&session, "我的预警", "/m/alerts").with_notice(notice),
        overdue: open.iter().filter(|a| a.overdue).count(),
        open,
        closed: closed.into_iter().take(50).collect(),
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
    let places = PlaceNames::load(store).await?;
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
