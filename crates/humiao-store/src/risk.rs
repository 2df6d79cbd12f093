//! Risk assessments (风险评估记录): one row per child, model and date, written with the
//! categories by each assessment; the history feeds the dynamic rules.

use chrono::{NaiveDate, Utc};
use humiao_core::access::Actor;
use humiao_core::PersonId;
use sqlx::Any;

use crate::audit::{append, AuditEntry};
use crate::{date_text, get, now_text, parse_date, Arg, Result, Sql, Store};

/// A child's risk under one model on one date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskRow {
    pub person: PersonId,
    pub model: String,
    pub assessed_on: NaiveDate,
    pub score: i64,
    pub score_max: i64,
    /// Index into the model's levels, 0 the most severe.
    pub level: i64,
    pub level_label: String,
    pub colour: String,
    pub unknown: i64,
    /// Indicators that hold (with reasons and sources), urgent items, dynamic flags.
    pub detail_json: String,
    /// The rule pack, "name version".
    pub pack: String,
}

const COLUMNS: &str = "person_id, model, assessed_on, score, score_max, level, level_label, \
                       colour, unknown, detail_json, pack";
const CHUNK: usize = 200;

fn row_of(row: &sqlx::any::AnyRow) -> Result<RiskRow> {
    Ok(RiskRow {
        person: PersonId(get(row, "person_id")?),
        model: get(row, "model")?,
        assessed_on: parse_date(&get::<String>(row, "assessed_on")?)?,
        score: get(row, "score")?,
        score_max: get(row, "score_max")?,
        level: get(row, "level")?,
        level_label: get(row, "level_label")?,
        colour: get(row, "colour")?,
        unknown: get(row, "unknown")?,
        detail_json: get(row, "detail_json")?,
        pack: get(row, "pack")?,
    })
}

/// Writes rows, replacing a row of the same child, model and date (a re-run that day).
pub(crate) async fn upsert_risks(
    tx: &mut sqlx::Transaction<'static, Any>,
    rows: &[RiskRow],
) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut sql = Sql::new(&format!("INSERT INTO risk_assessments ({COLUMNS}) VALUES "));
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(");
            let args = [
                Arg::Int(r.person.0),
                Arg::Text(r.model.clone()),
                Arg::Text(date_text(r.assessed_on)),
                Arg::Int(r.score),
                Arg::Int(r.score_max),
                Arg::Int(r.level),
                Arg::Text(r.level_label.clone()),
                Arg::Text(r.colour.clone()),
                Arg::Int(r.unknown),
                Arg::Text(r.detail_json.clone()),
                Arg::Text(r.pack.clone()),
            ];
            for (k, arg) in args.into_iter().enumerate() {
                if k > 0 {
                    sql.push(", ");
                }
                sql.bind(arg);
            }
            sql.push(")");
        }
        sql.push(
            " ON CONFLICT (person_id, model, assessed_on) DO UPDATE SET score = excluded.score, \
             score_max = excluded.score_max, level = excluded.level, \
             level_label = excluded.level_label, colour = excluded.colour, \
             unknown = excluded.unknown, detail_json = excluded.detail_json, pack = excluded.pack",
        );
        sql.query().execute(&mut **tx).await?;
    }
    Ok(())
}

impl Store {
    /// A child's risk assessments, newest first.
    pub async fn risk_history(&self, person: PersonId) -> Result<Vec<RiskRow>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM risk_assessments WHERE person_id = $1 \
             ORDER BY assessed_on DESC, model"
        ))
        .bind(person.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(row_of)
        .collect()
    }

    /// Every child's (model, date, score, level) history, oldest first, for the dynamic rules.
    pub async fn risk_histories(&self) -> Result<Vec<(PersonId, String, NaiveDate, i64, i64)>> {
        self.histories_where("").await
    }

    /// [`Self::risk_histories`] of some children only.
    pub async fn risk_histories_of(
        &self,
        children: &[PersonId],
    ) -> Result<Vec<(PersonId, String, NaiveDate, i64, i64)>> {
        if children.is_empty() {
            return Ok(Vec::new());
        }
        let ids = crate::id_list(children);
        // Integers we were given, so inlining them is safe.
        self.histories_where(&format!("WHERE person_id IN ({ids})"))
            .await
    }

    async fn histories_where(
        &self,
        filter: &str,
    ) -> Result<Vec<(PersonId, String, NaiveDate, i64, i64)>> {
        sqlx::query(&format!(
            "SELECT person_id, model, assessed_on, score, level FROM risk_assessments {filter} \
             ORDER BY person_id, model, assessed_on"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok((
                PersonId(get(row, "person_id")?),
                get(row, "model")?,
                parse_date(&get::<String>(row, "assessed_on")?)?,
                get(row, "score")?,
                get(row, "level")?,
            ))
        })
        .collect()
    }
}

