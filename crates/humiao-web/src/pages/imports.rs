//! Import batches and their quarantined rows.
//!
//! A department liaison (部门联络员) sees only their own department's batches; the centre sees
//! all of them.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use humiao_core::access::Role;
use humiao_store::{BatchRow, BatchStatus, QuarantineRow, UserRow};

use crate::error::AppError;
use crate::extract::IdPath;
use crate::render::{local_time, opt_local_time, page, Base};
use crate::session::CurrentUser;
use crate::AppState;

pub(crate) struct BatchView {
    pub id: i64,
    pub department: &'static str,
    pub kind: &'static str,
    pub file: String,
    pub mapping: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub total: i64,
    pub new: i64,
    pub duplicate: i64,
    pub quarantined: i64,
    pub error: Option<String>,
    pub imported_by: String,
    pub started: String,
    pub finished: String,
}

impl BatchView {
    fn new(b: &BatchRow) -> Self {
        Self {
            id: b.id,
            department: b.department.label_zh(),
            kind: b.record_kind.label_zh(),
            file: b.file_name.clone(),
            mapping: b.mapping_name.clone(),
            status: b.status.label_zh(),
            status_class: match b.status {
                BatchStatus::Running => "running",
                BatchStatus::Completed => "completed",
                BatchStatus::Failed => "failed",
            },
            total: b.rows_total,
            new: b.rows_new,
            duplicate: b.rows_duplicate,
            quarantined: b.rows_quarantined,
            error: b.error.clone(),
            imported_by: b.imported_by.clone(),
            started: local_time(&b.started_at),
            finished: opt_local_time(b.finished_at.as_deref()),
        }
    }
}

#[derive(Template)]
#[template(path = "imports.html")]
struct BatchesTemplate {
    base: Base,
    batches: Vec<BatchView>,
}

pub(crate) async fn batches(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let rows = match department_scope(&session.user) {
        Scope::All => state.store().batches(None).await?,
        Scope::Department(d) => state.store().batches(Some(d)).await?,
        Scope::Nothing => Vec::new(),
    };
    page(&BatchesTemplate {
        base: Base::new(&session, "数据导入", "/imports"),
        batches: rows.iter().map(BatchView::new).collect(),
    })
}

#[derive(Template)]
#[template(path = "import_batch.html")]
struct BatchTemplate {
    base: Base,
    batch: BatchView,
    rows: Vec<QuarantineRow>,
}

pub(crate) async fn batch(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    IdPath(id): IdPath,
) -> Result<Response, AppError> {
    let store = state.store();
    let batch = store.batch(id).await?;
    let visible = match department_scope(&session.user) {
        Scope::All => true,
        Scope::Department(d) => batch.department == d,
        Scope::Nothing => false,
    };
    if !visible {
        // Another department's batch does not exist for this user.
        return Err(humiao_store::StoreError::NotFound.into());
    }
    let rows = store.quarantine(id).await?;
    page(&BatchTemplate {
        base: Base::new(&session, format!("导入批次 #{id}"), "/imports"),
        batch: BatchView::new(&batch),
        rows,
    })
}

/// Which import batches a user may see.
enum Scope {
    All,
    Department(humiao_core::Department),
    Nothing,
}

fn department_scope(user: &UserRow) -> Scope {
    match (user.role, user.department) {
        (Role::DepartmentLiaison, Some(d)) => Scope::Department(d),
        // A liaison not yet bound to a department sees no batches rather than all of them.
        (Role::DepartmentLiaison, None) => Scope::Nothing,
        _ => Scope::All,
    }
}
