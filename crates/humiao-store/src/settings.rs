//! Settings the centre changes (one JSON text per key), each change audited in the same
//! transaction.

use chrono::Utc;

use crate::audit::{append, AuditEntry};
use crate::{get, now_text, Result, Store};

/// A stored setting with who changed it last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingRow {
    pub key: String,
    pub value: String,
    pub updated_at: String,
    pub updated_by: String,
}

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<SettingRow>> {
        let row =
            sqlx::query("SELECT key, value, updated_at, updated_by FROM settings WHERE key = $1")
                .bind(key.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|row| {
            Ok(SettingRow {
                key: get(&row, "key")?,
                value: get(&row, "value")?,
                updated_at: get(&row, "updated_at")?,
                updated_by: get(&row, "updated_by")?,
            })
        })
        .transpose()
    }

    /// Writes a setting and its audit entry together.
    pub async fn put_setting(&self, key: &str, value: &str, by: &AuditEntry) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(key.to_string())
        .bind(value.to_string())
        .bind(now_text(Utc::now()))
        .bind(by.username.clone())
        .execute(&mut *tx.tx)
        .await?;
        append(&mut tx.tx, by).await?;
        tx.commit().await
    }
}