impl Store {
    /// Each child's latest assessment under `model`: (person, level, detail JSON).
    pub async fn latest_risks(&self, model: &str) -> Result<Vec<(PersonId, i64, String)>> {
        sqlx::query(
            "SELECT r.person_id, r.level, r.detail_json FROM risk_assessments r \
             WHERE r.model = $1 AND r.assessed_on = (SELECT MAX(r2.assessed_on) \
             FROM risk_assessments r2 WHERE r2.person_id = r.person_id AND r2.model = r.model) \
             ORDER BY r.person_id",
        )
        .bind(model.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok((
                PersonId(get(row, "person_id")?),
                get(row, "level")?,
                get(row, "detail_json")?,
            ))
        })
        .collect()
    }
}

/// A level set by a person, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRiskOverride {
    pub person: PersonId,
    pub model: String,
    /// The level the model gave (index, label) when it was overridden.
    pub computed_level: i64,
    pub computed_label: String,
    pub level: i64,
    pub level_label: String,
    pub colour: String,
    pub reason: String,
}

/// An override as stored: what was set, by whom and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskOverrideRow {
    pub id: i64,
    pub set: NewRiskOverride,
    pub username: String,
    pub created_at: String,
}

impl RiskOverrideRow {
    /// Whether it still holds: the model gives the level it overrode.
    pub fn holds_at(&self, computed_level: i64) -> bool {
        self.set.computed_level == computed_level
    }
}

const OVERRIDE_COLUMNS: &str = "id, person_id, model, computed_level, computed_label, level, \
                                level_label, colour, reason, username, created_at";

fn override_of(row: &sqlx::any::AnyRow) -> Result<RiskOverrideRow> {
    Ok(RiskOverrideRow {
        id: get(row, "id")?,
        set: NewRiskOverride {
            person: PersonId(get(row, "person_id")?),
            model: get(row, "model")?,
            computed_level: get(row, "computed_level")?,
            computed_label: get(row, "computed_label")?,
            level: get(row, "level")?,
            level_label: get(row, "level_label")?,
            colour: get(row, "colour")?,
            reason: get(row, "reason")?,
        },
        username: get(row, "username")?,
        created_at: get(row, "created_at")?,
    })
}

impl Store {
    /// Records a level set by `actor` for a child in their jurisdiction, audited in the same
    /// transaction. Returns the override's id.
    pub async fn override_risk(&self, actor: &Actor, o: &NewRiskOverride) -> Result<i64> {
        self.person_in_scope(actor, o.person).await?;
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO risk_overrides (person_id, model, computed_level, computed_label, \
             level, level_label, colour, reason, user_id, username, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(o.person.0)
        .bind(o.model.clone())
        .bind(o.computed_level)
        .bind(o.computed_label.clone())
        .bind(o.level)
        .bind(o.level_label.clone())
        .bind(o.colour.clone())
        .bind(o.reason.clone())
        .bind(actor.user_id)
        .bind(actor.username.clone())
        .bind(now_text(Utc::now()))
        .fetch_one(&mut *tx.tx)
        .await?;
        let id: i64 = get(&row, "id")?;
        append(
            &mut tx.tx,
            &AuditEntry {
                user_id: Some(actor.user_id),
                username: actor.username.clone(),
                action: "risk.override".into(),
                target_kind: "person".into(),
                target_id: o.person.0.to_string(),
                detail: format!(
                    "{}: {} → {}; {}",
                    o.model, o.computed_label, o.level_label, o.reason
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A child's overrides, newest first.
    pub async fn risk_overrides_of(&self, person: PersonId) -> Result<Vec<RiskOverrideRow>> {
        sqlx::query(&format!(
            "SELECT {OVERRIDE_COLUMNS} FROM risk_overrides WHERE person_id = $1 \
             ORDER BY id DESC"
        ))
        .bind(person.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(override_of)
        .collect()
    }

    /// The newest override per child and model among these children.
    pub(crate) async fn latest_overrides(&self, ids: &[i64]) -> Result<Vec<RiskOverrideRow>> {
        let rows = crate::Sql::new(&format!(
            "SELECT {OVERRIDE_COLUMNS} FROM risk_overrides WHERE person_id IN ("
        ))
        .push_ids(ids)
        .push(") ORDER BY person_id, model, id DESC")
        .query()
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<RiskOverrideRow> = Vec::new();
        for row in &rows {
            let o = override_of(row)?;
            if out
                .last()
                .is_none_or(|l| (l.set.person, &l.set.model) != (o.set.person, &o.set.model))
            {
                out.push(o);
            }
        }
        Ok(out)
    }
}
