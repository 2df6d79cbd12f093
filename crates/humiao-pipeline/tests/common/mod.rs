//! What the pipeline's integration tests share: a fresh PostgreSQL database per test, and
//! regions from (code, name, rural) rows.

#![allow(dead_code)] // each test file uses part of it

use humiao_core::{Region, RegionCode};
use humiao_store::Store;

/// A fresh PostgreSQL database, dropped by [`PgDb::drop`].
pub struct PgDb {
    pub store: Store,
    admin_url: String,
    name: String,
}

/// A fresh database on `HUMIAO_TEST_POSTGRES`; `None` (said on stderr) when it is not set,
/// which `HUMIAO_REQUIRE_POSTGRES` (CI) refuses.
pub async fn postgres(prefix: &str) -> Option<PgDb> {
    use sqlx::Connection;
    let Ok(admin_url) = std::env::var("HUMIAO_TEST_POSTGRES") else {
        assert!(
            std::env::var("HUMIAO_REQUIRE_POSTGRES").is_err(),
            "HUMIAO_TEST_POSTGRES is required"
        );
        eprintln!("SKIPPED the PostgreSQL half: HUMIAO_TEST_POSTGRES not set");
        return None;
    };
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
    let name = format!(
        "humiao_{prefix}_{}_{}",
        std::process::id(),
        rand::random::<u32>()
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let base = admin_url
        .rsplit_once('/')
        .expect("HUMIAO_TEST_POSTGRES names a database")
        .0;
    let store = Store::connect(&format!("{base}/{name}")).await.unwrap();
    Some(PgDb {
        store,
        admin_url,
        name,
    })
}

impl PgDb {
    pub async fn drop(self) {
        use sqlx::Connection;
        self.store.close().await;
        let mut admin = sqlx::AnyConnection::connect(&self.admin_url).await.unwrap();
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await
        .unwrap();
    }
}

/// Stores regions given as (code, name, rural).
pub async fn upsert_regions(store: &Store, regions: &[(&str, &str, bool)]) {
    store
        .upsert_regions(
            &regions
                .iter()
                .map(|(c, n, r)| Region {
                    code: RegionCode::parse(c).unwrap(),
                    name: n.to_string(),
                    rural: *r,
                    centre: None,
                })
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
}
