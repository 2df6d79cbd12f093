//! The audit log: who read or changed what, when. Tamper-evident: each row's hash covers its
//! content and the previous row's hash, so editing or deleting a row breaks the chain.

use chrono::Utc;
use sha2::{Digest, Sha256};
use sqlx::{Any, Transaction};

use crate::{get, now_text, Arg, Result, Sql, Store};

/// One thing to record. `target_kind`/`target_id` name the record acted on (e.g. `person`, `42`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub user_id: Option<i64>,
    pub username: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub user_id: Option<i64>,
    pub username: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub detail: String,
    pub hash: String,
}

/// Result of re-computing the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    pub rows: i64,
    /// The first row whose hash does not match its content or predecessor.
    pub first_broken: Option<i64>,
}

fn row_hash(prev: &str, id: i64, at: &str, entry: &AuditEntry) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &id.to_string(),
        at,
        &entry.user_id.map(|u| u.to_string()).unwrap_or_default(),
        &entry.username,
        &entry.action,
        &entry.target_kind,
        &entry.target_id,
        &entry.detail,
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

/// Appends to the log inside the caller's transaction, so the entry commits with the change.
pub(crate) async fn append(tx: &mut Transaction<'static, Any>, entry: &AuditEntry) -> Result<()> {
    // The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) first, so two
    // writers cannot both extend the chain from the same head.
    sqlx::query("UPDATE audit_head SET last_id = last_id + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    let head = sqlx::query("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut **tx)
        .await?;
    let id: i64 = get(&head, "last_id")?;
    let prev: String = get(&head, "last_hash")?;
    let at = now_text(Utc::now());
    let hash = row_hash(&prev, id, &at, entry);
    let mut sql = Sql::new(
        "INSERT INTO audit_log (id, at, user_id, username, action, target_kind, target_id, \
         detail, prev_hash, hash) VALUES (",
    );
    sql.bind(Arg::Int(id))
        .push(", ")
        .bind(Arg::Text(at))
        .push(", ");
    match entry.user_id {
        Some(u) => sql.bind(Arg::Int(u)),
        None => sql.push("NULL"),
    };
    for value in [
        &entry.username,
        &entry.action,
        &entry.target_kind,
        &entry.target_id,
        &entry.detail,
        &prev,
    ] {
        sql.push(", ").bind(Arg::Text(value.clone()));
    }
    sql.push(", ").bind(Arg::Text(hash.clone())).push(")");
    sql.query().execute(&mut **tx).await?;
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
        .bind(hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn audit_row(row: &sqlx::any::AnyRow) -> Result<AuditRow> {
    Ok(AuditRow {
        id: get(row, "id")?,
        at: get(row, "at")?,
        user_id: get(row, "user_id")?,
        username: get(row, "username")?,
        action: get(row, "action")?,
        target_kind: get(row, "target_kind")?,
        target_id: get(row, "target_id")?,
        detail: get(row, "detail")?,
        hash: get(row, "hash")?,
    })
}

const AUDIT_COLUMNS: &str =
    "id, at, user_id, username, action, target_kind, target_id, detail, prev_hash, hash";

impl Store {
    /// Records an action that changes nothing else (a read, a login).
    pub async fn audit(&self, entry: &AuditEntry) -> Result<()> {
        let mut tx = self.begin_write().await?;
        append(&mut tx.tx, entry).await?;
        tx.commit().await
    }

    /// The newest entries first, optionally only those about one target.
    pub async fn audit_log(
        &self,
        target: Option<(&str, &str)>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditRow>> {
        let mut sql = Sql::new(&format!("SELECT {AUDIT_COLUMNS} FROM audit_log"));
        if let Some((kind, id)) = target {
            sql.push(" WHERE target_kind = ")
                .bind(Arg::Text(kind.into()))
                .push(" AND target_id = ")
                .bind(Arg::Text(id.into()));
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .bind(Arg::Int(limit))
            .push(" OFFSET ")
            .bind(Arg::Int(offset));
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter().map(audit_row).collect()
    }

    /// Re-computes every hash in order.
    pub async fn verify_audit_chain(&self) -> Result<ChainCheck> {
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut prev =
            "0000000000000000000000000000000000000000000000000000000000000000".to_string();
        for (expected_id, row) in (1..).zip(&rows) {
            let r = audit_row(row)?;
            let stored_prev: String = get(row, "prev_hash")?;
            let entry = AuditEntry {
                user_id: r.user_id,
                username: r.username.clone(),
                action: r.action.clone(),
                target_kind: r.target_kind.clone(),
                target_id: r.target_id.clone(),
                detail: r.detail.clone(),
            };
            if r.id != expected_id
                || stored_prev != prev
                || row_hash(&prev, r.id, &r.at, &entry) != r.hash
            {
                return Ok(ChainCheck {
                    rows: rows.len() as i64,
                    first_broken: Some(r.id),
                });
            }
            prev = r.hash;
        }
        Ok(ChainCheck {
            rows: rows.len() as i64,
            first_broken: None,
        })
    }
}
