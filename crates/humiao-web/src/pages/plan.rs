//! 走访计划 for a child director (who to visit, by when, overdue first) and 走访督导 for the
//! station and the centre (per grid: children in the plan, overdue, never visited, visits
//! flagged by the plausibility checks; and the flagged visits themselves, with why).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use humiao_core::access::SensitiveField;
use humiao_pipeline::{visit_plan, PlanItem};
use humiao_store::AuditEntry;

use crate::error::AppError;
use crate::extract::AppQuery;
use crate::pages::views::ChildRowView;
use crate::pages::views::{PageQuery, Pager};
use crate::render::{local_time, page, Base};
use crate::session::CurrentUser;
use crate::AppState;

/// How many children a page of 走访计划 lists, most urgent first (the counts cover the whole
/// plan; a director's grids may hold a thousand children, too many for a phone page).
const PLAN_PAGE: i64 = 40;
/// How many flagged visits 走访督导 lists (latest first; the counts cover all).
const FLAGGED_LIMIT: i64 = 200;

pub(crate) struct PlanRowView {
    pub child: ChildRowView,
    pub every_days: i64,
    pub why: String,
    pub last_visit: String,
    pub due: String,
    pub overdue_days: i64,
}

#[derive(Template)]
#[template(path = "director_plan.html")]
struct DirectorPlanTemplate {
    base: Base,
    rows: Vec<PlanRowView>,
    total: i64,
    overdue: i64,
    never: i64,
    pages: Pager,
}

pub(crate) async fn director_plan(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    AppQuery(query): AppQuery<PageQuery>,
) -> Result<Response, AppError> {
    let store = state.store();
    let today = state.today();
    let page_no = query.page();
    let plan = visit_plan(
        store,
        &session.actor,
        today,
        PLAN_PAGE,
        (page_no - 1) * PLAN_PAGE,
    )
    .await?;
    let places = state.places().await?;
    let reasons = session.actor.visibility(SensitiveField::Reason);
    let view = |i: &PlanItem| PlanRowView {
        child: ChildRowView::new(&i.child, today, &places, reasons),
        every_days: i.every_days,
        why: i.why.clone(),
        last_visit: i
            .last_visit
            .map_or("从未走访".into(), |d| d.format("%Y-%m-%d").to_string()),
        due: i.due.format("%Y-%m-%d").to_string(),
        overdue_days: i.overdue_days,
    };
    page(&DirectorPlanTemplate {
        base: Base::new(&session, "走访计划", "/m/plan"),
        pages: Pager::new(page_no, PLAN_PAGE, plan.total, "/m/plan"),
        total: plan.total,
        overdue: plan.overdue,
        never: plan.never,
        rows: plan.items.iter().map(view).collect(),
    })
}

pub(crate) struct SupervisionRow {
    pub place: String,
    pub children: i64,
    pub overdue: i64,
    pub never: i64,
    /// Overdue ÷ children, in percent.
    pub overdue_pct: String,
    /// Visits with flags for review.
    pub flagged: i64,
}

/// A visit the checks flagged: where, when, by whom and why — not whom.
pub(crate) struct FlaggedView {
    pub visit_id: i64,
    pub person_id: i64,
    pub place: String,
    pub when: String,
    pub director: String,
    pub flags: Vec<String>,
}

#[derive(Template)]
#[template(path = "visit_supervision.html")]
struct SupervisionTemplate {
    base: Base,
    rows: Vec<SupervisionRow>,
    total: i64,
    overdue: i64,
    flagged_total: usize,
    flagged: Vec<FlaggedView>,
}

/// Per grid where the children live: how many the plan covers, how many are overdue or were
/// never visited, how many visits were flagged; then the flagged visits with the flags' words.
/// No child is named (the list links to the child's page, which is itself scoped and audited);
/// reading the flagged visits is audited.
pub(crate) async fn supervision(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let store = state.store();
    let today = state.today();
    let plan = store.schedule_counts_by_grid(&session.actor, today).await?;
    let places = state.places().await?;
    let mut by_grid: std::collections::BTreeMap<String, (i64, i64, i64, i64)> =
        std::collections::BTreeMap::new();
    for grid in &plan {
        let entry = by_grid
            .entry(places.opt_name(grid.grid.as_ref()))
            .or_default();
        entry.0 += grid.total;
        entry.1 += grid.overdue;
        entry.2 += grid.never;
    }
    let counts = store.flagged_visit_counts(&session.actor).await?;
    for (grid, n) in &counts {
        by_grid.entry(places.opt_name(grid.as_ref())).or_default().3 += *n as i64;
    }
    let mut rows: Vec<SupervisionRow> = by_grid
        .into_iter()
        .map(
            |(place, (children, overdue, never, flagged))| SupervisionRow {
                place,
                children,
                overdue,
                never,
                overdue_pct: format!("{:.0}%", 100.0 * overdue as f64 / children.max(1) as f64),
                flagged,
            },
        )
        .collect();
    rows.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then(b.flagged.cmp(&a.flagged))
            .then(a.place.cmp(&b.place))
    });
    let flagged = store.flagged_visits(&session.actor, FLAGGED_LIMIT).await?;
    if !flagged.is_empty() {
        // Who read which visits' flags is on record before they are shown.
        store
            .audit(&AuditEntry {
                user_id: Some(session.user.id),
                username: session.user.username.clone(),
                action: "visit_flags.view".into(),
                target_kind: "visits".into(),
                target_id: flagged
                    .iter()
                    .map(|v| v.visit_id.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                detail: format!("role {}", session.role().code()),
            })
            .await?;
    }
    page(&SupervisionTemplate {
        base: Base::new(&session, "走访督导", "/centre/visits"),
        total: plan.iter().map(|g| g.total).sum(),
        overdue: plan.iter().map(|g| g.overdue).sum(),
        rows,
        flagged_total: counts.iter().map(|(_, n)| n).sum(),
        flagged: flagged
            .iter()
            .map(|v| FlaggedView {
                visit_id: v.visit_id,
                person_id: v.person_id.0,
                place: places.opt_name(v.grid.as_ref()),
                when: local_time(&v.visited_at),
                director: v.director.clone(),
                flags: v
                    .flags
                    .iter()
                    .map(|f| format!("{}：{}", f.code.label_zh(), f.message))
                    .collect(),
            })
            .collect(),
    })
}
