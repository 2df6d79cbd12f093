//! Linking the demo county on SQLite and on PostgreSQL gives the same persons, and a second full
//! run keeps every person id (stable ids), on both databases.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use humiao_demo::DemoConfig;
use humiao_pipeline::{import_file, link_records, load_mapping, LinkOptions};
use humiao_store::Store;

/// `record_id → person_id` after importing and linking a small county into `store`.
async fn link_county(store: &Store, input: &std::path::Path) -> BTreeMap<String, Option<i64>> {
    let county = humiao_demo::generate(
        &DemoConfig {
            children: 200,
            seed: 11,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        },
        input,
    )
    .unwrap();
    store.upsert_regions(&county.regions).await.unwrap();
    for spec in &county.imports {
        let mapping = load_mapping(spec.department, &spec.mapping).unwrap();
        for file in &spec.files {
            import_file(store, &mapping, file, "test", &())
                .await
                .unwrap();
        }
    }
    let first = link_records(store, &LinkOptions::default(), &humiao_link::Quiet)
        .await
        .unwrap();
    assert_eq!(first.mentions_unmatched, 0, "{first:?}");
    let links = |rows: Vec<humiao_store::MentionLink>| -> BTreeMap<String, Option<i64>> {
        rows.into_iter()
            .map(|l| {
                (
                    humiao_pipeline::mention_key(l.record, l.role),
                    l.person.map(|p| p.0),
                )
            })
            .collect()
    };
    let before = links(store.mention_links().await.unwrap());
    let again = link_records(
        store,
        &LinkOptions {
            full: true,
            ..Default::default()
        },
        &humiao_link::Quiet,
    )
    .await
    .unwrap();
    assert_eq!(
        (
            again.persons_created,
            again.persons_merged,
            again.persons_split
        ),
        (0, 0, 0)
    );
    let after = links(store.mention_links().await.unwrap());
    assert_eq!(before, after, "a full re-link keeps every person id");
    after
}

async fn postgres() -> Option<(Store, String, String)> {
    use sqlx::Connection;
    let admin_url = std::env::var("HUMIAO_TEST_POSTGRES").ok()?;
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
    let name = format!(
        "humiao_link_{}_{}",
        std::process::id(),
        rand::random::<u32>()
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let base = admin_url.rsplit_once('/').unwrap().0;
    let store = Store::connect(&format!("{base}/{name}")).await.unwrap();
    Some((store, admin_url, name))
}

#[tokio::test]
async fn sqlite_and_postgres_link_the_same_county_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    let on_sqlite = link_county(&sqlite, &dir.path().join("a")).await;
    let Some((pg, admin_url, name)) = postgres().await else {
        assert!(
            std::env::var("HUMIAO_REQUIRE_POSTGRES").is_err(),
            "HUMIAO_TEST_POSTGRES is required"
        );
        eprintln!("SKIPPED the PostgreSQL half: HUMIAO_TEST_POSTGRES not set");
        return;
    };
    let on_postgres = link_county(&pg, &dir.path().join("b")).await;
    pg.close().await;
    use sqlx::Connection;
    let mut admin = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
    assert_eq!(on_sqlite, on_postgres);
}
