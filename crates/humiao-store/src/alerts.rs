//! Alerts: raised by assessment, routed to a grid, closed by a visit.

use chrono::{NaiveDate, Utc};
use humiao_core::access::Actor;
use humiao_core::alert::{AlertDraft, AlertStatus, Severity};
use humiao_core::{PersonId, PersonName, RegionCode, SourceRecordId};
use sqlx::{Any, Transaction};

use crate::children::push_scope;
use crate::{corrupt, date_text, get, now_text, Arg, Result, Sql, Store, StoreError};

/// An alert routed to the grid where the child lives (`None`: residence unknown; the centre
/// sees it and must place the child).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    pub draft: AlertDraft,
    pub grid: Option<RegionCode>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    pub id: i64,
    pub person_id: PersonId,
    pub child_name: PersonName,
    pub grid: Option<RegionCode>,
    pub reason_code: String,
    pub severity: Severity,
    pub masked_message: String,
    /// Sensitive: show only to roles whose visibility of reasons is full.
    pub detail: String,
    pub sources: Vec<SourceRecordId>,
    pub status: AlertStatus,
    pub created_at: String,
    pub due_date: NaiveDate,
    pub closed_at: Option<String>,
}

impl AlertRow {
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status == AlertStatus::Open && self.due_date < today
    }
}

#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    pub person: Option<PersonId>,
    pub limit: i64,
}

/// Inserts unless the same trigger already raised an alert for this child, or an open alert
/// for the same reason exists. Returns whether it was inserted.
pub(crate) async fn insert_alert(
    tx: &mut Transaction<'static, Any>,
    alert: &NewAlert,
) -> Result<bool> {
    let d = &alert.draft;
    let sources = serde_json::to_string(&d.sources.iter().map(|s| s.0).collect::<Vec<_>>())
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let done = sqlx::query(
        "INSERT INTO alerts (person_id, grid_code, reason_code, trigger_key, severity, \
         masked_message, detail, sources_json, status, created_at, due_date) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10) ON CONFLICT DO NOTHING",
    )
    .bind(d.child.0)
    .bind(alert.grid.as_ref().map(|g| g.to_string()))
    .bind(d.reason_code.clone())
    .bind(d.trigger_key.clone())
    .bind(d.severity.as_str())
    .bind(d.masked_message.clone())
    .bind(d.detail.clone())
    .bind(sources)
    .bind(now_text(Utc::now()))
    .bind(date_text(d.due))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

fn alert_row(row: &sqlx::any::AnyRow) -> Result<AlertRow> {
    let name: String = get(row, "name")?;
    let grid: Option<String> = get(row, "grid_code")?;
    let severity: String = get(row, "severity")?;
    let status: String = get(row, "status")?;
    let sources: String = get(row, "sources_json")?;
    let due: String = get(row, "due_date")?;
    Ok(AlertRow {
        id: get(row, "id")?,
        person_id: PersonId(get(row, "person_id")?),
        child_name: PersonName::parse(&name).map_err(|_| corrupt("name", "…"))?,
        grid: grid.and_then(|g| RegionCode::parse(&g).ok()),
        reason_code: get(row, "reason_code")?,
        severity: Severity::parse(&severity).ok_or_else(|| corrupt("severity", &severity))?,
        masked_message: get(row, "masked_message")?,
        detail: get(row, "detail")?,
        sources: serde_json::from_str::<Vec<i64>>(&sources)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
            .into_iter()
            .map(SourceRecordId)
            .collect(),
        status: AlertStatus::parse(&status).ok_or_else(|| corrupt("alert status", &status))?,
        created_at: get(row, "created_at")?,
        due_date: crate::parse_date(&due)?,
        closed_at: get(row, "closed_at")?,
    })
}

const ALERT_SELECT: &str = "SELECT a.id, a.person_id, p.name, a.grid_code, a.reason_code, \
    a.severity, a.masked_message, a.detail, a.sources_json, a.status, a.created_at, a.due_date, \
    a.closed_at FROM alerts a JOIN persons p ON p.id = a.person_id WHERE ";

impl Store {
    /// Alerts routed into the actor's places: by the alert's grid, or, without one, by the
    /// child's registration. Most urgent and oldest first.
    pub async fn list_alerts(&self, actor: &Actor, filter: &AlertFilter) -> Result<Vec<AlertRow>> {
        let mut sql = Sql::new(ALERT_SELECT);
        push_scope(&mut sql, actor, "a.grid_code", "p.hukou_region");
        if let Some(status) = filter.status {
            sql.push(" AND a.status = ")
                .bind(Arg::Text(status.as_str().into()));
        }
        if let Some(person) = filter.person {
            sql.push(" AND a.person_id = ").bind(Arg::Int(person.0));
        }
        sql.push(
            " ORDER BY CASE a.status WHEN 'open' THEN 0 ELSE 1 END, \
             CASE a.severity WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 \
             ELSE 3 END, a.due_date, a.id LIMIT ",
        )
        .bind(Arg::Int(filter.limit.max(1)));
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter().map(alert_row).collect()
    }

    /// How many open alerts are routed into the actor's places (the badge on 我的预警).
    pub async fn count_open_alerts(&self, actor: &Actor) -> Result<i64> {
        let mut sql = Sql::new(
            "SELECT COUNT(*) AS n FROM alerts a JOIN persons p ON p.id = a.person_id WHERE ",
        );
        push_scope(&mut sql, actor, "a.grid_code", "p.hukou_region");
        sql.push(" AND a.status = 'open'");
        let row = sql.query().fetch_one(&self.pool).await?;
        get(&row, "n")
    }

    /// One alert, only if routed into the actor's places.
    pub async fn alert_in_scope(&self, actor: &Actor, id: i64) -> Result<AlertRow> {
        let mut sql = Sql::new(ALERT_SELECT);
        sql.push("a.id = ").bind(Arg::Int(id)).push(" AND ");
        push_scope(&mut sql, actor, "a.grid_code", "p.hukou_region");
        let row = sql
            .query()
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        alert_row(&row)
    }

    /// All alerts of the county by status, for tests and the CLI (no scoping).
    pub async fn count_alerts(&self, status: AlertStatus) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM alerts WHERE status = $1")
            .bind(status.as_str())
            .fetch_one(&self.pool)
            .await?;
        get(&row, "n")
    }
}
