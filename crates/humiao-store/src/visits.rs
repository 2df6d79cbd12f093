//! Home visits (走访) with position, the six-aspect form, notes and photos.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use humiao_core::access::Actor;
use humiao_core::policy::Observation;
use humiao_core::PersonId;
use sha2::{Digest, Sha256};

use crate::audit::{append, AuditEntry};
use crate::children::push_scope;
use crate::{get, now_text, parse_date, Arg, Result, Sql, Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct NewPhoto {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewVisit {
    pub person: PersonId,
    /// The alert this visit answers; it is closed with the visit.
    pub alert_id: Option<i64>,
    pub visited_at: DateTime<Utc>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    /// Aspect name (家庭情况 …) → what the director found.
    pub aspects: BTreeMap<String, String>,
    pub notes: String,
    pub photos: Vec<NewPhoto>,
    /// What the director observed of the risk model's visit-fed indicators (only those
    /// answered), dated `observed_on` — the visit's day by the application's clock (UTC+8).
    pub observations: Vec<NewObservation>,
    pub observed_on: chrono::NaiveDate,
}

/// One visit-fed risk indicator, seen or not seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewObservation {
    pub model: String,
    pub indicator: String,
    pub present: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VisitRow {
    pub id: i64,
    pub person_id: PersonId,
    pub alert_id: Option<i64>,
    pub user_display_name: String,
    pub visited_at: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub aspects: BTreeMap<String, String>,
    pub notes: String,
    pub photo_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRow {
    pub id: i64,
    pub visit_id: i64,
    pub person_id: PersonId,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Store {
    /// Records a visit by `actor` to a child in their jurisdiction, closes the alert it answers,
    /// and audits it — all in one transaction. Returns the visit id.
    pub async fn record_visit(&self, actor: &Actor, visit: &NewVisit) -> Result<i64> {
        // Scope check first: a visit to a child outside the jurisdiction does not exist.
        self.person_in_scope(actor, visit.person).await?;
        if let Some(alert_id) = visit.alert_id {
            let alert = self.alert_in_scope(actor, alert_id).await?;
            if alert.person_id != visit.person {
                return Err(StoreError::Conflict("预警与走访儿童不一致".into()));
            }
        }
        let mut tx = self.begin_write().await?;
        let now = now_text(Utc::now());
        let aspects = serde_json::to_string(&visit.aspects)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let row = sqlx::query(
            "INSERT INTO visits (person_id, alert_id, user_id, visited_at, latitude, longitude, \
             accuracy_m, aspects_json, notes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(visit.person.0)
        .bind(visit.alert_id)
        .bind(actor.user_id)
        .bind(now_text(visit.visited_at))
        .bind(visit.latitude)
        .bind(visit.longitude)
        .bind(visit.accuracy_m)
        .bind(aspects)
        .bind(visit.notes.clone())
        .bind(now.clone())
        .fetch_one(&mut *tx.tx)
        .await?;
        let visit_id: i64 = get(&row, "id")?;
        for photo in &visit.photos {
            sqlx::query(
                "INSERT INTO photos (visit_id, person_id, content_type, sha256, bytes, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(visit_id)
            .bind(visit.person.0)
            .bind(photo.content_type.clone())
            .bind(hex::encode(Sha256::digest(&photo.bytes)))
            .bind(photo.bytes.clone())
            .bind(now.clone())
            .execute(&mut *tx.tx)
            .await?;
        }
        let observed_on = crate::date_text(visit.observed_on);
        for o in &visit.observations {
            sqlx::query(
                "INSERT INTO visit_observations (visit_id, model, indicator, present, \
                 observed_on) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(visit_id)
            .bind(o.model.clone())
            .bind(o.indicator.clone())
            .bind(i64::from(o.present))
            .bind(observed_on.clone())
            .execute(&mut *tx.tx)
            .await?;
        }
        if let Some(alert_id) = visit.alert_id {
            sqlx::query(
                "UPDATE alerts SET status = 'closed', closed_at = $1, closed_by = $2 \
                 WHERE id = $3 AND status = 'open'",
            )
            .bind(now.clone())
            .bind(actor.user_id)
            .bind(alert_id)
            .execute(&mut *tx.tx)
            .await?;
        }
        append(
            &mut tx.tx,
            &AuditEntry {
                user_id: Some(actor.user_id),
                username: actor.username.clone(),
                action: "visit.record".into(),
                target_kind: "person".into(),
                target_id: visit.person.0.to_string(),
                detail: format!(
                    "visit {visit_id}; alert {}; {} photo(s); {} observation(s)",
                    visit
                        .alert_id
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| "-".into()),
                    visit.photos.len(),
                    visit.observations.len()
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(visit_id)
    }

    pub async fn visits_of(&self, person: PersonId) -> Result<Vec<VisitRow>> {
        let rows = sqlx::query(
            "SELECT v.id, v.person_id, v.alert_id, u.display_name, v.visited_at, v.latitude, \
             v.longitude, v.accuracy_m, v.aspects_json, v.notes FROM visits v \
             JOIN users u ON u.id = v.user_id WHERE v.person_id = $1 ORDER BY v.visited_at DESC",
        )
        .bind(person.0)
        .fetch_all(&self.pool)
        .await?;
        let photos =
            sqlx::query("SELECT id, visit_id FROM photos WHERE person_id = $1 ORDER BY id")
                .bind(person.0)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                let id: i64 = get(row, "id")?;
                let aspects: String = get(row, "aspects_json")?;
                let photo_ids = photos
                    .iter()
                    .filter(|p| get::<i64>(p, "visit_id").ok() == Some(id))
                    .map(|p| get::<i64>(p, "id"))
                    .collect::<Result<Vec<_>>>()?;
                Ok(VisitRow {
                    id,
                    person_id: PersonId(get(row, "person_id")?),
                    alert_id: get(row, "alert_id")?,
                    user_display_name: get(row, "display_name")?,
                    visited_at: get(row, "visited_at")?,
                    latitude: get(row, "latitude")?,
                    longitude: get(row, "longitude")?,
                    accuracy_m: get(row, "accuracy_m")?,
                    aspects: serde_json::from_str(&aspects)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    notes: get(row, "notes")?,
                    photo_ids,
                })
            })
            .collect()
    }

    /// Visit observations of these children (all children when `None`), as the rules read
    /// them.
    pub async fn observations_of(
        &self,
        children: Option<&[PersonId]>,
    ) -> Result<Vec<(PersonId, Observation)>> {
        let filter = match children {
            Some([]) => return Ok(Vec::new()),
            // Integers we were given, so inlining them is safe.
            Some(ids) => format!(
                "WHERE v.person_id IN ({})",
                ids.iter()
                    .map(|p| p.0.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            None => String::new(),
        };
        sqlx::query(&format!(
            "SELECT v.person_id, o.visit_id, o.model, o.indicator, o.present, o.observed_on \
             FROM visit_observations o JOIN visits v ON v.id = o.visit_id {filter} \
             ORDER BY v.person_id, o.observed_on, o.visit_id, o.model, o.indicator"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok((
                PersonId(get(row, "person_id")?),
                Observation {
                    model: get(row, "model")?,
                    indicator: get(row, "indicator")?,
                    present: get::<i64>(row, "present")? != 0,
                    observed_on: parse_date(&get::<String>(row, "observed_on")?)?,
                    visit: get(row, "visit_id")?,
                },
            ))
        })
        .collect()
    }

    /// Each child's latest visit time (UTC text) among these children.
    pub async fn last_visits(&self, children: &[PersonId]) -> Result<Vec<(PersonId, String)>> {
        if children.is_empty() {
            return Ok(Vec::new());
        }
        // Integers we were given, so inlining them is safe.
        let ids = children
            .iter()
            .map(|p| p.0.to_string())
            .collect::<Vec<_>>()
            .join(",");
        sqlx::query(&format!(
            "SELECT person_id, MAX(visited_at) AS last FROM visits WHERE person_id IN ({ids}) \
             GROUP BY person_id"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((PersonId(get(row, "person_id")?), get(row, "last")?)))
        .collect()
    }

    /// A photo, only if the child it shows is within the actor's jurisdiction.
    pub async fn photo_in_scope(&self, actor: &Actor, id: i64) -> Result<PhotoRow> {
        let mut sql = Sql::new(
            "SELECT ph.id, ph.visit_id, ph.person_id, ph.content_type, ph.bytes FROM photos ph \
             JOIN persons p ON p.id = ph.person_id WHERE ph.id = ",
        );
        sql.bind(Arg::Int(id)).push(" AND ");
        push_scope(&mut sql, actor, "p.residence_grid", "p.hukou_region");
        let row = sql
            .query()
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(PhotoRow {
            id: get(&row, "id")?,
            visit_id: get(&row, "visit_id")?,
            person_id: PersonId(get(&row, "person_id")?),
            content_type: get(&row, "content_type")?,
            bytes: get(&row, "bytes")?,
        })
    }
}
