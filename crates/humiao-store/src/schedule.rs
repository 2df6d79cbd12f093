//! The visit schedule (走访计划): each child's visit interval, last visit and next due day, kept
//! so that a director's plan is one indexed read. The pipeline writes the intervals (from the
//! rule pack's frequencies); recording a visit moves the child's due day in the same
//! transaction.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use humiao_core::access::{Actor, Role};
use humiao_core::{PersonId, RegionCode};

use crate::children::{minor_born_after, push_scope};
use crate::{date_text, get, parse_opt_date, Arg, Result, Sql, Store};

/// A child's place in the visit plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleEntry {
    pub person: PersonId,
    /// Visit at least every this many days.
    pub every_days: i64,
    /// Why that interval: 极危, 高危, 孤儿/事实无人抚养 or 困境/留守.
    pub why: String,
    /// The general risk model's level index (0 the most severe), if assessed.
    pub level: Option<i64>,
    /// The day of the last visit (China time).
    pub last_visit: Option<NaiveDate>,
}

impl ScheduleEntry {
    /// The day the next visit is due; `None` when never visited (due at once).
    pub fn due(&self) -> Option<NaiveDate> {
        self.last_visit.map(|d| d + Duration::days(self.every_days))
    }
}

/// The most urgent part of an actor's plan, with counts over all of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchedulePage {
    /// Overdue first (the longest overdue first), then by due day, then the more severe level.
    pub entries: Vec<ScheduleEntry>,
    pub total: i64,
    pub overdue: i64,
    pub never: i64,
}

/// A grid's plan in numbers (走访督导).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleCounts {
    /// Where the children live (`None`: residence unknown).
    pub grid: Option<RegionCode>,
    pub total: i64,
    pub overdue: i64,
    pub never: i64,
}

/// The day a visit counts for: visits are stored in UTC, days are counted in China (UTC+8).
pub fn visit_day(visited_at: DateTime<Utc>) -> NaiveDate {
    (visited_at + Duration::hours(8)).date_naive()
}

/// The plan's rows joined with the children, for `actor`. A director's grid is found through
/// the persons' place index (a grid's children, then their schedules); for a station or the
/// centre the schedule is the smaller side (a fraction of all children), so it leads: SQLite
/// keeps a CROSS JOIN's order, and for PostgreSQL it is an inner join like any other.
fn from_plan(actor: &Actor) -> &'static str {
    if actor.role == Role::ChildDirector {
        "FROM visit_schedule s JOIN persons p ON p.id = s.person_id WHERE "
    } else {
        "FROM visit_schedule s CROSS JOIN persons p WHERE p.id = s.person_id AND "
    }
}

/// The actor's scope and minors on `as_of`, after [`from_plan`].
fn plan_scope(sql: &mut Sql, actor: &Actor, as_of: NaiveDate) {
    push_scope(sql, actor, "p.residence_grid", "p.hukou_region");
    sql.push(" AND p.birth_date > ")
        .bind(Arg::Text(date_text(minor_born_after(as_of))))
        .push(" AND p.birth_date <= ")
        .bind(Arg::Text(date_text(as_of)));
}

/// Overdue and never-visited counts over the rows of [`from_plan`]: as aggregates, or as
/// window functions over all the rows (`window`), so a page carries the plan's counts.
fn push_counts(sql: &mut Sql, as_of: NaiveDate, window: bool) {
    let over = if window { " OVER ()" } else { "" };
    sql.push(&format!(
        "COUNT(*){over} AS total, COALESCE(SUM(CASE WHEN s.due < "
    ))
    .bind(Arg::Text(date_text(as_of)))
    .push(&format!(
        " THEN 1 ELSE 0 END){over}, 0) AS overdue, \
         COALESCE(SUM(CASE WHEN s.last_visit IS NULL THEN 1 ELSE 0 END){over}, 0) AS never "
    ));
}

