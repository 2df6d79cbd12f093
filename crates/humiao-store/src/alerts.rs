//! Alerts: raised by assessment, routed to a grid, closed by a visit.

use chrono::{NaiveDate, Utc};
use humiao_core::access::Actor;
use humiao_core::alert::{route_of, AlertDraft, AlertStatus, RouteLevel, Severity};
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
    /// Before whom besides the director: the town station, the centre.
    pub routed_to: RouteLevel,
    /// Marked for the police.
    pub police: bool,
    pub reminded_on: Option<NaiveDate>,
}

/// One routing step of an alert: raised, reminded or escalated, on which day, to which level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertStep {
    pub on_date: NaiveDate,
    pub step: String,
    pub level: RouteLevel,
    pub due_date: NaiveDate,
    pub note: String,
}

impl AlertStep {
    pub fn step_label_zh(&self) -> &'static str {
        match self.step.as_str() {
            "raised" => "生成并推送",
            "reminded" => "到期提醒",
            "escalated" => "逾期上报",
            _ => "其他",
        }
    }
}

/// An open alert due for a reminder or an escalation, as the deadline watch reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAlert {
    pub id: i64,
    pub grid: Option<RegionCode>,
    pub severity: Severity,
    pub routed_to: RouteLevel,
    pub due_date: NaiveDate,
    pub reminded: bool,
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
    /// How many of the matching alerts to skip (paging).
    pub offset: i64,
    /// Only alerts routed (or escalated) to exactly this level.
    pub routed_to: Option<RouteLevel>,
}

