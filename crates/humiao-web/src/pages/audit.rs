//! The audit log: the newest entries and whether the hash chain is intact.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use humiao_store::AuditRow;

use crate::error::AppError;
use crate::render::{local_time, page, Base};
use crate::session::CurrentUser;
use crate::AppState;

pub(crate) struct AuditView {
    pub id: i64,
    pub at: String,
    pub username: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub hash: String,
}

impl AuditView {
    fn new(r: &AuditRow) -> Self {
        Self {
            id: r.id,
            at: local_time(&r.at),
            username: r.username.clone(),
            action: r.action.clone(),
            target: if r.target_kind.is_empty() {
                String::new()
            } else {
                format!("{}/{}", r.target_kind, r.target_id)
            },
            detail: r.detail.clone(),
            hash: r.hash.chars().take(12).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTemplate {
    base: Base,
    rows: Vec<AuditView>,
    chain_rows: i64,
    first_broken: Option<i64>,
}

pub(crate) async fn log(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let store = state.store();
    let rows = store.audit_log(None, 200, 0).await?;
    let chain = store.verify_audit_chain().await?;
    page(&AuditTemplate {
        base: Base::new(&session, "审计日志", "/audit"),
        rows: rows.iter().map(AuditView::new).collect(),
        chain_rows: chain.rows,
        first_broken: chain.first_broken,
    })
}
