//! Users, their jurisdictions, login lock-out and sessions.

use chrono::{DateTime, Utc};
use humiao_core::access::{Actor, Role};
use humiao_core::{Department, RegionCode};

use crate::{corrupt, get, now_text, parse_time, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    /// An argon2id PHC string; this crate never sees passwords.
    pub password_hash: String,
    pub role: Role,
    pub jurisdiction: Vec<RegionCode>,
    /// The department a liaison (部门联络员) works for; `None` for every other role.
    pub department: Option<Department>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub active: bool,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub jurisdiction: Vec<RegionCode>,
    pub department: Option<Department>,
}

impl UserRow {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            username: self.username.clone(),
            role: self.role,
            jurisdiction: self.jurisdiction.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub user: UserRow,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

const USER_COLUMNS: &str =
    "id, username, display_name, password_hash, role, active, failed_logins, locked_until, \
     department";

impl Store {
    /// Creates a user, or updates name, hash, role and jurisdiction of an existing username.
    pub async fn upsert_user(&self, user: &NewUser) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO users (username, display_name, password_hash, role, created_at, \
             department) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, \
             password_hash = excluded.password_hash, role = excluded.role, active = 1, \
             department = excluded.department, \
             failed_logins = 0, locked_until = NULL \
             RETURNING id",
        )
        .bind(user.username.clone())
        .bind(user.display_name.clone())
        .bind(user.password_hash.clone())
        .bind(user.role.code())
        .bind(now_text(Utc::now()))
        .bind(user.department.map(|d| d.code()))
        .fetch_one(&mut *tx.tx)
        .await?;
        let id: i64 = get(&row, "id")?;
        sqlx::query("DELETE FROM user_regions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx.tx)
            .await?;
        for region in &user.jurisdiction {
            sqlx::query("INSERT INTO user_regions (user_id, region_code) VALUES ($1, $2)")
                .bind(id)
                .bind(region.to_string())
                .execute(&mut *tx.tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn user_from_row(&self, row: &sqlx::any::AnyRow) -> Result<UserRow> {
        let id: i64 = get(row, "id")?;
        let role: String = get(row, "role")?;
        let locked: Option<String> = get(row, "locked_until")?;
        let department: Option<String> = get(row, "department")?;
        let regions = sqlx::query(
            "SELECT region_code FROM user_regions WHERE user_id = $1 ORDER BY region_code",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let jurisdiction = regions
            .iter()
            .map(|r| {
                let code: String = get(r, "region_code")?;
                RegionCode::parse(&code).map_err(|_| corrupt("region", &code))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(UserRow {
            id,
            username: get(row, "username")?,
            display_name: get(row, "display_name")?,
            password_hash: get(row, "password_hash")?,
            role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
            active: get::<i64>(row, "active")? != 0,
            failed_logins: get(row, "failed_logins")?,
            locked_until: locked.as_deref().map(parse_time).transpose()?,
            jurisdiction,
            department: department
                .map(|d| Department::parse(&d).ok_or_else(|| corrupt("department", &d)))
                .transpose()?,
        })
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
        ))
        .bind(username.to_string())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(self.user_from_row(&row).await?)),
            None => Ok(None),
        }
    }

    pub async fn user(&self, id: i64) -> Result<UserRow> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.user_from_row(&row).await
    }

    pub async fn users(&self) -> Result<Vec<UserRow>> {
        let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.user_from_row(row).await?);
        }
        Ok(out)
    }

    /// Counts a failed login; locks the account until `lock_until` when given.
    pub async fn record_failed_login(
        &self,
        user_id: i64,
        lock_until: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1, \
             locked_until = COALESCE($1, locked_until) WHERE id = $2",
        )
        .bind(lock_until.map(now_text))
        .bind(user_id)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
    }

    pub async fn reset_failed_logins(&self, user_id: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await
    }

    /// Stores a session by the hash of its token (the token itself is only in the cookie), and
    /// removes sessions that have expired.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let now = now_text(Utc::now());
        // Expired sessions are useless and only grow the table: drop them as new ones start.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now.clone())
            .execute(&mut *tx.tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash.to_string())
        .bind(user_id)
        .bind(csrf_token.to_string())
        .bind(now)
        .bind(now_text(expires_at))
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
    }

    /// The live session for a token hash, with its user; expired sessions are not returned.
    pub async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT user_id, csrf_token, expires_at FROM sessions \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash.to_string())
        .bind(now_text(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = self.user(get(&row, "user_id")?).await?;
        if !user.active {
            return Ok(None);
        }
        let expires: String = get(&row, "expires_at")?;
        Ok(Some(SessionRow {
            user,
            csrf_token: get(&row, "csrf_token")?,
            expires_at: parse_time(&expires)?,
        }))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_string())
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await
    }
}