/// Inserts unless the same trigger already raised an alert for this child, or an open alert
/// for the same reason exists, routed by its severity ([`route_of`]), with its first routing
/// step dated `on`. Returns whether it was inserted.
pub(crate) async fn insert_alert(
    tx: &mut Transaction<'static, Any>,
    alert: &NewAlert,
    on: NaiveDate,
) -> Result<bool> {
    let d = &alert.draft;
    let (level, police) = route_of(d.severity, d.police);
    let sources = serde_json::to_string(&d.sources.iter().map(|s| s.0).collect::<Vec<_>>())
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let now = now_text(Utc::now());
    let inserted = sqlx::query(
        "INSERT INTO alerts (person_id, grid_code, reason_code, trigger_key, severity, \
         masked_message, detail, sources_json, status, created_at, due_date, routed_to, police) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $11, $12) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(d.child.0)
    .bind(alert.grid.as_ref().map(|g| g.to_string()))
    .bind(d.reason_code.clone())
    .bind(d.trigger_key.clone())
    .bind(d.severity.as_str())
    .bind(d.masked_message.clone())
    .bind(d.detail.clone())
    .bind(sources)
    .bind(now.clone())
    .bind(date_text(d.due))
    .bind(level.as_str())
    .bind(i64::from(police))
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = inserted else {
        return Ok(false);
    };
    let id: i64 = get(&row, "id")?;
    let note = match (level, police) {
        (RouteLevel::Grid, false) => format!("推送至网格儿童主任（{}）", d.severity.label_zh()),
        (level, false) => format!(
            "推送至网格儿童主任，并按{}级别同步{}",
            d.severity.label_zh(),
            level.label_zh()
        ),
        (level, true) => format!(
            "推送至网格儿童主任，并按{}级别同步{}，标记公安协查",
            d.severity.label_zh(),
            level.label_zh()
        ),
    };
    insert_step(tx, id, on, &now, "raised", level, d.due, &note).await?;
    Ok(true)
}

#[allow(clippy::too_many_arguments)]
async fn insert_step(
    tx: &mut Transaction<'static, Any>,
    alert_id: i64,
    on: NaiveDate,
    at: &str,
    step: &str,
    level: RouteLevel,
    due: NaiveDate,
    note: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO alert_steps (alert_id, on_date, at, step, level, due_date, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(alert_id)
    .bind(date_text(on))
    .bind(at.to_string())
    .bind(step.to_string())
    .bind(level.as_str())
    .bind(date_text(due))
    .bind(note.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn alert_row(row: &sqlx::any::AnyRow) -> Result<AlertRow> {
    let name: String = get(row, "name")?;
    let grid: Option<String> = get(row, "grid_code")?;
    let severity: String = get(row, "severity")?;
    let status: String = get(row, "status")?;
    let sources: String = get(row, "sources_json")?;
    let due: String = get(row, "due_date")?;
    let routed_to: String = get(row, "routed_to")?;
    let police: i64 = get(row, "police")?;
    let reminded_on: Option<String> = get(row, "reminded_on")?;
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
        routed_to: RouteLevel::parse(&routed_to).ok_or_else(|| corrupt("routed_to", &routed_to))?,
        police: police != 0,
        reminded_on: reminded_on.as_deref().map(crate::parse_date).transpose()?,
    })
}

/// Most severe first, as a number. Also the expression of the index alerts_grid_order
/// (migration 0017): change both or neither.
const SEVERITY_RANK: &str =
    "CASE a.severity WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END";

const ALERT_SELECT: &str = "SELECT a.id, a.person_id, p.name, a.grid_code, a.reason_code, \
    a.severity, a.masked_message, a.detail, a.sources_json, a.status, a.created_at, a.due_date, \
    a.closed_at, a.routed_to, a.police, a.reminded_on \
    FROM alerts a JOIN persons p ON p.id = a.person_id WHERE ";

impl Store {
    /// Alerts routed into the actor's places: by the alert's grid, or, without one, by the
    /// child's registration. Most urgent and oldest first.
    pub async fn list_alerts(&self, actor: &Actor, filter: &AlertFilter) -> Result<Vec<AlertRow>> {
        // Open before closed unless one status is asked for; then the order is that of the
        // index alerts_grid_order (migration 0017), which a director's page reads in order.
        let order = format!(
            " ORDER BY {}{SEVERITY_RANK}, a.due_date, a.id",
            if filter.status.is_some() {
                ""
            } else {
                "CASE a.status WHEN 'open' THEN 0 ELSE 1 END, "
            }
        );
        // Choose the page's ids on the alerts alone (a director's scope is the alerts' own
        // grid), then read those rows with the children's names: a grid holds hundreds of
        // alerts, a page a hundred.
        let mut sql = Sql::new(ALERT_SELECT);
        sql.push("a.id IN (SELECT a.id FROM alerts a ");
        if actor.role != humiao_core::access::Role::ChildDirector {
            sql.push("JOIN persons p ON p.id = a.person_id ");
        }
        sql.push("WHERE ");
        push_scope(&mut sql, actor, "a.grid_code", "p.hukou_region");
        if let Some(status) = filter.status {
            sql.push(" AND a.status = ")
                .bind(Arg::Text(status.as_str().into()));
        }
        if let Some(person) = filter.person {
            sql.push(" AND a.person_id = ").bind(Arg::Int(person.0));
        }
        if let Some(level) = filter.routed_to {
            sql.push(" AND a.routed_to = ")
                .bind(Arg::Text(level.as_str().into()));
        }
        sql.push(&order)
            .push(" LIMIT ")
            .bind(Arg::Int(filter.limit.max(1)))
            .push(" OFFSET ")
            .bind(Arg::Int(filter.offset.max(0)))
            .push(")")
            .push(&order);
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter().map(alert_row).collect()
    }

    /// How many open alerts are routed into the actor's places (the badge on 我的预警).
    pub async fn count_open_alerts(&self, actor: &Actor) -> Result<i64> {
        // A director's scope is the alerts' own grid: no need to read each child (the index
        // on (grid_code, status) answers alone).
        let mut sql = Sql::new(if actor.role == humiao_core::access::Role::ChildDirector {
            "SELECT COUNT(*) AS n FROM alerts a WHERE "
        } else {
            "SELECT COUNT(*) AS n FROM alerts a JOIN persons p ON p.id = a.person_id WHERE "
        });
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

    /// An alert's routing steps, oldest first (for people who may read the alert).
    pub async fn alert_steps(&self, alert_id: i64) -> Result<Vec<AlertStep>> {
        let rows = sqlx::query(
            "SELECT on_date, step, level, due_date, note FROM alert_steps WHERE alert_id = $1 \
             ORDER BY id",
        )
        .bind(alert_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let on: String = get(row, "on_date")?;
                let level: String = get(row, "level")?;
                let due: String = get(row, "due_date")?;
                Ok(AlertStep {
                    on_date: crate::parse_date(&on)?,
                    step: get(row, "step")?,
                    level: RouteLevel::parse(&level).ok_or_else(|| corrupt("level", &level))?,
                    due_date: crate::parse_date(&due)?,
                    note: get(row, "note")?,
                })
            })
            .collect()
    }

    /// Open alerts due on or before `by` (the deadline watch's horizon), oldest deadline first.
    pub async fn open_alerts_due_by(&self, by: NaiveDate) -> Result<Vec<DueAlert>> {
        let rows = sqlx::query(
            "SELECT id, grid_code, severity, routed_to, due_date, reminded_on FROM alerts \
             WHERE status = 'open' AND due_date <= $1 ORDER BY due_date, id",
        )
        .bind(date_text(by))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let grid: Option<String> = get(row, "grid_code")?;
                let severity: String = get(row, "severity")?;
                let level: String = get(row, "routed_to")?;
                let due: String = get(row, "due_date")?;
                let reminded: Option<String> = get(row, "reminded_on")?;
                Ok(DueAlert {
                    id: get(row, "id")?,
                    grid: grid.and_then(|g| RegionCode::parse(&g).ok()),
                    severity: Severity::parse(&severity)
                        .ok_or_else(|| corrupt("severity", &severity))?,
                    routed_to: RouteLevel::parse(&level).ok_or_else(|| corrupt("level", &level))?,
                    due_date: crate::parse_date(&due)?,
                    reminded: reminded.is_some(),
                })
            })
            .collect()
    }

    /// Notes that the director was reminded of an alert on `on` (once).
    pub async fn remind_alert(&self, id: i64, on: NaiveDate) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE alerts SET reminded_on = $1 WHERE id = $2 AND status = 'open' \
             AND reminded_on IS NULL RETURNING routed_to, due_date",
        )
        .bind(date_text(on))
        .bind(id)
        .fetch_optional(&mut *tx.tx)
        .await?;
        let Some(row) = done else {
            return Ok(false);
        };
        let level: String = get(&row, "routed_to")?;
        let due: String = get(&row, "due_date")?;
        let level = RouteLevel::parse(&level).ok_or_else(|| corrupt("level", &level))?;
        let due = crate::parse_date(&due)?;
        let note = format!("提醒儿童主任：将于{}到期", due.format("%Y-%m-%d"));
        insert_step(
            &mut tx.tx,
            id,
            on,
            &now_text(Utc::now()),
            "reminded",
            level,
            due,
            &note,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Hands an open, overdue alert up to `to` with a new deadline, on `on`. Nothing happens if
    /// it was closed or already moved meanwhile (the watch may race a visit).
    pub async fn escalate_alert(
        &self,
        id: i64,
        from: RouteLevel,
        to: RouteLevel,
        due: NaiveDate,
        on: NaiveDate,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE alerts SET routed_to = $1, due_date = $2, reminded_on = NULL \
             WHERE id = $3 AND status = 'open' AND routed_to = $4 AND due_date < $5",
        )
        .bind(to.as_str())
        .bind(date_text(due))
        .bind(id)
        .bind(from.as_str())
        .bind(date_text(on))
        .execute(&mut *tx.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let note = format!(
            "逾期未处置，由{}上报{}督办，新期限{}",
            from.label_zh(),
            to.label_zh(),
            due.format("%Y-%m-%d")
        );
        insert_step(
            &mut tx.tx,
            id,
            on,
            &now_text(Utc::now()),
            "escalated",
            to,
            due,
            &note,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
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
