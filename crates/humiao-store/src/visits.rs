//! Home visits (走访) with position, the visit form's aspects, notes and photos, and the
//! plausibility flags computed when a visit is recorded (走访核验).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use humiao_core::access::Actor;
use humiao_core::geo::GeoPoint;
use humiao_core::policy::Observation;
use humiao_core::visit::VisitAspect;
use humiao_core::visit_check::{
    self, CheckParams, Fix, FlagCode, PriorVisit, VisitFacts, VisitFlag,
};
use humiao_core::{PersonId, RegionCode};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::audit::{append, AuditEntry};
use crate::children::push_scope;
use crate::regions::point;
use crate::schedule::visit_day;
use crate::{corrupt, get, now_text, parse_date, parse_time, Arg, Result, Sql, Store, StoreError};

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
    /// The aspects of the visit form that were filled in, in form order, each with the code
    /// and label the form had (`humiao_rules::visit::VisitForm::collect` builds them).
    pub aspects: Vec<VisitAspect>,
    pub notes: String,
    pub photos: Vec<NewPhoto>,
    /// What the director observed of the risk model's visit-fed indicators (only those
    /// answered), dated `observed_on` — the visit's day by the application's clock (UTC+8).
    pub observations: Vec<NewObservation>,
    pub observed_on: chrono::NaiveDate,
    /// The thresholds of the plausibility checks, from the pack in force
    /// (`humiao_rules::visit::check_params`).
    pub checks: CheckParams,
    /// The identifier the recording device gave the visit (the phone's UUID, or the form's):
    /// a visit with the same one is stored once, however often it is sent.
    pub client_id: Option<String>,
}

/// What recording a visit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedVisit {
    /// The visit's id: the new one, or for a duplicate the one stored first.
    pub id: i64,
    /// The same user had already recorded a visit with this `client_id`: nothing was stored.
    pub duplicate: bool,
    /// The alert the visit answers was no longer open: the visit is kept (it happened), the
    /// alert and the visit that closed it are left as they were.
    pub alert_closed_before: Option<ClosedAlert>,
}

/// How an alert came to be closed before a visit answering it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedAlert {
    /// RFC 3339, UTC.
    pub closed_at: Option<String>,
    /// The display name of the user who closed it.
    pub closed_by: Option<String>,
    /// The visit that closed it.
    pub visit_id: Option<i64>,
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
    /// In form order; visits recorded before forms had codes have empty codes.
    pub aspects: Vec<VisitAspect>,
    pub notes: String,
    pub photo_ids: Vec<i64>,
    /// What the plausibility checks found when it was recorded.
    pub flags: Vec<VisitFlag>,
}

impl VisitRow {
    /// The text written for an aspect, by code or label.
    pub fn aspect(&self, code_or_label: &str) -> Option<&str> {
        self.aspects
            .iter()
            .find(|a| a.code == code_or_label || a.label == code_or_label)
            .map(|a| a.text.as_str())
    }
}

/// A visit with flags for review, as its supervisor lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct FlaggedVisitRow {
    pub visit_id: i64,
    pub person_id: PersonId,
    /// The grid where the child lives.
    pub grid: Option<RegionCode>,
    pub visited_at: String,
    pub director: String,
    pub flags: Vec<VisitFlag>,
}

/// The aspects as stored: a list with codes, or (before visit forms had codes) a map from
/// label to text.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredAspects {
    List(Vec<VisitAspect>),
    Labels(BTreeMap<String, String>),
}

fn read_aspects(json: &str) -> Result<Vec<VisitAspect>> {
    match serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))? {
        StoredAspects::List(list) => Ok(list),
        StoredAspects::Labels(map) => Ok(map
            .into_iter()
            .map(|(label, text)| VisitAspect {
                code: String::new(),
                label,
                text,
            })
            .collect()),
    }
}