impl Store {
    /// Replaces the schedule of `persons`: those with an entry get it, the others leave the
    /// plan. Entries must be among `persons`.
    pub async fn replace_schedules(
        &self,
        persons: &[PersonId],
        entries: &[ScheduleEntry],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for chunk in persons.chunks(1000) {
            // Integers we were given, so inlining them is safe.
            let ids = crate::id_list(chunk);
            sqlx::query(&format!(
                "DELETE FROM visit_schedule WHERE person_id IN ({ids})"
            ))
            .execute(&mut *tx.tx)
            .await?;
        }
        for chunk in entries.chunks(500) {
            let mut sql = Sql::new(
                "INSERT INTO visit_schedule (person_id, every_days, why, level, last_visit, due) \
                 VALUES ",
            );
            for (i, e) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" })
                    .bind(Arg::Int(e.person.0))
                    .push(", ")
                    .bind(Arg::Int(e.every_days))
                    .push(", ")
                    .bind(Arg::Text(e.why.clone()))
                    .push(", ");
                match e.level {
                    Some(level) => sql.bind(Arg::Int(level)),
                    None => sql.push("NULL"),
                };
                sql.push(", ");
                match (e.last_visit, e.due()) {
                    (Some(last), Some(due)) => sql
                        .bind(Arg::Text(date_text(last)))
                        .push(", ")
                        .bind(Arg::Text(date_text(due))),
                    _ => sql.push("NULL, NULL"),
                };
                sql.push(")");
            }
            sql.query().execute(&mut *tx.tx).await?;
        }
        tx.commit().await
    }

    /// `limit` children of the actor's plan after the `offset` most urgent, most urgent first,
    /// with counts over the whole plan. A child never visited is due on `as_of`.
    pub async fn visit_schedule(
        &self,
        actor: &Actor,
        as_of: NaiveDate,
        limit: i64,
        offset: i64,
    ) -> Result<SchedulePage> {
        // One read: the page's rows, each with the counts over the whole plan.
        let mut sql = Sql::new("SELECT s.person_id, s.every_days, s.why, s.level, s.last_visit, ");
        push_counts(&mut sql, as_of, true);
        sql.push(from_plan(actor));
        plan_scope(&mut sql, actor, as_of);
        // Overdue rows have the earliest due days, so due day first puts them first.
        sql.push(" ORDER BY COALESCE(s.due, ")
            .bind(Arg::Text(date_text(as_of)))
            .push("), COALESCE(s.level, 99), s.person_id LIMIT ")
            .bind(Arg::Int(limit.max(0)))
            .push(" OFFSET ")
            .bind(Arg::Int(offset.max(0)));
        let rows = sql.query().fetch_all(&self.pool).await?;
        let counts = match rows.first() {
            Some(row) => row,
            // A page past the end: the counts alone.
            None => {
                let mut sql = Sql::new("SELECT ");
                push_counts(&mut sql, as_of, false);
                sql.push(from_plan(actor));
                plan_scope(&mut sql, actor, as_of);
                &sql.query().fetch_one(&self.pool).await?
            }
        };
        Ok(SchedulePage {
            total: get(counts, "total")?,
            overdue: get(counts, "overdue")?,
            never: get(counts, "never")?,
            entries: rows.iter().map(entry_of).collect::<Result<Vec<_>>>()?,
        })
    }

    /// The actor's plan counted per grid where the children live.
    pub async fn schedule_counts_by_grid(
        &self,
        actor: &Actor,
        as_of: NaiveDate,
    ) -> Result<Vec<ScheduleCounts>> {
        let mut sql = Sql::new("SELECT p.residence_grid AS grid, ");
        push_counts(&mut sql, as_of, false);
        sql.push(from_plan(actor));
        plan_scope(&mut sql, actor, as_of);
        sql.push(" GROUP BY p.residence_grid ORDER BY p.residence_grid");
        sql.query()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(ScheduleCounts {
                    grid: get::<Option<String>>(row, "grid")?
                        .as_deref()
                        .and_then(|c| RegionCode::parse(c).ok()),
                    total: get(row, "total")?,
                    overdue: get(row, "overdue")?,
                    never: get(row, "never")?,
                })
            })
            .collect()
    }

    /// The schedule entries of `persons` (those the plan covers), in no particular order.
    pub async fn schedules_of(&self, persons: &[PersonId]) -> Result<Vec<ScheduleEntry>> {
        let mut out = Vec::new();
        for chunk in persons.chunks(1000) {
            // Integers we were given, so inlining them is safe.
            let ids = crate::id_list(chunk);
            let rows = sqlx::query(&format!(
                "SELECT person_id, every_days, why, level, last_visit FROM visit_schedule \
                 WHERE person_id IN ({ids})"
            ))
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                out.push(entry_of(row)?);
            }
        }
        Ok(out)
    }

    /// Whether no child has a schedule yet (a database from before the schedule was kept).
    pub async fn schedule_is_empty(&self) -> Result<bool> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM (SELECT 1 FROM visit_schedule LIMIT 1) t")
            .fetch_one(&self.pool)
            .await?;
        Ok(get::<i64>(&row, "n")? == 0)
    }

    /// Every minor on `as_of`, for work over the whole county.
    pub async fn minor_ids(&self, as_of: NaiveDate) -> Result<Vec<PersonId>> {
        sqlx::query("SELECT id FROM persons WHERE birth_date > $1 AND birth_date <= $2 ORDER BY id")
            .bind(date_text(minor_born_after(as_of)))
            .bind(date_text(as_of))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok(PersonId(get(row, "id")?)))
            .collect()
    }
}

fn entry_of(row: &sqlx::any::AnyRow) -> Result<ScheduleEntry> {
    Ok(ScheduleEntry {
        person: PersonId(get(row, "person_id")?),
        every_days: get(row, "every_days")?,
        why: get(row, "why")?,
        level: get(row, "level")?,
        last_visit: parse_opt_date(get(row, "last_visit")?)?,
    })
}

/// Moves a child's due day after a visit on `day` (a visit recorded late, before the last one
/// known, moves nothing).
pub(crate) async fn record_visit_day(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    person: PersonId,
    day: NaiveDate,
) -> Result<()> {
    let Some(row) =
        sqlx::query("SELECT every_days, last_visit FROM visit_schedule WHERE person_id = $1")
            .bind(person.0)
            .fetch_optional(&mut **tx)
            .await?
    else {
        return Ok(());
    };
    let entry = ScheduleEntry {
        person,
        every_days: get(&row, "every_days")?,
        why: String::new(),
        level: None,
        last_visit: parse_opt_date(get(&row, "last_visit")?)?,
    };
    if entry.last_visit.is_some_and(|last| last >= day) {
        return Ok(());
    }
    let moved = ScheduleEntry {
        last_visit: Some(day),
        ..entry
    };
    sqlx::query("UPDATE visit_schedule SET last_visit = $1, due = $2 WHERE person_id = $3")
        .bind(date_text(day))
        .bind(moved.due().map(date_text))
        .bind(person.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
