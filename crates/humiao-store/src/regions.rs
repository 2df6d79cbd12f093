//! The region tree: county, towns, villages, grids, with their reference points.

use humiao_core::geo::GeoPoint;
use humiao_core::{Region, RegionCode};

use crate::{corrupt, get, Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionRow {
    pub region: Region,
    pub parent: Option<RegionCode>,
}

impl Store {
    /// Inserts or renames places; parents must come before children. A place given without a
    /// reference point keeps the one it has.
    pub async fn upsert_regions(&self, regions: &[Region]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for region in regions {
            sqlx::query(
                "INSERT INTO regions (code, name, level, parent_code, rural, latitude, longitude) \
                 VALUES ($1, $2, $3, $4, $5, CAST($6 AS DOUBLE PRECISION), \
                 CAST($7 AS DOUBLE PRECISION)) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, rural = excluded.rural, \
                 latitude = COALESCE(excluded.latitude, regions.latitude), \
                 longitude = COALESCE(excluded.longitude, regions.longitude)",
            )
            .bind(region.code.to_string())
            .bind(region.name.clone())
            .bind(region.level().as_str())
            .bind(region.code.parent().map(|p| p.to_string()))
            .bind(i64::from(region.rural))
            .bind(crate::float_arg(region.centre.map(GeoPoint::lat)))
            .bind(crate::float_arg(region.centre.map(GeoPoint::lon)))
            .execute(&mut *tx.tx)
            .await?;
        }
        tx.commit().await
    }

    pub async fn regions(&self) -> Result<Vec<RegionRow>> {
        let rows = sqlx::query(
            "SELECT code, name, parent_code, rural, latitude, longitude FROM regions ORDER BY code",
        )
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
                        centre: point(get(row, "latitude")?, get(row, "longitude")?),
                    },
                    parent: parent.and_then(|p| RegionCode::parse(&p).ok()),
                })
            })
            .collect()
    }
}

/// A stored reference point: both coordinates or none.
pub(crate) fn point(lat: Option<f64>, lon: Option<f64>) -> Option<GeoPoint> {
    GeoPoint::new(lat?, lon?)
}
