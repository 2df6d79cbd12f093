//! Linking the demo county on SQLite and on PostgreSQL gives the same persons, and a second full
//! run keeps every person id (stable ids), on both databases.

mod common;

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

#[tokio::test]
async fn sqlite_and_postgres_link_the_same_county_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    let on_sqlite = link_county(&sqlite, &dir.path().join("a")).await;
    let Some(pg) = common::postgres("link").await else {
        return;
    };
    let on_postgres = link_county(&pg.store, &dir.path().join("b")).await;
    pg.drop().await;
    assert_eq!(on_sqlite, on_postgres);
}
