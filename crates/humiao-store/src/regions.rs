//! The region tree: county, towns, villages, grids.

use humiao_core::{Region, RegionCode};

use crate::{corrupt, get, Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionRow {
    pub region: Region,
    pub parent: Option<RegionCode>,
}

impl Store {
    /// Inserts or renames places; parents must come before children.
    pub async fn upsert_regions(&self, regions: &[Region]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for region in regions {
            sqlx::query(
                "INSERT INTO regions (code, name, level, parent_code, rural) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, rural = excluded.rural",
            )
            .bind(region.code.to_string())
            .bind(region.name.clone())
            .bind(region.level().as_str())
            .bind(region.code.parent().map(|p| p.to_string()))
            .bind(i64::from(region.rural))
            .execute(&mut *tx.tx)
            .await?;
        }
        tx.commit().await
    }

    pub async fn regions(&self) -> Result<Vec<RegionRow>> {
        let rows = sqlx::query("SELECT code, name, parent_code, rural FROM regions ORDER BY code")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let code: String = get(row, "code")?;
                let parent: Option<String> = get(row, "parent_code")?;
                Ok(RegionRow {
                    region: Region {
                        code: RegionCode::parse(&code).map_err(|_| corrupt("region", &code))?,
                        name: get(row, "name")?,
                        rural: get::<i64>(row, "rural")? != 0,
                    },
                    parent: parent.and_then(|p| RegionCode::parse(&p).ok()),
                })
            })
            .collect()
    }
}
