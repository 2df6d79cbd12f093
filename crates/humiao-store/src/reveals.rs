//! Purpose-bound reveals: a user who may not see the fact behind an alert states why they need
//! it and may read it for a while. Kept and audited; the centre reviews them.

use chrono::{DateTime, Duration, Utc};
use humiao_core::access::Actor;
use humiao_core::PersonId;

use crate::audit::{append, AuditEntry};
use crate::{get, now_text, Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealRow {
    pub id: i64,
    pub username: String,
    pub alert_id: i64,
    pub person_id: PersonId,
    pub purpose: String,
    pub created_at: String,
    pub expires_at: String,
}

fn reveal_row(row: &sqlx::any::AnyRow) -> Result<RevealRow> {
    Ok(RevealRow {
        id: get(row, "id")?,
        username: get(row, "username")?,
        alert_id: get(row, "alert_id")?,
        person_id: PersonId(get(row, "person_id")?),
        purpose: get(row, "purpose")?,
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
    })
}

const COLUMNS: &str = "id, username, alert_id, person_id, purpose, created_at, expires_at";

impl Store {
    /// Lets `actor` read the detail of an alert in their jurisdiction until `now + valid`,
    /// for the stated purpose. Audited in the same transaction.
    pub async fn reveal_alert(
        &self,
        actor: &Actor,
        alert_id: i64,
        purpose: &str,
        now: DateTime<Utc>,
        valid: Duration,
    ) -> Result<RevealRow> {
        let alert = self.alert_in_scope(actor, alert_id).await?;
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO reveals (user_id, username, alert_id, person_id, purpose, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        ))
        .bind(actor.user_id)
        .bind(actor.username.clone())
        .bind(alert_id)
        .bind(alert.person_id.0)
        .bind(purpose.to_string())
        .bind(now_text(now))
        .bind(now_text(now + valid))
        .fetch_one(&mut *tx.tx)
        .await?;
        let reveal = reveal_row(&row)?;
        append(
            &mut tx.tx,
            &AuditEntry {
                user_id: Some(actor.user_id),
                username: actor.username.clone(),
                action: "alert.reveal".into(),
                target_kind: "person".into(),
                target_id: alert.person_id.0.to_string(),
                detail: format!("alert {alert_id}; until {}; {purpose}", reveal.expires_at),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(reveal)
    }

    /// The user's reveals still in force at `now`.
    pub async fn active_reveals(&self, user_id: i64, now: DateTime<Utc>) -> Result<Vec<RevealRow>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM reveals WHERE user_id = $1 AND expires_at > $2 ORDER BY id"
        ))
        .bind(user_id)
        .bind(now_text(now))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(reveal_row)
        .collect()
    }

    /// Every reveal, newest first, with the child's name, for the centre's review.
    pub async fn reveals(&self, limit: i64) -> Result<Vec<(RevealRow, String)>> {
        sqlx::query(
            "SELECT r.id, r.username, r.alert_id, r.person_id, r.purpose, r.created_at, \
             r.expires_at, p.name AS child_name FROM reveals r \
             JOIN persons p ON p.id = r.person_id ORDER BY r.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((reveal_row(row)?, get(row, "child_name")?)))
        .collect()
    }
}
