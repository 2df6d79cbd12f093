//! Risk assessments (风险评估记录): one row per child, model and date, written with the
//! categories by each assessment; the history feeds the dynamic rules.

use chrono::NaiveDate;
use humiao_core::PersonId;
use sqlx::Any;

use crate::{date_text, get, parse_date, Arg, Result, Sql, Store};

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
        let ids = children
            .iter()
            .map(|p| p.0.to_string())
            .collect::<Vec<_>>()
            .join(",");
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