fn flag_from_row(row: &sqlx::any::AnyRow) -> Result<VisitFlag> {
    let code: String = get(row, "code")?;
    Ok(VisitFlag {
        code: FlagCode::parse(&code).ok_or_else(|| corrupt("visit flag", &code))?,
        message: get(row, "message")?,
    })
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
    /// The visit `actor` recorded with this `client_id`, if any. The identifier of another
    /// user's visit is a conflict (phones make UUIDs; a collision means a forged or copied
    /// request), answered without saying whose it is.
    pub async fn visit_by_client_id(&self, actor: &Actor, client_id: &str) -> Result<Option<i64>> {
        let Some(row) = sqlx::query("SELECT id, user_id FROM visits WHERE client_id = $1")
            .bind(client_id.to_string())
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        if get::<i64>(&row, "user_id")? != actor.user_id {
            return Err(StoreError::Conflict("走访编号已被使用".into()));
        }
        Ok(Some(get(&row, "id")?))
    }

    /// Records a visit by `actor` to a child in their jurisdiction, checks its plausibility
    /// (flags stored in `visit_flags`; [`Store::own_visit_flags`] gives them; a flag never
    /// refuses a visit), closes the alert it answers if it is still open, and audits it — visit,
    /// photos, observations, flags, closing and audit in one transaction, so either all of it
    /// is stored or none.
    ///
    /// A visit carrying a `client_id` already recorded by the same user is not stored again
    /// (a phone's retried or replayed sync): the first visit's id comes back, marked duplicate.
    pub async fn record_visit(&self, actor: &Actor, visit: &NewVisit) -> Result<RecordedVisit> {
        if let Some(client_id) = &visit.client_id {
            // Before the scope check: a visit stored before the child left the grid is still
            // the director's, and its replay must not read as a refusal.
            if let Some(id) = self.visit_by_client_id(actor, client_id).await? {
                return Ok(RecordedVisit {
                    id,
                    duplicate: true,
                    alert_closed_before: None,
                });
            }
        }
        // Scope check first: a visit to a child outside the jurisdiction does not exist.
        let child = self.person_in_scope(actor, visit.person).await?;
        let mut alert_raised_at = None;
        if let Some(alert_id) = visit.alert_id {
            let alert = self.alert_in_scope(actor, alert_id).await?;
            if alert.person_id != visit.person {
                return Err(StoreError::Conflict("预警与走访儿童不一致".into()));
            }
            alert_raised_at = Some(parse_time(&alert.created_at)?);
        }
        let mut tx = self.begin_write().await?;
        let recorded_at = Utc::now();
        let now = now_text(recorded_at);

        // What the checks need: the residence's reference point and this director's previous
        // visit, read in the same transaction as the insert.
        let residence = match &child.residence_grid {
            Some(grid) => residence_point(&mut tx.tx, grid).await?,
            None => None,
        };
        let previous = sqlx::query(
            "SELECT visited_at, latitude, longitude, accuracy_m FROM visits \
             WHERE user_id = $1 AND visited_at <= $2 ORDER BY visited_at DESC, id DESC LIMIT 1",
        )
        .bind(actor.user_id)
        .bind(now_text(visit.visited_at))
        .fetch_optional(&mut *tx.tx)
        .await?
        .map(|row| -> Result<PriorVisit> {
            let accuracy_m: Option<f64> = get(&row, "accuracy_m")?;
            Ok(PriorVisit {
                visited_at: parse_time(&get::<String>(&row, "visited_at")?)?,
                position: point(get(&row, "latitude")?, get(&row, "longitude")?)
                    .map(|at| Fix { at, accuracy_m }),
            })
        })
        .transpose()?;
        let position = visit
            .latitude
            .zip(visit.longitude)
            .and_then(|(lat, lon)| GeoPoint::new(lat, lon))
            .map(|at| Fix {
                at,
                accuracy_m: visit.accuracy_m,
            });
        let flags = visit_check::check(
            &VisitFacts {
                position,
                residence,
                visited_at: visit.visited_at,
                recorded_at,
                alert_raised_at,
                birth_date: child.birth_date,
                previous,
            },
            &visit.checks,
        );

        let aspects = serde_json::to_string(&visit.aspects)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let inserted = sqlx::query(
            "INSERT INTO visits (person_id, alert_id, user_id, visited_at, latitude, longitude, \
             accuracy_m, aspects_json, notes, created_at, client_id) \
             VALUES ($1, $2, $3, $4, CAST($5 AS DOUBLE PRECISION), CAST($6 AS DOUBLE PRECISION), \
             CAST($7 AS DOUBLE PRECISION), $8, $9, $10, $11) RETURNING id",
        )
        .bind(visit.person.0)
        .bind(visit.alert_id)
        .bind(actor.user_id)
        .bind(now_text(visit.visited_at))
        .bind(crate::float_arg(visit.latitude))
        .bind(crate::float_arg(visit.longitude))
        .bind(crate::float_arg(visit.accuracy_m))
        .bind(aspects)
        .bind(visit.notes.clone())
        .bind(now.clone())
        .bind(visit.client_id.clone())
        .fetch_one(&mut *tx.tx)
        .await;
        let row = match (inserted, &visit.client_id) {
            (Ok(row), _) => row,
            // The same visit arriving twice at once (a retry while the first upload is still
            // being stored): the first one's transaction won.
            (Err(sqlx::Error::Database(e)), Some(client_id)) if e.is_unique_violation() => {
                drop(tx);
                let id = self
                    .visit_by_client_id(actor, client_id)
                    .await?
                    .ok_or(StoreError::Conflict("走访编号冲突".into()))?;
                return Ok(RecordedVisit {
                    id,
                    duplicate: true,
                    alert_closed_before: None,
                });
            }
            (Err(e), _) => return Err(e.into()),
        };
        let visit_id: i64 = get(&row, "id")?;
        crate::schedule::record_visit_day(&mut tx.tx, visit.person, visit_day(visit.visited_at))
            .await?;
        for flag in &flags {
            sqlx::query(
                "INSERT INTO visit_flags (visit_id, code, message, review) VALUES ($1, $2, $3, $4)",
            )
            .bind(visit_id)
            .bind(flag.code.code())
            .bind(flag.message.clone())
            .bind(i64::from(flag.code.needs_review()))
            .execute(&mut *tx.tx)
            .await?;
        }
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
        let mut alert_closed_before = None;
        if let Some(alert_id) = visit.alert_id {
            let closed = sqlx::query(
                "UPDATE alerts SET status = 'closed', closed_at = $1, closed_by = $2 \
                 WHERE id = $3 AND status = 'open'",
            )
            .bind(now.clone())
            .bind(actor.user_id)
            .bind(alert_id)
            .execute(&mut *tx.tx)
            .await?;
            if closed.rows_affected() == 0 {
                // Closed meanwhile (by another visit): leave it and that visit as they are.
                let row = sqlx::query(
                    "SELECT a.closed_at, u.display_name, \
                     (SELECT MIN(v.id) FROM visits v WHERE v.alert_id = a.id AND v.id <> $2) \
                     AS visit_id FROM alerts a LEFT JOIN users u ON u.id = a.closed_by \
                     WHERE a.id = $1",
                )
                .bind(alert_id)
                .bind(visit_id)
                .fetch_one(&mut *tx.tx)
                .await?;
                alert_closed_before = Some(ClosedAlert {
                    closed_at: get(&row, "closed_at")?,
                    closed_by: get(&row, "display_name")?,
                    visit_id: get(&row, "visit_id")?,
                });
            }
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
                    "visit {visit_id}; alert {}{}; {} photo(s); {} observation(s); flags {}{}",
                    visit
                        .alert_id
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| "-".into()),
                    if alert_closed_before.is_some() {
                        " (already closed)"
                    } else {
                        ""
                    },
                    visit.photos.len(),
                    visit.observations.len(),
                    if flags.is_empty() {
                        "-".to_string()
                    } else {
                        flags
                            .iter()
                            .map(|f| f.code.code())
                            .collect::<Vec<_>>()
                            .join(",")
                    },
                    visit
                        .client_id
                        .as_deref()
                        .map(|c| format!("; client {c}"))
                        .unwrap_or_default()
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(RecordedVisit {
            id: visit_id,
            duplicate: false,
            alert_closed_before,
        })
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
        let flags = sqlx::query(
            "SELECT f.visit_id, f.code, f.message FROM visit_flags f \
             JOIN visits v ON v.id = f.visit_id WHERE v.person_id = $1 ORDER BY f.id",
        )
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
                let flags = flags
                    .iter()
                    .filter(|f| get::<i64>(f, "visit_id").ok() == Some(id))
                    .map(flag_from_row)
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
                    aspects: read_aspects(&aspects)?,
                    notes: get(row, "notes")?,
                    photo_ids,
                    flags,
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
            Some(ids) => format!("WHERE v.person_id IN ({})", crate::id_list(ids)),
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
        let ids = crate::id_list(children);
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

    /// The flags of a visit the actor recorded themselves (for the notice after saving); empty
    /// for anyone else's visit.
    pub async fn own_visit_flags(&self, actor: &Actor, visit_id: i64) -> Result<Vec<VisitFlag>> {
        sqlx::query(
            "SELECT f.code, f.message FROM visit_flags f JOIN visits v ON v.id = f.visit_id \
             WHERE f.visit_id = $1 AND v.user_id = $2 ORDER BY f.id",
        )
        .bind(visit_id)
        .bind(actor.user_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(flag_from_row)
        .collect()
    }

    /// Visits with flags for review, of children within the actor's jurisdiction, latest first
    /// (at most `limit`), each with its review flags.
    pub async fn flagged_visits(&self, actor: &Actor, limit: i64) -> Result<Vec<FlaggedVisitRow>> {
        // From the flagged visits (few) to their children, not from the children in scope
        // (a county's): SQLite keeps a CROSS JOIN's order; PostgreSQL plans it as any join.
        let mut sql = Sql::new(
            "SELECT v.id, v.person_id, v.visited_at, u.display_name, p.residence_grid \
             FROM (SELECT DISTINCT visit_id FROM visit_flags WHERE review = 1) f \
             CROSS JOIN visits v CROSS JOIN persons p CROSS JOIN users u \
             WHERE v.id = f.visit_id AND p.id = v.person_id AND u.id = v.user_id AND ",
        );
        push_scope(&mut sql, actor, "p.residence_grid", "p.hukou_region");
        sql.push(" ORDER BY v.visited_at DESC, v.id DESC LIMIT ")
            .bind(Arg::Int(limit.max(0)));
        let visits = sql.query().fetch_all(&self.pool).await?;
        if visits.is_empty() {
            return Ok(Vec::new());
        }
        let ids = visits
            .iter()
            .map(|v| get::<i64>(v, "id").map(|id| id.to_string()))
            .collect::<Result<Vec<_>>>()?
            .join(",");
        // Integers read from the database, so inlining them is safe.
        let flags = sqlx::query(&format!(
            "SELECT visit_id, code, message FROM visit_flags \
             WHERE review = 1 AND visit_id IN ({ids}) ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?;
        visits
            .iter()
            .map(|row| {
                let id: i64 = get(row, "id")?;
                let grid: Option<String> = get(row, "residence_grid")?;
                Ok(FlaggedVisitRow {
                    visit_id: id,
                    person_id: PersonId(get(row, "person_id")?),
                    grid: grid.and_then(|g| RegionCode::parse(&g).ok()),
                    visited_at: get(row, "visited_at")?,
                    director: get(row, "display_name")?,
                    flags: flags
                        .iter()
                        .filter(|f| get::<i64>(f, "visit_id").ok() == Some(id))
                        .map(flag_from_row)
                        .collect::<Result<Vec<_>>>()?,
                })
            })
            .collect()
    }

    /// How many visits with flags for review there are per grid where the child lives, within
    /// the actor's jurisdiction.
    pub async fn flagged_visit_counts(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(Option<RegionCode>, usize)>> {
        let mut sql = Sql::new(
            "SELECT p.residence_grid AS grid, COUNT(*) AS n \
             FROM (SELECT DISTINCT visit_id FROM visit_flags WHERE review = 1) f \
             CROSS JOIN visits v CROSS JOIN persons p \
             WHERE v.id = f.visit_id AND p.id = v.person_id AND ",
        );
        push_scope(&mut sql, actor, "p.residence_grid", "p.hukou_region");
        sql.push(" GROUP BY p.residence_grid ORDER BY p.residence_grid");
        sql.query()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                let grid: Option<String> = get(row, "grid")?;
                let n: i64 = get(row, "n")?;
                Ok((
                    grid.and_then(|g| RegionCode::parse(&g).ok()),
                    usize::try_from(n).unwrap_or(0),
                ))
            })
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

/// The reference point of a residence grid: the grid's own, else its village's.
async fn residence_point(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    grid: &RegionCode,
) -> Result<Option<GeoPoint>> {
    let village = grid.parent().unwrap_or_else(|| grid.clone());
    let rows = sqlx::query("SELECT code, latitude, longitude FROM regions WHERE code IN ($1, $2)")
        .bind(grid.to_string())
        .bind(village.to_string())
        .fetch_all(&mut **tx)
        .await?;
    let of = |code: &RegionCode| -> Result<Option<GeoPoint>> {
        for row in &rows {
            if get::<String>(row, "code")? == code.to_string() {
                return Ok(point(get(row, "latitude")?, get(row, "longitude")?));
            }
        }
        Ok(None)
    };
    Ok(of(grid)?.or(of(&village)?))
}
