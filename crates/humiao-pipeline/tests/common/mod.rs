//! What the pipeline's integration tests share: a fresh PostgreSQL database per test, regions
//! from (code, name, rural) rows, and the police register's test mapping.

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

/// The police household register's mapping as the tests' CSV files are laid out.
pub const HOUSEHOLD_MAPPING: &str = r#"
name = "公安户籍人口（测试）"
department = "police"
record_kind = "household_member"

[fields.household_no]
column = "户号"
[fields.name]
column = "姓名"
[fields.citizen_id]
column = "公民身份号码"
[fields.sex]
column = "性别"
values = { "男" = "male", "女" = "female" }
[fields.birth_date]
column = "出生日期"
formats = ["%Y%m%d"]
[fields.hukou_region]
column = "户籍地区划"
[fields.residence_grid]
column = "现居住网格"
[fields.father_citizen_id]
column = "父亲身份号码"
[fields.mother_citizen_id]
column = "母亲身份号码"
[fields.status]
column = "人员状态"
values = { "正常" = "normal", "死亡" = "dead", "失踪" = "missing" }
[fields.status_date]
column = "状态日期"
formats = ["%Y%m%d"]
"#;
